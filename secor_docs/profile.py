"""Load a company profile: YAML with positions, schema validation, then the cross-field rules; all errors at once."""
from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from pydantic import ValidationError

from .errors import Problem, ProfileError
from .library import Library, load_library
from .model import Profile
from .yamlsource import YamlSource, load_yaml

log = logging.getLogger(__name__)

MAX_LOGO_BYTES = 5_000_000


@dataclass(frozen=True)
class LoadedProfile:
    path: Path
    source: YamlSource
    profile: Profile

    @property
    def folder(self) -> Path:
        return self.path.parent


def load_profile(path: Path, library: Library | None = None) -> LoadedProfile:
    """Read and validate one profile; raise ProfileError listing every problem."""
    library = library or load_library()
    source = load_yaml(path, display=str(path))
    try:
        profile = Profile.model_validate(source.data)
    except ValidationError as e:
        raise ProfileError(sorted(_translate(e, source), key=_order)) from None
    problems = [source.problem(p, msg) for rule in RULES for p, msg in rule(profile, library, path)]
    if problems:
        raise ProfileError(sorted(problems, key=_order))
    return LoadedProfile(path, source, profile)


def _order(p: Problem) -> tuple:
    return (p.line or 0, p.col or 0, p.path)


# ---- schema errors -------------------------------------------------------------------------------------------

def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def settings_problems(error: ValidationError, source: YamlSource, root) -> list[Problem]:
    """A settings file's schema errors, in the profile's wording."""
    return sorted(_translate(error, source, root), key=_order)


def _translate(error: ValidationError, source: YamlSource, root=Profile) -> Iterator[Problem]:
    seen = set()
    for err in error.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and (p.startswith("function-") or p in {"RiskMatrix", "literal['default']"})))
        loc = tuple(p for p in loc if p not in ("default",) or False)
        message = _message(err, loc, source, root)
        if (loc, message) in seen:
            continue
        seen.add((loc, message))
        yield source.problem(loc, message)


def _allowed_fields(loc: tuple, root=Profile) -> list[str]:
    from pydantic import BaseModel

    model: Any = root
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return []
        model = _model_of(field.annotation)
        if model is None:
            return []
    return list(model.model_fields) if model is not None else []


