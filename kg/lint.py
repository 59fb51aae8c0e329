"""The curator's lint: data that loads, and whose quotes all match, but is still wrong.

Each check yields a :class:`Finding` at a record field; :func:`locate` turns findings into
:class:`kg.errors.Problem` records at ``path:line:col`` (re-reading only the files that have
findings). Errors are certainly wrong; warnings need a human to look, and
``kg validate --strict`` treats them as errors. The checks, with their messages, are listed in
data/README.md.

>>> from kg.model import Entity, Source
>>> e = Entity("matt", "Person", "M\\u0430tt Miller", source=Source("data/entities.yaml", 1))
>>> [(f.key, f.severity) for f in name_findings(e, "label", e.label)]  # a Cyrillic 'a'
[('label', 'error')]
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import Problem
from kg.model import Article, Claim, Curation, DateValue, Entity, Source, Value
from kg.ontology import Ontology
from kg.yamlfile import YList, YMap, parse_yaml, read_text

ERROR, WARNING = "error", "warning"

#: Characters that reorder text on screen (the "Trojan Source" controls).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
#: Characters that show nothing at all.
ZERO_WIDTH = frozenset("\u00ad\u180e\u200b\u2060\u2061\u2062\u2063\u2064\ufeff")
#: Joiners that some scripts need (Persian, Indic, emoji): a human must look.
JOINERS = frozenset("\u200c\u200d")
#: Letters of other scripts that look like Latin ones (from Unicode's confusables.txt, the
#: Cyrillic and Greek letters that are drawn like a Latin letter).
LOOKS_LATIN = dict(
    zip(
        "\u0410\u0412\u0415\u0405\u0406\u0408\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425"
        "\u0423\u0430\u0435\u0456\u0458\u043e\u0440\u0441\u0445\u0443\u0455\u0501\u051b\u051d"
        "\u04ae\u04bb\u04cf\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1"
        "\u03a4\u03a5\u03a7\u03bf\u03f2\u03bd\u03b1",
        "ABESIJKMHOPCTXYaeijopcxysdqwYhlABEZHIKMNOPTYXocva",
        strict=True,
    )
)
#: Scripts that mix within one word in ordinary writing (Japanese, Korean).
COMPATIBLE_SCRIPTS = (frozenset({"CJK", "HIRAGANA", "KATAKANA"}), frozenset({"CJK", "HANGUL"}))
_CONTROL_NAMES = {"\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\x00": "NULL"}


@dataclass(frozen=True)
class Finding:
    """Something wrong with one field of one record (``index``: the item of a list field)."""

    source: Source | None
    key: str
    message: str
    hint: str
    severity: str = ERROR
    item: str | None = None  # the list item (an alias) the finding is about


def char_name(ch: str) -> str:
    """``'x' (U+0078 LATIN SMALL LETTER X)``: a character shown so that it can be found.

    >>> char_name("\\u00a0"), char_name("\\x07")
    ("'\\\\xa0' (U+00A0 NO-BREAK SPACE)", "'\\\\x07' (U+0007 control character)")
    """
    name = _CONTROL_NAMES.get(ch) or unicodedata.name(ch, "")
    if not name:
        name = "control character" if unicodedata.category(ch) == "Cc" else "unnamed character"
    hidden = not ch.isprintable() or ch in ZERO_WIDTH | BIDI_CONTROLS
    shown = repr(ch) if hidden or ch == "'" else f"'{ch}'"
    return f"{shown} (U+{ord(ch):04X} {name})"


def _odd_char(ch: str, *, name: bool, quote: bool) -> str | None:
    """The severity of an unusual character in a text, or None if it is ordinary there."""
    ordinary = ch.isprintable() or (ch in "\n\t" and not name) or (ch == "\r" and quote)
    if ch.isascii() and ordinary:
        return None
    category = unicodedata.category(ch)
    if quote:  # verbatim article text: only what hides or reorders text needs a look
        if ch in BIDI_CONTROLS or ch in ZERO_WIDTH or category in ("Cc", "Co", "Cn"):
            return WARNING
        return None
    if ch in BIDI_CONTROLS or category in ("Cc", "Co", "Cn", "Cs"):
        return ERROR
    if ch in JOINERS:
        return WARNING
    if ch in ZERO_WIDTH or category in ("Zl", "Zp", "Cf") or (category == "Zs" and ch != " "):
        return ERROR if name else WARNING
    return None


def text_findings(
    source: Source | None, key: str, text: str, *, name: bool = False, item: str | None = None
) -> Iterator[Finding]:
    """Invisible, control and other unusual characters in a curated text (one finding per
    kind of character, at its first position)."""
    if text.isascii() and text.isprintable():
        return
    quote = key == "quote"
    seen: set[str] = set()
    for index, ch in enumerate(text):
        if ch in seen:
            continue
        severity = _odd_char(ch, name=name, quote=quote)
        if severity is None:
            continue
        seen.add(ch)
        where = f"at character {index} of the {'alias' if item is not None else key}"
        if quote:
            message = f"the quoted article text holds {char_name(ch)} {where}"
            hint = "check that the article file is the verbatim text, not a damaged copy"
        else:
            message = f"invisible or control character {char_name(ch)} {where}"
            hint = "delete it or type an ordinary character: it cannot be seen but breaks matching"
        yield Finding(source, key, message, hint, severity, item)


def _script(ch: str) -> str | None:
    """The script of a letter, from its Unicode name (None for non-letters)."""
    if not ch.isalpha():
        return None
    if ch.isascii():
        return "LATIN"
    word = unicodedata.name(ch, "UNKNOWN").split()[0]
    return "CJK" if word in ("CJK", "IDEOGRAPHIC") else word


def name_findings(entity: Entity, key: str, text: str, item: str | None = None) -> list[Finding]:
    """Unusual characters, stray spaces, mixed scripts and look-alike letters in one name."""
    found = list(text_findings(entity.source, key, text, name=True, item=item))
    if text != text.strip() or "  " in text:
        found.append(
            Finding(
                entity.source,
                key,
                f"stray spaces in the name {text!r}",
                "remove leading, trailing and doubled spaces",
                ERROR,
                item,
            )
        )
    if text.isascii():
        return found
    if unicodedata.normalize("NFC", text) != text:
        found.append(
            Finding(
                entity.source,
                key,
                f"the name {text!r} is not in composed form (NFC)",
                "retype the accented letters: decomposed ones do not match the article text",
                WARNING,
                item,
            )
        )
    for word in text.split():
        scripts = {s for s in map(_script, word) if s}
        if len(scripts) > 1 and not any(scripts <= group for group in COMPATIBLE_SCRIPTS):
            main = "LATIN" if "LATIN" in scripts else sorted(scripts)[0]
            odd = next(ch for ch in word if _script(ch) not in (None, main))
            found.append(
                Finding(
                    entity.source,
                    key,
                    f"mixed scripts in the word {word!r}: {char_name(odd)} in a {main} word",
                    "retype the word in one script: look-alike letters break search and matching",
                    ERROR,
                    item,
                )
            )
        elif (
            scripts
            and "LATIN" not in scripts
            and all(ch in LOOKS_LATIN for ch in word if ch.isalpha())
            and any(_script(ch) == "LATIN" for ch in text)
        ):
            found.append(
                Finding(
                    entity.source,
                    key,
                    f"the word {word!r} is {'/'.join(sorted(scripts))} but looks like the Latin "
                    f"{''.join(LOOKS_LATIN.get(ch, ch) for ch in word)!r}",
                    "retype it in Latin letters, unless it really is written in that script",
                    WARNING,
                    item,
                )
            )
    return found


_KEY_TABLE = str.maketrans(
    {**LOOKS_LATIN, **dict.fromkeys(ZERO_WIDTH | BIDI_CONTROLS)}  # type: ignore[arg-type]
)


def name_key(name: str) -> str:
    """A name as a reader sees it: case, Unicode form, spacing and look-alike letters ignored.

    >>> name_key("Matt  MILLER") == name_key("matt miller") == name_key("M\\u0430tt Miller")
    True
    """
    if name.isascii():
        return " ".join(name.lower().split())
    folded = unicodedata.normalize("NFKC", name).translate(_KEY_TABLE).casefold()
    return " ".join(folded.split())


def collision_findings(entities: dict[str, Entity]) -> list[Finding]:
    """Names (labels and aliases) of different entities that read the same."""
    owners: dict[str, dict[str, str]] = defaultdict(dict)  # key -> {entity id: name}
    found = []
    for ident, entity in entities.items():
        for name in entity.names:
            key = name_key(name)
            others = owners[key]
            for other, other_name in others.items():
                if (
                    other == ident
                    or _says_apart(entity, other)
                    or _says_apart(entities[other], ident)
                ):
                    continue
                how = (
                    "the same name"
                    if other_name == name
                    else "the same name once case, spacing and look-alike letters are ignored"
                )
                key_field = "label" if name == entity.label else "aliases"
                found.append(
                    Finding(
                        entity.source,
                        key_field,
                        f"{name!r} of {ident} and {other_name!r} of {other} are {how}",
                        "if they are one entity, merge them; if not, drop the shared alias "
                        "or make it distinct",
                        WARNING,
                        name if key_field == "aliases" else None,
                    )
                )
                break
            others.setdefault(ident, name)
    return found


def _says_apart(entity: Entity, other: str) -> bool:
    """The curator has looked: the entity's note names the other entity as `other`."""
    return bool(entity.note) and f"`{other}`" in str(entity.note)


