"""Edit a profile file in place: ruamel.yaml round trip (comments, key order and quoting kept), a form description
derived from the pydantic model, the form applied to the YAML tree, and an atomic write."""
from __future__ import annotations

import io
import os
import re
import tempfile
import types
import typing
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor

from ..model import Profile
from ..yamlsource import format_path


class _Constructor(RoundTripConstructor):
    """Dates stay dates here (yamlsource keeps them as text for its own loader, class-wide)."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_timestamp)


def round_trip() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load_tree(path: Path) -> CommentedMap:
    doc = round_trip().load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, CommentedMap):
        raise ValueError("the file is not a profile mapping")
    return doc


def dump_tree(doc: CommentedMap) -> str:
    out = io.StringIO()
    round_trip().dump(doc, out)
    return out.getvalue()


def version(path: Path) -> str:
    """What the editor page was made from: a save is refused when the file changed since."""
    import hashlib
    return hashlib.sha256(path.read_bytes()).hexdigest()[:20]


def write_atomically(path: Path, text: str) -> None:
    """Write beside the file, flush to disk, then rename over it: a crash leaves the old or the new file, never half."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---- the form, derived from the model ---------------------------------------------------------------------------

LABELS = {
    "legal_name": "Legal name (as registered with WCB-Alberta)", "operating_name": "Operating (trade) name",
    "wcb_account": "WCB-Alberta account number", "wcb_industry_code": "WCB industry code",
    "certifying_partner": "Certifying partner", "senior_manager": "Senior manager (signs the policies)",
    "effective_date": "Program effective date", "audit": "Audit this binder prepares for",
    "records_since": "Records kept since", "safety_meeting_frequency": "Safety meetings",
    "inspection_frequency": "Workplace inspections", "emergency_drill_frequency": "Emergency drills",
    "certificate_anniversary": "SECOR certificate date", "audit_date": "Planned audit date",
    "audit_questions": "Partner question list (CSV or YAML file beside the profile)", "under_18": "Under 18",
    "health_safety_representative": "Health and safety representative", "first_aid": "First aid certificate",
    "hazard_class": "Hazard class (OHS Code Schedule 2)", "workers_per_shift": "Workers per shift",
    "health_facility": "Nearest hospital or clinic", "travel_minutes": "Travel time (minutes)",
    "muster_point": "Muster point (where everyone meets in an emergency)", "preventive_maintenance": "Preventive maintenance",
    "check_in_interval_minutes": "Check-in every (minutes)", "contact": "Check-in contact",
    "working_alone": "Working alone", "emergency_contacts": "Extra emergency numbers",
    "contractors": "The company hires subcontractors", "critical": "Critical task", "steps": "Job steps (one per line)",
    "prepared_by": "Prepared by (consultant)", "shifts": "Who works here and when (shifts)", "branding": "Branding", "colour": "Brand colour (#RRGGBB)",
}

# Which built-in list a key field picks from (key: field name; value: choice source).
PICKERS = {"industry": "industries", "certifying_partner": "partners", "hazards": "hazards",
           "emergencies": "emergencies", "position": "positions", "senior_manager": "people"}
NESTED_PICKERS = {("equipment", "kind"): "equipment", ("working_alone", "contact"): "people", ("shifts", "people"): "people"}


@dataclass
class Spec:
    name: str
    label: str
    help: str
    widget: str                 # text | number | date | select | checkbox | multi | lines | group | rows
    required: bool
    choices: list[str] = field(default_factory=list)   # fixed choices (Literal)
    source: str = ""            # a built-in list or the profile's own positions / people
    children: list["Spec"] = field(default_factory=list)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner annotation, optional?)."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(get_args(annotation))
            if len(args) == 1:
                annotation = args[0]
            else:
                return annotation, optional
        else:
            return annotation, optional


def _is_model(a: Any) -> bool:
    return isinstance(a, type) and issubclass(a, BaseModel)


