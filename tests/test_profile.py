"""Profile loading: every mistake is reported with file, line, column and field, all at once."""

import pytest

from secor_docs.errors import ProfileError
from secor_docs.profile import load_profile

from conftest import EXAMPLE, mutate

# (name, old snippet, replacement, expected message line without the file name)
CASES = [
    ("misspelt key", "  legal_name:", "  legal_nme:", ":5:3: company.legal_nme: unknown key 'legal_nme'; did you mean 'legal_name'?"),
    ("unknown top-level key", "contractors: false", "contractors: false\ncontractor: true", ":149:1: contractor: unknown key 'contractor'; did you mean 'contractors'?"),
    ("duplicate key", '  phone: "403-555-0142"', '  phone: "403-555-0142"\n  phone: "403-555-0199"', ":13:3: duplicate key 'phone'; each key may appear once"),
    ("wcb account as number", 'wcb_account: "8123456"', "wcb_account: 8123456", ":7:3: company.wcb_account: expected text; got 8123456 (put it in quotes)"),
    ("wcb account letters", 'wcb_account: "8123456"', 'wcb_account: "81-23456"', ":7:3: company.wcb_account: expected digits only (quote it in YAML); got '81-23456'"),
    ("wrong enum", "audit: certification", "audit: renewal", ":18:3: program.audit: expected one of certification or maintenance; got 'renewal'"),
    ("invalid calendar date", "effective_date: 2026-02-01", "effective_date: 2026-02-30", ":17:3: program.effective_date: '2026-02-30' is not a real calendar date (day is out of range for month)"),
    ("date in wrong format", "start_date: 2015-04-01", "start_date: 01/04/2015", ":29:5: people[0].start_date: expected a date written YYYY-MM-DD; got '01/04/2015'"),
    ("missing required field", '  address: "4410 52 Avenue, Red Deer, AB T4N 6K3"\n  phone', "  phone", ":4:1: company.address: required field is missing"),
    ("bad role", "    role: supervisor", "    role: foreman", ":35:5: people[1].role: expected one of owner, manager, supervisor or worker; got 'foreman'"),
    ("boolean as text", "health_safety_representative: true", "health_safety_representative: yes", ":39:5: people[1].health_safety_representative: expected true or false; got 'yes'"),
    ("senior manager not a person", 'senior_manager: "Dana Whitfield"', 'senior_manager: "Dana Whitfeld"', ":14:3: company.senior_manager: 'Dana Whitfeld' is not the name of anyone in people; did you mean 'Dana Whitfield'?"),
    ("unknown position", "    position: lead_roofer", "    position: lead_rofer", ":36:5: people[1].position: 'lead_rofer' is not the id of a position; did you mean 'lead_roofer'?"),
    ("unknown hazard", "hazards: [manual_handling, struck_by_object, vehicle_driving]", "hazards: [manual_handling, struck_by_objects, vehicle_driving]", ":95:36: positions[2].tasks[2].hazards[1]: unknown hazard 'struck_by_objects': not a library hazard (secor-docs list hazards) nor a custom hazard; did you mean 'struck_by_object'?"),
    ("duplicate person", '  - name: "Jenna Whitfield"', '  - name: "Tyler Brandt"', ":49:5: people[3].name: 'Tyler Brandt' is listed twice (also people[2]); names must be unique"),
    ("duplicate position id", "  - id: office_admin", "  - id: roofer", ":108:5: positions[3].id: position id 'roofer' is used twice; ids must be unique"),
    ("unknown equipment kind", "kind: trailer}", "kind: trailer_dump}", ":138:28: equipment[1].kind: unknown equipment kind 'trailer_dump'; did you mean 'trailer'? (secor-docs list equipment)"),
    ("unknown industry", "industry: roofing", "industry: rofing", ":9:3: company.industry: unknown industry 'rofing'; did you mean 'roofing'? (secor-docs list industries)"),
    ("unknown partner", "certifying_partner: ACSA", "certifying_partner: WCB", ":10:3: company.certifying_partner: unknown certifying partner 'WCB'; expected one of AASP, ACSA, ESC, GENERIC"),
    ("negative travel time", "travel_minutes: 8", "travel_minutes: -8", ":123:7: sites[0].health_facility.travel_minutes: must be at least 0; got -8"),
    ("end before start", "    end_date: 2025-10-31", "    end_date: 2020-10-31", ":67:5: people[5].end_date: 2020-10-31 is before start_date 2021-06-01"),
    ("empty people list", "people:\n  - name: \"Dana Whitfield\"", "people: []\nold_people:\n  - name: \"Dana Whitfield\"", ":24:1: people: must have at least 1 item"),
    ("shop without muster point", '    muster_point: "North gate beside the flagpole"\n', "", ":115:5: sites[0]: a shop site needs a muster_point"),
    ("working alone task without plan", 'working_alone:\n  communication: "Cell phone call or text to the office"\n  check_in_interval_minutes: 120\n  contact: "Jenna Whitfield"\n', "", ":75:9: positions[0].tasks[0].working_alone: task is done alone but the profile has no working_alone block (communication, check_in_interval_minutes, contact)"),
    ("custom hazard shadows library", "      - id: torch_on_membrane", "      - id: noise", ":100:9: positions[2].custom_hazards[0].id: 'noise' is already a library hazard; use it directly in tasks or choose another id"),
    ("string where list expected", "hazards: [ergonomics_computer, slips_trips, harassment]", "hazards: ergonomics_computer", ":112:9: positions[3].tasks[0].hazards: expected a list; got 'ergonomics_computer'"),
    ("control character", 'operating_name: "Prairie Peak Roofing"', 'operating_name: "Prairie Peak\\x01 Roofing"', ":6:3: company.operating_name: contains the control character U+0001, which documents cannot hold; remove it"),
    ("schema version", "schema_version: 1", "schema_version: 2", ":2:1: schema_version: expected one of 1; got 2"),
]


