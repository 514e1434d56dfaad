"""Document control that follows change: what changed in the profile, and why each document got a new revision."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from .determinism import sha256
from .model import Profile
from .records import ADDED, KEPT, LATE, REVIEWED, REVISED, Control, IssuedDocument, PlannedRecord

# Documents that print other documents' revisions: decided after all the others.
LISTS_REVISIONS = {"document_register", "program_approval", "acknowledgement_sheets"}

ROLE = {"owner": "Owner", "manager": "Manager", "supervisor": "Supervisor", "worker": "Worker"}


@dataclass(frozen=True)
class Change:
    text: str                 # "Added Sam Ortiz (Roofer)"
    tokens: tuple  # words that appear in a document's changed lines when the change touches it (a tuple of words:
                   # all of them on one line)
    fallback: tuple = ()  # weaker tokens, tried only when no change's tokens show in the document


def snapshot(profile: Profile) -> dict:
    return profile.model_dump(mode="json")


def _by(items: list[dict], key: str) -> dict[str, dict]:
    return {str(i.get(key)): i for i in items or []}


def _field_changes(label: str, old: dict, new: dict, token: str, skip: tuple[str, ...] = ()) -> list[Change]:
    out = []
    for field in sorted(set(old) | set(new)):
        if field in skip or old.get(field) == new.get(field):
            continue
        a, b = old.get(field), new.get(field)
        name = field.replace("_", " ")
        if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
            out.append(Change(f"{label}: {name} changed", (token,)))
        else:
            out.append(Change(f"{label}: {name} changed from {a if a not in (None, '') else 'none'} to {b if b not in (None, '') else 'none'}",
                              tuple(str(x) for x in (a, b, token) if x not in (None, "", True, False))))
    return out


def _named_changes(old_items, new_items, added: str, removed: str, label: str) -> list[Change]:
    """Added, removed and changed entries of a list of named items (sites, equipment), in a stable order."""
    o, n = _by(old_items, "name"), _by(new_items, "name")
    out = [Change(f"{added}: {name}", (name,)) for name in sorted(n.keys() - o.keys())]
    out += [Change(f"{removed}: {name}", (name,)) for name in sorted(o.keys() - n.keys())]
    for name in sorted(o.keys() & n.keys()):
        out += _field_changes(f"{label} {name}", o[name], n[name], name)
    return out


def profile_changes(old: dict | None, new: dict, as_of: date | None = None) -> list[Change]:
    """Human descriptions of what differs between two profile snapshots (a person added with a start date after
    as_of is named as a future starter)."""
    if not old:
        return []
    changes: list[Change] = []
    titles = {p["id"]: p["title"] for p in new.get("positions", [])} | {p["id"]: p["title"] for p in old.get("positions", [])}
    o_people, n_people = _by(old.get("people"), "name"), _by(new.get("people"), "name")
    for name in sorted(n_people.keys() - o_people.keys()):
        person = n_people[name]
        start = person.get("start_date")
        later = f", starting on {start}" if as_of and start and start > as_of.isoformat() else ""
        changes.append(Change(f"Added {name} ({titles.get(person['position'], person['position'])}){later}", (name,)))
    for name in sorted(o_people.keys() - n_people.keys()):
        changes.append(Change(f"Removed {name}", (name,)))
    for name in sorted(o_people.keys() & n_people.keys()):
        a, b = o_people[name], n_people[name]
        if a.get("end_date") != b.get("end_date") and b.get("end_date"):
            changes.append(Change(f"{name} left on {b['end_date']}", (name,)))
        if a.get("position") != b.get("position"):
            changes.append(Change(f"{name} moved from {titles.get(a['position'], a['position'])} to {titles.get(b['position'], b['position'])}", (name,)))
        if a.get("role") != b.get("role"):
            changes.append(Change(f"{name} is now {ROLE.get(b['role'], b['role'])}", (name,)))
        if a.get("training") != b.get("training") or a.get("first_aid") != b.get("first_aid"):
            changes.append(Change(f"Training or first aid records updated for {name}", (name,)))
        for field in ("health_safety_representative", "under_18", "phone", "employment"):
            if a.get(field) != b.get(field):
                changes.append(Change(f"{name}: {field.replace('_', ' ')} changed", (name,)))
    o_pos, n_pos = _by(old.get("positions"), "id"), _by(new.get("positions"), "id")
    for pid in sorted(n_pos.keys() - o_pos.keys()):
        changes.append(Change(f"New position: {n_pos[pid]['title']}", (n_pos[pid]["title"],)))
    for pid in sorted(o_pos.keys() - n_pos.keys()):
        changes.append(Change(f"Position removed: {o_pos[pid]['title']}", (o_pos[pid]["title"],)))
    for pid in sorted(o_pos.keys() & n_pos.keys()):
        a, b = o_pos[pid], n_pos[pid]
        o_tasks, n_tasks = _by(a.get("tasks"), "name"), _by(b.get("tasks"), "name")
        for t in sorted(n_tasks.keys() - o_tasks.keys()):
            changes.append(Change(f"New task for {b['title']}: {t}", (t,)))
        for t in sorted(o_tasks.keys() - n_tasks.keys()):
            changes.append(Change(f"Task removed from {b['title']}: {t}", (t,)))
        for t in sorted(o_tasks.keys() & n_tasks.keys()):
            if o_tasks[t] != n_tasks[t]:
                changes.append(Change(f"Task changed for {b['title']}: {t}", (t,)))
        if a.get("custom_hazards") != b.get("custom_hazards"):
            changes.append(Change(f"Company-specific hazards changed for {b['title']}", tuple(h["name"] for h in b.get("custom_hazards") or []) or (b["title"],)))
        if a.get("title") != b.get("title"):
            changes.append(Change(f"Position renamed from {a['title']} to {b['title']}", (a["title"], b["title"])))
    changes += _named_changes(old.get("sites"), new.get("sites"), "New site", "Site removed", "Site")
    changes += _named_changes(old.get("equipment"), new.get("equipment"), "New equipment", "Equipment removed", "Equipment")
    a, b = old.get("working_alone") or {}, new.get("working_alone") or {}
    if a.get("check_in_interval_minutes") != b.get("check_in_interval_minutes") and a and b:
        x, y = a["check_in_interval_minutes"], b["check_in_interval_minutes"]
        changes.append(Change(f"Working alone check-in changed from {x} to {y} minutes", (f"{y} minutes", f"{y}-minute", f"{y} min", f"every {y}")))
    for field in ("communication", "contact"):
        if a.get(field) != b.get(field) and a and b:
            changes.append(Change(f"Working alone {field} changed to {b.get(field)}", (str(b.get(field)),)))
    if bool(a) != bool(b):
        changes.append(Change("Working alone plan added" if b else "Working alone plan removed", ("alone",)))
    changes += _field_changes("Program", old.get("program", {}), new.get("program", {}), "program")
    changes += _field_changes("Company", old.get("company", {}), new.get("company", {}), "company")
    if old.get("contractors") != new.get("contractors"):
        changes.append(Change("The company now hires contractors" if new.get("contractors") else "The company no longer hires contractors", ("contractor",)))
    if old.get("emergency_contacts") != new.get("emergency_contacts"):
        changes.append(Change("Emergency contacts updated", tuple(c["name"] for c in new.get("emergency_contacts") or []) or ("contact",)))
    return changes


def docx_lines(path: Path) -> list[str]:
    """The body's paragraphs and table rows ("cell | cell") as text, read straight from the XML (python-docx's
    object model took most of a rebuild's diffing time)."""
    import zipfile

    from lxml import etree

    if not path.is_file():
        return []
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    body = etree.fromstring(zipfile.ZipFile(path).read("word/document.xml")).find(f"{w}body")

    def text(el) -> str:
        return "".join(t.text or "" for t in el.iter(f"{w}t"))

    lines = [text(p) for p in body.iterchildren(f"{w}p")]
    for table in body.iter(f"{w}tbl"):
        for row in table.iterchildren(f"{w}tr"):
            lines.append(" | ".join("\n".join(text(p) for p in cell.iterchildren(f"{w}p")) for cell in row.iterchildren(f"{w}tc")))
    return [line for line in lines if line.strip()]


