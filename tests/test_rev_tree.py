"""Issue 14 review of a trade that does not fit its industry key: a five-person tree service filed under
`landscaping` (tests/profiles/rev-tree-service.yaml). Each test opens the built documents and would catch one fault
an auditor found in this binder coming back."""
import json
from datetime import date
from pathlib import Path

import pytest

from secor_docs.controls import Setting, controls_for_task, fits
from secor_docs.library import Item, load_library
from secor_docs.pipeline import BuildOptions, run_build
from secor_docs.profile import load_profile

from docx_text import body_text

PROFILE = Path(__file__).parent / "profiles" / "rev-tree-service.yaml"
AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def binder(tmp_path_factory):
    out = tmp_path_factory.mktemp("rev-tree")
    [result] = run_build(BuildOptions(profiles=(PROFILE,), out=out, as_of=AS_OF, pdf=False))
    assert result.ok, result.error
    return out / result.slug


def doc(folder: Path, prefix: str) -> str:
    """Text of the one document whose file name starts with prefix."""
    hits = sorted((folder / "documents").glob(f"{prefix}*.docx"))
    assert len(hits) == 1, (prefix, hits)
    return body_text(hits[0])


def in_order(folder: Path, prefix: str) -> list[str]:
    """Paragraphs and table rows of one document in reading order (body_text lists tables after paragraphs)."""
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    [path] = sorted((folder / "documents").glob(f"{prefix}*.docx"))
    d = Document(str(path))
    out = []
    for child in d.element.body.iterchildren():
        if child.tag.endswith("}p"):
            out.append(Paragraph(child, d).text)
        elif child.tag.endswith("}tbl"):
            out += [" | ".join(c.text for c in row.cells) for row in Table(child, d).rows]
    return out


def section(lines: list[str], start: str, end: str | None) -> str:
    i = lines.index(start)
    j = lines.index(end, i + 1) if end else len(lines)
    return "\n".join(lines[i:j])


def docs(folder: Path, prefix: str) -> str:
    return "\n".join(body_text(p) for p in sorted((folder / "documents").glob(f"{prefix}*.docx")))


def warnings(folder: Path) -> list[dict]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["warnings"]


# Controls, PPE and wording written for other trades or for buildings that a tree crew would not recognize.
FOREIGN = [
    "shelves and racks", "cross-tied", "Handrail 800-920", "Anti-slip matting", "sewage", "Hepatitis B",
    "needle", "GFCI", "journeyperson electricians", "left to the utility or a certified utility arborist",
    "skid steer", "load chart", "Order materials in smaller bags", "attics, crawl spaces", "sheet material",
    "gas mowers", "pesticide", "herbicide", "paver", "Portable gas detector carried", "Cable protectors",
    "Heavy items stored between knee and shoulder height", "sharps", "Electrical Safety Awareness",
]


def test_hazard_assessments_and_ppe_have_no_foreign_controls(binder):
    text = docs(binder, "HA-") + docs(binder, "SJP-") + doc(binder, "POL-010")
    found = [p for p in FOREIGN if p.lower() in text.lower()]
    assert not found, found


def test_tree_work_gets_its_own_controls(binder):
    climber = doc(binder, "HA-02")
    assert "two points of attachment" in climber
    assert "Tie-in point in sound wood" in climber
    assert "second worker trained in aerial rescue" in climber
    ground = doc(binder, "HA-04")
    assert "feed control bar" in ground
    assert "butt end first" in ground
    assert "lowering device" in ground
    bucket = doc(binder, "HA-03")
    assert "with the line operator's assistance" in bucket
    assert "dielectric test" in bucket
    assert "debris zone" in bucket   # stump grinder


