"""The typed obligations layer: who works where, training status, first aid per shift, responders, check-ins."""
from datetime import date
from pathlib import Path

from secor_docs.facts import derive_facts
from secor_docs.library import load_library
from secor_docs.obligations import (Basis, TrainingState, check_in_plans, coverage, expiry_state, people_at,
                                    position_requirements, work_shifts)
from secor_docs.pipeline import plan_build
from secor_docs.profile import load_profile

from conftest import PROFILES, mutate

AS_OF = date(2026, 6, 15)


def plan_of(path: Path, as_of: date = AS_OF):
    return plan_build(path, as_of, allow_ineligible=True, check_templates=False)


def test_expiry_state_is_an_enum_not_a_label():
    assert expiry_state(date(2026, 4, 1), AS_OF) is TrainingState.EXPIRED
    assert expiry_state(date(2026, 7, 1), AS_OF) is TrainingState.EXPIRING
    assert expiry_state(date(2027, 7, 1), AS_OF) is TrainingState.CURRENT
    assert expiry_state(None, AS_OF) is TrainingState.NO_EXPIRY
    assert not TrainingState.MISSING.ok and TrainingState.EXPIRING.ok


def test_default_shift_is_everyone_at_every_site():
    profile = load_profile(PROFILES / "northern-shine-janitorial.yaml").profile
    shifts = work_shifts(profile, AS_OF)
    assert [s.site for s in shifts] == [s.name for s in profile.sites]
    assert all(s.assumed and s.name == "Day shift" for s in shifts)
    assert set(people_at(profile.sites[1].name, shifts)) == {"Amira Haddad", "Luis Ferreira", "Noor Haddad", "Bea O'Connor"}
    assert shifts[1].workers == profile.sites[1].workers_per_shift


NIGHT = """    health_facility: {name: "Grande Prairie Regional Hospital", address: "11205 110 Street, Grande Prairie, AB", travel_minutes: 15}
    shifts:
      - {name: "Day walk-throughs", people: ["Amira Haddad"]}
      - {name: "Night cleaning", people: ["Luis Ferreira", "Bea O'Connor"]}
"""


def test_night_shift_without_a_first_aider_is_not_met(write_profile):
    text = (PROFILES / "northern-shine-janitorial.yaml").read_text()
    text = mutate(text, '    health_facility: {name: "Grande Prairie Regional Hospital", address: "11205 110 Street, Grande Prairie, AB", travel_minutes: 15}\n', NIGHT)
    text = text.replace("first_aid: {level: intermediate, expires: 2026-03-20}", "first_aid: {level: intermediate, expires: 2027-03-20}")
    plan = plan_of(write_profile(text))
    cov = {c.shift: c for c in plan.built.obligations.first_aid_at("Client buildings (Grande Prairie)")}
    assert cov["Day walk-throughs"].workers == 1 and cov["Day walk-throughs"].met
    night = cov["Night cleaning"]
    assert night.workers == 2 and night.basic == 1 and not night.met and night.missing == ("basic",)
    site = next(s for s in plan.built.context["sites"] if s.name == "Client buildings (Grande Prairie)")
    assert not site.first_aid.met and "Night cleaning: 1 more basic first aider needed" in site.first_aid.gaps
    codes = {f.code for f in plan.findings}
    assert "first-aid-shift-coverage" in codes


def test_training_requirements_come_from_real_tasks_with_law_or_policy():
    plan = plan_of(PROFILES / "northern-shine-janitorial.yaml")
    library = load_library()
    profile = plan.loaded.profile
    cleaner = position_requirements(profile, plan.facts, library, plan.built.hazards, "cleaner")
    keys = {r.key for r in cleaner}
    assert "working_alone" not in keys            # cleaners never work alone
    assert "lockout_tagout" not in keys and "respiratory_protection" not in keys
    whmis = next(r for r in cleaner if r.key == "whmis")
    assert whmis.basis is Basis.LAW and whmis.citation and any("Washroom" in b for b in whmis.because)
    lead = {r.key for r in position_requirements(profile, plan.facts, library, plan.built.hazards, "crew_lead")}
    assert "working_alone" in lead


def test_check_in_plan_is_one_interval_per_task():
    plan = plan_of(PROFILES / "northern-shine-janitorial.yaml")
    plans = check_in_plans(plan.loaded.profile, plan.built.tasks)
    assert [p.task for p in plans] == ["Night cleaning of office buildings alone"]
    assert plans[0].interval in (30, 60)


def test_sole_owner_is_not_her_own_fall_rescuer():
    plan = plan_of(PROFILES / "solo-spark-electric.yaml")
    for site, resp in plan.built.obligations.responders.items():
        fall = [d for d in resp.duties if d.duty.startswith("Fall rescue")]
        assert all(not d.names for d in fall)
    assert any(f.code == "responder-missing-at-site" for f in plan.findings)


def test_coverage_uses_only_people_on_the_shift():
    profile = load_profile(PROFILES / "northern-shine-janitorial.yaml").profile
    facts = derive_facts(profile, load_library(), AS_OF)
    shift = work_shifts(profile, AS_OF)[1]
    c = coverage(profile, shift, "close", load_library(), AS_OF)
    assert c.site == shift.site and {a.name for a in c.holders} <= set(shift.people)
    assert facts.as_of == AS_OF


def test_skid_steer_operator_gets_mobile_equipment_not_forklift_and_h2s_is_not_confined_space():
    plan = plan_of(PROFILES / "ridgeline-wellsite.yaml")
    library = load_library()
    reqs = {r.key: r for r in position_requirements(plan.loaded.profile, plan.facts, library, plan.built.hazards, "operator")}
    assert "forklift_operator" not in reqs
    assert any("Bobcat S650 skid steer" in b or "Powered mobile equipment" in b for b in reqs["mobile_equipment_operator"].because)
    manager = {r.key for r in position_requirements(plan.loaded.profile, plan.facts, library, plan.built.hazards, "operations_manager")}
    assert "h2s_alive" in manager and "confined_space_entry" not in manager


def test_eligibility_is_typed():
    plan = plan_of(PROFILES / "ridgeline-wellsite.yaml")
    e = plan.built.obligations.eligibility
    assert e.eligible and e.limit == 10 and 1 <= e.peak_headcount <= 10 and e.window_start < AS_OF
