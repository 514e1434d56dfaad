"""New client in the browser: the `init` questions plus what a binder needs (hospital, muster point, trucks and
equipment, who works where), with the industry's defaults; placeholders are refused. Writes starter.py's profile."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..library import Library
from ..starter import Answers, Site, placeholder_reason

ROLES = ["manager", "supervisor", "worker"]
EMPLOYMENT = ["full_time", "part_time", "casual", "seasonal", "family", "volunteer"]
PEOPLE_ROWS = 6
EXTRA_EQUIPMENT_ROWS = 3


@dataclass
class Question:
    name: str
    label: str
    help: str = ""
    kind: str = "text"          # text | number | date | select | checkbox
    required: bool = True
    choices: tuple = ()


def defaults(industry: str, library: Library, today: date) -> dict:
    ind = library.industries[industry]
    kind = ind.site_defaults.get("kind", "shop")
    away = kind in ("field", "client_site")
    base_kind = kind if not away else ("office" if industry in ("office",) else "shop")
    return {
        "industry": industry, "partner": ind.suggested_partner, "owner_position": ind.positions[0].id,
        "base_name": {"office": "Office", "shop": "Shop", "yard": "Yard"}.get(base_kind, "Head office"),
        "base_kind": base_kind, "base_workers": "1", "hospital_minutes": "15", "away": "on" if away else "",
        "away_name": "Client job sites" if kind == "client_site" else "Field locations", "away_kind": kind if away else "client_site",
        "away_workers": "2", "away_minutes": "20", "wa_communication": "Cell phone call or text to the office",
        "wa_minutes": "120", "owner-base": "on", "effective_date": today.isoformat(), "records_since": today.isoformat(), "audit": "certification",
        **{f"eq-{i}-use": "on" for i in range(len(ind.equipment))},
        **{f"eq-{i}-name": e.name for i, e in enumerate(ind.equipment)},
        **{f"eq-{i}-kind": e.kind for i, e in enumerate(ind.equipment)},
    }


def has_working_alone(industry: str, library: Library) -> bool:
    return any(t.working_alone for p in library.industries[industry].positions for t in p.tasks)


def check(form: dict, industry: str, library: Library) -> dict[str, str]:
    """Problems by question name: missing answers, placeholders, numbers and dates that are not."""
    errors: dict[str, str] = {}

    def need(name: str, label: str = "") -> str:
        value = (form.get(name) or "").strip()
        if not value:
            errors[name] = "Please answer this."
        elif why := placeholder_reason(value):
            errors[name] = f"'{value}' {why}."
        return value

    def number(name: str, low: int, high: int) -> None:
        value = need(name)
        if value and name not in errors and not (re.fullmatch(r"\d{1,6}", value) and low <= int(value) <= high):
            errors[name] = f"Give a whole number from {low} to {high}."

    def day(name: str, required: bool = True) -> None:
        value = (form.get(name) or "").strip()
        if not value:
            if required:
                errors[name] = "Please give a date."
            return
        try:
            date.fromisoformat(value)
        except ValueError:
            errors[name] = "Give a date as YYYY-MM-DD."

    for name in ("legal_name", "address", "phone", "owner_name", "base_name", "muster_point", "hospital", "hospital_address"):
        need(name)
    for name in ("operating_name", "email", "hospital_phone"):
        value = (form.get(name) or "").strip()
        if value and (why := placeholder_reason(value)):
            errors[name] = f"'{value}' {why}."
    account = need("wcb_account")
    if account and "wcb_account" not in errors and not re.fullmatch(r"\d{1,12}", account):
        errors["wcb_account"] = "Digits only, as on your WCB-Alberta clearance letter."
    number("base_workers", 1, 10_000)
    number("hospital_minutes", 0, 10_000)
    if form.get("away"):
        for name in ("away_name", "away_area", "away_hospital", "away_hospital_address"):
            need(name)
        number("away_workers", 1, 10_000)
        number("away_minutes", 0, 10_000)
    if has_working_alone(industry, library):
        need("wa_communication")
        contact = need("wa_contact")
        number("wa_minutes", 1, 1440)
        alone = {p.id for p in library.industries[industry].positions if any(t.working_alone for t in p.tasks)}
        holders = {(form.get("owner_name") or "").strip().lower(): form.get("owner_position")}
        holders.update({(form.get(f"person-{i}-name") or "").strip().lower(): form.get(f"person-{i}-position")
                        for i in range(PEOPLE_ROWS)})
        if contact and "wa_contact" not in errors and holders.get(contact.lower()) in alone:
            errors["wa_contact"] = (f"{contact} holds a position with tasks done alone, so nobody would notice a missed "
                                    "check-in. Name someone else: a family member, the office, a neighbouring business "
                                    "or a monitoring service.")
    day("effective_date")
    day("records_since", required=False)
    names = [(form.get("owner_name") or "").strip().lower()]
    for i in range(PEOPLE_ROWS):
        name = (form.get(f"person-{i}-name") or "").strip()
        if not name:
            continue
        if why := placeholder_reason(name):
            errors[f"person-{i}-name"] = f"'{name}' {why}."
        elif name.lower() in names:
            errors[f"person-{i}-name"] = "This name is already listed; each person once."
        names.append(name.lower())
        day(f"person-{i}-start")
    for i in range(len(library.industries[industry].equipment) + EXTRA_EQUIPMENT_ROWS):
        if form.get(f"eq-{i}-use") or (i >= len(library.industries[industry].equipment) and form.get(f"eq-{i}-name")):
            name = (form.get(f"eq-{i}-name") or "").strip()
            if not name:
                errors[f"eq-{i}-name"] = "Give the unit a name, e.g. '2019 Ford F-350 (unit 3)'."
            elif why := placeholder_reason(name):
                errors[f"eq-{i}-name"] = f"'{name}' {why}."
            if form.get(f"eq-{i}-kind") not in library.equipment:
                errors[f"eq-{i}-kind"] = "Choose what kind of equipment it is."
    return errors


def answers(form: dict, industry: str, library: Library) -> Answers:
    """The checked answers as starter.py's Answers."""
    ind = library.industries[industry]
    get = lambda name: (form.get(name) or "").strip()  # noqa: E731
    effective = date.fromisoformat(get("effective_date"))
    owner = get("owner_name")
    people: list[tuple] = [(owner, "owner", get("owner_position") or ind.positions[0].id, "full_time", effective)]
    for i in range(PEOPLE_ROWS):
        name = get(f"person-{i}-name")
        if name:
            start = get(f"person-{i}-start")
            people.append((name, get(f"person-{i}-role") or "worker", get(f"person-{i}-position") or ind.positions[-1].id,
                           get(f"person-{i}-employment") or "full_time", date.fromisoformat(start) if start else effective))
    base_shift = [owner] if form.get("owner-base") else []
    away_shift = [owner] if form.get("owner-away") else []
    for i in range(PEOPLE_ROWS):
        if get(f"person-{i}-name"):
            if form.get(f"person-{i}-base"):
                base_shift.append(get(f"person-{i}-name"))
            if form.get(f"person-{i}-away"):
                away_shift.append(get(f"person-{i}-name"))
    equipment = []
    for i in range(len(ind.equipment) + EXTRA_EQUIPMENT_ROWS):
        if form.get(f"eq-{i}-use") or (i >= len(ind.equipment) and get(f"eq-{i}-name")):
            equipment.append((get(f"eq-{i}-name"), get(f"eq-{i}-kind")))
    job_site = None
    if form.get("away"):
        job_site = Site(get("away_name"), get("away_kind") or "client_site", get("away_area"), get("away_hospital"),
                        get("away_hospital_address"), int(get("away_minutes")), int(get("away_workers")),
                        get("away_hospital_phone"), shift=away_shift)
    result = Answers(
        industry=industry, legal_name=get("legal_name"), wcb_account=get("wcb_account"), address=get("address"),
        phone=get("phone"), email=get("email"), partner=get("partner") or ind.suggested_partner, senior_manager=owner,
        people=people, site_name=get("base_name"), site_kind=get("base_kind") or "shop",
        site_address=get("base_address") or get("address"), facility=get("hospital"),
        facility_address=get("hospital_address"), facility_phone=get("hospital_phone"),
        travel_minutes=int(get("hospital_minutes")), muster_point=get("muster_point"),
        workers_per_shift=int(get("base_workers")), site_shift=base_shift, job_site=job_site, equipment=equipment,
        contractors=bool(form.get("contractors")), effective_date=effective, answered=True,
        records_since=date.fromisoformat(get("records_since")) if get("records_since") else None)
    result.operating_name = get("operating_name")
    result.audit = get("audit") if get("audit") in ("certification", "maintenance") else "certification"
    if has_working_alone(industry, library):
        result.working_alone = (get("wa_communication"), int(get("wa_minutes")), get("wa_contact"))
    return result
