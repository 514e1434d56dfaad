"""The build, stage by stage: profile, facts, catalog, render, convert, assemble, evidence, manifest."""
from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .catalog import PlannedDocument, load_catalog, plan_catalog
from .consistency import FindingInputs, all_findings, finding_views
from .context import Built, build_context
from .determinism import sha256
from .errors import (BuildInterrupted, ConversionError, DamagedManifestError, EditedOutputError, IneligibleError, InputError, InternalError,
                     OutputError, Problem, SecorError, TemplateError)
from .evidence import EVIDENCE, make_evidence_folders, needed_records, write_index_csv
from .edition import edition_in_force
from .facts import Facts, derive_facts, ineligibility_message
from .certificate import AuditPlan, audit_view, plan_audit
from .frameworks import Framework, load_framework, window_rules
from .questions import load_question_list, question_file
from .library import Library, load_library
from .manifest import BUILD_NAMES, MANIFEST, back_up, build_files, edited_files, owned_paths, read_manifest, write_manifest
from .outputs import build_lock, check_same_company, prepare_out_dir, refuse_links, slugify, staging_folder, swap_in
from .safefs import links_below, refuse_link
from .profile import LoadedProfile, load_profile
from .resources import templates_dir
from .revisions import ChangeReport, snapshot
from .settings import Presentation, load_settings, presentation
from .render import TemplateSearchPath, locate_names, make_env, undeclared_variables

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
    renew: bool = False   # issue the next program edition now, before its review date (edition.plan_edition)


@dataclass
class BuildResult:
    profile: Path
    company: str = ""
    slug: str = ""
    ok: bool = False
    documents: int = 0
    pages: int = 0
    warnings: list[str] = field(default_factory=list)   # notes about the build itself (backups, --allow-ineligible)
    findings: list[dict] = field(default_factory=list)  # program findings (Finding.as_dict), as in manifest.json
    seconds: float = 0.0
    error: SecorError | None = None
    timings: dict[str, float] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """Everything decided before the first file is written."""
    loaded: LoadedProfile
    facts: Facts
    built: Built
    documents: list[PlannedDocument]
    framework: Framework
    audit: AuditPlan
    templates: dict[str, Path]
    search: TemplateSearchPath
    look: Presentation
    slug: str
    as_of: date
    env: object
    template_warnings: list[str] = field(default_factory=list)
    findings: tuple = ()   # findings.Finding, every one of this build (consistency.all_findings)
    edition: object = None            # edition.Edition this build issues (apply_edition, once the last build is read)
    previous_edition: object = None   # edition.Edition of the last build, if any


