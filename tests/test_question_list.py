"""A consultant's own copy of a partner's question list (CSV or YAML) replaces the built-in one."""
import csv
import json
import shutil
from datetime import date

import pytest
from click.testing import CliRunner

from secor_docs.cli import main
from secor_docs.errors import ProfileError
from secor_docs.frameworks import load_framework
from secor_docs.pipeline import BuildOptions, plan_build, run_build
from secor_docs.questions import export_csv, load_question_list

from conftest import ROOT

FW = ROOT / "tests" / "profiles"


@pytest.mark.parametrize("key", ["ACSA", "ESC", "AASP", "GENERIC"])
def test_exported_question_list_loads_back_unchanged(tmp_path, key):
    fw = load_framework(key)
    path = tmp_path / f"{key}.csv"
    path.write_text(export_csv(fw), encoding="utf-8")
    loaded, unfiled = load_question_list(path, fw)
    assert loaded.elements == fw.elements and unfiled == []
    assert loaded.source == str(path) and loaded.certificates == fw.certificates
    if key != "GENERIC":   # GENERIC's own filing keeps documents no question of theirs names in the 8-element homes
        assert loaded.sections().file_under == fw.sections().file_under


def _profile_with(tmp_path, questions_name: str, text: str | None = None, suffix="csv"):
    """The ESC test profile in a fresh folder, naming a question list beside it."""
    profile = tmp_path / "profile.yaml"
    base = (FW / "fw-esc-maintenance-new-program.yaml").read_text()
    profile.write_text(base.replace("schema_version: 1\n", f"schema_version: 1\naudit_questions: {questions_name}\n"))
    if text is not None:
        (tmp_path / questions_name).write_text(text, encoding="utf-8")
    return profile


def test_round_trip_build_gives_the_same_binder_and_index(tmp_path):
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    (tmp_path / "q").mkdir()
    profile = _profile_with(tmp_path / "q", "esc.csv", export_csv(load_framework("ESC")))
    [a] = run_build(BuildOptions(profiles=(FW / "fw-esc-maintenance-new-program.yaml",), out=out_a, as_of=date(2026, 2, 1), pdf=False))
    [b] = run_build(BuildOptions(profiles=(profile,), out=out_b, as_of=date(2026, 2, 1), pdf=False))
    assert a.ok and b.ok, (a.error, b.error)
    ma = json.loads((out_a / a.slug / "manifest.json").read_text())
    mb = json.loads((out_b / b.slug / "manifest.json").read_text())
    assert [(d["id"], d["element"]) for d in ma["documents"]] == [(d["id"], d["element"]) for d in mb["documents"]]
    assert (out_a / a.slug / "evidence-index.csv").read_text() == (out_b / b.slug / "evidence-index.csv").read_text()


def test_a_loaded_list_numbers_the_index_and_shapes_the_binder(tmp_path):
    [r] = run_build(BuildOptions(profiles=(FW / "fw-acsa-real-questions.yaml",), out=tmp_path, as_of=date(2026, 2, 1), pdf=False))
    assert r.ok, r.error
    folder = tmp_path / r.slug
    rows = list(csv.DictReader((folder / "evidence-index.csv").open(encoding="utf-8")))
    assert [(x["element_id"], x["question_id"]) for x in rows] == [
        ("1", "1.01"), ("1", "1.02"), ("2", "2.01"), ("2", "2.02"), ("3", "3.01"), ("4", "4.01")]
    by_q = {x["question_id"]: x for x in rows}
    assert by_q["1.01"]["directive_documents"].startswith("POL-001 Health and Safety Policy")   # like: "1.1"
    assert by_q["1.02"]["records_required"] == "Signed health and safety policy acknowledgements"
    assert by_q["2.02"]["directive_documents"].startswith("SWP-01 to SWP-05 (5 documents: Safe Work Practice); SJP-01")
    assert by_q["3.01"]["element"] == "Emergency response" and "ERP-01" in by_q["3.01"]["directive_documents"]
    m = json.loads((folder / "manifest.json").read_text())
    filed = {d["id"]: d["element"] for d in m["documents"]}
    assert filed["ERP-01"] == "3" and filed["SJP-01"] == "2" and filed["IDX-001"] == "4" and filed["POL-000"] == "1"
    assert filed["POL-010"] == "4"   # named by no question: the last element, and a finding says so
    [note] = [w for w in m["warnings"] if w["code"] == "question-list-unfiled-documents"]
    assert "POL-010" in note["documents"] and note["severity"] == "note"
    index_text = (folder / "documents").glob("IDX-001 *.docx")
    from docx_text import body_text
    text = body_text(next(index_text))
    assert "Element 3: Emergency response (weight 20.0%)" in text and "consultant's copy" in text