def structure_findings(claims: Sequence[Claim], ontology: Ontology) -> list[Finding]:
    """An entity part of itself (directly or through a cycle of a transitive predicate); a
    functional predicate with two values in one article."""
    import networkx as nx

    found = []
    edges: dict[str, dict[tuple[str, str], Claim]] = defaultdict(dict)
    for claim in claims:
        predicate = ontology.predicates.get(claim.predicate)
        if predicate is None or not predicate.transitive or not claim.object_is_entity:
            continue
        if claim.subject == claim.object:
            found.append(
                Finding(
                    claim.source,
                    "object",
                    f"{claim.subject} {claim.predicate} itself",
                    f"an entity cannot be {predicate.label} itself: fix the subject or object",
                )
            )
            continue
        edges[claim.predicate].setdefault((claim.subject, str(claim.object)), claim)
    for name, pairs in sorted(edges.items()):
        graph = nx.DiGraph(list(pairs))
        for cycle in sorted(sorted(c) for c in nx.strongly_connected_components(graph)):
            if len(cycle) < 2:
                continue
            loop = nx.find_cycle(graph.subgraph(cycle), source=cycle[0])
            steps = [loop[0][0], *(b for _a, b in loop)]
            where = [pairs[(a, b)] for a, b in loop]
            last = max(where, key=lambda c: (c.source.path, c.source.line) if c.source else ("", 0))
            found.append(
                Finding(
                    last.source,
                    "object",
                    f"{name} goes round in a circle: {f' {name} '.join(steps)}",
                    "an entity cannot be part of itself through others: one of these claims "
                    "is wrong (" + "; ".join(str(c.source) for c in where if c.source) + ")",
                )
            )
    groups: dict[tuple[object, ...], list[Claim]] = defaultdict(list)
    for claim in claims:
        predicate = ontology.predicates.get(claim.predicate)
        if predicate is not None and predicate.functional:
            when = (claim.date, claim.valid_from, claim.valid_until)
            groups[
                (claim.article, claim.subject, claim.predicate, claim.attributed_to, when)
            ].append(claim)
    containment = nx.DiGraph([pair for pairs in edges.values() for pair in pairs])

    def compatible(a: Claim, b: Claim) -> bool:
        """Equal values, or places one of which is part of the other."""
        x, y = str(a.object), str(b.object)
        if x == y:
            return True
        if not (a.object_is_entity and x in containment and y in containment):
            return False
        return nx.has_path(containment, x, y) or nx.has_path(containment, y, x)

    for group in groups.values():
        first, later = group[0], group[1:]
        for claim in later:
            if compatible(first, claim):
                continue
            if claim.object_is_entity and (first.note or claim.note):
                continue  # the curator has looked and said why (see data/README.md)
            certain = claim.object_is_entity is False and all(
                c.certainty == "stated" for c in (first, claim)
            )
            found.append(
                Finding(
                    claim.source,
                    "object",
                    f"{claim.predicate} is functional, but article {claim.article} gives "
                    f"{claim.subject} two values for the same time and speaker: "
                    f"{first.object} ({first.source}) and {claim.object}",
                    "keep the value the text asserts, or tell them apart with date, "
                    "valid_from/valid_until or attributed_to"
                    + (
                        ""
                        if certain
                        else "; if one place is part of the other, say so with "
                        "a partOf claim, or explain in a note"
                    ),
                    ERROR if certain else WARNING,
                )
            )
    return found


