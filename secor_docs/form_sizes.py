"""How many lines each log and record form gets: enough for what one sheet covers at the company's own
frequencies and crew size, and no more.

A daily check gets a column per day of the week, a log kept over a quarter gets a line for each entry the
company's schedule produces in a quarter, an attendance list gets a line per person plus room for visitors.
Every size comes with `covers` (what one sheet is for) and `basis` (how the count was reached), which the forms
print so a worker knows when to start a new sheet and an auditor sees why the form is that long.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .grammar import count

WORKDAY_MINUTES = 600        # a 10-hour field day: the working alone log sheet covers one day


@dataclass(frozen=True)
class LogSize:
    rows: int
    covers: str      # what one sheet covers, in words
    basis: str       # how the count was reached, in words


def _clamp(n: int, low: int, high: int) -> int:
    return max(low, min(n, high))


def _per_quarter(per_year: int) -> int:
    return math.ceil(per_year / 4)


def crew_rows(largest_crew: int, owner_only: bool) -> LogSize:
    """Sign-in lines on the field level hazard assessment, two names to a line: the largest crew on one shift plus
    a late arrival or a visitor; the form says to use the back for more."""
    if owner_only:
        return LogSize(0, "one job", "the owner works alone and signs at the bottom")
    names = _clamp(largest_crew + 1, 4, 12)
    return LogSize(math.ceil(names / 2), "one job",
                   f"the largest crew on one shift is {count(largest_crew, 'person', 'people')}, plus a visitor or late arrival, two names to a line")


def attendance_rows(headcount: int) -> LogSize:
    """Safety meeting attendance: everyone on the payroll, plus lines for visitors, contractors and clients' staff."""
    extra = 2 if headcount <= 2 else 3
    return LogSize(headcount + extra, "one meeting",
                   f"{count(headcount, 'person', 'people')} on the company's list, plus {extra} lines for others who attend")


def drill_rows(largest_site_crew: int) -> LogSize:
    """Drill participants: the most people at one site on one shift, plus visitors or contractors present."""
    return LogSize(largest_site_crew + 2, "one drill",
                   f"the largest site crew is {count(largest_site_crew, 'person', 'people')}, plus 2 lines for visitors or contractors")


def corrective_action_rows(inspections_per_year: int, sites: int, drills_per_year: int) -> LogSize:
    """Blank lines on the corrective action log for one quarter: room for one open item from each workplace
    inspection of each site and each drill in a quarter, plus 4 for hazard reports, field level hazard
    assessments, safety meetings and investigations."""
    inspections = _per_quarter(inspections_per_year) * sites
    drills = _per_quarter(drills_per_year)
    rows = _clamp(inspections + drills + 4, 8, 30)
    return LogSize(rows, "one quarter",
                   f"one open item from each of {count(inspections, 'workplace inspection')} and {count(drills, 'drill')} a quarter, "
                   "plus 4 lines for hazard reports, field level hazard assessments, safety meetings and investigations")


def ppe_issue_rows(items_per_person: list[int]) -> LogSize:
    """PPE issued: one line for each item each person's position needs, issued or replaced once in the year."""
    total = sum(items_per_person)
    rows = _clamp(total + 2, 4, 30)
    return LogSize(rows, "one year" if total + 2 <= 30 else "part of a year (start a new sheet when full)",
                   f"{count(total, 'PPE item')} issued across {count(len(items_per_person), 'person', 'people')}"
                   " (each item their position needs), plus 2 lines for replacements")


def ppe_inspection_rows(inspections_per_year: int) -> LogSize:
    """Documented PPE inspections, done with each workplace inspection round: a line for the round's result and one
    for an item found worn or defective, for a quarter. Daily checks before use are not written here."""
    rounds = _per_quarter(inspections_per_year)
    rows = _clamp(rounds * 2 + 2, 4, 20)
    return LogSize(rows, "one quarter", f"{count(rounds, 'inspection round')} a quarter: a line for each round's result and "
                   "one for an item found worn or defective, plus 2 spare lines")


def fall_arrest_rows(harness_users: int) -> LogSize:
    """Fall arrest equipment: a documented inspection at least yearly for each user's harness and lanyard or
    self-retracting device, plus 2 lines for anchors and spare units."""
    return LogSize(harness_users * 2 + 2, "one year",
                   f"{count(harness_users, 'worker')} who wear a harness: a harness and a lanyard each, plus 2 lines for anchors and spares")


def fit_test_rows(respirator_users: int) -> LogSize:
    """Respirator fit tests: one line per wearer, plus one for a new model or size."""
    return LogSize(respirator_users + 1, "one fit-test cycle",
                   f"{count(respirator_users, 'respirator wearer')}, plus 1 line for a new model or size")


def working_alone_rows(shortest_interval_minutes: int) -> LogSize:
    """Check-in lines for one person's day: one per interval over a 10-hour day, plus the start and final calls."""
    rows = _clamp(WORKDAY_MINUTES // max(shortest_interval_minutes, 1) + 2, 6, 40)
    return LogSize(rows, "one person, one day",
                   f"check-ins every {shortest_interval_minutes} minutes over a 10-hour day, plus the start and final calls")


def pre_use_columns(kind: str) -> LogSize:
    """Columns of a pre-use checklist: a week of daily checks, or a year of monthly ones (fire extinguishers)."""
    if kind == "fire_extinguisher":
        return LogSize(12, "one year", "a monthly inspection, one column per month")
    return LogSize(7, "one week", "a check before the first use each day, one column per day")
