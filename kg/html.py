"""The interactive graph page: a view of the projection as one self-contained, offline HTML file.

This is the only module that imports pyvis. The page is generated from the NetworkX projection
(:func:`kg.graph.project`), so it shows exactly what the RDF says:

- nodes coloured and shaped by ontology class (with a legend), sized by degree;
- edge labels = predicate labels, edge width = distinct sources (agencies/outlets);
- positions computed here (stress majorization, no randomness) with label overlaps removed,
  physics off; edge labels that would overlap show on hover or selection;
- an evidence panel (every supporting quote in its paragraph), a search box over every alias,
  filters by type, predicate, article, outlet, speaker and date, and a conflict toggle;
- no request leaves the file: vis-network is inlined, Bootstrap and tom-select are not used, and
  a Content-Security-Policy with script hashes forbids everything else;
- deterministic bytes: no timestamps, no random ids, everything sorted.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("a", type="Person", label="<img src=x onerror=alert(1)>", aliases=[], articles=["x"])
>>> g.add_node("b", type="Person", label="B", aliases=[], articles=["x"])
>>> _ = g.add_edge("a", "b", key="partOf", claims=[], sources=0)
>>> page = render_html(g).decode()
>>> "<img src=x" in page
False
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import math
import re
import textwrap
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import networkx as nx

from kg.analysis import Conflict
from kg.analysis import conflicts as find_conflicts
from kg.curation import paused_gc
from kg.errors import AmbiguousEntity, EntityNotFound, KgError
from kg.graph import (
    Evidence,
    edge_sources,
    first_facts,
    predicates_of,
    project,
    said_by,
    with_predicate,
)
from kg.ontology import Ontology, OntologyClass, load_ontology
from kg.sparql import run_query

ASSETS = Path(__file__).resolve().parent / "assets"
DEFAULT_MAX_EDGES = 500
#: A page also stops at about this many claims (one per article stating a relation, one per fact):
#: on a large graph the best-connected entities share hundreds of quoted claims.
DEFAULT_MAX_CLAIMS = 2000
DEFAULT_TITLE = "News knowledge graph"
#: At most this many conflicts are listed on a page.
MAX_CONFLICTS = 1000
#: At most this many literal facts (distinct predicate and value) per entity are on a page;
#: ``kg show ENTITY`` lists them all.
MAX_FACTS_SHOWN = 50

#: Tableau's categorical colours without red (red marks conflicts), most distinct first.
# fmt: off
PALETTE = ("#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#9C755F", "#FF9DA7", "#76B7B2",
           "#EDC948", "#BAB0AC", "#D37295", "#B6992D", "#A0CBE8", "#499894", "#8CD17D",
           "#FFBE7D", "#7F3C8D", "#17BECF", "#D4A6C8", "#79706E", "#FABFD2")
# fmt: on
#: vis-network shapes that draw their label underneath (so node size can vary).
SHAPES = ("dot", "square", "diamond", "triangle", "hexagon", "star", "triangleDown")
CONFLICT_COLOUR = "#C62828"

FONT_SIZE = 15
EDGE_FONT_SIZE = 12
LINE_HEIGHT = 17
WRAP = 22
EDGE_LENGTH = 150.0
#: How much longer an edge at a hub (per doubling of degree) and each parallel edge makes a pair.
HUB_STRETCH = 0.5
PARALLEL_STRETCH = 0.35
PADDING = 10.0
#: The width-to-height ratio layouts are stretched towards (a screen's graph area).
ASPECT = 1.45
#: Advance widths of Arial / Liberation Sans (per 1000 em) for ASCII, measured in Chromium.
# fmt: off
_ARIAL = dict(zip(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
    "abcdefghijklmnopqrstuvwxyz{|}~",
    (278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
     556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
     611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
     667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
     222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584),
    strict=True))
# fmt: on


class ViewError(KgError):
    """A view was asked for something the graph does not hold (an article, a predicate)."""


# --------------------------------------------------------------------------------------------
# Views: which part of the graph a page shows


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
    relation, one per fact shown.

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
    if focus is not None:
        centre = resolve_entity(graph, focus)
        if centre not in work:
            raise ViewError(f"{centre} has no claims in this view — drop --article/--predicate")
        distance = nx.single_source_shortest_path_length(
            work.to_undirected(as_view=True), centre, cutoff=hops
        )
        if hops >= 1:  # what the focus said: relations of the claims attributed to it
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
    degree = dict(work.degree())
    if centre is None:
        keep = {n for n, d in degree.items() if d or work.nodes[n].get("facts")}
        total_edges = work.number_of_edges()  # every edge has both ends kept
    else:
        total_edges = _edge_count(work, keep)
    total_nodes = len(keep)
    notes: list[str] = []
    over_claims = _claim_estimate(work, keep, stop_above=max_claims) > max_claims
    if total_edges > max_edges or over_claims or (top_k is not None and total_nodes > top_k):
        # most connected = most distinct neighbours, then most relations (a self-loop once)
        loops = Counter(u for u, _v in nx.selfloop_edges(work))
        relations = {n: degree[n] - loops[n] for n in keep}
        neighbours = {n: len(set(work.succ[n]).union(work.pred[n])) for n in keep}
        ranked = sorted(keep, key=lambda n: (distance.get(n, 0), -neighbours[n], -relations[n], n))
        chosen: set[str] = set()
        edges = claims = 0
        for node in ranked:
            if top_k is not None and len(chosen) >= top_k:
                break
            added = [
                (u, v, k)
                for u, v, k in _incident(work, node)
                if (v if u == node else u) in chosen or u == v
            ]
            more = _fact_estimate(work, node) + sum(
                len(work.edges[e].get("articles", ())) or 1 for e in added
            )
            if chosen and (edges + len(added) > max_edges or claims + more > max_claims):
                break
            chosen.add(node)
            edges, claims = edges + len(added), claims + more
        keep = chosen
        shown_edges = _edge_count(work, keep)
        notes.append(
            f"Showing the {len(keep)} most connected of {total_nodes} entities and their "
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


def _incident(graph: nx.MultiDiGraph, node: str) -> Iterable[tuple[str, str, str]]:
    yield from graph.out_edges(node, keys=True)
    yield from ((u, v, k) for u, v, k in graph.in_edges(node, keys=True) if u != v)


def _fact_estimate(graph: nx.MultiDiGraph, node: str) -> int:
    """How many facts of an entity a page shows, counted without reading them."""
    facts = graph.nodes[node].get("facts", ())
    count = len(facts.triples) if isinstance(facts, Evidence) and not facts.loaded else len(facts)
    return min(count, MAX_FACTS_SHOWN)


def _claim_estimate(graph: nx.MultiDiGraph, nodes: set[str], stop_above: int) -> int:
    """About how many claims a page of these entities shows (see :func:`select_view`),
    counted until the count passes ``stop_above``."""
    count = 0
    for node in nodes:
        count += _fact_estimate(graph, node) + sum(
            len(data.get("articles", ())) or 1
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


# --------------------------------------------------------------------------------------------
# Conflicts (typed by kg.analysis): highlighted by the page's toggle


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
    left out.
    """
    functional = {name for name, pred in ontology.predicates.items() if pred.functional}
    if view is None:
        edges = list(graph.edges(keys=True))
        nodes: Iterable[str] = graph.nodes
    else:
        edges = list(view.edges(keys=True))
        pairs = {(u, key) for u, _v, key in edges if key in functional}
        for subject in sorted({u for u, _key in pairs}):
            edges += [
                (u, v, key)
                for u, v, key in graph.out_edges(subject, keys=True)
                if (u, key) in pairs and not view.has_edge(u, v, key)
            ]
        nodes = view.nodes
    rows = [c for u, v, key in edges for c in graph.edges[u, v, key].get("claims", ())]
    for node in nodes:
        facts = graph.nodes[node].get("facts", ())
        if view is None:
            rows += facts
            continue
        shown, _left_out = first_facts(facts, MAX_FACTS_SHOWN)
        rows += shown
        # a shown value of a functional property conflicts with any other value of it
        seen = {row["claim"] for row in shown}
        for predicate in sorted(predicates_of(shown) & functional):
            rows += [f for f in with_predicate(facts, predicate) if f["claim"] not in seen]
    return [c for c in find_conflicts(rows, ontology, graph) if c.kind != "compatible"]


