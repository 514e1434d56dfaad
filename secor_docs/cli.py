"""Command line: parse, call the library, report. No domain logic here."""
from __future__ import annotations

import functools
import logging
import signal
import os
import sys
from datetime import date
from pathlib import Path

import click

from . import __version__
from .errors import SecorError

log = logging.getLogger("secor_docs")


def _as_of(ctx, param, value):
    if value is None:
        return None
    from .limits import as_of_problem

    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date YYYY-MM-DD; got {value!r}") from None
    problem = as_of_problem(day)
    if problem:
        raise click.BadParameter(problem.replace("--as-of ", "", 1))
    return day


def _terminate(signum, frame):
    raise KeyboardInterrupt


BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool stopped by a closed pipe


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's final flush does not fail again on the closed pipe."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def reported(fn):
    """Turn every SecorError into its one-line messages and exit status; anything else is a bug."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return fn(*args, **kwargs)
        except SecorError as e:
            for line in e.lines():
                click.echo(f"error: {line}" if not line.startswith(("/", ".")) and ":" not in line.split(" ")[0] else line, err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt as e:
            built = getattr(e, "built", None)
            if built:
                click.echo(f"interrupted; the new build of {', '.join(built)} was completed before the stop; every "
                           f"other company's previous build is unchanged", err=True)
            else:
                click.echo("interrupted; the previous build is unchanged", err=True)
            sys.exit(130)
        except (click.exceptions.ClickException, click.exceptions.Exit):
            raise
        except click.exceptions.Abort:  # a prompt met the end of input, or Ctrl-C at a prompt
            click.echo("aborted: no answer to a question (end of input); nothing was written", err=True)
            sys.exit(1)
        except BrokenPipeError:  # stdout closed early (`secor-docs list hazards | head`): stop quietly
            _silence_stdout()
            sys.exit(BROKEN_PIPE)
        except Exception as e:  # a bug in secor-docs, not the user's mistake
            if debug:
                raise
            click.echo(f"internal error: {type(e).__name__}: {e} (run with --debug for the traceback, and please report it)", err=True)
            sys.exit(70)
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="secor-docs")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug logs).")
def main(debug: bool, verbose: int) -> None:
    """Generate an Alberta SECOR health and safety program binder from a company profile."""
    # SIGTERM unwinds like Ctrl-C, so staging folders and converters are cleaned up and the previous build stays.
    signal.signal(signal.SIGTERM, _terminate)
    if debug:
        import os

        os.environ["SECOR_DOCS_DEBUG"] = "1"  # read by the build: internal errors keep their traceback
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def default_jobs() -> int:
    """One LibreOffice per CPU (each needs ~200 MB), at most four."""
    import os

    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


@main.command()
@click.argument("profiles", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("build"), show_default=True, help="Output folder.")
@click.option("--as-of", callback=_as_of, help="Date used instead of today (YYYY-MM-DD) for reproducible builds.")
@click.option("--no-pdf", is_flag=True, help="Write Word files only; skip LibreOffice.")
@click.option("--jobs", type=click.IntRange(1, 32), default=lambda: default_jobs(), show_default="CPUs, at most 4",
              help="Parallel LibreOffice converters for one profile, or profiles built at once for several.")
@click.option("--force", is_flag=True, help="Rebuild over hand-edited output after backing it up.")
@click.option("--allow-ineligible", is_flag=True, help="Build even when the employer has more than 10 people.")
@click.option("--templates", "templates", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder of template overrides (searched before the built-in set).")
@click.option("--strict", is_flag=True, help="Exit 1 when the program has findings (errors or warnings), after building.")
@click.option("--renew", is_flag=True, help="Issue the next program edition now, before its annual review date: every "
              "document is reviewed, next review a year on. Refused for a first build or within the edition's own year.")
@reported
def build(profiles, out, as_of, no_pdf, jobs, force, allow_ineligible, templates, strict, renew) -> None:
    """Build one binder per profile (a folder means every *.yaml in it) into OUT/<slug>/."""
    from .pipeline import BuildOptions, expand_profiles, run_build

    verbose = click.get_current_context().find_root().params.get("verbose", 0)
    options = BuildOptions(profiles=tuple(profiles), out=out, as_of=as_of, pdf=not no_pdf, jobs=jobs, force=force,
                           allow_ineligible=allow_ineligible, templates=tuple(templates), renew=renew)
    total = len(expand_profiles(options.profiles))
    interactive = sys.stderr.isatty() and total > 1
    bar = click.progressbar(length=total, label="Building", file=sys.stderr) if interactive else None

    def progress(result, done, count):
        if bar is not None:
            bar.update(1)
        elif count > 1:
            click.echo(f"[{done}/{count}] {'built' if result.ok else 'FAILED'} {result.profile}", err=True)

    if bar is not None:
        with bar:
            results = run_build(options, progress)
    else:
        results = run_build(options, progress)
    for r in results:
        if r.ok:
            click.echo(f"built {r.company}: {r.documents} documents, {r.pages or 'no'} binder pages -> {out / r.slug} ({r.seconds:.1f} s)")
            for line in r.changes:
                click.echo(f"  {line}")
        for w in r.warnings:
            click.echo(f"warning: {r.profile}: {w}", err=True)
        for line in finding_lines(r.findings, verbose, str(r.profile)):
            click.echo(line, err=True)
        if not r.ok:
            for line in r.error.lines():
                click.echo(line, err=True)
    if len(results) > 1:
        click.echo(_summary(results, out))
    failed = [r.error.exit_code for r in results if not r.ok]
    if strict and any(blocking(r.findings) for r in results if r.ok):
        click.echo(f"{sum(len(blocking(r.findings)) for r in results)} finding(s) with --strict", err=True)
        failed.append(1)
    sys.exit(0 if not failed else (1 if 1 in failed else max(failed)))


def blocking(findings: list[dict]) -> list[dict]:
    """Findings that make --strict fail: errors and warnings (notes only ask to confirm a default)."""
    return [f for f in findings if f["severity"] in ("error", "warning")]


def finding_lines(findings: list[dict], verbose: int, where: str) -> list[str]:
    """A short summary of a build's findings; every finding with -v."""
    if not findings:
        return []
    counts = {s: sum(1 for f in findings if f["severity"] == s) for s in ("error", "warning", "note")}
    summary = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n)
    lines = [f"{where}: {len(findings)} finding(s): {summary} (listed on the Program gaps and actions page and in manifest.json"
             f"{'' if verbose else '; -v lists them'})"]
    if verbose:
        for f in findings:
            docs = f" [{', '.join(f['documents'])}]" if f["documents"] else ""
            lines.append(f"  {f['severity']}: {f['code']}: {f['message']} Action: {f['action']} ({f['owner']}, by {f['due']}){docs}")
    else:
        by_code: dict[tuple, int] = {}
        for f in findings:
            by_code[(f["severity"], f["code"])] = by_code.get((f["severity"], f["code"]), 0) + 1
        lines += [f"  {sev}: {code}" + (f" (x{n})" if n > 1 else "") for (sev, code), n in by_code.items()]
    return lines


