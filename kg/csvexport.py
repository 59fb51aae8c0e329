"""Spreadsheet exports: ``entities.csv`` and ``claims.csv`` (one row per entity, per claim).

For people who open the graph in Excel, LibreOffice, Google Sheets or pandas. UTF-8 without a
byte-order mark, a header row, ``\\n`` line ends, fields quoted only when they need it (RFC 4180;
quotes contain commas and line breaks). Lists (an entity's aliases) are joined with
:data:`LIST_SEPARATOR`. Every entity column has the id and, next to it, the label. Rows come in
a fixed order (entities by id; claims by article, then in the order of the curation file), so
the same data gives the same bytes.

>>> from kg.api import validate
>>> curation = validate()
>>> header = claims_csv(curation).split(b"\\n", 1)[0].decode()
>>> header.startswith("claim,article,article_title,outlet,outlet_label,agency,agency_label,")
True
>>> entities_csv(curation).splitlines()[0]
b'id,type,label,aliases,description,wikidata,iri,claims,articles'
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from kg.model import Basis, Claim, Curation, Value
from kg.ontology import Ontology, entity_iri
from kg.rdf import claim_node

#: Joins the values of a list column (an entity's aliases).
LIST_SEPARATOR = " | "

ENTITY_COLUMNS = (
    "id",
    "type",
    "label",
    "aliases",
    "description",
    "wikidata",
    "iri",
    "claims",
    "articles",
)
CLAIM_COLUMNS = (
    "claim",
    "article",
    "article_title",
    "outlet",
    "outlet_label",
    "agency",
    "agency_label",
    "published",
    "published_basis",
    "url",
    "speaker",
    "speaker_label",
    "subject",
    "subject_label",
    "predicate",
    "predicate_label",
    "predicate_basis",
    "object",
    "object_label",
    "object_kind",
    "object_basis",
    "scope",
    "scope_label",
    "quote",
    "start",
    "end",
    "date",
    "date_basis",
    "valid_from",
    "valid_from_basis",
    "valid_until",
    "valid_until_basis",
    "obtained",
    "certainty",
    "note",
)


def basis_text(basis: Basis | None) -> str | None:
    """How an inferred value was worked out, as one line (see :meth:`kg.model.Basis.summary`).

    >>> basis_text(Basis(("on Thursday",), reasoning="the day after the summit"))
    'from “on Thursday”: the day after the summit'
    >>> basis_text(None) is None
    True
    """
    return basis.summary() if basis else None


def _table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    return _lines([columns]) + _lines(rows)


def _lines(rows: Iterable[Sequence[object]]) -> bytes:
    """CSV lines (a writer keeps nothing between rows: lines written apart join up)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue().encode("utf-8")


def claims_header() -> bytes:
    """The first line of ``claims.csv``."""
    return _lines([CLAIM_COLUMNS])


def entities_csv(curation: Curation) -> bytes:
    """One row per entity, by id: names, description, IRI, and how many claims and articles.

    ``claims`` counts the claims naming the entity as subject, object or speaker; ``articles``
    the articles those claims come from.
    """
    return entity_table(curation, *mentions(curation.claims))


def mentions(claims: Iterable[Claim]) -> tuple[Counter[str], Counter[str]]:
    """How many of ``claims`` name each entity (as subject, object or speaker), and from how
    many articles.

    >>> from dataclasses import replace
    >>> from kg.model import Quote
    >>> c = Claim("n1", "a", "partOf", "b", Quote("x", 0))
    >>> [sorted(counts.items()) for counts in mentions([c, replace(c, article="n2")])]
    [[('a', 2), ('b', 2)], [('a', 2), ('b', 2)]]
    """
    claims_naming: Counter[str] = Counter()
    articles: defaultdict[str, set[str]] = defaultdict(set)
    for claim in claims:
        named = {claim.subject, claim.attributed_to or claim.subject}
        if isinstance(claim.object, str):
            named.add(claim.object)
        for ident in named:
            claims_naming[ident] += 1
            articles[ident].add(claim.article)
    return claims_naming, Counter({ident: len(found) for ident, found in articles.items()})


def entity_table(
    curation: Curation, claims: Mapping[str, int], articles: Mapping[str, int]
) -> bytes:
    """``entities.csv`` with the counts of :func:`mentions` (summed over articles, say)."""
    rows = (
        (
            entity.id,
            entity.type,
            entity.label,
            LIST_SEPARATOR.join(entity.aliases),
            entity.description,
            entity.wikidata,
            str(entity_iri(entity.id)),
            claims.get(entity.id, 0),
            articles.get(entity.id, 0),
        )
        for entity in (curation.entities[i] for i in sorted(curation.entities))
    )
    return _table(ENTITY_COLUMNS, rows)


def claims_csv(curation: Curation, ontology: Ontology | None = None) -> bytes:
    """One row per claim: its article and publication, speaker, triple, quote at its offsets,
    dates and certainty. ``object_kind`` is ``entity`` or the literal's kind (integer, decimal,
    string, date); ``object_label`` is the entity's label, or the literal itself. ``scope`` is
    where a figure counts. ``obtained`` is ``stated`` when the quote gives every value, or
    ``inferred``; each inferred value has its ``*_basis`` (the words and reasoning).
    """
    ordered = sorted(enumerate(curation.claims), key=lambda pair: (pair[1].article, pair[0]))
    return claims_header() + claim_lines(curation, (claim for _, claim in ordered), ontology)


def claim_lines(
    curation: Curation, claims: Iterable[Claim], ontology: Ontology | None = None
) -> bytes:
    """The rows of ``claims.csv`` for ``claims``, in their order (no header): the rows of one
    article read only its record, the entities its claims name and the ontology."""
    entities, articles = curation.entities, curation.articles

    def label(ident: str | None) -> str | None:
        return entities[ident].label if ident and ident in entities else None

    def predicate_label(name: str) -> str:
        known = ontology.predicates.get(name) if ontology else None
        return known.label if known else name

    def row(claim: Claim) -> tuple[object, ...]:
        article = articles[claim.article]
        literal = isinstance(claim.object, Value)
        obj = str(claim.object)
        return (
            str(claim_node(claim)),
            claim.article,
            article.title,
            article.outlet,
            label(article.outlet),
            article.agency,
            label(article.agency),
            article.published,
            basis_text(article.published_basis),
            article.url,
            claim.attributed_to,
            label(claim.attributed_to),
            claim.subject,
            label(claim.subject),
            claim.predicate,
            predicate_label(claim.predicate),
            basis_text(claim.basis("predicate")),
            obj,
            obj if literal else label(obj),
            claim.object.kind if isinstance(claim.object, Value) else "entity",
            basis_text(claim.basis("object")),
            claim.scope,
            label(claim.scope),
            claim.quote.exact,
            claim.quote.start,
            claim.quote.end,
            claim.date,
            basis_text(claim.basis("date")),
            claim.valid_from,
            basis_text(claim.basis("valid_from")),
            claim.valid_until,
            basis_text(claim.basis("valid_until")),
            claim.obtained,
            claim.certainty,
            claim.note,
        )

    return _lines(row(claim) for claim in claims)
