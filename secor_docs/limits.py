"""Every size, depth and time limit in one place (the README's "Limits" section lists them), and a file reader that
refuses what is not a regular file of sensible size, so a FIFO or /dev/zero named as input fails at once."""
from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

# Files a user names.
PROFILE_BYTES = 2_000_000          # a profile or settings file
LOGO_BYTES = 5_000_000
YAML_DEPTH = 40                    # lists and mappings inside each other; a profile needs 6
YAML_VALUES = 200_000              # values after aliases are expanded (alias bombs)
YAML_EVENTS = 100_000              # values as written, counted before loading
YAML_LIST_ITEMS = 1_000            # items of any one list, counted before loading (the schema's own caps are lower)

# Template overrides.
TEMPLATE_BYTES = 20_000_000        # one .docx as stored
TEMPLATE_UNZIPPED_BYTES = 100_000_000  # one .docx unpacked (zip bombs); the largest built-in is well under 1 MB
TEMPLATE_FOLDER_FILES = 2_000      # files looked at in one template folder
TEMPLATE_FOLDER_DEPTH = 4          # sub-folders below a template folder (the built-in set uses 1)
RENDER_SECONDS = 20                # one document's render; a runaway template loop is stopped
RENDER_LOOP_ITEMS = 10_000         # items one template loop may walk (Jinja's own range() cap is 100,000)

# Lists in a profile: generous for an employer of 10 or fewer people (people who left stay listed a year).
MAX_ITEMS = {
    "people": 100, "positions": 30, "tasks": 40, "hazards": 30, "steps": 60, "custom_hazards": 30, "controls": 30,
    "training": 60, "sites": 30, "equipment": 100, "emergency_contacts": 20, "emergencies": 30, "bands": 100,
    "shifts": 10, "shift_people": 100, "confirmed_controls": 400,
}
NAME_CHARS = 120                   # names and titles: they become headers, Word properties and file names

# Dates: profile dates and --as-of must fall in this range, so date arithmetic (next review, windows) stays valid.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2099, 12, 31)
AS_OF_EARLIEST = date(2000, 1, 1)  # --as-of


def as_of_problem(day: date) -> str | None:
    if AS_OF_EARLIEST <= day <= LATEST_DATE:
        return None
    return f"--as-of {day.isoformat()} is outside {AS_OF_EARLIEST.isoformat()} to {LATEST_DATE.isoformat()}"

# LibreOffice: a hung converter is stopped when no document has been converted for STALL seconds (the first one
# includes LibreOffice's start), or after BASE + PER_DOCUMENT seconds per document in its batch.
CONVERT_STALL_SECONDS = 90.0
CONVERT_BASE_SECONDS = 30.0
CONVERT_PER_DOCUMENT_SECONDS = 3.0
CONVERT_TIMEOUT_ENV = "SECOR_DOCS_CONVERT_TIMEOUT"  # seconds for one batch, overriding the formula


class NotARegularFile(OSError):
    """A named input is a FIFO, a device, a folder, or larger than its limit."""


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`; raise NotARegularFile (an OSError) with a readable
    strerror otherwise. Opened without blocking, so a FIFO with no writer does not hang the build."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a pipe or device?)"
            raise NotARegularFile(0, kind)
        if info.st_size > max_bytes:
            raise NotARegularFile(0, f"file is {info.st_size:,} bytes; at most {max_bytes:,} are allowed")
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:  # grew while being read
            raise NotARegularFile(0, f"file is larger than {max_bytes:,} bytes")
        return data
    finally:
        os.close(fd)


def regular_file_problem(path: Path, max_bytes: int) -> str | None:
    """Why `path` cannot be read as an input file, or None. Follows symlinks; does not read the file."""
    try:
        info = os.stat(path)
    except OSError as e:
        return e.strerror or str(e)
    if stat.S_ISDIR(info.st_mode):
        return "a folder"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a pipe or device?)"
    if info.st_size > max_bytes:
        return f"file is {info.st_size:,} bytes; at most {max_bytes:,} are allowed"
    return None


def convert_timeout(documents: int) -> float:
    """Seconds one LibreOffice batch of `documents` may take; ValueError for a bad override."""
    override = os.environ.get(CONVERT_TIMEOUT_ENV, "").strip()
    if override:
        try:
            seconds = float(override)
        except ValueError:
            raise ValueError(f"{CONVERT_TIMEOUT_ENV}={override!r}: expected a number of seconds") from None
        if not 1 <= seconds <= 86_400:
            raise ValueError(f"{CONVERT_TIMEOUT_ENV}={override!r}: expected between 1 and 86400 seconds")
        return seconds
    return CONVERT_BASE_SECONDS + CONVERT_PER_DOCUMENT_SECONDS * documents
