"""kg push and remote queries against a real writable Oxigraph server, and against faulty stubs."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from oxigraph_server import OxigraphProcess, oxigraph_binary
from test_server import PARAMS, canonical, concatenated

from kg.cli import main
from kg.errors import EndpointError, QueryError
from kg.knowledge import KnowledgeGraph
from kg.remote import (
    PASSWORD_ENV,
    USER_ENV,
    Client,
    UnverifiedPush,
    group_by_graph,
    push_quads,
    query_endpoint,
    remote_query,
)
from kg.server import LOOPBACK, free_port
from kg.sparql import named_queries, run_query, with_values

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
DEFAULT_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
FAST: dict[str, Any] = {"retries": 2, "backoff": 0.01}
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_oxigraph() -> None:
    """Skip without the Oxigraph server, except in CI, where its absence is a failure."""
    try:
        oxigraph_binary()
    except EndpointError as err:
        if IN_CI:
            pytest.fail(f"CI must run the server tests: {err}")
        pytest.skip(str(err))


@pytest.fixture
def store_server(tmp_path: Path) -> Iterator[OxigraphProcess]:
    """A writable Oxigraph server (``oxigraph serve``) on a free loopback port."""
    require_oxigraph()
    with OxigraphProcess(tmp_path / "store") as server:
        yield server


@pytest.fixture(scope="module")
def pushed(tmp_path_factory: pytest.TempPathFactory, graph: KnowledgeGraph) -> Iterator[str]:
    """The query endpoint of a writable Oxigraph server holding the pushed seed dataset."""
    require_oxigraph()
    with OxigraphProcess(tmp_path_factory.mktemp("pushed")) as server:
        push_quads(graph.store, f"{server.url}/query", **FAST)
        yield f"{server.url}/query"


def remote_counts(endpoint: str) -> dict[str | None, int]:
    counts: dict[str | None, int] = {row["g"]: row["n"] for row in remote_query(endpoint, COUNTS)}
    counts[None] = remote_query(endpoint, DEFAULT_COUNT).rows[0]["n"]
    return counts


def local_counts(quads: list[ox.Quad]) -> dict[str | None, int]:
    return {name: len(triples) for name, triples in group_by_graph(quads).items()}


def test_push_query_push_again(store_server: OxigraphProcess, graph: KnowledgeGraph) -> None:
    endpoint = f"{store_server.url}/query"
    quads = list(graph.store)
    report = push_quads(quads, endpoint, **FAST)
    assert report.verified and report.protocol == "graph-store"
    assert report.target == f"{store_server.url}/store"  # found next to the endpoint
    assert report.graphs == len(local_counts(quads)) > 5
    assert report.triples == len(quads)
    first = remote_counts(endpoint)
    assert first == local_counts(quads)
    again = push_quads(quads, endpoint, **FAST)
    assert again.verified and remote_counts(endpoint) == first
    # a graph that lost a triple is replaced, not merged
    article = next(
        q
        for q in quads
        if not isinstance(q.graph_name, ox.DefaultGraph)
        and q.graph_name.value.startswith("https://kg.example/article/")
    )
    fewer = [q for q in quads if q != article]
    push_quads(fewer, endpoint, **FAST)
    assert remote_counts(endpoint)[article.graph_name.value] == first[article.graph_name.value] - 1


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_named_queries_against_a_pushed_store(
    pushed: str, graph: KnowledgeGraph, name: str
) -> None:
    endpoint = pushed
    named = named_queries()[name]
    bindings = named.bind(PARAMS.get(name, {}))
    local = run_query(graph.store, named.text, bindings)
    remote = query_endpoint(endpoint, with_values(named.text, bindings))
    assert not isinstance(remote, bytes)
    unordered = concatenated(named.text)
    assert canonical(remote, unordered) == canonical(local, unordered)


def test_query_endpoint_formats_and_refusals(pushed: str, graph: KnowledgeGraph) -> None:
    endpoint = pushed
    text = "SELECT ?label WHERE { entity:ifs rdfs:label ?label }"
    assert query_endpoint(endpoint, text, "csv") == b"label\r\nInstitute of Forensic Science\r\n"
    raw = query_endpoint(endpoint, text, "json")
    assert isinstance(raw, bytes)
    answer = json.loads(raw)
    assert answer["results"]["bindings"][0]["label"]["value"] == "Institute of Forensic Science"
    turtle = query_endpoint(endpoint, "CONSTRUCT WHERE { entity:ifs rdfs:label ?l }", "ttl")
    assert isinstance(turtle, bytes)
    assert len(list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))) == 1
    with pytest.raises(QueryError, match="SERVICE is not allowed"):
        query_endpoint(endpoint, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    with pytest.raises(QueryError, match="DROP is not allowed"):
        query_endpoint(endpoint, "DROP ALL")
    assert remote_counts(endpoint) == local_counts(list(graph.store))


def test_update_fallback_gives_the_same_store(
    store_server: OxigraphProcess, graph: KnowledgeGraph
) -> None:
    endpoint = f"{store_server.url}/query"
    quads = list(graph.store)
    report = push_quads(quads, endpoint, protocol="update", **FAST)
    assert report.verified and report.protocol == "update"
    assert report.target == f"{store_server.url}/update"
    assert remote_counts(endpoint) == local_counts(quads)
    push_quads(quads, endpoint, protocol="update", **FAST)
    assert remote_counts(endpoint) == local_counts(quads)


def test_kg_push_command(store_server: OxigraphProcess, built_exports: Path) -> None:
    endpoint = f"{store_server.url}/query"
    args = [
        "push",
        "--endpoint",
        endpoint,
        "--root",
        str(ROOT),
        "--from",
        str(built_exports / "kg.nq"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"to {store_server.url}/store with the Graph Store Protocol (PUT)" in result.output
    assert "verified: every graph" in result.output
    quads = list(ox.parse(path=built_exports / "kg.nq", format=ox.RdfFormat.N_QUADS))
    assert remote_counts(endpoint) == local_counts(quads)
    help_text = CliRunner().invoke(main, ["push", "--help"]).output
    assert "--password" not in help_text and USER_ENV in help_text


# --- faults ----------------------------------------------------------------------------------

SAMPLE = [
    ox.Quad(ox.NamedNode("https://kg.example/entity/a"), ox.NamedNode("urn:p"), ox.Literal("x")),
    ox.Quad(
        ox.NamedNode("https://kg.example/entity/a"),
        ox.NamedNode("urn:p"),
        ox.Literal("y"),
        ox.NamedNode("https://kg.example/article/a1"),
    ),
]
Behaviour = Callable[[BaseHTTPRequestHandler], None]


class Stub:
    """An HTTP server on 127.0.0.1 that answers every request with ``behaviour``; records them."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.release = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def handle_one_request(self) -> None:
                self.raw_requestline = self.rfile.readline(65537)
                if not self.raw_requestline or not self.parse_request():
                    self.close_connection = True
                    return
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                stub.requests.append((self.command, self.path, dict(self.headers.items())))
                behaviour(self)
                self.close_connection = True

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{LOOPBACK}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def methods(self, method: str) -> int:
        return sum(1 for m, _, _ in self.requests if m == method)


