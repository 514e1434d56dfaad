"""Hostile input, hostile templates and converter faults: clear errors, no traceback, nothing lost."""
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secor_docs.authoring import Compiler
from secor_docs.cli import main
from secor_docs.determinism import normalise_docx, sha256
from secor_docs.errors import ProfileError
from secor_docs.profile import load_profile

from conftest import AS_OF, EXAMPLE, mutate
from docx_text import body_text, header_footer_text

ONE_LINE = re.compile(r"^\S+?(:\d+:\d+)?: .+$")


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def assert_clean_failure(result, code, path):
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    lines = [l for l in result.output.splitlines() if l.strip()]
    assert lines and all(str(path) in l for l in lines), result.output
    return lines


@pytest.mark.parametrize("name,content", [
    ("empty", b""),
    ("not yaml", b"company: [unclosed\n  - x: {\n"),
    ("list", b"- 1\n- 2\n"),
    ("scalar", b"hello\n"),
    ("binary", bytes(range(256)) * 4),
    ("tab indentation", b"company:\n\tlegal_name: x\n"),
])
def test_files_that_are_not_profiles_fail_in_one_line(tmp_path, name, content):
    path = tmp_path / "p.yaml"
    path.write_bytes(content)
    lines = assert_clean_failure(run("validate", path), 1, path)
    assert len(lines) == 1 and ONE_LINE.match(lines[0])


def test_huge_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b"# padding\n" * 2_100_000)
    [line] = assert_clean_failure(run("validate", path), 1, path)
    assert "a profile may be at most" in line