def test_climbers_get_climbing_gear_not_construction_fall_arrest(binder):
    ppe = in_order(binder, "POL-010")
    climber = section(ppe, "Climber", "Bucket Truck Operator / Crew Lead")
    assert "climbing saddle" in climber
    assert "Shock-absorbing lanyard" not in climber and "self-retracting" not in climber
    bucket = section(ppe, "Bucket Truck Operator / Crew Lead", "Groundsperson (seasonal, under 18)")
    assert "Full body harness" in bucket


def test_every_critical_task_has_a_numbered_procedure(binder):
    assert not [w for w in warnings(binder) if w["code"] == "procedure-to-write"]
    chipper = doc(binder, "SJP-08")
    assert "Drag brush and feed the brush chipper" in chipper
    assert "Feed from the side of the chute" in chipper
    assert "Wood Chipper Operation" in chipper   # the task names the chipper: its course is needed
    assert "Rayco tow-behind stump grinder" not in chipper   # nor another machine of the company
    rescue = docs(binder, "SJP-")
    assert "separate, sound tie-in point" in rescue


def test_equipment_checklists_fit_the_machines(binder):
    chipper = doc(binder, "EQP-02")
    assert "Wood chipper" in chipper and "Feed control bar" in chipper
    assert "Grinder disc or saw blade" not in chipper
    grinder = doc(binder, "EQP-03")
    assert "Cutter teeth" in grinder and "Locate sheets" in grinder
    bucket = doc(binder, "EQP-01")
    assert "Vehicle-mounted aerial device (bucket truck)" in bucket
    assert "dielectric test" in bucket
    assert "scissor" not in bucket.lower()
    climbing = [doc(binder, p) for p in ("EQP-05", "EQP-06")]
    assert all("Climbing line free of cuts" in c for c in climbing)
    assert not any("Self-retracting lifeline" in c or "roof anchors" in c for c in climbing)


def test_register_has_the_law_tree_work_brings_in(binder):
    register = doc(binder, "POL-003")
    for cite in ("OHS Code Part 39", "Tree Care Operations", "OHS Code s.225", "OHS Code Part 23",
                 "Employment of workers under 18"):
        assert cite in register, cite
    assert "pesticide" not in register.lower()


def test_training_comes_from_the_tasks(binder):
    ground = doc(binder, "HA-04")
    needs = ground.split("Training this position needs", 1)[1].split("\n", 2)[1]
    assert "Wood Chipper Operation" in needs and "Stump Grinder Operation" not in needs
    assert "Bloodborne" not in needs   # raking a client's yard is not sharps or sewage work


def test_a_finding_names_each_task_once(binder):
    missing = [w["message"] for w in warnings(binder) if w["code"] == "document-missing"]
    for message in missing:
        assert message.count("Climb and prune trees with ropes and a saddle") <= 1, message


def test_no_unrendered_text(binder):
    for path in (binder / "documents").glob("*.docx"):
        text = body_text(path)
        assert "{{" not in text and "{%" not in text, path.name
        assert "None" not in text.split(), path.name


def test_except_tasks_and_equipment_rule_an_item_out():
    s = Setting("landscaping", frozenset({"yard", "client_site"}), frozenset())
    item = Item(text="x", except_tasks=["chipper"])
    assert fits(item, s, ["Rake leaves"])
    assert not fits(item, s, ["Feed the brush chipper"])
    assert not Item(text="x", except_tasks=["chipper"]).general
    with_truck = Setting("landscaping", frozenset({"yard"}), frozenset({"aerial_device"}))
    assert not fits(Item(text="x", except_equipment=["aerial_device"]), with_truck, ["Prune trees"])
    assert fits(Item(text="x", except_equipment=["aerial_device"]), s, ["Prune trees"])


