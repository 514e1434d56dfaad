"""Risk matrix: severity x probability scores, bands and the required action for each band."""
from __future__ import annotations

from dataclasses import dataclass

from .model import RiskBand, RiskMatrix

# Library ratings are written on 4-point scales; a custom matrix with n levels rescales them linearly.
LIBRARY_LEVELS = 4

DEFAULT = RiskMatrix(
    severity=["Minor (first aid only)", "Moderate (medical aid or modified work)", "Serious (lost-time injury)",
              "Critical (permanent disability or fatality)"],
    probability=["Unlikely", "Possible", "Likely", "Almost certain"],
    bands=[
        RiskBand(name="Low", min=1, max=3, action="Acceptable with the listed controls; review at the next scheduled hazard assessment review."),
        RiskBand(name="Medium", min=4, max=6, action="Controls must be in place before work starts; the supervisor checks them at the field level hazard assessment."),
        RiskBand(name="High", min=8, max=9, action="Work only with engineering or administrative controls in place and verified by the supervisor before work starts; reviewed at every field level hazard assessment."),
        RiskBand(name="Critical", min=12, max=16, action="A critical task: do not start or continue the work until the controls reduce the risk; the task has a written safe job procedure and the senior manager approves the controls in writing."),
    ],
)


@dataclass(frozen=True)
class Risk:
    severity: int
    probability: int
    score: int
    band: str
    rank: int  # 0 = lowest band
    action: str

    @property
    def label(self) -> str:
        return f"{self.score} {self.band}"


class Matrix:
    def __init__(self, spec: RiskMatrix | str = "default"):
        self.spec = DEFAULT if spec == "default" or spec is None else spec
        self.bands = sorted(self.spec.bands, key=lambda b: b.min)

    @property
    def severity_levels(self) -> int:
        return len(self.spec.severity)

    @property
    def probability_levels(self) -> int:
        return len(self.spec.probability)

    def scale(self, value: int, levels: int, source_levels: int = LIBRARY_LEVELS) -> int:
        if levels == source_levels:
            return value
        return max(1, min(levels, round(1 + (value - 1) * (levels - 1) / (source_levels - 1))))

    def rate(self, severity: int, probability: int, *, library_scale: bool = True) -> Risk:
        if library_scale:
            severity = self.scale(severity, self.severity_levels)
            probability = self.scale(probability, self.probability_levels)
        severity = max(1, min(self.severity_levels, severity))
        probability = max(1, min(self.probability_levels, probability))
        score = severity * probability
        for rank, band in enumerate(self.bands):
            if band.min <= score <= band.max:
                return Risk(severity, probability, score, band.name, rank, band.action)
        raise ValueError(f"score {score} is in no band")  # prevented by matrix_problems

    @property
    def top_rank(self) -> int:
        return len(self.bands) - 1

    def grid(self) -> list[dict]:
        """Rows from the most to the least severe, each with the band of every probability column."""
        rows = []
        for s in range(self.severity_levels, 0, -1):
            cells = [self.rate(s, p, library_scale=False) for p in range(1, self.probability_levels + 1)]
            rows.append({"severity": s, "label": self.spec.severity[s - 1], "cells": cells})
        return rows


def matrix_problems(spec: RiskMatrix) -> list[str]:
    """Every possible score must fall in exactly one band."""
    scores = sorted({s * p for s in range(1, len(spec.severity) + 1) for p in range(1, len(spec.probability) + 1)})
    problems = []
    for band in spec.bands:
        if band.min > band.max:
            problems.append(f"band '{band.name}' has min {band.min} above max {band.max}")
    for score in scores:
        hits = [b.name for b in spec.bands if b.min <= score <= b.max]
        if not hits:
            problems.append(f"score {score} falls in no band; bands must cover every score from 1 to {scores[-1]}")
        elif len(hits) > 1:
            problems.append(f"score {score} falls in more than one band ({', '.join(hits)})")
    return problems
