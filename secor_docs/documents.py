"""The render stage for one company: document control data, the legislation register, and each DOCX."""
from __future__ import annotations

import logging
import re
from datetime import date, datetime
from pathlib import Path

from .catalog import PlannedDocument
from .context import View
from .edition import add_years
from .evidence import evidence_index
from .errors import SecorError
from .render import render_docx

log = logging.getLogger(__name__)

DOCUMENTS = "documents"
class ForkedWorker:
    """Run `job` in a forked process (it inherits everything, nothing is pickled); `result()` re-raises its error."""

    def __init__(self, job):
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe(duplex=False)

        def run():
            try:
                job()
                child.send(None)
            except SecorError as e:
                child.send(e)
            except BaseException as e:  # noqa: BLE001 - reported to the parent, which raises it
                child.send(RuntimeError(f"{type(e).__name__}: {e}"))

        self.process = ctx.Process(target=run, daemon=True)
        self.process.start()
        child.close()

    def result(self) -> None:
        try:
            error = self.conn.recv()
        except EOFError:
            raise RuntimeError("a helper process ended without reporting") from None
        self.process.join()
        if error is not None:
            raise error

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


LATE = "evidence_index"  # printed last, once every other document's binder page is known


def document_records(plan, previous: dict | None = None) -> list[dict]:
    """Document-control data for every planned document.

    A document the previous build made keeps its revision, dates and history (a later step bumps the ones whose
    content changed). A new one is issued on --as-of (`issued`, the date in its revision history): in a first build
    it takes effect with the program edition in force (`effective`, the date in its header) and is reviewed with
    the program; in a rebuild it takes effect on --as-of, or when the program starts if that is later.
    """
    senior = plan.built.context["senior_manager"]
    before = {d.get("ident", d["id"]): d for d in (previous or {}).get("documents", [])}
    program = plan.built.context["program"]
    if previous is None:
        effective, review = program.edition_start, program.review_due
    else:
        effective = max(plan.as_of, program.edition_start)
        review = add_years(effective, 1)
    records = []
    for doc in plan.documents:
        rec = {"id": doc.id, "title": doc.title, "element": doc.element_id, "element_name": doc.element_name,
               "kind": doc.kind, "key": doc.key, "ident": doc.ident}
        old = before.get(doc.ident)
        if old and old.get("history"):
            history = [{**h, "date": date.fromisoformat(h["date"])} for h in old["history"]]
            rec.update(revision=old["revision"], effective=date.fromisoformat(old["effective"]),
                       issued=date.fromisoformat(old["issued"]) if old.get("issued") else issue_date(history, old["revision"]),
                       next_review=date.fromisoformat(old["next_review"]), history=history, previous=old)
        else:
            rec.update(revision=1, effective=effective, issued=plan.as_of, next_review=review, previous=None,
                       history=[{"revision": 1, "date": plan.as_of, "change": "First issue", "approved_by": senior.name}])
        records.append(rec)
    return records


def issue_date(history: list[dict], revision: int) -> date:
    """The date a revision was issued: its first line in the revision history (later lines of the same revision
    record reviews). For manifests written before `issued` was recorded."""
    return next((h["date"] for h in history if h["revision"] == revision), history[-1]["date"])


def new_revision(rec: dict, as_of: date, reasons: list[str], approved_by: str, next_review: date | None = None,
                 effective: date | None = None) -> None:
    """Issue the next revision on as_of; it takes effect on `effective` (as_of unless the program starts later)."""
    rec["revision"] += 1
    rec["issued"] = as_of
    rec["effective"] = max(effective or as_of, as_of)
    rec["next_review"] = next_review or add_years(rec["effective"], 1)
    rec["history"] = rec["history"] + [{"revision": rec["revision"], "date": as_of, "change": "; ".join(reasons),
                                        "approved_by": approved_by}]


def record_review(rec: dict, as_of: date, note: str, approved_by: str, next_review: date) -> None:
    """A review that changes no content: the revision, its issue and effective dates stay, the review is written in
    the history and the next review moves on (README, "Document control")."""
    rec["next_review"] = next_review
    rec["history"] = rec["history"] + [{"revision": rec["revision"], "date": as_of, "change": note, "approved_by": approved_by}]


def legislation_register(plan) -> list[View]:
    """Every legislation reference the binder relies on, with the documents and hazards that bring it in."""
    law = plan.built.context["law"]
    documents: dict[str, list[str]] = {}
    hazards: dict[str, set[str]] = {}
    for doc in plan.documents:
        for key in doc.addresses:
            ids = documents.setdefault(key, [])
            if doc.id not in ids:
                ids.append(doc.id)
    for h in plan.built.context["hazards"]:
        for ref in h.refs:
            hazards.setdefault(ref.key, set()).add(h.name)
            documents.setdefault(ref.key, [])
    because: dict[str, list[str]] = {}
    for t in plan.built.context.get("triggered", []):
        for ref in t.references:
            because.setdefault(ref.key, []).append(t.because)
            documents.setdefault(ref.key, [])
    rows = []
    for key, ids in documents.items():
        ref = getattr(law, key, None)
        if ref is None:
            continue
        rows.append(View(key=key, cite=ref.cite, title=ref.title, duty=ref.duty, instrument=ref.instrument,
                         documents=ids, hazards=sorted(hazards.get(key, ())), status=ref.status,
                         because="; ".join(because.get(key, []))))
    order = {"act": 0, "code": 1, "schedule": 2, "regulation": 3, "other": 4}
    rows.sort(key=lambda r: (order.get(r.instrument, 9), "part" in r.key, [int(x) for x in re.findall(r"\d+", r.key)]))
    return rows


