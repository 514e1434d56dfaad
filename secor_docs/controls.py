"""Which library controls fit a company's task, and whether the company has confirmed each one as in place.

A library control (secor_docs/data/hazards/*.yaml) is either plain text, true for any trade, or a mapping that
says where it applies: `industries`, `sites` (site kinds), `equipment` (equipment kinds) and `tasks` (words that
start a word of the task name), `except_industries`, `except_tasks` and `except_equipment` (not there: not for this
industry, not for a task with one of these words, not where the company has equipment of these kinds), `uses` and
`not_uses` (the task uses, or does not use, the company's equipment of these kinds: it names the item or one of its
kind's task words), and `crew: true` for controls that need two or more people. Every condition given must hold;
within a condition any listed value is enough.

A task's names are its own name plus, when it uses a task library entry (`library_task` or a name match), that
entry's name (not its aliases, whose words were chosen for matching names, not for picking controls): a task the
crew words its own way ("Drag brush and feed the chipper") gets the controls
written for the library task it is ("Drag brush and feed the wood chipper"), whatever industry key the company
files under. A hazard's `variants` (library.HazardVariant) give its wording for the tasks they fit.

A picked control is "in place" only when the profile confirms it (`confirmed_controls` of the task or of the
whole profile, or `program.accept_library_controls`); otherwise it is printed as recommended and becomes a
finding with an owner and a due date.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Iterable

from .findings import Finding, Severity
from .equipment_names import task_uses
from .library import Hazard, HazardVariant, Item, Library, load_library
from .model import Profile, Task

LEVELS = ("elimination", "engineering", "administrative", "ppe")
CONFIRM_WITHIN_DAYS = 30  # an unconfirmed control is due for confirmation this many days after --as-of
UNCONFIRMED = "control-unconfirmed"
ACCEPTED = "controls-accepted-from-library"


@dataclass(frozen=True)
class Setting:
    """What about the company decides which library items apply."""
    industry: str
    site_kinds: frozenset[str]
    equipment: frozenset[str]
    people: int = 2
    items: tuple[tuple[str, str], ...] = ()   # (name, kind) of each equipment item, for `uses`
    # task name -> the name of the library task it uses, for matching item task words
    task_names: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, profile: Profile, library: Library | None = None) -> "Setting":
        names: dict[str, tuple[str, ...]] = {}
        if library is not None:
            from .procedures import match_library_task  # procedures does not import controls; kept local anyway
            for pos in profile.positions:
                for task in pos.tasks:
                    key = match_library_task(task, profile.company.industry, library)
                    if key in library.tasks:
                        lt = library.tasks[key]
                        names[task.name] = (lt.name,)
        return cls(profile.company.industry, frozenset(s.kind for s in profile.sites),
                   frozenset(e.kind for e in profile.equipment), sum(1 for p in profile.people if p.end_date is None),
                   items=tuple((e.name, e.kind) for e in profile.equipment), task_names=names)

    def names_of(self, task_name: str) -> list[str]:
        """The task's own name and the name of the library task it uses."""
        return [task_name, *self.task_names.get(task_name, ())]

    def task_uses(self, task_name: str, kinds: Iterable[str]) -> bool:
        """The task (by any of its names) names an item of one of these kinds, or its kind's task words."""
        library = load_library()
        return any(kind in kinds and kind in library.equipment and task_uses(n, name, kind, library.equipment[kind])
                   for name, kind in self.items for n in self.names_of(task_name))


@dataclass(frozen=True)
class PickedControl:
    id: str          # "<hazard key>.<control id>", what a profile writes in confirmed_controls
    level: str       # one of LEVELS
    text: str
    confirmed: bool


def _word_match(keywords: Iterable[str], names: Iterable[str]) -> bool:
    names = [n.lower() for n in names]
    return any(re.search(r"(?<![a-z0-9])" + re.escape(k.lower()), n) for k in keywords for n in names)


def fits(item: Item, setting: Setting, task_names: Iterable[str]) -> bool:
    """True when every condition of the item holds for this company and at least one of these task names."""
    if item.industries and setting.industry not in item.industries:
        return False
    if setting.industry in item.except_industries:
        return False
    if item.sites and not setting.site_kinds & set(item.sites):
        return False
    if item.equipment and not setting.equipment & set(item.equipment):
        return False
    if item.except_equipment and setting.equipment & set(item.except_equipment):
        return False
    if item.crew and setting.people < 2:
        return False
    if not (item.tasks or item.except_tasks or item.uses or item.not_uses):
        return True
    # per task (its own name and its library task's name): the item fits when one task meets every task condition
    task_names = list(task_names)
    return any((not item.tasks or _word_match(item.tasks, setting.names_of(t)))
               and not (item.except_tasks and _word_match(item.except_tasks, setting.names_of(t)))
               and (not item.uses or setting.task_uses(t, item.uses))
               and not (item.not_uses and setting.task_uses(t, item.not_uses))
               for t in task_names)


def variant_for(hazard: Hazard, setting: Setting, task_name: str) -> HazardVariant | None:
    """The hazard's wording for this task (library.HazardVariant), or None where the general wording fits."""
    return next((v for v in hazard.variants if fits(v, setting, [task_name])), None)


def pick_items(items: Iterable[Item], setting: Setting, task_names: Iterable[str]) -> list[Item]:
    names = list(task_names)
    return [i for i in items if fits(i, setting, names)]


def control_id(hazard_key: str, item: Item) -> str:
    return f"{hazard_key}.{item.slug}"


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(".").lower()


