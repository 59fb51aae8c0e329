"""Finding things by the names people type: entities by any name, with token and fuzzy matching.

A name matches when it is the same text (ignoring case, accents and punctuation), when its words
are the words typed in another order ("Department of Commerce" names the Commerce Department),
when it contains every word typed ("commerce" finds the Commerce Department and the Commerce
Entity List), or when it is a close spelling ("Comerce Department"). Small words such as "of"
and "the" are ignored.

>>> names = {"us-commerce-department": ["Commerce Department", "U.S. Commerce Department"],
...          "entity-list": ["Entity List", "Commerce Entity List"],
...          "xi-jinping": ["Xi Jinping", "Xi"]}
>>> [m.id for m in rank(names, "Department of Commerce")]
['us-commerce-department']
>>> [m.id for m in rank(names, "commerce")]
['us-commerce-department', 'entity-list']
>>> [(m.id, m.name) for m in rank(names, "Xi Jinpin")]
[('xi-jinping', 'Xi Jinping')]
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: Words that carry no meaning in a name.
STOPWORDS = frozenset({"a", "an", "and", "for", "in", "of", "on", "the", "to", "s"})
#: Matches scoring below this are not suggested.
CUTOFF = 0.6


def words(text: str) -> list[str]:
    """A name as lower-case words without accents or punctuation (hyphens and dots split).

    >>> words("People\u2019s Republic of China"), words("U.S. Commerce-Department")
    (['people', 'republic', 'china'], ['u', 'commerce', 'department'])
    """
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return [w for w in re.split(r"[^\w]+|_", plain) if w and w not in STOPWORDS]


def _word_score(typed: str, candidates: Iterable[str]) -> float:
    """How well one typed word is met by the best word of a name (1: the same or a prefix)."""
    best = 0.0
    for word in candidates:
        if word == typed or (len(typed) >= 3 and word.startswith(typed)):
            return 1.0
        ratio = difflib.SequenceMatcher(None, typed, word).ratio()
        best = max(best, ratio if ratio >= 0.8 else 0.0)
    return best


def score(typed: str, name: str) -> float:
    """How well a name matches what was typed, from 0 (not at all) to 1 (the same words).

    >>> score("Department of Commerce", "Commerce Department")
    1.0
    >>> score("commerce", "Commerce Department"), score("commerce", "Commerce Entity List")
    (0.92, 0.89)
    >>> score("france", "Commerce Department")
    0.0
    """
    return _score(words(typed), name)


def _score(want: list[str], name: str) -> float:
    have = words(name)
    if not want or not have:
        return 0.0
    if sorted(want) == sorted(have):
        return 1.0
    per_word = [_word_score(w, have) for w in want]
    if all(per_word):
        # every typed word found: the fewer other words the name has, the better
        extra = max(len(have) - len(want), 0)
        return round(sum(per_word) / len(want) * (0.95 - 0.03 * min(extra, 5)), 4)
    whole = difflib.SequenceMatcher(None, " ".join(want), " ".join(have)).ratio()
    return round(0.85 * whole, 4) if whole >= CUTOFF / 0.85 else 0.0


@dataclass(frozen=True)
class Match:
    """One thing found: its id, the name that matched, and how well (0 to 1)."""

    id: str
    name: str
    score: float


def rank(names: Mapping[str, Iterable[str]], typed: str, cutoff: float = CUTOFF) -> list[Match]:
    """Ids whose names match ``typed``, best first (ties by id), each with its best name.

    ``names`` maps each id to its names (label, aliases; the id itself is always tried).
    """
    found = []
    want = words(typed)  # once, not once per name
    for ident, known in names.items():
        candidates = [*known, ident.replace("-", " ")]
        best = max(((_score(want, n), n) for n in candidates), key=lambda p: p[0])
        if best[0] >= cutoff:
            found.append(Match(ident, best[1], best[0]))
    found.sort(key=lambda m: (-m.score, m.id))
    return found
