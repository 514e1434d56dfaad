"""Document control that follows change: what changed in the profile, and why each document got a new revision."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .determinism import sha256
from .model import Profile

# Documents that print other documents' revisions: decided after all the others.
LISTS_REVISIONS = {"document_register", "program_approval", "acknowledgement_sheets"}

ROLE = {"owner": "Owner", "manager": "Manager", "supervisor": "Supervisor", "worker": "Worker"}


@dataclass(frozen=True)
class Change:
    text: str                 # "Added Sam Ortiz (Roofer)"
    tokens: tuple[str, ...]   # words that appear in a document's changed lines when the change touches it


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


def profile_changes(old: dict | None, new: dict) -> list[Change]:
    """Human descriptions of what differs between two profile snapshots."""
    if not old:
        return []
    changes: list[Change] = []
    titles = {p["id"]: p["title"] for p in new.get("positions", [])} | {p["id"]: p["title"] for p in old.get("positions", [])}
    o_people, n_people = _by(old.get("people"), "name"), _by(new.get("people"), "name")
    for name in sorted(n_people.keys() - o_people.keys()):
        changes.append(Change(f"Added {name} ({titles.get(n_people[name]['position'], n_people[name]['position'])})", (name,)))
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


def reasons_for(old_lines: list[str], new_lines: list[str], changes: list[Change], ignore: tuple[str, ...] = ()) -> list[str]:
    """The profile changes that show in the lines a document gained or lost."""
    old_set, new_set = set(old_lines), set(new_lines)
    touched = [l for l in (old_set ^ new_set) if not any(word in l for word in ignore)]
    text = "\n".join(touched).lower()
    found = [c.text for c in changes if any(t and t.lower() in text for t in c.tokens)]
    return found


@dataclass
class ChangeReport:
    added: list[str]
    removed: list[str]
    revised: list[tuple[str, list[str]]]
    profile_changes: list[str]
    first_build: bool

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.revised)

    def lines(self) -> list[str]:
        if self.first_build:
            return [f"First build: {len(self.added)} documents issued."]
        if self.empty:
            return ["No document changed."]
        out = []
        if self.profile_changes:
            out.append("Profile changes: " + "; ".join(self.profile_changes))
        out += [f"added   {d}" for d in self.added]
        out += [f"removed {d}" for d in self.removed]
        out += [f"revised {d}: {'; '.join(r)}" for d, r in self.revised]
        return out

    def markdown(self, company: str, as_of: str) -> str:
        lines = [f"# Changes in this build of the {company} binder", "", f"Build date (--as-of): {as_of}", ""]
        if self.first_build:
            lines.append(f"First build: {len(self.added)} documents issued at revision 1.")
            return "\n".join(lines) + "\n"
        if self.profile_changes:
            lines += ["## Profile changes", ""] + [f"- {c}" for c in self.profile_changes] + [""]
        for title, items in (("Documents added", self.added), ("Documents removed", self.removed)):
            if items:
                lines += [f"## {title}", ""] + [f"- {d}" for d in items] + [""]
        if self.revised:
            lines += ["## Documents revised", ""] + [f"- {d}: {'; '.join(r)}" for d, r in self.revised] + [""]
        if self.empty:
            lines.append("No document changed; every document keeps its revision, dates and bytes.")
        return "\n".join(lines) + "\n"


def follow_changes(plan, renderer, records: list[dict], docx_files: list[Path],
                   previous: dict | None, target: Path) -> ChangeReport:
    """Give every document whose content changed a new revision, with the reasons in its history."""
    from .documents import new_revision  # imported here so the no-change path stays light
    changes = profile_changes((previous or {}).get("profile_snapshot"), snapshot(plan.loaded.profile))
    senior = plan.built.context["senior_manager"].name
    added, revised = [], []
    entries = list(zip(plan.documents, records, docx_files))
    # The document register prints every revision, so it is decided after all the others.
    ordered = [e for e in entries if e[0].key not in LISTS_REVISIONS] + [e for e in entries if e[0].key in LISTS_REVISIONS]
    for doc, rec, docx in ordered:
        old = rec.pop("previous")
        if old is None:
            added.append(f"{doc.id} {doc.title}")
            if doc.key in LISTS_REVISIONS:
                renderer.render(doc, docx)
            continue
        if doc.key in LISTS_REVISIONS:
            renderer.render(doc, docx)
        if sha256(docx) == old.get("sha256"):
            continue
        old_lines = docx_lines(target / old["docx"])
        reasons = reasons_for(old_lines, docx_lines(docx), changes, ignore=("rev.", "Revision"))
        if old["id"] != doc.id:
            reasons.append(f"document number changed from {old['id']} to {doc.id}")
        if not reasons:
            if doc.key in LISTS_REVISIONS:
                reasons = ["Revisions of other documents recorded"]
            else:
                reasons = ["Updated to follow the profile" if changes else "Wording updated (templates or built-in data changed)"]
        new_revision(rec, plan.as_of, reasons, senior)
        renderer.render(doc, docx)
        revised.append((f"{doc.id} {doc.title} (rev. {rec['revision']})", reasons))
    order = {d.id: i for i, d in enumerate(plan.documents)}
    revised.sort(key=lambda item: order.get(item[0].split(" ", 1)[0], 0))
    idents = {d.ident for d in plan.documents}
    removed = [f"{d['id']} {d['title']}" for d in (previous or {}).get("documents", []) if d.get("ident", d["id"]) not in idents]
    return ChangeReport(added, removed, revised, [c.text for c in changes], previous is None)


def reusable_pdfs(records: list[dict], docx_files: list[Path], previous: dict | None, target: Path) -> dict[Path, Path]:
    """PDFs of the previous build whose document did not change: no need to convert them again."""
    if not previous:
        return {}
    before = {d.get("ident", d["id"]): d for d in previous.get("documents", [])}
    reuse = {}
    for rec, docx in zip(records, docx_files):
        old = before.get(rec["ident"])
        if not old or not old.get("pdf") or old.get("sha256") != sha256(docx):
            continue
        pdf = target / old["pdf"]
        if pdf.is_file() and sha256(pdf) == old.get("pdf_sha256"):
            reuse[docx] = pdf
    return reuse
