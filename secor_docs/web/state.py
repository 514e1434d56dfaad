"""What the app shows about a company: validation mapped to form fields, the last build, gaps and readiness.

Validation is `validate`'s own: plan_build (the profile loader and its rules), the lint and the program warnings."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..errors import ProfileError, SecorError
from ..evidence import EVIDENCE
from ..manifest import MANIFEST, confined
from ..outputs import slugify
from .editing import parse_path, section_of


@dataclass(frozen=True)
class Message:
    path: tuple            # profile path, () when the problem is about the whole file
    text: str              # plain words
    line: int | None = None

    @property
    def where(self) -> str:
        from ..yamlsource import format_path
        return format_path(self.path)

    @property
    def section(self) -> str:
        return section_of(self.path)


@dataclass
class Validation:
    errors: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)
    plan: object | None = None

    @property
    def valid(self) -> bool:
        return not self.errors


_PLAIN = [(re.compile(r" \(put it in quotes\)"), ""), (re.compile(r"^required field is missing$"), "this is required"),
          (re.compile(r" \(secor-docs list (\w+)\)"), "")]


def plain_words(message: str) -> str:
    for pattern, repl in _PLAIN:
        message = pattern.sub(repl, message)
    return message[:1].upper() + message[1:]


_LINT = re.compile(r"^.*?:(\d+):\d+: warning: ([A-Za-z_][\w\[\].]*): (.*)$")


def validate(path: Path, as_of: date | None) -> Validation:
    from ..facts import ineligibility_message
    from ..lint import lint
    from ..pipeline import plan_build

    result = Validation()
    try:
        plan = plan_build(path, as_of, allow_ineligible=True)
    except ProfileError as e:
        result.errors = [Message(parse_path(p.path), plain_words(p.message), p.line) for p in e.problems]
        return result
    except SecorError as e:
        result.errors = [Message((), line) for line in e.lines()]
        return result
    result.plan = plan
    for line in lint(plan.loaded, plan.facts, plan.built):
        m = _LINT.match(line)
        result.warnings.append(Message(parse_path(m.group(2)), plain_words(m.group(3)), int(m.group(1))) if m
                               else Message((), line))
    result.warnings += [Message((), plain_words(str(w))) for w in plan.facts.warnings]
    if not plan.facts.eligible:
        result.errors.append(Message(("people",), ineligibility_message(plan.facts)))
    return result


def by_field(messages: list[Message], rendered: set[tuple]) -> dict[str, list[str]]:
    """Each message under the most specific field, row or section the page shows for its path."""
    out: dict[str, list[str]] = {}
    from ..yamlsource import format_path
    for m in messages:
        path = m.path
        while path and path not in rendered:
            path = path[:-1]
        out.setdefault(format_path(path), []).append(m.text)
    return out


# ---- the last build -------------------------------------------------------------------------------------------

def read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def legal_name(path: Path) -> str | None:
    """The company name straight from the file (also when it does not validate)."""
    from ruamel.yaml import YAML
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        name = data["company"]["legal_name"]
    except Exception:  # noqa: BLE001 - any unreadable profile simply has no name yet
        return None
    return name if isinstance(name, str) and name.strip() else None


@dataclass
class LastBuild:
    folder: Path
    manifest: dict
    built_at: datetime

    @property
    def documents(self) -> list[dict]:
        return list(self.manifest.get("documents") or [])

    @property
    def pages(self):
        return (self.manifest.get("binder") or {}).get("pages")

    @property
    def warnings(self) -> list[dict]:
        """Manifest warnings as {message, severity?, code?, action?, owner?, due?, documents?}, whatever their form."""
        out = []
        for w in self.manifest.get("warnings") or []:
            if isinstance(w, dict):
                out.append({**w, "message": str(w.get("message") or w.get("text") or w)})
            else:
                out.append({"message": str(w)})
        return out

    def file(self, key: str) -> str | None:
        rel = (self.manifest.get("binder") or {}).get(key) if key in ("pdf", "docx") else self.manifest.get(key)
        if isinstance(rel, dict):
            rel = rel.get("csv")
        if isinstance(rel, str) and confined(rel) and (self.folder / rel).is_file():  # never a path out of the build
            return rel
        return None

    def changes(self) -> str:
        try:
            return (self.folder / "CHANGES.md").read_text(encoding="utf-8")
        except OSError:
            return ""

    def revised(self) -> list[dict]:
        return [d for d in self.documents if (d.get("revision") or 1) > 1]


def last_build(out: Path, slug: str) -> LastBuild | None:
    folder = out / slug
    manifest = read_json(folder / MANIFEST)
    if manifest is None:
        return None
    return LastBuild(folder, manifest, datetime.fromtimestamp((folder / MANIFEST).stat().st_mtime))


def evidence_folder(out: Path, slug: str) -> Path:
    return out / slug / EVIDENCE


def readiness_of(path: Path, evidence: Path, as_of: date | None):
    """`check`'s report, or None before the first build made the evidence folders."""
    from ..pipeline import check_readiness

    if not evidence.is_dir():
        return None
    try:
        return check_readiness(path, evidence, as_of)
    except SecorError:
        return None


def slug_for(path: Path) -> str | None:
    name = legal_name(path)
    return slugify(name) if name else None


def human_path(path: tuple, data) -> str:
    """people[2].first_aid.level -> "People › Sam Ortiz › First aid certificate › Level"."""
    from .editing import LABELS, sections

    titles = {keys[0]: label for _, label, keys in sections() if len(keys) == 1}
    words, node = [], data
    for i, part in enumerate(path):
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            name = next((str(item[k]) for k in ("name", "title", "course", "id") if isinstance(item, dict) and item.get(k)), None)
            words.append(name or f"item {part + 1}")
            node = item
        else:
            words.append(titles.get(part, part) if i == 0 else LABELS.get(part, part.replace("_", " ").capitalize()))
            node = node.get(part) if isinstance(node, dict) else None
    return " › ".join(words)
