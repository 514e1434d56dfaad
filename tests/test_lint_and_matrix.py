"""Risk matrix rules, profile lint warnings, and the build lock."""
from click.testing import CliRunner

from secor_docs.cli import main
from secor_docs.outputs import build_lock

from conftest import AS_OF, EXAMPLE, mutate

MATRIX = """  emergency_drill_frequency: semiannual
  risk_matrix:
    severity: [Low, Medium, High]
    probability: [Rare, Possible, Likely]
    bands:
      - {name: Low, min: 1, max: 2, action: "Routine controls."}
      - {name: High, min: 4, max: 9, action: "Stop and plan."}
"""


def test_custom_matrix_must_cover_every_score(tmp_path, example_text):
    path = tmp_path / "p.yaml"
    path.write_text(mutate(example_text, "  emergency_drill_frequency: semiannual\n", MATRIX))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:26:5: program.risk_matrix.bands: score 3 falls in no band; bands must cover every score from 1 to 9" in result.output


def test_custom_matrix_overlapping_bands(tmp_path, example_text):
    path = tmp_path / "p.yaml"
    path.write_text(mutate(example_text, "  emergency_drill_frequency: semiannual\n", MATRIX.replace("max: 2,", "max: 4,")))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert "score 4 falls in more than one band (Low, High)" in result.output


def test_lint_warns_and_strict_fails(tmp_path, example_text):
    text = mutate(example_text, "  - id: office_admin", "  - id: estimator_helper\n    title: \"Estimator helper\"\n    tasks:\n      - {name: \"Measure\", hazards: [ladder_use]}\n  - id: office_admin")
    text = mutate(text, "      - id: torch_on_membrane", "      - id: unused_thing\n        name: \"Unused\"\n        severity: 2\n        probability: 2\n        controls: {administrative: [\"Talk about it\"]}\n      - id: torch_on_membrane")
    path = tmp_path / "p.yaml"
    path.write_text(text)
    normal = CliRunner().invoke(main, ["validate", str(path), "--as-of", AS_OF])
    assert normal.exit_code == 0, normal.output
    assert "warning: positions[3].id: nobody currently holds the position 'Estimator helper'" in normal.output
    assert "warning: positions[2].custom_hazards[0].id: custom hazard 'unused_thing' is not used by any task" in normal.output
    assert "is under 18 and holds a position with tasks done alone" not in normal.output
    strict = CliRunner().invoke(main, ["validate", str(path), "--as-of", AS_OF, "--strict"])
    assert strict.exit_code == 1 and "with --strict" in strict.output


def test_expired_training_is_a_lint_warning(tmp_path, example_text):
    result = CliRunner().invoke(main, ["validate", str(EXAMPLE), "--as-of", "2028-05-01"])
    assert "needs 'Fall Protection' training, which has expired for everyone holding it" in result.output


def test_a_second_build_of_the_same_company_waits_its_turn(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with build_lock(out, "prairie-peak-roofing-ltd"):
        result = CliRunner().invoke(main, ["build", str(EXAMPLE), "--no-pdf", "--out", str(out), "--as-of", AS_OF])
    assert result.exit_code == 7 and "another secor-docs build" in result.output
