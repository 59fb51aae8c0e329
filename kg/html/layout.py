"""Layout: where each entity is drawn, how its label wraps, which edge labels are drawn.

Positions are computed here (no physics in the browser), deterministically.
"""

from __future__ import annotations

import math
import textwrap
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

FONT_SIZE = 15
EDGE_FONT_SIZE = 15
#: vis-network draws a node's label this far under its shape (measured in Chromium).
LABEL_GAP = 11.5
WRAP = 22
EDGE_LENGTH = 150.0
#: How much longer an edge at a hub (per doubling of degree) and each parallel edge makes a pair.
HUB_STRETCH = 0.5
PARALLEL_STRETCH = 0.35
#: Entities with at least this many neighbours (and among the 8 best connected) are hubs: two
#: hubs are kept HUB_GAP edge lengths apart, with this much more weight than other pairs.
HUB_DEGREE = 5
#: How far (in pixels at zoom 1) an edge passes at least from an entity that is not its end.
EDGE_CLEARANCE = 6.0
#: An edge that no curve keeps off an entity may move that entity (or one of its own ends) aside,
#: if it has at most this many edges; at most MAX_STUCK such edges are tried (time stays bounded).
MOVABLE_DEGREE = 8
MAX_STUCK = 60
HUB_GAP = 5.0
HUB_WEIGHT = 500.0
PADDING = 10.0
#: The graph area of a 1400x900 screen, about: a smaller layout is spread out to fill it.
FILL = (1100.0, 750.0)
#: The most a graph of up to ``BUDGET_NODES`` entities may measure (shapes and labels, plus the
#: room edges routed around entities take): the page's graph area at 1400x900 is 1180x809 px,
#: so the fitted view's zoom stays at 0.68 or more and 15 px labels at 10 px or more.
BUDGET = (1680.0, 1130.0)
BUDGET_NODES = 150
MIN_EDGE_LENGTH = 120.0
#: The turns (radians) tried when a small graph does not fit ``BUDGET``.
TURNS = (0.0, 0.5, 1.0, 1.5708, 2.1, 2.6)
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
class NodeBox:
    """A node drawn with its label underneath, relative to the node centre."""

    left: float
    right: float
    top: float
    bottom: float

    @property
    def radius(self) -> float:
        """The size of the node's shape (its half-width)."""
        return -self.top - PADDING / 2


def node_box(size: float, label: str) -> NodeBox:
    lines = label.split("\n")
    half = max(size, max(text_width(line, FONT_SIZE) for line in lines) / 2) + PADDING / 2
    bottom = size + LABEL_GAP + _label_height(lines) + PADDING / 2
    return NodeBox(-half, half, -size - PADDING / 2, bottom)


def _label_height(lines: list[str]) -> float:
    """The height vis-network gives a node label (measured: the font size per line)."""
    return FONT_SIZE * len(lines) + 2


def layout(graph: nx.MultiDiGraph, boxes: Mapping[str, NodeBox]) -> dict[str, tuple[int, int]]:
    """Integer positions: each component laid out by stress majorization (hubs held apart),
    scaled to readable edge lengths, entities moved off edges that are not theirs, label boxes
    pushed apart, components packed in rows under the largest.

    A graph small enough to be read whole is laid out with shorter edges (down to
    ``MIN_EDGE_LENGTH``) until it fits ``BUDGET``: the page's fitted view of it then draws
    every label at 10 px or more on a 1400x900 screen, whatever the exact data.
    """
    positions = _layout_at(graph, boxes, EDGE_LENGTH, 0.0)
    if len(graph) > BUDGET_NODES:
        return positions
    best = (_extent(positions, boxes), positions)
    for turn in TURNS:  # the same layout turned: the clearance moves then take other room
        for length in (EDGE_LENGTH, MIN_EDGE_LENGTH):
            if best[0] <= 1.0:
                return best[1]
            if turn == 0.0 and length == EDGE_LENGTH:
                continue  # the first layout above
            positions = _layout_at(graph, boxes, length, turn)
            best = min(best, (_extent(positions, boxes), positions), key=lambda b: b[0])
    return best[1]


