"""The build, stage by stage: profile, facts, catalog, render, convert, assemble, evidence, manifest."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import __version__
from .binder import produce_pdfs
from .catalog import PlannedDocument, load_catalog, plan_catalog
from .context import Built, build_context
from .convert import soffice_path
from .determinism import sha256
from .documents import DocumentRenderer, document_records
from .errors import ConversionError, IneligibleError, InputError, SecorError, TemplateError
from .evidence import EVIDENCE, make_evidence_folders, needed_records, write_index_csv
from .facts import Facts, derive_facts, ineligibility_message
from .frameworks import load_framework
from .library import Library, load_library
from .manifest import owned_paths, read_manifest, write_manifest
from .outputs import build_lock, prepare_out_dir, slugify, staging_folder, swap_in
from .profile import LoadedProfile, load_profile
from .records_calendar import build_calendar
from .render import TemplateSearchPath, make_env, undeclared_variables

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class BuildOptions:
    profiles: tuple[Path, ...]
    out: Path = Path("build")
    as_of: date | None = None
    pdf: bool = True
    jobs: int = 1
    force: bool = False
    allow_ineligible: bool = False
    templates: tuple[Path, ...] = ()


@dataclass
class BuildResult:
    profile: Path
    company: str = ""
    slug: str = ""
    ok: bool = False
    documents: int = 0
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: SecorError | None = None
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Plan:
    """Everything decided before the first file is written."""
    loaded: LoadedProfile
    facts: Facts
    built: Built
    documents: list[PlannedDocument]
    templates: dict[str, Path]
    search: TemplateSearchPath
    slug: str
    as_of: date
    env: object


def expand_profiles(paths: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.glob("*.yaml") if p.is_file())
            found += sorted(p for p in path.glob("*.yml") if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(f"{path}: no such profile file or folder")
    if not found:
        raise InputError(f"no *.yaml profiles in {', '.join(str(p) for p in paths)}")
    return found


def plan_build(path: Path, as_of: date | None, *, allow_ineligible: bool = False,
               templates: tuple[Path, ...] = (), library: Library | None = None) -> Plan:
    """Load, validate, derive and plan one profile; nothing is written. Raises SecorError."""
    library = library or load_library()
    loaded = load_profile(path, library)
    profile = loaded.profile
    as_of = as_of or date.today()
    facts = derive_facts(profile, library, as_of, allow_ineligible)
    if not facts.eligible and not allow_ineligible:
        raise IneligibleError(f"{path}: {ineligibility_message(facts)}")
    built = build_context(profile, facts, library)
    env = make_env()
    overrides = list(templates)
    if profile.templates:
        overrides.append((loaded.folder / profile.templates).resolve())
    search = TemplateSearchPath(overrides)
    catalog = load_catalog()

    def evaluate(expression: str) -> bool:
        return bool(env.compile_expression(expression)(facts=built.context["facts"], contractors=profile.contractors))

    documents = plan_catalog(catalog, built.context["facts"], built.items, evaluate)
    resolved: dict[str, Path] = {}
    for doc in documents:
        if doc.template not in resolved:
            resolved[doc.template] = search.find(doc.template)
            log.debug("template %s -> %s", doc.template, resolved[doc.template])
    known = set(built.context) | {"doc", "item", "logo", "catalog", "binder", "register", "evidence"}
    for rel, tpl_path in resolved.items():
        missing = undeclared_variables(tpl_path, env) - known
        if missing:
            raise TemplateError(f"{tpl_path}: uses variables the build does not provide: {', '.join(sorted(missing))}")
    return Plan(loaded, facts, built, documents, resolved, search, slugify(profile.company.legal_name), as_of, env)


def build_one(path: Path, options: BuildOptions) -> BuildResult:
    """Build one profile into OUT/<slug>/; any SecorError is kept in the result, never half a build on disk."""
    result = BuildResult(profile=path)
    started = time.perf_counter()
    try:
        t0 = time.perf_counter()
        plan = plan_build(path, options.as_of, allow_ineligible=options.allow_ineligible, templates=options.templates)
        result.timings["load_and_plan"] = time.perf_counter() - t0
        result.company, result.slug = plan.loaded.profile.company.legal_name, plan.slug
        result.warnings = list(plan.facts.warnings)
        if not plan.facts.eligible:
            result.warnings.append("built although not eligible for SECOR (--allow-ineligible)")
        prepare_out_dir(options.out)
        target = options.out / plan.slug
        with build_lock(options.out, plan.slug):
            previous = read_manifest(target)
            with staging_folder(options.out, plan.slug) as staging:
                manifest, conversion_error = write_outputs(plan, staging, options, result.timings)
                owned = sorted(p.name for p in staging.iterdir())
                swap_in(staging, target, owned, owned_paths(previous))
            t0 = time.perf_counter()
            profile = plan.loaded.profile
            make_evidence_folders(target / EVIDENCE, needed_records(load_framework(profile.company.certifying_partner),
                                  plan.facts, bool(profile.equipment)), profile.program, profile.company.legal_name)
            result.timings["evidence"] = result.timings.get("evidence", 0) + time.perf_counter() - t0
        result.documents = len(plan.documents)
        result.pages = manifest["binder"]["pages"] or 0
        result.ok = conversion_error is None
        result.error = conversion_error
    except SecorError as e:
        result.error = e
    result.seconds = time.perf_counter() - started
    return result


def write_outputs(plan: Plan, folder: Path, options: BuildOptions, timings: dict) -> tuple[dict, ConversionError | None]:
    """Every build-owned output, written into the staging folder."""
    records = document_records(plan)
    renderer = DocumentRenderer(plan, records)
    t0 = time.perf_counter()
    docx_files = renderer.render_all(folder)
    timings["render"] = time.perf_counter() - t0
    manifest = new_manifest(plan, records, docx_files, folder)
    conversion_error = None
    pages: dict[str, int | None] = {}
    if options.pdf:
        try:
            pages = produce_pdfs(plan, renderer, records, docx_files, folder, manifest, options.jobs, timings)
        except ConversionError as e:
            if soffice_path() is not None:
                raise
            conversion_error = e  # the Word files are still delivered; the exit status says PDF is missing
    t0 = time.perf_counter()
    rows = renderer.evidence_view(pages).rows
    write_index_csv(rows, folder / "evidence-index.csv")
    manifest["evidence_index"] = {"csv": "evidence-index.csv", "framework": renderer.framework.key}
    positions = [p.id for p in plan.loaded.profile.positions]
    (folder / "records-calendar.ics").write_bytes(build_calendar(plan.loaded.profile, plan.facts, plan.slug, positions))
    manifest["calendar"] = "records-calendar.ics"
    timings["evidence"] = time.perf_counter() - t0
    write_manifest(folder, manifest)
    return manifest, conversion_error


def new_manifest(plan: Plan, records: list[dict], docx_files: list[Path], folder: Path) -> dict:
    documents = [{
        "id": rec["id"], "title": rec["title"], "element": rec["element"], "kind": rec["kind"],
        "docx": docx.relative_to(folder).as_posix(), "pdf": None, "sha256": sha256(docx),
        "revision": rec["revision"], "effective": rec["effective"].isoformat(),
        "next_review": rec["next_review"].isoformat(), "binder_page": None, "pages": None,
    } for rec, docx in zip(records, docx_files)]
    return {
        "schema_version": 1,
        "company": plan.loaded.profile.company.legal_name,
        "as_of": plan.as_of.isoformat(),
        "generator": f"secor-docs {__version__}",
        "profile": str(plan.loaded.path),
        "certifying_partner": plan.loaded.profile.company.certifying_partner,
        "eligible": plan.facts.eligible,
        "binder": {"pdf": None, "docx": None, "pages": None},
        "documents": documents,
        "evidence_index": {"csv": None},
        "calendar": None,
    }


def run_build(options: BuildOptions) -> list[BuildResult]:
    return [build_one(path, options) for path in expand_profiles(options.profiles)]


def check_readiness(path: Path, evidence: Path | None, as_of: date | None, months: int | None = None):
    """The `check` command: readiness of one profile's evidence folder."""
    from .outputs import slugify
    from .readiness import readiness

    plan = plan_build(path, as_of, allow_ineligible=True)
    profile = plan.loaded.profile
    evidence = evidence or Path("build") / slugify(profile.company.legal_name) / EVIDENCE
    if not evidence.is_dir():
        raise InputError(f"{evidence}: evidence folder not found (build first, or pass --evidence DIR)")
    required = {pv.name: pv.required for pv in plan.built.context["people"]}
    return readiness(profile, plan.facts, load_framework(profile.company.certifying_partner), evidence, required,
                     months, bool(profile.equipment))
