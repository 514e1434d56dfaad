"""The program consistency check: named rules over the obligations and the planned documents, returning Findings.

`all_findings(inputs)` is the ONE place every finding of a build is gathered. A rule is a small pure function
`rule(inputs: FindingInputs) -> Iterable[Finding]`; add it to `RULES` below (rules of this module) or to `SOURCES`
(finding sources that live in other modules, e.g. unconfirmed controls or procedures still to write). Use
`inputs.finding(...)` to make a Finding: it fills in the default owner (the senior manager) and due date.
"""
from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any, Callable, Iterable

from .documents import legislation_register
from .findings import Finding, Severity, ordered

log = logging.getLogger(__name__)

# Days from the build date to the default due date, by severity.
DUE_DAYS = {Severity.ERROR: 30, Severity.WARNING: 60, Severity.NOTE: 90}


@dataclass(frozen=True)
class FindingInputs:
    """Everything a rule may read; all of it is decided before the first file is written."""
    profile: Any                  # model.Profile
    facts: Any                    # facts.Facts
    library: Any                  # library.Library
    built: Any                    # context.Built (template views; read typed values from `obligations` where you can)
    documents: tuple = ()         # catalog.PlannedDocument, in binder order
    extra: dict = field(default_factory=dict)

    @property
    def as_of(self) -> date:
        return self.facts.as_of

    @property
    def obligations(self):
        """obligations.Obligations: the typed requirements every rule should read."""
        return self.built.obligations

    @property
    def senior_manager(self) -> str:
        return self.profile.company.senior_manager

    def doc_ids(self, *keys: str) -> tuple[str, ...]:
        """Ids of the planned documents whose catalog key is one of `keys`, in binder order."""
        return tuple(d.id for d in self.documents if d.key in keys)

    def doc_ids_for(self, key: str, item_ident: str) -> tuple[str, ...]:
        """Id of the for_each document of `key` made for one item (a position id, a site name...)."""
        return tuple(d.id for d in self.documents if d.ident == f"{key}:{item_ident}")

    def finding(self, code: str, severity: Severity, message: str, action: str, *, documents: Iterable[str] = (),
                owner: str | None = None, due: date | None = None, path: tuple = ()) -> Finding:
        return Finding(code=code, severity=severity, message=message, action=action,
                       owner=owner or self.senior_manager, due=due or self.as_of + timedelta(days=DUE_DAYS[severity]),
                       documents=tuple(documents), path=path)


Rule = Callable[[FindingInputs], Iterable[Finding]]


def all_findings(inputs: FindingInputs) -> list[Finding]:
    """Every finding of one build, most severe first. The one gathering point: build, validate, the gaps page,
    the corrective action log, the manifest, portfolio.csv and CHANGES.md all read this list."""
    found: list[Finding] = []
    for rule in (*RULES, *sources()):
        found += list(rule(inputs))
    # found on this build's date unless a rule knew better (the build carries earlier dates forward: carry_forward)
    return ordered(replace(f, found=f.found or inputs.as_of) for f in found)


def sources() -> tuple[Rule, ...]:
    """Finding sources that live in other modules (imported here, late, to keep the module graph one-way)."""
    from .certificate import audit_window_findings
    from .controls import unconfirmed_control_findings
    from .procedures import procedures_to_write
    from .questions import question_list_findings
    from .triggers import documents_to_write

    return SOURCES + (audit_window_findings, unconfirmed_control_findings, question_list_findings, procedures_to_write,
                      documents_to_write)


SOURCES: tuple[Rule, ...] = ()   # other helpers: append `module.function` here


SEVERITY_TITLES = {Severity.ERROR: "Must fix", Severity.WARNING: "Fix before the audit", Severity.NOTE: "Confirm"}


