"""What an auditor checks: every element covered, everyone where they belong, current law, size rules."""
import json
import re
from datetime import date

import pytest
from click.testing import CliRunner

from ruamel.yaml import YAML

from secor_docs.cli import main
from secor_docs.frameworks import load_framework
from secor_docs.library import load_library
from secor_docs.pipeline import BuildOptions, plan_build, run_build

from conftest import PROFILES
from docx_text import body_text

STALE = re.compile(r"\bMSDS\b|controlled product|Standard First Aid|Emergency First Aid|"
                   r"representative[^.]{0,80}\b90 days|\b90 days[^.]{0,80}representative|"
                   r"violence policy|harassment policy|s\.\s?37\b|s\.\s?35\b|s\.\s?40\(5\)", re.I)


@pytest.fixture(scope="module")
def binders(tmp_path_factory):
    out = tmp_path_factory.mktemp("content")
    results = run_build(BuildOptions(profiles=(PROFILES,), out=out, as_of=date(2026, 2, 1), pdf=False, jobs=2))
    assert all(r.ok for r in results), [str(r.error) for r in results if not r.ok]
    built = {}
    for r in results:
        folder = out / r.slug
        m = json.loads((folder / "manifest.json").read_text())
        built[r.profile.stem] = {d["id"]: (d, body_text(folder / d["docx"])) for d in m["documents"]}
    return built


def text_of(binder, prefix):
    return "\n".join(t for i, (_, t) in binder.items() if i.startswith(prefix))


def test_every_element_of_the_partners_framework_is_covered(binders):
    for name, binder in binders.items():
        partner = YAML(typ="safe").load((PROFILES / f"{name}.yaml").read_text())["company"]["certifying_partner"]
        assert {d["element"] for d, _ in binder.values()} == {e.id for e in load_framework(partner).elements}, name


def test_no_stale_terms_or_citations(binders):
    for name, binder in binders.items():
        for doc_id, (_, text) in binder.items():
            found = STALE.search(text)
            assert not found, f"{name} {doc_id}: {found.group()!r}"


def test_every_position_task_and_hazard_is_assessed(binders):
    lib = load_library()
    for profile in PROFILES.glob("*.yaml"):
        plan = plan_build(profile, date(2026, 2, 1))
        binder = binders[profile.stem]
        for n, pos in enumerate(plan.loaded.profile.positions, start=1):
            text = binder[f"HA-{n:02d}"][1]
            assert pos.title in text
            custom = {h.id: h.name for h in pos.custom_hazards}
            for task in pos.tasks:
                assert task.name in text, f"{profile.stem}: {task.name}"
                for key in task.hazards:
                    name = lib.hazards[key].name if key in lib.hazards else custom[key]
                    assert name in text, f"{profile.stem} HA-{n:02d}: {name}"


def test_risk_numbers_follow_the_matrix():
    for profile in PROFILES.glob("*.yaml"):
        plan = plan_build(profile, date(2026, 2, 1))
        matrix = plan.built.matrix
        for h in plan.built.hazards.values():
            for r in (h.initial, h.residual):
                assert r.score == r.severity * r.probability
                band = next(b for b in matrix.bands if b.min <= r.score <= b.max)
                assert r.band == band.name


def test_no_hazard_relies_on_ppe_alone():
    lib = load_library()
    for key, h in lib.hazards.items():
        assert h.controls.engineering or h.controls.administrative or h.controls.elimination, key


def test_owner_only_company_has_no_crew_material(binders):
    solo = binders["solo-spark-electric"]
    titles = {d["title"] for d, _ in solo.values()}
    assert not {"Health and Safety Representative", "Worker Participation", "Document Acknowledgement Sheets"} & titles
    roles = solo["POL-002"][1]
    assert "also the supervisor and the worker" in roles


def test_representative_named_with_contact_and_training(binders):
    rep = binders["prairie-peak-roofing"]["POL-006"][1]
    assert "Marcus Okafor" in rep and "Health and Safety Representative" in rep
    assert "POL-007" not in binders["prairie-peak-roofing"]