def spec_for(name: str, info, parent: str = "") -> Spec | None:
    """The form field for one model field, or None when the form cannot edit it (kept as written in the file)."""
    annotation, optional = _unwrap(info.annotation)
    required = info.is_required()
    label = LABELS.get(name, name.replace("_", " ").capitalize())
    help_text = re.sub(r"\s*\((quote it in YAML|`?secor-docs list \w+`?)\)|;?\s*`?secor-docs list \w+`?", "",
                       info.description or "").replace("`", "")
    origin = get_origin(annotation)
    source = NESTED_PICKERS.get((parent, name)) or PICKERS.get(name, "")
    if origin is Literal:
        return Spec(name, label, help_text, "select", required, [str(v) for v in get_args(annotation)])
    if annotation is bool:
        return Spec(name, label, help_text, "checkbox", False)
    if annotation is int:
        return Spec(name, label, help_text, "number", required)
    if annotation is date:
        return Spec(name, label, help_text, "date", required)
    if annotation is str:
        return Spec(name, label, help_text, "select" if source else "text", required, source=source)
    if _is_model(annotation):
        children = children_of(annotation, name)
        if not required or optional:  # inside an optional block nothing is required until the block is used
            children = [replace(c, required=False) if c.widget not in ("group", "rows") else c for c in children]
        return Spec(name, label, help_text, "group", required and not optional, children=children)
    if origin is list:
        (item,) = get_args(annotation)
        item, _ = _unwrap(item)
        if _is_model(item):
            return Spec(name, label, help_text, "rows", required, children=children_of(item, name))
        if item is str:
            if source:
                return Spec(name, label, help_text, "multi", required, source=source)
            if parent == "custom_hazards" or name == "training":
                return None
            return Spec(name, label, help_text, "lines", required)
    return None


def children_of(model: type[BaseModel], parent: str = "") -> list[Spec]:
    return [s for n, info in model.model_fields.items() if (s := spec_for(n, info, parent)) is not None]


def uneditable(model: type[BaseModel], parent: str = "") -> list[str]:
    return [n for n, info in model.model_fields.items() if spec_for(n, info, parent) is None]


SECTIONS = [("company", "Company", ["company"]), ("program", "Program", ["program"]), ("people", "People", ["people"]),
            ("positions", "Positions and tasks", ["positions"]), ("sites", "Sites", ["sites"]),
            ("equipment", "Trucks and equipment", ["equipment"])]


def sections() -> list[tuple[str, str, list[str]]]:
    """The editor's tabs; every other top-level field (including ones added later) lands in 'More'."""
    taken = {k for _, _, keys in SECTIONS for k in keys} | {"schema_version"}
    rest = [k for k in Profile.model_fields if k not in taken]
    return SECTIONS + [("more", "Working alone, contractors and more", rest)]


def section_specs(slug: str) -> list[Spec]:
    for s, _, keys in sections():
        if s == slug:
            return [spec for k in keys if (spec := spec_for(k, Profile.model_fields[k])) is not None]
    raise KeyError(slug)


def section_of(path: tuple) -> str:
    top = path[0] if path else ""
    for s, _, keys in sections():
        if top in keys:
            return s
    return "company"


# ---- applying a submitted form to the YAML tree ---------------------------------------------------------------