def finding_views(findings, documents, as_of: date | None = None) -> list:
    """Template views of the findings (the gaps page and the corrective action log): numbered GAP-01, GAP-02...;
    `overdue` when the due date is before as_of."""
    from .context import v

    titles = {d.id: d.title for d in documents}
    return [v(number=f"GAP-{n:02d}", code=f.code, severity=f.severity.value, severity_title=SEVERITY_TITLES[f.severity],
              message=f.message, action=f.action, owner=f.owner, due=f.due, found=f.found or as_of,
              overdue=bool(as_of and f.due < as_of),
              documents=[f"{i} {titles[i]}" for i in f.documents if i in titles], document_ids=list(f.documents))
            for n, f in enumerate(findings, start=1)]


def rules_by_code() -> dict[str, Rule]:
    return {getattr(r, "code", r.__name__): r for r in RULES}


def rule(code: str):
    """Mark a function as the rule that produces findings with this code (documented in the README)."""
    def mark(fn):
        fn.code = code
        return fn
    return mark


# --------------------------------------------------------------------------------------------------------------
# Rules of this module. Each one: a stable code, a small function, a test in tests/test_consistency.py.

@rule("hsr-missing")
def hsr_missing(inputs: FindingInputs) -> Iterable[Finding]:
    facts = inputs.facts
    if facts.hsr_required and facts.representative is None:
        yield inputs.finding(
            "hsr-missing", Severity.ERROR,
            f"{facts.headcount} people work here, so OHS Act s.14 requires a health and safety representative, and none is named.",
            "Choose the representative with the workers and mark that person health_safety_representative: true.",
            documents=inputs.doc_ids("hs_representative", "worker_participation"))


INIT_LEFTOVERS = [
    (re.compile(r"example\.(com|org|net)\b", re.I), "an example.com address"),
    (re.compile(r"^\s*Describe\b"), "a 'Describe…' placeholder"),
    (re.compile(r"^\s*Worker \d+\s*$"), "a placeholder name 'Worker N'"),
    (re.compile(r"555-0100\b|000-0000"), "a placeholder phone number"),
    (re.compile(r"\bTODO\b|\bTBD\b|\bto be confirmed\b", re.I), "an unfinished value"),
]


def _strings(value, path: tuple = ()):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, (*path, k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, i))


@rule("init-placeholder")
def init_placeholders(inputs: FindingInputs) -> Iterable[Finding]:
    """Values left as `init` wrote them: they would be printed in signed documents."""
    data = inputs.profile.model_dump(mode="json")
    for path, text in _strings(data):
        for pattern, what in INIT_LEFTOVERS:
            if pattern.search(text):
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
                yield inputs.finding(
                    "init-placeholder", Severity.ERROR,
                    f"The profile still holds {what} at {where}: '{text[:60]}'.",
                    f"Replace {where} with the company's real value and rebuild.", path=path)
                break


@rule("custom-hazard-unused")
def custom_hazards_unused(inputs: FindingInputs) -> Iterable[Finding]:
    profile = inputs.profile
    used = {k for pos in profile.positions for t in pos.tasks for k in t.hazards}
    for i, pos in enumerate(profile.positions):
        for j, h in enumerate(pos.custom_hazards):
            if h.id not in used:
                yield inputs.finding(
                    "custom-hazard-unused", Severity.WARNING,
                    f"custom hazard '{h.id}' is not used by any task of the position '{pos.title}', so no hazard assessment shows '{h.name}'.",
                    f"Add '{h.id}' to the hazards of the task that meets it, or remove the custom hazard.",
                    documents=inputs.doc_ids_for("formal_hazard_assessment", pos.id), path=("positions", i, "custom_hazards", j, "id"))


