"""Curation records → RDF quads, in one deterministic order (the contract of exports/kg.trig).

Entities, articles and the ontology's own statements sit in the default graph and the ontology
graph; each article has a named graph (its IRI) holding the triples it supports and one claim node
per (triple, speaker) with the quote as W3C Web Annotation selectors. The default graph also
says, once, of each relation between two entities that some article's graph holds, that an
article claims it, however sure (:func:`relation_quads`, ``rel:`` predicates), and links each two
entities that such a relation links by ``rel:neighbour``, both ways round: an index to walk, never
a source.
Background knowledge (facts no article states) sits in a graph of its own,
:data:`BACKGROUND_GRAPH`, never in an article's.

>>> from kg.curation import load_curation
>>> quads = list(iter_quads(load_curation()))
>>> sum(1 for q in quads if q[1] == RDF.type and q[2] == KG.Claim) > 50
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import TypeAlias

from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS
from rdflib.term import Node

from kg.model import (
    INFERRED,
    STATED,
    Article,
    BackgroundFact,
    Basis,
    Claim,
    Curation,
    DateValue,
    Entity,
    Value,
)
from kg.ontology import (
    BASE_IRI,
    GEONAMES,
    KG,
    NEIGHBOUR,
    OA,
    REL,
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
#: The graph of background facts: known to a reader, stated by no article, never evidence.
BACKGROUND_GRAPH = URIRef(f"{BASE_IRI}background")
DATE_TYPES = {"year": XSD.gYear, "month": XSD.gYearMonth, "day": XSD.date}
# Strings stay plain literals: in RDF 1.1 they are xsd:string, and that is how every writer
# emits them.
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
    return claim_iri(
        claim.article, claim.subject, claim.predicate, str(claim.object), claim.attributed_to
    )


# Terms on every quad, made once: each rdflib term made anew validates its IRI.
_TYPE, _LABEL, _ALT_LABEL, _NOTE = RDF.type, RDFS.label, SKOS.altLabel, SKOS.note
_DESCRIPTION, _SAME_AS = SCHEMA.description, OWL.sameAs
_KG_ARTICLE, _SCHEMA_ARTICLE, _IDENTIFIER = KG.NewsArticle, SCHEMA.NewsArticle, DCTERMS.identifier
_HEADLINE, _PUBLISHER, _AGENCY = SCHEMA.headline, SCHEMA.publisher, KG.originatingAgency
_PUBLISHED, _BASIS, _LANGUAGE = SCHEMA.datePublished, KG.publishedBasis, SCHEMA.inLanguage
_URL, _SHA256 = SCHEMA.url, KG.sha256
_SUBJECT, _PREDICATE, _OBJECT = RDF.subject, RDF.predicate, RDF.object
_CLAIM, _ATTRIBUTED_TO, _CERTAINTY = KG.Claim, KG.attributedTo, KG.certainty
_DERIVED_FROM = PROV.wasDerivedFrom
_TIMES = ((KG.date, "date"), (KG.validFrom, "valid_from"), (KG.validUntil, "valid_until"))
#: per inferable part: (the property saying how it was obtained, the property to its basis)
_OBTAINED = {
    "predicate": (KG.predicateObtained, KG.predicateBasis),
    "object": (KG.objectObtained, KG.objectBasis),
    "date": (KG.dateObtained, KG.dateBasis),
    "valid_from": (KG.validFromObtained, KG.validFromBasis),
    "valid_until": (KG.validUntilObtained, KG.validUntilBasis),
}
_SCOPE, _CLAIM_OBTAINED = KG.scope, KG.obtained
_HAS_TARGET, _SPECIFIC, _HAS_SOURCE = OA.hasTarget, OA.SpecificResource, OA.hasSource
_HAS_SELECTOR, _QUOTE_SELECTOR, _POSITION_SELECTOR = (
    OA.hasSelector,
    OA.TextQuoteSelector,
    OA.TextPositionSelector,
)
_EXACT, _PREFIX, _SUFFIX, _START, _END = OA.exact, OA.prefix, OA.suffix, OA.start, OA.end


class Terms:
    """Terms that repeat on many quads, made once per build: creating an rdflib term validates
    it, and at 100k claims that was a third of the build. Same terms, same order, same output."""

    def __init__(self) -> None:
        self._entities: dict[str, URIRef] = {}
        self._articles: dict[str, URIRef] = {}
        self._kg: dict[str, URIRef] = {}
        self._rel: dict[str, URIRef] = {}
        self._literals: dict[object, Literal] = {}

    def entity(self, ident: str) -> URIRef:
        node = self._entities.get(ident)
        if node is None:
            node = self._entities[ident] = entity_iri(ident)
        return node

    def article(self, ident: str) -> URIRef:
        node = self._articles.get(ident)
        if node is None:
            node = self._articles[ident] = article_iri(ident)
        return node

    def kg(self, name: str) -> URIRef:
        """A class or predicate of the kg: namespace."""
        node = self._kg.get(name)
        if node is None:
            node = self._kg[name] = KG[name]
        return node

    def rel(self, name: str) -> URIRef:
        """The ``rel:`` predicate of a claim predicate, or ``rel:neighbour`` (see
        :func:`relation_quads`)."""
        node = self._rel.get(name)
        if node is None:
            node = self._rel[name] = REL[name]
        return node

    def literal(self, value: DateValue | str | int) -> Literal:
        """A date (typed by precision), a plain string or an integer, shared when repeated."""
        key = (type(value), value)
        term = self._literals.get(key)
        if term is None:
            term = date_literal(value) if isinstance(value, DateValue) else Literal(value)
            self._literals[key] = term
        return term

    def object(self, claim: Claim) -> Node:
        if isinstance(claim.object, Value):
            return value_literal(claim.object)
        return self.entity(claim.object)


def iter_quads(curation: Curation, ontology: Ontology | None = None) -> Iterator[Quad]:
    """Every quad of the dataset, in the order the exports are written: the default graph
    (:func:`default_graph_quads`), the ontology graph, the relations (:func:`relation_quads`,
    in the default graph), each article's graph (:func:`article_graph_quads`) in the order of
    article ids, then the background graph (:func:`background_graph_quads`)."""
    onto = ontology or load_ontology()
    terms = Terms()
    yield from default_graph_quads(curation, terms)
    yield from _ontology_quads(onto)
    yield from relation_quads(relation_triples(stated_relations(curation.claims)), terms)
    by_article = claims_by_article(curation)
    for article_id in sorted(by_article):
        yield from article_graph_quads(article_id, by_article[article_id], terms)
    yield from background_graph_quads(curation, terms)


def default_graph_quads(curation: Curation, terms: Terms) -> Iterator[Quad]:
    """Entities, then articles, each in the order of their ids."""
    for entity_id in sorted(curation.entities):
        yield from _entity_quads(curation.entities[entity_id], terms)
    for article_id in sorted(curation.articles):
        yield from _article_quads(curation.articles[article_id], terms)


def entity_quads(entity: Entity, terms: Terms) -> Iterator[Quad]:
    """What the default graph says about one entity."""
    return _entity_quads(entity, terms)


def article_quads(article: Article, terms: Terms) -> Iterator[Quad]:
    """What the default graph says about one article (and its publication basis)."""
    return _article_quads(article, terms)


def ontology_graph_quads(onto: Ontology) -> Iterator[Quad]:
    """The ontology's statements, in its own graph (see :data:`ONTOLOGY_GRAPH`)."""
    return _ontology_quads(onto)


