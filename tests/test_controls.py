"""Controls that fit the trade and task, their confirmation status, control findings, and the grammar filters."""
import json
import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from secor_docs.cli import main
from secor_docs.controls import (CONFIRM_WITHIN_DAYS, Setting, control_findings, controls_for_task, fits, matches,
                                 unconfirmed_count)
from secor_docs.grammar import agree, count, with_article
from secor_docs.library import Item, load_library
from secor_docs.pipeline import BuildOptions, run_build
from secor_docs.profile import load_profile
from secor_docs.starter import Answers, starter_profile

from conftest import PROFILES
from docx_text import body_text

TEST_PROFILES = Path(__file__).parent / "profiles"

# Phrases that mark a control as belonging to one trade. A binder of any other trade must not contain them.
MARKERS = {
    "roofing": ["Roofing materials landed", "boom truck", "tear-off", "shingle"],
    "construction": ["pre-assemble trusses", "floor openings and skylights", "Magnetic sweeper", "green triangle",
                     "nailers", "trench box", "debris netting"],
    "electrical": ["Arc-rated clothing", "CSA Z462", "Rubber insulating gloves"],
    "oilfield": ["SCBA", "sour equipment", "Bear spray", "Hot oil unit"],
    "trucking": ["hours-of-service", "Coupling and uncoupling", "tarping gantry"],
    "landscaping": ["Chainsaw chaps", "chain brake", "pesticide", "pavers", "Mower and trimmer guards"],
    "janitorial": ["dilution systems", "colour-coded cloths", "Janitorial carts", "high-reach dusters"],
    "welding": ["Welding screens", "manganese", "Powered air-purifying welding helmet"],
    "auto": ["inflation cage", "hybrid and electric vehicles"],
    "hvac": ["Refrigerant recovered", "Lead-free solder"],
    "client_photos": ["client photos"],
}
# Which marker groups each industry's own work may show.
OWN = {
    "roofing": {"roofing", "construction", "client_photos"},
    "general_construction": {"roofing", "construction", "client_photos"},
    "residential_renovation": {"construction", "roofing"},
    "electrical": {"electrical", "construction"},
    "plumbing_hvac": {"hvac", "construction"},
    "landscaping": {"landscaping"},
    "oilfield_services": {"oilfield", "trucking"},           # oilfield units are commercial vehicles
    "trucking": {"trucking"},
    "janitorial": {"janitorial"},
    "office": set(),
    "welding_fabrication": {"welding"},
    "auto_repair": {"auto", "electrical"},                   # insulated gloves for high-voltage vehicles
}
# What each industry's starter binder must show: controls of its own trade.
MUST = {
    "roofing": ["Roof anchors", "Roofing materials landed"],
    "general_construction": ["trench box", "Roof anchors"],
    "residential_renovation": ["Hazardous materials survey", "Magnetic sweeper"],
    "electrical": ["CSA Z462", "absence of voltage"],
    "plumbing_hvac": ["Refrigerant recovered", "Lead-free solder"],
    "landscaping": ["chain brake", "Chainsaw chaps", "pesticide applicator"],
    "oilfield_services": ["H2S Alive", "Hot oil unit"],
    "trucking": ["hours-of-service", "Coupling and uncoupling"],
    "janitorial": ["dilution systems", "Garbage bags lifted by the neck"],
    "office": ["CSA Z412"],
    "welding_fabrication": ["fume extractor", "CSA W117.2"],
    "auto_repair": ["inflation cage", "Parts washer"],
}


def foreign_phrases(industry: str) -> list[str]:
    return [p for group, phrases in MARKERS.items() if group not in OWN[industry] for p in phrases]


def picked_text(profile) -> str:
    lib = load_library()
    setting = Setting.of(profile)
    return "\n".join(c.text for pos in profile.positions for t in pos.tasks for k in t.hazards if k in lib.hazards
                     for c in controls_for_task(profile, t, k, lib.hazards[k], setting))