def test_deep_nesting(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("a: " + "[" * 1000 + "]" * 1000 + "\n")
    assert_clean_failure(run("validate", path), 1, path)


def test_alias_bomb(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    path = tmp_path / "p.yaml"
    path.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    [line] = assert_clean_failure(run("validate", path), 1, path)
    assert "alias bomb" in line and time.perf_counter() - started < 30


SPECIAL = "R&D <Roofing> \"Best\" 'Co' \U0001F3E0 \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627"


def test_special_characters_and_template_code_print_literally(tmp_path, example_text):
    long_value = "Long address " + "x" * 10_000
    text = mutate(example_text, 'legal_name: "Prairie Peak Roofing Ltd."', f"legal_name: {SPECIAL!r}".replace("'R&D", '"R&D').replace("\u0627'", '\u0627"') if False else 'legal_name: "R&D <Roofing> \\"Best\\" \'Co\' \U0001F3E0 \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627"')
    text = mutate(text, 'operating_name: "Prairie Peak Roofing"', 'operating_name: "{{ 7*7 }} {% for x in y %}"')
    text = mutate(text, 'address: "4410 52 Avenue, Red Deer, AB T4N 6K3"\n  phone', f'address: "{long_value}"\n  phone')
    text = mutate(text, 'name: "Roof inspection and measuring for quotes"', 'name: "Roof <check> & measure {{ 7*7 }}"')
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = run("build", path, "--no-pdf", "--out", out, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    [folder] = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    policy = next((folder / "documents").glob("POL-001*.docx"))
    assert SPECIAL in header_footer_text(policy)
    body = body_text(policy)
    assert "{{ 7*7 }} {% for x in y %}" in body and "49" not in body
    assert long_value in body
    ha = next((folder / "documents").glob("HA-01*.docx"))
    assert "Roof <check> & measure {{ 7*7 }}" in body_text(ha)


def test_many_people_are_ineligible_and_can_be_built_anyway(tmp_path, example_text):
    people = "".join(f'  - name: "Person {i}"\n    role: worker\n    position: p{i % 30}\n    employment: full_time\n    start_date: 2020-01-01\n' for i in range(60))
    positions = "".join(f'  - id: p{i}\n    title: "Position {i}"\n    tasks:\n      - {{name: "Task {i}", hazards: [manual_handling, slips_trips]}}\n' for i in range(30))
    text = example_text.split("\npeople:\n")[0] + "\npeople:\n" + people + "\npositions:\n" + positions + "\nsites:\n" + example_text.split("\nsites:\n")[1]
    text = text.replace('senior_manager: "Dana Whitfield"', 'senior_manager: "Person 0"')
    text = re.sub(r"\nworking_alone:\n(  .*\n)+", "\n", text)
    path = tmp_path / "big.yaml"
    path.write_text(text)
    refused = run("validate", path, "--as-of", AS_OF)
    assert refused.exit_code == 1 and "60 people were employed at the same time" in refused.output
    built = run("build", path, "--no-pdf", "--allow-ineligible", "--out", tmp_path / "out", "--as-of", AS_OF)
    assert built.exit_code == 0, built.output[-2000:]
    assert "not eligible" in built.output


@pytest.mark.parametrize("case", ["missing", "not an image", "huge", "dot-dot", "symlink"])
def test_bad_logo_is_a_clear_error(tmp_path, example_text, case):
    folder = tmp_path / "client"
    folder.mkdir()
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    name = "logo.png"
    if case == "not an image":
        (folder / name).write_text("not a picture")
    elif case == "huge":
        (folder / name).write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 6_000_000)
    elif case == "dot-dot":
        name = "../outside.png"
    elif case == "symlink":
        (folder / name).symlink_to(outside)
    path = folder / "p.yaml"
    path.write_text(mutate(example_text, '  senior_manager:', f'  logo: "{name}"\n  senior_manager:'))
    [line] = assert_clean_failure(run("validate", path), 1, path)
    assert ":14:3: company.logo: " in line


def test_output_folder_that_is_a_file(tmp_path):
    out = tmp_path / "out"
    out.write_text("I am a file")
    result = run("build", EXAMPLE, "--no-pdf", "--out", out, "--as-of", AS_OF)
    assert result.exit_code == 1 and "output folder is a file" in result.output and "Traceback" not in result.output


def test_full_disk_keeps_the_previous_build(tmp_path):
    out = tmp_path / "small"
    out.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(out)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        (out / "prairie-peak-roofing-ltd").mkdir()
        (out / "prairie-peak-roofing-ltd" / "manifest.json").write_text('{"schema_version": 1, "documents": []}')
        result = run("build", EXAMPLE, "--no-pdf", "--out", out, "--as-of", AS_OF)
        assert result.exit_code == 8, result.output
        assert "No space left on device" in result.output and "Traceback" not in result.output
        assert (out / "prairie-peak-roofing-ltd" / "manifest.json").read_text() == '{"schema_version": 1, "documents": []}'
        assert not [p for p in out.iterdir() if p.name.startswith(".secor-staging")]
    finally:
        subprocess.run(["umount", "-l", str(out)])


def _override(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "overrides"
    target = folder / "policies" / "health-safety-policy.docx"
    target.parent.mkdir(parents=True)
    Compiler(body, "override").compile().save(str(target))
    normalise_docx(target)
    return folder


@pytest.mark.parametrize("body,expected", [
    ("# Hello\nSecond paragraph {{ company.legal_name }\n", "template syntax error"),
    ("# Hello\nText {{ no_such_variable }}\n", "no_such_variable (paragraph"),
    ("# Hello\nText {{ ''.__class__.__mro__ }}\n", "unsafe"),
    ("# Hello\nText {{ company.no_such_field }}\n", "no_such_field"),
])
def test_broken_consultant_templates_name_template_and_paragraph(tmp_path, body, expected):
    overrides = _override(tmp_path, body)
    out = tmp_path / "out"
    result = run("build", EXAMPLE, "--no-pdf", "--out", out, "--templates", overrides, "--as-of", AS_OF)
    assert result.exit_code == 3, result.output
    assert "health-safety-policy.docx" in result.output and expected in result.output
    assert "paragraph" in result.output and "Traceback" not in result.output
    assert not (out / "prairie-peak-roofing-ltd").exists()


def _fake_soffice(tmp_path: Path, script: str) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "soffice"
    fake.write_text("#!/bin/sh\n" + script + "\n")
    fake.chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin"


@pytest.mark.parametrize("name,script,message", [
    ("missing", None, "LibreOffice (soffice) not found"),
    ("hanging", "exec sleep 600", "did not finish"),
    ("crashing", "exit 139", "LibreOffice failed (exit 139)"),
    ("no pdf", "exit 0", "produced no usable PDF"),
])
def test_converter_faults_leave_complete_word_output(tmp_path, monkeypatch, name, script, message):
    if script is None:
        bin_dir = tmp_path / "empty-bin"
        bin_dir.mkdir()
        path_value = str(bin_dir)
    else:
        path_value = _fake_soffice(tmp_path, script)
    monkeypatch.setenv("PATH", path_value)
    monkeypatch.setenv("SECOR_DOCS_CONVERT_TIMEOUT", "3")
    out = tmp_path / "out"
    result = run("build", EXAMPLE, "--out", out, "--as-of", AS_OF)
    assert result.exit_code == 4, result.output
    assert message in result.output and "Traceback" not in result.output
    folder = out / "prairie-peak-roofing-ltd"
    import json
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["documents"] and all((folder / d["docx"]).is_file() and d["pdf"] is None for d in manifest["documents"])
    time.sleep(0.5)
    stray = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().replace(b"\0", b" ").strip() == b"sleep 600":
                stray.append(cmdline.parent.name)
        except OSError:
            pass
    assert not stray


def test_sigterm_during_a_build_leaves_the_previous_build(tmp_path):
    out = tmp_path / "out"
    assert run("build", EXAMPLE, "--no-pdf", "--out", out, "--as-of", AS_OF).exit_code == 0
    folder = out / "prairie-peak-roofing-ltd"
    before = {p: sha256(p) for p in folder.rglob("*") if p.is_file()}
    changed = tmp_path / "p.yaml"
    changed.write_text(mutate(EXAMPLE.read_text(), "check_in_interval_minutes: 120", "check_in_interval_minutes: 30"))
    # same company name, so the same output folder
    proc = subprocess.Popen([sys.executable, "-m", "secor_docs", "build", str(changed), "--no-pdf", "--out", str(out),
                             "--as-of", AS_OF], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and not list(out.glob(".secor-staging-*/documents/*.docx")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert b"Traceback" not in err
    assert {p: sha256(p) for p in folder.rglob("*") if p.is_file()} == before
    assert not [p for p in out.iterdir() if p.name.startswith((".secor-staging", ".secor-old"))]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_profiles_either_load_or_fail_with_located_lines(tmp_path, data):
    lines = EXAMPLE.read_text().splitlines()
    kind = data.draw(st.sampled_from(["delete", "replace", "insert", "duplicate"]))
    i = data.draw(st.integers(0, len(lines) - 1))
    junk = data.draw(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12))
    if kind == "delete":
        del lines[i]
    elif kind == "replace":
        line = lines[i]
        j = data.draw(st.integers(0, max(0, len(line))))
        lines[i] = line[:j] + junk + line[j + 1:]
    elif kind == "insert":
        lines.insert(i, lines[i][: len(lines[i]) - len(lines[i].lstrip())] + junk)
    else:
        lines.insert(i, lines[i])
    path = tmp_path / "mutant.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        load_profile(path)
    except ProfileError as e:
        for line in e.lines():
            assert line.startswith(str(path)) and ONE_LINE.match(line), line


def test_parallel_rendering_gives_the_same_files_and_reports_a_helpers_error(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert run("build", EXAMPLE, "--no-pdf", "--out", one, "--as-of", AS_OF, "--jobs", "1").exit_code == 0
    assert run("build", EXAMPLE, "--no-pdf", "--out", two, "--as-of", AS_OF, "--jobs", "2").exit_code == 0
    docs = sorted(p.name for p in (one / "prairie-peak-roofing-ltd" / "documents").glob("*.docx"))
    assert docs and docs == sorted(p.name for p in (two / "prairie-peak-roofing-ltd" / "documents").glob("*.docx"))
    for name in docs:
        assert sha256(one / "prairie-peak-roofing-ltd" / "documents" / name) == sha256(two / "prairie-peak-roofing-ltd" / "documents" / name)
    # a template fault in whichever process renders it: same located message, nothing written
    overrides = _override(tmp_path, "# Hello\nText {{ company.no_such_field }}\n")
    result = run("build", EXAMPLE, "--no-pdf", "--out", tmp_path / "bad", "--templates", overrides, "--as-of", AS_OF, "--jobs", "2")
    assert result.exit_code == 3 and "health-safety-policy.docx" in result.output and "no_such_field" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "bad" / "prairie-peak-roofing-ltd").exists()


def test_unwritable_template_cache_is_not_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("")
    monkeypatch.setenv("SECOR_DOCS_CACHE", str(blocker / "sub"))
    from secor_docs.render import CachingSandboxedEnvironment

    env = CachingSandboxedEnvironment()
    assert env.bytecode_cache is None
    assert env.from_string("{{ 6 * 7 }}").render() == "42"


def test_compiled_templates_are_reused_between_builds(tmp_path, monkeypatch):
    monkeypatch.setenv("SECOR_DOCS_CACHE", str(tmp_path / "cache"))
    from secor_docs.render import CachingSandboxedEnvironment

    source = "<w:t>{{ name }} and {{ 2 + 3 }}</w:t>"
    assert CachingSandboxedEnvironment(autoescape=True).from_string(source).render(name="A&B") == "<w:t>A&amp;B and 5</w:t>"
    assert list((tmp_path / "cache" / "jinja").iterdir())
    later = CachingSandboxedEnvironment(autoescape=True)

    def no_compile(*a, **k):
        raise AssertionError("compiled again")

    monkeypatch.setattr(later, "compile", no_compile)
    assert later.from_string(source).render(name="A&B") == "<w:t>A&amp;B and 5</w:t>"
