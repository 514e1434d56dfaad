"""Each consistency rule on its own: it fires on the conflict it names and stays quiet on a profile without it."""
from dataclasses import replace
from datetime import date

from secor_docs import consistency as c
from secor_docs.consistency import FindingInputs, all_findings
from secor_docs.findings import Severity
from secor_docs.library import load_library
from secor_docs.pipeline import plan_build

from conftest import PROFILES, mutate

AS_OF = date(2026, 6, 15)
SHINE = PROFILES / "northern-shine-janitorial.yaml"
SOLO = PROFILES / "solo-spark-electric.yaml"


def inputs_for(path, as_of=AS_OF) -> FindingInputs:
    plan = plan_build(path, as_of, allow_ineligible=True, check_templates=False)
    return FindingInputs(plan.loaded.profile, plan.facts, load_library(), plan.built, tuple(plan.documents))


def from_text(write_profile, text, as_of=AS_OF) -> FindingInputs:
    return inputs_for(write_profile(text), as_of)


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def test_every_rule_has_a_code_and_all_findings_gathers_them():
    assert len(c.rules_by_code()) == len(c.RULES)
    found = all_findings(inputs_for(SHINE))
    assert found == sorted(found, key=lambda f: ({Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}[f.severity], f.code, f.message))
    people = {"Amira Haddad", "Luis Ferreira", "Noor Haddad", "Bea O'Connor"}
    assert all(f.owner in people and f.due > AS_OF for f in found)
    assert all(f.owner == "Amira Haddad" for f in found if f.code in c.rules_by_code())


def test_hsr_missing(write_profile):
    text = (PROFILES / "ridgeline-wellsite.yaml").read_text()
    assert not list(c.hsr_missing(from_text(write_profile, text)))
    text = text.replace("health_safety_representative: true", "health_safety_representative: false")
    assert codes(c.hsr_missing(from_text(write_profile, text))) == ["hsr-missing"]


def test_init_placeholders(write_profile):
    text = SHINE.read_text()
    assert not list(c.init_placeholders(from_text(write_profile, text)))
    text = mutate(text, 'phone: "780-555-0133"', 'phone: "780-555-0133"\n  email: "office@example.com"')
    text = mutate(text, '- name: "Bea O\'Connor"', '- name: "Worker 1"').replace("Bea O'Connor", "Worker 1")
    found = list(c.init_placeholders(from_text(write_profile, text)))
    assert {f.path for f in found} == {("company", "email"), ("people", 3, "name")}


def test_shifts_assumed_is_a_note_per_site_without_shifts():
    found = list(c.shifts_assumed(inputs_for(SHINE)))
    assert [f.severity for f in found] == [Severity.NOTE, Severity.NOTE]


def test_first_aid_shift_coverage(write_profile):
    text = SHINE.read_text().replace("expires: 2026-03-20}", "expires: 2027-03-20}")
    assert not list(c.first_aid_shift_coverage(from_text(write_profile, text)))
    night = text.replace('travel_minutes: 15}\n', 'travel_minutes: 15}\n    shifts:\n      - {name: "Days", people: ["Amira Haddad"]}\n'
                         '      - {name: "Nights", people: ["Luis Ferreira", "Bea O\'Connor"]}\n', 1)
    found = list(c.first_aid_shift_coverage(from_text(write_profile, night)))
    assert len(found) == 1 and "Nights" in found[0].message and found[0].severity is Severity.ERROR
    assert found[0].documents and all(d.startswith(("FA-", "ERP-")) for d in found[0].documents)


def test_responders_at_site():
    found = list(c.responders_at_site(inputs_for(SOLO)))
    assert found and all("alone" in f.message for f in found)
    assert not list(c.responders_at_site(inputs_for(PROFILES / "tiny-books.yaml")))


def test_lone_work_conflicts(write_profile):
    found = list(c.lone_work_conflicts(inputs_for(SOLO)))
    assert {f.severity for f in found} == {Severity.ERROR, Severity.WARNING}
    assert any("confined space" in f.message for f in found)
    text = SOLO.read_text().replace("working_alone: true", "working_alone: false").replace("working_alone:\n", "unused_working_alone:\n")
    text = text[:text.index("unused_working_alone:")] if "unused_working_alone:" in text else text
    assert not list(c.lone_work_conflicts(from_text(write_profile, text)))


