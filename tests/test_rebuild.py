"""Rebuilds: revisions follow the profile, hand edits stop the build, unchanged output keeps its bytes."""
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from secor_docs.cli import main
from secor_docs.determinism import sha256
from secor_docs.pipeline import BuildOptions, run_build

from conftest import mutate

NEW_WORKER = '''  - name: "Lee Chen"
    role: worker
    position: roofer
    employment: full_time
    start_date: 2026-03-01
  - name: "Priya Nand"'''


def build(profile: Path, out: Path, as_of: str, **kw):
    [result] = run_build(BuildOptions(profiles=(profile,), out=out, as_of=date.fromisoformat(as_of), pdf=kw.pop("pdf", False), **kw))
    return result


def manifest(out: Path) -> dict:
    [path] = out.glob("*/manifest.json")
    return json.loads(path.read_text())


@pytest.fixture
def first_build(tmp_path, example_text):
    profile = tmp_path / "profile.yaml"
    profile.write_text(example_text)
    out = tmp_path / "out"
    assert build(profile, out, "2026-02-01").ok
    return profile, out


def test_first_build_is_revision_one_on_the_effective_date(first_build):
    _, out = first_build
    m = manifest(out)
    assert all(d["revision"] == 1 and d["effective"] == "2026-02-01" and d["next_review"] == "2027-02-01" for d in m["documents"])
    assert "First build" in (out / "prairie-peak-roofing-ltd" / "CHANGES.md").read_text()


def test_changes_revise_only_the_documents_that_depend_on_them(first_build):
    profile, out = first_build
    before = {d["ident"]: d for d in manifest(out)["documents"]}
    text = mutate(profile.read_text(), '  - name: "Priya Nand"', NEW_WORKER)
    text = mutate(text, "check_in_interval_minutes: 120", "check_in_interval_minutes: 60")
    text = mutate(text, '  - {name: "Dump trailer", kind: trailer}', '  - {name: "Dump trailer", kind: trailer}\n  - {name: "Bobcat S70", kind: skid_steer}')
    profile.write_text(text)
    result = build(profile, out, "2026-03-15")
    assert result.ok
    after = {d["ident"]: d for d in manifest(out)["documents"]}
    changes = (out / "prairie-peak-roofing-ltd" / "CHANGES.md").read_text()
    assert "Added Lee Chen (Roofer)" in changes and "New equipment: Bobcat S70" in changes
    assert "Working alone check-in changed from 120 to 60 minutes" in changes
    # the working alone procedure names the change in its history
    wa = after["working_alone_procedure"]
    assert wa["revision"] == 2 and wa["effective"] == "2026-03-15" and wa["next_review"] == "2027-03-15"
    assert "Working alone check-in changed from 120 to 60 minutes" in wa["history"][-1]["change"]
    # the roofer's formal hazard assessment lists its workers: revised for the new worker
    roofer = after["formal_hazard_assessment:roofer"]
    assert roofer["revision"] == 2 and "Added Lee Chen (Roofer)" in roofer["history"][-1]["change"]
    # the office administrator's assessment did not change: same revision, dates and bytes
    office = after["formal_hazard_assessment:office_admin"]
    assert office["revision"] == 1 and office["effective"] == "2026-02-01"
    assert office["sha256"] == before["formal_hazard_assessment:office_admin"]["sha256"]
    assert "equipment_inspection_form:Bobcat S70" in after and "equipment_inspection_form:Bobcat S70" not in before
    assert any(d["revision"] == 1 for d in after.values())


def test_hand_edited_output_stops_the_build_and_force_keeps_a_backup(first_build):
    profile, out = first_build
    folder = out / "prairie-peak-roofing-ltd"
    m = manifest(out)
    edited = folder / m["documents"][0]["docx"]
    edited.write_bytes(edited.read_bytes() + b"hand edit")
    snapshot = {p: sha256(p) for p in folder.rglob("*") if p.is_file()}
    runner = CliRunner()
    stopped = runner.invoke(main, ["build", str(profile), "--no-pdf", "--out", str(out), "--as-of", "2026-02-01"])
    assert stopped.exit_code == 6
    assert "changed by hand" in stopped.output and m["documents"][0]["docx"] in stopped.output
    assert {p: sha256(p) for p in folder.rglob("*") if p.is_file()} == snapshot
    forced = runner.invoke(main, ["build", str(profile), "--no-pdf", "--out", str(out), "--as-of", "2026-02-01", "--force"])
    assert forced.exit_code == 0, forced.output
    [backup] = (folder / "edited-backup").glob("*/" + m["documents"][0]["docx"])
    assert backup.read_bytes().endswith(b"hand edit")
    assert sha256(edited) == manifest(out)["documents"][0]["sha256"]


