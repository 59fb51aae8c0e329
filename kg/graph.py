"""The NetworkX projection of the RDF dataset, and plain graph functions over it.

The projection is built from the store's indexes, never from YAML: what you see in NetworkX is
exactly what the RDF says.

>>> import kg
>>> g = project(kg.load().store)
>>> g.nodes["ifs"]["label"]
'Institute of Forensic Science'
>>> "partOf" in g["ifs"]["ministry-of-public-security"]
True
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cache
from typing import Any

import networkx as nx
import pyoxigraph as ox

from kg.curation import paused_gc
from kg.ontology import BASE_IRI, Ontology, load_ontology, local_name

ENTITY_PREFIX = f"{BASE_IRI}entity/"
ARTICLE_PREFIX = f"{BASE_IRI}article/"

CLAIMS_QUERY = """
SELECT ?claim ?s ?p ?o ?g ?exact ?start ?end ?speaker ?certainty ?date ?from ?until
       ?outlet ?agency ?published ?note ?scope ?obtained
WHERE {
  GRAPH ?g {
    ?claim a kg:Claim ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
           kg:certainty ?certainty ; oa:hasTarget ?target .
    ?target oa:hasSelector ?quote, ?position .
    ?quote a oa:TextQuoteSelector ; oa:exact ?exact .
    ?position a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
    OPTIONAL { ?claim kg:attributedTo ?speaker }
    OPTIONAL { ?claim kg:date ?date }
    OPTIONAL { ?claim kg:validFrom ?from }
    OPTIONAL { ?claim kg:validUntil ?until }
    OPTIONAL { ?claim skos:note ?note }
    OPTIONAL { ?claim kg:scope ?scope }
    OPTIONAL { ?claim kg:obtained ?obtained }
  }
  OPTIONAL { ?g schema:publisher ?outlet }
  OPTIONAL { ?g kg:originatingAgency ?agency }
  OPTIONAL { ?g schema:datePublished ?published }
}
"""


def _strip(value: str | None) -> str | None:
    """An entity or article IRI as its id (other values unchanged)."""
    if value is None:
        return None
    if value.startswith(ENTITY_PREFIX):
        return value[len(ENTITY_PREFIX) :]
    if value.startswith(ARTICLE_PREFIX):
        return value[len(ARTICLE_PREFIX) :]
    return value


def _id(term: Any) -> str | None:
    if term is None:
        return None
    value: str = term.value
    for prefix in (ENTITY_PREFIX, ARTICLE_PREFIX):
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def claim_rows(store: ox.Store, query: str = CLAIMS_QUERY) -> list[dict[str, Any]]:
    """Every claim with its evidence as a plain dict (ids instead of IRIs), in a stable order.

    A row has ``claim``, ``subject``, ``predicate``, ``object`` (an entity id or a literal's
    lexical form), ``object_is_entity``, ``article``, ``quote``, ``start``, ``end``,
    ``speaker``, ``certainty``, ``date``, ``valid_from``, ``valid_until``, ``outlet``,
    ``agency``, ``published``, ``note``, ``scope`` (where a figure counts), ``obtained``
    (``stated`` or ``inferred``), ``inferred`` (the parts worked out: ``object``, ``date``,
    ``valid_from``, ``valid_until``), ``basis`` (how, one line per part) and ``bases`` (per
    part: the ``words``, other ``articles``, source ``claims`` and ``reasoning``). To read only some
    claims, use :func:`find_claims`.
    """
    from kg.ontology import PREFIXES

    answer = store.query(query, prefixes=PREFIXES)
    if not isinstance(answer, ox.QuerySolutions):
        raise TypeError("claim_rows needs a SELECT query")
    names = [v.value for v in answer.variables]
    at_object = names.index("o")
    predicates: dict[str, str] = {}
    rows = []
    for sol in answer:
        # positional access: reading a solution by variable name costs ten times more
        v: dict[str, Any] = dict(
            zip(names, [t.value if t is not None else None for t in sol], strict=True)
        )
        obj = sol[at_object]
        literal = isinstance(obj, ox.Literal)
        pred = v["p"]
        if pred not in predicates:
            predicates[pred] = local_name(pred)
        rows.append(
            {
                "claim": v["claim"],
                "subject": _strip(v["s"]),
                "predicate": predicates[pred],
                "object": v["o"] if literal else _strip(v["o"]),
                "object_is_entity": not literal,
                "article": _strip(v["g"]),
                "quote": v["exact"],
                "start": int(v["start"]),
                "end": int(v["end"]),
                "speaker": _strip(v["speaker"]),
                "certainty": v["certainty"],
                "date": v["date"],
                "valid_from": v["from"],
                "valid_until": v["until"],
                "outlet": _strip(v["outlet"]),
                "agency": _strip(v["agency"]),
                "published": v["published"],
                "note": v["note"],
                **_obtained(store, sol[0], sol[names.index("g")], v["scope"], v["obtained"]),
            }
        )
    return sorted_rows(rows)


#: basis property -> the claim part it explains
_BASIS_PARTS = {
    "predicateBasis": "predicate",
    "objectBasis": "object",
    "dateBasis": "date",
    "validFromBasis": "valid_from",
    "validUntilBasis": "valid_until",
}


def _obtained(
    store: ox.Store, claim: Any, graph: Any, scope: str | None, obtained: str | None
) -> dict[str, Any]:
    """The row fields saying where a figure counts and how the claim was obtained; the bases
    are read (a few index reads) only for an inferred claim."""
    parts: list[str] = []
    lines: list[str] = []
    bases: dict[str, dict[str, Any]] = {}
    if obtained == "inferred":
        from kg.model import Basis
        from kg.ontology import KG

        found = []
        for quad in store.quads_for_pattern(claim, None, None, graph):
            part = _BASIS_PARTS.get(local_name(quad.predicate.value))
            if part and quad.predicate.value.startswith(str(KG)):
                found.append((part, quad.object))
        order = list(_BASIS_PARTS.values())
        for part, node in sorted(found, key=lambda f: order.index(f[0])):
            fields: dict[str, list[str]] = {}
            for quad in store.quads_for_pattern(node, None, None, graph):
                value = quad.object
                if local_name(quad.predicate.value) == "basisClaim":
                    triple = [
                        _value(next(iter(store.quads_for_pattern(value, p, None, graph))).object)
                        for p in (_vocab().subject, _vocab().predicate, _vocab().object)
                    ]
                    fields.setdefault("claims", []).append(
                        " ".join(local_name(t) if t and "#" in t else str(t) for t in triple)
                    )
                else:
                    fields.setdefault(local_name(quad.predicate.value), []).append(
                        _value(value) or ""
                    )
            basis = Basis(
                tuple(sorted(fields.get("basisWords", []))),
                tuple(sorted(fields.get("basisArticle", []))),
                tuple(sorted(fields.get("claims", []))),
                min(fields.get("reasoning", [""])),
            )
            parts.append(part)
            lines.append(f"{part} {basis.summary()}")
            bases[part] = {
                "words": list(basis.words),
                "articles": list(basis.articles),
                "claims": list(basis.claims),
                "reasoning": basis.reasoning,
            }
    return {
        "scope": _strip(scope),
        "obtained": obtained or "stated",
        "inferred": parts,
        "basis": "; ".join(lines) or None,
        "bases": bases,
    }


class _Vocab:
    """The IRIs a claim node is read with, as pyoxigraph terms."""

    def __init__(self) -> None:
        from rdflib import RDF
        from rdflib.namespace import SKOS

        from kg.ontology import KG, OA, SCHEMA

        def term(iri: str) -> ox.NamedNode:
            return ox.NamedNode(str(iri))

        self.type, self.subject = term(RDF.type), term(RDF.subject)
        self.predicate, self.object = term(RDF.predicate), term(RDF.object)
        self.claim = term(KG.Claim)
        self.attributed_to = term(KG.attributedTo)
        self.has_target, self.has_selector = term(OA.hasTarget), term(OA.hasSelector)
        self.certainty = term(KG.certainty)
        self.date, self.valid_from = term(KG.date), term(KG.validFrom)
        self.valid_until, self.note = term(KG.validUntil), term(SKOS.note)
        self.scope, self.obtained = term(KG.scope), term(KG.obtained)
        self.names: dict[str, str] = {}  # predicate IRI -> local name, filled as met
        self.selector_fields = {str(OA.exact): "quote", str(OA.start): "start", str(OA.end): "end"}
        self.article_fields = {
            str(SCHEMA.publisher): "outlet",
            str(KG.originatingAgency): "agency",
            str(SCHEMA.datePublished): "published",
        }


@cache
def _vocab() -> _Vocab:
    return _Vocab()


def _value(term: Any) -> str | None:
    if term is None:
        return None
    return term.value if isinstance(term, ox.Literal) else _id(term)


def _claim_row(
    store: ox.Store,
    claim: Any,
    graph: Any,
    articles: dict[str, dict[str, Any]],
    want: tuple[Any, Any, Any] = (None, None, None),
) -> dict[str, Any] | None:
    """One claim node read through the store's indexes; None when it is not a complete claim
    or its subject, predicate or object differs from a term given in ``want``.

    ``articles`` caches the outlet, agency and date of each article graph across calls."""
    v = _vocab()
    props: dict[str, list[Any]] = {}
    for quad in store.quads_for_pattern(claim, None, None, graph):
        found = props.get(quad.predicate.value)
        if found is None:
            props[quad.predicate.value] = [quad.object]
        else:
            found.append(quad.object)

    def one(iri: str) -> Any:
        found = props.get(iri)
        if not found:
            return None
        return found[0] if len(found) == 1 else min(found, key=str)

    if v.claim not in props.get(v.type.value, ()):
        return None
    subject, predicate = one(v.subject.value), one(v.predicate.value)
    obj, target = one(v.object.value), one(v.has_target.value)
    if subject is None or predicate is None or obj is None or target is None:
        return None
    if any(
        term is not None and term != found
        for term, found in zip(want, (subject, predicate, obj), strict=True)
    ):
        return None
    quote: dict[str, str] = {}
    selectors = [
        q.object
        for q in store.quads_for_pattern(target, v.has_selector, None, graph)
        if isinstance(q.object, ox.NamedNode | ox.BlankNode)
    ]
    for selector in sorted(selectors, key=str) if len(selectors) > 1 else selectors:
        for quad in store.quads_for_pattern(selector, None, None, graph):
            name = v.selector_fields.get(quad.predicate.value)
            if name and name not in quote and isinstance(quad.object, ox.Literal):
                quote[name] = quad.object.value
    certainty = one(v.certainty.value)
    if certainty is None or len(quote) < 3:
        return None
    meta = _article_meta(store, graph, articles)
    name = v.names.get(predicate.value)
    if name is None:
        name = v.names[predicate.value] = local_name(predicate.value)
    literal = isinstance(obj, ox.Literal)
    return {  # the keys of claim_rows, in its order
        "claim": claim.value,
        "subject": _id(subject),
        "predicate": name,
        "object": obj.value if literal else _id(obj),
        "object_is_entity": not literal,
        "article": _id(graph),
        "quote": quote["quote"],
        "start": int(quote["start"]),
        "end": int(quote["end"]),
        "speaker": _value(one(v.attributed_to.value)),
        "certainty": certainty.value,
        "date": _value(one(v.date.value)),
        "valid_from": _value(one(v.valid_from.value)),
        "valid_until": _value(one(v.valid_until.value)),
        "outlet": meta["outlet"],
        "agency": meta["agency"],
        "published": meta["published"],
        "note": _value(one(v.note.value)),
        **_obtained(
            store,
            claim,
            graph,
            _value(one(v.scope.value)),
            _value(one(v.obtained.value)),
        ),
    }


def _article_meta(
    store: ox.Store, graph: Any, articles: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The outlet, agency and date of the article whose graph is ``graph`` (cached in
    ``articles`` by graph IRI)."""
    meta = articles.get(graph.value)
    if meta is None:
        v = _vocab()
        meta = articles[graph.value] = dict.fromkeys(v.article_fields.values())
        for quad in store.quads_for_pattern(graph, None, None, ox.DefaultGraph()):
            key = v.article_fields.get(quad.predicate.value)
            if key and meta[key] is None:
                meta[key] = _value(quad.object)
    return meta