def test_settings_file_names_a_list_per_partner(tmp_path, monkeypatch):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "esc.csv").write_text(
        "element_id,element,question_id,question,like\nA,Policy,A-1,Is there a policy?,A.1\nB,Hazards,B-1,Assessments?,B.5\n")
    (tmp_path / "settings.yaml").write_text("audit_questions:\n  ESC: lists/esc.csv\n")
    monkeypatch.setenv("SECOR_DOCS_SETTINGS", str(tmp_path / "settings.yaml"))
    plan = plan_build(FW / "fw-esc-maintenance-new-program.yaml", date(2026, 2, 1))
    assert [q.id for e in plan.framework.elements for q in e.questions] == ["A-1", "B-1"]
    assert plan.framework.element("B").questions[0].documents == load_framework("ESC").element("B").questions[4].documents
    plan = plan_build(FW / "fw-acsa-first-one-year.yaml", date(2026, 2, 1))   # another partner: built-in list
    assert plan.framework.source == ""


BAD = [
    ("element_id,element,question_id,question,documents\n1,Policy,1.1,Policy?,health_safety_policy\n"
     "1,Policy,1.2,Rules?,company_rulez\n", "q.csv:3:5: documents: unknown document 'company_rulez'"),
    ("element_id,element,question_id,question\n1,Policy,1.1,Policy?\n1,Policy,1.1,Again?\n",
     "q.csv:3:3: question_id: question 1.1 is already listed on line 2"),
    ("element_id,element,question,technique\n", "q.csv:1:1: missing column(s) question_id in the header row"),
    ("element_id,element,question_id,question,technique\n1,Policy,1.1,Policy?,phone call\n",
     "q.csv:2:5: technique: expected documentation, interview or observation (or D, I, O); got 'phone call'"),
    ("element_id,element,question_id,question,like\n1,Policy,1.1,Policy?,Z9\n",
     "q.csv:2:5: like: no built-in ESC question 'Z9'"),
]


@pytest.mark.parametrize("text, expected", BAD)
def test_a_bad_question_file_is_one_line_with_file_and_line_and_nothing_is_written(tmp_path, text, expected):
    profile = _profile_with(tmp_path, "q.csv", text)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(profile), "--out", str(out), "--as-of", "2026-02-01", "--no-pdf"])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if "q.csv:" in line]
    assert len(errors) == 1 and expected in errors[0], lines
    assert not out.exists() or not any(p for p in out.rglob("*") if p.is_file() and p.name != "portfolio.csv")


def test_a_bad_yaml_list_names_its_line_and_the_partner(tmp_path):
    text = "partner: ACSA\nelements:\n  - id: A\n    name: Policy\n    questions:\n      - {id: A1, text: Policy?}\n"
    profile = _profile_with(tmp_path, "q.yaml", text)
    with pytest.raises(ProfileError) as e:
        plan_build(profile, date(2026, 2, 1))
    assert e.value.lines() == [f"{tmp_path / 'q.yaml'}:1:1: partner: this question list is for ACSA; the profile's "
                               f"certifying partner is ESC"]


def test_a_missing_question_file_is_an_error_naming_it(tmp_path):
    profile = _profile_with(tmp_path, "nowhere.csv")
    with pytest.raises(ProfileError) as e:
        plan_build(profile, date(2026, 2, 1))
    assert "nowhere.csv" in e.value.lines()[0] and len(e.value.lines()) == 1


def test_changing_the_question_file_rebuilds(tmp_path):
    folder = tmp_path / "p"
    (folder / "question-lists").mkdir(parents=True)
    shutil.copy(FW / "question-lists" / "fw-acsa-2023.yaml", folder / "question-lists")
    profile = folder / "fw-acsa-real-questions.yaml"
    shutil.copy(FW / "fw-acsa-real-questions.yaml", profile)
    out = tmp_path / "out"
    [first] = run_build(BuildOptions(profiles=(profile,), out=out, as_of=date(2026, 2, 1), pdf=False))
    questions = folder / "question-lists" / "fw-acsa-2023.yaml"
    questions.write_text(questions.read_text().replace('"Emergency response"', '"Emergency preparedness"'))
    [second] = run_build(BuildOptions(profiles=(profile,), out=out, as_of=date(2026, 2, 1), pdf=False))
    assert first.ok and second.ok
    rows = list(csv.DictReader((out / second.slug / "evidence-index.csv").open(encoding="utf-8")))
    assert "Emergency preparedness" in {r["element"] for r in rows}


def test_questions_command_writes_the_built_in_list():
    result = CliRunner().invoke(main, ["questions", "AASP"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(result.output.splitlines()))
    assert len(rows) == sum(len(e.questions) for e in load_framework("AASP").elements)
    assert rows[0]["question_id"] == "1.1" and rows[0]["weight"] == "10"
    bad = CliRunner().invoke(main, ["questions", "NOPE"])
    assert bad.exit_code == 1 and "no certifying partner 'NOPE'" in bad.output
