"""Read a YAML file into plain Python values plus a map of where every value came from."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from .errors import Problem, ProfileError
from .limits import (PROFILE_BYTES, YAML_DEPTH, YAML_EVENTS, YAML_LIST_ITEMS, YAML_VALUES, NotARegularFile,
                     read_limited)

MAX_BYTES = PROFILE_BYTES
MAX_NODES = YAML_VALUES
MAX_DEPTH = YAML_DEPTH
# XML 1.0 forbids these; a profile value holding one would corrupt every DOCX it reaches.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Path_ = tuple[str | int, ...]


@dataclass
class YamlSource:
    """A loaded YAML document: plain data and 1-based (line, col) per path."""

    file: str
    data: Any
    where: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path_) -> tuple[int | None, int | None]:
        """Position of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.where:
                return self.where[path]
            path = path[:-1]
        return self.where.get((), (1, 1))

    def problem(self, path: Path_, message: str) -> Problem:
        line, col = self.locate(path)
        return Problem(self.file, line, col, format_path(path), message)


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _keep_timestamps_as_text(constructor, node):
    # Dates stay text so that the schema, not the YAML parser, rejects 2026-13-01 with its line.
    return constructor.construct_scalar(node)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.constructor.add_constructor("tag:yaml.org,2002:timestamp", _keep_timestamps_as_text)
    return yaml


def nesting_problem(text: str | bytes, name: str, kind: str = "profile") -> Problem | None:
    """The first place where the document's shape is beyond the limits, or None: mappings and lists nested deeper
    than MAX_DEPTH, a list longer than YAML_LIST_ITEMS, more than YAML_EVENTS values in all.

    Read from the parser's event stream (libyaml's iterative parser, no recursion, about 1 ms for a real profile):
    building the nested values first would overflow the stack (a 50,000-deep list crashed the C loader with a
    segmentation fault), and 10,000 equipment items took a minute to load before the schema refused them."""
    stack: list[list] = []   # [is a list, items so far, start mark] per open mapping or list
    events = 0
    try:
        for event in YAML(typ="safe").parse(text):
            event_kind = type(event).__name__
            if event_kind in ("MappingEndEvent", "SequenceEndEvent"):
                stack.pop()
                continue
            if event_kind not in ("ScalarEvent", "AliasEvent", "MappingStartEvent", "SequenceStartEvent"):
                continue
            events += 1
            mark = event.start_mark
            if events > YAML_EVENTS:
                return Problem(name, mark.line + 1, mark.column + 1, "",
                               f"more than {YAML_EVENTS:,} values; a {kind} of an employer of 10 or fewer people has far fewer")
            if stack and stack[-1][0]:
                stack[-1][1] += 1
                if stack[-1][1] > YAML_LIST_ITEMS:
                    start = stack[-1][2]
                    return Problem(name, start.line + 1, start.column + 1, "",
                                   f"a list with more than {YAML_LIST_ITEMS:,} items; see Limits in the README")
            if event_kind in ("MappingStartEvent", "SequenceStartEvent"):
                stack.append([event_kind == "SequenceStartEvent", 0, mark])
                if len(stack) > MAX_DEPTH:
                    return Problem(name, mark.line + 1, mark.column + 1, "",
                                   f"lists and mappings nest deeper than {MAX_DEPTH} levels; a {kind} needs at most 6")
    except (YAMLError, ValueError, RecursionError, IndexError):
        return None  # not YAML at all: the full load reports it with its position
    return None


