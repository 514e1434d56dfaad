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
from .documents import LATE, DocumentRenderer
from .revisions import snapshot

log = logging.getLogger(__name__)


def binder_key(plan, manifest: dict) -> str:
    """Everything the binder files depend on besides the documents' own bytes."""
    from .fingerprint import fingerprint

    return fingerprint({"as_of": manifest["as_of"], "profile": manifest.get("profile_snapshot") or snapshot(plan.loaded.profile),
                        "front": [sha256(plan.search.find(t)) for t in (COVER, CONTENTS, DIVIDER)],
                        "documents": [d["sha256"] for d in manifest["documents"]]})


def reuse_previous_binder(manifest: dict, key: str, previous: dict | None, target: Path, folder: Path) -> bool:
    """When no document and nothing on the front pages changed, the previous binder files are still right."""
    if not previous or (previous.get("binder") or {}).get("key") != key:
        return False
    old_docs = {d["id"]: d for d in previous.get("documents", [])}
    files = [(target / "binder.pdf", previous["binder"].get("pdf_sha256")), (target / "binder.docx", previous["binder"].get("docx_sha256"))]
    for entry in manifest["documents"]:
        old = old_docs.get(entry["id"])
        if not old or old.get("sha256") != entry["sha256"] or not old.get("pdf"):
            return False
        files.append((target / old["pdf"], old.get("pdf_sha256")))
    if not all(path.is_file() and sha256(path) == digest for path, digest in files):
        return False
    for entry in manifest["documents"]:
        old = old_docs[entry["id"]]
        shutil.copyfile(target / old["pdf"], folder / old["pdf"])
        entry.update(pdf=old["pdf"], pages=old["pages"], binder_page=old["binder_page"], pdf_sha256=old["pdf_sha256"])
    for name in ("binder.pdf", "binder.docx"):
        shutil.copyfile(target / name, folder / name)
    for part in (previous["binder"].get("parts") or {}).values():
        if (target / part["pdf"]).is_file():
            (folder / part["pdf"]).parent.mkdir(exist_ok=True)
            shutil.copyfile(target / part["pdf"], folder / part["pdf"])
    manifest["binder"].update(previous["binder"])
    return True


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


def produce_pdfs(plan, renderer: DocumentRenderer, records: list[dict], docx_files: list[Path], folder: Path,
                 manifest: dict, jobs: int, timings: dict, reuse: dict[Path, Path] | None = None,
                 previous: dict | None = None, target: Path | None = None) -> dict[str, int]:
    """Convert the documents, lay out and merge binder.pdf, and make binder.docx beside it. Returns binder pages."""
    company = plan.loaded.profile.company.legal_name
    key = binder_key(plan, manifest)
    if target is not None and reuse_previous_binder(manifest, key, previous, target, folder):
        log.info("nothing changed: the previous binder is kept")
        return {d["id"]: d["binder_page"] for d in manifest["documents"]}
    t0 = time.perf_counter()
    late_index = next((i for i, d in enumerate(plan.documents) if d.key == LATE), None)
    reuse = {docx: pdf for docx, pdf in (reuse or {}).items() if late_index is None or docx != docx_files[late_index]}
    docs, convert_first = [], {}
    for i, (rec, docx) in enumerate(zip(records, docx_files)):
        pdf = docx.with_suffix(".pdf")
        if docx in reuse:  # unchanged documents keep their PDF from the previous build
            shutil.copyfile(reuse[docx], pdf)
        elif i != late_index:
            convert_first[i] = docx
        docs.append(BinderDoc(rec["id"], rec["title"], rec["element"], pdf, pdf_pages(pdf) if docx in reuse else 1))
    work = folder / ".front"
    work.mkdir()
    word = start_word_binder(plan, renderer, records, docx_files, late_index, work, folder / "binder.docx", jobs)
    try:
        late = None
        if late_index is not None:
            late = lambda pages, path: renderer.render(plan.documents[late_index], path, pages)  # noqa: E731
        layout = build_binder_pdf(
            elements=[(e.id, e.name) for e in plan.framework.elements], docs=docs, workdir=work,
            target=folder / "binder.pdf", day=plan.as_of, jobs=jobs, render_late=late, convert_first=convert_first,
            render_front=renderer.render_front, guess=layout_guess(previous), reuse=previous_parts(previous, target),
            late_index=late_index,
            metadata={"/Title": f"{company}: SECOR Health and Safety Program", "/Author": company,
                      "/Subject": f"SECOR binder for the {plan.loaded.profile.company.certifying_partner} audit, {plan.as_of.isoformat()}",
                      "/Keywords": "SECOR; Alberta; health and safety program"})
        if late is not None:  # the final evidence index (with binder pages) replaces the first render
            shutil.copyfile(work / "90 late.docx", docx_files[late_index])
            shutil.copyfile(work / "90 late.pdf", docx_files[late_index].with_suffix(".pdf"))
            docs[late_index].pdf = docx_files[late_index].with_suffix(".pdf")
        timings["convert_and_assemble"] = time.perf_counter() - t0
        for rec, doc, entry, docx in zip(records, docs, manifest["documents"], docx_files):
            if docx not in reuse:
                normalise_pdf(doc.pdf, {"/Title": f"{rec['id']} {rec['title']}", "/Author": company,
                                        "/Subject": f"{company} SECOR health and safety program"}, rec["effective"])
            entry.update(pdf=doc.pdf.relative_to(folder).as_posix(), pages=doc.pages, binder_page=doc.binder_page,
                         sha256=sha256(docx), pdf_sha256=sha256(doc.pdf))
        manifest["binder"]["parts"] = keep_parts(layout, work, folder)
        manifest["binder"].update({"pdf": "binder.pdf", "pages": layout.total, "key": key, "front_pages": layout.front_pages,
                                   "pdf_sha256": sha256(folder / "binder.pdf")})
        t0 = time.perf_counter()
        rows = [(1, f"{row.id}: {row.title}", row.page) if row.divider else (2, f"{row.id} {row.title}", row.page)
                for row in layout.contents]
        dividers = {key.split(":", 1)[1]: path for key, path in layout.front_files.items() if key.startswith("element:")}
        word.finish(rows, dividers, word_entry(records[late_index], docx_files[late_index]) if late_index is not None else None)
        timings["binder_docx_wait"] = time.perf_counter() - t0
    finally:
        word.stop()
    manifest["binder"].update({"docx": "binder.docx", "docx_sha256": sha256(folder / "binder.docx")})
    shutil.rmtree(work)
    return {d.id: d.binder_page for d in docs}


def word_entry(record: dict, docx: Path) -> tuple[str, str, Path]:
    return record["element"], f"{record['id']} {record['title']}", docx


def start_word_binder(plan, renderer: DocumentRenderer, records: list[dict], docx_files: list[Path],
                      late_index: int | None, work: Path, target: Path, jobs: int):
    """With a spare core, compose the documents in the background while the PDFs are made; the front matter follows
    the PDF layout."""
    cover = work / "word cover.docx"
    renderer.render_front(COVER, View(toc=[], element=None), cover)
    labels = {element.id: f"Element {element.id}: {element.name}" for element in plan.framework.elements}
    # the evidence index is composed last, into the place kept for it (its path is None until then)
    documents = [word_entry(r, d if i != late_index else None) for i, (r, d) in enumerate(zip(records, docx_files))]
    company = plan.loaded.profile.company.legal_name
    kind = BackgroundWordBinder if jobs > 1 else InlineWordBinder
    return kind(cover, labels, documents, target, plan.as_of, f"{company}: SECOR Health and Safety Program", company)
