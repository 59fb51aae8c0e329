"""FollowTheMoney export (``kg.ftm.json``): the graph in the data model of OpenSanctions and Aleph.

Written as FtM entity JSON lines (one ``{"id", "schema", "properties"}`` object per line, the
format ``ftm`` tools, Aleph and yente read) without needing the ``followthemoney`` package at
build time; the tests validate every line against its model.

- Entities become Person, PublicBody (government agencies), Organization (organisations,
  outlets, news agencies), LegalEntity (groups of people), Territory (countries), Address
  (places) or Event, by the nearest class of the ontology in :data:`SCHEMA_OF_CLASS`. Kinds FtM
  has no schema for (activities, policies, substances, lists) are left out with their claims.
- Each article becomes an Article (title, publisher, date, URL).
- Each ``listedOn`` claim whose object is a List becomes a Sanction: the listed entity, the
  list as program, the bodies the list is ``maintainedBy`` as authority, ``valid_from`` /
  ``valid_until`` as start and end dates.
- Every other claim between two exported entities becomes an UnknownLink (role: the
  predicate's label); a claim with a literal object becomes a Note on its subject.

Every claim keeps its source: ``proof`` is the Article, ``summary`` the verbatim quote,
``recordId`` the claim's IRI, ``publisher`` and ``sourceUrl`` the article's, ``status`` the
certainty, and the speaker, the quote offsets and the basis of any inferred value (a date the
quote does not write) are in ``description``.

>>> from kg.api import validate
>>> lines = ftm_json(validate()).splitlines()
>>> first = json.loads(lines[0])
>>> sorted(first)
['id', 'properties', 'schema']
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from kg.csvexport import basis_text
from kg.model import Article, Claim, Curation, Entity, Value
from kg.ontology import Ontology, load_ontology
from kg.rdf import claim_node

#: kg class → FtM schema, most specific first: an entity takes the first that is its class or
#: one of its ancestors.
SCHEMA_OF_CLASS = {
    "Person": "Person",
    "GovernmentAgency": "PublicBody",
    "Country": "Territory",
    "Organization": "Organization",
    "Place": "Address",
    "Event": "Event",
    "Agent": "LegalEntity",
}
#: The predicate whose claims, with a List as object, are sanctions listings.
LISTING_PREDICATE = "listedOn"
LIST_CLASS = "List"
#: The predicate naming who keeps a list (its authority).
AUTHORITY_PREDICATE = "maintainedBy"

Properties = dict[str, list[str]]


def entity_id(ident: str) -> str:
    """The FtM id of a kg entity.

    >>> entity_id("ifs")
    'kg-ifs'
    """
    return f"kg-{ident}"


def article_id(ident: str) -> str:
    """The FtM id of an article (FtM ids allow letters, digits, ``.`` and ``-``).

    >>> article_id("001_9a1418d7ed6deaae")
    'kg-article-001-9a1418d7ed6deaae'
    """
    return f"kg-article-{ident.replace('_', '-')}"


def claim_id(claim_iri: str) -> str:
    """The FtM id of a claim's link, note or sanction: from the hash that ends its IRI.

    >>> claim_id("https://kg.example/claim/76cf8f69ae8951aa")
    'kg-claim-76cf8f69ae8951aa'
    """
    return "kg-claim-" + claim_iri.rsplit("/", 1)[-1]


def schema_of(entity: Entity, ontology: Ontology) -> str | None:
    """The FtM schema for an entity's class, or None when FtM has none for it."""
    ancestors = ontology.ancestors.get(entity.type, frozenset()) | {entity.type}
    return next((schema for cls, schema in SCHEMA_OF_CLASS.items() if cls in ancestors), None)


def _props(**values: Any) -> Properties:
    """FtM properties from keyword arguments: None and empty values dropped, all as lists."""
    out: Properties = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            kept = [str(v) for v in value if v is not None and str(v)]
            if kept:
                out[name] = kept
        elif text := str(value):
            out[name] = [text]
    return out