def test_check_in_intervals_agree():
    inputs = inputs_for(PROFILES / "ridgeline-wellsite.yaml")
    assert not list(c.check_in_intervals_agree(inputs))
    plan = inputs.obligations.check_ins[0]
    broken = replace(inputs.built.obligations, check_ins=(replace(plan, interval=plan.interval + 5),))
    built = replace(inputs.built, obligations=broken)
    found = list(c.check_in_intervals_agree(replace(inputs, built=built)))
    assert codes(found) == ["check-in-interval-mismatch"]


def test_certificates_expired():
    found = list(c.certificates_expired(inputs_for(PROFILES / "ridgeline-wellsite.yaml", date(2026, 3, 10))))
    h2s = [f for f in found if "H2S Alive" in f.message]
    assert h2s and h2s[0].code == "certificate-expired" and h2s[0].severity is Severity.ERROR
    assert not [f for f in c.certificates_expired(inputs_for(PROFILES / "ridgeline-wellsite.yaml", date(2024, 1, 10))) if "H2S" in f.message]


def test_legal_training_missing():
    found = list(c.legal_training_missing(inputs_for(SHINE)))
    assert found and all(f.severity is Severity.WARNING for f in found)
    assert all("Working Alone" not in f.message for f in found)


def test_program_dates(write_profile):
    text = SHINE.read_text()
    assert codes(c.program_dates(from_text(write_profile, text))) == ["program-dates"]
    older = text.replace("effective_date: 2026-03-01", "effective_date: 2024-03-01")
    assert not list(c.program_dates(from_text(write_profile, older)))


def test_custom_hazards_unused(write_profile):
    text = SHINE.read_text()
    assert not list(c.custom_hazards_unused(from_text(write_profile, text)))
    text = mutate(text, "  - id: cleaner\n    title: \"Cleaner\"\n", "  - id: cleaner\n    title: \"Cleaner\"\n    custom_hazards:\n"
                  "      - {id: mould, name: \"Mould\", severity: 2, probability: 2, controls: {administrative: [\"Report it\"]}}\n")
    found = list(c.custom_hazards_unused(from_text(write_profile, text)))
    assert codes(found) == ["custom-hazard-unused"] and found[0].path[-1] == "id"


def test_violence_and_harassment_assessed():
    assert not list(c.violence_and_harassment_assessed(inputs_for(SHINE)))
    found = list(c.violence_and_harassment_assessed(inputs_for(SOLO)))
    assert codes(found) == ["violence-harassment-not-assessed"]


def test_referred_documents_present():
    inputs = inputs_for(PROFILES / "prairie-peak-roofing.yaml")
    found = list(c.referred_documents_present(inputs))
    if any("fall protection plan" in d.title.lower() for d in inputs.documents):
        assert not found      # the binder has the plan the program refers to
    else:
        assert codes(found) == ["document-missing"] and "Fall Protection Plan" in found[0].message
    assert not list(c.referred_documents_present(inputs_for(PROFILES / "tiny-books.yaml")))


def test_law_to_verify_is_a_note():
    found = list(c.law_to_verify(inputs_for(SHINE)))
    assert found and {f.severity for f in found} == {Severity.NOTE}


def test_lone_work_company_rules(write_profile):
    text = SHINE.read_text()
    assert not list(c.lone_work_company_rules(from_text(write_profile, text)))
    young = text.replace("    position: cleaner\n    employment: part_time\n    start_date: 2025-06-20\n    under_18: true",
                         "    position: crew_lead\n    employment: part_time\n    start_date: 2025-06-20\n    under_18: true")
    found = list(c.lone_work_company_rules(from_text(write_profile, young)))
    assert codes(found) == ["lone-work-company-rule"] and "Noor Haddad" in found[0].message
    self_contact = text.replace('contact: "Amira Haddad"', 'contact: "Luis Ferreira"')
    found = list(c.lone_work_company_rules(from_text(write_profile, self_contact)))
    assert codes(found) == ["lone-work-company-rule"] and "Luis Ferreira" in found[0].message