@pytest.fixture
def stub() -> Iterator[Callable[[Behaviour], Stub]]:
    made: list[Stub] = []

    def factory(behaviour: Behaviour) -> Stub:
        made.append(Stub(behaviour))
        return made[-1]

    yield factory
    for server in made:
        server.close()


def answer(status: int, body: bytes = b"", media: str = "text/plain") -> Behaviour:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", media)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def test_server_down_is_a_clear_error() -> None:
    endpoint = f"http://{LOOPBACK}:{free_port()}/query"
    started = time.monotonic()
    with pytest.raises(EndpointError, match="connection refused after 3 attempts — is the SPARQL"):
        push_quads(SAMPLE, endpoint, graph_store=endpoint.replace("query", "store"), **FAST)
    with pytest.raises(EndpointError) as caught:
        push_quads(SAMPLE, endpoint, **FAST)  # while asking the endpoint what it is
    assert str(caught.value) == (
        f"cannot connect to {endpoint}: connection refused "
        "after 3 attempts — is the SPARQL server running, and is the port right?"
    )
    assert time.monotonic() - started < 5


def test_500_is_reported_without_retrying(stub: Callable[[Behaviour], Stub]) -> None:
    server = stub(answer(500, b"disk full"))
    with pytest.raises(EndpointError) as caught:
        push_quads(SAMPLE, f"{server.url}/query", graph_store=f"{server.url}/store", **FAST)
    message = str(caught.value)
    assert "failed on PUT (500): disk full" in message
    assert "push failed at the default graph (1 of 2; 0 stored before it)" in message
    assert server.methods("PUT") == 1


