"""Consultant-wide settings (who prepares binders, brand colour), overridden by each profile."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ProfileError
from .model import Branding, PreparedBy, Profile
from .yamlsource import load_yaml

ENV = "SECOR_DOCS_SETTINGS"
DEFAULT_BRAND = "1F4E79"


class CertificateOverride(BaseModel):
    """A consultant's own reading of a partner's records rules; replaces the built-in numbers for that partner."""
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    one_year_months: int | None = Field(None, ge=1, le=36, description="Months of records a first audit needs for a one-year SECOR.")
    three_year_months: int | None = Field(None, ge=1, le=36, description="Months of records a first audit needs for a three-year SECOR.")
    maintenance_months: int | None = Field(None, ge=1, le=36, description="Months of records a maintenance audit samples.")
    source: str = Field(min_length=1, description="Where the numbers come from (the partner's rules, a letter, a call), printed in the build's findings.")


class SettingsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    prepared_by: PreparedBy | None = None
    branding: Branding | None = None
    templates: str | None = None
    audit_questions: dict[str, str] | None = Field(None, description="Per certifying partner key: a CSV or YAML question list (relative to the settings file) used for every profile of that partner.")
    certificate_rules: dict[str, CertificateOverride] | None = Field(None, description="Per certifying partner key: records months that replace the built-in ones.")


@dataclass(frozen=True)
class Presentation:
    prepared_by: str
    brand: str                     # RRGGBB
    templates: Path | None


def settings_path() -> Path | None:
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    home = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "secor-docs" / "settings.yaml"
    return home if home.is_file() else None


def load_settings() -> tuple[SettingsFile, Path | None]:
    path = settings_path()
    if path is None:
        return SettingsFile(), None
    source = load_yaml(path, kind="settings file")
    try:
        return SettingsFile.model_validate(source.data), path
    except ValidationError as e:
        from .profile import settings_problems

        raise ProfileError(settings_problems(e, source, SettingsFile)) from None


def presentation(profile: Profile, settings: SettingsFile, settings_file: Path | None) -> Presentation:
    who = profile.prepared_by or settings.prepared_by
    if who:
        parts = [who.name] + [x for x in (who.company, who.phone, who.email) if x]
        prepared = ", ".join(parts)
    else:
        manager = profile.company.senior_manager
        prepared = f"{manager}, {profile.company.legal_name}"
    branding = profile.branding or settings.branding
    brand = branding.colour.lstrip("#").upper() if branding else DEFAULT_BRAND
    templates = None
    if settings.templates and settings_file is not None:
        templates = (settings_file.parent / settings.templates).resolve()
    return Presentation(prepared, brand, templates)
