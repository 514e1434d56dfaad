"""Review of a trade nobody tuned for (issue 14): a nine-person welding and fabrication shop with an overhead crane,
a plasma table and two mobile welders on oil and gas leases (tests/profiles/rev-welding-esc.yaml).

Each test reads the built binder as an auditor would and would fail if a fault found in the review came back:
another trade's controls or checklists, a shop control printed for lease work, a course nobody needs, a crane with
no crane checklist, course or law, a critical task without steps.
"""
import json
import re
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

from secor_docs.controls import Setting, fits
from secor_docs.library import Item, load_library
from secor_docs.pipeline import BuildOptions, run_build



PROFILE = Path(__file__).parent / "profiles" / "rev-welding-esc.yaml"
AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def binder(tmp_path_factory):
    out = tmp_path_factory.mktemp("rev-weld")
    [result] = run_build(BuildOptions(profiles=(PROFILE,), out=out, as_of=AS_OF, pdf=False, jobs=1))
    assert result.ok, result.error
    folder = out / result.slug
    manifest = json.loads((folder / "manifest.json").read_text())
    docs = {d["id"]: (d["title"], ordered_text(folder / d["docx"])) for d in manifest["documents"]}
    return {"docs": docs, "manifest": manifest}


def ordered_text(path: Path) -> str:
    """Body paragraphs and table rows in reading order (a task's table follows its heading), one line each."""
    document = Document(str(path))
    lines = []
    for element in document.element.body.iterchildren():
        if element.tag.endswith("}p"):
            lines.append(Paragraph(element, document).text)
        elif element.tag.endswith("}tbl"):
            for row in Table(element, document).rows:
                cells = []
                for cell in row.cells:
                    text = cell.text.replace("\n", " / ")
                    if text not in cells:
                        cells.append(text)
                lines.append(" | ".join(cells))
    return "\n".join(lines)


def doc(binder, prefix: str, title_part: str = "") -> str:
    hits = [text for i, (title, text) in binder["docs"].items() if i.startswith(prefix) and title_part in title]
    assert hits, f"no document {prefix} {title_part!r}"
    return "\n".join(hits)


def task_section(text: str, task: str) -> str:
    """The part of a formal hazard assessment's text from one task's heading to the next task's."""
    start = re.search(r"\nTask \d+: " + re.escape(task), text).start() + 1
    nxt = re.search(r"\nTask \d+: ", text[start:])
    return text[start:start + nxt.start()] if nxt else text[start:]


# ---------------------------------------------------------------------------------------------- equipment checklists

def test_overhead_crane_gets_a_crane_checklist_not_a_power_tool_one(binder):
    crane = doc(binder, "EQP-", "Overhead bridge crane")
    for item in ("Upper limit switch", "Hook: no cracks", "Crane log book present", "working load limit"):
        assert item in crane
    for foreign in ("Battery packs", "Grinder disc", "double-insulated", "Guards present, move freely"):
        assert foreign not in crane
    assert "Overhead Crane and Rigging" in crane


def test_shop_machines_and_rig_welder_get_their_own_checklists(binder):
    plasma = doc(binder, "EQP-", "CNC plasma table")
    assert "Water bed at the right level" in plasma and "gantry" in plasma
    assert "Battery packs" not in plasma
    iron = doc(binder, "EQP-", "Iron worker")
    assert "Stripper or hold-down" in iron and "band saw" in iron.lower()
    assert "Battery packs" not in iron
    rig = doc(binder, "EQP-", "Big Blue")
    assert "Exhaust pointed away" in rig and "Refuelled only with the engine off" in rig
    truck = doc(binder, "EQP-", "Rig truck")
    assert "Tires: inflation" in truck


# ---------------------------------------------------------------------------------------------- controls

FOREIGN = [
    "Dump box props",                     # dump trailers, matched 'skids'
    "Tank gauging", "thief hatches",      # oilfield production gauging, matched 'tanks'
    "Load securement checked before every move",   # trucking, matched 'rig loads'
    "Wasp and hornet nests",              # landscaping, matched 'lease'
    "voltage-rated gloves",               # electrician's lockout PPE on an iron worker
    "skid steers, tractors",              # equipment the company does not have
    "press-fit or crimped",               # plumbing 'cold methods' offered to a welding shop
    "verified meter before touching conductors",   # electrician's rule on welding tasks
    "Gas piping leak-tested",             # gas fitting, matched 'oil and gas leases'
]


def test_no_other_trades_controls_in_the_hazard_assessments(binder):
    text = "\n".join(t for i, (_, t) in binder["docs"].items() if i.startswith(("HA-", "SJP-")))
    bad = [p for p in FOREIGN if p.lower() in text.lower()]
    assert not bad, bad