def touched_lines(old_lines: list[str], new_lines: list[str], ignore: tuple[str, ...] = ()) -> list[str]:
    """Lines a document gained or lost (the new ones first), leaving out lines with any of the `ignore` words."""
    old_set, new_set = set(old_lines), set(new_lines)
    gained = [l for l in new_lines if l not in old_set]
    lost = [l for l in old_lines if l not in new_set]
    return [l for l in gained + lost if not any(word in l for word in ignore)]


def reasons_for(old_lines: list[str], new_lines: list[str], changes: list[Change], ignore: tuple[str, ...] = ()) -> list[str]:
    """The changes (profile or date) that show in the lines a document gained or lost."""
    lines = [l.lower() for l in touched_lines(old_lines, new_lines, ignore)]

    def shows(token) -> bool:  # a word, or a tuple of words that must all be on one line
        words = (token,) if isinstance(token, str) else token
        return any(all(w and w.lower() in line for w in words) for line in lines)

    found = []
    for c in changes:
        if c.text not in found and any(shows(t) for t in c.tokens if t):
            found.append(c.text)
    if not found:
        found = [c.text for c in changes if any(shows(t) for t in c.fallback if t)]
    return list(dict.fromkeys(found))


def date_changes(plan, old_as_of: date) -> list[Change]:
    """What moving the build date from the previous build's --as-of to this one changes in content that depends on
    the date: people starting or leaving, training and first aid going out of date or due for renewal, the
    12-month headcount, findings passing their due date. Worked out by deriving the facts at both dates (the
    program edition is `edition_change`)."""
    from .context import EXPIRY_WARNING_DAYS, build_context
    from .facts import derive_facts
    from .library import load_library
    from .render import longdate

    new_as_of = plan.as_of
    if old_as_of == new_as_of:
        return []
    profile = plan.loaded.profile
    library = load_library()
    old_facts, new_facts = derive_facts(profile, library, old_as_of, True), plan.facts
    old_context, new_context = build_context(profile, old_facts, library).context, plan.built.context
    people = {p.name: p for p in profile.people}
    out: list[Change] = []
    for name in [n for n in new_facts.current_people if n not in old_facts.current_people]:
        out.append(Change(f"{name} started on {people[name].start_date.isoformat()} (the start date in the profile passed)", (name,)))
    for name in [n for n in old_facts.current_people if n not in new_facts.current_people]:
        end = people[name].end_date
        out.append(Change(f"{name}'s last day was {end.isoformat()}" if end else f"{name} is no longer employed", (name,)))
    for name in [n for n in old_facts.people_in_window if n not in new_facts.people_in_window]:
        end = people[name].end_date
        out.append(Change(f"{name} left{' on ' + end.isoformat() if end else ''}, more than 12 months ago, and is no "
                          f"longer counted in the 12-month headcount", (name,)))
    if old_facts.peak_headcount != new_facts.peak_headcount:
        out.append(Change(f"Most people employed at once in the last 12 months: {new_facts.peak_headcount} "
                          f"(was {old_facts.peak_headcount})",
                          tuple((str(new_facts.peak_headcount), w) for w in ("12 months", "at the same time", "at once"))))
    before = {pv.name: pv for pv in old_context["people"]}
    for pv in new_context["people"]:
        was = before.get(pv.name)
        if was is None:
            continue
        statuses = {st.key: st for st in was.required}
        for st in pv.required:
            old = statuses.get(st.key)
            if old is None or old.status == st.status:
                continue
            if st.status.startswith("EXPIRED"):
                text = f"{pv.name}'s {st.name} expired on {st.expires}"
            elif st.status.startswith("Expires soon"):
                text = f"{pv.name}'s {st.name} is due for renewal: it expires on {st.expires}, within {EXPIRY_WARNING_DAYS} days"
            else:
                text = f"{pv.name}'s {st.name} is now {st.status.lower()}"
            # a row of the training matrix names the course and date; a list of responders names only the person
            out.append(Change(text, ((pv.name, st.name), (pv.name, st.expires), (st.name, st.expires)), ((pv.name,),)))
    if len(old_facts.current_people) != len(new_facts.current_people):
        n, m = len(new_facts.current_people), len(old_facts.current_people)
        out.append(Change(f"{n} people work for the company now (was {m})", (f"{n} people", f"{n} current", f"employs {n}", f"{n} workers")))
    overdue: dict[date, int] = {}
    for f in plan.findings:
        if old_as_of <= f.due < new_as_of:
            overdue[f.due] = overdue.get(f.due, 0) + 1
    if overdue:
        n, dues = sum(overdue.values()), ", ".join(d.isoformat() for d in sorted(overdue))
        out.append(Change(f"{n} finding{'s' if n > 1 else ''} passed {'their' if n > 1 else 'its'} due date ({dues}) "
                          f"and {'are' if n > 1 else 'is'} now shown as overdue", ("overdue",)))
    if old_as_of.year != new_as_of.year:
        # the year is on many lines that changed for other reasons: named only when nothing more precise is
        out.append(Change(f"The year changed to {new_as_of.year}", (), ((str(new_as_of.year),),)))
    out.append(Change(f"The build date moved from {old_as_of.isoformat()} to {new_as_of.isoformat()}",
                      (new_as_of.isoformat(), longdate(new_as_of))))
    return out


