"""Auditor review of a six-person painting and drywall contractor (tests/profiles/rev-painting-drywall.yaml).

The faults the review found come back here as tests on the built Word files: concrete-cutting silica controls on
drywall sanding, pressure-washer and hydraulic controls on airless spraying, other trades' emergencies in the
emergency response plan, and other trades' items on the site inspection checklists. One test per industry checks
the emergency plan of its starter profile for emergencies and lines its work cannot cause.
"""
import json
import re
from datetime import date
from pathlib import Path

import pytest

from secor_docs.context import build_context
from secor_docs.facts import derive_facts
from secor_docs.library import load_library
from secor_docs.pipeline import BuildOptions, run_build
from secor_docs.profile import load_profile
from secor_docs.starter import Answers, starter_profile

from docx_text import body_text

PROFILE = Path(__file__).parent / "profiles" / "rev-painting-drywall.yaml"
AS_OF = date(2026, 12, 4)

# Concrete and masonry cutting controls: true of a concrete cutter, foreign to drywall sanding.
CONCRETE = ["integrated water feed", "dust shrouds connected", "dry-cut", "cut, core or chase", "Cutting stations",
            "HEPA dust shroud", "Saws and coring drills", "pavers"]
# Controls of pressure washing, hydraulics, tires and refrigeration: foreign to airless spraying.
NOT_SPRAY = ["Pressure washers with trigger locks", "face shield for pressure washing", "hydraulic lines",
             "blow-down", "inflation cage", "Refrigerant", "vessel inspection certificate", "whip check at every"]
# Emergencies and emergency lines a painting shop's work cannot cause.
FOREIGN_EMERGENCY = ["hydrogen sulfide", "breathing apparatus", "Windsock", "Gas line hit", "Power line contact",
                     "Utility Safety Partners", "locate", "Confined space", "retrieval line", "stays in the cab",
                     "crane", "hot work location", "Gas leak", "working alone log", "Missing or overdue worker"]
# Site inspection items of other trades.
FOREIGN_CHECKLIST = ["offcuts", "Permits the work needs", "Guards in place on grinders", "Lockout locks",
                     "Air compressor relief valve", "oxygen kept apart", "Mufflers", "vessel inspection",
                     "Cutting, grinding or drilling concrete", "Waste bin or trailer",
                     "Base plates and mud sills on firm ground;"]


@pytest.fixture(scope="module")
def binder(tmp_path_factory):
    out = tmp_path_factory.mktemp("rev-painting")
    [result] = run_build(BuildOptions(profiles=(PROFILE,), out=out, as_of=AS_OF, pdf=False, jobs=1))
    assert result.ok, result.error
    folder = out / result.slug
    manifest = json.loads((folder / "manifest.json").read_text())
    return {d["id"]: (d["title"], body_text(folder / d["docx"])) for d in manifest["documents"]}


def doc(binder, prefix: str, title_part: str = "") -> str:
    found = [t for i, (title, t) in binder.items() if i.startswith(prefix) and title_part in title]
    assert found, (prefix, title_part, sorted(binder))
    return "\n".join(found)


def everything(binder) -> str:
    return "\n".join(t for _, t in binder.values())


def present(text: str, phrases) -> list[str]:
    return [p for p in phrases if p.lower() in text.lower()]


# ---- silica and dust: controls for the material being sanded ----

def test_drywall_sanding_gets_drywall_dust_controls(binder):
    for position in ("Drywall Finisher", "Painter"):
        ha = doc(binder, "HA-", position)
        silica = ha[ha.index("Respirable crystalline silica dust"):]
        silica = silica[:silica.index("Repetitive motion")]
        for own in ("vacuum (dustless) pole and hand sanders", "wet-sanded with a damp sponge", "N95",
                    "HEPA vacuum or wet methods for all clean-up", "return-air grilles"):
            assert own in silica, (position, own)
        assert not present(silica, CONCRETE), (position, present(silica, CONCRETE))


def test_no_concrete_cutting_control_anywhere_in_the_painting_binder(binder):
    assert not present(everything(binder), CONCRETE)
    swp = doc(binder, "SWP-", "silica")
    assert "Sand joint compound and filler with the vacuum sander or a damp sponge" in swp
    assert "never dry sweep" in swp


# ---- airless spray: the trade's own controls, not a pressure washer's ----

def test_airless_spray_task_gets_sprayer_controls(binder):
    ha = doc(binder, "HA-", "Lead Painter")
    for own in ("tip guard always in place", "trigger lock engaged", "Pressure relief procedure",
                "never pointed at anyone", "no hand, finger or rag held over the tip",
                "tells staff it is a high-pressure injection injury", "grounded with the maker's ground wire",
                "organic vapour cartridges", "overspray", "ignition sources in the area are shut off"):
        assert own in ha, own
    assert not present(ha, NOT_SPRAY), present(ha, NOT_SPRAY)
    swp = doc(binder, "SWP-", "Pressurized")
    assert "relieve the pressure" in swp and "never put your hand, a finger or a rag over the tip".lower() in swp.lower()


