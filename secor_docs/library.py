"""Built-in domain knowledge (hazards, equipment, industries, law, first aid, frameworks), loaded and checked once."""
from __future__ import annotations

import functools
import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from ruamel.yaml import YAML

from .errors import DataError
from .resources import data_dir


class Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


SITE_KINDS = ("office", "shop", "yard", "field", "client_site")
_STOP = {"a", "an", "the", "and", "or", "of", "to", "for", "with", "on", "in", "at", "by", "is", "are", "be", "so", "as"}


def control_slug(text: str, words: int = 4) -> str:
    """Short id from a control's first significant words: 'Full body harness approved to ...' -> full-body-harness-approved."""
    tokens = [t for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in _STOP]
    return "-".join(tokens[:words]) or "control"


class Item(Data):
    """A control, cause or rule of a library hazard, with where it applies.

    Every condition given must hold; within one condition any listed value is enough. A plain string in the data
    file is an item with no conditions: general wording that is true for any trade.
    """
    text: str
    id: str = ""  # short id, unique within its hazard; derived from the text when not given
    industries: list[str] = []   # company.industry keys
    sites: list[Literal["office", "shop", "yard", "field", "client_site"]] = []  # any company site of these kinds
    equipment: list[str] = []    # the company has equipment of any of these kinds
    tasks: list[str] = []        # a word in the task name starts with one of these (case-insensitive)
    except_industries: list[str] = []  # not for these company.industry keys (another trade's wording would be untrue)
    except_tasks: list[str] = []  # not for a task with a word starting with one of these (e.g. shop-only wording on lease work)
    except_equipment: list[str] = []  # not where the company has equipment of these kinds
    uses: list[str] = []         # the task uses the company's equipment of one of these kinds (names the item or kind)
    not_uses: list[str] = []     # ...and uses none of these kinds (crane rigging is not for a vehicle on a hoist)
    crew: bool = False           # needs two or more people (rotation, buddy, second person): not for a one-person company

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value):
        if isinstance(value, str):
            return {"text": value}
        return value

    @property
    def general(self) -> bool:
        return not (self.industries or self.sites or self.equipment or self.tasks or self.except_industries
                    or self.except_tasks or self.except_equipment or self.uses or self.not_uses or self.crew)

    @property
    def slug(self) -> str:
        return self.id or control_slug(self.text)


class Controls(Data):
    elimination: list[Item] = []
    engineering: list[Item] = []
    administrative: list[Item] = []
    ppe: list[Item] = []


class Rating(Data):
    severity: int = Field(ge=1, le=4)
    probability: int = Field(ge=1, le=4)


class TaskRating(Item):
    """A rating of a hazard for the tasks (industries, sites, equipment) where it differs from the hazard's usual
    one: noise for someone who plans and supervises is not the grinder operator's, a confined space entry for hot
    work inside a tank is worse than one for an inspection. `text` says why; the first entry that fits wins."""
    severity: int = Field(ge=1, le=4)
    probability: int = Field(ge=1, le=4)
    residual: Rating


class HazardVariant(Data):
    """How a hazard reads for the tasks it fits (same conditions as an Item): its own description or check.

    The first variant whose conditions hold for a task replaces the hazard's general wording for that task; a field
    left out keeps the general value. Used where the general text names another trade's work (sewage, GFCIs)."""
    industries: list[str] = []
    sites: list[Literal["office", "shop", "yard", "field", "client_site"]] = []
    equipment: list[str] = []
    tasks: list[str] = []
    except_industries: list[str] = []
    except_tasks: list[str] = []
    except_equipment: list[str] = []
    uses: list[str] = []
    not_uses: list[str] = []
    crew: bool = False
    description: str | None = None
    check: str | None = None


class Hazard(Data):
    name: str
    description: str
    causes: list[Item]
    severity: int = Field(ge=1, le=4)
    probability: int = Field(ge=1, le=4)
    controls: Controls
    residual: Rating
    ratings: list[TaskRating] = []   # task-specific ratings (see TaskRating)
    check: str
    code_refs: list[str]
    # training keys; like a control, an entry may say where it applies ({text: welding_safety, tasks: [weld]}), so
    # a course is required only for the tasks that really call for it (soldering is not welding)
    training: list[Item]
    emergencies: list[str]
    whmis: bool = False
    safe_work_practice: list[Item]
    # words that start a word of a task name when the task usually involves this hazard; `validate` warns when such
    # a task does not list it (scraping paint in an old house is lead work even when the profile forgot to say so)
    task_words: list[str] = []
    variants: list[HazardVariant] = []

    def training_for(self, setting, task_names) -> tuple[str, ...]:
        """The training keys that fit this company setting and at least one of these task names."""
        from .controls import pick_items  # controls imports this module
        return tuple(dict.fromkeys(i.text for i in pick_items(self.training, setting, task_names)))


