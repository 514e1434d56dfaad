"""The program edition: a SECOR program is reviewed every year on the anniversary of its effective date, and each
review issues the next edition (the policy's goals and the annual program review move to the new year)."""
from __future__ import annotations

from datetime import date


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def edition_start(effective: date, as_of: date) -> date:
    """The start of the edition in force on as_of: the last anniversary of the effective date on or before as_of
    (the effective date itself before the first anniversary, or when the program starts later)."""
    years = 0
    while add_years(effective, years + 1) <= as_of:
        years += 1
    return add_years(effective, years)


def program_review_due(effective: date, as_of: date) -> date:
    """The next annual program review: one year after the current edition started."""
    return add_years(edition_start(effective, as_of), 1)
