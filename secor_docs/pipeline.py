"""The build, stage by stage: profile, facts, catalog, render, convert, assemble, evidence, manifest."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from . import __version__
from .catalog import PlannedDocument, load_catalog, plan_catalog
from .context import Built, build_context
from .determinism import sha256
import shutil

from .assemble import BinderDoc, build_binder_pdf
from .binder_docx import compose_binder_docx, fill_toc, set_docx_dates
from .convert import convert_to_pdf, normalise_pdf, pdf_pages, soffice_path
from .errors import ConversionError, IneligibleError, InputError, SecorError, TemplateError
from .facts import Facts, derive_facts, ineligibility_message
from .library import Library, load_library
from .manifest import owned_paths, read_manifest, write_manifest
from .outputs import build_lock, prepare_out_dir, slugify, staging_folder, swap_in
from .profile import LoadedProfile, load_profile
from .render import TemplateSearchPath, make_env, render_docx, undeclared_variables

log = logging.getLogger(__name__)

DOCUMENTS = "documents"


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
    known = set(built.context) | {"doc", "item", "logo", "catalog", "binder", "register"}
    for rel, tpl_path in resolved.items():
        missing = undeclared_variables(tpl_path, env) - known
        if missing:
            raise TemplateError(f"{tpl_path}: uses variables the build does not provide: {', '.join(sorted(missing))}")
    return Plan(loaded, facts, built, documents, resolved, search, slugify(profile.company.legal_name), as_of, env)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def document_records(plan: Plan) -> list[dict]:
    """Document-control data for every planned document (revision tracking refines this)."""
    effective = plan.loaded.profile.program.effective_date
    senior = plan.built.context["senior_manager"]
    records = []
    for doc in plan.documents:
        records.append({
            "id": doc.id, "title": doc.title, "element": doc.element_id, "element_name": doc.element_name,
            "kind": doc.kind, "key": doc.key, "revision": 1, "effective": effective,
            "next_review": add_years(effective, 1),
            "history": [{"revision": 1, "date": effective, "change": "First issue", "approved_by": senior.name}],
        })
    return records


def legislation_register(plan: Plan, records: list[dict]) -> list:
    """Every legislation reference the binder relies on, with the documents that implement it."""
    from .context import View

    law = plan.built.context["law"]
    by_key: dict[str, list[str]] = {}
    for doc in plan.documents:
        for key in doc.addresses:
            by_key.setdefault(key, [])
            if doc.id not in by_key[key]:
                by_key[key].append(doc.id)
    for h in plan.built.context["hazards"]:
        for ref in h.refs:
            by_key.setdefault(ref.key, [])
            label = f"hazard: {h.name}"
            by_key[ref.key].append(label)
    rows = []
    for key, users in by_key.items():
        ref = getattr(law, key, None)
        if ref is None:
            continue
        docs = [u for u in users if not u.startswith("hazard: ")]
        hazards = [u[len("hazard: "):] for u in users if u.startswith("hazard: ")]
        rows.append(View(key=key, cite=ref.cite, title=ref.title, duty=ref.duty, instrument=ref.instrument,
                         documents=docs, hazards=sorted(set(hazards)), status=ref.status))
    order = {"act": 0, "code": 1, "schedule": 2, "regulation": 3, "other": 4}

    def number(key: str) -> tuple:
        digits = [int(x) for x in __import__("re").findall(r"\d+", key)]
        return tuple(digits) or (0,)
    rows.sort(key=lambda r: (order.get(r.instrument, 9), "part" in r.key, number(r.key)))
    return rows


def render_documents(plan: Plan, records: list[dict], folder: Path) -> list[Path]:
    from .context import View

    profile = plan.loaded.profile
    logo = (plan.loaded.folder / profile.company.logo).resolve() if profile.company.logo else None
    senior = plan.built.context["senior_manager"]
    catalog_view = [View(id=r["id"], title=r["title"], element=r["element"], element_name=r["element_name"],
                         kind=r["kind"], revision=r["revision"], effective=r["effective"], next_review=r["next_review"])
                    for r in records]
    register = legislation_register(plan, records)
    written = []
    for doc, rec in zip(plan.documents, records):
        doc_view = View(id=doc.id, title=doc.title, kind=doc.kind, element_id=doc.element_id,
                        element_name=doc.element_name, revision=rec["revision"], effective=rec["effective"],
                        next_review=rec["next_review"], approved_by=View(name=senior.name, title=senior.position_title),
                        scope=doc.item_label or "All workers, sites and work of the company",
                        history=[View(**h) for h in rec["history"]])
        context = dict(plan.built.context, doc=doc_view, item=doc.item, catalog=catalog_view, register=register)
        target = folder / DOCUMENTS / f"{doc.filename}.docx"
        stamp = datetime.combine(rec["effective"], datetime.min.time())
        render_docx(plan.templates[doc.template], context, target, plan.env, logo=logo, properties={
            "title": doc.title, "author": profile.company.legal_name, "subject": f"{doc.id} SECOR health and safety program",
            "created": stamp, "modified": stamp, "last_modified_by": "secor-docs", "revision": rec["revision"],
            "keywords": f"SECOR; {doc.element_name}", "comments": ""})
        written.append(target)
    return written


def build_one(path: Path, options: BuildOptions) -> BuildResult:
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
                records = document_records(plan)
                t0 = time.perf_counter()
                docx_files = render_documents(plan, records, staging)
                result.timings["render"] = time.perf_counter() - t0
                manifest = assemble_manifest(plan, records, docx_files, staging, options)
                conversion_error = None
                if options.pdf:
                    try:
                        produce_pdfs(plan, records, docx_files, staging, manifest, options, result.timings)
                    except ConversionError as e:
                        if soffice_path() is not None:
                            raise
                        conversion_error = e  # DOCX output is still delivered; the status says PDF is missing
                write_manifest(staging, manifest)
                owned = sorted(p.name for p in staging.iterdir())
                swap_in(staging, target, owned, owned_paths(previous))
        result.documents = len(plan.documents)
        result.pages = (manifest.get("binder") or {}).get("pages") or 0
        result.ok = conversion_error is None
        result.error = conversion_error
    except SecorError as e:
        result.error = e
    result.seconds = time.perf_counter() - started
    return result


def assemble_manifest(plan: Plan, records: list[dict], docx_files: list[Path], folder: Path, options: BuildOptions) -> dict:
    documents = []
    for rec, docx in zip(records, docx_files):
        documents.append({
            "id": rec["id"], "title": rec["title"], "element": rec["element"], "kind": rec["kind"],
            "docx": docx.relative_to(folder).as_posix(), "pdf": None, "sha256": sha256(docx),
            "revision": rec["revision"], "effective": rec["effective"].isoformat(),
            "next_review": rec["next_review"].isoformat(), "binder_page": None, "pages": None,
        })
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


def render_front_matter(plan: Plan, template: str, binder_view, target: Path) -> None:
    from .context import View

    profile = plan.loaded.profile
    logo = (plan.loaded.folder / profile.company.logo).resolve() if profile.company.logo else None
    binder = View(toc=binder_view.toc, element=binder_view.element,
                  prepared_by=f"secor-docs for {profile.company.legal_name}")
    context = dict(plan.built.context, binder=binder, doc=None, item=None, catalog=[])
    stamp = datetime.combine(plan.as_of, datetime.min.time())
    render_docx(plan.search.find(template), context, target, plan.env, logo=logo,
                properties={"title": "SECOR binder", "author": profile.company.legal_name, "created": stamp, "modified": stamp})


def produce_pdfs(plan: Plan, records: list[dict], docx_files: list[Path], folder: Path, manifest: dict,
                 options: BuildOptions, timings: dict) -> None:
    """Convert every document, then lay out and merge the binder; fills the PDF keys of the manifest."""
    company = plan.loaded.profile.company.legal_name
    t0 = time.perf_counter()
    pdfs = convert_to_pdf(docx_files, folder / DOCUMENTS, jobs=options.jobs)
    timings["convert"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    docs = []
    for rec, docx, entry in zip(records, docx_files, manifest["documents"]):
        pdf = pdfs[docx]
        normalise_pdf(pdf, {"/Title": f"{rec['id']} {rec['title']}", "/Author": company,
                            "/Subject": f"{company} SECOR health and safety program"}, rec["effective"])
        entry["pdf"] = pdf.relative_to(folder).as_posix()
        entry["pages"] = pdf_pages(pdf)
        docs.append(BinderDoc(rec["id"], rec["title"], rec["element"], pdf, entry["pages"]))
    elements = [(e.id, e.name) for e in load_catalog().elements]
    work = folder / ".front"
    work.mkdir()
    layout = build_binder_pdf(
        elements=elements, docs=docs, workdir=work, target=folder / "binder.pdf", day=plan.as_of, jobs=options.jobs,
        render_front=lambda template, view, path: render_front_matter(plan, template, view, path),
        metadata={"/Title": f"{company}: SECOR Health and Safety Program", "/Author": company,
                  "/Subject": f"SECOR binder for the {plan.loaded.profile.company.certifying_partner} audit, {plan.as_of.isoformat()}",
                  "/Keywords": "SECOR; Alberta; health and safety program"})
    for entry, d in zip(manifest["documents"], docs):
        entry["binder_page"] = d.binder_page
    manifest["binder"].update({"pdf": "binder.pdf", "pages": layout.total})
    timings["assemble"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    dividers = {eid: work / f"10 divider {eid}.docx" for eid, _ in elements if (work / f"10 divider {eid}.docx").exists()}
    binder_docx = folder / "binder.docx"
    compose_binder_docx(work / "00 cover.docx", dividers, [(r["element"], d) for r, d in zip(records, docx_files)], binder_docx)
    if not fill_toc(binder_docx):
        log.warning("binder.docx: contents not filled (LibreOffice's Python UNO bridge, package python3-uno, is missing); Word fills it on open")
    set_docx_dates(binder_docx, plan.as_of, f"{company}: SECOR Health and Safety Program", company)
    manifest["binder"]["docx"] = "binder.docx"
    timings["binder_docx"] = time.perf_counter() - t0
    shutil.rmtree(work)


def run_build(options: BuildOptions) -> list[BuildResult]:
    return [build_one(path, options) for path in expand_profiles(options.profiles)]