def test_503_is_retried_then_reported(stub: Callable[[Behaviour], Stub]) -> None:
    server = stub(answer(503, b"busy"))
    with pytest.raises(EndpointError, match=r"\(503\) after 3 attempts"):
        push_quads(SAMPLE, f"{server.url}/query", graph_store=f"{server.url}/store", **FAST)
    assert server.methods("PUT") == 3


def test_hanging_server_times_out(stub: Callable[[Behaviour], Stub]) -> None:
    hold: list[threading.Event] = []

    def hang(handler: BaseHTTPRequestHandler) -> None:
        hold[0].wait(10)

    server = stub(hang)
    hold.append(server.release)
    started = time.monotonic()
    with pytest.raises(EndpointError, match=r"did not answer PUT within 0\.3 s after 2 attempts"):
        push_quads(
            SAMPLE,
            f"{server.url}/query",
            graph_store=f"{server.url}/store",
            timeout=0.3,
            retries=1,
            backoff=0.01,
        )
    assert time.monotonic() - started < 3


def test_unauthorised_names_the_environment_variables(stub: Callable[[Behaviour], Stub]) -> None:
    server = stub(answer(401))
    with pytest.raises(EndpointError, match=f"401 Unauthorized to PUT — set {USER_ENV} and"):
        push_quads(SAMPLE, f"{server.url}/query", graph_store=f"{server.url}/store", **FAST)


def test_a_store_that_drops_data_is_never_a_success(stub: Callable[[Behaviour], Stub]) -> None:
    empty = json.dumps({"head": {"vars": ["n"]}, "results": {"bindings": []}}).encode()

    def liar(handler: BaseHTTPRequestHandler) -> None:
        if handler.command == "PUT":
            answer(204)(handler)
        else:
            answer(200, empty, "application/sparql-results+json")(handler)

    server = stub(liar)
    with pytest.raises(EndpointError, match=r"does not hold what was pushed \(2 graph\(s\)"):
        push_quads(SAMPLE, f"{server.url}/query", graph_store=f"{server.url}/store", **FAST)
    assert server.methods("PUT") == 2


TRUE = b'{"head":{},"boolean":true}'


