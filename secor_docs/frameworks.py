"""Audit frameworks as validated data: elements, questions, the documents and records that answer them."""
from __future__ import annotations

import functools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .catalog import load_catalog
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
    weight: float = Field(gt=0)
    questions: list[Question] = Field(min_length=1)


class PassRule(_Data):
    overall_percent: float
    element_minimum_percent: float


class Framework(_Data):
    key: str
    name: str
    partner: str
    basis: str
    verify_note: str
    pass_rule: PassRule
    elements: list[Element]


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
    weights = sum(e.weight for e in framework.elements)
    if abs(weights - 100) > 0.5:
        raise DataError(f"frameworks/{key}.yaml: element weights add up to {weights}, not 100")
    return framework
