"""The shipped Word templates hold exactly what their plain-text sources compile to."""
from pathlib import Path

from docx import Document

from secor_docs.authoring import compile_tree

ROOT = Path(__file__).resolve().parent.parent


def content(path: Path) -> list[str]:
    """Text and style of every paragraph and table cell, headers and footers included.

    Compared instead of bytes: other libraries loaded in the same process (docxcompose) can change how
    python-docx serialises the same document.
    """
    doc = Document(str(path))
    out = [f"{p.style.name}|{p.text}" for p in doc.paragraphs]
    for table in doc.tables:
        out += ["cell|" + c.text for row in table.rows for c in row.cells]
    for section in doc.sections:
        out.append(f"page|{section.page_width}x{section.page_height}")
        for part in (section.header, section.footer):
            out += [f"hf|{p.text}" for p in part.paragraphs]
            out += ["hf|" + c.text for t in part.tables for row in t.rows for c in row.cells]
    return out


def test_templates_are_up_to_date_with_their_sources(tmp_path):
    written = compile_tree(ROOT / "templates_src", tmp_path)
    assert len(written) >= 50
    stale = [p.relative_to(tmp_path).as_posix() for p in written
             if content(p) != content(ROOT / "templates" / p.relative_to(tmp_path))]
    assert not stale, f"run `make templates` and commit: {stale}"
    shipped = {p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*.docx")}
    assert shipped == {p.relative_to(tmp_path).as_posix() for p in written}