def date_findings(curation: Curation, today: dt.date) -> list[Finding]:
    """Dates that cannot be: in the future, or of an event reported before it happened."""
    return [
        *_published_findings(curation.articles.values(), today),
        *claim_date_findings(curation.claims, curation.articles, today),
    ]


def _published_findings(articles: Iterable[Article], today: dt.date) -> Iterator[Finding]:
    for article in articles:
        if article.published and article.published.start > today:
            yield Finding(
                article.source,
                "published",
                f"published {article.published} is in the future (today is {today})",
                "fix the date: an article cannot be published after today",
            )


def claim_date_findings(
    claims: Iterable[Claim], articles: Mapping[str, Article], today: dt.date
) -> list[Finding]:
    """The dates of ``claims`` that cannot be (see :func:`date_findings`); ``articles`` needs
    to hold only the claims' own articles."""
    found = []
    for claim in claims:
        of_claim = articles.get(claim.article)
        published = of_claim.published if of_claim else None
        for key, value in _claim_dates(claim):
            if value.start > today:
                planned = key == "valid_until"
                found.append(
                    Finding(
                        claim.source,
                        key,
                        f"{key} {value} is in the future (today is {today})",
                        "a planned end? say so in a note"
                        if planned
                        else "fix the date: nothing reported has happened after today",
                        WARNING if planned else ERROR,
                    )
                )
            elif published and key != "valid_until" and value.start > published.end:
                found.append(
                    Finding(
                        claim.source,
                        key,
                        f"{key} {value} is after the article was published ({published}): "
                        "reported before it happened",
                        "check the date; for something planned or expected, say so with "
                        "certainty and a note",
                        WARNING,
                    )
                )
    return found


