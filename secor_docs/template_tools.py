"""`secor-docs templates export|check`: copy the built-in Word templates out, and check an edited set."""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from .catalog import load_catalog
from .errors import InputError, TemplateError
from .resources import templates_dir
from .safefs import mkdirs, write_bytes


def export_templates(target: Path, force: bool = False) -> list[Path]:
    if target.exists() and any(target.iterdir()) and not force:
        raise InputError(f"{target}: folder is not empty; use --force to overwrite the files in it")
    written = []
    for source in sorted(templates_dir().rglob("*.docx")):
        rel = source.relative_to(templates_dir())
        dest = target / rel
        mkdirs(dest.parent, target)
        write_bytes(dest, source.read_bytes(), target)  # a link planted in the folder is refused, never written through
        written.append(dest)
    return written


def check_templates(folder: Path, profile: Path, as_of: date | None) -> list[str]:
    """Problems in a consultant's template folder: broken tags, unknown variables, and a trial render of each
    overriding template against `profile` (which catches unknown attributes such as company.nmae)."""
    from .documents import DocumentRenderer, catalog_view, plan_records
    from .pipeline import plan_build
    from .render import check_tags, locate_names, make_env, undeclared_variables

    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    problems: list[str] = []
    env = make_env()
    from dataclasses import replace

    plan = plan_build(profile, as_of, allow_ineligible=True)
    known = set(plan.built.context) | {"doc", "item", "logo", "catalog", "binder", "register", "evidence"}
    used = {d.template for d in load_catalog().documents} | {"binder/cover.docx", "binder/contents.docx", "binder/divider.docx"}
    renderer = DocumentRenderer(plan)
    controls = {rec.id: rec.control for rec in plan_records(plan)}
    catalog = catalog_view(plan.documents, controls)
    scratch_dir = tempfile.TemporaryDirectory(prefix="secor-check-")  # private: never a file in the checked folder
    scratch = Path(scratch_dir.name) / "check.docx"
    try:
        for path in sorted(folder.rglob("*.docx")):
            if path.name.startswith((".", "~$")):
                continue
            rel = path.relative_to(folder).as_posix()
            if rel not in used:
                problems.append(f"{path}: overrides nothing (no catalog document uses '{rel}')")
                continue
            try:
                stat = path.stat()
                check_tags(str(path), stat.st_mtime_ns, stat.st_size)
                missing = undeclared_variables(path, env) - known
                if missing:
                    problems.append(f"{path}: unknown variables: {', '.join(locate_names(path, missing))}")
                    continue
                doc = next((d for d in plan.documents if d.template == rel), None)
                if doc is not None:
                    renderer.plan = replace(plan, templates={**plan.templates, rel: path})
                    renderer.render(doc, controls[doc.id], scratch, catalog)
            except TemplateError as e:
                problems.append(str(e))
    finally:
        scratch_dir.cleanup()
    return problems