def test_welding_trade_controls_are_there(binder):
    fab = doc(binder, "HA-", "Fabricator")
    tig = task_section(fab, "TIG weld stainless steel and aluminum")
    assert "hexavalent chromium" in tig and "Thorium-free" in tig
    assert "voltage-reducing device" in task_section(fab, "Weld in the shop (MIG, stick and flux-core)")
    crane = task_section(fab, "Operate the overhead crane and rig loads")
    assert "crane log book" in crane and "Alloy chain slings" in crane
    assert "Point-of-operation guards on the iron worker" in task_section(fab, "Operate the iron worker and band saw")


def test_lease_work_gets_the_operators_permit_not_shop_controls(binder):
    rig = doc(binder, "HA-", "Mobile Rig Welder")
    lease = task_section(rig, "Weld pipe, skids and tanks on oil and gas leases")
    assert "operator's safe work and hot work permits" in lease
    assert "wind at their side or back" in lease
    assert "General ventilation in the shop" not in lease
    assert "Hot work permit signed by the supervisor" not in lease
    tank = task_section(rig, "Repair the inside of production tanks")
    assert "cylinders stay outside" in tank
    shop = task_section(doc(binder, "HA-", "Fabricator"), "Weld in the shop (MIG, stick and flux-core)")
    assert "General ventilation in the shop" in shop
    assert "reduce field welding" not in shop          # a shop task is not field welding


def test_fire_watch_is_for_hot_work_outside_the_welding_bay(binder):
    text = doc(binder, "HA-")
    assert "Trained fire watch with an extinguisher during hot work outside the designated welding area" in text
    assert "Trained fire watch with an extinguisher during the work and for at least 60 minutes" not in text


def test_except_conditions_keep_a_control_out():
    lib = load_library()
    item = Item(text="Shop-only wording", except_tasks=["lease"], except_industries=["janitorial"])
    weld = Setting("welding_fabrication", frozenset({"shop"}), frozenset())
    assert fits(item, weld, ["Weld in the shop"])
    assert not fits(item, weld, ["Weld on oil and gas leases"])
    assert not fits(item, Setting("janitorial", frozenset({"shop"}), frozenset()), ["Weld in the shop"])
    assert "welding_fabrication" in lib.industries   # the condition keys are checked against the library at load


# ---------------------------------------------------------------------------------------------- procedures

def test_every_trade_critical_task_has_numbered_steps(binder):
    findings = binder["manifest"]["warnings"]
    to_write = [f["message"] for f in findings if f["code"] == "procedure-to-write"]
    for task in ("Operate the overhead crane", "Run the CNC plasma table", "TIG weld", "Repair the inside of production tanks",
                 "Weld pipe, skids and tanks", "Operate the iron worker", "Fit up and build skids", "Drive the rig truck",
                 "Run the rig's welder/generator", "Operate the forklift"):
        assert not [m for m in to_write if task in m], task
    crane = doc(binder, "SJP-", "Operate the overhead crane")
    assert "crane log book" in crane and "tag line" in crane
    tank = doc(binder, "SJP-", "Repair the inside of production tanks")
    assert "confined space entry permit" in tank and "rescue plan" in tank
    forklift = doc(binder, "SJP-", "Operate the forklift in the shop")
    assert "dock plate" not in forklift                 # the freight-dock procedure does not fit a fab shop yard


# ---------------------------------------------------------------------------------------------- training

def _training_rows(matrix: str, person: str) -> str:
    start = matrix.index(f"{person} / ", matrix.index("Training by person"))
    return matrix[start:start + 4000]


def test_training_matrix_fits_the_equipment_and_trade(binder):
    matrix = doc(binder, "REC-050")
    foreman = _training_rows(matrix, "Marc Tremblay")
    assert "Forklift Operator" in foreman
    assert "Mobile Equipment Operator" not in foreman.split("Jenna Sorensen")[0]   # the forklift course covers it
    assert "Overhead Crane and Rigging" in foreman
    assert "Law (OHS Code Part 6)" in matrix
    fabricator = _training_rows(matrix, "Ravi Gill").split("Tyler Nakamura")[0]
    assert "Electrical Safety Awareness" not in fabricator   # welding safety covers the welding circuit
    owner = _training_rows(matrix, "Glen Harder").split("Marc Tremblay")[0]
    assert "H2S Alive" in owner
    assert "Respiratory Protection and Fit Testing" not in owner   # lease visits: an escape unit, not a fit-tested respirator
    crane_sjp = doc(binder, "SJP-", "Operate the overhead crane")
    assert "Training needed: Company Health and Safety Orientation, Overhead Crane and Rigging." in crane_sjp


# ---------------------------------------------------------------------------------------------- law and documents

