"""kg serve over HTTP: Oxigraph's engine in private processes behind kg's guard, on free
loopback ports."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.engine import RECENT_RUNS
from kg.errors import EndpointError
from kg.guard import MAX_BODY
from kg.knowledge import KnowledgeGraph
from kg.remote import remote_query
from kg.server import LOOPBACK, Source, SparqlServer, free_port, negotiate
from kg.sparql import QueryResult, bind_text, named_queries, run_query, with_values
from tests.conftest import children_of, internet_sockets, running

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
#: Parameters the named queries need (or accept) for a meaningful run.
PARAMS = {
    "as-of": {"day": "2022-01-01"},
    "two-hop": {"entity": "ifs"},
    "sources": {"s": "ifs", "p": "partOf", "o": "ministry-of-public-security"},
}


@pytest.fixture(scope="module")
def served(graph: KnowledgeGraph) -> Iterator[SparqlServer]:
    """kg serve over the seed dataset, on a free port, with a 3 s query deadline."""
    source = Source("the seed dataset", lambda: list(graph.store))
    with SparqlServer(source, port=0, timeout=3.0, watch=0) as server:
        yield server


def http(
    url: str,
    *,
    query: str | None = None,
    method: str = "GET",
    accept: str = "",
    body: bytes | None = None,
    content_type: str = "",
    timeout: float = 20.0,
) -> tuple[int, dict[str, str], bytes]:
    """One request; returns status, headers (lower-case names) and body, errors included."""
    if query is not None:
        url += "?" + urllib.parse.urlencode({"query": query})
    headers = {"Accept": accept} if accept else {}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, _lower(response.headers.items()), response.read()
    except urllib.error.HTTPError as err:
        return err.code, _lower(err.headers.items()), err.read()


def _lower(items: object) -> dict[str, str]:
    return {name.lower(): value for name, value in items}  # type: ignore[attr-defined]


def concatenated(text: str) -> set[str]:
    """Variables bound by GROUP_CONCAT, whose order SPARQL leaves to the engine."""
    return set(re.findall(r"(?is)GROUP_CONCAT\(.*?\)\s*AS\s+\?(\w+)", text))


def canonical(result: QueryResult, unordered: set[str] = frozenset()) -> object:  # type: ignore[assignment]
    """A result in a comparable form: rows as sorted tuples (order is checked separately)."""
    if result.kind == "ask":
        return result.boolean
    if result.kind == "graph":
        return sorted(result.triples)

    def cell(name: str, value: object) -> str:
        if name in unordered and isinstance(value, str):
            return " ".join(sorted(value.split(" ")))
        return repr(value)

    return result.variables, sorted(
        tuple(cell(v, row[v]) for v in result.variables) for row in result.rows
    )


def test_listens_on_loopback_only(served: SparqlServer) -> None:
    assert served.url.startswith(f"http://{LOOPBACK}:")
    assert served._front is not None and served._front.server_address[0] == LOOPBACK
    assert served.engine is not None
    engines = served.engine.pids()
    assert len(engines) == 2
    # the engines listen on no address at all: only the guard can reach them, through Unix
    # sockets that only this user may open, in a folder only this user may enter
    for pid in engines:
        assert internet_sockets(pid) == [], "an engine holds a TCP or UDP socket"
    for name in served.engine.LANES:
        path = served.engine.lane(name).process.socket_path
        assert stat.S_ISSOCK(path.stat().st_mode) and stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert internet_sockets(os.getpid())  # the check sees the guard's own listening socket


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_named_queries_answer_as_locally(
    served: SparqlServer, graph: KnowledgeGraph, name: str
) -> None:
    named = named_queries()[name]
    bindings = named.bind(PARAMS.get(name, {}))
    local = run_query(graph.store, named.text, bindings)
    remote = remote_query(served.url, bind_text(named.text, bindings))
    assert remote.kind == local.kind
    unordered = concatenated(named.text)
    assert canonical(remote, unordered) == canonical(local, unordered)
    as_values = remote_query(served.url, with_values(named.text, bindings))
    assert canonical(as_values, unordered) == canonical(local, unordered)
    if "ORDER BY" in named.text.upper() and local.kind == "select":
        keys = re.findall(r"\?(\w+)", named.text.upper().split("ORDER BY", 1)[1])
        ordered = [v for v in local.variables if v.upper() in keys and v not in unordered]
        assert [[r[v] for v in ordered] for r in remote.rows] == [
            [r[v] for v in ordered] for r in local.rows
        ]
    assert len(local) > 0 or name != "delistings"


def test_point_lookup_in_every_result_format(served: SparqlServer) -> None:
    text = "SELECT ?label WHERE { entity:ifs rdfs:label ?label }"
    answers = {
        accept: http(served.url, query=text, accept=accept)
        for accept in (
            "application/sparql-results+json",
            "application/sparql-results+xml",
            "text/csv",
            "text/tab-separated-values",
        )
    }
    for accept, (status, headers, body) in answers.items():
        assert status == 200, body
        assert headers["content-type"].startswith(accept)
        assert headers["x-kg-truncated"] == "false"
        assert "Institute of Forensic Science" in body.decode()
    status, _, body = answers["application/sparql-results+json"]
    rows = json.loads(body)["results"]["bindings"]
    assert rows == [{"label": {"type": "literal", "value": "Institute of Forensic Science"}}]
    assert answers["text/csv"][2] == b"label\r\nInstitute of Forensic Science\r\n"


def test_ask_construct_describe_and_negotiation(
    served: SparqlServer, graph: KnowledgeGraph
) -> None:
    status, headers, body = http(served.url, query="ASK { entity:ifs a kg:GovernmentAgency }")
    assert (status, json.loads(body)["boolean"]) == (200, True)
    construct = "CONSTRUCT { entity:ifs ?p ?o } WHERE { entity:ifs ?p ?o }"
    local = run_query(graph.store, construct)
    for accept, rdf in (
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/n-quads", ox.RdfFormat.N_QUADS),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ):
        status, headers, body = http(served.url, query=construct, accept=accept)
        assert status == 200 and headers["content-type"].startswith(accept)
        assert len(list(ox.parse(body, format=rdf))) == len(local.triples) > 3
    status, headers, body = http(served.url, query="DESCRIBE entity:ifs", accept="text/turtle")
    assert status == 200 and b"Institute of Forensic Science" in body
    status, _, body = http(f"{served.url}?format=csv&query=ASK%20%7B%7D")
    assert (status, body) == (200, b"true")
    status, _, body = http(served.url, query="ASK {}", accept="image/png")
    assert status == 406 and "application/sparql-results+json" in json.loads(body)["error"]


def test_protocol_forms(served: SparqlServer) -> None:
    text = "SELECT ?label WHERE { entity:ifs rdfs:label ?label }"
    as_form = urllib.parse.urlencode({"query": text}).encode()
    form = http(
        served.url, method="POST", body=as_form, content_type="application/x-www-form-urlencoded"
    )
    direct = http(
        served.url, method="POST", body=text.encode(), content_type="application/sparql-query"
    )
    assert form[0] == direct[0] == 200 and form[2] == direct[2]
    base = served.url.rsplit("/", 1)[0]
    graph = urllib.parse.quote("https://kg.example/ontology", safe="")
    status, _, body = http(f"{base}/store?graph={graph}", accept="application/n-triples")
    assert status == 200 and body.count(b" .\n") > 10
    assert http(f"{served.url}?query=")[0] == 400  # an empty query
    assert http(f"{base}/nothing/here", query="ASK {}")[0] == 404
    status, _, body = http(served.url, query="SELECT * WHERE { ?s ?p }")
    assert status == 400 and json.loads(body)["error"].startswith("the query failed: error at 1:")
    info = json.loads(http(f"{base}/")[2])
    assert info["read_only"] is True and info["quads"] == served.quads


def test_updates_and_graph_store_writes_are_refused(served: SparqlServer) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    before = remote_query(served.url, count).rows
    base = served.url.rsplit("/", 1)[0]
    update = b"DROP ALL"
    refused = [
        http(
            f"{base}/update", method="POST", body=update, content_type="application/sparql-update"
        ),
        http(served.url, method="POST", body=update, content_type="application/sparql-update"),
        http(
            served.url,
            method="POST",
            body=b"update=DROP%20ALL",
            content_type="application/x-www-form-urlencoded",
        ),
    ]
    for status, _, body in refused:
        assert status == 403 and "read-only" in json.loads(body)["error"]
    status, _, body = http(served.url, query="INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert status == 400 and "INSERT is not allowed" in json.loads(body)["error"]
    for method in ("PUT", "POST", "DELETE"):
        status, _, body = http(
            f"{base}/store?default",
            method=method,
            body=b"<a:b> <a:c> <a:d> .",
            content_type="text/turtle",
        )
        assert status == 405 and "Graph Store writes are refused" in json.loads(body)["error"]
    assert remote_query(served.url, count).rows == before


def test_service_and_load_never_reach_the_network(served: SparqlServer) -> None:
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen()
        listener.settimeout(0.3)
        port = listener.getsockname()[1]
        for text in (
            f"SELECT * WHERE {{ SERVICE <http://{LOOPBACK}:{port}/sparql> {{ ?s ?p ?o }} }}",
            f"LOAD <http://{LOOPBACK}:{port}/data.ttl>",
            f"SELECT * FROM <http://{LOOPBACK}:{port}/g> WHERE {{ ?s ?p ?o }}",
        ):
            status, _, body = http(served.url, query=text)
            assert status == 400, body
            assert "not allowed" in json.loads(body)["error"] or "FROM must" in body.decode()
        with pytest.raises(TimeoutError):
            listener.accept()


def test_runaway_query_is_stopped_and_the_next_one_answers(served: SparqlServer) -> None:
    restarts = served.restarts
    started = time.monotonic()
    status, headers, body = http(served.url, query=RUNAWAY)
    took = time.monotonic() - started
    assert status == 504 and "deadline" in json.loads(body)["error"]
    assert headers["content-type"].startswith("application/json")
    assert took < served.timeout + 2
    assert served.restarts == restarts + 1
    status, _, body = http(served.url, query="ASK { entity:ifs ?p ?o }")
    assert (status, json.loads(body)["boolean"]) == (200, True)


def test_answers_are_capped_with_a_visible_flag(served: SparqlServer) -> None:
    cap = served.max_rows
    served.max_rows = 7
    try:
        status, headers, body = http(
            served.url, query="SELECT * WHERE { ?s ?p ?o }", accept="text/tab-separated-values"
        )
        assert status == 200
        assert headers["x-kg-truncated"] == "true" and headers["x-kg-rows"] == "7"
        assert body.count(b"\n") == 8  # the header line and 7 rows
        status, headers, body = http(
            served.url, query="CONSTRUCT WHERE { ?s ?p ?o }", accept="application/n-triples"
        )
        assert headers["x-kg-truncated"] == "true" and body.count(b" .\n") == 7
        status, headers, _ = http(served.url, query="SELECT * WHERE { ?s ?p ?o } LIMIT 7")
        assert headers["x-kg-truncated"] == "false"
    finally:
        served.max_rows = cap


def test_engine_crash_is_survived(served: SparqlServer) -> None:
    assert served.engine is not None
    for pid in served.engine.pids():
        os.kill(pid, signal.SIGKILL)
    status, _, body = http(served.url, query="ASK { entity:ifs ?p ?o } # after a crash")
    assert (status, json.loads(body)["boolean"]) == (200, True)


def test_rebuild_swaps_snapshots_without_disturbing_readers(tmp_path: Path) -> None:
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    state = {"version": 1}

    def quads() -> list[ox.Quad]:
        size = 50 * state["version"]
        return [
            ox.Quad(ox.NamedNode(f"https://kg.example/entity/e{i}"), label, ox.Literal(f"E {i}"))
            for i in range(size)
        ]

    source = Source("a changing source", quads, lambda: state["version"])
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    with SparqlServer(source, port=0, timeout=5.0, watch=0) as server:
        seen: list[object] = []
        stop = threading.Event()

        def reader() -> None:
            while not stop.is_set():
                status, _, body = http(server.url, query=count)
                seen.append(
                    json.loads(body)["results"]["bindings"][0]["n"]["value"]
                    if status == 200
                    else status
                )

        threads = [threading.Thread(target=reader) for _ in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        assert server.engine is not None
        first = server.engine.lane("cheap")
        assert server.reload() is False  # nothing changed
        state["version"] = 2
        assert server.reload() is True
        time.sleep(0.3)
        stop.set()
        for thread in threads:
            thread.join()
        assert set(seen) == {"50", "100"}, set(seen)
        assert seen[-1] == "100"
        assert first is not None and not first.process.alive()
        assert not first.snapshot.exists()


def test_kg_serve_command_end_to_end(tmp_path: Path, built_exports: Path) -> None:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "kg",
        "serve",
        "--port",
        str(port),
        "--root",
        str(ROOT),
        "--from",
        str(built_exports / "kg.nq"),
        "--timeout",
        "5",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            banner = read_banner(process)
            assert f"read-only SPARQL endpoint at http://127.0.0.1:{port}/query" in banner
            assert f"curl -s http://127.0.0.1:{port}/query" in banner
            assert "on Unix sockets, no port of their own" in banner
            snapshots = Path(re.search(r"snapshots in (\S+)", banner).group(1))  # type: ignore[union-attr]
            assert len(list(snapshots.glob("*.sock"))) == 2
            url = f"http://127.0.0.1:{port}/query"
            status, _, body = http(url, query="ASK { entity:ifs ?p ?o }")
            assert (status, json.loads(body)["boolean"]) == (200, True)
            process.send_signal(signal.SIGINT)
            out, _ = process.communicate(timeout=15)
            assert process.returncode == 0
            assert "stopping" in out
            with pytest.raises(OSError):
                socket.create_connection((LOOPBACK, port), timeout=1).close()
            assert not snapshots.exists()  # snapshots and engine sockets removed
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()


def read_banner(process: subprocess.Popen[str]) -> str:
    """Lines printed by kg serve up to its example curl (bounded by a 60 s deadline)."""
    assert process.stdout is not None and process.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        assert line, "kg serve exited: " + process.stderr.read()
        lines.append(line)
        if "curl" in line:
            break
    return "".join(lines)


def test_negotiate_prefers_quality_then_order() -> None:
    offers = ["application/sparql-results+json", "text/csv"]
    assert negotiate("text/csv, */*;q=0.1", offers) == "text/csv"
    assert negotiate("*/*", offers) == offers[0]
    assert negotiate("text/csv;q=0", offers) is None
    assert negotiate("text/*;q=0.2, application/*;q=0.1", offers) == "text/csv"


@pytest.mark.parametrize("fmt", ["csv", "table"])
def test_kg_query_endpoint_against_kg_serve(served: SparqlServer, fmt: str) -> None:
    from click.testing import CliRunner

    from kg.cli import main

    args = ["query", "delistings", "--format", fmt, "--root", str(ROOT)]
    local = CliRunner().invoke(main, args)
    remote = CliRunner().invoke(main, [*args, "--endpoint", served.url])
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert sorted(remote.output.splitlines()) == sorted(local.output.splitlines())
    assert "ifs" in remote.output
    service = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    refused = CliRunner().invoke(
        main, ["query", service, "--endpoint", served.url, "--root", str(ROOT)]
    )
    assert refused.exit_code == 1 and "SERVICE is not allowed" in refused.output


def test_open_connections_are_capped(graph: KnowledgeGraph) -> None:
    source = Source("the seed dataset", lambda: list(graph.store))
    with SparqlServer(source, port=0, clients=2, watch=0) as server:
        held = [socket.create_connection((LOOPBACK, server.port), timeout=5) for _ in range(2)]
        try:
            time.sleep(0.2)
            with socket.create_connection((LOOPBACK, server.port), timeout=5) as third:
                assert third.recv(200).startswith(b"HTTP/1.1 503 Service Unavailable")
        finally:
            for conn in held:
                conn.close()
        time.sleep(0.2)
        status, _, _ = http(server.url, query="ASK {}")
        assert status == 200


# --- Hostile clients: forged Host and Origin headers -----------------------------------------


def raw(port: int, request: bytes, timeout: float = 20.0) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (forged headers included); parse the one response."""
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            found = re.search(rb"(?i)content-length: *(\d+)", head)
            if found and len(rest) >= int(found.group(1)):
                break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines[1:])
    }
    return int(lines[0].split()[1]), headers, body


