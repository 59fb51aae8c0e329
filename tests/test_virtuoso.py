"""kg push and kg query --endpoint against a real Virtuoso (Debian's virtuoso-opensource).

One fresh database per module, started on free loopback ports in a temporary folder (see
virtuoso_server.py): user dba, password dba, no grants, as a stock installation.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from test_server import PARAMS, canonical, concatenated
from virtuoso_server import VirtuosoProcess

from kg.cli import main
from kg.errors import EndpointError
from kg.knowledge import KnowledgeGraph
from kg.remote import (
    DEFAULT_GRAPH_IRI,
    PASSWORD_ENV,
    USER_ENV,
    group_by_graph,
    push_quads,
    query_endpoint,
    remote_query,
)
from kg.sparql import named_queries, run_query, with_values

pytestmark = [pytest.mark.server, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
FAST = {"retries": 1, "backoff": 0.01, "timeout": 20.0}


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoProcess]:
    with VirtuosoProcess(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


@pytest.fixture
def dba(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stock database's administrator, as the README's command sets it."""
    monkeypatch.setenv(USER_ENV, "dba")
    monkeypatch.setenv(PASSWORD_ENV, "dba")


def expected_counts(quads: list[ox.Quad]) -> dict[str, int]:
    """Triples per graph as Virtuoso should hold them: the default graph's under its IRI."""
    return {
        DEFAULT_GRAPH_IRI if name is None else name: len(triples)
        for name, triples in group_by_graph(quads).items()
    }


def kg_counts(endpoint: str) -> dict[str, int]:
    """Triples per graph in the store, for kg's graphs only (Virtuoso keeps system graphs too)."""
    return {
        row["g"]: int(row["n"])
        for row in remote_query(endpoint, COUNTS)
        if row["g"].startswith("https://kg.example/")
    }


def terms(triple: ox.Triple) -> tuple[str, str, str]:
    return str(triple.subject), str(triple.predicate), str(triple.object)


def graph_triples(endpoint: str, name: str) -> set[tuple[str, str, str]]:
    text = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
    body = query_endpoint(endpoint, text, "nt")
    assert isinstance(body, bytes)
    return {terms(t) for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)}


def solutions(results_json: str) -> set[frozenset[tuple[str, str]]]:
    answer = ox.parse_query_results(results_json.encode(), format=ox.QueryResultsFormat.JSON)
    assert isinstance(answer, ox.QuerySolutions)
    names = [v.value for v in answer.variables]
    return {frozenset((n, str(row[n])) for n in names if row[n] is not None) for row in answer}


def push_command(virtuoso: VirtuosoProcess, exports: Path) -> list[str]:
    return ["push", "--endpoint", virtuoso.endpoint, "--from", str(exports / "kg.nq")]


@pytest.mark.usefixtures("dba")
def test_kg_push_to_a_stock_virtuoso_twice(virtuoso: VirtuosoProcess, built_exports: Path) -> None:
    quads = list(ox.parse(path=built_exports / "kg.nq", format=ox.RdfFormat.N_QUADS))
    expected = expected_counts(quads)
    # default, ontology, background and five article graphs
    assert len(expected) == 8 and sum(expected.values()) == len(quads)
    first = CliRunner().invoke(main, push_command(virtuoso, built_exports))
    assert first.exit_code == 0, first.output
    assert (
        f"pushed 8 graphs ({len(quads):,} triples) to {virtuoso.url}/sparql-graph-crud-auth "
        "with the Graph Store Protocol (PUT), HTTP digest auth" in first.output
    )
    assert f"verified: every graph at {virtuoso.endpoint} holds the triples pushed" in first.output
    default_size = len(group_by_graph(quads)[None])
    assert (
        f"note: Virtuoso has no plain default graph: the default graph's {default_size:,} "
        f"triples are in <{DEFAULT_GRAPH_IRI}>" in first.output
    )
    assert kg_counts(virtuoso.endpoint) == expected
    again = CliRunner().invoke(main, push_command(virtuoso, built_exports))
    assert again.exit_code == 0, again.output
    assert kg_counts(virtuoso.endpoint) == expected  # replaced, not added to
    for name, triples in group_by_graph(quads).items():  # every term exactly as pushed
        stored = graph_triples(virtuoso.endpoint, name or DEFAULT_GRAPH_IRI)
        assert stored == {terms(t) for t in triples}, name


@pytest.mark.usefixtures("dba")
def test_a_graph_that_lost_a_triple_is_replaced(
    virtuoso: VirtuosoProcess, graph: KnowledgeGraph
) -> None:
    quads = list(graph.store)
    push_quads(quads, virtuoso.endpoint, **FAST)
    article = next(q for q in quads if str(q.graph_name).startswith("<https://kg.example/article/"))
    fewer = [q for q in quads if q != article]
    report = push_quads(fewer, virtuoso.endpoint, **FAST)
    assert report.verified and report.auth == "digest"
    assert kg_counts(virtuoso.endpoint) == expected_counts(fewer)
    push_quads(quads, virtuoso.endpoint, **FAST)
    assert kg_counts(virtuoso.endpoint) == expected_counts(quads)