def _extent(positions: Mapping[str, tuple[int, int]], boxes: Mapping[str, NodeBox]) -> float:
    """How many times the drawing (shapes and labels) exceeds ``BUDGET`` (at most 1: it fits).

    >>> box = NodeBox(-20, 20, -15, 40)
    >>> _extent({"a": (0, 0), "b": (BUDGET[0], 0)}, {"a": box, "b": box}) > 1
    True
    """
    if not positions:
        return 0.0
    left = min(x + boxes[n].left for n, (x, _y) in positions.items())
    right = max(x + boxes[n].right for n, (x, _y) in positions.items())
    top = min(y + boxes[n].top for n, (_x, y) in positions.items())
    bottom = max(y + boxes[n].bottom for n, (_x, y) in positions.items())
    return max((right - left) / BUDGET[0], (bottom - top) / BUDGET[1])


def _layout_at(
    graph: nx.MultiDiGraph, boxes: Mapping[str, NodeBox], edge_length: float, turn: float
) -> dict[str, tuple[int, int]]:
    """The layout with a median edge length of ``edge_length``, turned by ``turn`` radians,
    before the clearance moves."""
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
            coords = coords / max(float(np.median(lengths)), 1e-9) * edge_length
            cos, sin = math.cos(turn), math.sin(turn)
            coords = coords @ np.array([[cos, sin], [-sin, cos]])
            coords = _widen(_spread(coords, [boxes[n] for n in nodes]))
            coords = _off_edges(coords, ends, [boxes[n] for n in nodes])
            room = np.array([_label_room(graph, nodes[a], nodes[b]) for a, b in ends])
            coords = _lengthen(coords, ends, [boxes[n] for n in nodes], room)
            coords = _clear_label_spots(coords, ends, [boxes[n] for n in nodes], room)
        coords = _remove_overlaps(coords, [boxes[n] for n in nodes])
        placed.append((nodes, coords))
    return _fill(_pack(placed, boxes), boxes)


def _fill(
    positions: dict[str, tuple[int, int]], boxes: Mapping[str, NodeBox]
) -> dict[str, tuple[int, int]]:
    """A small view spread out (up to twice) to fill a screen's graph area at zoom 1: longer
    edges leave room for their labels, and entities and labels keep their size.

    >>> box = NodeBox(-20, 20, -15, 40)
    >>> _fill({"a": (0, 0), "b": (100, 0)}, {"a": box, "b": box})
    {'a': (0, 0), 'b': (200, 0)}
    """
    if not positions:
        return positions
    left = min(x + boxes[n].left for n, (x, _y) in positions.items())
    right = max(x + boxes[n].right for n, (x, _y) in positions.items())
    top = min(y + boxes[n].top for n, (_x, y) in positions.items())
    bottom = max(y + boxes[n].bottom for n, (_x, y) in positions.items())
    factor = min(FILL[0] / max(right - left, 1.0), FILL[1] / max(bottom - top, 1.0), 2.0)
    if factor <= 1.0 or len(positions) < 2:
        return positions
    x0, y0 = min(x for x, _y in positions.values()), min(y for _x, y in positions.values())
    return {
        node: (round(x0 + (x - x0) * factor), round(y0 + (y - y0) * factor))
        for node, (x, y) in positions.items()
    }


def _label_room(graph: nx.MultiDiGraph, u: str, v: str) -> float:
    """The length an edge between ``u`` and ``v`` needs for its widest label."""
    labels = [
        str(data.get("label", key))
        for a, b in ((u, v), (v, u))
        if graph.has_edge(a, b)
        for key, data in graph[a][b].items()
    ]
    return max((text_width(label, EDGE_FONT_SIZE) for label in labels), default=0.0) + 12.0


def _lengthen(coords: Any, ends: Any, boxes: list[NodeBox], room: Any, rounds: int = 30) -> Any:
    """Push apart the two ends of edges too short for their label to sit between the ends'
    shapes (label boxes are not counted: they sit below). Deterministic."""
    import numpy as np

    coords = coords.copy()
    radius = np.array([b.radius for b in boxes])
    need = room + radius[ends[:, 0]] + radius[ends[:, 1]]
    for _ in range(rounds):
        delta = coords[ends[:, 1]] - coords[ends[:, 0]]
        length = np.sqrt((delta**2).sum(axis=1))
        short = length < need
        if not short.any():
            break
        unit = delta[short] / np.maximum(length[short], 1e-9)[:, None]
        push = ((need[short] - length[short]) / 2)[:, None] * unit * 0.5
        np.add.at(coords, ends[short, 0], -push)
        np.add.at(coords, ends[short, 1], push)
    return coords


