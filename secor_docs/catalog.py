"""The catalog stage: which documents the binder holds, in what order, under which audit element."""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from ruamel.yaml import YAML

from .errors import CatalogError
from .resources import data_dir

log = logging.getLogger(__name__)

Kind = Literal["policy", "procedure", "practice", "assessment", "plan", "form", "record", "index"]
FOR_EACH = ("positions", "sites", "equipment", "hazards", "critical_tasks")


class Element(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    id: str
    title: str
    element: str
    kind: Kind
    template: str
    when: str | None = None
    for_each: Literal["positions", "sites", "equipment", "hazards", "critical_tasks"] | None = None
    addresses: list[str] = []


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    elements: list[Element]
    documents: list[Entry]

    def element(self, element_id: str) -> Element:
        return next(e for e in self.elements if e.id == element_id)


@dataclass(frozen=True)
class Sections:
    """The binder's sections (the certifying partner's audit elements) and where each catalog document is filed."""
    elements: tuple[tuple[str, str], ...]   # (element id, name) in binder order
    file_under: dict[str, str]              # catalog document key -> element id

    def name(self, element_id: str) -> str:
        return next(name for eid, name in self.elements if eid == element_id)


@dataclass(frozen=True)
class PlannedDocument:
    key: str
    id: str
    title: str
    element_id: str
    element_name: str
    kind: str
    template: str
    item: Any            # the position/site/equipment/hazard/task view for for_each documents, else None
    item_label: str      # what the document applies to
    addresses: tuple[str, ...]
    ident: str = ""      # stable identity across rebuilds: key, plus the item's own id for for_each documents

    @property
    def filename(self) -> str:
        safe = "".join(c if c.isalnum() or c in " -_.,()&'" else "-" for c in f"{self.id} {self.title}")
        # 150 bytes, not characters: a file name may hold 255 bytes, and a letter outside ASCII takes up to 4
        return " ".join(safe.split()).encode("utf-8")[:150].decode("utf-8", "ignore").rstrip()


@functools.cache
def load_catalog() -> Catalog:
    folder = data_dir() / "catalog"
    path = folder
    yaml = YAML(typ="safe")  # libyaml-backed when ruamel.yaml.clib is installed
    try:
        elements = yaml.load((folder / "elements.yaml").read_text(encoding="utf-8"))["elements"]
        documents = []
        for part in sorted(folder.glob("[0-9]*.yaml")):
            documents += (yaml.load(part.read_text(encoding="utf-8")) or {}).get("documents") or []
        catalog = Catalog.model_validate({"elements": elements, "documents": documents})
    except (ValidationError, OSError, KeyError, TypeError) as e:
        raise CatalogError(f"{folder}: {e}") from e
    elements = {e.id for e in catalog.elements}
    keys = set()
    for entry in catalog.documents:
        if entry.element not in elements:
            raise CatalogError(f"{path}: document {entry.key} names unknown element {entry.element}")
        if entry.key in keys:
            raise CatalogError(f"{path}: document key {entry.key} is listed twice")
        keys.add(entry.key)
    return catalog


def plan_catalog(catalog: Catalog, sections: Sections, items: dict[str, list], evaluate) -> list[PlannedDocument]:
    """Expand the catalog for one company: conditions decided, for_each entries multiplied, ids numbered, each
    document filed under the certifying partner's element (`sections`), in that framework's element order.

    `items` maps a for_each name to the views to iterate; `evaluate(expression)` decides a `when` condition.
    """
    planned: list[PlannedDocument] = []
    position = {eid: i for i, (eid, _) in enumerate(sections.elements)}
    home = {e.id: i for i, e in enumerate(catalog.elements)}
    # stable: within a partner element, documents keep the catalog's own order (home element, then file order)
    ordered = sorted(catalog.documents, key=lambda e: (position[sections.file_under[e.key]], home[e.element]))
    for entry in ordered:
        if entry.when and not evaluate(entry.when):
            continue
        element_id = sections.file_under[entry.key]
        element_name = sections.name(element_id)
        if entry.for_each is None:
            planned.append(PlannedDocument(entry.key, entry.id, entry.title, element_id, element_name, entry.kind,
                                           entry.template, None, "", tuple(entry.addresses), entry.key))
            continue
        for n, item in enumerate(items[entry.for_each], start=1):
            planned.append(PlannedDocument(
                entry.key, entry.id.format(n=n, item=item), entry.title.format(n=n, item=item), element_id,
                element_name, entry.kind, entry.template, item, getattr(item, "label", ""), tuple(entry.addresses),
                f"{entry.key}:{getattr(item, 'ident', n)}"))
    ids = [d.id for d in planned]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise CatalogError(f"catalog gives several documents the same id: {', '.join(sorted(dupes))}")
    return planned
