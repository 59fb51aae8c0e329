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
import functools
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import IO, Any, ParamSpec

import networkx as nx
import pyoxigraph as ox
from networkx import MultiDiGraph
from rdflib import XSD, Dataset, URIRef
from rdflib import Literal as RdfLiteral

from kg import analysis, search
from kg import graph as graphs
from kg.errors import AmbiguousEntity, EntityNotFound, QueryError
from kg.html import Page, page_from_store, write_html
from kg.ingest import ArticleReport, article_report
from kg.model import DATE_PATTERN, DateValue
from kg.notebook import Conflicts, Rows, definition_list
from kg.ontology import BASE_IRI, KG, PREFIXES, Ontology, article_iri, entity_iri, local_name
from kg.rdf import DATE_TYPES, LITERAL_TYPES
from kg.results import DEFAULT_MAX_ROWS, Written
from kg.sparql import (
    NamedQuery,
    QueryResult,
    named_queries,
    named_query,
    prepare_query,
    run_query,
    serialize_query,
    stream_query,
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

    def _repr_html_(self) -> str:
        fields = {"id": self.id, "type": self.type, "aliases": self.aliases}
        return definition_list(self.label, fields | {"description": self.description})


#: How a method is told which entity: an id, a label or alias, an IRI, or an :class:`EntityInfo`.
EntityRef = str | EntityInfo | ox.NamedNode

#: How a method is told which claim: a row of :meth:`KnowledgeGraph.claims` (any mapping with
#: ``subject``, ``predicate`` and ``object``).
ClaimRef = Mapping[str, Any]


_Params = ParamSpec("_Params")


def _rows(method: Callable[_Params, Iterable[dict[str, Any]]]) -> Callable[_Params, Rows]:
    """A question's answer as :class:`kg.notebook.Rows`: still a list of dicts, and also one
    call from a DataFrame (``.to_frame()``) and a table in a notebook."""

    @functools.wraps(method)
    def answer(*args: _Params.args, **kwargs: _Params.kwargs) -> Rows:
        return Rows(method(*args, **kwargs))

    return answer


class KnowledgeGraph:
    """A loaded knowledge graph: the store, the rdflib Dataset view, and questions to ask it."""

    def __init__(self, store: ox.Store, ontology: Ontology) -> None:
        self.store = store
        self.ontology = ontology

    def __repr__(self) -> str:
        return f"<KnowledgeGraph {len(self.store):,} quads, {len(self.entities)} entities>"

    def _repr_html_(self) -> str:
        return definition_list(
            "Knowledge graph",
            {
                "quads": f"{len(self.store):,}",
                "entities": f"{len(self.entities):,}",
                "articles": f"{len(self.articles):,}",
                "try": "g.entity(name), g.claims(...), g.sources(s, p, o), g.conflicts(), "
                "g.nx, g.sparql(query), g.to_html(focus=...)",
            },
        )

    @cached_property
    def dataset(self) -> Dataset:
        """The data as an rdflib Dataset (backed by the same pyoxigraph store, no copy), with
        kg's prefixes (``kg:``, ``entity:``, ``article:``, ``schema:``, ...) bound.

        >>> import kg
        >>> [str(row.l) for row in kg.load().dataset.query(
        ...     "SELECT ?l WHERE { entity:ifs rdfs:label ?l }")]
        ['Institute of Forensic Science']
        """
        return dataset_over(self.store, PREFIXES)

    def sparql(
        self,
        query: str,
        /,
        *,
        ids: bool = False,
        max_rows: int | None = DEFAULT_MAX_ROWS,
        timeout: float | None = None,
        **bindings: Any,
    ) -> QueryResult:
        """Run a read-only SPARQL query (kg's prefixes predefined); keyword arguments bind
        variables, each as the RDF term it names (see :func:`sparql_term`):

        - an entity id (``"ifs"``), :meth:`entity`'s object, an absolute IRI, an rdflib
          ``URIRef`` or a pyoxigraph ``NamedNode`` binds an IRI;
        - ``int``, ``float``, ``Decimal``, ``bool``, ``datetime.date`` and ``datetime.datetime``
          bind typed literals (``xsd:integer``, ``xsd:double``, ``xsd:decimal``,
          ``xsd:boolean``, ``xsd:date``, ``xsd:dateTime``);
        - any other ``str`` binds a plain string literal (a label is not an id: give
          ``g.entity("IFS")`` for the entity); an rdflib ``Literal`` or pyoxigraph ``Literal``
          binds exactly that literal (``Literal("ifs")`` for the string that is also an id).

        With ``ids`` entity and article IRIs in the rows come back as ids, as elsewhere in the
        API. At most ``max_rows`` rows come back (``None``: all; ``result.truncated`` says when
        some were left out, and a warning too when the cap is the default); with ``timeout``
        (seconds) the query runs in a child process that is stopped at the deadline or on
        Ctrl-C (see :mod:`kg.results`).

        >>> import kg
        >>> g = kg.load()
        >>> g.sparql("SELECT ?l WHERE { ?e rdfs:label ?l }", e="ifs").rows
        [{'l': 'Institute of Forensic Science'}]
        >>> g.sparql("SELECT ?l WHERE { ?e rdfs:label ?l }", e=g.entity("IFS")).rows
        [{'l': 'Institute of Forensic Science'}]
        >>> q = "SELECT ?e ?g WHERE { GRAPH ?g { ?e kg:annualOverdoseDeaths ?n } }"
        >>> g.sparql(q, n=110000, ids=True).rows
        [{'e': 'all-drugs', 'g': '000_d8c50166044d5b84'}]
        """
        terms = {name: sparql_term(value, self.entities) for name, value in bindings.items()}
        result = run_query(self.store, query, terms, max_rows=max_rows, timeout=timeout)
        if result.truncated and max_rows == DEFAULT_MAX_ROWS:  # a cap the caller did not choose
            warnings.warn(
                f"only the first {max_rows:,} rows — pass max_rows=None (or more) for all",
                stacklevel=2,
            )
        if ids:
            result.rows = [{k: _iri_id(v) for k, v in row.items()} for row in result.rows]
            result.triples = [(_iri_id(s), _iri_id(p), _iri_id(o)) for s, p, o in result.triples]
        return result

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
        raise EntityNotFound(name, [m.id for m in self._rank(name)[:3]])

    def _rank(self, text: str) -> list[search.Match]:
        names = {i: (e.label, *e.aliases) for i, e in self.entities.items()}
        return search.rank(names, text)

    @_rows
    def find_entities(
        self, text: str | None = None, type: str | None = None
    ) -> list[dict[str, Any]]:
        """Entities whose id, label or any alias matches ``text`` (by words, in any order, or by
        a close spelling), best first; all entities without it; ``type`` keeps one ontology
        class and its subclasses: ``kg entities``.

        >>> import kg
        >>> g = kg.load()
        >>> [(e["id"], e["matched"]) for e in g.find_entities("Department of Commerce")]
        [('us-commerce-department', 'Commerce Department')]
        >>> [e["id"] for e in g.find_entities("commerce")]
        ['us-commerce-department', 'entity-list']
        >>> len(g.find_entities(type="Person")) < len(g.find_entities(type="Agent"))
        True
        """
        if type is not None:
            self._is_a(type, type)  # an unknown class fails here, with suggestions
        matches = self._rank(text) if text else [search.Match(i, "", 1.0) for i in self.entities]
        found = []
        for match in matches:
            info = self.entities[match.id]
            if type and not self._is_a(info.type, type):
                continue
            graph = self.evidence_graph
            articles = graph.nodes[info.id]["articles"] if info.id in graph else []
            found.append(
                asdict(info)
                | {"matched": match.name, "score": match.score, "articles": list(articles)}
            )
        return found

    # --- Questions: each a one-liner over kg.graph, kg.analysis or kg.sparql -------------------

    @cached_property
    def claim_rows(self) -> list[dict[str, Any]]:
        """Every claim with its evidence, as plain dicts (see :func:`kg.graph.claim_rows`)."""
        return graphs.claim_rows(self.store)

    @cached_property
    def nx(self) -> MultiDiGraph:
        """The graph as an ordinary NetworkX ``MultiDiGraph`` (built once): entity ids as nodes,
        one edge per stated relation keyed by predicate, every attribute a plain value, so it
        copies, pickles and serialises like any other (see :func:`kg.graph.plain_graph`). The quotes
        behind an edge: ``g.sources(u, key, v)``.

        >>> import kg
        >>> G = kg.load().nx
        >>> G.nodes["ifs"]["type"], G.edges["united-states", "ifs", "delisted"]["sources"]
        ('GovernmentAgency', 3)
        """
        if "evidence_graph" in self.__dict__:  # already projected: copy it, plainly
            return graphs.plain_graph(self.evidence_graph)
        return graphs.project(self.store, ontology=self.ontology, plain=True)

    @cached_property
    def evidence_graph(self) -> MultiDiGraph:
        """The projection kg's own page and analysis use (see :func:`kg.graph.project`): like
        :attr:`nx`, but edges carry ``claims`` and entities ``facts`` (the evidence rows,
        read from the store when first looked at, as :class:`kg.graph.Evidence`) and lists of
        ``articles``, ``outlets`` and ``agencies``. It refers to the store, so it neither
        pickles nor serialises: use :attr:`nx` for that.

        >>> import kg
        >>> claims = kg.load().evidence_graph.edges["ifs", "ministry-of-public-security", "partOf"]
        >>> sorted({c["outlet"] or "?" for c in claims["claims"]})
        ['?', 'scmp', 'voa']
        """
        return graphs.project(self.store, ontology=self.ontology)

    @cached_property
    def articles(self) -> Mapping[str, dict[str, Any]]:
        """Every article by id: headline, outlet, agency, publication date (as written), its
        precision (year, month or day) and basis (how it follows from the text)."""
        rows = run_query(self.store, ARTICLES_QUERY)
        return {
            r["id"]: {
                "id": r["id"],
                "headline": r["headline"],
                "outlet": _entity_id(r["outlet"]),
                "agency": _entity_id(r["agency"]),
                "published": r["published"],
                "precision": DateValue(r["published"]).precision if r["published"] else None,
                "basis": r["basis"],
            }
            for r in rows
        }

    def _is_a(self, cls: str, wanted: str) -> bool:
        """Whether ontology class ``cls`` is ``wanted`` or below it; QueryError if ``wanted``
        is not a class of the ontology."""
        if wanted not in self.ontology.classes:
            close = self.ontology.suggest(wanted, "classes")
            every = ", ".join(sorted(self.ontology.classes))
            hint = f"did you mean {', '.join(close)}?" if close else f"the types are {every}"
            raise QueryError(f"unknown type {wanted!r} — {hint}")
        return self.ontology.is_subclass(cls, wanted)

    @_rows
    def find_articles(
        self, outlet: str | None = None, agency: str | None = None, text: str | None = None
    ) -> list[dict[str, Any]]:
        """Articles with outlet, agency, publication date (precision and basis) and how many
        claims each supports; ``outlet``/``agency`` by any name (``unknown``: none named),
        ``text`` an article id or its short form (``004``): ``kg articles``.

        >>> import kg
        >>> found = kg.load().find_articles(agency="AFP")
        >>> [(a["id"][:3], a["outlet"], a["published"], a["precision"]) for a in found]
        [('000', None, '2023-11', 'month')]
        """
        wanted = {}
        for key, name in (("outlet", outlet), ("agency", agency)):
            if name is not None:
                wanted[key] = None if name == "unknown" else self.entity(name).id
        ident = self.article_id(text) if text else None
        counts: dict[str, int] = {}
        for row in self.claim_rows:
            counts[row["article"]] = counts.get(row["article"], 0) + 1
        return [
            article | {"claims": counts.get(article["id"], 0)}
            for article in self.articles.values()
            if all(article[k] == v for k, v in wanted.items()) and ident in (None, article["id"])
        ]

    @_rows
    def claims(
        self,
        subject: EntityRef | None = None,
        predicate: str | None = None,
        object: EntityRef | Any = None,
        article: str | None = None,
        as_of: str | None = None,
        *,
        speaker: EntityRef | None = None,
        after: str | None = None,
        before: str | None = None,
        stated_only: bool = False,
    ) -> list[dict[str, Any]]:
        """Claims matching every given part, each with its evidence (see ``claim_rows``):
        ``kg claims``.

        Entities are given by id, label, alias, IRI or :meth:`entity`'s object; ``predicate`` by
        its ontology name (an inverse such as ``hasPart`` swaps subject and object); ``object``
        may be a literal (``110000``, ``"110,000"``); ``article`` by id or a unique prefix
        (``001``); ``as_of`` an ISO day (see :func:`kg.analysis.as_of`). A name that is neither
        an entity nor a value any claim has raises :class:`EntityNotFound`. ``speaker`` is who
        the claim is attributed to; ``after`` and ``before`` a date (``2023-11-15``,
        ``2023-11``) or an event entity whose date the claims give (``biden-xi-summit``): see
        :meth:`period`. Each claim then carries ``when`` (the time it is placed at, as written)
        and ``when_basis`` (see :func:`kg.analysis.claim_time`). ``stated_only`` keeps the claims
        every part of which is written in their quote (no derived figure, no inferred date:
        :func:`kg.analysis.stated_only`); each claim says how it was obtained (``obtained``,
        ``inferred``, ``basis``).

        >>> import kg
        >>> g = kg.load()
        >>> sorted({c["article"][:3] for c in g.claims(subject="IFS", predicate="partOf")})
        ['000', '001', '002', '003']
        >>> len(g.claims(subject="ifs", predicate="listedOn", as_of="2024-01-01"))
        0
        >>> [(c["when"], c["when_basis"], c["article"][:3])
        ...  for c in g.claims(subject="us", predicate="delisted", after="biden-xi-summit")][0]
        ('2023-11-16', 'date', '000')
        >>> g.claims(subject="us", predicate="delisted", before="2023-11-16")
        []
        >>> [c["object"] for c in g.claims("fentanyl", "annualOverdoseDeaths", stated_only=True)]
        ['100000']
        """
        rows = self._select(subject, predicate, object, article, as_of)
        if stated_only:
            rows = analysis.stated_only(rows)
        if speaker is not None:
            ident = self.entity(speaker).id
            rows = [r for r in rows if r["speaker"] == ident]
        return self._in_period(rows, after, before)

    @_rows
    def as_of(
        self,
        day: str,
        subject: EntityRef | None = None,
        predicate: str | None = None,
        object: EntityRef | Any = None,
    ) -> list[dict[str, Any]]:
        """Did it hold on ``day``? For each matching triple the claims place in time: ``held``
        (True, False, or None when no article dates it), ``reason`` ("ended on 2023-11-16") and
        the evidence behind the reason (``because``) and behind the triple (``evidence``):
        ``kg as-of``.

        >>> import kg
        >>> [answer] = kg.load().as_of("2024-01-01", "ifs", "listedOn", "entity-list")
        >>> answer["held"], answer["reason"], [e["article"][:3] for e in answer["because"]]
        (False, 'ended on 2023-11-16', ['000', '001', '002'])
        """
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            raise QueryError(f"{day!r} is not a day — write YYYY-MM-DD") from None
        rows = self._select(subject, predicate, object, None, None)
        answers = analysis.held_on(rows, day)
        if subject and predicate and object is not None and not answers:
            if not rows:
                raise QueryError(f"no article states {subject} {predicate} {object}")
            first = rows[0]
            answers = [
                {
                    "subject": first["subject"],
                    "predicate": first["predicate"],
                    "object": str(first["object"]),
                    "day": day,
                    "held": None,
                    "reason": "no article says when it held",
                    "because": [],
                    "evidence": [analysis.evidence(r) for r in rows],
                }
            ]
        return answers

    def period(self, when: str) -> tuple[str, analysis.Period]:
        """A date as written (``2023``, ``2023-11``, ``2023-11-15``) or an event's date, and the
        days it can denote. An event's date is the most precise one its claims give
        (``occurredOn``, else the ``date`` of a claim about it).

        >>> import kg
        >>> text, (first, last) = kg.load().period("biden-xi-summit")
        >>> text, first.isoformat(), last.isoformat()
        ('2023-11-15', '2023-11-15', '2023-11-15')
        """
        try:
            day = DateValue.parse(when)
        except ValueError as err:
            if DATE_PATTERN.match(when):  # shaped like a date, but not a real one
                raise QueryError(f"{err} — write YYYY, YYYY-MM or YYYY-MM-DD") from None
            day = None
        if day is None:
            try:
                info = self.entity(when)
            except EntityNotFound as err:
                raise QueryError(
                    f"{when!r} is neither a date (YYYY, YYYY-MM or YYYY-MM-DD) nor an entity"
                    + (
                        f" — did you mean {', '.join(repr(s) for s in err.suggestions)}?"
                        if err.suggestions
                        else " — `kg entities` lists the entities"
                    )
                ) from None
            dated = analysis.date_predicates(self.ontology)
            dates = {
                str(r["object"]) if r["predicate"] in dated else r["date"]
                for r in graphs.find_claims(self.store, ox.NamedNode(info.iri))
                if r["predicate"] in dated or r["date"]
            }
            values = [DateValue(d) for d in sorted(dates) if d and DATE_PATTERN.match(d)]
            if not values:
                raise QueryError(
                    f"no claim dates {info.id!r} — give a date instead "
                    "(YYYY, YYYY-MM or YYYY-MM-DD)"
                )
            narrowest = min(d.end - d.start for d in values)
            precise = [d for d in values if d.end - d.start == narrowest]
            if len(precise) > 1:
                given = ", ".join(d.text for d in precise)
                raise QueryError(
                    f"the claims give {info.id!r} different dates ({given}) — give a date instead"
                )
            day = precise[0]
        return day.text, (day.start, day.end)

    def _in_period(
        self, rows: list[dict[str, Any]], after: str | None, before: str | None
    ) -> list[dict[str, Any]]:
        if not after and not before:
            return rows
        low = self.period(after)[1] if after else None
        high = self.period(before)[1] if before else None
        dated = analysis.date_predicates(self.ontology)
        kept = []
        for row in rows:
            placed = analysis.claim_time(row, dated)
            if placed and analysis.in_period(placed[0], low, high):
                kept.append(row | {"when": _when_text(row, placed[1]), "when_basis": placed[1]})
        return kept

    @_rows
    def sources(
        self,
        subject: EntityRef | ClaimRef,
        predicate: str | None = None,
        object: EntityRef | Any = None,
        stated_only: bool = False,
    ) -> list[dict[str, Any]]:
        """Who says so: every article stating the triple, with outlet, agency, date, speaker,
        certainty, how it was obtained (``obtained``, ``basis``), quote and offsets. One
        targeted query (the triple is bound), not a scan. Background knowledge is never a
        source. ``stated_only`` leaves out claims with an inferred part.

        The triple is three parts, or one claim (a row of :meth:`claims`) standing for its own.

        >>> import kg
        >>> g = kg.load()
        >>> [s["outlet"] for s in g.sources("ifs", "partOf", "Ministry of Public Security")]
        [None, 'voa', 'scmp', None]
        >>> len(g.sources(g.claims("ifs", "partOf")[0]))
        4
        """
        entity: EntityRef
        if isinstance(subject, Mapping):
            if predicate is not None or object is not None:
                raise TypeError("sources: give a claim, or subject, predicate and object")
            entity, predicate, object = subject["subject"], subject["predicate"], subject["object"]
        else:
            entity = subject
        if predicate is None or object is None:
            raise TypeError("sources: give subject, predicate and object (or one claim)")
        rows = self._select(entity, predicate, object, None, None)
        return [
            analysis.evidence(r) | {"subject": r["subject"], "predicate": r["predicate"]}
            for r in (analysis.stated_only(rows) if stated_only else rows)
        ]

    @_rows
    def paths(
        self, a: EntityRef, b: EntityRef, max_hops: int = 3, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Paths between two entities, shortest first, each hop with its articles and quotes.

        >>> import kg
        >>> kg.load().paths("Xi Jinping", "Ministry of Public Security")[0]["nodes"]
        ['xi-jinping', 'china', 'ministry-of-public-security']
        """
        return graphs.paths(
            self.evidence_graph, self.entity(a).id, self.entity(b).id, max_hops, limit
        )

    def distance(self, a: EntityRef, b: EntityRef) -> int | None:
        """How many edges (direction ignored) separate two entities; None when no chain of
        relations links them (they are in different components).

        >>> import kg
        >>> g = kg.load()
        >>> g.distance("xi-jinping", "ministry-of-public-security"), g.distance("ifs", "france")
        (2, None)
        """
        source, target = self.entity(a).id, self.entity(b).id
        try:
            graph = self.evidence_graph.to_undirected(as_view=True)  # the projection paths() reads
            return int(nx.shortest_path_length(graph, source, target))
        except nx.NetworkXNoPath:
            return None

    @_rows
    def neighbours(self, name: EntityRef, hops: int = 1) -> list[dict[str, Any]]:
        """Entities within ``hops`` edges, nearest first, with the relations that reach them.

        >>> import kg
        >>> [n["id"] for n in kg.load().neighbours("ifs-listing")]
        ['counternarcotics-cooperation', 'ifs']
        """
        return graphs.neighbours(self.evidence_graph, self.entity(name).id, hops)

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

        return ranked_neighbourhood(self.evidence_graph, self.entity(name).id, top)

    @_rows
    def centrality(self) -> list[dict[str, Any]]:
        """Degree and PageRank of every entity, highest PageRank first."""
        return graphs.centrality(self.evidence_graph)

    def communities(self) -> list[list[str]]:
        """Groups of densely linked entities (Louvain, fixed seed), largest first."""
        return graphs.communities(self.evidence_graph)

    def conflicts(self, stated_only: bool = False) -> Conflicts:
        """Typed conflicts, each with every quote side by side: see :func:`kg.analysis.conflicts`.
        ``stated_only`` compares only claims every part of which is stated (no derived figure).

        >>> import kg
        >>> [c.values for c in kg.load().conflicts() if c.predicate == "annualOverdoseDeaths"]
        [('100000', '73000')]
        """
        rows = analysis.stated_only(self.claim_rows) if stated_only else self.claim_rows
        found = analysis.conflicts(rows, self.ontology, self.evidence_graph)
        return Conflicts(found)

    @_rows
    def timeline(
        self,
        entity: EntityRef | None = None,
        after: str | None = None,
        before: str | None = None,
        stated_only: bool = False,
    ) -> list[dict[str, Any]]:
        """Dated claims in date order (all, or those about one entity), optionally only those
        after and/or before a date or an event (see :meth:`period`). Each source says whether
        its date is stated in the quote or inferred (``date_obtained``, ``date_words``,
        ``date_basis``); ``stated_only`` leaves out the dates no source states.

        >>> import kg
        >>> g = kg.load()
        >>> [e["when"] for e in g.timeline("IFS") if e["predicate"] == "delisted"]
        ['2023-11-16']
        >>> [(e["when"], e["predicate"]) for e in g.timeline("ifs", after="biden-xi-summit")]
        [('2023-11-16', 'delisted'), ('2023-11-16', 'listedOn')]
        """
        ident = self.entity(entity).id if entity is not None else None
        found = analysis.timeline(self.claim_rows, ident, self.ontology, stated_only)
        low = self.period(after)[1] if after else None
        high = self.period(before)[1] if before else None
        return [
            e
            for e in found
            if analysis.in_period(
                (dt.date.fromisoformat(e["start"]), dt.date.fromisoformat(e["end"])), low, high
            )
        ]

    @_rows
    def corroboration(self, min_outlets: int = 0, min_articles: int = 1) -> list[dict[str, Any]]:
        """Every triple with its articles, named outlets, agencies and independent sources.

        >>> import kg
        >>> found = kg.load().corroboration(min_articles=4)
        >>> [(r["outlets"], r["agencies"], r["sources"]) for r in found if r["object"] == "china"]
        [(['scmp', 'voa'], ['afp'], 4), (['voa'], ['afp'], 4)]
        """
        return analysis.corroboration(self.claim_rows, min_outlets, min_articles)

    @_rows
    def single_source_entities(
        self, single_article: bool = False, type: str | None = None
    ) -> list[dict[str, Any]]:
        """Entities that only one independent source mentions (``single_article``: only one
        article; ``type``: of this class or a subclass), with label and type:
        ``kg single-source``.

        >>> import kg
        >>> found = kg.load().single_source_entities(single_article=True)
        >>> all(len(e["articles"]) == 1 for e in found), "rayhan-asat" in {e["id"] for e in found}
        (True, True)
        """
        wanted = [i for i, e in self.entities.items() if not type or self._is_a(e.type, type)]
        found = analysis.single_source_entities(self.claim_rows, wanted, single_article)
        return [
            {
                "id": e["id"],
                "label": self.entities[e["id"]].label,
                "type": self.entities[e["id"]].type,
                **e,
            }
            for e in found
        ]

    def show(
        self,
        name: EntityRef,
        after: str | None = None,
        before: str | None = None,
        stated_only: bool = False,
    ) -> dict[str, Any]:
        """An entity and everything the claims say about it, with sources: ``kg show``;
        ``after``/``before`` keep the claims placed in that period (see :meth:`claims`),
        ``stated_only`` the claims every part of which is stated.

        >>> import kg
        >>> g = kg.load()
        >>> g.show("Matt Miller")["entity"]["label"]
        'Matthew Miller'
        >>> [r["predicate"] for r in g.show("IFS", before="2023")["incoming"]]
        ['listed']
        """
        info = self.entity(name)
        entity = asdict(info) | {"articles": self.evidence_graph.nodes[info.id]["articles"]}
        rows = self._in_period(self.claim_rows, after, before)
        if stated_only:
            rows = analysis.stated_only(rows)
        report = {"entity": entity, **analysis.profile(rows, info.id)}
        if after or before:
            report["period"] = {
                "after": self.period(after)[0] if after else None,
                "before": self.period(before)[0] if before else None,
            }
        return report

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
            self.evidence_graph,
            self.ontology,
        )

    def to_html(self, path: str | Path | None = None, **view: Any) -> Page:
        """Write the interactive graph page for a view: ``kg html`` (see :mod:`kg.html`).
        Without ``path`` nothing is written: in a notebook the page shows inline (an
        ``<iframe srcdoc>`` of the same self-contained, offline page).

        ``view`` takes ``focus`` (any entity reference, see :meth:`entity`), ``hops``,
        ``article``, ``predicate``, ``top_k``, ``max_edges``, ``max_claims`` and ``title``;
        quotes show with the 32 characters around them.
        """
        if view.get("focus") is not None:
            view["focus"] = self.entity(view["focus"]).id
        if path is None:
            return page_from_store(
                self.store, graph=self.evidence_graph, ontology=self.ontology, **view
            )
        return write_html(
            self.store, path, graph=self.evidence_graph, ontology=self.ontology, **view
        )

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
        self,
        source: str,
        fmt: str | None = None,
        params: Mapping[str, Any] | None = None,
        *,
        max_rows: int | None = None,
        timeout: float | None = None,
        out: IO[bytes] | None = None,
    ) -> QueryResult | bytes | Written:
        """Run a named query, a ``.rq`` file or SPARQL text: rows, or bytes in ``fmt``
        (json, xml, csv, tsv; ttl or nt for CONSTRUCT). What ``kg query`` does. Limits as
        :meth:`sparql`; with ``out`` and ``fmt`` the answer is written there as it is read
        (:func:`kg.sparql.stream_query`) and what was written is returned.

        >>> import kg
        >>> kg.load().query("ASK { entity:ifs rel:partOf ?x }")
        QueryResult(kind='ask', variables=[], rows=[], boolean=True, triples=[])
        """
        named = named_queries().get(source)
        if named is not None:  # entity names ("Matt Miller") to ids before they are bound
            params = self._named_params(named, params or {})
        text, bindings, named = prepare_query(source, params)
        limits = {"max_rows": max_rows, "timeout": timeout}
        if fmt is None:
            return run_query(self.store, text, bindings, **limits)
        if out is not None:
            return stream_query(self.store, text, fmt, out, bindings, **limits)
        return serialize_query(self.store, text, fmt, bindings, **limits)

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

    def article_id(self, name: str) -> str:
        """An article's id from the id itself or a unique start of it (``004``).

        >>> import kg
        >>> kg.load().article_id("004")
        '004_1e9b86b4597b81cb'
        """
        if name in self.articles:
            return name
        starts = [a for a in self.articles if a.startswith(name)]
        if len(starts) == 1:
            return starts[0]
        close = starts or difflib.get_close_matches(name, list(self.articles), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else "`kg articles` lists them"
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
        ident = self.article_id(article) if article else None
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
SELECT ?id ?headline ?outlet ?agency ?published ?basis WHERE {
  ?article a kg:NewsArticle ; dcterms:identifier ?id .
  OPTIONAL { ?article schema:headline ?headline }
  OPTIONAL { ?article schema:publisher ?outlet }
  OPTIONAL { ?article kg:originatingAgency ?agency }
  OPTIONAL { ?article schema:datePublished ?published }
  OPTIONAL { ?article kg:publishedBasis/kg:reasoning ?basis }
}
ORDER BY ?id
"""


def _when_text(row: dict[str, Any], basis: str) -> str:
    """The time a claim is placed at, as written (see :func:`kg.analysis.claim_time`)."""
    if basis == "date":
        return str(row["date"])
    if basis == "occurred":
        return str(row["object"])
    if basis == "published":
        return str(row["published"])
    return f"{row.get('valid_from') or '…'} to {row.get('valid_until') or '…'}"


def sparql_term(value: Any, entities: Mapping[str, Any] = {}) -> ox.NamedNode | ox.Literal:
    """The RDF term a Python value binds as in :meth:`KnowledgeGraph.sparql`: an id of
    ``entities``, an entity object or an IRI binds an IRI; numbers, booleans and dates typed
    literals; any other string a plain literal.

    >>> import datetime, decimal
    >>> sparql_term("ifs", {"ifs": None})
    <NamedNode value=https://kg.example/entity/ifs>
    >>> sparql_term("IFS", {"ifs": None})
    <Literal value=IFS datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#string>>
    >>> sparql_term(datetime.date(2023, 11, 16)).datatype.value
    'http://www.w3.org/2001/XMLSchema#date'
    >>> sparql_term(decimal.Decimal("2.5")).datatype.value
    'http://www.w3.org/2001/XMLSchema#decimal'
    """
    if isinstance(value, ox.NamedNode | ox.Literal):
        return value
    if isinstance(value, EntityInfo):
        return ox.NamedNode(value.iri)
    if isinstance(value, RdfLiteral):
        if value.language:
            return ox.Literal(str(value), language=value.language)
        datatype = ox.NamedNode(str(value.datatype)) if value.datatype else None
        return ox.Literal(str(value), datatype=datatype)
    if isinstance(value, URIRef):
        return ox.NamedNode(str(value))
    if isinstance(value, bool):  # before int: a bool is an int
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD.boolean))
    typed = _XSD_TYPES.get(type(value))
    if typed is not None:
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        return ox.Literal(text, datatype=ox.NamedNode(typed))
    if isinstance(value, str):
        if value in entities:
            return ox.NamedNode(entity_iri(value))
        if _IRI.match(value):
            return ox.NamedNode(value)
        return ox.Literal(value)
    raise TypeError(
        f"cannot bind a {type(value).__name__} in SPARQL — give a str, number, date, entity "
        "or rdflib/pyoxigraph term"
    )


_XSD_TYPES: dict[type, str] = {
    int: str(XSD.integer),
    float: str(XSD.double),
    Decimal: str(XSD.decimal),
    dt.datetime: str(XSD.dateTime),
    dt.date: str(XSD.date),
}
_IRI = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def _iri_id(value: Any) -> Any:
    """An entity or article IRI as its id (anything else unchanged)."""
    return graphs._strip(value) if isinstance(value, str) else value


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
