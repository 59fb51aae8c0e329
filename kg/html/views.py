"""Views: which part of the projected graph a page shows, and what it leaves out."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from kg.errors import AmbiguousEntity, EntityNotFound, KgError
from kg.graph import (
    Evidence,
    edge_sources,
    predicates_of,
    said_by,
    with_predicate,
)
from kg.neighbourhood import links, ranked_neighbourhood

DEFAULT_MAX_EDGES = 500
#: A page also stops at about this many claims (one per article stating a relation, at most
#: MAX_CLAIMS_SHOWN_PER_EDGE per relation, one per fact): on a large graph the best-connected
#: entities share hundreds of quoted claims.
DEFAULT_MAX_CLAIMS = 2000
#: A focus linked to more entities than this is a hub: its view shows the HUB_TOP neighbours
#: and 2-hop paths with the most independent sources (kg.neighbourhood), not everything.
HUB_NEIGHBOURS = 200
HUB_TOP = 25
#: At most this many literal facts (distinct predicate and value) per entity are on a page;
#: ``kg show ENTITY`` lists them all.
MAX_FACTS_SHOWN = 50
#: When an entity would pass a cap, the next this many ranked entities are still tried (those
#: that fit are shown): the best-connected entities of a large graph are linked to each other
#: by dozens of relations, so the first that does not fit would otherwise end a page of two.
FILL_TRIES = 200
#: At most this many claims (quotes) of one relation are on a page; ``kg sources SUBJECT
#: PREDICATE OBJECT`` lists them all, and the relation's count of independent sources counts
#: them all. 25 quote cards are about what a reader goes through in the evidence panel, at
#: least one per independent source for most relations (the claims shown are the earliest of
#: each source first: :func:`kg.graph.shown_claims`), and they let a page of about
#: DEFAULT_MAX_CLAIMS claims show 80 or more relations even where each has thousands of
#: supporting articles (a hub's, in a million claims).
MAX_CLAIMS_SHOWN_PER_EDGE = 25


class ViewError(KgError):
    """A view was asked for something the graph does not hold (an article, a predicate)."""


@dataclass
class View:
    """A part of the projected graph to draw, and what was left out (said on the page)."""

    graph: nx.MultiDiGraph
    description: str
    notes: list[str] = field(default_factory=list)
    focus: str | None = None


def resolve_entity(graph: nx.MultiDiGraph, name: str) -> str:
    """The node whose id, label or alias is ``name`` (case-insensitive).

    >>> g = nx.MultiDiGraph()
    >>> g.add_node("ifs", label="Institute of Forensic Science", aliases=["IFS"])
    >>> resolve_entity(g, "ifs"), resolve_entity(g, "institute of forensic science")
    ('ifs', 'ifs')
    """
    if name in graph:
        return name
    wanted = _fold(name)
    names: dict[str, set[str]] = defaultdict(set)
    for node, data in graph.nodes(data=True):
        for alias in (node, data.get("label", ""), *data.get("aliases", ())):
            names[_fold(alias)].add(node)
    hits = names.get(wanted, set())
    if len(hits) == 1:
        return next(iter(hits))
    if hits:
        raise AmbiguousEntity(name, sorted(hits))
    import difflib

    close = difflib.get_close_matches(wanted, sorted(names), n=5, cutoff=0.6)
    raise EntityNotFound(name, sorted({n for key in close for n in names[key]})[:3])


def select_view(
    graph: nx.MultiDiGraph,
    *,
    focus: str | None = None,
    hops: int = 1,
    article: str | None = None,
    predicate: str | None = None,
    top_k: int | None = None,
    max_edges: int = DEFAULT_MAX_EDGES,
    max_claims: int = DEFAULT_MAX_CLAIMS,
) -> View:
    """Choose what to draw: everything, a neighbourhood, one article, one predicate; then cap.

    Entities with no relation and no literal fact in the view are not drawn. When more than
    ``max_edges`` relations, about ``max_claims`` claims (or more than ``top_k`` entities)
    remain, the most connected entities are kept (nearest the focus first) and a note says
    what was left out. Claims are counted without reading them: one per article stating a
    relation (at most :data:`MAX_CLAIMS_SHOWN_PER_EDGE` per relation), one per fact shown.

    >>> g = nx.MultiDiGraph()
    >>> for i in range(5):
    ...     g.add_node(f"n{i}", label=f"N{i}", type="Person", facts=[])
    >>> for i in range(1, 5):
    ...     _ = g.add_edge("n0", f"n{i}", key="knows", claims=[])
    >>> view = select_view(g, max_edges=2)
    >>> sorted(view.graph), view.notes[0][:40]
    (['n0', 'n1', 'n2'], 'Showing the 3 most connected of 5 entiti')
    """
    if hops < 0:
        raise ViewError(f"--hops must be 0 or more, not {hops}")
    if max_edges < 1:
        raise ViewError(f"--max-edges must be at least 1, not {max_edges}")
    if max_claims < 1:
        raise ViewError(f"--max-claims must be at least 1, not {max_claims}")
    parts: list[str] = []
    work = graph
    if article is not None:
        work, article = _restrict_to_article(work, article)
        parts.append(f"what article {article} says")
    if predicate is not None:
        work = _restrict_to_predicate(work, predicate)
        parts.append(f"relations '{predicate}'")
    centre = None
    distance: dict[str, int] = {}
    keep: set[str] = set()
    hub_notes: list[str] = []
    if focus is not None:
        centre = resolve_entity(graph, focus)
        if centre not in work:
            raise ViewError(f"{centre} has no claims in this view — drop --article/--predicate")
        near = links(work, centre) if hops >= 1 else {}
        if len(near) > HUB_NEIGHBOURS:  # a hub: its best-supported neighbours and paths only
            distance, note = _ranked_distances(work, centre, hops, top_k or HUB_TOP)
            hub_notes.append(note)
        else:
            distance = nx.single_source_shortest_path_length(
                work.to_undirected(as_view=True), centre, cutoff=hops
            )
        if hops >= 1 and not hub_notes:  # what the focus said: relations it is the speaker of
            for u, v, key in sorted(said_by(graph, centre)):
                if work.has_edge(u, v, key):
                    distance.setdefault(u, 1)
                    distance.setdefault(v, 1)
        keep = set(distance)
        parts.insert(
            0,
            f"{graph.nodes[centre].get('label', centre)} and its neighbours "
            f"within {hops} hop{'s' if hops != 1 else ''}",
        )
    relations, neighbours, edge_total = connections(work)
    if centre is None:
        keep = {n for n, data in work._node.items() if relations[n] or data.get("facts")}
        total_edges = edge_total  # every edge has both ends kept
    else:
        total_edges = _edge_count(work, keep)
    total_nodes = len(keep)
    notes: list[str] = hub_notes
    over_claims = _claim_estimate(work, keep, stop_above=max_claims) > max_claims
    if total_edges > max_edges or over_claims or (top_k is not None and total_nodes > top_k):
        # most connected = most distinct neighbours, then most relations (a self-loop once)
        ranked = sorted(keep, key=lambda n: (distance.get(n, 0), -neighbours[n], -relations[n], n))
        chosen: set[str] = set()
        edges = claims = 0
        passed = tried = filled = 0  # would pass a cap; tried after the first; shown after it
        for node in ranked:
            if (top_k is not None and len(chosen) >= top_k) or tried > FILL_TRIES:
                break
            tried += bool(passed)
            added = _edges_to(work, node, chosen)
            more = _fact_estimate(work, node) + sum(
                _relation_estimate(work.edges[e]) for e in added
            )
            if chosen and (edges + len(added) > max_edges or claims + more > max_claims):
                passed += 1  # the next ones may fit: a dense core of hubs fills a page fast
                continue
            if passed and not added:
                continue  # filling up: only entities linked to those shown
            chosen.add(node)
            filled += bool(passed)
            edges, claims = edges + len(added), claims + more
        keep = chosen
        shown_edges = _edge_count(work, keep)
        which = f"the {len(keep)} most connected of {total_nodes} entities" + (
            " that fit the cap" if filled else ""
        )
        notes.append(
            f"Showing {which} and their "
            f"{shown_edges} of {total_edges} relations (cap: {max_edges} relations"
            + (f", about {max_claims:,} claims" if over_claims else "")
            + (f", {top_k} entities" if top_k is not None else "")
            + "); "
            f"{total_nodes - len(keep)} entities and {total_edges - shown_edges} relations are "
            "left out. Use kg html --focus ENTITY --hops N, --article ID or --predicate P to "
            "see other parts."
        )
    if centre is not None:
        keep.add(centre)
    sub = _subgraph(work, keep)
    if len(sub) == 0:
        raise ViewError("the view is empty: no entity has a claim in it")
    description = "; ".join(parts) if parts else "all entities with claims"
    return View(sub, description[:1].upper() + description[1:], notes, centre)


def _ranked_distances(
    graph: nx.MultiDiGraph, centre: str, hops: int, top: int
) -> tuple[dict[str, int], str]:
    """The distances of a hub's ``top`` best-supported neighbours (and, with 2 hops or more,
    of the ends of its ``top`` best-supported 2-hop paths), and a note of what is left out."""
    found = ranked_neighbourhood(graph, centre, top)
    distance = {centre: 0}
    for neighbour in found["neighbours"]:
        distance[neighbour["id"]] = 1
    if hops >= 2:
        for path in found["paths"]:
            distance.setdefault(path["via"], 1)
            distance.setdefault(path["id"], 2)
    shown = len(found["neighbours"])
    total = shown + found["more_neighbours"]
    note = (
        f"{found['label']} is linked to {total:,} entities: showing the {shown} with the most "
        "independent sources"
        + (
            f" and the {len(found['paths'])} best-supported 2-hop paths "
            f"({found['more_paths']:,} other paths left out)"
            if hops >= 2
            else ""
        )
        + f". Use kg neighbours {centre} --top K for more."
    )
    return distance, note


def connections(graph: nx.MultiDiGraph) -> tuple[dict[str, int], dict[str, int], int]:
    """How many relations each entity takes part in (a self-loop once) and how many distinct
    entities it is linked to (itself, for a self-loop), and how many relations there are.

    Read from NetworkX's own adjacency dicts: at a million claims (93,000 entities, 386,000
    relations) its degree and edge-count views took 2.3 s of CPU, this takes a tenth of it.

    >>> g = nx.MultiDiGraph([("a", "b", "p"), ("b", "a", "q"), ("a", "b", "r"), ("a", "a", "s")])
    >>> relations, neighbours, edges = connections(g)
    >>> relations["a"], neighbours["a"], relations["b"], neighbours["b"], edges
    (4, 2, 3, 1, 4)
    """
    relations: dict[str, int] = {}
    neighbours: dict[str, int] = {}
    edges = 0
    succ, pred = graph._succ, graph._pred  # plain dicts: NetworkX's views cost per lookup
    for node, targets in succ.items():
        sources = pred[node]
        out = sum(map(len, targets.values()))
        edges += out
        relations[node] = out + sum(map(len, sources.values())) - len(targets.get(node, ()))
        neighbours[node] = len(targets) + len(sources) - len(targets.keys() & sources.keys())
    return relations, neighbours, edges


def _edges_to(graph: nx.MultiDiGraph, node: str, others: set[str]) -> list[tuple[str, str, str]]:
    """The edges (u, v, key) between ``node`` and ``others`` (not holding it), and its
    self-loops: looked up from whichever is smaller, ``others`` or its neighbours (a hub's
    run to tens of thousands).

    >>> g = nx.MultiDiGraph([("a", "b", "p"), ("c", "a", "q"), ("a", "a", "r"), ("a", "d", "s")])
    >>> sorted(_edges_to(g, "a", {"b", "c"}))
    [('a', 'a', 'r'), ('a', 'b', 'p'), ('c', 'a', 'q')]
    """
    succ, pred = graph._succ[node], graph._pred[node]  # plain dicts, as in connections
    found = [(node, node, key) for key in succ.get(node, ())]
    if len(succ) + len(pred) < len(others):
        found += [(node, v, key) for v, keys in succ.items() if v in others for key in keys]
        found += [(u, node, key) for u, keys in pred.items() if u in others for key in keys]
        return found
    for other in others:
        found += [(node, other, key) for key in succ.get(other, ())]
        found += [(other, node, key) for key in pred.get(other, ())]
    return found


def _fact_estimate(graph: nx.MultiDiGraph, node: str) -> int:
    """How many facts of an entity a page shows, counted without reading them."""
    facts = graph.nodes[node].get("facts", ())
    count = len(facts.triples) if isinstance(facts, Evidence) and not facts.loaded else len(facts)
    return min(count, MAX_FACTS_SHOWN)


def _relation_estimate(data: Mapping[str, Any]) -> int:
    """How many claims of a relation a page shows, counted without reading them: one per
    article stating it, at most :data:`MAX_CLAIMS_SHOWN_PER_EDGE`.

    >>> _relation_estimate({"articles": ["a"] * 3000}), _relation_estimate({})
    (25, 1)
    """
    return min(len(data.get("articles", ())) or 1, MAX_CLAIMS_SHOWN_PER_EDGE)


def _claim_estimate(graph: nx.MultiDiGraph, nodes: set[str], stop_above: int) -> int:
    """About how many claims a page of these entities shows (see :func:`select_view`),
    counted until the count passes ``stop_above``."""
    count = 0
    for node in nodes:
        count += _fact_estimate(graph, node) + sum(
            _relation_estimate(data)
            for _u, v, data in graph.out_edges(node, data=True)
            if v in nodes
        )
        if count > stop_above:
            break
    return count


def _edge_count(graph: nx.MultiDiGraph, nodes: set[str]) -> int:
    """How many edges run between the given nodes."""
    return sum(1 for node in nodes for _u, v in graph.out_edges(node) if v in nodes)


def _subgraph(graph: nx.MultiDiGraph, nodes: set[str]) -> nx.MultiDiGraph:
    sub = nx.MultiDiGraph()
    for node in sorted(nodes):
        sub.add_node(node, **graph.nodes[node])
    for node in (n for n in graph if n in nodes):  # the graph's own edge order
        for u, v, k, data in graph.out_edges(node, keys=True, data=True):
            if v in nodes:
                sub.add_edge(u, v, key=k, **data)
    return sub


def _summarise(claims: list[dict[str, Any]], data: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "claims": claims, **edge_sources(claims)}


def _restrict_to_article(graph: nx.MultiDiGraph, article: str) -> tuple[nx.MultiDiGraph, str]:
    known = {a for _n, d in graph.nodes(data=True) for a in d.get("articles", ())}
    starting = [a for a in sorted(known) if a.startswith(article)]
    if article not in known and len(starting) == 1:
        article = starting[0]  # a unique prefix, e.g. "004"
    if article not in known:
        import difflib

        close = difflib.get_close_matches(article, sorted(known), n=3, cutoff=0.3)
        prefix = sorted(a for a in known if a.startswith(article))
        hint = ", ".join(prefix or close) or "none"
        raise ViewError(f"no claims from article {article!r} — known ids like it: {hint}")
    out = nx.MultiDiGraph()
    for node, data in graph.nodes(data=True):
        mentioned = article in data.get("articles", (article,))
        facts = [f for f in data.get("facts", ()) if f["article"] == article] if mentioned else []
        out.add_node(node, **{**data, "facts": facts})
    for u, v, k, data in graph.edges(keys=True, data=True):
        if article not in data.get("articles", (article,)):
            continue  # (the claims of a large projection are only read where needed)
        claims = [c for c in data.get("claims", ()) if c["article"] == article]
        if claims:
            out.add_edge(u, v, key=k, **_summarise(claims, data))
    return out, article


def _restrict_to_predicate(graph: nx.MultiDiGraph, predicate: str) -> nx.MultiDiGraph:
    keys = {k for _u, _v, k in graph.edges(keys=True)}
    facts = {p for _n, d in graph.nodes(data=True) for p in predicates_of(d.get("facts", ()))}
    if predicate not in keys | facts:
        import difflib

        close = difflib.get_close_matches(predicate, sorted(keys | facts), n=3, cutoff=0.5)
        hint = f" — did you mean {', '.join(close)}?" if close else ""
        raise ViewError(f"no claims use the predicate {predicate!r}{hint}")
    out = nx.MultiDiGraph()
    for node, data in graph.nodes(data=True):
        out.add_node(node, **{**data, "facts": with_predicate(data.get("facts", ()), predicate)})
    for u, v, k, data in graph.edges(keys=True, data=True):
        if k == predicate:
            out.add_edge(u, v, key=k, **data)
    return out


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()
