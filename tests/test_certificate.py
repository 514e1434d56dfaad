"""Certificate sought, records window and earliest booking date: pure functions, the approval page, `check`."""
from datetime import date
from types import SimpleNamespace

import pytest
from docx import Document

from secor_docs.certificate import (Certificate, WindowRules, earliest_audit, months_covered, plan_audit,
                                    records_window, window_findings)
from secor_docs.frameworks import load_framework, window_rules
from secor_docs.pipeline import BuildOptions, plan_build, run_build
from secor_docs.readiness import window_for

from conftest import ROOT

FW = ROOT / "tests" / "profiles"
RULES = WindowRules("ESC", 3, 12, 12, "verified", "test")


def program(**kw):
    base = dict(effective_date=date(2025, 10, 1), audit="certification", records_since=None,
                certificate_anniversary=None, audit_date=None)
    return SimpleNamespace(**{**base, **kw})


def test_records_window_is_the_whole_months_before_the_audit_month():
    assert records_window(date(2026, 4, 10), 3) == (date(2026, 1, 1), date(2026, 3, 31))
    assert records_window(date(2026, 1, 1), 12) == (date(2025, 1, 1), date(2025, 12, 31))


def test_records_started_mid_month_count_from_the_next_month():
    assert earliest_audit(date(2026, 1, 1), 3) == date(2026, 4, 1)
    assert earliest_audit(date(2026, 1, 15), 3) == date(2026, 5, 1)
    assert earliest_audit(date(2025, 11, 30), 12) == date(2026, 12, 1)
    assert months_covered(date(2026, 1, 15), date(2026, 4, 2), 3) == 2
    assert months_covered(date(2020, 1, 1), date(2026, 4, 2), 12) == 12
    assert months_covered(date(2026, 5, 1), date(2026, 4, 2), 3) == 0


def test_first_certification_seeks_a_one_year_secor_until_twelve_months_exist():
    plan = plan_audit(program(records_since=date(2025, 11, 1)), RULES, as_of=date(2026, 1, 10))
    assert plan.certificate is Certificate.ONE_YEAR and plan.window_months == 3
    assert plan.earliest_booking == date(2026, 2, 1) and plan.audit_date == date(2026, 2, 1)
    assert plan.audit_date_basis == "earliest" and plan.window_met
    assert plan.three_year_from == date(2026, 11, 1)
    assert (plan.window_start, plan.window_end) == (date(2025, 11, 1), date(2026, 1, 31))


def test_first_certification_with_twelve_months_seeks_three_years():
    plan = plan_audit(program(records_since=date(2024, 12, 15), audit_date=date(2026, 3, 10)), RULES, date(2026, 2, 1))
    assert plan.certificate is Certificate.THREE_YEAR and plan.window_months == 12
    assert plan.audit_date_basis == "planned" and plan.window_met
    assert (plan.window_start, plan.window_end) == (date(2025, 3, 1), date(2026, 2, 28))


def test_without_records_since_records_start_on_the_effective_date():
    plan = plan_audit(program(effective_date=date(2026, 2, 1)), RULES, date(2026, 2, 1))
    assert plan.records_start_field == "effective_date" and plan.earliest_booking == date(2026, 5, 1)


def test_a_planned_audit_before_the_window_is_covered_is_a_finding():
    plan = plan_audit(program(records_since=date(2026, 1, 1), audit_date=date(2026, 3, 1)), RULES, date(2026, 2, 1))
    assert plan.certificate is Certificate.ONE_YEAR and plan.months_covered == 2 and not plan.window_met
    [finding] = window_findings(plan, RULES, "Owner", date(2026, 2, 1), ("POL-000",))
    assert finding.code == "records-window-short" and finding.severity.value == "error"
    assert "only 2 of those months" in finding.message and "2026-04-01" in finding.action
    assert finding.documents == ("POL-000",) and finding.owner == "Owner"


def test_maintenance_audit_samples_twelve_months_before_its_due_date():
    p = program(audit="maintenance", records_since=date(2024, 3, 1), certificate_anniversary=date(2024, 4, 15))
    plan = plan_audit(p, RULES, date(2026, 2, 1))
    assert plan.due_by == date(2026, 4, 15) and plan.audit_date == plan.due_by and plan.audit_date_basis == "due"
    assert plan.certificate is Certificate.THREE_YEAR and plan.window_months == 12 and plan.window_met
    assert window_findings(plan, RULES, "Owner", date(2026, 2, 1)) == []


def test_maintenance_with_a_new_program_and_no_records_since_cannot_meet_the_window():
    p = program(audit="maintenance", effective_date=date(2026, 2, 1), certificate_anniversary=date(2024, 5, 20))
    plan = plan_audit(p, RULES, date(2026, 2, 1))
    assert not plan.window_met and plan.months_covered == 3   # Feb, Mar, Apr before a 20 May due date
    codes = [f.code for f in window_findings(plan, RULES, "Owner", date(2026, 2, 1))]
    assert codes == ["records-window-short"]


