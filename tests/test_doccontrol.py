"""Document control over time: true revision reasons, future starters, the annual renewal, small re-sign sets,
overdue documents in `check`, and fingerprints that cover the code. Each test builds (Word only) and opens the
produced manifest, CHANGES.md and DOCX files."""
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from secor_docs.cli import main
from secor_docs.pipeline import BuildOptions, run_build

from conftest import mutate
from docx_text import body_text as docx_text

SLUG = "prairie-peak-roofing-ltd"
GENERIC = ("Wording updated", "Updated to follow the profile", "templates or built-in data changed")
# The documents whose job is to list people, and the three that list every document's revision.
# Emergency response plans, drill records and the fall protection plan name the rescuers, first aid documents the
# first aiders.
LISTS_PEOPLE = {"roles_responsibilities", "position_task_inventory", "formal_hazard_assessment:roofer", "training_matrix",
                "competency_verification", "acknowledgement_sheets", "orientation_checklist", "emergency_drill_record",
                "first_aid_record", "emergency_response_plan:Shop and yard",
                "emergency_response_plan:Client job sites (central Alberta)", "first_aid_assessment:Shop and yard",
                "first_aid_assessment:Client job sites (central Alberta)",
                # fall protection and confined space programs name the designated rescuers (trained ones only)
                "fall_protection_plan", "respiratory_code_of_practice", "noise_management_program",
                "confined_space_code_of_practice"}
LISTS_REVISIONS = {"document_register", "program_approval", "acknowledgement_sheets"}
# The program gaps page and the corrective action log list every gap: a new worker's training, an expired ticket.
LISTS_GAPS = {"program_gaps", "corrective_action_log"}


def worker(name: str, start: str) -> str:
    return f'''  - name: "{name}"
    role: worker
    position: roofer
    employment: full_time
    start_date: {start}
  - name: "Priya Nand"'''


def build(profile: Path, out: Path, as_of: str, **kw):
    [result] = run_build(BuildOptions(profiles=(profile,), out=out, as_of=date.fromisoformat(as_of), pdf=False, **kw))
    assert result.ok, result.error
    return json.loads((out / SLUG / "manifest.json").read_text())


def changes_md(out: Path) -> str:
    return (out / SLUG / "CHANGES.md").read_text()


def text_of(out: Path, manifest: dict, ident: str) -> str:
    [doc] = [d for d in manifest["documents"] if d["ident"] == ident]
    return docx_text(out / SLUG / doc["docx"])


def revised(before: dict, after: dict) -> dict[str, str]:
    """ident -> reason, for documents whose revision went up."""
    old = {d["ident"]: d for d in before["documents"]}
    return {d["ident"]: d["history"][-1]["change"] for d in after["documents"]
            if d["ident"] in old and d["revision"] != old[d["ident"]]["revision"]}


def assert_one_revision_one_content(before: dict, after: dict) -> None:
    """A document whose bytes changed has a new revision, or a review recorded in its history."""
    old = {d["ident"]: d for d in before["documents"]}
    for d in after["documents"]:
        o = old.get(d["ident"])
        if o and o["sha256"] != d["sha256"]:
            assert d["revision"] != o["revision"] or len(d["history"]) > len(o["history"]), d["ident"]


@pytest.fixture
def first(tmp_path, example_text):
    profile = tmp_path / "profile.yaml"
    profile.write_text(example_text)
    out = tmp_path / "out"
    return profile, out, build(profile, out, "2026-02-01")


def test_unchanged_profile_a_day_later_changes_only_what_prints_the_date(first):
    profile, out, m1 = first
    m2 = build(profile, out, "2026-02-02")
    reasons = revised(m1, m2)
    # Nothing printed depends on the day itself (the approval page shows the audit on its earliest booking date,
    # not on the build date), and no status changes between these two days.
    assert reasons == {}, reasons
    unchanged = [d for d in m2["documents"] if d["ident"] not in reasons]
    before = {d["ident"]: d for d in m1["documents"]}
    assert all(d["sha256"] == before[d["ident"]]["sha256"] and d["revision"] == before[d["ident"]]["revision"]
               for d in unchanged)
    # a program gap found yesterday keeps its due date
    assert [w.get("due") for w in m2["warnings"] if w.get("code")] == [w.get("due") for w in m1["warnings"] if w.get("code")]


def test_a_date_dependent_change_is_named(first):
    """Tyler Brandt's fall protection expires on 2026-04-20: the training matrix says so, nothing generic."""
    profile, out, m1 = first
    m2 = build(profile, out, "2026-04-21")
    reasons = revised(m1, m2)
    assert "Tyler Brandt's Fall Protection expired on 2026-04-20" in reasons["training_matrix"]
    assert not any(g in r for r in reasons.values() for g in GENERIC), reasons
    assert set(reasons) <= LISTS_PEOPLE | LISTS_REVISIONS | LISTS_GAPS, sorted(set(reasons) - LISTS_PEOPLE - LISTS_REVISIONS - LISTS_GAPS)
    assert "Status checked on 2026-04-21" in text_of(out, m2, "training_matrix")
    assert "Tyler Brandt's Fall Protection expired on 2026-04-20" in changes_md(out)
    assert_one_revision_one_content(m1, m2)


