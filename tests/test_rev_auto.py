"""Auditor review of a four-person auto repair shop (tests/profiles/rev-auto-repair.yaml, kept as the review found it):
each fault the review found has a test here that opens the built Word documents."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from secor_docs.cli import main
from secor_docs.equipment_names import kind_mismatch, task_uses
from secor_docs.library import load_library
from secor_docs.pipeline import BuildOptions, run_build

from docx_text import body_text

PROFILE = Path(__file__).parent / "profiles" / "rev-auto-repair.yaml"
AS_OF = date(2026, 12, 4)


def build(text: str, out: Path) -> dict[str, str]:
    """Build a profile's text (--no-pdf) and return {document file stem: its text}."""
    src = out / "profile.yaml"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text(text, encoding="utf-8")
    [result] = run_build(BuildOptions(profiles=(src,), out=out / "build", as_of=AS_OF, pdf=False))
    assert result.ok, result.error
    docs = next((out / "build").glob("*/manifest.json")).parent / "documents"
    return {p.stem: body_text(p) for p in sorted(docs.glob("*.docx"))}


def doc(docs: dict[str, str], prefix: str) -> str:
    found = [t for name, t in docs.items() if name.startswith(prefix)]
    assert len(found) == 1, f"{prefix}: {sorted(docs)}"
    return found[0]


def person_row(matrix: str, name: str) -> str:
    """The summary line of the training matrix that lists a person's gaps."""
    lines = matrix.splitlines()
    i = lines.index(name)
    return "\n".join(lines[i:i + 6])


@pytest.fixture(scope="module")
def fixed(tmp_path_factory) -> dict[str, str]:
    """The review profile with the hoist entered as what it is (what a user does after the validate warning)."""
    text = PROFILE.read_text(encoding="utf-8").replace("kind: forklift}", "kind: vehicle_hoist}")
    return build(text, tmp_path_factory.mktemp("rev-auto"))


# ---- equipment kind: a two-post hoist is not a forklift ----------------------------------------------------------

def test_validate_warns_when_the_name_says_another_kind():
    result = CliRunner().invoke(main, ["validate", str(PROFILE)])
    assert result.exit_code == 0, result.output   # a warning, never a stop
    line = next(l for l in result.output.splitlines() if "equipment[0].kind" in l)
    assert line.startswith(f"{PROFILE}:49:")
    assert "'Two-post hoist' is entered as kind 'forklift'" in line and "suggests kind 'vehicle_hoist'" in line


def test_the_build_is_not_stopped_by_a_kind_mismatch(tmp_path):
    docs = build(PROFILE.read_text(encoding="utf-8"), tmp_path)
    assert "Load capacity plate or load chart" in doc(docs, "EQP-01")   # what the user asked for, still built


@pytest.mark.parametrize("name, kind, likely", [
    ("Two-post hoist", "forklift", "vehicle_hoist"),
    ("Rotary 4-post alignment lift", "vehicle", "vehicle_hoist"),
    ("Lift truck", "vehicle", "forklift"),            # 'truck' inside 'lift truck' does not count for vehicle
    ("Gooseneck trailer", "trailer", "trailer_gooseneck"),
    ("Hunter tire changer", "air_compressor", "tire_service"),
    ("Jack stands (pair)", "power_tools", "vehicle_jack"),
    ("Parts washer", "pressure_washer", "parts_washer"),
])
def test_name_keywords_point_to_the_likely_kind(name, kind, likely):
    assert kind_mismatch(name, kind, load_library()).kind == likely


@pytest.mark.parametrize("name, kind", [
    ("Two-post hoist", "vehicle_hoist"), ("Shop truck", "vehicle"), ("Car lift", "vehicle_hoist"),
    ("Shop air compressor and impact tools", "air_compressor"), ("Bobcat S70", "skid_steer"),
    ("Floor jacks and jack stands", "vehicle_jack"),
])
def test_no_warning_when_the_name_fits_or_says_nothing(name, kind):
    assert kind_mismatch(name, kind, load_library()) is None


def test_every_equipment_kind_has_name_words():
    lib = load_library()
    assert [k for k, e in lib.equipment.items() if not (e.name_words or e.names)] == []


def test_hoist_gets_a_hoist_checklist_not_forklift_checks(fixed):
    form = doc(fixed, "EQP-01")
    assert "Vehicle hoist (two-post, four-post, scissor or in-ground lift)" in form
    for expected in ("arm restraints engage", "lift points for this vehicle", "Mechanical safety locks",
                     "qualified lift inspector", "Vehicle Hoist Operation"):
        assert expected in form, expected
    for foreign in ("Forks:", "Seat belt", "Overhead guard", "Forklift", "powered mobile equipment", "s.260",
                    "Hour meter", "Propane"):
        assert foreign not in form, foreign