def stated_relations(claims: Iterable[Claim]) -> list[tuple[str, str, str]]:
    """(subject, predicate, object) ids of each relation between two entities that the claims
    state (a value is not a relation), once, sorted: the first part of :func:`relation_triples`.

    >>> from kg.curation import load_curation
    >>> ("ifs", "partOf", "ministry-of-public-security") in stated_relations(load_curation().claims)
    True
    """
    return sorted(
        {(c.subject, c.predicate, c.object) for c in claims if not isinstance(c.object, Value)}
    )


def relation_triples(stated: Sequence[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The default graph's relations as (subject, ``rel:`` name, object) ids, the triples of
    :func:`relation_quads`: each relation ``stated`` (what :func:`stated_relations` gives), then
    ``neighbour`` (:data:`kg.ontology.NEIGHBOUR`) between each two entities that some relation
    links, both ways round, once: ``a rel:neighbour b`` whenever a relation links a to b or b to
    a (an entity a claim relates to itself is its own neighbour, once).

    >>> relation_triples([("ifs", "partOf", "mps"), ("mps", "funds", "ifs"), ("a", "blamed", "a")])
    ... # doctest: +NORMALIZE_WHITESPACE
    [('ifs', 'partOf', 'mps'), ('mps', 'funds', 'ifs'), ('a', 'blamed', 'a'),
     ('a', 'neighbour', 'a'), ('ifs', 'neighbour', 'mps'), ('mps', 'neighbour', 'ifs')]
    """
    pairs = sorted({pair for s, _, o in stated for pair in ((s, o), (o, s))})
    return [*stated, *((a, NEIGHBOUR, b) for a, b in pairs)]


def relation_quads(triples: Iterable[tuple[str, str, str]], terms: Terms) -> Iterator[Quad]:
    """The relations :func:`relation_triples` gives, in the default graph with their
    predicates in the ``rel:`` namespace
    (:data:`kg.ontology.REL`): ``entity:a rel:partOf entity:b`` says that an article's graph
    holds a claim of ``entity:a kg:partOf entity:b``, however sure (stated, alleged, hedged or
    denied), not that a is part of b: a dataset's default graph asserts what it holds, so the
    claims' own predicates stay in the article graphs (:func:`relation_declarations`).
    ``entity:a rel:neighbour entity:b`` says that some such relation links a and b, whichever
    way round.

    They are an index for walking the graph (neighbours, 2-hop, paths): in the article graphs an
    edge is read once per article stating it, and a hub's edges fill hundreds of thousands of
    quads; a walk along ``rel:neighbour`` reads each neighbour once, whatever the predicates and
    directions of the relations between them. They are never evidence: who says so, in which
    words and how surely is in the article graphs, and ``GRAPH ?g`` never matches the default
    graph."""
    for subject, name, obj in triples:
        yield terms.entity(subject), terms.rel(name), terms.entity(obj), None


def background_graph_quads(curation: Curation, terms: Terms) -> Iterator[Quad]:
    """The background facts, last, in their own graph (see :data:`BACKGROUND_GRAPH`)."""
    return _background_quads(curation.background, terms)


def claims_by_article(curation: Curation) -> dict[str, list[Claim]]:
    """The claims of each article that has any, in curation order."""
    by_article: dict[str, list[Claim]] = {}
    for claim in curation.claims:
        by_article.setdefault(claim.article, []).append(claim)
    return by_article


def background_iri(fact: BackgroundFact) -> URIRef:
    """A stable IRI for one background fact."""
    key = "\x1f".join((fact.subject, fact.predicate, fact.object))
    return URIRef(f"{BASE_IRI}background/{hashlib.sha256(key.encode()).hexdigest()[:16]}")


def reference_iri(reference: str) -> URIRef:
    """``wikidata:Q62`` or ``geonames:5391959`` as the IRI of the record.

    >>> str(reference_iri("geonames:5391959"))
    'https://sws.geonames.org/5391959/'
    """
    scheme, _, ident = reference.partition(":")
    return WD[ident] if scheme == "wikidata" else URIRef(f"{GEONAMES}{ident}/")


def _background_quads(facts: tuple[BackgroundFact, ...], terms: Terms) -> Iterator[Quad]:
    """Each background fact as a triple and a kg:BackgroundFact node with its provenance, all in
    :data:`BACKGROUND_GRAPH`."""
    graph = BACKGROUND_GRAPH
    for fact in sorted(facts, key=lambda f: (f.subject, f.predicate, f.object)):
        node = background_iri(fact)
        subject, predicate, obj = (
            terms.entity(fact.subject),
            terms.kg(fact.predicate),
            terms.entity(fact.object),
        )
        yield subject, predicate, obj, graph
        yield node, _TYPE, KG.BackgroundFact, graph
        yield node, _SUBJECT, subject, graph
        yield node, _PREDICATE, predicate, graph
        yield node, _OBJECT, obj, graph
        yield node, KG.curator, Literal(fact.curator), graph
        yield node, KG.reference, reference_iri(fact.reference), graph
        if fact.note:
            yield node, _NOTE, Literal(fact.note), graph


def _basis_quads(
    node: URIRef, basis: Basis, terms: Terms, claims: dict[str, URIRef], graph: URIRef | None
) -> Iterator[Quad]:
    yield node, _TYPE, KG.Basis, graph
    for words in sorted(set(basis.words)):
        yield node, KG.basisWords, Literal(words), graph
    for article in sorted(set(basis.articles)):
        yield node, KG.basisArticle, terms.article(article), graph
    for ref in sorted(claims[r] for r in set(basis.claims) if r in claims):
        yield node, KG.basisClaim, ref, graph
    yield node, KG.reasoning, Literal(basis.reasoning), graph


def article_graph_quads(article_id: str, claims: list[Claim], terms: Terms) -> Iterator[Quad]:
    """The named graph of one article: the triples its claims state, then each claim node."""
    return _article_graph(article_id, claims, terms)


def _entity_quads(entity: Entity, terms: Terms) -> Iterator[Quad]:
    node = terms.entity(entity.id)
    yield node, _TYPE, terms.kg(entity.type), None
    yield node, _LABEL, Literal(entity.label), None
    for alias in sorted(entity.aliases):
        yield node, _ALT_LABEL, Literal(alias), None
    if entity.description:
        yield node, _DESCRIPTION, Literal(entity.description), None
    if entity.wikidata:
        yield node, _SAME_AS, WD[entity.wikidata], None
    if entity.geonames:
        yield node, _SAME_AS, URIRef(f"{GEONAMES}{entity.geonames}/"), None
    if entity.note:
        yield node, _NOTE, Literal(entity.note), None


def _article_quads(article: Article, terms: Terms) -> Iterator[Quad]:
    node = terms.article(article.id)
    yield node, _TYPE, _KG_ARTICLE, None
    yield node, _TYPE, _SCHEMA_ARTICLE, None
    yield node, _IDENTIFIER, Literal(article.id), None
    yield node, _HEADLINE, Literal(article.title), None
    if article.outlet:
        yield node, _PUBLISHER, terms.entity(article.outlet), None
    if article.agency:
        yield node, _AGENCY, terms.entity(article.agency), None
    if article.published:
        yield node, _PUBLISHED, terms.literal(article.published), None
        yield node, KG.publishedObtained, terms.literal(article.published_obtained or STATED), None
    if article.published_basis:
        basis = URIRef(f"{node}#published-basis")
        yield node, _BASIS, basis, None
        yield from _basis_quads(basis, article.published_basis, terms, {}, None)
    yield node, _LANGUAGE, terms.literal(article.language), None
    if article.url:
        yield node, _URL, URIRef(article.url), None
    yield node, _SHA256, Literal(article.sha256), None
    if article.note:
        yield node, _NOTE, Literal(article.note), None


def _ontology_quads(onto: Ontology) -> Iterator[Quad]:
    """The ontology's statements without blank nodes, so SPARQL users can read labels, and
    what each ``rel:`` predicate of the default graph's relations means
    (:func:`relation_declarations`)."""
    graph = Graph().parse(onto.path, format="turtle")
    triples = [t for t in graph if not any(isinstance(term, BNode) for term in t)]
    triples += relation_declarations(onto)
    for s, p, o in sorted(triples, key=lambda t: tuple(term.n3() for term in t)):
        yield s, p, o, ONTOLOGY_GRAPH


def relation_declarations(onto: Ontology) -> list[tuple[Node, Node, Node]]:
    """For each predicate that links two entities, its ``rel:`` form (see
    :func:`relation_quads`): a property whose label says "claimed" and whose comment says that
    an article's claim of it may be stated, alleged, hedged or denied. Never a sub-property of
    the claim's own predicate: that would assert what only an article claims. Then
    ``rel:neighbour``, an ``owl:SymmetricProperty`` (see :func:`relation_triples`).

    >>> from kg.ontology import load_ontology
    >>> declared = {(str(s), str(p)): str(o) for s, p, o in relation_declarations(load_ontology())}
    >>> declared["https://kg.example/relation#partOf", str(RDFS.label)]
    'part of (claimed)'
    >>> declared["https://kg.example/relation#neighbour", str(RDFS.label)]
    'neighbour (claimed)'
    """
    triples: list[tuple[Node, Node, Node]] = []
    for name, predicate in sorted(onto.predicates.items()):
        if predicate.kind != "object":
            continue
        node = REL[name]
        triples += [
            (node, RDF.type, RDF.Property),
            (node, RDFS.label, Literal(f"{predicate.label} (claimed)")),
            (
                node,
                RDFS.comment,
                Literal(
                    f"Some article's graph holds a claim that the subject {predicate.label} the "
                    f"object (kg:{name}), however sure: stated, approximate, alleged, hedged or "
                    "denied. Who says so, in which words and how surely is in the article graphs."
                ),
            ),
            (node, RDFS.seeAlso, KG[name]),
        ]
    node = REL[NEIGHBOUR]
    triples += [
        (node, RDF.type, RDF.Property),
        (node, RDF.type, OWL.SymmetricProperty),
        (node, RDFS.label, Literal("neighbour (claimed)")),
        (
            node,
            RDFS.comment,
            Literal(
                "Links two entities when some article's graph holds a claim that relates them,"
                " either way round and however sure; each such pair is linked both ways, and an"
                " entity a claim relates to itself is its own neighbour. The entities two"
                " relations away from entity:a: { entity:a rel:neighbour/rel:neighbour ?far"
                " FILTER(?far != entity:a) }. Which claims, who says so and how surely is in the"
                " article graphs."
            ),
        ),
    ]
    return triples


def _article_graph(article_id: str, claims: list[Claim], terms: Terms) -> Iterator[Quad]:
    graph = terms.article(article_id)
    asserted = {(terms.entity(c.subject), terms.kg(c.predicate), terms.object(c)) for c in claims}
    for s, p, o in sorted(asserted, key=lambda t: tuple(term.n3() for term in t)):
        yield s, p, o, graph
    pairs = [(claim_node(c), c) for c in claims]  # one hash per claim
    nodes = {f"{c.subject} {c.predicate} {c.object}": node for node, c in pairs}
    for node, claim in sorted(pairs, key=itemgetter(0)):
        yield from _claim_quads(claim, graph, node, terms, nodes)


def _claim_quads(
    claim: Claim, graph: URIRef, node: URIRef, terms: Terms, nodes: dict[str, URIRef]
) -> Iterator[Quad]:
    target, quote, position = (URIRef(f"{node}#{part}") for part in ("target", "quote", "position"))
    yield node, _TYPE, _CLAIM, graph
    yield node, _SUBJECT, terms.entity(claim.subject), graph
    yield node, _PREDICATE, terms.kg(claim.predicate), graph
    yield node, _OBJECT, terms.object(claim), graph
    yield node, _DERIVED_FROM, graph, graph
    if claim.attributed_to:
        yield node, _ATTRIBUTED_TO, terms.entity(claim.attributed_to), graph
    for prop, attribute in _TIMES:
        value = getattr(claim, attribute)
        if value:
            yield node, prop, terms.literal(value), graph
    yield node, _CERTAINTY, terms.literal(claim.certainty), graph
    if claim.scope:
        yield node, _SCOPE, terms.entity(claim.scope), graph
    yield node, _CLAIM_OBTAINED, terms.literal(claim.obtained), graph
    for part, (obtained, basis_property) in _OBTAINED.items():
        if part == "object" and not isinstance(claim.object, Value):
            continue
        if part == "predicate" and not claim.basis(part):
            continue  # a predicate is marked only when the curator read it from the words
        if part != "object" and getattr(claim, part) is None:
            continue
        basis = claim.basis(part)
        yield node, obtained, terms.literal(INFERRED if basis else STATED), graph
        if basis:
            basis_node = URIRef(f"{node}#{part.replace('_', '-')}-basis")
            yield node, basis_property, basis_node, graph
            yield from _basis_quads(basis_node, basis, terms, nodes, graph)
    if claim.note:
        yield node, _NOTE, Literal(claim.note), graph
    yield node, _HAS_TARGET, target, graph
    yield target, _TYPE, _SPECIFIC, graph
    yield target, _HAS_SOURCE, graph, graph
    yield target, _HAS_SELECTOR, position, graph
    yield target, _HAS_SELECTOR, quote, graph
    yield quote, _TYPE, _QUOTE_SELECTOR, graph
    yield quote, _EXACT, Literal(claim.quote.exact), graph
    yield quote, _PREFIX, Literal(claim.quote.prefix), graph
    yield quote, _SUFFIX, Literal(claim.quote.suffix), graph
    yield position, _TYPE, _POSITION_SELECTOR, graph
    yield position, _START, terms.literal(claim.quote.start), graph
    yield position, _END, terms.literal(claim.quote.end), graph
