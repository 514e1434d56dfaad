"""Writing files without following symbolic links: a link planted in a working folder never redirects a write,
a move or a delete to somewhere else on disk."""
from __future__ import annotations

import os
from pathlib import Path

from .errors import OutputError


def is_link(path: Path) -> bool:
    return os.path.islink(path)


def links_below(base: Path, path: Path) -> Path | None:
    """The first symbolic link among `path` and its parents up to (not including) `base`, or None."""
    try:
        rel = Path(path).relative_to(base)
    except ValueError:
        return Path(path) if is_link(path) else None
    current = Path(base)
    for part in rel.parts:
        current = current / part
        if is_link(current):
            return current
    return None


def refuse_link(path: Path, base: Path | None = None) -> None:
    link = links_below(base, path) if base is not None else (path if is_link(path) else None)
    if link is not None:
        raise OutputError(f"{link}: is a symbolic link; secor-docs never writes, moves or deletes through links. "
                          f"Replace it with a real file or folder")


def write_bytes(path: Path, data: bytes, base: Path | None = None) -> None:
    """Create or replace `path` without following a link at it (or at a folder between `base` and it)."""
    refuse_link(path, base)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def write_text(path: Path, text: str, base: Path | None = None) -> None:
    write_bytes(path, text.encode("utf-8"), base)


def mkdirs(path: Path, base: Path | None = None) -> None:
    """mkdir -p that refuses to create anything below a link."""
    refuse_link(path, base)
    path.mkdir(parents=True, exist_ok=True)
    refuse_link(path, base)


def free_name(path: Path, tag: str = "kept") -> Path:
    """`name (kept).ext`, `name (kept 2).ext`, ...: a name nothing uses yet beside `path`."""
    n = 1
    while True:
        candidate = path.with_name(f"{path.stem} ({tag}{'' if n == 1 else f' {n}'}){path.suffix}")
        if not os.path.lexists(candidate):
            return candidate
        n += 1
