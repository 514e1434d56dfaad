"""Auditor review of a plumbing, gasfitting and HVAC service company nobody tuned the library for (issue 14).

tests/profiles/rev-plumbing-hvac.yaml is a seven-person Red Deer shop (ACSA): owner/estimator, two journeyman
plumber/gasfitters, an HVAC/refrigeration tech, an apprentice, a drain-cleaning tech and a part-time office admin.
Each test reads the built Word documents as an auditor would and fails if a fault found in the review comes back:
another trade's course or control, a procedure without steps, a missing trade-triggered law or document.
"""
from datetime import date
from pathlib import Path

import pytest

from docx import Document

from secor_docs.pipeline import BuildOptions, run_build

from docx_text import body_text

PROFILE = Path(__file__).parent / "profiles" / "rev-plumbing-hvac.yaml"
AS_OF = date(2026, 12, 4)


@pytest.fixture(scope="module")
def binder(tmp_path_factory):
    out = tmp_path_factory.mktemp("rev-plumb")
    [result] = run_build(BuildOptions(profiles=(PROFILE,), out=out, as_of=AS_OF, pdf=False))
    assert result.ok, result
    docs = out / result.slug / "documents"
    texts = {p.stem: body_text(p) for p in sorted(docs.glob("*.docx"))}
    return {"texts": texts, "findings": result.findings, "folder": docs}


def table_rows(path: Path, *header: str) -> list[list[str]]:
    """The body rows of the first table whose header row starts with these cells."""
    for table in Document(str(path)).tables:
        if [c.text for c in table.rows[0].cells][:len(header)] == list(header):
            return [[c.text for c in row.cells] for row in table.rows[1:]]
    return []


def step_rows(path: Path) -> list[list[str]]:
    """The rows of a safe job procedure's steps table (header '#', 'Stage', 'What to do', ...)."""
    return table_rows(path, "#", "Stage")


def doc(binder, prefix: str) -> str:
    found = [t for name, t in binder["texts"].items() if name.startswith(prefix)]
    assert found, f"no document {prefix}"
    return "\n".join(found)


def docs(binder, prefix: str) -> dict[str, str]:
    return {name: t for name, t in binder["texts"].items() if name.startswith(prefix)}


# ---------------------------------------------------------------- safe job procedures

def test_every_critical_task_has_a_procedure_of_steps(binder):
    """Furnace and water heater replacement, hydro-jetting, camera work, moving appliances and stocking vans had no
    procedure (five 'procedures to write'); the task library now has their steps."""
    assert not [f for f in binder["findings"] if f["code"] == "procedure-to-write"]
    critical_list = doc(binder, "HAZ-002")
    assert "To write" not in critical_list
    sjps = sorted(binder["folder"].glob("SJP-*.docx"))
    assert len(sjps) >= 12
    for path in sjps:
        rows = step_rows(path)
        assert len(rows) >= 4, f"{path.name} has no numbered steps"
        assert [r[0] for r in rows] == [str(i) for i in range(1, len(rows) + 1)], path.name
        assert rows[0][1] == "Prepare" and any(r[1] == "Do the work" for r in rows), path.name


def test_replacement_and_jetting_procedures_are_the_trade_steps(binder):
    sjps = docs(binder, "SJP-")
    replace = next(t for n, t in sjps.items() if "Replace furnaces, boilers and water heaters" in n)
    assert "abatement contractor" in replace and "combustion and carbon monoxide" in replace
    assert "appliance dolly" in replace
    jet = next(t for n, t in sjps.items() if "Hydro-jet" in n)
    assert "dead-man control" in jet
    assert "never leaves the pipe under pressure" in jet
    assert "injection injury" in jet


def test_fire_watch_time_is_the_same_in_procedure_and_assessment(binder):
    """The soldering procedure said 30 minutes while the hazard assessment's hot work rule says 60."""
    sjp_text = "\n".join(docs(binder, "SJP-").values())
    assert "30 minutes after the last joint" not in sjp_text
    ha = doc(binder, "HA-02")
    assert "at least 60 minutes after it ends" in ha


