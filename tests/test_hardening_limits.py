"""Issue 18 items 12-20: limits, hangs, exit codes, messages. Each test reproduced the fault before its fix."""
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from secor_docs.cli import main

from conftest import AS_OF, EXAMPLE, PROFILES, mutate

TINY = PROFILES / "tiny-books.yaml"
END = len(TINY.read_text().splitlines()) + 1  # the line of a key appended to TINY


def run(*args, env=None, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, input=input)


def cli(*args, env=None, timeout=120, **kwargs):
    """The real command in its own process: a crash (segfault) or a hang must not take the test run down."""
    return subprocess.run([sys.executable, "-m", "secor_docs", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, **kwargs)


def no_traceback(output: str) -> None:
    assert "Traceback" not in output and "internal error" not in output, output[-3000:]


# ---- 12: deep nesting ------------------------------------------------------------------------------------------

def test_deeply_nested_profile_is_refused_with_its_line_in_validate_and_build(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("schema_version: 1\ncompany:\n  legal_name: x\nextra: " + "[" * 50_000 + "]" * 50_000 + "\n")
    for args in (("validate", deep), ("build", deep, "--no-pdf", "--out", tmp_path / "out")):
        done = cli(*args)
        assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
        assert f"{deep}:4:" in done.stderr and "nest deeper than 40 levels" in done.stderr
        no_traceback(done.stderr)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_deep_profile_in_a_batch_does_not_stop_the_others(tmp_path, jobs):
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "a-deep.yaml").write_text("a: " + "{b: " * 30_000 + "1" + "}" * 30_000 + "\n")
    (batch / "tiny.yaml").write_text(TINY.read_text())
    done = cli("build", batch, "--no-pdf", "--out", tmp_path / "out", "--jobs", jobs, "--as-of", AS_OF)
    assert done.returncode == 1, done.stderr[-2000:]
    no_traceback(done.stderr)
    assert "a-deep.yaml:1:" in done.stderr
    assert (tmp_path / "out" / "tiny-books-co" / "manifest.json").is_file()
    rows = (tmp_path / "out" / "portfolio.csv").read_text().splitlines()
    assert len(rows) == 3 and ",built," in rows[2] and ",failed," in rows[1]


# ---- 13: lengths and dates -------------------------------------------------------------------------------------

@pytest.mark.parametrize("old,new,where,message", [
    ('legal_name: "Tiny Books Co."', 'legal_name: "' + "A" * 300 + '"', ": company.legal_name:",
     "is 300 characters long; at most 120 are allowed"),
    ('name: "Home office"', 'name: "' + "S" * 300 + '"', ": sites[0].name:", "at most 120 are allowed"),
    ('title: "Bookkeeper"', 'title: "' + "\u00e9" * 200 + '"', ": positions[0].title:", "at most 120 are allowed"),
    ("effective_date: 2026-01-01", "effective_date: 9999-12-31", ": program.effective_date:",
     "9999-12-31 is outside the dates secor-docs works with (1900-01-01 to 2099-12-31)"),
    ("start_date: 2020-01-01}", "start_date: 2020-01-01, training: [{course: CPR, completed: 2024-01-01, expires: 9999-12-31}]}",
     ": people[0].training[0].expires:", "for a certificate that never expires, leave 'expires' out"),
])
def test_validate_refuses_what_build_cannot_write(tmp_path, old, new, where, message):
    path = tmp_path / "p.yaml"
    path.write_text(mutate(TINY.read_text(), old, new))
    for args in (("validate", path, "--as-of", AS_OF), ("build", path, "--no-pdf", "--out", tmp_path / "o", "--as-of", AS_OF)):
        result = run(*args)
        assert result.exit_code == 1, result.output
        no_traceback(result.output)
        assert re.search(rf":\d+:\d+{re.escape(where)} .*{re.escape(message)}", result.output), result.output


def test_long_names_outside_ascii_still_make_file_names_under_255_bytes(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(mutate(TINY.read_text(), 'name: "Home office"', 'name: "' + "\u6771" * 120 + '"'))
    result = run("build", path, "--no-pdf", "--out", tmp_path / "o", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    names = [p.name for p in (tmp_path / "o" / "tiny-books-co" / "documents").iterdir()]
    assert any("\u6771" in n for n in names) and max(len(n.encode()) for n in names) <= 255


@pytest.mark.parametrize("command", [["validate", TINY], ["build", TINY, "--no-pdf", "--out", "OUT"], ["check", TINY],
                                     ["templates", "variables", TINY]])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_as_of_out_of_range_is_a_usage_error(tmp_path, command, day):
    args = [str(tmp_path / "o") if a == "OUT" else a for a in command]
    result = run(*args, "--as-of", day)
    assert result.exit_code == 2, result.output
    assert f"{day} is outside 2000-01-01 to 2099-12-31" in result.output


# ---- 14: hangs and size limits ---------------------------------------------------------------------------------

def test_too_many_equipment_items_is_a_located_error(tmp_path):
    items = "".join(f'  - {{name: "Drill {i}", kind: power_tools}}\n' for i in range(101))
    path = tmp_path / "p.yaml"
    path.write_text(TINY.read_text() + "equipment:\n" + items)
    result = run("validate", path, "--as-of", AS_OF)
    assert result.exit_code == 1
    assert f"{path}:{END}:1: equipment: has 101 items; at most 100 are allowed" in result.output


def test_ten_thousand_items_are_refused_before_loading(tmp_path):
    items = "".join(f'  - {{name: "Drill {i}", kind: power_tools}}\n' for i in range(10_000))
    path = tmp_path / "p.yaml"
    path.write_text(TINY.read_text() + "equipment:\n" + items)
    from secor_docs.errors import ProfileError
    from secor_docs.profile import load_profile

    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value) == f"{path}:{END + 1}:3: a list with more than 1,000 items; see Limits in the README"


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_settings_file_that_is_a_fifo_or_device_fails_at_once(tmp_path, kind):
    if kind == "fifo":
        settings = tmp_path / "settings.yaml"
        os.mkfifo(settings)
    else:
        settings = Path("/dev/zero")
    done = cli("validate", TINY, "--as-of", AS_OF, env={"SECOR_DOCS_SETTINGS": str(settings)}, timeout=30)
    assert done.returncode == 1, done.stderr
    assert f"{settings}: cannot read: not a regular file (a pipe or device?)" in done.stderr


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_logo_that_is_a_fifo_or_device_fails_at_once(tmp_path, kind):
    folder = tmp_path / "client"
    folder.mkdir()
    if kind == "fifo":
        os.mkfifo(folder / "logo.png")
    else:
        (folder / "logo.png").symlink_to("/dev/zero")
    path = folder / "p.yaml"
    path.write_text(mutate(TINY.read_text(), '  senior_manager: "Ann Lee"', '  senior_manager: "Ann Lee"\n  logo: logo.png'))
    done = cli("build", path, "--no-pdf", "--out", tmp_path / "out", "--as-of", AS_OF, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "company.logo" in done.stderr
    no_traceback(done.stderr)


def _override(folder: Path, rel: str) -> Path:
    from secor_docs.resources import templates_dir

    target = folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((templates_dir() / rel).read_bytes())
    return target


def test_template_override_that_is_a_fifo_fails_at_once(tmp_path):
    folder = tmp_path / "tpl"
    (folder / "policies").mkdir(parents=True)
    os.mkfifo(folder / "policies" / "health-safety-policy.docx")
    done = cli("build", TINY, "--no-pdf", "--out", tmp_path / "out", "--as-of", AS_OF, "--templates", folder, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "health-safety-policy.docx: cannot be used as a template: not a regular file" in done.stderr


def test_zip_bomb_template_is_refused_before_it_is_unpacked(tmp_path):
    import zipfile

    from secor_docs.resources import templates_dir

    folder = tmp_path / "tpl"
    (folder / "policies").mkdir(parents=True)
    bomb = folder / "policies" / "health-safety-policy.docx"
    with zipfile.ZipFile(templates_dir() / "policies" / "health-safety-policy.docx") as src, \
            zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info, src.read(info.filename))
        with out.open("word/media/padding.bin", "w", force_zip64=True) as f:
            block = b"\0" * 1_000_000
            for _ in range(120):
                f.write(block)
    assert bomb.stat().st_size < 1_000_000
    result = run("build", TINY, "--no-pdf", "--out", tmp_path / "out", "--as-of", AS_OF, "--templates", folder)
    assert result.exit_code == 3, result.output
    assert "more than the 100,000,000 a template may hold (a zip bomb?)" in result.output


def test_a_template_folder_that_is_too_big_is_refused(tmp_path):
    folder = tmp_path / "tpl"
    deep = folder / "a" / "b" / "c" / "d" / "e"
    deep.mkdir(parents=True)
    path = tmp_path / "p.yaml"
    path.write_text(TINY.read_text() + "templates: tpl\n")
    result = run("validate", path, "--as-of", AS_OF)
    assert result.exit_code == 1, result.output
    assert f"{path}:{END}:1: templates: 'tpl' ({folder}): template folder is nested deeper than 4 folders" in result.output
    path.write_text(TINY.read_text() + "templates: /\n")
    result = run("validate", path, "--as-of", AS_OF)
    assert result.exit_code == 1 and "templates: '/' (/): template folder" in result.output, result.output


# ---- 17: silent mistakes ---------------------------------------------------------------------------------------

def test_missing_template_folders_are_errors(tmp_path):
    missing = tmp_path / "nope"
    result = run("build", TINY, "--no-pdf", "--out", tmp_path / "o", "--as-of", AS_OF, "--templates", missing)
    assert result.exit_code in (1, 2) and "nope" in result.output and not (tmp_path / "o" / "tiny-books-co").exists()
    settings = tmp_path / "settings.yaml"
    settings.write_text("prepared_by: {name: Pat}\ntemplates: my-templates\n")
    result = run("validate", TINY, "--as-of", AS_OF, env={"SECOR_DOCS_SETTINGS": str(settings)})
    assert result.exit_code == 1
    assert f"{settings}:2:1: templates: {tmp_path / 'my-templates'}: folder not found" in result.output
    path = tmp_path / "p.yaml"
    path.write_text(TINY.read_text() + "templates: my-templates\n")
    result = run("build", path, "--no-pdf", "--out", tmp_path / "o", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert f"{path}:{END}:1: templates: 'my-templates' ({tmp_path / 'my-templates'}): folder not found" in result.output


def test_an_override_that_matches_no_template_is_a_warning(tmp_path):
    folder = tmp_path / "tpl"
    good = _override(folder, "policies/health-safety-policy.docx")
    good.rename(folder / "policies" / "health-safety-polcy.docx")
    result = run("build", TINY, "--no-pdf", "--out", tmp_path / "o", "--as-of", AS_OF, "--templates", folder)
    assert result.exit_code == 0, result.output
    assert (f"warning: {TINY}: {folder}/policies/health-safety-polcy.docx: matches no built-in template, so no document "
            f"uses it; did you mean policies/health-safety-policy.docx?") in result.output
    strict = run("validate", TINY, "--as-of", AS_OF, "--strict",
                 env={"SECOR_DOCS_SETTINGS": str(_settings(tmp_path, folder))})
    assert strict.exit_code == 1 and "matches no built-in template" in strict.output


def _settings(tmp_path: Path, templates: Path) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text(f"templates: {templates}\n")
    return path


# ---- 20: messages ----------------------------------------------------------------------------------------------

def test_settings_errors_use_the_profile_wording_and_say_settings(tmp_path):
    settings = tmp_path / "settings.yaml"
    settings.write_text("prepared_by: {nme: Pat}\nbranding: {colour: red}\n")
    result = run("validate", TINY, env={"SECOR_DOCS_SETTINGS": str(settings)})
    assert result.exit_code == 1
    assert f"{settings}:1:15: prepared_by.nme: unknown key 'nme'; did you mean 'name'?" in result.output
    assert f"{settings}:2:12: branding.colour: expected a colour written as six hex digits such as '#2E7D32'; got 'red'" in result.output
    settings.write_text("- a\n")
    result = run("validate", TINY, env={"SECOR_DOCS_SETTINGS": str(settings)})
    assert f"{settings}:1:1: expected a mapping of settings fields at the top level; got a list" in result.output
    assert "profile" not in result.output.replace(str(TINY), "")


def _body_override(tmp_path: Path, body: str) -> Path:
    from secor_docs.authoring import Compiler
    from secor_docs.determinism import normalise_docx

    folder = tmp_path / "tpl"
    target = folder / "policies" / "health-safety-policy.docx"
    target.parent.mkdir(parents=True, exist_ok=True)
    if "**" in body:  # Markdown would read it as bold
        from docx import Document

        doc = Document()
        for line in body.splitlines():
            doc.add_paragraph(line)
        doc.save(str(target))
    else:
        Compiler(body, "override").compile().save(str(target))
    normalise_docx(target)
    return folder


@pytest.mark.parametrize("body,expected", [
    ("# Hi\n{{ 'x' * 1000000000 }}\n", "repeating a value 1,000,000,000 times"),
    ("# Hi\n{{ 10 ** 100000 }}\n", "power 100000 is too large"),
    ("# Hi\n{% for i in range(100000) %}{{ i }}{% endfor %}\n", "a template loop may walk at most 10,000"),
    ("# Hi\n{% for i in range(10000) %}{% for j in range(10000) %}{{ j }}{% endfor %}{% endfor %}\n",
     "rendering took more than 2 s and was stopped (a runaway loop?)"),
    ("# Hi\n{{ (1e308 * 10) | int }}\n", "OverflowError"),
])
def test_runaway_templates_are_template_errors(tmp_path, monkeypatch, body, expected):
    monkeypatch.setattr("secor_docs.limits.RENDER_SECONDS", 2)
    folder = _body_override(tmp_path, body)
    result = run("build", TINY, "--no-pdf", "--out", tmp_path / "o", "--as-of", AS_OF, "--templates", folder)
    assert result.exit_code == 3, result.output
    assert "health-safety-policy.docx: body paragraph" in result.output or "health-safety-policy.docx: rendering" in result.output
    assert expected in result.output, result.output
    no_traceback(result.output)


def test_a_misspelt_field_names_template_paragraph_and_the_fields_that_exist(tmp_path):
    folder = _body_override(tmp_path, "# Hi\nSecond\nWe are {{ company.legal_nam }}.\n")
    result = run("build", TINY, "--no-pdf", "--out", tmp_path / "o", "--as-of", AS_OF, "--templates", folder)
    assert result.exit_code == 3, result.output
    line = result.output.strip().splitlines()[-1]
    assert re.match(rf"^{re.escape(str(folder))}/policies/health-safety-policy.docx: body paragraph \d+: unknown field "
                    r"'legal_nam'; did you mean 'legal_name'\? \(fields here: .*legal_name.*\)", line), line
    assert "View object" not in result.output


# ---- 15: other exit-70 paths -----------------------------------------------------------------------------------

def test_a_closed_stdout_stops_quietly_with_141():
    read, write = os.pipe()
    os.close(read)
    done = subprocess.run([sys.executable, "-m", "secor_docs", "list", "hazards"], stdout=write, stderr=subprocess.PIPE,
                          text=True, timeout=60)
    os.close(write)
    assert done.returncode == 141 and done.stderr == "", done.stderr


def test_init_at_end_of_input_missing_folder_or_unwritable_target(tmp_path):
    result = run("init", tmp_path / "p.yaml", input="")
    assert result.exit_code == 1 and "aborted: no answer to a question (end of input); nothing was written" in result.output
    assert not (tmp_path / "p.yaml").exists()
    result = run("init", tmp_path / "nope" / "p.yaml", "--no-input")
    assert result.exit_code == 1 and f"{tmp_path / 'nope' / 'p.yaml'}: folder {tmp_path / 'nope'} does not exist" in result.output
    result = run("init", "/proc/secor-docs-test.yaml", "--no-input")
    assert result.exit_code == 1 and "/proc/secor-docs-test.yaml: cannot write the profile:" in result.output


def test_init_refuses_negative_travel_minutes(tmp_path):
    answers = ["office"] + [""] * 10 + ["-5", "5"]
    result = run("init", tmp_path / "p.yaml", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "-5 is not in the range 0<=x<=10000" in result.output
    assert "travel_minutes: 5 " in (tmp_path / "p.yaml").read_text()


def test_bad_convert_timeout_setting_is_an_input_error(tmp_path):
    result = run("build", TINY, "--out", tmp_path / "o", "--as-of", AS_OF, env={"SECOR_DOCS_CONVERT_TIMEOUT": "abc"})
    assert result.exit_code == 1, result.output
    assert "SECOR_DOCS_CONVERT_TIMEOUT='abc': expected a number of seconds" in result.output


def test_an_internal_error_in_one_profile_does_not_stop_the_portfolio(tmp_path, monkeypatch):
    import secor_docs.pipeline as pipeline

    real = pipeline.write_outputs

    def buggy(plan, *args, **kwargs):
        if "Tiny" in plan.loaded.profile.company.legal_name:
            raise KeyError("bug")
        return real(plan, *args, **kwargs)

    monkeypatch.setattr(pipeline, "write_outputs", buggy)
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "a.yaml").write_text(TINY.read_text())
    (batch / "b.yaml").write_text((PROFILES / "solo-spark-electric.yaml").read_text())
    result = run("build", batch, "--no-pdf", "--out", tmp_path / "o", "--as-of", AS_OF, "--jobs", "1")
    assert result.exit_code == 70, result.output
    assert f"{batch / 'a.yaml'}: internal error: KeyError: 'bug'" in result.output
    rows = (tmp_path / "o" / "portfolio.csv").read_text().splitlines()
    assert ",failed," in rows[1] and "internal error" in rows[1] and ",built," in rows[2]


# ---- 19: exit codes --------------------------------------------------------------------------------------------

def test_an_unwritable_output_folder_is_status_8(tmp_path):
    result = run("build", TINY, "--no-pdf", "--out", "/proc/secor-docs-out", "--as-of", AS_OF)
    assert result.exit_code == 8, result.output
    assert "/proc/secor-docs-out: cannot create output folder" in result.output


def test_naming_one_profile_twice_builds_it_once(tmp_path):
    copy = tmp_path / "p.yaml"
    copy.write_text(TINY.read_text())
    result = run("build", copy, copy, tmp_path / "." / "p.yaml", "--no-pdf", "--out", tmp_path / "o", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert result.output.count("built Tiny Books Co.") == 1
    assert (tmp_path / "o" / "tiny-books-co" / "manifest.json").is_file()


def test_a_failure_after_the_swap_is_a_warning_not_status_8(tmp_path, monkeypatch):
    import secor_docs.pipeline as pipeline

    def fail(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(pipeline, "make_evidence_folders", fail)
    result = run("build", TINY, "--no-pdf", "--out", tmp_path / "o", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "the evidence folders could not be created (Permission denied); the binder itself was built" in result.output
    assert (tmp_path / "o" / "tiny-books-co" / "manifest.json").is_file()


# ---- 20: one spelling per name, ratings, init --------------------------------------------------------------------

def test_composed_and_decomposed_spellings_are_one_person(tmp_path):
    text = mutate(TINY.read_text(), '"Ann Lee"', '"Jos\u00e9 Lee"')
    text = mutate(text, '{name: "Ann Lee"', '{name: "Jos\u00e9 Lee"')
    text = text.replace("people:\n", 'people:\n  - {name: "' + unicodedata.normalize("NFD", "Jos\u00e9 Lee")
                        + '", role: worker, position: bookkeeper, employment: casual, start_date: 2021-01-01}\n', 1)
    path = tmp_path / "p.yaml"
    path.write_text(text)
    result = run("validate", path, "--as-of", AS_OF)
    assert result.exit_code == 1, result.output
    assert "people[1].name: 'Jos\u00e9 Lee' is listed twice (also people[0])" in result.output


CUSTOM = """    custom_hazards:
      - id: paper_cuts
        name: "Paper cuts"
        severity: {severity}
        probability: 2
        residual: {{severity: 1, probability: {residual}}}
        controls: {{administrative: ["Handle paper with care"]}}
"""


def test_out_of_range_risk_ratings_are_errors_not_clamped(tmp_path):
    text = mutate(TINY.read_text(), "      - {name: \"Bookkeeping\", hazards: [ergonomics_computer]}\n",
                  "      - {name: \"Bookkeeping\", hazards: [ergonomics_computer, paper_cuts]}\n" + CUSTOM.format(severity=7, residual=9))
    path = tmp_path / "p.yaml"
    path.write_text(text)
    result = run("validate", path, "--as-of", AS_OF)
    assert result.exit_code == 1, result.output
    assert "positions[0].custom_hazards[0].severity: 7 is outside 1 to 4, the severity levels of the default risk matrix" in result.output
    assert "positions[0].custom_hazards[0].residual.probability: 9 is outside 1 to 4" in result.output
    path.write_text(text.replace("severity: 7", "severity: 3").replace("probability: 9}", "probability: 1}"))
    assert run("validate", path, "--as-of", AS_OF).exit_code == 0


# ---- 18: check -------------------------------------------------------------------------------------------------

def _evidence_with_every_record(tmp_path: Path, profile: Path) -> Path:
    """Build, then file one record per month and per person so that `check` starts out READY."""
    out = tmp_path / "o"
    assert run("build", profile, "--no-pdf", "--out", out, "--as-of", AS_OF).exit_code == 0
    return out / "tiny-books-co" / "evidence"


def test_check_matches_whole_names_in_one_unicode_form_and_flags_future_records(tmp_path):
    from secor_docs.readiness import names_person

    assert names_person("2025-05-01 Alice Smith orientation.pdf", "Alice Smith")
    assert not names_person("2025-05-01 Alice orientation.pdf", "Al")
    assert names_person("2025-05-01 al orientation.pdf", "Al")
    assert names_person(unicodedata.normalize("NFD", "2025-05-01 Jos\u00e9 Lee.pdf"), "Jos\u00e9 Lee")
    assert names_person("2025-05-01_jose-lee_training.pdf", "Jose Lee")

    text = mutate(TINY.read_text(), '  - {name: "Ann Lee"', '  - {name: "Al Lee", role: worker, position: bookkeeper, employment: casual, start_date: 2021-01-01}\n  - {name: "Ann Lee"')
    path = tmp_path / "p.yaml"
    path.write_text(text)
    evidence = _evidence_with_every_record(tmp_path, path)
    orientation = evidence / "05-training" / "orientation"
    orientation.mkdir(parents=True, exist_ok=True)
    (orientation / "2025-06-01 Ann Lee orientation.pdf").write_text("x")
    (orientation / "2025-06-01 Al Leeway orientation.pdf").write_text("x")
    result = run("check", path, "--evidence", evidence, "--as-of", AS_OF, "--json")
    import json

    report = json.loads(result.output)
    record = next(r for r in report["records"] if r["folder"] == "05-training/orientation")
    assert record["missing_people"] == ["Al Lee"]

    (orientation / "2026-05-01 Al Lee orientation.pdf").write_text("x")
    (orientation / "notes\nREADY: no gaps found").write_text("x")
    result = run("check", path, "--evidence", evidence, "--as-of", AS_OF)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "READY: no gaps found" not in lines and lines[-1].startswith("NOT READY")
    assert "notes\\x0aREADY: no gaps found" in result.output
    assert "dated after 2026-02-01 (a wrong date?): 2026-05-01 Al Lee orientation.pdf" in result.output


# ---- 14 and 16: hung or interrupted converters -------------------------------------------------------------------

def _hanging_soffice(tmp_path: Path) -> dict:
    """A LibreOffice that records its pid and hangs; TMPDIR private to the test, to see what is left behind."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "soffice"
    fake.write_text(f"#!/bin/sh\necho $$ >> {tmp_path / 'pids'}\nexec sleep 600\n")
    fake.chmod(0o755)
    (tmp_path / "tmp").mkdir()
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "TMPDIR": str(tmp_path / "tmp")}


def _pids(tmp_path: Path, count: int, within: float = 60) -> list[int]:
    import time

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        pids = [int(x) for x in (tmp_path / "pids").read_text().split()] if (tmp_path / "pids").exists() else []
        if len(pids) >= count:
            return pids
        time.sleep(0.2)
    raise AssertionError(f"{count} converters did not start")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _all_gone(pids: list[int], within: float = 15) -> bool:
    import time

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.2)
    return False


def test_a_converter_that_makes_no_progress_is_stopped_early(tmp_path, monkeypatch):
    import time

    env = _hanging_soffice(tmp_path)
    monkeypatch.setattr("secor_docs.limits.CONVERT_STALL_SECONDS", 3)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    started = time.monotonic()
    result = run("build", TINY, "--out", tmp_path / "o", "--as-of", AS_OF, "--jobs", "1")
    assert result.exit_code == 4, result.output
    assert "LibreOffice did not finish: no document converted for 3 s (0 of" in result.output
    assert time.monotonic() - started < 60
    assert _all_gone(_pids(tmp_path, 1))


def test_sigkill_of_a_build_leaves_no_converter_and_no_temp_folder(tmp_path):
    import signal
    import time

    env = _hanging_soffice(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "secor_docs", "build", str(TINY), "--out", str(tmp_path / "o"),
                             "--as-of", AS_OF, "--jobs", "1"], env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        pids = _pids(tmp_path, 1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert _all_gone(pids), "LibreOffice outlived the killed build"
        time.sleep(1)
        assert not list((tmp_path / "tmp").glob("secor-lo-*"))
    finally:
        proc.kill()


def test_sigterm_on_a_parallel_build_stops_promptly_and_tells_the_truth(tmp_path):
    import signal
    import time

    env = _hanging_soffice(tmp_path)
    batch = tmp_path / "batch"
    batch.mkdir()
    for i, name in enumerate(["tiny-books", "solo-spark-electric", "northern-shine-janitorial"]):
        (batch / f"{i}.yaml").write_text((PROFILES / f"{name}.yaml").read_text())
    proc = subprocess.Popen([sys.executable, "-m", "secor_docs", "build", str(batch), "--out", str(tmp_path / "o"),
                             "--as-of", AS_OF, "--jobs", "2"], env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        pids = _pids(tmp_path, 2, within=180)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert time.monotonic() - started < 30, "the build waited for its converters"
    finally:
        proc.kill()
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted; the previous build is unchanged" in err and "Traceback" not in err, err[-2000:]
    assert _all_gone(pids)
    assert len((tmp_path / "pids").read_text().split()) == 2, "a queued profile was still started"
    assert not [p for p in (tmp_path / "o").iterdir() if not p.name.startswith(".")]
    assert not list((tmp_path / "o").glob(".secor-staging-*")) and not list((tmp_path / "tmp").glob("secor-lo-*"))


def test_a_template_that_exhausts_memory_is_a_template_error(tmp_path, monkeypatch):
    from secor_docs import render

    def exhausted(self, *args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(render.Template, "render", exhausted)
    result = run("build", TINY, "--no-pdf", "--out", tmp_path / "o", "--as-of", AS_OF, "--jobs", "1")
    assert result.exit_code == 3, result.output
    assert "rendering ran out of memory and was stopped" in result.output
    no_traceback(result.output)


def test_a_runaway_loop_stops_in_a_thread_where_no_alarm_can_be_set():
    import threading
    import time

    from secor_docs import render

    outcome = []

    def nested_loops():
        started = time.monotonic()
        try:
            with render.render_time_limit(1):
                for _ in render.capped_range(10000):
                    for _ in render.capped_range(10000):
                        pass
            outcome.append("finished")
        except render.RenderTimeout:
            outcome.append(time.monotonic() - started)

    worker = threading.Thread(target=nested_loops)
    worker.start()
    worker.join(60)
    assert outcome and outcome[0] != "finished" and outcome[0] < 10, outcome