def _clear_label_spots(
    coords: Any, ends: Any, boxes: list[NodeBox], room: Any, rounds: int = 20
) -> Any:
    """Move entities (shape and label) off the middle of edges that are not theirs, where a
    straight edge's label is drawn. Deterministic."""
    import numpy as np

    coords = coords.copy()
    box = np.array([(b.left, b.top, b.right, b.bottom) for b in boxes])
    half_w, half_h = room / 2, EDGE_FONT_SIZE / 2 + 4
    index = np.arange(len(boxes))
    foreign = (index[None, :] != ends[:, 0, None]) & (index[None, :] != ends[:, 1, None])
    for _ in range(rounds):
        mid = (coords[ends[:, 0]] + coords[ends[:, 1]]) / 2
        left = coords[None, :, 0] + box[None, :, 0]
        right = coords[None, :, 0] + box[None, :, 2]
        top = coords[None, :, 1] + box[None, :, 1]
        bottom = coords[None, :, 1] + box[None, :, 3]
        dx = np.minimum(
            right - (mid[:, 0, None] - half_w[:, None]), (mid[:, 0, None] + half_w[:, None]) - left
        )
        dy = np.minimum(bottom - (mid[:, 1, None] - half_h), (mid[:, 1, None] + half_h) - top)
        hit = foreign & (dx > 0) & (dy > 0)
        if not hit.any():
            break
        edge, node = np.nonzero(hit)
        away = coords[node] - mid[edge]
        # along the axis of least overlap, away from the label spot
        step = np.zeros_like(away)
        by_x = dx[edge, node] <= dy[edge, node]
        step[by_x, 0] = np.where(away[by_x, 0] >= 0, 1, -1) * (dx[edge, node][by_x] + 2)
        step[~by_x, 1] = np.where(away[~by_x, 1] >= 0, 1, -1) * (dy[edge, node][~by_x] + 2)
        np.add.at(coords, node, step * 0.5)
    return coords


def _off_edges(coords: Any, ends: Any, boxes: list[NodeBox], rounds: int = 80) -> Any:
    """Move each entity off the straight edges that pass over it but are not its own, a few
    pixels clear (label boxes are kept apart too). Deterministic.

    All edge-entity pairs are checked every eighth round (those within ``reach`` become the
    candidates); the rounds between look at the candidates alone.
    """
    import numpy as np

    coords = coords.copy()
    radius = np.array([b.radius for b in boxes]) + EDGE_CLEARANCE
    reach = radius + 60.0
    index = np.arange(len(boxes))
    edge = node = np.zeros(0, dtype=int)
    for number in range(rounds):
        if number % 8 == 0:
            if number:
                coords = _remove_overlaps(coords, boxes)
            _nearest, _along, distance = _nearest_on_segments(
                coords, coords[ends[:, 0]], coords[ends[:, 1]]
            )
            foreign = (index[None, :] != ends[:, 0, None]) & (index[None, :] != ends[:, 1, None])
            edge, node = np.nonzero(foreign & (distance < reach[None, :]))
            if not len(edge):
                break
        start, end = coords[ends[edge, 0]], coords[ends[edge, 1]]
        delta = end - start
        along = np.clip(
            ((coords[node] - start) * delta).sum(axis=1) / np.maximum((delta**2).sum(axis=1), 1e-9),
            0.0,
            1.0,
        )
        away = coords[node] - (start + along[:, None] * delta)
        length = np.sqrt((away**2).sum(axis=1))
        hit = length < radius[node]
        if not hit.any():
            if number % 8 == 0:
                break
            continue
        normal = np.stack([-delta[:, 1], delta[:, 0]], axis=1)
        normal /= np.maximum(np.sqrt((normal**2).sum(axis=1)), 1e-9)[:, None]
        direction = np.where(
            (length > 1e-6)[:, None], away / np.maximum(length, 1e-9)[:, None], normal
        )
        move = np.zeros_like(coords)
        np.add.at(move, node[hit], (direction * (radius[node] - length + 1.0)[:, None])[hit])
        coords += move
    return coords


