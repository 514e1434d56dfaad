"""`secor-docs init`: a commented starter profile built from the industry defaults, which passes `validate`."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date

from .library import Library


def q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Answers:
    industry: str
    legal_name: str = "Example Company Ltd."
    wcb_account: str = "1234567"
    address: str = "100 Main Street, Red Deer, AB T4N 1A1"
    phone: str = "403-555-0100"
    email: str = "office@example.com"
    partner: str = ""
    senior_manager: str = "Alex Owner"
    people: list[tuple] = field(default_factory=list)   # (name, role, position id[, employment, start date])
    site_name: str = "Head office"
    site_address: str = ""
    site_kind: str = ""                # default: the industry's usual site kind
    facility: str = "Nearest hospital"
    facility_address: str = "Address of the nearest hospital"
    facility_phone: str = ""
    travel_minutes: int = 15
    muster_point: str = "Describe the outdoor meeting place"
    workers_per_shift: int = 0         # default: everyone
    site_shift: list[str] = field(default_factory=list)  # who works at the main site (one day shift)
    job_site: "Site | None" = None     # where the crew works away from the head office (client sites, the field)
    equipment: list[tuple[str, str]] | None = None   # (name, kind); None: the industry's usual equipment
    working_alone: tuple[str, int, str] | None = None  # (communication, check-in minutes, contact); None: defaults
    contractors: bool = False
    operating_name: str = ""
    answered: bool = False             # every value came from the owner's answers (no example values left)
    audit: str = "certification"
    records_since: date | None = None
    effective_date: date = field(default_factory=date.today)


@dataclass
class Site:
    name: str
    kind: str
    address: str
    facility: str
    facility_address: str
    travel_minutes: int
    workers_per_shift: int
    facility_phone: str = ""
    muster_point: str = ""
    shift: list[str] = field(default_factory=list)   # who works here (one day shift); empty: not said


# Values a starter profile or a tutorial would hold, never a real company's: refused by the web questions.
PLACEHOLDERS = [
    (re.compile(r"@?\bexample\.(com|org|net)\b|\.example\b", re.I), "is an example address, not a real one"),
    (re.compile(r"^\s*describe\b|\breplace with\b|\byour company\b|\bexample company\b|\blorem ipsum\b", re.I),
     "is placeholder text; write the real value"),
    (re.compile(r"^\s*(worker|person|employee|site)\s*\d+\b", re.I), "is a placeholder name; write the person's real name"),
    (re.compile(r"\b555[-. ]?01\d\d\b"), "is a fictional 555-01xx number"),
    (re.compile(r"^\s*(address of the nearest hospital|nearest hospital|alex owner|tbd|todo|n/?a|xxx+|\?+)\s*$", re.I),
     "is placeholder text; write the real value"),
    (re.compile(r"^\s*1234567\s*$"), "is the example account number"),
]


def placeholder_reason(value: str) -> str | None:
    """Why `value` looks like a placeholder rather than a real answer, or None."""
    for pattern, why in PLACEHOLDERS:
        if pattern.search(value or ""):
            return why
    return None


def default_people(answers: Answers, library: Library) -> list[tuple[str, str, str]]:
    positions = library.industries[answers.industry].positions
    people = [(answers.senior_manager, "owner", positions[0].id)]
    for i, pos in enumerate(positions[1:], start=1):
        people.append((f"Worker {i} (replace with a real name)", "worker", pos.id))
    return people


def starter_profile(answers: Answers, library: Library) -> str:
    ind = library.industries[answers.industry]
    partner = answers.partner or ind.suggested_partner
    people = answers.people or default_people(answers, library)
    site_kind = answers.site_kind or ind.site_defaults.get("kind", "shop")
    hazard_class = ind.site_defaults.get("hazard_class", "medium")
    alone = any(t.working_alone for p in ind.positions for t in p.tasks)
    out = [
        f"# secor-docs company profile (schema_version 1), started from the '{answers.industry}' industry defaults.",
        ("# Written from the owner's answers; keep people, positions, tasks and sites true to the real work:" if answers.answered
         else "# Replace every example value; keep people, positions, tasks and sites true to the real work:"),
        "# an auditor compares this binder with what the company actually does. Check it with: secor-docs validate FILE",
        "schema_version: 1",
        "",
        "company:",
        f"  legal_name: {q(answers.legal_name)}   # exactly as registered with WCB-Alberta",
        *([f"  operating_name: {q(answers.operating_name)}"] if answers.operating_name else []),
        f"  wcb_account: {q(answers.wcb_account)}   # digits, in quotes",
        f"  industry: {answers.industry}   # secor-docs list industries",
        f"  certifying_partner: {partner}   # {ind.partner_note or 'the WCB industry code decides the partner'}",
        f"  address: {q(answers.address)}",
        f"  phone: {q(answers.phone)}",
        *([f"  email: {q(answers.email)}"] if answers.email else []),
        f"  senior_manager: {q(answers.senior_manager)}   # must be one of the people below; signs the policies",
        "",
        "program:",
        f"  effective_date: {answers.effective_date.isoformat()}",
        f"  audit: {answers.audit}   # certification or maintenance",
        f"  records_since: {(answers.records_since or answers.effective_date).isoformat()}   # first day records were kept",
        "  safety_meeting_frequency: weekly     # weekly | biweekly | monthly",
        "  inspection_frequency: monthly        # weekly | biweekly | monthly | quarterly",
        "  emergency_drill_frequency: semiannual  # quarterly | semiannual | annual",
        "",
        "# Everyone on the WCB account: owners, family, volunteers, part-time, and people who left in the last 12 months.",
        "people:",
    ]
    for name, role, position, *more in people:
        employment = more[0] if more else "full_time"
        start = more[1] if len(more) > 1 else answers.effective_date
        out += [f"  - name: {q(name)}", f"    role: {role}   # owner | manager | supervisor | worker",
                f"    position: {position}", f"    employment: {employment}   # full_time | part_time | casual | seasonal | family | volunteer",
                f"    start_date: {start.isoformat()}",
                "    # first_aid: {level: intermediate, expires: 2028-01-31}",
                "    # training:",
                "    #   - {course: \"Fall Protection\", completed: 2025-05-01, expires: 2028-05-01}"]
    out += ["", "# Positions, their tasks and each task's hazards (secor-docs list hazards).", "positions:"]
    for pos in ind.positions:
        out += [f"  - id: {pos.id}", f"    title: {q(pos.title)}", "    tasks:"]
        for task in pos.tasks:
            out.append(f"      - name: {q(task.name)}")
            out.append(f"        hazards: [{', '.join(task.hazards)}]")
            if task.critical:
                out.append("        critical: true")
            if task.working_alone:
                out.append("        working_alone: true")
            if task.steps:
                out.append("        steps:")
                out += [f"          - {q(step)}" for step in task.steps]
    sites = [Site(answers.site_name, site_kind, answers.site_address or answers.address, answers.facility,
                  answers.facility_address, answers.travel_minutes, answers.workers_per_shift or max(1, len(people)),
                  answers.facility_phone, answers.muster_point, answers.site_shift)]
    if answers.job_site is not None:
        sites.append(answers.job_site)
    out += ["", "sites:"]
    for site in sites:
        out += [f"  - name: {q(site.name)}",
                f"    kind: {site.kind}   # office | shop | yard | field | client_site",
                f"    address: {q(site.address)}",
                f"    hazard_class: {hazard_class}   # OHS Code Schedule 2: low | medium | high",
                f"    workers_per_shift: {site.workers_per_shift}",
                "    health_facility:",
                f"      name: {q(site.facility)}",
                f"      address: {q(site.facility_address)}"]
        if site.facility_phone:
            out.append(f"      phone: {q(site.facility_phone)}")
        out.append(f"      travel_minutes: {site.travel_minutes}   # decides close / distant / isolated")
        if site.muster_point:
            out.append(f"    muster_point: {q(site.muster_point)}")
        if site.shift:
            out += ["    shifts:   # who works here and when", "      - name: \"Day shift\"",
                    f"        people: [{', '.join(q(name) for name in site.shift)}]"]
    out.append("")
    equipment = answers.equipment if answers.equipment is not None else [(e.name, e.kind) for e in ind.equipment]
    if equipment:
        out.append("equipment:   # each item gets a pre-use and maintenance inspection form (secor-docs list equipment)")
        out += [f"  - {{name: {q(name)}, kind: {kind}}}" for name, kind in equipment]
        out.append("")
    if alone:
        communication, minutes, contact = answers.working_alone or ("Cell phone call or text to the office", 120, answers.senior_manager)
        out += ["working_alone:   # required because some tasks are done alone",
                f"  communication: {q(communication)}",
                f"  check_in_interval_minutes: {minutes}",
                f"  contact: {q(contact)}", ""]
    out += [f"contractors: {'true' if answers.contractors else 'false'}   # true when the company hires subcontractors", ""]
    return "\n".join(out)
