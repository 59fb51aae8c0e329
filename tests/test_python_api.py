"""The Python library as a data scientist meets it: the object ``g.entity()`` returns is
accepted wherever an entity is asked for, and nothing fails silently."""

from __future__ import annotations

import copy
import datetime
import decimal
import html
import json
import pickle
import re
import sys
from pathlib import Path

import networkx as nx
import pytest
import rdflib
from click.testing import CliRunner

from kg.cli import main
from kg.errors import EntityNotFound, KgError
from kg.knowledge import EntityInfo, KnowledgeGraph
from kg.notebook import MissingExtra, Rows
from tests.conftest import IN_CI
from tests.test_browser import browser  # noqa: F401  (the headless Chromium fixture)

ROOT = Path(__file__).resolve().parent.parent


# --- 1. one entity resolver, used by every method -------------------------------------------


@pytest.fixture(scope="module")
def ifs(graph: KnowledgeGraph) -> EntityInfo:
    return graph.entity("ifs")


def test_entity_accepts_its_own_object_and_iri(graph, ifs):
    assert graph.entity(ifs) is ifs
    assert graph.entity(ifs.iri) is ifs
    assert graph.entity("Institute of Forensic Science") is ifs


def test_claims_take_the_entity_object_as_subject_and_object(graph, ifs):
    assert graph.claims(subject=ifs) == graph.claims(subject="ifs")
    assert len(graph.claims(subject=ifs)) > 0
    by_object = graph.claims(object=ifs)
    assert by_object == graph.claims(object="ifs")
    assert by_object  # once silently empty
    assert {c["object"] for c in by_object} == {"ifs"}


def test_sources_paths_neighbours_timeline_show_take_the_entity_object(graph, ifs):
    us, xi = graph.entity("US"), graph.entity("Xi Jinping")
    assert graph.sources(us, "delisted", ifs) == graph.sources("united-states", "delisted", "ifs")
    assert graph.sources(us, "delisted", ifs)
    assert graph.paths(xi, ifs) == graph.paths("xi-jinping", "ifs")
    assert graph.neighbours(ifs) == graph.neighbours("ifs")
    assert graph.timeline(ifs) == graph.timeline("ifs")
    assert graph.show(ifs) == graph.show("ifs")


def test_sources_of_a_claim_object(graph, ifs):
    claim = graph.claims(subject=ifs, predicate="partOf")[0]
    assert graph.sources(claim) == graph.sources("ifs", "partOf", claim["object"])
    with pytest.raises(TypeError):
        graph.sources(claim, "partOf")


def test_named_query_parameters_take_the_entity_object(graph):
    us = graph.entity("US")
    assert graph.query_named("delistings", subject=us) == graph.query_named(
        "delistings", subject="US"
    )


def test_to_html_focus_takes_the_entity_object(graph, ifs, tmp_path):
    page = graph.to_html(tmp_path / "focus.html", focus=ifs)
    assert page.entities > 1
    assert page.path.read_bytes() == graph.to_html(tmp_path / "id.html", focus="ifs").html


def test_unknown_entity_raises_the_error_the_cli_prints(graph):
    with pytest.raises(EntityNotFound) as err:
        graph.claims(object="Xi Jinpin")  # once: silently no claims
    printed = CliRunner().invoke(main, ["show", "Xi Jinpin", "--root", str(ROOT)])
    assert printed.exit_code == 1
    assert printed.output.strip() == f"kg: {err.value}"
    for call in (
        lambda: graph.claims(subject="Xi Jinpin"),
        lambda: graph.sources("Xi Jinpin", "delisted", "ifs"),
        lambda: graph.timeline("Xi Jinpin"),
        lambda: graph.to_html("never-written.html", focus="Xi Jinpin"),
    ):
        with pytest.raises(EntityNotFound, match="no entity called 'Xi Jinpin'"):
            call()
    assert not Path("never-written.html").exists()


def test_entity_of_another_graph_is_found_by_id_or_not_at_all(graph):
    stranger = EntityInfo("no-such", "https://example.org/no-such", "Person", "Nobody", ())
    with pytest.raises(EntityNotFound, match="no entity called 'no-such'"):
        graph.entity(stranger)
    with pytest.raises(TypeError, match="an entity is given by id"):
        graph.entity(42)  # type: ignore[arg-type]


def test_literal_objects_still_match_values(graph):
    assert graph.claims(object=110000) == graph.claims(object="110,000")
    assert graph.claims(object=110000)