def get_with(
    port: int, *headers: str, path: str = "/query?query=ASK%20%7B%7D"
) -> tuple[int, dict[str, str], bytes]:
    lines = [f"GET {path} HTTP/1.1", *headers, "Connection: close", "", ""]
    return raw(port, "\r\n".join(lines).encode())


def assert_json_error(status: int, headers: dict[str, str], body: bytes, expected: int) -> str:
    assert status == expected, body
    assert headers["content-type"].startswith("application/json"), headers
    shape = json.loads(body)
    assert set(shape) == {"status", "error"} and shape["status"] == expected
    assert isinstance(shape["error"], str) and shape["error"]
    return str(shape["error"])


def test_forged_host_headers_are_refused(served: SparqlServer) -> None:
    port = served.port
    for host in (
        "evil.example.com",
        "localhost.evil.com",
        f"localhost.evil.com:{port}",
        f"evil.example.com:{port}",
        "",
        f"localhost:{port + 1}",
        "127.0.0.2",
        f"127.0.0.1.nip.io:{port}",
    ):
        status, headers, body = get_with(port, f"Host: {host}")
        message = assert_json_error(status, headers, body, 403)
        assert "--allow-host" in message or "Host" in message
    status, headers, body = get_with(port)  # HTTP/1.1 without a Host header at all
    assert_json_error(status, headers, body, 403)
    for first, second in ((f"localhost:{port}", "evil.example.com"), ("evil.example.com", "")):
        # two Host headers, whichever comes first: a proxy may believe the other one
        status, headers, body = get_with(port, f"Host: {first}", f"Host: {second}")
        assert "2 Host headers" in assert_json_error(status, headers, body, 403)
    status, headers, body = get_with(
        port, f"Host: localhost:{port}", f"Origin: http://localhost:{port}", "Origin: null"
    )
    assert "2 Origin headers" in assert_json_error(status, headers, body, 403)
    for host in (
        f"localhost:{port}",
        f"127.0.0.1:{port}",
        f"[::1]:{port}",
        "localhost",
        f"LOCALHOST:{port}",
    ):
        status, _, body = get_with(port, f"Host: {host}")
        assert (status, json.loads(body)["boolean"]) == (200, True), host
    status, _, body = get_with(port, f"Host: evil.example.com:{port}", path="/")
    assert status == 403 and b"quads" not in body  # no information leaks either


