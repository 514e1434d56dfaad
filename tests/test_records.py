"""Typed document records: one document followed from plan to manifest through the stage functions, each stage
returning frozen records, and the renderer called once per document (twice only for one whose control the revision
decision changed). Word-only builds; the tests open the produced manifest and DOCX files."""
import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest

from secor_docs import documents
from secor_docs.documents import DocumentRenderer, plan_records
from secor_docs.manifest import build_manifest, write_manifest
from secor_docs.pipeline import BuildOptions, plan_build, run_build
from secor_docs.records import ADDED, KEPT, REVIEWED, REVISED, BinderFiles, Control
from secor_docs.revisions import LISTS_REVISIONS, docx_lines, issue_documents

from conftest import mutate

DAY1, DAY2 = date(2026, 2, 1), date(2026, 2, 2)
CONTRACT_KEYS = {"id", "title", "element", "kind", "docx", "pdf", "sha256", "revision", "effective", "next_review",
                 "binder_page", "pages"}


def stages(profile: Path, as_of: date, folder: Path, previous: dict | None, target: Path):
    """The document stages of `pipeline.write_outputs` without PDFs: plan, render and decide, manifest."""
    plan = plan_build(profile, as_of)
    planned = plan_records(plan, previous)
    folder.mkdir(parents=True, exist_ok=True)
    renderer = DocumentRenderer(plan)
    issued, report = issue_documents(plan, renderer, planned, folder, previous, target)
    manifest = build_manifest(plan, issued, None, BinderFiles(), folder, inputs=None, framework=plan.framework.key,
                              inputs_key=None, raw_inputs_key=None, warnings=[])
    write_manifest(folder, manifest)
    return plan, planned, issued, report, manifest, renderer


def test_one_document_from_plan_to_manifest(tmp_path, example_text):
    profile = tmp_path / "profile.yaml"
    profile.write_text(example_text)
    first = tmp_path / "first"

    # a first build: the working alone procedure is planned with its first issue, rendered once, added
    plan, planned, issued, report, manifest, _ = stages(profile, DAY1, first, None, first)
    [rec] = [r for r in planned if r.doc.key == "working_alone_procedure"]
    assert rec.previous is None
    # issued on --as-of, effective when the program edition starts (the same day here), reviewed with the program
    assert rec.control == Control.first_issue(DAY1, plan.edition.start, plan.edition.review_due, "Dana Whitfield")
    [doc] = [d for d in issued if d.doc.key == "working_alone_procedure"]
    assert (doc.planned, doc.status, doc.control, doc.reasons) == (rec, ADDED, rec.control, ())
    assert doc.docx == first / "documents" / f"{rec.doc.filename}.docx"
    assert "120 minutes" in "\n".join(docx_lines(doc.docx))
    [entry] = [e for e in manifest["documents"] if e["ident"] == rec.doc.ident]
    assert CONTRACT_KEYS <= set(entry)
    assert entry == {"id": rec.doc.id, "title": rec.doc.title, "element": rec.doc.element_id, "kind": rec.doc.kind,
                     "docx": f"documents/{rec.doc.filename}.docx", "pdf": None, "sha256": doc.sha256, "revision": 1,
                     "effective": "2026-02-01", "issued": "2026-02-01", "next_review": rec.control.next_review.isoformat(), "binder_page": None,
                     "pages": None, "ident": rec.doc.ident, "pdf_sha256": None,
                     "history": [{"revision": 1, "date": "2026-02-01", "change": "First issue",
                                  "approved_by": "Dana Whitfield"}]}
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.status = REVISED

    # a day later with a new check-in interval: planned with the control it carries, revised once, with the reason
    profile.write_text(mutate(example_text, "check_in_interval_minutes: 120", "check_in_interval_minutes: 60"))
    plan2, planned2, issued2, report2, manifest2, _ = stages(profile, DAY2, tmp_path / "second", manifest, first)
    [rec2] = [r for r in planned2 if r.doc.key == "working_alone_procedure"]
    assert rec2.control == rec.control and rec2.previous == entry
    [doc2] = [d for d in issued2 if d.doc.key == "working_alone_procedure"]
    reason = "Working alone check-in changed from 120 to 60 minutes"
    assert (doc2.status, doc2.control.revision, doc2.control.effective, doc2.control.issued) == (REVISED, 2, DAY2, DAY2)
    assert reason in doc2.reasons
    assert doc2.control.history[:1] == rec.control.history
    assert doc2.control.history[-1].change == "; ".join(doc2.reasons)
    text = "\n".join(docx_lines(doc2.docx))
    assert "60 minutes" in text and reason in text  # the revision history printed in the file names the reason
    [entry2] = [e for e in manifest2["documents"] if e["ident"] == rec.doc.ident]
    assert (entry2["revision"], entry2["effective"], entry2["issued"], entry2["sha256"]) == (2, "2026-02-02", "2026-02-02", doc2.sha256)
    assert entry2["history"][-1] == {"revision": 2, "date": "2026-02-02", "change": "; ".join(doc2.reasons),
                                     "approved_by": "Dana Whitfield"}
    assert any(line.startswith(f"{rec.doc.id} ") and reason in "; ".join(reasons) for line, reasons in report2.revised)

    # the health and safety policy does not print the interval: kept, same bytes, same control
    [policy1] = [d for d in issued if d.doc.key == "health_safety_policy"]
    [policy2] = [d for d in issued2 if d.doc.key == "health_safety_policy"]
    assert (policy2.status, policy2.control, policy2.sha256) == (KEPT, policy1.control, policy1.sha256)
    # the register lists revisions, so it is decided after the documents it lists and names them
    [register] = [d for d in issued2 if d.doc.key == "document_register"]
    assert register.status == REVISED and rec.doc.id in register.reasons[0]
    assert [d.doc.id for d in issued2] == [d.id for d in plan2.documents]  # manifest order is the catalog's


