"""The assemble stage: cover, contents and element dividers around the documents, merged into binder.pdf."""
from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from pypdf import PdfWriter

from .context import View
from .convert import convert_to_pdf, pdf_pages
from .determinism import pdf_date, sha256
from .errors import BinderError

log = logging.getLogger(__name__)

COVER, CONTENTS, DIVIDER = "binder/cover.docx", "binder/contents.docx", "binder/divider.docx"
MAX_PASSES = 4


@dataclass
class BinderDoc:
    id: str
    title: str
    element_id: str
    pdf: Path
    pages: int
    binder_page: int = 0


@dataclass
class Layout:
    cover_pages: int
    contents_pages: int
    divider_pages: dict[str, int]
    start: dict[str, int]           # document id or "element:N" -> first binder page
    total: int
    contents: list[View] = field(default_factory=list)  # the contents rows, with their final pages
    front_pages: dict[str, int] = field(default_factory=dict)  # "cover", "contents", "element:N" -> pages
    front_files: dict[str, Path] = field(default_factory=dict)  # the same keys -> final DOCX (its PDF beside it)


def compute_layout(elements: list[tuple[str, str]], docs: list[BinderDoc], cover_pages: int, contents_pages: int,
                   divider_pages: dict[str, int]) -> Layout:
    page = cover_pages + contents_pages + 1
    start: dict[str, int] = {}
    for element_id, _ in elements:
        members = [d for d in docs if d.element_id == element_id]
        if not members:
            continue
        start[f"element:{element_id}"] = page
        page += divider_pages.get(element_id, 1)
        for d in members:
            start[d.id] = page
            page += d.pages
    return Layout(cover_pages, contents_pages, divider_pages, start, page - 1)


def _toc(elements, docs, layout: Layout | None) -> list[View]:
    rows = []
    for element_id, name in elements:
        members = [d for d in docs if d.element_id == element_id]
        if not members:
            continue
        page = layout.start[f"element:{element_id}"] if layout else 0
        rows.append(View(id=f"Element {element_id}", title=name, page=page or "", divider=True))
        for d in members:
            rows.append(View(id=d.id, title=d.title, page=(layout.start[d.id] if layout else ""), divider=False))
    return rows


def build_binder_pdf(*, elements: list[tuple[str, str]], docs: list[BinderDoc], render_front, workdir: Path,
                     target: Path, metadata: dict[str, str], day: date, jobs: int = 1, render_late=None,
                     convert_first: dict[int, Path] | None = None, guess: dict | None = None,
                     reuse: dict[str, tuple[str, Path]] | None = None, late_index: int | None = None) -> Layout:
    """Lay out the binder until page numbers settle, then merge it.

    `render_front(template, binder_view, path)` renders one front-matter DOCX (cover, contents or divider).
    `render_late(pages, path)`, when given, renders the document at `late_index` (the evidence index, last by
    default), which prints the binder pages of all the others; it is laid out with the front matter, so its own
    length moves nothing before it (when documents follow it, the passes repeat until their pages settle).
    `convert_first` maps positions in `docs` to DOCX files still to convert: they go through LibreOffice together
    with the first front-matter pass, so a cold build starts LibreOffice once for almost everything.
    `guess` ({"pages": {doc id: pages}, "front": {key: pages}}, from the previous build) is the first layout tried.
    `reuse` maps front keys ("cover", "contents", "element:N", "late") to (DOCX sha256, PDF) of the previous build:
    a front page whose DOCX came out the same is not converted again.
    """
    used = [(eid, name) for eid, name in elements if any(d.element_id == eid for d in docs)]
    pending = dict(convert_first or {})
    # First guess: the previous build's page counts where known. Printing a guess (not blanks) keeps the front
    # matter's length from changing when the real numbers arrive, and a right guess settles in one pass.
    guessed_pages, guessed_front = (guess or {}).get("pages") or {}, (guess or {}).get("front") or {}
    layout = compute_layout(used, [replace(d, pages=guessed_pages.get(d.id, d.pages)) for d in docs],
                            guessed_front.get("cover", 1), guessed_front.get("contents", 1),
                            {eid: guessed_front.get(f"element:{eid}", 1) for eid, _ in used})
    for attempt in range(MAX_PASSES):
        front: dict[str, Path] = {}
        toc = _toc(used, docs, layout)
        front["cover"] = workdir / "00 cover.docx"
        render_front(COVER, View(toc=toc, element=None), front["cover"])
        front["contents"] = workdir / "01 contents.docx"
        render_front(CONTENTS, View(toc=toc, element=None), front["contents"])
        for eid, name in used:
            members = [View(id=d.id, title=d.title, page=layout.start[d.id]) for d in docs if d.element_id == eid]
            path = workdir / f"10 divider {eid}.docx"
            render_front(DIVIDER, View(toc=toc, element=View(id=eid, name=name, documents=members)), path)
            front[f"element:{eid}"] = path
        if render_late is not None:
            front["late"] = workdir / "90 late.docx"
            render_late({d.id: layout.start.get(d.id) for d in docs}, front["late"])
        kept = _reusable(front, reuse or {}, workdir)
        pdfs = convert_to_pdf([p for p in front.values() if p not in kept] + list(pending.values()), workdir, jobs=jobs)
        pdfs.update(kept)
        for index, docx in pending.items():
            final = docx.with_suffix(".pdf")
            pdfs[docx].replace(final)
            docs[index].pdf, docs[index].pages = final, pdf_pages(final)
        pending = {}
        counts = {k: pdf_pages(pdfs[p]) for k, p in front.items()}
        if render_late is not None:
            late = len(docs) - 1 if late_index is None else late_index
            docs[late].pdf, docs[late].pages = pdfs[front["late"]], counts["late"]
        log.debug("binder layout pass %d: front matter pages %s", attempt + 1, counts)
        printed = layout
        layout = compute_layout(used, docs, counts["cover"], counts["contents"], {eid: counts[f"element:{eid}"] for eid, _ in used})
        # Settled when the pages printed in this pass are the real ones.
        if printed.start == layout.start:
            break
    else:
        raise BinderError("binder page numbers did not settle; the contents keep changing length")
    layout.front_pages = {k: v for k, v in counts.items() if k != "late"}
    layout.front_files = {k: p for k, p in front.items() if k != "late"}
    for d in docs:
        d.binder_page = layout.start[d.id]
    layout.contents = _toc(used, docs, layout)
    _merge(used, docs, {k: workdir / (p.stem + ".pdf") for k, p in front.items() if k != "late"}, layout, target, metadata, day)
    return layout


