"""Program findings: one record for every gap or conflict the build finds, with who fixes it and by when.

Every check that finds something the binder cannot truthfully state (a shift without a first aider, a control
nobody confirmed, a critical task without a written procedure, an expired ticket) returns `Finding`s from a pure
function. They are gathered in one place and surfaced everywhere: build output, manifest.json `warnings`,
portfolio.csv, CHANGES.md, the "Program gaps and actions" page and the corrective action log.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
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
    found: date | None = None        # the build date on which a build first found it (kept from build to build)

    def as_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity.value, "message": self.message, "action": self.action,
                "owner": self.owner, "due": self.due.isoformat(), "documents": list(self.documents),
                "found": self.found.isoformat() if self.found else None}

    def overdue(self, as_of: date) -> bool:
        return self.due < as_of


def _shape(message: str) -> str:
    """A message with its numbers left out: "19 of 29 controls..." and "20 of 29 controls..." are one finding."""
    return re.sub(r"\d+", "#", message)


def carry_forward(findings, previous: dict | None, as_of: date) -> tuple[Finding, ...]:
    """Each finding with the date it was first found and the due date it was given then.

    `previous` is the last build's manifest. A finding the last build had (same code and message, or
    the same code and a message that differs only in its numbers, when only one matches) keeps its `found` and
    `due` dates: the date a gap must be closed by does not move with each rebuild. A new finding is found on
    `as_of` and keeps the due date its rule gave it (as_of plus the days for its severity). A manifest written
    before `found` was recorded gives its own build date as the date found."""
    previous = previous or {}
    exact: dict[tuple, dict] = {}
    shaped: dict[tuple, list[dict]] = {}
    for w in previous.get("warnings") or []:
        if not isinstance(w, dict) or not w.get("due") or not w.get("code"):
            continue
        exact.setdefault((w["code"], w.get("message")), w)
        shaped.setdefault((w["code"], _shape(str(w.get("message")))), []).append(w)
    new_shapes: dict[tuple, int] = {}
    for f in findings:
        key = (f.code, _shape(f.message))
        new_shapes[key] = new_shapes.get(key, 0) + 1
    out = []
    for f in findings:
        old = exact.get((f.code, f.message))
        if old is None:
            key = (f.code, _shape(f.message))
            candidates = shaped.get(key, [])
            if len(candidates) == 1 and new_shapes[key] == 1:
                old = candidates[0]
        found, due = f.found or as_of, f.due
        if old is not None:
            try:
                due = date.fromisoformat(old["due"])
                found = date.fromisoformat(old.get("found") or previous.get("as_of"))
            except (TypeError, ValueError):
                pass
        out.append(replace(f, found=found, due=due))
    return tuple(out)


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
