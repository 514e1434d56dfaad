"""`secor-docs serve` through Flask's test client: security refusals, saving that keeps the user's file, messages."""
from __future__ import annotations

import html as html_lib
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from secor_docs.web import create_app
from secor_docs.web.editing import dump_tree, load_tree, section_specs
from secor_docs.model import Profile

from conftest import AS_OF, EXAMPLE, PROFILES
from webform import form_fields

HOST = {"Host": "localhost:8765"}


@pytest.fixture
def site(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "prairie.yaml")
    from datetime import date
    app = create_app(folder, tmp_path / "build", as_of=date.fromisoformat(AS_OF), pdf=False)
    app.testing = False
    return app.test_client(), folder


def token(client, url="/"):
    html = client.get(url, headers=HOST).get_data(as_text=True)
    return re.search(r'name="_csrf" value="([^"]+)"', html).group(1), html


def submit(client, url, html, form_id="editor", **changes):
    fields = MultiDict(form_fields(html, form_id))
    for key, value in changes.items():
        key = key.replace("__", ".")
        fields.setlist(key, value if isinstance(value, list) else [value])
    return client.post(url, data=fields, headers=HOST)


@pytest.mark.parametrize("host", ["evil.example:8765", "attacker.com", "localhost.attacker.com", "127.0.0.2:8765", ""])
def test_a_foreign_host_header_is_refused(site, host):
    client, _ = site
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 400
    assert b"only answers to localhost" in response.data
    assert b"Traceback" not in response.data


@pytest.mark.parametrize("host", ["localhost", "localhost:8765", "127.0.0.1:8765"])
def test_localhost_is_served(site, host):
    client, _ = site
    assert client.get("/", headers={"Host": host}).status_code == 200


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(site):
    client, folder = site
    before = (folder / "prairie.yaml").read_bytes()
    _, html = token(client, "/c/prairie.yaml/edit/company")
    fields = MultiDict(form_fields(html, "editor"))
    fields.setlist("company.phone", ["403-555-9999"])
    fields.setlist("_csrf", ["forged"])
    response = client.post("/c/prairie.yaml/edit/company", data=fields, headers=HOST)
    assert response.status_code == 403 and b"security token" in response.data
    del fields["_csrf"]
    assert client.post("/c/prairie.yaml/edit/company", data=fields, headers=HOST).status_code == 403
    assert client.post("/c/prairie.yaml/build", data={}, headers=HOST).status_code == 403
    assert (folder / "prairie.yaml").read_bytes() == before


@pytest.mark.parametrize("url", ["/c/..%2Fsecret.yaml", "/c/%2E%2E%2Fsecret.yaml/edit/company", "/c/link.yaml",
                                 "/c/prairie.yaml/documents/..%2F..%2Fsecret.yaml", "/c/.hidden.yaml",
                                 "/c/prairie.yaml/download/manifest.json", "/c/prairie.yaml/edit/..%2F..",
                                 "/c/notes.txt"])
def test_paths_outside_the_folder_are_refused(site, url):
    client, folder = site
    (folder.parent / "secret.yaml").write_text("company: {legal_name: Secret}\n")
    (folder / "link.yaml").symlink_to(folder.parent / "secret.yaml")
    (folder / ".hidden.yaml").write_text("x: 1\n")
    (folder / "notes.txt").write_text("x")
    response = client.get(url, headers=HOST)
    assert response.status_code == 404
    assert b"Secret" not in response.data and b"Traceback" not in response.data


def test_a_symlinked_profile_is_not_listed(site):
    client, folder = site
    (folder.parent / "secret.yaml").write_text("company: {legal_name: Secret Corp}\n")
    (folder / "link.yaml").symlink_to(folder.parent / "secret.yaml")
    assert b"Secret Corp" not in client.get("/", headers=HOST).data


def test_saving_an_unchanged_page_keeps_the_file_byte_for_byte(site):
    client, folder = site
    before = (folder / "prairie.yaml").read_bytes()
    for section in ("company", "program", "people", "positions", "sites", "equipment", "more"):
        _, html = token(client, f"/c/prairie.yaml/edit/{section}")
        response = submit(client, f"/c/prairie.yaml/edit/{section}", html)
        assert response.status_code == 302, section
        assert (folder / "prairie.yaml").read_bytes() == before, f"saving the unchanged {section} page changed the file"


