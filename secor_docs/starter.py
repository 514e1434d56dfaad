"""`secor-docs init`: a commented starter profile built from the industry defaults, which passes `validate`."""
from __future__ import annotations

import json
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
    people: list[tuple[str, str, str]] = field(default_factory=list)   # (name, role, position id)
    site_name: str = "Head office"
    site_address: str = ""
    facility: str = "Nearest hospital"
    facility_address: str = "Address of the nearest hospital"
    travel_minutes: int = 15
    effective_date: date = field(default_factory=date.today)


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
    site_kind = ind.site_defaults.get("kind", "shop")
    hazard_class = ind.site_defaults.get("hazard_class", "medium")
    alone = any(t.working_alone for p in ind.positions for t in p.tasks)
    out = [
        f"# secor-docs company profile (schema_version 1), started from the '{answers.industry}' industry defaults.",
        "# Replace every example value; keep people, positions, tasks and sites true to the real work:",
        "# an auditor compares this binder with what the company actually does. Check it with: secor-docs validate FILE",
        "schema_version: 1",
        "",
        "company:",
        f"  legal_name: {q(answers.legal_name)}   # exactly as registered with WCB-Alberta",
        f"  wcb_account: {q(answers.wcb_account)}   # digits, in quotes",
        f"  industry: {answers.industry}   # secor-docs list industries",
        f"  certifying_partner: {partner}   # {ind.partner_note or 'the WCB industry code decides the partner'}",
        f"  address: {q(answers.address)}",
        f"  phone: {q(answers.phone)}",
        f"  email: {q(answers.email)}",
        f"  senior_manager: {q(answers.senior_manager)}   # must be one of the people below; signs the policies",
        "",
        "program:",
        f"  effective_date: {answers.effective_date.isoformat()}",
        "  audit: certification   # or maintenance",
        f"  records_since: {answers.effective_date.isoformat()}   # first day records were kept",
        "  safety_meeting_frequency: weekly     # weekly | biweekly | monthly",
        "  inspection_frequency: monthly        # weekly | biweekly | monthly | quarterly",
        "  emergency_drill_frequency: semiannual  # quarterly | semiannual | annual",
        "",
        "# Everyone on the WCB account: owners, family, volunteers, part-time, and people who left in the last 12 months.",
        "people:",
    ]
    for name, role, position in people:
        out += [f"  - name: {q(name)}", f"    role: {role}   # owner | manager | supervisor | worker",
                f"    position: {position}", "    employment: full_time   # full_time | part_time | casual | seasonal | family | volunteer",
                f"    start_date: {answers.effective_date.isoformat()}",
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
            if task.library_task:
                out.append(f"        library_task: {task.library_task}   # numbered steps from secor-docs list tasks; or write your own as steps:")
    out += ["", "sites:", f"  - name: {q(answers.site_name)}",
            f"    kind: {site_kind}   # office | shop | yard | field | client_site",
            f"    address: {q(answers.site_address or answers.address)}",
            f"    hazard_class: {hazard_class}   # OHS Code Schedule 2: low | medium | high",
            "    workers_per_shift: " + str(max(1, len(people))),
            "    health_facility:",
            f"      name: {q(answers.facility)}",
            f"      address: {q(answers.facility_address)}",
            f"      travel_minutes: {answers.travel_minutes}   # decides close / distant / isolated",
            "    muster_point: \"Describe the outdoor meeting place\"", ""]
    if ind.equipment:
        out.append("equipment:   # each item gets a pre-use and maintenance inspection form (secor-docs list equipment)")
        out += [f"  - {{name: {q(e.name)}, kind: {e.kind}}}" for e in ind.equipment]
        out.append("")
    if alone:
        out += ["working_alone:   # required because some tasks are done alone",
                "  communication: \"Cell phone call or text to the office\"",
                "  check_in_interval_minutes: 120",
                f"  contact: {q(answers.senior_manager)}", ""]
    out += ["contractors: false   # true when the company hires subcontractors", ""]
    return "\n".join(out)