# ---------------------------------------------------------------- training

def test_soldering_and_gas_work_do_not_call_for_welding_or_hot_work_courses_they_do_not_need(binder):
    matrix = doc(binder, "REC-050")
    # soldering copper pipe is not welding: no welding course, no respirator fit test for it
    assert "Welding and Cutting Safety" not in matrix
    for line in matrix.splitlines():
        if line.startswith("Respiratory Protection and Fit Testing"):
            assert "Solder" not in line and "Braze" not in line, line
        if line.startswith("Hot Work and Fire Watch"):
            # hot work training comes from torch work, not from every task with a fire hazard
            assert "Install, test and purge natural gas piping" not in line, line
            assert "Service furnaces and boilers" not in line, line
            assert "Replace furnaces" not in line, line


def test_hot_work_training_still_required_for_torch_work(binder):
    matrix = doc(binder, "REC-050")
    assert "Hot Work and Fire Watch" in matrix
    assert "Solder and braze copper pipe: Hot work" in matrix


def test_course_notes_name_no_other_trade(binder):
    matrix = doc(binder, "REC-050")
    assert "janitorial" not in matrix.lower()


# ---------------------------------------------------------------- controls in the hazard assessments

# Controls of other trades (machine shops, welding bays, tank entry, electricians) that a plumber or HVAC
# technician could not describe at an interview.
FOREIGN_CONTROLS = [
    "SCBA", "Tripod and mechanical retrieval winch", "agitators", "welding bay", "fume extractor arm",
    "Welding helmet", "designated shop welding area", "Group lockout box", "on each machine",
    "lockout procedure for each machine", "never open panels or work on wiring", "Class E hard hat",
    "hydraulic lines", "pre-assemble trusses", "Confined space assessment required before welding",
    "Drop zone below overhead work", "barricaded drop zones", "Toe boards, debris netting",
]
# Controls a plumbing, gasfitting and HVAC company's workers do describe.
TRADE_CONTROLS = [
    "Combustion and carbon monoxide test of every fuel-burning appliance",
    "Gas leak rule at a client building",
    "Personal carbon monoxide monitor worn on every service call",
    "Technicians work only on the controls and wiring of the appliances",
    "Written isolation steps for each kind of appliance",
    "relieved of pressure before they are opened or drained",
    "Crawlspaces and tight mechanical rooms ventilated",
    "Each crawlspace, attic or tight space assessed before entry",
    "Soldering and brazing indoors with the room ventilated",
    "Jetting rule",
    "left undisturbed until a sample is tested",
    "Cadmium-free brazing alloys",
]


def test_hazard_assessments_carry_no_other_trade_controls(binder):
    assessments = "\n".join(docs(binder, "HA-").values())
    practices = "\n".join(docs(binder, "SWP-").values())
    for phrase in FOREIGN_CONTROLS:
        assert phrase not in assessments, phrase
        assert phrase not in practices, phrase


def test_hazard_assessments_carry_the_trade_controls(binder):
    assessments = "\n".join(docs(binder, "HA-").values())
    for phrase in TRADE_CONTROLS:
        assert phrase in assessments, phrase


def test_ppe_policy_lists_no_foreign_ppe(binder):
    ppe = doc(binder, "POL-010")
    assert "hydraulic lines" not in ppe            # brazing refrigeration lines is not hydraulic work
    assert "blow-down and pneumatic" not in ppe
    assert "SCBA" not in ppe and "retrieval line" not in ppe
    hard_hats = [line for line in ppe.splitlines() if "hard hat" in line.lower()]
    assert not hard_hats, hard_hats                # nobody here works below overhead work
    assert "Personal carbon monoxide monitor" in ppe


# ---------------------------------------------------------------- equipment, inspections, emergency plan