def _nearest_on_segments(points: Any, start: Any, end: Any) -> tuple[Any, Any, Any]:
    """For every segment (rows) and point (columns): the nearest point of the segment, how far
    along it lies (0 to 1) and its distance."""
    import numpy as np

    delta = end - start
    squared = np.maximum((delta**2).sum(axis=1), 1e-9)
    along = (
        (points[None, :, 0] - start[:, None, 0]) * delta[:, None, 0]
        + (points[None, :, 1] - start[:, None, 1]) * delta[:, None, 1]
    ) / squared[:, None]
    along = np.clip(along, 0.0, 1.0)
    nearest = start[:, None, :] + along[:, :, None] * delta[:, None, :]
    distance = np.sqrt(((points[None, :, :] - nearest) ** 2).sum(axis=2))
    return nearest, along, distance


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
    # hubs apart: two well-connected entities keep at least HUB_GAP between them, held firmly
    # (their many shared neighbours would otherwise pull them together)
    degree = np.array([sub.degree(node) for node in nodes])
    hub = degree >= max(HUB_DEGREE, float(np.sort(degree)[-min(n, 8)]))
    pair = np.outer(hub, hub)
    np.fill_diagonal(pair, False)
    dist = np.where(pair, np.maximum(dist, HUB_GAP), dist)
    with np.errstate(divide="ignore"):
        weight = np.where(dist > 0, dist**-2.0, 0.0) * np.where(pair, HUB_WEIGHT, 1.0)
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


def _spread(coords: Any, boxes: list[NodeBox], density: float = 0.6) -> Any:
    """Scale a crowded layout up until the label boxes cover at most ``density`` of its area."""
    import numpy as np

    if len(boxes) < 10:
        return coords
    area = sum((b.right - b.left) * (b.bottom - b.top) for b in boxes)
    span = coords.max(axis=0) - coords.min(axis=0) + EDGE_LENGTH
    ratio = area / float(span[0] * span[1])
    return coords * math.sqrt(ratio / density) if ratio > density else coords + np.zeros(1)


#: The least gap, in pixels, that _remove_overlaps leaves between two entities' boxes.
GAP = 2.0


def _remove_overlaps(coords: Any, boxes: list[NodeBox], margin: float = 40.0) -> Any:
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
        # boxes closer than GAP count as overlapping: positions are rounded to whole pixels
        # later (twice at most), which can close a smaller gap
        hit = (ox > -GAP) & (oy > -GAP)
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
                np.where(along_x, side_x * ((ox + GAP) / 2 + 0.5), 0.0),
                np.where(~along_x, side_y * ((oy + GAP) / 2 + 0.5), 0.0),
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
    placed: list[tuple[list[str], Any]], boxes: Mapping[str, NodeBox]
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


def crowded_edge_labels(
    edges: list[dict[str, Any]],
    positions: Mapping[str, tuple[int, int]],
    shapes: Mapping[str, tuple[float, str]],
) -> set[str]:
    """Edges (most important first) whose label would overlap a node, its label or a more
    important edge's label: these labels are not drawn (the page script checks again with the
    sizes the browser measures, and when an entity is selected)."""
    import numpy as np

    # each node is two rectangles: its shape, and its label underneath
    taken = np.zeros((2 * len(positions) + len(edges), 4))
    count = 0
    for node, (x, y) in sorted(positions.items()):
        size, label = shapes[node]
        lines = label.split("\n")
        half = max(text_width(line, FONT_SIZE) for line in lines) / 2 + 2
        taken[count] = (x - size - 2, y - size - 2, x + size + 2, y + size + 2)
        taken[count + 1] = (
            x - half,
            y + size,
            x + half,
            y + size + LABEL_GAP + _label_height(lines),
        )
        count += 2
    crowded = set()
    for edge in edges:
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
    via_x, via_y = _via(start, end, smooth)
    return 0.25 * x1 + 0.5 * via_x + 0.25 * x2, 0.25 * y1 + 0.5 * via_y + 0.25 * y2


def edge_curve(u: str, v: str, rank: int, count: int) -> dict[str, Any] | None:
    """Parallel edges between one pair curve apart; a single edge is straight."""
    if u == v:
        return None
    if count == 1:
        return {"enabled": False}
    offset = (rank - (count - 1) / 2) * min(0.35, 1.4 / (count - 1))  # roundness within ±0.7
    if u > v:
        offset = -offset
    return _smooth_for(offset)


def route_edges(
    edges: list[dict[str, Any]],
    positions: dict[str, tuple[int, int]],
    boxes: Mapping[str, NodeBox],
    rounds: int = 4,
) -> None:
    """Route the edges (``_route_once``) again while one still passes over an entity that is
    not its end (an entity moved aside can put it under another edge), checked with the
    geometry the browser draws, at most ``rounds`` times."""
    import numpy as np

    for _ in range(rounds):
        _route_once(edges, positions, boxes)
        ids = sorted(positions)
        centres = np.array([positions[n] for n in ids], dtype=float)
        radius = np.array([boxes[n].radius for n in ids]) + EDGE_CLEARANCE / 2
        if not _edges_over_entities(edges, centres, radius, {n: i for i, n in enumerate(ids)}):
            return


