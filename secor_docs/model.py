"""The company profile (schema_version 1) as strict pydantic models; descriptions become the JSON Schema."""
from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt


def _iso_date(value: object) -> object:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as e:
            raise ValueError(f"'{value}' is not a real calendar date ({e})") from None
    raise ValueError(f"expected a date written YYYY-MM-DD; got {value!r}")


ISODate = Annotated[date, BeforeValidator(_iso_date), Field(json_schema_extra={"type": "string", "format": "date"})]
Text = Annotated[str, Field(min_length=1, max_length=20_000)]
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Company(Strict):
    legal_name: Text = Field(description="Name as registered with WCB-Alberta; printed in every header.")
    operating_name: Text | None = Field(None, description="Trade name, if different.")
    wcb_account: Annotated[str, Field(pattern=r"^\d{1,12}$")] = Field(description="WCB-Alberta account number, digits only (quote it in YAML).")
    wcb_industry_code: Text | None = Field(None, description="WCB industry code.")
    industry: Key = Field(description="Industry key (`secor-docs list industries`); selects hazard library defaults.")
    certifying_partner: Annotated[str, Field(pattern=r"^[A-Z]+$")] = Field(description="Certifying partner key (`secor-docs list partners`); selects the audit framework.")
    address: Text = Field(description="Head office address.")
    phone: Text | None = Field(None, description="Head office phone.")
    email: Text | None = Field(None, description="Head office email.")
    logo: Text | None = Field(None, description="PNG or JPEG logo, relative to the profile file.")
    senior_manager: Text = Field(description="Name of the person in `people` who signs the policies.")


class RiskBand(Strict):
    name: Text = Field(description="Band label, e.g. High.")
    min: StrictInt = Field(description="Lowest score (severity x probability) in the band.")
    max: StrictInt = Field(description="Highest score in the band.")
    action: Text = Field(description="What must happen when a risk falls in this band.")


class RiskMatrix(Strict):
    severity: list[Text] = Field(min_length=2, max_length=10, description="Severity level labels, lowest first.")
    probability: list[Text] = Field(min_length=2, max_length=10, description="Probability level labels, lowest first.")
    bands: list[RiskBand] = Field(min_length=1, description="Score bands, covering every possible score exactly once.")


class Program(Strict):
    effective_date: ISODate = Field(description="Effective date of this edition of the program.")
    audit: Literal["certification", "maintenance"] = Field(description="Which audit the binder prepares for.")
    records_since: ISODate | None = Field(None, description="First day records were kept.")
    safety_meeting_frequency: Literal["weekly", "biweekly", "monthly"]
    inspection_frequency: Literal["weekly", "biweekly", "monthly", "quarterly"]
    emergency_drill_frequency: Literal["quarterly", "semiannual", "annual"]
    risk_matrix: Literal["default"] | RiskMatrix = Field("default", description="`default` or a custom matrix.")
    certificate_anniversary: ISODate | None = Field(None, description="Optional: date on the current SECOR certificate; maintenance audits fall due before each anniversary.")
    accept_library_controls: StrictBool = Field(False, description=(
        "Quick start: treat every library control picked for the company's tasks as confirmed (in place). "
        "The build still lists a note to check them with the workers. Default false: unconfirmed controls print as "
        "recommended."))


class FirstAid(Strict):
    level: Literal["basic", "intermediate", "advanced"]
    expires: ISODate


class Training(Strict):
    course: Text
    completed: ISODate
    expires: ISODate | None = None


class Person(Strict):
    name: Text = Field(description="Unique name.")
    role: Literal["owner", "manager", "supervisor", "worker"]
    position: Key = Field(description="Id of a position in `positions`.")
    employment: Literal["full_time", "part_time", "casual", "seasonal", "family", "volunteer"]
    start_date: ISODate
    end_date: ISODate | None = Field(None, description="Set when the person no longer works here.")
    under_18: StrictBool = False
    health_safety_representative: StrictBool = False
    first_aid: FirstAid | None = None
    training: list[Training] = Field(default_factory=list)
    phone: Text | None = Field(None, description="Optional contact number (printed for the representative and emergency roles).")