def test_customer_vehicles_in_a_task_name_are_not_the_shop_truck(fixed):
    """'Lifting vehicles on the two-post hoist' used to require the shop truck's training (kind 'vehicle')."""
    matrix = doc(fixed, "REC-050")
    assert "Lifting vehicles on the two-post hoist: Shop truck" not in matrix
    assert "Lifting vehicles on the two-post hoist: Two-post hoist" in matrix   # the hoist course, from the hoist
    assert "Forklift Operator" not in matrix
    assert "Forklift" not in doc(fixed, "HA-02")


@pytest.mark.parametrize("task, item, kind, used", [
    ("Lifting vehicles on the two-post hoist", "Two-post hoist", "vehicle_hoist", True),
    ("Road tests of customer vehicles", "Shop truck", "vehicle", False),
    ("Pick up parts in the shop truck", "Shop truck", "vehicle", True),
    ("Tire changes and wheel balancing", "Tire machine", "tire_service", True),
    ("Grade the yard with the skid steer", "Bobcat S70", "skid_steer", True),
])
def test_a_task_uses_equipment_it_names(task, item, kind, used):
    lib = load_library()
    assert task_uses(task, item, kind, lib.equipment[kind]) is used


# ---- road tests of customers' vehicles: controls for that, not fleet driving -------------------------------------

FLEET = ["Journey plan for trips over 2 hours", "winter tires (mountain-snowflake symbol)", "GPS tracking or telematics",
         "break of at least 15 minutes every 2 hours", "Cargo restrained", "high-visibility vest in each vehicle",
         "Defensive driving training for regular drivers", "Cut unnecessary trips"]


def test_road_test_gets_road_test_controls_not_fleet_controls(fixed):
    owner = doc(fixed, "HA-01")
    for expected in ("checks brakes (pedal and fluid), steering, tires and wheel-nut torque in the bay",
                     "Only registered, plated vehicles are road-tested", "garage insurance",
                     "valid licence of the right class", "set road-test route",
                     "postponed or shortened in snow, ice, fog or darkness"):
        assert expected in owner, expected
    for foreign in FLEET:
        assert foreign not in owner, foreign
    practice = doc(fixed, "SWP-04")
    assert "Before a road test, check brakes, steering, tires and wheel-nut torque in the bay" in practice
    for foreign in ("Carry the winter emergency kit", "Take a break at least every 2 hours", "long or remote trips",
                    "pre-trip walk-around"):
        assert foreign not in practice, foreign


def test_road_tests_need_no_fleet_driving_courses(fixed):
    row = person_row(doc(fixed, "REC-050"), "Rick Oyelaran")
    assert "Defensive Driving" not in row and "Fatigue Management" not in row


def test_a_fleet_driving_task_keeps_its_fleet_controls_and_courses(tmp_path):
    text = PROFILE.read_text(encoding="utf-8").replace(
        '{name: "Road tests of customer vehicles", hazards: [vehicle_driving]}',
        '{name: "Road tests of customer vehicles", hazards: [vehicle_driving]}\n'
        '      - {name: "Drive the shop truck to parts suppliers", hazards: [vehicle_driving]}')
    docs = build(text, tmp_path)
    owner = doc(docs, "HA-01")
    assert "Journey plan for trips over 2 hours" in owner and "set road-test route" in owner
    row = person_row(doc(docs, "REC-050"), "Rick Oyelaran")
    assert "Defensive Driving" in row and "Fatigue Management" in row
    assert "Drive the shop truck to parts suppliers: Driving for work" in doc(docs, "REC-050")


# ---- training: every course explained by a task and hazard, none the tasks do not call for ------------------------

# What the review profile's tasks really call for, person by person (first aid: Sasha is the designated first aider).
EXPECTED_COURSES = {
    "Rick Oyelaran": {"Company Health and Safety Orientation", "Violence and Harassment Prevention", "WHMIS",
                      "Working Alone Procedure", "Supervisor Safety Leadership"},
    "Ben Whitehorse": {"Company Health and Safety Orientation", "Violence and Harassment Prevention",
                       "Vehicle Hoist Operation", "WHMIS", "Hot Work and Fire Watch",
                       "Portable Fire Extinguisher Use", "Hearing Conservation", "Hand and Power Tool Safety",
                       "Tire and Wheel Service", "Safe Lifting and Manual Handling"},
    "Maria Gomez": {"Company Health and Safety Orientation", "Violence and Harassment Prevention",
                    "Workstation Ergonomics"},
}


