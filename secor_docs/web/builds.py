"""Builds started from the browser: one `secor-docs build` process per company, watched by a thread.

A separate process keeps the server responsive and uses the command line's own lock, exit codes and messages;
every browser tab asks the same registry, so a second tab sees the build in progress."""
from __future__ import annotations

import fcntl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..outputs import STAGING_PREFIX

EXIT_MEANING = {0: "built", 1: "the profile has problems; nothing was written", 4: "PDF conversion failed; the Word files were written",
                6: "files in the output were edited by hand; nothing was written", 7: "another build of this company is running",
                8: "the output folder cannot be written"}


@dataclass
class Job:
    slug: str
    profile: Path
    pdf: bool
    process: subprocess.Popen
    started: float = field(default_factory=time.time)
    lines: list[str] = field(default_factory=list)
    finished: float | None = None
    exit_code: int | None = None

    @property
    def running(self) -> bool:
        return self.exit_code is None


class Builds:
    def __init__(self, out: Path, as_of: date | None):
        self.out = out
        self.as_of = as_of
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()

    def start(self, profile: Path, slug: str, pdf: bool) -> bool:
        """Start a build unless one of this company is already running (here or from the command line)."""
        with self.lock:
            job = self.jobs.get(slug)
            if (job and job.running) or self.locked_elsewhere(slug):
                return False
            cmd = [sys.executable, "-m", "secor_docs", "build", str(profile), "--out", str(self.out)]
            if self.as_of:
                cmd += ["--as-of", self.as_of.isoformat()]
            if not pdf:
                cmd.append("--no-pdf")
            process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       text=True, encoding="utf-8", errors="replace")
            job = self.jobs[slug] = Job(slug, profile, pdf, process)
        threading.Thread(target=self._watch, args=(job,), daemon=True).start()
        return True

    def _watch(self, job: Job) -> None:
        assert job.process.stdout is not None
        for line in job.process.stdout:
            job.lines.append(line.rstrip("\n"))
        job.exit_code = job.process.wait()
        job.finished = time.time()

    def locked_elsewhere(self, slug: str) -> bool:
        path = self.out / f".{slug}.lock"
        if not path.exists():
            return False
        try:
            with path.open("r") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                fcntl.flock(handle, fcntl.LOCK_UN)
        except OSError:
            return False
        return False

    def status(self, slug: str, expected_documents: int | None = None) -> dict:
        job = self.jobs.get(slug)
        if job is None:
            if self.locked_elsewhere(slug):
                return {"state": "running", "elsewhere": True, "text": "A build started outside this app is running."}
            return {"state": "idle"}
        elapsed = (job.finished or time.time()) - job.started
        status = {"state": "running" if job.running else ("done" if job.exit_code == 0 else "failed"),
                  "seconds": round(elapsed, 1), "pdf": job.pdf, "lines": job.lines[-40:], "exit_code": job.exit_code}
        if job.running:
            done, total, stage = self.progress(job, expected_documents)
            status.update(done=done, total=total, text=stage)
        else:
            status["text"] = EXIT_MEANING.get(job.exit_code, f"the build failed (exit status {job.exit_code})")
        return status

    def progress(self, job: Job, expected: int | None) -> tuple[int, int, str]:
        """Documents written so far in the build's staging folder (Word files, then PDFs)."""
        staging = self.out / f"{STAGING_PREFIX}{job.slug}-{job.process.pid}" / "documents"
        docx = len(list(staging.glob("*.docx"))) if staging.is_dir() else 0
        pdfs = len(list(staging.glob("*.pdf"))) if staging.is_dir() else 0
        total = expected or max(docx, 1)
        if not staging.is_dir():
            return 0, total * (2 if job.pdf else 1), "Checking the profile"
        if job.pdf and docx >= total:
            return total + min(pdfs, total), total * 2, f"Making PDFs and the binder ({min(pdfs, total)} of {total})"
        return min(docx, total), total * (2 if job.pdf else 1), f"Writing Word documents ({min(docx, total)} of {total})"