# --------------------------------------------------------------------------------------------
# Layout: NetworkX positions, label boxes pushed apart, components packed


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Width in pixels of one line of Arial text (the font vis-network draws labels in).

    >>> round(text_width("IFS", 14))
    22
    """
    total = 0.0
    for char in text:
        if char in _ARIAL:
            total += _ARIAL[char]
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            total += 1000
        else:
            total += 600
    return total * size / 1000


def wrap_label(label: str, width: int = WRAP, lines: int = 3) -> str:
    """A label broken into at most ``lines`` lines of about ``width`` characters.

    >>> wrap_label("Institute of Forensic Science")
    'Institute of Forensic\\nScience'
    >>> wrap_label("Institute of Forensic Science of the Ministry of Public Security")
    'Institute of Forensic\\nScience of the\\nMinistry of Public…'
    """
    text = " ".join(label.split()) or "?"
    parts = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False)
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1].rstrip() + "…"
    return "\n".join(parts)


@dataclass(frozen=True)
class _Box:
    """A node drawn with its label underneath, relative to the node centre."""

    left: float
    right: float
    top: float
    bottom: float


def _node_box(size: float, label: str) -> _Box:
    lines = label.split("\n")
    half = max(size, max(text_width(line, FONT_SIZE) for line in lines) / 2) + PADDING / 2
    return _Box(-half, half, -size - PADDING / 2, size + 4 + LINE_HEIGHT * len(lines) + PADDING / 2)


def layout(graph: nx.MultiDiGraph, boxes: Mapping[str, _Box]) -> dict[str, tuple[int, int]]:
    """Integer positions: each component laid out by stress majorization, scaled to readable edge
    lengths, label boxes pushed apart, components packed in rows under the largest."""
    import numpy as np

    simple = nx.Graph()
    simple.add_nodes_from(sorted(graph))
    parallel = Counter(tuple(sorted((u, v))) for u, v in graph.edges() if u != v)
    simple.add_edges_from((u, v, {"parallel": count}) for (u, v), count in sorted(parallel.items()))
    components = sorted(
        (sorted(c) for c in nx.connected_components(simple)), key=lambda c: (-len(c), c[0])
    )
    placed: list[tuple[list[str], Any]] = []
    for nodes in components:
        if len(nodes) == 1:
            coords = np.zeros((1, 2))
        else:
            coords = _stress_layout(simple.subgraph(nodes), nodes)
            ends = np.array(
                [(nodes.index(u), nodes.index(v)) for u, v in simple.subgraph(nodes).edges()]
            )
            lengths = np.sqrt(((coords[ends[:, 0]] - coords[ends[:, 1]]) ** 2).sum(axis=1))
            coords = coords / max(float(np.median(lengths)), 1e-9) * EDGE_LENGTH
            coords = _widen(_spread(coords, [boxes[n] for n in nodes]))
        coords = _remove_overlaps(coords, [boxes[n] for n in nodes])
        placed.append((nodes, coords))
    return _pack(placed, boxes)


def _distances(sub: nx.Graph, nodes: list[str]) -> Any:
    """Ideal distances: shortest paths where an edge at a hub, or one of several parallel
    edges, is longer (so that edge labels have room). Exact for up to 300 nodes (Floyd-Warshall
    in numpy), hop counts for bigger components."""
    import numpy as np

    n = len(nodes)
    where = {node: i for i, node in enumerate(nodes)}
    degree = dict(sub.degree())
    dist = np.full((n, n), np.inf)
    np.fill_diagonal(dist, 0.0)
    if n <= 300:
        for u, v, count in sub.edges(data="parallel", default=1):
            length = (
                1.0
                + HUB_STRETCH * math.log2(max(degree[u], degree[v]))
                + PARALLEL_STRETCH * (count - 1)
            )
            dist[where[u], where[v]] = dist[where[v], where[u]] = length
        for k in range(n):
            np.minimum(dist, dist[:, k, None] + dist[None, k, :], out=dist)
    else:  # breadth-first search from every node over integer adjacency lists
        adjacency: list[list[int]] = [[] for _ in range(n)]
        for u, v in sub.edges():
            adjacency[where[u]].append(where[v])
            adjacency[where[v]].append(where[u])
        for source in range(n):
            row, frontier, depth = dist[source], [source], 0
            while frontier:
                depth += 1
                following = []
                for node in frontier:
                    for near in adjacency[node]:
                        if row[near] == np.inf:
                            row[near] = depth
                            following.append(near)
                frontier = following
    return dist


def _stress_layout(sub: nx.Graph, nodes: list[str]) -> Any:
    """Stress majorization (Gansner, Koren & North 2004) from a classical-MDS start.

    Deterministic (no random start) and built from element-wise numpy only: multi-threaded
    BLAS calls (eigh, pinv) take seconds on a busy machine, these take milliseconds.
    """
    import numpy as np

    n = len(nodes)
    dist = _distances(sub, nodes)
    # classical MDS: the two main eigenvectors of the double-centred squared distances,
    # by power iteration with deflation
    sq = dist**2
    centred = -0.5 * (sq - sq.mean(axis=0) - sq.mean(axis=1)[:, None] + sq.mean())
    coords = np.zeros((n, 2))
    for axis in range(2):
        vector = np.cos(np.arange(n) * (1.0 + axis) + 0.5)
        value = 0.0
        for _ in range(50):
            nxt = centred @ vector
            for done in range(axis):
                prev = coords[:, done] / max(
                    float(np.sqrt(coords[:, done] @ coords[:, done])), 1e-12
                )
                nxt -= (nxt @ prev) * prev
            value = float(np.sqrt(nxt @ nxt))
            if value < 1e-12:
                break
            vector = nxt / value
        coords[:, axis] = vector * math.sqrt(max(value, 1e-12))
    x = coords[:, 0] + np.linspace(0, 1e-3, n)
    y = coords[:, 1] + np.linspace(1e-3, 0, n)
    with np.errstate(divide="ignore"):
        weight = np.where(dist > 0, dist**-2.0, 0.0)
    weighted_dist = weight * dist
    total = weight.sum(axis=1)
    steps = max(20, min(200, int(200 * (150 / n) ** 2)))
    for _ in range(steps):
        # x_i <- sum_j w_ij (x_j + d_ij (x_i - x_j) / |p_i - p_j|) / sum_j w_ij, and so for y
        dx = x[:, None] - x[None, :]
        dy = y[:, None] - y[None, :]
        pull = weighted_dist / np.maximum(np.sqrt(dx * dx + dy * dy), 1e-9)
        spring = pull.sum(axis=1)
        x, y = (
            (weight @ x + x * spring - pull @ x) / total,
            (weight @ y + y * spring - pull @ y) / total,
        )
    return np.stack([x, y], axis=1)


def _widen(coords: Any, aspect: float = ASPECT) -> Any:
    """Stretch a layout towards the page's width-to-height ratio (labels are wide, and so are
    screens), by at most 1.3 on either axis."""
    import numpy as np

    span = coords.max(axis=0) - coords.min(axis=0) + EDGE_LENGTH
    factor = min(math.sqrt(aspect / (float(span[0]) / float(span[1]))), 1.3)
    if factor <= 1.0:
        return coords
    return coords * np.array([factor, 1.0 / factor])


def _spread(coords: Any, boxes: list[_Box], density: float = 0.3) -> Any:
    """Scale a crowded layout up until the label boxes cover at most ``density`` of its area."""
    import numpy as np

    if len(boxes) < 10:
        return coords
    area = sum((b.right - b.left) * (b.bottom - b.top) for b in boxes)
    span = coords.max(axis=0) - coords.min(axis=0) + EDGE_LENGTH
    ratio = area / float(span[0] * span[1])
    return coords * math.sqrt(ratio / density) if ratio > density else coords + np.zeros(1)


def _remove_overlaps(coords: Any, boxes: list[_Box], margin: float = 40.0) -> Any:
    """Push overlapping label boxes apart along the axis of least overlap (deterministic).

    Pairs are checked in full only every tenth round (boxes grown by ``margin``); the rounds
    between look at those candidate pairs alone. A layout still crowded after ten rounds is
    scaled up by 10% about its centre.
    """
    import numpy as np

    n = len(boxes)
    if n < 2:
        return coords
    left = np.array([b.left for b in boxes])
    right = np.array([b.right for b in boxes])
    top = np.array([b.top for b in boxes])
    bottom = np.array([b.bottom for b in boxes])
    mid_x, mid_y = (left + right) / 2, (top + bottom) / 2
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    coords = coords.copy()
    first = second = np.zeros(0, dtype=int)
    fresh = False
    for number in range(400):
        x, y = coords[:, 0], coords[:, 1]
        if number % 10 == 0 or (not fresh and not len(first)):
            grown_x = np.minimum.outer(x + right, x + right) - np.maximum.outer(x + left, x + left)
            grown_y = np.minimum.outer(y + bottom, y + bottom) - np.maximum.outer(y + top, y + top)
            first, second = np.nonzero((grown_x > -margin) & (grown_y > -margin) & upper)
            fresh = True
        ox = np.minimum((x + right)[first], (x + right)[second]) - np.maximum(
            (x + left)[first], (x + left)[second]
        )
        oy = np.minimum((y + bottom)[first], (y + bottom)[second]) - np.maximum(
            (y + top)[first], (y + top)[second]
        )
        hit = (ox > 0) & (oy > 0)
        if not hit.any():
            if fresh:
                break
            first = second = np.zeros(0, dtype=int)
            continue
        fresh = False
        i, j, ox, oy = first[hit], second[hit], ox[hit], oy[hit]
        dx = (x + mid_x)[i] - (x + mid_x)[j]
        dy = (y + mid_y)[i] - (y + mid_y)[j]
        along_x = ox <= oy * 1.5  # boxes are wide: move sideways a little more readily
        # i is pushed away from j by half the overlap; ties (same centre) go by index
        side_x = np.where(dx != 0, np.sign(dx), 1.0)
        side_y = np.where(dy != 0, np.sign(dy), 1.0)
        push = np.stack(
            [
                np.where(along_x, side_x * (ox / 2 + 0.5), 0.0),
                np.where(~along_x, side_y * (oy / 2 + 0.5), 0.0),
            ],
            axis=1,
        )
        move = np.zeros((n, 2))
        np.add.at(move, i, push)
        np.add.at(move, j, -push)
        coords += move * 0.6
        if number % 10 == 9:  # still crowded: give everyone more room
            coords = coords.mean(axis=0) + (coords - coords.mean(axis=0)) * 1.1
    return coords


def _pack(
    placed: list[tuple[list[str], Any]], boxes: Mapping[str, _Box]
) -> dict[str, tuple[int, int]]:
    """Largest component first, the others in rows underneath it."""
    positions: dict[str, tuple[int, int]] = {}
    extents = []
    for nodes, coords in placed:
        lo_x = min(coords[i][0] + boxes[n].left for i, n in enumerate(nodes))
        hi_x = max(coords[i][0] + boxes[n].right for i, n in enumerate(nodes))
        lo_y = min(coords[i][1] + boxes[n].top for i, n in enumerate(nodes))
        hi_y = max(coords[i][1] + boxes[n].bottom for i, n in enumerate(nodes))
        extents.append((lo_x, hi_x, lo_y, hi_y))
    row_width = max(1200.0, extents[0][1] - extents[0][0]) if extents else 1200.0
    origin_x = extents[0][0] if extents else 0.0
    cursor_x, cursor_y, row_height = origin_x, None, 0.0
    for (nodes, coords), (lo_x, hi_x, lo_y, hi_y) in zip(placed, extents, strict=True):
        width, height = hi_x - lo_x, hi_y - lo_y
        if cursor_y is None:
            cursor_y = lo_y
            shift = (0.0, 0.0)
            cursor_y = hi_y + 3 * PADDING
            cursor_x = origin_x
            row_height = 0.0
        else:
            if cursor_x + width > origin_x + row_width and cursor_x > origin_x:
                cursor_x = origin_x
                cursor_y += row_height + 2 * PADDING
                row_height = 0.0
            shift = (cursor_x - lo_x, cursor_y - lo_y)
            cursor_x += width + 2 * PADDING
            row_height = max(row_height, height)
        for i, node in enumerate(nodes):
            positions[node] = (
                round(float(coords[i][0] + shift[0])),
                round(float(coords[i][1] + shift[1])),
            )
    return positions


# --------------------------------------------------------------------------------------------
# The page


@dataclass(frozen=True)
class ArticleInfo:
    """What the evidence panel says about an article."""

    id: str
    title: str = ""
    published: str = ""
    outlet: str | None = None
    agency: str | None = None


@dataclass(frozen=True)
class ClassStyle:
    name: str
    label: str
    colour: str
    shape: str


def class_styles(ontology: Ontology, types: Iterable[str] = ()) -> dict[str, ClassStyle]:
    """A colour per class and a shape per branch of the class tree (the classes under the
    root: agents are dots, places hexagons, ...), both read from the ontology and stable across
    views; the biggest branch gets the first shape and the first colours.

    >>> styles = class_styles(load_ontology())
    >>> len({s.colour for s in styles.values()}) == len(styles)
    True
    >>> styles["Person"].shape == styles["GovernmentAgency"].shape
    True
    """
    names = sorted(set(ontology.classes) | set(types))
    chains = {name: _chain(ontology, name) for name in names}
    main_root = min(
        Counter(chain[-1] for chain in chains.values()).items(),
        key=lambda item: (-item[1], item[0]),
    )[0]
    branch = {name: chain[-2] if len(chain) > 1 else chain[-1] for name, chain in chains.items()}
    sizes = Counter(branch[n] for n in names if chains[n][-1] == main_root)
    branches = sorted(sizes, key=lambda b: (b == main_root, -sizes[b], b))
    rank = {b: i for i, b in enumerate(branches)}
    order = sorted(
        names,
        key=lambda n: (chains[n][-1] != main_root, rank.get(branch[n], 99), len(chains[n]), n),
    )
    styles = {}
    for index, name in enumerate(order):
        cls = ontology.classes.get(name) or OntologyClass(name, "", "")
        label = cls.label or _split_camel(name)
        shape = SHAPES[rank[branch[name]] % len(SHAPES)] if branch[name] in rank else "dot"
        styles[name] = ClassStyle(
            name, label[:1].upper() + label[1:], PALETTE[index % len(PALETTE)], shape
        )
    return dict(sorted(styles.items()))


def _chain(ontology: Ontology, name: str) -> list[str]:
    """The class, its first parent, that one's first parent, ... up to a root."""
    chain = [name]
    while chain[-1] in ontology.classes and ontology.classes[chain[-1]].parents:
        parent = ontology.classes[chain[-1]].parents[0]
        if parent in chain:
            break
        chain.append(parent)
    return chain


