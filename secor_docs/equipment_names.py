"""What an equipment name or a task name says about equipment kinds: whole-word phrase matching over the kinds'
`name_words` and `task_words` (data/equipment.yaml). Pure functions; `lint` and `obligations` use them."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .library import EquipmentKind, Library


def _tokens(text: str) -> list[str]:
    """Lower-case words, hyphens and punctuation as spaces, a plural -s dropped ('Two-Post Hoists' -> two post hoist)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words]


def _spans(phrase: str, words: list[str]) -> list[tuple[int, int]]:
    want = _tokens(phrase)
    n = len(want)
    return [(i, i + n) for i in range(len(words) - n + 1) if n and words[i:i + n] == want]


def phrase_in(phrase: str, text: str) -> bool:
    """True when the phrase occurs in the text as whole words: 'two post' is in 'Lifting cars on the two-post hoists'."""
    return bool(_spans(phrase, _tokens(text)))


def task_words(key: str, kind: EquipmentKind) -> list[str]:
    """Words in a task name that mean the kind: its task words (else its key, "skid steer") and its other names."""
    return [*(kind.task_words or [key.replace("_", " ")]), *kind.names]


def task_uses(task_name: str, item_name: str, key: str, kind: EquipmentKind) -> bool:
    """A task uses an item of equipment when it names the item or one of its kind's task words."""
    return phrase_in(item_name, task_name) or any(phrase_in(w, task_name) for w in task_words(key, kind))


@dataclass(frozen=True)
class KindHint:
    kind: str       # the kind the name points to
    word: str       # the word in the name that points there


def name_kinds(name: str, library: Library) -> list[KindHint]:
    """Kinds an equipment name points to, most specific first. A match inside a longer match of another kind does not
    count ('truck' inside 'lift truck', 'trailer' inside 'gooseneck trailer')."""
    words = _tokens(name)
    found: list[tuple[tuple[int, int], str, str]] = []
    for key, kind in library.equipment.items():
        for w in [*kind.name_words, *kind.names]:
            found += [(span, key, w) for span in _spans(w, words)]

    def covered(a: tuple[int, int], key: str) -> bool:
        return any(k != key and b[0] <= a[0] and a[1] <= b[1] and (b[1] - b[0]) > (a[1] - a[0]) for b, k, _ in found)

    kept = [(span, key, w) for span, key, w in found if not covered(span, key)]
    kept.sort(key=lambda f: (-(f[0][1] - f[0][0]), f[0][0]))
    out: list[KindHint] = []
    for _, key, w in kept:
        if all(h.kind != key for h in out):
            out.append(KindHint(key, w))
    return out


def kind_mismatch(name: str, kind: str, library: Library) -> KindHint | None:
    """The likelier kind when the name has another kind's words and none of the given kind's, else None."""
    hints = name_kinds(name, library)
    if not hints or any(h.kind == kind for h in hints):
        return None
    return hints[0]
