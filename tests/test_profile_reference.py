"""docs/profile-reference.md documents every field of the profile schema (the model others keep adding to)."""
from __future__ import annotations

import re

from conftest import ROOT

from secor_docs.model import Profile

REFERENCE = ROOT / "docs" / "profile-reference.md"


def schema_paths() -> list[str]:
    """Every field path of the JSON Schema, `[]` for list items, in schema order."""
    schema = Profile.model_json_schema()
    defs = schema.get("$defs", {})

    def resolve(node: dict) -> dict:
        while "$ref" in node:
            node = defs[node["$ref"].split("/")[-1]]
        return node

    out: list[str] = []

    def walk(node: dict, prefix: str) -> None:
        node = resolve(node)
        for variant in node.get("anyOf") or []:
            walk(variant, prefix)
        if node.get("type") == "array" and isinstance(node.get("items"), dict):
            walk(node["items"], prefix + "[]")
        for name, sub in (node.get("properties") or {}).items():
            path = f"{prefix}.{name}" if prefix else name
            if path not in out:
                out.append(path)
            walk(sub, path)

    walk(schema, "")
    return out


def documented() -> set[str]:
    return set(re.findall(r"^\| `([^`]+)` \|", REFERENCE.read_text(encoding="utf-8"), flags=re.M))


def test_every_schema_field_is_documented():
    missing = [p for p in schema_paths() if p not in documented()]
    assert not missing, ("docs/profile-reference.md has no row for these profile fields (add a table row "
                         "`| `FIELD` | type | required | meaning | example |` for each): " + ", ".join(missing))


def test_the_reference_documents_no_field_that_does_not_exist():
    stale = sorted(documented() - set(schema_paths()))
    assert not stale, f"docs/profile-reference.md documents fields the schema does not have: {', '.join(stale)}"


def test_every_row_says_what_the_field_means():
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            assert len(cells) == 5 and all(cells[:4]), f"incomplete row: {line}"
