"""Forms sized for the field: a field level hazard assessment of at most two pages for every company size, and
logs with the lines their schedule and crew need for the period one sheet covers.

Binders are built without PDFs; only the forms whose page count matters are converted, in one LibreOffice run.
tests/profiles/forms-large-crew.yaml is the largest SECOR size (10 people, 9 on one shift, 3 sites, contractors,
a young worker, lone work, about 30 hazards); tiny-books is a one-person office.
"""
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from secor_docs import form_sizes
from secor_docs.pipeline import BuildOptions, run_build

from docx_text import body_text

ROOT = Path(__file__).resolve().parent.parent
PROFILES = [ROOT / "tests" / "profiles" / "forms-large-crew.yaml"] + [
    ROOT / "company_profiles" / f"{n}.yaml" for n in ("tiny-books", "ridgeline-wellsite", "prairie-peak-roofing",
                                                      "northern-shine-janitorial", "solo-spark-electric")]
AS_OF = date(2026, 12, 4)


@pytest.fixture(scope="module")
def binders(tmp_path_factory):
    out = tmp_path_factory.mktemp("forms")
    results = run_build(BuildOptions(profiles=tuple(PROFILES), out=out, as_of=AS_OF, pdf=False, jobs=2))
    assert all(r.ok for r in results), [str(r.error) for r in results if not r.ok]
    built = {}
    for r in results:
        folder = out / r.slug
        m = json.loads((folder / "manifest.json").read_text())
        built[r.profile.stem] = {d["id"]: (d, folder / d["docx"]) for d in m["documents"]}
    return built


def doc(binder, prefix):
    return next(p for i, (_, p) in binder.items() if i.startswith(prefix))


def table_after(path, first_header):
    return next(t for t in Document(str(path)).tables if t.rows[0].cells[0].text == first_header)


def blank_rows(table):
    return [r for r in table.rows[1:] if not "".join(c.text for c in r.cells).strip()]


@pytest.mark.libreoffice
def test_flha_fits_on_two_pages_for_every_size(binders, tmp_path):
    from secor_docs.convert import convert_to_pdf

    files = {}
    for name, b in binders.items():   # same file name in every binder: one copy each, named after the company
        files[name] = tmp_path / f"{name}.docx"
        shutil.copyfile(doc(b, "FRM-010"), files[name])
    pdfs = convert_to_pdf(list(files.values()), tmp_path / "pdf", jobs=1)
    pages = {name: len(PdfReader(str(pdfs[f])).pages) for name, f in files.items()}
    assert all(n <= 2 for n in pages.values()), pages
    # the largest company's form still carries every hazard, the emergency lines and the sign-in lines
    text = "".join(p.extract_text() for p in PdfReader(str(pdfs[files["forms-large-crew"]])).pages)
    assert "Scaffold work (SWP-" in text and "Site address for 911" in text and "Hazards found today" in text


def test_flha_crew_lines_follow_the_largest_shift(binders):
    large = table_after(doc(binders["forms-large-crew"], "FRM-010"), "Name, and position or company")
    assert len(large.rows) - 1 == 5          # 9 on one shift plus a visitor: 10 names, two to a line
    small = table_after(doc(binders["ridgeline-wellsite"], "FRM-010"), "Name, and position or company")
    assert len(small.rows) - 1 == 4          # 6 on the largest shift plus one: 7 names, two to a line
    owner = body_text(doc(binders["tiny-books"], "FRM-010"))
    assert "Name, and position or company" not in owner   # an owner working alone signs at the bottom
    assert "contractor workers too" in body_text(doc(binders["forms-large-crew"], "FRM-010"))


def test_meeting_attendance_has_a_line_per_person_plus_visitors(binders):
    assert len(table_after(doc(binders["forms-large-crew"], "FRM-051"), "Name").rows) - 1 == 10 + 3
    assert len(table_after(doc(binders["tiny-books"], "FRM-051"), "Name").rows) - 1 == 1 + 2
    assert "the list has 13 lines, for 10 people on the company's list" in body_text(doc(binders["forms-large-crew"], "FRM-051"))


def test_drill_record_has_a_line_per_person_of_the_largest_site_crew(binders):
    assert len(table_after(doc(binders["forms-large-crew"], "FRM-061"), "Name").rows) - 1 == 9 + 2
    assert len(table_after(doc(binders["tiny-books"], "FRM-061"), "Name").rows) - 1 == 1 + 2


def test_corrective_action_log_holds_a_quarter_of_the_schedule(binders):
    weekly = table_after(doc(binders["ridgeline-wellsite"], "FRM-030"), "No.")
    assert len(blank_rows(weekly)) == 30     # weekly inspections of 2 sites: 26 a quarter, capped at 30
    monthly = table_after(doc(binders["forms-large-crew"], "FRM-030"), "No.")
    assert len(blank_rows(monthly)) == 3 * 3 + 1 + 4
    quarterly = table_after(doc(binders["tiny-books"], "FRM-030"), "No.")
    assert len(blank_rows(quarterly)) == 8   # one inspection a quarter: the floor of 8 lines
    assert "One sheet covers one quarter: 14 lines for one open item from each of 9 workplace inspections" in \
        body_text(doc(binders["forms-large-crew"], "FRM-030"))


def test_pre_use_columns_fit_how_often_the_check_is_done(binders):
    ridgeline = binders["ridgeline-wellsite"]
    extinguisher = next(p for i, (d, p) in ridgeline.items() if i.startswith("EQP-") and "extinguisher" in d["title"])
    head = [c.text for c in table_after(extinguisher, "Check").rows[0].cells]
    assert head[1:] == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    truck = next(p for i, (d, p) in ridgeline.items() if i.startswith("EQP-") and "Crew truck" in d["title"])
    head = [c.text for c in table_after(truck, "Check").rows[0].cells]
    assert head[1:] == [f"Day {n}" for n in range(1, 8)]
    assert "one column per day, one sheet a week" in body_text(truck)


