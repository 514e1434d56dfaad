"""The workplace inspection checklist of one site: the site kind's areas, then one area per hazard of the company's
work, each item picked for the company's trade, hazards, equipment and tasks and for the site (data/site_checklists.yaml).

An item is plain text (true for any company) or {text, industries, hazards, equipment, sites, tasks}; every
condition given must hold (scope.line_fits). For an item of a hazard's area, task words are matched against the
names of the tasks that involve that hazard, so a painter's silica area asks about vacuum sanders, not wet cutting.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from .library import Line
from .scope import Scope, line_fits


@dataclass(frozen=True)
class Area:
    area: str
    items: tuple[str, ...]


def _picked(raw: Iterable, scope: Scope) -> tuple[str, ...]:
    return tuple(line.text for line in (Line.model_validate(i) for i in raw or []) if line_fits(line, scope))


def site_checklist(checklists: dict, scope: Scope, hazard_tasks: dict[str, list[str]],
                   hazard_names: dict[str, str]) -> list[Area]:
    """Areas for one site. `hazard_tasks` maps each hazard of the company's work, in order, to the task names that
    involve it; `hazard_names` gives each hazard's printed name."""
    areas = [Area(a["area"], _picked(a["items"], scope)) for a in checklists.get("site_kinds", {}).get(scope.site_kind, [])]
    for key, tasks in hazard_tasks.items():
        items = _picked(checklists.get("hazard_items", {}).get(key), replace(scope, task_names=tuple(tasks)))
        areas.append(Area(hazard_names[key], items))
    return [a for a in areas if a.items]
