"""The manifest stage: what one build produced (contract §3), and reading the previous one back."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import DamagedManifestError

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1
# The only top-level names a build makes: a path in a manifest must start with one of them. Anything else (an
# absolute path, '..', evidence/, a user's file) is a damaged or planted manifest and is never touched.
BUILD_NAMES = frozenset({"documents", ".binder-parts", "binder.pdf", "binder.docx", "evidence-index.csv",
                         "records-calendar.ics", "CHANGES.md", MANIFEST})


def read_manifest(folder: Path) -> dict | None:
    """The previous build's manifest; None when there is none (a first build).

    Raises DamagedManifestError when one exists but cannot be trusted: unreadable, truncated, of another schema
    version, or naming a path outside the build's own outputs."""
    path = folder / MANIFEST
    if not os.path.lexists(path):
        return None
    where = f"{path}: damaged manifest"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise DamagedManifestError(f"{where}: cannot be read ({e.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise DamagedManifestError(f"{where}: not a regular file")
        raw = f.read(64_000_000)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise DamagedManifestError(f"{where}: not valid JSON ({'empty file' if not raw.strip() else e})") from None
    if not isinstance(data, dict):
        raise DamagedManifestError(f"{where}: not a JSON object")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise DamagedManifestError(f"{where}: schema_version {data.get('schema_version')!r}; this secor-docs reads "
                                   f"version {SCHEMA_VERSION}")
    problem = _structure_problem(data)
    if problem:
        raise DamagedManifestError(f"{where}: {problem}")
    return data


def _structure_problem(data: dict) -> str | None:
    documents = data.get("documents")
    if not isinstance(documents, list) or not all(isinstance(d, dict) and isinstance(d.get("id"), str) for d in documents):
        return "'documents' is not a list of documents with an id"
    for key in ("binder", "evidence_index"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            return f"'{key}' is not an object"
    parts = (data.get("binder") or {}).get("parts")
    if parts is not None and not (isinstance(parts, dict) and all(isinstance(p, dict) for p in parts.values())):
        return "'binder.parts' is not an object of parts"
    for where, value in _paths(data):
        if value is None:
            continue
        if not confined(value):
            return f"{where} {value!r} is not a file of this build (absolute, '..', or outside its folders)"
    return None


def _paths(data: dict):
    for i, doc in enumerate(data.get("documents") or []):
        for key in ("docx", "pdf"):
            yield f"documents[{i}].{key}", doc.get(key)
    binder = data.get("binder") or {}
    for key in ("pdf", "docx"):
        yield f"binder.{key}", binder.get(key)
    for name, part in (binder.get("parts") or {}).items():
        yield f"binder.parts.{name}.pdf", part.get("pdf")
    yield "evidence_index.csv", (data.get("evidence_index") or {}).get("csv")
    for key in ("calendar", "changes"):
        yield key, data.get(key)


def confined(value: Any) -> bool:
    """A relative POSIX path inside one of the build's own top-level names, without '..', '.' or empty parts."""
    if not isinstance(value, str) or not value or "\\" in value or "\0" in value or value.startswith("/"):
        return False
    parts = value.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return False
    return parts[0] in BUILD_NAMES and (len(parts) == 1) == (parts[0] not in ("documents", ".binder-parts"))


def build_manifest(plan, issued, converted, binder, folder: Path, *, inputs: dict | None, framework: str,
                   inputs_key: str | None, raw_inputs_key: str | None, warnings: list[dict]) -> dict[str, Any]:
    """The manifest of one build (contract §3), made here and only here from what the stages returned: the plan,
    the issued documents (`records.IssuedDocument`), their PDFs (`records.ConvertedDocument`, None without PDFs) and
    the binder files (`records.BinderFiles`)."""
    from . import __version__
    from .revisions import snapshot

    converted = converted or (None,) * len(issued)
    profile = plan.loaded.profile
    return {
        "schema_version": SCHEMA_VERSION,
        "company": profile.company.legal_name,
        "wcb_account": profile.company.wcb_account,
        "as_of": plan.as_of.isoformat(),
        "generator": f"secor-docs {__version__}",
        "profile": str(plan.loaded.path),
        "certifying_partner": profile.company.certifying_partner,
        "eligible": plan.facts.eligible,
        "edition": plan.edition.as_dict(profile.program.effective_date),
        "binder": binder.as_manifest(),
        "documents": [document_entry(doc, pdf, folder) for doc, pdf in zip(issued, converted)],
        "evidence_index": {"csv": "evidence-index.csv", "framework": framework},
        "calendar": "records-calendar.ics",
        "profile_snapshot": snapshot(profile),
        "inputs": inputs,
        "changes": "CHANGES.md",
        "inputs_key": inputs_key,
        "raw_inputs_key": raw_inputs_key,
        "warnings": warnings,
    }


def document_entry(doc, pdf, folder: Path) -> dict[str, Any]:
    """One document's manifest entry: the issued document and, when PDFs were made, its PDF and binder place."""
    control = doc.control
    return {
        "id": doc.doc.id, "title": doc.doc.title, "element": doc.doc.element_id, "kind": doc.doc.kind,
        "docx": doc.docx.relative_to(folder).as_posix(), "pdf": pdf.pdf if pdf else None,
        "sha256": pdf.docx_sha256 if pdf else doc.sha256,
        "revision": control.revision, "effective": control.effective.isoformat(), "issued": control.issued.isoformat(),
        "next_review": control.next_review.isoformat(), "binder_page": pdf.binder_page if pdf else None,
        "pages": pdf.pages if pdf else None, "ident": doc.doc.ident, "pdf_sha256": pdf.pdf_sha256 if pdf else None,
        "history": [h.as_manifest() for h in control.history],
    }


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def owned_paths(manifest: dict | None) -> set[str]:
    """Every file a manifest says the build made (relative paths, all confined: see read_manifest)."""
    if not manifest:
        return set()
    paths = {MANIFEST}
    for _, value in _paths(manifest):
        if isinstance(value, str) and confined(value):
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
    return {rel: digest for rel, digest in out.items() if confined(rel)}


def edited_files(folder: Path, manifest: dict | None) -> list[str]:
    """Build outputs whose bytes differ from what the manifest recorded: someone edited them."""
    from .determinism import sha256

    return sorted(rel for rel, digest in recorded_hashes(manifest).items()
                  if _plain_file(folder / rel) and sha256(folder / rel) != digest)


def _plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def build_files(folder: Path) -> list[str]:
    """Every file under the build's own top-level names (for a backup when the manifest cannot say which)."""
    found = []
    for name in sorted(BUILD_NAMES):
        path = folder / name
        if path.is_symlink():
            continue
        if path.is_file():
            found.append(name)
        elif path.is_dir():
            found += sorted(p.relative_to(folder).as_posix() for p in _walk(path))
    return found


def _walk(folder: Path):
    for root, dirs, files in os.walk(folder):  # os.walk does not follow links to folders
        for name in files:
            path = Path(root) / name
            if not path.is_symlink():
                yield path


def back_up(folder: Path, files: list[str], stamp: str) -> Path:
    """Copy edited files to edited-backup/<stamp>/ before a forced rebuild replaces them."""
    import shutil

    backup = folder / "edited-backup" / stamp
    for rel in files:
        if not confined(rel) or not _plain_file(folder / rel):
            continue
        dest = backup / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / rel, dest, follow_symlinks=False)
    return backup