def test_cross_origin_browser_requests_are_refused(served: SparqlServer) -> None:
    port = served.port
    host = f"Host: 127.0.0.1:{port}"
    for origin in (
        "http://evil.example.com",
        "null",
        f"http://localhost:{port}.evil.com",
        "http://localhost",
        f"https://localhost:{port}",
    ):
        status, headers, body = get_with(port, host, f"Origin: {origin}")
        assert "--allow-origin" in assert_json_error(status, headers, body, 403)
        assert "access-control-allow-origin" not in headers
    status, headers, body = get_with(
        port, host, "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: cors"
    )
    assert_json_error(status, headers, body, 403)
    form = b"query=ASK%20%7B%7D"
    request = (
        f"POST /query HTTP/1.1\r\n{host}\r\nOrigin: http://evil.example.com\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(form)}\r\nConnection: close\r\n\r\n"
    ).encode() + form
    assert_json_error(*raw(port, request), 403)
    for origin in (f"http://localhost:{port}", f"http://127.0.0.1:{port}"):  # its own pages
        status, _, body = get_with(port, host, f"Origin: {origin}", "Sec-Fetch-Site: same-origin")
        assert (status, json.loads(body)["boolean"]) == (200, True)


def test_allowed_hosts_and_origins(graph: KnowledgeGraph) -> None:
    source = Source("the seed dataset", lambda: list(graph.store))
    with SparqlServer(
        source, port=0, watch=0, allow_hosts=["kg.lan"], allow_origins=["https://yasgui.example"]
    ) as server:
        port = server.port
        status, _, body = get_with(port, "Host: kg.lan:8080")
        assert (status, json.loads(body)["boolean"]) == (200, True)
        assert get_with(port, "Host: other.lan")[0] == 403
        status, headers, _ = get_with(port, "Host: kg.lan", "Origin: https://yasgui.example")
        assert status == 200 and headers["access-control-allow-origin"] == "https://yasgui.example"
        preflight = (
            f"OPTIONS /query HTTP/1.1\r\nHost: localhost:{port}\r\nOrigin: https://yasgui.example"
            "\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n"
        ).encode()
        status, headers, _ = raw(port, preflight)
        assert status == 204 and "POST" in headers["access-control-allow-methods"]
        assert get_with(port, "Host: kg.lan", "Origin: https://evil.example")[0] == 403