def test_small_crew_participates_without_representative(binders):
    janitorial = binders["northern-shine-janitorial"]
    assert "POL-007" in janitorial and "POL-006" not in janitorial


def test_young_workers_get_supervision_and_employment_standards(binders):
    roofing = binders["prairie-peak-roofing"]
    young = next(t for d, t in roofing.values() if d["title"] == "Young Worker Procedure")
    assert "Sam Ortiz" in young and "Employment Standards" in young
    assert "Employment Standards" in next(t for d, t in roofing.values() if d["title"] == "Worker Orientation Checklist")
    assert not any(d["title"] == "Young Worker Procedure" for d, _ in binders["ridgeline-wellsite"].values())


def test_working_alone_procedure_uses_the_profile_plan(binders):
    wa = next(t for d, t in binders["prairie-peak-roofing"].values() if d["title"] == "Working Alone Procedure")
    assert "120 minutes" in wa and "Jenna Whitfield" in wa and "Cell phone call or text to the office" in wa
    assert "missed" in wa.lower()


def test_contractor_management_only_when_contractors(binders):
    assert any(d["title"] == "Contractor Management" for d, _ in binders["northern-shine-janitorial"].values())
    assert not any(d["title"] == "Contractor Management" for d, _ in binders["prairie-peak-roofing"].values())
    assert all(any(d["title"] == "Visitor Management" for d, _ in b.values()) for b in binders.values())


def test_emergency_plan_has_all_ten_code_items_and_people(binders):
    erp = binders["prairie-peak-roofing"]["ERP-01"][1]
    for letter in "abcdefghij":
        assert f"({letter})" in erp
    assert "Marcus Okafor" in erp and "Red Deer Regional Hospital Centre" in erp and "North gate beside the flagpole" in erp


def test_violence_and_harassment_plan_has_the_six_contents(binders):
    plan = next(t for d, t in binders["prairie-peak-roofing"].values() if d["title"] == "Violence and Harassment Prevention Plan")
    law = load_library().legislation.references["code_s390"]
    assert len(law.items) == 6
    assert "390" in plan and "domestic violence" in plan.lower() and "confidential" in plan.lower()


def test_every_equipment_item_has_its_own_inspection_form(binders):
    ridgeline = binders["ridgeline-wellsite"]
    forms = [t for d, t in ridgeline.values() if d["id"].startswith("EQP-")]
    assert len(forms) == 5
    assert any("Bobcat S650 skid steer" in t for t in forms) and any("Lincoln welding rig" in t for t in forms)


@pytest.mark.parametrize("what,keys", [
    ("hazards", "fall_from_height ladder_use scaffold_work slips_trips manual_handling repetitive_motion ergonomics_computer struck_by_object caught_between overhead_loads mobile_equipment vehicle_driving traffic_work_zone electrical_shock overhead_power_lines underground_utilities hazardous_energy power_tools hand_tools compressed_air noise vibration silica_dust asbestos chemical_exposure flammable_materials hot_work welding_fumes confined_space excavation_trenching heat_stress cold_stress severe_weather wildlife working_alone workplace_violence harassment fatigue sharp_objects biological_hazards hydrogen_sulfide pressurized_systems fire_explosion poor_lighting"),
    ("equipment", "vehicle trailer ladder scaffold aerial_work_platform forklift skid_steer excavator air_compressor generator power_tools welding_equipment fall_arrest_equipment pressure_washer chainsaw lawn_mower fire_extinguisher"),
    ("industries", "roofing general_construction residential_renovation electrical plumbing_hvac landscaping oilfield_services trucking janitorial office welding_fabrication auto_repair"),
    ("partners", "ACSA ESC AASP GENERIC"),
    ("emergencies", "fire medical severe_weather fall_rescue vehicle_collision chemical_spill utility_strike violent_incident missing_worker gas_release confined_space_rescue"),
])
def test_list_shows_the_contract_keys(what, keys):
    result = CliRunner().invoke(main, ["list", what])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.splitlines()}
    assert set(keys.split()) <= listed


def test_list_documents_shows_the_catalog():
    result = CliRunner().invoke(main, ["list", "documents"])
    assert "POL-001" in result.output and "(one per position)" in result.output