def _claim_dates(claim: Claim) -> Iterator[tuple[str, DateValue]]:
    for key in ("date", "valid_from", "valid_until"):
        value = getattr(claim, key)
        if value is not None:
            yield key, value
    if isinstance(claim.object, Value) and claim.object.kind == "date":
        try:
            yield "object", DateValue.parse(claim.object.lexical)
        except ValueError:
            return


def lint(curation: Curation, ontology: Ontology, today: dt.date | None = None) -> list[Finding]:
    """Every finding of every check on a loaded curation: those of the entities and article
    records, those of each claim on its own, and those of the claims together."""
    today = today or dt.date.today()
    return [
        *record_findings(curation, today),
        *claim_findings(curation.claims, curation.articles, today),
        *structure_findings(curation.claims, ontology),
    ]


def record_findings(curation: Curation, today: dt.date) -> list[Finding]:
    """The findings about the entity and article records (the claims are not looked at)."""
    found: list[Finding] = []
    for entity in curation.entities.values():
        found += name_findings(entity, "label", entity.label)
        for alias in entity.aliases:
            found += name_findings(entity, "aliases", alias, item=alias)
        for key in ("description", "note"):
            found += text_findings(entity.source, key, getattr(entity, key) or "")
    for article in curation.articles.values():
        found += _article_texts(article)
    found += collision_findings(curation.entities)
    found += _published_findings(curation.articles.values(), today)
    return found


