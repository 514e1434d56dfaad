"""Output folders: a lock per company, a staging folder beside the target, and a swap that loses nothing."""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import signal
import unicodedata
from pathlib import Path
from typing import Iterator

from .errors import BusyError, InputError, OutputError

log = logging.getLogger(__name__)

STAGING_PREFIX = ".secor-staging-"
OLD_PREFIX = ".secor-old-"


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:80].strip("-") or "company"


def prepare_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: output folder is a file; choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out}: cannot create output folder: {e.strerror}") from e
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: output folder is not writable")


@contextlib.contextmanager
def build_lock(out: Path, slug: str) -> Iterator[None]:
    """Only one build of the same company output at a time."""
    path = out / f".{slug}.lock"
    try:
        handle = path.open("a+")
    except OSError as e:
        raise OutputError(f"{out}: cannot write in the output folder: {e.strerror}") from e
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise BusyError(f"{out / slug}: another secor-docs build of this company is running; try again when it ends") from e
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_abandoned(out: Path, slug: str) -> None:
    """Staging folders left by a build that was killed outright (SIGKILL, power loss)."""
    for prefix in (STAGING_PREFIX, OLD_PREFIX):
        for folder in out.glob(f"{prefix}{slug}-*"):
            pid = folder.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def staging_folder(out: Path, slug: str) -> Iterator[Path]:
    """A private folder beside the target; removed on any failure or interruption."""
    remove_abandoned(out, slug)
    staging = out / f"{STAGING_PREFIX}{slug}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir(parents=True)
    except OSError as e:
        raise OutputError(f"{out}: cannot write in the output folder: {e.strerror}") from e
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait while the finished build is swapped in, so the swap is never half done."""
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def swap_in(staging: Path, target: Path, owned: list[str], previous_owned: set[str]) -> None:
    """Move the build-owned entries of `staging` into `target`.

    `owned` are top-level names this build produced. Entries of the previous build that this build no longer
    produces are removed only if the previous manifest listed them (`previous_owned`, relative paths). Anything else
    in the target (evidence, notes, a user's file inside documents/) stays where it is.
    """
    target.mkdir(parents=True, exist_ok=True)
    old = target.parent / f"{OLD_PREFIX}{target.name}-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    old.mkdir()
    with signals_held():
        try:
            for name in owned:
                src, dst = staging / name, target / name
                if dst.exists() or dst.is_symlink():
                    dst.rename(old / name)
                src.rename(dst)
                if (old / name).is_dir() and dst.is_dir():
                    _carry_over(old / name, dst, name, previous_owned)
            for rel in sorted(previous_owned):
                top = rel.split("/", 1)[0]
                if top not in owned and (target / rel).is_file():
                    (target / rel).unlink()
        finally:
            shutil.rmtree(old, ignore_errors=True)


def _carry_over(old_dir: Path, new_dir: Path, prefix: str, previous_owned: set[str]) -> None:
    """Files the build did not make keep living in the new folder."""
    for path in old_dir.rglob("*"):
        if not path.is_file():
            continue
        rel = f"{prefix}/{path.relative_to(old_dir).as_posix()}"
        if rel in previous_owned:
            continue
        dest = new_dir / path.relative_to(old_dir)
        if dest.exists():
            dest = dest.with_name(dest.stem + " (kept)" + dest.suffix)
        dest.parent.mkdir(parents=True, exist_ok=True)
        path.rename(dest)
        log.info("kept %s (not made by secor-docs)", rel)
