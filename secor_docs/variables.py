"""A reference of the variables templates can use, generated from a real context rather than written by hand."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any, Iterator


def _example(value: Any) -> str:
    text = value.isoformat() if isinstance(value, date) else repr(value)
    return text if len(text) <= 70 else text[:67] + "..."


def describe(name: str, value: Any, depth: int = 0, max_depth: int = 6) -> Iterator[str]:
    """Lines `name: type = example`, following attributes and the first item of every list."""
    if isinstance(value, SimpleNamespace):
        yield f"{name}: object"
        if depth < max_depth:
            for key, child in vars(value).items():
                yield from describe(f"{name}.{key}", child, depth + 1, max_depth)
    elif isinstance(value, list):
        yield f"{name}: list ({len(value)} items in this profile)"
        if value and depth < max_depth:
            yield from describe(f"{name}[]", value[0], depth + 1, max_depth)
    elif isinstance(value, dict):
        yield f"{name}: mapping"
    else:
        yield f"{name}: {type(value).__name__} = {_example(value)}"


def reference(context: dict) -> list[str]:
    lines = []
    for key in sorted(context):
        if key in ("law",):
            refs = vars(context[key])
            lines.append(f"law: object ({len(refs)} legislation references, e.g. law.code_s7.cite, .title, .duty, .items)")
            lines.extend(f"law.{k}: {r.cite}: {r.title}" for k, r in refs.items())
            continue
        lines.extend(describe(key, context[key]))
    return lines