def find_claims(
    store: ox.Store,
    subject: Any = None,
    predicate: Any = None,
    obj: Any = None,
    graph: Any = None,
    articles: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The claim rows matching the given pyoxigraph terms, read through the store's indexes.

    With the whole triple given this reads only the article graphs that state it (the asserted
    triple is indexed) and, in each, the claims with its subject and object: a provenance
    lookup costs a few index reads whatever the size of the store. Rows are those of
    :func:`claim_rows`. ``articles`` may carry a cache of article details between calls.

    >>> import kg
    >>> from kg.ontology import KG, entity_iri
    >>> rows = find_claims(kg.load().store, ox.NamedNode(entity_iri("ifs")),
    ...                    ox.NamedNode(KG.partOf))
    >>> sorted({r["object"] for r in rows})
    ['ministry-of-public-security']
    """
    v = _vocab()
    nodes: list[tuple[Any, Any]]
    if subject is None and predicate is None and obj is None and graph is None:
        return claim_rows(store)
    if subject is not None and predicate is not None and obj is not None:
        if isinstance(graph, ox.NamedNode):  # a look-up: 1.5 µs against 15 µs for a scan
            graphs = [graph] if ox.Quad(subject, predicate, obj, graph) in store else []
        else:
            asserted = store.quads_for_pattern(subject, predicate, obj, graph)
            graphs = sorted(
                {q.graph_name for q in asserted if isinstance(q.graph_name, ox.NamedNode)},
                key=str,
            )
        # the claims with this object whose subject is this one: a hub entity may be the
        # subject of thousands of claims in one article, each costlier to read than to rule out
        nodes = [
            (q.subject, g)
            for g in graphs
            for q in store.quads_for_pattern(None, v.object, obj, g)
            if ox.Quad(q.subject, v.subject, subject, g) in store
        ]
    else:
        index = (
            (v.subject, subject)
            if subject is not None
            else (v.object, obj)
            if obj is not None
            else (v.type, v.claim)
            if graph is not None
            else (v.predicate, predicate)
        )
        nodes = [
            (q.subject, q.graph_name)
            for q in store.quads_for_pattern(None, index[0], index[1], graph)
        ]
    want = {
        "subject": _id(subject),
        "object": _value(obj),
        "article": _id(graph),
        "predicate": local_name(predicate.value) if predicate is not None else None,
    }
    if articles is None:
        articles = {}
    rows = []
    for node, in_graph in nodes:
        if not isinstance(in_graph, ox.NamedNode):
            continue
        row = _claim_row(store, node, in_graph, articles, (subject, predicate, obj))
        if row is None or any(
            value is not None and row[key] != value for key, value in want.items()
        ):
            continue
        if obj is not None and row["object_is_entity"] == isinstance(obj, ox.Literal):
            continue
        rows.append(row)
    return sorted_rows(rows)


def sorted_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Claim rows (sorted in place) in the order of :func:`claim_rows`: by subject, predicate,
    object, article and speaker."""
    rows.sort(
        key=lambda r: (
            r["subject"],
            r["predicate"],
            str(r["object"]),
            r["article"],
            r["speaker"] or "",
        )
    )
    return rows


def make_row(
    subject: str, predicate: str, obj: str, article: str = "a1", **fields: Any
) -> dict[str, Any]:
    """A claim row shaped like those of :func:`claim_rows`, with defaults: for examples and tests.

    >>> row = make_row("ifs", "partOf", "mps", outlet="voa")
    >>> row["certainty"], row["speaker"], row["outlet"], row["object_is_entity"]
    ('stated', None, 'voa', True)
    """
    row: dict[str, Any] = {
        "claim": f"urn:example:{article}:{subject}:{predicate}:{obj}",
        "subject": subject,
        "predicate": predicate,
        "object": obj,
        "object_is_entity": True,
        "article": article,
        "quote": "",
        "start": 0,
        "end": 0,
        "speaker": None,
        "certainty": "stated",
        "date": None,
        "valid_from": None,
        "valid_until": None,
        "outlet": None,
        "agency": None,
        "published": None,
        "note": None,
        "scope": None,
        "obtained": "stated",
        "inferred": [],
        "basis": None,
        "bases": {},
    }
    unknown = set(fields) - set(row)
    if unknown:
        raise TypeError(f"make_row: unknown fields {sorted(unknown)}")
    row.update(fields)
    return row


def source_key(row: dict[str, Any]) -> str:
    """Who independently stands behind an article: its agency, else its outlet, else itself.

    Wire copy carried by two outlets is one source; an article of unknown outlet counts alone.
    """
    if row.get("agency"):
        return f"agency:{row['agency']}"
    if row.get("outlet"):
        return f"outlet:{row['outlet']}"
    return f"article:{row['article']}"


class Evidence(Sequence[dict[str, Any]]):
    """The claim rows behind one edge (or one entity's literal facts), read when first used.

    A projection of a large store carries each edge's structure and sources at once and reads
    the quotes, offsets and speakers of an edge through the store's indexes (a few reads) the
    first time something looks at them. It behaves as a read-only list of the rows of
    :func:`claim_rows` for the given triples, and equals the list of those rows.

    Triples are given as (subject, predicate name, object): entities by id (or IRI), literal
    objects as pyoxigraph literals.

    >>> import kg
    >>> evidence = Evidence(kg.load().store, [("ifs", "partOf", "ministry-of-public-security")])
    >>> len(evidence), evidence[0]["predicate"]
    (4, 'partOf')
    """

    __slots__ = ("_articles", "_each", "_rows", "_shown", "_stating", "_store", "_triples")

    def __init__(
        self,
        store: ox.Store,
        triples: Iterable[tuple[str, str, Any]],
        articles: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self._store: ox.Store | None = store
        self._triples = tuple(triples)
        # article details read so far, shared by all the Evidence of one projection
        self._articles = {} if articles is None else articles
        self._rows: list[dict[str, Any]] | None = None
        self._shown: tuple[int, list[dict[str, Any]], int | None] | None = None
        self._each: tuple[int, list[dict[str, Any]], bool] | None = None
        # the ids of the articles stating the triple, when :meth:`shown` read only some
        self._stating: tuple[str, ...] | None = None

    def _read(self) -> list[dict[str, Any]]:
        if self._rows is None:
            store = self._store
            assert store is not None
            rows = [
                row
                for triple in self._triples
                for row in find_claims(store, *_terms(triple), articles=self._articles)
            ]
            self._rows = sorted_rows(rows) if len(self._triples) > 1 else rows
            self._store = None
        return self._rows

    @property
    def loaded(self) -> bool:
        """Whether the rows have been read from the store yet."""
        return self._rows is not None

    @property
    def triples(self) -> tuple[tuple[str, str, Any], ...]:
        """The (subject, predicate, object) triples whose claims these are, in order."""
        return self._triples

    @property
    def predicates(self) -> set[str]:
        """The predicates of these claims, known without reading them."""
        return {triple[1] for triple in self._triples}

    def first(self, limit: int) -> tuple[Sequence[dict[str, Any]], int]:
        """The claims of the first ``limit`` triples (unread if these are), and how many
        triples are left out."""
        if len(self._triples) <= limit:
            return self, 0
        if self._store is None:  # already read: cut the rows
            return first_facts(self._read(), limit)
        cut = Evidence(self._store, self._triples[:limit], self._articles)
        return cut, len(self._triples) - limit

    def shown(
        self, limit: int, articles: Iterable[str] | None = None
    ) -> tuple[list[dict[str, Any]], int | None]:
        """The claims :func:`shown_claims` picks, and how many claims there are (None when
        not counted). The claims of one triple stated by more than ``limit`` articles are read
        only from the articles picked (after the outlet, agency and date of each article);
        the claims of the others are neither read nor counted. ``articles`` (the ids of the
        articles stating the triple, as a projection's edge has them) saves looking them up."""
        if self._shown is not None and self._shown[0] == limit:
            return self._shown[1], self._shown[2]
        store = self._store
        if self._rows is not None or store is None or len(self._triples) != 1:
            rows = self._read()
            return _shown_rows(rows, limit), len(rows)
        subject, predicate, obj = _terms(self._triples[0])
        if articles is None:
            articles = {
                q.graph_name.value[len(ARTICLE_PREFIX) :]
                for q in store.quads_for_pattern(subject, predicate, obj, None)
                if isinstance(q.graph_name, ox.NamedNode)
                and q.graph_name.value.startswith(ARTICLE_PREFIX)
            }
        # in the order find_claims takes the graphs of a triple
        graphs = sorted((ox.NamedNode(ARTICLE_PREFIX + article) for article in articles), key=str)
        if len(graphs) <= limit:  # few articles: read them all (and count): the rows _read gives
            # one look-up per article graph: at a million claims, finding the graphs that
            # state a triple by scanning took 400 µs
            rows = [
                row
                for graph in graphs
                for row in find_claims(store, subject, predicate, obj, graph, self._articles)
            ]
            self._rows, self._store = rows, None
            return _shown_rows(rows, limit), len(rows)
        behind = []
        for graph in graphs:
            meta = _article_meta(store, graph, self._articles)
            article = _id(graph) or ""
            key = source_key({**meta, "article": article})
            behind.append((article, key, meta["published"] or "", graph))
        by_id = {article: graph for article, _source, _published, graph in behind}
        shown: list[dict[str, Any]] = []
        for article in _picked_articles(b[:3] for b in behind):
            shown += find_claims(store, subject, predicate, obj, by_id[article], self._articles)
            if len(shown) >= limit:
                break
        total = None if len(shown) >= limit else len(shown)  # all read when under the limit
        self._shown = (limit, shown[:limit], total)
        self._stating = tuple(by_id)
        return self._shown[1], total

    def articles_behind(self, taken: set[str]) -> list[tuple[str, str, str]]:
        """What :func:`articles_behind` gives for the articles in ``taken``: after
        :meth:`shown` read only some claims, from each article's record, without the claims."""
        if self._stating is None or self._store is None:
            rows = self._read()
            return articles_behind(rows, [row for row in rows if row["article"] in taken])
        found = []
        for article in self._stating:
            if article not in taken:
                graph = ox.NamedNode(ARTICLE_PREFIX + article)
                meta = _article_meta(self._store, graph, self._articles)
                found.append((article, meta["outlet"] or "", meta["published"] or ""))
        return sorted(found)

    def shown_each(self, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """What :func:`shown_facts` gives: :meth:`shown` of each triple, in the order of
        :func:`claim_rows`."""
        if self._rows is not None or self._store is None:
            return shown_facts(self._read(), limit)
        if self._each is None or self._each[0] != limit:
            rows: list[dict[str, Any]] = []
            cut = False
            for triple in self._triples:
                found, total = Evidence(self._store, (triple,), self._articles).shown(limit)
                rows += found
                cut = cut or total is None or total > len(found)
            self._each = (limit, sorted_rows(rows) if len(self._triples) > 1 else rows, cut)
        return self._each[1], self._each[2]

    def with_predicate(self, predicate: str) -> Evidence | list[dict[str, Any]]:
        """Only the claims using ``predicate`` (still unread when these are)."""
        if self._rows is not None or self._store is None:
            return [row for row in self._read() if row["predicate"] == predicate]
        return Evidence(
            self._store, [t for t in self._triples if t[1] == predicate], self._articles
        )

    def __getitem__(self, index: Any) -> Any:
        return self._read()[index]

    def __len__(self) -> int:
        return len(self._read())

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._read())

    def __bool__(self) -> bool:
        # every stated triple has at least one claim: no need to read the rows to know
        return bool(self._rows) if self._rows is not None else bool(self._triples)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Evidence | list | tuple):
            return self._read() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (self._read(),))  # pickled or copied: a plain list of the rows

    def __repr__(self) -> str:
        return repr(self._read())