def edition_change(edition, before) -> Change | None:
    """The new program edition this build issues, if it issues one: on the anniversary, or early (`--renew`)."""
    from .render import longdate

    if before is None or edition is None or edition.start <= before.start:
        return None
    how = (f"issued early on {edition.start.isoformat()}, before the review date {before.review_due.isoformat()}"
           if edition.early else f"started on {edition.start.isoformat()} (annual review)")
    return Change(f"The {edition.name} of the program {how}",
                  (edition.name, f"for {edition.year}", f"year {edition.year}", longdate(edition.start)),
                  (edition.start.isoformat(), (str(edition.year),)))


def input_changes(old: dict | None, new: dict | None) -> dict:
    """Which of the tool, templates, built-in data files and logo differ between two builds' recorded inputs."""
    if not new:
        return {}
    if not old:
        return {"unrecorded": True}
    out: dict = {}
    a, b = old.get("tool") or {}, new.get("tool") or {}
    if a != b:
        if a.get("version") != b.get("version"):
            out["tool"] = f"secor-docs changed from version {a.get('version')} to {b.get('version')}"
        else:
            out["tool"] = (f"secor-docs program code changed (version {b.get('version')}, code "
                           f"{str(a.get('code'))[:12]} to {str(b.get('code'))[:12]})")
    out["templates"] = {rel for rel, digest in (new.get("templates") or {}).items() if (old.get("templates") or {}).get(rel) != digest}
    data_old, data_new = old.get("data") or {}, new.get("data") or {}
    out["data"] = sorted(rel for rel in set(data_old) | set(data_new) if data_old.get(rel) != data_new.get(rel))
    if old.get("logo") != new.get("logo"):
        out["logo"] = True
    return out


