"""Read a YAML file into plain Python values plus a map of where every value came from."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from .errors import Problem, ProfileError

MAX_BYTES = 2_000_000
MAX_NODES = 200_000
MAX_DEPTH = 40
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


def load_yaml(path: Path, display: str | None = None) -> YamlSource:
    """Parse `path`; raise ProfileError with a located message for anything that is not a YAML mapping."""
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ProfileError([Problem(name, None, None, "", f"cannot read file: {e.strerror}")]) from e
    if len(raw) > MAX_BYTES:
        raise ProfileError([Problem(name, None, None, "", f"file is {len(raw):,} bytes; a profile may be at most {MAX_BYTES:,} bytes")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ProfileError([Problem(name, line, 1, "", "file is not UTF-8 text (binary data?)")]) from e
    if not text.strip() or all(l.strip().startswith("#") or not l.strip() for l in text.splitlines()):
        raise ProfileError([Problem(name, 1, 1, "", "file is empty; expected a profile mapping starting with 'schema_version: 1'")])
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
        raise ProfileError([Problem(name, line, col, "", f"contains the character U+{code:04X}, which a profile cannot hold; remove it")]) from e
    except (YAMLError, ValueError) as e:
        message = " ".join(str(e).split())
        raise ProfileError([Problem(name, None, None, "", f"not valid YAML: {message}")]) from e
    except RecursionError as e:
        raise ProfileError([Problem(name, None, None, "", "nesting is too deep to be a profile")]) from e
    source = YamlSource(name, None, {(): (1, 1)})
    problems: list[Problem] = []
    source.data = _plain(doc, (), source, problems, [0])
    if problems:
        raise ProfileError(problems)
    if not isinstance(source.data, dict):
        kind = type(source.data).__name__ if source.data is not None else "nothing"
        kind = {"list": "a list", "str": "a single text value", "int": "a number"}.get(kind, kind)
        raise ProfileError([Problem(name, 1, 1, "", f"expected a mapping of profile fields at the top level; got {kind}")])
    return source


def _plain(node: Any, path: Path_, source: YamlSource, problems: list[Problem], count: list[int]) -> Any:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise ProfileError([Problem(source.file, None, None, format_path(path),
                                    f"profile expands to more than {MAX_NODES:,} values (YAML alias bomb?)")])
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
        text = str(node)
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
