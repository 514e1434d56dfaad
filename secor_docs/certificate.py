"""Which certificate an audit seeks, the records window it samples and when it can be booked: pure functions.

The program approval page, `check` (readiness) and the findings all read these, so they never disagree. The
partner's rules (months of records for a one-year and a three-year SECOR, the maintenance window) are data in
the framework files (`certificates:`), each with its sources; a consultant can override them in the settings file.

A records window is made of whole calendar months: an audit in month M with an N-month window samples the N
months before M. Records that start on the 1st cover that month; records that start later cover from the next
month on.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from .edition import edition_start
from .findings import Finding, Severity


class Certificate(str, Enum):
    ONE_YEAR = "one-year SECOR"
    THREE_YEAR = "three-year SECOR"


@dataclass(frozen=True)
class WindowRules:
    """A partner's records rules (framework data, possibly overridden by the consultant's settings)."""
    partner: str
    one_year_months: int          # records a first audit needs for a one-year SECOR
    three_year_months: int        # records a first audit needs for a three-year SECOR
    maintenance_months: int       # records a maintenance audit samples
    status: str                   # verified | believed
    basis: str                    # where the numbers come from, in a sentence


@dataclass(frozen=True)
class AuditPlan:
    """The audit this edition prepares for, worked out from the program dates and the partner's rules."""
    audit: str                     # certification | maintenance
    certificate: Certificate
    records_start: date            # first day records were kept
    records_start_field: str       # the profile field it came from: records_since or effective_date
    window_months: int
    audit_date: date               # the planned date, or the date the window below is shown for
    audit_date_basis: str          # planned | earliest | due | edition
    window_start: date
    window_end: date
    earliest_booking: date         # first day the window of the certificate sought is covered by records
    three_year_from: date          # certification: first day a three-year SECOR can be sought
    due_by: date | None            # maintenance: on or before the next certificate anniversary
    months_covered: int            # full months of the window that the records cover on audit_date

    @property
    def window_met(self) -> bool:
        return self.months_covered >= self.window_months


