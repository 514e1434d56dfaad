"""The convert stage: DOCX to PDF with LibreOffice headless, batched, time-limited and checked."""
from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from .determinism import pdf_date
from .errors import ConversionError

log = logging.getLogger(__name__)

INSTALL_HINT = "install it with: apt-get install libreoffice-writer-nogui fonts-crosextra-carlito fonts-crosextra-caladea fonts-liberation2"


# Where the LibreOffice installers put soffice when it is not on PATH (macOS app bundle, Windows installer).
STANDARD_LOCATIONS = (
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    "~/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)


def soffice_path() -> str | None:
    """$SECOR_DOCS_SOFFICE, then soffice or libreoffice on PATH, then the installers' standard locations."""
    override = os.environ.get("SECOR_DOCS_SOFFICE")
    if override:
        return override if os.path.isfile(override) else None
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    for candidate in STANDARD_LOCATIONS:
        path = os.path.expanduser(candidate)
        if os.path.isfile(path):
            return path
    return None


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


# LibreOffice loads linked images and other external links of a document while converting it; with this setting it
# treats every document as untrusted and loads nothing from outside (measured: a linked image on a local web server
# is fetched twice without it, never with it). The DOCX files are also stripped of such links when rendered.
OFFLINE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
</oor:items>
"""


def offline_profile(profile: Path) -> None:
    """Prepare a fresh private LibreOffice profile that never reaches the network for a document's links."""
    settings = profile / "user" / "registrymodifications.xcu"
    if not settings.exists():
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(OFFLINE_SETTINGS, encoding="utf-8")


def _run(soffice: str, files: list[Path], outdir: Path, profile: Path, timeout: float) -> None:
    offline_profile(profile)
    from .limits import CONVERT_STALL_SECONDS

    # each soffice worker needs its own profile dir, or concurrent runs hand work to each other and collide
    cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible", "--norestore",
           "--nolockcheck", "--nodefault", "--convert-to", "pdf", "--outdir", str(outdir)] + [str(f.resolve()) for f in files]
    # The guard kills LibreOffice when this process closes its stdin or dies, even by SIGKILL.
    guard = [sys.executable, "-m", "secor_docs.lo_guard", str(profile.parent), "--"] + cmd
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(guard, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.PIPE,
                                start_new_session=True, cwd=str(outdir), env=_guard_env())
        with _lock:
            _running.add(proc)
        try:
            _wait(proc, files, outdir, timeout, min(CONVERT_STALL_SECONDS, timeout))
        except BaseException:
            _kill(proc)
            raise
        finally:
            _close(proc)
            with _lock:
                _running.discard(proc)
        err.seek(0)
        tail = err.read().decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    if proc.returncode not in (0, None):
        raise ConversionError(f"LibreOffice failed (exit {proc.returncode}) {tail[0]}".strip())


_running: set[subprocess.Popen] = set()   # guards of the converters running now, for an interruption to stop
_lock = threading.Lock()


def stop_converters() -> None:
    """Ctrl-C or SIGTERM: stop every running converter now instead of waiting for it to finish."""
    with _lock:
        running = list(_running)
    for proc in running:
        _close(proc)


def _guard_env() -> dict:
    """The guard imports secor_docs.lo_guard: make sure it finds this copy of the package."""
    env = dict(os.environ)
    here = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _wait(proc: subprocess.Popen, files: list[Path], outdir: Path, timeout: float, stall: float) -> None:
    """Wait for the converter; stop it when no new PDF has appeared for `stall` seconds, or after `timeout`."""
    started = last = time.monotonic()
    done = 0
    while True:
        try:
            proc.wait(timeout=0.5)
            return
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        made = sum(1 for f in files if (outdir / (f.stem + ".pdf")).exists())
        if made > done:
            done, last = made, now
        if now - started > timeout:
            raise ConversionError(f"LibreOffice did not finish converting {len(files)} documents within {timeout:.0f} s "
                                  f"({done} done) and was stopped")
        if now - last > stall:
            raise ConversionError(f"LibreOffice did not finish: no document converted for {stall:.0f} s ({done} of "
                                  f"{len(files)} done); it was stopped")


def _close(proc: subprocess.Popen) -> None:
    try:
        if proc.stdin:
            proc.stdin.close()
    except OSError:
        pass


def _kill(proc: subprocess.Popen) -> None:
    """Closing the guard's input makes it kill LibreOffice's group; the guard itself is killed if it lingers."""
    _close(proc)
    try:
        proc.wait(timeout=10)
        return
    except subprocess.TimeoutExpired:
        pass
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
    with tempfile.TemporaryDirectory(prefix="secor-lo-", ignore_cleanup_errors=True) as tmp:
        if len(groups) == 1:
            _run_batches(soffice, groups[0], outdir, Path(tmp) / "profile-0")
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(len(groups)) as pool:
                procs = [pool.submit(_run_batches, soffice, g, outdir, Path(tmp) / f"profile-{i}")
                         for i, g in enumerate(groups)]
                try:
                    for p in procs:
                        p.result()
                except BaseException:
                    stop_converters()
                    raise
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
