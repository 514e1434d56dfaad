"""From documents to what the auditor receives: per-document PDFs, binder.pdf and binder.docx."""
from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from .assemble import CONTENTS, COVER, DIVIDER, BinderDoc, build_binder_pdf
from .binder_docx import BackgroundWordBinder, InlineWordBinder
from .context import View
from .convert import normalise_pdf, pdf_pages
from .determinism import sha256
from .documents import DocumentRenderer, catalog_view
from .records import LATE, BinderFiles, ConvertedDocument, IssuedDocument
from .revisions import snapshot

log = logging.getLogger(__name__)


def binder_key(plan, issued: tuple[IssuedDocument, ...]) -> str:
    """Everything the binder files depend on besides the documents' own bytes."""
    from .fingerprint import fingerprint

    return fingerprint({"as_of": plan.as_of.isoformat(), "profile": snapshot(plan.loaded.profile),
                        "front": [sha256(plan.search.find(t)) for t in (COVER, CONTENTS, DIVIDER)],
                        "documents": [d.sha256 for d in issued]})


def reuse_previous_binder(issued: tuple[IssuedDocument, ...], key: str, previous: dict | None, target: Path,
                          folder: Path) -> tuple[tuple[ConvertedDocument, ...], BinderFiles] | None:
    """When no document and nothing on the front pages changed, the previous binder files are still right: they are
    copied into the build folder and returned; None when they cannot be reused."""
    if not previous or (previous.get("binder") or {}).get("key") != key:
        return None
    old_docs = {d["id"]: d for d in previous.get("documents", [])}
    files = [(target / "binder.pdf", previous["binder"].get("pdf_sha256")), (target / "binder.docx", previous["binder"].get("docx_sha256"))]
    for doc in issued:
        old = old_docs.get(doc.doc.id)
        if not old or old.get("sha256") != doc.sha256 or not old.get("pdf"):
            return None
        files.append((target / old["pdf"], old.get("pdf_sha256")))
    if not all(path.is_file() and sha256(path) == digest for path, digest in files):
        return None
    converted = []
    for doc in issued:
        old = old_docs[doc.doc.id]
        shutil.copyfile(target / old["pdf"], folder / old["pdf"])
        converted.append(ConvertedDocument(old["pdf"], old["pages"], old["binder_page"], old["pdf_sha256"], doc.sha256))
    for name in ("binder.pdf", "binder.docx"):
        shutil.copyfile(target / name, folder / name)
    for part in (previous["binder"].get("parts") or {}).values():
        if (target / part["pdf"]).is_file():
            (folder / part["pdf"]).parent.mkdir(exist_ok=True)
            shutil.copyfile(target / part["pdf"], folder / part["pdf"])
    return tuple(converted), BinderFiles.from_manifest(previous["binder"])


def layout_guess(previous: dict | None) -> dict:
    """The previous build's page counts: usually right, which saves LibreOffice a layout pass."""
    if not previous:
        return {}
    return {"pages": {d["id"]: d["pages"] for d in previous.get("documents", []) if d.get("pages")},
            "front": (previous.get("binder") or {}).get("front_pages") or {}}


PARTS = ".binder-parts"  # the cover, contents and divider PDFs, kept so an unchanged one is not converted again


def keep_parts(layout, work: Path, folder: Path) -> dict[str, dict]:
    parts = {}
    (folder / PARTS).mkdir(exist_ok=True)
    for key, docx in layout.front_files.items():
        pdf = folder / PARTS / (docx.stem + ".pdf")
        shutil.copyfile(work / (docx.stem + ".pdf"), pdf)
        parts[key] = {"docx_sha256": sha256(docx), "pdf": pdf.relative_to(folder).as_posix(), "pdf_sha256": sha256(pdf)}
    return parts


def previous_parts(previous: dict | None, target: Path | None) -> dict[str, tuple[str, Path]]:
    """Front pages and the evidence index of the previous build, where their PDF is still the one it made."""
    if not previous or target is None:
        return {}
    found = {}
    candidates = dict((previous.get("binder") or {}).get("parts") or {})
    late = next((d for d in previous.get("documents", []) if d.get("ident") == LATE), None)
    if late and late.get("pdf"):
        candidates["late"] = {"docx_sha256": late.get("sha256"), "pdf": late["pdf"], "pdf_sha256": late.get("pdf_sha256")}
    for key, part in candidates.items():
        pdf = target / part["pdf"]
        if part.get("docx_sha256") and pdf.is_file() and sha256(pdf) == part.get("pdf_sha256"):
            found[key] = (part["docx_sha256"], pdf)
    return found