def _split_camel(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _paragraph(text: str, start: int, end: int, limit: int = 420) -> tuple[str, str]:
    """The rest of the paragraph (line) around ``text[start:end]``, clipped at ``limit`` chars."""
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end < 0 else para_end
    before, after = text[para_start:start], text[end:para_end]
    if len(before) > limit:
        cut = before.find(" ", len(before) - limit)
        before = "…" + before[cut + 1 if cut >= 0 else len(before) - limit :]
    if len(after) > limit:
        cut = after.rfind(" ", 0, limit)
        after = after[: cut if cut > 0 else limit] + "…"
    return before.lstrip(), after.rstrip()


def _date_range(values: Iterable[str]) -> tuple[str, str] | None:
    """First and last day covered by YYYY / YYYY-MM / YYYY-MM-DD values."""
    from kg.model import DateValue

    spans = []
    for value in values:
        try:
            date = DateValue.parse(value)
        except ValueError:
            continue
        spans.append((date.start.isoformat(), date.end.isoformat(), value))
    if not spans:
        return None
    return min(spans)[2], max(spans, key=lambda s: (s[1], s[2]))[2]


def page_payload(
    view: View,
    full: nx.MultiDiGraph,
    *,
    ontology: Ontology,
    articles: Mapping[str, ArticleInfo],
    texts: Mapping[str, str],
    contexts: Mapping[str, tuple[str, str]],
    title: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """vis-network node and edge lists, and the data the page script reads (all sorted).

    Tooltips (``title``) are plain text: vis-network shows them with ``innerText``.
    """
    graph = view.graph
    styles = class_styles(ontology, (d.get("type", "Entity") for _n, d in graph.nodes(data=True)))
    predicates = ontology.predicates
    conflicts = view_conflicts(full, ontology, view=graph)
    in_conflict: dict[tuple[str, str, str, str, str, int], list[int]] = defaultdict(list)
    for number, conflict in enumerate(conflicts):
        for row in conflict.claims:
            key = claim_key({**row, "subject": conflict.subject, "predicate": conflict.predicate})
            in_conflict[key].append(number)

    def name(entity: str | None) -> str:
        if not entity:
            return ""
        return str(full.nodes[entity].get("label", entity)) if entity in full else entity

    def predicate_label(pred: str) -> str:
        return predicates[pred].label if pred in predicates else pred

    def value_label(pred: str, value: str, is_entity: bool) -> str:
        if is_entity:
            return name(value)
        unit = predicates[pred].unit if pred in predicates else None
        return f"{value} {unit}" if unit else value

    claims: list[dict[str, Any]] = []
    claim_index: dict[tuple[str, str, str, str, str, int], int] = {}

    def add_claim(row: Mapping[str, Any]) -> int:
        key = claim_key(row)
        if key in claim_index:
            return claim_index[key]
        text = texts.get(row["article"])
        start, end = int(row.get("start") or 0), int(row.get("end") or 0)
        if text is not None and text[start:end] == row["quote"]:
            before, after = _paragraph(text, start, end)
        else:
            before, after = contexts.get(str(row.get("claim", "")), ("", ""))
            before, after = ("…" + before if before else ""), (after + "…" if after else "")
        info = articles.get(row["article"]) or ArticleInfo(row["article"])
        is_entity = bool(row.get("object_is_entity", True))
        claims.append(
            {
                "article": row["article"],
                "before": before,
                "quote": row["quote"],
                "after": after,
                "subject": name(row["subject"]),
                "p": row["predicate"],
                "predicate": predicate_label(row["predicate"]),
                "object": value_label(row["predicate"], str(row["object"]), is_entity),
                "speaker": row.get("speaker") or "",
                "speakerLabel": name(row.get("speaker")),
                "outlet": row.get("outlet") or info.outlet or "",
                "agency": row.get("agency") or info.agency or "",
                "published": row.get("published") or info.published or "",
                "certainty": row.get("certainty") or "stated",
                "date": row.get("date") or "",
                "validFrom": row.get("valid_from") or "",
                "validUntil": row.get("valid_until") or "",
                "note": row.get("note") or "",
                "conflicts": in_conflict.get(key, []),
            }
        )
        claim_index[key] = len(claims) - 1
        return claim_index[key]

    degree = {n: sum(1 for _ in _incident(graph, n)) for n in graph}
    labels = {n: wrap_label(str(d.get("label", n))) for n, d in graph.nodes(data=True)}
    sizes = {n: min(round(9 + 4 * math.sqrt(degree[n]), 1), 30.0) for n in graph}
    boxes = {n: _node_box(sizes[n], labels[n]) for n in graph}
    positions = layout(graph, boxes)

    nodes: list[dict[str, Any]] = []
    entities: dict[str, Any] = {}
    for node in sorted(graph):
        data = graph.nodes[node]
        style = styles[data.get("type", "Entity")]
        shown_facts, facts_left_out = first_facts(data.get("facts", ()), MAX_FACTS_SHOWN)
        facts = [add_claim(f) for f in shown_facts]
        aliases = [a for a in data.get("aliases", ()) if a != data.get("label")]
        mentioned = list(data.get("articles", ()))
        tip = [str(data.get("label", node)), f"Type: {style.label}"]
        if aliases:
            tip.append("Also: " + ", ".join(aliases))
        if data.get("description"):
            tip.append(str(data["description"]))
        if mentioned:
            tip.append(
                f"In {len(mentioned)} article{'s' if len(mentioned) != 1 else ''}: "
                + ", ".join(_short(a) for a in mentioned[:8])
                + (" …" if len(mentioned) > 8 else "")
            )
        tip.append("Click for the evidence.")
        x, y = positions[node]
        nodes.append(
            {
                "id": node,
                "label": labels[node],
                "title": "\n".join(tip),
                "shape": style.shape,
                "color": {
                    "background": style.colour,
                    "border": _darker(style.colour),
                    "highlight": {"background": style.colour, "border": "#111111"},
                    "hover": {"background": style.colour, "border": "#111111"},
                },
                "size": sizes[node],
                "x": x,
                "y": y,
            }
        )
        entities[node] = {
            "label": str(data.get("label", node)),
            "type": style.name,
            "typeLabel": style.label,
            "aliases": aliases,
            "description": data.get("description", ""),
            "note": data.get("note", ""),
            "articles": mentioned,
            "facts": facts,
            "conflict": any(claims[i]["conflicts"] for i in facts),
        }
        if facts_left_out:
            entities[node]["factsLeftOut"] = facts_left_out

    edges: list[dict[str, Any]] = []
    edge_data: dict[str, Any] = {}
    pair_count = Counter(tuple(sorted((u, v))) for u, v in graph.edges())
    pair_seen: Counter[tuple[str, ...]] = Counter()
    ordered = sorted(graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2]))
    for index, (u, v, key, data) in enumerate(ordered):
        edge_id = f"e{index}"
        label = predicate_label(key)
        refs = [add_claim(c) for c in data.get("claims", ())]
        sources = max(int(data.get("sources") or 0), 1)
        pair = tuple(sorted((u, v)))
        rank = pair_seen[pair]
        pair_seen[pair] += 1
        tip = [
            f"{name(u)} — {label} → {name(v)}",
            f"{len(refs)} claim{'s' if len(refs) != 1 else ''} from {sources} independent "
            f"source{'s' if sources != 1 else ''}",
        ]
        for ref in refs[:4]:
            c = claims[ref]
            who = f" (said by {c['speakerLabel']})" if c["speaker"] else ""
            tip.append(f"• {_source_line(c, name)}{who}: “{_clip(c['quote'], 160)}”")
        if len(refs) > 4:
            tip.append(f"… and {len(refs) - 4} more")
        tip.append("Click for the evidence.")
        edge: dict[str, Any] = {
            "id": edge_id,
            "from": u,
            "to": v,
            "label": label,
            "title": "\n".join(tip),
            "width": round(1 + 1.5 * (sources - 1), 1),
        }
        smooth = _smooth(u, v, rank, pair_count[pair])
        if smooth is not None:
            edge["smooth"] = smooth
        edges.append(edge)
        conflict_numbers = sorted({n for ref in refs for n in claims[ref]["conflicts"]})
        edge_data[edge_id] = {
            "from": u,
            "to": v,
            "predicate": key,
            "label": label,
            "claims": refs,
            "sources": sources,
            "conflict": bool(conflict_numbers),
        }
    shapes = {n: (sizes[n], labels[n]) for n in graph}
    crowded = _crowded_edge_labels(edges, positions, shapes, edge_data)
    for edge in edges:
        if edge["id"] in crowded:
            edge["label"] = ""
            edge_data[edge["id"]]["crowded"] = True

    # only the conflicts that a claim on the page takes part in (the first MAX_CONFLICTS, in
    # kg.analysis' order: contradictions first), numbered in order, at most 5 per claim
    used = sorted({number for c in claims for number in c["conflicts"]})
    renumber = {old: new for new, old in enumerate(used[:MAX_CONFLICTS])}
    for c in claims:
        c["conflicts"] = [renumber[n] for n in c["conflicts"] if n in renumber][:5]
    conflicts = [conflicts[number] for number in used[:MAX_CONFLICTS]]

    used_types = Counter(entities[n]["type"] for n in entities)
    used_predicates = Counter(edge_data[e]["predicate"] for e in edge_data)
    used_predicates.update(claims[ref]["p"] for e in entities.values() for ref in e["facts"])
    article_ids = sorted({c["article"] for c in claims})
    known = {a: articles.get(a) or ArticleInfo(a) for a in article_ids}
    span = _date_range(a.published for a in known.values() if a.published)
    speakers = sorted({c["speaker"] for c in claims if c["speaker"]})
    outlets = sorted({c["outlet"] for c in claims if c["outlet"]})
    agencies = sorted({c["agency"] for c in claims if c["agency"]})
    data = {
        "title": title,
        "description": view.description,
        "notes": view.notes,
        "caption": _caption(
            len(entities),
            len(edges),
            len(claims),
            article_ids,
            span,
            sum(1 for a in known.values() if not a.published),
        ),
        "focus": view.focus,
        "classes": [
            {
                "name": s.name,
                "label": s.label,
                "colour": s.colour,
                "shape": s.shape,
                "count": used_types[s.name],
            }
            for s in styles.values()
            if used_types[s.name]
        ],
        "predicates": [
            {"name": p, "label": predicate_label(p), "count": used_predicates[p]}
            for p in sorted(used_predicates)
        ],
        "articles": [
            {
                "id": a,
                "title": i.title,
                "published": i.published,
                "outlet": i.outlet or "",
                "agency": i.agency or "",
            }
            for a, i in known.items()
        ],
        "names": {e: name(e) for e in sorted(set(speakers) | set(outlets) | set(agencies))},
        "speakers": speakers,
        "outlets": outlets,
        "entities": entities,
        "edges": edge_data,
        "claims": claims,
        "conflicts": [
            {
                "kind": c.kind,
                "subject": name(c.subject),
                "predicate": predicate_label(c.predicate),
                "values": [value_label(c.predicate, v, v in full) for v in c.values],
                "reason": c.reason,
            }
            for c in conflicts
        ],
        "conflictCount": len(used),
        "options": VIS_OPTIONS,
    }
    return nodes, edges, data


