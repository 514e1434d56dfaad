"""Formal hazard assessment engine: hazards resolved per task, rated before and after controls, critical tasks."""
from __future__ import annotations

from dataclasses import dataclass

from .library import Controls, Library
from .model import CustomHazard, Profile
from .risk import Matrix, Risk

HIERARCHY = (
    ("elimination", "Elimination"),
    ("engineering", "Engineering"),
    ("administrative", "Administrative"),
    ("ppe", "Personal protective equipment"),
)


@dataclass(frozen=True)
class ResolvedHazard:
    key: str
    name: str
    description: str
    causes: tuple[str, ...]
    controls: Controls
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


def resolve_hazards(profile: Profile, library: Library, matrix: Matrix) -> dict[str, ResolvedHazard]:
    """Every hazard key the profile can use, with its ratings on the company's matrix."""
    out: dict[str, ResolvedHazard] = {}
    for key, h in library.hazards.items():
        out[key] = ResolvedHazard(
            key, h.name, h.description, tuple(h.causes), h.controls,
            matrix.rate(h.severity, h.probability), matrix.rate(h.residual.severity, h.residual.probability),
            h.check, tuple(h.code_refs), tuple(h.training), tuple(h.emergencies), tuple(h.safe_work_practice),
            h.whmis, False)
    for pos in profile.positions:
        for h in pos.custom_hazards:
            rs, rp = _residual_for_custom(h, matrix)
            controls = Controls(**h.controls.model_dump())
            out[h.id] = ResolvedHazard(
                h.id, h.name, h.description or h.name, (), controls,
                matrix.rate(h.severity, h.probability, library_scale=False),
                matrix.rate(rs, rp, library_scale=False),
                "The supervisor checks these controls at the field level hazard assessment before the task starts.",
                ("code_part_2",), tuple(h.training), tuple(h.emergencies),
                tuple(f"{label}: {c}" for level, label in HIERARCHY for c in getattr(controls, level)), False, True)
    return out


def assess_tasks(profile: Profile, library: Library, hazards: dict[str, ResolvedHazard]) -> list[AssessedTask]:
    tasks = []
    for pos in profile.positions:
        for task in pos.tasks:
            steps = tuple(task.steps)  # the safe job procedure itself comes from procedures.procedure_for
            tasks.append(AssessedTask(pos.id, pos.title, task.name, tuple(hazards[k] for k in task.hazards),
                                      task.critical, task.working_alone, steps))
    return tasks


def critical_tasks(tasks: list[AssessedTask], matrix: Matrix) -> list[AssessedTask]:
    """Tasks flagged critical or whose worst hazard is in the top band, highest risk first."""
    chosen = [t for t in tasks if t.flagged_critical or t.top_initial.rank >= matrix.top_rank]
    return sorted(chosen, key=lambda t: (-t.top_initial.score, -t.top_residual.score, not t.flagged_critical, t.position_title, t.name))