def _route_once(
    edges: list[dict[str, Any]],
    positions: dict[str, tuple[int, int]],
    boxes: Mapping[str, NodeBox],
) -> None:
    """Keep every edge off the entities that are not its ends, in place: an edge that passes
    over one gets the least curve (vis-network's ``smooth`` option) that clears every entity
    and differs from the curves of its parallel edges; where no curve does, the entity under
    it (or an end of the edge) moves aside (``positions`` changes) to the nearest place where
    no edge passes over it, its own edges pass over nothing and its box overlaps no other;
    entities with many edges stay where they are.
    """
    import numpy as np

    ids = sorted(positions)
    centres = np.array([positions[n] for n in ids], dtype=float)
    radius = np.array([boxes[n].radius for n in ids]) + EDGE_CLEARANCE / 2
    where = {n: i for i, n in enumerate(ids)}
    siblings: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for edge in edges:
        siblings.setdefault(tuple(sorted((edge["from"], edge["to"]))), []).append(edge)

    def blocking(edge: dict[str, Any], smooth: Mapping[str, Any] | None) -> Any:
        u, v = edge["from"], edge["to"]
        path = np.array(curve_points(centres[where[u]], centres[where[v]], smooth))
        low, high = path.min(axis=0) - radius.max(), path.max(axis=0) + radius.max()
        near = np.nonzero(((centres >= low) & (centres <= high)).all(axis=1))[0]
        near = near[(near != where[u]) & (near != where[v])]
        if not len(near):
            return near
        _nearest, _along, distance = _nearest_on_segments(centres[near], path[:-1], path[1:])
        return near[distance.min(axis=0) < radius[near]]

    offsets = [0.0] + [s * k / 10 for k in range(1, 8) for s in (1, -1)]
    stuck = []
    for edge in _edges_over_entities(edges, centres, radius, where):
        if not len(blocking(edge, edge.get("smooth"))):
            continue
        pair = siblings[tuple(sorted((edge["from"], edge["to"])))]
        taken = {_signed_roundness(e) for e in pair if e is not edge}
        for offset in offsets:
            if round(offset, 3) in taken:
                continue
            smooth = _smooth_for(offset)
            if not len(blocking(edge, smooth)):
                edge["smooth"] = smooth
                break
        else:
            stuck.append(edge)
    if not stuck:
        return
    incident: dict[int, list[dict[str, Any]]] = {}
    for edge in edges:
        if edge["from"] != edge["to"]:
            incident.setdefault(where[edge["from"]], []).append(edge)
            incident.setdefault(where[edge["to"]], []).append(edge)
    rect = np.array([(b.left, b.top, b.right, b.bottom) for b in (boxes[n] for n in ids)])
    compass = [(math.cos(k * math.pi / 4), math.sin(k * math.pi / 4)) for k in range(8)]
    drawn = [e for e in edges if e["from"] != e["to"]]

    def segments() -> tuple[Any, Any, Any]:
        paths = [
            np.array(
                curve_points(centres[where[e["from"]]], centres[where[e["to"]]], e.get("smooth"))
            )
            for e in drawn
        ]
        owner = np.repeat(np.arange(len(drawn)), [len(path) - 1 for path in paths])
        return (
            np.concatenate([path[:-1] for path in paths]),
            np.concatenate([path[1:] for path in paths]),
            owner,
        )

    def free_at(node: int, spot: Any, lines: tuple[Any, Any, Any], own: Any) -> bool:
        box = rect[node] + np.array([spot[0], spot[1], spot[0], spot[1]])
        others = rect + np.concatenate([centres, centres], axis=1)
        overlap = (
            (others[:, 0] < box[2])
            & (box[0] < others[:, 2])
            & (others[:, 1] < box[3])
            & (box[1] < others[:, 3])
        )
        overlap[node] = False
        if overlap.any():
            return False
        start, end, owner = lines
        _nearest, _along, distance = _nearest_on_segments(spot[None, :], start, end)
        if (distance[~own[owner], 0] < radius[node]).any():
            return False  # an edge would pass over the entity
        saved = centres[node].copy()
        centres[node] = spot
        try:  # none of its own edges may pass over another entity
            return not any(len(blocking(e, e.get("smooth"))) for e in incident.get(node, ()))
        finally:
            centres[node] = saved

    for edge in stuck[:MAX_STUCK]:
        # the entities under it, else one of its ends (the one with fewer edges first)
        ends = sorted(
            (where[edge["from"]], where[edge["to"]]), key=lambda i: len(incident.get(i, ()))
        )
        for node in [*blocking(edge, edge.get("smooth")), *ends]:
            if not len(blocking(edge, edge.get("smooth"))):
                break
            if len(incident.get(node, ())) > MOVABLE_DEGREE:
                continue  # a hub stays: moving it would re-route many edges
            lines = segments()
            own = np.array([e["from"] == ids[node] or e["to"] == ids[node] for e in drawn])
            step = float(radius[node])
            for spot in (
                centres[node] + step * k * np.array(direction)
                for k in range(1, 13)
                for direction in compass
            ):
                if free_at(int(node), spot, lines, own):
                    centres[node] = np.round(spot)
                    positions[ids[node]] = (int(centres[node][0]), int(centres[node][1]))
                    break