def expand_profiles(paths: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for path in dict.fromkeys(paths):  # naming a profile twice builds it once
        if path.is_dir():
            found += sorted(p for p in path.glob("*.yaml") if p.is_file())
            found += sorted(p for p in path.glob("*.yml") if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(f"{path}: no such profile file or folder")
    if not found:
        raise InputError(f"no *.yaml profiles in {', '.join(str(p) for p in paths)}")
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def plan_build(path: Path, as_of: date | None, *, allow_ineligible: bool = False,
               templates: tuple[Path, ...] = (), library: Library | None = None, check_templates: bool = True) -> Plan:
    """Load, validate, derive and plan one profile; nothing is written. Raises SecorError."""
    library = library or load_library()
    loaded = load_profile(path, library)
    profile = loaded.profile
    as_of = as_of or date.today()
    from .limits import as_of_problem

    if as_of_problem(as_of):
        raise InputError(as_of_problem(as_of))
    facts = derive_facts(profile, library, as_of, allow_ineligible)
    if not facts.eligible and not allow_ineligible:
        raise IneligibleError(f"{path}: {ineligibility_message(facts)}")
    built = build_context(profile, facts, library)
    env = make_env()
    settings, settings_file = load_settings()
    look = presentation(profile, settings, settings_file)
    overrides = override_folders(loaded, templates, look, settings_file)
    search = TemplateSearchPath(overrides)
    catalog = load_catalog()

    def evaluate(expression: str) -> bool:
        return bool(env.compile_expression(expression)(facts=built.context["facts"], contractors=profile.contractors,
                                                       triggered=[t.key for t in built.context["triggered"]]))

    framework, unfiled = load_framework(profile.company.certifying_partner), []
    questions = question_file(profile, loaded.folder, settings, settings_file)
    if questions is not None:
        framework, unfiled = load_question_list(questions, framework)
    documents = plan_catalog(catalog, framework.sections(), built.items, evaluate)
    rules = window_rules(framework, (settings.certificate_rules or {}).get(framework.key))
    audit = plan_audit(profile.program, rules, as_of)
    built.context["audit"] = audit_view(audit, rules)
    resolved: dict[str, Path] = {}
    for doc in documents:
        if doc.template not in resolved:
            resolved[doc.template] = search.find(doc.template)
            log.debug("template %s -> %s", doc.template, resolved[doc.template])
    findings = tuple(all_findings(FindingInputs(profile, facts, library, built, tuple(documents),
                                                extra={"audit": audit, "window_rules": rules,
                                                       "framework": framework, "unfiled": unfiled})))
    plan = Plan(loaded, facts, built, documents, framework, audit, resolved, search, look,
                slugify(profile.company.legal_name), as_of, env, search.unmatched(), findings)
    plan.edition = edition_in_force(profile.program.effective_date, as_of)
    show_findings(plan)
    if check_templates:
        preflight_templates(plan)
    return plan


def override_folders(loaded: LoadedProfile, templates: tuple[Path, ...], look: Presentation,
                     settings_file: Path | None) -> list[Path]:
    """Consultant folders first, then the settings file's, then the profile's own; each must be a readable folder
    within the limits, or the build stops: a mistyped folder silently gave the built-in wording."""
    from .errors import ProfileError
    from .render import template_files

    def usable(folder: Path) -> str | None:
        if not folder.is_dir():
            return "folder not found" if not folder.exists() else "not a folder"
        try:
            template_files(folder)
        except OSError as e:
            return f"cannot be read: {e.strerror or e}"
        except TemplateError as e:
            return str(e).split(": ", 1)[-1]
        return None

    overrides = []
    for folder in templates:
        why = usable(folder)
        if why:
            raise InputError(f"{folder}: --templates: {why}")
        overrides.append(folder)
    if look.templates:
        why = usable(look.templates)
        if why:
            raise ProfileError([Problem(str(settings_file), *_settings_line(settings_file), "templates", f"{look.templates}: {why}")])
        overrides.append(look.templates)
    if loaded.profile.templates:
        folder = (loaded.folder / loaded.profile.templates).resolve()
        why = usable(folder)
        if why:
            raise ProfileError([loaded.source.problem(("templates",), f"'{loaded.profile.templates}' ({folder}): {why}")])
        overrides.append(folder)
    return overrides


def _settings_line(settings_file: Path | None) -> tuple[int | None, int | None]:
    from .yamlsource import load_yaml

    try:
        return load_yaml(settings_file).locate(("templates",))
    except SecorError:
        return None, None


def preflight_templates(plan: Plan, include_builtin: bool = True) -> None:
    """Every template parses and uses only variables the build provides, before anything is written.

    `build` leaves out the built-in templates (the test suite checks them against every sample profile) and checks
    a consultant's own templates every time."""
    known = set(plan.built.context) | {"doc", "item", "logo", "catalog", "binder", "register", "evidence"}
    builtin = templates_dir().resolve()
    for rel, tpl_path in plan.templates.items():
        if not include_builtin and tpl_path.resolve().is_relative_to(builtin):
            continue
        missing = undeclared_variables(tpl_path, plan.env) - known
        if missing:
            raise TemplateError(f"{tpl_path}: uses variables the build does not provide: {', '.join(locate_names(tpl_path, missing))}"
                                f" (secor-docs templates variables PROFILE lists them)")


def raw_inputs_key(path: Path, options: BuildOptions) -> tuple[str, str] | None:
    """(slug, fingerprint) of a build's raw inputs: the profile's bytes, the options, the settings file, every
    template folder, the built-in data and the logo. Reading them takes a tenth of what validating and planning the
    profile does. None when the profile cannot be read this way; the full build then reports why."""
    import hashlib

    from ruamel.yaml import YAML

    from .fingerprint import fingerprint
    from .limits import LOGO_BYTES, TEMPLATE_BYTES, read_limited
    from .render import template_files
    from .resources import data_dir
    from .settings import settings_path
    from .yamlsource import MAX_BYTES, nesting_problem

    try:
        raw = read_limited(path, MAX_BYTES)
        if nesting_problem(raw, str(path)) is not None:
            return None  # the C loader would overflow its stack
        data = YAML(typ="safe").load(raw)
        company = data["company"]
        legal = company["legal_name"]
        if not isinstance(legal, str) or not legal.strip():
            return None
        settings, settings_file = load_settings()
        folders = [Path(p) for p in options.templates]
        if settings.templates and settings_file is not None:
            folders.append(settings_file.parent / settings.templates)
        if data.get("templates"):
            folders.append(path.parent / str(data["templates"]))
        folders += [templates_dir(), data_dir()]
        config = settings_path()
        folder_hashes = []
        for folder in folders:
            rels = template_files(folder) if folder != data_dir() else sorted(
                f.relative_to(folder).as_posix() for f in folder.rglob("*") if f.is_file())
            folder_hashes.append([str(folder), {rel: hashlib.sha256(read_limited(folder / rel, TEMPLATE_BYTES)).hexdigest()
                                                for rel in rels}])
        logo = company.get("logo")
        named = (settings.audit_questions or {}).get(str(company.get("certifying_partner")))
        questions = (path.parent / str(data["audit_questions"]) if data.get("audit_questions")
                     else settings_file.parent / named if named and settings_file is not None else None)
        key = fingerprint({
            "options": [(options.as_of or date.today()).isoformat(), options.pdf, options.allow_ineligible, str(path.resolve()),
                        options.renew],
            "profile": hashlib.sha256(raw).hexdigest(),
            "settings": hashlib.sha256(read_limited(config, MAX_BYTES)).hexdigest() if config else None,
            "folders": folder_hashes,
            "logo": hashlib.sha256(read_limited(path.parent / str(logo), LOGO_BYTES)).hexdigest() if logo else None,
            # the partner's question list shapes every divider and the evidence index
            "questions": [str(questions), hashlib.sha256(read_limited(questions, MAX_BYTES)).hexdigest()] if questions else None,
        })
    except Exception:  # noqa: BLE001 - anything odd: the full build decides, with a proper message
        return None
    return slugify(legal), key


def unchanged_build(path: Path, options: BuildOptions, raw_key: tuple[str, str] | None, started: float) -> BuildResult | None:
    """The answer for a rebuild whose raw inputs (`raw_inputs_key`) are those of the last good build, or None to build."""
    if raw_key is None:
        return None
    slug, key = raw_key
    target = options.out / slug
    if not (target / MANIFEST).is_file():
        return None
    try:
        with build_lock(options.out, slug):
            previous = read_manifest(target)
            if (not previous or previous.get("raw_inputs_key") != key or edited_files(target, previous)
                    or not up_to_date(previous, previous.get("inputs_key"), target)):
                return None
    except (SecorError, OSError):
        return None
    return BuildResult(profile=path, company=previous["company"], slug=slug, ok=True, documents=len(previous["documents"]),
                       pages=(previous.get("binder") or {}).get("pages") or 0,
                       warnings=[w["message"] for w in previous.get("warnings") or [] if isinstance(w, dict) and w.get("code") == BUILD_NOTE],
                       findings=[w for w in previous.get("warnings") or [] if isinstance(w, dict) and w.get("code") != BUILD_NOTE],
                       changes=["Nothing changed since the last build; every file kept as it was."],
                       seconds=time.perf_counter() - started)


def build_one(path: Path, options: BuildOptions) -> BuildResult:
    """Build one profile into OUT/<slug>/; any SecorError is kept in the result, never half a build on disk."""
    started = time.perf_counter()
    raw_key = raw_inputs_key(path, options)
    unchanged = unchanged_build(path, options, raw_key, started)
    if unchanged is not None:
        log.info("%s: %.1f s (nothing changed)", path, unchanged.seconds)
        return unchanged
    result = BuildResult(profile=path)
    try:
        t0 = time.perf_counter()
        plan = plan_build(path, options.as_of, allow_ineligible=options.allow_ineligible, templates=options.templates,
                          check_templates=False)
        result.timings["load_and_plan"] = time.perf_counter() - t0
        result.company, result.slug = plan.loaded.profile.company.legal_name, plan.slug
        result.findings = [f.as_dict() for f in plan.findings]
        result.warnings = list(plan.template_warnings)
        if not plan.facts.eligible:
            result.warnings.append("built although not eligible for SECOR (--allow-ineligible)")
        prepare_out_dir(options.out)
        target = options.out / plan.slug
        with build_lock(options.out, plan.slug):
            refuse_links(target, sorted(BUILD_NAMES | {EVIDENCE, "edited-backup", "superseded-pdf"}))
            previous, replaced = previous_build(target, options.force, result.warnings)
            company = plan.loaded.profile.company
            check_same_company(target, previous, company.legal_name, company.wcb_account)
            edited = edited_files(target, previous)
            if edited and not options.force:
                raise EditedOutputError(
                    f"{target}: {len(edited)} file(s) changed by hand since the last build: {', '.join(edited[:6])}"
                    f"{' ...' if len(edited) > 6 else ''}; nothing was written. Save your changes elsewhere (or in a "
                    f"template), or rebuild with --force to keep a copy in edited-backup/ and replace them")
            if edited:
                backup = back_up(target, edited, datetime.now().strftime("%Y%m%d-%H%M%S"))
                result.warnings.append(f"{len(edited)} hand-edited file(s) copied to {backup} before rebuilding")
            apply_edition(plan, previous, options.renew)
            if keep_finding_due_dates(plan, previous):
                result.findings = [f.as_dict() for f in plan.findings]
            inputs = input_hashes(plan)
            key = inputs_key(plan, options, inputs)
            if not edited and up_to_date(previous, key, target):
                result.documents, result.pages = len(previous["documents"]), (previous.get("binder") or {}).get("pages") or 0
                result.changes, result.ok = ["Nothing changed since the last build; every file kept as it was."], True
                result.seconds = time.perf_counter() - started
                return result
            preflight_templates(plan, include_builtin=False)
            with staging_folder(options.out, plan.slug) as staging:
                manifest, conversion_error, report = write_outputs(
                    plan, staging, options, result.timings, previous, target, inputs,
                    keys=(key, raw_key[1] if raw_key else None),
                    warnings=result.findings + [build_note(w) for w in result.warnings])
                result.changes = report.lines()
                owned = sorted(p.name for p in staging.iterdir())
                if not options.pdf:
                    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
                    moved = set_aside_pdfs(target, previous, stamp)
                    if moved:
                        result.warnings.append(f"{len(moved)} PDF file(s) of the previous build moved to "
                                               f"{target / 'superseded-pdf' / stamp}: they show the previous Word files "
                                               f"(--no-pdf makes no PDF)")
                try:
                    kept = swap_in(staging, target, owned, owned_paths(previous) | replaced)
                except KeyboardInterrupt:  # held during the swap, delivered as it ends: say the truth
                    if not (staging / MANIFEST).exists():
                        raise BuildInterrupted([plan.loaded.profile.company.legal_name]) from None
                    raise
                if kept:
                    result.warnings.append(f"kept your own file(s) under a new name (secor-docs did not make them): "
                                           f"{', '.join(kept[:6])}{' ...' if len(kept) > 6 else ''}")
            t0 = time.perf_counter()
            profile = plan.loaded.profile
            try:  # the new build is in place: a failure here is a warning, never "the previous build is intact"
                make_evidence_folders(target / EVIDENCE, needed_records(plan.framework,
                                      plan.facts, bool(profile.equipment)), profile.program, profile.company.legal_name)
            except OSError as e:
                result.warnings.append(f"{target / EVIDENCE}: the evidence folders could not be created ({e.strerror or e}); "
                                       f"the binder itself was built")
            result.timings["evidence"] = result.timings.get("evidence", 0) + time.perf_counter() - t0
        result.documents = len(plan.documents)
        result.pages = manifest["binder"]["pages"] or 0
        result.ok = conversion_error is None
        result.error = conversion_error
    except SecorError as e:
        result.error = e
    except OSError as e:  # disk full, permissions, a folder that vanished: the previous build is untouched
        result.error = OutputError(f"{options.out}: cannot write the build: {e.strerror or e}")
    except Exception as e:  # noqa: BLE001 - a bug; recorded for this profile so the others still build
        if debug_requested():
            raise
        log.debug("internal error building %s", path, exc_info=True)
        result.error = InternalError(f"{path}: internal error: {type(e).__name__}: {e} (run with --debug for the "
                                     f"traceback, and please report it)")
    result.seconds = time.perf_counter() - started
    log.info("%s: %.1f s (%s)", path, result.seconds, ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items()))
    return result


def debug_requested() -> bool:
    """--debug: let an internal error show its traceback instead of recording it."""
    import os

    return os.environ.get("SECOR_DOCS_DEBUG") == "1"


def previous_build(target: Path, force: bool, warnings: list[str]) -> tuple[dict | None, set[str]]:
    """The previous manifest, and the files a forced rebuild over a damaged manifest backed up (it may replace them).

    A manifest that cannot be trusted stops the build (exit 6): rebuilding as if it were the first build would reset
    every revision and overwrite hand edits unseen. With --force every build file is copied to edited-backup/ first."""
    try:
        return read_manifest(target), set()
    except DamagedManifestError as e:
        if not force:
            raise DamagedManifestError(f"{e}; nothing was written. Restore manifest.json, or rebuild with --force to "
                                       f"copy the folder's build files to edited-backup/ and start a new revision "
                                       f"history") from None
        files = build_files(target)
        backup = back_up(target, files, datetime.now().strftime("%Y%m%d-%H%M%S"))
        warnings.append(f"{e}; {len(files)} build file(s) copied to {backup}; revisions start again at 1")
        return None, set(files)


def apply_edition(plan: Plan, previous: dict | None, renew: bool) -> None:
    """The program edition this build issues, now that the last build is known: the one in force on --as-of, or
    with `renew` a new one starting on --as-of (refused with a one-line error where that makes no sense)."""
    from .edition import plan_edition

    program = plan.loaded.profile.program
    edition, before, problem = plan_edition(program.effective_date, plan.as_of, previous, renew)
    if problem:
        raise InputError(f"{plan.loaded.path}: --renew: {problem}; nothing was written")
    plan.edition, plan.previous_edition = edition, before
    view = plan.built.context["program"]
    view.edition, view.year, view.edition_start, view.review_due = edition.name, edition.year, edition.start, edition.review_due


def keep_finding_due_dates(plan: Plan, previous: dict | None) -> bool:
    """A gap the previous build found keeps the date it was first found and the due date it was given then: the
    date a gap must be closed by does not move with each rebuild (findings.carry_forward). True when a date changed."""
    from .findings import carry_forward

    kept = carry_forward(plan.findings, previous, plan.as_of)
    if kept == tuple(plan.findings):
        return False
    plan.findings = kept
    show_findings(plan)
    return True


def show_findings(plan: Plan) -> None:
    """The template views that print findings: the gaps page and corrective action log, and the "to write by" date
    of each critical task without a procedure (its finding's due date)."""
    from .procedures import procedure_dues

    plan.built.context["findings"] = finding_views(plan.findings, plan.documents, plan.as_of)
    dues = procedure_dues(plan.findings, plan.loaded.profile)
    for view in plan.built.context["tasks"] + plan.built.context["critical_tasks"]:
        if view.procedure_to_write:
            view.procedure_due = dues.get((view.position_id, view.name), view.procedure_due)


def input_hashes(plan: Plan) -> dict:
    """What a build read besides the profile, file by file: the tool, each template, each built-in data file and the
    logo. Kept in the manifest so the next build can name exactly which of them changed."""
    from .fingerprint import tool_identity, tree_hashes
    from .resources import data_dir

    templates = sorted(set(plan.templates) | {"binder/cover.docx", "binder/contents.docx", "binder/divider.docx"})
    logo = plan.loaded.profile.company.logo
    return {"tool": tool_identity(),
            "templates": {rel: sha256(plan.search.find(rel)) for rel in templates},
            "data": tree_hashes(data_dir()),
            "logo": sha256((plan.loaded.folder / logo).resolve()) if logo else None,
            "questions": sha256(Path(plan.framework.source)) if plan.framework.source else None}


def inputs_key(plan: Plan, options: BuildOptions, inputs: dict | None = None) -> str:
    """A fingerprint of everything a build reads: same key, same outputs."""
    from .fingerprint import fingerprint

    return fingerprint({"as_of": plan.as_of.isoformat(), "options": [options.pdf, options.allow_ineligible, options.renew],
                        "profile": snapshot(plan.loaded.profile), "look": [plan.look.prepared_by, plan.look.brand],
                        "inputs": inputs or input_hashes(plan)})


def up_to_date(previous: dict | None, key: str, target: Path) -> bool:

    if not previous or not key or previous.get("inputs_key") != key:
        return False
    return all((target / rel).is_file() for rel in owned_paths(previous))


def write_outputs(plan: Plan, folder: Path, options: BuildOptions, timings: dict, previous: dict | None,
                  target: Path, inputs: dict | None = None, keys: tuple[str | None, str | None] = (None, None),
                  warnings: list[dict] | None = None) -> tuple[dict, ConversionError | None, ChangeReport]:
    """Every build-owned output, written into the staging folder, stage by stage; the manifest last, from what the
    stages returned. `keys` are the inputs and raw-inputs fingerprints recorded for the next build."""
    # Imported here: a build with nothing to do never needs the Word, PDF and calendar libraries.
    from .binder import produce_pdfs
    from .documents import DocumentRenderer, plan_records
    from .manifest import build_manifest
    from .records import BinderFiles
    from .records_calendar import build_calendar
    from .revisions import issue_documents, reusable_pdfs

    t0 = time.perf_counter()
    planned = plan_records(plan, previous)
    renderer = DocumentRenderer(plan)
    previous_pages = {d["id"]: d.get("binder_page") for d in (previous or {}).get("documents", [])} if options.pdf else {}
    issued, report = issue_documents(plan, renderer, planned, folder, previous, target, inputs, options.jobs, previous_pages)
    timings["render"] = time.perf_counter() - t0
    converted, binder, conversion_error = None, BinderFiles(), None
    if options.pdf:
        try:
            converted, binder = produce_pdfs(plan, renderer, issued, folder, options.jobs, timings,
                                             reusable_pdfs(issued, previous, target), previous, target)
        except ConversionError as e:
            if disk_nearly_full(folder):
                raise OutputError(f"{target}: the disk is full ({e}); nothing was written, the previous build is "
                                  f"unchanged") from None
            if previous is not None:  # never trade a complete build for one without PDFs
                raise ConversionError(f"{e}; nothing was written: the previous build in {target} is unchanged "
                                      f"(build with --no-pdf for the Word files alone)") from None
            conversion_error = e  # a first build: the Word files are still delivered; the exit status says PDF is missing
            for stale in list((folder / "documents").glob("*.pdf")) + [folder / "binder.pdf", folder / "binder.docx"]:
                stale.unlink(missing_ok=True)
            shutil.rmtree(folder / ".front", ignore_errors=True)
    t0 = time.perf_counter()
    pages = {d.doc.id: c.binder_page for d, c in zip(issued, converted)} if converted else {}
    write_index_csv(renderer.evidence_view(pages).rows, folder / "evidence-index.csv")
    positions = [(p.id, p.title) for p in plan.loaded.profile.positions]
    reviews: dict = {}
    for doc in issued:
        reviews.setdefault(doc.control.next_review, []).append(doc.doc.id)
    (folder / "records-calendar.ics").write_bytes(build_calendar(plan.loaded.profile, plan.facts, plan.slug, positions,
                                                                 sorted(reviews.items())))
    from .findings import markdown as findings_markdown

    changes_md = report.markdown(plan.loaded.profile.company.legal_name, plan.as_of.isoformat()) + "\n" + findings_markdown(plan.findings)
    (folder / "CHANGES.md").write_text(changes_md, encoding="utf-8")
    timings["evidence"] = time.perf_counter() - t0
    ok = conversion_error is None
    manifest = build_manifest(plan, issued, converted, binder, folder, inputs=inputs, framework=renderer.framework.key,
                              inputs_key=keys[0] if ok else None, raw_inputs_key=keys[1] if ok else None,
                              warnings=warnings or [])
    write_manifest(folder, manifest)
    return manifest, conversion_error, report


DISK_RESERVE = 32 * 1024 * 1024  # below this much free space a failed conversion is taken for a full disk


def disk_nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < DISK_RESERVE
    except OSError:
        return False


def set_aside_pdfs(target: Path, previous: dict | None, stamp: str) -> list[str]:
    """A --no-pdf build makes no PDF: the previous build's PDFs would no longer match its Word files, so they move to
    superseded-pdf/<stamp>/ (never deleted) and the build says so."""
    moved = []
    for rel in sorted(owned_paths(previous)):
        src = target / rel
        if not rel.endswith(".pdf") or rel.startswith(".binder-parts/") or links_below(target, src) or not src.is_file():
            continue
        dest = target / "superseded-pdf" / stamp / rel
        refuse_link(target / "superseded-pdf")
        dest.parent.mkdir(parents=True, exist_ok=True)
        src.rename(dest)
        moved.append(rel)
    return moved


def run_build(options: BuildOptions, progress=None) -> list[BuildResult]:
    """Build every profile; a profile that fails does not stop the others.

    With several profiles and --jobs N, N profiles build at once (one converter each); with one profile, N
    converters share its documents. `progress(result, done, total)` is called as each profile finishes.
    """
    paths = expand_profiles(options.profiles)
    if options.pdf:
        from .limits import convert_timeout

        try:
            convert_timeout(1)
        except ValueError as e:
            raise InputError(str(e)) from None
    clashes = output_clashes(paths)
    built = _build_all([p for p in paths if p not in clashes], options, progress, len(paths))
    by_path = {r.profile: r for r in built} | {p: BuildResult(profile=p, error=clash_error(p, why)) for p, why in clashes.items()}
    results = [by_path[p] for p in paths]
    if len(paths) > 1:
        write_portfolio(options.out, results)
    return results


def clash_error(path: Path, why: str) -> SecorError:
    """A clashing profile that is also invalid reports its own problems: they are what the user must fix first."""
    try:
        load_profile(path)
    except SecorError as e:
        return e
    return InputError(f"{path}: {why}")


def output_clashes(paths: list[Path]) -> dict[Path, str]:
    """Profiles whose company name gives the same output folder as an earlier profile in the batch."""
    from .yamlsource import load_yaml

    seen: dict[str, Path] = {}
    clashes: dict[Path, str] = {}
    for path in paths:
        try:
            data = load_yaml(path).data
            name = data.get("company", {}).get("legal_name") if isinstance(data.get("company"), dict) else None
        except SecorError:
            continue  # reported properly when the profile itself is built
        if not isinstance(name, str):
            continue
        slug = slugify(name)
        if slug in seen:
            clashes[path] = f"company.legal_name '{name}' gives the same output folder ({slug}) as {seen[slug]}; each company needs its own legal name"
        else:
            seen[slug] = path
    return clashes


def _build_all(paths: list[Path], options: BuildOptions, progress, total: int) -> list[BuildResult]:
    if len(paths) <= 1 or options.jobs == 1:
        results = []
        try:
            for path in paths:
                results.append(build_one(path, options))
                if progress:
                    progress(results[-1], len(results), total)
        except KeyboardInterrupt as e:
            raise BuildInterrupted(_built_names(results) + list(getattr(e, "built", []))) from None
        return results
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from dataclasses import replace

    single = replace(options, jobs=1)
    done: dict[Path, BuildResult] = {}
    pool = ProcessPoolExecutor(max_workers=min(options.jobs, len(paths)), initializer=_worker_signals)
    futures = {}
    try:
        futures = {pool.submit(_build_in_worker, path, single): path for path in paths}
        for future in as_completed(futures):
            path = futures[future]
            try:
                done[path] = future.result()
            except KeyboardInterrupt:
                raise
            except Exception as e:  # noqa: BLE001 - a worker died (crash, out of memory): that profile failed
                done[path] = BuildResult(profile=path, error=InternalError(
                    f"{path}: internal error: the build process stopped ({type(e).__name__}: {e}); "
                    f"the previous build of this company is unchanged"))
            if progress:
                progress(done[path], len(done), total)
    except KeyboardInterrupt:
        built = _stop_workers(pool, futures) + _built_names(list(done.values()))
        raise BuildInterrupted(sorted(set(built))) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [done[p] for p in paths]


def _built_names(results: list[BuildResult]) -> list[str]:
    return [r.company for r in results if r.ok or (r.error is not None and r.error.exit_code == 4)]


def _stop_workers(pool, futures: dict) -> list[str]:
    """Ctrl-C or SIGTERM: queued profiles are not started, running ones stop (each worker unwinds: its converters
    are killed and its staging folder removed). Returns the companies whose build still completed."""
    import os
    import signal

    for future in futures:
        future.cancel()
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            os.kill(proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    pool.shutdown(wait=True, cancel_futures=True)
    built = []
    for future in futures:
        if future.cancelled() or not future.done():
            continue
        error = future.exception()
        if error is None:
            built += _built_names([future.result()])
        else:
            built += list(getattr(error, "built", []))
    return built


_worker_state = {"building": False, "stopping": False}


def _worker_signals() -> None:
    """In a parallel build's worker: the first SIGINT or SIGTERM stops the build it is running (a second one is
    ignored, so the clean-up is not cut short); an idle worker just takes no more work."""
    import signal

    def stop(signum, frame):
        if _worker_state["stopping"]:
            return
        _worker_state["stopping"] = True
        if _worker_state["building"]:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def _build_in_worker(path: Path, options: BuildOptions) -> BuildResult:
    if _worker_state["stopping"]:
        raise KeyboardInterrupt
    _worker_state["building"] = True
    try:
        return build_one(path, options)
    finally:
        _worker_state["building"] = False


BUILD_NOTE = "build-note"


def build_note(message: str) -> dict:
    """A note about the build itself (not the program) in the manifest's `warnings`, shaped like a finding."""
    return {"code": BUILD_NOTE, "severity": "note", "message": message, "action": "", "owner": "", "due": None,
            "found": None, "documents": []}


def write_portfolio(out: Path, results: list[BuildResult]) -> Path:
    """portfolio.csv: one line per company, for consultants building many clients."""
    from .csvout import csv_text
    from .safefs import write_text

    out.mkdir(parents=True, exist_ok=True)
    path = out / "portfolio.csv"
    rows = []
    for r in results:
        errors = sum(1 for f in r.findings if f["severity"] == "error")
        codes = " ".join(sorted({f["code"] for f in r.findings}))
        rows.append([str(r.profile), r.company, "built" if r.ok else "failed", r.documents, r.pages,
                     len(r.findings) + len(r.warnings), f"{r.seconds:.1f}",
                     "" if r.ok else " | ".join(r.error.lines()), errors, codes])
    write_text(path, csv_text(["profile", "company", "status", "documents", "pages", "warnings", "seconds", "error",
                               "finding_errors", "finding_codes"], rows))
    return path


def check_readiness(path: Path, evidence: Path | None, as_of: date | None, months: int | None = None):
    """The `check` command: readiness of one profile's evidence folder."""
    from .outputs import slugify
    from .readiness import readiness

    plan = plan_build(path, as_of, allow_ineligible=True)
    profile = plan.loaded.profile
    evidence = evidence or Path("build") / slugify(profile.company.legal_name) / EVIDENCE
    if not evidence.is_dir():
        raise InputError(f"{evidence}: evidence folder not found (build first, or pass --evidence DIR)")
    courses = {k: c.name for k, c in load_library().training.items()}
    settings, _ = load_settings()
    rules = window_rules(plan.framework, (settings.certificate_rules or {}).get(plan.framework.key))
    report = readiness(profile, plan.facts, plan.framework, evidence,
                       plan.built.obligations.training, months, bool(profile.equipment), courses, rules)
    from .revisions import overdue_documents

    try:
        built = read_manifest(evidence.parent)
    except SecorError:
        built = None  # a damaged manifest: `build` reports it; readiness of the records still stands
    report.overdue_documents = overdue_documents(built, plan.as_of)
    report.gaps += [f"{d}: past its review date" for d in report.overdue_documents]
    return report
