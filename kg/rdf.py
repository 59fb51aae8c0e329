"""Curation records → RDF quads, in one deterministic order (the contract of exports/kg.trig).

Entities, articles and the ontology's own statements sit in the default graph and the ontology
graph; each article has a named graph (its IRI) holding the triples it supports and one claim node
per (triple, speaker) with the quote as W3C Web Annotation selectors.

>>> from kg.curation import load_curation
>>> quads = list(iter_quads(load_curation()))
>>> sum(1 for q in quads if q[1] == RDF.type and q[2] == KG.Claim) > 50
True
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeAlias

from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS
from rdflib.term import Node

from kg.model import Article, Claim, Curation, DateValue, Entity, Value
from kg.ontology import (
    KG,
    OA,
    SCHEMA,
    WD,
    Ontology,
    article_iri,
    claim_iri,
    entity_iri,
    load_ontology,
)

Quad: TypeAlias = tuple[Node, Node, Node, URIRef | None]

ONTOLOGY_GRAPH = URIRef(str(KG).rstrip("#"))
DATE_TYPES = {"year": XSD.gYear, "month": XSD.gYearMonth, "day": XSD.date}
# Strings stay plain literals: in RDF 1.1 they are xsd:string, and that is how every writer emits them.
LITERAL_TYPES = {"integer": XSD.integer, "decimal": XSD.decimal, "string": None}


def date_literal(value: DateValue) -> Literal:
    """A date typed by its precision: xsd:gYear, xsd:gYearMonth or xsd:date.

    >>> date_literal(DateValue("2023-11")).datatype == XSD.gYearMonth
    True
    """
    return Literal(value.text, datatype=DATE_TYPES[value.precision])


def value_literal(value: Value) -> Literal:
    if value.kind == "date":
        return date_literal(DateValue(value.lexical))
    return Literal(value.lexical, datatype=LITERAL_TYPES[value.kind])


def claim_object(claim: Claim) -> Node:
    """The RDF object of a claim: an entity IRI or a typed literal."""
    if isinstance(claim.object, Value):
        return value_literal(claim.object)
    return entity_iri(claim.object)


def claim_node(claim: Claim) -> URIRef:
    return claim_iri(claim.article, claim.subject, claim.predicate, str(claim.object),
                     claim.attributed_to)


def iter_quads(curation: Curation, ontology: Ontology | None = None) -> Iterator[Quad]:
    """Every quad of the dataset, in the order the exports are written."""
    onto = ontology or load_ontology()
    for entity_id in sorted(curation.entities):
        yield from _entity_quads(curation.entities[entity_id])
    for article_id in sorted(curation.articles):
        yield from _article_quads(curation.articles[article_id])
    yield from _ontology_quads(onto)
    by_article: dict[str, list[Claim]] = {}
    for claim in curation.claims:
        by_article.setdefault(claim.article, []).append(claim)
    for article_id in sorted(by_article):
        yield from _article_graph(article_id, by_article[article_id])


def _entity_quads(entity: Entity) -> Iterator[Quad]:
    node = entity_iri(entity.id)
    yield node, RDF.type, KG[entity.type], None
    yield node, RDFS.label, Literal(entity.label), None
    for alias in sorted(entity.aliases):
        yield node, SKOS.altLabel, Literal(alias), None
    if entity.description:
        yield node, SCHEMA.description, Literal(entity.description), None
    if entity.wikidata:
        yield node, OWL.sameAs, WD[entity.wikidata], None
    if entity.note:
        yield node, SKOS.note, Literal(entity.note), None


def _article_quads(article: Article) -> Iterator[Quad]:
    node = article_iri(article.id)
    yield node, RDF.type, KG.NewsArticle, None
    yield node, RDF.type, SCHEMA.NewsArticle, None
    yield node, DCTERMS.identifier, Literal(article.id), None
    yield node, SCHEMA.headline, Literal(article.title), None
    if article.outlet:
        yield node, SCHEMA.publisher, entity_iri(article.outlet), None
    if article.agency:
        yield node, KG.originatingAgency, entity_iri(article.agency), None
    if article.published:
        yield node, SCHEMA.datePublished, date_literal(article.published), None
    if article.published_basis:
        yield node, KG.publishedBasis, Literal(article.published_basis), None
    yield node, SCHEMA.inLanguage, Literal(article.language), None
    if article.url:
        yield node, SCHEMA.url, URIRef(article.url), None
    yield node, KG.sha256, Literal(article.sha256), None
    if article.note:
        yield node, SKOS.note, Literal(article.note), None


def _ontology_quads(onto: Ontology) -> Iterator[Quad]:
    """The ontology's statements without blank nodes, so SPARQL users can read labels."""
    graph = Graph().parse(onto.path, format="turtle")
    triples = [t for t in graph if not any(isinstance(term, BNode) for term in t)]
    for s, p, o in sorted(triples, key=lambda t: tuple(term.n3() for term in t)):
        yield s, p, o, ONTOLOGY_GRAPH


def _article_graph(article_id: str, claims: list[Claim]) -> Iterator[Quad]:
    graph = article_iri(article_id)
    asserted = {(entity_iri(c.subject), KG[c.predicate], claim_object(c)) for c in claims}
    for s, p, o in sorted(asserted, key=lambda t: tuple(term.n3() for term in t)):
        yield s, p, o, graph
    for claim in sorted(claims, key=claim_node):
        yield from _claim_quads(claim, graph)


def _claim_quads(claim: Claim, graph: URIRef) -> Iterator[Quad]:
    node = claim_node(claim)
    target, quote, position = (URIRef(f"{node}#{part}") for part in ("target", "quote", "position"))
    yield node, RDF.type, KG.Claim, graph
    yield node, RDF.subject, entity_iri(claim.subject), graph
    yield node, RDF.predicate, KG[claim.predicate], graph
    yield node, RDF.object, claim_object(claim), graph
    yield node, PROV.wasDerivedFrom, graph, graph
    if claim.attributed_to:
        yield node, KG.attributedTo, entity_iri(claim.attributed_to), graph
    for prop, value in ((KG.date, claim.date), (KG.validFrom, claim.valid_from),
                        (KG.validUntil, claim.valid_until)):
        if value:
            yield node, prop, date_literal(value), graph
    yield node, KG.certainty, Literal(claim.certainty), graph
    if claim.note:
        yield node, SKOS.note, Literal(claim.note), graph
    yield node, OA.hasTarget, target, graph
    yield target, RDF.type, OA.SpecificResource, graph
    yield target, OA.hasSource, graph, graph
    yield target, OA.hasSelector, position, graph
    yield target, OA.hasSelector, quote, graph
    yield quote, RDF.type, OA.TextQuoteSelector, graph
    yield quote, OA.exact, Literal(claim.quote.exact), graph
    yield quote, OA.prefix, Literal(claim.quote.prefix), graph
    yield quote, OA.suffix, Literal(claim.quote.suffix), graph
    yield position, RDF.type, OA.TextPositionSelector, graph
    yield position, OA.start, Literal(claim.quote.start), graph
    yield position, OA.end, Literal(claim.quote.end), graph