def _terms(triple: tuple[str, str, Any]) -> tuple[ox.NamedNode, ox.NamedNode, Any]:
    """(entity id or IRI, predicate name, entity id, IRI or literal) as pyoxigraph terms."""
    from kg.ontology import KG

    def node(ident: str) -> ox.NamedNode:
        return ox.NamedNode(ident if ":" in ident else ENTITY_PREFIX + ident)

    subject, name, obj = triple
    return node(subject), ox.NamedNode(KG[name]), node(obj) if isinstance(obj, str) else obj


@paused_gc()  # tens of thousands of edge dicts: see kg.curation.paused_gc
def project(
    store: ox.Store,
    rows: Iterable[dict[str, Any]] | None = None,
    ontology: Ontology | None = None,
    *,
    plain: bool = False,
) -> nx.MultiDiGraph:
    """Project the dataset to a MultiDiGraph keyed by predicate.

    With ``plain`` the graph is what :func:`plain_graph` makes of it (every attribute a plain
    value: counts instead of lists, no evidence), built straight from the store's indexes.

    Nodes carry ``type``, ``label``, ``aliases``, ``description``, ``articles`` and ``facts``
    (claims whose object is a literal). Edges carry ``label``, ``claims`` (each with article,
    outlet, agency, date, quote and offsets, speaker, certainty and validity), ``articles``,
    ``outlets`` and ``sources`` (distinct agencies/outlets/articles standing behind it).

    Without ``rows`` the structure, articles and sources come from the triples each article
    graph states, and ``claims``/``facts`` are :class:`Evidence` read from the store when first
    used: this is what keeps projecting 100k claims quick. With ``rows`` (from
    :func:`claim_rows`) they are plain lists of those rows. ``ontology`` may be passed when
    already at hand.

    Background facts (known to a reader, stated by no article) are never edges: they sit in
    ``graph.graph["background"]`` (not in a plain graph) as (subject, predicate, object)
    triples, for reasoning such as conflict typing only (:func:`background_facts`).
    """
    predicates = (ontology or load_ontology()).predicates
    graph = nx.MultiDiGraph()
    if not plain:  # the plain graph keeps plain attributes only
        graph.graph["background"] = background_facts(store)
    _add_entities(graph, store)
    if rows is None and plain:
        graph.graph.update(PLAIN_GRAPH_ATTRIBUTES)
        _add_stated(graph, store, predicates, plain=True)
        for _node, data in graph.nodes(data=True):
            data["aliases"] = "; ".join(data["aliases"])
            data["articles"] = len(data["articles"])
            data["facts"] = len(data["facts"])  # distinct (predicate, value) triples
        return graph
    if rows is None:
        graph.graph["store"] = store  # where the claims of edges and facts are read from
        _add_stated(graph, store, predicates)
        for _node, data in graph.nodes(data=True):
            data["articles"] = sorted(data["articles"])
        return graph
    nodes = dict(graph.nodes(data=True))  # plain dicts: NetworkX's views cost per lookup
    edges: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        subject, article = row["subject"], row["article"]
        for node in (subject, row["speaker"], row["object"] if row["object_is_entity"] else None):
            if node in nodes:
                nodes[node]["articles"].add(article)
        if not row["object_is_entity"]:
            nodes[subject]["facts"].append(row)
            continue
        key = row["predicate"]
        claims = edges.get((subject, row["object"], key))
        if claims is None:
            pred = predicates.get(key)
            claims = edges[subject, row["object"], key] = []
            graph.add_edge(
                subject,
                row["object"],
                key=key,
                predicate=key,
                label=pred.label if pred else key,
                claims=claims,
            )
        claims.append(row)
    for _node, data in graph.nodes(data=True):
        data["articles"] = sorted(data["articles"])
    for _u, _v, data in graph.edges(data=True):
        data.update(edge_sources(data["claims"]))
    return plain_graph(graph) if plain else graph