def test_files_the_build_did_not_make_are_never_touched(first_build):
    profile, out = first_build
    folder = out / "prairie-peak-roofing-ltd"
    notes = folder / "notes.txt"
    notes.write_text("mine")
    evidence = folder / "evidence" / "04-inspections" / "site-inspections" / "2026-01-10 shop.pdf"
    evidence.write_bytes(b"%PDF-1.4 scan")
    extra = folder / "documents" / "my scan.pdf"
    extra.write_bytes(b"scan")
    profile.write_text(mutate(profile.read_text(), "check_in_interval_minutes: 120", "check_in_interval_minutes: 90"))
    assert build(profile, out, "2026-02-01").ok
    assert notes.read_text() == "mine" and evidence.read_bytes() == b"%PDF-1.4 scan" and extra.read_bytes() == b"scan"


def test_unchanged_rebuild_keeps_every_byte(first_build):
    profile, out = first_build
    folder = out / "prairie-peak-roofing-ltd"
    before = {p.relative_to(folder): sha256(p) for p in folder.rglob("*") if p.is_file()}
    result = build(profile, out, "2026-02-01")
    assert result.ok and "Nothing changed" in result.changes[0]
    assert {p.relative_to(folder): sha256(p) for p in folder.rglob("*") if p.is_file()} == before


def test_unchanged_rebuild_answers_before_planning_but_follows_any_input(first_build, tmp_path, monkeypatch):
    import secor_docs.pipeline as pipeline
    from secor_docs.authoring import Compiler
    from secor_docs.determinism import normalise_docx

    profile, out = first_build
    overrides = tmp_path / "overrides"
    policy = overrides / "policies" / "health-safety-policy.docx"
    policy.parent.mkdir(parents=True)
    Compiler("# Our policy\n{{ company.legal_name }} keeps people safe.\n", "policy").compile().save(str(policy))
    normalise_docx(policy)
    assert build(profile, out, "2026-02-01", templates=(overrides,)).ok
    planned = []
    real_plan = pipeline.plan_build
    monkeypatch.setattr(pipeline, "plan_build", lambda *a, **k: planned.append(1) or real_plan(*a, **k))
    again = build(profile, out, "2026-02-01", templates=(overrides,))
    assert again.ok and "Nothing changed" in again.changes[0] and not planned   # answered from the raw inputs
    # a consultant's template changes: the build notices without any profile change
    Compiler("# Our policy\n{{ company.legal_name }} keeps every worker safe.\n", "policy").compile().save(str(policy))
    normalise_docx(policy)
    changed = build(profile, out, "2026-02-01", templates=(overrides,))
    assert changed.ok and planned and "Nothing changed" not in changed.changes[0]
    assert any("Health and Safety Policy" in line for line in changed.changes)


def test_portfolio_with_a_broken_profile_builds_the_others(tmp_path, example_text):
    folder = tmp_path / "clients"
    folder.mkdir()
    (folder / "a-good.yaml").write_text(example_text)
    (folder / "b-broken.yaml").write_text(mutate(example_text, "audit: certification", "audit: nope"))
    (folder / "c-good.yaml").write_text(mutate(example_text, 'legal_name: "Prairie Peak Roofing Ltd."', 'legal_name: "Second Roofing Ltd."'))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(folder), "--no-pdf", "--out", str(out), "--as-of", "2026-02-01", "--jobs", "2"])
    assert result.exit_code == 1
    assert (out / "prairie-peak-roofing-ltd" / "manifest.json").is_file() and (out / "second-roofing-ltd" / "manifest.json").is_file()
    assert "b-broken.yaml:18:3: program.audit" in result.output
    rows = (out / "portfolio.csv").read_text().splitlines()
    assert rows[0].startswith("profile,company,status") and len(rows) == 4
    assert sum(",built," in r for r in rows) == 2 and sum(",failed," in r for r in rows) == 1
