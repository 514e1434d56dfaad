"""Safe job procedures made of real steps, trade-triggered law and documents, PPE that fits the tasks.

The profiles in tests/profiles/proc-*.yaml are companies that are not among the samples: a hot-shot trucking
company, a family janitorial business, a landscaper with young seasonal workers and herbicide spraying, and an
owner-operator electrician with his own task names. Each binder is built without PDFs and read as an auditor would.
"""
import json
import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from secor_docs.assessment import critical_tasks
from secor_docs.cli import main
from secor_docs.library import load_library
from secor_docs.model import Task
from secor_docs.pipeline import BuildOptions, plan_build, run_build
from secor_docs.procedures import match_library_task, procedure_findings
from secor_docs.starter import Answers, starter_profile
from secor_docs.triggers import document_findings, triggered

from docx_text import body_text

HERE = Path(__file__).resolve().parent / "profiles"
PROFILES = sorted(HERE.glob("proc-*.yaml"))
AS_OF = date(2026, 3, 1)
PRETEND = re.compile(r"^Control [a-z].*:|Do the work as planned|Put on and check the required PPE", re.M)


@pytest.fixture(scope="module")
def binders(tmp_path_factory):
    out = tmp_path_factory.mktemp("procedures")
    results = run_build(BuildOptions(profiles=tuple(PROFILES), out=out, as_of=AS_OF, pdf=False, jobs=2))
    assert all(r.ok for r in results), [str(r.error) for r in results if not r.ok]
    built = {}
    for r in results:
        folder = out / r.slug
        m = json.loads((folder / "manifest.json").read_text())
        built[r.profile.stem] = {d["id"]: (d, folder / d["docx"]) for d in m["documents"]}
    return built


def text(binder, prefix):
    return "\n".join(body_text(p) for i, (_, p) in binder.items() if i.startswith(prefix))


def step_rows(path):
    """Rows of the steps table of a safe job procedure: (number, stage, what to do, hazard and control)."""
    for table in Document(str(path)).tables:
        head = [c.text for c in table.rows[0].cells]
        if head[:3] == ["#", "Stage", "What to do"]:
            return [[c.text for c in row.cells] for row in table.rows[1:]]
    return []


def test_every_safe_job_procedure_is_numbered_steps(binders):
    for name, binder in binders.items():
        sjps = [p for i, (_, p) in binder.items() if i.startswith("SJP-")]
        assert sjps, name
        for path in sjps:
            rows = step_rows(path)
            assert len(rows) >= 4, (name, path.name)
            assert [r[0] for r in rows] == [str(n) for n in range(1, len(rows) + 1)], (name, path.name)
            assert all(len(r[2]) > 20 for r in rows), (name, path.name)
            assert not PRETEND.search("\n".join(r[2] for r in rows)), (name, path.name)


def test_library_steps_carry_their_stage_hazard_and_control(binders):
    rows = step_rows(next(p for i, (d, p) in binders["proc-hotshot-trucking"].items()
                          if i.startswith("SJP-") and "Chain down pipe" in d["title"]))
    assert rows[0][1] == "Prepare" and any(r[1] == "Finish and clean up" for r in rows)
    assert any(r[3].startswith("Struck by") and "binder" in r[3].lower() for r in rows)


def test_critical_task_without_steps_gets_no_procedure_but_a_dated_item(binders):
    hotshot = binders["proc-hotshot-trucking"]
    titles = [d["title"] for d, _ in hotshot.values()]
    assert not any("Winch stuck equipment" in t for t in titles if t.startswith("Safe Job Procedure"))
    critical_list = text(hotshot, "HAZ-002")
    assert re.search(r"To write by March 31, 2026 \(Dale Kowalchuk\)", critical_list)
    # the company's own steps become the procedure, word for word and in order
    own = next(p for i, (d, p) in hotshot.items() if "Unload with the client" in d["title"])
    assert [r[2] for r in step_rows(own)][2] == "Release binders from the side one at a time, keeping clear of the load"