def _quote(lines: list[str]) -> str:
    line = next((l for l in lines if l.strip()), "")
    line = " ".join(line.split())
    return f"“{line[:90]}{'…' if len(line) > 90 else ''}”"


def explain(doc, old: dict, old_lines: list[str], new_lines: list[str], changes: list[Change], dated: list[Change],
            inputs: dict, old_as_of: str | None, as_of: date) -> list[str]:
    """Why a document's content changed, as precisely as the build can tell: the profile changes and date-dependent
    changes that show in its changed lines, its template, the built-in data, the tool itself. Never a generic reason."""
    # lines that print the revision itself or the date it was issued change with every revision: never a cause
    ignore = ("rev.", "Revision", "Status checked on", "Status was checked on", "checked against the company profile on",
              "Summary as of", "the date this assessment was issued")
    reasons = reasons_for(old_lines, new_lines, changes, ignore)
    by_date = reasons_for(old_lines, new_lines, dated, ignore)
    if len(by_date) > 1:   # the build date itself is a reason only when nothing more precise is
        by_date = [r for r in by_date if not r.startswith("The build date moved")]
    reasons += [r for r in by_date if r not in reasons]
    if old["id"] != doc.id:
        reasons.append(f"document number changed from {old['id']} to {doc.id}")
    if doc.template in inputs.get("templates", ()):
        reasons.append(f"template {doc.template} changed")
    if reasons:
        return reasons
    if inputs.get("data"):
        files = inputs["data"]
        reasons.append(f"built-in data changed ({', '.join(files[:4])}{f' and {len(files) - 4} more' if len(files) > 4 else ''})")
    if inputs.get("tool"):
        reasons.append(inputs["tool"])
    if inputs.get("logo"):
        reasons.append("the company logo changed")
    if inputs.get("unrecorded"):
        reasons.append("built by a newer secor-docs than the previous build (which did not record its code, templates and data)")
    if reasons:
        return reasons
    touched = touched_lines(old_lines, new_lines, ignore)
    if changes and not dated:
        return [f"follows the profile change{'s' if len(changes) > 1 else ''}: {'; '.join(c.text for c in changes)}"]
    if dated and not changes:
        return [f"content that depends on the date changed between {old_as_of} and {as_of.isoformat()}: {_quote(touched)}"]
    return [f"text changed: {_quote(touched)}"]


