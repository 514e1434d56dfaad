"""What the law and the company's own program require of this company, as typed values.

Pure functions over the profile, the facts and the library, returning frozen dataclasses: who works where and
when, training required per person (by law, with its citation, or by company policy) and its status, first aid
coverage per site and shift, responders and emergencies per site, and the check-in plan per lone task.
Template views (context.py) only format these; readiness, lint and the consistency check read them, never the
display strings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum

from .assessment import AssessedTask, ResolvedHazard, task_hazards
from .controls import Setting
from .emergency_plan import Scope, emergencies_for_site
from .equipment_names import task_uses
from .facts import Facts, is_current
from .library import Library
from .model import Person, Profile
from .procedures import procedure_for, task_ppe

EXPIRY_WARNING_DAYS = 60
FIRST_AID_RANK = {"basic": 1, "intermediate": 2, "advanced": 3}
ROLE_ONLY = ("supervisor_safety", "hsr_training", "first_aid")  # given by a person's role, not by a hazard
DEFAULT_SHIFT = "Day shift"


# ---------------------------------------------------------------------------------------------------------------
# Who works where and when

@dataclass(frozen=True)
class WorkShift:
    site: str
    name: str
    people: tuple[str, ...]   # current people on this shift
    workers: int              # workers per shift used for Schedule 2
    assumed: bool             # True when the profile does not say who works here (the documented default)


def work_shifts(profile: Profile, as_of: date) -> tuple[WorkShift, ...]:
    """Each site's shifts. Default (no `sites[].shifts`): every current person at every site, on one day shift
    of `workers_per_shift` workers."""
    current = tuple(p.name for p in profile.people if is_current(p, as_of))
    out = []
    for site in profile.sites:
        if not site.shifts:
            out.append(WorkShift(site.name, DEFAULT_SHIFT, current, site.workers_per_shift, True))
            continue
        for shift in site.shifts:
            people = tuple(n for n in shift.people if n in current)
            out.append(WorkShift(site.name, shift.name, people, max(len(people), 1), False))
    return tuple(out)


def people_at(site: str, shifts: tuple[WorkShift, ...]) -> tuple[str, ...]:
    names: list[str] = []
    for s in shifts:
        if s.site == site:
            names += [n for n in s.people if n not in names]
    return tuple(names)


# ---------------------------------------------------------------------------------------------------------------
# Training

class TrainingState(str, Enum):
    CURRENT = "current"
    NO_EXPIRY = "no_expiry"     # recorded; the course does not expire
    EXPIRING = "expiring"       # current, expires within EXPIRY_WARNING_DAYS
    EXPIRED = "expired"
    MISSING = "missing"         # required, not recorded

    @property
    def ok(self) -> bool:
        return self in (TrainingState.CURRENT, TrainingState.NO_EXPIRY, TrainingState.EXPIRING)


class Basis(str, Enum):
    LAW = "law"
    POLICY = "policy"


@dataclass(frozen=True)
class Requirement:
    key: str
    basis: Basis
    citation: str                 # where the law requires it ("" for company policy)
    because: tuple[str, ...]      # the tasks, hazards or roles that call for it


@dataclass(frozen=True)
class TrainingStatus:
    person: str
    requirement: Requirement
    state: TrainingState
    completed: date | None
    expires: date | None

    @property
    def key(self) -> str:
        return self.requirement.key

    @property
    def ok(self) -> bool:
        return self.state.ok


def _contains_words(text: str, words: str) -> bool:
    """`words` appear in `text` as whole words (a plural -s allowed): 'lead' is not in 'leadership'."""
    return re.search(r"(?<![a-z0-9])" + re.escape(words) + r"(?:e?s)?(?![a-z0-9])", text) is not None


def match_course(course_name: str, library: Library) -> str | None:
    """The training key of a course name as written on a certificate: the course whose name or alias appears in it
    (or it in them) as whole words, the longest such alias winning ('Supervisor Safety Leadership' is not lead
    paint awareness)."""
    name = course_name.lower().strip()
    best, best_len = None, 0
    for key, course in library.training.items():
        for alias in [course.name, *course.aliases]:
            a = alias.lower().strip()
            if a and (_contains_words(name, a) or _contains_words(a, name)) and len(a) > best_len:
                best, best_len = key, len(a)
    return best


def _basis(key: str, library: Library) -> tuple[Basis, str]:
    course = library.training[key]
    if course.legal:
        return Basis.LAW, course.cite or ""
    return Basis.POLICY, ""


def position_requirements(profile: Profile, facts: Facts, library: Library, hazards: dict[str, ResolvedHazard],
                          position_id: str, person: Person | None = None) -> tuple[Requirement, ...]:
    """Training a position's real tasks call for (and, given a person, their role): every course traced to the task
    and hazard, or the role, that needs it. `working_alone` training only for tasks done alone."""
    pos = next(p for p in profile.positions if p.id == position_id)
    setting = Setting.of(profile, library)
    reasons: dict[str, list[str]] = {"orientation": ["every worker"], "violence_harassment_prevention": ["every worker"]}
    for task in pos.tasks:
        for k, why in task_training(profile, library, hazards, task, setting).items():
            reasons.setdefault(k, []).extend(why)
    if facts.whmis and any(hazards[hk].whmis for t in pos.tasks for hk in t.hazards):
        reasons.setdefault("whmis", []).append("hazardous products used in the tasks")
    roles = role_keys(person, facts) if person is not None else {}
    for k, why in roles.items():
        reasons.setdefault(k, []).append(why)
    out = []
    for k, why in reasons.items():
        if k not in library.training or (k in ROLE_ONLY and k not in roles):
            continue
        basis, cite = _basis(k, library)
        out.append(Requirement(k, basis, cite, tuple(dict.fromkeys(why))))
    return tuple(out)


def task_training(profile: Profile, library: Library, hazards: dict[str, ResolvedHazard], task,
                  setting: Setting | None = None) -> dict[str, list[str]]:
    """The courses one task calls for, each with its reasons: the task's hazards and the company equipment it names.
    A course that another course of the same task covers (`covers` in data/training.yaml: the forklift course
    covers the general mobile equipment course for a forklift task) is left out, so nobody is sent to both."""
    setting = setting or Setting.of(profile, library)
    reasons: dict[str, list[str]] = {}
    worn_courses = {k: c for k, c in library.training.items() if c.ppe_words}
    for hk in task.hazards:
        lib_hazard = None if hazards[hk].custom else library.hazards.get(hk)
        keys = lib_hazard.training_for(setting, [task.name]) if lib_hazard else hazards[hk].training
        for k in keys:
            if (k == "working_alone" and not task.working_alone) or k in worn_courses:
                continue   # PPE courses follow the PPE the task really needs (below)
            reasons.setdefault(k, []).append(f"{task.name}: {hazards[hk].name}")
    if worn_courses:   # e.g. fit testing exactly where the task's PPE is a tight-fitting respirator
        own = task_hazards(profile, library, hazards, task)
        for item, hk, _ in task_ppe(own, procedure_for(task, profile.company.industry, library)):
            for k, course in worn_courses.items():
                if course.worn_for(item):
                    reasons.setdefault(k, []).append(f"{task.name}: {hazards[hk].name} ({item[:1].lower()}{item[1:]})")
    if task.working_alone:
        reasons.setdefault("working_alone", []).append(f"{task.name}: done alone")
    for item in equipment_used(profile, task.name, library):
        for k in library.equipment[item.kind].training:
            reasons.setdefault(k, []).append(f"{task.name}: {item.name}")
    covered = {c for k in reasons if k in library.training for c in library.training[k].covers}
    return {k: why for k, why in reasons.items() if k not in covered}


def equipment_used(profile: Profile, task_name: str, library: Library) -> list:
    """The company's equipment a task names: the item's own name or its kind's task words and other names ("skid
    steer", "two-post", "chipper") as whole words in the task name. Conservative on purpose: a course is required only for a task that
    names the machine, and a customer's vehicle being repaired is not the company's vehicle."""
    return [item for item in profile.equipment
            if item.kind in library.equipment and task_uses(task_name, item.name, item.kind, library.equipment[item.kind])]


def role_keys(person: Person, facts: Facts) -> dict[str, str]:
    keys = {}
    if person.first_aid:  # designated first aiders keep their certificate current (first aid assessment)
        keys["first_aid"] = "designated first aider"
    if person.health_safety_representative:
        keys["hsr_training"] = "health and safety representative"
    if person.role in ("supervisor", "manager", "owner") and not facts.owner_only:
        keys["supervisor_safety"] = f"{person.role} who directs workers"
    return keys


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def expiry_state(expires: date | None, as_of: date) -> TrainingState:
    if expires is None:
        return TrainingState.NO_EXPIRY
    if expires < as_of:
        return TrainingState.EXPIRED
    if (expires - as_of).days <= EXPIRY_WARNING_DAYS:
        return TrainingState.EXPIRING
    return TrainingState.CURRENT


def training_status(person: Person, req: Requirement, library: Library, as_of: date) -> TrainingStatus:
    if req.key == "first_aid" and person.first_aid:
        expires = person.first_aid.expires
        return TrainingStatus(person.name, req, expiry_state(expires, as_of), None, expires)
    records = [t for t in person.training if match_course(t.course, library) == req.key]
    if not records:
        return TrainingStatus(person.name, req, TrainingState.MISSING, None, None)
    best = max(records, key=lambda t: t.completed)
    expires = best.expires
    renew = library.training[req.key].renew_years
    if expires is None and renew:
        expires = add_years(best.completed, renew)
    return TrainingStatus(person.name, req, expiry_state(expires, as_of), best.completed, expires)


@dataclass(frozen=True)
class Certificate:
    """A ticket a person holds (matched to a course or not), with its expiry state: expired tickets are flagged even
    when no task requires the course."""
    person: str
    course: str
    key: str | None
    expires: date | None
    state: TrainingState


def certificates(profile: Profile, library: Library, as_of: date) -> tuple[Certificate, ...]:
    out = []
    for p in profile.people:
        if not is_current(p, as_of):
            continue
        if p.first_aid:
            out.append(Certificate(p.name, f"{p.first_aid.level.title()} first aid", "first_aid", p.first_aid.expires,
                                   expiry_state(p.first_aid.expires, as_of)))
        latest: dict[str, object] = {}
        for t in p.training:
            key = match_course(t.course, library) or t.course.lower()
            if key not in latest or t.completed > latest[key].completed:
                latest[key] = t
        for key, t in latest.items():
            expires = t.expires
            known = key in library.training
            if expires is None and known and library.training[key].renew_years:
                expires = add_years(t.completed, library.training[key].renew_years)
            out.append(Certificate(p.name, t.course, key if known else None, expires, expiry_state(expires, as_of)))
    return tuple(out)


# ---------------------------------------------------------------------------------------------------------------
# First aid per site and shift (OHS Code s.178, s.181, Schedule 2)

@dataclass(frozen=True)
class FirstAider:
    name: str
    level: str          # basic | intermediate | advanced
    expires: date


@dataclass(frozen=True)
class FirstAidCoverage:
    site: str
    shift: str
    workers: int
    table: str
    distance_class: str
    available: bool                   # a Schedule 2 row was found
    basic: int
    intermediate: int
    advanced: int
    kit: str | None                   # key in first_aid.yaml kits
    extras: tuple[str, ...]
    per_additional_100: tuple[tuple[str, int], ...]
    assigned: tuple[FirstAider, ...]  # designated for the shift, from the people on it
    holders: tuple[FirstAider, ...]   # every current certificate holder on the shift
    missing: tuple[str, ...]          # levels still needed, one entry per first aider missing
    assumed: bool                     # the shift is the documented default, not from the profile

    @property
    def required(self) -> int:
        return self.basic + self.intermediate + self.advanced

    @property
    def met(self) -> bool:
        return self.available and not self.missing


def current_first_aiders(profile: Profile, names: tuple[str, ...], as_of: date) -> list[FirstAider]:
    by_name = {p.name: p for p in profile.people}
    out = []
    for n in names:
        p = by_name[n]
        if p.first_aid and p.first_aid.expires >= as_of:
            out.append(FirstAider(p.name, p.first_aid.level, p.first_aid.expires))
    return out


def schedule_2_row(first_aid: dict, hazard_class: str, workers: int) -> tuple[str, dict | None]:
    table = first_aid.get("tables", {}).get(hazard_class, {})
    row = next((r for r in table.get("rows", []) if r["min_workers"] <= workers
                and (r.get("max_workers") is None or workers <= r["max_workers"])), None)
    return table.get("table", "Schedule 2"), row


def coverage(profile: Profile, shift: WorkShift, distance: str, library: Library, as_of: date) -> FirstAidCoverage:
    site = next(s for s in profile.sites if s.name == shift.site)
    table, row = schedule_2_row(library.first_aid, site.hazard_class, shift.workers)
    pool = current_first_aiders(profile, shift.people, as_of)
    if row is None:
        return FirstAidCoverage(site.name, shift.name, shift.workers, table, distance, False, 0, 0, 0, None, (), (), (),
                                tuple(pool), ("table lookup failed",), shift.assumed)
    cell = row[distance]
    need = {lvl: int(cell.get(lvl, 0) or 0) for lvl in ("basic", "intermediate", "advanced")}
    # Higher certificates satisfy lower requirements; fill the highest levels first.
    ranked = sorted(pool, key=lambda a: -FIRST_AID_RANK[a.level])
    assigned: list[FirstAider] = []
    missing: list[str] = []
    for lvl in ("advanced", "intermediate", "basic"):
        for _ in range(need[lvl]):
            match = next((a for a in ranked if a not in assigned and FIRST_AID_RANK[a.level] >= FIRST_AID_RANK[lvl]), None)
            if match is None:
                missing.append(lvl)
            else:
                assigned.append(match)
    return FirstAidCoverage(site.name, shift.name, shift.workers, table, distance, True, need["basic"],
                            need["intermediate"], need["advanced"], cell.get("kit"), tuple(cell.get("extras", [])),
                            tuple(sorted((cell.get("per_additional_100") or {}).items())), tuple(assigned),
                            tuple(pool), tuple(missing), shift.assumed)


# ---------------------------------------------------------------------------------------------------------------
# Emergencies and responders per site (OHS Code s.116-117)

def site_tasks(profile: Profile, site, shifts: tuple[WorkShift, ...]) -> tuple[str, ...] | None:
    """Names of the tasks done at a site: those of the positions of the people its shifts list; None when the
    profile does not say who works there (then every task counts everywhere)."""
    here = [s for s in shifts if s.site == site.name]
    if not here or any(s.assumed for s in here):
        return None
    names = set(people_at(site.name, shifts))
    positions = {p.position for p in profile.people if p.name in names}
    return tuple(t.name for pos in profile.positions if pos.id in positions for t in pos.tasks)


def site_hazards(profile: Profile, site, shifts: tuple[WorkShift, ...], facts: Facts) -> tuple[str, ...]:
    """The hazards of the work done at a site. When the profile says who works there (`sites[].shifts`), the hazards
    of the tasks of those people's positions, so a shop's plan does not list the tank rescue its lease crew needs;
    otherwise everyone is assumed to work everywhere and every hazard of the company counts."""
    here = [s for s in shifts if s.site == site.name]
    if not here or any(s.assumed for s in here):
        return facts.hazards_used
    names = set(people_at(site.name, shifts))
    positions = {p.position for p in profile.people if p.name in names}
    keys = {hk for pos in profile.positions if pos.id in positions for t in pos.tasks for hk in t.hazards}
    return tuple(k for k in facts.hazards_used if k in keys)


def site_emergencies(site, library: Library, hazards: dict[str, ResolvedHazard], facts: Facts,
                     profile: Profile, hazard_keys: tuple[str, ...] | None = None,
                     task_names: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The profile's own list for the site, else what the site kind and the work done there can cause."""
    if site.emergencies:
        keys = list(site.emergencies)
    else:
        used = facts.hazards_used if hazard_keys is None else hazard_keys
        scope = Scope.of(profile, site.kind, used, task_names)
        keys = emergencies_for_site(library, scope, [ek for hk in used for ek in hazards[hk].emergencies],
                                    facts.working_alone)
    return tuple(k for k in keys if k in library.emergencies)


