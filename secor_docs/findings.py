"""Program findings: one record for every gap or conflict the build finds, with who fixes it and by when.

Every check that finds something the binder cannot truthfully state (a shift without a first aider, a control
nobody confirmed, a critical task without a written procedure, an expired ticket) returns `Finding`s from a pure
function. They are gathered in one place and surfaced everywhere: build output, manifest.json `warnings`,
portfolio.csv, CHANGES.md, the "Program gaps and actions" page and the corrective action log.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"      # the program misses a legal requirement or a document would state something false
    WARNING = "warning"  # an auditor would question it; fix before the audit
    NOTE = "note"        # a default was assumed; confirm it


@dataclass(frozen=True)
class Finding:
    code: str                        # stable and documented, e.g. "first-aid-shift-coverage"
    severity: Severity
    message: str                     # one plain sentence an owner understands
    action: str                      # what to do about it
    owner: str                       # the person responsible (a name from the profile)
    due: date
    documents: tuple[str, ...] = ()  # ids of the documents concerned
    path: tuple = ()                 # profile path, for file:line:col in `validate`

    def as_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity.value, "message": self.message, "action": self.action,
                "owner": self.owner, "due": self.due.isoformat(), "documents": list(self.documents)}


def ordered(findings) -> list[Finding]:
    """Most severe first, then by code and message, so every output lists them the same way."""
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}
    return sorted(set(findings), key=lambda f: (rank[f.severity], f.code, f.message))


def markdown(findings) -> str:
    """The findings section of CHANGES.md."""
    if not findings:
        return "## Program findings\n\nNo gap or conflict was found.\n"
    lines = ["## Program findings", "",
             f"{len(findings)} finding(s); each is on the Program Gaps and Actions page and the corrective action log.", ""]
    for n, f in enumerate(findings, start=1):
        docs = f" Documents: {', '.join(f.documents)}." if f.documents else ""
        lines.append(f"- GAP-{n:02d} {f.severity.value} `{f.code}`: {f.message} Action: {f.action} "
                     f"({f.owner}, by {f.due.isoformat()}).{docs}")
    return "\n".join(lines) + "\n"
