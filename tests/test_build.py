"""Word output of whole builds: every document opens, names the company, and holds no template residue."""
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from secor_docs.cli import main
from secor_docs.determinism import sha256
from secor_docs.pipeline import BuildOptions, run_build

from conftest import AS_OF, EXAMPLE, PROFILES, mutate
from docx_text import body_text, header_footer_text

RESIDUE = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|\bNone\b|\bnan\b|Undefined|\(\)")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("docx-build")
    results = run_build(BuildOptions(profiles=(PROFILES,), out=out, as_of=__import__("datetime").date.fromisoformat(AS_OF), pdf=False))
    assert all(r.ok for r in results), [str(r.error) for r in results if not r.ok]
    return out, results


def manifests(out: Path):
    for path in sorted(out.glob("*/manifest.json")):
        yield path.parent, json.loads(path.read_text())


def test_every_profile_gets_a_manifest_per_contract(built):
    out, results = built
    assert len(list(manifests(out))) == len(list(PROFILES.glob("*.yaml"))) >= 4
    for folder, m in manifests(out):
        assert m["schema_version"] == 1 and m["as_of"] == AS_OF
        assert m["generator"].startswith("secor-docs ")
        assert m["binder"]["pdf"] is None and m["binder"]["docx"] is None  # --no-pdf
        kinds = {"policy", "procedure", "practice", "assessment", "plan", "form", "record", "index"}
        for doc in m["documents"]:
            assert doc["kind"] in kinds
            assert (folder / doc["docx"]).is_file()
            assert doc["pdf"] is None
            assert doc["sha256"] == sha256(folder / doc["docx"])
            assert doc["revision"] >= 1 and doc["next_review"] > doc["effective"]


def test_every_document_names_the_company_and_has_no_residue(built):
    out, _ = built
    for folder, m in manifests(out):
        for doc in m["documents"]:
            path = folder / doc["docx"]
            text = body_text(path)
            header = header_footer_text(path)
            assert m["company"] in header, f"{path.name}: legal name missing from header"
            assert doc["id"] in header and "Page" in header
            found = RESIDUE.search(text + header)
            assert not found, f"{path.name}: template residue {found.group()!r} near {text[max(0, found.start() - 60):found.start() + 60]!r}"


def test_example_binder_is_specific_to_the_company(built):
    out, _ = built
    folder = out / "prairie-peak-roofing-ltd"
    m = json.loads((folder / "manifest.json").read_text())
    ids = [d["id"] for d in m["documents"]]
    assert sum(1 for i in ids if i.startswith("HA-")) == 4          # one formal hazard assessment per position
    assert sum(1 for i in ids if i.startswith("ERP-")) == 2         # one emergency response plan per site
    roofer = next(folder / d["docx"] for d in m["documents"] if d["title"].endswith(": Roofer"))
    text = body_text(roofer)
    for task in ("Tear off existing roofing", "Install shingles with pneumatic nailers", "Apply torch-on membrane on flat roofs"):
        assert task in text
    assert "Torch-applied membrane on flat roofs" in text and "Fire watch for 60 minutes" in text
    assert "Tyler Brandt" in text and "Sam Ortiz" in text
    erp = body_text(next(folder / d["docx"] for d in m["documents"] if d["id"] == "ERP-01"))
    assert "North gate beside the flagpole" in erp and "Red Deer Regional Hospital Centre" in erp and "1-866-415-8690" in erp


def test_docx_files_are_byte_identical_across_builds(tmp_path):
    hashes = []
    for run in ("a", "b"):
        out = tmp_path / run
        [result] = run_build(BuildOptions(profiles=(EXAMPLE,), out=out, as_of=__import__("datetime").date(2026, 2, 1), pdf=False))
        assert result.ok
        folder = out / result.slug
        hashes.append({p.name: sha256(p) for p in (folder / "documents").glob("*.docx")})
    assert hashes[0] == hashes[1] and hashes[0]


def test_validate_accepts_the_example_and_rejects_a_misspelt_key(tmp_path, example_text):
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", str(EXAMPLE), "--as-of", AS_OF])
    assert ok.exit_code == 0, ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(mutate(example_text, "  industry: roofing", "  industy: roofing"))
    result = runner.invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:9:3: company.industy: unknown key 'industy'; did you mean 'industry'?" in result.output
    assert "Traceback" not in result.output


def test_bad_profile_build_writes_nothing_and_exits_1(tmp_path, example_text):
    bad = tmp_path / "bad.yaml"
    bad.write_text(mutate(example_text, "audit: certification", "audit: sometime"))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(bad), "--no-pdf", "--out", str(out)])
    assert result.exit_code == 1
    assert "program.audit" in result.output and "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def test_ineligible_employer_is_refused_unless_allowed(tmp_path, example_text):
    extra = "".join(f'  - name: "Worker {i}"\n    role: worker\n    position: roofer\n    employment: casual\n    start_date: 2025-06-01\n' for i in range(6))
    text = mutate(example_text, "\npositions:", "\n" + extra + "\npositions:")
    path = tmp_path / "big.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    refused = CliRunner().invoke(main, ["build", str(path), "--no-pdf", "--out", str(out), "--as-of", AS_OF])
    assert refused.exit_code == 1
    assert "must move to a regular COR" in refused.output and "12 people" in refused.output
    allowed = CliRunner().invoke(main, ["build", str(path), "--no-pdf", "--out", str(out), "--as-of", AS_OF, "--allow-ineligible"])
    assert allowed.exit_code == 0, allowed.output
    assert "not eligible" in allowed.output
