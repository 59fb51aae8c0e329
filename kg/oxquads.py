"""An article's named graph made straight as pyoxigraph quads: the quads that
``kg.store.to_oxigraph(kg.rdf.article_graph_quads(...))`` gives, in the same order, without
first making an rdflib term for each node and literal and then converting it (at a million
claims, making and converting those terms was most of a build's RDF step). :mod:`kg.rdf` stays
the reference: the tests compare the two on every article of the seed data and of a synthetic
corpus.

>>> from kg.api import validate
>>> from kg.rdf import Terms, article_graph_quads, claims_by_article
>>> from kg.store import to_oxigraph
>>> by_article = claims_by_article(validate())
>>> made, terms = OxTerms(), Terms()
>>> all(article_graph(a, c, made) == to_oxigraph(article_graph_quads(a, c, terms))
...     for a, c in by_article.items())
True
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from kg import rdf
from kg.model import INFERRED, STATED, Basis, Claim, DateValue, Value
from kg.ontology import KG
from kg.store import term_converter

Term = ox.NamedNode | ox.Literal


class OxTerms:
    """The pyoxigraph terms that repeat across articles (entities, predicates, dates, small
    numbers), made once per build, with the rdflib terms that order an article's triples."""

    def __init__(self) -> None:
        self.rdf = rdf.Terms()
        self._convert = term_converter()
        self._made: dict[Node, Term] = {}
        self._values: dict[tuple[str, str], Literal] = {}

    def of(self, term: Node) -> Term:
        """The pyoxigraph term of a repeated rdflib IRI or literal."""
        made = self._made.get(term)
        if made is None:
            made = self._made[term] = self._convert(term)  # type: ignore[assignment]
        return made

    def entity(self, ident: str) -> Term:
        return self.of(self.rdf.entity(ident))

    def literal(self, value: DateValue | str | int) -> Term:
        return self.of(self.rdf.literal(value))

    def rdf_object(self, claim: Claim) -> Node:
        """The claim's object as an rdflib term (a literal made once per value)."""
        value = claim.object
        if not isinstance(value, Value):
            return self.rdf.entity(value)
        key = (value.kind, value.lexical)
        term = self._values.get(key)
        if term is None:
            term = self._values[key] = rdf.value_literal(value)
        return term


def _iri(term: URIRef) -> ox.NamedNode:
    return ox.NamedNode(str(term))


_TYPE, _CLAIM = _iri(rdf._TYPE), _iri(rdf._CLAIM)
_SUBJECT, _PREDICATE, _OBJECT = _iri(rdf._SUBJECT), _iri(rdf._PREDICATE), _iri(rdf._OBJECT)
_DERIVED_FROM, _ATTRIBUTED_TO = _iri(rdf._DERIVED_FROM), _iri(rdf._ATTRIBUTED_TO)
_CERTAINTY, _SCOPE, _OBTAINED = _iri(rdf._CERTAINTY), _iri(rdf._SCOPE), _iri(KG.obtained)
_TIMES = tuple((_iri(prop), attribute) for prop, attribute in rdf._TIMES)
_PARTS = {part: (_iri(a), _iri(b)) for part, (a, b) in rdf._OBTAINED.items()}
_NOTE, _HAS_TARGET, _SPECIFIC = _iri(rdf._NOTE), _iri(rdf._HAS_TARGET), _iri(rdf._SPECIFIC)
_HAS_SOURCE, _HAS_SELECTOR = _iri(rdf._HAS_SOURCE), _iri(rdf._HAS_SELECTOR)
_QUOTE_SELECTOR, _POSITION_SELECTOR = _iri(rdf._QUOTE_SELECTOR), _iri(rdf._POSITION_SELECTOR)
_EXACT, _PREFIX, _SUFFIX = _iri(rdf._EXACT), _iri(rdf._PREFIX), _iri(rdf._SUFFIX)
_START, _END = _iri(rdf._START), _iri(rdf._END)
_BASIS, _WORDS, _ARTICLE = _iri(KG.Basis), _iri(KG.basisWords), _iri(KG.basisArticle)
_BASIS_CLAIM, _REASONING = _iri(KG.basisClaim), _iri(KG.reasoning)


def _n3_key(triple: tuple[Node, Node, Node]) -> tuple[str, ...]:
    return tuple(term.n3() for term in triple)


