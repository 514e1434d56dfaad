"""The app factory and its pages. Views only gather and format; the rules live in the library modules."""
from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import tempfile
import zipfile
from datetime import date
from pathlib import Path

from flask import (Flask, abort, flash, jsonify, redirect, render_template, request, send_file, url_for)
from werkzeug.exceptions import HTTPException

from ..library import load_library
from ..outputs import slugify
from ..starter import starter_profile
from . import editing, state, wizard
from .builds import Builds
from .security import check_csrf, csrf_token, host_is_local, inside, profile_path

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_TYPES = {  # extension: leading bytes it must start with (None: any text or office file)
    "pdf": (b"%PDF-",), "png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",),
    "docx": (b"PK\x03\x04",), "xlsx": (b"PK\x03\x04",), "odt": (b"PK\x03\x04",), "ods": (b"PK\x03\x04",),
    "heic": None, "txt": None, "csv": None,
}
LOCAL_FILES = [("company", "logo"), ("templates",), ("audit_questions",)]  # paths a profile names, kept in the folder


def local_name(value: str) -> bool:
    from pathlib import PurePosixPath, PureWindowsPath
    parts = PurePosixPath(value.replace("\\", "/")).parts
    return bool(value.strip()) and not PurePosixPath(value).is_absolute() and not PureWindowsPath(value).is_absolute() \
        and ".." not in parts and "\x00" not in value


DOWNLOADS = {"binder.pdf": "application/pdf", "binder.docx": None, "CHANGES.md": "text/markdown",
             "evidence-index.csv": "text/csv", "records-calendar.ics": "text/calendar"}