@dataclass
class ChangeReport:
    added: list[str]
    removed: list[str]
    revised: list[tuple[str, list[str]]]
    profile_changes: list[str]
    first_build: bool
    reviewed: list[str] = field(default_factory=list)
    date_changes: list[str] = field(default_factory=list)
    edition: str | None = None   # set when this build issued a new edition of the program (annual review)
    early: str = ""              # "early, before its review date ...": the edition was issued with --renew
    first_effective: str = ""    # first build: the date its documents take effect (the edition's start)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.revised or self.reviewed)

    def lines(self) -> list[str]:
        if self.first_build:
            return [f"First build: {len(self.added)} documents issued."]
        if self.empty:
            return ["No document changed."]
        out = []
        if self.edition:
            out.append(f"Annual review: this build issues the {self.edition} of the program{' ' + self.early if self.early else ''}")
        if self.profile_changes:
            out.append("Profile changes: " + "; ".join(self.profile_changes))
        if self.date_changes:
            out.append("Changes that come with the date: " + "; ".join(self.date_changes))
        out += [f"added   {d}" for d in self.added]
        out += [f"removed {d}" for d in self.removed]
        out += [f"revised {d}: {'; '.join(r)}" for d, r in self.revised]
        out += [f"reviewed {d}" for d in self.reviewed]
        return out

    def markdown(self, company: str, as_of: str) -> str:
        lines = [f"# Changes in this build of the {company} binder", "", f"Build date (--as-of): {as_of}", ""]
        if self.first_build:
            lines.append(f"First build: {len(self.added)} documents issued at revision 1 on {as_of}"
                         + (f", effective {self.first_effective} (the start of this program edition); statuses "
                            f"(training, first aid, findings) were checked on {as_of}." if self.first_effective
                            and self.first_effective != as_of else "."))
            return "\n".join(lines) + "\n"
        if self.edition:
            lines += ["## Annual review", "", f"This build issues the {self.edition} of the program"
                      f"{' ' + self.early if self.early else ''}: every document was "
                      "reviewed. A document whose content changed has a new revision; one that did not keeps its revision, "
                      "and the review is recorded in its revision history with the next review a year on.", ""]
        if self.profile_changes:
            lines += ["## Profile changes", ""] + [f"- {c}" for c in self.profile_changes] + [""]
        if self.date_changes:
            lines += ["## Changes that come with the date", ""] + [f"- {c}" for c in self.date_changes] + [""]
        for title, items in (("Documents added", self.added), ("Documents removed", self.removed)):
            if items:
                lines += [f"## {title}", ""] + [f"- {d}" for d in items] + [""]
        if self.revised:
            lines += ["## Documents revised", ""] + [f"- {d}: {'; '.join(r)}" for d, r in self.revised] + [""]
        if self.reviewed:
            lines += ["## Documents reviewed without change (revision kept, next review a year on)", ""] + [f"- {d}" for d in self.reviewed] + [""]
        if self.empty:
            lines.append("No document changed; every document keeps its revision, dates and bytes.")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ChangeContext:
    """What a rebuild compares against, worked out once: the profile changes, the changes the date brings (with the
    new program edition first, when this build issues one), the changed inputs (tool, templates, data), and the
    dates a decision gives (`decide`)."""
    changes: list[Change]
    dated: list[Change]
    inputs: dict
    old_as_of: str | None
    as_of: date
    approved_by: str
    renewal: bool            # this build issues a new program edition (annual review, or --renew)
    edition: object          # edition.Edition this build issues
    review_note: str         # "Reviewed for the 2027 edition of the program"
    effective_from: date     # a revision takes effect when issued, or when the program starts if that is later
    first_build: bool

    @classmethod
    def of(cls, plan, previous: dict | None, inputs: dict | None) -> "ChangeContext":
        old_as_of = (previous or {}).get("as_of")
        dated = date_changes(plan, date.fromisoformat(old_as_of)) if old_as_of else []
        edition = plan.edition
        renewed = edition_change(edition, plan.previous_edition) if previous else None
        if renewed:
            dated.insert(0, renewed)
        return cls(changes=profile_changes((previous or {}).get("profile_snapshot"), snapshot(plan.loaded.profile), plan.as_of),
                   dated=dated, inputs=input_changes((previous or {}).get("inputs"), inputs) if previous else {},
                   old_as_of=old_as_of, as_of=plan.as_of, approved_by=plan.built.context["senior_manager"].name,
                   renewal=renewed is not None, edition=edition,
                   review_note=(f"Reviewed for the {edition.name} of the program, issued early on {edition.start.isoformat()}"
                                if edition.early else f"Reviewed for the {edition.name} of the program"),
                   effective_from=max(plan.as_of, edition.start), first_build=previous is None)