def test_legislation_register_has_the_trade_triggered_law(binder):
    register = doc(binder, "POL-003")
    assert "OHS Code Part 21" in register and "Rigging" in register
    assert "Pressure Welders Regulation (AR 169/2002)" in register
    assert "Crane log book for each overhead crane" in register
    codes = {f["code"] + ":" + f["message"] for f in binder["manifest"]["warnings"]}
    assert any("crane log book" in c for c in codes)
    assert any("Pressure welding (ABSA)" in c for c in codes)
    # the tank work needs a confined space code of practice: in the binder, or reported missing; the safe work
    # practice "Confined space entry" does not count as one
    titles = [title for title, _ in binder["docs"].values()]
    assert "Confined Space Code of Practice" in titles or any(
        c.startswith("document-missing:") and "Confined Space Code of Practice" in c for c in codes)
    from ruamel.yaml import YAML
    consistency = Path(__file__).parent.parent / "secor_docs" / "data" / "consistency.yaml"
    refs = YAML(typ="safe").load(consistency.read_text())["referred_documents"]["confined_space"]["titles"]
    assert not any(t in "safe work practice: confined space entry" for t in refs)


def test_no_unrendered_tags_or_none(binder):
    for i, (title, text) in binder["docs"].items():
        assert "{{" not in text and "{%" not in text, i
        # a Python None printed as a cell or a value, not words such as "None needed"
        assert not re.search(r"(^|\| |: )None( \||\.|,|$)", text, re.M), (i, title)


# ---------------------------------------------------------------------------------------------- sites and emergencies

def test_each_site_plans_for_the_work_done_there(binder):
    """With shifts given, a site's plan and checklist follow the hazards of the people who work there: no tank
    rescue in the shop (the lease crew does tank work), no fall rescue on leases (nobody works at height there)."""
    shop_erp = doc(binder, "ERP-", "shop")
    lease_erp = doc(binder, "ERP-", "leases")
    assert "Confined space rescue" not in shop_erp
    assert "Fall arrest rescue" in shop_erp            # fabricators fit up tall skids
    assert "Fall arrest rescue" not in lease_erp
    assert "Confined space rescue" in lease_erp
    lease_ins = doc(binder, "INS-", "leases")
    assert "Computer workstation ergonomics" not in lease_ins and "Fall from height" not in lease_ins
    assert "Confined space entry" in lease_ins and "Hydrogen sulphide (H2S) gas" in lease_ins
    shop_ins = doc(binder, "INS-", "shop")
    assert "Confined space entry" not in shop_ins


def test_tank_entry_needs_two_trained_people_not_one(binder):
    lease_erp = doc(binder, "ERP-", "leases")
    assert "only Cody Lindqvist at this site has current confined space training" in lease_erp
    gaps = [f for f in binder["manifest"]["warnings"] if f["code"] == "responder-missing-at-site"]
    assert any("trained tending worker" in f["message"] for f in gaps)


def test_emergency_plan_numbers_and_responder_training_fit_the_work(binder):
    lease_erp = doc(binder, "ERP-", "leases")
    numbers = lease_erp.split("Emergency numbers")[1].split("(a) Potential emergencies")[0]
    assert numbers.count("| 911 |") == 1                        # 911 once, first
    assert "Employment Standards" not in numbers                # no young workers; not an emergency number
    assert "One-Call" not in numbers                            # nobody digs
    assert "On a client's site, the client's plan comes first" in lease_erp
    assert "Gas leak or toxic gas release | WHMIS, H2S Alive" in lease_erp
    shop_erp = doc(binder, "ERP-", "shop")
    assert "On a client's site" not in shop_erp


def test_task_ratings_rank_tank_hot_work_above_supervising(binder):
    """A hazard can be rated for the tasks where it differs (hazards/*.yaml `ratings`): hot work inside a tank is a
    critical confined space entry, and noise while planning and supervising is not the grinder operator's."""
    critical = doc(binder, "HAZ-002").split("Tasks assessed and not critical")
    assert "Plan shop work and supervise the fabricators" not in critical[0]
    assert "Plan shop work and supervise the fabricators" in critical[1]
    tank_row = next(line for line in critical[0].splitlines() if "Repair the inside of production tanks" in line)
    assert "confined space entry" in tank_row and "12 (Critical)" in tank_row
    assert not [f for f in binder["manifest"]["warnings"] if f["code"] == "procedure-to-write"]


def test_site_checklist_items_follow_the_tasks_done_there(binder):
    """The shop hand paints parts in the shop; the lease checklist has no painter's drop sheets and masking."""
    lease_ins = doc(binder, "INS-", "leases")
    assert "Drop sheets, masking" not in lease_ins