# --- 2. g.nx is an ordinary NetworkX graph ---------------------------------------------------

PLAIN = (str, int, float, bool)


def test_nx_holds_only_plain_values(graph):
    G = graph.nx
    assert type(G) is nx.MultiDiGraph
    assert all(isinstance(v, PLAIN) for v in G.graph.values())
    for _node, data in G.nodes(data=True):
        assert all(type(v) in PLAIN for v in data.values()), data
    for _u, _v, _key, data in G.edges(keys=True, data=True):
        assert all(type(v) in PLAIN for v in data.values()), data


def test_nx_matches_the_evidence_graph(graph):
    G, rich = graph.nx, graph.evidence_graph
    assert list(G.nodes) == list(rich.nodes) and list(G.edges(keys=True)) == list(
        rich.edges(keys=True)
    )
    edge = G.edges["ifs", "ministry-of-public-security", "partOf"]
    sources = graph.sources("ifs", "partOf", "ministry-of-public-security")
    assert edge["articles"] == len({s["article"] for s in sources})
    assert edge["outlets"] == len({s["outlet"] for s in sources if s["outlet"]})
    assert G.nodes["ifs"]["aliases"].split("; ") == list(graph.entity("ifs").aliases)


def test_nx_deep_copies_and_pickles(graph):
    G = graph.nx
    for other in (copy.deepcopy(G), pickle.loads(pickle.dumps(G))):
        assert nx.utils.graphs_equal(other, G)
        assert (
            other.edges["united-states", "ifs", "delisted"]
            == G.edges["united-states", "ifs", "delisted"]
        )


def test_nx_reverses_and_turns_undirected(graph):
    G = graph.nx
    assert G.reverse().has_edge("ministry-of-public-security", "ifs", "partOf")
    assert G.reverse(copy=False).has_edge("ministry-of-public-security", "ifs", "partOf")
    undirected = G.to_undirected()
    assert undirected.has_edge("ministry-of-public-security", "ifs")
    view = G.to_undirected(as_view=True)
    assert view.has_edge("ministry-of-public-security", "ifs", "partOf")
    assert nx.utils.graphs_equal(view.copy(), undirected)


def test_nx_subgraph_views_and_ego_graph(graph):
    G = graph.nx
    view = G.subgraph(["ifs", "ministry-of-public-security", "united-states"])
    assert view.has_edge("ifs", "ministry-of-public-security", "partOf")
    assert nx.restricted_view(G, ["ifs"], []).number_of_nodes() == G.number_of_nodes() - 1
    ego = nx.ego_graph(G, "ifs", radius=2, undirected=True)
    assert {"ifs", "united-states", "ministry-of-public-security"} <= set(ego)
    assert (
        ego.number_of_nodes() > nx.ego_graph(G, "ifs", radius=1, undirected=True).number_of_nodes()
    )


def test_nx_writes_graphml(graph, tmp_path):
    G = graph.nx
    nx.write_graphml(G, tmp_path / "kg.graphml")
    back = nx.read_graphml(tmp_path / "kg.graphml", force_multigraph=True)
    assert back.number_of_nodes() == G.number_of_nodes()
    assert back.number_of_edges() == G.number_of_edges()
    assert back.nodes["ifs"]["label"] == "Institute of Forensic Science"
    assert (
        back.edges["ifs", "ministry-of-public-security", "partOf"]["sources"]
        == (G.edges["ifs", "ministry-of-public-security", "partOf"]["sources"])
    )


def test_nx_node_link_json_round_trips(graph):
    G = graph.nx
    text = json.dumps(nx.node_link_data(G))
    back = nx.node_link_graph(json.loads(text))
    assert nx.utils.graphs_equal(back, G)


def test_graph_functions_work_on_the_plain_graph(graph):
    from kg import graph as graphs

    assert (
        graphs.paths(graph.nx, "xi-jinping", "ifs")[0]["nodes"]
        == graph.paths(graph.entity("Xi Jinping"), "ifs")[0]["nodes"]
    )
    assert [r["id"] for r in graphs.centrality(graph.nx)] == [r["id"] for r in graph.centrality()]
    assert nx.pagerank(nx.DiGraph(graph.nx))  # an ordinary NetworkX algorithm