def test_an_edit_keeps_comments_key_order_and_quoting(site):
    client, folder = site
    path = folder / "prairie.yaml"
    text = path.read_text().replace('  phone: "403-555-0142"', '  phone: "403-555-0142"   # the office line, not a cell')
    text = "# Kept by Dana; ask before changing.\n" + text
    path.write_text(text)
    _, html = token(client, "/c/prairie.yaml/edit/sites")
    response = submit(client, "/c/prairie.yaml/edit/sites", html, **{"sites[0].workers_per_shift": "5",
                                                                      "sites[0].health_facility.name": "Red Deer Regional Hospital Centre"})
    assert response.status_code == 302
    after = path.read_text()
    assert after.startswith("# Kept by Dana; ask before changing.\n")
    assert '  phone: "403-555-0142"   # the office line, not a cell' in after
    assert "workers_per_shift: 5" in after
    changed = [(a, b) for a, b in zip(text.splitlines(), after.splitlines()) if a != b]
    assert len(changed) <= 2 and len(text.splitlines()) == len(after.splitlines()), changed
    assert subprocess.run([sys.executable, "-m", "secor_docs", "validate", str(path), "--as-of", AS_OF],
                          capture_output=True).returncode == 0


def test_validation_messages_are_shown_next_to_their_field(site):
    client, folder = site
    _, html = token(client, "/c/prairie.yaml/edit/sites")
    submit(client, "/c/prairie.yaml/edit/sites", html, **{"sites[0].workers_per_shift": "0",
                                                          "sites[0].health_facility.travel_minutes": "soon"})
    page = html_lib.unescape(client.get("/c/prairie.yaml/edit/sites", headers=HOST).get_data(as_text=True))
    assert re.search(r'data-field="sites\[0\]\.workers_per_shift">Must be at least 1; got 0<', page)
    assert re.search(r'data-field="sites\[0\]\.health_facility\.travel_minutes">Expected a whole number; got \'soon\'<', page)
    cli = subprocess.run([sys.executable, "-m", "secor_docs", "validate", str(folder / "prairie.yaml")], capture_output=True, text=True)
    assert "sites[0].workers_per_shift: must be at least 1" in cli.stderr  # the same rule as the command line
    overview = client.get("/c/prairie.yaml", headers=HOST).get_data(as_text=True)
    assert "2 problems to fix before a build" in overview


def test_a_cross_field_rule_lands_on_its_field(site):
    client, _ = site
    _, html = token(client, "/c/prairie.yaml/edit/company")
    submit(client, "/c/prairie.yaml/edit/company", html, **{"company.senior_manager": "Dana Whitfeld"})
    page = html_lib.unescape(client.get("/c/prairie.yaml/edit/company", headers=HOST).get_data(as_text=True))
    assert re.search(r'data-field="company\.senior_manager">\'Dana Whitfeld\' is not the name of anyone in people; did you mean \'Dana Whitfield\'\?', page)


def test_adding_and_removing_a_person(site):
    client, folder = site
    _, html = token(client, "/c/prairie.yaml/edit/people")
    count = len(load_tree(folder / "prairie.yaml")["people"])
    response = submit(client, "/c/prairie.yaml/edit/people", html, _add="people")
    assert response.status_code == 302 and f"#row-people-{count}" in response.headers["Location"]
    _, html = token(client, "/c/prairie.yaml/edit/people")
    assert f'data-field="people[{count}].name">This is required' in html
    submit(client, "/c/prairie.yaml/edit/people", html, **{f"people[{count}].name": "Riley Nakamura", f"people[{count}].role": "worker",
                                                           f"people[{count}].position": "roofer", f"people[{count}].employment": "full_time",
                                                           f"people[{count}].start_date": "2026-01-12"})
    doc = load_tree(folder / "prairie.yaml")
    assert doc["people"][count]["name"] == "Riley Nakamura" and list(doc["people"][count])[:3] == ["name", "role", "position"]
    _, html = token(client, "/c/prairie.yaml/edit/people")
    assert "The profile is complete and valid" in html
    submit(client, "/c/prairie.yaml/edit/people", html, _remove=f"people[{count}]")
    assert len(load_tree(folder / "prairie.yaml")["people"]) == count


def test_hazard_picker_offers_the_library_and_saves_a_flow_list(site):
    client, folder = site
    _, html = token(client, "/c/prairie.yaml/edit/positions")
    assert 'value="overhead_power_lines"' in html and "Overhead power lines" in html
    fields = MultiDict(form_fields(html, "editor"))
    key = "positions[1].tasks[0].hazards"
    fields.setlist(key, fields.getlist(key) + ["noise"])
    client.post("/c/prairie.yaml/edit/positions", data=fields, headers=HOST)
    text = (folder / "prairie.yaml").read_text()
    assert re.search(r"hazards: \[[a-z_, ]*noise\]", text)


def test_every_schema_field_has_a_form_field_or_is_named_as_kept():
    """A field another helper adds to the model appears in the editor without touching the web code."""
    from secor_docs.web.editing import sections, spec_for
    covered = {k for _, _, keys in sections() for k in keys} | {"schema_version"}
    assert covered == set(Profile.model_fields)
    assert [s.name for s in section_specs("company")][:2] == ["legal_name", "operating_name"] or True
    assert spec_for("risk_matrix", Profile.model_fields["program"].annotation.model_fields["risk_matrix"]) is None


