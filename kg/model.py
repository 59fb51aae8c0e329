"""Typed records of the curation: articles, entities and claims. No I/O here.

>>> DateValue.parse("2023-11").precision
'month'
>>> DateValue.parse("2023-11-16").covers("2023-11-16")
True
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

DATE_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
PRECISIONS = ("year", "month", "day")
CERTAINTIES = ("stated", "approximate", "more-than", "less-than", "alleged", "hedged", "denied")
#: The parts of a claim whose value may be inferred rather than stated in the quote.
INFERABLE_PARTS = ("predicate", "object", "date", "valid_from", "valid_until")
#: How a value was obtained: written in the quote, or worked out by the curator.
STATED, INFERRED = "stated", "inferred"


@lru_cache(maxsize=65536)
def _period(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day a YYYY, YYYY-MM or YYYY-MM-DD value denotes (made once per
    value: the lint compares every date of every claim).

    >>> _period("2024-02")
    (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    """
    parts = [int(p) for p in text.split("-")]
    start = dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    if len(parts) == 3:
        return start, start
    if len(parts) == 1:
        return start, dt.date(parts[0], 12, 31)
    first_of_next = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
    return start, first_of_next - dt.timedelta(days=1)


@dataclass(frozen=True, order=True)
class DateValue:
    """A calendar date known to a precision: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.

    >>> DateValue.parse("2020").start, DateValue.parse("2020").end
    (datetime.date(2020, 1, 1), datetime.date(2020, 12, 31))
    >>> DateValue.parse("2024-02-30")
    Traceback (most recent call last):
    ...
    ValueError: 2024-02-30 is not a real date (day is out of range for month)
    """

    text: str

    @classmethod
    def parse(cls, text: str) -> DateValue:
        match = DATE_PATTERN.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a date: write YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = (int(g) if g else None for g in match.groups())
        try:
            dt.date(year or 1, month or 1, day or 1)
        except ValueError as err:
            raise ValueError(f"{text} is not a real date ({err})") from None
        return cls(text)

    @property
    def precision(self) -> str:
        return PRECISIONS[self.text.count("-")]

    @property
    def start(self) -> dt.date:
        """The first day the value can denote."""
        return _period(self.text)[0]

    @property
    def end(self) -> dt.date:
        """The last day the value can denote."""
        return _period(self.text)[1]

    def covers(self, day: str) -> bool:
        """True when the ISO day falls inside the period this value denotes."""
        return self.start <= dt.date.fromisoformat(day) <= self.end

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Value:
    """A literal claim object: its lexical form and kind (integer, decimal, string or date)."""

    lexical: str
    kind: str

    def __str__(self) -> str:
        return self.lexical