def _reusable(front: dict[str, Path], reuse: dict[str, tuple[str, Path]], workdir: Path) -> dict[Path, Path]:
    """Front pages identical to the previous build's: copy its PDF instead of converting."""
    kept = {}
    for key, docx in front.items():
        digest, pdf = reuse.get(key, (None, None))
        if digest and pdf.is_file() and sha256(docx) == digest:
            kept[docx] = workdir / (docx.stem + ".pdf")
            shutil.copyfile(pdf, kept[docx])
    return kept


def _merge(elements, docs: list[BinderDoc], front: dict[str, Path], layout: Layout, target: Path,
           metadata: dict[str, str], day: date) -> None:
    writer = PdfWriter()
    writer.append(str(front["cover"]), import_outline=False)
    writer.add_outline_item(title="Cover", page_number=0)
    writer.append(str(front["contents"]), import_outline=False)
    writer.add_outline_item(title="Contents", page_number=layout.cover_pages)
    for eid, name in elements:
        first = len(writer.pages)
        if first + 1 != layout.start[f"element:{eid}"]:
            raise BinderError(f"element {eid} starts on page {first + 1}, expected {layout.start[f'element:{eid}']}")
        writer.append(str(front[f"element:{eid}"]), import_outline=False)
        parent = writer.add_outline_item(title=f"Element {eid}: {name}", page_number=first)
        for d in (d for d in docs if d.element_id == eid):
            page_index = len(writer.pages)
            if page_index + 1 != d.binder_page:
                raise BinderError(f"{d.id} starts on page {page_index + 1}, expected {d.binder_page}")
            writer.append(str(d.pdf), import_outline=False)
            writer.add_outline_item(title=f"{d.id} {d.title}", page_number=page_index, parent=parent)
    if len(writer.pages) != layout.total:
        raise BinderError(f"binder has {len(writer.pages)} pages; layout expected {layout.total}")
    writer.set_page_label(0, layout.cover_pages + layout.contents_pages - 1, style="/r")
    writer.set_page_label(layout.cover_pages + layout.contents_pages, layout.total - 1, style="/D",
                          start=layout.cover_pages + layout.contents_pages + 1)
    writer.add_metadata({**metadata, "/CreationDate": pdf_date(day), "/ModDate": pdf_date(day),
                         "/Producer": "secor-docs (LibreOffice, pypdf)", "/Creator": "secor-docs"})
    writer.page_mode = "/UseOutlines"
    with target.open("wb") as f:
        writer.write(f)
