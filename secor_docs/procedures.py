"""Safe job procedures: each task's numbered steps, from the profile or the task library, and the ones still to write.

A procedure is only ever made of real steps: the company's own (`steps` in the profile) or a library task's
(`library_task`, or a task whose name matches a library task). A critical task with neither gets no procedure;
`procedure_findings` lists it as a procedure to write, with an owner and a due date.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from .findings import Finding, Severity
from .library import PHASES, Library, LibraryTask
from .model import Profile, Task

PHASE_TITLES = dict(PHASES)
DUE_DAYS = 30   # a missing procedure for a critical task is written within a month, well before the audit
SMALL_WORDS = {"a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "from", "by", "&"}


@dataclass(frozen=True)
class Step:
    number: int
    phase: str
    text: str
    hazard: str | None      # hazard key the step deals with
    control: str            # how the step controls it ("" when the step text says it all)


@dataclass(frozen=True)
class Procedure:
    source: str                      # "profile" or "library"
    library_key: str | None
    title: str                       # library task name, or the task's own name
    steps: tuple[Step, ...]
    ppe: tuple[tuple[str, str, str], ...]   # (item, hazard key, when) from the library task
    hazards: tuple[str, ...] = ()           # hazard keys the library task covers, its PPE included


def name_key(name: str) -> frozenset[str]:
    """A task name reduced to its words: case, punctuation, small words and plural -s ignored."""
    words = re.sub(r"[^a-z0-9]+", " ", name.lower().replace("&", " and ")).split()
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                     for w in words if w not in SMALL_WORDS)


def match_library_task(task: Task, industry: str, library: Library) -> str | None:
    """The library task for a profile task: the explicit `library_task`, else one whose name or alias matches.

    The name match is deliberately strict (same words, in any order): a wrong procedure is worse than none.
    Tasks of the company's own industry win; a name that matches tasks of several other industries matches none.
    """
    if task.library_task:
        return task.library_task
    wanted = name_key(task.name)
    if not wanted:
        return None
    hits = [k for k, t in library.tasks.items() if any(name_key(n) == wanted for n in (t.name, *t.aliases))]
    own = [k for k in hits if industry in library.tasks[k].industries]
    if len(own) == 1:
        return own[0]
    return hits[0] if len(hits) == 1 else None


def _library_procedure(key: str, lt: LibraryTask) -> Procedure:
    steps = tuple(Step(i, s.phase, s.do, s.hazard, s.control or "") for i, s in enumerate(lt.steps, start=1))
    return Procedure("library", key, lt.name, steps, tuple((p.item, p.hazard, p.when or "") for p in lt.ppe),
                     tuple(dict.fromkeys([*lt.hazards, *(p.hazard for p in lt.ppe)])))


def procedure_for(task: Task, industry: str, library: Library) -> Procedure | None:
    """The task's procedure: its own steps first, then the library; None when there are no real steps."""
    if task.steps:
        n = len(task.steps)
        steps = tuple(Step(i, "prepare" if i == 1 else "finish" if i == n and n > 2 else "work", text, None, "")
                      for i, text in enumerate(task.steps, start=1))
        return Procedure("profile", None, task.name, steps, ())
    key = match_library_task(task, industry, library)
    return _library_procedure(key, library.tasks[key]) if key else None


def task_ppe(hazards, proc: Procedure | None) -> list[tuple[str, str, str]]:
    """(item, hazard key, when) for one task: the PPE its library task names for the task's hazards, and for hazards
    the library task does not cover (or without one) the PPE controls picked for the hazard."""
    keys = {h.key for h in hazards}
    covered = set(proc.hazards) if proc and proc.source == "library" else set()
    rows = [(item, hk, when) for item, hk, when in (proc.ppe if proc else ()) if hk in keys]
    return rows + [(p, h.key, "") for h in hazards if h.key not in covered for p in h.controls.ppe]


def procedures(profile: Profile, library: Library) -> dict[tuple[str, str], Procedure | None]:
    """(position id, task name) -> procedure or None, for every task of the profile."""
    return {(pos.id, t.name): procedure_for(t, profile.company.industry, library)
            for pos in profile.positions for t in pos.tasks}


def procedure_findings(profile: Profile, library: Library, critical: list, as_of: date) -> list[Finding]:
    """One "procedure-to-write" finding per critical task without real steps.

    `critical` holds the critical tasks (anything with `position_id` and `name`), as the assessment ranks them."""
    found = procedures(profile, library)
    where = {(pos.id, t.name): (i, j) for i, pos in enumerate(profile.positions) for j, t in enumerate(pos.tasks)}
    titles = {pos.id: pos.title for pos in profile.positions}
    out = []
    for t in critical:
        if found.get((t.position_id, t.name)) is not None:
            continue
        i, j = where[(t.position_id, t.name)]
        out.append(Finding(
            code="procedure-to-write", severity=Severity.WARNING,
            message=f"The critical task '{t.name}' ({titles[t.position_id]}) has no written safe job procedure.",
            action=("Write its steps with the workers who do it (prepare, set up, do the work, finish and clean up) and add them "
                    "to the profile as `steps`, or name a matching task from `secor-docs list tasks` as `library_task`."),
            owner=profile.company.senior_manager, due=as_of + timedelta(days=DUE_DAYS),
            documents=("HAZ-002",), path=("positions", i, "tasks", j)))
    return out


def procedure_dues(findings, profile: Profile) -> dict[tuple[str, str], date]:
    """(position id, task name) -> due date of its "procedure-to-write" finding: the critical task list prints it."""
    out = {}
    for f in findings:
        if f.code == "procedure-to-write" and len(f.path) == 4:
            _, i, _, j = f.path
            out[(profile.positions[i].id, profile.positions[i].tasks[j].name)] = f.due
    return out


def procedures_to_write(inputs) -> list[Finding]:
    """Finding source for consistency.all_findings: critical tasks whose safe job procedure is still to write."""
    from .assessment import critical_tasks

    built = inputs.built
    documents = inputs.doc_ids("critical_task_list") or ("HAZ-002",)
    return [replace(f, documents=documents)
            for f in procedure_findings(inputs.profile, inputs.library, critical_tasks(built.tasks, built.matrix), inputs.as_of)]
