"""The :class:`KnowledgeGraph` facade: one object over a loaded dataset, one-line methods.

Each method delegates to a plain function (SPARQL in :mod:`kg.sparql`, graph algorithms in
:mod:`kg.graph`, analysis in :mod:`kg.analysis`), so the same work is available without it.

>>> import kg
>>> g = kg.load()
>>> g.entity("ifs").type
'GovernmentAgency'
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox
from rdflib import Dataset, URIRef

from kg import analysis
from kg import graph as graphs
from kg.errors import AmbiguousEntity, EntityNotFound, QueryError
from kg.html import Page, write_html
from kg.ingest import ArticleReport, article_report
from kg.model import DateValue
from kg.ontology import BASE_IRI, KG, Ontology, article_iri, entity_iri, local_name
from kg.rdf import DATE_TYPES, LITERAL_TYPES
from kg.sparql import (
    NamedQuery,
    QueryResult,
    named_query,
    prepare_query,
    run_query,
    serialize_query,
)
from kg.store import dataset_over


@dataclass(frozen=True)
class EntityInfo:
    """An entity as the dataset describes it: what :meth:`KnowledgeGraph.entity` returns, and
    accepted wherever a method asks for an entity."""

    id: str
    iri: str
    type: str
    label: str
    aliases: tuple[str, ...]
    description: str | None = None
    note: str | None = None


#: How a method is told which entity: an id, a label or alias, an IRI, or an :class:`EntityInfo`.
EntityRef = str | EntityInfo | ox.NamedNode

#: How a method is told which claim: a row of :meth:`KnowledgeGraph.claims` (any mapping with
#: ``subject``, ``predicate`` and ``object``).
ClaimRef = Mapping[str, Any]


class KnowledgeGraph:
    """A loaded knowledge graph: the store, the rdflib Dataset view, and questions to ask it."""

    def __init__(self, store: ox.Store, ontology: Ontology) -> None:
        self.store = store
        self.ontology = ontology

    def __repr__(self) -> str:
        return f"<KnowledgeGraph {len(self.store):,} quads, {len(self.entities)} entities>"

    @cached_property
    def dataset(self) -> Dataset:
        """The data as an rdflib Dataset (backed by the same pyoxigraph store, no copy)."""
        return dataset_over(self.store)

    def sparql(self, query: str, **bindings: Any) -> QueryResult:
        """Run a read-only SPARQL query; keyword arguments bind variables (IRIs or literals).

        >>> import kg
        >>> g = kg.load()
        >>> rows = g.sparql("SELECT ?l WHERE { ?e rdfs:label ?l }", e=g.entity("ifs").iri)
        >>> rows.rows[0]["l"]
        'Institute of Forensic Science'
        """
        return run_query(self.store, query, bindings)

    @cached_property
    def entities(self) -> Mapping[str, EntityInfo]:
        """Every entity by id."""
        found: dict[str, EntityInfo] = {}
        for ident, record in graphs.entity_records(self.store).items():  # as the projection
            found[ident] = EntityInfo(
                ident,
                f"{graphs.ENTITY_PREFIX}{ident}",
                record["type"],
                record["label"],
                tuple(record["aliases"]),
                record["description"],
                record["note"],
            )
        return found

    @cached_property
    def _names(self) -> dict[str, list[str]]:
        names: dict[str, list[str]] = {}
        for info in self.entities.values():
            for name in {info.id, info.label, *info.aliases}:
                bucket = names.setdefault(name.casefold(), [])
                if info.id not in bucket:
                    bucket.append(info.id)
        return names

    def entity(self, name: EntityRef) -> EntityInfo:
        """Find an entity by id, label or any alias (ignoring case), by its IRI, or by the
        object this method returns: every method that asks for an entity resolves it here.

        Raises :class:`EntityNotFound` with close matches (the error ``kg show`` prints), or
        :class:`AmbiguousEntity` listing the candidates when a name belongs to several entities.

        >>> import kg
        >>> g = kg.load()
        >>> ifs = g.entity("IFS")
        >>> ifs.id, g.entity(ifs) is ifs, g.entity(ifs.iri).id
        ('ifs', True, 'ifs')
        """
        if isinstance(name, EntityInfo):
            if self.entities.get(name.id) == name:
                return self.entities[name.id]
            name = name.id  # an entity of another graph: found here by its id, or not at all
        elif isinstance(name, ox.NamedNode):
            name = name.value
        elif not isinstance(name, str):
            raise TypeError(
                "an entity is given by id, label, alias, IRI or the object g.entity() returns, "
                f"not {type(name).__name__}"
            )
        if name.startswith(f"{BASE_IRI}entity/"):
            name = name[len(f"{BASE_IRI}entity/") :]
        if name in self.entities:  # an id names one entity, even if it is another's alias
            return self.entities[name]
        ids = self._names.get(name.casefold(), [])
        if len(ids) == 1:
            return self.entities[ids[0]]
        if len(ids) > 1:
            raise AmbiguousEntity(name, sorted(ids))
        pool = {key: ids for key, ids in self._names.items()}
        close = difflib.get_close_matches(name.casefold(), list(pool), n=5, cutoff=0.6)
        suggestions = list(dict.fromkeys(self.entities[i].id for key in close for i in pool[key]))
        raise EntityNotFound(name, suggestions[:3])

    # --- Questions: each a one-liner over kg.graph, kg.analysis or kg.sparql -------------------

    @cached_property
    def claim_rows(self) -> list[dict[str, Any]]:
        """Every claim with its evidence, as plain dicts (see :func:`kg.graph.claim_rows`)."""
        return graphs.claim_rows(self.store)

    @cached_property
    def nx(self) -> nx.MultiDiGraph:
        """The NetworkX projection of the RDF (built once): see :func:`kg.graph.project`.

        Edges carry their sources at once and read their claims from the store when first
        looked at, so this stays quick on a large graph.

        >>> import kg
        >>> kg.load().nx.nodes["ifs"]["type"]
        'GovernmentAgency'
        """
        return graphs.project(self.store, ontology=self.ontology)

    @cached_property
    def articles(self) -> Mapping[str, dict[str, Any]]:
        """Every article by id: headline, outlet, agency, publication date (as written)."""
        rows = run_query(self.store, ARTICLES_QUERY)
        return {
            r["id"]: {
                "id": r["id"],
                "headline": r["headline"],
                "outlet": _entity_id(r["outlet"]),
                "agency": _entity_id(r["agency"]),
                "published": r["published"],
            }
            for r in rows
        }

    def claims(
        self,
        subject: EntityRef | None = None,
        predicate: str | None = None,
        object: EntityRef | Any = None,
        article: str | None = None,
        as_of: str | None = None,
    ) -> list[dict[str, Any]]:
        """Claims matching every given part, each with its evidence (see ``claim_rows``).

        Entities are given by id, label, alias, IRI or :meth:`entity`'s object; ``predicate`` by
        its ontology name (an inverse such as ``hasPart`` swaps subject and object); ``object``
        may be a literal (``110000``, ``"110,000"``); ``article`` by id or a unique prefix
        (``001``); ``as_of`` an ISO day (see :func:`kg.analysis.as_of`). A name that is neither
        an entity nor a value any claim has raises :class:`EntityNotFound`.

        >>> import kg
        >>> g = kg.load()
        >>> sorted({c["article"][:3] for c in g.claims(subject="IFS", predicate="partOf")})
        ['000', '001', '002', '003']
        >>> len(g.claims(subject="ifs", predicate="listedOn", as_of="2024-01-01"))
        0
        """
        return self._select(subject, predicate, object, article, as_of)

    def sources(
        self,
        subject: EntityRef | ClaimRef,
        predicate: str | None = None,
        object: EntityRef | Any = None,
    ) -> list[dict[str, Any]]:
        """Who says so: every article stating the triple, with outlet, agency, date, speaker,
        certainty, quote and offsets. One targeted query (the triple is bound), not a scan.

        The triple is three parts, or one claim (a row of :meth:`claims`) standing for its own.

        >>> import kg
        >>> g = kg.load()
        >>> [s["outlet"] for s in g.sources("ifs", "partOf", "Ministry of Public Security")]
        [None, 'voa', 'scmp', None]
        >>> len(g.sources(g.claims("ifs", "partOf")[0]))
        4
        """
        if isinstance(subject, Mapping):
            if predicate is not None or object is not None:
                raise TypeError("sources: give a claim, or subject, predicate and object")
            claim = subject
            subject, predicate, object = claim["subject"], claim["predicate"], claim["object"]
        if predicate is None or object is None:
            raise TypeError("sources: give subject, predicate and object (or one claim)")
        return [
            analysis.evidence(r) | {"subject": r["subject"], "predicate": r["predicate"]}
            for r in self._select(subject, predicate, object, None, None)
        ]

    def paths(
        self, a: EntityRef, b: EntityRef, max_hops: int = 3, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Paths between two entities, shortest first, each hop with its articles and quotes.

        >>> import kg
        >>> kg.load().paths("Xi Jinping", "Ministry of Public Security")[0]["nodes"]
        ['xi-jinping', 'china', 'ministry-of-public-security']
        """
        return graphs.paths(self.nx, self.entity(a).id, self.entity(b).id, max_hops, limit)

    def neighbours(self, name: EntityRef, hops: int = 1) -> list[dict[str, Any]]:
        """Entities within ``hops`` edges, nearest first, with the relations that reach them.

        >>> import kg
        >>> [n["id"] for n in kg.load().neighbours("ifs-listing")]
        ['counternarcotics-cooperation', 'ifs']
        """
        return graphs.neighbours(self.nx, self.entity(name).id, hops)

    def top_neighbours(self, name: EntityRef, top: int = 10) -> dict[str, Any]:
        """The ``top`` neighbours and 2-hop paths of an entity with the most independent
        sources, and how many of each were left out: quick even from a hub (see
        :func:`kg.neighbourhood.ranked_neighbourhood`).

        >>> import kg
        >>> found = kg.load().top_neighbours("IFS", top=2)
        >>> len(found["neighbours"]), found["more_neighbours"] >= 0
        (2, True)
        """
        from kg.neighbourhood import ranked_neighbourhood

        return ranked_neighbourhood(self.nx, self.entity(name).id, top)

    def centrality(self) -> list[dict[str, Any]]:
        """Degree and PageRank of every entity, highest PageRank first."""
        return graphs.centrality(self.nx)

    def communities(self) -> list[list[str]]:
        """Groups of densely linked entities (Louvain, fixed seed), largest first."""
        return graphs.communities(self.nx)

    def conflicts(self) -> list[analysis.Conflict]:
        """Typed conflicts, each with every quote side by side: see :func:`kg.analysis.conflicts`.

        >>> import kg
        >>> [c.values for c in kg.load().conflicts() if c.predicate == "annualOverdoseDeaths"]
        [('100000', '110000')]
        """
        return analysis.conflicts(self.claim_rows, self.ontology, self.nx)

    def timeline(self, entity: EntityRef | None = None) -> list[dict[str, Any]]:
        """Dated claims in date order (all, or those about one entity).

        >>> import kg
        >>> [e["when"] for e in kg.load().timeline("IFS") if e["predicate"] == "delisted"]
        ['2023-11-16']
        """
        ident = self.entity(entity).id if entity is not None else None
        return analysis.timeline(self.claim_rows, ident, self.ontology)

    def corroboration(self, min_outlets: int = 1) -> list[dict[str, Any]]:
        """Every triple with its articles, outlets, agencies and independent sources."""
        return analysis.corroboration(self.claim_rows, min_outlets)

    def single_source_entities(self) -> list[dict[str, Any]]:
        """Entities that only one independent source mentions."""
        return analysis.single_source_entities(self.claim_rows, self.entities)

    def show(self, name: EntityRef) -> dict[str, Any]:
        """An entity and everything the claims say about it, with sources: ``kg show``.

        >>> import kg
        >>> kg.load().show("Matt Miller")["entity"]["label"]
        'Matthew Miller'
        """
        info = self.entity(name)
        entity = asdict(info) | {"articles": self.nx.nodes[info.id]["articles"]}
        return {"entity": entity, **analysis.profile(self.claim_rows, info.id)}

    def article(self, article_id: str, root: Path | None = None) -> ArticleReport:
        """An article's claims and the sentences no claim cites yet: ``kg show ARTICLE``.

        The text comes from ``data/articles/<id>.txt`` under ``root`` (checked by its sha256).

        >>> import kg
        >>> report = kg.load().article("001_9a1418d7ed6deaae")
        >>> len(report.claims) > 10, report.sentences > len(report.uncited)
        (True, True)
        """
        return article_report(self.store, article_id, root)

    def stats(self) -> dict[str, Any]:
        """Counts of the graph, conflicts by kind and the most central entities: ``kg stats``."""
        return analysis.summary(
            self.claim_rows,
            {i: e.type for i, e in self.entities.items()},
            self.articles,
            len(self.store),
            self.nx,
            self.ontology,
        )

    def to_html(self, path: str | Path, **view: Any) -> Page:
        """Write the interactive graph page for a view: ``kg html`` (see :mod:`kg.html`).

        ``view`` takes ``focus`` (any entity reference, see :meth:`entity`), ``hops``,
        ``article``, ``predicate``, ``top_k``, ``max_edges``, ``max_claims`` and ``title``;
        quotes show with the 32 characters around them.
        """
        if view.get("focus") is not None:
            view["focus"] = self.entity(view["focus"]).id
        return write_html(self.store, path, graph=self.nx, ontology=self.ontology, **view)

    def query_named(self, name: str, **params: Any) -> QueryResult:
        """Run a named query (``kg/queries/<name>.rq``); entity parameters by id, label or alias.

        >>> import kg
        >>> rows = kg.load().query_named("delistings", subject="US")
        >>> sorted({r["article"][:3] for r in rows})
        ['000', '001', '002']
        """
        query = named_query(name)
        return run_query(self.store, query.text, query.bind(self._named_params(query, params)))

    def query(
        self, source: str, fmt: str | None = None, params: Mapping[str, Any] | None = None
    ) -> QueryResult | bytes:
        """Run a named query, a ``.rq`` file or SPARQL text: rows, or bytes in ``fmt``
        (json, xml, csv, tsv; ttl or nt for CONSTRUCT). What ``kg query`` does.

        >>> import kg
        >>> kg.load().query("ASK { entity:ifs kg:partOf ?x }")
        QueryResult(kind='ask', variables=[], rows=[], boolean=False, triples=[])
        """
        text, bindings, named = prepare_query(source, params)
        if named is not None:
            bindings = named.bind(self._named_params(named, params or {}))
        if fmt is None:
            return run_query(self.store, text, bindings)
        return serialize_query(self.store, text, fmt, bindings)

    # --- helpers of the questions above

    def _named_params(self, query: NamedQuery, params: Mapping[str, Any]) -> dict[str, Any]:
        types = {p.name: p.type for p in query.params}
        resolved = dict(params)
        for key, value in params.items():
            if types.get(key) == "entity" and (
                isinstance(value, EntityInfo | ox.NamedNode) or (value and "://" not in str(value))
            ):
                resolved[key] = self.entity(value if not isinstance(value, int) else str(value)).id
            elif types.get(key) == "predicate" and value:
                resolved[key] = self._predicate(str(value))[0]
        return resolved

    def _predicate(self, name: str) -> tuple[str, bool]:
        """A claim predicate's name, and whether the given name was its inverse."""
        name = local_name(name) if "://" in name else name.removeprefix("kg:")
        predicates = self.ontology.predicates
        if name in predicates:
            return name, False
        for pred in predicates.values():
            if pred.inverse == name:
                return pred.name, True
        close = self.ontology.suggest(name, "predicates")
        hint = (
            f"did you mean {', '.join(repr(c) for c in close)}?"
            if close
            else "see ontology/kg.ttl for the predicates"
        )
        raise QueryError(f"unknown predicate {name!r} — {hint}")

    def _article(self, name: str) -> str:
        if name in self.articles:
            return name
        starts = [a for a in self.articles if a.startswith(name)]
        if len(starts) == 1:
            return starts[0]
        close = starts or difflib.get_close_matches(name, list(self.articles), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else "see data/articles.yaml"
        raise QueryError(f"no article {name!r} — {hint}")

    def _select(
        self,
        subject: EntityRef | None,
        predicate: str | None,
        obj: EntityRef | Any,
        article: str | None,
        as_of: str | None,
    ) -> list[dict[str, Any]]:
        pred, inverse = self._predicate(predicate) if predicate else (None, False)
        if inverse:
            subject, obj = obj, subject
        kind = self.ontology.predicates[pred].kind if pred else None
        bindings: dict[str, Any] = {}
        if subject:
            bindings["s"] = ox.NamedNode(entity_iri(self.entity(subject).id))
        if pred:
            bindings["p"] = ox.NamedNode(KG[pred])
        literal = None
        unknown: EntityNotFound | None = None  # a name that may be a value, or a typo
        if isinstance(obj, EntityInfo | ox.NamedNode):
            bindings["o"] = ox.NamedNode(entity_iri(self.entity(obj).id))
        elif obj is not None:
            if kind == "datatype" or not isinstance(obj, str):
                literal = _lexical(obj)
            else:
                try:
                    bindings["o"] = ox.NamedNode(entity_iri(self.entity(obj).id))
                except EntityNotFound as err:
                    if kind == "object":
                        raise
                    literal, unknown = obj, err
        ident = self._article(article) if article else None
        if ident and not as_of:
            bindings["g"] = ox.NamedNode(article_iri(ident))
        if as_of:
            try:
                dt.date.fromisoformat(as_of)
            except ValueError:
                raise QueryError(f"as_of: {as_of!r} is not a day — write YYYY-MM-DD") from None
        rows: list[dict[str, Any]] | None = None
        if literal is not None and pred and kind == "datatype":
            # the typed literal as stored: an indexed lookup of the whole triple
            typed = _literal_term(self.ontology.predicates[pred].range, literal)
            if typed is not None:
                rows = (
                    graphs.find_claims(
                        self.store, bindings.get("s"), bindings["p"], typed, bindings.get("g")
                    )
                    or None
                )
                literal = None if rows else literal
        if rows is None:
            rows = (
                graphs.find_claims(
                    self.store,
                    bindings.get("s"),
                    bindings.get("p"),
                    bindings.get("o"),
                    bindings.get("g"),
                )
                if bindings
                else self.claim_rows
            )
        if literal is not None:
            rows = [
                r for r in rows if not r["object_is_entity"] and _same_literal(r["object"], literal)
            ]
        if as_of:
            rows = analysis.as_of(rows, as_of)
        if ident and as_of:
            rows = [r for r in rows if r["article"] == ident]
        if unknown is not None and not rows:
            raise unknown  # no entity by that name, and no claim has it as a value
        return list(rows)


ARTICLES_QUERY = """
SELECT ?id ?headline ?outlet ?agency ?published WHERE {
  ?article a kg:NewsArticle ; dcterms:identifier ?id .
  OPTIONAL { ?article schema:headline ?headline }
  OPTIONAL { ?article schema:publisher ?outlet }
  OPTIONAL { ?article kg:originatingAgency ?agency }
  OPTIONAL { ?article schema:datePublished ?published }
}
ORDER BY ?id
"""


def _entity_id(iri: str | None) -> str | None:
    prefix = f"{BASE_IRI}entity/"
    return iri[len(prefix) :] if iri and iri.startswith(prefix) else iri


def _lexical(value: Any) -> str:
    """The lexical form of a value given for a literal (a date as ISO, a number as written)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _literal_term(kind: str, text: str) -> ox.Literal | None:
    """The literal a claim of a datatype property stores for a value a person typed."""
    text = text.strip()
    if kind == "integer":
        text = text.replace(",", "").replace("_", "")
    datatype: URIRef | None
    if kind == "date":
        try:
            datatype = DATE_TYPES[DateValue.parse(text).precision]
        except ValueError:
            return None
    else:
        datatype = LITERAL_TYPES.get(kind)
    return ox.Literal(text, datatype=ox.NamedNode(str(datatype))) if datatype else ox.Literal(text)


def _same_literal(lexical: str, wanted: str) -> bool:
    """Whether a literal's lexical form matches a value given by a person (``110,000`` too)."""
    if lexical == wanted:
        return True
    try:
        return float(lexical) == float(wanted.replace(",", "").replace("_", ""))
    except ValueError:
        return False