def load_yaml(path: Path, display: str | None = None, kind: str = "profile") -> YamlSource:
    """Parse `path`; raise ProfileError with a located message for anything that is not a YAML mapping.
    `kind` names the file in messages ("profile", "settings file")."""
    name = display or str(path)
    try:
        raw = read_limited(path, MAX_BYTES)
    except NotARegularFile as e:
        what = e.strerror.replace("at most", f"a {kind} may be at most").replace(" are allowed", " bytes").replace(" bytes bytes", " bytes")
        raise ProfileError([Problem(name, None, None, "", what if what.startswith("file is") else f"cannot read: {what}")]) from None
    except OSError as e:
        raise ProfileError([Problem(name, None, None, "", f"cannot read file: {e.strerror}")]) from e
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ProfileError([Problem(name, line, 1, "", "file is not UTF-8 text (binary data?)")]) from e
    if not text.strip() or all(l.strip().startswith("#") or not l.strip() for l in text.splitlines()):
        raise ProfileError([Problem(name, 1, 1, "", "file is empty; expected a profile mapping starting with 'schema_version: 1'" if kind == "profile" else f"file is empty; expected a {kind} mapping")])
    deep = nesting_problem(text, name, kind)
    if deep is not None:
        raise ProfileError([deep])
    try:
        doc = _yaml().load(text)
    except DuplicateKeyError as e:
        mark = e.problem_mark
        key = re.search(r'found duplicate key "([^"]*)"', str(e))
        what = f"duplicate key '{key.group(1)}'" if key else "duplicate key"
        raise ProfileError([Problem(name, mark.line + 1, mark.column + 1, "", f"{what}; each key may appear once")]) from e
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        msg = " ".join((e.problem or e.context or "invalid YAML").split())
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ProfileError([Problem(name, line, col, "", f"not valid YAML: {msg}")]) from e
    except ReaderError as e:  # a character YAML does not allow, such as a control character
        before = text[: e.position]
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        code = e.character if isinstance(e.character, int) else ord(str(e.character)[:1] or "?")
        raise ProfileError([Problem(name, line, col, "", f"contains the character U+{code:04X}, which a {kind} cannot hold; remove it")]) from e
    except (YAMLError, ValueError) as e:
        message = " ".join(str(e).split())
        raise ProfileError([Problem(name, None, None, "", f"not valid YAML: {message}")]) from e
    except RecursionError as e:
        raise ProfileError([Problem(name, None, None, "", f"nesting is too deep to be a {kind}")]) from e
    what = "settings" if kind == "settings file" else kind
    source = YamlSource(name, None, {(): (1, 1)})
    problems: list[Problem] = []
    source.data = _plain(doc, (), source, problems, [0])
    if problems:
        raise ProfileError(problems)
    if not isinstance(source.data, dict):
        got = type(source.data).__name__ if source.data is not None else "nothing"
        got = {"list": "a list", "str": "a single text value", "int": "a number"}.get(got, got)
        raise ProfileError([Problem(name, 1, 1, "", f"expected a mapping of {what} fields at the top level; got {got}")])
    return source


def _plain(node: Any, path: Path_, source: YamlSource, problems: list[Problem], count: list[int]) -> Any:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise ProfileError([Problem(source.file, None, None, format_path(path),
                                    f"file expands to more than {MAX_NODES:,} values (YAML alias bomb?)")])
    if len(path) > MAX_DEPTH:
        line, col = source.locate(path)
        raise ProfileError([Problem(source.file, line, col, format_path(path[:MAX_DEPTH]), f"nesting deeper than {MAX_DEPTH} levels")])
    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            child = path + (str(key),)
            try:
                line, col = node.lc.key(key)
                source.where[child] = (line + 1, col + 1)
            except (KeyError, TypeError):
                pass
            out[str(key)] = _plain(value, child, source, problems, count)
        return out
    if isinstance(node, CommentedSeq):
        out_list = []
        for i, value in enumerate(node):
            child = path + (i,)
            try:
                line, col = node.lc.item(i)
                source.where[child] = (line + 1, col + 1)
            except (KeyError, TypeError, IndexError):
                pass
            out_list.append(_plain(value, child, source, problems, count))
        return out_list
    if isinstance(node, str):
        # One spelling per name: "José" typed composed or decomposed (macOS) is the same person, site or course.
        text = unicodedata.normalize("NFC", str(node))
        bad = _XML_INVALID.search(text)
        if bad:
            problems.append(source.problem(path, f"contains the control character U+{ord(bad.group()):04X}, which documents cannot hold; remove it"))
        return text
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node
