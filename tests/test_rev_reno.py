"""Auditor review of a four-person basement and bathroom renovator (tests/profiles/rev-reno-basement.yaml).

Grammar faults the review found in its built Word files: a default muster point printed mid-sentence with a capital,
document titles lower-cased in the PPE policy, and task names run into a sentence without quotes.
"""
from datetime import date
from pathlib import Path

import pytest

from secor_docs.pipeline import BuildOptions, run_build

from docx_text import body_text

PROFILE = Path(__file__).parent / "profiles" / "rev-reno-basement.yaml"


@pytest.fixture(scope="module")
def binder(tmp_path_factory):
    out = tmp_path_factory.mktemp("rev-reno")
    [result] = run_build(BuildOptions(profiles=(PROFILE,), out=out, as_of=date(2026, 12, 4), pdf=False, jobs=1))
    assert result.ok, result.error
    return {p.stem: body_text(p) for p in (out / result.slug).rglob("*.docx")}


def doc(binder, prefix: str) -> str:
    found = [t for name, t in binder.items() if name.startswith(prefix)]
    assert found, (prefix, sorted(binder))
    return "\n".join(found)


def test_default_muster_point_reads_as_part_of_the_sentence(binder):
    erp = doc(binder, "ERP-")
    assert "The muster point is set at the start of each job" in erp
    assert "is Set at" not in erp


def test_ppe_policy_names_the_hazard_programs_by_their_titles(binder):
    ppe = doc(binder, "POL-010")
    assert "Noise Management Program (PLN-" in ppe
    assert "Respiratory Protection Code of Practice (PLN-" in ppe
    assert "noise Management" not in ppe and "respiratory Protection" not in ppe


def test_procedures_still_to_write_are_quoted_task_names(binder):
    text = doc(binder, "PRO-001")
    sentence = text[text.index("the procedures for"):text.index("are still to be written")]
    assert "“Set tile" in sentence and "for Set" not in sentence