def test_validate_warns_about_each_procedure_to_write():
    result = CliRunner().invoke(main, ["validate", str(HERE / "proc-solo-electrician.yaml"), "--as-of", "2026-03-01"])
    assert ":24:9: warning: positions[0].tasks[2]: The critical task 'Heat trace repairs on rooftops' (Owner / Master Electrician) " \
           "has no written safe job procedure. [procedure-to-write]" in result.output


def test_procedure_findings_name_owner_due_date_and_profile_path():
    lib = load_library()
    plan = plan_build(HERE / "proc-family-janitorial.yaml", AS_OF)
    found = procedure_findings(plan.loaded.profile, lib, critical_tasks(plan.built.tasks, plan.built.matrix), AS_OF)
    assert {f.message for f in found} >= {"The critical task 'Garbage runs' (Cleaner) has no written safe job procedure."}
    f = next(f for f in found if "Garbage runs" in f.message)
    assert (f.code, f.owner, f.due, f.path) == ("procedure-to-write", "Rosa Alvarez", date(2026, 3, 31), ("positions", 1, "tasks", 1))


def test_name_match_is_strict_and_explicit_key_wins():
    lib = load_library()
    task = lambda name, **kw: Task(name=name, hazards=["slips_trips"], **kw)  # noqa: E731
    assert match_library_task(task("Couple & uncouple trailer"), "trucking", lib) == "couple_uncouple_trailers"
    assert match_library_task(task("couple and uncouple TRAILERS."), "landscaping", lib) == "couple_uncouple_trailers"
    assert match_library_task(task("Couple trailers"), "trucking", lib) is None
    assert match_library_task(task("Trailers"), "trucking", lib) is None
    assert match_library_task(task("Anything", library_task="wash_trucks_trailers"), "office", lib) == "wash_trucks_trailers"


def test_unknown_library_task_is_a_profile_error(tmp_path):
    text = (HERE / "proc-solo-electrician.yaml").read_text().replace(
        '{name: "Lockout", hazards', '{name: "Lockout", library_task: lock_out_verfy, hazards')
    path = tmp_path / "p.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:23:27: positions[0].tasks[1].library_task: unknown library task 'lock_out_verfy'; " \
           "did you mean 'lock_out_verify_zero_energy'? (secor-docs list tasks)" in result.output


@pytest.mark.parametrize("industry", sorted(load_library().industries))
def test_every_starter_critical_task_has_a_procedure(industry, tmp_path):
    lib = load_library()
    path = tmp_path / "p.yaml"
    path.write_text(starter_profile(Answers(industry=industry, effective_date=date(2026, 1, 5)), lib))
    plan = plan_build(path, AS_OF, allow_ineligible=True)
    assert plan.built.context["critical_tasks"]
    assert not plan.built.context["procedures_to_write"], [t.name for t in plan.built.context["procedures_to_write"]]
    for t in plan.built.context["procedures"]:
        assert len(t.steps) >= 4 and t.steps[0].phase == "prepare" and t.steps[-1].phase == "finish", t.name


def test_trade_law_present_and_absent_where_it_should_be(binders):
    law = {name: text(b, "POL-003") for name, b in binders.items()}
    for needle in ("Traffic Safety Act", "Drivers' Hours of Service Regulation", "Commercial Vehicle Safety Regulation",
                   "National Safety Code", "Commercial vehicle safety and maintenance program"):
        assert needle in law["proc-hotshot-trucking"], needle
    assert "Safety Codes Act" in law["proc-solo-electrician"]
    assert "Electrical permit log" in law["proc-solo-electrician"]
    assert "Pesticide" in law["proc-seasonal-landscaper"] and "pesticide applicator certificate" in law["proc-seasonal-landscaper"].lower()
    assert "Noise management program" in law["proc-seasonal-landscaper"]
    for needle in ("Traffic Safety Act", "Safety Codes Act", "Pesticide", "fall 3 m or more without guardrails"):
        assert needle not in law["proc-family-janitorial"], needle
    assert "Applies because: workers may work where they could fall 3 m or more without guardrails (tasks: Heat trace repairs on rooftops)" in law["proc-solo-electrician"]