def test_annual_review_of_an_unchanged_document_keeps_its_revision():
    control = Control.first_issue(DAY1, DAY1, date(2027, 2, 1), "Dana Whitfield")
    reviewed = control.reviewed(date(2027, 2, 1), "Reviewed for the 2027 edition of the program: no change",
                                "Dana Whitfield", date(2028, 2, 1))
    assert (reviewed.revision, reviewed.effective, reviewed.issued, reviewed.next_review) == (1, DAY1, DAY1, date(2028, 2, 1))
    assert [h.revision for h in reviewed.history] == [1, 1] and control.history == reviewed.history[:1]
    revised = control.revised(DAY2, ["a", "b"], "Dana Whitfield", date(2027, 2, 2))
    assert (revised.revision, revised.issued, revised.effective, revised.history[-1].change) == (2, DAY2, DAY2, "a; b")
    # issued before the program starts: takes effect when it starts
    later = control.revised(DAY2, ["c"], "Dana Whitfield", date(2027, 3, 1), effective=date(2026, 3, 1))
    assert (later.issued, later.effective) == (DAY2, date(2026, 3, 1))


@pytest.fixture
def count_renders(monkeypatch):
    calls: list[str] = []
    real = documents.DocumentRenderer.render

    def counted(self, doc, *args, **kwargs):
        calls.append(doc.ident)
        return real(self, doc, *args, **kwargs)

    monkeypatch.setattr(documents.DocumentRenderer, "render", counted)
    return calls


def test_renderer_is_called_once_per_document_per_build(tmp_path, example_text, count_renders):
    profile = tmp_path / "profile.yaml"
    profile.write_text(example_text)
    out = tmp_path / "out"

    def build(as_of: date) -> dict:
        count_renders.clear()
        [result] = run_build(BuildOptions(profiles=(profile,), out=out, as_of=as_of, pdf=False, jobs=1))
        assert result.ok, result.error
        return json.loads(next(out.glob("*/manifest.json")).read_text())

    first = build(DAY1)
    idents = [d["ident"] for d in first["documents"]]
    assert sorted(count_renders) == sorted(idents)  # every document exactly once, the lists of revisions too

    profile.write_text(mutate(example_text, "check_in_interval_minutes: 120", "check_in_interval_minutes: 60"))
    second = build(DAY2)
    before = {d["ident"]: d for d in first["documents"]}
    changed = {d["ident"] for d in second["documents"] if len(d["history"]) != len(before[d["ident"]]["history"])}
    assert 3 < len(changed) < len(idents) / 2
    counts = {i: count_renders.count(i) for i in idents}
    # a document whose content is unchanged is rendered once; one with a new revision once more, with the new
    # revision history (see docs/internals.md, "One document from plan to manifest")
    assert {i for i, n in counts.items() if n == 1} == set(idents) - changed
    assert {i for i, n in counts.items() if n == 2} == changed
    assert {d["ident"] for d in second["documents"] if d["ident"].split(":")[0] in LISTS_REVISIONS} <= changed
