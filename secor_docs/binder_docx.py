"""The Word binder: the same pages as binder.pdf in one editable Word file.

Every document keeps its own section (page size, orientation, margins, header and footer), so it prints like
the PDF. The contents is a Word field over TC entries, pre-filled with binder.pdf's page numbers; Word
renumbers it for its own layout when it is updated.
"""
from __future__ import annotations

import os
from copy import deepcopy
from datetime import date, datetime
from pathlib import Path

from docx import Document
from docx.enum.text import WD_BREAK, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.parts.hdrftr import FooterPart, HeaderPart
from docx.shared import Pt
from docxcompose.composer import Composer
from docxcompose.utils import xpath

from .determinism import normalise_docx
from .errors import BinderError

STYLE_REFS = ".//w:tblStyle|.//w:pStyle|.//w:rStyle"


def close_section(doc) -> None:
    """Copy the document's page setup into its last paragraph, making it a section that can follow others."""
    body = doc.element.body
    sect = body.find(qn("w:sectPr"))
    if sect is None:
        sect = body.makeelement(qn("w:sectPr"), {})
        body.append(sect)
    last = sect.getprevious()
    if last is None or last.tag != qn("w:p"):
        last = body.makeelement(qn("w:p"), {})
        sect.addprevious(last)
    ppr = last.find(qn("w:pPr"))
    if ppr is None:
        ppr = last.makeelement(qn("w:pPr"), {})
        last.insert(0, ppr)
    for old in ppr.findall(qn("w:sectPr")):
        ppr.remove(old)
    change = ppr.find(qn("w:pPrChange"))  # sectPr must precede it in pPr
    if change is not None:
        change.addprevious(deepcopy(sect))
    else:
        ppr.append(deepcopy(sect))


class SectionComposer(Composer):
    """docxcompose, but each added document stays a section with its own header and footer.

    docxcompose drops appended documents' section properties and headers by design; here they are kept. It also
    renumbers ids and rebuilds its style list after every element, which made a 90-document binder take ~18 s;
    ids are renumbered once at save and styles already checked for the current document are not checked again.
    """

    def __init__(self, master):
        close_section(master)
        super().__init__(master)
        self.first_section_properties_added = True  # sections carry their own headers: skip docxcompose's copy
        self._blank: dict[str, str] = {}

    def insert(self, index, doc, remove_property_fields=True) -> int:
        """Insert `doc` at body index `index`; returns how many body elements it added."""
        close_section(doc)
        count = sum(1 for el in doc.element.body if el.tag != qn("w:sectPr"))
        super().insert(index, doc, remove_property_fields)
        sect = self.doc.element.body[index + count - 1].find(qn("w:pPr")).find(qn("w:sectPr"))
        for ref in sect.iterchildren(qn("w:headerReference"), qn("w:footerReference")):
            ref.set(qn("r:id"), self._copy_header_part(doc.part.rels[ref.get(qn("r:id"))]))
        self._blank_where_missing(sect)
        return count

    def _blank_where_missing(self, sect) -> None:
        """A section without its own header shows the previous one's; a divider must not show a document's."""
        for kind, reltype in (("header", RT.HEADER), ("footer", RT.FOOTER)):
            if any(ref.get(qn("w:type")) == "default" for ref in sect.iterchildren(qn(f"w:{kind}Reference"))):
                continue
            if kind not in self._blank:
                part = (HeaderPart if kind == "header" else FooterPart).new(self.doc.part.package)
                self._blank[kind] = self.doc.part.relate_to(part, reltype)
            ref = sect.makeelement(qn(f"w:{kind}Reference"), {qn("w:type"): "default", qn("r:id"): self._blank[kind]})
            headers = list(sect.iterchildren(qn("w:headerReference")))
            if kind == "header":
                sect.insert(0, ref)
            else:
                sect.insert(len(headers), ref)

    def _copy_header_part(self, rel) -> str:
        part = rel.target_part
        kind = "header" if rel.reltype == RT.HEADER else "footer"
        package = self.doc.part.package
        new = type(part).load(package.next_partname(f"/word/{kind}%d.xml"), part.content_type, part.blob, package)
        for old in list(part.rels.values()):  # the logo and anything else the header shows
            copied = self.add_relationship(part, new, old)
            if copied.rId != old.rId:
                for attr in new.element.xpath(".//@r:embed|.//@r:id|.//@r:link"):
                    if attr == old.rId:
                        attr.getparent().set(attr.attrname, copied.rId)
        return self.doc.part.relate_to(new, rel.reltype)

    def remove_header_and_footer_references(self, doc, element):
        pass

    def reset_reference_mapping(self):
        super().reset_reference_mapping()
        self._styles_seen: set[str] = set()

    def add_styles(self, doc, element):
        ids = {e.val for e in xpath(element, STYLE_REFS)}
        if ids - self._styles_seen:
            super().add_styles(doc, element)
            self._styles_seen |= ids
            return
        for style_id in ids:  # styles already added for this document: only a renamed id needs rewriting
            ours = self.mapped_style_id(style_id)
            if ours is not None and ours != style_id:
                for el in xpath(element, STYLE_REFS):
                    if el.val == style_id:
                        el.val = ours

    def renumber_bookmarks(self):
        pass

    def renumber_docpr_ids(self):
        pass

    def renumber_nvpicpr_ids(self):
        pass

    def fix_section_types(self, doc):
        pass  # every section starts on a new page, the default

    def save(self, filename) -> None:
        body = self.doc.element.body
        # The last section's properties belong on the body, or Word shows an empty page after it.
        last = body.xpath("./w:p[w:pPr/w:sectPr]")[-1]
        sect = last.find(qn("w:pPr")).find(qn("w:sectPr"))
        last.find(qn("w:pPr")).remove(sect)
        body.replace(body.find(qn("w:sectPr")), sect)
        Composer.renumber_bookmarks(self)
        Composer.renumber_docpr_ids(self)
        Composer.renumber_nvpicpr_ids(self)
        self.doc.save(filename)


