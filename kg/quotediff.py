"""Say exactly how a quote differs from its article when the difference cannot be seen.

A quote copied from a browser often differs from the verbatim text only in characters that
look alike or show nothing: a no-break space for a space, a soft hyphen, curly for straight
quotes, a dash for a hyphen, CR LF for LF. :func:`invisible_difference` finds the quote in the
text with those differences ignored and names each one (character, code point, offset).

kg does not normalise either side: the article text is evidence and stays verbatim (only a
byte-order mark at its very start is dropped, see kg.curation), and a quote must match it
exactly; this module only explains a mismatch.

>>> diff = invisible_difference("The IFS\\u00a0operates.", "IFS operates", 0)
>>> diff.start, diff.span
(4, 'IFS\\xa0operates')
>>> print(diff.differences[0])
at offset 7 the text has '\\xa0' (U+00A0 NO-BREAK SPACE) where the quote has ' ' (U+0020 SPACE)
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

from kg.lint import char_name

#: What a character counts as when looking past invisible differences ("" = nothing).
_LOOKALIKE = {
    "\u00ad": "",  # soft hyphen
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
    "\r": "",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
}


def _fold(ch: str) -> str:
    if ch in _LOOKALIKE:
        return _LOOKALIKE[ch]
    if (ch != " " and unicodedata.category(ch) == "Zs") or ch in "\t\u2028\u2029\x85":
        return " "
    return ch


@dataclass(frozen=True)
class QuoteDifference:
    """Where the quote is in the text once invisible differences are ignored, and what differs."""

    start: int
    span: str  # the text's exact characters there
    differences: list[str]


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` with look-alike characters folded, and each folded character's offset."""
    chars: list[str] = []
    where: list[int] = []
    for index, ch in enumerate(text):
        for part in _fold(ch):
            chars.append(part)
            where.append(index)
    return "".join(chars), where


def invisible_difference(text: str, quote: str, near: int) -> QuoteDifference | None:
    """The occurrence of ``quote`` in ``text`` closest to ``near`` when characters that look
    alike or show nothing are ignored, with every difference named; None if there is none."""
    folded_quote, _ = _folded(quote)
    if not folded_quote:
        return None
    folded_text, where = _folded(text)
    hits: list[int] = []
    at = folded_text.find(folded_quote)
    while at >= 0 and len(hits) < 1000:
        hits.append(at)
        at = folded_text.find(folded_quote, at + 1)
    if not hits:
        return None
    best = min(hits, key=lambda hit: abs(where[hit] - near))
    start, end = where[best], where[best + len(folded_quote) - 1] + 1
    span = text[start:end]
    differences = []
    matcher = difflib.SequenceMatcher(None, span, quote, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        ours = ", ".join(char_name(ch) for ch in span[i1:i2])
        theirs = ", ".join(char_name(ch) for ch in quote[j1:j2])
        if tag == "replace":
            differences.append(
                f"at offset {start + i1} the text has {ours} where the quote has {theirs}"
            )
        elif tag == "delete":
            differences.append(
                f"at offset {start + i1} the text has {ours}, the quote leaves it out"
            )
        else:
            differences.append(
                f"at offset {start + i1} the quote has {theirs}, which the text does not"
            )
    return QuoteDifference(start, span, differences)


def yaml_quoted(text: str) -> str:
    """A YAML double-quoted scalar for ``text``, with every character that cannot be seen
    written as an escape, so the curator can paste the exact text.

    >>> print(yaml_quoted('say "hi"\\u00a0now'))
    "say \\"hi\\"\\u00a0now"
    """
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == " " or (ch.isprintable() and unicodedata.category(ch) not in ("Zs", "Cf")):
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'