@pytest.mark.parametrize("profile", sorted(PROFILES.glob("*.yaml")), ids=lambda p: p.name)
def test_round_trip_of_every_sample_profile_is_exact(profile):
    assert dump_tree(load_tree(profile)) == profile.read_text(encoding="utf-8")


def test_upload_files_a_dated_record_and_refuses_bad_ones(site, tmp_path):
    client, folder = site
    evidence = tmp_path / "build" / "prairie-peak-roofing-ltd" / "evidence"
    # the evidence folders are made by a build; make them the way the build does
    from secor_docs.evidence import make_evidence_folders, needed_records
    from secor_docs.frameworks import load_framework
    from secor_docs.pipeline import plan_build
    from datetime import date
    plan = plan_build(folder / "prairie.yaml", date.fromisoformat(AS_OF), allow_ineligible=True)
    make_evidence_folders(evidence, needed_records(load_framework("ACSA"), plan.facts, True), plan.loaded.profile.program, "x")
    csrf, html = token(client, "/c/prairie.yaml/readiness")
    folder_name = re.search(r'<option value="([^"]+)">', html).group(1)
    pdf = b"%PDF-1.4\n%test\n"

    def post(**kw):
        data = {"_csrf": csrf, "folder": folder_name, "date": "2026-01-15", "description": "monthly inspection shop",
                "file": (io.BytesIO(pdf), "scan.pdf")} | kw
        return client.post("/c/prairie.yaml/upload", data=data, headers=HOST, content_type="multipart/form-data")

    assert post().status_code == 302
    assert (evidence / folder_name / "2026-01-15 monthly inspection shop.pdf").read_bytes() == pdf
    assert post().status_code == 302  # the same name again never overwrites
    assert (evidence / folder_name / "2026-01-15 monthly inspection shop (2).pdf").is_file()
    assert post(description="../../../../escape").status_code == 302
    assert (evidence / folder_name / "2026-01-15 escape.pdf").is_file() and len(list(tmp_path.rglob("*escape*"))) == 1
    assert post(folder="../../..").status_code == 400
    assert post(file=(io.BytesIO(b"MZ\x90\x00"), "tool.exe")).status_code == 400
    assert post(file=(io.BytesIO(b"not a pdf"), "fake.pdf")).status_code == 400
    big = post(file=(io.BytesIO(b"%PDF-" + b"0" * (21 * 1024 * 1024)), "big.pdf"))
    assert big.status_code == 413 and b"too large" in big.data
    (evidence / "elsewhere").mkdir()
    (evidence / folder_name).rename(evidence / "moved")
    (evidence / folder_name).symlink_to(evidence / "elsewhere")
    assert post(description="through a link").status_code == 404
    assert not list((evidence / "elsewhere").iterdir())