def _courses(matrix: str, name: str) -> set[str]:
    line = next(l for l in person_row(matrix, name).splitlines() if "GAPS:" in l)
    return set(line.split("GAPS: ", 1)[1].split(", "))


@pytest.mark.parametrize("name", sorted(EXPECTED_COURSES))
def test_the_training_matrix_requires_what_the_tasks_call_for(fixed, name):
    assert _courses(doc(fixed, "REC-050"), name) == EXPECTED_COURSES[name]


def test_every_required_course_names_its_task_and_hazard_and_law_its_citation(fixed):
    matrix = doc(fixed, "REC-050")
    reasons = [l for l in matrix.splitlines() if l.startswith(("Law (", "Company policy:"))]
    assert len(reasons) >= 20
    for line in reasons:
        if line.startswith("Law ("):
            assert line.startswith(("Law (OHS Code", "Law (OHS Act")), line     # the citation, always
        because = line.split(": ", 1)[1]
        assert any(word in because for word in ("every worker", "designated first aider", "owner who directs",
                                                 "done alone", "Lifting vehicles", "Brake and exhaust",
                                                 "Tire changes", "Front counter", "Evening diagnostics",
                                                 "Road tests")), line
    assert "Tire changes and wheel balancing: Pressurized systems and compressed gases" in matrix
    assert "Pressure Systems Safety" not in matrix          # an industrial course, not the tire bay's


def _with_task(task: str) -> str:
    return PROFILE.read_text(encoding="utf-8").replace("kind: forklift}", "kind: vehicle_hoist}").replace(
        '      - {name: "Tire changes and wheel balancing"', f"      - {task}\n" + '      - {name: "Tire changes and wheel balancing"')


def test_fit_testing_exactly_where_a_task_needs_a_tight_fitting_respirator(tmp_path, fixed):
    # Brake work with wet cleaning, and chemicals whose SDS "may" call for a respirator: no fit test.
    assert "Respiratory Protection and Fit Testing" not in doc(fixed, "REC-050")
    assert "tasks require respirators" not in doc(fixed, "POL-003")       # no respiratory code of practice either
    docs = build(_with_task('{name: "Spray primer on repaired panels", hazards: [chemical_exposure]}'), tmp_path)
    matrix = doc(docs, "REC-050")
    for tech in ("Sasha Petrenko", "Ben Whitehorse"):
        assert "Respiratory Protection and Fit Testing" in _courses(matrix, tech)
    for other in ("Rick Oyelaran", "Maria Gomez"):
        assert "Respiratory Protection and Fit Testing" not in _courses(matrix, other)
    assert "tasks require respirators" in doc(docs, "POL-003")
    assert ("Law (OHS Code Part 18): Spray primer on repaired panels: Hazardous chemical exposure "
            "(half-facepiece respirator") in matrix


def test_ladder_use_alone_needs_ladder_training_not_fall_protection(tmp_path):
    docs = build(_with_task('{name: "Change shop lights from a stepladder", hazards: [ladder_use]}'), tmp_path)
    tech = _courses(doc(docs, "REC-050"), "Ben Whitehorse")
    assert "Ladder Safety" in tech and "Fall Protection" not in tech


def test_work_at_height_still_needs_fall_protection(tmp_path):
    docs = build(_with_task('{name: "Clear snow from the shop roof", hazards: [fall_from_height, ladder_use]}'), tmp_path)
    tech = _courses(doc(docs, "REC-050"), "Ben Whitehorse")
    assert {"Ladder Safety", "Fall Protection"} <= tech


# ---- the rest of the auditor's read: controls that belong to an auto shop ---------------------------------------

CRANE = ["Tag lines", "signaller", "outriggers", "Rigging inspected", "no one under a suspended load",
         "delivery route so loads never pass over workers", "Dump box props", "remote grease points",
         "Emergency stop within easy reach"]


def test_hoist_task_gets_hoist_controls_not_crane_rigging(fixed):
    tech = doc(fixed, "HA-02")
    for expected in ("lowered onto its mechanical locks before anyone goes underneath", "shake-tested",
                     "vehicle maker's lift points", "Tall safety stands", "transmission jack",
                     "Hands and feet kept clear of the hoist arms"):
        assert expected in tech, expected
    for foreign in CRANE:
        assert foreign not in tech, foreign