# --- Errors of one shape, and the service description ----------------------------------------


def test_every_error_is_json_of_one_shape(served: SparqlServer) -> None:
    port, host = served.port, f"Host: 127.0.0.1:{served.port}"
    long_get = f"GET /query?query={'x' * 70_000} HTTP/1.1\r\n{host}\r\n\r\n".encode()
    assert_json_error(*raw(port, long_get), 414)
    big = b"x" * (MAX_BODY + 1)
    request = (
        f"POST /query HTTP/1.1\r\n{host}\r\nContent-Type: application/sparql-query\r\n"
        f"Content-Length: {len(big)}\r\n\r\n"
    ).encode()
    assert_json_error(*raw(port, request + big), 413)
    assert_json_error(*raw(port, b"GET / x HTTP/1.1\r\n\r\n"), 400)
    assert_json_error(*raw(port, f"BREW /query HTTP/1.1\r\n{host}\r\n\r\n".encode()), 501)
    many = "".join(f"X-{i}: {i}\r\n" for i in range(150))
    assert_json_error(*raw(port, f"GET / HTTP/1.1\r\n{host}\r\n{many}\r\n".encode()), 431)
    base = served.url.rsplit("/", 1)[0]
    for url, method, expected in (
        (f"{served.url}?query=SELECT", "GET", 400),
        (f"{base}/nothing", "GET", 404),
        (f"{base}/store?default", "PUT", 405),
        (f"{served.url}?query=ASK%7B%7D&format=png", "GET", 400),
        (f"{base}/update", "POST", 403),
    ):
        status, headers, body = http(url, method=method, body=b"" if method != "GET" else None)
        assert_json_error(status, headers, body, expected)
    assert_json_error(*http(served.url, query="ASK {}", accept="image/png"), 406)
    status, headers, body = http(
        served.url, method="POST", body=b"ASK {}", content_type="text/plain"
    )
    assert_json_error(status, headers, body, 415)


