"""The Word binder: every document in binder order in one editable file, with a filled table of contents."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docxcompose.composer import Composer

from .convert import soffice_path
from .determinism import normalise_docx
from .errors import BinderError

log = logging.getLogger(__name__)

UNO_PYTHON = "/usr/bin/python3"
UPDATE_SCRIPT = Path(__file__).with_name("uno_update_indexes.py")
TOC_TIMEOUT = 180


def _toc_paragraph(doc) -> None:
    """A Word TOC field listing the Title-style paragraphs: element dividers and document titles."""
    heading = doc.add_paragraph()
    run = heading.add_run("Contents")
    run.bold = True
    run.font.size = __import__("docx.shared", fromlist=["Pt"]).Pt(16)
    p = doc.add_paragraph()
    r = p.add_run()
    for kind, text in (("begin", None), (None, 'TOC \\h \\z \\t "Title,1"'), ("separate", None), (None, "Right-click and choose Update Field to refresh page numbers."), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            if kind == "begin":
                el.set(qn("w:dirty"), "true")
            r._r.append(el)
        else:
            el = OxmlElement("w:instrText" if text.startswith("TOC") else "w:t")
            el.set(qn("xml:space"), "preserve")
            el.text = text
            r._r.append(el)


def _page_break(doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


class WordBinder:
    """cover first (its page setup is the master), then a contents field, then each element's divider and documents."""

    def __init__(self, cover: Path, dividers: dict[str, Path]):
        master = Document(str(cover))
        _page_break(master)
        _toc_paragraph(master)
        self.composer = Composer(master)
        self.dividers = dividers
        self.seen: set[str] = set()

    def add(self, element_id: str, path: Path) -> None:
        doc = self.composer.doc
        if element_id not in self.seen:
            self.seen.add(element_id)
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            divider = Document(str(self.dividers[element_id]))
            for paragraph in divider.paragraphs:  # divider headings join document titles in the contents
                if paragraph.style.name == "Heading 1":
                    paragraph.style = divider.styles["Title"]
            self.composer.append(divider)
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        self.composer.append(Document(str(path)))

    def save(self, target: Path) -> None:
        self.composer.save(str(target))


def compose_binder_docx(cover: Path, dividers: dict[str, Path], documents: list[tuple[str, Path]], target: Path) -> None:
    binder = WordBinder(cover, dividers)
    for element_id, path in documents:
        binder.add(element_id, path)
    binder.save(target)


def word_binder_worker(cover, dividers, documents, late, late_ready, target, day, title, author, conn) -> None:
    """Runs in its own process beside the PDF work: compose, wait for the evidence index, fill the contents."""
    try:
        binder = WordBinder(cover, dividers)
        for element_id, path in documents:
            binder.add(element_id, path)
        if late is not None:
            if not late_ready.wait(timeout=3600):
                raise BinderError("the evidence index never became ready")
            binder.add(*late)
        binder.save(target)
        del binder  # the composed document is large; free it before LibreOffice loads the file
        import gc

        gc.collect()
        filled = fill_toc(target)
        set_docx_dates(target, day, title, author)
        conn.send(("ok", filled))
    except BaseException as e:  # reported to the parent, which raises it
        conn.send(("error", f"{type(e).__name__}: {e}" if not isinstance(e, BinderError) else str(e)))
    finally:
        conn.close()


class BackgroundWordBinder:
    """The Word binder made in a second process while LibreOffice converts the PDFs: it uses the other core."""

    def __init__(self, cover, dividers, documents, late, target, day, title, author):
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.late_ready = ctx.Event()
        self.parent, child = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=word_binder_worker, daemon=True,
                                   args=(cover, dividers, documents, late, self.late_ready, target, day, title, author, child))
        self.process.start()
        child.close()

    def release_late(self) -> None:
        self.late_ready.set()

    def result(self, timeout: float = 1800) -> bool:
        self.release_late()
        if not self.parent.poll(timeout):
            self.stop()
            raise BinderError(f"the Word binder was not finished within {timeout:.0f} s")
        status, value = self.parent.recv()
        self.process.join(10)
        if status != "ok":
            raise BinderError(f"could not make binder.docx: {value}")
        return value

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


def fill_toc(path: Path) -> bool:
    """Let LibreOffice fill the contents; returns False (file unchanged) when that is not possible here."""
    soffice = soffice_path()
    if not soffice or not Path(UNO_PYTHON).exists():
        return False
    with tempfile.TemporaryDirectory(prefix="secor-toc-") as tmp:
        out = Path(tmp) / "binder.docx"
        try:
            subprocess.run([UNO_PYTHON, str(UPDATE_SCRIPT), str(path), str(out), str(Path(tmp) / "profile"), soffice],
                           check=True, timeout=TOC_TIMEOUT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           env={**os.environ, "PYTHONPATH": ""})
        except subprocess.TimeoutExpired as e:
            raise BinderError(f"LibreOffice took more than {TOC_TIMEOUT} s to fill the Word binder's contents") from e
        except subprocess.CalledProcessError as e:
            message = (e.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or ["unknown error"]
            if "No module named 'uno'" in message[0]:
                return False
            raise BinderError(f"could not fill the Word binder's contents: {message[0]}") from e
        if not out.is_file():
            raise BinderError("LibreOffice did not write the Word binder")
        shutil.copyfile(out, path)
    normalise_docx(path)
    return True


def set_docx_dates(path: Path, day, title: str, author: str) -> None:
    """LibreOffice stamps the save time; put the build date back so the file is reproducible."""
    from datetime import datetime

    doc = Document(str(path))
    props = doc.core_properties
    stamp = datetime.combine(day, datetime.min.time())
    props.created = props.modified = stamp
    props.last_printed = stamp
    props.title, props.author, props.last_modified_by = title, author, "secor-docs"
    doc.save(str(path))
    normalise_docx(path)