def starter(industry: str, tmp_path: Path):
    lib = load_library()
    path = tmp_path / f"{industry}.yaml"
    path.write_text(starter_profile(Answers(industry=industry, effective_date=date(2026, 3, 1)), lib), encoding="utf-8")
    return load_profile(path, lib).profile


def test_every_industry_has_a_marker_list():
    assert set(OWN) == set(load_library().industries) == set(MUST)


@pytest.mark.parametrize("industry", sorted(OWN))
def test_starter_controls_fit_the_trade(industry, tmp_path):
    text = picked_text(starter(industry, tmp_path))
    found = [p for p in foreign_phrases(industry) if p.lower() in text.lower()]
    assert not found, f"{industry} shows other trades' controls: {found}"
    missing = [p for p in MUST[industry] if p not in text]
    assert not missing, f"{industry} lacks its own trade's controls: {missing}"


def test_every_hazard_keeps_general_controls():
    """Where nothing specific fits, general wording remains: every hazard has a general non-PPE control."""
    for key, h in load_library().hazards.items():
        general = [c for level in ("elimination", "engineering", "administrative") for c in getattr(h.controls, level) if c.general]
        assert general, key


def test_conditions_all_hold_and_any_value_is_enough():
    s = Setting("landscaping", frozenset({"yard", "client_site"}), frozenset({"chainsaw", "vehicle"}))
    assert fits(Item(text="x"), s, ["Mow lawns"])
    assert fits(Item(text="x", industries=["janitorial", "landscaping"]), s, [])
    assert not fits(Item(text="x", industries=["janitorial"]), s, ["Mow lawns"])
    assert fits(Item(text="x", tasks=["chainsaw"], equipment=["chainsaw"]), s, ["Fell trees with a chainsaw"])
    assert not fits(Item(text="x", tasks=["chainsaw"], equipment=["chainsaw"]), s, ["Mow lawns"])
    assert not fits(Item(text="x", tasks=["saw"]), s, ["Use a seesaw"])  # task words match the start of a word
    assert not fits(Item(text="x", sites=["shop"]), s, ["Mow lawns"])


def test_confirmation_by_id_text_or_wildcard():
    item = Item(text="Ladders inspected before each use; damaged ladders tagged")
    assert matches("ladder_use.ladders-inspected-before-each", "ladder_use", item)
    assert matches("ladder_use.*", "ladder_use", item)
    assert matches("  ladders inspected before each use;  damaged ladders tagged.", "ladder_use", item)
    assert not matches("fall_from_height.*", "ladder_use", item)


# ---- binders of trades that are not in company_profiles/ ----

CASES = {
    "ctl-janitorial-family": ("janitorial", ["Recommended, not yet confirmed", "dilution systems",
                                             "Garbage bags lifted by the neck", "sharps container"],
                              ["hard hat", "CSA Z195 Grade 1", "harness", "Arc-rated", "boom truck", "fall protection plan"]),
    "ctl-hotshot-trucking": ("trucking", ["hours-of-service", "Coupling and uncoupling",
                                          "Drivers delivering to sour sites", "deer, moose and elk"],
                             ["SCBA", "client photos", "supplied-air", "Pallet jacks, forklift"]),
    "ctl-solo-electrician": ("electrical", ["CSA Z462", "absence of voltage", "electrical permit"],
                             ["trench", "boom truck", "crew", "buddy", "rotated among"]),
    "ctl-landscaper-young": ("landscaping", ["chain brake", "Chainsaw chaps", "kickback", "pesticide applicator",
                                             "Mower and trimmer guards"],
                             ["grinder guards", "nailers", "Roof anchors", "green triangle"]),
    "ctl-painter": ("residential_renovation", ["Spray painting outdoors", "organic vapour"],
                    ["pesticide", "boom truck", "trusses", "Magnetic sweeper", "nailers", "tear-off", "green triangle",
                     "floor openings"]),
}