def _crowded_edge_labels(
    edges: list[dict[str, Any]],
    positions: Mapping[str, tuple[int, int]],
    shapes: Mapping[str, tuple[float, str]],
    edge_data: Mapping[str, Any],
) -> set[str]:
    """Edges whose label would overlap a node, its label or a stronger edge's label: these
    labels show when the edge is hovered or selected (or all with the page's toggle)."""
    import numpy as np

    # each node is two rectangles: its shape, and its label underneath
    taken = np.zeros((2 * len(positions) + len(edges), 4))
    count = 0
    for node, (x, y) in sorted(positions.items()):
        size, label = shapes[node]
        lines = label.split("\n")
        half = max(text_width(line, FONT_SIZE) for line in lines) / 2 + 2
        taken[count] = (x - size - 2, y - size - 2, x + size + 2, y + size + 2)
        taken[count + 1] = (x - half, y + size, x + half, y + size + 4 + LINE_HEIGHT * len(lines))
        count += 2
    crowded = set()
    order = sorted(
        edges,
        key=lambda e: (
            -len(edge_data[e["id"]]["claims"]),
            -edge_data[e["id"]]["sources"],
            int(e["id"][1:]),
        ),
    )
    for edge in order:
        if edge["from"] == edge["to"]:
            crowded.add(edge["id"])
            continue
        cx, cy = _label_anchor(positions[edge["from"]], positions[edge["to"]], edge.get("smooth"))
        half_w, half_h = text_width(edge["label"], EDGE_FONT_SIZE) / 2 + 3, EDGE_FONT_SIZE / 2 + 3
        box = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
        block = taken[:count]
        if (
            (block[:, 0] < box[2])
            & (box[0] < block[:, 2])
            & (block[:, 1] < box[3])
            & (box[1] < block[:, 3])
        ).any():
            crowded.add(edge["id"])
        else:
            taken[count] = box
            count += 1
    return crowded