def _entity(entity: Entity, schema: str) -> dict[str, Any]:
    props = _props(
        name=entity.label,
        alias=list(entity.aliases),
        description=entity.description,
        wikidataId=entity.wikidata,
    )
    if schema == "Address":
        props["full"] = [entity.label]
    return {"id": entity_id(entity.id), "schema": schema, "properties": props}


def _article(article: Article, curation: Curation) -> dict[str, Any]:
    def label(ident: str | None) -> str | None:
        return curation.entities[ident].label if ident in curation.entities else None

    basis = basis_text(article.published_basis)
    props = _props(
        title=article.title,
        name=article.title,
        publisher=label(article.outlet),
        author=label(article.agency),
        publishedAt=article.published,
        sourceUrl=article.url,
        description=basis and f"date basis: {basis}",
    )
    return {"id": article_id(article.id), "schema": "Article", "properties": props}


def _source(claim: Claim, iri: str, curation: Curation, interval: bool = True) -> Properties:
    """What every statement carries: its article, quote, claim IRI, publisher and certainty.

    A Note (``interval=False``) has no ``recordId`` nor ``status``: they go in its description.
    """
    article = curation.articles[claim.article]
    publisher = article.outlet if article.outlet in curation.entities else article.agency
    said = (
        f"attributed to {curation.entities[claim.attributed_to].label}; "
        if (claim.attributed_to in curation.entities)
        else ""
    )
    record = "" if interval else f"claim {iri}, {claim.certainty}; "
    inferred = "".join(f"; {part} inferred {b.summary()}" for part, b in claim.inferred)
    return _props(
        proof=article_id(claim.article),
        summary=claim.quote.exact,
        recordId=iri if interval else None,
        publisher=curation.entities[publisher].label if publisher else None,
        sourceUrl=article.url,
        status=claim.certainty if interval else None,
        description=(
            f"{record}{said}quote at characters {claim.quote.start}-{claim.quote.end} of "
            f"article {claim.article}{inferred}" + (f"; note: {claim.note}" if claim.note else "")
        ),
    )


def ftm_entities(curation: Curation, ontology: Ontology | None = None) -> Iterator[dict[str, Any]]:
    """Every FtM entity of the export, sorted by id."""
    onto = ontology or load_ontology()
    schemas = schemas_of(curation, onto)
    out = list(record_entities(curation, schemas))
    authorities = authorities_of(curation)
    for claim in curation.claims:
        out.extend(_statement(claim, curation, onto, schemas, authorities))
    return iter(sorted(out, key=lambda e: e["id"]))


def schemas_of(curation: Curation, ontology: Ontology) -> dict[str, str]:
    """The FtM schema of each entity that has one, by entity id."""
    return {
        ident: schema
        for ident, entity in curation.entities.items()
        if (schema := schema_of(entity, ontology))
    }


def record_entities(curation: Curation, schemas: dict[str, str]) -> Iterator[dict[str, Any]]:
    """The FtM entities of the entity and article records (those of claims come after)."""
    for ident, schema in schemas.items():
        yield _entity(curation.entities[ident], schema)
    for article in curation.articles.values():
        yield _article(article, curation)


def authorities_of(curation: Curation) -> dict[str, list[str]]:
    """The labels of the bodies each list is ``maintainedBy``, by list id: sorted, once each,
    as a Sanction's ``authority`` property lists them. Made once per export: a list maintained
    by a thousand bodies, listed in every other article, would otherwise be sorted and
    copied again for each listing."""
    labels: defaultdict[str, set[str]] = defaultdict(set)
    for claim in curation.claims:
        if claim.predicate == AUTHORITY_PREDICATE and isinstance(claim.object, str):
            labels[claim.subject].add(curation.entities[claim.object].label)
    return {
        ident: Authorities(label for label in sorted(names) if label)
        for ident, names in labels.items()
    }


class Authorities(list[str]):
    """A list's authorities, with their JSON made once: :func:`ftm_line` writes it into each of
    the list's sanctions (as many as its listings) instead of encoding every label again.

    >>> Authorities(["US Commerce", "Büro"]).json
    '["US Commerce", "Büro"]'
    """

    @functools.cached_property
    def json(self) -> str:
        return json.dumps(self, ensure_ascii=False)


