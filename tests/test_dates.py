"""Dates in document control (issue 16): a revision's issue date apart from the program's effective date (no
backdating), no printed date that moves with --as-of unless the content really changed (findings keep the date they
were first found and their due date; overdue findings say so), and `build --renew`.

The profile (tests/profiles/dates-fence-deck.yaml) takes effect on 2026-09-01 and is first built on 2026-10-01;
Dev Sandhu's fall protection expires on 2026-12-01 (60-day warning from 2026-10-02), Mia Larocque's on 2026-11-08.
Each test builds Word files only and reads the manifest, CHANGES.md and the DOCX text."""
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from secor_docs.cli import main
from secor_docs.edition import Edition, plan_edition
from secor_docs.findings import Finding, Severity, carry_forward
from secor_docs.pipeline import BuildOptions, run_build

from conftest import ROOT
from docx_text import body_text

PROFILE = ROOT / "tests" / "profiles" / "dates-fence-deck.yaml"
SLUG = "kestrel-fence-and-deck-ltd"
D = "2026-10-01"
GENERIC = ("Wording updated", "templates or built-in data changed", "content that depends on the date changed",
           "text changed:", "The build date moved")
LISTS_REVISIONS = {"document_register", "program_approval", "acknowledgement_sheets"}


def build(out: Path, as_of: str, **kw) -> dict:
    [result] = run_build(BuildOptions(profiles=(PROFILE,), out=out, as_of=date.fromisoformat(as_of), pdf=False, **kw))
    assert result.ok, result.error
    return json.loads((out / SLUG / "manifest.json").read_text())


def text(out: Path, manifest: dict, ident: str) -> str:
    [doc] = [d for d in manifest["documents"] if d["ident"] == ident]
    return body_text(out / SLUG / doc["docx"])


def kept_text(folder: Path, manifest: dict, ident: str) -> str:
    """A document of one build of the chain (each build is copied to its own folder)."""
    return body_text(folder / next(d["docx"] for d in manifest["documents"] if d["ident"] == ident))


def revised(before: dict, after: dict) -> dict[str, str]:
    old = {d["ident"]: d for d in before["documents"]}
    return {d["ident"]: d["history"][-1]["change"] for d in after["documents"]
            if d["ident"] in old and d["revision"] != old[d["ident"]]["revision"]}


def assert_consistent(before: dict, after: dict, out: Path) -> None:
    """Bytes change only with a new revision or a recorded review; the lists of revisions show the final ones."""
    old = {d["ident"]: d for d in before["documents"]}
    for d in after["documents"]:
        o = old[d["ident"]]
        if o["sha256"] != d["sha256"]:
            assert d["revision"] != o["revision"] or len(d["history"]) > len(o["history"]), d["ident"]
    approval = kept_text(out, after, "program_approval")
    for d in after["documents"]:
        assert f"{d['id']}\n{d['title']}\n{d['revision']}\n" in approval, d["id"]


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """The unchanged profile built on D, D+1, D+7 and D+40 into one folder; a copy of each build is kept."""
    out = tmp_path_factory.mktemp("dates")
    builds = {}
    for label, as_of in (("D", D), ("D+1", "2026-10-02"), ("D+7", "2026-10-08"), ("D+40", "2026-11-10")):
        builds[label] = build(out, as_of)
        shutil.copytree(out / SLUG, out / label)
    return out, builds


def test_first_build_is_issued_on_the_build_date_and_takes_effect_with_the_program(chain):
    out, builds = chain
    m = builds["D"]
    for d in m["documents"]:
        assert d["issued"] == D and d["effective"] == "2026-09-01" and d["next_review"] == "2027-09-01", d["id"]
        assert d["history"] == [{"revision": 1, "date": D, "change": "First issue", "approved_by": "Rhea Kowalczyk"}]
    matrix = kept_text(out / "D", m, "training_matrix")
    assert "Status was checked on October 1, 2026, the date this revision was issued" in matrix
    assert "Status checked on 2026-10-01" in matrix and "September 1, 2026" in matrix  # header: effective date
    assert "Rev.\nDate issued\nWhat changed" in matrix and "1\nOctober 1, 2026\nFirst issue" in matrix
    # Mia's ticket expires on 2026-11-08: not yet expired when checked on October 1
    assert "2023-11-08\n2026-11-08\nExpires soon (2026-11-08)" in matrix
    hazard = kept_text(out / "D", m, "formal_hazard_assessment:carpenter")
    assert "Prepared\nOctober 1, 2026, by Rhea Kowalczyk" in hazard
    assert "issued at revision 1 on 2026-10-01, effective 2026-09-01" in (out / "D" / "CHANGES.md").read_text()
    register = kept_text(out / "D", m, "document_register")
    assert "POL-001\nHealth and Safety Policy\n1\n1\n2026-10-01\n2026-09-01\n2027-09-01" in register
    assert m["edition"] == {"name": "2026 edition", "start": "2026-09-01", "review_due": "2027-09-01",
                            "issued_early": False, "program_effective": "2026-09-01"}