def challenge(scheme: str, password: str = "s3cret") -> Behaviour:
    """Answer 401 with a ``scheme`` challenge unless basic credentials editor:password came."""
    wanted = "Basic " + base64.b64encode(f"editor:{password}".encode()).decode()

    def respond(handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("Authorization") == wanted:
            answer(200, TRUE, "application/sparql-results+json")(handler)
            return
        handler.send_response(401)
        handler.send_header("WWW-Authenticate", f'{scheme} realm="kg"')
        handler.send_header("Content-Length", "0")
        handler.send_header("Connection", "close")
        handler.end_headers()

    return respond


def test_credentials_go_only_where_a_challenge_asks_for_them(
    stub: Callable[[Behaviour], Stub], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(USER_ENV, "editor")
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    server = stub(challenge("Basic"))
    assert query_endpoint(f"{server.url}/query", "ASK {}", "json") == TRUE
    first, second = (headers for _, _, headers in server.requests)
    assert "Authorization" not in first  # nothing in clear text before the server asks
    assert second["Authorization"] == "Basic " + base64.b64encode(b"editor:s3cret").decode()
    assert all(method == "GET" for method, _, _ in server.requests)


def test_wrong_password_and_missing_credentials_are_told_apart(
    stub: Callable[[Behaviour], Stub], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = stub(challenge("Basic", password="other"))
    monkeypatch.delenv(USER_ENV, raising=False)
    with pytest.raises(EndpointError, match=f"asks for Basic auth\\) — set {USER_ENV} and"):
        query_endpoint(f"{server.url}/query", "ASK {}", "json")
    monkeypatch.setenv(USER_ENV, "editor")
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    with pytest.raises(EndpointError, match="were sent — check the user name and password"):
        query_endpoint(f"{server.url}/query", "ASK {}", "json")
    digest = stub(challenge("Digest"))
    monkeypatch.delenv(USER_ENV)
    with pytest.raises(EndpointError, match="it asks for Digest auth"):
        query_endpoint(f"{digest.url}/query", "ASK {}", "json")


def test_long_queries_are_form_posts_never_direct_posts(
    stub: Callable[[Behaviour], Stub],
) -> None:
    server = stub(answer(200, TRUE, "application/sparql-results+json"))
    long_filter = " || ".join(f"?x = {n}" for n in range(400))
    remote_query(f"{server.url}/query", "ASK {}")
    remote_query(f"{server.url}/query", f"ASK {{ BIND(1 AS ?x) FILTER({long_filter}) }}")
    (short_method, short_path, _), (long_method, _, long_headers) = server.requests
    assert short_method == "GET" and short_path.startswith("/query?query=PREFIX+")
    assert long_method == "POST"
    assert long_headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_a_capped_answer_is_reported(stub: Callable[[Behaviour], Stub]) -> None:
    rows = b'{"head":{"vars":["n"]},"results":{"bindings":[{"n":{"type":"literal","value":"1"}}]}}'

    def capped(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/sparql-results+json")
        handler.send_header("X-KG-Truncated", "true")
        handler.send_header("X-KG-Max-Rows", "1")
        handler.send_header("Content-Length", str(len(rows)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(rows)

    server = stub(capped)
    notes: list[str] = []
    with Client(warn=notes.append) as client:
        answer = remote_query(f"{server.url}/query", "SELECT ?n WHERE {}", client=client)
    assert answer.rows == [{"n": "1"}]
    assert notes == [
        f"{server.url}/query cut the answer at 1 rows (the store's own limit): narrow the "
        "query, or page through it with LIMIT and OFFSET"
    ]


def test_a_wrong_endpoint_fails_before_anything_is_written(
    stub: Callable[[Behaviour], Stub],
) -> None:
    server = stub(answer(404, b"no such path"))
    with pytest.raises(EndpointError, match=r"query endpoint\?\)$"):
        push_quads(SAMPLE, f"{server.url}/query", **FAST)
    assert [method for method, _, _ in server.requests] == ["GET"]


def test_stored_but_not_counted_says_so(stub: Callable[[Behaviour], Stub]) -> None:
    asked: list[str] = []

    def counting_breaks(handler: BaseHTTPRequestHandler) -> None:
        if handler.command == "PUT":
            answer(201)(handler)
        elif not asked:  # the first query asks what the store is
            asked.append(handler.path)
            answer(200, TRUE, "application/sparql-results+json")(handler)
        else:
            answer(500, b"out of memory")(handler)

    server = stub(counting_breaks)
    with pytest.raises(UnverifiedPush) as caught:
        push_quads(SAMPLE, f"{server.url}/query", graph_store=f"{server.url}/store", **FAST)
    assert str(caught.value) == (
        f"stored all 2 graphs (2 triples) at {server.url}/store, but could not count them at "
        f"{server.url}/query: {server.url}/query failed on GET (500): out of memory — see the "
        "server's log"
    )
    assert caught.value.report.graphs == 2 and not caught.value.report.verified
    assert server.methods("PUT") == 2


def test_no_graph_store_and_no_update_is_an_error(stub: Callable[[Behaviour], Stub]) -> None:
    def queries_only(handler: BaseHTTPRequestHandler) -> None:
        if handler.command == "GET" and handler.path.startswith("/query?"):
            answer(200, TRUE, "application/sparql-results+json")(handler)
        else:
            answer(404, b"no such path")(handler)

    server = stub(queries_only)
    with pytest.raises(EndpointError, match=r"update answered 404 Not Found to POST"):
        push_quads(SAMPLE, f"{server.url}/query", **FAST)
    assert server.methods("HEAD") == 2  # /store and /data were probed


def test_kg_query_endpoint_against_a_pushed_store(pushed: str) -> None:
    endpoint = pushed
    for args in (["as-of", "--param", "day=2022-01-01"], ["part-of", "--json"]):
        local = CliRunner().invoke(main, ["query", *args, "--root", str(ROOT)])
        remote = CliRunner().invoke(main, ["query", *args, "--endpoint", endpoint])
        assert local.exit_code == remote.exit_code == 0, remote.output
        assert sorted(remote.output.splitlines()) == sorted(local.output.splitlines())
    down = CliRunner().invoke(
        main, ["query", "delistings", "--endpoint", f"http://{LOOPBACK}:{free_port()}/query"]
    )
    assert down.exit_code == 1 and "connection refused" in down.output