def claim_findings(
    claims: Iterable[Claim], articles: Mapping[str, Article], today: dt.date
) -> list[Finding]:
    """The findings about each claim on its own: its texts and its dates (``articles`` needs
    to hold only the claims' own articles). What a claim says together with other claims is
    :func:`structure_findings`."""
    found: list[Finding] = []
    listed = claims if isinstance(claims, Sequence) else list(claims)
    for claim in listed:
        found += text_findings(claim.source, "quote", claim.quote.exact)
        found += text_findings(claim.source, "note", claim.note or "")
        if isinstance(claim.object, Value):
            found += text_findings(claim.source, "object", claim.object.lexical)
    found += claim_date_findings(listed, articles, today)
    return found


def structural(claim: Claim, ontology: Ontology) -> bool:
    """Whether :func:`structure_findings` reads ``claim`` (its predicate is transitive or
    functional): what it finds comes from these claims alone."""
    predicate = ontology.predicates.get(claim.predicate)
    return predicate is not None and (predicate.transitive or predicate.functional)


def _article_texts(article: Article) -> Iterator[Finding]:
    for key in ("title", "note", "url"):
        yield from text_findings(article.source, key, getattr(article, key) or "")
    if article.published_basis:  # its words are the article's own; its reasoning is prose
        yield from text_findings(
            article.source, "published_basis", article.published_basis.reasoning
        )


#: Where the fields of each record of a file are: record line -> key -> (line, col, and for a
#: list field, where each item is, by its text). Kept by the checks that parsed the file (and
#: in the build cache with a file's checked claims), so that :func:`locate` need not parse it.
Positions = dict[int, dict[str, tuple[Any, Any, dict[str, tuple[Any, Any]] | None]]]


def positions_of(records: Iterable[Any]) -> Positions:
    """The :data:`Positions` of a file's records (the mappings of its top-level list).

    >>> doc, _ = parse_yaml("- id: a\\n  aliases: [A, B]\\n", "x.yaml")
    >>> positions_of(doc)
    {1: {'id': (1, 7, None), 'aliases': (2, 12, {'B': (2, 16), 'A': (2, 13)})}}
    """
    found: Positions = {}
    for record in records:
        if not isinstance(record, YMap):
            continue
        fields = {}
        for key, node in record.items():
            items = None
            if isinstance(node, YList):
                items = {
                    str(item): (getattr(item, "line", None), getattr(item, "col", None))
                    for item in reversed(node)
                }
            fields[str(key)] = (getattr(node, "line", None), getattr(node, "col", None), items)
        found[record.line] = fields
    return found


def locate(
    findings: Iterable[Finding], root: Path, known: Mapping[str, Positions] | None = None
) -> list[Problem]:
    """Findings as problems at ``path:line:col`` of the field (the record when not found).

    ``known`` holds the :data:`Positions` of files already parsed, by their shown path; other
    files with findings are read again."""
    files: dict[str, Positions] = {}
    problems = []
    for finding in findings:
        source = finding.source
        if source is None:
            problems.append(Problem("data", 0, 0, finding.message, finding.hint, finding.severity))
            continue
        if source.path not in files:
            found = known.get(source.path) if known is not None else None
            files[source.path] = found or _positions_in(root / source.path, source.path)
        record = files[source.path].get(source.line)
        field = record.get(finding.key) if record is not None else None
        line, col = source.line, 0
        if field is not None:
            line, col, items = field
            if items is not None and finding.item is not None and finding.item in items:
                line, col = items[finding.item]
            line = source.line if line is None else line
            col = 0 if col is None else col
        problems.append(
            Problem(source.path, line, col, finding.message, finding.hint, finding.severity)
        )
    return problems


def _positions_in(path: Path, shown: str) -> Positions:
    text, _problems = read_text(path, shown)
    doc, _problems = parse_yaml(text, shown) if text is not None else (None, [])
    return positions_of(doc if isinstance(doc, YList) else [])