@pytest.fixture(scope="module")
def trade_binders(tmp_path_factory):
    out = tmp_path_factory.mktemp("trades")
    results = run_build(BuildOptions(profiles=tuple(TEST_PROFILES / f"{n}.yaml" for n in CASES), out=out,
                                     as_of=date(2026, 3, 2), pdf=False, jobs=2))
    assert all(r.ok for r in results), [str(r.error) for r in results if not r.ok]
    built = {}
    for r in results:
        folder = out / r.slug
        m = json.loads((folder / "manifest.json").read_text())
        built[r.profile.stem] = {d["id"]: body_text(folder / d["docx"]) for d in m["documents"]}
    return built


def _assessments(binder) -> str:
    """Formal hazard assessments, and safe work practices up to their training section (law and emergencies follow)."""
    return "\n".join(t if i.startswith("HA-") else t.split("\nTraining\n")[0]
                     for i, t in binder.items() if i.startswith(("HA-", "SWP-")))


@pytest.mark.parametrize("name", sorted(CASES))
def test_trade_binder_shows_no_foreign_control(trade_binders, name):
    industry, must, must_not = CASES[name]
    text = _assessments(trade_binders[name])
    bad = [p for p in must_not + foreign_phrases(industry) if p.lower() in text.lower()]
    assert not bad, f"{name}: {bad}"
    missing = [p for p in must if p not in text]
    assert not missing, f"{name}: {missing}"


def test_unconfirmed_controls_are_recommended_dated_and_counted(trade_binders):
    binder = trade_binders["ctl-janitorial-family"]
    lib = load_library()
    profile = load_profile(TEST_PROFILES / "ctl-janitorial-family.yaml", lib).profile
    unconfirmed, tasks, total = unconfirmed_count(profile, lib)
    assert 0 < unconfirmed == total
    approval = next(t for i, t in binder.items() if i.startswith("POL-000"))
    assert f"{unconfirmed} recommended controls in the formal hazard assessments are not yet confirmed" in approval
    assert f"({tasks} tasks; 0 of {total} controls confirmed)" in approval
    log = next(t for i, t in binder.items() if i.startswith("FRM-030"))
    due = date(2026, 3, 2).toordinal() + CONFIRM_WITHIN_DAYS
    assert date.fromordinal(due).isoformat() in log
    assert "are recommended, not confirmed as in place" in log
    findings = control_findings(profile, lib, date(2026, 3, 2))
    assert len(findings) == tasks and {f.owner for f in findings} == {"Maria Haddad"}
    assert all(f.code == "control-unconfirmed" and f.due == date.fromordinal(due) for f in findings)


def test_confirmed_and_accepted_controls_print_as_in_place(tmp_path):
    lib = load_library()
    text = (TEST_PROFILES / "ctl-solo-electrician.yaml").read_text()
    confirmed = text.replace('        hazards: [ergonomics_computer]\n',
                             '        hazards: [ergonomics_computer]\n        confirmed_controls: ["ergonomics_computer.*"]\n')
    path = tmp_path / "p.yaml"
    path.write_text(confirmed)
    profile = load_profile(path, lib).profile
    before = unconfirmed_count(load_profile(TEST_PROFILES / "ctl-solo-electrician.yaml", lib).profile, lib)
    after = unconfirmed_count(profile, lib)
    assert after[0] == before[0] - 8 and after[1] == before[1] - 1
    accepted = text.replace("  emergency_drill_frequency: annual\n", "  emergency_drill_frequency: annual\n  accept_library_controls: true\n")
    path.write_text(accepted)
    profile = load_profile(path, lib).profile
    assert unconfirmed_count(profile, lib)[0] == 0
    [note] = control_findings(profile, lib, date(2026, 3, 2))
    assert note.code == "controls-accepted-from-library" and note.severity.value == "note"