def _label_anchor(
    start: tuple[int, int], end: tuple[int, int], smooth: Mapping[str, Any] | None
) -> tuple[float, float]:
    """Where vis-network draws an edge's label: the middle of the line, or of its curve."""
    (x1, y1), (x2, y2) = start, end
    if not smooth or not smooth.get("enabled"):
        return (x1 + x2) / 2, (y1 + y2) / 2
    roundness = float(smooth["roundness"])
    dx, dy = x2 - x1, y1 - y2
    length = math.hypot(dx, dy)
    factor = -roundness if smooth["type"] == "curvedCCW" else roundness
    angle = (math.atan2(dy, dx) + (0.5 * factor + 0.5) * math.pi) % (2 * math.pi)
    via_x = x1 + (0.5 * roundness + 0.5) * length * math.sin(angle)
    via_y = y1 + (0.5 * roundness + 0.5) * length * math.cos(angle)
    return 0.25 * x1 + 0.5 * via_x + 0.25 * x2, 0.25 * y1 + 0.5 * via_y + 0.25 * y2


def _caption(
    entities: int,
    relations: int,
    claims: int,
    article_ids: list[str],
    span: tuple[str, str] | None,
    undated: int = 0,
) -> str:
    """The page's one-line summary: counts, and when the articles were published.

    >>> _caption(50, 97, 196, ["a", "b", "c"], ("2023", "2023-11"), undated=1)
    '50 entities · 97 relations · 196 claims from 3 articles published 2023 to 2023-11 (1 undated)'
    """
    text = (
        f"{entities} entities · {relations} relations · {claims} claims from "
        f"{len(article_ids)} article{'s' if len(article_ids) != 1 else ''}"
    )
    if span:
        text += f" published {span[0]}" + (f" to {span[1]}" if span[1] != span[0] else "")
    if undated:
        text += f" ({undated} undated)"
    return text