def _fld_char(kind: str, dirty: bool = False):
    el = OxmlElement("w:fldChar")
    el.set(qn("w:fldCharType"), kind)
    if dirty:
        el.set(qn("w:dirty"), "true")  # Word refreshes a dirty field when the file is opened
    return el


def _instr(text: str):
    el = OxmlElement("w:instrText")
    el.set(qn("xml:space"), "preserve")
    el.text = f" {text} "
    return el


def _mark_entry(doc, text: str, level: int) -> None:
    """A TC field in the first paragraph: what Word's contents field lists when it is updated."""
    first = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    safe = text.replace('"', "”")
    runs = [OxmlElement("w:r") for _ in range(3)]
    for run, child in zip(runs, (_fld_char("begin"), _instr(f'TC "{safe}" \\l {level}'), _fld_char("end"))):
        run.append(child)
    ppr = first._p.find(qn("w:pPr"))
    for run in reversed(runs):
        if ppr is not None:
            ppr.addnext(run)
        else:
            first._p.insert(0, run)


def contents_paragraphs(doc, rows: list[tuple[int, str, int]]) -> list:
    """The contents: a TOC field over the TC entries, pre-filled with the PDF binder's page numbers."""
    width = doc.sections[0].page_width - doc.sections[0].left_margin - doc.sections[0].right_margin
    made = []
    heading = doc.add_paragraph()
    run = heading.add_run("Contents")
    run.bold, run.font.size = True, Pt(16)
    note = doc.add_paragraph()
    note.add_run("Page numbers are those of binder.pdf, the audit copy. After editing this file, right-click the "
                 "list and choose Update Field to number it for Word.").italic = True
    made += [heading, note]
    for i, (level, text, page) in enumerate(rows):
        p = doc.add_paragraph()
        p.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        p.paragraph_format.space_after = Pt(2)
        if level > 1:
            p.paragraph_format.left_indent = Pt(14)
        if i == 0:
            for child in (_fld_char("begin", dirty=True), _instr('TOC \\f \\l "1-2" \\h \\z'), _fld_char("separate")):
                p.add_run()._r.append(child)
        entry = p.add_run(text)
        entry.bold = level == 1
        p.add_run("\t" + str(page)).bold = level == 1
        made.append(p)
    closing = made[-1] if rows else doc.add_paragraph()
    closing.add_run()._r.append(_fld_char("end"))
    if not rows:
        made.append(closing)
    brk = doc.add_paragraph()
    brk.add_run().add_break(WD_BREAK.PAGE)
    made.append(brk)
    return made


