"""Where a library line applies: the company-and-site scope, and the check of a line's conditions against it.

Used for emergency pages (emergency_plan.py) and site inspection checklists (site_checklist.py). A line
(library.Line) may name hazards, equipment kinds, industries, site kinds and task words, and industries and task
words it is not for; every condition given
must hold, and within one condition any listed value is enough.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .controls import _word_match
from .library import Line


@dataclass(frozen=True)
class Scope:
    """What about a company and one of its sites decides which emergencies and lines apply."""
    industry: str
    site_kind: str
    equipment: frozenset[str]
    hazards: frozenset[str]
    task_names: tuple[str, ...]

    @classmethod
    def of(cls, profile, site_kind: str, hazards: Iterable[str], task_names: Iterable[str] | None = None) -> "Scope":
        """`task_names`: the tasks done at the site when the profile says who works there; all tasks otherwise."""
        names = tuple(task_names) if task_names is not None else tuple(t.name for pos in profile.positions for t in pos.tasks)
        return cls(profile.company.industry, site_kind, frozenset(e.kind for e in profile.equipment),
                   frozenset(hazards), names)


def line_fits(line: Line, scope: Scope) -> bool:
    if line.hazards and not scope.hazards & set(line.hazards):
        return False
    if line.equipment and not scope.equipment & set(line.equipment):
        return False
    if line.industries and scope.industry not in line.industries:
        return False
    if line.sites and scope.site_kind not in line.sites:
        return False
    if scope.industry in line.except_industries:
        return False
    if line.except_tasks:  # some task must fit the line's task words and have none of its except words
        return any((not line.tasks or _word_match(line.tasks, [t])) and not _word_match(line.except_tasks, [t])
                   for t in scope.task_names)
    return not line.tasks or _word_match(line.tasks, scope.task_names)


def lines(items: Iterable[Line], scope: Scope) -> list[str]:
    return [i.text for i in items if line_fits(i, scope)]
