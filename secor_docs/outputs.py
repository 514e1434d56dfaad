"""Output folders: a lock per company, a staging folder beside the target, and a swap that loses nothing."""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import signal
import unicodedata
from pathlib import Path
from typing import Iterator

from .errors import BusyError, InputError, OutputClashError, OutputError
from .safefs import free_name, links_below, refuse_link

log = logging.getLogger(__name__)

STAGING_PREFIX = ".secor-staging-"
OLD_PREFIX = ".secor-old-"
JOURNAL = ".secor-swap.json"


def slugify(name: str) -> str:
    """The company's output folder name: lowercase ASCII words joined by hyphens, from the legal name.

    Accents are dropped (Café -> cafe). Letters with no ASCII form (Cyrillic, Greek, CJK...) are transliterated
    (anyascii) and a short hash of the exact name is added, so two such names never share a folder and no name
    becomes a bare 'company'. Names that differ only in case or punctuation give the same folder; the manifest
    records whose binder a folder holds and a build for another company is refused (check_same_company)."""
    nfkd = unicodedata.normalize("NFKD", name)
    lossy = any(not c.isascii() and not unicodedata.combining(c) and unicodedata.category(c)[0] in "LN" for c in nfkd)
    if lossy:
        from anyascii import anyascii

        base = anyascii(nfkd)
    else:
        base = nfkd.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")[:80].strip("-")
    if lossy or not slug:
        import hashlib

        digest = hashlib.sha256(unicodedata.normalize("NFC", name.strip()).encode()).hexdigest()[:8]
        slug = f"{slug[:71].strip('-') or 'company'}-{digest}"
    return slug