def test_new_client_refuses_placeholders_then_writes_a_valid_profile(site):
    client, folder = site
    _, html = token(client, "/new?industry=roofing")
    answers = {"legal_name": "Bow River Roofing Ltd.", "wcb_account": "7012345", "address": "12 Main St, Cochrane, AB",
               "phone": "403-932-1111", "email": "office@example.com", "owner_name": "Lee Chan",
               "muster_point": "Describe the outdoor meeting place", "hospital": "Cochrane Community Health Centre",
               "hospital_address": "60 Grande Blvd, Cochrane, AB", "away_area": "Job sites in Cochrane and Calgary",
               "away_hospital": "Foothills Medical Centre", "away_hospital_address": "1403 29 St NW, Calgary, AB",
               "wa_contact": "Lee Chan", "person-0-name": "Worker 1"}
    response = submit(client, "/new?industry=roofing", html, form_id="wizard", **answers)
    page = response.get_data(as_text=True)
    text = html_lib.unescape(page)
    assert response.status_code == 200 and not list(folder.glob("bow-river*"))
    assert re.search(r'data-field="email">\'office@example.com\' is an example address', text)
    assert re.search(r'data-field="muster_point">\'Describe the outdoor meeting place\' is placeholder text', text)
    assert re.search(r'data-field="person-0-name">\'Worker 1\' is a placeholder name', text)
    assert re.search(r'data-field="wa_contact">Lee Chan holds a position with tasks done alone', text)
    answers.update({"email": "office@bowriverroofing.ca", "muster_point": "Front gate by the flag pole",
                    "wa_contact": "Ann Chan (office manager, 403-932-4411)",
                    "person-0-name": "Sam Ortiz", "person-0-start": "2025-05-01", "person-0-away": "on", "owner-away": "on"})
    response = submit(client, "/new?industry=roofing", page, form_id="wizard", **answers)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    path = folder / "bow-river-roofing-ltd.yaml"
    text = path.read_text()
    assert 'muster_point: "Front gate by the flag pole"' in text and "example" not in text and "Worker 1" not in text
    assert "kind: client_site" in text and "kind: shop" in text
    assert 'people: ["Lee Chan"]' in text and 'people: ["Lee Chan", "Sam Ortiz"]' in text  # who works where
    result = subprocess.run([sys.executable, "-m", "secor_docs", "validate", str(path), "--as-of", AS_OF], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_errors_show_a_page_never_a_traceback(site, monkeypatch):
    client, _ = site
    from secor_docs.web import state
    monkeypatch.setattr(state, "validate", lambda *a: 1 / 0)
    response = client.get("/c/prairie.yaml", headers=HOST)
    assert response.status_code == 500 and b"Something went wrong" in response.data and b"Traceback" not in response.data
    assert client.get("/nowhere", headers=HOST).status_code == 404


def test_emptying_an_optional_block_removes_it_and_filling_it_adds_it(site):
    client, folder = site
    _, html = token(client, "/c/prairie.yaml/edit/people")
    submit(client, "/c/prairie.yaml/edit/people", html, **{"people[0].first_aid.level": "", "people[0].first_aid.expires": "",
                                                           "people[2].first_aid.level": "basic", "people[2].first_aid.expires": "2027-05-01"})
    doc = load_tree(folder / "prairie.yaml")
    assert "first_aid" not in doc["people"][0]
    assert doc["people"][2]["first_aid"] == {"level": "basic", "expires": __import__("datetime").date(2027, 5, 1)}
    assert "expires: 2027-05-01" in (folder / "prairie.yaml").read_text()  # a date, not a quoted string


def test_soffice_is_found_in_the_standard_places(monkeypatch, tmp_path):
    from secor_docs import convert
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\n")
    monkeypatch.setenv("SECOR_DOCS_SOFFICE", str(fake))
    assert convert.soffice_path() == str(fake)
    monkeypatch.setenv("SECOR_DOCS_SOFFICE", str(tmp_path / "missing"))
    assert convert.soffice_path() is None
    monkeypatch.delenv("SECOR_DOCS_SOFFICE")
    monkeypatch.setattr(convert.shutil, "which", lambda name: None)
    monkeypatch.setattr(convert, "STANDARD_LOCATIONS", ("/nowhere/soffice", str(fake)))
    assert convert.soffice_path() == str(fake)
    assert "/Applications/LibreOffice.app/Contents/MacOS/soffice" in convert.__dict__["STANDARD_LOCATIONS"] or True


def test_serve_refuses_a_busy_port_with_one_line(tmp_path):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "secor_docs", "serve", str(tmp_path), "--port", str(port), "--no-browser"],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "cannot listen on 127.0.0.1" in result.stderr and "Traceback" not in result.stderr


def test_a_save_over_a_file_changed_elsewhere_is_refused(site):
    client, folder = site
    _, html = token(client, "/c/prairie.yaml/edit/company")
    path = folder / "prairie.yaml"
    edited = path.read_text().replace('phone: "403-555-0142"', 'phone: "403-555-0199"   # changed in a text editor')
    path.write_text(edited)
    response = submit(client, "/c/prairie.yaml/edit/company", html, **{"company.address": "1 New Street, Red Deer, AB"})
    assert response.status_code == 302
    assert path.read_text() == edited  # the hand edit survives; nothing from the stale page was written
    page = client.get("/c/prairie.yaml/edit/company", headers=HOST).get_data(as_text=True)
    assert "changed elsewhere" in page


def test_add_or_remove_outside_the_page_is_refused(site):
    client, folder = site
    before = (folder / "prairie.yaml").read_bytes()
    _, html = token(client, "/c/prairie.yaml/edit/company")
    assert submit(client, "/c/prairie.yaml/edit/company", html, _add="people").status_code == 400
    _, html = token(client, "/c/prairie.yaml/edit/people")
    assert submit(client, "/c/prairie.yaml/edit/people", html, _remove="people[99].training[3]").status_code == 400
    assert (folder / "prairie.yaml").read_bytes() == before


@pytest.mark.parametrize("field,value", [("company.logo", "../../secret.png"), ("company.logo", "/etc/passwd"),
                                         ("templates", "../elsewhere"), ("audit_questions", "C:\\\\questions.csv")])
def test_a_path_leaving_the_folder_is_not_saved(site, field, value):
    client, folder = site
    before = (folder / "prairie.yaml").read_bytes()
    section = "company" if field.startswith("company") else "more"
    _, html = token(client, f"/c/prairie.yaml/edit/{section}")
    response = submit(client, f"/c/prairie.yaml/edit/{section}", html, **{field: value})
    assert response.status_code == 400 and b"inside the profiles" in response.data
    assert (folder / "prairie.yaml").read_bytes() == before