#: What stands in a sanction's line for its :class:`Authorities` until they are written in: a
#: string no other value of the line can hold before it (only the id, a claim hash, precedes
#: "authority" among the sorted keys).
_AUTHORITY_MARK = "\0authority\0"
_AUTHORITY_MARK_JSON = json.dumps(_AUTHORITY_MARK)


def statement_lines(
    claims: Iterable[Claim],
    curation: Curation,
    ontology: Ontology,
    schemas: dict[str, str],
    authorities: Mapping[str, list[str]],
) -> list[tuple[str, str]]:
    """(id, JSON line) of the FtM entities the claims become, in the claims' order."""
    return [
        (entity["id"], ftm_line(entity))
        for claim in claims
        for entity in _statement(claim, curation, ontology, schemas, authorities)
    ]


def ftm_line(entity: dict[str, Any]) -> str:
    """One line of ``kg.ftm.json``: keys sorted, UTF-8 kept.

    >>> sanction = {"id": "kg-claim-1", "schema": "Sanction",
    ...             "properties": {"authority": Authorities(["US"]), "program": ["Entity List"]}}
    >>> ftm_line(sanction) == json.dumps(sanction, ensure_ascii=False, sort_keys=True)
    True
    """
    properties = entity["properties"]
    authority = properties.get("authority")
    if isinstance(authority, Authorities):
        marked = {**entity, "properties": {**properties, "authority": _AUTHORITY_MARK}}
        line = json.dumps(marked, ensure_ascii=False, sort_keys=True)
        return line.replace(_AUTHORITY_MARK_JSON, authority.json, 1)
    return json.dumps(entity, ensure_ascii=False, sort_keys=True)


def _statement(
    claim: Claim,
    curation: Curation,
    ontology: Ontology,
    schemas: dict[str, str],
    authorities: Mapping[str, list[str]],
) -> Iterator[dict[str, Any]]:
    if claim.subject not in schemas:
        return
    iri = str(claim_node(claim))
    ident = claim_id(iri)
    if isinstance(claim.object, Value):
        label = _predicate_label(claim.predicate, ontology)
        scope = curation.entities[claim.scope].label if claim.scope in curation.entities else None
        name = f"{label}: {claim.object}" + (f" (in {scope})" if scope else "")
        props = _props(entity=entity_id(claim.subject), name=name)
        note = _source(claim, iri, curation, interval=False)
        yield {"id": ident, "schema": "Note", "properties": {**props, **note}}
        return
    source = _source(claim, iri, curation)
    target = curation.entities[claim.object]
    times = _props(date=claim.date, startDate=claim.valid_from, endDate=claim.valid_until)
    is_list = target.type == LIST_CLASS or ontology.is_subclass(target.type, LIST_CLASS)
    if claim.predicate == LISTING_PREDICATE and is_list:
        props = _props(
            entity=entity_id(claim.subject), program=target.label, listingDate=claim.valid_from
        )
        if authority := authorities.get(target.id):  # as _props would give it, made once
            props["authority"] = authority
        yield {"id": ident, "schema": "Sanction", "properties": {**props, **times, **source}}
        return
    if claim.object not in schemas:
        return
    props = _props(
        subject=entity_id(claim.subject),
        object=entity_id(claim.object),
        role=_predicate_label(claim.predicate, ontology),
    )
    yield {"id": ident, "schema": "UnknownLink", "properties": {**props, **times, **source}}


def _predicate_label(name: str, ontology: Ontology) -> str:
    known = ontology.predicates.get(name)
    return known.label if known else name


def ftm_json(curation: Curation, ontology: Ontology | None = None) -> bytes:
    """``kg.ftm.json``: one FtM entity per line, sorted by id, keys sorted (deterministic)."""
    return ftm_file(ftm_line(entity) for entity in ftm_entities(curation, ontology))


def ftm_file(lines: Iterable[str]) -> bytes:
    """``kg.ftm.json`` from its lines, in order."""
    return ("\n".join(lines) + "\n").encode("utf-8")