class EquipmentKind(Data):
    name: str
    names: list[str] = []   # other words crews use for this kind in task names ("chipper", "bucket truck")
    description: str
    default_maintenance: str
    pre_use: list[str]
    maintenance: list[str]
    hazards: list[str] = []
    training: list[str] = []
    code_refs: list[str] = []
    records: str
    # Words in an equipment item's name that say it is this kind ("two-post", "vehicle lift"); `validate` warns when a
    # name has another kind's words and none of its own. Matched as whole words, ignoring case, hyphens and plural -s.
    name_words: list[str] = []
    # Words in a task name that mean the task uses the company's equipment of this kind (and needs its training);
    # when empty, the kind key itself ("skid steer"). The item's own name always counts.
    task_words: list[str] = []


class Line(Data):
    """A line of an emergency page (procedure step, equipment item, drill part) with where it applies.

    Every condition given must hold; within one condition any listed value is enough. A plain string is a line
    with no conditions, true for any company that has the emergency.
    """
    text: str
    hazards: list[str] = []      # the company's tasks involve any of these hazard keys
    equipment: list[str] = []    # the company has equipment of any of these kinds
    industries: list[str] = []   # company.industry keys
    sites: list[Literal["office", "shop", "yard", "field", "client_site"]] = []  # the site is of one of these kinds
    tasks: list[str] = []        # a word in one of the company's task names starts with one of these
    except_industries: list[str] = []   # not for these company.industry keys
    except_tasks: list[str] = [] # ...and that task has no word starting with one of these (tree work keeps no GFCI line)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value):
        if isinstance(value, str):
            return {"text": value}
        return value


class CausedBy(Data):
    """What about a company brings an emergency into its plan: any one listed value is enough."""
    hazards: list[str] = []
    equipment: list[str] = []
    industries: list[str] = []
    tasks: list[str] = []


class Emergency(Data):
    name: str
    description: str
    applies_to_site_kinds: list[str] = []   # any company's site of these kinds can have it
    caused_by: CausedBy = CausedBy()        # at other sites, only a company whose work can cause it
    procedure: list[Line]
    equipment: list[Line] = []
    training: list[Line] = []               # training keys (text), each with the conditions it needs
    hazard_training: dict[str, list[str]] = {}   # training key -> hazards at the site that call for it as well
    drill: str
    drill_more: list[Line] = []             # drill parts that apply only where their conditions hold


class Course(Data):
    name: str
    description: str
    aliases: list[str] = []
    renew_years: int | None = None
    note: str | None = None
    legal: bool = False
    cite: str | None = None   # the section that requires it, for courses with legal: true
    covers: list[str] = []    # courses this one includes for the same task (not required again beside it)
    # A course for the wearers of a PPE item: required exactly for the tasks whose PPE names one of `ppe_words` and
    # none of `ppe_unless` (case ignored), whatever hazards list it.
    ppe_words: list[str] = []
    ppe_unless: list[str] = []

    def worn_for(self, ppe_item: str) -> bool:
        item = ppe_item.lower()
        return any(w.lower() in item for w in self.ppe_words) and not any(w.lower() in item for w in self.ppe_unless)


class IndustryTask(Data):
    name: str
    hazards: list[str]
    critical: bool = False
    working_alone: bool = False
    library_task: str | None = None   # key of the task library entry whose steps become the safe job procedure


PHASES = (("prepare", "Prepare"), ("set_up", "Set up"), ("work", "Do the work"), ("finish", "Finish and clean up"))


class TaskStep(Data):
    phase: Literal["prepare", "set_up", "work", "finish"]
    do: str = Field(min_length=10)
    hazard: str | None = None      # hazard key the step deals with, when the step is where that hazard arises
    control: str | None = None     # how the step controls it; printed beside the step


class TaskPPE(Data):
    item: str
    hazard: str                    # the hazard key that calls for it: no PPE item without its hazard
    when: str | None = None        # the part of the task it is worn for, when not the whole task


class LibraryTask(Data):
    """A common task of one or more industries, with the numbered steps a worker follows in order."""
    name: str
    industries: list[str] = Field(min_length=1)
    aliases: list[str] = []
    hazards: list[str] = Field(min_length=1)
    ppe: list[TaskPPE] = []
    steps: list[TaskStep] = Field(min_length=4)
    # A hazard's rating before controls for this task, where the hazard's library rating (written for the worst
    # case of any trade) overstates it: a parts delivery at the counter is not a water heater carried down stairs.
    ratings: dict[str, Rating] = {}


class IndustryPosition(Data):
    id: str
    title: str
    tasks: list[IndustryTask]


class IndustryEquipment(Data):
    name: str
    kind: str


