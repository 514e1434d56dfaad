"""Audit readiness: the company's real records checked against the audit window. A pure function plus its report."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from .evidence import needed_records
from .facts import Facts, is_current
from .certificate import WindowRules, certificate_sought, month_start, next_anniversary, records_window
from .frameworks import Framework, RecordType, window_rules
from .model import Profile
from .obligations import EXPIRY_WARNING_DAYS, TrainingState

DATED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\b")
# How finely each frequency is checked across the window: months, or blocks of several months.
BUCKET_MONTHS = {"weekly": 1, "biweekly": 1, "monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12,
                 "per_task": 1, "per_equipment_use": 1}


def window_for(profile: Profile, as_of: date, rules: WindowRules, months: int | None = None) -> tuple[int, date, date]:
    """The N full calendar months before the month of --as-of: the window an audit held then would sample
    (certificate.py decides N from the partner's rules: 3 for a first one-year SECOR, 12 for a three-year one
    or a maintenance audit, unless the consultant's settings say otherwise)."""
    if months is None:
        program = profile.program
        _, months = certificate_sought(program.audit, rules, program.records_since or program.effective_date, as_of)
    start, end = records_window(as_of, months)
    return months, start, end


def buckets(start: date, months: int, size: int) -> list[tuple[date, date]]:
    out = []
    for first in range(0, months, size):
        lo = month_start(start, first)
        hi = month_start(start, min(first + size, months)) - timedelta(days=1)
        out.append((lo, hi))
    return out


def label(lo: date, hi: date) -> str:
    if lo.year == hi.year and lo.month == hi.month:
        return f"{lo:%Y-%m}"
    return f"{lo:%Y-%m} to {hi:%Y-%m}"


@dataclass
class RecordStatus:
    key: str
    name: str
    folder: str
    frequency: str
    status: str                      # ok | gap | per_event
    files_in_window: int = 0
    missing_periods: list[str] = field(default_factory=list)
    missing_people: list[str] = field(default_factory=list)
    outside_window: list[str] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)
    future: list[str] = field(default_factory=list)      # dated after --as-of: a wrong date, or not a record yet
    questions: list[str] = field(default_factory=list)


@dataclass
class Readiness:
    company: str
    as_of: str
    framework: str
    evidence: str
    certificate: str
    window_months: int
    window_start: str
    window_end: str
    eligible: bool
    headcount_note: str
    maintenance_audit_due: str | None
    records: list[RecordStatus]
    people: list[str]
    questions: list[dict]
    gaps: list[str]
    overdue_documents: list[str] = field(default_factory=list)  # built documents whose review date has come

    @property
    def ready(self) -> bool:
        return not self.gaps

    def as_json(self) -> dict:
        return {**asdict(self), "ready": self.ready}


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def _words(text: str) -> list[str]:
    """Words of a name or file name, compared in one Unicode form and case (macOS writes file names decomposed)."""
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text).casefold())


def names_person(file_name: str, person: str) -> bool:
    """The file name holds the person's whole name as words: "Al" is not satisfied by "Alice" or "Alan"."""
    words, wanted = _words(Path(file_name).stem), _words(person)
    return bool(wanted) and any(words[i:i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))


def shown(name: str) -> str:
    """A file name as one printable line: a newline in a name must not start a line of the report."""
    return "".join(c if unicodedata.category(c)[0] != "C" else f"\\x{ord(c):02x}" for c in name)


def _date_of(path: Path) -> date | None:
    m = DATED.match(unicodedata.normalize("NFC", path.name))
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def check_record(key: str, record: RecordType, folder: Path, profile: Profile, facts: Facts, start: date, end: date,
                 months: int) -> RecordStatus:
    program = profile.program
    freq = {"safety_meeting": program.safety_meeting_frequency, "inspection": program.inspection_frequency,
            "drill": program.emergency_drill_frequency}.get(record.frequency, record.frequency)
    status = RecordStatus(key, record.name, record.folder, freq, "ok")
    dated = []
    for path in _files(folder):
        day = _date_of(path)
        rel = path.relative_to(folder).as_posix()
        if day is None:
            status.undated.append(rel)
        elif day > facts.as_of:
            status.future.append(rel)
        elif start <= day <= end:
            dated.append((day, path))
        else:
            status.outside_window.append(rel)
    status.files_in_window = len(dated)
    if record.frequency == "per_person":
        people = [p for p in profile.people if is_current(p, facts.as_of)]
        if key == "young_worker_records":
            people = [p for p in people if p.under_18]
        all_names = [path.name for path in _files(folder)]
        status.missing_people = [p.name for p in people if not any(names_person(n, p.name) for n in all_names)]
        status.status = "gap" if status.missing_people else "ok"
    elif record.frequency == "per_event" or not record.window_check and freq not in BUCKET_MONTHS:
        status.status = "per_event"
    else:
        size = BUCKET_MONTHS.get(freq, 1)
        for lo, hi in buckets(start, months, min(size, months)):
            if not any(lo <= day <= hi for day, _ in dated):
                status.missing_periods.append(label(lo, hi))
        status.status = "gap" if status.missing_periods else "ok"
    return status