def article_graph(article_id: str, claims: list[Claim], terms: OxTerms) -> list[ox.Quad]:
    """The named graph of one article (see :func:`kg.rdf.article_graph_quads`)."""
    graph = terms.of(terms.rdf.article(article_id))
    asserted = {
        (terms.rdf.entity(c.subject), terms.rdf.kg(c.predicate), terms.rdf_object(c))
        for c in claims
    }
    out = [
        ox.Quad(terms.of(s), terms.of(p), terms.of(o), graph)  # type: ignore[arg-type]
        for s, p, o in sorted(asserted, key=_n3_key)
    ]
    pairs = [(str(rdf.claim_node(c)), c) for c in claims]
    nodes = {f"{c.subject} {c.predicate} {c.object}": iri for iri, c in pairs}
    for iri, claim in sorted(pairs, key=lambda pair: pair[0]):
        _claim(out, claim, iri, graph, terms, nodes)  # type: ignore[arg-type]
    return out


def relations(triples: Iterable[tuple[str, str, str]], terms: OxTerms) -> list[ox.Quad]:
    """The relations in the default graph (see :func:`kg.rdf.relation_quads`)."""
    return [
        ox.Quad(terms.entity(s), terms.of(terms.rdf.rel(p)), terms.entity(o))  # type: ignore[arg-type]
        for s, p, o in triples
    ]


def _claim(
    out: list[ox.Quad],
    claim: Claim,
    iri: str,
    graph: ox.NamedNode,
    terms: OxTerms,
    nodes: dict[str, str],
) -> None:
    quad, add = ox.Quad, out.append
    node = ox.NamedNode(iri)
    target, quote = ox.NamedNode(f"{iri}#target"), ox.NamedNode(f"{iri}#quote")
    position = ox.NamedNode(f"{iri}#position")
    add(quad(node, _TYPE, _CLAIM, graph))
    add(quad(node, _SUBJECT, terms.entity(claim.subject), graph))
    add(quad(node, _PREDICATE, terms.of(terms.rdf.kg(claim.predicate)), graph))
    add(quad(node, _OBJECT, terms.of(terms.rdf_object(claim)), graph))
    add(quad(node, _DERIVED_FROM, graph, graph))
    if claim.attributed_to:
        add(quad(node, _ATTRIBUTED_TO, terms.entity(claim.attributed_to), graph))
    for prop, attribute in _TIMES:
        value = getattr(claim, attribute)
        if value:
            add(quad(node, prop, terms.literal(value), graph))
    add(quad(node, _CERTAINTY, terms.literal(claim.certainty), graph))
    if claim.scope:
        add(quad(node, _SCOPE, terms.entity(claim.scope), graph))
    add(quad(node, _OBTAINED, terms.literal(claim.obtained), graph))
    for part, (obtained, basis_property) in _PARTS.items():
        if part == "object" and not isinstance(claim.object, Value):
            continue
        if part == "predicate" and not claim.basis(part):
            continue  # as kg.rdf: a predicate is marked only when read from the words
        if part != "object" and getattr(claim, part) is None:
            continue
        basis = claim.basis(part)
        add(quad(node, obtained, terms.literal(INFERRED if basis else STATED), graph))
        if basis:
            basis_node = ox.NamedNode(f"{iri}#{part.replace('_', '-')}-basis")
            add(quad(node, basis_property, basis_node, graph))
            _basis(out, basis_node, basis, terms, nodes, graph)
    if claim.note:
        add(quad(node, _NOTE, ox.Literal(claim.note), graph))
    add(quad(node, _HAS_TARGET, target, graph))
    add(quad(target, _TYPE, _SPECIFIC, graph))
    add(quad(target, _HAS_SOURCE, graph, graph))
    add(quad(target, _HAS_SELECTOR, position, graph))
    add(quad(target, _HAS_SELECTOR, quote, graph))
    add(quad(quote, _TYPE, _QUOTE_SELECTOR, graph))
    add(quad(quote, _EXACT, ox.Literal(claim.quote.exact), graph))
    add(quad(quote, _PREFIX, ox.Literal(claim.quote.prefix), graph))
    add(quad(quote, _SUFFIX, ox.Literal(claim.quote.suffix), graph))
    add(quad(position, _TYPE, _POSITION_SELECTOR, graph))
    add(quad(position, _START, terms.literal(claim.quote.start), graph))
    add(quad(position, _END, terms.literal(claim.quote.end), graph))


def _basis(
    out: list[ox.Quad],
    node: ox.NamedNode,
    basis: Basis,
    terms: OxTerms,
    claims: dict[str, str],
    graph: ox.NamedNode,
) -> None:
    quad, add = ox.Quad, out.append
    add(quad(node, _TYPE, _BASIS, graph))
    for words in sorted(set(basis.words)):
        add(quad(node, _WORDS, ox.Literal(words), graph))
    for article in sorted(set(basis.articles)):
        add(quad(node, _ARTICLE, terms.of(terms.rdf.article(article)), graph))
    for ref in sorted(claims[r] for r in set(basis.claims) if r in claims):
        add(quad(node, _BASIS_CLAIM, ox.NamedNode(ref), graph))
    add(quad(node, _REASONING, ox.Literal(basis.reasoning), graph))