def test_a_template_change_is_named(first, tmp_path):
    from secor_docs.authoring import Compiler
    from secor_docs.determinism import normalise_docx

    profile, out, m1 = first
    overrides = tmp_path / "overrides"
    policy = overrides / "policies" / "health-safety-policy.docx"
    policy.parent.mkdir(parents=True)
    Compiler("# Our policy\n{{ company.legal_name }} keeps people safe.\n", "policy").compile().save(str(policy))
    normalise_docx(policy)
    m2 = build(profile, out, "2026-02-01", templates=(overrides,))
    reasons = revised(m1, m2)
    assert reasons["health_safety_policy"] == "template policies/health-safety-policy.docx changed"
    assert set(reasons) <= {"health_safety_policy"} | LISTS_REVISIONS


def test_one_added_worker_revises_only_the_lists_of_people(first):
    profile, out, m1 = first
    profile.write_text(mutate(profile.read_text(), '  - name: "Priya Nand"', worker("Lee Chen", "2026-01-05")))
    m2 = build(profile, out, "2026-02-01")
    reasons = revised(m1, m2)
    assert set(reasons) <= LISTS_PEOPLE | LISTS_REVISIONS | LISTS_GAPS, sorted(set(reasons) - LISTS_PEOPLE - LISTS_REVISIONS - LISTS_GAPS)
    assert len(reasons) <= 10  # was 37 of 82 when every practice and procedure printed names
    assert reasons["formal_hazard_assessment:roofer"] == "Added Lee Chen (Roofer)"
    assert "Lee Chen" in text_of(out, m2, "training_matrix")
    practice = text_of(out, m2, "safe_work_practice:fall_from_height")
    assert "Lee Chen" not in practice and "Tyler Brandt" not in practice and "Roofer" in practice
    assert_one_revision_one_content(m1, m2)


def test_future_starter_is_listed_with_the_start_date_and_starting_is_a_named_change(first):
    profile, out, m1 = first
    profile.write_text(mutate(profile.read_text(), '  - name: "Priya Nand"', worker("Lee Chen", "2026-03-01")))
    m2 = build(profile, out, "2026-02-01")
    assert "Added Lee Chen (Roofer), starting on 2026-03-01" in changes_md(out)
    for ident in ("roles_responsibilities", "training_matrix", "formal_hazard_assessment:roofer", "position_task_inventory"):
        assert "Lee Chen (starts 2026-03-01)" in text_of(out, m2, ident), ident
    # not relied on before the start date: not a first aider, not counted in the roster of current workers' duties
    assert "Lee Chen" not in text_of(out, m2, "first_aid_assessment:Shop and yard")
    m3 = build(profile, out, "2026-03-02")
    reasons = revised(m2, m3)
    assert reasons and all("Lee Chen started on 2026-03-01" in r for ident, r in reasons.items()
                           if ident in LISTS_PEOPLE - LISTS_REVISIONS), reasons
    roster = text_of(out, m3, "roles_responsibilities")
    assert "Lee Chen" in roster and "(starts 2026-03-01)" not in roster
    assert "Lee Chen started on 2026-03-01" in changes_md(out)


def test_annual_renewal_issues_the_new_edition(first):
    profile, out, m1 = first
    m2 = build(profile, out, "2027-02-01")
    assert not [d["id"] for d in m2["documents"] if d["next_review"] <= "2027-02-01"]
    assert all(d["next_review"] == "2028-02-01" for d in m2["documents"])
    old = {d["ident"]: d for d in m1["documents"]}
    kept = [d for d in m2["documents"] if d["revision"] == old[d["ident"]]["revision"]]
    assert kept, "an unchanged document keeps its revision"
    for d in m2["documents"]:
        last = d["history"][-1]
        assert last["date"] == "2027-02-01"
        assert "2027 edition" in last["change"]
        assert not any(g in last["change"] for g in GENERIC), last
        if d in kept:
            assert d["effective"] == "2026-02-01" and last["revision"] == d["revision"]
            assert "no change" in last["change"]
    policy = text_of(out, m2, "health_safety_policy")
    assert "Our goals for 2027" in policy and "Our goals for 2026" not in policy
    review = text_of(out, m2, "annual_program_review")
    assert "From: 2027-02-01" in review and "To: 2028-02-01" in review
    assert "2027 edition" in text_of(out, m2, "program_approval")
    changes = changes_md(out)
    assert "This build issues the 2027 edition" in changes and "reviewed without change" in changes
    # an unchanged document shows the review in its own revision history
    doc = kept[0]
    assert "Reviewed for the 2027 edition of the program: no change" in docx_text(out / SLUG / doc["docx"])
    assert_one_revision_one_content(m1, m2)