def test_maintenance_without_an_anniversary_and_believed_rules_are_findings():
    rules = WindowRules("ACSA", 3, 12, 12, "believed", "from ACSA COR")
    plan = plan_audit(program(audit="maintenance", records_since=date(2020, 1, 1)), rules, date(2026, 2, 1))
    codes = {f.code: f.severity.value for f in window_findings(plan, rules, "Owner", date(2026, 2, 1))}
    assert codes == {"maintenance-due-date-unknown": "warning", "certificate-rules-unverified": "note"}


@pytest.mark.parametrize("key, status", [("ESC", "verified"), ("ACSA", "believed"), ("AASP", "believed"),
                                         ("GENERIC", "believed")])
def test_every_partner_has_sourced_window_rules(key, status):
    c = load_framework(key).certificates
    assert (c.one_year_months, c.three_year_months, c.maintenance_months) == (3, 12, 12)
    assert c.status == status and c.sources and all("secor-facts.md" in s for s in c.sources)


def test_settings_override_the_partner_rules(tmp_path, monkeypatch):
    settings = tmp_path / "settings.yaml"
    settings.write_text("certificate_rules:\n  ACSA: {one_year_months: 6, source: 'ACSA SECOR Evaluation 2023, p. 4'}\n")
    monkeypatch.setenv("SECOR_DOCS_SETTINGS", str(settings))
    plan = plan_build(FW / "fw-acsa-first-one-year.yaml", date(2026, 2, 1))
    assert plan.audit.window_months == 6 and plan.audit.earliest_booking == date(2026, 4, 1)
    assert plan.audit.audit_date == date(2026, 4, 1) and plan.audit.window_met   # shown on the earliest date
    assert "certificate-rules-unverified" not in {f.code for f in plan.findings}


def test_check_uses_the_same_window_as_the_approval_page():
    for name in ("fw-acsa-first-one-year", "fw-aasp-three-year-planned", "fw-generic-maintenance"):
        plan = plan_build(FW / f"{name}.yaml", date(2026, 2, 1))
        on = plan.audit.audit_date
        months, start, end = window_for(plan.loaded.profile, on, window_rules(plan.framework))
        assert (months, start, end) == (plan.audit.window_months, plan.audit.window_start, plan.audit.window_end), name


def _audit_table(folder):
    [docx] = folder.glob("documents/POL-000 *.docx")
    for table in Document(str(docx)).tables:
        if table.rows[0].cells[0].text.strip() == "Audit":
            return {r.cells[0].text.strip(): r.cells[1].text.strip() for r in table.rows}
    raise AssertionError("no audit table on the approval page")


@pytest.fixture(scope="module")
def approval_pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("approval")
    results = run_build(BuildOptions(profiles=tuple(sorted(FW.glob("fw-*.yaml"))), out=out, as_of=date(2026, 2, 1), pdf=False))
    assert all(r.ok for r in results), [str(r.error) for r in results]
    return {r.profile.stem: (_audit_table(out / r.slug), r) for r in results}


def test_approval_page_for_a_first_one_year_certification(approval_pages):
    table, result = approval_pages["fw-acsa-first-one-year"]
    assert table["Audit"] == "Certification audit with Alberta Construction Safety Association (ACSA)"
    assert table["Certificate sought"].startswith("One-year SECOR")
    assert "three-year SECOR can be sought from October 1, 2026" in table["Certificate sought"]
    assert table["Records kept since"] == "October 1, 2025"
    # shown for the earliest booking date (from the program's own dates), not for the build date (issue 16)
    assert table["Records window"] == ("The 3 whole months before the audit month: October 1, 2025 to December 31, 2025 "
                                       "for an audit held on its earliest booking date, January 1, 2026. The records cover all of them.")
    assert table["Earliest booking date"].startswith("January 1, 2026: from that day on, 3 whole months")
    assert "Due by" not in table
    assert "records-window-short" not in {f["code"] for f in result.findings}


def test_approval_page_for_a_planned_three_year_certification(approval_pages):
    table, _ = approval_pages["fw-aasp-three-year-planned"]
    assert table["Certificate sought"].startswith("Three-year SECOR: the records cover the 12 months")
    assert "for an audit planned for March 10, 2026" in table["Records window"]
    assert "March 1, 2025 to February 28, 2026" in table["Records window"]


def test_approval_page_for_maintenance_audits(approval_pages):
    table, result = approval_pages["fw-generic-maintenance"]
    assert table["Audit"].startswith("Maintenance audit (year 2 or 3 of the three-year SECOR)")
    assert table["Certificate sought"].startswith("Keeping the three-year SECOR")
    assert table["Due by"] == "June 30, 2026, the next anniversary of the current certificate."
    assert "The records cover all of them." in table["Records window"]
    table, result = approval_pages["fw-esc-maintenance-new-program"]
    assert table["Records kept since"].startswith("February 1, 2026 (the date this edition took effect")
    assert "cover only 3 of these 12 months" in table["Records window"]
    assert table["Earliest booking date"] == ("February 1, 2027: from that day on, 12 whole months of records exist, "
                                              "which is after the due date.")
    [short] = [f for f in result.findings if f["code"] == "records-window-short"]
    assert short["message"].startswith("The maintenance audit due by 2026-05-20") and short["severity"] == "error"
    assert short["documents"] == ["POL-000"]
