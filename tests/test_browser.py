"""`secor-docs serve` end to end in Debian's chromium: a new owner who never sees YAML creates a client, fixes a
validation error, builds, downloads the binder, adds a worker, rebuilds and sees the change and the new revision.

Screenshots of every page go to $SECOR_SCREENSHOTS (or the test's temporary folder) for people to look at."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import AS_OF, CHROMEDRIVER, CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.libreoffice]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    folder = root / "company_profiles"
    folder.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "secor_docs", "serve", str(folder), "--port", "0", "--no-browser",
                                "--out", str(root / "build"), "--as-of", AS_OF, "--no-pdf"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=root)
    line = process.stdout.readline()
    match = re.search(r"(http://localhost:\d+/)", line)
    assert match, line + process.stdout.read() if process.poll() is not None else line
    yield match.group(1), folder, root
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1100", "--disable-gpu"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.implicitly_wait(0)
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = Path(os.environ.get("SECOR_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)

    def take(driver, name: str) -> None:
        height = driver.execute_script("window.scrollTo(0, 0); return Math.min(document.documentElement.scrollHeight, 6000)")
        driver.set_window_size(1280, max(800, height))
        driver.save_screenshot(str(folder / f"{name}.png"))
        driver.set_window_size(1280, 1100)
    return take


def wait_for(condition, seconds: float = 60, what: str = "condition"):
    from selenium.common.exceptions import WebDriverException

    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            result = condition()
        except WebDriverException:  # the page reloaded under us (the build ended): look again
            result = None
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def fill(driver, name: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    field = driver.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def press(driver, element) -> None:
    """Click like a user (scrolled into view, not under the sticky save bar) and wait for the next page."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()
    def gone(_driver) -> bool:
        try:
            return expected_conditions.staleness_of(page)(_driver)
        except WebDriverException:  # chromium: "Node with given id does not belong to the document": the old page is gone
            return True

    WebDriverWait(driver, 30).until(gone)


def message_for(driver, field: str) -> str:
    from selenium.webdriver.common.by import By
    found = driver.find_elements(By.CSS_SELECTOR, f'p.msg.error[data-field="{field}"]')
    return " ".join(e.text for e in found)


def wait_build(driver, seconds: float):
    from selenium.webdriver.common.by import By
    return wait_for(lambda: re.search(r"Finished in \d+ s|did not finish", driver.find_element(By.ID, "build-text").text),
                    seconds, "the build to end")