def test_check_names_documents_past_their_review_date(first):
    profile, out, _ = first
    runner = CliRunner()
    args = ["check", str(profile), "--evidence", str(out / SLUG / "evidence")]
    late = runner.invoke(main, args + ["--as-of", "2027-03-01"])
    assert late.exit_code == 1
    assert "Documents due for their annual review" in late.output
    assert "POL-001 Health and Safety Policy, rev. 1, review due 2027-02-01" in late.output
    build(profile, out, "2027-03-01")
    renewed = runner.invoke(main, args + ["--as-of", "2027-03-01"])
    assert "Documents due for their annual review" not in renewed.output


def test_evidence_index_keeps_binder_pages_out_of_its_controlled_content(first):
    _, out, m1 = first
    text = text_of(out, m1, "evidence_index")
    assert "Binder pages" not in text.splitlines() and "contents page" in text
    import re
    assert not re.search(r"\bp\. ?\d+|pages? \d+", text)


def test_fingerprint_covers_each_input(first, tmp_path, monkeypatch):
    import secor_docs.fingerprint as fp
    import secor_docs.pipeline as pipeline
    from secor_docs.pipeline import raw_inputs_key

    profile, out, _ = first
    options = BuildOptions(profiles=(profile,), out=out, as_of=date(2026, 2, 1), pdf=False)
    base = raw_inputs_key(profile, options)[1]
    plan = pipeline.plan_build(profile, date(2026, 2, 1))
    key = pipeline.inputs_key(plan, options)

    def differs(**changes) -> bool:
        from dataclasses import replace
        return raw_inputs_key(profile, replace(options, **changes))[1] != base

    assert differs(as_of=date(2026, 2, 2)) and differs(pdf=True) and differs(allow_ineligible=True)
    folder = tmp_path / "mine"
    (folder / "policies").mkdir(parents=True)
    (folder / "policies" / "x.docx").write_bytes(b"PK")
    assert differs(templates=(folder,))
    original = profile.read_text()
    profile.write_text(original + "\n# a comment\n")
    assert raw_inputs_key(profile, options)[1] != base
    profile.write_text(original)
    assert raw_inputs_key(profile, options)[1] == base
    # the tool's own code: every key moves with it
    monkeypatch.setattr(fp, "code_hash", lambda package=None: "another build of the code")
    assert raw_inputs_key(profile, options)[1] != base
    assert pipeline.inputs_key(plan, options) != key


def test_code_hash_follows_the_package_files(tmp_path):
    from secor_docs.fingerprint import code_hash, tree_hash

    package = tmp_path / "pkg"
    (package / "data").mkdir(parents=True)
    (package / "mod.py").write_text("x = 1\n")
    (package / "data" / "hazards.yaml").write_text("a: 1\n")
    first = tree_hash(package)
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    assert tree_hash(package) == first  # compiled caches do not count
    (package / "mod.py").write_text("x = 2\n")
    second = tree_hash(package)
    assert second != first
    (package / "data" / "hazards.yaml").write_text("a: 2\n")
    assert tree_hash(package) != second
    assert len(code_hash()) == 64


def test_calendar_follows_the_program_schedule(first):
    from icalendar import Calendar

    _, out, m1 = first
    cal = Calendar.from_ical((out / SLUG / "records-calendar.ics").read_bytes())
    events = {str(e.get("summary")): e for e in cal.walk("VEVENT")}
    meeting = events["Safety meeting (record minutes and attendance)"]
    assert meeting.decoded("dtstart") == date(2026, 2, 1)  # the program's first day, then every week
    assert meeting.get("rrule")["FREQ"] == ["WEEKLY"]
    drill = events["Emergency response drill"]
    assert drill.decoded("dtstart") == date(2026, 2, 1) and drill.get("rrule")["INTERVAL"] == [6]
    review = events["Annual health and safety policy and program review"]
    assert review.decoded("dtstart") == date(2027, 2, 1)
    assert "Formal hazard assessment review: Lead Roofer / Supervisor" in events
    assert not any("lead_roofer" in s or "owner_estimator" in s for s in events)  # no internal keys
    due = events[f"Document review due: {len(m1['documents'])} documents"]
    assert due.decoded("dtstart") == date(2027, 2, 1) and "POL-001" in str(due.get("description"))
    assert events["Training expires: Tyler Brandt, Fall Protection"].decoded("dtstart") == date(2026, 4, 20)
    for summary in ("Safety meeting (record minutes and attendance)", "Workplace inspection: Shop and yard",
                    "Emergency response drill", "Annual health and safety policy and program review",
                    "Training expires: Tyler Brandt, Fall Protection"):
        [alarm] = [c for c in events[summary].subcomponents if c.name == "VALARM"]
        assert alarm.decoded("trigger") < timedelta(0), summary
