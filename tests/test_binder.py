"""The PDF binder: real contents page numbers, bookmarks, page count, reproducibility; the Word binder's contents."""
import json
import re
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from secor_docs.determinism import sha256
from secor_docs.pipeline import BuildOptions, run_build

from conftest import EXAMPLE, PROFILES
from docx_text import body_text

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def binders(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf-build")
    profiles = (EXAMPLE, PROFILES / "solo-spark-electric.yaml")
    results = run_build(BuildOptions(profiles=profiles, out=out, as_of=date(2026, 2, 1), jobs=2))
    assert all(r.ok for r in results), [str(r.error) for r in results]
    return [(out / r.slug, json.loads((out / r.slug / "manifest.json").read_text())) for r in results]


def _first_page_of(reader, page_number):
    return reader.pages[page_number - 1].extract_text()


def test_manifest_binder_pages_point_at_each_documents_first_page(binders):
    for folder, m in binders:
        reader = PdfReader(str(folder / m["binder"]["pdf"]))
        assert m["binder"]["pages"] == len(reader.pages)
        for doc in m["documents"]:
            text = _first_page_of(reader, doc["binder_page"])
            assert doc["id"] in text and "Page 1 of" in text, f"{doc['id']} not on binder page {doc['binder_page']}"
            own = PdfReader(str(folder / doc["pdf"]))
            assert len(own.pages) == doc["pages"]


def test_contents_lines_name_the_right_pages(binders):
    for folder, m in binders:
        reader = PdfReader(str(folder / "binder.pdf"))
        contents = "\n".join(reader.pages[i].extract_text() for i in range(1, 4))
        for doc in m["documents"]:
            line = re.search(re.escape(doc["id"]) + r"\s.*?(\d+)\s*$", contents, re.M)
            assert line, f"{doc['id']} missing from contents"
            assert int(line.group(1)) == doc["binder_page"]


def test_page_count_is_front_matter_plus_documents(binders):
    for folder, m in binders:
        reader = PdfReader(str(folder / "binder.pdf"))
        elements = [o for o in reader.outline if not isinstance(o, list) and o.title.startswith("Element ")]
        starts = [reader.get_destination_page_number(o) + 1 for o in elements]
        first_docs = [min(d["binder_page"] for d in m["documents"] if d["element"] == o.title.split()[1].rstrip(":")) for o in elements]
        divider_pages = sum(doc - div for div, doc in zip(starts, first_docs))
        front = starts[0] - 1                                   # cover and contents
        assert front >= 2 and divider_pages == len(elements)    # one divider page per element here
        assert len(reader.pages) == front + divider_pages + sum(d["pages"] for d in m["documents"])


def test_bookmarks_nest_documents_under_elements(binders):
    for folder, m in binders:
        reader = PdfReader(str(folder / "binder.pdf"))
        outline = reader.outline
        flat = [o for o in outline if not isinstance(o, list)]
        nested = [o for group in outline if isinstance(group, list) for o in group if not isinstance(o, list)]
        assert len(nested) >= len(m["documents"])
        assert any(o.title.startswith("Element 1") for o in flat)
        for doc in m["documents"]:
            item = next(o for o in nested if o.title.startswith(doc["id"] + " "))
            assert reader.get_destination_page_number(item) + 1 == doc["binder_page"]
        meta = reader.metadata
        assert m["company"] in meta.title and meta.author == m["company"]


def test_binder_pdf_is_byte_identical_when_rebuilt(tmp_path, binders):
    folder, m = binders[1]
    [again] = run_build(BuildOptions(profiles=(PROFILES / "solo-spark-electric.yaml",), out=tmp_path, as_of=date(2026, 2, 1)))
    assert again.ok
    assert sha256(tmp_path / again.slug / "binder.pdf") == sha256(folder / "binder.pdf")
    assert sha256(tmp_path / again.slug / "binder.docx") == sha256(folder / "binder.docx")


def test_word_binder_contents_carry_the_pdf_pages_and_a_tc_entry_per_document(binders):
    for folder, m in binders:
        doc = Document(str(folder / m["binder"]["docx"]))
        xml = doc.element.xml
        assert 'TOC \\f \\l "1-2"' in xml and 'w:dirty="true"' in xml
        lines = {p.text.rsplit("\t", 1)[0]: p.text.rsplit("\t", 1)[1] for p in doc.paragraphs[:400] if "\t" in p.text}
        for entry in m["documents"]:
            label = f"{entry['id']} {entry['title']}"
            assert lines.get(label) == str(entry["binder_page"]), label
            assert f'TC "{label}"' in xml
        elements = {d["element"] for d in m["documents"]}
        assert xml.count(" TC ") == len(m["documents"]) + len(elements)


def test_word_binder_keeps_each_documents_header_footer_and_orientation(binders):
    for folder, m in binders:
        binder = Document(str(folder / m["binder"]["docx"]))
        elements = {d["element"] for d in m["documents"]}
        sections = binder.sections
        assert len(sections) == 1 + len(elements) + len(m["documents"])   # cover, dividers, documents
        by_title = {}
        for section in sections:
            header = "\n".join(p.text for t in section.header.tables for row in t.rows for c in row.cells for p in c.paragraphs)
            header += "\n".join(p.text for p in section.header.paragraphs)
            footer = "\n".join(p.text for t in section.footer.tables for row in t.rows for c in row.cells for p in c.paragraphs)
            footer += "\n".join(p.text for p in section.footer.paragraphs)
            by_title[header + footer] = section
        for entry in m["documents"]:
            own = Document(str(folder / entry["pdf"]).replace(".pdf", ".docx")).sections[0]
            match = [s for text, s in by_title.items() if f"{entry['id']}: {entry['title']}" in text]
            assert match, f"{entry['id']}: no section in binder.docx with its own header or footer"
            assert (match[0].orientation, match[0].page_width) == (own.orientation, own.page_width), entry["id"]


def test_word_binder_has_every_document(binders):
    for folder, m in binders:
        text = body_text(folder / m["binder"]["docx"])
        for doc in m["documents"]:
            assert doc["title"] in text


def test_rebuild_converts_only_changed_documents_and_keeps_the_binder_right(tmp_path, monkeypatch):
    import secor_docs.assemble as assemble

    profile = tmp_path / "solo.yaml"
    profile.write_text((PROFILES / "solo-spark-electric.yaml").read_text())
    out = tmp_path / "out"
    [first] = run_build(BuildOptions(profiles=(profile,), out=out, as_of=date(2026, 2, 1)))
    assert first.ok
    first_manifest = json.loads((out / first.slug / "manifest.json").read_text())
    profile.write_text(profile.read_text().replace("check_in_interval_minutes: 90", "check_in_interval_minutes: 45"))
    converted = []
    real = assemble.convert_to_pdf

    def spy(files, outdir, **kw):
        converted.extend(f.name for f in files)
        return real(files, outdir, **kw)

    monkeypatch.setattr(assemble, "convert_to_pdf", spy)
    [again] = run_build(BuildOptions(profiles=(profile,), out=out, as_of=date(2026, 2, 1)))
    assert again.ok
    m = json.loads((out / again.slug / "manifest.json").read_text())
    revised = {Path(d["docx"]).name for d in m["documents"] if d["revision"] == 2}
    assert revised and revised <= set(converted)
    # Front matter is converted again only where it prints page numbers that moved (a revised document grew);
    # the cover and the unrevised documents are reused.
    before = {d["id"]: d["pages"] for d in first_manifest["documents"]}
    grew = any(d["pages"] != before[d["id"]] for d in m["documents"])
    front = set(converted) - revised
    assert all(name.startswith(("01 contents", "10 divider")) for name in front), front
    assert bool(front) == grew
    reader = PdfReader(str(out / again.slug / "binder.pdf"))
    contents = "\n".join(reader.pages[i].extract_text() for i in range(1, 3))
    for doc in m["documents"]:
        assert doc["id"] in _first_page_of(reader, doc["binder_page"])
        line = re.search(re.escape(doc["id"]) + r"\s.*?(\d+)\s*$", contents, re.M)
        assert line and int(line.group(1)) == doc["binder_page"]


def test_word_binder_composed_beside_the_conversions_is_the_same_file(tmp_path, binders):
    folder, m = binders[1]                                   # solo-spark, composed after its PDFs (one core per build)
    [alone] = run_build(BuildOptions(profiles=(PROFILES / "solo-spark-electric.yaml",), out=tmp_path, as_of=date(2026, 2, 1), jobs=2))
    assert alone.ok
    assert sha256(tmp_path / alone.slug / "binder.docx") == sha256(folder / "binder.docx")
    assert sha256(tmp_path / alone.slug / "binder.pdf") == sha256(folder / "binder.pdf")


def test_relative_output_folder_as_the_cli_default(tmp_path, monkeypatch):
    """`--out build` is relative; LibreOffice runs inside the work folder, so paths must not depend on the cwd."""
    from click.testing import CliRunner

    from secor_docs.cli import main

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", str(PROFILES / "tiny-books.yaml"), "--as-of", "2026-02-01"])
    assert result.exit_code == 0, result.output
    m = json.loads((tmp_path / "build" / "tiny-books-co" / "manifest.json").read_text())
    assert m["binder"]["pages"] == len(PdfReader(str(tmp_path / "build" / "tiny-books-co" / "binder.pdf")).pages)
    assert all((tmp_path / "build" / "tiny-books-co" / d["pdf"]).is_file() for d in m["documents"])
