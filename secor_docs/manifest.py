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
    for value in (manifest.get("binder") or {}).values():
        if isinstance(value, str):
            paths.add(value)
    for key in ("calendar", "changes"):
        if isinstance(manifest.get(key), str):
            paths.add(manifest[key])
    for value in (manifest.get("evidence_index") or {}).values():
        if isinstance(value, str):
            paths.add(value)
    return paths