class DocumentRenderer:
    """Renders the planned documents of one company with the shared context."""

    def __init__(self, plan, records: list[dict]):
        self.plan = plan
        self.records = {r["id"]: r for r in records}
        profile = plan.loaded.profile
        self.logo = (plan.loaded.folder / profile.company.logo).resolve() if profile.company.logo else None
        self.register = legislation_register(plan)
        self.framework = plan.framework

    @property
    def catalog(self) -> list[View]:
        """Every document with its current revision (revisions can change while a build follows the profile)."""
        from .catalog import load_catalog

        signed = {e.key for e in load_catalog().documents if e.signed_by_workers}
        return [View(id=r["id"], key=r["key"], title=r["title"], element=r["element"], element_name=r["element_name"], kind=r["kind"],
                     revision=r["revision"], effective=r["effective"], issued=r["issued"], next_review=r["next_review"],
                     signed_by_workers=r["key"] in signed)
                for r in self.records.values()]

    def evidence_view(self, pages: dict[str, int | None]) -> View:
        plan = self.plan
        rows = evidence_index(self.framework, plan.documents, pages, plan.facts, plan.loaded.profile.program,
                              bool(plan.loaded.profile.equipment))
        elements = []
        for element in self.framework.elements:
            mine = [r for r in rows if r.element_id == element.id]
            elements.append(View(id=element.id, name=element.name, weight=element.weight, rows=mine))
        fw = self.framework
        return View(name=fw.name, partner=fw.partner, basis=fw.basis, verify_note=fw.verify_note,
                    overall_percent=fw.pass_rule.overall_percent, element_percent=fw.pass_rule.element_minimum_percent,
                    elements=elements, rows=rows, has_pages=any(v for v in pages.values()))

    def render(self, doc: PlannedDocument, target: Path, pages: dict[str, int | None] | None = None) -> Path:
        rec = self.records[doc.id]
        senior = self.plan.built.context["senior_manager"]
        doc_view = View(id=doc.id, title=doc.title, kind=doc.kind, element_id=doc.element_id,
                        element_name=doc.element_name, revision=rec["revision"], effective=rec["effective"],
                        issued=rec["issued"],
                        next_review=rec["next_review"], approved_by=View(name=senior.name, title=senior.position_title),
                        scope=doc.item_label or "All workers, sites and work of the company",
                        history=[View(**h) for h in rec["history"]])
        context = dict(self.plan.built.context, doc=doc_view, item=doc.item, catalog=self.catalog,
                       register=self.register, evidence=self.evidence_view(pages or {}))
        stamp = datetime.combine(rec["effective"], datetime.min.time())
        company = self.plan.loaded.profile.company.legal_name
        render_docx(self.plan.templates[doc.template], context, target, self.plan.env, logo=self.logo,
                    brand=self.plan.look.brand, properties={
            "title": doc.title, "author": company, "subject": f"{doc.id} SECOR health and safety program",
            "created": stamp, "modified": stamp, "last_modified_by": "secor-docs", "revision": rec["revision"],
            "keywords": f"SECOR; {doc.element_name}", "comments": ""})
        return target

    def target(self, folder: Path, doc: PlannedDocument) -> Path:
        return folder / DOCUMENTS / f"{doc.filename}.docx"

    def render_all(self, folder: Path, late_pages: dict[str, int | None] | None = None, jobs: int = 1) -> list[Path]:
        """Render every document; the evidence index gets the previous build's binder pages until the new ones are known.

        With jobs > 1 a forked helper renders about half of them (whole templates at a time, so each template is
        compiled in one process only)."""
        work = [(doc, self.target(folder, doc), late_pages if doc.key == LATE else None) for doc in self.plan.documents]
        if jobs > 1 and len(work) >= 8:
            by_template: dict[str, list] = {}
            for item in work:
                by_template.setdefault(item[0].template, []).append(item)
            mine, theirs = [], []
            for items in sorted(by_template.values(), key=len, reverse=True):
                (mine if len(mine) <= len(theirs) else theirs).extend(items)
            helper = ForkedWorker(lambda: [self.render(*item) for item in theirs])
            try:
                for item in mine:
                    self.render(*item)
                helper.result()
            finally:
                helper.stop()
        else:
            for item in work:
                self.render(*item)
        return [target for _, target, _ in work]

    def render_front(self, template: str, binder_view: View, target: Path) -> None:
        profile = self.plan.loaded.profile
        binder = View(toc=binder_view.toc, element=binder_view.element, prepared_by=self.plan.look.prepared_by)
        context = dict(self.plan.built.context, binder=binder, doc=None, item=None, catalog=self.catalog,
                       register=self.register, evidence=None)
        stamp = datetime.combine(self.plan.as_of, datetime.min.time())
        render_docx(self.plan.search.find(template), context, target, self.plan.env, logo=self.logo,
                    brand=self.plan.look.brand, properties={"title": "SECOR binder", "author": profile.company.legal_name, "created": stamp, "modified": stamp})