@dataclass(frozen=True)
class Source:
    """Where a record was written: a file and a 1-based line."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Basis:
    """How an inferred value (a date, a derived figure) follows from the texts: data, not a note.

    ``words`` are the article's own words the value is worked out from (each found verbatim in
    the article); ``articles`` the other articles the reasoning uses; ``claims`` the claims of
    the same article a derived value is computed from (``subject predicate object``);
    ``reasoning`` says how, in a sentence.

    >>> b = Basis(("on Thursday",), ("002_466c3d37c6bb4997",), (), "the day after 15 November")
    >>> b.summary()
    'from “on Thursday” with 002_466c3d37c6bb4997: the day after 15 November'
    """

    words: tuple[str, ...]
    articles: tuple[str, ...] = ()
    claims: tuple[str, ...] = ()
    reasoning: str = ""

    def summary(self) -> str:
        """One line: the words, the other articles and claims used, and the reasoning."""
        parts = [" + ".join(f"“{w}”" for w in self.words)]
        if self.articles:
            parts.append(f"with {', '.join(self.articles)}")
        if self.claims:
            parts.append(f"computed from {'; '.join(self.claims)}")
        text = "from " + " ".join(parts)
        return f"{text}: {self.reasoning}" if self.reasoning else text


@dataclass(frozen=True)
class BackgroundFact:
    """A fact no article states but a reader knows (San Francisco is part of California).

    It has its own provenance: the curator who recorded it and a reference identifier (a
    Wikidata QID or a GeoNames id, recorded, not fetched). It is never evidence: corroboration,
    "who says so" and source counts never count it; conflict typing may use it.
    """

    subject: str
    predicate: str
    object: str
    curator: str
    reference: str
    note: str | None = None
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Article:
    """One verbatim article and what is known about its publication."""

    id: str
    title: str
    outlet: str | None
    agency: str | None
    published: DateValue | None
    language: str
    sha256: str
    text: str = field(repr=False)
    url: str | None = None
    published_basis: Basis | None = None
    note: str | None = None
    source: Source | None = field(default=None, compare=False)

    @property
    def published_obtained(self) -> str | None:
        """``stated`` when the text writes the date, ``inferred`` when a basis is given."""
        if self.published is None:
            return None
        return INFERRED if self.published_basis else STATED


@dataclass(frozen=True)
class Entity:
    """A curated entity: an ontology class, a label and every alias the articles use."""

    id: str
    type: str
    label: str
    aliases: tuple[str, ...] = ()
    description: str | None = None
    wikidata: str | None = None
    geonames: str | None = None
    note: str | None = None
    source: Source | None = field(default=None, compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        """The label followed by the aliases, without repeats."""
        return tuple(dict.fromkeys((self.label, *self.aliases)))


@dataclass(frozen=True)
class Quote:
    """A verbatim span of an article: ``text[start:end] == exact``."""

    exact: str
    start: int
    prefix: str = ""
    suffix: str = ""

    @property
    def end(self) -> int:
        return self.start + len(self.exact)


@dataclass(frozen=True)
class Claim:
    """One (subject, predicate, object) an article supports, with its evidence and time."""

    article: str
    subject: str
    predicate: str
    object: str | Value
    quote: Quote
    attributed_to: str | None = None
    date: DateValue | None = None
    valid_from: DateValue | None = None
    valid_until: DateValue | None = None
    certainty: str = "stated"
    note: str | None = None
    source: Source | None = field(default=None, compare=False)
    #: where a figure counts (a place id)
    scope: str | None = None
    #: the parts (see :data:`INFERABLE_PARTS`) the curator inferred, each with its basis
    inferred: tuple[tuple[str, Basis], ...] = ()

    @property
    def obtained(self) -> str:
        """``inferred`` when any part of the claim is inferred, else ``stated``.

        >>> Claim("a", "s", "p", "o", Quote("x", 0)).obtained
        'stated'
        """
        return INFERRED if self.inferred else STATED

    def basis(self, part: str) -> Basis | None:
        """The basis of an inferred part, or None when the part is stated (or absent)."""
        return dict(self.inferred).get(part)

    @property
    def object_is_entity(self) -> bool:
        return isinstance(self.object, str)

    def holds_on(self, day: str) -> bool:
        """Whether the claim's validity interval includes an ISO day (open ends hold).

        Both ends are inclusive at their precision: ``valid_until: 2023-03`` means the fact
        still held in March 2023, the last month the text names.

        >>> c = Claim("a", "ifs", "listedOn", "entity-list", Quote("x", 0),
        ...           valid_from=DateValue("2020"), valid_until=DateValue("2023-11-16"))
        >>> c.holds_on("2022-01-01"), c.holds_on("2024-01-01")
        (True, False)
        """
        when = dt.date.fromisoformat(day)
        if self.valid_from and when < self.valid_from.start:
            return False
        return not (self.valid_until and when > self.valid_until.end)


@dataclass(frozen=True)
class Curation:
    """Everything under ``data/``, checked: articles, entities and claims by article."""

    articles: dict[str, Article]
    entities: dict[str, Entity]
    claims: tuple[Claim, ...]
    background: tuple[BackgroundFact, ...] = ()

    def texts(self) -> dict[str, str]:
        """Each article's text by id, in id order (what the graph page quotes from).

        >>> Curation({}, {}, ()).texts()
        {}
        """
        return {ident: article.text for ident, article in sorted(self.articles.items())}
