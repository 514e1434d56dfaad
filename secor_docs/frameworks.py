"""Audit frameworks as validated data: elements, questions, the documents and records that answer them."""
from __future__ import annotations

import functools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .catalog import Sections, load_catalog
from .certificate import WindowRules
from .errors import DataError
from .library import load_library


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RecordType(_Data):
    name: str
    folder: str
    frequency: Literal["safety_meeting", "inspection", "drill", "monthly", "quarterly", "annual", "per_event",
                       "per_person", "per_equipment_use", "per_task"]
    window_check: bool
    form: str | None = None
    retention: str
    description: str


class Question(_Data):
    id: str
    text: str
    technique: Literal["documentation", "interview", "observation"]
    documents: list[str] = []
    records: list[str] = []
    sampling: str
    owner_operator_na: bool = False


class Element(_Data):
    id: str
    name: str
    weight: float | None = Field(None, gt=0)   # percent of the audit; built-in frameworks give every one
    questions: list[Question] = Field(min_length=1)


class PassRule(_Data):
    overall_percent: float
    element_minimum_percent: float


class Filing(_Data):
    """Which of the framework's elements each binder document is filed under.

    `from_generic` maps every element of the catalog's home model (the Alberta 8-element model) to one of this
    framework's elements; `documents` files single documents (by catalog key) somewhere else."""
    from_generic: dict[str, str]
    documents: dict[str, str] = {}
    note: str = ""


class CertificateRules(_Data):
    """Months of records the partner's audits sample (secor-facts.md section 1.4)."""
    one_year_months: int = Field(ge=1, le=36)
    three_year_months: int = Field(ge=1, le=36)
    maintenance_months: int = Field(ge=1, le=36)
    status: Literal["verified", "believed"]
    basis: str
    sources: list[str] = Field(min_length=1)


class Framework(_Data):
    key: str
    name: str
    partner: str
    basis: str
    verify_note: str
    pass_rule: PassRule
    elements: list[Element]
    filing: Filing
    certificates: CertificateRules
    source: str = ""   # the consultant's question file, when the questions were loaded from one

    def element(self, element_id: str) -> Element:
        return next(e for e in self.elements if e.id == element_id)

    def sections(self) -> Sections:
        """The binder's sections in this framework's order, and the section of every catalog document."""
        catalog = load_catalog()
        file_under = {d.key: self.filing.documents.get(d.key, self.filing.from_generic[d.element])
                      for d in catalog.documents}
        return Sections(tuple((e.id, e.name) for e in self.elements), file_under)


@functools.cache
def load_records() -> dict[str, RecordType]:
    try:
        return {k: RecordType.model_validate(v) for k, v in load_library().records.items()}
    except ValidationError as e:
        raise DataError(f"records.yaml: {e.errors()[0]['loc']}: {e.errors()[0]['msg']}") from e


@functools.cache
def load_framework(key: str) -> Framework:
    """A framework whose every document key is in the catalog and every record key is a known record type."""
    raw = load_library().frameworks.get(key)
    if raw is None:
        raise DataError(f"no audit framework '{key}'")
    try:
        framework = Framework.model_validate(raw)
    except ValidationError as e:
        raise DataError(f"frameworks/{key}.yaml: {e.errors()[0]['loc']}: {e.errors()[0]['msg']}") from e
    documents = {d.key for d in load_catalog().documents}
    records = load_records()
    for element in framework.elements:
        for q in element.questions:
            for doc in q.documents:
                if doc not in documents:
                    raise DataError(f"frameworks/{key}.yaml: question {q.id} names unknown document '{doc}'")
            for rec in q.records:
                if rec not in records:
                    raise DataError(f"frameworks/{key}.yaml: question {q.id} names unknown record type '{rec}'")
    if any(e.weight is None for e in framework.elements):
        raise DataError(f"frameworks/{key}.yaml: every element needs a weight")
    weights = sum(e.weight for e in framework.elements)
    if abs(weights - 100) > 0.5:
        raise DataError(f"frameworks/{key}.yaml: element weights add up to {weights}, not 100")
    check_filing(framework, f"frameworks/{key}.yaml")
    return framework


def check_filing(framework: Framework, where: str) -> None:
    """Every catalog element maps to an element of the framework, and every document it files exists."""
    catalog = load_catalog()
    ids = [e.id for e in framework.elements]
    if len(set(ids)) != len(ids):
        raise DataError(f"{where}: element ids are not unique: {', '.join(sorted({i for i in ids if ids.count(i) > 1}))}")
    missing = [e.id for e in catalog.elements if e.id not in framework.filing.from_generic]
    if missing:
        raise DataError(f"{where}: filing.from_generic does not say where catalog element(s) {', '.join(missing)} go")
    for source, target in framework.filing.from_generic.items():
        if target not in ids:
            raise DataError(f"{where}: filing.from_generic files catalog element {source} under unknown element '{target}'")
    keys = {d.key for d in catalog.documents}
    for doc, target in framework.filing.documents.items():
        if doc not in keys:
            raise DataError(f"{where}: filing.documents names unknown document '{doc}'")
        if target not in ids:
            raise DataError(f"{where}: filing.documents files {doc} under unknown element '{target}'")


def window_rules(framework: Framework, override=None) -> WindowRules:
    """The partner's records rules from its framework data, or the consultant's override (settings file)."""
    c = framework.certificates
    # GENERIC is no partner's name: sentences speak of "your certifying partner" instead of a key
    who = "your certifying partner" if framework.key == "GENERIC" else framework.key
    if override is None:
        return WindowRules(who, c.one_year_months, c.three_year_months, c.maintenance_months, c.status,
                           " ".join(c.basis.split()))
    return WindowRules(who, override.one_year_months or c.one_year_months,
                       override.three_year_months or c.three_year_months,
                       override.maintenance_months or c.maintenance_months, "verified",
                       f"set in the consultant's settings file: {override.source}")
