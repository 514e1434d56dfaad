"""One fingerprint for every reuse decision (unchanged build, kept binder): same key, same outputs.

Every key covers the installed package itself (its code and its data files), so a new version of the tool never
keeps a binder an older one made, even when `__version__` did not move.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from . import __version__
from .determinism import sha256
from .resources import PACKAGE


def tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under a folder, by relative path (compiled caches left out)."""
    if not folder.is_dir():
        return {}
    return {f.relative_to(folder).as_posix(): sha256(f) for f in sorted(folder.rglob("*"))
            if f.is_file() and "__pycache__" not in f.parts and f.suffix not in (".pyc", ".pyo")}


def tree_hash(folder: Path) -> str:
    return hashlib.sha256(json.dumps(tree_hashes(folder), sort_keys=True).encode()).hexdigest()


@lru_cache(maxsize=None)
def code_hash(package: Path = PACKAGE) -> str:
    """The installed package's code and built-in data, as one hash (computed once per process)."""
    return tree_hash(package)


def tool_identity() -> dict[str, str]:
    """What the manifest records about the tool that made a build."""
    return {"version": __version__, "code": code_hash()}


def fingerprint(parts: dict) -> str:
    """sha256 of named parts (any JSON values) together with the tool's version and code hash.

    The one function behind every reuse decision: `raw_inputs_key`, `inputs_key` and the binder key."""
    payload = {"tool": tool_identity(), **parts}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
