"""The certifying partner's framework shapes the binder: filing, dividers, contents and the evidence index agree."""
import csv
import json
from datetime import date

import pytest
from docx import Document
from pypdf import PdfReader

from secor_docs.catalog import load_catalog
from secor_docs.frameworks import load_framework
from secor_docs.pipeline import BuildOptions, run_build

from conftest import ROOT

FW = ROOT / "tests" / "profiles"
PROFILES = {"ACSA": "fw-acsa-first-one-year", "ESC": "fw-esc-maintenance-new-program",
            "AASP": "fw-aasp-three-year-planned", "GENERIC": "fw-generic-maintenance"}


@pytest.mark.parametrize("key", ["ACSA", "ESC", "AASP"])
def test_each_document_is_filed_under_an_element_whose_questions_name_it(key):
    fw = load_framework(key)
    sections = fw.sections()
    for doc in load_catalog().documents:
        naming = [e.id for e in fw.elements for q in e.questions if doc.key in q.documents]
        if naming:
            assert sections.file_under[doc.key] in naming, (doc.key, sections.file_under[doc.key], naming)


def test_generic_keeps_the_eight_catalog_elements():
    fw = load_framework("GENERIC")
    catalog = load_catalog()
    assert [(e.id, e.name.lower()) for e in fw.elements] == [(e.id, e.name.lower()) for e in catalog.elements]
    assert all(fw.sections().file_under[d.key] == d.element for d in catalog.documents)


def _docx_element(path):
    """The 'Audit element' cell of a document's control block."""
    for table in Document(str(path)).tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if "Audit element" in cells:
                return cells[cells.index("Audit element") + 1]
    raise AssertionError(f"{path.name}: no audit element in the control block")


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    out = tmp_path_factory.mktemp("frameworks")
    profiles = tuple(FW / f"{name}.yaml" for name in PROFILES.values())
    results = run_build(BuildOptions(profiles=profiles, out=out, as_of=date(2026, 2, 1), pdf=False))
    assert all(r.ok for r in results), [str(r.error) for r in results]
    return {key: out / r.slug for key, r in zip(PROFILES, results)}


@pytest.mark.parametrize("key", list(PROFILES))
def test_manifest_documents_and_evidence_index_follow_the_partners_elements(builds, key):
    fw = load_framework(key)
    order = [e.id for e in fw.elements]
    names = {e.id: e.name for e in fw.elements}
    folder = builds[key]
    m = json.loads((folder / "manifest.json").read_text())
    elements = [d["element"] for d in m["documents"]]
    assert all(isinstance(e, str) for e in elements)
    assert set(elements) <= set(order)
    positions = [order.index(e) for e in elements]
    assert positions == sorted(positions), "documents are not in the partner's element order"
    rows = list(csv.DictReader((folder / "evidence-index.csv").open(encoding="utf-8")))
    assert [r["element_id"] for r in rows] == [e.id for e in fw.elements for _ in e.questions]
    assert {r["element"] for r in rows} == set(names.values())
    assert set(elements) == {r["element_id"] for r in rows}, "an element has questions but no documents, or the reverse"
    # each document prints the element it is filed under, the same one the manifest and the index use
    # (forms carry a one-line control line instead of the control block, so they print no element)
    for d in m["documents"]:
        if d["kind"] != "form":
            assert _docx_element(folder / d["docx"]) == f"{d['element']}. {names[d['element']]}", d["id"]


def test_emergency_plan_sits_in_the_partners_emergency_element(builds):
    expected = {"ACSA": "11", "ESC": "F", "AASP": "8", "GENERIC": "6"}
    for key, folder in builds.items():
        m = json.loads((folder / "manifest.json").read_text())
        erp = [d for d in m["documents"] if d["id"].startswith("ERP-")]
        assert erp and {d["element"] for d in erp} == {expected[key]}, key
        rows = list(csv.DictReader((folder / "evidence-index.csv").open(encoding="utf-8")))
        erp_rows = [r for r in rows if "ERP-" in r["directive_documents"]]
        assert expected[key] in {r["element_id"] for r in erp_rows}, key


@pytest.mark.libreoffice
def test_pdf_and_word_dividers_carry_the_partners_elements(tmp_path):
    [r] = run_build(BuildOptions(profiles=(FW / "fw-esc-maintenance-new-program.yaml",), out=tmp_path,
                                 as_of=date(2026, 2, 1), jobs=2))
    assert r.ok, r.error
    folder = tmp_path / r.slug
    fw = load_framework("ESC")
    m = json.loads((folder / "manifest.json").read_text())
    used = [e for e in fw.elements if any(d["element"] == e.id for d in m["documents"])]
    reader = PdfReader(str(folder / "binder.pdf"))
    bookmarks = [o for o in reader.outline if not isinstance(o, list) and o.title.startswith("Element ")]
    assert [o.title for o in bookmarks] == [f"Element {e.id}: {e.name}" for e in used]
    for o, e in zip(bookmarks, used):
        page = reader.get_destination_page_number(o)
        text = " ".join(reader.pages[page].extract_text().split())
        assert f"Element {e.id}" in text and e.name in text            # the divider page itself
        members = [d for d in m["documents"] if d["element"] == e.id]
        assert min(d["binder_page"] for d in members) == page + 2       # documents follow their divider
    rows = list(csv.DictReader((folder / "evidence-index.csv").open(encoding="utf-8")))
    assert {r["element_id"] for r in rows} == {e.id for e in used}
    word = Document(str(folder / "binder.docx"))
    labels = [p.text.split("\t")[0] for p in word.paragraphs if p.text.startswith("Element ") and "\t" in p.text]
    assert labels == [f"Element {e.id}: {e.name}" for e in used]