@rule("violence-harassment-not-assessed")
def violence_and_harassment_assessed(inputs: FindingInputs) -> Iterable[Finding]:
    used = set(inputs.facts.hazards_used)
    missing = [name for key, name in (("workplace_violence", "violence"), ("harassment", "harassment")) if key not in used]
    if missing:
        yield inputs.finding(
            "violence-harassment-not-assessed", Severity.ERROR,
            f"The violence and harassment prevention plan says both are assessed as hazards, but no task's hazard assessment includes {' or '.join(missing)}.",
            f"Add {' and '.join('workplace_violence' if m == 'violence' else 'harassment' for m in missing)} to the hazards of the tasks where workers meet clients, the public or each other.",
            documents=inputs.doc_ids("violence_harassment_plan", "formal_hazard_assessment"))


@functools.cache
def consistency_data() -> dict:
    from ruamel.yaml import YAML

    from .resources import data_dir

    return YAML(typ="safe").load((data_dir() / "consistency.yaml").read_text(encoding="utf-8")) or {}


def _site_docs(inputs: FindingInputs, site: str, *keys: str) -> tuple[str, ...]:
    return tuple(i for k in keys for i in inputs.doc_ids_for(k, site))


@rule("shifts-assumed")
def shifts_assumed(inputs: FindingInputs) -> Iterable[Finding]:
    """The documented default (everyone at every site on one day shift) is in use: say so, once per site."""
    for i, site in enumerate(inputs.profile.sites):
        if not site.shifts:
            yield inputs.finding(
                "shifts-assumed", Severity.NOTE,
                f"The profile does not say who works at '{site.name}' or when, so first aid and emergency roles assume every current person works there on one day shift of {site.workers_per_shift}.",
                "List the real shifts and their people under sites[].shifts, so first aid and responders are checked per shift.",
                documents=_site_docs(inputs, site.name, "first_aid_assessment", "emergency_response_plan"),
                path=("sites", i, "name"))


@rule("first-aid-shift-coverage")
def first_aid_shift_coverage(inputs: FindingInputs) -> Iterable[Finding]:
    """Schedule 2: the first aiders required are present on every shift (OHS Code s.178, s.181)."""
    for c in inputs.obligations.first_aid:
        if c.met:
            continue
        if not c.available:
            what = "the Schedule 2 requirement could not be found in the data"
        else:
            need = ", ".join(f"{c.missing.count(l)} {l} first aider{'s' if c.missing.count(l) != 1 else ''}"
                             for l in ("advanced", "intermediate", "basic") if l in c.missing)
            on = ", ".join(f"{a.name} ({a.level})" for a in c.holders) or "nobody with a current certificate"
            what = f"{need} short: the shift has {on}"
        yield inputs.finding(
            "first-aid-shift-coverage", Severity.ERROR,
            f"{c.site}, {c.shift} ({c.workers} worker{'s' if c.workers != 1 else ''}, {c.table}): {what}.",
            "Train or certify someone who works this shift to the level Schedule 2 requires, or change who works it; until then the crew does not go without the first aiders required.",
            documents=_site_docs(inputs, c.site, "first_aid_assessment", "emergency_response_plan"))


@rule("responder-missing-at-site")
def responders_at_site(inputs: FindingInputs) -> Iterable[Finding]:
    """Designated rescue and evacuation workers are people who are actually at the site (OHS Code s.116-117)."""
    for site, resp in inputs.obligations.responders.items():
        for duty in resp.unfilled:
            if duty.duty == "First aid" and any(not c.met for c in inputs.obligations.first_aid_at(site)):
                continue  # reported once, as first aid coverage
            if duty.duty == "First aid" and all(c.required == 0 for c in inputs.obligations.first_aid_at(site)):
                continue  # no first aider required for a crew of one
            yield inputs.finding(
                "responder-missing-at-site", Severity.ERROR,
                f"{site}: nobody can be designated for '{duty.duty}': {duty.why_empty}.",
                "Arrange a trained person at the site (a second worker, the client's or prime contractor's rescue service, or a hired standby), write them into the emergency response plan, and practise it at a drill.",
                documents=_site_docs(inputs, site, "emergency_response_plan"))


