"""Questions about the claims: conflicts, timeline, as-of, corroboration, single-source entities.

Plain functions over claim rows (the dicts :func:`kg.graph.claim_rows` returns: subject,
predicate, object, article, outlet, agency, speaker, certainty, quote, offsets, dates) and, where
places contain places, the NetworkX projection. They return plain values (lists of dicts, or
:class:`Conflict` records with ``to_dict()``) so the CLI can print them as tables or JSON.

>>> import kg
>>> g = kg.load()
>>> kinds = {c.kind for c in conflicts(g.claim_rows, g.ontology, g.nx)}
>>> sorted(kinds)
['compatible', 'contradiction', 'precision', 'quote-variant', 'time']
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from itertools import combinations
from typing import Any

import networkx as nx

from kg.graph import centrality, make_row, source_key, support, transitive
from kg.model import DATE_PATTERN, DateValue
from kg.ontology import Ontology

Row = dict[str, Any]

#: Conflict kinds, in the order they are reported.
CONFLICT_KINDS = ("contradiction", "time", "precision", "quote-variant", "compatible")
#: Quotes of one statement at least this similar (:func:`similarity`) are variants of a sentence.
VARIANT_SIMILARITY = 0.5
#: Past this many distinct values (or wordings), conflicts are not listed pair by pair.
MAX_PAIRED_VALUES = 8
#: The predicate whose edges (followed transitively) make two place or part values compatible.
CONTAINMENT = "partOf"
#: For a place property, the property that says an event was near or outside a place.
NEAR = {"location": "locationNear"}

__all__ = [
    "CONFLICT_KINDS",
    "Conflict",
    "as_of",
    "claim_time",
    "conflicts",
    "corroboration",
    "evidence",
    "held_on",
    "in_period",
    "make_row",
    "profile",
    "similarity",
    "single_source_entities",
    "stated_only",
    "summary",
    "timeline",
]

EVIDENCE_KEYS = (
    "article",
    "outlet",
    "agency",
    "published",
    "speaker",
    "object",
    "certainty",
    "quote",
    "start",
    "end",
    "date",
    "valid_from",
    "valid_until",
    "note",
    "scope",
    "obtained",
    "inferred",
    "basis",
)


#: Added to a claim by a period filter (``after``/``before``): when it is placed, on what basis.
PLACED_KEYS = ("when", "when_basis")


def stated_only(rows: Iterable[Row]) -> list[Row]:
    """The claims every part of which is written in their quote: no derived value, no
    inferred date.

    >>> rows = [make_row("a", "p", "b"), make_row("a", "p", "c", obtained="inferred")]
    >>> [r["object"] for r in stated_only(rows)]
    ['b']
    """
    return [row for row in rows if row.get("obtained", "stated") == "stated"]


def evidence(row: Row) -> Row:
    """The part of a claim row a reader needs to judge it: where, who, how worded, which words.

    >>> evidence({"article": "a", "quote": "q", "subject": "s", "claim": "urn:x"})["quote"]
    'q'
    """
    found = {key: row.get(key) for key in EVIDENCE_KEYS}
    for key in PLACED_KEYS:  # where a period filter placed the claim in time
        if key in row:
            found[key] = row[key]
    return found


@dataclass(frozen=True)
class Conflict:
    """Claims that disagree, or look as if they do, with every quote side by side.

    ``kind`` is one of :data:`CONFLICT_KINDS`:

    - ``contradiction``: different values of a functional property for one subject (and, for a
      figure, one scope), or one source asserting what another denies;
    - ``time``: sources agree on the fact but disagree about when it held ("until 2019" vs
      "currently");
    - ``precision``: the same value worded with different certainty ("some two-thirds" vs "more
      than two-thirds"), a date given at two precisions, or a loose place name for a place near
      it ("in San Francisco" for a summit another source puts "outside San Francisco");
    - ``quote-variant``: one speaker's statement transcribed differently by two articles;
    - ``compatible``: different values that do not conflict, e.g. a place and a larger place
      it is part of (reported so that nobody needs to check by hand).
    """

    kind: str
    subject: str
    predicate: str
    values: tuple[str, ...]
    claims: tuple[Row, ...]
    reason: str
    #: where the compared figures count (None for other properties)
    scope: str | None = None

    def to_dict(self) -> Row:
        data = asdict(self)
        data["values"] = list(self.values)
        data["claims"] = list(self.claims)
        return data


def _interval(row: Row) -> tuple[dt.date | None, dt.date | None]:
    start = DateValue(row["valid_from"]).start if row.get("valid_from") else None
    end = DateValue(row["valid_until"]).end if row.get("valid_until") else None
    return start, end  # both inclusive, at the precision written


def _overlap(
    a: tuple[dt.date | None, dt.date | None], b: tuple[dt.date | None, dt.date | None]
) -> bool:
    lo, hi = dt.date.min, dt.date.max
    return (a[0] or lo) <= (b[1] or hi) and (b[0] or lo) <= (a[1] or hi)


def _disjoint_in_time(first: Sequence[Row], second: Sequence[Row]) -> bool:
    """True when every claim has a validity interval and no interval of one meets the other's."""
    rows = [*first, *second]
    if not all(r.get("valid_from") or r.get("valid_until") for r in rows):
        return False
    return not any(_overlap(_interval(a), _interval(b)) for a in first for b in second)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _is_date(text: str) -> bool:
    return bool(DATE_PATTERN.match(text))


def _hedge_allows(rows: Sequence[Row], own: float, other: float) -> bool:
    """Whether every claim of value ``own`` is hedged so that ``other`` fits it."""
    certainties = {r["certainty"] for r in rows}
    if certainties == {"more-than"}:
        return other > own
    if certainties == {"less-than"}:
        return other < own
    return False


def _compare(
    predicate: str,
    v1: str,
    c1: Sequence[Row],
    v2: str,
    c2: Sequence[Row],
    contained: Callable[[str], tuple[frozenset[str], frozenset[str]]],
    near: Mapping[str, Sequence[str]] | None = None,
) -> tuple[str, str]:
    """(kind, reason) for two different values of one functional property.

    ``contained(v)`` gives what ``v`` is part of: by the claims, and with background knowledge
    too. ``near`` maps a place to the articles that put the subject near or outside it."""
    if c1[0]["object_is_entity"]:
        for inner, outer in ((v1, v2), (v2, v1)):
            by_claims, with_background = contained(inner)
            if outer in by_claims:
                return "compatible", f"{inner} is {CONTAINMENT} {outer}"
            if outer in with_background:
                return "compatible", (
                    f"{inner} is {CONTAINMENT} {outer} (background knowledge, not evidence)"
                )
        for loose, exact in ((v1, v2), (v2, v1)):
            if near and loose in near:
                return "precision", (
                    f"{loose} is a loose name: {', '.join(near[loose])} put it near or outside "
                    f"{loose}, and others name {exact}"
                )
    if _disjoint_in_time(c1, c2):
        return "compatible", "the values held at different times (validity intervals do not meet)"
    if not c1[0]["object_is_entity"]:
        if _is_date(v1) and _is_date(v2):
            d1, d2 = DateValue(v1), DateValue(v2)
            if d1.start <= d2.start and d2.end <= d1.end:
                return "precision", f"{v1} is a less precise date than {v2}"
            if d2.start <= d1.start and d1.end <= d2.end:
                return "precision", f"{v2} is a less precise date than {v1}"
            return "contradiction", f"{predicate}: {v1} and {v2} are different dates"
        n1, n2 = _number(v1), _number(v2)
        if n1 is not None and n2 is not None:
            if _hedge_allows(c1, n1, n2) or _hedge_allows(c2, n2, n1):
                return "precision", f"{v1} and {v2} fit together given how they are hedged"
            derived = [
                f"{r['object']} is derived, not stated ({r['basis']})"
                for r in (*c1, *c2)
                if "object" in (r.get("inferred") or ())
            ]
            scope = c1[0].get("scope")
            where = f" in {scope}" if scope else ""
            return "contradiction", "; ".join(
                [f"{predicate} of {c1[0]['subject']}{where}: {v1} ≠ {v2}", *derived]
            )
    return "contradiction", f"{predicate} is functional: one value expected, {v1} and {v2} given"


def _when_disagreement(group: Sequence[Row]) -> str | None:
    """Why the claims of one triple disagree about when it held, or None: two articles give
    different starts or different ends.

    >>> rows = [make_row("china", "sourceOf", "fentanyl", "a1", valid_until="2019"),
    ...         make_row("china", "sourceOf", "fentanyl", "a2", valid_until="2023-11")]
    >>> _when_disagreement(rows)
    'the sources disagree about when it held: until 2019 (a1); until 2023-11 (a2)'
    """
    if len({r["article"] for r in group}) < 2:
        return None
    for key, word in (("valid_from", "from"), ("valid_until", "until")):
        given: dict[str, list[str]] = {}
        for row in group:
            if row.get(key):
                given.setdefault(row[key], []).append(row["article"])
        if len(given) > 1:
            parts = [f"{word} {v} ({', '.join(sorted(set(a)))})" for v, a in sorted(given.items())]
            return f"the sources disagree about when it held: {'; '.join(parts)}"
    return None


def _norm(text: str) -> str:
    text = re.sub("[\u201c\u201d\"'\u2018\u2019()\\[\\]]", "", text.casefold())
    return re.sub(r"\s+", " ", text).strip()


def similarity(first: str, second: str) -> float:
    """How alike two quotes are, word by word (0 to 1), ignoring case and quotation marks.

    Transcriptions of one sentence score high; paraphrases of the same point score low.

    >>> said = "the steps China was willing to take to cut down on precursor trafficking"
    >>> round(similarity("the steps China was going to take to take down precursor tracking",
    ...                  said), 2)
    0.72
    >>> similarity("China's commitment to reducing precursor chemical trafficking", said) < 0.5
    True
    """
    words = _norm(first).split(), _norm(second).split()
    return difflib.SequenceMatcher(None, *words, autojunk=False).ratio()


def conflicts(
    rows: Iterable[Row], ontology: Ontology, graph: nx.MultiDiGraph | None = None
) -> list[Conflict]:
    """Every conflict among the claims, typed, with all the quotes involved.

    ``graph`` (the projection) supplies the ``partOf`` edges that make two places compatible,
    and, in ``graph.graph["background"]``, the background facts that may do so too (never as
    evidence: they only type the conflict); without it different places of a functional
    property are contradictions. Figures are compared only within one scope. A loose place name
    (a place another source puts the event near or outside) is imprecision, not contradiction.

    >>> import kg
    >>> g = kg.load()
    >>> deaths = [c for c in conflicts(g.claim_rows, g.ontology, g.nx)
    ...           if c.predicate == "annualOverdoseDeaths"][0]
    >>> deaths.kind, deaths.subject, deaths.scope, deaths.values
    ('contradiction', 'fentanyl', 'united-states', ('100000', '73000'))
    """
    rows = list(rows)
    functional = {name for name, pred in ontology.predicates.items() if pred.functional}
    background = nx.DiGraph(
        (s, o)
        for s, p, o in (graph.graph.get("background", ()) if graph is not None else ())
        if p == CONTAINMENT
    )

    @cache
    def contained(value: str) -> tuple[frozenset[str], frozenset[str]]:
        by_claims = set(transitive(graph, value, CONTAINMENT)) if graph is not None else set()
        seen, todo = set(by_claims), [value, *by_claims]
        while todo:
            current = todo.pop()
            ups = set(background.successors(current)) if current in background else set()
            if graph is not None and current in graph and current != value:
                ups |= set(transitive(graph, current, CONTAINMENT))
            for up in ups - seen - {value}:
                seen.add(up)
                todo.append(up)
        return frozenset(by_claims), frozenset(seen)

    near: dict[tuple[str, str], dict[str, list[str]]] = {}
    for row in rows:
        for prop, near_prop in NEAR.items():
            if row["predicate"] == near_prop:
                places = near.setdefault((row["subject"], prop), {})
                places.setdefault(str(row["object"]), []).append(row["article"])

    found: list[Conflict] = []

    by_property: dict[tuple[str, str, str | None], list[Row]] = {}
    by_triple: dict[tuple[str, str, str], list[Row]] = {}
    for row in rows:
        triple = (row["subject"], row["predicate"], str(row["object"]))
        by_triple.setdefault(triple, []).append(row)
        if row["predicate"] in functional:
            key = (row["subject"], row["predicate"], row.get("scope"))
            by_property.setdefault(key, []).append(row)

    for (subject, predicate, scope), group in by_property.items():
        values: dict[str, list[Row]] = {}
        for row in group:
            values.setdefault(str(row["object"]), []).append(row)
        if len(values) > MAX_PAIRED_VALUES:
            # past a handful of values, pairs would swamp the reader (and grow quadratically)
            claims = tuple(evidence(r) for v in sorted(values) for r in values[v])
            reason = (
                f"{predicate} is functional: {len(values)} different values given "
                "(too many to compare pair by pair)"
            )
            found.append(
                Conflict(
                    "contradiction",
                    subject,
                    predicate,
                    tuple(sorted(values)),
                    claims,
                    reason,
                    scope,
                )
            )
            continue
        loose = near.get((subject, predicate))
        for v1, v2 in combinations(sorted(values), 2):
            kind, reason = _compare(predicate, v1, values[v1], v2, values[v2], contained, loose)
            claims = tuple(evidence(r) for r in (*values[v1], *values[v2]))
            found.append(Conflict(kind, subject, predicate, (v1, v2), claims, reason, scope))

    for (subject, predicate, obj), group in by_triple.items():
        certainties = sorted({r["certainty"] for r in group})
        when = _when_disagreement(group)
        if when:
            claims = tuple(evidence(r) for r in group)
            found.append(Conflict("time", subject, predicate, (obj,), claims, when))
        elif len(certainties) > 1:
            claims = tuple(evidence(r) for r in group)
            if "denied" in certainties:
                deniers = sorted(
                    {r["speaker"] or r["article"] for r in group if r["certainty"] == "denied"}
                )
                others = sorted(
                    {r["speaker"] or r["article"] for r in group if r["certainty"] != "denied"}
                )
                reason = f"{', '.join(others)} assert it; {', '.join(deniers)} deny it"
                found.append(Conflict("contradiction", subject, predicate, (obj,), claims, reason))
            else:
                reason = f"the same value worded as {' vs '.join(certainties)}"
                found.append(Conflict("precision", subject, predicate, (obj,), claims, reason))
        by_speaker: dict[str, list[Row]] = {}
        for row in group:
            if row["speaker"]:
                by_speaker.setdefault(row["speaker"], []).append(row)
        for speaker, said in sorted(by_speaker.items()):
            # one claim per distinct wording: identical transcriptions are corroboration
            wordings: dict[str, Row] = {}
            for row in sorted(said, key=lambda r: r["article"]):
                wordings.setdefault(_norm(row["quote"]), row)
            distinct = list(wordings.values())
            pairs = (
                combinations(distinct, 2)
                if len(distinct) <= MAX_PAIRED_VALUES
                else itertools.pairwise(distinct)
            )
            for a, b in pairs:
                if a["article"] == b["article"]:
                    continue
                ratio = similarity(a["quote"], b["quote"])
                if ratio >= VARIANT_SIMILARITY:
                    reason = (
                        f"{speaker}'s words transcribed differently by two articles "
                        f"(similarity {ratio:.2f})"
                    )
                    found.append(
                        Conflict(
                            "quote-variant",
                            subject,
                            predicate,
                            (obj,),
                            (evidence(a), evidence(b)),
                            reason,
                        )
                    )

    order = {kind: i for i, kind in enumerate(CONFLICT_KINDS)}
    found.sort(
        key=lambda c: (
            order[c.kind],
            c.subject,
            c.predicate,
            c.values,
            tuple(r["article"] for r in c.claims),
        )
    )
    return found


def date_predicates(ontology: Ontology | None) -> set[str]:
    """The predicates whose object is a date (an event's day, a start, an end)."""
    if ontology is None:
        return set()
    return {name for name, pred in ontology.predicates.items() if pred.range == "date"}


def timeline(
    rows: Iterable[Row],
    entity: str | None = None,
    ontology: Ontology | None = None,
    stated_only: bool = False,
) -> list[Row]:
    """Dated claims in date order, the same dated fact from several articles merged into one.

    Each entry has ``when`` (as written: ``2020``, ``2023-11``, ``2023-11-16``), ``start`` and
    ``end`` (the days it can denote), ``what`` (``on``: an event's date; ``from``/``until``: the
    validity of a fact; ``occurred``: a date-valued claim such as ``occurredOn``), the triple and
    ``sources`` (evidence of each article). With ``entity``, only claims whose subject or
    object it is.

    Each source says how its date was obtained: ``date_obtained`` is ``stated`` (the date is
    written in the quote) or ``inferred``, ``date_words`` the words the date comes from (the
    quote, or the basis words of an inferred date, e.g. the removal sentence that ends a
    listing) and ``date_basis`` how it was worked out. An entry is ``inferred`` when no source
    states its date. ``stated_only`` leaves out the dates no source states.

    >>> rows = [make_row("ifs", "listedOn", "entity-list", valid_from="2020",
    ...                  valid_until="2023-11-16"),
    ...         make_row("united-states", "delisted", "ifs", date="2023-11-16")]
    >>> [(e["when"], e["what"], e["predicate"]) for e in timeline(rows, "ifs")]
    [('2020', 'from', 'listedOn'), ('2023-11-16', 'on', 'delisted'), \
('2023-11-16', 'until', 'listedOn')]
    """
    dated = date_predicates(ontology)
    entries: dict[tuple[str, str, str, str, str], Row] = {}
    for row in rows:
        obj = str(row["object"])
        if entity and entity not in (row["subject"], obj if row["object_is_entity"] else None):
            continue
        marks = [
            ("on", row.get("date"), "date"),
            ("from", row.get("valid_from"), "valid_from"),
            ("until", row.get("valid_until"), "valid_until"),
        ]
        if row["predicate"] in dated and _is_date(obj):
            marks.append(("occurred", obj, "object"))
        for what, when, part in marks:
            if not when:
                continue
            basis = (row.get("bases") or {}).get(part)
            if basis is None and part in (row.get("inferred") or ()):
                basis = {"words": [], "reasoning": row.get("basis") or ""}
            if stated_only and basis is not None:
                continue
            key = (when, what, row["subject"], row["predicate"], obj)
            if key not in entries:
                day = DateValue(when)
                entries[key] = {
                    "when": when,
                    "start": day.start.isoformat(),
                    "end": day.end.isoformat(),
                    "precision": day.precision,
                    "what": what,
                    "subject": row["subject"],
                    "predicate": row["predicate"],
                    "object": obj,
                    "sources": [],
                }
            entries[key]["sources"].append(
                evidence(row)
                | {
                    "date_obtained": "inferred" if basis else "stated",
                    "date_words": " … ".join(basis["words"]) if basis else row["quote"],
                    "date_basis": basis["reasoning"] if basis else None,
                }
            )
    order = {"occurred": 0, "on": 1, "from": 2, "until": 3}
    result = sorted(
        entries.values(),
        key=lambda e: (
            e["start"],
            e["end"],
            order[e["what"]],
            e["subject"],
            e["predicate"],
            e["object"],
        ),
    )
    for entry in result:
        entry["articles"] = sorted({s["article"] for s in entry["sources"]})
        stated = any(s["date_obtained"] == "stated" for s in entry["sources"])
        entry["obtained"] = "stated" if stated else "inferred"
    return result


def as_of(rows: Iterable[Row], day: str) -> list[Row]:
    """The claims that held on an ISO day, judged by validity intervals.

    A triple's interval runs from the earliest ``valid_from`` any article gives through the
    earliest ``valid_until`` any article gives, both inclusive at their precision, as in
    :meth:`kg.model.Claim.holds_on`; so an article that only says when a listing began does not
    keep it alive after another article says when it ended. Claims without validity hold when
    they are events dated on or before the day (``date``) or carry no time at all.

    >>> rows = [make_row("ifs", "listedOn", "entity-list", "a1", valid_from="2020"),
    ...         make_row("ifs", "listedOn", "entity-list", "a2", valid_from="2020",
    ...                  valid_until="2023-11-16")]
    >>> len(as_of(rows, "2022-01-01")), len(as_of(rows, "2024-01-01"))
    (2, 0)
    """
    when = dt.date.fromisoformat(day)
    rows = list(rows)
    bounds: dict[tuple[str, str, str], list[dt.date | None]] = {}
    for row in rows:
        triple = (row["subject"], row["predicate"], str(row["object"]))
        start, end = _interval(row)
        low, high = bounds.setdefault(triple, [None, None])
        if start and (low is None or start < low):
            bounds[triple][0] = start
        if end and (high is None or end < high):
            bounds[triple][1] = end
    held = []
    for row in rows:
        low, high = bounds[(row["subject"], row["predicate"], str(row["object"]))]
        if low or high:
            if (low is None or low <= when) and (high is None or when <= high):
                held.append(row)
        elif row.get("date"):
            if DateValue(row["date"]).start <= when:
                held.append(row)
        else:
            held.append(row)
    return held


Period = tuple[dt.date, dt.date]  # the first and last day a date can denote


def claim_time(row: Row, dated: Iterable[str] = ("occurredOn",)) -> tuple[Period, str] | None:
    """When a claim is placed in time, and on what basis, or None when nothing dates it.

    The basis is ``date`` (when the event happened), ``occurred`` (the value of a date-valued
    predicate in ``dated``), ``validity`` (from ``valid_from`` through ``valid_until``, open ends
    unbounded) or, when the claim has no date of its own, ``published``: the day its article
    was published (it was reported by then).

    >>> claim_time(make_row("us", "delisted", "ifs", date="2023-11-16"))
    ((datetime.date(2023, 11, 16), datetime.date(2023, 11, 16)), 'date')
    >>> claim_time(make_row("ifs", "listedOn", "list", valid_from="2020"))[0][1]
    datetime.date(9999, 12, 31)
    >>> claim_time(make_row("china", "combats", "x", published="2023"))
    ((datetime.date(2023, 1, 1), datetime.date(2023, 12, 31)), 'published')
    >>> claim_time(make_row("china", "combats", "x")) is None
    True
    """
    if row.get("date"):
        day = DateValue(row["date"])
        return (day.start, day.end), "date"
    if row["predicate"] in dated and _is_date(str(row["object"])):
        day = DateValue(str(row["object"]))
        return (day.start, day.end), "occurred"
    if row.get("valid_from") or row.get("valid_until"):
        start, end = _interval(row)
        return (start or dt.date.min, end or dt.date.max), "validity"
    if row.get("published"):
        day = DateValue(row["published"])
        return (day.start, day.end), "published"
    return None


def in_period(span: Period, after: Period | None = None, before: Period | None = None) -> bool:
    """Whether a time span can fall after ``after`` and before ``before`` (both exclusive).

    A span is after a date when it ends later than the date's last day, and before a date when
    it starts earlier than the date's first day: a fact that held from 2020 onwards is after
    2023; an event of "2023-11" can be after 15 November 2023.

    >>> nov = (dt.date(2023, 11, 1), dt.date(2023, 11, 30))
    >>> summit = (dt.date(2023, 11, 15), dt.date(2023, 11, 15))
    >>> in_period(nov, after=summit), in_period(summit, after=summit), in_period(nov, before=nov)
    (True, False, False)
    """
    if after is not None and not span[1] > after[1]:
        return False
    return before is None or span[0] < before[0]


def held_on(rows: Iterable[Row], day: str) -> list[Row]:
    """For each triple the claims place in time: did it hold (or had it happened) on ``day``?

    One answer per triple: ``held`` is True or False, ``reason`` says why in a few words
    (``removed on``-style: "ended 2023-11-16", "began 2020", "happened 2023-11-16"), and
    ``because`` lists the evidence (article, quote, dates) behind the reason, ``evidence`` every
    claim of the triple. Intervals follow :func:`as_of`: a triple holds from the earliest
    ``valid_from`` through the earliest ``valid_until`` any article gives.

    >>> rows = [make_row("ifs", "listedOn", "list", "a1", valid_from="2020",
    ...                  valid_until="2023-11-16"),
    ...         make_row("ifs", "listedOn", "list", "a2", valid_from="2020")]
    >>> [(a["held"], a["reason"], [e["article"] for e in a["because"]])
    ...  for a in held_on(rows, "2024-01-01")]
    [(False, 'ended on 2023-11-16', ['a1'])]
    >>> [(a["held"], a["reason"]) for a in held_on(rows, "2022-01-01")]
    [(True, 'held from 2020 until 2023-11-16')]
    """
    when = dt.date.fromisoformat(day)
    by_triple: dict[tuple[str, str, str], list[Row]] = {}
    for row in rows:
        by_triple.setdefault((row["subject"], row["predicate"], str(row["object"])), []).append(row)
    answers = []
    for (subject, predicate, obj), group in sorted(by_triple.items()):
        starts = [(DateValue(r["valid_from"]), r) for r in group if r.get("valid_from")]
        ends = [(DateValue(r["valid_until"]), r) for r in group if r.get("valid_until")]
        events = [(DateValue(r["date"]), r) for r in group if r.get("date")]
        if starts or ends:
            first = min((d.start for d, _ in starts), default=None)
            last = min((d.end for d, _ in ends), default=None)
            began = [r for d, r in starts if d.start == first]
            ended = [r for d, r in ends if d.end == last]
            start_text = began[0]["valid_from"] if began else None
            end_text = ended[0]["valid_until"] if ended else None
            if first is not None and when < first:
                held, reason, because = False, f"began in {start_text}, later", began
            elif last is not None and when > last:
                held, reason, because = False, f"ended on {end_text}", ended
            else:
                span = " ".join(
                    part
                    for part in (
                        f"from {start_text}" if start_text else "",
                        f"until {end_text}" if end_text else "",
                    )
                    if part
                )
                held, reason, because = True, f"held {span}", began + ended
        elif events:
            earliest = min(d.start for d, _ in events)
            happened = [r for d, r in events if d.start == earliest]
            text = happened[0]["date"]
            if earliest <= when:
                held, reason, because = True, f"happened on {text}", happened
            else:
                held, reason, because = False, f"happened later, on {text}", happened
        else:
            continue
        answers.append(
            {
                "subject": subject,
                "predicate": predicate,
                "object": obj,
                "day": day,
                "held": held,
                "reason": reason,
                "because": [evidence(r) for r in _by_article(because)],
                "evidence": [evidence(r) for r in _by_article(group)],
            }
        )
    return answers


def _by_article(rows: Iterable[Row]) -> list[Row]:
    seen: dict[str, Row] = {}
    for row in sorted(rows, key=lambda r: (r["article"], r.get("speaker") or "")):
        seen.setdefault(row["article"], row)
    return list(seen.values())


def corroboration(rows: Iterable[Row], min_outlets: int = 0, min_articles: int = 1) -> list[Row]:
    """Every triple with the articles, outlets, agencies and independent sources behind it.

    ``outlets`` are the outlets named (an article whose outlet is unknown names none),
    ``agencies`` the wire agencies named, ``sources`` counts independent sources (wire copy
    carried by two outlets is one agency; an article of unknown outlet and agency counts alone);
    ``single_source`` marks triples only one source stands behind. Best supported first.

    >>> rows = [make_row("ifs", "partOf", "mps", "a1", outlet="x", agency="afp"),
    ...         make_row("ifs", "partOf", "mps", "a2", outlet="y", agency="afp"),
    ...         make_row("us", "delisted", "ifs", "a3", outlet="voa"),
    ...         make_row("us", "delisted", "ifs", "a4")]
    >>> [(r["subject"], r["outlets"], r["sources"], r["single_source"])
    ...  for r in corroboration(rows)]
    [('us', ['voa'], 2, False), ('ifs', ['x', 'y'], 1, True)]
    >>> [r["subject"] for r in corroboration(rows, min_outlets=2)]
    ['ifs']
    """
    by_triple: dict[tuple[str, str, str], list[Row]] = {}
    for row in rows:
        by_triple.setdefault((row["subject"], row["predicate"], str(row["object"])), []).append(row)
    found = [
        {"subject": s, "predicate": p, "object": o, **support(group)}
        for (s, p, o), group in by_triple.items()
    ]
    found = [
        row
        for row in found
        if len(row["outlets"]) >= min_outlets and len(row["articles"]) >= min_articles
    ]
    found.sort(
        key=lambda r: (
            -r["sources"],
            -len(r["outlets"]),
            -len(r["articles"]),
            r["subject"],
            r["predicate"],
            r["object"],
        )
    )
    return found


def single_source_entities(
    rows: Iterable[Row], entities: Iterable[str] = (), single_article: bool = False
) -> list[Row]:
    """Entities that only one independent source mentions (as subject, object or speaker).

    ``entities`` limits the answer to these ids (all entities in the claims by default);
    ``single_article`` keeps only those that a single article mentions.

    >>> rows = [make_row("ifs", "partOf", "mps", "a1", outlet="voa"),
    ...         make_row("ifs", "partOf", "mps", "a2", outlet="scmp"),
    ...         make_row("us", "delisted", "ifs", "a1", outlet="voa", speaker="miller")]
    >>> [(r["id"], r["source"]) for r in single_source_entities(rows)]
    [('miller', 'outlet:voa'), ('us', 'outlet:voa')]
    """
    keys: dict[str, set[str]] = {}
    articles: dict[str, set[str]] = {}
    for row in rows:
        involved = [row["subject"], row["speaker"]]
        if row["object_is_entity"]:
            involved.append(row["object"])
        for entity in filter(None, involved):
            keys.setdefault(entity, set()).add(source_key(row))
            articles.setdefault(entity, set()).add(row["article"])
    wanted = set(entities) or set(keys)
    return [
        {"id": e, "source": next(iter(keys[e])), "articles": sorted(articles[e])}
        for e in sorted(wanted)
        if len(keys.get(e, ())) == 1 and (not single_article or len(articles[e]) == 1)
    ]


def _grouped(rows: Iterable[Row]) -> list[Row]:
    by_triple: dict[tuple[str, str, str], list[Row]] = {}
    for row in rows:
        by_triple.setdefault((row["subject"], row["predicate"], str(row["object"])), []).append(row)
    return [
        {
            "subject": s,
            "predicate": p,
            "object": o,
            "certainty": sorted({r["certainty"] for r in group}),
            "obtained": sorted({r.get("obtained", "stated") for r in group}),
            **support(group),
            "evidence": [evidence(r) for r in group],
        }
        for (s, p, o), group in sorted(by_triple.items())
    ]


def profile(rows: Iterable[Row], entity: str) -> Row:
    """What the claims say about one entity: its relations out and in, its literal facts, and
    what it is reported to have said, each triple with its sources and quotes.

    >>> rows = [make_row("ifs", "partOf", "mps", "a1"), make_row("ifs", "partOf", "mps", "a2"),
    ...         make_row("us", "delisted", "ifs", "a1")]
    >>> found = profile(rows, "ifs")
    >>> [(r["predicate"], r["object"], r["articles"]) for r in found["outgoing"]]
    [('partOf', 'mps', ['a1', 'a2'])]
    >>> [r["subject"] for r in found["incoming"]]
    ['us']
    """
    rows = list(rows)
    return {
        "outgoing": _grouped(r for r in rows if r["subject"] == entity and r["object_is_entity"]),
        "facts": _grouped(r for r in rows if r["subject"] == entity and not r["object_is_entity"]),
        "incoming": _grouped(r for r in rows if r["object_is_entity"] and r["object"] == entity),
        "said": _grouped(r for r in rows if r["speaker"] == entity),
    }


def summary(
    rows: Iterable[Row],
    entity_types: Mapping[str, str],
    articles: Iterable[str],
    quads: int,
    graph: nx.MultiDiGraph,
    ontology: Ontology,
    top: int = 5,
) -> Row:
    """Counts of the loaded graph: what ``kg stats`` prints.

    >>> import kg
    >>> s = kg.load().stats()
    >>> s["claims"] > 100 and s["conflicts"]["contradiction"] >= 1
    True
    """
    rows = list(rows)
    article_ids = sorted(articles)
    by_article = Counter(r["article"] for r in rows)
    triples = corroboration(rows)
    found = Counter(c.kind for c in conflicts(rows, ontology, graph))
    return {
        "articles": len(article_ids),
        "entities": len(entity_types),
        "claims": len(rows),
        "triples": len(triples),
        "quads": quads,
        "entities_by_type": dict(sorted(Counter(entity_types.values()).items())),
        "claims_by_predicate": dict(sorted(Counter(r["predicate"] for r in rows).items())),
        "claims_by_article": {a: by_article.get(a, 0) for a in article_ids},
        "attributed_claims": sum(1 for r in rows if r["speaker"]),
        "single_source_triples": sum(1 for t in triples if t["single_source"]),
        "conflicts": {kind: found.get(kind, 0) for kind in CONFLICT_KINDS},
        "most_central": [
            {k: r[k] for k in ("id", "label", "degree", "pagerank")}
            for r in centrality(graph)[:top]
        ],
    }
