"""Facts stage: headcount, eligibility, representative, distance classes and what applies."""
from datetime import date

import pytest

from secor_docs.facts import derive_facts, distance_class, peak_concurrent
from secor_docs.library import load_library
from secor_docs.model import Profile
from secor_docs.profile import load_profile

from conftest import EXAMPLE, PROFILES


def _profile_with_people(people: list[dict]) -> Profile:
    data = load_profile(EXAMPLE).source.data
    data = {**data, "people": people}
    data["company"] = {**data["company"], "senior_manager": people[0]["name"]}
    return Profile.model_validate(data)


def person(name, start="2020-01-01", end=None, **kw):
    p = {"name": name, "role": kw.pop("role", "worker"), "position": "roofer", "employment": kw.pop("employment", "full_time"),
         "start_date": start}
    if end:
        p["end_date"] = end
    p.update(kw)
    return p


LIB = load_library()
AS_OF = date(2026, 2, 1)


def test_example_company_facts():
    facts = derive_facts(load_profile(EXAMPLE).profile, LIB, AS_OF)
    assert facts.headcount == 5                      # Priya left on 2025-10-31
    assert facts.peak_headcount == 6                 # all six overlapped after Sam started on 2025-05-01
    assert facts.eligible
    assert facts.hsr_required and facts.participation == "representative"
    assert facts.representative == "Marcus Okafor"
    assert facts.young_workers == ("Sam Ortiz",)
    assert facts.working_alone and not facts.contractors
    assert [s.distance_class for s in facts.sites] == ["close", "distant"]


def test_people_who_left_more_than_a_year_ago_do_not_count():
    people = [person("Owner", role="owner")] + [person(f"W{i}", end="2024-12-31") for i in range(12)]
    facts = derive_facts(_profile_with_people(people), LIB, AS_OF)
    assert facts.peak_headcount == 1 and facts.eligible


def test_eleven_at_the_same_time_in_the_window_is_ineligible_even_after_they_left():
    people = [person("Owner", role="owner")] + [person(f"W{i}", end="2025-08-31") for i in range(10)]
    facts = derive_facts(_profile_with_people(people), LIB, AS_OF)
    assert facts.headcount == 1
    assert facts.peak_headcount == 11 and not facts.eligible


def test_family_volunteers_and_seasonal_workers_count():
    people = [person("Owner", role="owner"), person("Kid", employment="family"), person("Helper", employment="volunteer"),
              person("Summer", employment="seasonal"), person("PT", employment="part_time")]
    facts = derive_facts(_profile_with_people(people), LIB, AS_OF)
    assert facts.headcount == 5 and facts.hsr_required


def test_sequential_people_do_not_add_up():
    people = [person("Owner", role="owner")] + [person(f"W{i}", start=f"2025-{i + 2:02d}-01", end=f"2025-{i + 2:02d}-20") for i in range(10)]
    facts = derive_facts(_profile_with_people(people), LIB, AS_OF)
    assert len(facts.people_in_window) == 11
    assert facts.peak_headcount == 2


@pytest.mark.parametrize("count,participation,hsr", [(1, "owner", False), (4, "workers", False), (5, "representative", True), (10, "representative", True)])
def test_representative_threshold(count, participation, hsr):
    people = [person("Owner", role="owner")] + [person(f"W{i}") for i in range(count - 1)]
    facts = derive_facts(_profile_with_people(people), LIB, AS_OF)
    assert (facts.participation, facts.hsr_required) == (participation, hsr)


@pytest.mark.parametrize("minutes,cls", [(0, "close"), (20, "close"), (21, "distant"), (39, "distant"), (40, "isolated"), (90, "isolated")])
def test_distance_class(minutes, cls):
    assert distance_class(minutes, LIB.first_aid) == cls


def test_peak_counts_overlap_on_a_single_day():
    people = _profile_with_people([person("A", role="owner", start="2025-06-01", end="2025-06-01"), person("B", start="2025-06-01")]).people
    assert peak_concurrent(people, date(2025, 2, 1), AS_OF) == (2, date(2025, 6, 1))


def test_owner_only_company():
    facts = derive_facts(load_profile(PROFILES / "solo-spark-electric.yaml").profile, LIB, AS_OF)
    assert facts.owner_only and facts.participation == "owner" and facts.headcount == 1


def test_whmis_applies_only_with_hazardous_products():
    assert derive_facts(load_profile(PROFILES / "ridgeline-wellsite.yaml").profile, LIB, AS_OF).whmis
    people = [person("Owner", role="owner")]
    profile = _profile_with_people(people)
    assert derive_facts(profile, LIB, AS_OF).whmis  # the roofing tasks include torch-on membrane and silica
