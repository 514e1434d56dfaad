"""The records calendar: recurring program activities and every certificate expiry, as RFC 5545 iCalendar."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from icalendar import Alarm, Calendar, Event, vRecur

from .facts import Facts, is_current
from .model import Profile

RRULES = {
    "weekly": {"FREQ": "WEEKLY"},
    "biweekly": {"FREQ": "WEEKLY", "INTERVAL": 2},
    "monthly": {"FREQ": "MONTHLY"},
    "quarterly": {"FREQ": "MONTHLY", "INTERVAL": 3},
    "semiannual": {"FREQ": "MONTHLY", "INTERVAL": 6},
    "annual": {"FREQ": "YEARLY"},
}


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
        alarm.add("description", summary)
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


def build_calendar(profile: Profile, facts: Facts, slug: str, positions: list[str]) -> bytes:
    program = profile.program
    stamp = datetime.combine(facts.as_of, datetime.min.time(), tzinfo=timezone.utc)
    cal = Calendar()
    cal.add("prodid", "-//secor-docs//records calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{profile.company.legal_name}: SECOR records")
    start = max(program.effective_date, facts.as_of)
    company = profile.company.legal_name

    def uid(name: str) -> str:
        return f"{slug}-{name}@secor-docs"

    cal.add_component(_event(uid("safety-meeting"), "Safety meeting (record minutes and attendance)", start, stamp,
                             f"{company}: safety meeting, {program.safety_meeting_frequency}. File the minutes in evidence/05-training/safety-meetings.",
                             RRULES[program.safety_meeting_frequency]))
    for i, site in enumerate(profile.sites, start=1):
        cal.add_component(_event(uid(f"inspection-{i}"), f"Workplace inspection: {site.name}", start, stamp,
                                 f"Complete the workplace inspection checklist for {site.name} ({program.inspection_frequency}).",
                                 RRULES[program.inspection_frequency]))
    cal.add_component(_event(uid("drill"), "Emergency response drill", start, stamp,
                             f"Run and record an emergency drill ({program.emergency_drill_frequency}), rotating the emergencies in the plans.",
                             RRULES[program.emergency_drill_frequency]))
    review = next_on_or_after(program.effective_date, facts.as_of, 12)
    cal.add_component(_event(uid("policy-review"), "Annual health and safety policy and program review", review, stamp,
                             "Review and re-sign the health and safety policy; complete the annual program review form.",
                             RRULES["annual"], alarm_days=30))
    for pos_id in positions:
        cal.add_component(_event(uid(f"hazard-assessment-{pos_id}"), f"Formal hazard assessment review: {pos_id}", review, stamp,
                                 "Review the formal hazard assessment with the workers who do the tasks (OHS Code s.7).",
                                 RRULES["annual"], alarm_days=14))
    if program.certificate_anniversary:
        from .certificate import next_anniversary

        due = next_anniversary(program.certificate_anniversary, facts.as_of)
        cal.add_component(_event(uid("maintenance-audit"), "SECOR audit due (submit on or before this date)", due, stamp,
                                 "Maintenance or recertification audit due before the certificate anniversary.",
                                 RRULES["annual"], alarm_days=90))
    for p in profile.people:
        if not is_current(p, facts.as_of):
            continue
        key = p.name.lower().replace(" ", "-")
        if p.first_aid:
            cal.add_component(_event(uid(f"first-aid-{key}"), f"First aid certificate expires: {p.name} ({p.first_aid.level})",
                                     p.first_aid.expires, stamp, "Book renewal training before this date.", alarm_days=60))
        for j, t in enumerate(p.training):
            if t.expires:
                cal.add_component(_event(uid(f"training-{key}-{j}"), f"Training expires: {p.name}, {t.course}",
                                         t.expires, stamp, "Book renewal training before this date.", alarm_days=60))
    return cal.to_ical()
