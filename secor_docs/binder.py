"""From documents to what the auditor receives: per-document PDFs, binder.pdf and binder.docx."""
from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from .assemble import BinderDoc, build_binder_pdf
from .binder_docx import compose_binder_docx, fill_toc, set_docx_dates
from .catalog import load_catalog
from .convert import convert_to_pdf, normalise_pdf, pdf_pages
from .determinism import sha256
from .documents import DOCUMENTS, LATE, DocumentRenderer

log = logging.getLogger(__name__)


def produce_pdfs(plan, renderer: DocumentRenderer, records: list[dict], docx_files: list[Path], folder: Path,
                 manifest: dict, jobs: int, timings: dict) -> dict[str, int]:
    """Convert every document, lay out and merge the binder, compose the Word binder. Returns binder pages by id."""
    company = plan.loaded.profile.company.legal_name
    t0 = time.perf_counter()
    late_index = next((i for i, d in enumerate(plan.documents) if d.key == LATE), None)
    early = [f for i, f in enumerate(docx_files) if i != late_index]
    pdfs = convert_to_pdf(early, folder / DOCUMENTS, jobs=jobs)
    timings["convert"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    docs = []
    for i, (rec, docx) in enumerate(zip(records, docx_files)):
        pdf = pdfs.get(docx, folder / DOCUMENTS / (docx.stem + ".pdf"))
        docs.append(BinderDoc(rec["id"], rec["title"], rec["element"], pdf, pdf_pages(pdf) if i != late_index else 1))
    work = folder / ".front"
    work.mkdir()
    late = None
    if late_index is not None:
        if late_index != len(docs) - 1:
            raise RuntimeError("the evidence index must be the last document of the catalog")
        late = lambda pages, path: renderer.render(plan.documents[late_index], path, pages)  # noqa: E731
    layout = build_binder_pdf(
        elements=[(e.id, e.name) for e in load_catalog().elements], docs=docs, workdir=work,
        target=folder / "binder.pdf", day=plan.as_of, jobs=jobs, render_late=late,
        render_front=renderer.render_front,
        metadata={"/Title": f"{company}: SECOR Health and Safety Program", "/Author": company,
                  "/Subject": f"SECOR binder for the {plan.loaded.profile.company.certifying_partner} audit, {plan.as_of.isoformat()}",
                  "/Keywords": "SECOR; Alberta; health and safety program"})
    if late is not None:  # keep the final evidence index (with binder pages) beside the other documents
        shutil.copyfile(work / "90 late.docx", docx_files[late_index])
        shutil.copyfile(work / "90 late.pdf", docx_files[late_index].with_suffix(".pdf"))
        docs[late_index].pdf = docx_files[late_index].with_suffix(".pdf")
    for rec, doc, entry, docx in zip(records, docs, manifest["documents"], docx_files):
        normalise_pdf(doc.pdf, {"/Title": f"{rec['id']} {rec['title']}", "/Author": company,
                                "/Subject": f"{company} SECOR health and safety program"}, rec["effective"])
        entry.update(pdf=doc.pdf.relative_to(folder).as_posix(), pages=doc.pages, binder_page=doc.binder_page,
                     sha256=sha256(docx))
    manifest["binder"].update({"pdf": "binder.pdf", "pages": layout.total})
    timings["assemble"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    dividers = {eid: work / f"10 divider {eid}.docx" for eid, _ in ((e.id, e.name) for e in load_catalog().elements)
                if (work / f"10 divider {eid}.docx").exists()}
    binder_docx = folder / "binder.docx"
    compose_binder_docx(work / "00 cover.docx", dividers, [(r["element"], d) for r, d in zip(records, docx_files)], binder_docx)
    if not fill_toc(binder_docx):
        log.warning("binder.docx: contents not filled (LibreOffice's Python bridge, package python3-uno, is missing); Word fills it on open")
    set_docx_dates(binder_docx, plan.as_of, f"{company}: SECOR Health and Safety Program", company)
    manifest["binder"]["docx"] = "binder.docx"
    timings["binder_docx"] = time.perf_counter() - t0
    shutil.rmtree(work)
    return {d.id: d.binder_page for d in docs}