class Ledger:
    """The decisions of one build in the order they were made; a document that lists revisions names the others in
    that order (non-listing documents in catalog order, then the lists as they were decided)."""

    def __init__(self):
        self.status: dict[str, str] = {}
        self.reasons: dict[str, tuple[str, ...]] = {}

    def record(self, doc_id: str, status: str, reasons: tuple[str, ...] = ()) -> None:
        self.status.pop(doc_id, None)  # a changed decision moves to the end
        self.status[doc_id], self.reasons[doc_id] = status, reasons

    def ids(self, status: str, but: str | None = None) -> list[str]:
        return [i for i, s in self.status.items() if s == status and i != but]

    def list_reasons(self, own: str) -> list[str]:
        """Why a document that lists other documents' revisions changed: the revisions it records."""
        out = []
        if self.ids(REVISED, but=own):
            out.append(f"records the new revisions of {_ids(self.ids(REVISED, but=own))}")
        if self.ids(REVIEWED):
            out.append(f"records the review of {_ids(self.ids(REVIEWED))}")
        if self.ids(ADDED):
            out.append(f"lists the new documents {_ids(self.ids(ADDED))}")
        return out


def decide(ctx: ChangeContext, rec: PlannedRecord, control: Control, docx: Path, target: Path,
           listed: list[str]) -> tuple[str, Control, tuple[str, ...]]:
    """The revision decision for one document rendered with `control` (the one it carries): (status, control,
    reasons). Content is compared with the previous build's file; a changed document gets a new revision with the
    reasons its changed lines show (`listed`, for a document that lists revisions: the revisions it records); an
    unchanged one due for review keeps its revision and records the review."""
    old, doc = rec.previous, rec.doc
    due = ctx.renewal or control.next_review <= ctx.as_of
    next_review = ctx.edition.review_due if due else add_year(ctx.effective_from)
    same = sha256(docx) == old.get("sha256")
    if not same:
        new_lines, old_lines = docx_lines(docx), docx_lines(target / old["docx"])
        # at the annual review the page header names the new edition; that alone is no change of content
        same = ctx.renewal and new_lines == old_lines
    if same:
        if not due:
            return KEPT, control, ()
        return REVIEWED, control.reviewed(ctx.as_of, f"{ctx.review_note}: no change", ctx.approved_by, next_review), ()
    reasons = list(listed) or explain(doc, old, old_lines, new_lines, ctx.changes, ctx.dated, ctx.inputs,
                                      ctx.old_as_of, ctx.as_of)
    if due:
        reasons.append(ctx.review_note[0].lower() + ctx.review_note[1:])
    return REVISED, control.revised(ctx.as_of, reasons, ctx.approved_by, next_review, ctx.effective_from), tuple(reasons)