def test_service_description_by_content_negotiation(
    served: SparqlServer, graph: KnowledgeGraph
) -> None:
    sd = "http://www.w3.org/ns/sparql-service-description#"
    status, headers, body = http(served.url, accept="text/turtle")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    turtle = ox.Store()
    turtle.load(body, format=ox.RdfFormat.TURTLE)
    status, headers, body = http(served.url, accept="application/ld+json")
    assert status == 200 and headers["content-type"].startswith("application/ld+json")
    jsonld = ox.Store()
    jsonld.load(body, format=ox.RdfFormat.JSON_LD)
    assert len(jsonld) == len(turtle) > 20
    ask = f"""PREFIX sd: <{sd}> PREFIX f: <http://www.w3.org/ns/formats/>
        ASK {{ <{served.url}> a sd:Service ; sd:endpoint <{served.url}> ;
                 sd:supportedLanguage sd:SPARQL11Query ;
                 sd:resultFormat f:SPARQL_Results_JSON, f:SPARQL_Results_CSV, f:Turtle ;
                 sd:defaultDataset/sd:defaultGraph ?default }}"""
    assert turtle.query(ask) and jsonld.query(ask)
    names = {
        q.graph_name.value for q in graph.store if not isinstance(q.graph_name, ox.DefaultGraph)
    }
    described = turtle.query(f"SELECT ?g WHERE {{ ?d <{sd}namedGraph>/<{sd}name> ?g }}")
    assert {row["g"].value for row in described} == names and len(names) > 5


