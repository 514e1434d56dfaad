"""The render stage for one company: document control data, the legislation register, and each DOCX."""
from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path

from .catalog import PlannedDocument
from .context import View
from .edition import add_years
from .evidence import evidence_index
from .errors import SecorError
from .records import Control, PlannedRecord
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




def plan_records(plan, previous: dict | None = None) -> tuple[PlannedRecord, ...]:
    """The plan stage of document control: every planned document with the control it carries.

    A document the previous build made keeps its revision, dates and history (`revisions.issue_documents` decides
    whether its content changed). A new one is issued on --as-of (`issued`, the date in its revision history): in a
    first build it takes effect with the program edition in force (`effective`, the date in its header) and is
    reviewed with the program; in a rebuild it takes effect on --as-of, or when the program starts if that is later.
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
        old = before.get(doc.ident)
        if old and old.get("history"):
            records.append(PlannedRecord(doc, Control.from_manifest(old), old))
        else:
            records.append(PlannedRecord(doc, Control.first_issue(plan.as_of, effective, review, senior.name)))
    return tuple(records)


def catalog_view(documents, controls: dict[str, Control]) -> list[View]:
    """Every document with its revision, as the document register, approval page and acknowledgements print it."""
    from .catalog import load_catalog

    signed = {e.key for e in load_catalog().documents if e.signed_by_workers}
    return [View(id=d.id, key=d.key, title=d.title, element=d.element_id, element_name=d.element_name, kind=d.kind,
                 revision=controls[d.id].revision, effective=controls[d.id].effective, issued=controls[d.id].issued,
                 next_review=controls[d.id].next_review, signed_by_workers=d.key in signed)
            for d in documents]


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

    def __init__(self, plan):
        self.plan = plan
        profile = plan.loaded.profile
        self.logo = (plan.loaded.folder / profile.company.logo).resolve() if profile.company.logo else None
        self.register = legislation_register(plan)
        self.framework = plan.framework

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

    def render(self, doc: PlannedDocument, control: Control, target: Path, catalog: list[View],
               pages: dict[str, int | None] | None = None) -> Path:
        """Render one document with its control fields; `catalog` is every document's revision as it stands."""
        senior = self.plan.built.context["senior_manager"]
        doc_view = View(id=doc.id, title=doc.title, kind=doc.kind, element_id=doc.element_id,
                        element_name=doc.element_name, revision=control.revision, effective=control.effective,
                        issued=control.issued,
                        next_review=control.next_review, approved_by=View(name=senior.name, title=senior.position_title),
                        scope=doc.item_label or "All workers, sites and work of the company",
                        history=[View(**h.as_view()) for h in control.history])
        context = dict(self.plan.built.context, doc=doc_view, item=doc.item, catalog=catalog,
                       register=self.register, evidence=self.evidence_view(pages or {}))
        stamp = datetime.combine(control.effective, datetime.min.time())
        company = self.plan.loaded.profile.company.legal_name
        render_docx(self.plan.templates[doc.template], context, target, self.plan.env, logo=self.logo,
                    brand=self.plan.look.brand, properties={
            "title": doc.title, "author": company, "subject": f"{doc.id} SECOR health and safety program",
            "created": stamp, "modified": stamp, "last_modified_by": "secor-docs", "revision": control.revision,
            "keywords": f"SECOR; {doc.element_name}", "comments": ""})
        return target

    def target(self, folder: Path, doc: PlannedDocument) -> Path:
        return folder / DOCUMENTS / f"{doc.filename}.docx"

    def render_all(self, work: list[tuple[PlannedDocument, Control, Path, dict | None]], catalog: list[View],
                   jobs: int = 1) -> None:
        """Render (document, control, target, binder pages or None) items with one catalog.

        With jobs > 1 a forked helper renders about half of them (whole templates at a time, so each template is
        compiled in one process only)."""
        if jobs > 1 and len(work) >= 8:
            by_template: dict[str, list] = {}
            for item in work:
                by_template.setdefault(item[0].template, []).append(item)
            mine, theirs = [], []
            for items in sorted(by_template.values(), key=len, reverse=True):
                (mine if len(mine) <= len(theirs) else theirs).extend(items)
            helper = ForkedWorker(lambda: [self.render(d, c, t, catalog, p) for d, c, t, p in theirs])
            try:
                for d, c, t, p in mine:
                    self.render(d, c, t, catalog, p)
                helper.result()
            finally:
                helper.stop()
        else:
            for d, c, t, p in work:
                self.render(d, c, t, catalog, p)

    def render_front(self, template: str, binder_view: View, target: Path, catalog: list[View]) -> None:
        profile = self.plan.loaded.profile
        binder = View(toc=binder_view.toc, element=binder_view.element, prepared_by=self.plan.look.prepared_by)
        context = dict(self.plan.built.context, binder=binder, doc=None, item=None, catalog=catalog,
                       register=self.register, evidence=None)
        stamp = datetime.combine(self.plan.as_of, datetime.min.time())
        render_docx(self.plan.search.find(template), context, target, self.plan.env, logo=self.logo,
                    brand=self.plan.look.brand, properties={"title": "SECOR binder", "author": profile.company.legal_name, "created": stamp, "modified": stamp})