def test_a_crane_task_keeps_its_rigging_controls(tmp_path):
    text = _with_task('{name: "Lift engines with the shop crane", hazards: [overhead_loads]}')
    tech = doc(build(text, tmp_path), "HA-02")
    assert "Tag lines long enough" in tech and "Rigging inspected before each use" in tech


def test_shop_exhaust_brake_dust_and_used_fluids(fixed):
    owner, tech = doc(fixed, "HA-01"), doc(fixed, "HA-02")
    assert "Tailpipe exhaust extraction hose on every vehicle run indoors" in owner
    assert "carbon monoxide" in owner
    assert "Brake dust cleaned with a wet method" in tech          # the brake task only
    assert "Brake dust cleaned with a wet method" not in owner
    assert "licensed waste carrier or used oil recycler" in tech


def test_no_spotter_for_a_task_done_alone(fixed):
    owner = doc(fixed, "HA-01")
    assert "Evening diagnostics and repairs alone" in owner
    assert "Spotter and radio contact" not in owner


def test_starter_auto_shop_lists_hoist_and_tire_equipment():
    lib = load_library()
    kinds = {e.kind for e in lib.industries["auto_repair"].equipment}
    assert {"vehicle_hoist", "tire_service", "vehicle_jack"} <= kinds and "forklift" not in kinds


def test_shop_inspection_checklist_fits_an_auto_shop(fixed):
    checklist = doc(fixed, "INS-01")
    for expected in ("Vehicle hoists: capacity label legible", "Tailpipe exhaust hoses on every vehicle running indoors",
                     "Used oil, filters, antifreeze and waste solvent", "Road-test route posted"):
        assert expected in checklist, expected
    for foreign in ("Slings, shackles and hooks", "Tag lines", "Hard hats worn", "toe boards or netting",
                    "bulkhead or cargo barrier"):
        assert foreign not in checklist, foreign


def test_emergency_plan_does_not_send_an_auto_shop_to_scaffolds(fixed):
    plan = doc(fixed, "ERP-01")
    assert "scaffolds" not in plan and "fall protection anchors" not in plan
    assert "check the building, vehicles and equipment for damage" in plan


def test_hot_work_on_a_vehicle_shields_fuel_and_brake_lines(fixed):
    assert "the fuel tank and lines, brake lines, wiring and undercoating near the work are shielded" in doc(fixed, "HA-02")


def test_other_shop_equipment_gets_its_own_checklist(tmp_path):
    text = PROFILE.read_text(encoding="utf-8").replace("kind: forklift}", "kind: vehicle_hoist}").replace(
        '  - {name: "Shop air compressor", kind: air_compressor}',
        '  - {name: "Shop air compressor", kind: air_compressor}\n'
        '  - {name: "Tire changer and balancer", kind: tire_service}\n'
        '  - {name: "Floor jack and jack stands", kind: vehicle_jack}\n'
        '  - {name: "Solvent parts washer", kind: parts_washer}\n'
        '  - {name: "Battery charger", kind: battery_charger}\n'
        '  - {name: "A/C recovery machine", kind: ac_refrigerant_machine}').replace(
        '{name: "Brake and exhaust work",', '{name: "A/C service and recharge", hazards: [pressurized_systems, chemical_exposure]}\n'
        '      - {name: "Brake and exhaust work",')
    docs = build(text, tmp_path)
    forms = {name: t for name, t in docs.items() if name.startswith("EQP-")}
    by_item = {next(n for n in ("Tire changer", "Floor jack", "parts washer", "Battery charger", "A-C recovery")
                    if n.lower() in name.lower().replace("/", "-")): t
               for name, t in forms.items()
               if any(n.lower() in name.lower().replace("/", "-") for n in ("Tire changer", "Floor jack", "parts washer",
                                                                          "Battery charger", "A-C recovery"))}
    assert "inflation cage" in by_item["Tire changer"].lower() and "Tire and Wheel Service" in by_item["Tire changer"]
    assert "a jack only lifts, it never holds a vehicle someone is under" in by_item["Floor jack"]
    assert "fusible link" in by_item["parts washer"]
    assert "hydrogen" in by_item["Battery charger"]
    assert "R-1234yf" in by_item["A-C recovery"] and "Refrigerant Handling Certificate" in by_item["A-C recovery"]
    for t in by_item.values():
        assert "Forks:" not in t and "powered mobile equipment" not in t
    matrix = doc(docs, "REC-050")
    assert "A/C service and recharge: A/C recovery machine" in matrix   # the course, from the machine the task names
    assert "Refrigerant Handling Certificate" not in _courses(matrix, "Rick Oyelaran")
