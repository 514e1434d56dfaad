"""The typed records one document passes through on its way from plan to manifest.

plan (`documents.plan_records`)        -> PlannedRecord:   catalog entry + control carried from the previous build
render and decide (`revisions.issue_documents`) -> IssuedDocument: the DOCX, its final control, added/kept/reviewed/revised
convert and assemble (`binder.produce_pdfs`)    -> ConvertedDocument per document + BinderFiles
manifest (`manifest.build_manifest`)   -> the manifest dict (contract §3), built once from the records above

Every record is frozen: a stage returns new records, it never changes what an earlier stage handed it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from .catalog import PlannedDocument

ADDED, KEPT, REVIEWED, REVISED = "added", "kept", "reviewed", "revised"
LATE = "evidence_index"  # the document printed last, once every other document's binder page is known


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a document's revision history."""
    revision: int
    date: date
    change: str
    approved_by: str

    @classmethod
    def from_manifest(cls, entry: dict) -> "HistoryEntry":
        return cls(revision=entry["revision"], date=date.fromisoformat(entry["date"]), change=entry["change"],
                   approved_by=entry["approved_by"])

    def as_manifest(self) -> dict:
        return {"revision": self.revision, "date": self.date.isoformat(), "change": self.change,
                "approved_by": self.approved_by}

    def as_view(self) -> dict:  # what templates read as doc.history[i]
        return {"revision": self.revision, "date": self.date, "change": self.change, "approved_by": self.approved_by}


@dataclass(frozen=True)
class Control:
    """The document-control fields every document prints: revision, the date it was issued (`issued`, the date in
    its revision history) and takes effect (`effective`, the date in its header), next review, history."""
    revision: int
    effective: date
    issued: date
    next_review: date
    history: tuple[HistoryEntry, ...]

    @classmethod
    def first_issue(cls, issued: date, effective: date, next_review: date, approved_by: str) -> "Control":
        return cls(1, effective, issued, next_review, (HistoryEntry(1, issued, "First issue", approved_by),))

    @classmethod
    def from_manifest(cls, entry: dict) -> "Control":
        history = tuple(HistoryEntry.from_manifest(h) for h in entry["history"])
        return cls(revision=entry["revision"], effective=date.fromisoformat(entry["effective"]),
                   issued=date.fromisoformat(entry["issued"]) if entry.get("issued") else issue_date(history, entry["revision"]),
                   next_review=date.fromisoformat(entry["next_review"]), history=history)

    def revised(self, day: date, reasons: list[str], approved_by: str, next_review: date,
                effective: date | None = None) -> "Control":
        """The next revision, issued on `day`; it takes effect on `effective` (`day` unless the program starts
        later)."""
        revision = self.revision + 1
        return Control(revision, max(effective or day, day), day, next_review,
                       self.history + (HistoryEntry(revision, day, "; ".join(reasons), approved_by),))

    def reviewed(self, day: date, note: str, approved_by: str, next_review: date) -> "Control":
        """A review that changes no content: the revision, its issue and effective dates stay, the review is
        written in the history and the next review moves on (README, "Document control")."""
        return replace(self, next_review=next_review,
                       history=self.history + (HistoryEntry(self.revision, day, note, approved_by),))


def issue_date(history: tuple[HistoryEntry, ...], revision: int) -> date:
    """The date a revision was issued: its first line in the revision history (later lines of the same revision
    record reviews). For manifests written before `issued` was recorded."""
    return next((h.date for h in history if h.revision == revision), history[-1].date)


@dataclass(frozen=True)
class PlannedRecord:
    """A catalog document before it is rendered: the control it carries over from the previous build (or its first
    issue) and the previous build's manifest entry for it (None: the document is new)."""
    doc: PlannedDocument
    control: Control
    previous: dict | None = None

    @property
    def id(self) -> str:
        return self.doc.id


@dataclass(frozen=True)
class IssuedDocument:
    """A rendered document with its final control and the revision decision that gave it (one of ADDED, KEPT,
    REVIEWED, REVISED; `reasons` for REVISED)."""
    planned: PlannedRecord
    control: Control
    docx: Path
    sha256: str
    status: str
    reasons: tuple[str, ...] = ()

    @property
    def doc(self) -> PlannedDocument:
        return self.planned.doc


@dataclass(frozen=True)
class ConvertedDocument:
    """A document's PDF and its place in binder.pdf. `docx_sha256` is the final Word file's: the evidence index is
    rendered again once binder pages are known."""
    pdf: str            # relative to the build folder
    pages: int
    binder_page: int
    pdf_sha256: str
    docx_sha256: str


@dataclass(frozen=True)
class BinderFiles:
    """binder.pdf and binder.docx with what the next build needs to reuse them. A build without PDFs has none."""
    pdf: str | None = None
    docx: str | None = None
    pages: int | None = None
    parts: dict | None = None          # cover, contents and divider PDFs kept in .binder-parts/
    key: str | None = None             # binder_key: unchanged key and documents = the files can be reused
    front_pages: dict | None = None
    pdf_sha256: str | None = None
    docx_sha256: str | None = None

    @classmethod
    def from_manifest(cls, binder: dict) -> "BinderFiles":
        return cls(**{k: binder.get(k) for k in cls.__dataclass_fields__})

    def as_manifest(self) -> dict:
        out = {"pdf": self.pdf, "docx": self.docx, "pages": self.pages}
        if self.key is not None:
            out |= {"parts": self.parts, "key": self.key, "front_pages": self.front_pages,
                    "pdf_sha256": self.pdf_sha256, "docx_sha256": self.docx_sha256}
        return out