def test_equipment_checklists_fit_the_equipment(binder):
    jetter = doc(binder, "EQP-05")
    assert "dead-man" in jetter and "Trigger gun" not in jetter and "detergent" not in jetter
    torch = doc(binder, "EQP-06")
    assert "Flashback arrestors" in torch
    assert "Welding leads" not in torch and "Welding screens" not in torch and "Helmet lens" not in torch
    drain = doc(binder, "EQP-04")
    assert "Foot switch" in drain and "Grinder disc" not in drain
    detector = doc(binder, "EQP-07")
    assert "Bump test" in detector and "Calibration" in detector


def test_client_site_inspection_fits_service_work(binder):
    client = doc(binder, "INS-02")
    for phrase in ["drop zone", "nails, screws and offcuts", "Welding screens", "for each machine",
                   "Electrical work done only by a qualified electrician"]:
        assert phrase not in client, phrase
    assert "combustion and carbon monoxide tested" in client
    assert "soldering or brazing indoors" in client


def test_emergency_numbers_once_each_and_only_those_that_apply(binder):
    plans = sorted(binder["folder"].glob("ERP-*.docx"))
    assert len(plans) == 2
    for path in plans:
        rows = table_rows(path, "Who", "Number", "When")
        numbers = [r[1] for r in rows]
        assert numbers.count("911") == 1, path.name
        assert numbers.count("1-800-242-3447") == 1, path.name   # the owner's locate line is not printed twice
        assert len(numbers) == len(set(numbers)), path.name
        names = " ".join(r[0] for r in rows)
        assert "Employment Standards" not in names, path.name     # nobody is under 18
        assert "ATCO Gas emergency line" in names, path.name


# ---------------------------------------------------------------- law and documents the trade brings in

def test_trade_law_and_documents_are_in_the_register_and_gaps(binder):
    register = doc(binder, "POL-003")
    assert "Ozone-depleting Substances and Halocarbons Regulation" in register
    assert "Refrigerant records" in register
    assert "Trade certificates on file" in register
    assert "Gas and plumbing permit log" in register
    gaps = doc(binder, "GAP-001")
    assert "no refrigerant records" in gaps and "no trade certificates on file" in gaps
    codes = {f["code"] for f in binder["findings"]}
    assert "document-to-write" in codes and "law-to-verify" in codes


# ---------------------------------------------------------------- risk ratings per task

def test_critical_list_rates_the_task_not_the_worst_case_of_any_trade(binder):
    """The hazard library rates manual handling for construction loads (12, Critical), which made a parts delivery
    at the counter, a camera inspection and stocking the vans critical tasks. A library task may rate a hazard for
    itself; a water heater carried down stairs stays critical."""
    rows = table_rows(next(binder["folder"].glob("HAZ-002*.docx")), "Priority", "Critical task")
    critical = {r[1] for r in rows}
    assert "Receive parts deliveries at the shop counter" not in critical
    assert "Camera inspections and locating of sewer lines" not in critical
    assert "Load and stock the service vans at the shop" not in critical
    assert "Carry out old water heaters and furnaces and bring in new ones" in critical
    jet = next(r for r in rows if r[1] == "Hydro-jet sewer and drain lines")
    assert "pressurized systems" in jet[3] and "noise" not in jet[3]
    crawl = next(r for r in rows if r[1] == "Work in crawlspaces and tight mechanical rooms")
    assert "confined space" in crawl[3].lower() and "poor lighting" not in crawl[3]


def test_a_task_rating_must_name_one_of_the_task_hazards(tmp_path, monkeypatch):
    import shutil
    from secor_docs import library as lib_module
    copy = tmp_path / "data"
    shutil.copytree(lib_module.data_dir(), copy)
    path = copy / "tasks" / "plumbing_hvac.yaml"
    text = path.read_text(encoding="utf-8")
    assert "      cold_stress: {severity: 3, probability: 2}" in text
    path.write_text(text.replace("      cold_stress: {severity: 3, probability: 2}", "      noise: {severity: 3, probability: 2}"), encoding="utf-8")
    monkeypatch.setattr(lib_module, "data_dir", lambda: copy)
    with pytest.raises(Exception) as err:
        lib_module.load_library.__wrapped__()
    assert "task recover_charge_refrigerant: rating for 'noise', which is not one of the task's hazards" in str(err.value)