def test_a_task_in_the_crews_words_gets_the_controls_of_its_library_task(tmp_path):
    """'Help Dale at the back of the machine' names no machine; library_task says it is chipper feeding."""
    text = PROFILE.read_text(encoding="utf-8").replace(
        '      - name: "Drag brush and feed the brush chipper"\n',
        '      - name: "Help Dale at the back of the machine"\n        library_task: feed_wood_chipper\n')
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    profile = load_profile(path).profile
    lib = load_library()
    task = next(t for p in profile.positions for t in p.tasks if t.name.startswith("Help Dale"))
    picked = [c.text for c in controls_for_task(profile, task, "caught_between", lib.hazards["caught_between"],
                                                Setting.of(profile, lib))]
    assert any("feed control bar" in c for c in picked)
    without = [c.text for c in controls_for_task(profile, task, "caught_between", lib.hazards["caught_between"],
                                                 Setting.of(profile))]
    assert not any("feed control bar" in c for c in without)


def test_emergency_plan_has_an_aerial_rescue_with_rescuers_at_the_site(binder):
    plan = doc(binder, "ERP-02")
    assert "Aerial rescue (climber in a tree or worker in a bucket)" in plan
    assert "separate, sound tie-in point" in plan
    rescue = [line for line in in_order(binder, "ERP-02") if line.startswith("Aerial rescue (climber or bucket)")]
    assert rescue and "Jordan Reimer" in rescue[0] and "Sam Whitecalf" in rescue[0], rescue
    assert not [w for w in warnings(binder) if w["code"] == "responder-missing-at-site"]


def test_young_worker_given_a_task_the_program_forbids_is_a_finding(binder):
    found = [w for w in warnings(binder) if w["code"] == "young-worker-task-not-permitted"]
    assert len(found) == 1
    assert "Liam Foster" in found[0]["message"] and "Drag brush and feed the brush chipper" in found[0]["message"]
    assert "Rake up" not in found[0]["message"]   # direct supervision is allowed for the other tasks
    gaps = doc(binder, "GAP-001")
    assert "Liam Foster is under 18" in gaps


def test_emergency_numbers_are_listed_once(binder):
    rows = [line for line in in_order(binder, "ERP-02") if " | " in line]
    numbers = [r.split(" | ")[1] for r in rows if r.split(" | ")[1][:1].isdigit()]
    assert numbers.count("911") == 1, rows
    assert numbers.count("1-800-242-3447") == 1, rows   # the profile repeats Alberta One-Call; printed once


def test_law_to_check_names_only_this_companys_register_entries(binder):
    notes = [w["message"] for w in warnings(binder) if w["code"] == "law-to-verify" and "legislation register" in w["message"]]
    assert notes and all("Pesticide" not in n and "Commercial Vehicle" not in n for n in notes), notes
    register = doc(binder, "POL-003")
    count = int(notes[0].split(" legislation register entries")[0].split()[-1])
    assert f"{count} paraphrased from a secondary source" in register


def test_site_inspection_checks_tree_work(binder):
    site = doc(binder, "INS-02")
    for line in ("Climbers tied in from leaving the ground", "Drop zone under the tree", "Chipper feed control bar tested today",
                 "Lowering device anchored at the base of the tree", "Stump grinder debris zone marked",
                 "Aerial device's dielectric test current"):
        assert line in site, line
    for foreign in ("sharps container", "GFCI protection used for tools", "tagged with their rated capacity",
                    "one designated signaller"):
        assert foreign not in site, foreign


def test_climbing_is_described_as_climbing(binder):
    climber = doc(binder, "HA-02")
    assert "Climbing and working in trees on a rope and saddle" in climber
    bucket = doc(binder, "HA-03")
    assert "Climbing and working in trees" not in bucket   # the bucket operator's falls are from the bucket


def test_safe_work_practices_and_rules_speak_of_tree_work(binder):
    text = docs(binder, "SWP-") + doc(binder, "POL-005")
    for foreign in ("sharps container", "GFCI", "load chart", "cross-tie the layers", "attics, crawl spaces"):
        assert foreign not in text, foreign
    for own in ("Stay out of the drop zone under the tree", "never wrap it around a hand or your body",
                "stay off and away from the truck, the chipper"):
        assert own in text, own