class WordBinder:
    """Cover, then the documents as they come; the contents and the element dividers, which print binder pages,
    are slotted in when the PDF layout has settled (the same files as in binder.pdf)."""

    def __init__(self, cover: Path, labels: dict[str, str]):
        self.composer = SectionComposer(Document(str(cover)))
        self.contents_at = self.composer.append_index()
        self.labels = labels                 # element id -> "Element N: name"
        # element id -> (body index where its divider goes, order of arrival); the same for the evidence index
        self.slots: dict[str, tuple[int, int]] = {}
        self.late_at: tuple[int, int] | None = None
        self.arrivals = 0

    @classmethod
    def composed(cls, cover: Path, labels: dict[str, str], documents: list[tuple[str, str, Path]]) -> WordBinder:
        binder = cls(cover, labels)
        for entry in documents:
            binder.add(*entry)
        return binder

    def add(self, element_id: str, label: str, path: Path | None) -> None:
        """Append a document; a None path keeps its place for the evidence index, which comes last."""
        if element_id not in self.slots:
            self.slots[element_id] = (self.composer.append_index(), self.arrivals)
            self.arrivals += 1
        if path is None:
            self.late_at = (self.composer.append_index(), self.arrivals)
            self.arrivals += 1
            return
        doc = Document(str(path))
        _mark_entry(doc, label, 2)
        self.composer.append(doc)

    def finish(self, rows: list[tuple[int, str, int]], dividers: dict[str, Path], late: tuple[str, str, Path] | None) -> None:
        if late is not None and self.late_at is None:
            self.add(*late)
        inserts = [(index, arrival, element_id) for element_id, (index, arrival) in self.slots.items()]
        if late is not None and self.late_at is not None:
            inserts.append((*self.late_at, None))
        # From the back, so earlier slots keep their index; at one index the later arrival goes in first, so the
        # earlier one lands in front of it (a divider before the evidence index it opens).
        for index, _, element_id in sorted(inserts, key=lambda item: item[:2], reverse=True):
            if element_id is None:
                doc = Document(str(late[2]))
                _mark_entry(doc, late[1], 2)
                self.composer.insert(index, doc)
                continue
            divider = Document(str(dividers[element_id]))
            _mark_entry(divider, self.labels[element_id], 1)
            self.composer.insert(index, divider)
        body = self.composer.doc.element.body
        for offset, paragraph in enumerate(contents_paragraphs(self.composer.doc, rows)):
            body.insert(self.contents_at + offset, paragraph._p)

    def save(self, target: Path, day: date, title: str, author: str) -> None:
        props = self.composer.doc.core_properties
        stamp = datetime.combine(day, datetime.min.time())
        props.created = props.modified = props.last_printed = stamp
        props.title, props.author, props.last_modified_by = title, author, "secor-docs"
        props.revision = 1
        self.composer.save(str(target))
        normalise_docx(target)


class InlineWordBinder:
    """The same work in this process, after the PDFs: with one core per build (`--jobs 1`, or a portfolio building
    profiles side by side) composing beside LibreOffice gains no time and only adds its memory to LibreOffice's."""

    def __init__(self, cover, labels, documents, target, day, title, author):
        self.args = (cover, labels, documents, target, day, title, author)

    def finish(self, rows, dividers, late) -> None:
        cover, labels, documents, target, day, title, author = self.args
        binder = WordBinder.composed(cover, labels, documents)
        binder.finish(rows, dividers, late)
        binder.save(target, day, title, author)

    def stop(self) -> None:
        pass


def word_binder_worker(cover, labels, documents, target, day, title, author, inbox, outbox) -> None:
    """Runs in its own process beside the PDF work: compose the documents, then wait for the front matter."""
    try:
        os.nice(5)  # LibreOffice's conversions are on the critical path; composing can use what they leave
        binder = WordBinder.composed(cover, labels, documents)
        if not inbox.poll(3600):
            raise BinderError("the binder layout never arrived")
        message = inbox.recv()
        if message is None:
            return
        rows, dividers, late = message
        binder.finish(rows, dividers, late)
        binder.save(target, day, title, author)
        outbox.send(("ok", None))
    except BaseException as e:  # reported to the parent, which raises it
        outbox.send(("error", str(e) if isinstance(e, BinderError) else f"{type(e).__name__}: {e}"))
    finally:
        outbox.close()


class BackgroundWordBinder:
    """The Word binder made in a second process while LibreOffice converts the PDFs: it uses the other core."""

    def __init__(self, cover, labels, documents, target, day, title, author):
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        child_in, self.inbox = ctx.Pipe(duplex=False)
        self.outbox, child_out = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=word_binder_worker, daemon=True,
                                   args=(cover, labels, documents, target, day, title, author, child_in, child_out))
        self.process.start()
        child_in.close()
        child_out.close()

    def finish(self, rows: list[tuple[int, str, int]], dividers: dict[str, Path], late: tuple[str, str, Path] | None,
               timeout: float = 1800) -> None:
        self.inbox.send((rows, dividers, late))
        if not self.outbox.poll(timeout):
            self.stop()
            raise BinderError(f"the Word binder was not finished within {timeout:.0f} s")
        try:
            status, value = self.outbox.recv()
        except EOFError:
            raise BinderError("the Word binder process ended without a result") from None
        self.process.join(10)
        if status != "ok":
            raise BinderError(f"could not make binder.docx: {value}")

    def stop(self) -> None:
        if self.process.is_alive():
            try:
                self.inbox.send(None)
            except OSError:
                pass
            self.process.join(2)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
