"""Everything a template can print, built once per company from the profile, the facts and the library.

Templates see plain views (attributes only, no methods) so that a consultant's template cannot reach Python
internals, and every optional value is already text: a template never prints "None".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from . import form_sizes
from .assessment import HIERARCHY, AssessedTask, ResolvedHazard, assess_tasks, critical_tasks, resolve_hazards
from .controls import CONFIRM_WITHIN_DAYS, unconfirmed_count
from .edition import edition_start, program_review_due
from .scope import Scope, lines as emergency_lines
from .site_checklist import site_checklist
from .facts import Facts, is_current
from .library import Library
from .model import Person, Profile
from .procedures import DUE_DAYS as PROCEDURE_DUE_DAYS, PHASE_TITLES, procedures, task_ppe
from .triggers import DUE_DAYS as DOCUMENT_DUE_DAYS, triggered
from .obligations import EXPIRY_WARNING_DAYS  # noqa: F401 - revisions imports it from here
from .obligations import (FirstAidCoverage, Obligations, TrainingState, TrainingStatus, derive_obligations,
                          position_requirements, task_training, training_status)
from .risk import Matrix, Risk

ROLE_TITLES = {"owner": "Owner", "manager": "Manager", "supervisor": "Supervisor", "worker": "Worker"}
EMPLOYMENT_TITLES = {"full_time": "Full-time", "part_time": "Part-time", "casual": "Casual", "seasonal": "Seasonal",
                     "family": "Family member", "volunteer": "Volunteer"}
SITE_KIND_TITLES = {"office": "Office", "shop": "Shop", "yard": "Yard", "field": "Field location", "client_site": "Client job site"}
EVERY = {"weekly": "every week", "biweekly": "every two weeks", "monthly": "every month", "quarterly": "every three months",
         "semiannual": "every six months", "annual": "once a year"}
PER_YEAR = {"weekly": 52, "biweekly": 26, "monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}
RECOMMENDED = "recommended, not yet confirmed"
DASH = "\u2014"


class View(SimpleNamespace):
    """Attribute bag handed to templates."""


def v(**kw: Any) -> View:
    return View(**kw)


def _risk(r: Risk) -> View:
    return v(severity=r.severity, probability=r.probability, score=r.score, band=r.band, rank=r.rank, action=r.action,
             label=f"{r.score} ({r.band})")


def controls_text(levels: list[View]) -> str:
    """Controls by level: those confirmed as in place first, then the recommended ones under their own heading."""
    in_place = [f"{lv.title}: " + "; ".join(lv.in_place) for lv in levels if lv.in_place]
    recommended = [f"{lv.title}: " + "; ".join(lv.recommended) for lv in levels if lv.recommended]
    if not recommended:
        return "\n".join(in_place)
    head = ["In place:"] + in_place if in_place else []
    return "\n".join(head + [f"Recommended, not yet confirmed as in place ({sum(len(lv.recommended) for lv in levels)}):"] + recommended)


@dataclass
class Built:
    context: dict
    items: dict[str, list]
    tasks: list[AssessedTask]
    hazards: dict[str, ResolvedHazard]
    matrix: Matrix
    obligations: Obligations


def build_context(profile: Profile, facts: Facts, library: Library) -> Built:
    as_of = facts.as_of
    matrix = Matrix(profile.program.risk_matrix)
    hazards = resolve_hazards(profile, library, matrix)
    tasks = assess_tasks(profile, library, hazards, matrix)
    critical = critical_tasks(tasks, matrix)
    task_procedures = procedures(profile, library)
    refs = library.legislation.references
    law = View(**{k: v(key=k, cite=r.cite, title=r.title, duty=r.duty, items=list(r.items), status=r.status,
                       instrument=r.instrument) for k, r in refs.items()})
    positions_by_id = {p.id: p for p in profile.positions}
    current = [p for p in profile.people if is_current(p, as_of)]
    senior = next(p for p in profile.people if p.name == profile.company.senior_manager)

    obligations = derive_obligations(profile, facts, library, hazards, tasks)

    def required_training(position_id: str) -> list[str]:
        return [r.key for r in position_requirements(profile, facts, library, hazards, position_id)]

    def training_view(st: TrainingStatus) -> View:
        course = library.training[st.key]
        if st.key == "first_aid" and st.completed is None and st.expires is not None:
            completed = DASH
        else:
            completed = st.completed.isoformat() if st.completed else DASH
        if st.state is TrainingState.MISSING:
            expires = DASH
        else:
            expires = st.expires.isoformat() if st.expires else "No expiry"
        return v(key=st.key, name=course.name, completed=completed, expires=expires, status=_status_text(st),
                 ok=st.ok, state=st.state.value, basis=st.requirement.basis.value, citation=st.requirement.citation,
                 because=list(st.requirement.because))

    def person_view(p: Person) -> View:
        pos = positions_by_id.get(p.position)
        fa = p.first_aid
        known = obligations.training.get(p.name)
        if known is None:  # not current on --as-of (a senior manager who starts later): same rules, computed here
            known = tuple(training_status(p, r, library, as_of)
                          for r in position_requirements(profile, facts, library, hazards, p.position, p))
        statuses = [training_view(st) for st in known]
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
        def shown(c) -> str:
            return c.text if c.confirmed else f"{c.text} ({RECOMMENDED})"
        levels = [v(level=level, title=title, items=[shown(c) for c in h.picked if c.level == level],
                    in_place=[c.text for c in h.picked if c.level == level and c.confirmed],
                    recommended=[c.text for c in h.picked if c.level == level and not c.confirmed])
                  for level, title in HIERARCHY]
        users = [t for t in tasks if any(x.key == h.key for x in t.hazards)]
        return v(key=h.key, name=h.name, description=h.description, causes=list(h.causes),
                 controls=levels, controls_present=[lv for lv in levels if lv.items],
                 controls_text=controls_text(levels),
                 unconfirmed=len(h.unconfirmed), in_place_count=len(h.picked) - len(h.unconfirmed),
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
    task_hazard_views: dict[tuple, View] = {}

    def task_hazards(t: AssessedTask) -> list[View]:
        """The task's own hazard views: controls picked and confirmed for this task."""
        key = (t.position_id, t.name)
        if key not in task_hazard_views:
            task_hazard_views[key] = [hazard_view(h) for h in t.hazards]
        return task_hazard_views[key]

    # ---- tasks and positions ----
    def step_views(t: AssessedTask, proc) -> list[View]:
        steps, last_phase = [], None
        for st in proc.steps if proc else ():
            h = hazards.get(st.hazard) if st.hazard else None
            steps.append(v(number=st.number, phase=st.phase, phase_title=PHASE_TITLES[st.phase] if st.phase != last_phase and proc.source == "library" else "",
                           text=st.text, hazard=h.name if h else "", control=st.control,
                           in_assessment=bool(h) and any(x.key == h.key for x in t.hazards)))
            last_phase = st.phase
        return steps

    profile_task = {(pos.id, task.name): task for pos in profile.positions for task in pos.tasks}

    def task_view(t: AssessedTask, index: int, sjp: str = "") -> View:
        proc = task_procedures.get((t.position_id, t.name))
        steps = step_views(t, proc)
        stepped = {s.hazard for s in steps if s.hazard}
        # PPE the task library names for this task, each with its hazard; for hazards of the task the library task
        # does not cover (or without a library task), the PPE controls selected for the hazard.
        ppe_rows = [v(item=item, hazard=hazards[hk].name, when=when) for item, hk, when in task_ppe(t.hazards, proc)]
        plan = obligations.check_in_for(t.position_id, t.name)
        return v(name=t.name, position_id=t.position_id, position_title=t.position_title,
                 hazards=task_hazards(t), critical=t.flagged_critical,
                 is_critical=t in critical, working_alone=t.working_alone,
                 check_in=plan.interval if plan else 0, check_in_tightened=bool(plan and plan.tightened),
                 top_initial=_risk(t.top_initial), top_residual=_risk(t.top_residual),
                 steps=steps, steps_from_profile=bool(proc and proc.source == "profile"),
                 has_procedure=proc is not None, procedure_source=proc.source if proc else "",
                 procedure_title=proc.title if proc else "", sjp=sjp,
                 throughout=[hv for hv in task_hazards(t) if hv.name not in stepped],
                 procedure_to_write=t in critical and proc is None,
                 procedure_due=(facts.as_of + timedelta(days=PROCEDURE_DUE_DAYS)) if t in critical and proc is None else "",
                 checked_by=checker_for(t.position_id),
                 ppe=sorted({r.item for r in ppe_rows}), ppe_rows=ppe_rows,
                 training=sorted({library.training[k].name for k in task_training(profile, library, hazards, profile_task[(t.position_id, t.name)])
                                  if k in library.training}),
                 people=[pv.listed_name for pv in roster if pv.position_id == t.position_id],
                 priority=index, title=f"{t.name}", label=f"{t.name} ({t.position_title})", ident=f"{t.position_id}/{t.name}",
                 positions=[t.position_title], priorities=[index], flha_key=f"{t.name}|{sjp or t.position_id}")

    task_views = [task_view(t, 0) for t in tasks]
    with_procedure = [t for t in critical if task_procedures.get((t.position_id, t.name)) is not None]

    def same_procedure(t: AssessedTask) -> tuple:
        proc = task_procedures[(t.position_id, t.name)]
        return (t.name.casefold(), proc.source, proc.library_key, tuple(s.text for s in proc.steps),
                tuple(sorted(h.key for h in t.hazards)), t.working_alone)

    # Positions that do the same task the same way (same name, steps, hazards and lone work) share one procedure.
    groups: dict[tuple, list[AssessedTask]] = {}
    for t in with_procedure:
        groups.setdefault(same_procedure(t), []).append(t)
    sjp_ids = {id(t): f"SJP-{n:02d}" for n, members in enumerate(groups.values(), start=1) for t in members}
    critical_views = [task_view(t, i, sjp_ids.get(id(t), "")) for i, t in enumerate(critical, start=1)]
    procedure_views = [_shared_procedure([c for c in critical_views if c.sjp == sjp])
                       for sjp in dict.fromkeys(c.sjp for c in critical_views if c.sjp)]
    # a task name with two procedures (one for the lone worker, say) is told apart by its positions on the FLHA
    repeated = {p.name for p in procedure_views if sum(q.name == p.name for q in procedure_views) > 1}
    flha_names = {p.sjp: (p.label if p.name in repeated else p.name) for p in procedure_views}
    for c in critical_views:
        c.flha_name = flha_names.get(c.sjp, c.name)

    position_views = []
    for pos in profile.positions:
        ptasks = [tv for tv in task_views if tv.position_id == pos.id]
        holders = [pv for pv in roster if pv.position_id == pos.id]
        rows = [v(task=tv.name, hazard=h, initial=h.initial, residual=h.residual, checked_by=tv.checked_by,
                  critical=tv.is_critical) for tv in ptasks for h in tv.hazards]
        ppe_needs: dict[str, tuple[list, list]] = {}   # item -> (hazards, tasks): no PPE item without its task and hazard
        for tv in ptasks:
            for r in tv.ppe_rows:
                hz, tk = ppe_needs.setdefault(r.item, ([], []))
                hz.append(r.hazard) if r.hazard not in hz else None
                tk.append(tv.name + (f" ({r.when[0].lower()}{r.when[1:]})" if r.when else "")) if tv.name not in " ".join(tk) else None
        position_views.append(v(
            id=pos.id, title=pos.title, tasks=ptasks, holders=holders,
            ppe=[v(item=item, hazards=hz, tasks=tk) for item, (hz, tk) in sorted(ppe_needs.items())],
            holders_text=", ".join(h.listed_name for h in holders) or "No one currently holds this position",
            hazards=[hazard_views[k] for k in dict.fromkeys(hk for t in pos.tasks for hk in t.hazards)],
            custom_hazards=[hazard_views[h.id] for h in pos.custom_hazards if h.id in hazard_views],
            rows=rows, checked_by=checker_for(pos.id),
            unconfirmed=sum(h.unconfirmed for tv in ptasks for h in tv.hazards),
            training=[library.training[k].name for k in required_training(pos.id)],
            working_alone=any(t.working_alone for t in pos.tasks), label=pos.title, ident=pos.id))

    # ---- what a hazard-triggered program document (fall protection, respirators, noise, confined spaces) covers ----
    def program_view(hazard_key: str | None = None, ppe_words: tuple[str, ...] = ()) -> View:
        def wears(tv) -> list[str]:
            return [p for p in tv.ppe if any(w in p.lower() for w in ppe_words)]
        ts = [tv for tv in task_views
              if (hazard_key and any(h.key == hazard_key for h in tv.hazards)) or (ppe_words and wears(tv))]
        people = list(dict.fromkeys(n for tv in ts for n in tv.people))
        return v(applies=bool(ts), tasks=ts, people=people, people_text=", ".join(people) or "No one currently",
                 positions=list(dict.fromkeys(tv.position_title for tv in ts)),
                 ppe=sorted({p for tv in ts for p in (wears(tv) if ppe_words else tv.ppe)}),
                 hazard=hazard_views.get(hazard_key) if hazard_key else None,
                 training=sorted({c for tv in ts for c in tv.training}))

    hazard_programs = v(fall=program_view("fall_from_height"), noise=program_view("noise"),
                        confined=program_view("confined_space"),
                        respirators=program_view(ppe_words=("respirator", "breathing apparatus", "scba")))

    # ---- law and documents the trade, equipment, hazards, PPE and tasks bring in ----
    trade_triggers = triggered(profile, library, [x.item for pv in position_views for x in pv.ppe],
                               {p.library_key for p in task_procedures.values() if p and p.library_key})
    triggered_views = [v(key=t.key, title=t.title, because=t.because,
                         references=[getattr(law, k) for k in t.references if hasattr(law, k)],
                         documents=[v(title=title, why=why, generated=gen or "", to_write=gen is None, complete=complete or "",
                                      due=facts.as_of + timedelta(days=DOCUMENT_DUE_DAYS), owner=senior.name)
                                    for title, why, gen, complete in t.documents])
                       for t in trade_triggers]

    # ---- sites, first aid, emergencies ----
    first_aiders = [pv for pv in people_views if pv.first_aid_current]

    first_aid_kits = library.first_aid.get("kits", {})
    first_aid_extras = library.first_aid.get("extras", {})

    def aider_text(a) -> str:
        return f"{a.name} ({a.level.title()} (expires {a.expires.isoformat()}))"

    def coverage_view(c: FirstAidCoverage) -> View:
        if not c.available:
            return v(available=False, table=c.table, distance_class=c.distance_class, shift=c.shift, workers=c.workers,
                     text="Requirement not found in the first aid table data; check Schedule 2 by hand.",
                     basic=0, intermediate=0, advanced=0, kit=DASH, extras=[], met=False, gaps=["Table lookup failed"],
                     holders=[aider_text(a) for a in c.holders], assigned=[], first_aiders_text="", per_additional_100={},
                     assumed=c.assumed)
        need = {"basic": c.basic, "intermediate": c.intermediate, "advanced": c.advanced}
        parts = [f"{n} {lvl} first aider{'s' if n > 1 else ''}" for lvl, n in need.items() if n]
        return v(available=True, table=c.table, distance_class=c.distance_class, shift=c.shift, workers=c.workers,
                 basic=c.basic, intermediate=c.intermediate, advanced=c.advanced,
                 first_aiders_text=", ".join(parts) if parts else "No designated first aider required (one worker per shift); the worker carries a personal kit",
                 kit=(first_aid_kits.get(c.kit) or DASH) if c.kit else DASH,
                 extras=[first_aid_extras.get(e, e) for e in c.extras], per_additional_100=dict(c.per_additional_100),
                 assigned=[aider_text(a) for a in c.assigned], met=c.met,
                 gaps=[f"1 more {lvl} first aider needed" for lvl in c.missing],
                 holders=[aider_text(a) for a in c.holders], assumed=c.assumed)

    def first_aid_for(site) -> tuple[View, list[View]]:
        """The site's first aid view (its largest shift, with every shift's gaps) and one view per shift."""
        shifts = [coverage_view(c) for c in obligations.first_aid_at(site.name)]
        if len(shifts) == 1:
            return shifts[0], shifts
        top = max(shifts, key=lambda s: (s.workers, s.basic + s.intermediate + s.advanced))
        gaps = [f"{s.shift}: {g}" for s in shifts for g in s.gaps]
        assigned = list(dict.fromkeys(a for s in shifts for a in s.assigned))
        holders = list(dict.fromkeys(h for s in shifts for h in s.holders))
        return View(**{**vars(top), "gaps": gaps, "met": not gaps and all(s.met for s in shifts), "assigned": assigned,
                       "holders": holders}), shifts

    def emergency_view(key: str, scope: Scope) -> View:
        em = library.emergencies[key]
        keys = emergency_lines(em.training, scope) + [k for k, hks in em.hazard_training.items() if set(hks) & scope.hazards]
        return v(key=key, name=em.name, description=em.description, procedure=emergency_lines(em.procedure, scope),
                 equipment=emergency_lines(em.equipment, scope),
                 training=[library.training[k].name for k in dict.fromkeys(keys) if k in library.training],
                 drill=" ".join([em.drill, *emergency_lines(em.drill_more, scope)]), label=em.name)

    checklists = library.site_checklists

    def checklist_for(site) -> list[View]:
        site_keys = obligations.site_hazards.get(site.name, tuple(used_keys))   # the hazards of the work done there
        here = obligations.site_tasks.get(site.name)                           # None: everyone works everywhere
        hazard_tasks = {hk: [t.name for t in tasks if any(x.key == hk for x in t.hazards) and (here is None or t.name in here)]
                        for hk in site_keys}
        areas = site_checklist(checklists, Scope.of(profile, site.kind, site_keys, here), hazard_tasks,
                               {hk: hazards[hk].name for hk in site_keys})
        return [v(area=a.area, items=list(a.items)) for a in areas]

    def responders_for(site) -> list[View]:
        rows = []
        levels = {a.name: a.level for c in obligations.first_aid_at(site.name) for a in c.holders}
        for d in obligations.responders[site.name].duties:
            if not d.names:
                names = f"Open gap: {d.why_empty}; see Program gaps and actions"
            elif d.duty == "First aid":
                names = ", ".join(f"{n} ({levels[n].title()})" for n in d.names)
            else:
                names = ", ".join(d.names)
            rows.append(v(duty=d.duty, names=names, open=not d.names))
        return rows

    site_views = []
    for site in profile.sites:
        fac = site.health_facility
        dist = next(s.distance_class for s in facts.sites if s.name == site.name)
        first_aid, shift_views = first_aid_for(site)
        muster = site.muster_point or "Set at the start of each job, marked on the field level hazard assessment and shown to everyone on site"
        site_views.append(v(
            name=site.name, kind=site.kind, kind_title=SITE_KIND_TITLES[site.kind], address=site.address,
            hazard_class=site.hazard_class, hazard_class_title=site.hazard_class.title(),
            workers_per_shift=site.workers_per_shift,
            facility=v(name=fac.name, address=fac.address, phone=fac.phone or "911 for an ambulance", travel_minutes=fac.travel_minutes),
            distance_class=dist, muster_point=muster,
            emergencies=[emergency_view(k, Scope.of(profile, site.kind, obligations.site_hazards.get(site.name, facts.hazards_used),
                                                    obligations.site_tasks.get(site.name)))
                         for k in obligations.emergencies[site.name]],
            checklist=checklist_for(site), responders=responders_for(site),
            first_aid=first_aid, first_aid_shifts=shift_views, shifts_assumed=not site.shifts,
            people=list(obligations.responders[site.name].people), label=site.name, title=site.name, ident=site.name))

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
    base = wa.check_in_interval_minutes if wa else 0
    intervals = sorted({tv.check_in for tv in wa_tasks} | ({base} if not wa_tasks else set()))
    tight = [tv for tv in wa_tasks if tv.check_in != base]
    if len(intervals) <= 1:
        interval_text = f"at least every {intervals[0] if intervals else base} minutes"
    else:  # one interval per task, the same in every document (obligations.check_in_plans)
        interval_text = (f"at least every {base} minutes, and every {tight[0].check_in} minutes during "
                         + "; ".join(tv.name for tv in tight))
    working_alone = v(
        applies=facts.working_alone, communication=wa.communication if wa else "",
        interval=base, interval_text=interval_text, contact=wa.contact if wa else "",
        contact_phone=(by_name[wa.contact].phone_text if wa and wa.contact in by_name else ""),
        tasks=wa_tasks, people=sorted({n for tv in wa_tasks for n in tv.people}))

    # ---- lines and columns of the logs and record forms (form_sizes.py) ----
    program = profile.program
    largest_crew = max((s.workers for s in obligations.shifts), default=1)
    def wearers(word: str) -> int:
        return sum(1 for pv in roster if any(word in x.item.lower() for pos in position_views if pos.id == pv.position_id
                                              for x in pos.ppe))
    shortest = min([i for i in [working_alone.interval] + [tv.check_in for tv in wa_tasks] if i > 0], default=60)
    forms = v(
        flha_crew=form_sizes.crew_rows(largest_crew, facts.owner_only),
        attendance=form_sizes.attendance_rows(len(roster)),
        drill=form_sizes.drill_rows(largest_crew),
        corrective_actions=form_sizes.corrective_action_rows(
            PER_YEAR[program.inspection_frequency], len(profile.sites), PER_YEAR[program.emergency_drill_frequency]),
        ppe_issue=form_sizes.ppe_issue_rows(len({x.item for pos in position_views for x in pos.ppe}), len(roster)),
        ppe_inspection=form_sizes.ppe_inspection_rows(PER_YEAR[program.inspection_frequency]),
        fall_arrest=form_sizes.fall_arrest_rows(max(wearers("harness"), len(roster)) if wearers("harness") else 0),
        fit_tests=form_sizes.fit_test_rows(max(wearers("respirator"), len(roster)) if wearers("respirator") else 0),
        working_alone=form_sizes.working_alone_rows(shortest),
    )

    framework = library.frameworks.get(profile.company.certifying_partner, {})
    partner = v(key=profile.company.certifying_partner, name=framework.get("partner", profile.company.certifying_partner),
                name_short=profile.company.certifying_partner if profile.company.certifying_partner != "GENERIC" else "Alberta",
                framework=framework.get("name", ""))
    contacts = [v(name=c.name, phone=c.phone, note=c.note) for c in library.legislation.contacts.values()
                if not c.hazards or set(c.hazards) & set(facts.hazards_used)]
    contacts += [v(name=c.name, phone=c.phone, note="") for c in profile.emergency_contacts]
    emergency_numbers = _emergency_numbers(library, profile, facts)
    company = profile.company
    representative = by_name.get(facts.representative) if facts.representative else None

    course_keys = []
    for pv in people_views:
        for st in pv.required:
            if st.key not in course_keys:
                course_keys.append(st.key)
    training_courses = [v(key=k, name=library.training[k].name, description=library.training[k].description,
                          renew_years=library.training[k].renew_years or 0, legal=library.training[k].legal,
                          cite=library.training[k].cite or "",
                          note=library.training[k].note or "") for k in course_keys]
    record_types = [v(key=k, name=r.get("name", k), folder=r.get("folder", k), frequency=r.get("frequency", ""),
                      retention=r.get("retention", ""), description=r.get("description", ""))
                    for k, r in library.records.items()]
    unconfirmed, unconfirmed_tasks, picked_total = unconfirmed_count(profile, library)
    context = {
        "controls": v(unconfirmed=unconfirmed, tasks=unconfirmed_tasks, total=picked_total,
                      in_place=picked_total - unconfirmed, accepted=profile.program.accept_library_controls,
                      confirm_days=CONFIRM_WITHIN_DAYS),
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
        "procedures": [c for c in critical_views if c.has_procedure],
        "procedure_documents": procedure_views,
        "flha_hazards": [v(name=h.name, swp=f"SWP-{n:02d}") for n, h in enumerate(hazard_views.values(), start=1)
                         if h.key not in library.site_checklists.get("flha_skip_hazards", [])],
        "triggered": triggered_views,
        "procedures_to_write": [c for c in critical_views if c.procedure_to_write],
        "hazards": list(hazard_views.values()),
        "sites": site_views,
        "equipment": equipment_views,
        "working_alone": working_alone,
        "forms": forms,
        "hazard_programs": hazard_programs,
        "contacts": contacts,
        "emergency_numbers": emergency_numbers,
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
             "hazards": list(hazard_views.values()), "critical_tasks": procedure_views}
    return Built(context, items, tasks, hazards, matrix, obligations)


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


