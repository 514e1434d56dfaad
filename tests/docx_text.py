"""Read everything a person would see in a DOCX: body paragraphs, tables, headers and footers."""
from pathlib import Path

from docx import Document


def _cells(table):
    for row in table.rows:
        for cell in row.cells:
            yield cell
            for inner in cell.tables:
                yield from _cells(inner)


def body_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for cell in _cells(table):
            parts += [p.text for p in cell.paragraphs]
    return "\n".join(parts)


def header_footer_text(path: Path) -> str:
    doc = Document(str(path))
    parts = []
    for section in doc.sections:
        for part in (section.header, section.footer):
            parts += [p.text for p in part.paragraphs]
            for table in part.tables:
                for cell in _cells(table):
                    parts += [p.text for p in cell.paragraphs]
    return "\n".join(parts)
