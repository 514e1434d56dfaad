"""Derived obligations: headcount and eligibility, representative, distance class, which programs apply."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from .library import Library
from .model import Person, Profile

SECOR_LIMIT = 10            # SECOR: 10 or fewer employees at any time in the last 12 months (secor-facts §1.2)
HSR_MIN, HSR_MAX = 5, 19    # OHS Act s.14 representative; s.13 committee at 20+
WINDOW_DAYS = 365


def one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def distance_class(minutes: int, first_aid: dict) -> str:
    classes = first_aid.get("distance_classes", {})
    close_max = classes.get("close", {}).get("max_minutes", 20)
    isolated_min = classes.get("isolated", {}).get("min_minutes", 40)
    if minutes <= close_max:
        return "close"
    if minutes >= isolated_min:
        return "isolated"
    return "distant"


def is_current(person: Person, as_of: date) -> bool:
    return person.start_date <= as_of and (person.end_date is None or person.end_date >= as_of)


@dataclass(frozen=True)
class SiteFacts:
    name: str
    distance_class: str
    travel_minutes: int


@dataclass(frozen=True)
class Facts:
    as_of: date
    window_start: date
    current_people: tuple[str, ...]
    people_in_window: tuple[str, ...]
    peak_headcount: int
    peak_date: date
    eligible: bool
    allow_ineligible: bool
    hsr_required: bool
    jhsc_required: bool
    participation: str          # "committee" | "representative" | "workers" | "owner"
    representative: str | None  # name of the designated representative, if any
    owner_only: bool
    has_supervisors: bool
    young_workers: tuple[str, ...]
    working_alone: bool
    contractors: bool
    whmis: bool
    sites: tuple[SiteFacts, ...]
    hazards_used: tuple[str, ...]
    flagged_critical_tasks: int  # tasks the profile marks critical (the critical task list adds top-band tasks)
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def headcount(self) -> int:
        return len(self.current_people)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"headcount": self.headcount}


def peak_concurrent(people: list[Person], start: date, end: date) -> tuple[int, date]:
    """Largest number of people employed on the same day between start and end (inclusive)."""
    events: dict[date, int] = {}
    for p in people:
        first = max(p.start_date, start)
        last = min(p.end_date or end, end)
        if first > last:
            continue
        events[first] = events.get(first, 0) + 1
        events[last + timedelta(days=1)] = events.get(last + timedelta(days=1), 0) - 1
    peak, peak_day, running = 0, end, 0
    for day in sorted(events):
        running += events[day]
        if running > peak:
            peak, peak_day = running, day
    return peak, peak_day


def derive_facts(profile: Profile, library: Library, as_of: date, allow_ineligible: bool = False) -> Facts:
    start = one_year_before(as_of)
    people = profile.people
    current = [p for p in people if is_current(p, as_of)]
    in_window = [p for p in people if p.start_date <= as_of and (p.end_date is None or p.end_date >= start)]
    peak, peak_day = peak_concurrent(people, start, as_of)
    count = len(current)
    hsr_required = HSR_MIN <= count <= HSR_MAX
    jhsc_required = count > HSR_MAX
    reps = [p.name for p in current if p.health_safety_representative]
    owner_only = all(p.role == "owner" for p in current)
    if owner_only:
        participation = "owner"
    elif jhsc_required:
        participation = "committee"
    elif hsr_required:
        participation = "representative"
    else:
        participation = "workers"
    used = []
    for pos in profile.positions:
        for task in pos.tasks:
            for key in task.hazards:
                if key not in used:
                    used.append(key)
    whmis = any(library.hazards[k].whmis for k in used if k in library.hazards)
    warnings = []
    if hsr_required and not reps:
        warnings.append(f"{count} people work here, so OHS Act s.14 requires a health and safety representative; mark one person with health_safety_representative: true")
    sites = tuple(SiteFacts(s.name, distance_class(s.health_facility.travel_minutes, library.first_aid), s.health_facility.travel_minutes)
                  for s in profile.sites)
    return Facts(
        as_of=as_of,
        window_start=start,
        current_people=tuple(p.name for p in current),
        people_in_window=tuple(p.name for p in in_window),
        peak_headcount=peak,
        peak_date=peak_day,
        eligible=peak <= SECOR_LIMIT,
        allow_ineligible=allow_ineligible,
        hsr_required=hsr_required,
        jhsc_required=jhsc_required,
        participation=participation,
        representative=reps[0] if reps else None,
        owner_only=owner_only,
        has_supervisors=any(p.role in ("supervisor", "manager") for p in current),
        young_workers=tuple(p.name for p in current if p.under_18),
        working_alone=any(t.working_alone for pos in profile.positions for t in pos.tasks),
        contractors=profile.contractors,
        whmis=whmis,
        sites=sites,
        hazards_used=tuple(used),
        flagged_critical_tasks=sum(1 for pos in profile.positions for t in pos.tasks if t.critical),
        warnings=tuple(warnings),
    )


def ineligibility_message(facts: Facts) -> str:
    return (f"{facts.peak_headcount} people were employed at the same time on {facts.peak_date.isoformat()} "
            f"(counting owners, family, volunteers, part-time, casual and seasonal workers); SECOR is limited to "
            f"{SECOR_LIMIT} or fewer at any time in the last 12 months, so this employer must move to a regular COR. "
            f"Use --allow-ineligible to build anyway (the binder is then marked as not eligible).")