def _status_text(st: TrainingStatus) -> str:
    """The status column of the training matrix (display only: checks read `TrainingStatus.state`)."""
    if st.state is TrainingState.MISSING:
        return "Needed"
    if st.state is TrainingState.NO_EXPIRY:
        return "Current (no expiry)"
    if st.state is TrainingState.EXPIRED:
        return f"EXPIRED {st.expires.isoformat()}"
    if st.state is TrainingState.EXPIRING:
        return f"Expires soon ({st.expires.isoformat()})"
    return "Current"


def _emergency_numbers(library, profile, facts) -> list:
    """The numbers an emergency plan lists after 911: the library's contacts that apply to this company, then the
    profile's own, each number once (911 is the plan's first row already)."""
    used = set(facts.hazards_used)
    rows = [(c.name, c.phone, c.note) for c in library.legislation.contacts.values()
            if (not c.hazards or used & set(c.hazards)) and (not c.young_workers or facts.young_workers)]
    rows += [(c.name, c.phone, "") for c in profile.emergency_contacts]
    seen, out = {"911"}, []
    for name, phone, note in rows:
        digits = re.sub(r"\D", "", phone)
        if digits in seen:
            continue
        seen.add(digits)
        out.append(View(name=name, phone=phone, note=note))
    return out


def _shared_procedure(members: list) -> View:
    """One safe job procedure for the positions that do the same critical task the same way: the first position's
    view, naming every position, priority and person."""
    first = members[0]
    if len(members) == 1:
        return first
    titles = [m.position_title for m in members]
    checkers = list(dict.fromkeys(m.checked_by for m in members))
    return View(**{**vars(first), "positions": titles, "position_title": "; ".join(titles),
                   "priorities": [m.priority for m in members], "label": f"{first.name} ({'; '.join(titles)})",
                   "people": list(dict.fromkeys(p for m in members for p in m.people)),
                   "checked_by": checkers[0] if len(checkers) == 1 else "; ".join(checkers)})