def test_plain_projection_straight_from_the_store_equals_the_plain_copy(graph):
    from kg import graph as graphs

    straight = graphs.project(graph.store, ontology=graph.ontology, plain=True)
    copied = graphs.plain_graph(graphs.project(graph.store, ontology=graph.ontology))
    from_rows = graphs.project(graph.store, graph.claim_rows, graph.ontology, plain=True)
    for other in (copied, from_rows):
        assert nx.utils.graphs_equal(straight, other)
        assert list(straight.nodes(data=True)) == list(other.nodes(data=True))
        assert list(straight.edges(keys=True, data=True)) == list(other.edges(keys=True, data=True))


# --- 3. SPARQL from Python: bindings as the RDF terms they name -----------------------------

LABEL = "SELECT ?l WHERE { ?e rdfs:label ?l }"


def test_sparql_binds_entity_ids_and_objects_as_iris(graph, ifs):
    expected = [{"l": "Institute of Forensic Science"}]
    assert graph.sparql(LABEL, e="ifs").rows == expected  # once: a string literal, []
    assert graph.sparql(LABEL, e=ifs).rows == expected
    assert graph.sparql(LABEL, e=ifs.iri).rows == expected
    assert graph.sparql(LABEL, e=rdflib.URIRef(ifs.iri)).rows == expected


def test_sparql_keeps_other_strings_literal(graph):
    query = "SELECT ?e WHERE { ?e rdfs:label ?l }"
    found = graph.sparql(query, l="Institute of Forensic Science", ids=True).rows
    assert found == [{"e": "ifs"}]
    assert graph.sparql(query, l=rdflib.Literal("ifs")).rows == []  # a literal on purpose
    assert graph.sparql(LABEL, e="IFS").rows == []  # a label is not an id


def test_sparql_binds_typed_values(graph):
    deaths = "SELECT DISTINCT ?e WHERE { GRAPH ?g { ?e kg:annualOverdoseDeaths ?n } }"
    assert graph.sparql(deaths, n=110000, ids=True).rows == [{"e": "all-drugs"}]
    xsd = "http://www.w3.org/2001/XMLSchema#"
    datatype = "SELECT ?t WHERE { BIND(DATATYPE(?x) AS ?t) }"
    for value, name in [
        (3, "integer"),
        (2.5, "double"),
        (decimal.Decimal("2.5"), "decimal"),
        (True, "boolean"),
        (datetime.date(2023, 11, 16), "date"),
        (datetime.datetime(2023, 11, 16, 9, 30), "dateTime"),
        ("3", "string"),
    ]:
        assert graph.sparql(datatype, x=value).rows == [{"t": xsd + name}], value
    dated = "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?c kg:date ?d ; rdf:subject ?s } }"
    on_the_day = graph.sparql(dated, d=datetime.date(2023, 11, 16), ids=True).rows
    assert {"s": "united-states"} in on_the_day
    assert graph.sparql(dated, d="2023-11-16").rows == []  # a plain string is no date
    assert graph.sparql("ASK { FILTER(?b) }", b=True).boolean is True
    with pytest.raises(TypeError, match="cannot bind a list"):
        graph.sparql(LABEL, e=["ifs"])


def test_sparql_rows_as_ids(graph):
    query = "SELECT ?o ?g WHERE { GRAPH ?g { entity:ifs kg:partOf ?o } } ORDER BY ?g"
    full = graph.sparql(query).rows
    short = graph.sparql(query, ids=True).rows
    assert full[0]["o"] == graph.entity("ministry-of-public-security").iri
    assert short[0]["o"] == "ministry-of-public-security"
    assert short[0]["g"] in graph.articles


def test_dataset_knows_kgs_prefixes(graph):
    rows = list(graph.dataset.query("SELECT ?l WHERE { entity:ifs rdfs:label ?l }"))
    assert [str(r.l) for r in rows] == ["Institute of Forensic Science"]
    assert dict(graph.dataset.namespaces())["entity"] == rdflib.URIRef(
        graph.entity("ifs").iri.removesuffix("ifs")
    )


# --- 4. pandas and Jupyter --------------------------------------------------------------------