@pytest.mark.parametrize("name,old,new,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_profile_is_reported_with_line_column_and_field(name, old, new, expected, example_text, write_profile):
    path = write_profile(mutate(example_text, old, new))
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    lines = info.value.lines()
    assert f"{path}{expected}" in lines, "\n".join(lines)


def test_every_problem_is_reported_at_once(example_text, write_profile):
    text = mutate(example_text, "  legal_name:", "  legal_nme:")
    text = mutate(text, "audit: certification", "audit: renewal")
    text = mutate(text, "    role: supervisor", "    role: foreman")
    with pytest.raises(ProfileError) as info:
        load_profile(write_profile(text))
    assert len(info.value.lines()) == 4  # the misspelt key also leaves legal_name missing
    assert [l.split(":")[1] for l in info.value.lines()] == ["4", "5", "18", "35"]


def test_example_profile_loads():
    loaded = load_profile(EXAMPLE)
    assert loaded.profile.company.legal_name == "Prairie Peak Roofing Ltd."
    assert loaded.profile.people[0].start_date.isoformat() == "2015-04-01"


@pytest.mark.parametrize("text,expected", [
    ("", ":1:1: file is empty; expected a profile mapping starting with 'schema_version: 1'"),
    ("# only a comment\n", ":1:1: file is empty; expected a profile mapping starting with 'schema_version: 1'"),
    ("- a\n- b\n", ":1:1: expected a mapping of profile fields at the top level; got a list"),
    ("just words\n", ":1:1: expected a mapping of profile fields at the top level; got a single text value"),
    ("company: {legal_name: [unclosed\n", ":2:1: not valid YAML: expected ',' or ']', but got '<stream end>'"),
])
def test_files_that_are_not_profiles(text, expected, write_profile):
    path = write_profile(text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert info.value.lines() == [f"{path}{expected}"]


def test_strings_stay_strings_under_yaml_1_2(example_text, write_profile):
    text = mutate(example_text, 'operating_name: "Prairie Peak Roofing"', "operating_name: NO")
    text = mutate(text, 'wcb_industry_code: "42101"', "wcb_industry_code: 'on'")
    loaded = load_profile(write_profile(text))
    assert loaded.profile.company.operating_name == "NO"
    assert loaded.profile.company.wcb_industry_code == "on"