def produce_pdfs(plan, renderer: DocumentRenderer, issued: tuple[IssuedDocument, ...], folder: Path, jobs: int,
                 timings: dict, reuse: dict[str, Path] | None = None, previous: dict | None = None,
                 target: Path | None = None) -> tuple[tuple[ConvertedDocument, ...], BinderFiles]:
    """Convert the documents, lay out and merge binder.pdf, and make binder.docx beside it. `reuse` maps document
    ids to the previous build's PDF of an unchanged document."""
    company = plan.loaded.profile.company.legal_name
    key = binder_key(plan, issued)
    if target is not None:
        kept = reuse_previous_binder(issued, key, previous, target, folder)
        if kept is not None:
            log.info("nothing changed: the previous binder is kept")
            return kept
    t0 = time.perf_counter()
    catalog = catalog_view(plan.documents, {d.doc.id: d.control for d in issued})
    late_index = next((i for i, d in enumerate(issued) if d.doc.key == LATE), None)
    reuse = {doc_id: pdf for doc_id, pdf in (reuse or {}).items() if late_index is None or doc_id != issued[late_index].doc.id}
    docs, convert_first = [], {}
    for i, doc in enumerate(issued):
        pdf = doc.docx.with_suffix(".pdf")
        if doc.doc.id in reuse:  # unchanged documents keep their PDF from the previous build
            shutil.copyfile(reuse[doc.doc.id], pdf)
        elif i != late_index:
            convert_first[i] = doc.docx
        docs.append(BinderDoc(doc.doc.id, doc.doc.title, doc.doc.element_id, pdf, pdf_pages(pdf) if doc.doc.id in reuse else 1))
    work = folder / ".front"
    work.mkdir()
    word = start_word_binder(plan, renderer, issued, catalog, late_index, work, folder / "binder.docx", jobs)
    try:
        late = None
        if late_index is not None:
            index_doc = issued[late_index]
            late = lambda pages, path: renderer.render(index_doc.doc, index_doc.control, path, catalog, pages)  # noqa: E731
        layout = build_binder_pdf(
            elements=[(e.id, e.name) for e in plan.framework.elements], docs=docs, workdir=work,
            target=folder / "binder.pdf", day=plan.as_of, jobs=jobs, render_late=late, convert_first=convert_first,
            render_front=lambda template, view, path: renderer.render_front(template, view, path, catalog),
            guess=layout_guess(previous), reuse=previous_parts(previous, target), late_index=late_index,
            metadata={"/Title": f"{company}: SECOR Health and Safety Program", "/Author": company,
                      "/Subject": f"SECOR binder for the {plan.loaded.profile.company.certifying_partner} audit, {plan.as_of.isoformat()}",
                      "/Keywords": "SECOR; Alberta; health and safety program"})
        if late is not None:  # the final evidence index (with binder pages) replaces the first render
            shutil.copyfile(work / "90 late.docx", issued[late_index].docx)
            shutil.copyfile(work / "90 late.pdf", issued[late_index].docx.with_suffix(".pdf"))
            docs[late_index].pdf = issued[late_index].docx.with_suffix(".pdf")
        timings["convert_and_assemble"] = time.perf_counter() - t0
        converted = []
        for doc, laid in zip(issued, docs):
            if doc.doc.id not in reuse:
                normalise_pdf(laid.pdf, {"/Title": f"{doc.doc.id} {doc.doc.title}", "/Author": company,
                                         "/Subject": f"{company} SECOR health and safety program"}, doc.control.effective)
            converted.append(ConvertedDocument(laid.pdf.relative_to(folder).as_posix(), laid.pages, laid.binder_page,
                                               sha256(laid.pdf), sha256(doc.docx)))
        parts = keep_parts(layout, work, folder)
        t0 = time.perf_counter()
        rows = [(1, f"{row.id}: {row.title}", row.page) if row.divider else (2, f"{row.id} {row.title}", row.page)
                for row in layout.contents]
        dividers = {key.split(":", 1)[1]: path for key, path in layout.front_files.items() if key.startswith("element:")}
        word.finish(rows, dividers, word_entry(issued[late_index], issued[late_index].docx) if late_index is not None else None)
        timings["binder_docx_wait"] = time.perf_counter() - t0
    finally:
        word.stop()
    binder = BinderFiles(pdf="binder.pdf", docx="binder.docx", pages=layout.total, parts=parts, key=key,
                         front_pages=layout.front_pages, pdf_sha256=sha256(folder / "binder.pdf"),
                         docx_sha256=sha256(folder / "binder.docx"))
    shutil.rmtree(work)
    return tuple(converted), binder


def word_entry(doc: IssuedDocument, docx: Path | None) -> tuple[str, str, Path | None]:
    return doc.doc.element_id, f"{doc.doc.id} {doc.doc.title}", docx


def start_word_binder(plan, renderer: DocumentRenderer, issued: tuple[IssuedDocument, ...], catalog: list,
                      late_index: int | None, work: Path, target: Path, jobs: int):
    """With a spare core, compose the documents in the background while the PDFs are made; the front matter follows
    the PDF layout."""
    cover = work / "word cover.docx"
    renderer.render_front(COVER, View(toc=[], element=None), cover, catalog)
    labels = {element.id: f"Element {element.id}: {element.name}" for element in plan.framework.elements}
    # the evidence index is composed last, into the place kept for it (its path is None until then)
    documents = [word_entry(d, d.docx if i != late_index else None) for i, d in enumerate(issued)]
    company = plan.loaded.profile.company.legal_name
    kind = BackgroundWordBinder if jobs > 1 else InlineWordBinder
    return kind(cover, labels, documents, target, plan.as_of, f"{company}: SECOR Health and Safety Program", company)
