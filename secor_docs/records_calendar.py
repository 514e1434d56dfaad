"""The records calendar: the program's own schedule as RFC 5545 iCalendar: meetings, inspections and drills from the
program's start on, the annual program and hazard assessment reviews, every document's review date, the audit due
date and every certificate expiry, each with an alarm ahead of it."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from icalendar import Alarm, Calendar, Event, vRecur

from .edition import add_years
from .facts import Facts
from .model import Profile

RRULES = {
    "weekly": {"FREQ": "WEEKLY"},
    "biweekly": {"FREQ": "WEEKLY", "INTERVAL": 2},
    "monthly": {"FREQ": "MONTHLY"},
    "quarterly": {"FREQ": "MONTHLY", "INTERVAL": 3},
    "semiannual": {"FREQ": "MONTHLY", "INTERVAL": 6},
    "annual": {"FREQ": "YEARLY"},
}
EVERY = {"weekly": "every week", "biweekly": "every two weeks", "monthly": "every month",
         "quarterly": "every three months", "semiannual": "every six months", "annual": "once a year"}
# Days of warning before each kind of event (the alarm).
WARN = {"meeting": 1, "inspection": 2, "drill": 7, "program_review": 30, "hazard_review": 14, "document_review": 30,
        "audit": 90, "renewal": 60}


def _event(uid: str, summary: str, day: date, stamp: datetime, description: str = "", rrule: dict | None = None,
           alarm_days: int | None = None) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    if description:
        event.add("description", description)
    if rrule:
        event.add("rrule", vRecur(rrule))
    if alarm_days:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{summary} ({'tomorrow' if alarm_days == 1 else f'in {alarm_days} days'})")
        alarm.add("trigger", timedelta(days=-alarm_days))
        event.add_component(alarm)
    return event


def next_on_or_after(anchor: date, as_of: date, months: int) -> date:
    """First date on the anchor's cycle (every `months` months) that is not before as_of."""
    day = anchor
    while day < as_of:
        index = day.year * 12 + day.month - 1 + months
        year, month = index // 12, index % 12 + 1
        try:
            day = day.replace(year=year, month=month)
        except ValueError:
            day = day.replace(year=year, month=month, day=28)
    return day


def _ids(ids: list[str], limit: int = 8) -> str:
    return ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def build_calendar(profile: Profile, facts: Facts, slug: str, positions: list[tuple[str, str]],
                   reviews: list[tuple[date, list[str]]] = ()) -> bytes:
    """`positions` are (id, title) pairs; `reviews` the documents' next review dates with the documents due then."""
    program = profile.program
    stamp = datetime.combine(facts.as_of, datetime.min.time(), tzinfo=timezone.utc)
    cal = Calendar()
    cal.add("prodid", "-//secor-docs//records calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{profile.company.legal_name}: SECOR records")
    start = program.effective_date  # the program's schedule runs from its first day, not from the build date
    company = profile.company.legal_name

    def uid(name: str) -> str:
        return f"{slug}-{name}@secor-docs"

    meeting = program.safety_meeting_frequency
    cal.add_component(_event(uid("safety-meeting"), "Safety meeting (record minutes and attendance)", start, stamp,
                             f"{company}: safety meeting {EVERY[meeting]}, from the program's start on "
                             f"{start.isoformat()}. File the minutes in evidence/05-training/safety-meetings.",
                             RRULES[meeting], alarm_days=WARN["meeting"]))
    inspection = program.inspection_frequency
    for i, site in enumerate(profile.sites, start=1):
        cal.add_component(_event(uid(f"inspection-{i}"), f"Workplace inspection: {site.name}", start, stamp,
                                 f"Complete and sign the workplace inspection checklist for {site.name} "
                                 f"({EVERY[inspection]}).", RRULES[inspection], alarm_days=WARN["inspection"]))
    drill = program.emergency_drill_frequency
    cal.add_component(_event(uid("drill"), "Emergency response drill", start, stamp,
                             f"Run and record an emergency drill ({EVERY[drill]}, from {start.strftime('%B %Y')}), "
                             f"taking in turn the emergencies in the plans.", RRULES[drill], alarm_days=WARN["drill"]))
    first_review = add_years(start, 1)
    cal.add_component(_event(uid("policy-review"), "Annual health and safety policy and program review", first_review,
                             stamp, "Review and re-sign the health and safety policy, complete the annual program "
                             "review form and set next year's goals; then rebuild the binder to issue the new edition.",
                             RRULES["annual"], alarm_days=WARN["program_review"]))
    for pos_id, title in positions:
        cal.add_component(_event(uid(f"hazard-assessment-{pos_id}"), f"Formal hazard assessment review: {title}",
                                 first_review, stamp,
                                 f"Review the formal hazard assessment for {title} with the workers who do the tasks "
                                 f"(OHS Code s.7).", RRULES["annual"], alarm_days=WARN["hazard_review"]))
    for day, ids in sorted(reviews):
        count = f"{len(ids)} document{'s' if len(ids) != 1 else ''}"
        cal.add_component(_event(uid(f"document-review-{day.isoformat()}"), f"Document review due: {count}", day, stamp,
                                 f"Review {_ids(ids)} (document control register) and rebuild the binder on or after "
                                 f"this date.", alarm_days=WARN["document_review"]))
    if program.certificate_anniversary:
        from .readiness import next_anniversary

        due = next_anniversary(program.certificate_anniversary, facts.as_of)
        cal.add_component(_event(uid("maintenance-audit"), "SECOR audit due (submit on or before this date)", due, stamp,
                                 "Maintenance or recertification audit due before the certificate anniversary.",
                                 RRULES["annual"], alarm_days=WARN["audit"]))
    for p in profile.people:
        if p.end_date is not None and p.end_date < facts.as_of:
            continue  # people who left; future starters' certificates are kept in view
        key = p.name.lower().replace(" ", "-")
        if p.first_aid:
            cal.add_component(_event(uid(f"first-aid-{key}"), f"First aid certificate expires: {p.name} ({p.first_aid.level})",
                                     p.first_aid.expires, stamp, "Book renewal training before this date.",
                                     alarm_days=WARN["renewal"]))
        for j, t in enumerate(p.training):
            if t.expires:
                cal.add_component(_event(uid(f"training-{key}-{j}"), f"Training expires: {p.name}, {t.course}",
                                         t.expires, stamp, "Book renewal training before this date.",
                                         alarm_days=WARN["renewal"]))
    return cal.to_ical()