@dataclass(frozen=True)
class Duty:
    duty: str
    names: tuple[str, ...]      # empty: nobody at the site can be designated
    why_empty: str = ""         # plain reason when `names` is empty


# Rescues a site's emergencies can need: emergency key, course that qualifies a rescuer, duty, what follows
# "<worker> works at this site alone", the gap when nobody is trained, and how many trained people the rescue needs.
RESCUE_DUTIES = (
    ("fall_rescue", "fall_protection", "Fall rescue (suspended worker)", " and cannot rescue themselves",
     "nobody at this site has current fall protection and rescue training", 1),
    ("aerial_rescue", "aerial_rescue", "Aerial rescue (climber or bucket)", " and cannot rescue themselves",
     "nobody at this site has current aerial rescue training", 1),
    ("confined_space_rescue", "confined_space_entry", "Confined space attendant and rescue",
     ", so nobody can attend the entry or start a rescue", "nobody at this site has current confined space training", 2),
)


@dataclass(frozen=True)
class SiteResponders:
    site: str
    people: tuple[str, ...]
    duties: tuple[Duty, ...]

    @property
    def unfilled(self) -> tuple[Duty, ...]:
        return tuple(d for d in self.duties if not d.names)


def responders(profile: Profile, site_name: str, shifts: tuple[WorkShift, ...], emergencies: tuple[str, ...],
               training: dict[str, tuple[TrainingStatus, ...]], as_of: date) -> SiteResponders:
    """Designated rescue and evacuation workers, chosen only from people who work at the site."""
    at_site = people_at(site_name, shifts)
    by_name = {p.name: p for p in profile.people}
    senior = profile.company.senior_manager
    order = [n for n in at_site]
    supervisors = [n for n in order if by_name[n].role in ("supervisor", "manager")]
    leads = supervisors or ([senior] if senior in at_site else order[:1])
    caller = supervisors[:1] or ([senior] if senior in at_site else order[:1])
    aiders = [a.name for a in current_first_aiders(profile, at_site, as_of)]
    duties = [Duty("Evacuation lead and head count", tuple(leads[:2])),
              Duty("Calls 911 and meets emergency services", tuple(caller)),
              Duty("First aid", tuple(aiders), "nobody at this site holds a current first aid certificate")]
    for key, course, duty, alone, untrained, needed in RESCUE_DUTIES:
        if key not in emergencies:
            continue
        trained = [n for n in order if any(s.key == course and s.ok for s in training.get(n, ()))]
        if len(at_site) < 2:
            duties.append(Duty(duty, (), f"{order[0] if order else 'the worker'} works at this site alone{alone}"))
        elif not trained:
            duties.append(Duty(duty, (), untrained))
        elif len(trained) < needed:
            # the entrant and the tending worker outside both need the training: one trained person cannot do both
            duties.append(Duty(duty, (), f"only {trained[0]} at this site has current confined space training, and an entry "
                                         "needs a trained entrant and a trained tending worker outside the space"))
        else:
            duties.append(Duty(duty, tuple(trained)))
    if "fire" in emergencies:
        duties.append(Duty("First response with fire extinguisher", tuple(supervisors or ([senior] if senior in at_site else order[:1]))))
    return SiteResponders(site_name, at_site, tuple(duties))