#: What ``graph.graph`` of a plain projection holds.
PLAIN_GRAPH_ATTRIBUTES = {"name": "kg", "entity_iri_prefix": ENTITY_PREFIX}


@paused_gc()  # tens of thousands of small dicts: see kg.curation.paused_gc
def plain_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The projection as an ordinary NetworkX graph: every attribute a str, int, float or bool.

    It copies, pickles, reverses, serialises (GraphML, node-link JSON) and works with every
    NetworkX algorithm, because it holds no store and no lazily read evidence. Nodes keep
    ``type``, ``label``, ``aliases`` (joined with ``"; "``), ``description`` and ``note`` (``""``
    when absent), and count the ``articles`` that mention them and their literal ``facts``.
    Edges (keyed by predicate) keep ``predicate`` and ``label`` and count their ``articles``,
    ``outlets``, ``agencies`` and independent ``sources``; the quotes behind an edge are one
    call away (:meth:`kg.KnowledgeGraph.sources`, or :func:`find_claims`). ``graph.graph``
    holds the IRI that an entity id extends.

    >>> import copy, json, pickle
    >>> import kg
    >>> G = plain_graph(project(kg.load().store))
    >>> G.edges["ifs", "ministry-of-public-security", "partOf"]["articles"]
    4
    >>> G.nodes["ifs"]["type"], G.graph
    ('GovernmentAgency', {'name': 'kg', 'entity_iri_prefix': 'https://kg.example/entity/'})
    >>> H = pickle.loads(pickle.dumps(copy.deepcopy(G.reverse())))
    >>> H.has_edge("ministry-of-public-security", "ifs", "partOf")
    True
    >>> len(json.dumps(nx.node_link_data(G))) > 1000
    True
    """
    out = nx.MultiDiGraph(**PLAIN_GRAPH_ATTRIBUTES)
    out.add_nodes_from(
        (
            node,
            {
                "type": data.get("type") or "",
                "label": data.get("label", node),
                "aliases": "; ".join(data.get("aliases", ())),
                "description": data.get("description") or "",
                "note": data.get("note") or "",
                "articles": len(data.get("articles", ())),
                "facts": _fact_count(data.get("facts", ())),
            },
        )
        for node, data in graph.nodes(data=True)
    )
    out.add_edges_from(
        (
            u,
            v,
            key,
            {
                "predicate": data.get("predicate", key),
                "label": data.get("label", key),
                "articles": len(data.get("articles", ())),
                "outlets": len(data.get("outlets", ())),
                "agencies": len(data.get("agencies", ())),
                "sources": data.get("sources", 0),
            },
        )
        for u, v, key, data in graph.edges(keys=True, data=True)
    )
    return out


def _fact_count(facts: Sequence[dict[str, Any]]) -> int:
    """How many distinct (predicate, value) facts, counted without reading an Evidence."""
    if isinstance(facts, Evidence) and not facts.loaded:
        return len(facts.triples)
    return len({(r["predicate"], str(r["object"])) for r in facts})


def background_facts(store: ox.Store) -> list[tuple[str, str, str]]:
    """The (subject, predicate, object) of every background fact, by entity id, sorted.

    They come from the background graph only, never from an article's graph: they are not
    evidence and no source count sees them.

    >>> import kg
    >>> ("san-francisco", "partOf", "california") in background_facts(kg.load().store)
    True
    """
    graph = ox.NamedNode(f"{BASE_IRI}background")
    found = set()
    for quad in store.quads_for_pattern(None, None, None, graph):
        subject, obj = quad.subject, quad.object
        if (
            isinstance(subject, ox.NamedNode)
            and isinstance(obj, ox.NamedNode)
            and subject.value.startswith(ENTITY_PREFIX)
            and obj.value.startswith(ENTITY_PREFIX)
        ):
            found.add((_id(subject) or "", local_name(quad.predicate.value), _id(obj) or ""))
    return sorted(found)


def edge_sources(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """An edge's ``articles``, ``outlets``, ``agencies`` and number of independent ``sources``
    (:func:`source_key`), from its claim rows.

    >>> edge_sources([make_row("a", "p", "b", "a1", outlet="voa")])["sources"]
    1
    """
    rows = list(rows)
    if len(rows) == 1:  # most edges: one claim
        (row,) = rows
        outlet, agency = row["outlet"], row["agency"]
        return {
            "articles": [row["article"]],
            "outlets": [outlet] if outlet else [],
            "agencies": [agency] if agency else [],
            "sources": 1,
        }
    return {
        "articles": sorted({c["article"] for c in rows}),
        "outlets": sorted({c["outlet"] for c in rows if c["outlet"]}),
        "agencies": sorted({c["agency"] for c in rows if c["agency"]}),
        "sources": len({source_key(c) for c in rows}),
    }


def entity_records(store: ox.Store) -> dict[str, dict[str, Any]]:
    """Every entity (an IRI under entity/ with a kg: type and a label) by id, in id order, read
    through the store's indexes: ``type`` (local name), ``label``, ``aliases`` (sorted),
    ``description`` and ``note`` (None when absent).

    >>> import kg
    >>> entity_records(kg.load().store)["ifs"]["type"]
    'GovernmentAgency'
    """
    from rdflib import RDFS
    from rdflib.namespace import SKOS

    from kg.ontology import KG, SCHEMA

    cut = len(ENTITY_PREFIX)

    def pairs(predicate: Any) -> list[tuple[str, str]]:
        """(entity id, value) of every ``predicate`` statement about an entity."""
        found = []
        named, valued = ox.NamedNode, (ox.NamedNode, ox.Literal)
        for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), None, ox.DefaultGraph()):
            subject, value = quad.subject, quad.object
            if isinstance(subject, named) and isinstance(value, valued):
                ident = subject.value
                if ident.startswith(ENTITY_PREFIX):
                    found.append((ident[cut:], value.value))
        return found

    def smallest(predicate: Any, prefix: str = "") -> dict[str, str]:
        """Entity id -> its one value of ``predicate`` (the smallest, should there be more)."""
        found: dict[str, str] = {}
        for ident, value in pairs(predicate):
            if value.startswith(prefix):
                known = found.get(ident)
                if known is None or value < known:
                    found[ident] = value
        return found

    aliases: dict[str, set[str]] = {}
    for ident, alias in pairs(SKOS.altLabel):
        aliases.setdefault(ident, set()).add(alias)
    types, labels = smallest(_vocab().type.value, str(KG)), smallest(RDFS.label)
    descriptions, notes = smallest(SCHEMA.description), smallest(SKOS.note)
    kinds = {kind: local_name(kind) for kind in set(types.values())}
    return {
        ident: {
            "type": kinds[types[ident]],
            "label": labels[ident],
            "aliases": sorted(aliases[ident]) if ident in aliases else [],
            "description": descriptions.get(ident),
            "note": notes.get(ident),
        }
        for ident in sorted(labels)
        if ident in types
    }


def _add_entities(graph: nx.MultiDiGraph, store: ox.Store) -> None:
    """Every entity of :func:`entity_records` as a node, in id order."""
    graph.add_nodes_from(
        (
            ident,
            {
                **record,
                "description": record["description"] or "",
                "note": record["note"] or "",
                "articles": set(),
                "facts": [],
            },
        )
        for ident, record in entity_records(store).items()
    )


def _article_sources(store: ox.Store) -> dict[str, tuple[str | None, str | None]]:
    """(outlet, agency) of every article, by article id."""
    v = _vocab()
    found: dict[str, list[str | None]] = {}
    for iri, key in v.article_fields.items():
        if key == "published":
            continue
        at = 0 if key == "outlet" else 1
        for quad in store.quads_for_pattern(None, ox.NamedNode(iri), None, ox.DefaultGraph()):
            meta = found.setdefault(_id(quad.subject) or "", [None, None])
            value = _id(quad.object)
            if meta[at] is None or (value is not None and value < str(meta[at])):
                meta[at] = value
    return {ident: (meta[0], meta[1]) for ident, meta in found.items()}


def _add_stated(
    graph: nx.MultiDiGraph, store: ox.Store, predicates: Mapping[str, Any], plain: bool = False
) -> None:
    """Edges and facts from the triples each article graph states (the claims stay unread;
    with ``plain``, counted as :func:`plain_graph` does).

    This runs once per quad of a large store, so it does as little as it can per quad: entity
    ids as strings (as claim rows give them), pyoxigraph terms only for literal objects. Edges
    go straight into the graph's adjacency, as :meth:`networkx.MultiDiGraph.add_edges_from`
    would put them (tested equal): its checks per edge cost more than the edge.
    """

    related, valued = _stated(store, predicates)
    articles_of = {node: data["articles"] for node, data in graph.nodes(data=True)}
    cut, entity_cut = len(ARTICLE_PREFIX), len(ENTITY_PREFIX)
    for quad in store.quads_for_pattern(None, _vocab().attributed_to, None, None):
        speaker, graph_name = quad.object, quad.graph_name
        if isinstance(speaker, ox.NamedNode) and isinstance(graph_name, ox.NamedNode):
            mentioned = articles_of.get(speaker.value[entity_cut:])
            if mentioned is not None:
                mentioned.add(graph_name.value[cut:])
    sources = _article_sources(store)
    # each article's outlet, agency and independent source (source_key), worked out once
    unknown = (None, None, None)
    behind = {
        article: (outlet, agency, f"agency:{agency}" if agency else f"outlet:{outlet}")
        for article, (outlet, agency) in sources.items()
        if agency or outlet
    }
    labels = {name: pred.label for name, pred in predicates.items()}
    details: dict[str, dict[str, Any]] = {}  # each article's outlet, agency, date: read once
    succ, pred, node_data = graph._succ, graph._pred, graph._node
    # in key order (subject, predicate, object), as sorted(related) gives them: joined by NUL,
    # which no IRI holds, each key sorts as one string; as tuples of three strings, sorting
    # the 386k keys of a million claims took 1.5-2.5 s (0.07 s for the 44k of 100k claims)
    for key in sorted(related, key="\0".join):
        articles = related[key]
        subject, name, target = key
        mentioned = articles_of.get(subject)
        if mentioned is not None:
            mentioned.update(articles)
        mentioned = articles_of.get(target)
        if mentioned is not None:
            mentioned.update(articles)
        if len(articles) == 1:
            outlet, agency, _source = behind.get(articles[0], unknown)
            outlets = [outlet] if outlet else []
            agencies = [agency] if agency else []
            count = 1
        else:
            articles.sort()
            found = [behind.get(a, unknown) for a in articles]
            outlets = sorted({f[0] for f in found if f[0]})
            agencies = sorted({f[1] for f in found if f[1]})
            count = len(
                {f[2] if f[2] else f"article:{a}" for a, f in zip(articles, found, strict=True)}
            )
        data: dict[str, Any]
        if plain:
            data = {
                "predicate": name,
                "label": labels[name],
                "articles": len(articles),
                "outlets": len(outlets),
                "agencies": len(agencies),
                "sources": count,
            }
        else:
            data = {
                "articles": articles,
                "outlets": outlets,
                "agencies": agencies,
                "sources": count,
                "predicate": name,
                "label": labels[name],
                "claims": Evidence(store, (key,), details),
            }
        if subject not in succ:
            succ[subject], pred[subject], node_data[subject] = {}, {}, {}
        if target not in succ:
            succ[target], pred[target], node_data[target] = {}, {}, {}
        keys = succ[subject].get(target)
        if keys is None:
            keys = succ[subject][target] = pred[target][subject] = {}
        keys[name] = data
    nx._clear_cache(graph)
    facts: dict[str, list[tuple[str, str, Any]]] = {}
    for key in sorted(valued, key=_literal_order):
        if key[0] in articles_of:
            articles_of[key[0]].update(valued[key])
            facts.setdefault(key[0], []).append(key)
    for subject, triples in facts.items():
        node_data[subject]["facts"] = triples if plain else Evidence(store, triples, details)


def _stated(
    store: ox.Store, predicates: Iterable[str]
) -> tuple[dict[tuple[str, str, Any], list[str]], dict[tuple[str, str, Any], list[str]]]:
    """(subject, predicate, object id) and (subject, predicate, literal) of every triple an
    article graph states, each with the ids of the articles stating it (in store order)."""
    from kg.ontology import KG

    cut, entity_cut = len(ARTICLE_PREFIX), len(ENTITY_PREFIX)
    related: dict[tuple[str, str, Any], list[str]] = {}
    valued: dict[tuple[str, str, Any], list[str]] = {}
    named, literal = ox.NamedNode, ox.Literal
    for name in predicates:
        for quad in store.quads_for_pattern(None, ox.NamedNode(KG[name]), None, None):
            graph_name, subject_term, obj = quad.graph_name, quad.subject, quad.object
            if not (isinstance(graph_name, named) and isinstance(subject_term, named)):
                continue
            article = graph_name.value
            if not article.startswith(ARTICLE_PREFIX):
                continue
            subject = subject_term.value
            if subject.startswith(ENTITY_PREFIX):
                subject = subject[entity_cut:]
            stated: dict[tuple[str, str, Any], list[str]]
            key: tuple[str, str, Any]
            if isinstance(obj, named):
                target = obj.value
                if target.startswith(ENTITY_PREFIX):
                    target = target[entity_cut:]
                stated, key = related, (subject, name, target)
            elif isinstance(obj, literal):
                stated, key = valued, (subject, name, obj)
            else:
                continue
            found = stated.get(key)
            if found is None:
                stated[key] = [article[cut:]]
            else:
                found.append(article[cut:])
    return related, valued


def _literal_order(key: tuple[str, str, Any]) -> tuple[str, str, str, str]:
    """Literal facts as claim rows sort: by lexical form, then datatype."""
    return (key[0], key[1], key[2].value, str(key[2]))


def predicates_of(claims: Iterable[dict[str, Any]]) -> set[str]:
    """The predicates used by some claim rows (by an :class:`Evidence` without reading it)."""
    if isinstance(claims, Evidence):
        return claims.predicates
    return {row["predicate"] for row in claims}


def with_predicate(claims: Iterable[dict[str, Any]], predicate: str) -> Sequence[dict[str, Any]]:
    """The claim rows using ``predicate`` (an :class:`Evidence` stays unread)."""
    if isinstance(claims, Evidence):
        return claims.with_predicate(predicate)
    return [row for row in claims if row["predicate"] == predicate]


def first_facts(
    claims: Sequence[dict[str, Any]], limit: int
) -> tuple[Sequence[dict[str, Any]], int]:
    """The claims of the first ``limit`` distinct (predicate, value) facts, and how many facts
    are left out. An :class:`Evidence` is cut without reading the facts left out.

    >>> rows = [make_row("x", "p", v, object_is_entity=False) for v in ("1", "1", "2", "3")]
    >>> kept, left_out = first_facts(rows, 2)
    >>> [r["object"] for r in kept], left_out
    (['1', '1', '2'], 1)
    """
    if isinstance(claims, Evidence) and not claims.loaded:
        return claims.first(limit)
    claims = list(claims)
    values = list(dict.fromkeys((r["predicate"], str(r["object"])) for r in claims))
    keep = set(values[:limit])
    return [r for r in claims if (r["predicate"], str(r["object"])) in keep], max(
        len(values) - limit, 0
    )


def shown_claims(
    claims: Sequence[dict[str, Any]], limit: int, articles: Iterable[str] | None = None
) -> tuple[Sequence[dict[str, Any]], int | None]:
    """At most ``limit`` claims of one relation, chosen so that they show the breadth of its
    sources, and how many claims it has (None when that was not counted).

    With more than ``limit`` claims, the articles are taken in this order: the earliest
    article of each independent source (:func:`source_key`; sources in the order of their
    earliest article), then the other articles, earliest first (undated after dated, ties by
    article id); each article gives all its claims, until ``limit``. With ``limit`` or fewer,
    every claim in its own order. An unread :class:`Evidence` stated by more than ``limit``
    articles reads only the claims shown (:meth:`Evidence.shown`, given ``articles``: the ids
    of the articles stating its triple, when at hand).

    >>> rows = [make_row("a", "p", "b", f"a{i}", outlet=o, published=f"2024-0{i}")
    ...         for i, o in enumerate(["voa", "voa", "bbc", "voa", "bbc"], start=1)]
    >>> shown, total = shown_claims(rows, 3)
    >>> [r["article"] for r in shown], total
    (['a1', 'a3', 'a2'], 5)
    """
    if isinstance(claims, Evidence):
        return claims.shown(limit, articles)
    rows = list(claims)
    return _shown_rows(rows, limit), len(rows)


def articles_behind(
    claims: Sequence[dict[str, Any]], shown: Iterable[dict[str, Any]]
) -> list[tuple[str, str, str]]:
    """(article, outlet, date published) of each article stating these claims that none of
    the ``shown`` claims comes from, by article: what a page's filters test of a relation it
    shows only some claims of. An unread :class:`Evidence` reads no claim for it.

    >>> rows = [make_row("a", "p", "b", f"a{i}", outlet="voa", published=f"2024-0{i}")
    ...         for i in (1, 2, 3)]
    >>> articles_behind(rows, rows[:1])
    [('a2', 'voa', '2024-02'), ('a3', 'voa', '2024-03')]
    """
    taken = {row["article"] for row in shown}
    if isinstance(claims, Evidence) and not claims.loaded:
        return claims.articles_behind(taken)
    found: dict[str, tuple[str, str, str]] = {}
    for row in claims:
        if row["article"] not in taken:
            found.setdefault(
                row["article"], (row["article"], row["outlet"] or "", row.get("published") or "")
            )
    return sorted(found.values())


def shown_facts(facts: Sequence[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The claims of these facts (an entity's literal values), at most ``limit`` of each
    fact (distinct predicate and value) as :func:`shown_claims` picks them, in their order, and
    whether some fact has more. An unread :class:`Evidence` reads only those.

    >>> rows = [make_row("x", "p", "1", f"a{i}", object_is_entity=False) for i in range(3)]
    >>> shown, cut = shown_facts(rows + [make_row("x", "p", "2")], 2)
    >>> [r["article"] for r in shown], cut
    (['a0', 'a1', 'a1'], True)
    """
    if isinstance(facts, Evidence):
        return facts.shown_each(limit)
    rows = list(facts)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["predicate"], str(row["object"])), []).append(row)
    if all(len(group) <= limit for group in groups.values()):
        return rows, False
    kept = {id(row) for group in groups.values() for row in _shown_rows(group, limit)}
    return [row for row in rows if id(row) in kept], True