def _summary(results, out: Path) -> str:
    rows = [("company", "status", "documents", "pages", "warnings", "seconds")]
    for r in results:
        rows.append((r.company or r.profile.name, "built" if r.ok else "FAILED", str(r.documents), str(r.pages),
                     str(len(r.findings) + len(r.warnings)), f"{r.seconds:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + f"\nportfolio: {out / 'portfolio.csv'}"


@main.command()
@click.argument("profiles", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--as-of", callback=_as_of, help="Date used instead of today (YYYY-MM-DD).")
@click.option("--strict", is_flag=True, help="Treat lint warnings as errors.")
@reported
def validate(profiles, as_of, strict) -> None:
    """Check profiles without building; print file:line:col: message per problem, then lint warnings."""
    from .facts import ineligibility_message
    from .lint import lint
    from .pipeline import expand_profiles, plan_build

    failed = False
    for path in expand_profiles(tuple(profiles)):
        try:
            plan = plan_build(path, as_of, allow_ineligible=True)
        except SecorError as e:
            failed = True
            for line in e.lines():
                click.echo(line, err=True)
            continue
        warnings = lint(plan.loaded, plan.facts, plan.built)
        for line in warnings:
            click.echo(line, err=True)
        for w in plan.template_warnings:
            click.echo(f"{path}: warning: {w}", err=True)
        for finding in plan.findings:
            click.echo(validate_line(plan.loaded, finding), err=True)
        if not plan.facts.eligible:
            failed = True
            click.echo(f"{path}: {ineligibility_message(plan.facts)}", err=True)
            continue
        stopping = [f for f in plan.findings if f.severity.value in ("error", "warning")] + plan.template_warnings
        if strict and (warnings or stopping):
            failed = True
            click.echo(f"{path}: {len(warnings) + len(stopping)} warning(s) with --strict", err=True)
            continue
        extra = (f", {len(warnings)} warnings" if warnings else "") + (f", {len(plan.findings)} findings" if plan.findings else "")
        click.echo(f"{path}: valid ({len(plan.documents)} documents planned{extra})")
    sys.exit(1 if failed else 0)


def validate_line(loaded, finding) -> str:
    """`file:line:col: severity: field: message [code]` for a finding with a profile path, else `file: severity: ...`."""
    text = f"{finding.message} [{finding.code}]"
    if finding.path:
        located = str(loaded.source.problem(finding.path, text))
        head, rest = located[:located.index(": ")], located[located.index(": ") + 2:]
        return f"{head}: {finding.severity.value}: {rest}"
    return f"{loaded.path}: {finding.severity.value}: {text}"


@main.command(name="list")
@click.argument("what", type=click.Choice(["industries", "hazards", "controls", "equipment", "partners", "documents", "emergencies", "training", "tasks"]))
@reported
def list_keys(what) -> None:
    """List the built-in keys."""
    from .listing import rows

    for key, text in rows(what):
        click.echo(f"{key:<28} {text}")


@main.command()
@click.argument("partner")
@reported
def questions(partner) -> None:
    """Write a partner's built-in audit questions as a question-list CSV (to edit into the partner's real list)."""
    from .errors import InputError
    from .frameworks import load_framework
    from .library import load_library
    from .questions import export_csv

    if partner not in load_library().frameworks:
        raise InputError(f"no certifying partner '{partner}'; expected one of {', '.join(sorted(load_library().frameworks))}")
    click.echo(export_csv(load_framework(partner)), nl=False)


@main.group()
def templates() -> None:
    """Work with Word templates: export the built-in set, check an edited set, list variables."""


@templates.command(name="export")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite files in a folder that is not empty.")
@reported
def templates_export(folder, force) -> None:
    """Copy the built-in Word templates into FOLDER for editing (then build with --templates FOLDER)."""
    from .template_tools import export_templates

    written = export_templates(folder, force)
    click.echo(f"copied {len(written)} templates to {folder}; edit any of them, delete the rest, then build with --templates {folder}")


@templates.command(name="check")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--profile", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Profile to render against (default: the bundled example).")
@click.option("--as-of", callback=_as_of, help="Date used instead of today (YYYY-MM-DD).")
@reported
def templates_check(folder, profile, as_of) -> None:
    """Report every problem in a template folder: broken tags, unknown variables, failed trial renders."""
    from .resources import example_profile
    from .template_tools import check_templates

    problems = check_templates(folder, profile or example_profile(), as_of)
    for line in problems:
        click.echo(line, err=True)
    click.echo(f"{folder}: {'no problems' if not problems else str(len(problems)) + ' problem(s)'}")
    sys.exit(1 if problems else 0)


@templates.command(name="variables")
@click.argument("profile", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--as-of", callback=_as_of, help="Date used instead of today (YYYY-MM-DD).")
@reported
def template_variables(profile, as_of) -> None:
    """Print every variable a template can use, with its value for PROFILE."""
    from .pipeline import plan_build
    from .variables import reference

    plan = plan_build(profile, as_of, allow_ineligible=True)
    context = dict(plan.built.context)
    for line in reference(context):
        click.echo(line)
    click.echo("doc: object (id, title, kind, element_id, element_name, revision, effective, next_review, approved_by.name, approved_by.title, scope, history[] with revision, date, change, approved_by)")
    click.echo("item: the position, site, equipment item, hazard or critical task of a one-per-item document (same shape as positions[], sites[], equipment[], hazards[], critical_tasks[])")
    click.echo("audit: object (audit_title, certificate, one_year, maintenance, records_start, records_start_field, window_months, window_start, window_end, audit_date, date_phrase, earliest_booking, three_year_from, due_by, after_due, months_covered, window_met, partner)")
    click.echo("catalog: list of every document (id, title, element, element_name, kind, revision, effective, next_review)")
    click.echo("register: list of legislation register rows (key, cite, title, duty, instrument, documents[], hazards[], status)")
    click.echo("logo: the company logo image, or empty")


@main.command()
@click.argument("profile", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--evidence", type=click.Path(path_type=Path, file_okay=False),
              help="Evidence folder (default: OUT/<slug>/evidence next to the default build folder).")
@click.option("--as-of", callback=_as_of, help="Date used instead of today (YYYY-MM-DD).")
@click.option("--months", type=click.Choice(["3", "12"]), help="Documentation window; default 12, or 3 for a first one-year SECOR.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@reported
def check(profile, evidence, as_of, months, as_json) -> None:
    """Audit readiness: which records are present in the evidence folder and which months or people are missing."""
    import json as json_lib

    from .readiness import report_lines
    from .pipeline import check_readiness

    report = check_readiness(profile, evidence, as_of, int(months) if months else None)
    if as_json:
        click.echo(json_lib.dumps(report.as_json(), indent=2))
    else:
        for line in report_lines(report):
            click.echo(line)
    sys.exit(0 if report.ready else 1)


@main.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False), default="company-profile.yaml")
@click.option("--no-input", is_flag=True, help="Do not ask questions; write a complete starter profile.")
@click.option("--industry", help="Industry key (secor-docs list industries).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@reported
def init(path, no_input, industry, force) -> None:
    """Write a new commented profile, proposing the industry's positions, tasks and hazards."""
    from .errors import InputError
    from .library import load_library
    from .starter import Answers, default_people, starter_profile

    library = load_library()
    if os.path.lexists(path) and not force:
        raise InputError(f"{path}: already exists; use --force to overwrite it or give another PATH")
    if not path.parent.is_dir():
        raise InputError(f"{path}: folder {path.parent} does not exist; create it first or give another PATH")
    if industry and industry not in library.industries:
        raise InputError(f"unknown industry '{industry}'; choose one of: {', '.join(sorted(library.industries))}")
    if no_input:
        answers = Answers(industry=industry or "general_construction")
    else:
        keys = sorted(library.industries)
        industry = industry or click.prompt("Industry", type=click.Choice(keys), default="general_construction")
        ind = library.industries[industry]
        answers = Answers(industry=industry)
        answers.legal_name = click.prompt("Legal name (as registered with WCB-Alberta)", default=answers.legal_name)
        answers.wcb_account = click.prompt("WCB-Alberta account number", default=answers.wcb_account)
        answers.address = click.prompt("Head office address", default=answers.address)
        answers.phone = click.prompt("Phone", default=answers.phone)
        answers.partner = click.prompt("Certifying partner", type=click.Choice(sorted(library.frameworks)), default=ind.suggested_partner)
        answers.senior_manager = click.prompt("Senior manager (owner) name", default=answers.senior_manager)
        positions = [p.id for p in ind.positions]
        click.echo(f"Positions proposed for {ind.name}: {', '.join(positions)}")
        people = [(answers.senior_manager, "owner", click.prompt(f"Position of {answers.senior_manager}", type=click.Choice(positions), default=positions[0]))]
        while True:
            name = click.prompt("Another person's name (empty to finish)", default="", show_default=False)
            if not name:
                break
            role = click.prompt("  role", type=click.Choice(["manager", "supervisor", "worker"]), default="worker")
            people.append((name, role, click.prompt("  position", type=click.Choice(positions), default=positions[-1])))
        answers.people = people if len(people) > 1 else default_people(answers, library)[:1]
        answers.site_name = click.prompt("Main site name", default=answers.site_name)
        answers.facility = click.prompt("Nearest hospital or clinic", default=answers.facility)
        answers.travel_minutes = click.prompt("Travel minutes to it", type=click.IntRange(0, 10_000), default=answers.travel_minutes)
    from .safefs import write_text

    try:
        write_text(path, starter_profile(answers, library))  # never through a link planted at PATH
    except OSError as e:
        raise InputError(f"{path}: cannot write the profile: {e.strerror or e}"
                         + (" (create the folder first)" if not path.parent.exists() else "")) from None
    click.echo(f"wrote {path}; check it with: secor-docs validate {path}")


@main.command()
@reported
def schema() -> None:
    """Print the profile's JSON Schema (for editor completion and validation)."""
    import json as json_lib

    from .model import Profile

    data = Profile.model_json_schema()
    data["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    data["title"] = "secor-docs company profile (schema_version 1)"
    click.echo(json_lib.dumps(data, indent=2))


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default="company_profiles")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port on 127.0.0.1 (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser window.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("build"), show_default=True,
              help="Output folder for the builds (the same as `build --out`).")
@click.option("--as-of", callback=_as_of, help="Date used instead of today (YYYY-MM-DD) for builds and checks.")
@click.option("--no-pdf", is_flag=True, help="Untick 'make the PDF binder' by default (Word files only).")
@reported
def serve(folder, port, no_browser, out, as_of, no_pdf) -> None:
    """A local web app for FOLDER's profiles: edit, build, download, check readiness. Listens on 127.0.0.1 only."""
    import webbrowser

    from werkzeug.serving import make_server

    from .errors import InputError
    from .web import create_app

    if not folder.exists():
        folder.mkdir(parents=True)  # a first-time owner starts with an empty folder and "New client"
        click.echo(f"created {folder} for your company profiles")
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder; give the folder that holds your *.yaml profiles")
    app = create_app(folder, out, as_of=as_of, pdf=not no_pdf)
    import socket

    with socket.socket() as probe:  # werkzeug would print its own two lines and exit; say it in one
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as e:
            raise InputError(f"cannot listen on 127.0.0.1:{port}: {e.strerror}; another program uses it, try another --port") from e
    server = make_server("127.0.0.1", port, app, threaded=True)
    url = f"http://localhost:{server.server_port}/"
    click.echo(f"secor-docs is serving {folder.resolve()} at {url} (Ctrl-C to stop)")
    if not no_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.server_close()
