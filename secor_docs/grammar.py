"""English agreement for generated text: one place for articles ("an oilfield ...") and counts ("1 drill was held").

Registered as template filters by render.make_env:
    {{ company.industry_name|lower|a }}            -> "an oilfield services" / "a janitorial"
    {{ drills|count('drill') }}                     -> "1 drill" / "3 drills"
    {{ people|length|count('person', 'people') }}   -> irregular plural
    {{ drills|agree('was', 'were') }}               -> the form that agrees with the number
"""
from __future__ import annotations

import re
from typing import Any

# Words whose spelling misleads the vowel rule: sounded vowel after a consonant letter, and the reverse.
_AN_EXCEPTIONS = ("hour", "honest", "honour", "honor", "heir")
_A_EXCEPTIONS = ("uni", "use", "usu", "uti", "one", "once", "eu", "ewe", "ure", "uro", "ubi")
_LETTER_AN = set("aefhilmnorsx")  # letters whose spoken name starts with a vowel sound (an H2S monitor, an SDS)


def article(phrase: Any) -> str:
    """'a' or 'an' for the phrase, by sound: an hour, a unit, an H2S alarm, a WHMIS label, an oilfield company."""
    text = str(phrase).strip()
    word = re.match(r"[A-Za-z0-9]+", text)
    if not word:
        return "a"
    w = word.group(0)
    lower = w.lower()
    if w[0].isalpha() and w.isupper() and 1 < len(w) <= 4:
        return "an" if lower[0] in _LETTER_AN else "a"  # initialisms are read letter by letter: an SDS, an H2S, a WCB
    if lower[0].isdigit():
        return "an" if re.match(r"(8|11|18)(\D|$)|8\d", lower) else "a"
    if lower.startswith(_AN_EXCEPTIONS):
        return "an"
    if lower.startswith(_A_EXCEPTIONS):
        return "a"
    return "an" if lower[0] in "aeiou" else "a"


def with_article(phrase: Any) -> str:
    text = str(phrase)
    return f"{article(text)} {text}" if text.strip() else text


def plural(word: str) -> str:
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def _number(value: Any) -> int:
    if isinstance(value, (list, tuple, set, dict)):
        return len(value)
    return int(value)


def count(value: Any, singular: str | None = None, many: str | None = None) -> Any:
    """'1 drill', '0 drills', '3 people' (a list counts its items); without a noun, the number (Jinja's own count)."""
    n = _number(value)
    if singular is None:
        return n
    return f"{n} {singular if n == 1 else (many or plural(singular))}"


def agree(value: Any, one: str, many: str) -> str:
    """The form that agrees with the number: agree(1, 'was', 'were') -> 'was'."""
    return one if _number(value) == 1 else many
