"""The evidence stage: the audit evidence index (question -> documents, binder pages, records) and the folders."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from .csvout import csv_text
from .facts import Facts
from .safefs import mkdirs, write_text
from .frameworks import Framework, RecordType, load_records

log = logging.getLogger(__name__)

CSV_COLUMNS = ["element_id", "element", "question_id", "question", "technique", "directive_documents", "binder_pages",
               "records_required", "frequency", "evidence_folder"]
EVIDENCE = "evidence"
NAMING = "YYYY-MM-DD description.ext"


@dataclass(frozen=True)
class IndexRow:
    element_id: str
    element: str
    question_id: str
    question: str
    technique: str
    directive_documents: str
    binder_pages: str
    records_required: str
    frequency: str
    evidence_folder: str
    sampling: str
    owner_operator_na: bool
    applies: bool

    def csv_row(self) -> list[str]:
        return [getattr(self, c) for c in CSV_COLUMNS]


def record_applies(key: str, facts: Facts, has_equipment: bool) -> bool:
    """Some record types only exist for some companies."""
    rules = {
        "hsr_records": facts.hsr_required,
        "working_alone_logs": facts.working_alone,
        "contractor_records": facts.contractors,
        "young_worker_records": bool(facts.young_workers),
        "sds_reviews": facts.whmis,
        "equipment_inspections": has_equipment,
        "maintenance_records": has_equipment,
    }
    return rules.get(key, True)


def frequency_text(record: RecordType, program) -> str:
    named = {"safety_meeting": program.safety_meeting_frequency, "inspection": program.inspection_frequency,
             "drill": program.emergency_drill_frequency}
    words = {"per_event": "each time it happens", "per_person": "one per worker", "per_equipment_use": "before each use",
             "per_task": "each job or task", "semiannual": "every six months", "biweekly": "every two weeks"}
    value = named.get(record.frequency, record.frequency)
    return words.get(value, value)


def _pages(ids: list[str], pages: dict[str, int | None]) -> str:
    found = [pages.get(i) for i in ids if pages.get(i)]
    return ", ".join(str(p) for p in found)


def _doc_list(groups: list[list[tuple[str, str]]]) -> str:
    """Documents per catalog entry: a run of more than 3 of one kind (one per hazard, site...) as a range."""
    parts = []
    for ids_titles in groups:
        if len(ids_titles) > 3:
            parts.append(f"{ids_titles[0][0]} to {ids_titles[-1][0]} ({len(ids_titles)} documents: {ids_titles[0][1].split(':')[0]})")
        else:
            parts += [f"{i} {t}" for i, t in ids_titles]
    return "; ".join(parts)


def evidence_index(framework: Framework, documents: list, pages: dict[str, int | None], facts: Facts, program,
                   has_equipment: bool) -> list[IndexRow]:
    """One row per audit question: a pure function of the framework, the planned documents and their pages."""
    records = load_records()
    by_key: dict[str, list] = {}
    for d in documents:
        by_key.setdefault(d.key, []).append(d)
    rows = []
    for element in framework.elements:
        for q in element.questions:
            groups = [[(d.id, d.title) for d in by_key[key]] for key in q.documents if by_key.get(key)]
            docs = [doc for group in groups for doc in group]
            recs = [(k, records[k]) for k in q.records if record_applies(k, facts, has_equipment)]
            applies = bool(docs or recs or not (q.documents or q.records))
            rows.append(IndexRow(
                element_id=element.id, element=element.name, question_id=q.id, question=q.text, technique=q.technique,
                directive_documents=_doc_list(groups) if docs else ("not applicable to this company" if q.documents else ""),
                binder_pages=_pages([i for i, _ in docs], pages),
                records_required="; ".join(r.name for _, r in recs),
                frequency="; ".join(frequency_text(r, program) for _, r in recs),
                evidence_folder="; ".join(f"{EVIDENCE}/{r.folder}" for _, r in recs),
                sampling=q.sampling, owner_operator_na=q.owner_operator_na, applies=applies))
    return rows


def write_index_csv(rows: list[IndexRow], path: Path) -> None:
    path.write_text(csv_text(CSV_COLUMNS, (row.csv_row() for row in rows)), encoding="utf-8")


def needed_records(framework: Framework, facts: Facts, has_equipment: bool) -> dict[str, RecordType]:
    records = load_records()
    keys = []
    for element in framework.elements:
        for q in element.questions:
            for k in q.records:
                if k not in keys and record_applies(k, facts, has_equipment):
                    keys.append(k)
    return {k: records[k] for k in keys}


def make_evidence_folders(root: Path, needed: dict[str, RecordType], program, company: str) -> None:
    """Create missing folders and the README; never touch a file that is already there."""
    base = root.parent  # the company folder: nothing below it is written through a link
    mkdirs(root, base)
    for record in needed.values():
        mkdirs(root / record.folder, base)
    readme = root / "README.md"
    lines = [f"# Audit evidence for {company}", "",
             "File every completed form, log, certificate and report here, in the folder for its record type.",
             f"Name each file `{NAMING}` with the date the record was made, for example",
             "`2026-03-14 monthly inspection shop.pdf` or `2026-01-09 orientation Sam Ortiz.pdf`.",
             "Put the worker's name in the file name of records kept per worker (orientation, training, acknowledgements).",
             "`secor-docs check PROFILE --evidence THIS_FOLDER` reads the dates and names to find gaps in the audit window.",
             "secor-docs never changes or deletes anything in this folder.", "",
             "| Folder | What goes in it | How often | Keep for |", "|---|---|---|---|"]
    for record in needed.values():
        lines.append(f"| `{record.folder}` | {record.name} | {frequency_text(record, program)} | {record.retention} |")
    text = "\n".join(lines) + "\n"
    if not os.path.lexists(readme):
        write_text(readme, text, base)
    elif readme.is_symlink() or not readme.is_file() or readme.read_text(encoding="utf-8", errors="replace") != text:
        write_text(root / "README (updated).md", text, base)  # the user's copy stays as it is
