"""Every error secor-docs raises on purpose; the CLI catches SecorError once and exits with its code."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One located problem in a user's file: `file:line:col: path: message`."""

    file: str
    line: int | None
    col: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.col or 1}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SecorError(Exception):
    """Base class: a failure the user can act on. `exit_code` is the process status."""

    exit_code = 2

    def lines(self) -> list[str]:
        return [str(self)]


class ProfileError(SecorError):
    """The profile is not valid; carries every problem found."""

    exit_code = 1

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]

    def __reduce__(self):  # keeps the problems when a parallel build sends the error back
        return (ProfileError, (self.problems,))


class IneligibleError(SecorError):
    """The employer is above the SECOR size limit."""

    exit_code = 1


class InputError(SecorError):
    """Bad command-line input (missing file, output folder unusable)."""

    exit_code = 1


class OutputError(SecorError):
    """The output folder cannot be written (full disk, read-only); the previous build is intact."""

    exit_code = 8


class DataError(SecorError):
    """The built-in or consultant domain data is inconsistent (a bug in data, not in the profile)."""

    exit_code = 3


class CatalogError(DataError):
    """The document catalog names something that does not exist."""


class TemplateError(SecorError):
    """A Word template could not be rendered."""

    exit_code = 3


class ConversionError(SecorError):
    """LibreOffice failed to turn a document into PDF."""

    exit_code = 4


class BinderError(SecorError):
    """The binder could not be assembled."""

    exit_code = 5


class EditedOutputError(SecorError):
    """Files in the output folder were changed by hand since the last build."""

    exit_code = 6


class DamagedManifestError(EditedOutputError):
    """manifest.json cannot be read, is of another schema, or names a file outside the build's own outputs."""


class OutputClashError(SecorError):
    """The output folder already holds another company's binder."""

    exit_code = 1


class BusyError(SecorError):
    """Another build holds the lock on this output folder."""

    exit_code = 7


class InternalError(SecorError):
    """A bug in secor-docs met while building one profile of several; the others still build."""

    exit_code = 70


class BuildInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a build; `built` names the companies whose new build was completed first."""

    def __init__(self, built: list[str] | tuple[str, ...] = ()):
        self.built = list(built)
        super().__init__(", ".join(self.built))

    def __reduce__(self):  # sent back from a parallel build's worker
        return (BuildInterrupted, (self.built,))