def create_app(folder: Path, out: Path, as_of: date | None = None, pdf: bool = True) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secrets.token_bytes(32), MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES + 1_000_000,
                      SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_HTTPONLY=True, TEMPLATES_AUTO_RELOAD=False)
    folder, out = Path(folder).resolve(), Path(out).resolve()
    builds = Builds(out, as_of)
    library = load_library()
    app.extensions["secor"] = {"folder": folder, "out": out, "builds": builds}

    def today() -> date:
        return as_of or date.today()

    @app.before_request
    def guard():
        if not host_is_local(request.host):
            abort(400, description="This app only answers to localhost. Open it at the address `secor-docs serve` printed.")
        if request.method == "POST":
            check_csrf()

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.errorhandler(Exception)
    def error_page(e):
        if isinstance(e, HTTPException):
            code, title, text = e.code or 500, e.name, e.description
        else:
            log.exception("internal error")
            code, title, text = 500, "Something went wrong", (
                f"secor-docs hit an internal error ({type(e).__name__}). Nothing was changed by this request. "
                "Please report it with the terminal output of `secor-docs serve`.")
        if code == 404:
            text = "There is no such page or file here. It may have been renamed or it is outside the profiles folder."
        if code == 413:
            text = f"The file is too large. Files up to {MAX_UPLOAD_BYTES // 1024 // 1024} MB can be filed."
        return render_template("error.html", code=code, title=title, text=text), code

    install_filters(app, library)

    @app.context_processor
    def common():
        return {"csrf_token": csrf_token, "folder": folder, "sections": editing.sections()}

    # ---- helpers ----------------------------------------------------------------------------------------------

    def company(name: str) -> dict:
        path = profile_path(folder, name)
        legal = state.legal_name(path)
        slug = slugify(legal) if legal else None
        check = state.validate(path, as_of)
        build = state.last_build(out, slug) if slug else None
        try:
            data = editing.plain(editing.load_tree(path))
        except Exception:  # noqa: BLE001 - not YAML: the problems list says so
            data = {}
        return {"file": name, "path": path, "name": legal or name, "slug": slug, "check": check, "build": build, "data": data}

    def expected_documents(c: dict) -> int | None:
        plan = c["check"].plan
        return len(plan.documents) if plan is not None else (len(c["build"].documents) if c["build"] else None)

    # ---- pages ------------------------------------------------------------------------------------------------

    @app.get("/")
    def index():
        rows = []
        for path in sorted(p for p in folder.glob("*.y*ml") if p.is_file() and not p.is_symlink() and p.suffix in (".yaml", ".yml")):
            c = company(path.name)
            ready = None
            if c["slug"] and c["check"].plan is not None:
                ready = state.readiness_of(path, state.evidence_folder(out, c["slug"]), as_of)
            c["ready"] = ready
            c["status"] = builds.status(c["slug"]) if c["slug"] else {"state": "idle"}
            rows.append(c)
        return render_template("index.html", companies=rows)

    @app.get("/c/<name>")
    def overview(name):
        c = company(name)
        status = builds.status(c["slug"], expected_documents(c)) if c["slug"] else {"state": "idle"}
        return render_template("company.html", c=c, status=status, pdf_default=pdf)

    @app.route("/c/<name>/edit/<section>", methods=["GET", "POST"])
    def edit(name, section):
        path = profile_path(folder, name)
        try:
            specs = editing.section_specs(section)
        except KeyError:
            abort(404)
        anchor = ""
        if request.method == "POST":
            try:
                doc = editing.load_tree(path)
            except Exception as e:  # noqa: BLE001 - a file broken by hand: say so, change nothing
                abort(409, description=f"{name} cannot be read as YAML ({e}); fix it in a text editor first.")
            if request.form.get("_version") and request.form.get("_version") != editing.version(path):
                flash("The profile was changed elsewhere (another tab or a text editor) after this page was opened; "
                      "nothing was saved. The page now shows the current file: make your change again.", "error")
                return redirect(url_for("edit", name=name, section=section))
            for spec in specs:
                editing.apply_fields(doc, [spec], (), request.form)
            removing = request.form.get("_remove")
            adding = request.form.get("_add")
            mine = {k for s, _, keys in editing.sections() if s == section for k in keys}
            try:
                if removing:
                    target = editing.parse_path(removing)
                    if not target or target[0] not in mine:
                        abort(400, description="That item is not on this page.")
                    editing.remove_row(doc, target)
                if adding:
                    target = editing.parse_path(adding)
                    if not target or target[0] not in mine:
                        abort(400, description="That list is not on this page.")
                    index_ = editing.add_row(doc, target)
                    anchor = "row-" + anchor_of(editing.format_path(target + (index_,)))
            except (KeyError, IndexError, TypeError, AttributeError):
                abort(400, description="That list is not in the profile any more; reload the page.")
            for where in LOCAL_FILES:
                value = editing.lookup(doc, where)
                if isinstance(value, str) and not local_name(value):
                    abort(400, description=f"{editing.format_path(where)} must name a file or folder inside the profiles "
                                           f"folder (no '..', no absolute path); nothing was saved.")
            editing.write_atomically(path, editing.dump_tree(doc))
            check = state.validate(path, as_of)
            mine = [m for m in check.errors if m.section == section]
            if not adding and not removing:
                if check.valid:
                    flash("Saved. The profile is complete and valid.", "ok")
                elif mine:
                    flash(f"Saved, but {len(mine)} problem(s) on this page need fixing before a build (shown in red).", "error")
                else:
                    flash(f"Saved this page. Other pages still have {len(check.errors)} problem(s).", "error")
            return redirect(url_for("edit", name=name, section=section) + (f"#{anchor}" if anchor else ""))
        try:
            data = editing.plain(editing.load_tree(path))
        except Exception as e:  # noqa: BLE001
            abort(409, description=f"{name} cannot be read as YAML ({e}); fix it in a text editor first.")
        check = state.validate(path, as_of)
        rendered = rendered_paths(specs, data)
        errors = state.by_field([m for m in check.errors if m.section == section], rendered)
        warnings = state.by_field([m for m in check.warnings if m.section == section], rendered)
        others = [m for m in check.errors if m.section != section]
        keep = [k for s, _, keys in editing.sections() if s == section for k in keys
                if k in data and not any(sp.name == k for sp in specs)]
        return render_template("edit.html", name=name, title=state.legal_name(path) or name, section=section,
                               version=editing.version(path),
                               specs=specs, data=data, errors=errors, warnings=warnings, others=others,
                               choices=choices(data), keep=keep, check=check)

    @app.post("/c/<name>/build")
    def start_build(name):
        c = company(name)
        if not c["check"].valid or not c["slug"]:
            flash("Fix the profile's problems first; a build needs a valid profile.", "error")
        elif not builds.start(c["path"], c["slug"], request.form.get("pdf") == "on"):
            flash("A build of this company is already running; it is shown below.", "error")
        return redirect(url_for("overview", name=name) + "#build")

    @app.get("/c/<name>/build/status")
    def build_status(name):
        c = company(name)
        return jsonify(builds.status(c["slug"], expected_documents(c)) if c["slug"] else {"state": "idle"})

    @app.get("/c/<name>/download/<what>")
    def download(name, what):
        c = company(name)
        if not c["build"]:
            abort(404)
        if what == "all.zip":
            return send_file(zip_of(c["build"].folder), as_attachment=True, download_name=f"{c['slug']}.zip",
                             mimetype="application/zip")
        if what not in DOWNLOADS:
            abort(404)
        target = inside(c["build"].folder, what)
        if not target.is_file():
            abort(404)
        return send_file(target, as_attachment=True, download_name=f"{c['slug']}-{what}" if what.startswith("binder") else what,
                         mimetype=DOWNLOADS[what])

    @app.get("/c/<name>/documents/<path:doc>")
    def document(name, doc):
        c = company(name)
        if not c["build"] or "/" in doc:
            abort(404)
        known = {Path(d.get(k) or "").name for d in c["build"].documents for k in ("docx", "pdf") if d.get(k)}
        if doc not in known:
            abort(404)
        return send_file(inside(c["build"].folder, "documents", doc), as_attachment=True, download_name=doc)

    @app.route("/c/<name>/readiness", methods=["GET"])
    def readiness(name):
        c = company(name)
        evidence = state.evidence_folder(out, c["slug"]) if c["slug"] else None
        report = state.readiness_of(c["path"], evidence, as_of) if evidence and c["check"].valid else None
        return render_template("readiness.html", c=c, report=report, today=today().isoformat(),
                               types=", ".join(sorted(UPLOAD_TYPES)), max_mb=MAX_UPLOAD_BYTES // 1024 // 1024)

    @app.post("/c/<name>/upload")
    def upload(name):
        c = company(name)
        report = state.readiness_of(c["path"], state.evidence_folder(out, c["slug"]), as_of) if c["slug"] and c["check"].valid else None
        if report is None:
            abort(409, description="Build the binder first: the build makes the evidence folders.")
        folders = {r.folder for r in report.records}
        chosen = request.form.get("folder", "")
        if chosen not in folders:
            abort(400, description="Choose one of the evidence folders listed on the page.")
        stored = file_record(state.evidence_folder(out, c["slug"]), chosen, request.files.get("file"),
                             request.form.get("date", ""), request.form.get("description", ""))
        flash(f"Filed as {chosen}/{stored}.", "ok")
        return redirect(url_for("readiness", name=name) + "#upload")

    @app.route("/new", methods=["GET", "POST"])
    def new_client():
        industry = request.values.get("industry", "")
        if industry not in library.industries:
            return render_template("new_industry.html", industries=sorted(library.industries.items()))
        ind = library.industries[industry]
        form = wizard.defaults(industry, library, today()) | (request.form.to_dict() if request.method == "POST" else {})
        if request.method == "POST":
            if request.form.get("away") is None:
                form.pop("away", None)
            for i in range(len(ind.equipment)):
                if request.form.get(f"eq-{i}-use") is None:
                    form.pop(f"eq-{i}-use", None)
        errors = wizard.check(form, industry, library) if request.method == "POST" else {}
        target = None
        if request.method == "POST" and not errors:
            filename = slugify(form["legal_name"]) + ".yaml"
            target = folder / filename
            if target.exists() or target.is_symlink():
                errors["legal_name"] = f"A profile for this company already exists ({filename}); open it from the list instead."
        if request.method == "GET" or errors:
            return render_template("new.html", industry=industry, ind=ind, form=form, errors=errors, library=library,
                                   rows=wizard.PEOPLE_ROWS, extra=wizard.EXTRA_EQUIPMENT_ROWS,
                                   alone=wizard.has_working_alone(industry, library), roles=wizard.ROLES,
                                   employment=wizard.EMPLOYMENT, positions=[(p.id, p.title) for p in ind.positions])
        text = starter_profile(wizard.answers(form, industry, library), library)
        with open(target, "x", encoding="utf-8") as f:  # never replaces a file that appeared meanwhile
            f.write(text)
        check = state.validate(target, as_of)
        flash(f"Created {target.name}." + (" It is complete: review each page, then build." if check.valid else
                                           f" {len(check.errors)} problem(s) remain; they are listed below."),
              "ok" if check.valid else "error")
        return redirect(url_for("overview", name=target.name))

    # ---- pieces -----------------------------------------------------------------------------------------------

    def choices(data: dict) -> dict[str, list[tuple[str, str]]]:
        positions = [(p.get("id", ""), f"{p.get('title', '')} ({p.get('id', '')})") for p in data.get("positions") or [] if isinstance(p, dict)]
        people = [(p.get("name", ""), p.get("name", "")) for p in data.get("people") or [] if isinstance(p, dict)]
        return {
            "industries": [(k, i.name) for k, i in sorted(library.industries.items())],
            "partners": [(k, f.get("name", k)) for k, f in sorted(library.frameworks.items())],
            "hazards": sorted(((k, h.name) for k, h in library.hazards.items()), key=lambda x: x[1].lower())
                       + [(h.get("id"), f"{h.get('name')} (company hazard)") for p in data.get("positions") or [] if isinstance(p, dict)
                          for h in p.get("custom_hazards") or [] if isinstance(h, dict) and h.get("id")],
            "emergencies": sorted(((k, e.name) for k, e in library.emergencies.items()), key=lambda x: x[1].lower()),
            "equipment": sorted(((k, e.name) for k, e in library.equipment.items()), key=lambda x: x[1].lower()),
            "positions": positions, "people": people,
        }

    def rendered_paths(specs, data) -> set[tuple]:
        found: set[tuple] = set()

        def walk(specs, node, prefix):
            for spec in specs:
                path = prefix + (spec.name,)
                found.add(path)
                value = node.get(spec.name) if isinstance(node, dict) else None
                if spec.widget == "group":
                    walk(spec.children, value or {}, path)
                elif spec.widget == "rows":
                    for i, item in enumerate(value or []):
                        found.add(path + (i,))
                        walk(spec.children, item if isinstance(item, dict) else {}, path + (i,))
        walk(specs, data, ())
        return found

    return app


def anchor_of(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "-", path).strip("-")


def install_filters(app: Flask, library) -> None:
    from markupsafe import Markup, escape

    from ..yamlsource import format_path

    section_labels = {slug: label for slug, label, _ in editing.sections()}
    app.jinja_env.globals.update(fmt=format_path, human_path=state.human_path, section_label=lambda s: section_labels.get(s, s), anchor=anchor_of)

    @app.template_global()
    def row_title(item, number):
        if isinstance(item, dict):
            for key in ("name", "title", "course", "id"):
                if item.get(key):
                    return str(item[key])
        return f"new item {number}"

    @app.template_global()
    def singular(name: str) -> str:
        return {"people": "a person", "positions": "a position", "tasks": "a task", "sites": "a site",
                "equipment": "equipment", "training": "a training record", "emergency_contacts": "a number",
                "custom_hazards": "a company hazard", "bands": "a band"}.get(name, "one")

    app.jinja_env.filters["pair"] = lambda v: (v, v.replace("_", " "))
    app.jinja_env.filters["partner_choice"] = lambda kv: (kv[0], f"{kv[0]}: {kv[1].get('name', kv[0])}")
    app.jinja_env.tests["is_iso"] = lambda v: bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(v)))

    @app.template_filter("label_of")
    def label_of(key, source, choices):
        return dict(choices.get(source, [])).get(key, key)

    @app.template_filter("markdown")
    def markdown(text: str):
        """The few Markdown forms CHANGES.md uses: headings, bullets, `code` and **bold**; everything escaped first."""
        html, in_list = [], False
        for line in (text or "").splitlines():
            body = str(escape(line.lstrip("#- ").strip()))
            body = re.sub(r"`([^`]+)`", r"<code>\1</code>", body)
            body = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", body)
            item = line.lstrip().startswith(("- ", "* "))
            if in_list and not item:
                html.append("</ul>")
                in_list = False
            if item:
                if not in_list:
                    html.append("<ul>")
                    in_list = True
                html.append(f"<li>{body}</li>")
            elif line.startswith("#"):
                level = min(len(line) - len(line.lstrip("#")) + 2, 5)
                html.append(f"<h{level}>{body}</h{level}>")
            elif body:
                html.append(f"<p>{body}</p>")
        if in_list:
            html.append("</ul>")
        return Markup("\n".join(html))


