"""Trade-triggered law and documents: what a company's industry, equipment, hazards, PPE and tasks bring in.

`triggered` decides which triggers of data/triggers.yaml apply and why; `document_findings` turns every document
they call for that the binder does not generate into a "document-to-write" finding with an owner and a due date.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from .findings import Finding, Severity
from .library import Library
from .model import Profile

DUE_DAYS = 60   # a missing program document is written before the records window it has to cover


@dataclass(frozen=True)
class Triggered:
    key: str
    title: str
    because: str                     # the trigger's reason, plus what in the profile set it off
    references: tuple[str, ...]
    documents: tuple[tuple[str, str, str | None, str | None], ...]   # (title, why, generated catalog key or None,
                                                                      #  what to fill in a generated document)


def _reasons(trigger, profile: Profile, ppe_items: list[str], library_tasks: set[str], library: Library) -> list[str]:
    w = trigger.when
    tasks = [t for pos in profile.positions for t in pos.tasks]
    found = []
    if profile.company.industry in w.industries:
        found.append(f"industry: {profile.company.industry.replace('_', ' ')}")
    kinds = [e.name for e in profile.equipment if e.kind in w.equipment]
    if kinds:
        found.append("equipment: " + ", ".join(kinds))
    hazard_tasks = [t.name for t in tasks if set(t.hazards) & set(w.hazards)]
    if hazard_tasks:
        found.append("tasks: " + "; ".join(hazard_tasks[:4]) + ("; and others" if len(hazard_tasks) > 4 else ""))
    word_tasks = [t.name for t in tasks if any(word in t.name.lower() for word in w.task_words)]
    if word_tasks and not hazard_tasks:
        found.append("tasks: " + "; ".join(word_tasks[:4]))
    if set(w.library_tasks) & library_tasks and not (hazard_tasks or word_tasks):
        found.append("tasks: " + "; ".join(sorted(library.tasks[k].name for k in set(w.library_tasks) & library_tasks)))
    ppe = sorted({p for p in ppe_items if any(word in p.lower() for word in w.ppe_words)
                  and not any(word.lower() in p.lower() for word in w.ppe_unless)})
    if ppe:
        found.append("PPE: " + "; ".join(ppe[:3]))
    return found


def triggered(profile: Profile, library: Library, ppe_items: list[str], library_tasks: set[str]) -> list[Triggered]:
    """The triggers that apply to this company, in data order, each with the reason in the company's terms."""
    out = []
    for key, tr in library.triggers.items():
        reasons = _reasons(tr, profile, ppe_items, library_tasks, library)
        if reasons:
            out.append(Triggered(key, tr.title, f"{tr.because} ({'; '.join(reasons)})", tuple(tr.references),
                                 tuple((d.title, d.why, d.generated, d.complete) for d in tr.documents)))
    return out


def document_findings(profile: Profile, found: list[Triggered], as_of: date,
                      generated_titles: dict[str, str] | None = None) -> list[Finding]:
    """One "document-to-write" finding per document a trigger calls for that the binder does not generate, and one
    "document-to-complete" finding per generated document with fields only the company can fill in
    (`generated_titles`: catalog key -> "ID Title" of the documents this binder contains)."""
    titles = generated_titles or {}
    out = []
    for t in found:
        for title, why, generated, complete in t.documents:
            if generated is None or generated not in titles:
                out.append(Finding(code="document-to-write", severity=Severity.WARNING,
                                   message=f"{t.title}: no {title[0].lower()}{title[1:].split(':')[0]} in the binder yet.",
                                   action=f"Write it for the company's own work and keep it with the program ({why}).",
                                   owner=profile.company.senior_manager, due=as_of + timedelta(days=DUE_DAYS),
                                   documents=("POL-003",)))
            elif complete:
                out.append(Finding(code="document-to-complete", severity=Severity.WARNING,
                                   message=f"{titles[generated]} is written from the profile; the company still has to {complete}.",
                                   action=f"Fill in the blanks of {titles[generated].split(' ', 1)[0]} before the work it covers starts.",
                                   owner=profile.company.senior_manager, due=as_of + timedelta(days=DUE_DAYS),
                                   documents=(titles[generated].split(' ', 1)[0],)))
    return out


def documents_to_write(inputs) -> list[Finding]:
    """Finding source for consistency.all_findings: documents the company's trade, equipment, hazards, PPE or tasks
    call for that the binder does not contain, and generated ones with blanks only the company can fill."""
    views = inputs.built.context.get("triggered", [])
    found = [Triggered(t.key, t.title, t.because, tuple(r.key for r in t.references),
                       tuple((d.title, d.why, d.generated or None, d.complete or None) for d in t.documents)) for t in views]
    titles = {d.key: f"{d.id} {d.title}" for d in inputs.documents}
    documents = inputs.doc_ids("legislation_register") or ("POL-003",)
    return [Finding(f.code, f.severity, f.message, f.action, f.owner, f.due,
                    f.documents if f.code == "document-to-complete" else documents, f.path)
            for f in document_findings(inputs.profile, found, inputs.as_of, titles)]