def test_injection_injury_is_in_the_medical_emergency_procedure(binder):
    for erp in (doc(binder, "ERP-01"), doc(binder, "ERP-02")):
        assert "tell staff it is an injection injury" in erp


# ---- emergency response plan: only what this company's work can cause ----

def test_painting_emergency_plan_has_no_foreign_emergency(binder):
    for prefix in ("ERP-01", "ERP-02"):
        erp = doc(binder, prefix)
        assert not present(erp, FOREIGN_EMERGENCY), (prefix, present(erp, FOREIGN_EMERGENCY))
        for own in ("Fire:", "Medical emergency or serious injury:", "Chemical spill or release", "Vehicle collision"):
            assert own in erp, (prefix, own)


EMERGENCY_MARKERS = {
    "h2s": ["hydrogen sulfide", "breathing apparatus", "Windsock"],
    "buried_utility": ["Gas line hit", "Utility Safety Partners", "Ground Disturbance"],
    "power_line": ["Power line contact"],
    "confined_space": ["Confined space rescue", "retrieval line"],
    "machine": ["stays in the cab", "crane and hoist"],
    "hot_work": ["hot work location"],
    "spray": ["injection injury"],
}
# Which marker groups each industry's starter work can cause (its hazards, equipment and tasks).
EMERGENCY_OWN = {
    "auto_repair": {"hot_work"},
    "electrical": {"buried_utility", "power_line", "machine"},          # hand-dug trenches, aerial work platforms
    "general_construction": {"buried_utility", "power_line"},
    "janitorial": set(),
    "landscaping": {"buried_utility", "power_line", "machine"},          # digging, skid steer near lines
    "office": set(),
    "oilfield_services": {"h2s"},          # its starter tasks work outside tanks: H2S alone brings no confined space rescue
    "plumbing_hvac": {"h2s", "confined_space", "hot_work"},              # confined space rescue needs supplied air
    "residential_renovation": set(),
    "roofing": {"power_line"},
    "trucking": {"machine"},                                            # forklift in the yard
    "welding_fabrication": {"hot_work", "machine"},
}


def starter_emergency_text(industry: str, tmp_path: Path) -> str:
    lib = load_library()
    path = tmp_path / f"{industry}.yaml"
    path.write_text(starter_profile(Answers(industry=industry, effective_date=date(2026, 3, 1)), lib), encoding="utf-8")
    profile = load_profile(path, lib).profile
    ctx = build_context(profile, derive_facts(profile, lib, date(2026, 3, 2)), lib).context
    return "\n".join([e.name + "\n" + "\n".join([*e.procedure, *e.equipment, *e.training, e.drill])
                      for s in ctx["sites"] for e in s.emergencies]
                     + [f"{c.name} {c.note}" for c in ctx["contacts"]])


def test_every_industry_has_an_emergency_marker_list():
    assert set(EMERGENCY_OWN) == set(load_library().industries)


@pytest.mark.parametrize("industry", sorted(EMERGENCY_OWN))
def test_starter_emergency_plan_has_no_foreign_emergency(industry, tmp_path):
    text = starter_emergency_text(industry, tmp_path)
    foreign = [p for group, phrases in EMERGENCY_MARKERS.items() if group not in EMERGENCY_OWN[industry]
               for p in phrases if p.lower() in text.lower()]
    assert not foreign, f"{industry}'s emergency plan shows emergencies its work cannot cause: {foreign}"
    missing = [g for g in EMERGENCY_OWN[industry] if not any(p.lower() in text.lower() for p in EMERGENCY_MARKERS[g])]
    assert not missing, f"{industry}'s emergency plan lacks its own emergencies: {missing}"


# ---- site inspection checklists: items of this trade and this site ----

def test_site_inspections_have_no_other_trades_items(binder):
    for prefix in ("INS-01", "INS-02"):
        ins = doc(binder, prefix)
        assert not present(ins, FOREIGN_CHECKLIST), (prefix, present(ins, FOREIGN_CHECKLIST))
    client = doc(binder, "INS-02")
    for own in ("vacuum sander or a damp sponge", "tip guard on and trigger lock working", "Rolling scaffold casters locked",
                "Drop sheets, masking and empty product containers", "Sprayer pump and paint pail grounded"):
        assert own in client, own


