"""The render stage: one shared sandboxed Jinja environment, the template search path, DOCX rendering."""
from __future__ import annotations

import contextlib
import difflib
import functools
import logging
import os
import re
import signal
import threading
import time
import traceback
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from . import grammar
from .determinism import normalise_docx
from .errors import TemplateError
from .resources import templates_dir

log = logging.getLogger(__name__)

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def longdate(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{MONTHS[value.month - 1]} {value.day}, {value.year}"
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return longdate(date.fromisoformat(value))
    return "" if value is None else str(value)


def isodate(value: Any) -> str:
    return value.isoformat() if isinstance(value, (date, datetime)) else ("" if value is None else str(value))


def join_names(values: Iterable, last: str = "and") -> str:
    items = [str(x) for x in values]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def lower_first(value: str) -> str:
    return value[:1].lower() + value[1:] if value else value


def cache_dir() -> Path | None:
    """Where compiled templates are kept between builds: $SECOR_DOCS_CACHE, else the user's cache folder."""
    import os

    if "SECOR_DOCS_CACHE" in os.environ:
        return Path(os.environ["SECOR_DOCS_CACHE"]) if os.environ["SECOR_DOCS_CACHE"] else None
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    return Path(base) / "secor-docs"


class ExplainedUndefined(jinja2.StrictUndefined):
    """StrictUndefined whose message names the fields that do exist: "'View object' has no attribute 'legal_nam'"
    told a consultant nothing about what to type instead."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        obj, name = self._undefined_obj, self._undefined_name
        if self._undefined_hint is None and name is not None and obj is not jinja2.utils.missing:
            if isinstance(obj, dict):
                fields = sorted(str(k) for k in obj)
            elif hasattr(obj, "__dict__") and not callable(obj):
                fields = sorted(k for k in vars(obj) if not k.startswith("_"))
            else:
                fields = None
            if fields is not None:
                hint = difflib.get_close_matches(str(name), fields, n=1)
                shown = ", ".join(fields[:40]) + (" ..." if len(fields) > 40 else "")
                return (f"unknown field '{name}'" + (f"; did you mean '{hint[0]}'?" if hint else "")
                        + f" (fields here: {shown or 'none'}; secor-docs templates variables PROFILE lists them)")
        return super()._undefined_message


class RenderTimeout(Exception):
    """A template ran past RENDER_SECONDS (a runaway loop)."""


@contextlib.contextmanager
def render_time_limit(seconds: float) -> Iterator[None]:
    """Stop a render that runs too long: an alarm signal in the main thread, and a deadline every range() loop
    checks (the only guard in other threads, where no alarm can be set)."""
    _deadline.at = time.monotonic() + seconds
    try:
        if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
            yield
            return
        with _alarm(seconds):
            yield
    finally:
        _deadline.at = None


_deadline = threading.local()


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def expired(signum, frame):
        raise RenderTimeout()

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def capped_range(*args) -> Iterator[int]:
    """Jinja's range() with a smaller cap (its sandbox allows 100,000 items per range, and loops nest)."""
    from .limits import RENDER_LOOP_ITEMS

    items = range(*args)
    if len(items) > RENDER_LOOP_ITEMS:
        raise OverflowError(f"range() of {len(items):,} items; a template loop may walk at most {RENDER_LOOP_ITEMS:,}")
    return _within_deadline(items)


def _within_deadline(items: range):
    deadline = getattr(_deadline, "at", None)
    for n, item in enumerate(items):
        if deadline is not None and n % 256 == 0 and time.monotonic() > deadline:
            raise RenderTimeout()
        yield item


class LimitedSandboxedEnvironment(SandboxedEnvironment):
    """The sandbox, plus caps on what one expression can build: 'x' * 10**9 or 10**10**10 would exhaust memory or
    time before any other check runs."""

    intercepted_binops = frozenset(["*", "**"])
    MAX_BUILT = 1_000_000

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > self.MAX_BUILT:
                    raise SecurityError(f"repeating a value {times:,} times would build more than {self.MAX_BUILT:,} items")
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 100:
            raise SecurityError(f"power {right} is too large for a template")
        return super().call_binop(context, operator, left, right)


class OwnedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates on disk, read only from a folder and files the user alone can write.

    Loading compiled code runs it, so a file planted in the cache would be code run by the next build. Jinja's own
    FileSystemBytecodeCache also unpickles each file's header. Here the header is plain text (no pickle), the
    folder must be a real folder owned by the user with no write access for group or others (it is created 0700),
    and each file must be a regular file owned by the user and writable by nobody else; anything else is ignored and
    compiled afresh. A cache folder that fails the check is not used at all (the build is slower, never unsafe)."""

    MAGIC = b"secor-docs jinja bytecode 1\n"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def open(cls, folder: Path) -> "OwnedBytecodeCache | None":
        import os

        try:
            folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.mkdir(mode=0o700, exist_ok=True)
        except OSError:  # a read-only home: build without the cache
            return None
        for path in (folder.parent, folder):
            problem = _not_private(os.lstat(path), directory=True)
            if problem:
                log.warning("%s: template cache not used: %s (set SECOR_DOCS_CACHE to a folder only you can write, "
                            "or to an empty value for no cache)", path, problem)
                return None
        return cls(folder)

    def _file(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.folder / f"secor-{bucket.key}.cache"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        import marshal
        import os

        try:
            fd = os.open(self._file(bucket), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return
        with os.fdopen(fd, "rb") as f:
            if _not_private(os.fstat(f.fileno()), directory=False):
                return
            data = f.read()
        header = self.MAGIC + bucket.checksum.encode() + b"\n"
        if not data.startswith(header):
            return
        try:
            code = marshal.loads(data[len(header):])
        except (EOFError, ValueError, TypeError):
            return
        if type(code).__name__ == "code":
            bucket.code = code

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        import marshal
        import os
        import tempfile

        target = self._file(bucket)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=target.name, suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(self.MAGIC + bucket.checksum.encode() + b"\n" + marshal.dumps(bucket.code))
            os.replace(tmp, target)
        except OSError:
            Path(tmp).unlink(missing_ok=True)


def _not_private(st, directory: bool) -> str | None:
    """Why a cache folder or file could hold someone else's code, or None."""
    import os
    import stat

    if directory and not stat.S_ISDIR(st.st_mode):
        return "not a folder (a link or a file)"
    if not directory and not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if st.st_uid != os.geteuid():
        return f"owned by user id {st.st_uid}, not by you"
    if st.st_mode & 0o022:
        return "writable by group or others"
    return None


class CachingSandboxedEnvironment(LimitedSandboxedEnvironment):
    """docxtpl compiles a template's XML on every render. Compiled templates are reused within a build (one-per-item
    documents) and, as Jinja bytecode keyed by the source's checksum, across builds (a rebuild compiles nothing)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._compiled: dict[str, jinja2.Template] = {}
        folder = cache_dir()
        if folder is not None:
            self.bytecode_cache = OwnedBytecodeCache.open(folder / "jinja")

    def is_safe_attribute(self, obj, attr, value) -> bool:
        module = getattr(type(obj), "__module__", None) or ""
        return module.split(".", 1)[0] in TEMPLATE_SAFE_MODULES and super().is_safe_attribute(obj, attr, value)

    def from_string(self, source, globals=None, template_class=None):
        if globals or template_class or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        key = f"{self.autoescape}:{source}"
        if key not in self._compiled:
            self._compiled[key] = self._load_compiled(source)
        return self._compiled[key]

    def _load_compiled(self, source: str) -> jinja2.Template:
        """What Jinja's loaders do for named templates, for docxtpl's strings (the name carries the escaping mode)."""
        cache = self.bytecode_cache
        if cache is None:
            return super().from_string(source)
        import hashlib

        key = f"docx-{bool(self.autoescape)}-{hashlib.sha256(source.encode()).hexdigest()}"
        bucket = cache.get_bucket(self, key, None, source)
        if bucket.code is None:
            bucket.code = self.compile(source)  # unnamed, as from_string does: errors still say "<template>"
            try:
                cache.set_bucket(bucket)
            except OSError:
                pass
        return self.template_class.from_code(self, bucket.code, self.make_globals(None))


class Printable:
    """A value a template can print and test for truth, and nothing else. docxtpl's InlineImage holds the whole
    DocxTemplate (`logo.tpl.save(...)` would write any file); wrapped, its only public face is what it prints: the
    sandbox refuses every attribute that starts with '_'."""

    __slots__ = ("_value",)

    def __init__(self, value) -> None:
        self._value = value

    def __html__(self) -> str:
        return self._value.__html__()

    def __str__(self) -> str:
        return str(self._value)

    def __bool__(self) -> bool:
        return True


# Templates read attributes of plain values and of the build's own view objects only; an attribute of anything else
# (a library object that leaked into a context) is refused, whatever it is.
TEMPLATE_SAFE_MODULES = frozenset({"builtins", "datetime", "decimal", "secor_docs", "jinja2", "markupsafe"})


@functools.lru_cache(maxsize=256)
def _patched(xml: str) -> str:
    return DocxTemplate.patch_xml(None, xml)  # a pure function of the XML: `self` is not used


class Template(DocxTemplate):
    """docxtpl cleans a template's XML with some thirty regular expressions on every render and every variable
    check; one-per-item documents render the same XML many times, so the cleaned XML is kept."""

    def patch_xml(self, src_xml):
        return _patched(src_xml)


@functools.lru_cache(maxsize=1)
def make_env() -> SandboxedEnvironment:
    """The one environment for every template and catalog condition: sandboxed, strict, escaping."""
    env = CachingSandboxedEnvironment(undefined=ExplainedUndefined, autoescape=True, keep_trailing_newline=False)
    env.filters.update(longdate=longdate, isodate=isodate, join_names=join_names, lower_first=lower_first,
                       a=grammar.with_article, article=grammar.article, count=grammar.count, agree=grammar.agree)
    env.globals["range"] = capped_range
    return env


def template_files(folder: Path) -> list[str]:
    """Relative paths of the .docx files in a template folder, walked within the documented limits (a folder such
    as / would otherwise be walked whole on every build). Raises OSError for a folder that cannot be read."""
    from .limits import TEMPLATE_FOLDER_DEPTH, TEMPLATE_FOLDER_FILES

    found: list[str] = []
    seen = 0
    root = str(folder)
    for here, dirs, files in os.walk(root, onerror=_raise):
        rel = os.path.relpath(here, root)
        depth = 0 if rel == "." else rel.count(os.sep) + 1
        if depth > TEMPLATE_FOLDER_DEPTH:
            raise TemplateError(f"{folder}: template folder is nested deeper than {TEMPLATE_FOLDER_DEPTH} folders "
                                f"({here}); is it the right folder?")
        seen += len(files) + len(dirs)
        if seen > TEMPLATE_FOLDER_FILES:
            raise TemplateError(f"{folder}: template folder holds more than {TEMPLATE_FOLDER_FILES:,} files; is it the "
                                f"right folder? (the built-in set has about 50)")
        dirs.sort()
        found += sorted(Path(here, f).relative_to(folder).as_posix() for f in files
                        if f.endswith(".docx") and not f.startswith((".", "~$")))
    return found


def _raise(error: OSError) -> None:
    raise error


def builtin_template_names() -> set[str]:
    return set(template_files(templates_dir()))


class TemplateSearchPath:
    """Ordered folders; the first that holds a template's relative path wins (consultant overrides first)."""

    def __init__(self, overrides: Iterable[Path] = ()):
        self.folders = [Path(p) for p in overrides] + [templates_dir()]

    def find(self, relative: str) -> Path:
        from .limits import TEMPLATE_BYTES, regular_file_problem

        for folder in self.folders:
            candidate = folder / relative
            if candidate.exists() or candidate.is_symlink():
                problem = regular_file_problem(candidate, TEMPLATE_BYTES)
                if problem:
                    raise TemplateError(f"{candidate}: cannot be used as a template: {problem}")
                check_unpacked_size(candidate)
                return candidate
        raise TemplateError(f"template '{relative}' not found in: {', '.join(str(f) for f in self.folders)}")

    def unmatched(self) -> list[str]:
        """Override files whose name matches no built-in template: the build would never use them."""
        known = builtin_template_names()
        builtin = templates_dir().resolve()
        out = []
        for folder in self.folders:
            if folder.resolve() == builtin:
                continue
            for rel in template_files(folder):
                if rel not in known:
                    hint = difflib.get_close_matches(rel, sorted(known), n=1)
                    out.append(f"{folder / rel}: matches no built-in template, so no document uses it"
                               + (f"; did you mean {hint[0]}?" if hint else " (secor-docs templates export lists the names)"))
        return out


def check_unpacked_size(path: Path) -> None:
    """A .docx is a zip: refuse one that unpacks to more than the limit before any library inflates it."""
    import zipfile

    from .limits import TEMPLATE_UNZIPPED_BYTES

    try:
        with zipfile.ZipFile(path) as z:
            total = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise TemplateError(f"{path}: not a Word template that can be opened ({type(e).__name__}: {e})") from None
    if total > TEMPLATE_UNZIPPED_BYTES:
        raise TemplateError(f"{path}: unpacks to {total:,} bytes, more than the {TEMPLATE_UNZIPPED_BYTES:,} a template may "
                            f"hold (a zip bomb?)")


def _paragraph_of(exc: BaseException) -> int | None:
    # docxtpl writes one <w:p> per line, so the template line number is the paragraph number.
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == "<template>" and frame.lineno:
            return frame.lineno
    return getattr(exc, "lineno", None)


def _part_name(tpl: DocxTemplate) -> str:
    part = getattr(tpl, "current_rendering_part", None)
    name = getattr(part, "partname", "") if part is not None else ""
    return {"": "body"}.get(str(name), str(name).rsplit("/", 1)[-1].replace(".xml", "").replace("document", "body"))


def tint(colour: str, amount: float) -> str:
    """colour mixed with white; amount 0 = colour, 1 = white."""
    rgb = [int(colour[i:i + 2], 16) for i in (0, 2, 4)]
    return "".join(f"{round(c + (255 - c) * amount):02X}" for c in rgb)


def apply_brand(path: Path, brand: str) -> None:
    """Swap the built-in heading colour and table shading for the brand colour and its tints."""
    import zipfile

    from .authoring import BRAND

    swaps = {BRAND: brand, "D9E2EC": tint(brand, 0.82), "E8EEF4": tint(brand, 0.9)}
    with zipfile.ZipFile(path) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in members:
            if name.endswith(".xml"):
                text = blob.decode("utf-8")
                for old, new in swaps.items():
                    text = text.replace(f'"{old}"', f'"{new}"')
                blob = text.encode("utf-8")
            z.writestr(name, blob)


HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def drop_external_links(path: Path) -> list[str]:
    """Remove every external relationship except hyperlinks (linked images, OLE links, an attached template on a
    server...): Word and LibreOffice would fetch them when the file is opened or converted. Returns what was removed."""
    import zipfile

    from lxml import etree

    with zipfile.ZipFile(path) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    blobs = dict(members)
    removed: dict[str, set[str]] = {}
    for name, blob in members:
        if not name.endswith(".rels") or b"External" not in blob:
            continue
        root = etree.fromstring(blob)
        for rel in list(root):
            if rel.get("TargetMode") == "External" and rel.get("Type") != HYPERLINK:
                root.remove(rel)
                source = name.replace("_rels/", "").removesuffix(".rels")
                removed.setdefault(source, set()).add(rel.get("Id"))
                log.warning("%s: removed external link %s (%s)", path.name, rel.get("Target"), rel.get("Type", "").rsplit("/", 1)[-1])
        blobs[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    if not removed:
        return []
    for source, ids in removed.items():
        if source not in blobs:
            continue
        root = etree.fromstring(blobs[source])
        for element in root.iter():
            for attr, value in list(element.attrib.items()):
                if attr.startswith(f"{{{R_NS}}}") and value in ids:
                    del element.attrib[attr]
        blobs[source] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, _ in members:
            z.writestr(name, blobs[name])
    return sorted(i for ids in removed.values() for i in ids)


def render_docx(template: Path, context: dict, target: Path, env: SandboxedEnvironment, *,
                properties: dict, logo: Path | None, brand: str | None = None) -> None:
    """Render one template to `target`; any template fault becomes a TemplateError naming file and paragraph."""
    try:
        tpl = Template(str(template))
        tpl.init_docx()
    except Exception as e:  # not a Word file, or unreadable
        raise TemplateError(f"{template}: not a Word template that can be opened ({type(e).__name__}: {e})") from None
    ctx = dict(context)
    ctx["logo"] = Printable(InlineImage(tpl, str(logo), height=Mm(12))) if logo else ""
    from .limits import RENDER_SECONDS

    try:
        with render_time_limit(RENDER_SECONDS):
            tpl.render(ctx, env, autoescape=True)
    except RenderTimeout:
        raise TemplateError(f"{template}: rendering took more than {RENDER_SECONDS} s and was stopped (a runaway loop?)") from None
    except MemoryError:
        raise TemplateError(f"{template}: rendering ran out of memory and was stopped (a loop or value that grows without end?)") from None
    except RecursionError:
        raise TemplateError(f"{template}: rendering recursed too deeply and was stopped (a macro that calls itself?)") from None
    except jinja2.TemplateSyntaxError as e:
        where = f"line {e.lineno}" if e.lineno else "unknown paragraph"
        raise TemplateError(f"{template}: {_part_name(tpl)} paragraph {where}: template syntax error: {e.message}") from None
    except SecurityError as e:
        raise TemplateError(f"{template}: {_part_name(tpl)} paragraph {_paragraph_of(e)}: refused unsafe template code: {e}") from None
    except jinja2.UndefinedError as e:
        raise TemplateError(f"{template}: {_part_name(tpl)} paragraph {_paragraph_of(e)}: {e.message}") from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError, ArithmeticError) as e:
        raise TemplateError(f"{template}: {_part_name(tpl)} paragraph {_paragraph_of(e)}: {type(e).__name__}: {e}") from None
    except Exception as e:  # lxml / docx structure errors from a broken template
        if type(e).__module__.startswith(("lxml", "docx")):
            raise TemplateError(f"{template}: the Word file could not be processed ({type(e).__name__}: {e})") from None
        raise
    props = tpl.docx.core_properties
    for key, value in properties.items():
        setattr(props, key, value[:255] if isinstance(value, str) else value)  # Word's limit for a property
    target.parent.mkdir(parents=True, exist_ok=True)
    tpl.save(str(target))
    from .authoring import BRAND

    if brand and brand != BRAND:
        apply_brand(target, brand)
    drop_external_links(target)
    normalise_docx(target)


def undeclared_variables(template: Path, env: SandboxedEnvironment) -> set[str]:
    """Top-level names a template uses; a broken tag is reported with its paragraph first."""
    stat = template.stat()
    check_tags(str(template), stat.st_mtime_ns, stat.st_size)
    return set(_undeclared(str(template), stat.st_mtime_ns, stat.st_size, env))


@functools.lru_cache(maxsize=512)
def check_tags(path: str, mtime: int, size: int) -> None:
    """Every paragraph must close what it opens: docxtpl silently drops the text after an unclosed '{{'."""
    from docx import Document

    try:
        doc = Document(path)
    except Exception as e:
        raise TemplateError(f"{path}: not a Word template that can be opened ({type(e).__name__}: {e})") from None
    parts = [("body", doc.paragraphs, doc.tables)]
    for section in doc.sections:
        parts += [("header", section.header.paragraphs, section.header.tables),
                  ("footer", section.footer.paragraphs, section.footer.tables)]
    for part, paragraphs, tables in parts:
        all_paragraphs = list(paragraphs)
        for table in tables:
            for row in table.rows:
                for cell in row.cells:
                    all_paragraphs += cell.paragraphs
        for number, paragraph in enumerate(all_paragraphs, 1):
            text = paragraph.text
            for opening, closing in (("{{", "}}"), ("{%", "%}"), ("{#", "#}")):
                if text.count(opening) != text.count(closing):
                    raise TemplateError(f"{path}: {part} paragraph {number}: template syntax error: '{opening}' and "
                                        f"'{closing}' do not pair up in {text.strip()[:80]!r}")


@functools.lru_cache(maxsize=512)
def _undeclared(path: str, mtime: int, size: int, env: SandboxedEnvironment) -> frozenset[str]:
    template = Path(path)
    try:
        return frozenset(Template(path).get_undeclared_template_variables(jinja_env=env))
    except jinja2.TemplateSyntaxError as e:
        raise TemplateError(f"{template}: paragraph line {e.lineno}: template syntax error: {e.message}") from None


def locate_names(template: Path, names: set[str]) -> list[str]:
    """'name (paragraph N)' for each name, from the first paragraph whose Jinja tags use it."""
    from docx import Document

    doc = Document(str(template))
    paragraphs = list(doc.paragraphs)
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs += cell.paragraphs
    tags = re.compile(r"\{[{%](.*?)[}%]\}")
    found = []
    for name in sorted(names):
        word = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
        where = next((i for i, p in enumerate(paragraphs, 1) if any(word.search(t) for t in tags.findall(p.text))), None)
        found.append(f"{name} (paragraph {where})" if where else f"{name} (header or footer)")
    return found
