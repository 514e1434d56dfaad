"""Consultant experience: starter profiles, own templates, branding, sign-off sheets, JSON Schema."""
import json
import struct
import zipfile
import zlib
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from secor_docs.authoring import Compiler
from secor_docs.cli import main
from secor_docs.determinism import normalise_docx, sha256
from secor_docs.pipeline import BuildOptions, run_build

from conftest import AS_OF, EXAMPLE, mutate
from docx_text import body_text


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


@pytest.mark.parametrize("industry", ["roofing", "office", "oilfield_services", "janitorial", "auto_repair"])
def test_init_no_input_builds_without_edits(tmp_path, industry):
    path = tmp_path / "new.yaml"
    assert run("init", path, "--no-input", "--industry", industry).exit_code == 0
    assert "# secor-docs company profile" in path.read_text()
    assert run("validate", path, "--as-of", AS_OF).exit_code == 0
    result = run("build", path, "--no-pdf", "--out", tmp_path / "out", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output


def test_init_never_overwrites_without_force(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("keep me")
    result = run("init", path, "--no-input")
    assert result.exit_code == 1 and "already exists" in result.output and path.read_text() == "keep me"
    assert run("init", path, "--no-input", "--force").exit_code == 0


def test_init_interactive_uses_the_answers(tmp_path):
    path = tmp_path / "asked.yaml"
    answers = "\n".join(["landscaping", "Green Acres Landscaping Ltd.", "5550001", "1 Park Road, Lacombe, AB", "403-555-0000",
                         "AASP", "Pat Green", "", "Chris Lee", "worker", "", "", "Yard", "Lacombe Hospital", "12"]) + "\n"
    result = CliRunner().invoke(main, ["init", str(path)], input=answers)
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert '"Green Acres Landscaping Ltd."' in text and '"Chris Lee"' in text and "travel_minutes: 12" in text
    assert run("validate", path, "--as-of", AS_OF).exit_code == 0


def test_exported_and_edited_template_changes_exactly_its_documents(tmp_path):
    folder = tmp_path / "mine"
    assert run("templates", "export", folder).exit_code == 0
    edited = folder / "policies" / "health-safety-policy.docx"
    Compiler("# Our promise\nConsultant wording for {{ company.legal_name }}.\n", "x").compile().save(str(edited))
    normalise_docx(edited)
    for other in folder.rglob("*.docx"):  # keep only the edited file: the rest must fall back to the built-in set
        if other != edited:
            other.unlink()
    plain = run_build(BuildOptions(profiles=(EXAMPLE,), out=tmp_path / "a", as_of=date(2026, 2, 1), pdf=False))[0]
    mine = run_build(BuildOptions(profiles=(EXAMPLE,), out=tmp_path / "b", as_of=date(2026, 2, 1), pdf=False, templates=(folder,)))[0]
    assert plain.ok and mine.ok
    a = {p.name: sha256(p) for p in (tmp_path / "a" / plain.slug / "documents").glob("*.docx")}
    b = {p.name: sha256(p) for p in (tmp_path / "b" / mine.slug / "documents").glob("*.docx")}
    differ = sorted(name for name in a if a[name] != b[name])
    assert differ[:1] == ["POL-001 Health and Safety Policy.docx"]
    assert all(n.startswith(("POL-001", "ADM-002", "POL-000", "FRM-059", "POL-003")) for n in differ), differ
    policy = tmp_path / "b" / mine.slug / "documents" / "POL-001 Health and Safety Policy.docx"
    assert "Consultant wording for Prairie Peak Roofing Ltd." in body_text(policy)


def test_templates_check_names_file_and_paragraph(tmp_path):
    folder = tmp_path / "mine"
    target = folder / "policies" / "health-safety-policy.docx"
    target.parent.mkdir(parents=True)
    Compiler("# A\nfine\n# B\nHello {{ compnay.legal_name }}\n", "x").compile().save(str(target))
    result = run("templates", "check", folder, "--as-of", AS_OF)
    assert result.exit_code == 1
    assert f"{target}: unknown variables: compnay (paragraph" in result.output


def _png(path: Path) -> None:
    raw = b"".join(b"\x00" + b"\x1f\x4e\x79" * 8 for _ in range(8))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_logo_brand_colour_and_prepared_by(tmp_path, example_text):
    _png(tmp_path / "logo.png")
    text = mutate(example_text, "  senior_manager:", '  logo: "logo.png"\n  senior_manager:')
    text += '\nprepared_by: {name: "Robin Consultant", company: "Safe Start Consulting", phone: "403-555-0111"}\nbranding: {colour: "#2E7D32"}\n'
    profile = tmp_path / "p.yaml"
    profile.write_text(text)
    [r] = run_build(BuildOptions(profiles=(profile,), out=tmp_path / "out", as_of=date(2026, 2, 1), pdf=False))
    assert r.ok, r.error
    docs = list((tmp_path / "out" / r.slug / "documents").glob("*.docx"))
    assert docs
    for doc in docs:
        with zipfile.ZipFile(doc) as z:
            headers = [n for n in z.namelist() if n.startswith("word/header")]
            assert any(z.read(n).count(b"r:embed") for n in headers), f"{doc.name}: no logo in header"
            assert any(n.startswith("word/media/") for n in z.namelist())
            styles = z.read("word/styles.xml").decode()
            assert '"2E7D32"' in styles and '"1F4E79"' not in styles
    assert json.loads((tmp_path / "out" / r.slug / "manifest.json").read_text())["company"] == "Prairie Peak Roofing Ltd."


def test_settings_file_supplies_prepared_by(tmp_path, monkeypatch):
    settings = tmp_path / "settings.yaml"
    settings.write_text('prepared_by: {name: "Kim Advisor", company: "North Safety Ltd."}\n')
    monkeypatch.setenv("SECOR_DOCS_SETTINGS", str(settings))
    from secor_docs.pipeline import plan_build
    plan = plan_build(EXAMPLE, date(2026, 2, 1))
    assert plan.look.prepared_by == "Kim Advisor, North Safety Ltd."


def test_acknowledgement_sheets_list_every_current_worker_per_policy(tmp_path):
    [r] = run_build(BuildOptions(profiles=(EXAMPLE,), out=tmp_path, as_of=date(2026, 2, 1), pdf=False))
    sheets = next((tmp_path / r.slug / "documents").glob("FRM-059*.docx"))
    text = body_text(sheets)
    assert "POL-001 Health and Safety Policy, revision 1" in text
    # documents that carry their own worker sign-off are not repeated on the acknowledgement sheets
    assert "PLN-011 Violence and Harassment Prevention Plan, revision 1" not in text
    assert "Safe Job Procedure:" not in text
    for name in ("Dana Whitfield", "Marcus Okafor", "Jenna Whitfield", "Tyler Brandt", "Sam Ortiz"):
        assert text.count(name) >= 10
    assert "Priya Nand" not in text   # left in 2025
    approval = body_text(next((tmp_path / r.slug / "documents").glob("POL-000*.docx")))
    assert "Senior manager: Dana Whitfield" in approval and "FRM-059" in approval


def test_json_schema_validates_the_example(tmp_path):
    result = run("schema")
    schema = json.loads(result.output)
    data = YAML(typ="safe").load(EXAMPLE.read_text())

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.isoformat() if isinstance(value, date) else value

    jsonschema.Draft202012Validator(schema).validate(plain(data))
    bad = plain(data)
    bad["company"]["legal_nme"] = "x"
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(bad))
