"""A ranked, bounded neighbourhood: the best-supported neighbours and 2-hop paths of an entity.

A walk of everything within two hops of a hub (an entity in thousands of claims) reaches most
of a large graph. :func:`ranked_neighbourhood` instead returns the ``top`` neighbours and the
``top`` 2-hop paths with the most independent sources (see :func:`kg.graph.source_key`), and how
many of each it left out. A link between two entities is as strong as its best-supported
relation (the most ``sources`` of the edges between them, either direction); a path as its
weaker link. Neighbours are visited strongest first and the search stops once no path through
the next one could enter the top: from the hub of a million claims this takes well under a
second.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_edge("hub", "a", "partOf", sources=3)
'partOf'
>>> g.add_edge("b", "hub", "allyOf", sources=1)
'allyOf'
>>> g.add_edge("a", "c", "partOf", sources=2)
'partOf'
>>> found = ranked_neighbourhood(g, "hub", top=1)
>>> [(n["id"], n["sources"]) for n in found["neighbours"]], found["more_neighbours"]
([('a', 3)], 1)
>>> [(p["via"], p["id"], p["sources"]) for p in found["paths"]], found["more_paths"]
([('a', 'c', 2)], 0)
"""

from __future__ import annotations

import heapq
from typing import Any

import networkx as nx

from kg.errors import EntityNotFound

DEFAULT_TOP = 10


def links(graph: nx.MultiDiGraph, node: str) -> dict[str, int]:
    """Each neighbour of ``node`` (either direction) with the most independent sources of a
    relation between them (an edge without ``sources`` counts as one).

    >>> g = nx.MultiDiGraph([("a", "b", "p"), ("b", "a", "q")])
    >>> links(g, "a")
    {'b': 1}
    """
    best: dict[str, int] = {}
    for adjacent in (graph.succ[node], graph.pred[node]):
        for other, keyed in adjacent.items():
            if other == node:
                continue
            strongest = max(data.get("sources", 1) for data in keyed.values())
            if strongest > best.get(other, 0):
                best[other] = strongest
    return best


def _relations(graph: nx.MultiDiGraph, a: str, b: str) -> list[dict[str, Any]]:
    """The relations between two entities, strongest first: predicate, direction, sources."""
    found = []
    for source, target in ((a, b), (b, a)):
        for key, data in graph.succ[source].get(target, {}).items():
            found.append(
                {
                    "subject": source,
                    "predicate": data.get("predicate", key),
                    "object": target,
                    "sources": data.get("sources", 1),
                }
            )
    found.sort(key=lambda r: (-r["sources"], r["predicate"], r["subject"]))
    return found


def _entity(graph: nx.MultiDiGraph, node: str) -> dict[str, Any]:
    data = graph.nodes[node]
    return {"id": node, "label": data.get("label", node), "type": data.get("type")}


def ranked_neighbourhood(
    graph: nx.MultiDiGraph, node: str, top: int = DEFAULT_TOP
) -> dict[str, Any]:
    """The ``top`` best-supported neighbours and 2-hop paths of ``node``, and how many more.

    Returns ``neighbours`` (each with ``id``, ``label``, ``type``, ``sources`` and its
    ``relations``), ``more_neighbours``, ``paths`` (``via``, ``id``, ``label``, ``type``,
    ``sources``: the weaker link's) and ``more_paths`` (2-hop paths ``node`` - ``via`` - ``id``
    not shown, ``id`` never ``node``), plus ``visited``: how many neighbours were looked at.
    Ties go to the smaller ids.
    """
    if node not in graph:
        raise EntityNotFound(node)
    if top < 1:
        raise ValueError("top must be at least 1")
    first = links(graph, node)
    order = sorted(first.items(), key=lambda item: (-item[1], item[0]))
    neighbours = [
        {**_entity(graph, other), "sources": sources, "relations": _relations(graph, node, other)}
        for other, sources in order[:top]
    ]
    # best paths: a heap of the top (score, reversed tie-break) seen so far
    heap: list[tuple[int, tuple[str, str], str, str]] = []
    visited = 0
    for via, via_sources in order:
        if len(heap) == top and via_sources < heap[0][0]:
            break  # no path through this or any later neighbour can enter the top
        visited += 1
        for other, sources in links(graph, via).items():
            if other == node:
                continue
            score = min(via_sources, sources)
            entry = (score, _Reversed((via, other)), via, other)
            if len(heap) < top:
                heapq.heappush(heap, entry)  # type: ignore[misc]
            elif entry > heap[0]:  # type: ignore[operator]
                heapq.heapreplace(heap, entry)  # type: ignore[misc]
    best = sorted(heap, key=lambda e: (-e[0], e[2], e[3]))
    paths = [
        {"via": via, **_entity(graph, other), "sources": score} for score, _r, via, other in best
    ]
    total_paths = sum(_degree(graph, via) - 1 for via in first)
    return {
        "id": node,
        "label": graph.nodes[node].get("label", node),
        "neighbours": neighbours,
        "more_neighbours": len(first) - len(neighbours),
        "paths": paths,
        "more_paths": total_paths - len(paths),
        "visited": visited,
    }


def _degree(graph: nx.MultiDiGraph, node: str) -> int:
    """How many distinct entities ``node`` is linked to, either direction."""
    adjacent = graph.succ[node].keys() | graph.pred[node].keys()
    return len(adjacent) - (node in adjacent)


class _Reversed:
    """Orders like its value, reversed: in a min-heap of (score, _Reversed(ids)), the entry
    dropped first among equal scores is the one with the larger ids."""

    __slots__ = ("value",)

    def __init__(self, value: tuple[str, str]) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return self.value > other.value

    def __gt__(self, other: _Reversed) -> bool:
        return self.value < other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)
