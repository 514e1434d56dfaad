import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "company_profiles" / "prairie-peak-roofing.yaml"
PROFILES = ROOT / "company_profiles"
AS_OF = "2026-02-01"


@pytest.fixture(autouse=True, scope="session")
def template_cache(tmp_path_factory):
    """Compiled templates go to a folder of this test run, not the user's cache."""
    os.environ["SECOR_DOCS_CACHE"] = str(tmp_path_factory.mktemp("template-cache"))
    yield


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def pytest_collection_modifyitems(config, items):
    if os.environ.get("CI") == "true":
        return  # in CI a missing LibreOffice or chromium must fail, not skip
    missing = {}
    if not shutil.which("soffice"):
        missing["libreoffice"] = "LibreOffice (soffice) not installed"
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        missing["browser"] = "chromium and chromium-driver not installed (apt-get install chromium chromium-driver)"
    for item in items:
        for marker, reason in missing.items():
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


@pytest.fixture
def write_profile(tmp_path):
    """Write profile text to a file in a fresh folder and return its path."""
    def write(text: str, name: str = "profile.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write


def mutate(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, f"snippet not found: {old!r}"
    return text.replace(old, new, 1)