def test_answers_become_dataframes_in_one_call(graph, ifs):
    try:
        import pandas as pd
    except ImportError as err:  # the [test] extra installs pandas
        if IN_CI:
            pytest.fail(f"CI must test the DataFrames: {err}")
        pytest.skip(f"pandas is not installed: {err}")
    claims = graph.claims(subject=ifs)
    frame = claims.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(claims)
    assert list(frame.columns) == list(claims[0])
    assert frame["quote"].tolist() == [c["quote"] for c in claims]
    sources = graph.sources("united-states", "delisted", ifs).to_frame()
    assert set(sources["article"]) == {s["article"] for s in graph.sources("US", "delisted", "ifs")}
    conflicts = graph.conflicts()
    table = conflicts.to_frame()
    assert table["conflict"].nunique() == len(conflicts)
    assert len(table) == sum(len(c.claims) for c in conflicts)
    assert {"kind", "quote", "outlet", "value"} <= set(table.columns)
    rows = graph.sparql("SELECT ?e ?l WHERE { ?e rdfs:label ?l } ORDER BY ?e", ids=True)
    result = rows.to_frame()
    assert list(result.columns) == ["e", "l"] and len(result) == len(graph.entities)
    assert graph.sparql("ASK { entity:ifs ?p ?o }").to_frame()["answer"].tolist() == [True]
    built = graph.sparql(
        "CONSTRUCT { entity:ifs rdfs:label ?l } WHERE { entity:ifs rdfs:label ?l }"
    )
    assert built.to_frame().shape == (1, 3)
    assert len(graph.timeline(ifs).to_frame()) == len(graph.timeline(ifs))
    assert graph.centrality().to_frame()["id"].iloc[0] == graph.centrality()[0]["id"]


def test_without_pandas_a_dataframe_asks_for_the_extra(graph, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(MissingExtra, match=r"pip install 'kg\[pandas\]'") as err:
        graph.claims(subject="ifs").to_frame()
    assert isinstance(err.value, ImportError) and isinstance(err.value, KgError)
    with pytest.raises(MissingExtra):
        graph.sparql("SELECT ?l WHERE { ?e rdfs:label ?l }", e="ifs").to_frame()
    assert graph.claims(subject="ifs")._repr_html_()  # tables still show without pandas


def test_rich_display_of_graph_entities_claims_and_results(graph, ifs):
    assert "Knowledge graph" in graph._repr_html_() and f"{len(graph.entities):,}" in (
        graph._repr_html_()
    )
    card = ifs._repr_html_()
    assert "Institute of Forensic Science" in card and "GovernmentAgency" in card
    claims = graph.claims(subject=ifs, predicate="partOf")
    table = claims._repr_html_()
    assert table.count("<tr>") == 1 + len(claims)
    assert html.escape(claims[0]["quote"][:40]) in table
    result = graph.sparql("SELECT ?l WHERE { ?e rdfs:label ?l }", e=ifs)._repr_html_()
    assert "<th>l</th>" in result and "Institute of Forensic Science" in result
    assert "contradiction" in graph.conflicts()._repr_html_()


def test_rich_display_escapes_text():
    shown = Rows([{"quote": "<script>alert(1)</script>"}])._repr_html_()
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    stranger = EntityInfo("x", "urn:x", "Person", "<img src=x onerror=alert(1)>", ())
    assert "<img" not in stranger._repr_html_()


def test_graph_page_shows_inline_as_a_self_contained_frame(graph, ifs, tmp_path):
    page = graph.to_html(focus=ifs, hops=1)
    assert page.path is None and not list(tmp_path.iterdir())
    assert page.html == graph.to_html(tmp_path / "ifs.html", focus="ifs").html
    frame = page._repr_html_()
    match = re.fullmatch(r'<iframe srcdoc="([^"]*)" sandbox="allow-scripts" [^>]*></iframe>', frame)
    assert match, frame[:200]
    assert html.unescape(match.group(1)).encode() == page.html
    assert not re.search(r"(src|href)=[\"']?https?:", page.html.decode())


@pytest.mark.browser
def test_inline_graph_renders_offline_in_its_frame(browser, graph, tmp_path):  # noqa: F811
    host = tmp_path / "notebook.html"
    frame = graph.to_html(predicate="partOf")._repr_html_()
    host.write_text(f"<!doctype html><html><body><h1>cell</h1>{frame}</body></html>")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requests: list[str] = []
    errors: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if url.split(":", 1)[0] in ("file", "data", "blob", "about"):
            request_route.continue_()
        else:
            requests.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(host.as_uri())
    inner = page.frames[1]
    inner.wait_for_function("window.kgReady === true", timeout=20_000)
    assert inner.evaluate("document.querySelectorAll('canvas').length") >= 1
    assert inner.evaluate("typeof vis") == "object"
    assert requests == [] and errors == []
    page.close()