class Form(typing.Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list: ...


def _scalar(spec: Spec, raw: str) -> Any:
    raw = raw.strip()
    if spec.widget == "number" and re.fullmatch(r"-?\d{1,9}", raw):
        return int(raw)
    if spec.widget == "date":
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return raw
    return raw


def _same(old: Any, new: Any) -> bool:
    """Unchanged values are not rewritten, so their quoting and comments stay as the user wrote them."""
    if isinstance(old, date) and isinstance(new, date):
        return old.isoformat() == new.isoformat()
    if isinstance(old, bool) != isinstance(new, bool) or isinstance(old, str) != isinstance(new, str):
        return False
    return old == new


def apply_fields(node: CommentedMap, specs: list[Spec], prefix: tuple, form: Form) -> None:
    for spec in specs:
        path = prefix + (spec.name,)
        key = format_path(path)
        if spec.widget == "group":
            child = node.get(spec.name)
            answered = any(str(v).strip() for k in form_keys(form, key + ".") for v in form.getlist(k))
            if not spec.required and not answered and any(k.startswith(key + ".") for k in rendered_keys(spec, key)):
                if isinstance(child, CommentedMap) and set(child) <= {c.name for c in spec.children}:
                    del node[spec.name]  # an optional block the user emptied (first aid, working alone) goes
                continue
            if not isinstance(child, CommentedMap):
                if not answered:
                    continue
                child = CommentedMap()
                node[spec.name] = child
            apply_fields(child, spec.children, path, form)
            if not spec.required and not child:
                del node[spec.name]
            continue
        if spec.widget == "rows":
            seq = node.get(spec.name)
            if isinstance(seq, CommentedSeq):
                for i, item in enumerate(seq):
                    if isinstance(item, CommentedMap):
                        apply_fields(item, spec.children, path + (i,), form)
            continue
        if spec.widget in ("multi", "lines"):
            values = form.getlist(key) if spec.widget == "multi" else [
                line.strip() for line in str(form.get(key, "")).splitlines() if line.strip()]
            old = node.get(spec.name)
            if spec.widget == "multi" and isinstance(old, list):  # a picker has no order: keep the user's
                values = [v for v in old if v in values] + [v for v in values if v not in old]
            if isinstance(old, CommentedSeq):
                if list(old) != values:
                    old.clear()
                    old.extend(values)
                if not values and not spec.required:
                    del node[spec.name]
            elif values:
                seq = CommentedSeq(values)
                if spec.widget == "multi":
                    seq.fa.set_flow_style()
                node[spec.name] = seq
            continue
        if spec.widget == "checkbox":
            value = form.get(key) is not None
            if spec.name in node or value:
                if node.get(spec.name) is not value:
                    node[spec.name] = value
            continue
        raw = form.get(key)
        if raw is None:
            continue  # not on this form
        value = _scalar(spec, str(raw))
        if value == "":
            if spec.name in node:
                if spec.required:
                    node[spec.name] = ""
                else:
                    del node[spec.name]
            elif spec.required:
                node[spec.name] = ""
            continue
        if spec.name not in node or not _same(node[spec.name], value):
            node[spec.name] = value


def rendered_keys(spec: Spec, key: str) -> list[str]:
    """Form keys of a group's own scalar fields (what an emptied block would have submitted)."""
    return [f"{key}.{c.name}" for c in spec.children if c.widget not in ("group", "rows")]


def form_keys(form: Form, prefix: str) -> list[str]:
    return [k for k in form.keys() if k.startswith(prefix)]  # type: ignore[attr-defined]


def resolve(doc: Any, path: tuple) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def lookup(doc: Any, path: tuple) -> Any:
    """The value at `path`, or None when any step is missing."""
    for part in path:
        try:
            doc = doc[part]
        except (KeyError, IndexError, TypeError):
            return None
    return doc


def parse_path(text: str) -> tuple:
    """'people[2].first_aid.level' -> ('people', 2, 'first_aid', 'level')."""
    out: list = []
    for name, index in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]", text):
        out.append(name if name else int(index))
    return tuple(out)


def add_row(doc: CommentedMap, path: tuple) -> int:
    """Append an empty item to the list at `path` (created when missing); returns its index."""
    parent = resolve(doc, path[:-1])
    seq = parent.get(path[-1])
    if not isinstance(seq, CommentedSeq):
        seq = CommentedSeq()
        parent[path[-1]] = seq
    item = CommentedMap()
    if len(seq) and isinstance(seq[-1], CommentedMap) and seq[-1].fa.flow_style():
        item.fa.set_flow_style()
    seq.append(item)
    return len(seq) - 1


def remove_row(doc: CommentedMap, path: tuple) -> None:
    seq = resolve(doc, path[:-1])
    if isinstance(seq, CommentedSeq) and isinstance(path[-1], int) and 0 <= path[-1] < len(seq):
        del seq[path[-1]]


def plain(node: Any) -> Any:
    """The tree as plain values for the form (dates as YYYY-MM-DD)."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, date):
        return node.isoformat()
    return node
