"""Formal hazard assessment engine: hazards resolved per task, rated before and after controls, critical tasks."""
from __future__ import annotations

from dataclasses import dataclass, replace

from .controls import LEVELS, PickedControl, Setting, controls_for_task, fits, pick_items, variant_for
from .library import Library, control_slug
from .model import CustomHazard, Profile
from .risk import Matrix, Risk

HIERARCHY = (
    ("elimination", "Elimination"),
    ("engineering", "Engineering"),
    ("administrative", "Administrative"),
    ("ppe", "Personal protective equipment"),
)


@dataclass(frozen=True)
class Controls:
    """Control texts by level of the hierarchy."""
    elimination: tuple[str, ...] = ()
    engineering: tuple[str, ...] = ()
    administrative: tuple[str, ...] = ()
    ppe: tuple[str, ...] = ()

    @classmethod
    def of(cls, picked) -> "Controls":
        return cls(**{level: tuple(c.text for c in picked if c.level == level) for level in LEVELS})


@dataclass(frozen=True)
class ResolvedHazard:
    key: str
    name: str
    description: str
    causes: tuple[str, ...]
    picked: tuple[PickedControl, ...]
    initial: Risk
    residual: Risk
    check: str
    code_refs: tuple[str, ...]
    training: tuple[str, ...]
    emergencies: tuple[str, ...]
    safe_work_practice: tuple[str, ...]
    whmis: bool
    custom: bool

    @property
    def controls(self) -> Controls:
        return Controls.of(self.picked)

    @property
    def unconfirmed(self) -> tuple[PickedControl, ...]:
        return tuple(c for c in self.picked if not c.confirmed)

    @property
    def ppe_only(self) -> bool:
        c = self.controls
        return bool(c.ppe) and not (c.elimination or c.engineering or c.administrative)


@dataclass(frozen=True)
class AssessedTask:
    position_id: str
    position_title: str
    name: str
    hazards: tuple[ResolvedHazard, ...]
    flagged_critical: bool
    working_alone: bool
    steps: tuple[str, ...]

    @property
    def top_initial(self) -> Risk:
        return max((h.initial for h in self.hazards), key=lambda r: (r.rank, r.score))

    @property
    def top_residual(self) -> Risk:
        return max((h.residual for h in self.hazards), key=lambda r: (r.rank, r.score))


def _residual_for_custom(h: CustomHazard, matrix: Matrix) -> tuple[int, int]:
    if h.residual:
        return h.residual.get("severity", h.severity), h.residual.get("probability", h.probability)
    # No rating given: engineering or elimination lowers probability by one step, administrative by one more.
    drop = (1 if (h.controls.elimination or h.controls.engineering) else 0) + (1 if h.controls.administrative else 0)
    return h.severity, max(1, h.probability - drop)


def _merge(per_task: list[list[PickedControl]]) -> tuple[PickedControl, ...]:
    """Controls of one hazard across tasks: in place only where every task using it confirmed it."""
    merged: dict[str, PickedControl] = {}
    for picked in per_task:
        for c in picked:
            if c.id in merged:
                merged[c.id] = replace(merged[c.id], confirmed=merged[c.id].confirmed and c.confirmed)
            else:
                merged[c.id] = c
    order = {level: i for i, level in enumerate(LEVELS)}
    return tuple(sorted(merged.values(), key=lambda c: order[c.level]))


def resolve_hazards(profile: Profile, library: Library, matrix: Matrix) -> dict[str, ResolvedHazard]:
    """Every hazard key the profile can use, with its ratings on the company's matrix.

    Library hazards carry the controls, causes and rules that fit the company's tasks using them (all tasks of
    the company when no task uses the hazard); assess_tasks narrows controls to each task.
    """
    setting = Setting.of(profile, library)
    tasks_by_hazard: dict[str, list] = {}
    for pos in profile.positions:
        for task in pos.tasks:
            for key in task.hazards:
                tasks_by_hazard.setdefault(key, []).append(task)
    all_tasks = [t for pos in profile.positions for t in pos.tasks]
    out: dict[str, ResolvedHazard] = {}
    for key, h in library.hazards.items():
        users = tasks_by_hazard.get(key, all_tasks)
        names = [t.name for t in users]
        picked = _merge([controls_for_task(profile, t, key, h, setting) for t in users])
        # a variant's wording is the company's wording only when every task meeting the hazard fits that variant
        variants = {id(v): v for v in (variant_for(h, setting, t.name) for t in users)}
        variant = next(iter(variants.values())) if len(variants) == 1 and key in tasks_by_hazard else None
        description = (variant.description if variant else None) or h.description
        check = (variant.check if variant else None) or h.check
        out[key] = ResolvedHazard(
            key, h.name, description, tuple(c.text for c in pick_items(h.causes, setting, names)), picked,
            matrix.rate(h.severity, h.probability), matrix.rate(h.residual.severity, h.residual.probability),
            check, tuple(h.code_refs), h.training_for(setting, names), tuple(h.emergencies),
            tuple(i.text for i in pick_items(h.safe_work_practice, setting, names)),
            h.whmis, False)
    for pos in profile.positions:
        for h in pos.custom_hazards:
            rs, rp = _residual_for_custom(h, matrix)
            controls = h.controls
            picked = tuple(PickedControl(f"{h.id}.{control_slug(text)}", level, text, True)
                           for level in LEVELS for text in getattr(controls, level))
            out[h.id] = ResolvedHazard(
                h.id, h.name, h.description or h.name, (), picked,
                matrix.rate(h.severity, h.probability, library_scale=False),
                matrix.rate(rs, rp, library_scale=False),
                "The supervisor checks these controls at the field level hazard assessment before the task starts.",
                ("code_part_2",), tuple(h.training), tuple(h.emergencies),
                tuple(f"{label}: {c}" for level, label in HIERARCHY for c in getattr(controls, level)), False, True)
    return out