class Industry(Data):
    name: str
    description: str
    suggested_partner: str
    partner_note: str = ""
    site_defaults: dict[str, str]
    positions: list[IndustryPosition]
    equipment: list[IndustryEquipment] = []
    emergencies: list[str] = []


class TriggerWhen(Data):
    industries: list[str] = []
    equipment: list[str] = []
    hazards: list[str] = []
    ppe_words: list[str] = []
    ppe_unless: list[str] = []     # PPE items with one of these words do not count ("when the SDS calls for one")
    task_words: list[str] = []
    library_tasks: list[str] = []


class TriggeredDocument(Data):
    title: str
    why: str
    generated: str | None = None   # catalog key of the document the binder builds for it; else a document to write
    complete: str | None = None    # for a generated document: what the company must fill in that the profile cannot know


class Trigger(Data):
    """Law and documents a trade, equipment kind, hazard, PPE item or task brings in (data/triggers.yaml)."""
    title: str
    when: TriggerWhen
    because: str
    references: list[str]
    documents: list[TriggeredDocument] = []


class Reference(Data):
    instrument: Literal["act", "code", "schedule", "regulation", "other"]
    cite: str
    title: str
    duty: str
    status: Literal["verified", "believed"] = "verified"
    items: list[str] = []
    url: str | None = None


class Contact(Data):
    name: str
    phone: str
    note: str = ""
    # printed among an emergency plan's numbers only when a company task has one of these hazards (a locate line
    # for a company that never digs is noise), or, with young_workers, only when someone is under 18
    hazards: list[str] = []
    young_workers: bool = False


class Legislation(Data):
    current_as_of: date
    checked_on: date
    sources: list[str]
    verify_note: str
    references: dict[str, Reference]
    contacts: dict[str, Contact]


class Library(Data):
    hazards: dict[str, Hazard]
    equipment: dict[str, EquipmentKind]
    emergencies: dict[str, Emergency]
    training: dict[str, Course]
    industries: dict[str, Industry]
    tasks: dict[str, LibraryTask]
    triggers: dict[str, Trigger]
    legislation: Legislation
    first_aid: dict
    frameworks: dict[str, dict]
    records: dict[str, dict]
    site_checklists: dict


def _read(path: Path) -> dict:
    yaml = YAML(typ="safe")  # libyaml-backed when ruamel.yaml.clib is installed: the data files are large
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.load(f) or {}
    except Exception as e:  # a broken data file is a packaging bug; name the file
        raise DataError(f"{path}: cannot load built-in data: {e}") from e


def _merge_dir(folder: Path, top: str) -> dict:
    merged: dict = {}
    for path in sorted(folder.glob("*.yaml")):
        part = _read(path).get(top, {})
        clash = set(part) & set(merged)
        if clash:
            raise DataError(f"{path}: {top} defined twice: {', '.join(sorted(clash))}")
        merged.update(part)
    return merged


@functools.cache
def load_library() -> Library:
    """Load every built-in data file and check that their cross references resolve."""
    root = data_dir()
    raw = {
        "hazards": _merge_dir(root / "hazards", "hazards"),
        "equipment": _read(root / "equipment.yaml").get("equipment", {}),
        "emergencies": _read(root / "emergencies.yaml").get("emergencies", {}),
        "training": _read(root / "training.yaml").get("training", {}),
        "industries": _read(root / "industries.yaml").get("industries", {}),
        "tasks": _merge_dir(root / "tasks", "tasks"),
        "triggers": _read(root / "triggers.yaml").get("triggers", {}),
        "legislation": _read(root / "legislation.yaml"),
        "first_aid": _read(root / "first_aid.yaml"),
        "frameworks": {p.stem: _read(p) for p in sorted((root / "frameworks").glob("*.yaml"))},
        "records": _read(root / "records.yaml").get("records", {}),
        "site_checklists": _read(root / "site_checklists.yaml") if (root / "site_checklists.yaml").exists() else {},
    }
    try:
        lib = Library.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DataError(f"built-in data {where}: {first['msg']} ({e.error_count()} problems)") from e
    _check_references(lib)
    return lib


