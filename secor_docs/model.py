"""The company profile (schema_version 1) as strict pydantic models; descriptions become the JSON Schema."""
from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, ValidationInfo

from .limits import EARLIEST_DATE, LATEST_DATE, MAX_ITEMS, NAME_CHARS


def _iso_date(value: object, info=None) -> object:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError as e:
            raise ValueError(f"'{value}' is not a real calendar date ({e})") from None
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ValueError(f"{day.isoformat()} is outside the dates secor-docs works with ({EARLIEST_DATE.isoformat()} to "
                             f"{LATEST_DATE.isoformat()})" + ("; for a certificate that never expires, leave 'expires' out"
                                                              if getattr(info, "field_name", "") == "expires" else ""))
        return day
    raise ValueError(f"expected a date written YYYY-MM-DD; got {value!r}")


def _iso_date_field(value: object, info: ValidationInfo) -> object:
    return _iso_date(value, info)


ISODate = Annotated[date, BeforeValidator(_iso_date_field), Field(json_schema_extra={"type": "string", "format": "date"})]
Text = Annotated[str, Field(min_length=1, max_length=20_000)]
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
# Names and titles become headers, Word document properties (255 characters at most) and file names.
Name = Annotated[str, Field(min_length=1, max_length=NAME_CHARS)]


def Items(key: str, **kwargs):
    """A list field capped at the documented limit for `key` (secor_docs/limits.py)."""
    return Field(max_length=MAX_ITEMS[key], **kwargs)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Company(Strict):
    legal_name: Name = Field(description="Name as registered with WCB-Alberta; printed in every header.")
    operating_name: Name | None = Field(None, description="Trade name, if different.")
    wcb_account: Annotated[str, Field(pattern=r"^\d{1,12}$")] = Field(description="WCB-Alberta account number, digits only (quote it in YAML).")
    wcb_industry_code: Text | None = Field(None, description="WCB industry code.")
    industry: Key = Field(description="Industry key (`secor-docs list industries`); selects hazard library defaults.")
    certifying_partner: Annotated[str, Field(pattern=r"^[A-Z]+$")] = Field(description="Certifying partner key (`secor-docs list partners`); selects the audit framework.")
    address: Text = Field(description="Head office address.")
    phone: Text | None = Field(None, description="Head office phone.")
    email: Text | None = Field(None, description="Head office email.")
    logo: Text | None = Field(None, description="PNG or JPEG logo, relative to the profile file.")
    senior_manager: Name = Field(description="Name of the person in `people` who signs the policies.")


class RiskBand(Strict):
    name: Text = Field(description="Band label, e.g. High.")
    min: StrictInt = Field(description="Lowest score (severity x probability) in the band.")
    max: StrictInt = Field(description="Highest score in the band.")
    action: Text = Field(description="What must happen when a risk falls in this band.")


class RiskMatrix(Strict):
    severity: list[Text] = Field(min_length=2, max_length=10, description="Severity level labels, lowest first.")
    probability: list[Text] = Field(min_length=2, max_length=10, description="Probability level labels, lowest first.")
    bands: list[RiskBand] = Items("bands", min_length=1, description="Score bands, covering every possible score exactly once.")


class Program(Strict):
    effective_date: ISODate = Field(description="Effective date of this edition of the program.")
    audit: Literal["certification", "maintenance"] = Field(description="Which audit the binder prepares for.")
    records_since: ISODate | None = Field(None, description="First day records were kept.")
    safety_meeting_frequency: Literal["weekly", "biweekly", "monthly"]
    inspection_frequency: Literal["weekly", "biweekly", "monthly", "quarterly"]
    emergency_drill_frequency: Literal["quarterly", "semiannual", "annual"]
    risk_matrix: Literal["default"] | RiskMatrix = Field("default", description="`default` or a custom matrix.")
    certificate_anniversary: ISODate | None = Field(None, description="Optional: date on the current SECOR certificate; maintenance audits fall due before each anniversary.")
    audit_date: ISODate | None = Field(None, description="Optional: planned first day of the audit. Without it a certification audit is shown on the earliest date it can be booked, a maintenance audit on its due date (the next certificate anniversary). The records window is the whole months before the audit's month.")
    accept_library_controls: StrictBool = Field(False, description=(
        "Quick start: treat every library control picked for the company's tasks as confirmed (in place). "
        "The build still lists a note to check them with the workers. Default false: unconfirmed controls print as "
        "recommended."))


class FirstAid(Strict):
    level: Literal["basic", "intermediate", "advanced"]
    expires: ISODate


class Training(Strict):
    course: Name
    completed: ISODate
    expires: ISODate | None = None


class Person(Strict):
    name: Name = Field(description="Unique name.")
    role: Literal["owner", "manager", "supervisor", "worker"]
    position: Key = Field(description="Id of a position in `positions`.")
    employment: Literal["full_time", "part_time", "casual", "seasonal", "family", "volunteer"]
    start_date: ISODate
    end_date: ISODate | None = Field(None, description="Set when the person no longer works here.")
    under_18: StrictBool = False
    health_safety_representative: StrictBool = False
    first_aid: FirstAid | None = None
    training: list[Training] = Items("training", default_factory=list)
    phone: Text | None = Field(None, description="Optional contact number (printed for the representative and emergency roles).")


class HazardControls(Strict):
    elimination: list[Text] = Items("controls", default_factory=list)
    engineering: list[Text] = Items("controls", default_factory=list)
    administrative: list[Text] = Items("controls", default_factory=list)
    ppe: list[Text] = Items("controls", default_factory=list)


