"""Byte-identical outputs: fixed zip timestamps for DOCX, fixed dates and no /ID for PDF."""
from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date
from pathlib import Path

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def normalise_docx(path: Path) -> None:
    """Rewrite a DOCX zip with fixed member timestamps and attributes, keeping member order."""
    with zipfile.ZipFile(path) as src:
        members = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as out:
        for name, blob in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            out.writestr(info, blob)
    path.write_bytes(buffer.getvalue())


def pdf_date(day: date) -> str:
    return f"D:{day:%Y%m%d}000000Z"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def docx_content_hash(path: Path) -> str:
    """Hash of (member name, uncompressed bytes): stable across zlib versions."""
    h = hashlib.sha256()
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            h.update(name.encode() + b"\0" + z.read(name) + b"\0")
    return h.hexdigest()