# ---------------------------------------------------------------------------------------------------------------
# Working alone: one check-in interval per task, used by every document

@dataclass(frozen=True)
class CheckInPlan:
    task: str            # task name
    position_id: str
    interval: int        # minutes
    tightened: bool      # shorter than the base interval because the risk stays high with controls


def check_in_plans(profile: Profile, tasks: list[AssessedTask]) -> tuple[CheckInPlan, ...]:
    wa = profile.working_alone
    if wa is None:
        return ()
    base = wa.check_in_interval_minutes
    short = base // 2 if base >= 30 else base
    out = []
    for t in tasks:
        if not t.working_alone:
            continue
        risky = t.top_residual.rank >= 2 and short != base
        out.append(CheckInPlan(t.name, t.position_id, short if risky else base, risky))
    return tuple(out)


# ---------------------------------------------------------------------------------------------------------------
# Eligibility (SECOR: 10 or fewer people at any time in the last 12 months)

@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    peak_headcount: int
    peak_date: date
    limit: int
    window_start: date


def eligibility(facts: Facts) -> Eligibility:
    from .facts import SECOR_LIMIT

    return Eligibility(facts.eligible, facts.peak_headcount, facts.peak_date, SECOR_LIMIT, facts.window_start)


# ---------------------------------------------------------------------------------------------------------------
# Everything, for one company