def _edges_over_entities(
    edges: list[dict[str, Any]], centres: Any, radius: Any, where: Mapping[str, int]
) -> list[dict[str, Any]]:
    """The edges that pass over an entity not their own, all checked at once (a page of a large
    graph has hundreds)."""
    import numpy as np

    drawn = [e for e in edges if e["from"] != e["to"]]
    if not drawn:
        return []
    paths = [
        np.array(curve_points(centres[where[e["from"]]], centres[where[e["to"]]], e.get("smooth")))
        for e in drawn
    ]
    owner = np.repeat(np.arange(len(drawn)), [len(path) - 1 for path in paths])
    start = np.concatenate([path[:-1] for path in paths])
    end = np.concatenate([path[1:] for path in paths])
    _nearest, _along, distance = _nearest_on_segments(centres, start, end)
    over = distance < radius[None, :]
    ends = np.array([(where[e["from"]], where[e["to"]]) for e in drawn])
    over[np.arange(len(owner)), ends[owner, 0]] = False
    over[np.arange(len(owner)), ends[owner, 1]] = False
    blocked = np.zeros(len(drawn), dtype=bool)
    np.logical_or.at(blocked, owner, over.any(axis=1))
    return [edge for edge, hit in zip(drawn, blocked, strict=True) if hit]


def _signed_roundness(edge: Mapping[str, Any]) -> float:
    smooth = edge.get("smooth") or {}
    if not smooth.get("enabled"):
        return 0.0
    sign = 1 if smooth["type"] == "curvedCW" else -1
    return round(sign * float(smooth["roundness"]), 3)


def _smooth_for(offset: float) -> dict[str, Any]:
    if offset == 0:
        return {"enabled": False}
    return {
        "enabled": True,
        "type": "curvedCW" if offset > 0 else "curvedCCW",
        "roundness": round(abs(offset), 3),
    }


def curve_points(
    start: Any,
    end: Any,
    smooth: Mapping[str, Any] | None,
    steps: int = 16,
) -> list[tuple[float, float]]:
    """Points along an edge as vis-network draws it: the two ends of a line, or ``steps`` + 1
    points of a quadratic curve.

    >>> curve_points((0, 0), (10, 0), None)
    [(0.0, 0.0), (10.0, 0.0)]
    >>> len(curve_points((0, 0), (10, 0), {"enabled": True, "type": "curvedCW", "roundness": 0.2}))
    17
    """
    (x1, y1), (x2, y2) = start, end
    if not smooth or not smooth.get("enabled"):
        return [(float(x1), float(y1)), (float(x2), float(y2))]
    via_x, via_y = _via(start, end, smooth)
    return [
        (
            float((1 - t) ** 2 * x1 + 2 * t * (1 - t) * via_x + t**2 * x2),
            float((1 - t) ** 2 * y1 + 2 * t * (1 - t) * via_y + t**2 * y2),
        )
        for t in (k / steps for k in range(steps + 1))
    ]


def _via(
    start: tuple[float, float], end: tuple[float, float], smooth: Mapping[str, Any]
) -> tuple[float, float]:
    """The control point of vis-network's curvedCW / curvedCCW edges."""
    (x1, y1), (x2, y2) = start, end
    roundness = float(smooth["roundness"])
    dx, dy = x2 - x1, y1 - y2
    length = math.hypot(dx, dy)
    factor = -roundness if smooth["type"] == "curvedCCW" else roundness
    angle = (math.atan2(dy, dx) + (0.5 * factor + 0.5) * math.pi) % (2 * math.pi)
    return (
        x1 + (0.5 * roundness + 0.5) * length * math.sin(angle),
        y1 + (0.5 * roundness + 0.5) * length * math.cos(angle),
    )