def _check_references(lib: Library) -> None:
    refs = lib.legislation.references
    problems = []

    def need(kind: str, keys, known, owner: str) -> None:
        for key in keys:
            if key not in known:
                problems.append(f"{owner}: unknown {kind} '{key}'")

    for key, h in lib.hazards.items():
        seen_ids: set[str] = set()
        for level in ("elimination", "engineering", "administrative", "ppe"):
            for c in getattr(h.controls, level):
                if c.slug in seen_ids:
                    problems.append(f"hazard {key}: control id '{c.slug}' is used twice; give one an explicit id")
                seen_ids.add(c.slug)
        for item in [*h.causes, *h.safe_work_practice, *h.training, *h.ratings, *(c for lv in ("elimination", "engineering", "administrative", "ppe") for c in getattr(h.controls, lv))]:
            need("industry", item.industries, lib.industries, f"hazard {key} item '{item.text[:40]}'")
            need("industry", item.except_industries, lib.industries, f"hazard {key} item '{item.text[:40]}'")
            need("equipment kind", [*item.equipment, *item.except_equipment, *item.uses, *item.not_uses], lib.equipment, f"hazard {key} item '{item.text[:40]}'")
        need("legislation reference", h.code_refs, refs, f"hazard {key}")
        need("training", [i.text for i in h.training], lib.training, f"hazard {key}")
        need("emergency", h.emergencies, lib.emergencies, f"hazard {key}")
        for hv in h.variants:
            need("industry", hv.industries, lib.industries, f"hazard {key} variant")
            need("equipment kind", hv.equipment, lib.equipment, f"hazard {key} variant")
    for key, e in lib.equipment.items():
        need("legislation reference", e.code_refs, refs, f"equipment {key}")
        need("training", e.training, lib.training, f"equipment {key}")
        need("hazard", e.hazards, lib.hazards, f"equipment {key}")
    for key, em in lib.emergencies.items():
        need("training", [t.text for t in em.training], lib.training, f"emergency {key}")
        lines = [*em.procedure, *em.equipment, *em.drill_more, *em.training]
        need("hazard", em.caused_by.hazards + [h for ln in lines for h in ln.hazards], lib.hazards, f"emergency {key}")
        need("equipment kind", em.caused_by.equipment + [e for ln in lines for e in ln.equipment], lib.equipment, f"emergency {key}")
        need("industry", em.caused_by.industries + [i for ln in lines for i in ln.industries], lib.industries, f"emergency {key}")
        need("training", em.hazard_training, lib.training, f"emergency {key}")
        need("hazard", [h for hs in em.hazard_training.values() for h in hs], lib.hazards, f"emergency {key}")
    for key, course in lib.training.items():
        need("training", course.covers, lib.training, f"training {key} covers")
    for key, ind in lib.industries.items():
        for pos in ind.positions:
            for task in pos.tasks:
                need("hazard", task.hazards, lib.hazards, f"industry {key} position {pos.id}")
                need("library task", [task.library_task] if task.library_task else [], lib.tasks, f"industry {key} position {pos.id}")
        need("equipment", [e.kind for e in ind.equipment], lib.equipment, f"industry {key}")
        need("emergency", ind.emergencies, lib.emergencies, f"industry {key}")
    checklist_items = [(f"site checklist {kind}", i) for kind, areas in lib.site_checklists.get("site_kinds", {}).items()
                       for a in areas for i in a["items"]]
    checklist_items += [(f"site checklist hazard {hk}", i) for hk, items in lib.site_checklists.get("hazard_items", {}).items()
                        for i in items or []]
    for owner, raw in checklist_items:
        try:
            line = Line.model_validate(raw)
        except ValidationError as e:
            problems.append(f"{owner}: {e.errors()[0]['msg']} in {raw!r:.60}")
            continue
        need("hazard", line.hazards, lib.hazards, owner)
        need("equipment kind", line.equipment, lib.equipment, owner)
        need("industry", line.industries, lib.industries, owner)
    for key in lib.site_checklists.get("hazard_items", {}):
        need("hazard", [key], lib.hazards, "site checklist hazard_items")
    for key, c in lib.legislation.contacts.items():
        need("hazard", c.hazards, lib.hazards, f"contact {key}")
    for key, tr in lib.triggers.items():
        need("legislation reference", tr.references, refs, f"trigger {key}")
        need("industry", tr.when.industries, lib.industries, f"trigger {key}")
        need("equipment", tr.when.equipment, lib.equipment, f"trigger {key}")
        need("hazard", tr.when.hazards, lib.hazards, f"trigger {key}")
        need("library task", tr.when.library_tasks, lib.tasks, f"trigger {key}")
    for key, t in lib.tasks.items():
        need("industry", t.industries, lib.industries, f"task {key}")
        need("hazard", t.hazards + [s.hazard for s in t.steps if s.hazard] + [p.hazard for p in t.ppe], lib.hazards, f"task {key}")
        for hk in t.ratings:
            if hk not in t.hazards:
                problems.append(f"task {key}: rating for '{hk}', which is not one of the task's hazards")
        phases = {s.phase for s in t.steps}
        if not {"prepare", "work", "finish"} <= phases:
            problems.append(f"task {key}: steps need at least the prepare, work and finish phases")
        if [s.phase for s in t.steps] != sorted((s.phase for s in t.steps), key=[p for p, _ in PHASES].index):
            problems.append(f"task {key}: steps are not in phase order (prepare, set_up, work, finish)")
    if problems:
        raise DataError("built-in data is inconsistent: " + "; ".join(problems[:10]))