def test_ppe_log_sections_are_sized_to_the_wearers(binders):
    path = doc(binders["forms-large-crew"], "FRM-020")
    harness = table_after(path, "Item (type, make, model)")
    text = body_text(path)
    # every roofer, the lead roofer and the owner wear a harness in this profile
    wearers = int(text.split(" who wear a harness")[0].rsplit(" for ", 1)[1].split()[0])
    assert wearers >= 8 and len(harness.rows) - 1 == wearers * 2 + 2
    inspections = table_after(path, "Date")   # section A, issue lines
    assert len(inspections.rows) - 1 <= 30
    assert "PPE inspections" in text or "documented inspection" in text.lower()
    tiny = body_text(doc(binders["tiny-books"], "FRM-020"))
    assert "who wear a harness" not in tiny


def test_sizes_follow_frequency_and_crew_within_bounds():
    assert form_sizes.corrective_action_rows(52, 3, 4).rows == 30          # capped: never pages of empty lines
    assert form_sizes.corrective_action_rows(4, 1, 1).rows == 8
    assert form_sizes.attendance_rows(1).rows == 3 and form_sizes.attendance_rows(10).rows == 13
    assert form_sizes.crew_rows(1, owner_only=False).rows == 2 and form_sizes.crew_rows(20, owner_only=False).rows == 6
    assert form_sizes.working_alone_rows(60).rows == 12 and form_sizes.working_alone_rows(15).rows == 40
    assert form_sizes.ppe_inspection_rows(52).rows == 20 and form_sizes.ppe_inspection_rows(4).rows == 4
    assert form_sizes.pre_use_columns("fire_extinguisher").rows == 12 and form_sizes.pre_use_columns("vehicle").rows == 7
    assert "2 people" in form_sizes.ppe_issue_rows([3, 4]).basis


# ---- documents a hazard or PPE item triggers, written from the profile ----------------------------------------

def manifest(binder):
    path = next(iter(binder.values()))[1]
    return json.loads((path.parent.parent / "manifest.json").read_text())


def test_fall_protection_plan_is_written_for_the_roofer_and_filed_under_hazard_control(binders):
    roofing = binders["prairie-peak-roofing"]
    d, path = roofing["PLN-012"]
    assert d["title"] == "Fall Protection Plan" and d["element"] == "3"
    text = body_text(path)
    assert "Part B: site fall protection sheet" in text and "OHS Code s.140" in text
    who = table_after(path, "Task")
    rows = {r.cells[0].text: r.cells[2].text for r in who.rows[1:]}
    assert "Tyler Brandt" in rows["Tear off existing roofing"]            # the workers who really do the task
    assert "Bookkeeping, scheduling and phones" not in rows                 # the office task has no fall hazard
    rescue = table_after(path, "Site")
    assert all(r.cells[1].text for r in rescue.rows[1:])                    # rescuers named, or the gap said
    findings = [w for w in manifest(roofing)["warnings"] if "PLN-012" in w["message"]]
    assert findings and findings[0]["code"] == "document-to-complete" and findings[0]["owner"] == "Dana Whitfield"
    assert findings[0]["due"]
    assert not [w for w in manifest(roofing)["warnings"]
                if w["code"] in ("document-to-write", "document-missing") and "fall protection" in w["message"].lower()]
    # cross-references: the legislation register, the PPE policy and the evidence index point to it
    register = Document(str(doc(roofing, "POL-003")))
    cells = [c.text for t in register.tables for r in t.rows for c in r.cells]
    assert any("PLN-012" in c for c in cells)
    assert "(PLN-012)" in body_text(doc(roofing, "POL-010"))
    index = (path.parent.parent / "evidence-index.csv").read_text()
    assert "PLN-012 Fall Protection Plan" in index


def test_oilfield_company_gets_respirator_noise_and_confined_space_programs(binders):
    wellsite = binders["ridgeline-wellsite"]
    titles = {i: d["title"] for i, (d, _) in wellsite.items() if i.startswith("PLN-01")}
    assert titles.get("PLN-013") == "Respiratory Protection Code of Practice"
    assert titles.get("PLN-014") == "Noise Management Program"
    assert titles.get("PLN-015") == "Confined Space Code of Practice"
    assert "PLN-012" not in titles                          # nobody works at height in this profile
    resp = body_text(wellsite["PLN-013"][1])
    assert "OHS Code s.245" in resp and "OHS Code s.250" in resp and "CSA Standard Z94.4-02" in resp
    noise = body_text(wellsite["PLN-014"][1])
    assert "OHS Code s.219" in noise and "exposure assessment is an open action" in noise
    cs = wellsite["PLN-015"][1]
    assert "Entry permit" in body_text(cs) and table_after(cs, "Time").rows[0].cells[1].text == "Oxygen (%)"
    codes = {w["code"] for w in manifest(wellsite)["warnings"] if any(x in w["message"] for x in ("PLN-013", "PLN-014", "PLN-015"))}
    assert codes == {"document-to-complete"}


def test_office_company_gets_none_of_the_hazard_programs(binders):
    assert not [i for i in binders["tiny-books"] if i in ("PLN-012", "PLN-013", "PLN-014", "PLN-015")]


def test_new_code_sections_are_in_the_register_data_as_verified():
    from secor_docs.library import load_library

    refs = load_library().legislation.references
    for key in ("code_s244", "code_s245", "code_s246", "code_s247", "code_s248", "code_s250", "code_s253"):
        assert refs[key].status == "verified" and refs[key].cite == f"OHS Code s.{key[6:]}"
