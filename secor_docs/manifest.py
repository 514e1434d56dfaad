"""The manifest stage: what one build produced (contract §3), and reading the previous one back."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


def read_manifest(folder: Path) -> dict | None:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("schema_version") == 1 else None


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def owned_paths(manifest: dict | None) -> set[str]:
    """Every file a manifest says the build made (relative paths)."""
    if not manifest:
        return set()
    paths = {MANIFEST}
    for doc in manifest.get("documents", []):
        for key in ("docx", "pdf"):
            if doc.get(key):
                paths.add(doc[key])
    binder = manifest.get("binder") or {}
    for part in (binder.get("parts") or {}).values():
        paths.add(part["pdf"])
    for value in (binder.get("pdf"), binder.get("docx"), (manifest.get("evidence_index") or {}).get("csv"),
                  manifest.get("calendar"), manifest.get("changes")):
        if isinstance(value, str):
            paths.add(value)
    return paths


def recorded_hashes(manifest: dict | None) -> dict[str, str]:
    """DOCX and PDF files with the sha256 the build recorded for them."""
    if not manifest:
        return {}
    out = {}
    for doc in manifest.get("documents", []):
        if doc.get("docx") and doc.get("sha256"):
            out[doc["docx"]] = doc["sha256"]
        if doc.get("pdf") and doc.get("pdf_sha256"):
            out[doc["pdf"]] = doc["pdf_sha256"]
    binder = manifest.get("binder") or {}
    for key, digest in (("pdf", "pdf_sha256"), ("docx", "docx_sha256")):
        if binder.get(key) and binder.get(digest):
            out[binder[key]] = binder[digest]
    return out


def edited_files(folder: Path, manifest: dict | None) -> list[str]:
    """Build outputs whose bytes differ from what the manifest recorded: someone edited them."""
    from .determinism import sha256

    return sorted(rel for rel, digest in recorded_hashes(manifest).items()
                  if (folder / rel).is_file() and sha256(folder / rel) != digest)


def back_up(folder: Path, files: list[str], stamp: str) -> Path:
    """Copy edited files to edited-backup/<stamp>/ before a forced rebuild replaces them."""
    import shutil

    backup = folder / "edited-backup" / stamp
    for rel in files:
        dest = backup / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / rel, dest)
    return backup