@pytest.mark.usefixtures("dba")
def test_sparql_update_at_sparql_auth_gives_the_same_store(
    virtuoso: VirtuosoProcess, graph: KnowledgeGraph
) -> None:
    quads = list(graph.store)
    report = push_quads(quads, virtuoso.endpoint, protocol="update", **FAST)
    assert report.verified and report.protocol == "update"
    assert report.target == f"{virtuoso.url}/sparql-auth"
    assert kg_counts(virtuoso.endpoint) == expected_counts(quads)


def test_without_credentials_kg_says_what_to_set(
    virtuoso: VirtuosoProcess, built_exports: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(USER_ENV, raising=False)
    result = CliRunner().invoke(main, push_command(virtuoso, built_exports))
    assert result.exit_code == 1
    assert (
        f"is Virtuoso, which accepts writes only at {virtuoso.url}/sparql-graph-crud-auth "
        f"(HTTP digest auth) — set {USER_ENV} and {PASSWORD_ENV}" in result.output
    )
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("dba")
def test_the_old_readme_command_says_what_to_do(
    virtuoso: VirtuosoProcess, graph: KnowledgeGraph
) -> None:
    with pytest.raises(EndpointError) as caught:  # the anonymous Graph Store is read-only
        push_quads(list(graph.store), virtuoso.endpoint, f"{virtuoso.url}/sparql-graph-crud")
    message = str(caught.value)
    assert "answered 403 Forbidden to PUT" in message
    assert "leave out --graph-store and set KG_ENDPOINT_USER and KG_ENDPOINT_PASSWORD" in message


def test_a_wrong_password_is_named(
    virtuoso: VirtuosoProcess, graph: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(USER_ENV, "dba")
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    with pytest.raises(EndpointError) as caught:
        push_quads(list(graph.store), virtuoso.endpoint, **FAST)
    message = str(caught.value)
    assert "401 Unauthorized to PUT (it asks for Digest auth) although" in message
    assert "check the user name and password" in message


@pytest.fixture(scope="module")
def pushed(virtuoso: VirtuosoProcess, graph: KnowledgeGraph) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(USER_ENV, "dba")
        patch.setenv(PASSWORD_ENV, "dba")
        push_quads(list(graph.store), virtuoso.endpoint, **FAST)
    return virtuoso.endpoint


def same_answers(endpoint: str, graph: KnowledgeGraph, name: str, params: dict[str, str]) -> None:
    named = named_queries()[name]
    bindings = named.bind(params)
    local = run_query(graph.store, named.text, bindings)
    remote = query_endpoint(endpoint, with_values(named.text, bindings))
    assert not isinstance(remote, bytes)
    unordered = concatenated(named.text)
    assert canonical(remote, unordered) == canonical(local, unordered)
    assert local.kind != "select" or local.rows  # two empty answers would prove little


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_named_queries_on_virtuoso(pushed: str, graph: KnowledgeGraph, name: str) -> None:
    same_answers(pushed, graph, name, PARAMS.get(name, {}))


def test_timeline_of_one_entity_on_virtuoso(pushed: str, graph: KnowledgeGraph) -> None:
    # the optional parameter bound: the filter on it must hold on Virtuoso as well
    same_answers(pushed, graph, "timeline", {"entity": "ifs"})


def test_kg_query_endpoint_on_virtuoso(pushed: str) -> None:
    text = "SELECT ?label WHERE { entity:ifs rdfs:label ?label }"
    for args in ([text, "--format", "csv"], ["part-of", "--json"]):
        local = CliRunner().invoke(main, ["query", *args, "--root", str(ROOT)])
        remote = CliRunner().invoke(main, ["query", *args, "--endpoint", pushed])
        assert local.exit_code == remote.exit_code == 0, remote.output
        if "--json" in args:  # the same solutions, whatever extra keys Virtuoso adds
            assert solutions(remote.output) == solutions(local.output) != set()
        else:  # Virtuoso quotes every CSV field, kg only those that need it: both are RFC 4180
            rows = sorted(csv.reader(io.StringIO(remote.output)))
            assert rows == sorted(csv.reader(io.StringIO(local.output))) and len(rows) == 2


def test_an_answer_virtuoso_cuts_short_is_reported(pushed: str) -> None:
    # Virtuoso's default graph is the union of all graphs: kg's and its own system graphs
    everything = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    args = ["query", everything, "--endpoint", pushed, "--format", "tsv"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) >= 10_001  # header + the 10,000 rows it kept
    assert (
        f"kg: {pushed} cut the answer at 10,000 rows (the store's own limit): narrow the "
        "query, or page through it with LIMIT and OFFSET" in result.stderr
    )
    whole = CliRunner().invoke(main, ["query", "delistings", "--endpoint", pushed])
    assert whole.exit_code == 0 and "cut the answer" not in whole.stderr
