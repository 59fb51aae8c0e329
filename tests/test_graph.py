"""The NetworkX projection and the graph functions of kg.graph."""

from __future__ import annotations

import io
import json
from pathlib import Path

import networkx as nx
import pytest
import yaml

from kg import graph as graphs
from kg.analysis import corroboration as row_corroboration
from kg.graph import (
    centrality,
    communities,
    corroboration,
    ego_network,
    neighbours,
    paths,
    project,
    relations,
    to_graphml,
    transitive,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def toy() -> nx.MultiDiGraph:
    """ifs → mps → china ← xi, plus a parallel edge and an isolated node."""
    g = nx.MultiDiGraph(
        [
            ("ifs", "mps", "partOf"),
            ("mps", "china", "partOf"),
            ("xi", "china", "headOf"),
            ("xi", "china", "visited"),
        ]
    )
    g.add_node("alone")
    return g


def test_projection_is_built_from_the_rdf(graph):
    g = graph.evidence_graph
    assert set(g.nodes) == set(graph.entities)
    for node, data in g.nodes(data=True):
        assert data["label"] == graph.entities[node].label
        assert data["type"] == graph.entities[node].type
    object_claims = [r for r in graph.claim_rows if r["object_is_entity"]]
    assert sum(len(d["claims"]) for _, _, d in g.edges(data=True)) == len(object_claims)
    facts = sum(len(d["facts"]) for _, d in g.nodes(data=True))
    assert facts == len(graph.claim_rows) - len(object_claims)


def test_projection_edges_carry_their_sources(graph):
    records = []
    for path in sorted((ROOT / "data" / "claims").glob("*.yaml")):
        records += [(path.stem, r) for r in yaml.safe_load(path.read_text(encoding="utf-8"))]
    edge = graph.evidence_graph.edges["ifs", "ministry-of-public-security", "partOf"]
    expected = sorted(
        {
            a
            for a, r in records
            if (r["subject"], r["predicate"], r["object"])
            == ("ifs", "partOf", "ministry-of-public-security")
        }
    )
    assert edge["articles"] == expected
    assert edge["outlets"] == ["scmp", "voa"] and edge["agencies"] == ["afp"]
    assert edge["sources"] == len(expected)
    assert all(c["quote"] and c["end"] > c["start"] for c in edge["claims"])


def test_projection_reuses_given_rows_and_ontology(graph):
    again = project(graph.store, graph.claim_rows, graph.ontology)
    assert nx.utils.edges_equal(again.edges(keys=True), graph.evidence_graph.edges(keys=True))


def test_relations_both_directions(toy):
    found = relations(toy, "china", "xi")
    assert [(r["predicate"], r["direction"]) for r in found] == [
        ("headOf", "backward"),
        ("visited", "backward"),
    ]
    assert relations(toy, "ifs", "xi") == []


def test_paths_shortest_first_with_limits(toy):
    [only] = paths(toy, "xi", "ifs")
    assert only["nodes"] == ["xi", "china", "mps", "ifs"] and only["length"] == 3
    assert [len(h["relations"]) for h in only["hops"]] == [2, 1, 1]
    assert paths(toy, "xi", "ifs", max_hops=2) == []
    assert paths(toy, "xi", "alone") == []
    assert paths(toy, "xi", "xi") == [{"nodes": ["xi"], "hops": [], "length": 0}]
    with pytest.raises(nx.NodeNotFound):
        paths(toy, "xi", "nobody")


def test_paths_are_deterministic_and_limited(graph):
    first = paths(graph.evidence_graph, "xi-jinping", "ifs", max_hops=4, limit=5)
    second = paths(project(graph.store), "xi-jinping", "ifs", max_hops=4, limit=5)
    assert [p["nodes"] for p in first] == [p["nodes"] for p in second]
    assert len(first) == 5
    assert [p["length"] for p in first] == sorted(p["length"] for p in first)


def test_ego_network_and_neighbours(toy):
    assert sorted(ego_network(toy, "china", 1)) == ["china", "mps", "xi"]
    assert sorted(ego_network(toy, "china", 2)) == ["china", "ifs", "mps", "xi"]
    found = neighbours(toy, "ifs", hops=3)
    assert [(n["id"], n["distance"]) for n in found] == [("mps", 1), ("china", 2), ("xi", 3)]
    assert [r["predicate"] for r in found[2]["relations"]] == ["headOf", "visited"]
    assert neighbours(toy, "alone", hops=3) == []


def test_centrality_on_the_seed_graph(graph):
    found = centrality(graph.evidence_graph)
    assert len(found) == graph.evidence_graph.number_of_nodes()
    assert abs(sum(r["pagerank"] for r in found) - 1) < 1e-3
    ranks = [r["pagerank"] for r in found]
    assert ranks == sorted(ranks, reverse=True)
    assert found[0]["id"] == "united-states" and "china" in [r["id"] for r in found[:3]]
    china = next(r for r in found if r["id"] == "china")
    assert (
        china["degree"]
        == china["in_degree"] + china["out_degree"]
        == graph.evidence_graph.degree("china")
    )


def test_centrality_of_an_empty_graph():
    assert centrality(nx.MultiDiGraph()) == []
    assert [r["pagerank"] for r in centrality(nx.MultiDiGraph([("a", "b", "p")]))] != []


def test_communities_partition_the_nodes_the_same_way_every_time(graph):
    first = communities(graph.evidence_graph)
    assert sorted(n for group in first for n in group) == sorted(graph.evidence_graph)
    assert communities(project(graph.store)) == first
    assert any({"nancy-pelosi", "pelosi-taiwan-visit", "taiwan"} <= set(g) for g in first)


def test_corroboration_on_the_graph_matches_the_rows(graph):
    from_graph = {
        (r["subject"], r["predicate"], str(r["object"])): r
        for r in corroboration(graph.evidence_graph)
    }
    from_rows = {
        (r["subject"], r["predicate"], r["object"]): r for r in row_corroboration(graph.claim_rows)
    }
    assert from_graph.keys() == from_rows.keys()
    for key, row in from_rows.items():
        assert from_graph[key]["sources"] == row["sources"]
        assert from_graph[key]["outlets"] == row["outlets"]


def test_transitive_part_of(graph, toy):
    assert transitive(graph.evidence_graph, "ifs") == ["china", "ministry-of-public-security"]
    assert transitive(graph.evidence_graph, "woodside") == ["california"]
    assert transitive(toy, "ifs") == ["china", "mps"]
    assert transitive(toy, "nobody") == []


def test_graphml_is_deterministic_and_readable(graph):
    data = to_graphml(graph.evidence_graph)
    assert data == to_graphml(project(graph.store))
    back = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    assert set(back.nodes) == set(graph.evidence_graph.nodes)
    assert back.number_of_edges() == graph.evidence_graph.number_of_edges()
    ifs = back.nodes["ifs"]
    assert ifs["label"] == "Institute of Forensic Science"
    assert json.loads(ifs["aliases"]) == graph.evidence_graph.nodes["ifs"]["aliases"]
    # edge ids are SUBJECT.PREDICATE.OBJECT, unique in the file (readers use them as keys)
    mps = "ministry-of-public-security"
    edge = back.edges["ifs", mps, f"ifs.partOf.{mps}"]
    assert edge["predicate"] == "partOf"
    claims = json.loads(edge["claims"])
    assert {c["article"] for c in claims} == set(
        graph.evidence_graph.edges["ifs", "ministry-of-public-security", "partOf"]["articles"]
    )
    text = data.decode()
    node_ids = [line.split('"')[1] for line in text.splitlines() if "<node id=" in line]
    assert node_ids == sorted(node_ids)


def test_graphml_flattens_sets_dicts_and_none():
    g = nx.MultiDiGraph()
    g.add_node("b", tags={"y", "x"}, meta={"k": 1}, missing=None)
    g.add_node("a", tags={"z"}, meta={}, missing="")
    text = to_graphml(g).decode()
    assert text.index('<node id="a">') < text.index('<node id="b">')
    assert '["x", "y"]' in text and '{"k": 1}' in text


def test_find_claims_reads_the_same_rows_as_the_full_scan(graph):
    import pyoxigraph as ox

    from kg.ontology import KG, article_iri, entity_iri

    rows = graph.claim_rows

    def iri(ident: str) -> ox.NamedNode:
        return ox.NamedNode(entity_iri(ident))

    for s, p, o in {
        (r["subject"], r["predicate"], r["object"]) for r in rows if r["object_is_entity"]
    }:
        expected = [r for r in rows if (r["subject"], r["predicate"], r["object"]) == (s, p, o)]
        assert graphs.find_claims(graph.store, iri(s), ox.NamedNode(KG[p]), iri(o)) == expected
    for s in {r["subject"] for r in rows}:
        assert graphs.find_claims(graph.store, iri(s)) == [r for r in rows if r["subject"] == s]
    for p in {r["predicate"] for r in rows}:
        found = graphs.find_claims(graph.store, predicate=ox.NamedNode(KG[p]))
        assert found == [r for r in rows if r["predicate"] == p]
    article = rows[0]["article"]
    found = graphs.find_claims(graph.store, graph=ox.NamedNode(article_iri(article)))
    assert found == [r for r in rows if r["article"] == article]
    literal = next(r for r in rows if not r["object_is_entity"])
    found = graphs.find_claims(
        graph.store, iri(literal["subject"]), ox.NamedNode(KG[literal["predicate"]]), obj=None
    )
    assert literal in found
    assert graphs.find_claims(graph.store) == rows


def test_make_row_refuses_unknown_fields():
    with pytest.raises(TypeError, match="unknown fields"):
        graphs.make_row("a", "p", "b", speeker="x")


def test_pagerank_matches_networkx(graph):
    # networkx's pagerank needs scipy (a test-only dependency); kg's own does not
    simple = nx.DiGraph()
    simple.add_nodes_from(graph.evidence_graph.nodes)
    simple.add_edges_from((u, v) for u, v in graph.evidence_graph.edges() if u != v)
    expected = nx.pagerank(simple)
    found = graphs.pagerank(graph.evidence_graph)
    assert found.keys() == expected.keys()
    assert max(abs(found[n] - expected[n]) for n in expected) < 1e-9


# --- the projection of a large store: claims read when first used ---------------------------


def test_lazy_projection_equals_the_projection_of_all_claim_rows(graph):
    lazy = project(graph.store, ontology=graph.ontology)
    eager = project(graph.store, graph.claim_rows, graph.ontology)
    assert list(lazy.nodes) == list(eager.nodes)
    assert list(lazy.edges(keys=True)) == list(eager.edges(keys=True))
    untouched = [d["claims"] for _u, _v, d in lazy.edges(data=True)]
    assert untouched and not any(c.loaded for c in untouched)
    for node, data in eager.nodes(data=True):
        assert dict(lazy.nodes[node]) == data, node
    for u, v, key, data in eager.edges(keys=True, data=True):
        assert dict(lazy.edges[u, v, key]) == data, (u, v, key)
    assert all(c.loaded for c in untouched)


def test_evidence_reads_its_claims_once_and_acts_as_a_list(graph):
    edge = project(graph.store, ontology=graph.ontology).edges[
        "ifs", "ministry-of-public-security", "partOf"
    ]
    evidence = edge["claims"]
    assert isinstance(evidence, graphs.Evidence) and not evidence.loaded
    assert bool(evidence) and not evidence.loaded  # truth needs no read
    assert evidence.predicates == {"partOf"} and not evidence.loaded
    rows = graph.claims(subject="ifs", predicate="partOf", object="ministry-of-public-security")
    assert evidence == rows and len(evidence) == 4 and evidence.loaded
    assert [r["article"] for r in evidence] == edge["articles"]
    assert evidence[0] == rows[0] and evidence[-1:] == rows[-1:]
    import copy
    import pickle

    assert pickle.loads(pickle.dumps(evidence)) == rows
    assert copy.deepcopy(evidence) == rows and type(copy.copy(evidence)) is list
    from kg.tables import to_json

    assert json.loads(to_json({"claims": evidence}))["claims"] == json.loads(json.dumps(rows))


def test_facts_of_a_lazy_projection_filter_by_predicate_unread(graph):
    facts = project(graph.store, ontology=graph.ontology).nodes["biden-xi-summit"]["facts"]
    assert facts.predicates == {"characterizedAs", "durationHours", "occurredOn"}
    dates = graphs.with_predicate(facts, "occurredOn")
    assert isinstance(dates, graphs.Evidence) and not dates.loaded and not facts.loaded
    assert sorted(r["object"] for r in dates) == [
        "2023-11",
        "2023-11-15",
        "2023-11-15",
        "2023-11-15",
    ]
    assert graphs.predicates_of(list(facts)) == facts.predicates


def test_said_by_reads_the_speakers_claims_the_same_way_with_or_without_a_store(graph):
    lazy = project(graph.store, ontology=graph.ontology)
    eager = project(graph.store, graph.claim_rows, graph.ontology)
    speakers = sorted({r["speaker"] for r in graph.claim_rows if r["speaker"]})
    assert len(speakers) > 5
    for speaker in speakers:
        expected = {
            (r["subject"], r["object"], r["predicate"])
            for r in graph.claim_rows
            if r["speaker"] == speaker and r["object_is_entity"]
        }
        assert graphs.said_by(lazy, speaker) == expected == graphs.said_by(eager, speaker)


def test_first_facts_cut_the_same_way_read_or_unread(graph):
    def fresh():
        return project(graph.store, ontology=graph.ontology).nodes["fentanyl"]["facts"]

    unread, _ = graphs.first_facts(fresh(), 2)
    read = fresh()
    claims = [  # fentanyl's claims with a literal object; each fact is stated by one article
        r
        for r in graph.claim_rows
        if r["subject"].rsplit("/", 1)[-1] == "fentanyl" and not r["object_is_entity"]
    ]
    assert len(read) == len(claims) > 2 and read.loaded
    kept, left_out = graphs.first_facts(read, 2)
    assert left_out == len(claims) - 2 and list(kept) == list(unread)
    assert [r["object"] for r in kept] == ["100000", "73000"]
    assert graphs.first_facts(read, 10) == (read, 0)


def test_graphml_is_what_the_networkx_writer_writes() -> None:
    """kg.graphml is written as text in one pass; the bytes are those of networkx's writer
    (escapes, empty values, key order), for the seed projection and awkward values."""
    from kg.api import load
    from kg.graph import _flat, to_graphml

    def reference(graph: nx.MultiDiGraph) -> bytes:
        flat = nx.MultiDiGraph()
        for node in sorted(graph.nodes):
            attrs = graph.nodes[node]
            flat.add_node(node, **{k: _flat(attrs[k]) for k in sorted(attrs)})
        for u, v, key in sorted(graph.edges(keys=True), key=lambda e: (e[0], e[1], str(e[2]))):
            attrs = graph.edges[u, v, key]
            flat.add_edge(u, v, key=f"{u}.{key}.{v}", **{k: _flat(attrs[k]) for k in sorted(attrs)})
        buffer = io.BytesIO()
        nx.write_graphml_xml(flat, buffer, encoding="utf-8", prettyprint=True)
        return buffer.getvalue()

    odd = nx.MultiDiGraph()
    assert to_graphml(odd) == reference(odd)
    odd.add_node('a"<&>\n\tq', label='x & <y> "q"\n\ttab\r', n=3, f=1.5, b=True)
    odd.add_node("lonely", empty="", facts=[{"quote": "é ü 中"}])
    odd.add_node("bare")
    odd.add_edge('a"<&>\n\tq', "lonely", key="p", w=2, note="é ü 中")
    odd.add_edge("lonely", "lonely", key="q")
    assert to_graphml(odd) == reference(odd)
    seed = project(load().store)
    assert to_graphml(seed) == reference(seed)


@pytest.mark.parametrize(
    "value",
    [[], ["a", "b"], ["é ü 中", ""], ['say "no"'], ["back\\slash"], ["tab\there", "\x01"]],
)
def test_lists_of_names_are_written_as_json_dumps_writes_them(value) -> None:
    """A list of strings is joined without json.dumps when no string needs escaping; the text
    is json.dumps's either way."""
    from kg.graph import _flat, row_json

    assert _flat(value) == row_json(value)
    assert _flat(set(value)) == row_json(sorted(value))


# --- the projection built straight into NetworkX's adjacency: the same graph ------------------


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory):
    import kg
    from kg.synth import synthesize

    root = tmp_path_factory.mktemp("projection") / "corpus"
    synthesize(root, claims=1500, seed=3)
    return kg.load(root=root)