def _model_of(annotation: Any):
    from typing import get_args
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _message(err: dict, loc: tuple, source: YamlSource, root=Profile) -> str:
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(loc, root)
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suffix = f"; did you mean '{hint[0]}'?" if hint else (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
        return f"unknown key '{loc[-1]}'{suffix}"
    if kind in ("string_type",):
        return f"expected text; got {_show(value)} (put it in quotes)"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number; got {_show(value)}"
    if kind == "bool_type":
        return f"expected true or false; got {_show(value)}"
    if kind == "list_type":
        return f"expected a list; got {_show(value)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping of fields; got {_show(value)}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected', '').replace(chr(39), '')}; got {_show(value)}"
    if kind == "string_pattern_mismatch":
        field = str(loc[-1]) if loc else ""
        if field == "wcb_account":
            return f"expected digits only (quote it in YAML); got {_show(value)}"
        if field == "colour":
            return f"expected a colour written as six hex digits such as '#2E7D32'; got {_show(value)}"
        if field == "certifying_partner":
            return f"expected a partner key such as ACSA, ESC, AASP or GENERIC; got {_show(value)}"
        return f"expected a lower_snake_case key; got {_show(value)}"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length', 1)} {'item' if ctx.get('min_length', 1) == 1 else 'items'}" if isinstance(value, list) else "must not be empty"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is {len(value) if isinstance(value, str) else 'more than ' + str(ctx.get('max_length'))} characters long; at most {ctx.get('max_length')} are allowed"
    if kind == "too_long":
        return (f"has {ctx.get('actual_length', 'too many')} items; at most {ctx.get('max_length')} are allowed "
                f"(secor-docs is for employers of 10 or fewer people; see Limits in the README)")
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        word = "at least" if kind == "greater_than_equal" else "at most"
        return f"must be {word} {bound}; got {_show(value)}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind == "union_tag_invalid" or kind.startswith("union"):
        return f"expected 'default' or a risk matrix mapping; got {_show(value)}"
    return f"{err['msg']} (got {_show(value)})"


# ---- cross-field rules ---------------------------------------------------------------------------------------
# Each rule states one rule of the profile and yields (path, message) for every breach.

Rule = Callable[[Profile, Library, Path], Iterator[tuple[tuple, str]]]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    RULES.append(fn)
    return fn


def _suggest(value: str, known) -> str:
    hint = difflib.get_close_matches(value, list(known), n=1)
    return f"; did you mean '{hint[0]}'?" if hint else ""


@rule
def person_names_are_unique(p: Profile, lib: Library, path: Path):
    seen: dict[str, int] = {}
    for i, person in enumerate(p.people):
        if person.name in seen:
            yield ("people", i, "name"), f"'{person.name}' is listed twice (also people[{seen[person.name]}]); names must be unique"
        seen.setdefault(person.name, i)


@rule
def senior_manager_is_a_person(p: Profile, lib: Library, path: Path):
    names = [x.name for x in p.people]
    if p.company.senior_manager not in names:
        yield ("company", "senior_manager"), f"'{p.company.senior_manager}' is not the name of anyone in people{_suggest(p.company.senior_manager, names)}"
    else:
        person = next(x for x in p.people if x.name == p.company.senior_manager)
        if person.end_date is not None:
            yield ("company", "senior_manager"), f"'{person.name}' has an end_date; the senior manager must still work here"


@rule
def position_ids_are_unique(p: Profile, lib: Library, path: Path):
    seen: set[str] = set()
    for i, pos in enumerate(p.positions):
        if pos.id in seen:
            yield ("positions", i, "id"), f"position id '{pos.id}' is used twice; ids must be unique"
        seen.add(pos.id)


@rule
def people_hold_known_positions(p: Profile, lib: Library, path: Path):
    ids = [pos.id for pos in p.positions]
    for i, person in enumerate(p.people):
        if person.position not in ids:
            yield ("people", i, "position"), f"'{person.position}' is not the id of a position{_suggest(person.position, ids)}"


@rule
def end_date_after_start_date(p: Profile, lib: Library, path: Path):
    for i, person in enumerate(p.people):
        if person.end_date and person.end_date < person.start_date:
            yield ("people", i, "end_date"), f"{person.end_date} is before start_date {person.start_date}"
        for j, t in enumerate(person.training):
            if t.expires and t.expires < t.completed:
                yield ("people", i, "training", j, "expires"), f"{t.expires} is before completed {t.completed}"


@rule
def custom_hazards_are_new_and_unique(p: Profile, lib: Library, path: Path):
    seen: set[str] = set()
    for i, pos in enumerate(p.positions):
        for j, h in enumerate(pos.custom_hazards):
            where = ("positions", i, "custom_hazards", j, "id")
            if h.id in lib.hazards:
                yield where, f"'{h.id}' is already a library hazard; use it directly in tasks or choose another id"
            elif h.id in seen:
                yield where, f"custom hazard '{h.id}' is defined twice"
            seen.add(h.id)
            for k, key in enumerate(h.training):
                if key not in lib.training:
                    yield ("positions", i, "custom_hazards", j, "training", k), f"unknown training key '{key}'{_suggest(key, lib.training)}"
            for k, key in enumerate(h.emergencies):
                if key not in lib.emergencies:
                    yield ("positions", i, "custom_hazards", j, "emergencies", k), f"unknown emergency '{key}'{_suggest(key, lib.emergencies)}"
            if not any((h.controls.elimination, h.controls.engineering, h.controls.administrative, h.controls.ppe)):
                yield ("positions", i, "custom_hazards", j, "controls"), "lists no controls; give at least one"


@rule
def task_hazards_are_known(p: Profile, lib: Library, path: Path):
    custom = {h.id for pos in p.positions for h in pos.custom_hazards}
    known = set(lib.hazards) | custom
    for i, pos in enumerate(p.positions):
        for j, task in enumerate(pos.tasks):
            for k, key in enumerate(task.hazards):
                if key not in known:
                    yield ("positions", i, "tasks", j, "hazards", k), f"unknown hazard '{key}': not a library hazard (secor-docs list hazards) nor a custom hazard{_suggest(key, known)}"


@rule
def working_alone_tasks_need_a_plan(p: Profile, lib: Library, path: Path):
    if p.working_alone is not None:
        return
    for i, pos in enumerate(p.positions):
        for j, task in enumerate(pos.tasks):
            if task.working_alone:
                yield ("positions", i, "tasks", j, "working_alone"), "task is done alone but the profile has no working_alone block (communication, check_in_interval_minutes, contact)"
                return


@rule
def library_keys_are_known(p: Profile, lib: Library, path: Path):
    if p.company.industry not in lib.industries:
        yield ("company", "industry"), f"unknown industry '{p.company.industry}'{_suggest(p.company.industry, lib.industries)} (secor-docs list industries)"
    if p.company.certifying_partner not in lib.frameworks:
        yield ("company", "certifying_partner"), f"unknown certifying partner '{p.company.certifying_partner}'; expected one of {', '.join(sorted(lib.frameworks))}"
    for i, item in enumerate(p.equipment):
        if item.kind not in lib.equipment:
            yield ("equipment", i, "kind"), f"unknown equipment kind '{item.kind}'{_suggest(item.kind, lib.equipment)} (secor-docs list equipment)"
    for i, site in enumerate(p.sites):
        for j, key in enumerate(site.emergencies or []):
            if key not in lib.emergencies:
                yield ("sites", i, "emergencies", j), f"unknown emergency '{key}'{_suggest(key, lib.emergencies)}"


@rule
def sites_with_buildings_have_a_muster_point(p: Profile, lib: Library, path: Path):
    for i, site in enumerate(p.sites):
        if site.kind in ("office", "shop", "yard") and not site.muster_point:
            yield ("sites", i), f"a {site.kind} site needs a muster_point"


@rule
def risk_matrix_bands_cover_every_score(p: Profile, lib: Library, path: Path):
    from .risk import matrix_problems

    if p.program.risk_matrix != "default":
        for message in matrix_problems(p.program.risk_matrix):
            yield ("program", "risk_matrix", "bands"), message


@rule
def logo_is_a_readable_image_inside_the_profile_folder(p: Profile, lib: Library, path: Path):
    if not p.company.logo:
        return
    where = ("company", "logo")
    folder = path.resolve().parent
    target = (path.parent / p.company.logo)
    try:
        resolved = target.resolve(strict=True)
    except (FileNotFoundError, OSError):
        yield where, f"logo file '{p.company.logo}' not found next to the profile"
        return
    if folder not in resolved.parents:
        yield where, f"logo '{p.company.logo}' is outside the profile's folder; copy it beside the profile"
        return
    if not resolved.is_file():
        yield where, f"logo '{p.company.logo}' is not a file"
        return
    if resolved.stat().st_size > MAX_LOGO_BYTES:
        yield where, f"logo '{p.company.logo}' is larger than {MAX_LOGO_BYTES // 1_000_000} MB; use a smaller PNG or JPEG"
        return
    head = resolved.read_bytes()[:8]
    if not (head.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith(b"\xff\xd8\xff")):
        yield where, f"logo '{p.company.logo}' is not a PNG or JPEG image"


@rule
def health_safety_representative_is_current(p: Profile, lib: Library, path: Path):
    for i, person in enumerate(p.people):
        if person.health_safety_representative and person.end_date is not None:
            yield ("people", i, "health_safety_representative"), f"'{person.name}' has left (end_date) and cannot be the health and safety representative"


@rule
def shift_people_are_current_people(p: Profile, lib: Library, path: Path):
    names = [x.name for x in p.people]
    for i, site in enumerate(p.sites):
        seen_shifts: set[str] = set()
        for j, shift in enumerate(site.shifts or []):
            if shift.name in seen_shifts:
                yield ("sites", i, "shifts", j, "name"), f"shift '{shift.name}' is listed twice at '{site.name}'; shift names must be unique per site"
            seen_shifts.add(shift.name)
            for k, name in enumerate(shift.people):
                if name not in names:
                    yield ("sites", i, "shifts", j, "people", k), f"'{name}' is not the name of anyone in people{_suggest(name, names)}"
                elif shift.people.index(name) != k:
                    yield ("sites", i, "shifts", j, "people", k), f"'{name}' is listed twice on this shift"


@rule
def custom_hazard_ratings_fit_the_matrix(p: Profile, lib: Library, path: Path):
    """A rating above the matrix's levels was clamped to its top level without a word; it is an error instead."""
    from .risk import Matrix

    matrix = Matrix(p.program.risk_matrix)
    levels = {"severity": matrix.severity_levels, "probability": matrix.probability_levels}
    which = "the default risk matrix" if p.program.risk_matrix == "default" else "program.risk_matrix"
    for i, pos in enumerate(p.positions):
        for j, h in enumerate(pos.custom_hazards):
            where = ("positions", i, "custom_hazards", j)
            for axis, top in levels.items():
                value = getattr(h, axis)
                if not 1 <= value <= top:
                    yield where + (axis,), f"{value} is outside 1 to {top}, the {axis} levels of {which}"
            for key, value in (h.residual or {}).items():
                if key not in levels:
                    yield where + ("residual", key), f"unknown key '{key}'; residual takes severity and probability"
                elif not 1 <= value <= levels[key]:
                    yield where + ("residual", key), f"{value} is outside 1 to {levels[key]}, the {key} levels of {which}"


@rule
def confirmed_controls_are_library_controls(p: Profile, lib: Library, path: Path):
    from .controls import all_controls, control_id, known_reference

    hint = "; name a control by its id (secor-docs list controls), by <hazard>.* or by its exact text"

    def ids(keys) -> list[str]:
        return [control_id(k, item) for k in keys if k in lib.hazards for _, item in all_controls(lib.hazards[k])]

    for k, ref in enumerate(p.confirmed_controls):
        if not known_reference(ref, lib):
            yield ("confirmed_controls", k), f"'{ref}' is not a library control{_suggest(ref, ids(lib.hazards)) or hint}"
    for i, pos in enumerate(p.positions):
        for j, task in enumerate(pos.tasks):
            for k, ref in enumerate(task.confirmed_controls):
                if not known_reference(ref, lib, task.hazards):
                    other = known_reference(ref, lib)
                    why = "is a control of a hazard this task does not list" if other else "is not a library control"
                    yield ("positions", i, "tasks", j, "confirmed_controls", k), f"'{ref}' {why}{_suggest(ref, ids(task.hazards)) or hint}"