def issue_documents(plan, renderer, planned: tuple[PlannedRecord, ...], folder: Path, previous: dict | None,
                    target: Path, inputs: dict | None = None, jobs: int = 1,
                    late_pages: dict | None = None) -> tuple[tuple[IssuedDocument, ...], ChangeReport]:
    """The render stage with document control: every document rendered with the control it carries and compared
    with the previous build (`decide`); a document whose control the decision changes (a new revision, a recorded
    review) is rendered once more with it, as templates print the control fields and the revision history prints
    the reasons the comparison found.

    The documents that print every revision (LISTS_REVISIONS: register, approval page, acknowledgements) also print
    each other's: they are decided last, again whenever one of them gets a new revision, until none changes, so
    each shows the others' final revisions (a revision never lists a sibling's old one, which the next build would
    then have to revise). A file is rendered only when its control or the catalog it prints changed since its last
    render."""
    from .documents import catalog_view

    ctx = ChangeContext.of(plan, previous, inputs)
    controls = {rec.id: rec.control for rec in planned}
    path = {rec.id: renderer.target(folder, rec.doc) for rec in planned}
    pages = {rec.id: late_pages if rec.doc.key == LATE else None for rec in planned}
    ledger = Ledger()
    rendered: dict[str, tuple] = {}   # document id -> (control, catalog controls) of the file on disk

    def state() -> tuple:
        return tuple(controls[d.id] for d in plan.documents)

    def render(rec: PlannedRecord) -> None:
        key = (controls[rec.id], state() if rec.doc.key in LISTS_REVISIONS else None)
        if rendered.get(rec.id) != key:
            renderer.render(rec.doc, controls[rec.id], path[rec.id], catalog_view(plan.documents, controls), pages[rec.id])
            rendered[rec.id] = key

    first = [rec for rec in planned if rec.doc.key not in LISTS_REVISIONS]
    renderer.render_all([(rec.doc, rec.control, path[rec.id], pages[rec.id]) for rec in first],
                        catalog_view(plan.documents, controls), jobs=jobs)
    rendered |= {rec.id: (rec.control, None) for rec in first}
    for rec in planned:
        if rec.previous is None:
            ledger.record(rec.id, ADDED)
        elif rec.doc.key not in LISTS_REVISIONS:
            status, controls[rec.id], reasons = decide(ctx, rec, rec.control, path[rec.id], target, [])
            ledger.record(rec.id, status, reasons)
    for rec in first:
        render(rec)  # the documents whose control changed

    lists = [rec for rec in planned if rec.doc.key in LISTS_REVISIONS and rec.previous is not None]
    for rec in lists:
        ledger.record(rec.id, KEPT)
    for _ in range(len(lists) + 1):
        progressed = False
        for rec in lists:
            before = ledger.status[rec.id]
            if before == REVISED:
                continue
            render(rec)
            if before == REVIEWED:
                docx, old = path[rec.id], rec.previous
                if sha256(docx) == old.get("sha256") or docx_lines(docx) == docx_lines(target / old["docx"]):
                    continue
                # the review turns into a new revision (the next review date it gave stays)
                controls[rec.id] = replace(controls[rec.id], history=controls[rec.id].history[:-1])
                ledger.record(rec.id, KEPT)
            status, controls[rec.id], reasons = decide(ctx, rec, controls[rec.id], path[rec.id], target,
                                                       ledger.list_reasons(rec.id))
            ledger.record(rec.id, status, reasons)
            progressed = progressed or status != before
        if not progressed:
            break
    for rec in lists:
        if ledger.status[rec.id] == REVISED and ledger.list_reasons(rec.id):  # its reason names every revision of this build
            control = controls[rec.id]
            due_note = [r for r in control.history[-1].change.split("; ") if r.startswith("reviewed for the")]
            reasons = tuple(ledger.list_reasons(rec.id) + due_note)
            controls[rec.id] = replace(control, history=control.history[:-1] + (replace(control.history[-1], change="; ".join(reasons)),))
            ledger.reasons[rec.id] = reasons
    for rec in planned:
        if rec.doc.key in LISTS_REVISIONS:
            render(rec)

    issued = tuple(IssuedDocument(rec, controls[rec.id], path[rec.id], sha256(path[rec.id]), ledger.status[rec.id],
                                  ledger.reasons[rec.id]) for rec in planned)
    return issued, change_report(plan, issued, previous, ctx)