def test_a_day_later_only_the_real_date_change_revises(chain):
    out, builds = chain
    reasons = revised(builds["D"], builds["D+1"])
    assert set(reasons) - LISTS_REVISIONS == {"program_gaps", "training_matrix", "corrective_action_log"}, reasons
    warning = "Dev Sandhu's Fall Protection is due for renewal: it expires on 2026-12-01, within 60 days"
    assert all(reasons[k] == warning for k in ("program_gaps", "training_matrix", "corrective_action_log")), reasons
    assert not any(g in r for r in reasons.values() for g in GENERIC), reasons
    assert_consistent(builds["D"], builds["D+1"], out / "D+1")


def test_a_week_later_nothing_changes(chain):
    _, builds = chain
    before = {d["ident"]: (d["sha256"], d["revision"]) for d in builds["D+1"]["documents"]}
    assert {d["ident"]: (d["sha256"], d["revision"]) for d in builds["D+7"]["documents"]} == before


def test_forty_days_later_each_revision_names_its_cause(chain):
    out, builds = chain
    reasons = revised(builds["D+7"], builds["D+40"])
    expired = "Mia Larocque's Fall Protection expired on 2026-11-08"
    assert set(reasons) - LISTS_REVISIONS == {"program_gaps", "training_matrix", "corrective_action_log",
                                              "emergency_response_plan:Shop", "emergency_response_plan:Client yards",
                                              "emergency_drill_record", "fall_protection_plan"}, reasons
    assert all(expired in r for k, r in reasons.items() if k not in LISTS_REVISIONS), reasons
    assert "passed their due date (2026-10-31) and are now shown as overdue" in reasons["program_gaps"]
    assert not any(g in r for r in reasons.values() for g in GENERIC), reasons
    assert_consistent(builds["D+7"], builds["D+40"], out / "D+40")


def test_findings_keep_the_date_found_and_the_due_date(chain):
    out, builds = chain
    first = {(w["code"], w["message"]): w for w in builds["D"]["warnings"] if w.get("found")}
    later = {(w["code"], w["message"]): w for w in builds["D+40"]["warnings"] if w.get("found")}
    kept = first.keys() & later.keys()
    assert len(kept) >= 10
    assert all(later[k]["due"] == first[k]["due"] and later[k]["found"] == D for k in kept)
    new = [w for k, w in later.items() if k not in first]
    assert new and all(w["found"] in ("2026-10-02", "2026-11-10") for w in new), new
    # the corrective action log says when each was found; the gaps page and the log mark the overdue ones
    log = kept_text(out / "D+40", builds["D+40"], "corrective_action_log")
    assert re.search(r"\n2026-10-01\nGAP \d+\n", log) and "2026-10-31\nOverdue" in log
    gaps = kept_text(out / "D+40", builds["D+40"], "program_gaps")
    assert "by October 31, 2026\nOverdue" in gaps and "checked against the company profile on November 10, 2026" in gaps
    # a procedure still to write keeps the due date of its finding on the critical task list
    [due] = {w["due"] for w in builds["D"]["warnings"] if w["code"] == "procedure-to-write"}
    tasks = kept_text(out / "D+40", builds["D+40"], "critical_task_list")
    assert f"To write by {date.fromisoformat(due):%B} {date.fromisoformat(due).day}, {due[:4]}" in tasks


def test_a_year_on_renews_every_document_and_speaks_of_the_new_year(tmp_path):
    build(tmp_path, D)
    m = build(tmp_path, "2027-10-01")
    assert not [d["id"] for d in m["documents"] if d["next_review"] <= "2027-10-01"]
    assert {d["next_review"] for d in m["documents"]} == {"2028-09-01"}
    assert all("2027 edition" in d["history"][-1]["change"] for d in m["documents"])
    assert not any(g in d["history"][-1]["change"] for d in m["documents"] for g in GENERIC)
    policy = text(tmp_path, m, "health_safety_policy")
    assert "Our goals for 2027" in policy and "Our goals for 2026" not in policy