def _short(article: str) -> str:
    return article.split("_", 1)[0] if "_" in article else article


def _source_line(claim: Mapping[str, Any], name: Any) -> str:
    parts = [name(claim["outlet"]) if claim["outlet"] else "unknown outlet"]
    if claim["agency"]:
        parts[0] += f" via {name(claim['agency'])}"
    if claim["published"]:
        parts.append(claim["published"])
    parts.append(f"article {_short(claim['article'])}")
    return ", ".join(parts)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _darker(colour: str, factor: float = 0.7) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02X}{:02X}{:02X}".format(*(int(c * factor) for c in (r, g, b)))


def _smooth(u: str, v: str, rank: int, count: int) -> dict[str, Any] | None:
    """Parallel edges between one pair curve apart; a single edge is straight."""
    if u == v:
        return None
    if count == 1:
        return {"enabled": False}
    offset = (rank - (count - 1) / 2) * min(0.35, 1.4 / (count - 1))  # roundness within ±0.7
    if u > v:
        offset = -offset
    if offset == 0:
        return {"enabled": False}
    return {
        "enabled": True,
        "type": "curvedCW" if offset > 0 else "curvedCCW",
        "roundness": round(abs(offset), 3),
    }


VIS_OPTIONS: dict[str, Any] = {
    "autoResize": True,
    "physics": {"enabled": False},
    "layout": {"improvedLayout": False, "randomSeed": 1},
    "interaction": {
        "hover": True,
        "tooltipDelay": 120,
        "hideEdgesOnDrag": False,
        "multiselect": False,
        "navigationButtons": False,
        "keyboard": False,
    },
    "nodes": {
        "borderWidth": 1.5,
        "borderWidthSelected": 3,
        "font": {
            "face": "arial",
            "size": FONT_SIZE,
            "color": "#1F2933",
            "strokeWidth": 4,
            "strokeColor": "#FFFFFF",
            "multi": False,
        },
    },
    "edges": {
        "arrows": {"to": {"enabled": True, "scaleFactor": 0.55}},
        "color": {"color": "#9AA5B1", "highlight": "#1F2933", "hover": "#3E4C59", "inherit": False},
        "font": {
            "face": "arial",
            "size": EDGE_FONT_SIZE,
            "color": "#52606D",
            "strokeWidth": 4,
            "strokeColor": "#FFFFFF",
            "align": "horizontal",
        },
        "selectionWidth": 1.5,
        "hoverWidth": 1,
        "smooth": {"enabled": False},
    },
}