@dataclass(frozen=True)
class Obligations:
    as_of: date
    eligibility: Eligibility
    shifts: tuple[WorkShift, ...]
    shifts_assumed: bool
    training: dict[str, tuple[TrainingStatus, ...]]      # person -> statuses, current people only
    certificates: tuple[Certificate, ...]
    first_aid: tuple[FirstAidCoverage, ...]
    emergencies: dict[str, tuple[str, ...]]              # site -> emergency keys
    site_hazards: dict[str, tuple[str, ...]]             # site -> hazard keys of the work done there
    site_tasks: dict[str, tuple[str, ...] | None]        # site -> task names done there (None: not stated)
    responders: dict[str, SiteResponders]                # site -> responders
    check_ins: tuple[CheckInPlan, ...]

    def first_aid_at(self, site: str) -> tuple[FirstAidCoverage, ...]:
        return tuple(c for c in self.first_aid if c.site == site)

    def check_in_for(self, position_id: str, task: str) -> CheckInPlan | None:
        return next((c for c in self.check_ins if c.position_id == position_id and c.task == task), None)


def derive_obligations(profile: Profile, facts: Facts, library: Library, hazards: dict[str, ResolvedHazard],
                       tasks: list[AssessedTask]) -> Obligations:
    as_of = facts.as_of
    current = [p for p in profile.people if is_current(p, as_of)]
    training = {}
    for p in current:
        reqs = position_requirements(profile, facts, library, hazards, p.position, p)
        training[p.name] = tuple(training_status(p, r, library, as_of) for r in reqs)
    shifts = work_shifts(profile, as_of)
    distance = {s.name: s.distance_class for s in facts.sites}
    first_aid = tuple(coverage(profile, s, distance[s.site], library, as_of) for s in shifts)
    at_site = {site.name: site_hazards(profile, site, shifts, facts) for site in profile.sites}
    tasks_at = {site.name: site_tasks(profile, site, shifts) for site in profile.sites}
    emergencies = {site.name: site_emergencies(site, library, hazards, facts, profile, at_site[site.name],
                                               tasks_at[site.name])
                   for site in profile.sites}
    resp = {site.name: responders(profile, site.name, shifts, emergencies[site.name], training, as_of)
            for site in profile.sites}
    return Obligations(as_of=as_of, eligibility=eligibility(facts), shifts=shifts,
                       shifts_assumed=any(s.assumed for s in shifts), training=training,
                       certificates=certificates(profile, library, as_of), first_aid=first_aid,
                       emergencies=emergencies, site_hazards=at_site, site_tasks=tasks_at, responders=resp,
                       check_ins=check_in_plans(profile, tasks))