def test_renew_issues_the_new_edition_early(tmp_path):
    build(tmp_path, D)
    m = build(tmp_path, "2027-01-15", renew=True)
    assert m["edition"]["start"] == "2027-01-15" and m["edition"]["issued_early"] is True
    for d in m["documents"]:
        assert d["next_review"] == "2028-01-15", d["id"]
        assert "2027 edition of the program, issued early on 2027-01-15" in d["history"][-1]["change"], d["history"][-1]
    changes = (tmp_path / SLUG / "CHANGES.md").read_text()
    assert "This build issues the 2027 edition of the program early, before its review date 2027-09-01" in changes
    assert "Our goals for 2027" in text(tmp_path, m, "health_safety_policy")
    kept = next(d for d in m["documents"] if d["revision"] == 1)
    assert "Reviewed for the 2027 edition of the program, issued early on 2027-01-15: no change" in text(tmp_path, m, kept["ident"])
    # the next edition follows the early one: the old anniversary (2027-09-01) renews nothing
    later = build(tmp_path, "2027-09-02")
    assert revised(m, later) == {} or all("edition" not in r for r in revised(m, later).values())
    assert later["edition"]["start"] == "2027-01-15"


@pytest.mark.parametrize("first, as_of, says", [
    (None, "2026-10-01", "no earlier build to renew"),
    (D, "2026-12-01", "the 2026 edition started on 2026-09-01; editions are named by year"),
    (D, "2026-09-15", "is before the last build's (2026-10-01)"),
])
def test_renew_is_refused_where_it_makes_no_sense(tmp_path, first, as_of, says):
    if first:
        build(tmp_path, first)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".lock"}
    result = CliRunner().invoke(main, ["build", str(PROFILE), "--out", str(tmp_path), "--as-of", as_of, "--no-pdf", "--renew"])
    assert result.exit_code == 1
    [line] = [l for l in result.output.splitlines() if "--renew" in l]
    assert says in line and "Traceback" not in result.output
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".lock"} == before


def test_check_names_overdue_documents(tmp_path):
    build(tmp_path, D)
    args = ["check", str(PROFILE), "--evidence", str(tmp_path / SLUG / "evidence")]
    late = CliRunner().invoke(main, args + ["--as-of", "2027-09-02"])
    assert late.exit_code == 1
    assert "Documents due for their annual review" in late.output
    assert "POL-001 Health and Safety Policy, rev. 1, review due 2027-09-01" in late.output


def finding(message: str, due: str = "2026-11-01") -> Finding:
    return Finding("control-unconfirmed", Severity.WARNING, message, "Confirm them.", "Owner", date.fromisoformat(due))


def test_carry_forward_keeps_found_and_due_dates():
    previous = {"as_of": "2026-10-01", "warnings": [
        {"code": "control-unconfirmed", "message": "19 of 29 controls for A are recommended.", "due": "2026-11-30", "found": "2026-10-01"},
        {"code": "control-unconfirmed", "message": "3 of 3 controls for B are recommended.", "due": "2026-11-30"},
        {"code": "build-note", "message": "a note", "due": None}]}
    kept = carry_forward([finding("18 of 29 controls for A are recommended.", "2026-12-30"),
                          finding("3 of 3 controls for B are recommended.", "2026-12-30"),
                          finding("5 of 5 controls for C are recommended.", "2026-12-30")], previous, date(2026, 10, 31))
    assert [(f.found, f.due) for f in kept] == [
        (date(2026, 10, 1), date(2026, 11, 30)),    # same finding, a number changed
        (date(2026, 10, 1), date(2026, 11, 30)),    # an older manifest without `found`: its build date
        (date(2026, 10, 31), date(2026, 12, 30))]   # new: found today, due as its rule says
    assert kept[0].overdue(date(2026, 12, 1)) and not kept[0].overdue(date(2026, 11, 30))


def test_plan_edition():
    eff = date(2026, 9, 1)
    previous = {"as_of": "2026-10-01"}
    assert plan_edition(eff, date(2027, 9, 1), previous) == (Edition(date(2027, 9, 1), date(2028, 9, 1)),
                                                              Edition(eff, date(2027, 9, 1)), None)
    edition, _, problem = plan_edition(eff, date(2027, 3, 1), previous, renew=True)
    assert problem is None and edition == Edition(date(2027, 3, 1), date(2028, 3, 1), early=True)
    # on or after the review date the renewal is due anyway: --renew changes nothing
    assert plan_edition(eff, date(2027, 9, 5), previous, renew=True)[0] == Edition(date(2027, 9, 1), date(2028, 9, 1))
    early = {"as_of": "2027-03-01", "edition": edition.as_dict(eff)}
    assert plan_edition(eff, date(2027, 9, 2), early)[0] == edition            # the early edition is still in force
    assert plan_edition(eff, date(2028, 3, 1), early)[0] == Edition(date(2028, 3, 1), date(2029, 3, 1))
    assert "takes effect on 2026-09-01" in plan_edition(eff, date(2026, 8, 1), {"as_of": "2026-07-01"}, True)[2]