def test_checklist_items_are_picked_by_site_kind(binder):
    """Workstation items belong to the shop, where the books are kept; sealing off a room to the client's home."""
    shop, client = doc(binder, "INS-01"), doc(binder, "INS-02")
    assert "Workstations adjusted" in shop and "Workstations adjusted" not in client
    assert "Room being sanded closed off" in client and "Room being sanded closed off" not in shop


# ---- equipment: an airless sprayer gets a sprayer's pre-use check ----

def test_airless_sprayer_kind_gets_its_own_checklist(tmp_path):
    text = PROFILE.read_text(encoding="utf-8")
    old = '{name: "Graco airless sprayer", kind: power_tools}'
    assert old in text
    profile = tmp_path / "sprayer.yaml"
    profile.write_text(text.replace(old, '{name: "Graco airless sprayer", kind: airless_sprayer}'), encoding="utf-8")
    [result] = run_build(BuildOptions(profiles=(profile,), out=tmp_path / "out", as_of=AS_OF, pdf=False, jobs=1))
    assert result.ok, result.error
    folder = tmp_path / "out" / result.slug
    manifest = json.loads((folder / "manifest.json").read_text())
    [form] = [body_text(folder / d["docx"]) for d in manifest["documents"] if "Graco" in d["title"]]
    for own in ("Tip guard fitted", "trigger lock engages", "Pressure relief (prime or drain) valve", "Ground wire and clamp"):
        assert own in form, own
    assert not re.search(r"grinder|saw blade|disc", form, re.I)


# ---- whole-binder read: lead paint, training names, the law a painter's gaps page names ----

def test_scraping_paint_without_the_lead_hazard_is_a_validate_warning():
    from click.testing import CliRunner

    from secor_docs.cli import main
    result = CliRunner().invoke(main, ["validate", str(PROFILE), "--as-of", AS_OF.isoformat()])
    assert re.search(r"rev-painting-drywall\.yaml:\d+:\d+: warning: positions\[2\]\.tasks\[0\]\.hazards: task 'Surface "
                     r"preparation: sanding, scraping and patching' usually involves 'Lead in old paint and coatings'; "
                     r"add 'lead_paint'", result.output), result.output
    assert "tasks[0].hazards: task 'Taping, mudding and sanding drywall' usually involves" not in result.output


def test_renovation_surface_preparation_assesses_lead_paint(tmp_path):
    lib = load_library()
    path = tmp_path / "reno.yaml"
    path.write_text(starter_profile(Answers(industry="residential_renovation", effective_date=date(2026, 3, 1)), lib),
                    encoding="utf-8")
    profile = load_profile(path, lib).profile
    ctx = build_context(profile, derive_facts(profile, lib, date(2026, 3, 2)), lib).context
    lead = next(h for h in ctx["hazards"] if h.key == "lead_paint")
    text = "\n".join(i for level in lead.controls for i in level.items)
    assert "tested for lead" in text and "no dry power sanding, open-flame burning" in text


def test_drywall_finishers_training_is_named_for_their_work(binder):
    matrix = doc(binder, "REC-050")
    row = matrix[matrix.index("Kyle Brandt"):][:600]
    assert "Repetitive Work and Posture (MSI Prevention)" in row and "Workstation Ergonomics" not in row


def test_gaps_page_names_only_the_law_in_this_companys_register(binder):
    gaps = doc(binder, "GAP-001")
    assert not present(gaps, ["Pesticide", "Hours of Service", "Commercial Vehicle", "National Safety Code"])


def test_ladders_and_platforms_fit_painters_and_drywall_finishers(binder):
    drywall = doc(binder, "HA-", "Drywall Finisher")
    assert "Where drywall stilts are used" in drywall and "Rolling work platforms (baker-style" in drywall
    painter = doc(binder, "HA-", "Painter")
    assert "Ladders never set on drop sheets" in painter
    assert "Where drywall stilts are used" not in doc(binder, "HA-", "Owner / Estimator")


def test_spray_rules_in_the_chemical_and_flammable_practices(binder):
    assert "organic vapour respirator on; stop and leave if you smell solvent" in doc(binder, "SWP-", "chemical")
    flammable = doc(binder, "SWP-", "Flammable")
    assert "shut off pilot lights" in flammable and "metal flush pail" in flammable


def test_task_words_match_the_start_of_a_word_only():
    from types import SimpleNamespace

    from secor_docs.lint import _hazards_the_task_names_suggest

    def warned(*names):
        tasks = [SimpleNamespace(name=n, hazards=["manual_handling"]) for n in names]
        return [w.message for w in _hazards_the_task_names_suggest(SimpleNamespace(positions=[SimpleNamespace(tasks=tasks)]))]
    assert not warned("Load and unload trucks and move scrap", "Sand drywall patches", "Strip and refinish hard floors")
    assert len(warned("Scrape loose paint from the trim", "Repaint the exterior")) == 2