def check_same_company(target: Path, previous: dict | None, legal_name: str, wcb_account: str) -> None:
    """A company folder belongs to the company whose WCB account its manifest records (or, in manifests from before
    that was recorded, whose legal name it holds); another company is refused, never merged in."""
    if not previous:
        return
    recorded = previous.get("wcb_account")
    if recorded is None:
        recorded = ((previous.get("profile_snapshot") or {}).get("company") or {}).get("wcb_account")
    if recorded is None and previous.get("company") is None:
        return  # a manifest that names no company cannot say the folder is someone else's
    same = str(recorded) == str(wcb_account) if recorded is not None else previous.get("company") == legal_name
    if not same:
        who = f"'{previous.get('company')}'" + (f" (WCB account {recorded})" if recorded is not None else "")
        raise OutputClashError(f"{target}: this folder holds the binder of {who}, not of '{legal_name}' (WCB account "
                               f"{wcb_account}); nothing was written. Build into another --out folder, or move that "
                               f"folder away if the account number really changed")


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
    """Only one build of the same company output at a time. A swap that a killed build left half done is finished
    first, under the lock (see swap_in)."""
    path = out / f".{slug}.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0), 0o644)
    except OSError as e:
        if os.path.islink(path):
            raise OutputError(f"{path}: the lock file is a symbolic link; secor-docs never writes through links. "
                              f"Remove it") from None
        raise OutputError(f"{out}: cannot write in the output folder: {e.strerror}") from e
    with os.fdopen(fd, "r+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise BusyError(f"{out / slug}: another secor-docs build of this company is running; try again when it ends") from e
        try:
            recover_swaps(out, slug)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _leftovers(out: Path, prefix: str, slug: str) -> Iterator[tuple[Path, int]]:
    pattern = re.compile(rf"{re.escape(prefix + slug)}-(\d+)")
    try:
        entries = list(out.iterdir())
    except OSError:
        return
    for folder in entries:
        match = pattern.fullmatch(folder.name)
        if match and not os.path.islink(folder):
            yield folder, int(match.group(1))


def remove_abandoned(out: Path, slug: str) -> None:
    """Staging folders left by a build that was killed outright (SIGKILL, power loss)."""
    for prefix in (STAGING_PREFIX, OLD_PREFIX):
        for folder, pid in _leftovers(out, prefix, slug):
            if not _alive(pid) and not (folder / JOURNAL).exists():
                shutil.rmtree(folder, ignore_errors=True)


def recover_swaps(out: Path, slug: str) -> list[Path]:
    """Finish the swap of a build that was killed while moving its files in (its journal says what was left)."""
    done = []
    for old, pid in _leftovers(out, OLD_PREFIX, slug):
        journal = old / JOURNAL
        if _alive(pid) or not journal.is_file():
            continue
        try:
            entry = json.loads(journal.read_text(encoding="utf-8"))
            staging = out / entry["staging"]
            if (entry["target"] != slug or not re.fullmatch(rf"{re.escape(STAGING_PREFIX + slug)}-\d+", entry["staging"])
                    or not all(isinstance(n, str) and "/" not in n and n not in ("", ".", "..") for n in entry["owned"])):
                raise ValueError("journal does not belong to this folder")
        except (OSError, ValueError, KeyError, TypeError) as e:
            log.warning("%s: unreadable swap journal (%s); left as it is", journal, e)
            continue
        log.warning("%s: finishing the swap of a build that was interrupted (process %d)", out / slug, pid)
        _finish_swap(old, staging, out / slug, list(entry["owned"]), set(entry["previous_owned"]))
        shutil.rmtree(staging, ignore_errors=True)
        done.append(out / slug)
    return done


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
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


def refuse_links(target: Path, names) -> None:
    """The company folder and every entry a build replaces must be real files and folders, not links."""
    refuse_link(target)
    for name in names:
        refuse_link(target / name)
    for name in ("documents", ".binder-parts"):  # files the build reads back (reused PDFs, revision diffs) or moves
        for root, dirs, files in os.walk(target / name):
            for entry in dirs + files:
                refuse_link(Path(root) / entry)


def swap_in(staging: Path, target: Path, owned: list[str], previous_owned: set[str]) -> list[str]:
    """Move the build-owned entries of `staging` into `target`.

    `owned` are top-level names this build produced. Entries of the previous build that this build no longer
    produces are removed only if the previous manifest listed them (`previous_owned`, relative paths). Anything else
    in the target (evidence, notes, a user's file inside documents/, a user's own file with a build's name) stays.

    A journal written before the first move lets the next build finish a swap that SIGKILL or a power cut
    interrupted (recover_swaps): every step can be done again, so the target ends up whole, never half old.
    """
    refuse_links(target, owned)
    target.mkdir(parents=True, exist_ok=True)
    old = target.parent / f"{OLD_PREFIX}{target.name}-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    old.mkdir()
    journal = {"target": target.name, "staging": staging.name, "owned": owned, "previous_owned": sorted(previous_owned)}
    tmp = old / (JOURNAL + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(journal, f)
        f.flush()
        os.fsync(f.fileno())
    tmp.rename(old / JOURNAL)
    with signals_held():
        return _finish_swap(old, staging, target, owned, previous_owned)


def _finish_swap(old: Path, staging: Path, target: Path, owned: list[str], previous_owned: set[str]) -> list[str]:
    """Every step can run again after an interruption. Returns what was kept under a new name."""
    kept_files = []
    for name in owned:
        src, dst, saved = staging / name, target / name, old / name
        if os.path.lexists(src):  # not moved in yet
            if os.path.lexists(dst) and not os.path.lexists(saved):
                dst.rename(saved)
            src.rename(dst)
    for name in owned:
        saved, dst = old / name, target / name
        if not os.path.lexists(saved):
            continue
        if saved.is_dir() and not saved.is_symlink():
            kept_files += _carry_over(saved, dst, name, previous_owned)
        elif name not in previous_owned:  # the user's own file under a name the build makes: kept beside it
            kept = free_name(dst)
            saved.rename(kept)
            kept_files.append(f"{name} -> {kept.name}")
    for rel in sorted(previous_owned):
        top = rel.split("/", 1)[0]
        path = target / rel
        if top not in owned and links_below(target, path) is None and path.is_file():
            path.unlink()
    (old / JOURNAL).unlink(missing_ok=True)
    shutil.rmtree(old, ignore_errors=True)
    return kept_files


def _carry_over(old_dir: Path, new_dir: Path, prefix: str, previous_owned: set[str]) -> list[str]:
    """Files the build did not make keep living in the new folder (links are moved as links, never followed)."""
    renamed = []
    for root, dirs, files in os.walk(old_dir):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            path = Path(root) / name
            rel_inside = path.relative_to(old_dir)
            rel = f"{prefix}/{rel_inside.as_posix()}"
            if rel in previous_owned and not path.is_symlink():
                continue
            dest = new_dir / rel_inside
            if os.path.lexists(dest):
                dest = free_name(dest)
                renamed.append(f"{rel} -> {dest.name}")
            dest.parent.mkdir(parents=True, exist_ok=True)
            path.rename(dest)
            log.info("kept %s (not made by secor-docs)", rel)
    return renamed