@rule("lone-work-conflict")
def lone_work_conflicts(inputs: FindingInputs) -> Iterable[Finding]:
    """A task done alone whose hazards need a second person: the program both allows and forbids it."""
    second = consistency_data().get("second_person", {})
    for i, pos in enumerate(inputs.profile.positions):
        for j, task in enumerate(pos.tasks):
            if not task.working_alone:
                continue
            for key in task.hazards:
                if key in second:
                    rule_ = second[key]
                    yield inputs.finding(
                        "lone-work-conflict", Severity(rule_["severity"]),
                        f"'{task.name}' ({pos.title}) is marked as done alone, but {rule_['why']}.",
                        "Plan a second person for this part of the task (and say who), or take the hazard out of the lone work; then set working_alone accordingly.",
                        documents=inputs.doc_ids("working_alone_procedure", "company_rules") + inputs.doc_ids_for("formal_hazard_assessment", pos.id),
                        path=("positions", i, "tasks", j, "working_alone"))


@rule("lone-work-company-rule")
def lone_work_company_rules(inputs: FindingInputs) -> Iterable[Finding]:
    """Lone work that breaks a rule of this program: workers under 18 never work alone; the check-in contact is not
    the person who works alone."""
    profile = inputs.profile
    current = set(inputs.facts.current_people)
    for i, person in enumerate(profile.people):
        if person.under_18 and person.name in current:
            pos = next(p for p in profile.positions if p.id == person.position)
            alone = [t.name for t in pos.tasks if t.working_alone]
            if alone:
                yield inputs.finding(
                    "lone-work-company-rule", Severity.ERROR,
                    f"{person.name} is under 18, and the company rules say young workers never work alone, but their position '{pos.title}' has tasks done alone: {'; '.join(alone)}.",
                    f"Schedule {person.name} only with a supervisor present for those tasks (say so in the profile with a separate position), or give the tasks to an adult.",
                    documents=inputs.doc_ids("company_rules", "young_worker_procedure", "working_alone_procedure"),
                    path=("people", i, "under_18"))
    wa = profile.working_alone
    if wa and inputs.facts.working_alone:
        lone = {p.name for p in profile.people for pos in profile.positions if p.position == pos.id
                and any(t.working_alone for t in pos.tasks) and p.name in current}
        if lone == {wa.contact}:
            yield inputs.finding(
                "lone-work-company-rule", Severity.ERROR,
                f"The check-in contact, {wa.contact}, is the person who works alone, so nobody would notice a missed check-in.",
                "Name someone else as working_alone.contact (a family member, a neighbour business or a monitoring service) and show them the procedure.",
                documents=inputs.doc_ids("working_alone_procedure"), path=("working_alone", "contact"))


@rule("check-in-interval-mismatch")
def check_in_intervals_agree(inputs: FindingInputs) -> Iterable[Finding]:
    """Every document prints the same check-in interval for a lone task: the one in the check-in plan."""
    plans = {(c.position_id, c.task): c.interval for c in inputs.obligations.check_ins}
    views = list(inputs.built.context.get("tasks", [])) + list(inputs.built.context.get("critical_tasks", []))
    views += list(getattr(inputs.built.context.get("working_alone"), "tasks", []))
    seen = set()
    for tv in views:
        if not getattr(tv, "working_alone", False):
            continue
        want = plans.get((tv.position_id, tv.name))
        got = getattr(tv, "check_in", None)
        if want != got and (tv.position_id, tv.name) not in seen:
            seen.add((tv.position_id, tv.name))
            yield inputs.finding(
                "check-in-interval-mismatch", Severity.ERROR,
                f"The documents give different check-in intervals for '{tv.name}': {got} and {want} minutes.",
                "Report this as a secor-docs bug; until fixed, correct the documents by hand to one interval.",
                documents=inputs.doc_ids("working_alone_procedure", "company_rules", "flha_form", "safe_job_procedure"))