def zip_of(folder: Path):
    """Everything the build folder holds (binder, documents, index, calendar, evidence), no hidden files or links."""
    tmp = tempfile.TemporaryFile()
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if any(part.startswith(".") for part in rel.parts) or path.is_symlink() or not path.is_file():
                continue
            z.write(path, rel.as_posix())
    tmp.seek(0)
    return tmp


SAFE_DESCRIPTION = re.compile(r"[^A-Za-z0-9 ,'()&+-]+")


def file_record(evidence: Path, folder: str, upload, day: str, description: str) -> str:
    """Store an uploaded record as `YYYY-MM-DD description.ext` in its evidence folder; never overwrite."""
    if upload is None or not upload.filename:
        abort(400, description="Choose a file to upload.")
    ext = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
    if ext not in UPLOAD_TYPES:
        abort(400, description=f"Files of type '.{ext}' cannot be filed; use one of: {', '.join(sorted(UPLOAD_TYPES))}.")
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(400, description="Give the date the record was made, as YYYY-MM-DD.")
    words = " ".join(SAFE_DESCRIPTION.sub(" ", description).split())[:80].strip(" .")
    if not words:
        abort(400, description="Describe the record in a few words, e.g. 'monthly inspection shop'.")
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        abort(413)
    magic = UPLOAD_TYPES[ext]
    if magic is not None and not data.startswith(magic):
        abort(400, description=f"The file does not look like a .{ext} file.")
    target_dir = inside(evidence, *folder.split("/"))
    if not target_dir.is_dir():
        abort(409, description="The evidence folder is missing; build the binder again to recreate it.")
    base = f"{when.isoformat()} {words}"
    for n in range(1, 100):
        name = f"{base}.{ext}" if n == 1 else f"{base} ({n}).{ext}"
        try:
            fd = os.open(inside(target_dir, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return name
    abort(409, description="Too many records with this date and description.")
