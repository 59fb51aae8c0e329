"""Conflicts (typed by :mod:`kg.analysis`) among the claims a page shows: highlighted by the
page's toggle."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from kg.analysis import NEAR, Conflict
from kg.analysis import conflicts as find_conflicts
from kg.graph import (
    first_facts,
    predicates_of,
    shown_claims,
    shown_facts,
    with_predicate,
)
from kg.html import views
from kg.ontology import Ontology

#: A shown value of a functional property is compared with at most this many values of it (in
#: value order): a hub of a million claims has thousands of values of some, each read from the
#: store, and a page lists at most MAX_CONFLICTS conflicts.
MAX_VALUES_COMPARED = 100


def claim_key(row: Mapping[str, Any]) -> tuple[str, str, str, str, str, int]:
    """What identifies one claim row: its triple, article, speaker and quote offset."""
    return (
        str(row.get("subject", "")),
        str(row.get("predicate", "")),
        str(row.get("object")),
        str(row.get("article", "")),
        str(row.get("speaker") or ""),
        int(row.get("start") or 0),
    )


def view_conflicts(
    graph: nx.MultiDiGraph, ontology: Ontology, view: nx.MultiDiGraph | None = None
) -> list[Conflict]:
    """Conflicts among the claims of a projected graph (contradictions, precision or hedge
    differences, quote variants), without the ``compatible`` pairs.

    With ``view`` (the part of ``graph`` a page shows) only the claims that can conflict with
    the view's are compared: every kind of conflict is between claims of one triple or, for a
    functional predicate, of one subject and predicate. So a page of a large graph reads the
    claims near what it shows, not all of them; conflicts without a claim in the view may be
    left out; of a relation or fact with more claims than a page shows, only the claims it
    shows (:func:`kg.graph.shown_claims`) are compared, and a shown value of a functional
    property is compared with the first :data:`MAX_VALUES_COMPARED` values of it.
    """
    functional = {name for name, pred in ontology.predicates.items() if pred.functional}
    if view is None:
        edges = list(graph.edges(keys=True))
        nodes: Iterable[str] = graph.nodes
    else:
        edges = list(view.edges(keys=True))
        pairs = {(u, key) for u, _v, key in edges if key in functional}
        # a "near" claim types a conflict of places (a loose name is imprecision)
        pairs |= {(u, NEAR[key]) for u, key in pairs if key in NEAR}
        for subject in sorted({u for u, _key in pairs}):
            edges += [
                (u, v, key)
                for u, v, key in graph.out_edges(subject, keys=True)
                if (u, key) in pairs and not view.has_edge(u, v, key)
            ]
        nodes = view.nodes
    limit = views.MAX_CLAIMS_SHOWN_PER_EDGE
    rows = []
    for u, v, key in edges:
        data = graph.edges[u, v, key]
        claims = data.get("claims", ())
        rows += claims if view is None else shown_claims(claims, limit, data.get("articles"))[0]
    for node in nodes:
        facts = graph.nodes[node].get("facts", ())
        if view is None:
            rows += facts
            continue
        kept, _left_out = first_facts(facts, views.MAX_FACTS_SHOWN)
        shown, _cut = shown_facts(kept, limit)
        rows += shown
        # a shown value of a functional property conflicts with any other value of it: the
        # first MAX_VALUES_COMPARED are compared, each on the claims a page would show of it
        seen = {row["claim"] for row in shown}
        for predicate in sorted(predicates_of(shown) & functional):
            values, _left_out = first_facts(with_predicate(facts, predicate), MAX_VALUES_COMPARED)
            others, _cut = shown_facts(values, limit)
            rows += [f for f in others if f["claim"] not in seen]
    return [c for c in find_conflicts(rows, ontology, graph) if c.kind != "compatible"]