class HazardControls(Strict):
    elimination: list[Text] = Field(default_factory=list)
    engineering: list[Text] = Field(default_factory=list)
    administrative: list[Text] = Field(default_factory=list)
    ppe: list[Text] = Field(default_factory=list)


class CustomHazard(Strict):
    id: Key
    name: Text
    description: Text | None = None
    severity: Annotated[StrictInt, Field(ge=1, le=10)]
    probability: Annotated[StrictInt, Field(ge=1, le=10)]
    controls: HazardControls
    residual: dict[str, StrictInt] | None = Field(None, description="Optional {severity, probability} after controls.")
    training: list[Key] = Field(default_factory=list)
    emergencies: list[Key] = Field(default_factory=list)


class Task(Strict):
    name: Text
    hazards: list[Key] = Field(min_length=1)
    critical: StrictBool = False
    working_alone: StrictBool = False
    steps: list[Text] = Field(default_factory=list, description="Optional job steps for the safe job procedure.")
    confirmed_controls: list[Text] = Field(default_factory=list, description=(
        "Optional: library controls this task really uses, each named by its id (`secor-docs list controls`, e.g. "
        "`ladder_use.ladders-inspected-before-each`), by `<hazard>.*` for every control of one of the task's hazards, "
        "or by its exact text. Confirmed controls print as in place; the others print as recommended and become "
        "findings. A control named here is used for this task even where the library would not pick it."))


class Position(Strict):
    id: Key
    title: Text
    tasks: list[Task] = Field(min_length=1)
    custom_hazards: list[CustomHazard] = Field(default_factory=list)


class HealthFacility(Strict):
    name: Text
    address: Text
    phone: Text | None = None
    travel_minutes: Annotated[StrictInt, Field(ge=0, le=10_000)]


class Site(Strict):
    name: Text
    kind: Literal["office", "shop", "yard", "field", "client_site"]
    address: Text
    hazard_class: Literal["low", "medium", "high"]
    workers_per_shift: Annotated[StrictInt, Field(ge=1, le=100_000)]
    health_facility: HealthFacility
    muster_point: Text | None = None
    emergencies: list[Key] | None = None


class EquipmentItem(Strict):
    name: Text
    kind: Key
    preventive_maintenance: Text | None = None


class WorkingAlone(Strict):
    communication: Text
    check_in_interval_minutes: Annotated[StrictInt, Field(ge=1, le=1440)]
    contact: Text


class EmergencyContact(Strict):
    name: Text
    phone: Text


class PreparedBy(Strict):
    name: Text = Field(description="Consultant or person who prepared the binder.")
    company: Text | None = Field(None, description="Consulting firm.")
    phone: Text | None = None
    email: Text | None = None


class Branding(Strict):
    colour: Annotated[str, Field(pattern=r"^#?[0-9A-Fa-f]{6}$")] = Field(description="Brand colour for headings and table headers, e.g. '#2E7D32'.")


class Profile(Strict):
    schema_version: Literal[1]
    company: Company
    program: Program
    people: list[Person] = Field(min_length=1)
    positions: list[Position] = Field(min_length=1)
    sites: list[Site] = Field(min_length=1)
    equipment: list[EquipmentItem] = Field(default_factory=list)
    working_alone: WorkingAlone | None = None
    emergency_contacts: list[EmergencyContact] = Field(default_factory=list)
    contractors: StrictBool = False
    confirmed_controls: list[Text] = Field(default_factory=list, description=(
        "Optional: library controls the company uses on every task where the library picks them, named like a "
        "task's confirmed_controls (id, `<hazard>.*` or exact text)."))
    templates: Text | None = Field(None, description="Optional folder of template overrides, relative to the profile.")
    prepared_by: PreparedBy | None = Field(None, description="Optional: who prepared the binder (printed on the cover); overrides the consultant settings file.")
    branding: Branding | None = Field(None, description="Optional: brand colour; overrides the consultant settings file.")