def test_task_confirmation_adds_a_control_the_library_would_not_pick(tmp_path):
    lib = load_library()
    text = (TEST_PROFILES / "ctl-janitorial-family.yaml").read_text().replace(
        "        hazards: [ladder_use, fall_from_height, electrical_shock]\n",
        "        hazards: [ladder_use, fall_from_height, electrical_shock]\n"
        "        confirmed_controls: [\"Platform stepladders with a railed top for repeated overhead work\", fall_from_height.full-body-harness-approved]\n")
    path = tmp_path / "p.yaml"
    path.write_text(text)
    profile = load_profile(path, lib).profile
    task = profile.positions[1].tasks[3]
    picked = controls_for_task(profile, task, "fall_from_height", lib.hazards["fall_from_height"], Setting.of(profile))
    harness = [c for c in picked if c.id == "fall_from_height.full-body-harness-approved"]
    assert harness and harness[0].confirmed


def test_unknown_confirmed_control_is_a_located_error(tmp_path):
    text = (TEST_PROFILES / "ctl-solo-electrician.yaml").read_text().replace(
        "        hazards: [ergonomics_computer]\n",
        "        hazards: [ergonomics_computer]\n        confirmed_controls: [ladder_use.no-such-control, fall_from_height.*]\n")
    path = tmp_path / "p.yaml"
    path.write_text(text)
    r = CliRunner().invoke(main, ["validate", str(path)])
    assert r.exit_code != 0
    lines = [ln for ln in r.output.splitlines() if "confirmed_controls" in ln]
    assert re.search(r"p\.yaml:\d+:\d+: .*confirmed_controls\[0\].*'ladder_use\.no-such-control' is not a library control", r.output), r.output
    assert any("fall_from_height.*' is a control of a hazard this task does not list" in ln for ln in lines), r.output


def test_list_controls_shows_ids(tmp_path):
    r = CliRunner().invoke(main, ["list", "controls"])
    assert r.exit_code == 0
    assert "ladder_use.ladders-inspected-before-each" in r.output


def test_shipped_examples_state_their_control_status():
    lib = load_library()
    roofing = load_profile(PROFILES / "prairie-peak-roofing.yaml", lib).profile
    assert unconfirmed_count(roofing, lib)[0] == 0


# ---- grammar ----

@pytest.mark.parametrize("phrase,expected", [
    ("oilfield services business", "an oilfield services business"), ("janitorial business", "a janitorial business"),
    ("hour", "an hour"), ("unit", "a unit"), ("H2S alarm", "an H2S alarm"), ("SDS", "an SDS"),
    ("WHMIS label", "a WHMIS label"), ("8-hour shift", "an 8-hour shift"), ("one-person crew", "a one-person crew")])
def test_article(phrase, expected):
    assert with_article(phrase) == expected


def test_count_and_agreement():
    assert count(1, "drill") == "1 drill" and count(3, "drill") == "3 drills"
    assert count(2, "person", "people") == "2 people" and count(["a"], "hazard") == "1 hazard"
    assert count(2, "facility") == "2 facilities" and count(2, "box") == "2 boxes"
    assert agree(1, "was", "were") == "was" and agree(0, "was", "were") == "were"
    assert count([1, 2]) == 2  # without a noun it is Jinja's own count


def test_binder_grammar(trade_binders):
    electrician = trade_binders["ctl-solo-electrician"]
    policy = next(t for i, t in electrician.items() if i.startswith("POL-001"))
    assert "is an electrical" in policy.lower() or "is an " in policy
    goals = next(t for i, t in electrician.items() if i.startswith("POL-008"))
    assert "Run 1 drill " in goals and "1 drills" not in goals
    everything = "\n".join(t for b in trade_binders.values() for t in b.values())
    assert not re.search(r"\b1 (drills|people|workers|minutes|years|documents|positions|tasks)\b", everything)
    assert not re.search(r"\ba (electrical|oilfield|auto|office|industrial)\b", everything, re.I)
