"""Adding the next article: ``kg ingest`` copies it in and drafts its claims for review.

The draft (``data/claims/<id>.yaml``) lists every mention of a known entity (found through labels
and aliases, tolerant of case, punctuation and curly apostrophes, with character offsets), the
capitalised names that match no entity, and one commented-out candidate claim per pair of entities
named in one sentence, with the predicates the ontology allows between their types. Its first line
marks it as a draft, so ``kg build`` refuses it until a person has reviewed it.

>>> text = "The U.S. removed the IFS. It is part of China\\u2019s Ministry of Public Security."
>>> names = {"united-states": ["United States", "US"], "ifs": ["IFS"],
...          "mps": ["Ministry of Public Security"], "china": ["China"]}
>>> for m in find_mentions(text, names):
...     print(m.start, m.end, m.surface, m.entities)
4 8 U.S. ('united-states',)
21 24 IFS ('ifs',)
40 45 China ('china',)
48 75 Ministry of Public Security ('mps',)
>>> [text[s.start:s.end] for s in split_sentences(text)]
['The U.S. removed the IFS.', 'It is part of China\\u2019s Ministry of Public Security.']
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from kg.curation import DEFAULT_MAX_BYTES, DRAFT_MARKER, MAX_ARTICLE_BYTES, load_entities
from kg.errors import KgError
from kg.graph import CLAIMS_QUERY, claim_rows
from kg.model import DateValue, Entity
from kg.ontology import (
    ARTICLE_ID_PATTERN,
    BASE_IRI,
    Ontology,
    article_iri,
    default_root,
    load_ontology,
)
from kg.sparql import run_query
from kg.yamlfile import YList, parse_yaml

if TYPE_CHECKING:
    import pyoxigraph as ox

LANGUAGE_PATTERN = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Lower-case words allowed inside a capitalised name ("Ministry of Public Security").
CONNECTORS = _words("of for de del la le van von bin al da di du")
#: Capitalised words that do not start or end a name (sentence openers, pronouns, calendar words).
NOT_NAMES = _words(
    "a an the this that these those there here it its he she we they i you his her their our my "
    "your in on at of for to from by with against about into between under over after before "
    "during since until while when where but and or so if as though although because yet also "
    "then now however meanwhile still "
    "thus what who which why how all some many most several other another each every no not one "
    "said says say according monday tuesday wednesday thursday friday saturday sunday today "
    "yesterday tomorrow january february march april may june july august september october "
    "november december source photo image read more related file"
)
#: Titles dropped before a name ("President Joe Biden" -> "Joe Biden").
TITLES = _words(
    "president vice secretary minister spokesman spokeswoman spokesperson chairman director "
    "general senator governor mayor ambassador prime mr mrs ms dr former"
)
#: Single capitalised words too generic to be a name on their own.
GENERIC_WORDS = TITLES | _words(
    "ministry department government official officials leader leaders state house senate "
    "administration agency institute office bureau commission committee council court"
)
ABBREVIATIONS = _words(
    "mr mrs ms dr st gen sen rep gov lt col capt sgt jr sr vs etc no nos inc co corp ltd jan feb "
    "mar apr jun jul aug sep sept oct nov dec mt ft"
)
_SENTENCE_END = re.compile("[.!?\u2026]+[\"'\u201d\u2019\u00bb)\\]]*(?=\\s)")
_LINE_BREAKS = {"\x85", "\u2028", "\u2029"}


class IngestError(KgError):
    """An article cannot be ingested; nothing under ``data/`` was changed."""


# --- text: tokens, names, mentions, sentences -------------------------------------------------


@dataclass(frozen=True)
class Token:
    """A word of a text: its folded form, its cased form and its character span."""

    norm: str
    cased: str
    start: int
    end: int


@cache
def _fold(ch: str) -> tuple[tuple[str, str], ...]:
    """(lower, cased) characters for one character: accents dropped, compatibility forms split."""
    parts = [
        c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c) and c.isalnum()
    ] or [ch]
    return tuple((low if len(low := c.lower()) == 1 else c, c) for c in parts)


#: A word: letters and digits, or single letters joined by periods ("U.S.", with its last period).
_WORD = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]\.?(?!\w)|[^\W_]+")


def tokenize(text: str) -> list[Token]:
    """Split text into words, ignoring case, accents and punctuation between words.

    Letters joined by periods form one word ("U.S." is the word ``us``, ending after its last
    period); apostrophes, hyphens and other punctuation separate words.

    >>> [(t.norm, t.cased, t.start, t.end) for t in tokenize("U.S.-China\\u2019s Caf\\u00e9")]
    [('us', 'US', 0, 4), ('china', 'China', 5, 10), ('s', 's', 11, 12), ('cafe', 'Cafe', 13, 17)]
    """
    return list(_tokenize(text))


@lru_cache(maxsize=8)
def _tokenize(text: str) -> tuple[Token, ...]:
    tokens = []
    for match in _WORD.finditer(text):
        word = match.group().replace(".", "")
        if word.isascii():
            norm, cased = word.lower(), word
        else:
            pairs = [pair for ch in word for pair in _fold(ch)]
            norm, cased = "".join(p[0] for p in pairs), "".join(p[1] for p in pairs)
        tokens.append(Token(norm, cased, match.start(), match.end()))
    return tuple(tokens)


def _is_acronym(word: str) -> bool:
    return len(word) > 1 and word.isalpha() and word.isupper()


@dataclass(frozen=True)
class Mention:
    """A span of the text naming one known entity (or several, when they share the name)."""

    start: int
    end: int
    surface: str
    entities: tuple[str, ...]


def find_mentions(text: str, names: Mapping[str, Iterable[str]]) -> list[Mention]:
    """Every mention of a known name in ``text``, in order of position (longer first).

    ``names`` maps an entity id to its label and aliases. Case, accents, curly or straight
    apostrophes and periods in abbreviations do not matter, except that an all-capital word of a
    name (an acronym such as "US" or "WHO") only matches capitals, so "us" is not the US.

    A name inside a longer name of another entity is a mention too ("China" in "China's
    Ministry of Public Security"); inside a longer name of the same entity it is not.

    >>> found = find_mentions("Talks with us, the US and the u.s.", {"usa": ["U.S."]})
    >>> [(m.start, m.surface) for m in found]
    [(19, 'US')]
    >>> names = {"mps": ["Ministry of Public Security"], "china": ["China"], "x": ["Public"]}
    >>> [m.surface for m in find_mentions("the china ministry of public security", names)]
    ['china', 'ministry of public security', 'public']
    """
    index: dict[tuple[str, ...], dict[str, list[tuple[str, ...]]]] = {}
    longest = 0
    for entity_id, entity_names in names.items():
        for name in entity_names:
            words = tokenize(name)
            if not words:
                continue
            key = tuple(w.norm for w in words)
            cased = tuple(w.cased if _is_acronym(w.cased) else "" for w in words)
            index.setdefault(key, {}).setdefault(entity_id, []).append(cased)
            longest = max(longest, len(key))
    tokens = tokenize(text)
    norms = [t.norm for t in tokens]
    firsts = {key[0] for key in index}
    found: dict[int, list[tuple[int, frozenset[str]]]] = {}  # first token -> (size, ids)
    for i in range(len(tokens)):
        if norms[i] not in firsts:
            continue
        for size in range(min(longest, len(tokens) - i), 0, -1):
            forms_by_id = index.get(tuple(norms[i : i + size]))
            span = tokens[i : i + size]
            if not forms_by_id or any(
                b.start - a.end > 3 or "\n" in text[a.end : b.start]
                for a, b in itertools.pairwise(span)
            ):
                continue
            ids = frozenset(
                entity_id
                for entity_id, forms in forms_by_id.items()
                if any(
                    all(not want or want == t.cased for want, t in zip(form, span, strict=True))
                    for form in forms
                )
            )
            if ids:
                found.setdefault(i, []).append((size, ids))
    mentions: list[Mention] = []
    for i in sorted(found):
        for size, ids in found[i]:
            inside_same = any(
                j <= i and i + size <= j + other and other > size and ids <= other_ids
                for j in range(max(0, i - longest + 1), i + 1)
                for other, other_ids in found.get(j, ())
            )
            if not inside_same:
                start, end = tokens[i].start, tokens[i + size - 1].end
                mentions.append(Mention(start, end, text[start:end], tuple(sorted(ids))))
    return mentions


@dataclass(frozen=True)
class Span:
    """A sentence (or heading line) of a text: ``text[start:end]``, without outer whitespace."""

    start: int
    end: int


def split_sentences(text: str) -> list[Span]:
    """Sentences of a text: split at line breaks and at ., ! or ? followed by space.

    Abbreviations ("Mr.", "U.S.") do not end a sentence.

    >>> t = "Mr. Blinken met U.S. officials. They agreed!\\nNew line"
    >>> [t[s.start:s.end] for s in split_sentences(t)]
    ['Mr. Blinken met U.S. officials.', 'They agreed!', 'New line']
    """
    spans: list[Span] = []
    for line in re.finditer(r"[^\n\r\x85\u2028\u2029]+", text):
        cut = line.start()
        for end in _SENTENCE_END.finditer(text, line.start(), line.end()):
            before = re.search(r"(\w+)\.$", text[cut : end.start() + 1])
            if text[end.start()] == "." and before:
                word = before.group(1)
                abbreviated = re.search(r"(?:^|[^\w.])(?:\w\.)+$", text[cut : end.start() + 1])
                if word.lower() in ABBREVIATIONS or (len(word) == 1 and abbreviated):
                    continue
            spans.append(Span(cut, end.end()))
            cut = end.end()
        spans.append(Span(cut, line.end()))
    trimmed = []
    for span in spans:
        piece = text[span.start : span.end]
        stripped = piece.strip()
        if stripped:
            start = span.start + len(piece) - len(piece.lstrip())
            trimmed.append(Span(start, start + len(stripped)))
    return trimmed


def group_by_sentence(sentences: Sequence[Span], starts: Iterable[int]) -> list[list[int]]:
    """For each sentence, the indexes of the offsets in ``starts`` that fall inside it.

    >>> group_by_sentence([Span(0, 5), Span(7, 9)], [1, 6, 8, 3])
    [[0, 3], [2]]
    """
    bounds = [s.start for s in sentences]
    groups: list[list[int]] = [[] for _ in sentences]
    for index, at in enumerate(starts):
        k = bisect.bisect_right(bounds, at) - 1
        if k >= 0 and at < sentences[k].end:
            groups[k].append(index)
    return groups


def _outside(tokens: Sequence[Token], spans: Iterable[tuple[int, int]]) -> list[bool]:
    """For each token (in text order), whether it overlaps none of the spans."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    result, k = [], 0
    for token in tokens:
        while k < len(merged) and merged[k][1] <= token.start:
            k += 1
        result.append(not (k < len(merged) and merged[k][0] < token.end))
    return result


@dataclass(frozen=True)
class CandidateName:
    """A capitalised name that matches no known entity: how often and where it first occurs."""

    name: str
    count: int
    first: int


def _is_headline(line: str) -> bool:
    """Whether a line is a Title Case heading (most longer words capitalised, no final period).

    >>> _is_headline("US Lifts Sanctions on Chinese Institute"), _is_headline("The US lifts it.")
    (True, False)
    """
    words = [t.cased for t in tokenize(line) if len(t.norm) > 3 and t.cased.isalpha()]
    capitalised = sum(w[0].isupper() for w in words)
    return not line.endswith(".") and len(words) >= 3 and capitalised >= 0.7 * len(words)


def candidate_names(text: str, mentions: Sequence[Mention] = ()) -> list[CandidateName]:
    """Runs of capitalised words outside known mentions, most frequent first.

    >>> text = "Secretary Gina Raimondo spoke. Raimondo met the Ministry of Commerce on Monday."
    >>> [(c.name, c.count) for c in candidate_names("Xi Meets Biden In Woodside\\n" + text)]
    [('Gina Raimondo', 1), ('Ministry of Commerce', 1)]
    >>> [(c.name, c.count) for c in candidate_names(text)]
    [('Gina Raimondo', 1), ('Ministry of Commerce', 1)]
    """
    sentences = split_sentences(text)
    sentence_starts = {s.start for s in sentences}
    headlines = [(s.start, s.end) for s in sentences if _is_headline(text[s.start : s.end])]
    covered = [(m.start, m.end) for m in mentions] + headlines
    found: dict[str, CandidateName] = {}

    def flush(run: list[Token]) -> None:
        while run and (run[-1].norm in CONNECTORS or run[-1].norm in NOT_NAMES):
            run.pop()
        while run and (
            run[0].norm in NOT_NAMES
            or run[0].norm in CONNECTORS
            or (run[0].norm in TITLES and len(run) > 1 and run[1].norm not in CONNECTORS)
        ):
            run.pop(0)
        if not run or all(t.norm in NOT_NAMES for t in run):
            return
        if len(run) == 1 and (
            run[0].start in sentence_starts or run[0].norm in GENERIC_WORDS or len(run[0].norm) < 2
        ):
            return
        name = text[run[0].start : run[-1].end]
        seen = found.get(name)
        found[name] = CandidateName(
            name, seen.count + 1 if seen else 1, seen.first if seen else run[0].start
        )

    run: list[Token] = []
    tokens = tokenize(text)
    for token, outside in zip(tokens, _outside(tokens, covered), strict=True):
        inside = not outside
        capital = token.cased[:1].isupper()
        gap = text[run[-1].end : token.start] if run else " "
        joins = gap in (" ", "\u2019", "'") and token.start not in sentence_starts
        if inside or not joins or not (capital or token.norm in CONNECTORS):
            flush(run)
            run = []
        if not inside and (capital or (run and token.norm in CONNECTORS)):
            run.append(token)
    flush(run)
    return sorted(found.values(), key=lambda c: (-c.count, c.first))


# --- candidate claims ---------------------------------------------------------------------------

#: Words that show a sentence reports someone's statement.
SPEECH_CUES = _words("said says told tells stated announced added according noted argued warned")
#: At most this many full candidate claims per sentence; the other pairs get one line each.
MAX_CLAIMS_PER_SENTENCE = 6


def _stem(word: str) -> str:
    """A crude English stem, enough to match "removed" with "remove" and "lists" with "list".

    >>> [_stem(w) for w in ("removed", "remove", "Listed", "lists", "sanctions", "shipping")]
    ['remov', 'remov', 'list', 'list', 'sanction', 'shipp']
    """
    word = word.lower()
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _stems(text: str) -> set[str]:
    return {_stem(t.norm) for t in tokenize(text) if len(t.norm) > 2 and t.norm not in NOT_NAMES}


def predicate_cues(ontology: Ontology, name: str) -> frozenset[str]:
    """Word stems that suggest a predicate: its label and the phrases its comment quotes.

    >>> sorted(predicate_cues(load_ontology(), "delisted"))
    ['delist', 'lift', 'list', 'remov', 'sanction']
    """
    pred = ontology.predicates[name]
    quoted = re.findall(r"[\"\u201c]([^\"\u201d]+)[\"\u201d]", pred.comment)
    return frozenset(_stems(" ".join([pred.label, *quoted])))


@dataclass(frozen=True)
class CandidateClaim:
    """A subject and an object named in one sentence, and the predicates allowed between them.

    ``predicates`` come best first: those whose cue words occur in the sentence, then the most
    specific domain and range. ``cued`` tells whether the best one has a cue in the sentence.
    """

    subject: str
    object: str
    predicates: tuple[str, ...]
    quote: str
    start: int
    cued: bool = False
    score: int = 0
    speaker: str | None = None


@dataclass(frozen=True)
class SentenceCandidates:
    """A sentence naming two or more entities, and its candidate claims, best first."""

    span: Span
    entities: tuple[str, ...]
    claims: tuple[CandidateClaim, ...]


def allowed_predicates(ontology: Ontology, subject_type: str, object_type: str) -> list[str]:
    """Object properties whose domain and range admit the two types, most specific first.

    >>> allowed_predicates(load_ontology(), "Person", "Organization")[:2]
    ['spokespersonOf', 'headOf']
    """
    fits = [
        p
        for p in ontology.predicates.values()
        if p.kind == "object"
        and ontology.is_subclass(subject_type, p.domain)
        and ontology.is_subclass(object_type, p.range)
    ]
    depth = {name: len(ancestors) for name, ancestors in ontology.ancestors.items()}
    fits.sort(key=lambda p: (-(depth.get(p.domain, 0) + depth.get(p.range, 0)), p.name))
    return [p.name for p in fits]


def candidate_claims(
    text: str, mentions: Sequence[Mention], entities: Mapping[str, Entity], ontology: Ontology
) -> list[SentenceCandidates]:
    """Each sentence naming two or more entities, with every pair of them ranked.

    A pair is scored by the cue words of its best predicate found between (or just around) its
    two closest mentions, outside any mention; then by subject-before-object order and by
    closeness. Each pair appears once, in its better-scored direction.
    """
    cues = {name: predicate_cues(ontology, name) for name in ontology.predicates}
    speech = {_stem(w) for w in SPEECH_CUES}
    tokens = tokenize(text)
    sentences = split_sentences(text)
    mentions_in = group_by_sentence(sentences, (m.start for m in mentions))
    tokens_in = group_by_sentence(sentences, (t.start for t in tokens))
    result = []
    for sentence, mention_indexes, token_indexes in zip(
        sentences, mentions_in, tokens_in, strict=True
    ):
        inside = [mentions[k] for k in mention_indexes]
        ids = tuple(dict.fromkeys(i for m in inside for i in m.entities))
        if len(ids) < 2:
            continue
        quote = text[sentence.start : sentence.end]
        words = [
            (t.start, _stem(t.norm))
            for t in (tokens[k] for k in token_indexes)
            if len(t.norm) > 2
            and t.norm not in NOT_NAMES
            and not any(m.start <= t.start < m.end for m in inside)
        ]
        spans = {i: [m for m in inside if i in m.entities] for i in ids}
        speakers = [i for i in ids if ontology.is_subclass(entities[i].type, "Person")]
        speaking = any(stem in speech for _, stem in words)
        best: dict[frozenset[str], CandidateClaim] = {}
        for subject, obj in itertools.permutations(ids, 2):
            allowed = allowed_predicates(ontology, entities[subject].type, entities[obj].type)
            if not allowed:
                continue
            a, b = min(
                itertools.product(spans[subject], spans[obj]),
                key=lambda ab: max(ab[0].start, ab[1].start) - min(ab[0].end, ab[1].end),
            )
            low, high = min(a.start, b.start) - 30, max(a.end, b.end) + 30
            near = {stem for at, stem in words if low <= at < high}
            hits = {p: len(cues[p] & near) for p in allowed}
            ranked = sorted(allowed, key=lambda p: -hits[p])  # stable: keeps specificity order
            gap = max(0, max(a.start, b.start) - min(a.end, b.end))
            score = hits[ranked[0]] * 1000 + (500 if a.start < b.start else 0) - min(gap, 499)
            speaker = next((p for p in speakers if p not in (subject, obj) and speaking), None)
            claim = CandidateClaim(
                subject,
                obj,
                tuple(ranked),
                quote,
                sentence.start,
                hits[ranked[0]] > 0,
                score,
                speaker,
            )
            pair = frozenset((subject, obj))
            if pair not in best or claim.score > best[pair].score:
                best[pair] = claim
        ranked_claims = sorted(best.values(), key=lambda c: -c.score)
        result.append(SentenceCandidates(sentence, ids, tuple(ranked_claims)))
    return result


# --- the draft ---------------------------------------------------------------------------------


def yaml_quoted(value: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly ``value``.

    >>> print(yaml_quoted('He said \\u201cno\\u201d \\\\ "yes"\\u2028'))
    "He said \u201cno\u201d \\\\ \\"yes\\"\\u2028"
    """
    out = []
    for ch in value:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif (
            code < 0x20
            or 0x7F <= code <= 0x9F
            or ch in _LINE_BREAKS
            or ch == "\ufeff"
            or 0xD800 <= code <= 0xDFFF
            or code in (0xFFFE, 0xFFFF)
        ):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


@dataclass
class DraftSummary:
    """What a draft lists: mentions, candidate entity names, and sentences with candidates."""

    mentions: list[Mention]
    candidate_names: list[CandidateName]
    sentences: list[SentenceCandidates]

    @property
    def candidate_claims(self) -> list[CandidateClaim]:
        """The claims written out in full (commented) in the draft."""
        return [c for s in self.sentences for c in _shown_claims(s)]


def _shown_claims(sentence: SentenceCandidates) -> list[CandidateClaim]:
    """The claims of a sentence written out in full: every cued pair (up to a limit), else the
    best pair."""
    cued = [c for c in sentence.claims if c.cued][:MAX_CLAIMS_PER_SENTENCE]
    return cued or list(sentence.claims[:1])


def render_draft(
    article_id: str,
    text: str,
    entities: Mapping[str, Entity],
    ontology: Ontology,
    *,
    source_name: str = "",
) -> tuple[str, DraftSummary]:
    """The text of ``data/claims/<id>.yaml`` for a new article, and what it lists."""
    names = {e.id: e.names for e in entities.values()}
    mentions = find_mentions(text, names)
    summary = DraftSummary(
        mentions,
        candidate_names(text, mentions),
        candidate_claims(text, mentions, entities, ontology),
    )
    mentioned = {i for m in mentions for i in m.entities}
    lines = [
        f"{DRAFT_MARKER} — written by `kg ingest`; `kg build` refuses this file until reviewed.",
        "#",
        f"# Article {article_id}{f' (from {source_name})' if source_name else ''}: "
        f"data/articles/{article_id}.txt, {len(text):,} characters.",
        "# To finish it:",
        "#   1. check this article's record at the end of data/articles.yaml (title, outlet,",
        "#      date);",
        "#   2. add the candidate entities that matter to data/entities.yaml;",
        "#   3. uncomment the claims the article supports: keep ONE predicate, shorten the quote",
        "#      to the words that support the claim and set `start` to its character offset; add",
        "#      attributed_to / date / valid_from / certainty where the text says so",
        "#      (see data/README.md);",
        "#   4. delete the first line of this file, then run `kg validate`.",
        "#",
        f"# Known entities mentioned ({len(mentions)} mentions of {len(mentioned)} entities; "
        'offset "text" -> entity):',
    ]
    for m in mentions:
        note = " (ambiguous: pick one)" if len(m.entities) > 1 else ""
        lines.append(f"#   @{m.start} {yaml_quoted(m.surface)} -> {' | '.join(m.entities)}{note}")
    lines += [
        "#",
        f"# Candidate entities ({len(summary.candidate_names)} capitalised names that match no "
        "entity; add those that matter, or add an alias to an existing entity):",
    ]
    for c in summary.candidate_names:
        lines.append(f"#   {yaml_quoted(c.name)} x{c.count}, first @{c.first}")
    shown = summary.candidate_claims
    lines += [
        "#",
        f"# Candidate claims ({len(shown)} in {len(summary.sentences)} sentences naming two or "
        "more entities; the first predicate is the best guess, the others follow):",
    ]
    for sentence in summary.sentences:
        lines += [
            "",
            f"# --- sentence @{sentence.span.start}: "
            + ", ".join(f"{i} ({entities[i].type})" for i in sentence.entities),
        ]
        full = _shown_claims(sentence)
        for claim in full:
            others = ", ".join(claim.predicates[1:])
            lines += [
                f"# - subject: {claim.subject}",
                f"#   predicate: {claim.predicates[0]}" + (f"  # or: {others}" if others else ""),
                f"#   object: {claim.object}",
                f"#   quote: {yaml_quoted(claim.quote)}",
                f"#   start: {claim.start}",
            ]
            if claim.speaker:
                lines.append(f"#   attributed_to: {claim.speaker}  # if it is their statement")
        rest = [c for c in sentence.claims if c not in full]
        if rest:
            pairs = ", ".join(f"{c.subject} -> {c.object}" for c in rest)
            lines.append(f"#   other pairs (no cue word in the sentence): {pairs}")
    return "\n".join(lines) + "\n", summary


# --- ingest ------------------------------------------------------------------------------------


@dataclass
class IngestReport:
    """What ``kg ingest`` wrote."""

    id: str
    characters: int
    sha256: str
    article_path: Path
    claims_path: Path
    articles_yaml: Path
    title: str
    title_guessed: bool
    draft: DraftSummary = field(repr=False)


def read_article(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[bytes, str]:
    """The bytes and text of an article file, refusing what cannot be a UTF-8 news text."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(
            f"{path}: no such file"
            if not path.exists()
            else f"{path}: not a regular file — give the path of a .txt article"
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise IngestError(
            f"{path}: file is {size:,} bytes, over the {max_bytes:,}-byte limit — "
            "is it really one article? If so, pass --max-bytes "
            f"{size} (at most {MAX_ARTICLE_BYTES:,})"
        )
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(
            f"{path}: file is empty"
            + (" (only whitespace)" if data else "")
            + " — nothing to ingest"
        )
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise IngestError(
            f"{path}: file is UTF-16 text — convert it to UTF-8 first "
            f"(iconv -f UTF-16 -t UTF-8 {path.name} > article.txt)"
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise IngestError(
            f"{path}: looks like a binary file (NUL byte at byte offset {nul}) — "
            "ingest plain UTF-8 text only"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise IngestError(
            f"{path}: not UTF-8: byte 0x{data[err.start]:02x} at byte offset "
            f"{err.start} (line {line}) — re-save the file as UTF-8, e.g. "
            f"iconv -f WINDOWS-1252 -t UTF-8 {path.name} > article.txt"
        ) from None
    return data, text


def _a(word: str) -> str:
    """``word`` with its indefinite article: "an Outlet", "a Country"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _guess_title(text: str) -> str:
    for line in text.splitlines():
        if 0 < len(line.strip()) <= 300:
            return line.strip()
    return "Untitled"


def _existing(data: Path) -> tuple[dict[str, str], set[str], str]:
    """(sha256 -> article id) of every article text, the article ids in articles.yaml, and it."""
    hashes = {
        hashlib.sha256(p.read_bytes()).hexdigest(): p.stem
        for p in sorted((data / "articles").glob("*.txt"))
        if not p.is_symlink()  # never followed: kg reads only files inside data/
    }
    yaml_path = data / "articles.yaml"
    raw = yaml_path.read_bytes().decode("utf-8") if yaml_path.exists() else ""
    ids: set[str] = set()
    doc, _problems = parse_yaml(raw, "data/articles.yaml") if raw.strip() else (None, [])
    for record in doc if isinstance(doc, YList) else []:
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            ids.add(str(record["id"]))
            if isinstance(record.get("sha256"), str):
                hashes.setdefault(str(record["sha256"]), str(record["id"]))
    return hashes, ids, raw


def next_article_id(taken: Iterable[str], digest: str) -> str:
    """``NNN_<first 16 hex of sha256>`` with NNN one above the highest number in use.

    >>> next_article_id(["000_aa", "004_bb", "x"], "d8c50166044d5b84ffff")
    '005_d8c50166044d5b84'
    """
    numbers = [int(m.group(1)) for t in taken if (m := re.match(r"^(\d+)_", t))]
    return f"{(max(numbers) + 1) if numbers else 0:03d}_{digest[:16]}"


def _record(fields: Sequence[tuple[str, str, str]]) -> str:
    lines = []
    for index, (key, value, comment) in enumerate(fields):
        lead = "- " if index == 0 else "  "
        lines.append(f"{lead}{key}: {value}" + (f"  # {comment}" if comment else ""))
    return "\n".join(lines) + "\n"


def ingest(
    path: Path | str,
    root: Path | None = None,
    *,
    title: str | None = None,
    outlet: str | None = None,
    agency: str | None = None,
    date: str | None = None,
    article_id: str | None = None,
    language: str = "en",
    url: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> IngestReport:
    """Copy an article into ``data/``, record it in articles.yaml and draft its claims.

    Everything is checked and prepared first; the three files are then written to temporary
    files and renamed into place, so on any error nothing under ``data/`` changes.
    """
    root = Path(root) if root else default_root()
    data = root / "data"
    source = Path(path)
    if source.resolve().is_relative_to(data.resolve()):
        raise IngestError(
            f"{source}: is inside the data tree ({data}) — ingest copies an article "
            "into data/articles/; give the path of the original file outside data/"
        )
    if max_bytes > MAX_ARTICLE_BYTES:
        raise IngestError(
            f"--max-bytes {max_bytes:,} is over {MAX_ARTICLE_BYTES:,}, the largest "
            "article `kg build` reads"
        )
    raw, text = read_article(source, max_bytes)
    ontology = load_ontology(root / "ontology" / "kg.ttl")
    entities = load_entities(root, ontology)
    for key, value, cls in (("outlet", outlet, "Outlet"), ("agency", agency, "NewsAgency")):
        if value is None or (key == "outlet" and value == "unknown"):
            continue
        if value not in entities:
            known = sorted(i for i, e in entities.items() if ontology.is_subclass(e.type, cls))
            plural = "agencies" if key == "agency" else "outlets"
            listed = f"known {plural}: {', '.join(known)}" if known else f"no {key} is known yet"
            raise IngestError(
                f"--{key} {value!r} is not an entity of data/entities.yaml — {listed}; add it "
                f"as {_a(cls)} first, or leave --{key} out"
            )
        if not ontology.is_subclass(entities[value].type, cls):
            raise IngestError(f"--{key} {value!r} is {_a(entities[value].type)}, not {_a(cls)}")
    if date is not None:
        try:
            DateValue.parse(date)
        except ValueError as err:
            raise IngestError(f"--date: {err}") from None
    if not LANGUAGE_PATTERN.match(language):
        raise IngestError(f"--language {language!r}: write a language code such as en or zh-Hant")
    if title is not None and not title.strip():
        raise IngestError("--title is empty — give the headline, or leave --title out")
    for place in (data / "articles", data / "claims", data / "articles.yaml"):
        _refuse_symlink_out(data, place)
    digest = hashlib.sha256(raw).hexdigest()
    hashes, ids, yaml_text = _existing(data)
    if digest in hashes:
        raise IngestError(
            f"{source}: already ingested as {hashes[digest]} (same sha256 "
            f"{digest[:16]}…) — nothing to do"
        )
    taken = ids | set(hashes.values())
    ident = article_id or next_article_id(taken, digest)
    if not ARTICLE_ID_PATTERN.match(ident):
        raise IngestError(f"--id {ident!r}: use letters, digits, '_' and '-' only")
    article_path = data / "articles" / f"{ident}.txt"
    claims_path = data / "claims" / f"{ident}.yaml"
    for taken_path in (article_path, claims_path):
        if ident in taken or taken_path.exists():
            raise IngestError(
                f"article id {ident!r} is already used ({taken_path.relative_to(root)}"
                " or data/articles.yaml) — choose another --id"
            )

    guessed = title is None
    headline = title.strip() if title else _guess_title(text)
    fields = [
        ("id", ident, ""),
        ("title", yaml_quoted(headline), "guessed from the text: check it" if guessed else ""),
        ("outlet", outlet or "unknown", "" if outlet else "set the outlet entity if known"),
    ]
    if agency:
        fields.append(("agency", agency, ""))
    if url:
        fields.append(("url", yaml_quoted(url), ""))
    if date:
        fields.append(("published", date, ""))
    fields += [("language", language, ""), ("sha256", digest, "")]
    newline = "\r\n" if "\r\n" in yaml_text else "\n"
    separator = "" if not yaml_text or yaml_text.endswith("\n") else newline
    new_yaml = yaml_text + separator + _record(fields).replace("\n", newline)
    doc, problems = parse_yaml(new_yaml, "data/articles.yaml")
    if problems or not isinstance(doc, YList) or doc[-1].get("id") != ident:
        raise IngestError(
            "data/articles.yaml does not read as a list of records after appending "
            "the new one — run `kg validate` and fix that file first"
        )
    draft, summary = render_draft(ident, text, entities, ontology, source_name=source.name)
    _write_all(
        [
            (article_path, raw),
            (claims_path, draft.encode("utf-8")),
            (data / "articles.yaml", new_yaml.encode("utf-8")),
        ],
        expected={data / "articles.yaml": yaml_text},
    )
    return IngestReport(
        ident,
        len(text),
        digest,
        article_path,
        claims_path,
        data / "articles.yaml",
        headline,
        guessed,
        summary,
    )


def _refuse_symlink_out(data: Path, place: Path) -> None:
    """kg ingest writes only inside data/: a folder or file there that links out is refused."""
    if not place.is_symlink():
        return
    target = place.resolve()
    if not target.is_relative_to(data.resolve()):
        raise IngestError(
            f"{place} is a symlink to {target}, outside data/ — kg ingest writes only inside "
            "data/: replace the link with a real folder or file"
        )


def _file_mode() -> int:
    """The mode a new file gets from open() under the current umask (0644 under 022)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_all(files: Sequence[tuple[Path, bytes]], expected: Mapping[Path, str]) -> None:
    """Write every file to a temporary sibling, then rename all; undo the renames on failure."""
    staged: list[tuple[Path, Path]] = []
    done: list[tuple[Path, bytes | None]] = []
    try:
        for target, content in files:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp_name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
            )
            staged.append((Path(temp_name), target))
            os.fchmod(handle, _file_mode())  # mkstemp makes 0600; these are ordinary files
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
        for target, before in expected.items():
            now = target.read_bytes().decode("utf-8") if target.exists() else ""
            if now != before:
                raise IngestError(f"{target} changed while ingesting — run kg ingest again")
        for temp, target in staged:
            previous = target.read_bytes() if target.exists() else None
            os.replace(temp, target)
            done.append((target, previous))
    except (OSError, IngestError) as err:
        for target, previous in reversed(done):
            if previous is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(previous)
        if isinstance(err, IngestError):
            raise
        raise IngestError(
            f"cannot write {err.filename or 'data/'}: {err.strerror} — nothing was changed"
        ) from err
    finally:
        for leftover, _ in staged:
            leftover.unlink(missing_ok=True)


# --- what an article contributes ---------------------------------------------------------------


@dataclass
class ArticleReport:
    """An article's claims and the sentences that no claim's quote touches yet."""

    id: str
    title: str
    characters: int
    claims: list[dict[str, object]]
    sentences: int
    uncited: list[tuple[int, str, tuple[str, ...]]]  # (offset, sentence, entities it names)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view (``kg show ARTICLE --json``)."""
        return {
            "id": self.id,
            "title": self.title,
            "characters": self.characters,
            "claims": self.claims,
            "sentences": self.sentences,
            "uncited": [{"start": s, "text": t, "entities": list(e)} for s, t, e in self.uncited],
        }


def article_ids(store: ox.Store) -> list[str]:
    """Ids of the articles in a loaded dataset."""
    query = "SELECT ?id WHERE { ?a a kg:NewsArticle ; dcterms:identifier ?id } ORDER BY ?id"
    return [str(row["id"]) for row in run_query(store, query)]


def article_report(store: ox.Store, article_id: str, root: Path | None = None) -> ArticleReport:
    """What one article contributes to a loaded dataset, and which sentences no claim cites.

    The text is read from ``data/articles/<id>.txt`` under ``root`` and checked against the
    sha256 the dataset records for it.
    """
    root = Path(root) if root else default_root()
    iri = str(article_iri(article_id))
    query = (
        "SELECT ?title ?sha WHERE { ?a schema:headline ?title . OPTIONAL { ?a kg:sha256 ?sha } }"
    )
    rows = run_query(store, query, {"a": iri}).rows
    if not rows:
        raise IngestError(f"no article {article_id!r} in the dataset")
    title, digest = rows[0]["title"], rows[0]["sha"]
    path = root / "data" / "articles" / f"{article_id}.txt"
    if not path.is_file():
        raise IngestError(f"{path}: the article text is missing — cannot list its sentences")
    raw = path.read_bytes()
    if digest is not None and hashlib.sha256(raw).hexdigest() != digest:
        raise IngestError(
            f"{path}: the text differs from the one the dataset was built from "
            "(sha256) — rebuild, or restore the verbatim copy"
        )
    text = raw.decode("utf-8")
    one_graph = CLAIMS_QUERY.replace("WHERE {", f"WHERE {{ VALUES ?g {{ <{iri}> }}", 1)
    claims = sorted(
        claim_rows(store, one_graph),
        key=lambda r: (r["start"], r["subject"], r["predicate"], str(r["object"])),
    )
    cited = [(int(r["start"]), int(r["end"])) for r in claims]
    entity_names: dict[str, list[str]] = {}
    names_query = (
        "SELECT ?e ?n WHERE { ?e rdfs:label|skos:altLabel ?n . "
        "FILTER(STRSTARTS(STR(?e), STR(entity:))) }"
    )
    for row in run_query(store, names_query):
        entity_names.setdefault(row["e"][len(f"{BASE_IRI}entity/") :], []).append(row["n"])
    mentions = find_mentions(text, entity_names)
    sentences = split_sentences(text)
    uncited = []
    mentions_in = group_by_sentence(sentences, (m.start for m in mentions))
    for s, indexes in zip(sentences, mentions_in, strict=True):
        if any(a < s.end and s.start < b for a, b in cited):
            continue
        named = tuple(dict.fromkeys(i for k in indexes for i in mentions[k].entities))
        uncited.append((s.start, text[s.start : s.end], named))
    return ArticleReport(article_id, title, len(text), claims, len(sentences), uncited)


def format_article_report(report: ArticleReport) -> str:
    """The report as text for the terminal."""
    lines = [
        f"article {report.id}: {report.title} ({report.characters:,} characters)",
        f"claims ({len(report.claims)}):",
    ]
    for row in report.claims:
        speaker = f"  (said by {row['speaker']})" if row["speaker"] else ""
        lines.append(
            f"  @{row['start']} {row['subject']} {row['predicate']} {row['object']}{speaker}"
        )
        lines.append(f"      {yaml_quoted(str(row['quote']))}")
    naming = sum(1 for u in report.uncited if u[2])
    lines.append(
        f"sentences no claim cites ({len(report.uncited)} of {report.sentences}; "
        f"{naming} name known entities):"
    )
    for start, sentence, named in report.uncited:
        tag = f"  [{', '.join(named)}]" if named else ""
        lines.append(f"  @{start} {yaml_quoted(sentence)}{tag}")
    return "\n".join(lines)
