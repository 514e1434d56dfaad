"""A consultant's copy of a partner's current audit questions, loaded from CSV or YAML in place of the built-in list.

The built-in frameworks are modelled (the partners' current SECOR instruments were not available); a consultant who
holds the real question list loads it so the evidence index carries the real element and question numbers. Each
question says which binder documents and record types answer it, directly (`documents`, `records`) or by naming a
built-in question of the same partner that asks the same thing (`like`), whose documents, records, technique and
sampling fill whatever the row leaves blank.

Every problem is reported as `FILE:LINE:COL: field: message`, all at once, before anything is written.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import load_catalog
from .errors import Problem, ProfileError
from .findings import Finding, Severity
from .frameworks import Element, Filing, Framework, Question, load_records
from .limits import PROFILE_BYTES, NotARegularFile, read_limited
from .yamlsource import load_yaml

REQUIRED = ["element_id", "element", "question_id", "question"]
OPTIONAL = ["technique", "documents", "records", "sampling", "owner_operator_na", "like", "weight"]
TECHNIQUES = {"documentation": "documentation", "d": "documentation", "interview": "interview", "i": "interview",
              "observation": "observation", "o": "observation"}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}
DEFAULT_SAMPLING = "as the auditor's instrument sets out"


@dataclass
class _Row:
    """One question as read, with where each field came from."""
    where: dict[str, tuple[int, int]]
    values: dict[str, object]


@dataclass
class QuestionList:
    elements: list[tuple[str, str, float | None, tuple[int, int]]] = field(default_factory=list)
    rows: list[tuple[str, _Row]] = field(default_factory=list)        # (element id, question)
    filing: dict[str, tuple[str, tuple[int, int]]] = field(default_factory=dict)
    partner: tuple[str, tuple[int, int]] | None = None
    name: str | None = None


def _split(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p for p in str(value or "").replace(";", " ").replace(",", " ").split() if p]


def _read_csv(path: Path, display: str, problems: list[Problem]) -> QuestionList:
    try:
        raw = read_limited(path, PROFILE_BYTES)
    except NotARegularFile as e:
        raise ProfileError([Problem(display, None, None, "", f"cannot read the question list: {e.strerror}")]) from None
    except OSError as e:
        raise ProfileError([Problem(display, None, None, "", f"cannot read the question list: {e.strerror}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ProfileError([Problem(display, line, 1, "", "file is not UTF-8 text; save the CSV as UTF-8")]) from None
    reader = csv.reader(io.StringIO(text))
    out = QuestionList()
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ProfileError([Problem(display, 1, 1, "", f"file is empty; expected a header row: {', '.join(REQUIRED)}")]) from None
    except csv.Error as e:
        raise ProfileError([Problem(display, 1, 1, "", f"not valid CSV: {e}")]) from None
    for i, name in enumerate(header):
        if name not in REQUIRED + OPTIONAL:
            problems.append(Problem(display, 1, i + 1, name or f"column {i + 1}",
                                    f"unknown column; expected {', '.join(REQUIRED + OPTIONAL)}"))
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(Problem(display, 1, 1, "", f"missing column(s) {', '.join(missing)} in the header row"))
    if problems:
        raise ProfileError(problems)
    elements: dict[str, tuple[str, int]] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row):
                continue
            if len(row) != len(header):
                problems.append(Problem(display, line, 1, "", f"has {len(row)} fields; the header has {len(header)}"))
                continue
            values = {h: c.strip() for h, c in zip(header, row)}
            where = {h: (line, i + 1) for i, h in enumerate(header)}
            eid, ename = values["element_id"], values["element"]
            if eid in elements and elements[eid][0] != ename and ename:
                problems.append(Problem(display, line, where["element"][1], "element",
                                        f"element {eid} is named '{elements[eid][0]}' on line {elements[eid][1]}; got '{ename}'"))
            if eid and eid not in elements:
                elements[eid] = (ename, line)
                weight = None
                if values.get("weight"):
                    try:
                        weight = float(values["weight"])
                    except ValueError:
                        problems.append(Problem(display, line, where["weight"][1], "weight",
                                                f"expected a number (percent of the audit); got '{values['weight']}'"))
                out.elements.append((eid, ename, weight, (line, 1)))
            out.rows.append((eid, _Row(where, {k: v for k, v in values.items() if k not in ("element_id", "element", "weight")})))
    except csv.Error as e:
        problems.append(Problem(display, reader.line_num, 1, "", f"not valid CSV: {e}"))
    return out


def _read_yaml(path: Path, display: str, problems: list[Problem]) -> QuestionList:
    source = load_yaml(path, display, kind="question list")
    data = source.data
    out = QuestionList()
    for key in data:
        if key not in ("partner", "name", "elements", "filing"):
            problems.append(source.problem((key,), "unknown key; expected partner, name, elements, filing"))
    if data.get("partner") is not None:
        out.partner = (str(data["partner"]), source.locate(("partner",)))
    out.name = str(data["name"]) if data.get("name") else None
    elements = data.get("elements")
    if not isinstance(elements, list) or not elements:
        problems.append(source.problem(("elements",), "expected a list of elements, each with id, name and questions"))
        return out
    for i, element in enumerate(elements):
        where = ("elements", i)
        if not isinstance(element, dict):
            problems.append(source.problem(where, "expected a mapping with id, name, weight and questions"))
            continue
        for key in element:
            if key not in ("id", "name", "weight", "questions"):
                problems.append(source.problem(where + (key,), "unknown key; expected id, name, weight, questions"))
        eid, name = str(element.get("id") or "").strip(), str(element.get("name") or "").strip()
        weight = element.get("weight")
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float))):
            problems.append(source.problem(where + ("weight",), f"expected a number (percent of the audit); got {weight!r}"))
            weight = None
        out.elements.append((eid, name, weight, source.locate(where)))
        questions = element.get("questions")
        if not isinstance(questions, list) or not questions:
            problems.append(source.problem(where + ("questions",), "expected a list of questions"))
            continue
        for j, q in enumerate(questions):
            qwhere = where + ("questions", j)
            if not isinstance(q, dict):
                problems.append(source.problem(qwhere, "expected a mapping with id and text"))
                continue
            values, located = {}, {}
            for key, value in q.items():
                name_ = {"id": "question_id", "text": "question"}.get(key, key)
                if name_ not in REQUIRED + OPTIONAL or name_ in ("element_id", "element", "weight"):
                    problems.append(source.problem(qwhere + (key,), "unknown key; expected id, text, technique, "
                                                   "documents, records, sampling, owner_operator_na, like"))
                    continue
                values[name_] = value if isinstance(value, list) else ("" if value is None else value)
                located[name_] = source.locate(qwhere + (key,))
            for name_ in ("question_id", "question"):
                located.setdefault(name_, source.locate(qwhere))
            out.rows.append((eid, _Row(located, values)))
    filing = data.get("filing") or {}
    if not isinstance(filing, dict):
        problems.append(source.problem(("filing",), "expected a mapping of document key: element id"))
    else:
        for key, target in filing.items():
            out.filing[str(key)] = (str(target), source.locate(("filing", key)))
    return out


def load_question_list(path: Path, base: Framework, display: str | None = None) -> tuple[Framework, list[str]]:
    """The partner's framework with the elements and questions of `path` (CSV or YAML). Returns the framework and
    the catalog keys of documents no question names and no filing places (they go to the last element)."""
    display = display or str(path)
    problems: list[Problem] = []
    if path.suffix.lower() == ".csv":
        data = _read_csv(path, display, problems)
    elif path.suffix.lower() in (".yaml", ".yml"):
        data = _read_yaml(path, display, problems)
    else:
        raise ProfileError([Problem(display, None, None, "", "a question list is a .csv or .yaml file")])
    if data.partner and data.partner[0] != base.key:
        (line, col) = data.partner[1]
        problems.append(Problem(display, line, col, "partner",
                                f"this question list is for {data.partner[0]}; the profile's certifying partner is {base.key}"))
    known_docs = {d.key for d in load_catalog().documents}
    known_records = load_records()
    builtin = {q.id: q for e in base.elements for q in e.questions}

    def at(row: _Row, name: str) -> tuple[int, int]:
        return row.where.get(name) or row.where.get("question_id") or (None, None)

    element_ids: list[str] = []
    for eid, name, _, (line, col) in data.elements:
        if not eid:
            problems.append(Problem(display, line, col, "element_id", "element id is empty"))
        elif eid in element_ids:
            problems.append(Problem(display, line, col, "element_id", f"element {eid} is listed twice"))
        if not name:
            problems.append(Problem(display, line, col, "element", f"element {eid or '?'} has no name"))
        element_ids.append(eid)
    seen: dict[str, int] = {}
    questions: dict[str, list[Question]] = {eid: [] for eid in element_ids}
    for eid, row in data.rows:
        v = row.values
        qid = str(v.get("question_id") or "").strip()
        line, col = at(row, "question_id")
        if not qid:
            problems.append(Problem(display, line, col, "question_id", "question id is empty"))
        elif qid in seen:
            problems.append(Problem(display, line, col, "question_id", f"question {qid} is already listed on line {seen[qid]}"))
        else:
            seen[qid] = line
        text = str(v.get("question") or "").strip()
        if not text:
            problems.append(Problem(display, *at(row, "question"), "question", f"question {qid or '?'} has no text"))
        like = None
        if str(v.get("like") or "").strip():
            like = builtin.get(str(v["like"]).strip())
            if like is None:
                problems.append(Problem(display, *at(row, "like"), "like",
                                        f"no built-in {base.key} question '{v['like']}' (secor-docs questions {base.key} lists them)"))
        technique = str(v.get("technique") or "").strip().lower()
        if technique and technique not in TECHNIQUES:
            problems.append(Problem(display, *at(row, "technique"), "technique",
                                    f"expected documentation, interview or observation (or D, I, O); got '{v['technique']}'"))
        technique = TECHNIQUES.get(technique) or (like.technique if like else "documentation")
        docs = _split(v.get("documents"))
        for d in docs:
            if d not in known_docs:
                problems.append(Problem(display, *at(row, "documents"), "documents",
                                        f"unknown document '{d}' (secor-docs list documents shows the keys, second column)"))
        recs = _split(v.get("records"))
        for r in recs:
            if r not in known_records:
                problems.append(Problem(display, *at(row, "records"), "records",
                                        f"unknown record type '{r}'; expected one of {', '.join(sorted(known_records))}"))
        na = str(v.get("owner_operator_na") if v.get("owner_operator_na") is not None else "").strip().lower()
        if na not in YES | NO:
            problems.append(Problem(display, *at(row, "owner_operator_na"), "owner_operator_na",
                                    f"expected yes or no; got '{v['owner_operator_na']}'"))
        sampling = str(v.get("sampling") or "").strip() or (like.sampling if like else DEFAULT_SAMPLING)
        if eid in questions and qid and text:
            questions[eid].append(Question(
                id=qid, text=text, technique=technique, documents=docs or (list(like.documents) if like else []),
                records=recs or (list(like.records) if like else []), sampling=sampling,
                owner_operator_na=(na in YES) if na else (like.owner_operator_na if like else False)))
    for eid, name, _, (line, col) in data.elements:
        if eid and not questions.get(eid):
            problems.append(Problem(display, line, col, "questions", f"element {eid} has no questions"))
    for key, (target, (line, col)) in data.filing.items():
        if key not in known_docs:
            problems.append(Problem(display, line, col, f"filing.{key}", "unknown document key"))
        elif target not in element_ids:
            problems.append(Problem(display, line, col, f"filing.{key}", f"no element '{target}' in this list"))
    if problems:
        raise ProfileError(problems)
    elements = [Element(id=eid, name=name, weight=weight, questions=questions[eid])
                for eid, name, weight, _ in data.elements]
    placed, unfiled = file_documents(elements, {k: t for k, (t, _) in data.filing.items()}, base)
    count = sum(len(e.questions) for e in elements)
    framework = base.model_copy(update=dict(
        name=data.name or f"{base.partner} SECOR audit questions",
        basis=(f"Elements and questions loaded from {path.name} ({count} questions in {len(elements)} elements), the "
               f"consultant's copy of the partner's instrument. The binder documents and records each question points "
               f"to were set in that file (directly, or through the built-in {base.key} question it is like)."),
        verify_note=f"Questions as loaded from {path.name}; the documents and records matched to each are the consultant's.",
        elements=elements,
        filing=Filing(from_generic={e.id: elements[-1].id for e in load_catalog().elements}, documents=placed,
                      note=f"documents placed by the question list in {path.name}"),
        source=str(path)))
    return framework, unfiled


def file_documents(elements: list[Element], explicit: dict[str, str], base: Framework) -> tuple[dict[str, str], list[str]]:
    """Where each catalog document goes under a loaded list: the file's own `filing`; else the built-in filing's
    element when the list has the same element (same id and name) and a question there names the document (or none
    names it anywhere); else the element with the most questions naming it; else the last element (returned as
    unfiled, so the build can say so)."""
    ids = [e.id for e in elements]
    same = {e.id for e in elements for b in base.elements if (e.id, e.name.casefold()) == (b.id, b.name.casefold())}
    builtin = base.sections().file_under
    placed, unfiled = {}, []
    for doc in load_catalog().documents:
        naming = {e.id: sum(doc.key in q.documents for q in e.questions) for e in elements}
        naming = {eid: n for eid, n in naming.items() if n}
        home = builtin[doc.key] if builtin[doc.key] in same else None
        if doc.key in explicit:
            target = explicit[doc.key]
        elif home and (home in naming or not naming):
            target = home
        elif naming:
            target = max(naming, key=lambda eid: (naming[eid], -ids.index(eid)))
        else:
            target = ids[-1]
            unfiled.append(doc.key)
        placed[doc.key] = target
    return placed, unfiled


def question_file(profile, folder: Path, settings, settings_file: Path | None) -> Path | None:
    """The question list for this profile: its own `audit_questions`, else the settings file's entry for its partner."""
    if profile.audit_questions:
        return folder / profile.audit_questions
    named = (settings.audit_questions or {}).get(profile.company.certifying_partner)
    if named and settings_file is not None:
        return settings_file.parent / named
    return None