class CustomHazard(Strict):
    id: Key
    name: Name
    description: Text | None = None
    severity: Annotated[StrictInt, Field(ge=1, le=10)]
    probability: Annotated[StrictInt, Field(ge=1, le=10)]
    controls: HazardControls
    residual: dict[str, StrictInt] | None = Field(None, description="Optional {severity, probability} after controls.")
    training: list[Key] = Items("training", default_factory=list)
    emergencies: list[Key] = Items("emergencies", default_factory=list)


class Task(Strict):
    name: Name
    hazards: list[Key] = Items("hazards", min_length=1)
    critical: StrictBool = False
    working_alone: StrictBool = False
    steps: list[Text] = Items("steps", default_factory=list, description="Optional: the company's own job steps, in the order a worker does them; they become the numbered steps of the safe job procedure and take precedence over `library_task`.")
    library_task: Key | None = Field(None, description="Optional: key of a task in the built-in task library (`secor-docs list tasks`) whose numbered steps, with their hazards and controls, become this task's safe job procedure. Without it a task whose name matches a library task (ignoring case, punctuation and small words) uses that task; a critical task with neither `steps` nor a match is listed as a procedure to write.")
    confirmed_controls: list[Text] = Items("confirmed_controls", default_factory=list, description=(
        "Optional: library controls this task really uses, each named by its id (`secor-docs list controls`, e.g. "
        "`ladder_use.ladders-inspected-before-each`), by `<hazard>.*` for every control of one of the task's hazards, "
        "or by its exact text. Confirmed controls print as in place; the others print as recommended and become "
        "findings. A control named here is used for this task even where the library would not pick it."))


class Position(Strict):
    id: Key
    title: Name
    tasks: list[Task] = Items("tasks", min_length=1)
    custom_hazards: list[CustomHazard] = Items("custom_hazards", default_factory=list)


class HealthFacility(Strict):
    name: Name
    address: Text
    phone: Text | None = None
    travel_minutes: Annotated[StrictInt, Field(ge=0, le=10_000)]


class Shift(Strict):
    name: Name = Field(description="Shift name as the crew knows it, e.g. 'Day shift' or 'Night cleaning'.")
    people: list[Name] = Items("shift_people", min_length=1, description="Names (from `people`) of everyone who works this shift at this site. Schedule 2 first aid is assessed per shift from the designated first aiders on this list, and the site's emergency responders are chosen from the people on its shifts.")


class Site(Strict):
    name: Name
    kind: Literal["office", "shop", "yard", "field", "client_site"]
    address: Text
    hazard_class: Literal["low", "medium", "high"]
    workers_per_shift: Annotated[StrictInt, Field(ge=1, le=100_000)]
    health_facility: HealthFacility
    muster_point: Text | None = None
    emergencies: list[Key] | None = Items("emergencies", default=None, description="Optional: the emergencies the site's plan covers, replacing the default: those any company can meet at this kind of site (fire, medical, severe weather, violence) plus those the company's hazards, equipment, industry and tasks can cause (`secor-docs list emergencies`).")
    shifts: list[Shift] | None = Items("shifts", default=None, description="Optional: who works at this site and when. Without it, every current person is assumed to work at every site on one day shift of `workers_per_shift` workers (validate prints a note); with it, first aid coverage, responders and workers per shift come from the people listed on each shift.")


class EquipmentItem(Strict):
    name: Name = Field(description="The unit as the crew knows it (make, model, unit number).")
    kind: Key = Field(description=(
        "Equipment key (`secor-docs list equipment`): chooses the pre-use checklist, training and law. Repair shops: "
        "`vehicle_hoist` (two-post, four-post or in-ground lift; not `forklift`), `tire_service`, `vehicle_jack`, "
        "`parts_washer`, `battery_charger`, `ac_refrigerant_machine`. `validate` warns when the name suggests another kind."))
    preventive_maintenance: Text | None = Field(None, description="The maintenance schedule; the kind's default otherwise.")


class WorkingAlone(Strict):
    communication: Text
    check_in_interval_minutes: Annotated[StrictInt, Field(ge=1, le=1440)]
    contact: Text


class EmergencyContact(Strict):
    name: Name
    phone: Text


class PreparedBy(Strict):
    name: Name = Field(description="Consultant or person who prepared the binder.")
    company: Name | None = Field(None, description="Consulting firm.")
    phone: Text | None = None
    email: Text | None = None


class Branding(Strict):
    colour: Annotated[str, Field(pattern=r"^#?[0-9A-Fa-f]{6}$")] = Field(description="Brand colour for headings and table headers, e.g. '#2E7D32'.")


class Profile(Strict):
    schema_version: Literal[1]
    company: Company
    program: Program
    people: list[Person] = Items("people", min_length=1)
    positions: list[Position] = Items("positions", min_length=1)
    sites: list[Site] = Items("sites", min_length=1)
    equipment: list[EquipmentItem] = Items("equipment", default_factory=list)
    working_alone: WorkingAlone | None = None
    emergency_contacts: list[EmergencyContact] = Items("emergency_contacts", default_factory=list)
    contractors: StrictBool = False
    confirmed_controls: list[Text] = Items("confirmed_controls", default_factory=list, description=(
        "Optional: library controls the company uses on every task where the library picks them, named like a "
        "task's confirmed_controls (id, `<hazard>.*` or exact text)."))
    templates: Text | None = Field(None, description="Optional folder of template overrides, relative to the profile.")
    audit_questions: Text | None = Field(None, description="Optional: the certifying partner's current audit questions, a CSV or YAML file relative to the profile (see the README, \"Loading the partner's own question list\"). Replaces the built-in, modelled question list in the evidence index and the binder's elements; overrides `audit_questions` in the consultant settings file.")
    prepared_by: PreparedBy | None = Field(None, description="Optional: who prepared the binder (printed on the cover); overrides the consultant settings file.")
    branding: Branding | None = Field(None, description="Optional: brand colour; overrides the consultant settings file.")