def _shown_rows(rows: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The rows :func:`shown_claims` picks from these."""
    if len(rows) <= limit:
        return rows
    by_article: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_article.setdefault(row["article"], []).append(row)
    order = _picked_articles(
        (article, source_key(found[0]), found[0].get("published") or "")
        for article, found in by_article.items()
    )
    return list(itertools.islice((row for a in order for row in by_article[a]), limit))


def _picked_articles(articles: Iterable[tuple[str, str, str]]) -> list[str]:
    """Articles given as (id, independent source, date published) in the order
    :func:`shown_claims` takes them. Dates compare as text: a year comes before its days.

    >>> _picked_articles([("x", "voa", "2024-02"), ("y", "voa", "2024-01"), ("z", "bbc", "")])
    ['y', 'z', 'x']
    """
    ordered = sorted(articles, key=lambda a: (not a[2], a[2], a[0]))
    seen: set[str] = set()
    first, rest = [], []
    for article, source, _published in ordered:
        (rest if source in seen else first).append(article)
        seen.add(source)
    return first + rest


def said_by(graph: nx.MultiDiGraph, speaker: str) -> set[tuple[str, str, str]]:
    """The edges (subject, object, predicate) of the claims attributed to ``speaker``.

    On a projection of a store this reads the speaker's claims through the store's indexes;
    otherwise it looks through every edge's claims.

    >>> import kg
    >>> sorted(said_by(kg.load().evidence_graph, "matthew-miller"))[0]
    ('biden-administration', 'china-fentanyl-commitments', 'monitors')
    """
    store = graph.graph.get("store")
    if store is None:
        return {
            (u, v, key)
            for u, v, key, data in graph.edges(keys=True, data=True)
            if any(c.get("speaker") == speaker for c in data.get("claims", ()))
        }
    node = ox.NamedNode(ENTITY_PREFIX + speaker if ":" not in speaker else speaker)
    articles: dict[str, dict[str, Any]] = {}
    found = set()
    for quad in store.quads_for_pattern(None, _vocab().attributed_to, node, None):
        row = _claim_row(store, quad.subject, quad.graph_name, articles)
        if row is not None and row["object_is_entity"]:
            found.add((row["subject"], row["object"], row["predicate"]))
    return {edge for edge in found if graph.has_edge(*edge)}


# --- Graph functions: plain functions over any projected graph -------------------------------


def _require(graph: nx.MultiDiGraph, node: str) -> None:
    if node not in graph:
        raise nx.NodeNotFound(f"node {node!r} is not in the graph")


def undirected_view(graph: nx.MultiDiGraph) -> nx.Graph:
    """A simple undirected graph of the same nodes, with nodes and edges in sorted order.

    Paths and neighbourhoods ignore direction (``ifs partOf ministry-of-public-security``
    links both ways); the sorted order makes ties come out the same way on every run.
    """
    view = nx.Graph()
    view.add_nodes_from(sorted(graph.nodes))
    view.add_edges_from(sorted({tuple(sorted((u, v))) for u, v in graph.edges() if u != v}))
    return view


def relations(graph: nx.MultiDiGraph, a: str, b: str) -> list[dict[str, Any]]:
    """Every edge between two nodes, in either direction, with its sources.

    Each relation has ``subject``, ``predicate``, ``object``, ``direction`` (``forward`` when it
    runs from ``a`` to ``b``), ``articles``, ``outlets``, ``agencies``, ``sources`` and
    ``claims`` (the evidence rows: article, outlet, quote, offsets, speaker, ...).

    >>> g = nx.MultiDiGraph([("ifs", "mps", "partOf"), ("mps", "china", "partOf"),
    ...                      ("xi", "china", "headOf")])
    >>> [(r["subject"], r["predicate"], r["direction"]) for r in relations(g, "mps", "ifs")]
    [('ifs', 'partOf', 'backward')]
    """
    found = []
    for u, v, direction in ((a, b, "forward"), (b, a, "backward")):
        if not graph.has_node(u) or not graph.has_node(v) or not graph.has_edge(u, v):
            continue
        for key, data in sorted(graph[u][v].items(), key=lambda item: str(item[0])):
            found.append(
                {
                    "subject": u,
                    "predicate": key,
                    "object": v,
                    "direction": direction,
                    "label": data.get("label", key),
                    "articles": data.get("articles", []),
                    "outlets": data.get("outlets", []),
                    "agencies": data.get("agencies", []),
                    "sources": data.get("sources", 0),
                    "claims": _claims_of(data),
                }
            )
    return found


def _claims_of(data: Mapping[str, Any]) -> Sequence[dict[str, Any]]:
    """An edge's claim rows to hand out: an :class:`Evidence` as it is (read-only, read when
    first used: a 2-hop walk from next to a hub passes thousands of edges whose quotes nobody
    asks for), a list copied (the graph's own list must not change with the answer)."""
    claims = data.get("claims", [])
    return claims if isinstance(claims, Evidence) else list(claims)


def paths(
    graph: nx.MultiDiGraph, a: str, b: str, max_hops: int = 3, limit: int = 20
) -> list[dict[str, Any]]:
    """Simple paths from ``a`` to ``b`` of at most ``max_hops`` edges, shortest first.

    Direction is ignored when walking (each hop says which way its edges run). Each path is a
    dict with ``nodes`` and ``hops``; a hop has ``source``, ``target`` and ``relations`` (see
    :func:`relations`): so every step of a path carries the articles and quotes behind it.
    At most ``limit`` paths are returned; none when the nodes are not connected within reach.

    >>> g = nx.MultiDiGraph([("ifs", "mps", "partOf"), ("mps", "china", "partOf"),
    ...                      ("xi", "china", "headOf")])
    >>> best = paths(g, "xi", "ifs")[0]
    >>> best["nodes"]
    ['xi', 'china', 'mps', 'ifs']
    >>> [(r["subject"], r["predicate"], r["object"]) for h in best["hops"] for r in h["relations"]]
    [('xi', 'headOf', 'china'), ('mps', 'partOf', 'china'), ('ifs', 'partOf', 'mps')]
    >>> paths(g, "xi", "ifs", max_hops=2)
    []
    """
    _require(graph, a)
    _require(graph, b)
    if a == b:
        return [{"nodes": [a], "hops": [], "length": 0}]
    view = undirected_view(graph)
    found: list[list[str]] = []
    try:
        for nodes in nx.shortest_simple_paths(view, a, b):
            if len(nodes) - 1 > max_hops or len(found) >= limit:
                break
            found.append(nodes)
    except nx.NetworkXNoPath:
        return []
    found.sort(key=lambda nodes: (len(nodes), nodes))
    result = []
    for nodes in found:
        hops = [
            {"source": u, "target": v, "relations": relations(graph, u, v)}
            for u, v in itertools.pairwise(nodes)
        ]
        result.append({"nodes": nodes, "hops": hops, "length": len(hops)})
    return result


def ego_network(graph: nx.MultiDiGraph, node: str, hops: int = 1) -> nx.MultiDiGraph:
    """The subgraph of everything within ``hops`` edges of ``node`` (direction ignored).

    >>> g = nx.MultiDiGraph([("ifs", "mps", "partOf"), ("mps", "china", "partOf"),
    ...                      ("xi", "china", "headOf")])
    >>> sorted(ego_network(g, "mps", 1))
    ['china', 'ifs', 'mps']
    """
    _require(graph, node)
    view = graph.to_undirected(as_view=True)
    reach = nx.single_source_shortest_path_length(view, node, cutoff=hops)
    return graph.subgraph(sorted(reach)).copy()


def neighbours(graph: nx.MultiDiGraph, node: str, hops: int = 1) -> list[dict[str, Any]]:
    """The nodes within ``hops`` edges of ``node``, nearest first, each with how it is reached.

    Each neighbour has ``id``, ``label``, ``type``, ``distance`` and ``relations``: the edges
    (with sources) linking it to the nodes one step closer to ``node``.

    >>> g = nx.MultiDiGraph([("ifs", "mps", "partOf"), ("mps", "china", "partOf"),
    ...                      ("xi", "china", "headOf")])
    >>> [(n["id"], n["distance"]) for n in neighbours(g, "ifs", hops=2)]
    [('mps', 1), ('china', 2)]
    """
    _require(graph, node)
    view = graph.to_undirected(as_view=True)  # a view: the walk costs only what it reaches
    reach = nx.single_source_shortest_path_length(view, node, cutoff=hops)
    found = []
    for other, distance in sorted(reach.items(), key=lambda item: (item[1], item[0])):
        if other == node:
            continue
        closer = sorted(n for n in view[other] if reach.get(n) == distance - 1)
        data = graph.nodes[other]
        found.append(
            {
                "id": other,
                "label": data.get("label", other),
                "type": data.get("type"),
                "distance": distance,
                "relations": [r for n in closer for r in relations(graph, n, other)],
            }
        )
    return found


def pagerank(
    graph: nx.MultiDiGraph, alpha: float = 0.85, tol: float = 1e-6, max_iter: int = 100
) -> dict[str, float]:
    """PageRank over the distinct directed links between nodes (numpy power iteration).

    The same as :func:`networkx.pagerank` on the graph's simple directed view (parallel
    edges once, self-loops left out), without needing scipy.

    >>> g = nx.MultiDiGraph([("a", "b", "p"), ("a", "b", "q"), ("b", "c", "p")])
    >>> {n: round(r, 3) for n, r in pagerank(g).items()}
    {'a': 0.184, 'b': 0.341, 'c': 0.474}
    """
    import numpy as np

    nodes = sorted(graph.nodes)
    if not nodes:
        return {}
    index = {n: i for i, n in enumerate(nodes)}
    links = sorted({(index[u], index[v]) for u, v in graph.edges() if u != v})
    size = len(nodes)
    src = np.array([u for u, _ in links], dtype=np.int64)
    dst = np.array([v for _, v in links], dtype=np.int64)
    out = np.bincount(src, minlength=size).astype(float)
    dangling = out == 0
    rank = np.full(size, 1.0 / size)
    for _ in range(max_iter):
        spread = np.bincount(dst, weights=rank[src] / out[src], minlength=size)
        new = alpha * (spread + rank[dangling].sum() / size) + (1 - alpha) / size
        done = np.abs(new - rank).sum() < size * tol
        rank = new
        if done:
            break
    return {n: float(rank[i]) for i, n in enumerate(nodes)}


def centrality(graph: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """Degree (edges in and out, each claim edge once) and PageRank of every node, highest first.

    >>> g = nx.MultiDiGraph([("ifs", "mps", "partOf"), ("mps", "china", "partOf"),
    ...                      ("xi", "china", "headOf")])
    >>> [(r["id"], r["degree"]) for r in centrality(g)]
    [('china', 2), ('mps', 2), ('ifs', 1), ('xi', 1)]
    """
    if graph.number_of_nodes() == 0:
        return []
    rank = pagerank(graph)
    rows = [
        {
            "id": n,
            "label": graph.nodes[n].get("label", n),
            "type": graph.nodes[n].get("type"),
            "degree": graph.degree(n),
            "in_degree": graph.in_degree(n),
            "out_degree": graph.out_degree(n),
            "pagerank": round(rank.get(n, 1 / graph.number_of_nodes()), 6),
        }
        for n in sorted(graph.nodes)
    ]
    rows.sort(key=lambda r: (-r["pagerank"], -r["degree"], r["id"]))
    return rows


def communities(graph: nx.MultiDiGraph, seed: int = 0) -> list[list[str]]:
    """Groups of densely linked nodes (Louvain, fixed seed), largest first; isolated nodes apart.

    >>> g = nx.MultiDiGraph([("a", "b", "p"), ("b", "c", "p"), ("c", "a", "p"),
    ...                      ("x", "y", "p"), ("y", "z", "p"), ("z", "x", "p"), ("c", "x", "p")])
    >>> communities(g)
    [['a', 'b', 'c'], ['x', 'y', 'z']]
    """
    view = undirected_view(graph)
    if view.number_of_edges() == 0:
        return [[n] for n in sorted(view)]
    found = nx.community.louvain_communities(view, seed=seed)
    groups = [sorted(group) for group in found]
    groups.sort(key=lambda group: (-len(group), group[0]))
    return groups


def support(claims: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """How well a set of claim rows (one triple) is supported: articles, outlets, sources.

    ``outlets`` are the distinct outlets named (an article whose outlet is unknown adds none),
    ``agencies`` the originating wire agencies named, ``sources`` the number of independent
    sources (:func:`source_key`: wire copy carried by two outlets is one source). A triple with
    one independent source is ``single_source``.

    >>> rows = [{"article": "a", "outlet": "x", "agency": "afp"},
    ...         {"article": "b", "outlet": "y", "agency": "afp"}]
    >>> s = support(rows)
    >>> s["outlets"], s["agencies"], s["sources"], s["single_source"]
    (['x', 'y'], ['afp'], 1, True)
    """
    rows = list(claims)
    outlets = sorted({r["outlet"] for r in rows if r.get("outlet")})
    keys = sorted({source_key(r) for r in rows})
    return {
        "articles": sorted({r["article"] for r in rows}),
        "outlets": outlets,
        "agencies": sorted({r["agency"] for r in rows if r.get("agency")}),
        "independent": keys,
        "sources": len(keys),
        "single_source": len(keys) == 1,
        "claims": len(rows),
    }


def corroboration(graph: nx.MultiDiGraph, min_outlets: int = 0) -> list[dict[str, Any]]:
    """Every edge and literal fact with its :func:`support`, best supported first.

    >>> g = nx.MultiDiGraph()
    >>> claims = [{"article": "a1", "outlet": "voa", "agency": None},
    ...           {"article": "a2", "outlet": None, "agency": "afp"}]
    >>> g.add_edge("ifs", "mps", key="partOf", claims=claims)
    'partOf'
    >>> [(r["subject"], r["outlets"], r["agencies"], r["sources"]) for r in corroboration(g)]
    [('ifs', ['voa'], ['afp'], 2)]
    """
    found = []
    for u, v, key, data in graph.edges(keys=True, data=True):
        found.append(
            {"subject": u, "predicate": key, "object": v, **support(data.get("claims", []))}
        )
    for node, data in graph.nodes(data=True):
        facts: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in data.get("facts", []):
            facts.setdefault((row["predicate"], row["object"]), []).append(row)
        for (pred, value), rows in facts.items():
            found.append({"subject": node, "predicate": pred, "object": value, **support(rows)})
    found = [row for row in found if len(row["outlets"]) >= min_outlets]
    found.sort(
        key=lambda r: (
            -r["sources"],
            -len(r["outlets"]),
            r["subject"],
            r["predicate"],
            str(r["object"]),
        )
    )
    return found


def transitive(graph: nx.MultiDiGraph, node: str, predicate: str = "partOf") -> list[str]:
    """Every node reached from ``node`` by following ``predicate`` edges forward (transitively).

    >>> g = nx.MultiDiGraph([("ifs", "mps", "partOf"), ("mps", "china", "partOf"),
    ...                      ("xi", "china", "headOf")])
    >>> transitive(g, "ifs")
    ['china', 'mps']
    """
    seen: set[str] = set()
    todo = [node] if node in graph else []
    while todo:
        current = todo.pop()
        for _, target, key in graph.out_edges(current, keys=True):
            if key == predicate and target not in seen and target != node:
                seen.add(target)
                todo.append(target)
    return sorted(seen)


def _flat(value: Any, encoded: Mapping[int, str] | None = None) -> str | int | float | bool:
    if type(value) in _SCALARS or isinstance(value, bool | int | float | str):
        return value
    if value is None:
        return ""
    if isinstance(value, set | frozenset):
        value = sorted(value, key=str)
    elif isinstance(value, Evidence):
        value = list(value)
    if isinstance(value, list):
        if not value:
            return "[]"
        if encoded and all(map(encoded.__contains__, map(id, value))):
            # a list's JSON is its items' JSON, joined as json.dumps joins them
            return "[" + ", ".join(encoded[id(v)] for v in value) + "]"
        if all(type(v) is str for v in value):
            joined = '", "'.join(value)
            if not _JSON_ESCAPED.search(joined):  # json.dumps would write each as it is
                return '["' + joined + '"]'
    return row_json(value)


_SCALARS = frozenset((str, int, float, bool))
#: What json.dumps(ensure_ascii=False) escapes in a string.
_JSON_ESCAPED = re.compile(r'[\x00-\x1f\\"]')


def row_json(value: Any) -> str:
    """The JSON that kg.graphml writes for a value (a claim row, say): keys sorted, UTF-8 kept.

    >>> row_json({"b": 1, "a": ["é"]})
    '{"a": ["é"], "b": 1}'
    """
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def to_graphml(
    graph: nx.MultiDiGraph,
    encoded: Mapping[int, str] | None = None,
    reuse: GraphmlReuse | None = None,
) -> bytes:
    """GraphML of a projected graph: nodes and edges sorted, list and dict attributes as JSON.

    Each edge's id is ``SUBJECT.PREDICATE.OBJECT`` (unique: entity ids are slugs, predicates
    have no dots), so strict readers keep every edge. The same graph gives the same bytes.
    ``encoded`` maps the ``id`` of values already encoded (claim rows) to their
    :func:`row_json`: a list of them is joined, not encoded again. ``reuse`` takes the text of
    elements that have not changed from an earlier call (see :class:`GraphmlReuse`).

    >>> g = nx.MultiDiGraph()
    >>> g.add_node("ifs", label="IFS", articles=["a1", "a2"])
    >>> g.add_edge("ifs", "mps", key="partOf", claims=[{"article": "a1"}])
    'partOf'
    >>> b'<data key="d0">["a1", "a2"]</data>' in to_graphml(g)
    True
    >>> b'<edge source="ifs" target="mps" id="ifs.partOf.mps">' in to_graphml(g)
    True
    >>> to_graphml(g) == to_graphml(g.copy())
    True
    """
    elements: list[tuple[tuple[str, ...], dict[str, Any]]] = [
        (("node", str(node)), a) for node, a in sorted(graph.nodes(data=True), key=lambda n: n[0])
    ]
    elements += [
        (("edge", str(u), str(v), f"{u}.{key}.{v}"), a)
        for u, v, key, a in sorted(
            graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2]))
        )
    ]
    kept = reuse.kept(elements) if reuse is not None else {}
    flat: dict[int, dict[str, Any]] = {}
    shapes = []
    for index, (_ident, attrs) in enumerate(elements):
        found = kept.get(index)
        if found is None:
            flat[index] = _flattened(attrs, encoded)
            shapes.append(tuple((k, type(v)) for k, v in flat[index].items()))
        else:
            shapes.append(found[0])
    keys: dict[tuple[str, str, str], str] = {}
    seen: set[tuple[Any, str]] = set()  # an element of a shape seen before adds no key
    for (ident, _attrs), shape in zip(elements, shapes, strict=True):
        if (shape, ident[0]) in seen:
            continue
        seen.add((shape, ident[0]))
        for name, kind in shape:
            keys.setdefault((name, _GRAPHML_TYPES[kind], ident[0]), f"d{len(keys)}")
    if reuse is not None and keys != reuse.keys:  # other key ids: no element text holds
        flat.update((index, _flattened(elements[index][1], encoded)) for index in kept)
        kept = {}
    texts = [
        kept[index][1] if index in kept else _element(ident, flat[index], keys).encode()
        for index, (ident, _attrs) in enumerate(elements)
    ]
    head, tail = _graphml_ends(keys, bool(texts))
    # one join: the elements kept are views of the stored body, copied only here
    document = b"".join([head, *texts, tail])
    if reuse is not None:
        body = memoryview(document)[len(head) : len(document) - len(tail)]
        reuse.remember(elements, shapes, texts, keys, body)
    return document