def month_start(day: date, shift: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def first_full_month(records_start: date) -> date:
    return records_start if records_start.day == 1 else month_start(records_start, 1)


def earliest_audit(records_start: date, months: int) -> date:
    """First day an audit can sample `months` whole months of records."""
    return month_start(first_full_month(records_start), months)


def records_window(on: date, months: int) -> tuple[date, date]:
    """The `months` whole calendar months before the month of `on`."""
    return month_start(on, -months), month_start(on) - timedelta(days=1)


def months_covered(records_start: date, on: date, months: int) -> int:
    start, _ = records_window(on, months)
    first = max(first_full_month(records_start), start)
    covered = (month_start(on).year - first.year) * 12 + month_start(on).month - first.month
    return max(0, min(months, covered))


def next_anniversary(anniversary: date, on: date) -> date:
    year = on.year
    while True:
        try:
            candidate = anniversary.replace(year=year)
        except ValueError:
            candidate = anniversary.replace(year=year, day=28)
        if candidate >= on:
            return candidate
        year += 1


def certificate_sought(audit: str, rules: WindowRules, records_start: date, on: date) -> tuple[Certificate, int]:
    """The certificate an audit on `on` can earn and the months of records it samples.

    A first certification earns a three-year SECOR once a full three-year window of records exists, else a
    one-year SECOR (its window may still be short: `months_covered` says). A maintenance audit keeps the
    three-year SECOR and samples the maintenance window."""
    if audit == "maintenance":
        return Certificate.THREE_YEAR, rules.maintenance_months
    if on >= earliest_audit(records_start, rules.three_year_months):
        return Certificate.THREE_YEAR, rules.three_year_months
    return Certificate.ONE_YEAR, rules.one_year_months


def plan_audit(program, rules: WindowRules, as_of: date) -> AuditPlan:
    """`program` is the profile's program section (effective_date, records_since, audit, certificate_anniversary,
    audit_date)."""
    start, field = ((program.records_since, "records_since") if program.records_since
                    else (program.effective_date, "effective_date"))
    three_year_from = earliest_audit(start, rules.three_year_months)
    due = next_anniversary(program.certificate_anniversary, as_of) if program.certificate_anniversary else None
    planned = getattr(program, "audit_date", None)
    # Without a planned or due date the audit is shown for a date taken from the program's own dates, never from the
    # build date: the approval page must not change from one day to the next (issue 16).
    edition = edition_start(program.effective_date, as_of)
    if program.audit == "maintenance":
        earliest = earliest_audit(start, rules.maintenance_months)
        on, basis = (planned, "planned") if planned else ((due, "due") if due else (edition, "edition"))
    else:
        if planned:
            on, basis = planned, "planned"
        else:
            # the first date a one-year SECOR audit can be booked, or the start of this edition when that date has passed
            on, basis = max(earliest_audit(start, rules.one_year_months), edition), "earliest"
        earliest = None
    certificate, months = certificate_sought(program.audit, rules, start, on)
    if earliest is None:
        earliest = earliest_audit(start, months)
    window_start, window_end = records_window(on, months)
    return AuditPlan(program.audit, certificate, start, field, months, on, basis, window_start, window_end,
                     earliest, three_year_from, due, months_covered(start, on, months))


def window_findings(plan: AuditPlan, rules: WindowRules, owner: str, as_of: date,
                    documents: tuple[str, ...] = ()) -> list[Finding]:
    """What stands between the program dates and the audit they are meant for."""
    found = []
    soon = as_of + timedelta(days=30)
    if not plan.window_met:
        when = {"planned": "planned for", "due": "due by", "earliest": "booked on", "edition": "held on"}[plan.audit_date_basis]
        found.append(Finding(
            "records-window-short", Severity.ERROR,
            f"The {plan.audit} audit {when} {plan.audit_date.isoformat()} samples {plan.window_months} months of records "
            f"({plan.window_start.isoformat()} to {plan.window_end.isoformat()}), but records start on "
            f"{plan.records_start.isoformat()} (program.{plan.records_start_field}): only {plan.months_covered} of "
            f"those months are covered.",
            f"If records go back further, set program.records_since to the first day they were kept; otherwise agree "
            f"the audit date with {rules.partner} (the first date with a full window is {plan.earliest_booking.isoformat()}).",
            owner, min(soon, plan.audit_date) if plan.audit_date > as_of else soon, documents, ("program",)))
    if plan.audit == "maintenance" and plan.due_by is None:
        found.append(Finding(
            "maintenance-due-date-unknown", Severity.WARNING,
            "A maintenance audit is prepared but program.certificate_anniversary is not set, so the date it is due "
            "by cannot be worked out.",
            "Set program.certificate_anniversary to the date on the current SECOR certificate.",
            owner, soon, documents, ("program",)))
    if rules.status != "verified":
        found.append(Finding(
            "certificate-rules-unverified", Severity.NOTE,
            f"The months of records {rules.partner} asks for ({rules.one_year_months} for a one-year SECOR, "
            f"{rules.three_year_months} for a three-year SECOR, {rules.maintenance_months} for a maintenance audit) "
            f"are not confirmed in {rules.partner}'s own SECOR rules: {rules.basis}",
            f"Confirm the records window with {rules.partner}; a consultant can set it in the settings file "
            f"(certificate_rules).",
            owner, soon, documents))
    return found


def audit_window_findings(inputs) -> list[Finding]:
    """Finding source for consistency.all_findings: the audit plan worked out in plan_build (`inputs.extra`)."""
    plan, rules = inputs.extra.get("audit"), inputs.extra.get("window_rules")
    if plan is None or rules is None:
        return []
    return window_findings(plan, rules, inputs.senior_manager, inputs.as_of, inputs.doc_ids("program_approval"))


DATE_PHRASES = {"planned": "planned for", "earliest": "held on its earliest booking date,", "due": "held on its due date,",
                "edition": "held when this edition took effect,"}


def audit_view(plan: AuditPlan, rules: WindowRules):
    """What the program approval page prints about the audit (plain values; the template words them)."""
    from .context import View

    return View(
        audit=plan.audit, maintenance=plan.audit == "maintenance",
        audit_title=("Maintenance audit (year 2 or 3 of the three-year SECOR)" if plan.audit == "maintenance"
                     else "Certification audit"),
        certificate=plan.certificate.value, one_year=plan.certificate is Certificate.ONE_YEAR,
        records_start=plan.records_start, records_start_field=plan.records_start_field,
        window_months=plan.window_months, window_start=plan.window_start, window_end=plan.window_end,
        audit_date=plan.audit_date, date_phrase=DATE_PHRASES[plan.audit_date_basis],
        planned=plan.audit_date_basis == "planned", earliest_booking=plan.earliest_booking,
        three_year_from=plan.three_year_from, due_by=plan.due_by or "", months_covered=plan.months_covered,
        after_due=bool(plan.due_by and plan.earliest_booking > plan.due_by),
        window_met=plan.window_met, partner=rules.partner, one_year_months=rules.one_year_months,
        three_year_months=rules.three_year_months, maintenance_months=rules.maintenance_months)
