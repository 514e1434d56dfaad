"""Profile lint: things that are valid but that an auditor would question. Warnings; `validate --strict` fails on them."""
from __future__ import annotations

from dataclasses import dataclass

from .context import Built
from .controls import Setting
from .equipment_names import kind_mismatch
from .facts import Facts
from .obligations import TrainingState
from .profile import LoadedProfile


# Given by the company at orientation (recorded on the orientation checklist), or handled elsewhere (first aid).
COMPANY_DELIVERED = {"orientation", "violence_harassment_prevention", "working_alone", "first_aid", "supervisor_safety"}


@dataclass(frozen=True)
class Warning_:
    path: tuple
    message: str


def _hazards_the_task_names_suggest(profile) -> list[Warning_]:
    """A task whose name has a library hazard's task words but that does not list the hazard (Hazard.task_words)."""
    from .controls import _word_match
    from .library import load_library

    found = []
    for key, hazard in load_library().hazards.items():
        if not hazard.task_words:
            continue
        for i, pos in enumerate(profile.positions):
            for j, task in enumerate(pos.tasks):
                if key not in task.hazards and _word_match(hazard.task_words, [task.name]):
                    found.append(Warning_(("positions", i, "tasks", j, "hazards"),
                                          f"task '{task.name}' usually involves '{hazard.name}'; add '{key}' to its hazards "
                                          "if it applies (for example in buildings built before 1990)"
                                          if key == "lead_paint" else
                                          f"task '{task.name}' usually involves '{hazard.name}'; add '{key}' to its hazards if it applies"))
    return found


def lint(loaded: LoadedProfile, facts: Facts, built: Built) -> list[str]:
    """`file:line:col: warning: field: message` lines."""
    profile = loaded.profile
    found: list[Warning_] = []
    high = built.matrix.top_rank - 1 if built.matrix.top_rank >= 2 else built.matrix.top_rank
    for i, pos in enumerate(profile.positions):
        for j, task in enumerate(pos.tasks):
            for k, key in enumerate(task.hazards):
                h = built.hazards[key]
                if h.residual.rank >= high and h.ppe_only:
                    found.append(Warning_(("positions", i, "tasks", j, "hazards", k),
                                          f"'{h.name}' stays {h.residual.band} after controls and is controlled by PPE only; add elimination, engineering or administrative controls"))
        holders = [p for p in profile.people if p.position == pos.id and p.name in facts.current_people]
        if not holders:
            found.append(Warning_(("positions", i, "id"), f"nobody currently holds the position '{pos.title}'"))
    found += _hazards_the_task_names_suggest(profile)
    training = built.obligations.training  # person -> TrainingStatus, current people only
    from .library import load_library

    library = load_library()
    courses = library.training
    setting = Setting.of(profile, library)
    for i, pos in enumerate(profile.positions):
        holders = [p.name for p in profile.people if p.position == pos.id and p.name in training]
        if not holders:
            continue
        for j, task in enumerate(pos.tasks):
            needed = []
            for key in task.hazards:
                h = built.hazards[key]
                keys = h.training if h.custom or key not in library.hazards else library.hazards[key].training_for(setting, [task.name])
                needed += [k for k in keys if k not in needed]
            for key in needed:
                course = courses.get(key)
                if course is None or not course.legal or key in COMPANY_DELIVERED:
                    continue  # company-delivered topics are covered by orientation; first aid by the first aid assessment
                statuses = [s for h in holders for s in training[h] if s.key == key]
                if statuses and not any(s.ok for s in statuses):
                    expired = [s for s in statuses if s.state is TrainingState.EXPIRED]
                    what = "has expired for everyone holding it" if expired and len(expired) == len(statuses) else "is held by nobody who does it"
                    found.append(Warning_(("positions", i, "tasks", j, "hazards"), f"task '{task.name}' needs '{course.name}' training, which {what}"))
    for i, item in enumerate(profile.equipment):
        hint = kind_mismatch(item.name, item.kind, library)
        if hint is not None:
            given, likely = library.equipment[item.kind].name, library.equipment[hint.kind].name
            found.append(Warning_(("equipment", i, "kind"),
                                  f"'{item.name}' is entered as kind '{item.kind}' ({given}), but its name says "
                                  f"'{hint.word}', which suggests kind '{hint.kind}' ({likely}); the checklist, training "
                                  f"and law follow the kind, so change it if the name is right"))
    # Lone work against the company's rules (under 18, contact who works alone) is a finding: consistency.py.
    return [f"{s[:s.index(': ')]}: warning: {s[s.index(': ') + 2:]}" for s in (str(loaded.source.problem(w.path, w.message)) for w in found)]