@dataclass(frozen=True)
class Page:
    """A generated page: its bytes, what it shows and what it left out."""

    html: bytes = field(repr=False)
    entities: int
    relations: int
    claims: int
    notes: tuple[str, ...] = ()
    path: Path | None = None


@paused_gc()  # a page of a large graph reads thousands of claims: see kg.curation.paused_gc
def render_page(
    graph: nx.MultiDiGraph,
    *,
    ontology: Ontology | None = None,
    articles: Mapping[str, ArticleInfo] | None = None,
    texts: Mapping[str, str] | None = None,
    contexts: Mapping[str, tuple[str, str]] | None = None,
    title: str | None = None,
    focus: str | None = None,
    hops: int = 1,
    article: str | None = None,
    predicate: str | None = None,
    top_k: int | None = None,
    max_edges: int = DEFAULT_MAX_EDGES,
    max_claims: int = DEFAULT_MAX_CLAIMS,
) -> Page:
    """The page for a view of a projected graph (deterministic bytes).

    ``articles`` describes the articles (title, date, outlet), ``texts`` holds article texts by
    id (to show each quote in its paragraph), ``contexts`` the W3C prefix and suffix of each
    claim by claim IRI (shown when a text is not given). The view options are those of
    :func:`select_view`.
    """
    Network = pyvis_network()

    onto = ontology or load_ontology()
    view = select_view(
        graph,
        focus=focus,
        hops=hops,
        article=article,
        predicate=predicate,
        top_k=top_k,
        max_edges=max_edges,
        max_claims=max_claims,
    )
    nodes, edges, data = page_payload(
        view,
        graph,
        ontology=onto,
        articles=articles if articles is not None else {},
        texts=texts or {},
        contexts=contexts if contexts is not None else {},
        title=title or DEFAULT_TITLE,
    )
    # pyvis holds the node and edge lists (filled directly: add_node/add_edge are quadratic)
    # and renders them with kg's own template, which inlines everything and escapes all data.
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    net.nodes, net.edges = nodes, edges
    net.node_ids = [n["id"] for n in nodes]
    net.node_map = {n["id"]: n for n in nodes}
    net.options = VIS_OPTIONS
    net.templateEnv, net.path = _environment(data), "graph.html.j2"
    page = str(net.generate_html(name="graph.html")).encode()
    return Page(page, len(nodes), len(edges), len(data["claims"]), tuple(view.notes))


def render_html(graph: nx.MultiDiGraph, **options: Any) -> bytes:
    """The page's bytes: :func:`render_page` without the counts."""
    return render_page(graph, **options).html


def pyvis_network() -> Any:
    """pyvis' ``Network`` class, imported without importing IPython up front.

    ``pyvis.network`` imports ``IPython.display`` for a single name, ``IFrame``, which it uses
    only to show a page inside a notebook; importing IPython took about 0.35 s of a 2 s cold
    ``kg build``. Unless IPython is already loaded (in a notebook it is), pyvis is handed an
    ``IFrame`` that imports the real one when first called, so notebook display still works.

    >>> pyvis_network().__name__
    'Network'
    """
    import sys
    import types

    if "pyvis.network" in sys.modules or "IPython" in sys.modules:
        from pyvis.network import Network

        return Network

    class IFrame:
        """IPython.display.IFrame, imported when pyvis first displays in a notebook."""

        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            from IPython.display import IFrame as real

            return real(*args, **kwargs)

    package, display = types.ModuleType("IPython"), types.ModuleType("IPython.display")
    display.IFrame = IFrame  # type: ignore[attr-defined]
    package.display = display  # type: ignore[attr-defined]
    sys.modules.update({"IPython": package, "IPython.display": display})
    try:
        from pyvis.network import Network
    finally:  # the stand-ins leave no trace: a later `import IPython` gets the real one
        for name, module in (("IPython.display", display), ("IPython", package)):
            if sys.modules.get(name) is module:
                del sys.modules[name]
    return Network


def _environment(data: Mapping[str, Any]) -> Any:
    """A Jinja environment that escapes by default and knows our assets and the payload."""
    from jinja2 import Environment, FileSystemLoader
    from markupsafe import Markup

    env = Environment(
        loader=FileSystemLoader(str(ASSETS)), autoescape=True, keep_trailing_newline=True
    )
    scripts = {name: _asset(name) for name in ("vis-network.min.js", "graph.js")}
    styles = {name: _asset(name) for name in ("vis-network.css", "graph.css")}
    payload = _json(data)

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    env.globals["kg"] = {
        "data": Markup(payload),
        "scripts": {k: Markup(v) for k, v in scripts.items()},
        "styles": {k: Markup(v) for k, v in styles.items()},
        "title": data["title"],
        "description": data["description"],
        "caption": data["caption"],
        "notes": data["notes"],
        "script_hashes": Markup(" ".join(digest(v) for v in scripts.values())),
    }
    env.filters["json"] = lambda value: Markup(_json(value))
    return env