def test_emergency_pages_fit_gas_appliance_and_crawlspace_work(binder):
    plan = doc(binder, "ERP-02")
    assert "shut the gas off at the meter only if it can be reached safely from outside" in plan
    assert "If a carbon monoxide monitor alarms" in plan
    assert "do not crawl in after them" in plan
    # tank-entry rescue gear the company does not own
    assert "retrieval line and winch or tripod" not in plan
    assert "Tripod or davit" not in plan
    assert "equipped with supplied-air breathing apparatus as the entry permit specifies" not in plan


# ---------------------------------------------------------------- one procedure per task done the same way

def test_positions_doing_the_same_task_share_one_procedure(binder):
    """'Service furnaces and boilers' and the crawlspace task are done the same way by two positions; they were
    printed as two identical procedures each (and three for driving)."""
    sjps = sorted(binder["folder"].glob("SJP-*.docx"))
    seen = {}
    for path in sjps:
        name = path.stem.split("Safe Job Procedure- ", 1)[1]
        steps = tuple(tuple(r[1:3]) for r in step_rows(path))
        assert (name, steps) not in seen or "Drive the service van" in name, f"{path.name} repeats {seen.get((name, steps))}"
        seen[(name, steps)] = path.name
    shared = doc(binder, "SJP-12")
    assert "Workers in the positions of HVAC / Refrigeration Technician and Journeyman Plumber / Gasfitter" in shared
    assert "priorities 13 and 14 on the critical task list" in shared
    # the FLHA lists each procedure once, and tells the two driving procedures apart by position
    flha = doc(binder, "FRM-010")
    for path in sjps:
        sjp = path.stem.split(" ", 1)[0]
        assert flha.count(f"({sjp})") == 1, sjp
    assert "Drive the service van to client sites (Drain Cleaning Technician) (SJP-01)" in flha
    # the critical task list keeps one row per position, each pointing at the shared procedure
    rows = table_rows(next(binder["folder"].glob("HAZ-002*.docx")), "Priority", "Critical task")
    furnace = [r for r in rows if r[1] == "Service furnaces and boilers"]
    assert len(furnace) == 2 and {r[6] for r in furnace} == {"SJP-12"}


def test_confined_space_code_of_practice_is_not_passed_by_the_safe_work_practice(binder):
    """The crawlspace work refers workers to a confined space code of practice (OHS Code Part 5). The binder's
    'Safe Work Practice: Confined space entry' is not that document and must not count as it; the binder
    generates the code of practice itself."""
    from secor_docs.consistency import consistency_data
    titles = consistency_data()["referred_documents"]["confined_space"]["titles"]
    assert not any(t in "safe work practice: confined space entry" for t in titles)
    assert any(name.endswith("Confined Space Code of Practice") for name in binder["texts"])
    missing = [f["message"] for f in binder["findings"] if f["code"] == "document-missing"]
    assert not any("Confined Space Code of Practice" in m for m in missing), missing


def test_certificates_match_their_course_by_whole_words(binder):
    """'Supervisor Safety Leadership' matched the Lead Paint Awareness alias 'Lead' (inside 'Leadership'), so the
    owner's certificate went unrecognised and the matrix showed a gap that is not there."""
    from secor_docs.library import load_library
    from secor_docs.obligations import match_course
    library = load_library()
    assert match_course("Supervisor Safety Leadership", library) == "supervisor_safety"
    assert match_course("Lead Paint", library) == "lead_awareness"
    assert match_course("Confined Spaces Entry", library) == "confined_space_entry"
    rows = table_rows(next(binder["folder"].glob("REC-050*.docx")), "Person", "Training required")
    supervisor = [r for r in rows if r[1].startswith("Supervisor Safety Leadership")]
    assert supervisor, rows[:3]
    owner = supervisor[0]   # the owner's rows come first; only he holds the course (completed 2025-02-12)
    assert owner[2] == "2025-02-12" and owner[4] == "Current", owner
