"""The ranked, bounded neighbourhood equals a brute-force ranking of every neighbour and path."""

from __future__ import annotations

import json
import random
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

import kg
from kg.cli import main
from kg.neighbourhood import links, ranked_neighbourhood
from kg.synth import synthesize


def _brute_force(graph: nx.MultiDiGraph, node: str, top: int) -> dict:
    first = links(graph, node)
    neighbours = sorted(first.items(), key=lambda i: (-i[1], i[0]))
    paths = []
    for via, strength in first.items():
        for other, second in links(graph, via).items():
            if other != node:
                paths.append((min(strength, second), via, other))
    paths.sort(key=lambda p: (-p[0], p[1], p[2]))
    return {
        "neighbours": [(n, s) for n, s in neighbours[:top]],
        "more_neighbours": max(0, len(neighbours) - top),
        "paths": [(v, o, s) for s, v, o in paths[:top]],
        "more_paths": len(paths) - min(top, len(paths)),
    }


def _shown(found: dict) -> dict:
    return {
        "neighbours": [(n["id"], n["sources"]) for n in found["neighbours"]],
        "more_neighbours": found["more_neighbours"],
        "paths": [(p["via"], p["id"], p["sources"]) for p in found["paths"]],
        "more_paths": found["more_paths"],
    }


def _random_graph(seed: int) -> nx.MultiDiGraph:
    rng = random.Random(seed)
    graph = nx.MultiDiGraph()
    names = [f"e{i:03d}" for i in range(80)]
    for name in names:
        graph.add_node(name, label=name.upper(), type="Thing")
    for _ in range(600):
        # skewed: low numbers are hubs; few distinct source counts, so ties are common
        a, b = (names[int(len(names) * rng.random() ** 3)] for _ in range(2))
        graph.add_edge(a, b, rng.choice("pqr"), predicate="p", sources=rng.randint(1, 4))
    return graph


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("top", [1, 3, 10])
def test_equals_the_brute_force_ranking(seed: int, top: int) -> None:
    graph = _random_graph(seed)
    for node in ("e000", "e001", "e040"):
        if node in graph:
            assert _shown(ranked_neighbourhood(graph, node, top)) == _brute_force(graph, node, top)


def test_the_hub_of_a_synthetic_corpus_visits_few_neighbours(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    synthesize(root, claims=3000, seed=2)
    graph = kg.load(root=root)
    projection = graph.nx
    hub = max(projection, key=lambda n: (projection.degree(n), n))
    found = graph.top_neighbours(hub, top=5)
    assert _shown(found) == _brute_force(projection, hub, 5)
    assert found["more_neighbours"] > 0 and found["more_paths"] > 100
    assert found["visited"] < len(links(projection, hub))  # the search stopped early


def test_the_focus_view_of_a_hub_shows_its_ranked_neighbourhood(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.html import views

    root = tmp_path / "corpus"
    synthesize(root, claims=3000, seed=2)
    projection = kg.load(root=root).evidence_graph  # what the page draws from
    hub = max(projection, key=lambda n: (projection.degree(n), n))
    monkeypatch.setattr(views, "HUB_NEIGHBOURS", 20)
    monkeypatch.setattr(views, "HUB_TOP", 4)
    view = views.select_view(projection, focus=hub, hops=2)
    found = ranked_neighbourhood(projection, hub, 4)
    expected = {hub} | {n["id"] for n in found["neighbours"]}
    expected |= {p["via"] for p in found["paths"]} | {p["id"] for p in found["paths"]}
    assert set(view.graph) <= expected and len(view.graph) > 4
    assert any("showing the 4 with the most independent sources" in n for n in view.notes)
    assert f"{found['more_paths']:,} other paths left out" in " ".join(view.notes)


def test_cli_top_neighbours() -> None:
    result = CliRunner().invoke(main, ["neighbours", "china", "--top", "2", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert len(found["neighbours"]) == 2 and found["more_neighbours"] > 0
    assert [p["sources"] for p in found["paths"]] == sorted(
        (p["sources"] for p in found["paths"]), reverse=True
    )
    table = CliRunner().invoke(main, ["neighbours", "china", "--top", "2"])
    assert "2 neighbours of china with the most independent sources (" in table.output