def _json(value: Any) -> str:
    """JSON safe inside a <script> element: no ``<``, ``>``, ``&`` or U+2028/9 left raw."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _asset(name: str) -> str:
    if name.startswith("vis-network"):
        pyvis_folder = Path(inspect.getfile(pyvis_network())).parent
        path = pyvis_folder / "templates" / "lib" / "vis-9.1.2" / name
    else:
        path = ASSETS / name
    text = path.read_text(encoding="utf-8")
    if re.search(r"</(script|style)|<!--", text, re.IGNORECASE):
        raise KgError(f"{path}: cannot be inlined (contains </script>, </style> or <!--)")
    return text


# --------------------------------------------------------------------------------------------
# From a store (what kg build, kg html and KnowledgeGraph.to_html call)

ARTICLES_QUERY = """
SELECT ?id ?headline ?published ?outlet ?agency WHERE {
  ?article a kg:NewsArticle ; dcterms:identifier ?id .
  OPTIONAL { ?article schema:headline ?headline }
  OPTIONAL { ?article schema:datePublished ?published }
  OPTIONAL { ?article schema:publisher ?outlet }
  OPTIONAL { ?article kg:originatingAgency ?agency }
} ORDER BY ?id
"""


def article_infos(store: Any) -> dict[str, ArticleInfo]:
    """Title, date, outlet and agency of every article in a store, by article id."""
    found = {}
    for row in run_query(store, ARTICLES_QUERY):
        ident = str(row["id"])
        found[ident] = ArticleInfo(
            ident,
            row["headline"] or "",
            str(row["published"] or ""),
            _local(row["outlet"]),
            _local(row["agency"]),
        )
    return found


class ArticleInfos(Mapping[str, ArticleInfo]):
    """:func:`article_infos` read from a pyoxigraph store one article at a time, when asked
    for: a page names the few articles its claims come from, not all of them.

    >>> import kg
    >>> ArticleInfos(kg.load().store)["001_9a1418d7ed6deaae"].outlet
    'voa'
    """

    def __init__(self, store: Any) -> None:
        import pyoxigraph as ox

        from kg.ontology import KG, SCHEMA

        self._store, self._ox = store, ox
        self._read: dict[str, ArticleInfo] = {}
        self._fields = {
            str(SCHEMA.headline): "title",
            str(SCHEMA.datePublished): "published",
            str(SCHEMA.publisher): "outlet",
            str(KG.originatingAgency): "agency",
        }

    def __getitem__(self, ident: str) -> ArticleInfo:
        if ident not in self._read:
            self._read[ident] = self._article(ident)
        return self._read[ident]

    def _article(self, ident: str) -> ArticleInfo:
        from kg.ontology import article_iri

        ox = self._ox
        found: dict[str, str] = {}
        node = ox.NamedNode(str(article_iri(ident)))
        for quad in self._store.quads_for_pattern(node, None, None, ox.DefaultGraph()):
            field = self._fields.get(quad.predicate.value)
            if field and (field not in found or quad.object.value < found[field]):
                found[field] = quad.object.value
        if not found:
            raise KeyError(ident)
        return ArticleInfo(
            ident,
            found.get("title", ""),
            found.get("published", ""),
            _local(found.get("outlet")),
            _local(found.get("agency")),
        )

    def __iter__(self) -> Iterator[str]:
        return iter(article_infos(self._store))

    def __len__(self) -> int:
        return len(article_infos(self._store))


class QuoteContexts(Mapping[str, tuple[str, str]]):
    """The W3C TextQuoteSelector prefix and suffix of a claim, by claim IRI, read from a
    pyoxigraph store when asked for (a page shows a few hundred claims of perhaps millions).

    >>> import kg
    >>> g = kg.load()
    >>> claim = g.claims(subject="ifs", predicate="partOf")[0]["claim"]
    >>> before, after = QuoteContexts(g.store)[claim]
    >>> len(before) <= 32 and len(after) <= 32
    True
    """

    def __init__(self, store: Any) -> None:
        import pyoxigraph as ox

        from kg.ontology import OA

        self._store = store
        self._ox = ox
        self._terms = {
            name: ox.NamedNode(str(OA[name]))
            for name in ("hasTarget", "hasSelector", "prefix", "suffix", "exact")
        }

    def __getitem__(self, claim: str) -> tuple[str, str]:
        ox, terms = self._ox, self._terms

        def objects(subject: Any, predicate: str) -> list[Any]:
            return [
                q.object for q in self._store.quads_for_pattern(subject, terms[predicate], None)
            ]

        for target in objects(ox.NamedNode(claim), "hasTarget"):
            for selector in objects(target, "hasSelector"):
                if objects(selector, "exact"):  # the quote selector (not the position one)
                    prefix, suffix = objects(selector, "prefix"), objects(selector, "suffix")
                    return (
                        min((p.value for p in prefix), default=""),
                        min((s.value for s in suffix), default=""),
                    )
        raise KeyError(claim)

    def __iter__(self) -> Iterator[str]:
        seen = {
            q.subject.value
            for q in self._store.quads_for_pattern(None, self._terms["hasTarget"], None)
        }
        return iter(sorted(seen))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _local(iri: str | None) -> str | None:
    return iri.rsplit("/", 1)[-1] if iri else None


def page_from_store(
    store: Any,
    *,
    graph: nx.MultiDiGraph | None = None,
    texts: Mapping[str, str] | None = None,
    ontology: Ontology | None = None,
    **view: Any,
) -> Page:
    """The page for a view of a pyoxigraph store (view options as :func:`render_page`).

    ``graph`` is the store's projection when already at hand. Article ``texts`` by id show
    each quote in its paragraph; without them the page shows the 32 characters of W3C prefix
    and suffix stored with each quote.
    """
    onto = ontology or load_ontology()
    projected = graph if graph is not None else project(store, ontology=onto)
    contexts: Mapping[str, tuple[str, str]] = {} if texts else QuoteContexts(store)
    return render_page(
        projected,
        ontology=onto,
        articles=ArticleInfos(store),
        texts=texts,
        contexts=contexts,
        **view,
    )


def write_html(store: Any, path: Path | str, **options: Any) -> Page:
    """Write the page for a view of a store to ``path`` (options as :func:`page_from_store`).

    >>> import kg, tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "ifs.html"
    >>> page = write_html(kg.load().store, out, focus="IFS", hops=1)
    >>> page.path == out and out.read_bytes() == page.html
    True
    """
    page = page_from_store(store, **options)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(page.html)
    return replace(page, path=target)


def screenshot(
    html_path: Path | str, png_path: Path | str, *, width: int = 1600, height: int = 1000
) -> Path:
    """Open a page in headless Chromium (no network) and save a PNG of it."""
    import shutil

    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        raise KgError("screenshots need playwright: pip install 'kg[test]'") from err
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise KgError("screenshots need Chromium: apt-get install chromium")
    target = Path(png_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.split(":", 1)[0] in ("file", "data", "blob")
                    else route.abort()
                ),
            )
            page.goto(Path(html_path).resolve().as_uri())
            page.wait_for_function("window.kgReady === true")
            page.screenshot(path=str(target))
        finally:
            browser.close()
    return target


BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