def _flattened(attrs: Mapping[str, Any], encoded: Mapping[int, str] | None) -> dict[str, Any]:
    """An element's attributes as GraphML writes them, by name."""
    return {k: _flat(attrs[k], encoded) for k in sorted(attrs)}


#: What :class:`GraphmlReuse` keeps: its scope, the data keys' ids, each element's (basis,
#: shape, start, end) by element id, and the body the places are in.
StoredElements = tuple[
    str, dict[Any, str], dict[tuple[str, ...], tuple[Any, ...]], "bytes | memoryview"
]


class GraphmlReuse:
    """The text of each GraphML element (a node or an edge) written by :func:`to_graphml`,
    kept for the next call with the same ``scope``: an element is taken as it was when its
    ``basis`` (what its attributes are made from, e.g. the keys of the claim rows of the
    articles in its ``articles``) and the ids of the data keys are the same.

    ``basis(ident, attrs)`` gives, for an element id (``("node", id)`` or ``("edge", source,
    target, edge id)``) and its attributes, a tuple of strings (kept as their SHA-256); None
    means "do not reuse". :attr:`stored` is what to keep (and hand back as ``stored`` next
    time): the elements' text is the GraphML's body, one buffer (a view of the document
    :func:`to_graphml` returned; a view of a file is enough to hand back), with each element's
    place in it.

    >>> g = nx.MultiDiGraph()
    >>> g.add_node("ifs", label="IFS", articles=["a1"])
    >>> first = GraphmlReuse("s", lambda ident, attrs: tuple(attrs.get("articles", ())))
    >>> data = to_graphml(g, reuse=first)
    >>> again = GraphmlReuse("s", first.basis, first.stored)
    >>> to_graphml(g, reuse=again) == data, again.reused
    (True, 1)
    """

    def __init__(
        self,
        scope: str,
        basis: Callable[[tuple[str, ...], dict[str, Any]], tuple[str, ...] | None],
        stored: StoredElements | None = None,
    ) -> None:
        self.scope, self.basis = scope, basis
        self.keys: dict[Any, str] = {}
        # by element id: (digest of its basis, its attributes' shape, start, end in the body)
        self.places: dict[tuple[str, ...], tuple[Any, ...]] = {}
        self.body: bytes | memoryview = b""
        if stored is not None and stored[0] == scope:
            _scope, self.keys, self.places, self.body = stored
        self.bases: list[bytes | None] = []
        self.reused = 0
        self.stored: StoredElements

    def _digest(self, ident: tuple[str, ...], attrs: dict[str, Any]) -> bytes | None:
        made = self.basis(ident, attrs)
        return None if made is None else hashlib.sha256("\0".join(made).encode()).digest()

    def kept(self, elements: Sequence[tuple[tuple[str, ...], dict[str, Any]]]) -> dict:
        """The (shape, text) of each element, by index, that can be taken as kept."""
        found = {}
        self.bases = [self._digest(ident, attrs) for ident, attrs in elements]
        body = memoryview(self.body)  # slices of it are views, not copies
        for index, ((ident, _attrs), basis) in enumerate(zip(elements, self.bases, strict=True)):
            place = self.places.get(ident)
            if basis is not None and place is not None and place[0] == basis:
                found[index] = (place[1], body[place[2] : place[3]])
        self.reused = len(found)
        return found

    def remember(
        self,
        elements: Sequence[tuple[tuple[str, ...], dict[str, Any]]],
        shapes: Sequence[Any],
        texts: Sequence[bytes],
        keys: dict[Any, str],
        body: bytes | memoryview,
    ) -> None:
        """Keep the elements' texts: ``body`` is ``texts`` joined."""
        places, end = {}, 0
        # one object per distinct shape: pickled once, then by reference (3x faster to keep)
        distinct: dict[Any, Any] = {}
        for (ident, _attrs), basis, shape, text in zip(
            elements, self.bases, shapes, texts, strict=True
        ):
            start, end = end, end + len(text)
            if basis is not None:
                places[ident] = (basis, distinct.setdefault(shape, shape), start, end)
        self.stored = (self.scope, keys, places, body)