def _for_task(profile: Profile, library: Library, task, h: ResolvedHazard, setting: Setting,
              rating=None, matrix: Matrix | None = None) -> ResolvedHazard:
    """The hazard as this task meets it: only the controls and causes that fit the task, and the task's own rating
    where there is one: the task library's rating for this hazard (the residual rating then no higher than the
    initial one), else the hazard's rating for tasks like this one (hazards/*.yaml `ratings`)."""
    lib = library.hazards.get(h.key)
    if h.custom or lib is None:
        return h
    picked = tuple(controls_for_task(profile, task, h.key, lib, setting))
    causes = tuple(i.text for i in lib.causes if fits(i, setting, [task.name]))
    practice = tuple(i.text for i in lib.safe_work_practice if fits(i, setting, [task.name]))
    variant = variant_for(lib, setting, task.name)
    out = replace(h, picked=picked, causes=causes or h.causes, training=lib.training_for(setting, [task.name]),
                  safe_work_practice=practice, description=(variant.description if variant else None) or h.description,
                  check=(variant.check if variant else None) or h.check)
    if rating is not None and matrix is not None:
        out = replace(out, initial=matrix.rate(rating.severity, rating.probability),
                      residual=matrix.rate(min(rating.severity, lib.residual.severity),
                                           min(rating.probability, lib.residual.probability)))
    elif matrix is not None:
        own = next((r for r in lib.ratings if fits(r, setting, [task.name])), None)
        if own is not None:
            out = replace(out, initial=matrix.rate(own.severity, own.probability),
                          residual=matrix.rate(own.residual.severity, own.residual.probability))
    return out


def task_hazards(profile: Profile, library: Library, hazards: dict[str, ResolvedHazard], task,
                 setting: Setting | None = None) -> tuple[ResolvedHazard, ...]:
    """A task's hazards as it meets them: the controls, causes, courses and rules that fit the task (ratings aside)."""
    setting = setting or Setting.of(profile, library)
    return tuple(_for_task(profile, library, task, hazards[k], setting) for k in task.hazards)


def assess_tasks(profile: Profile, library: Library, hazards: dict[str, ResolvedHazard],
                 matrix: Matrix | None = None) -> list[AssessedTask]:
    from .procedures import match_library_task  # procedures needs nothing from here; keep the import local
    setting = Setting.of(profile, library)
    matrix = matrix or Matrix(profile.program.risk_matrix)
    tasks = []
    for pos in profile.positions:
        for task in pos.tasks:
            steps = tuple(task.steps)  # the safe job procedure itself comes from procedures.procedure_for
            lib_key = match_library_task(task, profile.company.industry, library)
            ratings = library.tasks[lib_key].ratings if lib_key in library.tasks else {}
            own = tuple(_for_task(profile, library, task, hazards[k], setting, ratings.get(k), matrix)
                        for k in task.hazards)
            tasks.append(AssessedTask(pos.id, pos.title, task.name, own, task.critical, task.working_alone, steps))
    return tasks


def critical_tasks(tasks: list[AssessedTask], matrix: Matrix) -> list[AssessedTask]:
    """Tasks flagged critical or whose worst hazard is in the top band, highest risk first."""
    chosen = [t for t in tasks if t.flagged_critical or t.top_initial.rank >= matrix.top_rank]
    return sorted(chosen, key=lambda t: (-t.top_initial.score, -t.top_residual.score, not t.flagged_critical, t.position_title, t.name))
