"""Everything a template can print, built once per company from the profile, the facts and the library.

Templates see plain views (attributes only, no methods) so that a consultant's template cannot reach Python
internals, and every optional value is already text: a template never prints "None".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any

from .assessment import HIERARCHY, AssessedTask, ResolvedHazard, assess_tasks, critical_tasks, generated_steps, resolve_hazards
from .edition import edition_start, program_review_due
from .facts import Facts, is_current
from .library import Library
from .model import Person, Profile
from .risk import Matrix, Risk

ROLE_TITLES = {"owner": "Owner", "manager": "Manager", "supervisor": "Supervisor", "worker": "Worker"}
EMPLOYMENT_TITLES = {"full_time": "Full-time", "part_time": "Part-time", "casual": "Casual", "seasonal": "Seasonal",
                     "family": "Family member", "volunteer": "Volunteer"}
SITE_KIND_TITLES = {"office": "Office", "shop": "Shop", "yard": "Yard", "field": "Field location", "client_site": "Client job site"}
EVERY = {"weekly": "every week", "biweekly": "every two weeks", "monthly": "every month", "quarterly": "every three months",
         "semiannual": "every six months", "annual": "once a year"}
PER_YEAR = {"weekly": 52, "biweekly": 26, "monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}
EXPIRY_WARNING_DAYS = 60
FIRST_AID_RANK = {"basic": 1, "intermediate": 2, "advanced": 3}
DASH = "\u2014"


class View(SimpleNamespace):
    """Attribute bag handed to templates."""


def v(**kw: Any) -> View:
    return View(**kw)


def _risk(r: Risk) -> View:
    return v(severity=r.severity, probability=r.probability, score=r.score, band=r.band, rank=r.rank, action=r.action,
             label=f"{r.score} ({r.band})")


@dataclass
class Built:
    context: dict
    items: dict[str, list]
    tasks: list[AssessedTask]
    hazards: dict[str, ResolvedHazard]
    matrix: Matrix


def _match_course(course_name: str, library: Library) -> str | None:
    name = course_name.lower()
    for key, course in library.training.items():
        for alias in [course.name, *course.aliases]:
            a = alias.lower()
            if a and (a in name or name in a):
                return key
    return None


def build_context(profile: Profile, facts: Facts, library: Library) -> Built:
    as_of = facts.as_of
    matrix = Matrix(profile.program.risk_matrix)
    hazards = resolve_hazards(profile, library, matrix)
    tasks = assess_tasks(profile, library, hazards)
    critical = critical_tasks(tasks, matrix)
    refs = library.legislation.references
    law = View(**{k: v(key=k, cite=r.cite, title=r.title, duty=r.duty, items=list(r.items), status=r.status,
                       instrument=r.instrument) for k, r in refs.items()})
    positions_by_id = {p.id: p for p in profile.positions}
    current = [p for p in profile.people if is_current(p, as_of)]
    senior = next(p for p in profile.people if p.name == profile.company.senior_manager)

    # ---- training requirements per position ----
    def required_training(position_id: str, person: Person | None = None) -> list[str]:
        keys = ["orientation", "violence_harassment_prevention"]
        pos = positions_by_id[position_id]
        for task in pos.tasks:
            for hk in task.hazards:
                keys += list(hazards[hk].training)
            if task.working_alone:
                keys.append("working_alone")
        if facts.whmis and any(hazards[hk].whmis for t in pos.tasks for hk in t.hazards):
            keys.append("whmis")
        if person is not None:
            if person.first_aid:
                keys.append("first_aid")
            if person.health_safety_representative:
                keys.append("hsr_training")
            if person.role in ("supervisor", "manager", "owner") and not facts.owner_only:
                keys.append("supervisor_safety")
        role_only = {"supervisor_safety", "hsr_training", "first_aid"}  # given by role below, not by a hazard
        seen = []
        for k in keys:
            if k in library.training and k not in seen and (k not in role_only or person is not None and k in role_keys(person)):
                seen.append(k)
        return seen

    def role_keys(person: Person) -> set[str]:
        keys = set()
        if person.health_safety_representative:
            keys.add("hsr_training")
        if person.role in ("supervisor", "manager", "owner") and not facts.owner_only:
            keys.add("supervisor_safety")
        if person.first_aid:  # designated first aiders keep their certificate current (first aid assessment)
            keys.add("first_aid")
        return keys

    def training_status(person: Person, key: str) -> View:
        course = library.training[key]
        records = [t for t in person.training if _match_course(t.course, library) == key]
        if key == "first_aid" and person.first_aid:
            return v(key=key, name=course.name, completed=DASH, expires=person.first_aid.expires.isoformat(),
                     status=_expiry_status(person.first_aid.expires, as_of), ok=person.first_aid.expires >= as_of)
        if not records:
            return v(key=key, name=course.name, completed=DASH, expires=DASH, status="Needed", ok=False)
        best = max(records, key=lambda t: t.completed)
        expires = best.expires
        if expires is None and course.renew_years:
            try:
                expires = best.completed.replace(year=best.completed.year + course.renew_years)
            except ValueError:
                expires = best.completed.replace(year=best.completed.year + course.renew_years, day=28)
        status = _expiry_status(expires, as_of) if expires else "Current (no expiry)"
        return v(key=key, name=course.name, completed=best.completed.isoformat(),
                 expires=expires.isoformat() if expires else "No expiry", status=status,
                 ok=expires is None or expires >= as_of)

    def person_view(p: Person) -> View:
        pos = positions_by_id.get(p.position)
        fa = p.first_aid
        req = required_training(p.position, p)
        statuses = [training_status(p, k) for k in req]
        return v(
            name=p.name, role=p.role, role_title=ROLE_TITLES[p.role], position_id=p.position,
            position_title=pos.title if pos else p.position, title=pos.title if pos else ROLE_TITLES[p.role],
            employment=p.employment, employment_title=EMPLOYMENT_TITLES[p.employment],
            start_date=p.start_date, end_date=p.end_date.isoformat() if p.end_date else "",
            current=is_current(p, as_of), under_18=p.under_18, hsr=p.health_safety_representative,
            phone=p.phone or "", phone_text=p.phone or "through the office" + (f" ({profile.company.phone})" if profile.company.phone else ""),
            first_aid=bool(fa), first_aid_level=fa.level.title() if fa else "",
            first_aid_expires=fa.expires.isoformat() if fa else "",
            first_aid_current=bool(fa and fa.expires >= as_of),
            first_aid_text=(f"{fa.level.title()} (expires {fa.expires.isoformat()})" if fa else "Not held"),
            training=[v(course=t.course, completed=t.completed.isoformat(), expires=t.expires.isoformat() if t.expires else "No expiry")
                      for t in p.training],
            required=statuses, gaps=[s for s in statuses if not s.ok],
            label=p.name, starts=p.start_date.isoformat() if p.start_date > as_of else "",
            listed_name=p.name + (f" (starts {p.start_date.isoformat()})" if p.start_date > as_of else ""),
        )

    people_views = [person_view(p) for p in current]
    # Future starters: not counted, trained or relied on yet, but listed "(starts DATE)" where documents list people.
    starters = [person_view(p) for p in profile.people
                if p.start_date > as_of and (p.end_date is None or p.end_date >= p.start_date)]
    roster = people_views + starters
    by_name = {pv.name: pv for pv in people_views}
    senior_view = person_view(senior)
    supervisors = [pv for pv in people_views if pv.role in ("supervisor", "manager")]

    def checker_for(position_id: str) -> str:
        holders = [pv for pv in people_views if pv.position_id == position_id]
        if any(pv.role == "owner" for pv in holders):  # nobody supervises the owner: the senior manager checks
            return f"{senior_view.name} ({senior_view.role_title})"
        sup = [pv for pv in supervisors if pv.position_id != position_id] or [pv for pv in holders if pv.role in ("supervisor", "manager")]
        if sup:
            return f"{sup[0].name} ({sup[0].role_title})"
        return f"{senior_view.name} ({senior_view.role_title})"

    # ---- hazards ----
    used_keys = list(facts.hazards_used)

    def hazard_view(h: ResolvedHazard) -> View:
        levels = [v(level=level, title=title, items=list(getattr(h.controls, level))) for level, title in HIERARCHY]
        users = [t for t in tasks if any(x.key == h.key for x in t.hazards)]
        return v(key=h.key, name=h.name, description=h.description, causes=list(h.causes),
                 controls=levels, controls_present=[lv for lv in levels if lv.items],
                 controls_text="\n".join(f"{lv.title}: " + "; ".join(lv.items) for lv in levels if lv.items),
                 elimination=list(h.controls.elimination), engineering=list(h.controls.engineering),
                 administrative=list(h.controls.administrative), ppe=list(h.controls.ppe),
                 initial=_risk(h.initial), residual=_risk(h.residual), check=h.check,
                 refs=[getattr(law, k) for k in h.code_refs if hasattr(law, k)],
                 training=[library.training[k].name for k in h.training if k in library.training],
                 emergencies=[library.emergencies[k].name for k in h.emergencies if k in library.emergencies],
                 practice=list(h.safe_work_practice), custom=h.custom, whmis=h.whmis,
                 tasks=[f"{t.name} ({t.position_title})" for t in users],
                 positions=sorted({t.position_title for t in users}),
                 people=sorted({pv.name for pv in people_views for t in users if pv.position_id == t.position_id}),
                 title=h.name, label=h.name, ident=h.key)

    hazard_views = {k: hazard_view(hazards[k]) for k in used_keys}

    # ---- tasks and positions ----
    def task_view(t: AssessedTask, index: int) -> View:
        steps = list(t.steps) or generated_steps(t)
        return v(name=t.name, position_id=t.position_id, position_title=t.position_title,
                 hazards=[hazard_views[h.key] for h in t.hazards], critical=t.flagged_critical,
                 is_critical=t in critical, working_alone=t.working_alone,
                 top_initial=_risk(t.top_initial), top_residual=_risk(t.top_residual),
                 steps=steps, steps_from_profile=bool(t.steps), checked_by=checker_for(t.position_id),
                 ppe=sorted({p for h in t.hazards for p in h.controls.ppe}),
                 training=sorted({library.training[k].name for h in t.hazards for k in h.training if k in library.training}),
                 people=[pv.listed_name for pv in roster if pv.position_id == t.position_id],
                 priority=index, title=f"{t.name}", label=f"{t.name} ({t.position_title})", ident=f"{t.position_id}/{t.name}")

    task_views = [task_view(t, 0) for t in tasks]
    critical_views = [task_view(t, i) for i, t in enumerate(critical, start=1)]

    position_views = []
    for pos in profile.positions:
        ptasks = [tv for tv in task_views if tv.position_id == pos.id]
        holders = [pv for pv in roster if pv.position_id == pos.id]
        rows = [v(task=tv.name, hazard=h, initial=h.initial, residual=h.residual, checked_by=tv.checked_by,
                  critical=tv.is_critical) for tv in ptasks for h in tv.hazards]
        position_views.append(v(
            id=pos.id, title=pos.title, tasks=ptasks, holders=holders,
            holders_text=", ".join(h.listed_name for h in holders) or "No one currently holds this position",
            hazards=[hazard_views[k] for k in dict.fromkeys(hk for t in pos.tasks for hk in t.hazards)],
            custom_hazards=[hazard_views[h.id] for h in pos.custom_hazards if h.id in hazard_views],
            rows=rows, checked_by=checker_for(pos.id),
            training=[library.training[k].name for k in required_training(pos.id)],
            working_alone=any(t.working_alone for t in pos.tasks), label=pos.title, ident=pos.id))

    # ---- sites, first aid, emergencies ----
    first_aiders = [pv for pv in people_views if pv.first_aid_current]

    def first_aid_for(site) -> View:
        tables = library.first_aid.get("tables", {})
        table = tables.get(site.hazard_class, {})
        dist = next(s.distance_class for s in facts.sites if s.name == site.name)
        row = next((r for r in table.get("rows", []) if r["min_workers"] <= site.workers_per_shift
                    and (r.get("max_workers") is None or site.workers_per_shift <= r["max_workers"])), None)
        if row is None:
            return v(available=False, table=table.get("table", "Schedule 2"), distance_class=dist, text="Requirement not found in the first aid table data; check Schedule 2 by hand.",
                     basic=0, intermediate=0, advanced=0, kit=DASH, extras=[], met=False, gaps=["Table lookup failed"], holders=[])
        cell = row[dist]
        kits = library.first_aid.get("kits", {})
        extras_names = library.first_aid.get("extras", {})
        need = {lvl: int(cell.get(lvl, 0) or 0) for lvl in ("basic", "intermediate", "advanced")}
        gaps = []
        # Higher certificates satisfy lower requirements; fill the highest levels first.
        pool = sorted(first_aiders, key=lambda pv: -FIRST_AID_RANK[pv.first_aid_level.lower()])
        assigned: list = []
        for lvl in ("advanced", "intermediate", "basic"):
            for _ in range(need[lvl]):
                match = next((pv for pv in pool if pv not in assigned and FIRST_AID_RANK[pv.first_aid_level.lower()] >= FIRST_AID_RANK[lvl]), None)
                if match is None:
                    gaps.append(f"1 more {lvl} first aider needed")
                else:
                    assigned.append(match)
        parts = [f"{n} {lvl} first aider{'s' if n > 1 else ''}" for lvl, n in need.items() if n]
        kit = kits.get(cell.get("kit")) if cell.get("kit") else ""
        return v(available=True, table=table.get("table", "Schedule 2"), distance_class=dist,
                 basic=need["basic"], intermediate=need["intermediate"], advanced=need["advanced"],
                 first_aiders_text=", ".join(parts) if parts else "No designated first aider required (one worker per shift); the worker carries a personal kit",
                 kit=kit or DASH, extras=[extras_names.get(e, e) for e in cell.get("extras", [])],
                 per_additional_100=cell.get("per_additional_100") or {},
                 assigned=[f"{pv.name} ({pv.first_aid_text})" for pv in assigned],
                 met=not gaps, gaps=gaps, holders=[f"{pv.name} ({pv.first_aid_text})" for pv in first_aiders])

    def site_emergencies(site) -> list[str]:
        if site.emergencies:
            keys = list(site.emergencies)
        else:
            keys = [k for k, em in library.emergencies.items() if site.kind in em.applies_to_site_kinds]
            for hk in used_keys:
                for ek in hazards[hk].emergencies:
                    if ek not in keys:
                        keys.append(ek)
            if facts.working_alone and "missing_worker" in library.emergencies and "missing_worker" not in keys:
                keys.append("missing_worker")
        return [k for k in keys if k in library.emergencies]

    def emergency_view(key: str) -> View:
        em = library.emergencies[key]
        return v(key=key, name=em.name, description=em.description, procedure=list(em.procedure),
                 equipment=list(em.equipment), training=[library.training[k].name for k in em.training if k in library.training],
                 drill=em.drill, label=em.name)

    checklists = library.site_checklists

    def checklist_for(site) -> list[View]:
        areas = [v(area=a["area"], items=list(a["items"])) for a in checklists.get("site_kinds", {}).get(site.kind, [])]
        for hk in used_keys:
            lines = checklists.get("hazard_items", {}).get(hk)
            if lines:
                areas.append(v(area=hazards[hk].name, items=list(lines)))
        return areas

    def responders_for(site, emergencies: list[str]) -> list[View]:
        leads = supervisors or [senior_view]
        rows = [v(duty="Evacuation lead and head count", names=", ".join(p.name for p in leads[:2])),
                v(duty="Calls 911 and meets emergency services", names=senior_view.name if not supervisors else supervisors[0].name)]
        rows.append(v(duty="First aid", names=", ".join(f"{p.name} ({p.first_aid_level})" for p in first_aiders) or "No one holds a current certificate: see the first aid assessment"))
        if "fall_rescue" in emergencies:
            trained = [pv.name for pv in people_views if any(s.key == "fall_protection" and s.ok for s in pv.required)]
            rows.append(v(duty="Fall rescue (suspended worker)", names=", ".join(trained) or "Not yet designated: train workers in fall protection and rescue"))
        if "fire" in emergencies:
            rows.append(v(duty="First response with fire extinguisher", names=", ".join(p.name for p in (supervisors or [senior_view]))))
        return rows

    site_views = []
    for site in profile.sites:
        fac = site.health_facility
        dist = next(s.distance_class for s in facts.sites if s.name == site.name)
        muster = site.muster_point or "Set at the start of each job, marked on the field level hazard assessment and shown to everyone on site"
        site_views.append(v(
            name=site.name, kind=site.kind, kind_title=SITE_KIND_TITLES[site.kind], address=site.address,
            hazard_class=site.hazard_class, hazard_class_title=site.hazard_class.title(),
            workers_per_shift=site.workers_per_shift,
            facility=v(name=fac.name, address=fac.address, phone=fac.phone or "911 for an ambulance", travel_minutes=fac.travel_minutes),
            distance_class=dist, muster_point=muster, emergencies=[emergency_view(k) for k in site_emergencies(site)],
            checklist=checklist_for(site), responders=responders_for(site, site_emergencies(site)),
            first_aid=first_aid_for(site), label=site.name, title=site.name, ident=site.name))

    # ---- equipment ----
    equipment_views = []
    for item in profile.equipment:
        kind = library.equipment[item.kind]
        equipment_views.append(v(
            name=item.name, kind=item.kind, kind_name=kind.name, description=kind.description,
            maintenance_interval=item.preventive_maintenance or kind.default_maintenance,
            pre_use=list(kind.pre_use), maintenance=list(kind.maintenance), records=kind.records,
            training=[library.training[k].name for k in kind.training if k in library.training],
            label=item.name, title=item.name, ident=item.name))

    # ---- working alone ----
    wa = profile.working_alone
    wa_tasks = [tv for tv in task_views if tv.working_alone]
    working_alone = v(
        applies=facts.working_alone, communication=wa.communication if wa else "",
        interval=wa.check_in_interval_minutes if wa else 0, contact=wa.contact if wa else "",
        contact_phone=(by_name[wa.contact].phone_text if wa and wa.contact in by_name else ""),
        tasks=wa_tasks, people=sorted({n for tv in wa_tasks for n in tv.people}))

    program = profile.program
    framework = library.frameworks.get(profile.company.certifying_partner, {})
    partner = v(key=profile.company.certifying_partner, name=framework.get("partner", profile.company.certifying_partner),
                name_short=profile.company.certifying_partner if profile.company.certifying_partner != "GENERIC" else "Alberta",
                framework=framework.get("name", ""))
    contacts = [v(name=c.name, phone=c.phone, note=c.note) for c in library.legislation.contacts.values()]
    contacts += [v(name=c.name, phone=c.phone, note="") for c in profile.emergency_contacts]
    company = profile.company
    representative = by_name.get(facts.representative) if facts.representative else None

    course_keys = []
    for pv in people_views:
        for st in pv.required:
            if st.key not in course_keys:
                course_keys.append(st.key)
    training_courses = [v(key=k, name=library.training[k].name, description=library.training[k].description,
                          renew_years=library.training[k].renew_years or 0, legal=library.training[k].legal,
                          note=library.training[k].note or "") for k in course_keys]
    record_types = [v(key=k, name=r.get("name", k), folder=r.get("folder", k), frequency=r.get("frequency", ""),
                      retention=r.get("retention", ""), description=r.get("description", ""))
                    for k, r in library.records.items()]
    context = {
        "training_courses": training_courses,
        "record_types": record_types,
        "company": v(legal_name=company.legal_name, operating_name=company.operating_name or "",
                     name=company.operating_name or company.legal_name, wcb_account=company.wcb_account,
                     wcb_industry_code=company.wcb_industry_code or DASH, industry=company.industry,
                     industry_name=library.industries[company.industry].name, address=company.address,
                     phone=company.phone or DASH, email=company.email or DASH),
        "partner": partner,
        "program": v(effective_date=program.effective_date, audit=program.audit,
                     audit_title="certification audit" if program.audit == "certification" else "maintenance audit",
                     records_since=program.records_since.isoformat() if program.records_since else "",
                     safety_meeting_frequency=program.safety_meeting_frequency,
                     inspection_frequency=program.inspection_frequency,
                     emergency_drill_frequency=program.emergency_drill_frequency,
                     meeting_every=EVERY[program.safety_meeting_frequency], inspection_every=EVERY[program.inspection_frequency],
                     drill_every=EVERY[program.emergency_drill_frequency], drills_per_year=PER_YEAR[program.emergency_drill_frequency],
                     meetings_per_year=PER_YEAR[program.safety_meeting_frequency], inspections_per_year=PER_YEAR[program.inspection_frequency],
                     **edition_view(program.effective_date, as_of)),
        "as_of": as_of,
        "facts": v(**facts.as_dict()),
        "headcount_band": headcount_band(facts.headcount),
        "senior_manager": senior_view,
        "people": people_views,
        "roster": roster,
        "supervisors": supervisors,
        "workers": [pv for pv in people_views if pv.role == "worker"],
        "representative": representative,
        "first_aiders": first_aiders,
        "positions": position_views,
        "tasks": task_views,
        "critical_tasks": critical_views,
        "hazards": list(hazard_views.values()),
        "sites": site_views,
        "equipment": equipment_views,
        "working_alone": working_alone,
        "contacts": contacts,
        "contractors": profile.contractors,
        "law": law,
        "law_meta": v(current_as_of=library.legislation.current_as_of, checked_on=library.legislation.checked_on,
                      verify_note=library.legislation.verify_note, sources=list(library.legislation.sources)),
        "matrix": v(severity=list(matrix.spec.severity), probability=list(matrix.spec.probability),
                    bands=[v(name=b.name, min=b.min, max=b.max, action=b.action) for b in matrix.bands],
                    grid=[v(severity=r["severity"], label=r["label"], cells=[_risk(c) for c in r["cells"]]) for r in matrix.grid()],
                    custom=program.risk_matrix != "default"),
        "first_aid_meta": v(source=library.first_aid.get("source", ""), verify_note=library.first_aid.get("verify_note", ""),
                            current_as_of=library.first_aid.get("current_as_of", "")),
    }
    items = {"positions": position_views, "sites": site_views, "equipment": equipment_views,
             "hazards": list(hazard_views.values()), "critical_tasks": critical_views}
    return Built(context, items, tasks, hazards, matrix)


def headcount_band(count: int) -> str:
    """The head count as the band that decides the participation rule (OHS Act s.13-14), so that one more worker
    does not reword every document that mentions the size of the company."""
    if count <= 1:
        return "one person"
    if count < 5:
        return "fewer than 5 people"
    if count <= 19:
        return "5 to 19 people"
    return "20 or more people"


def edition_view(effective: date, as_of: date) -> dict:
    """The edition in force on as_of: its start, its year (the policy's goals, the annual review) and the next review."""
    start = edition_start(effective, as_of)
    return {"edition": f"{start.year} edition", "year": start.year, "edition_start": start,
            "review_due": program_review_due(effective, as_of)}


def _expiry_status(expires: date, as_of: date) -> str:
    if expires < as_of:
        return f"EXPIRED {expires.isoformat()}"
    if (expires - as_of).days <= EXPIRY_WARNING_DAYS:
        return f"Expires soon ({expires.isoformat()})"
    return "Current"