def question_list_findings(inputs) -> list[Finding]:
    """Finding source for consistency.all_findings: planned documents the loaded question list gave no home."""
    framework, unfiled = inputs.extra.get("framework"), inputs.extra.get("unfiled") or ()
    ids = inputs.doc_ids(*unfiled)
    if framework is None or not ids:
        return []
    last = framework.elements[-1]
    return [inputs.finding(
        "question-list-unfiled-documents", Severity.NOTE,
        f"No question in {Path(framework.source).name} names {len(ids)} binder document(s), so they are filed under the "
        f"last element ({last.id} {last.name}): {', '.join(ids[:8])}{' ...' if len(ids) > 8 else ''}.",
        "Add the document keys to the questions that ask for them, or a filing entry (YAML question lists).",
        documents=ids)]


EXPORT_COLUMNS = ["element_id", "element", "question_id", "question", "technique", "documents", "records", "sampling",
                  "owner_operator_na", "weight"]


def export_csv(framework: Framework) -> str:
    """The framework's questions as a question-list CSV: the starting point for a consultant's own list, and what
    `load_question_list` reads back unchanged."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for element in framework.elements:
        for n, q in enumerate(element.questions):
            weight = "" if n or element.weight is None else f"{element.weight:g}"
            writer.writerow([element.id, element.name, q.id, q.text, q.technique, " ".join(q.documents),
                             " ".join(q.records), q.sampling, "yes" if q.owner_operator_na else "no", weight])
    return buffer.getvalue()
