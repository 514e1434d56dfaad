"""The convert stage: DOCX to PDF with LibreOffice headless, batched, time-limited and checked."""
from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from .determinism import pdf_date
from .errors import ConversionError

log = logging.getLogger(__name__)

INSTALL_HINT = "install it with: apt-get install libreoffice-writer-nogui fonts-crosextra-carlito fonts-crosextra-caladea fonts-liberation2"


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    path = soffice_path()
    if not path:
        raise ConversionError(f"LibreOffice (soffice) not found; PDF output needs it. {INSTALL_HINT}, or build with --no-pdf")
    return path


def timeout_for(count: int) -> float:
    from .limits import convert_timeout

    try:
        return convert_timeout(count)
    except ValueError as e:
        raise ConversionError(str(e)) from None


def _split(files: list[Path], jobs: int) -> list[list[Path]]:
    """Balance by file size so parallel converters finish together."""
    groups: list[list[Path]] = [[] for _ in range(max(1, min(jobs, len(files))))]
    sizes = [0] * len(groups)
    for f in sorted(files, key=lambda p: -p.stat().st_size):
        i = sizes.index(min(sizes))
        groups[i].append(f)
        sizes[i] += f.stat().st_size
    return [g for g in groups if g]


# LibreOffice keeps memory from every document it converted; a fresh process per batch keeps the peak down.
MAX_PER_PROCESS = 200


def _run_batches(soffice: str, files: list[Path], outdir: Path, profile: Path) -> None:
    started = time.perf_counter()
    for start in range(0, len(files), MAX_PER_PROCESS):
        batch = files[start:start + MAX_PER_PROCESS]
        _run(soffice, batch, outdir, profile, timeout_for(len(batch)))
    log.debug("%s: %d documents in %.1f s", profile.name, len(files), time.perf_counter() - started)


def _run(soffice: str, files: list[Path], outdir: Path, profile: Path, timeout: float) -> None:
    # each soffice worker needs its own profile dir, or concurrent runs hand work to each other and collide
    cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible", "--norestore",
           "--nolockcheck", "--nodefault", "--convert-to", "pdf", "--outdir", str(outdir)] + [str(f.resolve()) for f in files]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            start_new_session=True, cwd=str(outdir))
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise ConversionError(f"LibreOffice did not finish converting {len(files)} documents within {timeout:.0f} s and was stopped") from None
    except BaseException:
        _kill(proc)
        raise
    if proc.returncode not in (0, None):
        tail = (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise ConversionError(f"LibreOffice failed (exit {proc.returncode}) {tail[0]}".strip())


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def pdf_pages(path: Path) -> int:
    try:
        return len(PdfReader(str(path)).pages)
    except (PyPdfError, OSError, ValueError, KeyError):
        return 0


def release_memory() -> None:
    """Hand memory freed by rendering back to the system before LibreOffice starts: the peak of a build is
    LibreOffice's memory plus this process's, and CPython keeps freed memory otherwise."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def convert_to_pdf(files: list[Path], outdir: Path, *, jobs: int = 1) -> dict[Path, Path]:
    """Convert DOCX files into `outdir`; return {docx: pdf}. Every PDF is checked to exist and have pages."""
    if not files:
        return {}
    soffice = require_soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    outdir = outdir.resolve()  # LibreOffice runs inside it: a relative --outdir would point below itself
    release_memory()
    groups = _split(files, jobs)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="secor-lo-") as tmp:
        if len(groups) == 1:
            _run_batches(soffice, groups[0], outdir, Path(tmp) / "profile-0")
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(len(groups)) as pool:
                procs = [pool.submit(_run_batches, soffice, g, outdir, Path(tmp) / f"profile-{i}")
                         for i, g in enumerate(groups)]
                for p in procs:
                    p.result()
    log.info("converted %d documents with %d LibreOffice process(es) in %.1f s", len(files), len(groups), time.perf_counter() - started)
    result, missing = {}, []
    for f in files:
        pdf = outdir / (f.stem + ".pdf")
        if not pdf.is_file() or pdf_pages(pdf) == 0:
            missing.append(f.name)
        else:
            result[f] = pdf
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise ConversionError(f"LibreOffice produced no usable PDF for {shown}")
    return result


def normalise_pdf(path: Path, metadata: dict[str, str], day) -> None:
    """Rewrite a LibreOffice PDF without its random /ID and with fixed dates, so rebuilds are byte-identical."""
    writer = PdfWriter()
    writer.append(str(path))
    writer.add_metadata({**metadata, "/CreationDate": pdf_date(day), "/ModDate": pdf_date(day), "/Producer": "secor-docs (LibreOffice, pypdf)"})
    with path.open("wb") as f:
        writer.write(f)