@rule("certificate-expired")
def certificates_expired(inputs: FindingInputs) -> Iterable[Finding]:
    """Every ticket a current person holds that has expired or expires within 60 days, required or not."""
    from .obligations import EXPIRY_WARNING_DAYS, TrainingState

    required = {(n, s.key) for n, sts in inputs.obligations.training.items() for s in sts}
    for c in inputs.obligations.certificates:
        needed = (c.person, c.key) in required
        if c.state is TrainingState.EXPIRED:
            yield inputs.finding(
                "certificate-expired", Severity.ERROR if needed else Severity.WARNING,
                f"{c.person}'s {c.course} expired on {c.expires.isoformat()}"
                + (" and their tasks require it." if needed else "; it is still listed in their training record."),
                f"Book {c.person} on a {c.course} renewal and file the new certificate; until then {c.person} does not do work that needs it.",
                owner=inputs.senior_manager, documents=inputs.doc_ids("training_matrix"))
        elif c.state is TrainingState.EXPIRING:
            yield inputs.finding(
                "certificate-expiring", Severity.WARNING,
                f"{c.person}'s {c.course} expires on {c.expires.isoformat()}, within {EXPIRY_WARNING_DAYS} days.",
                f"Book the renewal for {c.person} before {c.expires.isoformat()}.",
                due=c.expires, documents=inputs.doc_ids("training_matrix"))


@rule("training-required-by-law-missing")
def legal_training_missing(inputs: FindingInputs) -> Iterable[Finding]:
    """Training the law requires for a person's tasks, with nothing recorded: one finding per person."""
    from .obligations import Basis, TrainingState

    for person, statuses in inputs.obligations.training.items():
        missing = [s for s in statuses if s.state is TrainingState.MISSING and s.requirement.basis is Basis.LAW
                   and s.key not in ("orientation", "first_aid")]
        if not missing:
            continue
        names = "; ".join(f"{inputs.library.training[s.key].name} ({s.requirement.citation or 'law'}; for {s.requirement.because[0]})"
                          for s in missing)
        yield inputs.finding(
            "training-required-by-law-missing", Severity.WARNING,
            f"{person} has no record of training the law requires for their tasks: {names}.",
            f"Train {person} (or record the training already given) and file the record; the training matrix shows each course.",
            documents=inputs.doc_ids("training_matrix"))


@rule("program-dates")
def program_dates(inputs: FindingInputs) -> Iterable[Finding]:
    """The effective date, the build date and the audit type tell one story."""
    program = inputs.profile.program
    as_of = inputs.as_of
    if program.audit == "maintenance":
        # The records window itself is checked by certificate.audit_window_findings; this rule is about the program.
        if program.effective_date > as_of - timedelta(days=365):
            why = f"the program takes effect on {program.effective_date.isoformat()}, so every document of the program was first issued less than a year before the audit"
            yield inputs.finding(
                "program-dates", Severity.ERROR,
                f"The binder prepares a maintenance audit, which samples a program in use since certification, but {why}.",
                "Set program.effective_date and records_since to the dates the certified program and its records really started, or prepare a certification audit.",
                documents=inputs.doc_ids("program_approval"), path=("program", "audit"))
    if program.effective_date > as_of + timedelta(days=90):
        yield inputs.finding(
            "program-dates", Severity.WARNING,
            f"The program takes effect on {program.effective_date.isoformat()}, more than three months after this build.",
            "Check program.effective_date.", documents=inputs.doc_ids("program_approval"), path=("program", "effective_date"))


