"""Which emergencies a site's emergency response plan covers, and which lines of each emergency page apply.

An emergency (secor_docs/data/emergencies.yaml) is in a site's plan when any company can meet it at that kind of
site (`applies_to_site_kinds`: fire, a medical emergency), or when this company's work can cause it: one of its
hazards (`caused_by.hazards`, or the hazard's own `emergencies` list), equipment kinds, its industry or a word of
one of its task names (`caused_by`). A painting shop's plan therefore has no utility strike or H2S rescue.
Within a page, a procedure step, equipment item or drill part tagged with conditions is printed only where all
of them hold for the company and the site.
"""
from __future__ import annotations

from typing import Iterable

from .controls import _word_match
from .library import Emergency, Library
from .scope import Scope


def caused(em: Emergency, scope: Scope) -> bool:
    c = em.caused_by
    return bool(scope.hazards & set(c.hazards) or scope.equipment & set(c.equipment)
                or scope.industry in c.industries or (c.tasks and _word_match(c.tasks, scope.task_names)))


def emergencies_for_site(library: Library, scope: Scope, hazard_emergencies: Iterable[str] = (),
                         working_alone: bool = False) -> list[str]:
    """Emergency keys for one site: the site kind's, then those the company's hazards list (in hazard order), then
    those its equipment, industry or tasks cause; `hazard_emergencies` are the keys the hazards list."""
    keys = [k for k, em in library.emergencies.items() if scope.site_kind in em.applies_to_site_kinds]
    keys += [k for k in dict.fromkeys(hazard_emergencies) if k in library.emergencies and k not in keys]
    keys += [k for k, em in library.emergencies.items() if k not in keys and caused(em, scope)]
    if working_alone and "missing_worker" in library.emergencies and "missing_worker" not in keys:
        keys.append("missing_worker")
    return keys
