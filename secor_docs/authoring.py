"""Compile the plain-text template sources in templates_src/ into the Word templates in templates/.

The .docx files are what the tool renders and what consultants open and edit; the sources are how the built-in
set is written and reviewed. Markup, one construct per line:

  # / ## / ###          headings                      - text        bullet
  1. text               numbered step (literal number) > text        note (shaded)
  {%p ... %}  {#p #}     a docxtpl control paragraph    @pagebreak    page break
  @sign LABEL           signature and date line        @lines N      N ruled lines for hand-written notes
  @landscape            (first lines) landscape pages  @bare         (first lines) no header, control block or history
  @form                 (first lines) a form for the field: title and one control line instead of the control
                        block and revision history (the footer keeps the control line on every page)
  |~ 20 | 80 |          column widths (percent) of the next table;  |~- 50 | 50 |  the same, compact (tick lists
                        on field forms: smaller text, no space after each cell's paragraph)
  |! A | B |            header row (shaded, repeated on each page)
  | a | b |             body row;  |% tr for x in xs %|  a docxtpl row tag;  |_ N |  N blank rows for paper
  **bold** inside any text.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

BRAND = "1F4E79"
FONT = "Calibri"          # LibreOffice substitutes the metric-compatible Carlito
ROW_HEIGHT = Cm(0.85)     # tall enough to write in by hand
COMPACT_ROW_HEIGHT = Cm(0.75)   # blank rows of a compact table: still a full handwriting line


def _shade(cell, hex_colour: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), hex_colour)
    tc_pr.append(shd)


def _field(paragraph, instruction: str) -> None:
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._r.append(el)
        elif text == instruction:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {instruction} "
            run._r.append(el)
        else:
            el = OxmlElement("w:t")
            el.text = text
            run._r.append(el)


def _add_text(paragraph, text: str, bold: bool = False, size: float | None = None, colour: str | None = None) -> None:
    for i, part in enumerate(re.split(r"\*\*", text)):
        if not part:
            continue
        run = paragraph.add_run(part)
        run.bold = bold or (i % 2 == 1)
        if size:
            run.font.size = Pt(size)
        if colour:
            run.font.color.rgb = RGBColor.from_string(colour)


def _row_height(row, height=ROW_HEIGHT) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    h = OxmlElement("w:trHeight")
    h.set(qn("w:val"), str(int(height.twips if hasattr(height, "twips") else height / 635)))
    h.set(qn("w:hRule"), "atLeast")
    tr_pr.append(h)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)
    cant = OxmlElement("w:cantSplit")
    tr_pr.append(cant)


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    # a '|' inside {{ }} or {% %} is a Jinja filter, not a column separator
    cells, depth, current = [], 0, ""
    i = 0
    while i < len(inner):
        two = inner[i:i + 2]
        if two in ("{{", "{%"):
            depth += 1
            current += two
            i += 2
            continue
        if two in ("}}", "%}") and depth:
            depth -= 1
            current += two
            i += 2
            continue
        if inner[i] == "|" and not depth:
            cells.append(current.strip())
            current = ""
        else:
            current += inner[i]
        i += 1
    cells.append(current.strip())
    return cells


class Compiler:
    def __init__(self, source: str, name: str):
        self.lines = source.splitlines()
        self.name = name
        self.bare = any(l.strip() == "@bare" for l in self.lines[:3])
        self.landscape = any(l.strip() == "@landscape" for l in self.lines[:3])
        self.form = any(l.strip() == "@form" for l in self.lines[:3])
        self.doc = Document()
        self._setup()

    # ---- page, styles, header, footer ----
    def _setup(self) -> None:
        section = self.doc.sections[0]
        section.page_width, section.page_height = Cm(21.59), Cm(27.94)  # Letter
        if self.landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = section.page_height, section.page_width
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Cm(1.9))
        section.top_margin, section.bottom_margin = Cm(1.6), Cm(1.6)
        section.header_distance = section.footer_distance = Cm(0.8)
        styles = self.doc.styles
        normal = styles["Normal"]
        normal.font.name = FONT
        normal.font.size = Pt(10)
        normal.paragraph_format.space_after = Pt(4)
        for level, size in ((1, 14), (2, 12), (3, 10.5)):
            st = styles[f"Heading {level}"]
            st.font.name = FONT
            st.font.size = Pt(size)
            st.font.color.rgb = RGBColor.from_string(BRAND)
            st.paragraph_format.space_before = Pt(10 if level == 1 else 8)
            st.paragraph_format.space_after = Pt(4)
            st.paragraph_format.keep_with_next = True
        title = styles["Title"]
        title.font.name = FONT
        title.font.size = Pt(18)
        title.font.color.rgb = RGBColor.from_string(BRAND)
        for name in ("List Bullet", "Quote"):
            styles[name].font.name = FONT
            styles[name].font.size = Pt(10)
        self.width = section.page_width - section.left_margin - section.right_margin
        if not self.bare:
            self._header(section)
            self._footer(section)

    def _header(self, section) -> None:
        header = section.header
        table = header.add_table(rows=1, cols=2, width=self.width)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        left, right = table.rows[0].cells
        left.width, right.width = int(self.width * 0.55), int(self.width * 0.45)
        p = left.paragraphs[0]
        p.add_run("{{ logo }}")
        p2 = left.add_paragraph()
        _add_text(p2, "{{ company.legal_name }}", bold=True, size=9)
        q = right.paragraphs[0]
        q.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _add_text(q, "{{ doc.id }}: {{ doc.title }}", size=8.5, colour="404040")
        q2 = right.add_paragraph()
        q2.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _add_text(q2, "{{ partner.name_short }} SECOR program, {{ program.edition }}", size=8, colour="606060")
        header.paragraphs[0].text = ""
        line = header.add_paragraph()
        self._bottom_border(line)

    @staticmethod
    def _bottom_border(paragraph) -> None:
        p_pr = paragraph._p.get_or_add_pPr()
        bdr = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for k, v in (("w:val", "single"), ("w:sz", "8"), ("w:space", "1"), ("w:color", BRAND)):
            bottom.set(qn(k), v)
        bdr.append(bottom)
        p_pr.append(bdr)
        paragraph.paragraph_format.space_after = Pt(0)

    def _footer(self, section) -> None:
        # a two-cell table, so a long control line can never run into the page number
        footer = section.footer
        table = footer.add_table(rows=1, cols=2, width=self.width)
        left, right = table.rows[0].cells
        left.width, right.width = int(self.width * 0.78), int(self.width * 0.22)
        _add_text(left.paragraphs[0], "{{ doc.id }} rev. {{ doc.revision }} | effective {{ doc.effective|longdate }} | next review {{ doc.next_review|longdate }}", size=8, colour="404040")
        _add_text(left.add_paragraph(), "Uncontrolled when printed. The current version is the one listed in the document control register.", size=7, colour="808080")
        p = right.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = p.add_run("Page ")
        run.font.size = Pt(8)
        _field(p, "PAGE")
        run = p.add_run(" of ")
        run.font.size = Pt(8)
        _field(p, "NUMPAGES")
        footer.paragraphs[0].text = ""

    # ---- blocks ----
    def _control_block(self) -> None:
        self.doc.add_paragraph("{{ doc.title }}", style="Title")
        rows = [
            ("Document", "{{ doc.id }}", "Revision", "{{ doc.revision }}"),
            ("Effective", "{{ doc.effective|longdate }}", "Next review", "{{ doc.next_review|longdate }}"),
            ("Audit element", "{{ doc.element_id }}. {{ doc.element_name }}", "Applies to", "{{ doc.scope }}"),
            ("Approved by", "{{ doc.approved_by.name }}, {{ doc.approved_by.title }}", "Signature and date", ""),
        ]
        table = self.doc.add_table(rows=0, cols=4)
        table.style = "Table Grid"
        widths = [0.16, 0.38, 0.16, 0.30]
        for values in rows:
            cells = table.add_row().cells
            for i, value in enumerate(values):
                cells[i].width = int(self.width * widths[i])
                _add_text(cells[i].paragraphs[0], value, bold=(i % 2 == 0), size=9)
                if i % 2 == 0:
                    _shade(cells[i], "E8EEF4")
            _row_height(table.rows[-1], Cm(0.7))
        self.doc.add_paragraph()

    def _form_title(self) -> None:
        title = self.doc.add_paragraph("{{ doc.title }}", style="Title")
        title.paragraph_format.space_after = Pt(0)
        _add_text(self.doc.add_paragraph(), "{{ doc.id }} rev. {{ doc.revision }}, effective {{ doc.effective|longdate }}, "
                  "approved by {{ doc.approved_by.name }}", size=8, colour="606060")

    def _history(self) -> None:
        self.doc.add_heading("Revision history", level=2)
        self._table([
            "|~ 10 | 18 | 52 | 20 |",
            "|! Rev. | Date issued | What changed | Approved by |",
            "|% tr for r in doc.history %|",
            "| {{ r.revision }} | {{ r.date|longdate }} | {{ r.change }} | {{ r.approved_by }} |",
            "|% tr endfor %|",
        ])

    def _table(self, lines: list[str]) -> None:
        widths = None
        compact = bool(lines) and lines[0].startswith("|~-")
        if lines and lines[0].startswith("|~"):
            widths = [float(x) for x in _cells(lines[0][3 if compact else 2:]) if x]
            lines = lines[1:]
        ncols = max(len(_cells(l[2:] if l.startswith(("|!", "|_")) else l)) for l in lines if not l.startswith("|%"))
        if widths is None:
            widths = [100 / ncols] * ncols
        table = self.doc.add_table(rows=0, cols=ncols)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        total = sum(widths)
        col_widths = [int(self.width * w / total) for w in widths]

        def add_row(values: list[str], header: bool = False, height=None):
            row = table.add_row()
            for i, cell in enumerate(row.cells):
                cell.width = col_widths[i]
                value = values[i] if i < len(values) else ""
                _add_text(cell.paragraphs[0], value, bold=header, size=8 if compact else 9)
                if compact:
                    cell.paragraphs[0].paragraph_format.space_after = Pt(0)
                if header:
                    _shade(cell, "D9E2EC")
            if header:
                _repeat_header(row)
            if height is not None:
                _row_height(row, height)
            return row

        for line in lines:
            if line.startswith("|%"):
                tag = line[2:].rstrip("|").strip().rstrip("%").strip()
                add_row(["{%" + tag + " %}"])
            elif line.startswith("|!"):
                add_row(_cells(line[2:]), header=True)
            elif line.startswith("|_"):
                count = int(_cells(line[2:])[0] or 1)
                for _ in range(count):
                    add_row([], height=COMPACT_ROW_HEIGHT if compact else ROW_HEIGHT)
            else:
                add_row(_cells(line))
        for i, col in enumerate(table.columns):
            col.width = col_widths[i]
        spacer = self.doc.add_paragraph()
        spacer.paragraph_format.space_after = Pt(2)

    def compile(self) -> Document:
        if self.form:
            self._form_title()
        elif not self.bare:
            self._control_block()
        i = 0
        lines = self.lines
        while i < len(lines):
            raw = lines[i]
            line = raw.rstrip()
            stripped = line.strip()
            i += 1
            if not stripped or stripped in ("@bare", "@landscape", "@form"):
                continue
            if stripped.startswith("|"):
                block = [stripped]
                while i < len(lines) and lines[i].strip().startswith("|"):
                    block.append(lines[i].strip())
                    i += 1
                self._table(block)
            elif stripped.startswith("{%p") or stripped.startswith("{#p"):
                self.doc.add_paragraph(stripped)
            elif m := re.match(r"^(#{1,3})\s+(.*)$", stripped):
                self.doc.add_heading(level=len(m.group(1))).clear()
                _add_text(self.doc.paragraphs[-1], m.group(2))
            elif stripped.startswith("- "):
                _add_text(self.doc.add_paragraph(style="List Bullet"), stripped[2:])
            elif re.match(r"^\d+\.\s", stripped):
                p = self.doc.add_paragraph()
                p.paragraph_format.left_indent = Cm(0.8)
                p.paragraph_format.first_line_indent = Cm(-0.6)
                _add_text(p, stripped)
            elif stripped.startswith("> "):
                p = self.doc.add_paragraph(style="Quote")
                _add_text(p, stripped[2:])
            elif stripped == "@pagebreak":
                self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            elif stripped.startswith("@sign"):
                label = stripped[len("@sign"):].strip()
                self._table(["|~ 40 | 38 | 22 |", f"| {label} | Signature: | Date: |"])
                self.doc.tables[-1].rows[0].height = Cm(1.1)
            elif stripped.startswith("@lines"):
                n = int(stripped.split()[1])
                self._table(["|~ 100 |", f"|_ {n} |"])
            elif stripped.startswith("@"):
                raise ValueError(f"{self.name}: unknown directive {stripped.split()[0]}")
            else:
                _add_text(self.doc.add_paragraph(), stripped)
        if not (self.bare or self.form):
            self._history()
        return self.doc


# Styles a consultant editing a template expects to find, kept even where the built-in text does not use them.
OFFERED_STYLES = {"Normal", "Heading 1", "Heading 2", "Heading 3", "Title", "Subtitle", "List Bullet", "List Number",
                  "Quote", "Table Grid", "Header", "Footer", "No Spacing", "Strong", "Emphasis", "Hyperlink"}


def slim_styles(doc) -> None:
    """Drop the ~150 styles python-docx's default template carries and nobody uses, and its 430 KB
    stylesWithEffects copy (a Word 2010 leftover): every render, conversion and merge parses them."""
    from docx.oxml.ns import qn

    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.drop_rel(rid)
    root = doc.styles.element
    parts = [doc.element] + [rel.target_part.element for rel in doc.part.rels.values()
                             if rel.reltype.endswith(("/header", "/footer", "/numbering"))]
    used = {el.get(qn("w:val")) for part in parts for el in part.iter(qn("w:pStyle"), qn("w:rStyle"), qn("w:tblStyle"))}
    styles = {el.get(qn("w:styleId")): el for el in root.iterchildren(qn("w:style"))}
    names = {el.find(qn("w:name")).get(qn("w:val")): sid for sid, el in styles.items() if el.find(qn("w:name")) is not None}
    keep = used | {names[n] for n in OFFERED_STYLES if n in names} | {sid for sid, el in styles.items() if el.get(qn("w:default")) == "1"}
    todo = list(keep)
    while todo:  # what kept styles are based on, linked to or followed by
        el = styles.get(todo.pop())
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = el.find(qn(tag)) if el is not None else None
            if ref is not None and ref.get(qn("w:val")) not in keep:
                keep.add(ref.get(qn("w:val")))
                todo.append(ref.get(qn("w:val")))
    for sid, el in styles.items():
        if sid not in keep:
            root.remove(el)


def compile_file(source: Path, target: Path) -> None:
    from .determinism import normalise_docx

    doc = Compiler(source.read_text(encoding="utf-8"), source.name).compile()
    slim_styles(doc)
    props = doc.core_properties
    props.author = "secor-docs"
    props.title = source.stem
    from datetime import datetime
    props.created = props.modified = datetime(2026, 1, 1)
    props.last_modified_by = "secor-docs"
    props.revision = 1
    target.parent.mkdir(parents=True, exist_ok=True)
    doc.save(target)
    normalise_docx(target)


def compile_tree(src_root: Path, out_root: Path) -> list[Path]:
    written = []
    for source in sorted(src_root.rglob("*.md")):
        target = out_root / source.relative_to(src_root).with_suffix(".docx")
        compile_file(source, target)
        written.append(target)
    return written


if __name__ == "__main__":  # python -m secor_docs.authoring templates_src templates
    src, out = (Path(a) for a in sys.argv[1:3])
    for path in compile_tree(src, out):
        sys.stdout.write(f"{path}\n")