@rule("young-worker-task-not-permitted")
def young_worker_tasks_permitted(inputs: FindingInputs) -> Iterable[Finding]:
    """A worker under 18 holds a position whose own tasks the young worker procedure forbids them (critical tasks,
    and tasks still High or worse with controls): the program would make their job impossible, or be ignored."""
    profile = inputs.profile
    current = set(inputs.facts.current_people)
    for i, person in enumerate(profile.people):
        if not (person.under_18 and person.name in current):
            continue
        pos = next(p for p in profile.positions if p.id == person.position)
        barred = [t.name for t in inputs.built.tasks if t.position_id == pos.id and not t.working_alone
                  and (t.flagged_critical or t.top_residual.rank >= 2)]
        if barred:
            yield inputs.finding(
                "young-worker-task-not-permitted", Severity.ERROR,
                f"{person.name} is under 18, and the young worker procedure does not permit workers under 18 to do "
                f"these tasks of their own position '{pos.title}' (flagged critical, or still High with controls): "
                f"{'; '.join(barred)}.",
                f"Give those tasks to an adult and keep {person.name} on the others (a separate position in the profile), "
                "or, where the company judges a task safe for a young worker under direct supervision, take its critical "
                "flag off and bring its residual risk down with controls the workers confirm.",
                documents=inputs.doc_ids("young_worker_procedure") + inputs.doc_ids_for("formal_hazard_assessment", pos.id),
                path=("people", i, "position"))


@rule("document-missing")
def referred_documents_present(inputs: FindingInputs) -> Iterable[Finding]:
    """Documents the program tells workers to use (a fall protection plan, a confined space code of practice) are in the binder."""
    referred = consistency_data().get("referred_documents", {})
    titles = [d.title.lower() for d in inputs.documents]
    for key in inputs.facts.hazards_used:
        ref = referred.get(key)
        if not ref or any(t in title for t in ref["titles"] for title in titles):
            continue
        users = list(dict.fromkeys(t.name for pos in inputs.profile.positions for t in pos.tasks if key in t.hazards))
        yield inputs.finding(
            "document-missing", Severity.WARNING,
            f"The program refers workers to a {ref['document']} ({ref['cite']}) for {', '.join(users[:3])}, but the binder has none.",
            f"Write the {ref['document']} for each site where this work is done, and file it with the binder.",
            documents=inputs.doc_ids_for("safe_work_practice", key))


@rule("law-to-verify")
def law_to_verify(inputs: FindingInputs) -> Iterable[Finding]:
    """What the built-in legal data itself says must be checked by a person: kept off the signed documents, listed here."""
    from types import SimpleNamespace

    from .documents import legislation_register  # documents renders; it does not import this module
    lib = inputs.library
    # only the entries this company's register prints: a painter's gaps page names no pesticide or trucking rule
    register = legislation_register(SimpleNamespace(built=inputs.built, documents=inputs.documents))
    believed = sorted(r.cite for r in register if r.status == "believed")
    if believed:
        yield inputs.finding(
            "law-to-verify", Severity.NOTE,
            f"{len(believed)} legislation register entries are paraphrased from secondary sources, not read in the official consolidation ({', '.join(believed[:6])}{', ...' if len(believed) > 6 else ''}).",
            "Read each entry against the King's Printer text and mark it verified, or correct it.",
            documents=inputs.doc_ids("legislation_register"))
    if lib.first_aid.get("verify_note"):
        yield inputs.finding(
            "law-to-verify", Severity.NOTE,
            f"The Schedule 2 first aid requirements used in the first aid assessments come from one machine-extracted copy of the regulation ({lib.first_aid.get('source', 'built-in data')}).",
            "Compare the Schedule 2 rows used in the first aid assessments with the current King's Printer text once, and record the check.",
            documents=inputs.doc_ids("first_aid_assessment"))


RULES: tuple[Rule, ...] = (law_to_verify, hsr_missing, init_placeholders, shifts_assumed, first_aid_shift_coverage, responders_at_site,
                           lone_work_conflicts, lone_work_company_rules, check_in_intervals_agree, certificates_expired, legal_training_missing,
                           program_dates, custom_hazards_unused, violence_and_harassment_assessed, referred_documents_present,
                           young_worker_tasks_permitted)