#: GraphML's name of each attribute type (as networkx writes them).
_GRAPHML_TYPES = {str: "string", int: "long", float: "double", bool: "boolean"}


def _element(ident: tuple[str, ...], attrs: dict[str, Any], keys: dict[Any, str]) -> str:
    """One node or edge, its attributes flattened, with the data key ids ``keys``."""
    if ident[0] == "node":
        start, end = f'    <node id="{_attribute(ident[1])}"', "    </node>\n"
    else:
        _kind, source, target, name = ident
        start = (
            f'    <edge source="{_attribute(source)}" target="{_attribute(target)}" '
            f'id="{_attribute(name)}"'
        )
        end = "    </edge>\n"
    if not attrs:
        return start + " />\n"
    parts = [start, ">\n"]
    for name, value in attrs.items():
        key = keys[(name, _GRAPHML_TYPES[type(value)], ident[0])]
        text = str(value)
        parts.append(
            f'      <data key="{key}">{_cdata(text)}</data>\n'
            if text
            else f'      <data key="{key}" />\n'
        )
    parts.append(end)
    return "".join(parts)


def _graphml_ends(keys: dict[tuple[str, str, str], str], elements: bool) -> tuple[bytes, bytes]:
    """What ``networkx.write_graphml_xml(..., prettyprint=True)`` writes for a directed
    multigraph before and after its elements' text (none if not ``elements``): the document
    is written in one pass, as the element tree networkx builds first cost most of a large
    build's GraphML (tested equal)."""
    graph = [b'  <graph edgedefault="directed">\n', b"  </graph>\n"]
    if not elements:
        graph = [b'  <graph edgedefault="directed" />\n', b""]
    head = [
        "<?xml version='1.0' encoding='utf-8'?>\n",
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n',
    ]
    for (name, kind, scope), key in reversed(keys.items()):
        head.append(
            f'  <key id="{key}" for="{scope}" attr.name="{_attribute(name)}" '
            f'attr.type="{kind}" />\n'
        )
    return "".join(head).encode() + graph[0], graph[1] + b"</graphml>\n"


def _cdata(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(text: str) -> str:
    return (
        _cdata(text)
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
        .replace("\n", "&#10;")
        .replace("\t", "&#09;")
    )