def test_documents_to_write_are_findings_with_owner_and_date():
    lib = load_library()
    plan = plan_build(HERE / "proc-hotshot-trucking.yaml", AS_OF)
    found = triggered(plan.loaded.profile, lib, [], {"haul_equipment_gooseneck_hot_shot"})
    assert [t.key for t in found][:1] == ["commercial_vehicles"]
    assert "equipment: Ram 5500 hot-shot truck (unit 3), 40 ft gooseneck flatdeck (unit T3)" in found[0].because
    items = document_findings(plan.loaded.profile, found, AS_OF)
    assert items and all(f.code == "document-to-write" and f.owner == "Dale Kowalchuk" and f.due == date(2026, 4, 30) for f in items)


FOREIGN_PPE_FOR_CLEANERS = re.compile(r"arc-rated|Class E|rubber insulating|harness|chaps|SCBA|welding|hard hat", re.I)


def test_ppe_policy_lists_only_what_the_positions_tasks_need(binders):
    janitor = text(binders["proc-family-janitorial"], "POL-010")
    assert not FOREIGN_PPE_FOR_CLEANERS.search(janitor), FOREIGN_PPE_FOR_CLEANERS.search(janitor)
    landscaper = text(binders["proc-seasonal-landscaper"], "POL-010")
    assert "Chainsaw chaps or chainsaw pants" in landscaper
    # every PPE row names the hazard that calls for it and the task it is for
    for name, binder in binders.items():
        path = next(p for i, (_, p) in binder.items() if i.startswith("POL-010"))
        for table in Document(str(path)).tables:
            if [c.text for c in table.rows[0].cells][:2] == ["PPE and the standard it must meet", "For the hazard"]:
                for row in table.rows[1:]:
                    item, hazard, tasks = (c.text for c in row.cells)
                    assert item and tasks and (hazard != "—" or item.startswith("No task-specific PPE")), (name, item)


def test_gooseneck_gets_its_own_checklist(binders):
    hotshot = binders["proc-hotshot-trucking"]
    gooseneck = next(p for i, (d, p) in hotshot.items() if i.startswith("EQP-") and "gooseneck" in d["title"])
    checklist = body_text(gooseneck)
    assert "Gooseneck ball and the bed hitch plate" in checklist
    assert "tongue" not in checklist.lower()
    landscaper = binders["proc-seasonal-landscaper"]
    trailer = next(p for i, (d, p) in landscaper.items() if i.startswith("EQP-") and "trailer" in d["title"].lower())
    assert "crossed under the tongue" in body_text(trailer)


def test_forms_carry_a_control_line_not_a_control_block_or_revision_table(binders):
    for name, binder in binders.items():
        for i, (d, path) in binder.items():
            if d["kind"] != "form":
                continue
            text = body_text(path)
            assert "Revision history" not in text and "Audit element" not in text, (name, i)
            assert re.search(rf"{re.escape(i)} rev\. \d+, effective .+, approved by ", text), (name, i)


def test_working_alone_log_has_a_line_for_every_check_in_of_a_day(binders):
    path = next(p for i, (_, p) in binders["proc-family-janitorial"].items() if i.startswith("FRM-021"))
    table = next(t for t in Document(str(path)).tables if t.rows[0].cells[0].text == "Check-in due")
    assert len(table.rows) - 1 == 600 // 60 + 2   # hourly check-ins over a 10-hour day, plus start and finish
    assert "With check-ins every 60 minutes, a 10-hour day needs 12 lines" in body_text(path)


def test_site_checklist_fits_the_trade(binders):
    cleaner = text(binders["proc-family-janitorial"], "INS-")
    for foreign in ("offcuts", "drop zone", "Prime contractor", "solvents, adhesives or coatings"):
        assert foreign not in cleaner, foreign
    assert "Wet-floor signs out wherever floors are wet" in cleaner


def test_acknowledgement_sheets_skip_documents_signed_on_themselves(binders):
    sheets = text(binders["proc-hotshot-trucking"], "FRM-059")
    assert "Health and Safety Policy" in sheets
    assert "SJP-01 Safe Job Procedure" not in sheets
    assert "Violence and Harassment Prevention Plan, revision" not in sheets
