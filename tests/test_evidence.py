"""Evidence index, readiness check against the audit window, and the records calendar."""
import csv
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from icalendar import Calendar

from secor_docs.cli import main
from secor_docs.frameworks import load_framework
from secor_docs.pipeline import BuildOptions, run_build

from conftest import EXAMPLE, PROFILES

FRAMEWORKS = ["GENERIC", "ACSA", "ESC", "AASP"]


@pytest.mark.parametrize("key", FRAMEWORKS)
def test_frameworks_are_complete_data(key):
    fw = load_framework(key)
    assert fw.pass_rule.overall_percent == 80 and fw.pass_rule.element_minimum_percent == 50
    assert "must be checked against" in fw.verify_note
    assert abs(sum(e.weight for e in fw.elements) - 100) < 0.5
    assert all(q.technique in ("documentation", "interview", "observation") for e in fw.elements for q in e.questions)


@pytest.fixture(scope="module")
def example_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("evidence-build")
    [r] = run_build(BuildOptions(profiles=(EXAMPLE,), out=out, as_of=date(2026, 2, 1), pdf=False))
    assert r.ok, r.error
    return out / r.slug


def test_csv_covers_every_element_of_the_framework(example_build):
    rows = list(csv.DictReader((example_build / "evidence-index.csv").open()))
    assert list(rows[0]) == ["element_id", "element", "question_id", "question", "technique", "directive_documents",
                             "binder_pages", "records_required", "frequency", "evidence_folder"]
    fw = load_framework("ACSA")
    assert {r["element_id"] for r in rows} == {e.id for e in fw.elements}
    assert len(rows) == sum(len(e.questions) for e in fw.elements)
    policy = next(r for r in rows if "POL-001" in r["directive_documents"])
    assert policy["directive_documents"].startswith("POL-001 Health and Safety Policy")


def test_evidence_folder_has_a_folder_per_record_type_and_a_readme(example_build):
    evidence = example_build / "evidence"
    rows = list(csv.DictReader((example_build / "evidence-index.csv").open()))
    folders = {f.strip() for r in rows for f in r["evidence_folder"].split(";") if f.strip()}
    for folder in folders:
        assert (example_build / folder).is_dir(), folder
    readme = (evidence / "README.md").read_text()
    assert "YYYY-MM-DD description.ext" in readme


def _fill(evidence: Path, folder: str, days: list[str], suffix: str = "record"):
    target = evidence / folder
    target.mkdir(parents=True, exist_ok=True)
    for day in days:
        (target / f"{day} {suffix}.pdf").write_bytes(b"%PDF-1.4")


def test_check_names_exactly_the_gaps(tmp_path):
    profile = PROFILES / "solo-spark-electric.yaml"   # one person, GENERIC-like ACSA framework, monthly cycle
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    months = [f"2025-{m:02d}-15" for m in range(2, 13)] + ["2026-01-15"]
    result = CliRunner().invoke(main, ["check", str(profile), "--evidence", str(evidence), "--as-of", "2026-02-01", "--json", "--months", "12"])
    report = json.loads(result.output)
    needed = {r["key"]: r for r in report["records"]}
    for key, r in needed.items():
        if r["frequency"] in ("monthly", "weekly", "biweekly", "per_task", "per_equipment_use"):
            _fill(evidence, r["folder"], [d for d in months if not (key == "site_inspections" and d.startswith("2025-07"))])
        elif r["frequency"] == "quarterly":
            _fill(evidence, r["folder"], ["2025-03-01", "2025-06-01", "2025-09-01", "2025-12-01"])
        elif r["frequency"] in ("annual", "semiannual"):
            _fill(evidence, r["folder"], ["2025-06-01", "2025-12-01"])
        elif r["status"] == "gap" and r["missing_people"] and key != "orientation_records":
            _fill(evidence, r["folder"], ["2025-06-01"], "Jo Tremblay")
    _fill(evidence, "08-administration/statistics", ["2025-03-01", "2025-06-01", "2025-09-01", "2025-12-01"])
    (evidence / "04-inspections" / "site-inspections" / "scan without date.pdf").write_bytes(b"x")
    result = CliRunner().invoke(main, ["check", str(profile), "--evidence", str(evidence), "--as-of", "2026-02-01", "--json", "--months", "12"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["window_start"] == "2025-02-01" and report["window_end"] == "2026-01-31"
    record_gaps = [g for g in report["gaps"] if "): none " in g]
    assert sorted(g.split(" (", 1)[1] for g in record_gaps) == [
        "04-inspections/site-inspections): none dated in 2025-07",
        "05-training/orientation): none for Jo Tremblay",
    ]
    site = next(r for r in report["records"] if r["key"] == "site_inspections")
    assert site["missing_periods"] == ["2025-07"] and site["undated"] == ["scan without date.pdf"]
    orientation = next(r for r in report["records"] if r["key"] == "orientation_records")
    assert orientation["missing_people"] == ["Jo Tremblay"]
    others = [r for r in report["records"] if r["key"] not in ("site_inspections", "orientation_records")]
    assert all(r["status"] in ("ok", "per_event") for r in others), [r for r in others if r["status"] == "gap"]
    text = CliRunner().invoke(main, ["check", str(profile), "--evidence", str(evidence), "--as-of", "2026-02-01", "--months", "12"])
    assert "none in 2025-07" in text.output and "NOT READY" in text.output


def test_check_reports_expired_and_expiring_certificates(tmp_path):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    result = CliRunner().invoke(main, ["check", str(EXAMPLE), "--evidence", str(evidence), "--as-of", "2026-04-01", "--json"])
    report = json.loads(result.output)
    assert result.exit_code == 1
    assert "Tyler Brandt: Fall Protection expires 2026-04-20 (within 60 days)" in report["people"]
    assert report["window_months"] == 3      # records since 2025-11-01: a first, one-year SECOR
    later = json.loads(CliRunner().invoke(main, ["check", str(EXAMPLE), "--evidence", str(evidence), "--as-of", "2026-12-01", "--json"]).output)
    assert "Marcus Okafor: intermediate first aid certificate expired 2026-11-30" in later["people"]
    assert later["window_months"] == 12


def test_calendar_parses_and_holds_the_recurring_events(example_build):
    cal = Calendar.from_ical((example_build / "records-calendar.ics").read_bytes())
    events = {str(e.get("summary")): e for e in cal.walk("VEVENT")}
    meeting = events["Safety meeting (record minutes and attendance)"]
    assert meeting.get("rrule")["FREQ"] == ["WEEKLY"]
    drill = events["Emergency response drill"]
    assert drill.get("rrule")["FREQ"] == ["MONTHLY"] and drill.get("rrule")["INTERVAL"] == [6]
    assert events["Workplace inspection: Shop and yard"].get("rrule")["FREQ"] == ["MONTHLY"]
    assert events["Annual health and safety policy and program review"].get("rrule")["FREQ"] == ["YEARLY"]
    expiry = events["First aid certificate expires: Marcus Okafor (intermediate)"]
    assert expiry.decoded("dtstart") == date(2026, 11, 30)
    assert "Training expires: Tyler Brandt, Fall Protection" in events
    assert all(e.get("uid") for e in events.values())