def matches(ref: str, hazard_key: str, item: Item) -> bool:
    """A confirmation names a control by its id, by `<hazard>.*`, or by its exact text (case and spacing ignored)."""
    ref = ref.strip()
    return ref in (control_id(hazard_key, item), f"{hazard_key}.*") or normalize(ref) == normalize(item.text)


def all_controls(hazard: Hazard):
    for level in LEVELS:
        for item in getattr(hazard.controls, level):
            yield level, item


def known_reference(ref: str, library: Library, hazard_keys: Iterable[str] | None = None) -> bool:
    keys = list(hazard_keys) if hazard_keys is not None else list(library.hazards)
    return any(matches(ref, k, item) for k in keys if k in library.hazards for _, item in all_controls(library.hazards[k]))


def controls_for_task(profile: Profile, task: Task, hazard_key: str, hazard: Hazard, setting: Setting) -> list[PickedControl]:
    """The library controls of one hazard that fit this task, each with its confirmation status.

    A control the task's own confirmed_controls names is included even when its conditions do not fit: the
    company says it really uses it.
    """
    accept = profile.program.accept_library_controls
    own = list(task.confirmed_controls)
    company_wide = list(profile.confirmed_controls)
    out = []
    for level, item in all_controls(hazard):
        named_here = any(matches(r, hazard_key, item) for r in own)
        if not (named_here or (fits(item, setting, [task.name]) and not (item.crew and task.working_alone))):
            continue   # a control that needs a second person does not fit a task done alone
        confirmed = accept or named_here or any(matches(r, hazard_key, item) for r in company_wide)
        out.append(PickedControl(control_id(hazard_key, item), level, item.text, confirmed))
    return out


def _owner(profile: Profile, position_id: str) -> str:
    """The position's supervisor (a supervisor or manager who holds another position), else the senior manager."""
    holders = [p for p in profile.people if p.position == position_id and p.end_date is None]
    if not any(p.role == "owner" for p in holders):
        for p in profile.people:
            if p.end_date is None and p.role in ("supervisor", "manager") and p.position != position_id:
                return p.name
    return profile.company.senior_manager


@dataclass(frozen=True)
class TaskControls:
    """The picked controls of one task (library hazards only), for the findings and the counts."""
    position_id: str
    position_title: str
    task: str
    controls: tuple[PickedControl, ...]
    path: tuple = ()

    @property
    def unconfirmed(self) -> tuple[PickedControl, ...]:
        return tuple(c for c in self.controls if not c.confirmed)


def task_controls(profile: Profile, library: Library) -> list[TaskControls]:
    setting = Setting.of(profile, library)
    out = []
    for i, pos in enumerate(profile.positions):
        for j, task in enumerate(pos.tasks):
            picked = [c for key in dict.fromkeys(task.hazards) if key in library.hazards
                      for c in controls_for_task(profile, task, key, library.hazards[key], setting)]
            out.append(TaskControls(pos.id, pos.title, task.name, tuple(picked), ("positions", i, "tasks", j, "name")))
    return out


def control_findings(profile: Profile, library: Library, as_of: date) -> list[Finding]:
    """One finding per task with recommended controls nobody has confirmed; a note when all were accepted wholesale."""
    due = as_of + timedelta(days=CONFIRM_WITHIN_DAYS)
    rows = task_controls(profile, library)
    findings = []
    if profile.program.accept_library_controls:
        total = sum(len(r.controls) for r in rows)
        findings.append(Finding(
            ACCEPTED, Severity.NOTE,
            f"All {total} library controls in the hazard assessments were accepted as in place "
            f"(program.accept_library_controls) without a check task by task.",
            "Walk through each task's controls with the workers who do it; every control written as in place must be "
            "one they can describe at an audit interview. List the confirmed ones under confirmed_controls and turn "
            "accept_library_controls off.",
            profile.company.senior_manager, due, path=("program", "accept_library_controls")))
        return findings
    for r in rows:
        missing = r.unconfirmed
        if not missing:
            continue
        findings.append(Finding(
            UNCONFIRMED, Severity.WARNING,
            f"{len(missing)} of {len(r.controls)} controls for \"{r.task}\" ({r.position_title}) are recommended, "
            f"not confirmed as in place.",
            "Check the recommended controls with the workers who do this task; record those really in use as confirmed "
            "in the company profile (the task's confirmed_controls) so the next edition prints them as in place, and "
            "put the others in place or replace them.",
            _owner(profile, r.position_id), due, path=r.path))
    return findings


def unconfirmed_count(profile: Profile, library: Library) -> tuple[int, int, int]:
    """(recommended controls not yet confirmed, tasks they belong to, all picked controls)."""
    rows = task_controls(profile, library)
    return (sum(len(r.unconfirmed) for r in rows), sum(1 for r in rows if r.unconfirmed), sum(len(r.controls) for r in rows))


def unconfirmed_control_findings(inputs) -> list[Finding]:
    """Finding source for consistency.all_findings: control_findings, pointed at each position's hazard assessment."""
    out = []
    by_task = {r.path: r.position_id for r in task_controls(inputs.profile, inputs.library)}
    for f in control_findings(inputs.profile, inputs.library, inputs.as_of):
        position = by_task.get(f.path)
        docs = inputs.doc_ids_for("formal_hazard_assessment", position) if position else inputs.doc_ids("formal_hazard_assessment")
        out.append(replace(f, documents=tuple(docs)))
    return out
