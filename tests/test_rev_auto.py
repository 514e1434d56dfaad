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
    assert [k for k, e in lib.equipment.items() if not e.name_words] == []


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