def change_report(plan, issued: tuple[IssuedDocument, ...], previous: dict | None, ctx: ChangeContext) -> ChangeReport:
    """CHANGES.md and the build summary, from the decisions (documents in catalog order)."""
    added = [f"{i.doc.id} {i.doc.title}" for i in issued if i.status == ADDED]
    revised = [(f"{i.doc.id} {i.doc.title} (rev. {i.control.revision})", list(i.reasons)) for i in issued if i.status == REVISED]
    reviewed = [f"{i.doc.id} {i.doc.title} (rev. {i.control.revision} kept)" for i in issued if i.status == REVIEWED]
    idents = {d.ident for d in plan.documents}
    removed = [f"{d['id']} {d['title']}" for d in (previous or {}).get("documents", []) if d.get("ident", d["id"]) not in idents]
    return ChangeReport(added, removed, revised, [c.text for c in ctx.changes], previous is None, reviewed=reviewed,
                        date_changes=[c.text for c in ctx.dated if not c.text.startswith("The build date moved")],
                        edition=ctx.edition.name if ctx.renewal else None,
                        first_effective=ctx.edition.start.isoformat() if previous is None else "",
                        early=(f"early, before its review date {plan.previous_edition.review_due.isoformat()}"
                               if ctx.renewal and ctx.edition.early else ""))


def add_year(day: date) -> date:
    from .edition import add_years

    return add_years(day, 1)


def _ids(ids: list[str], limit: int = 12) -> str:
    return ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def overdue_documents(manifest: dict | None, as_of: date) -> list[str]:
    """Documents of a build whose next review date has come by as_of ("POL-001 Health and Safety Policy, rev. 2,
    review due 2027-02-01")."""
    out = []
    for d in (manifest or {}).get("documents", []):
        try:
            due = date.fromisoformat(str(d.get("next_review")))
        except ValueError:
            continue
        if due <= as_of:
            out.append(f"{d.get('id')} {d.get('title')}, rev. {d.get('revision')}, review due {due.isoformat()}")
    return out


def reusable_pdfs(issued: tuple[IssuedDocument, ...], previous: dict | None, target: Path) -> dict[str, Path]:
    """PDFs of the previous build whose document did not change (by document id): no need to convert them again."""
    if not previous:
        return {}
    before = {d.get("ident", d["id"]): d for d in previous.get("documents", [])}
    reuse = {}
    for doc in issued:
        old = before.get(doc.planned.doc.ident)
        if not old or not old.get("pdf") or old.get("sha256") != doc.sha256:
            continue
        pdf = target / old["pdf"]
        if pdf.is_file() and sha256(pdf) == old.get("pdf_sha256"):
            reuse[doc.doc.id] = pdf
    return reuse
