"""The program edition: a SECOR program is reviewed every year on the anniversary of its effective date, and each
review issues the next edition (the policy's goals and the annual program review move to the new year)."""
from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Edition:
    """The program edition a build issues: when it started, when it is due for review, and whether it was issued
    early (`build --renew`) rather than on the anniversary. Recorded in the manifest as `edition`."""
    start: date
    review_due: date
    early: bool = False

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def name(self) -> str:
        return f"{self.start.year} edition"

    def as_dict(self, program_effective: date) -> dict:
        return {"name": self.name, "start": self.start.isoformat(), "review_due": self.review_due.isoformat(),
                "issued_early": self.early, "program_effective": program_effective.isoformat()}


def recorded_edition(previous: dict | None, effective: date) -> Edition | None:
    """The edition the previous build issued, when its manifest records one for the same program effective date."""
    data = (previous or {}).get("edition")
    if not isinstance(data, dict) or data.get("program_effective") != effective.isoformat():
        return None
    try:
        return Edition(date.fromisoformat(data["start"]), date.fromisoformat(data["review_due"]),
                       bool(data.get("issued_early")))
    except (KeyError, TypeError, ValueError):
        return None


def edition_in_force(effective: date, as_of: date, previous: Edition | None = None) -> Edition:
    """The edition in force on as_of: editions follow the anniversaries of the effective date, or of the last
    edition issued early (an early edition is reviewed a year after it was issued)."""
    anchor = previous.start if previous and effective <= previous.start <= as_of else effective
    start = edition_start(anchor, as_of) if as_of >= anchor else edition_start(effective, as_of)
    if previous and start == previous.start:
        return previous
    return Edition(start, add_years(start, 1))


def plan_edition(effective: date, as_of: date, previous: dict | None, renew: bool = False
                 ) -> tuple[Edition, Edition | None, str | None]:
    """(edition this build issues, edition of the previous build, why --renew makes no sense or None).

    Without `renew` the edition is the one in force on as_of (a new one on each anniversary). With `renew` a new
    edition starts on as_of, before its review date; when the review date has already come the anniversary
    renewal happens anyway and `renew` changes nothing."""
    before = None
    previous_as_of = None
    if previous:
        try:
            previous_as_of = date.fromisoformat(str(previous.get("as_of")))
        except ValueError:
            previous_as_of = None
        before = recorded_edition(previous, effective)
        if before is None and previous_as_of is not None:
            before = edition_in_force(effective, previous_as_of)
    current = edition_in_force(effective, as_of, before)
    if not renew:
        return current, before, None
    if previous is None or before is None:
        return current, before, "no earlier build to renew: the first build issues the program's first edition"
    if as_of < effective:
        return current, before, f"the program takes effect on {effective.isoformat()}; there is no edition to renew before then"
    if previous_as_of and as_of < previous_as_of:
        return current, before, f"the build date {as_of.isoformat()} is before the last build's ({previous_as_of.isoformat()})"
    if current.start > before.start:
        return current, before, None   # the review date has come: this build renews anyway
    if as_of.year == current.start.year:
        return current, before, (f"the {current.name} started on {current.start.isoformat()}; editions are named by "
                                 f"year, so the next one can be issued early from {current.start.year + 1}-01-01 "
                                 f"(its review is due on {current.review_due.isoformat()})")
    return renewed(as_of), before, None


def renewed(as_of: date) -> Edition:
    """The edition `build --renew` issues: it starts on as_of and is reviewed a year on."""
    return Edition(as_of, add_years(as_of, 1), early=True)