# --- The engine never outlives its guard ------------------------------------------------------


def connect_unix(path: Path) -> None:
    """Connect to a Unix socket and hang up (OSError if nothing listens on it)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        probe.connect(str(path))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal: Linux")
def test_engines_die_with_kg_serve_killed_by_sigkill(tmp_path: Path, built_exports: Path) -> None:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "kg",
        "serve",
        "--port",
        str(port),
        "--root",
        str(ROOT),
        "--from",
        str(built_exports / "kg.nq"),
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            banner = read_banner(process)
            snapshots = Path(re.search(r"snapshots in (\S+)", banner).group(1))  # type: ignore[union-attr]
            engines = sorted(snapshots.glob("*.sock"))
            assert len(engines) == 2 and snapshots.is_dir()
            children = children_of(process.pid)
            assert len(children) == 2 and all(running(pid) for pid in children)
            for engine in engines:
                connect_unix(engine)
            process.kill()
            process.wait(timeout=10)
            deadline = time.monotonic() + 10
            while any(running(pid) for pid in children) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not any(running(pid) for pid in children), "an engine outlived kg serve"
            with pytest.raises(OSError):
                socket.create_connection((LOOPBACK, port), timeout=1).close()
            for engine in engines:
                # its socket file is left, and soon nothing answers on it (a killed process's
                # threads, RocksDB's among them, may outlive its main thread by a moment)
                while time.monotonic() < deadline:
                    try:
                        connect_unix(engine)
                    except OSError:
                        break
                    time.sleep(0.05)
                with pytest.raises(OSError):
                    connect_unix(engine)
            assert snapshots.is_dir()  # left behind by the killed server ...
        finally:
            if process.poll() is None:
                process.kill()
            process.communicate()
    source = Source("nothing", lambda: [])
    with SparqlServer(source, port=0, watch=0) as server:  # ... and removed at the next start
        assert not snapshots.exists()
        assert server.engine is not None and server.engine.workdir.path.exists()


# --- Fairness: slow queries cannot starve cheap ones -----------------------------------------

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_slow_queries_do_not_starve_point_lookups(graph: KnowledgeGraph) -> None:
    source = Source("the seed dataset", lambda: list(graph.store))
    with SparqlServer(source, port=0, timeout=4.0, watch=0, cache_size=0) as server:
        slow: list[tuple[int, str]] = []

        def hog() -> None:
            status, headers, _ = http(server.url, query=SLOW, timeout=30)
            slow.append((status, headers.get("x-kg-lane", "")))

        hogs = [threading.Thread(target=hog) for _ in range(20)]
        for thread in hogs:
            thread.start()
        time.sleep(0.5)
        took = []
        try:
            for entity in ("ifs", "ministry-of-public-security", "united-states") * 5:
                started = time.monotonic()
                status, headers, body = http(
                    server.url, query=f"SELECT ?p ?o WHERE {{ entity:{entity} ?p ?o }}"
                )
                took.append(time.monotonic() - started)
                assert status == 200 and headers["x-kg-lane"] == "cheap", body
                assert json.loads(body)["results"]["bindings"]
        finally:
            for thread in hogs:
                thread.join()
        assert len(slow) == 20 and {status for status, _ in slow} <= {503, 504}
        # Before lanes, a lookup sent during such a burst waited for the deadline (4 s here).
        assert max(took) < 2.0, took


def test_a_query_measured_slow_moves_to_the_costly_lane(served: SparqlServer) -> None:
    anchored_but_slow = (
        "SELECT (COUNT(*) AS ?n) WHERE { entity:ifs ?p ?o . ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    )
    engine = served.engine
    assert engine is not None
    assert engine.route(anchored_but_slow)[0] == "costly"  # unanchored patterns
    cheap_shape = "SELECT ?p ?o WHERE { entity:ifs ?p ?o }"
    lane, shape = engine.route(cheap_shape)
    assert lane == "cheap"
    engine._learn(shape, 5.0)  # its first run was slow: the costly lane from then on
    assert engine.route("SELECT ?p ?o WHERE { entity:united-states ?p ?o }")[0] == "costly"
    for _ in range(RECENT_RUNS):
        engine._learn(shape, 0.001)  # then usually fast again: back to the cheap lane
    assert engine.route(cheap_shape)[0] == "cheap"


def test_a_usually_fast_query_stays_cheap_when_one_run_is_slowed(served: SparqlServer) -> None:
    # Under load a query that usually takes milliseconds can take a second once; when the last
    # run decided the lane, a whole named query moved to the costly lane's 2 connections at
    # a lower priority (part-of at 100k claims: 23 requests/s where it answers 100).
    engine = served.engine
    assert engine is not None
    lane, shape = engine.route("SELECT ?p ?o WHERE { entity:ifs ?p ?o }")
    assert lane == "cheap"
    for took in (0.004, 0.006, 0.005, 0.005, 1.2):
        engine._learn(shape, took)
    assert engine.route("SELECT ?p ?o WHERE { entity:united-states ?p ?o }")[0] == "cheap"
    for _ in range(RECENT_RUNS):
        engine._learn(shape, 1.2)  # slow every time now: costly
    assert engine.route("SELECT ?p ?o WHERE { entity:united-states ?p ?o }")[0] == "costly"


def test_a_query_shape_that_ran_past_its_deadline_goes_to_the_costly_lane(
    served: SparqlServer,
) -> None:
    # one shape can be fast for most parameters and reach the deadline for a few (a named
    # query about a hub): its median stays low, but a deadline restarts the lane it ran in
    engine = served.engine
    assert engine is not None
    lane, shape = engine.route("SELECT ?s WHERE { ?s ?p entity:ifs }")
    assert lane == "cheap"
    for took in (0.004, 0.006, 0.005, 0.005, 0.004):
        engine._learn(shape, took)
    engine._learn(shape, math.inf)  # stopped at its deadline
    assert engine.route("SELECT ?s WHERE { ?s ?p entity:china }")[0] == "costly"
    for _ in range(RECENT_RUNS):
        engine._learn(shape, 0.005)  # the timed-out run has left the recent ones
    assert engine.route("SELECT ?s WHERE { ?s ?p entity:china }")[0] == "cheap"


def test_repeated_queries_are_answered_from_the_cache_until_the_data_change(
    tmp_path: Path,
) -> None:
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    state = {"version": 1}

    def quads() -> list[ox.Quad]:
        return [
            ox.Quad(ox.NamedNode(f"https://kg.example/entity/e{i}"), label, ox.Literal(f"E {i}"))
            for i in range(10 * state["version"])
        ]

    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    with SparqlServer(
        Source("changing", quads, lambda: state["version"]), port=0, watch=0
    ) as server:
        answers = [http(server.url, query=count) for _ in range(3)]
        assert [a[1]["x-kg-lane"] for a in answers] == ["costly", "cache", "cache"]
        assert len({a[2] for a in answers}) == 1 and b'"10"' in answers[0][2]
        state["version"] = 2
        assert server.reload()
        _, headers, body = http(server.url, query=count)
        assert headers["x-kg-lane"] != "cache" and b'"20"' in body


def test_the_engine_process_imports_nothing_of_kg() -> None:
    # it starts as a file (python -P kg/engineworker.py): a kg import would fail there, and the
    # package's own imports would slow every start and restart of a lane
    import ast

    import kg.engineworker

    tree = ast.parse(Path(kg.engineworker.__file__).read_text())
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }
    assert "kg" not in imported and "pyoxigraph" in imported


def test_the_protocols_dataset_parameters_choose_the_graphs(
    served: SparqlServer, graph: KnowledgeGraph
) -> None:
    article = "https://kg.example/article/003_fa74acf72e18e3c9"
    other = "https://kg.example/article/000_d8c50166044d5b84"
    local = ox.Store()
    local.extend(graph.store)

    def count(params: list[tuple[str, str]], text: str) -> int:
        url = served.url + "?" + urllib.parse.urlencode([("query", text), *params])
        status, _, body = http(url, accept="application/sparql-results+json")
        assert status == 200, body
        return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])

    every = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    in_graphs = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    one = len(list(local.quads_for_pattern(None, None, None, ox.NamedNode(article))))
    two = one + len(list(local.quads_for_pattern(None, None, None, ox.NamedNode(other))))
    assert one > 0
    assert count([("default-graph-uri", article)], every) == one
    assert count([("default-graph-uri", article), ("default-graph-uri", other)], every) == two
    assert count([("named-graph-uri", article)], in_graphs) == one
    assert count([], in_graphs) == sum(1 for q in local if q.graph_name != ox.DefaultGraph())
    status, headers, body = http(
        served.url
        + "?"
        + urllib.parse.urlencode([("query", every), ("default-graph-uri", "http://evil.example/")])
    )
    assert "kg's own graphs" in assert_json_error(status, headers, body, 400)


def test_a_graph_iri_that_is_not_an_iri_is_a_400(served: SparqlServer) -> None:
    for key in ("named-graph-uri", "default-graph-uri"):
        url = (
            served.url
            + "?"
            + urllib.parse.urlencode(
                [("query", "ASK { ?s ?p ?o }"), (key, "https://kg.example/article/a b")]
            )
        )
        status, headers, body = http(url)
        assert "is not an IRI" in assert_json_error(status, headers, body, 400)


def test_an_answer_cut_short_by_the_engine_is_an_error_not_a_shorter_answer(
    tmp_path: Path,
) -> None:
    # an engine that sends the header and some rows, then dies before the end of its answer
    from http.client import HTTPException

    from kg.engine import Engine, UnixHTTPConnection

    path = tmp_path / "engine.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen()

    def engine() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        rows = b"?s\n" + b"<https://kg.example/entity/x>\n" * 50
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/tab-separated-values\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(rows) + rows + b"\r\n"
        )
        conn.close()  # no last chunk: the answer is not complete

    thread = threading.Thread(target=engine)
    thread.start()
    owner, conn = Engine(cache_size=0), UnixHTTPConnection(path)
    try:
        with pytest.raises(HTTPException):
            owner._exchange(conn, "/query", b"", time.monotonic() + 5)
    finally:
        conn.close()
        owner.close()
        thread.join(timeout=5)
        listener.close()


def test_a_query_that_fails_while_answering_gets_an_error_from_the_engine(
    graph: KnowledgeGraph, tmp_path: Path
) -> None:
    # straight to an engine process (the guard would refuse SERVICE before it got there)
    from kg.engine import EngineProcess
    from kg.store import build_store_dir

    snapshot = build_store_dir(tmp_path / "snapshot", list(graph.store))
    with EngineProcess(snapshot, tmp_path / "engine.sock") as process:
        conn = process.connection()
        text = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
        conn.request("POST", "/query", text.encode(), {"Content-Type": "application/sparql-query"})
        response = conn.getresponse()
        said = response.read().decode()
        conn.close()
    assert response.status in (400, 500) and said, (response.status, said)


def test_a_lane_that_fails_to_start_leaves_no_process_and_the_load_is_tried_again(
    graph: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kg.engine as engine_module

    real_lane, started = engine_module.Lane, []

    def lane_failing_for_costly(name: str, *args: object, **kwargs: object) -> object:
        if name == "costly":
            raise EndpointError("the engine did not start (a test)")
        started.append(real_lane(name, *args, **kwargs))  # type: ignore[arg-type]
        return started[-1]

    version = ["first"]
    source = Source("the seed dataset", lambda: list(graph.store), lambda: version[0])
    with SparqlServer(source, port=0, watch=0) as server:
        assert server.engine is not None
        version[0] = "second"  # the source changed
        monkeypatch.setattr(engine_module, "Lane", lane_failing_for_costly)
        with pytest.raises(EndpointError):
            server.reload()
        assert started and not started[0].process.alive()  # the cheap lane it started is gone
        assert len(server.engine.pids()) == 2  # the previous snapshot is still served
        monkeypatch.setattr(engine_module, "Lane", real_lane)
        # the same source again: the failed load was not taken for done
        assert server.reload() is True
        assert server.engine.generation == 3
        status, _, _body = http(server.url, query="ASK { ?s ?p ?o }")
        assert status == 200


def test_a_disk_error_while_reloading_is_said_and_the_watch_goes_on(
    graph: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[str] = []
    version = ["first"]
    source = Source("the seed dataset", lambda: list(graph.store), lambda: version[0])
    with SparqlServer(source, port=0, watch=0.05, log=said.append) as server:
        assert server.engine is not None
        real_load, calls = server.engine.load, []

        def load_once_failing(*args: object, **kwargs: object) -> int:
            calls.append(1)
            if len(calls) == 1:
                raise OSError(28, "No space left on device")
            return real_load(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(server.engine, "load", load_once_failing)
        version[0] = "second"  # the source changed: the watch reloads
        deadline = time.monotonic() + 10
        while server.engine.generation < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any("could not be made" in line and "No space left" in line for line in said)
        assert server.engine.generation == 2  # tried again, and served
        status, _, _body = http(server.url, query="ASK { ?s ?p ?o }")
        assert status == 200