def _same_multidigraph(found: nx.MultiDiGraph, expected: nx.MultiDiGraph) -> None:
    """The same nodes, edges, keys and attributes, in the same order, and a sound adjacency."""
    assert nx.utils.graphs_equal(found, expected)
    assert found.graph == expected.graph
    assert list(found.nodes(data=True)) == list(expected.nodes(data=True))
    assert list(found.edges(keys=True, data=True)) == list(expected.edges(keys=True, data=True))
    for node in expected:
        assert list(found.pred[node]) == list(expected.pred[node]), node
        assert list(found.succ[node]) == list(expected.succ[node]), node
        for other, keys in found._succ[node].items():
            assert found._pred[other][node] is keys  # one key dict, as add_edge shares it


@pytest.mark.parametrize("corpus", ["seed", "synthetic"])
def test_projection_equals_the_one_networkx_builds_edge_by_edge(corpus, request):
    import copy
    import pickle

    kgraph = request.getfixturevalue("graph" if corpus == "seed" else "synthetic")
    rows = kgraph.claim_rows
    straight = project(kgraph.store, ontology=kgraph.ontology, plain=True)
    assert straight.number_of_edges() > (20 if corpus == "seed" else 500)
    # the projection from claim rows adds its edges one by one through NetworkX's add_edge
    _same_multidigraph(straight, project(kgraph.store, rows, kgraph.ontology, plain=True))
    _same_multidigraph(
        straight, graphs.plain_graph(project(kgraph.store, ontology=kgraph.ontology))
    )
    again = pickle.loads(pickle.dumps(copy.deepcopy(straight)))
    _same_multidigraph(again, straight)
    assert type(straight) is nx.MultiDiGraph and straight.copy().number_of_edges() == len(
        list(straight.edges)
    )
    lazy = project(kgraph.store, ontology=kgraph.ontology)
    eager = project(kgraph.store, rows, kgraph.ontology)
    assert list(lazy.nodes) == list(eager.nodes)
    assert list(lazy.edges(keys=True)) == list(eager.edges(keys=True))
    for node in eager:
        assert list(lazy.pred[node]) == list(eager.pred[node]), node
    for u, v, key, data in eager.edges(keys=True, data=True):
        assert dict(lazy.edges[u, v, key]) == data, (u, v, key)