def test_owner_journey(server, browser, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    url, folder, root = server
    d = browser
    d.get(url)
    assert "No company profiles in this folder yet" in d.page_source
    shots(d, "01-companies-empty")

    # 1. A new client, through the questions; a placeholder is refused next to its field, then fixed.
    press(d, d.find_element(By.LINK_TEXT, "+ New client"))
    d.find_element(By.CSS_SELECTOR, 'input[name=industry][value=roofing]').click()
    shots(d, "02-new-client-industry")
    press(d, d.find_element(By.ID, "next"))
    answers = {"legal_name": "Bow River Roofing Ltd.", "wcb_account": "7012345", "address": "212 1 Street W, Cochrane, AB T4C 1A5",
               "phone": "403-932-4410", "email": "office@example.com", "owner_name": "Lee Chan",
               "base_workers": "3", "muster_point": "Front gate by the flag pole",
               "hospital": "Cochrane Community Health Centre", "hospital_address": "60 Grande Boulevard, Cochrane, AB",
               "hospital_minutes": "6", "away_area": "Job sites in Cochrane, Calgary and area",
               "away_hospital": "Foothills Medical Centre", "away_hospital_address": "1403 29 Street NW, Calgary, AB",
               "away_minutes": "30", "wa_contact": "Ann Chan (office, 403-932-4411)", "person-0-name": "Marie Tremblay", "person-0-start": "2025-04-14"}
    for name, value in answers.items():
        if name.endswith("-start"):
            d.execute_script("arguments[0].value = arguments[1]", d.find_element(By.NAME, name), value)
        else:
            fill(d, name, value)
    Select(d.find_element(By.NAME, "person-0-role")).select_by_visible_text("supervisor")
    press(d, d.find_element(By.ID, "create"))
    assert "is an example address" in message_for(d, "email")
    assert not list(folder.glob("*.yaml"))
    shots(d, "03-new-client-refused-placeholder")
    fill(d, "email", "office@bowriverroofing.ca")
    press(d, d.find_element(By.ID, "create"))
    wait_for(lambda: "Build the binder" in d.page_source, 20, "the company overview")
    profile = folder / "bow-river-roofing-ltd.yaml"
    assert profile.is_file() and "Created bow-river-roofing-ltd.yaml" in d.page_source

    # 2. A validation error in the editor, shown beside its field in plain words, then fixed.
    press(d, d.find_element(By.LINK_TEXT, "Sites"))
    fill(d, "sites[0].workers_per_shift", "0")
    press(d, d.find_element(By.ID, "save"))
    assert "Must be at least 1; got 0" in message_for(d, "sites[0].workers_per_shift")
    assert "need fixing before a build" in d.page_source
    shots(d, "04-editor-sites-with-error")
    fill(d, "sites[0].workers_per_shift", "3")
    press(d, d.find_element(By.ID, "save"))
    assert "The profile is complete and valid" in d.page_source, d.find_element(By.TAG_NAME, "main").text[:1500]
    assert subprocess.run([sys.executable, "-m", "secor_docs", "validate", str(profile), "--as-of", AS_OF],
                          capture_output=True).returncode == 0

    # 3. Build with the PDF binder; a second tab sees the build in progress; download the binder.
    press(d, d.find_element(By.LINK_TEXT, "Overview and build"))
    box = d.find_element(By.NAME, "pdf")
    if not box.is_selected():
        box.click()
    press(d, d.find_element(By.ID, "build-button"))
    first = d.current_window_handle
    d.switch_to.new_window("tab")
    d.get(url + "c/bow-river-roofing-ltd.yaml")
    wait_for(lambda: "Building:" in d.find_element(By.ID, "build-text").text, 15, "the second tab to show the build")
    assert not d.find_element(By.ID, "build-button").is_enabled()
    shots(d, "05-build-in-progress-second-tab")
    d.close()
    d.switch_to.window(first)
    wait_build(d, 600)
    wait_for(lambda: d.find_elements(By.LINK_TEXT, "Binder (PDF)"), 20, "the download links")
    assert "Finished in" in d.page_source
    shots(d, "06-overview-built")
    d.find_element(By.LINK_TEXT, "Binder (PDF)").click()
    pdf = wait_for(lambda: [p for p in d.downloads.glob("*.pdf") if p.stat().st_size > 10_000], 30, "the PDF download")[0]
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert pdf.name == "bow-river-roofing-ltd-binder.pdf"
    revisions = {cells[0].text: cells[2].text.split("\n")[0] for row in d.find_elements(By.CSS_SELECTOR, "#documents tbody tr")
                 if (cells := row.find_elements(By.TAG_NAME, "td"))}
    assert revisions and set(revisions.values()) == {"1"}

    # 4. Add a worker, rebuild (Word only), see the change and the new revision.
    press(d, d.find_element(By.LINK_TEXT, "People"))
    shots(d, "07-editor-people")
    press(d, d.find_element(By.CSS_SELECTOR, 'button[name=_add][value=people]'))
    index = len(d.find_elements(By.CSS_SELECTOR, "fieldset.row[id^=row-people-]")) - 1
    assert "This is required" in message_for(d, f"people[{index}].name")
    fill(d, f"people[{index}].name", "Sam Okafor")
    Select(d.find_element(By.NAME, f"people[{index}].role")).select_by_value("worker")
    Select(d.find_element(By.NAME, f"people[{index}].position")).select_by_value("roofer")
    Select(d.find_element(By.NAME, f"people[{index}].employment")).select_by_value("full_time")
    d.execute_script("arguments[0].value = '2026-01-19'", d.find_element(By.NAME, f"people[{index}].start_date"))
    press(d, d.find_element(By.ID, "save"))
    assert "The profile is complete and valid" in d.page_source, d.find_element(By.TAG_NAME, "main").text[:2000]
    assert "Sam Okafor" in profile.read_text()
    press(d, d.find_element(By.LINK_TEXT, "Overview and build"))
    box = d.find_element(By.NAME, "pdf")
    if box.is_selected():
        box.click()
    press(d, d.find_element(By.ID, "build-button"))
    wait_build(d, 300)
    wait_for(lambda: "Sam Okafor" in d.find_element(By.ID, "changes").text, 20, "the change to show")
    changes = d.find_element(By.ID, "changes").text
    assert "Added Sam Okafor" in changes, changes
    revised = {cells[0].text: cells[2].text for row in d.find_elements(By.CSS_SELECTOR, "#documents tbody tr")
               if (cells := row.find_elements(By.TAG_NAME, "td")) and cells[2].text.startswith("2")}
    assert revised, "no document got a new revision after adding a worker"
    assert any("Sam Okafor" in text for text in revised.values()), revised
    shots(d, "08-overview-rebuilt")

    # 5. Every other page, for people to look at.
    for slug in ("company", "program", "positions", "equipment", "more"):
        press(d, d.find_element(By.CSS_SELECTOR, f'nav.tabs a[href$="/edit/{slug}"]'))
        assert d.find_element(By.ID, "save")
        shots(d, f"09-editor-{slug}")
    press(d, d.find_element(By.LINK_TEXT, "Audit readiness and records"))
    assert "File a record" in d.page_source
    shots(d, "10-readiness")
    d.get(url)
    assert "Bow River Roofing Ltd." in d.page_source and "valid" in d.page_source
    shots(d, "11-companies")
    d.get(url + "c/..%2F..%2Fetc%2Fpasswd")
    assert "There is no such page or file here" in d.page_source
    shots(d, "12-error-page")
