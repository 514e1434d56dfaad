"""Where the built-in data and templates live, installed or in a source checkout."""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_dir() -> Path:
    return PACKAGE / "data"


def templates_dir() -> Path:
    # A wheel carries the templates inside the package; a source checkout keeps them at the top level.
    inside = PACKAGE / "templates"
    return inside if inside.is_dir() else PACKAGE.parent / "templates"


def example_profile() -> Path:
    """The bundled example profile (contract example), used to try templates."""
    return data_dir() / "example-profile.yaml"