def people_issues(profile: Profile, facts: Facts, required: dict[str, tuple], courses: dict[str, str] | None = None) -> list[str]:
    """Expired or soon-expiring certificates, and training required but missing, per current person.
    `required`: person name -> obligations.TrainingStatus tuple; `courses`: training key -> course name."""
    courses = courses or {}
    issues = []
    soon = facts.as_of + timedelta(days=EXPIRY_WARNING_DAYS)
    for p in profile.people:
        if not is_current(p, facts.as_of):
            continue
        if p.first_aid:
            if p.first_aid.expires < facts.as_of:
                issues.append(f"{p.name}: {p.first_aid.level} first aid certificate expired {p.first_aid.expires.isoformat()}")
            elif p.first_aid.expires <= soon:
                issues.append(f"{p.name}: {p.first_aid.level} first aid certificate expires {p.first_aid.expires.isoformat()} (within {EXPIRY_WARNING_DAYS} days)")
        for status in required.get(p.name, ()):
            if status.key == "first_aid":
                continue
            name = status.requirement.key.replace("_", " ")
            if status.state is TrainingState.MISSING:
                issues.append(f"{p.name}: {courses.get(status.key, name)} training required by their tasks but not recorded")
            elif status.state is TrainingState.EXPIRED:
                issues.append(f"{p.name}: {courses.get(status.key, name)} expired {status.expires.isoformat()}")
            elif status.state is TrainingState.EXPIRING:
                issues.append(f"{p.name}: {courses.get(status.key, name)} expires {status.expires.isoformat()} (within {EXPIRY_WARNING_DAYS} days)")
    return issues


def readiness(profile: Profile, facts: Facts, framework: Framework, evidence: Path, required: dict[str, tuple],
              months: int | None = None, has_equipment: bool = True, courses: dict[str, str] | None = None,
              rules: WindowRules | None = None) -> Readiness:
    rules = rules or window_rules(framework)
    window_months, start, end = window_for(profile, facts.as_of, rules, months)
    certificate, _ = certificate_sought(profile.program.audit, rules,
                                        profile.program.records_since or profile.program.effective_date, facts.as_of)
    needed = needed_records(framework, facts, has_equipment)
    statuses = []
    for key, record in needed.items():
        status = check_record(key, record, evidence / record.folder, profile, facts, start, end, window_months)
        status.questions = [q.id for e in framework.elements for q in e.questions if key in q.records]
        statuses.append(status)
    gaps = []
    for s in statuses:
        for period in s.missing_periods:
            gaps.append(f"{s.name} ({s.folder}): none dated in {period}")
        for person in s.missing_people:
            gaps.append(f"{s.name} ({s.folder}): none for {person}")
        for name in s.future:
            gaps.append(f"{s.name} ({s.folder}): {shown(name)} is dated after {facts.as_of.isoformat()}; correct its date")
    people = people_issues(profile, facts, required, courses)
    gaps += people
    if facts.hsr_required and facts.representative is None:
        gaps.append("no health and safety representative is named (required at 5 to 19 workers, OHS Act s.14)")
    if not facts.eligible:
        gaps.append(f"{facts.peak_headcount} people employed at the same time in the last 12 months: above the SECOR limit of 10")
    due = None
    if profile.program.certificate_anniversary:
        due = next_anniversary(profile.program.certificate_anniversary, facts.as_of).isoformat()
    questions = []
    by_key = {s.key: s for s in statuses}
    for e in framework.elements:
        for q in e.questions:
            recs = [by_key[k] for k in q.records if k in by_key]
            state = "gap" if any(r.status == "gap" for r in recs) else ("ok" if recs else "documents only")
            questions.append({"id": q.id, "element": e.name, "question": q.text, "status": state,
                              "records": [{"key": r.key, "present": r.files_in_window, "status": r.status} for r in recs]})
    return Readiness(
        company=profile.company.legal_name, as_of=facts.as_of.isoformat(), framework=framework.name,
        evidence=str(evidence), certificate=(certificate.value if profile.program.audit == "certification"
                                             else f"maintenance of the {certificate.value}"), window_months=window_months, window_start=start.isoformat(), window_end=end.isoformat(),
        eligible=facts.eligible,
        headcount_note=f"peak of {facts.peak_headcount} people at the same time in the last 12 months (limit 10)",
        maintenance_audit_due=due, records=statuses, people=people, questions=questions, gaps=gaps)


def report_lines(r: Readiness) -> list[str]:
    lines = [f"Audit readiness: {r.company} ({r.framework})",
             f"Evidence folder: {r.evidence}",
             f"Certificate: {r.certificate}; window: {r.window_months} months, {r.window_start} to {r.window_end} (as of {r.as_of})",
             f"Eligibility: {'eligible' if r.eligible else 'NOT ELIGIBLE'}, {r.headcount_note}"]
    if r.maintenance_audit_due:
        lines.append(f"Maintenance audit due on or before {r.maintenance_audit_due}")
    lines.append("")
    lines.append("Records:")
    for s in r.records:
        if s.status == "ok":
            mark = "ok  "
        elif s.status == "gap":
            mark = "GAP "
        else:
            mark = "--  "
        detail = f"{s.files_in_window} in window"
        if s.missing_periods:
            detail += "; none in " + ", ".join(s.missing_periods)
        if s.missing_people:
            detail += "; missing for " + ", ".join(s.missing_people)
        if s.status == "per_event":
            detail += " (filed when it happens; no gap check)"
        lines.append(f"  {mark}{s.name} [{s.folder}]: {detail}")
        if s.undated:
            lines.append(f"      not dated (rename to YYYY-MM-DD description.ext): {', '.join(shown(n) for n in s.undated[:5])}")
        if s.future:
            lines.append(f"      dated after {r.as_of} (a wrong date?): {', '.join(shown(n) for n in s.future[:5])}")
        if s.outside_window:
            lines.append(f"      outside the window: {len(s.outside_window)} file(s)")
    if r.people:
        lines.append("")
        lines.append("People:")
        lines += [f"  {p}" for p in r.people]
    if r.overdue_documents:
        lines.append("")
        lines.append("Documents due for their annual review (rebuild on or after the review date to issue the new edition):")
        lines += [f"  {d}" for d in r.overdue_documents]
    lines.append("")
    lines.append("READY: no gaps found" if r.ready else f"NOT READY: {len(r.gaps)} gap(s)")
    return lines
