"""Local SPARQL never reaches the network or the file system, and syntax errors say where.

A stub TCP listener on 127.0.0.1 stands in for a remote server: every refused query names it,
and it must receive no connection. A control test shows that pyoxigraph itself does connect to
it when a SERVICE query is not stopped, so the listener would notice.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg import api
from kg.cli import main
from kg.errors import QueryError
from kg.sparql import (
    check_query,
    named_queries,
    parse_param,
    run_query,
    serialize_query,
    with_values,
)


class Listener:
    """A TCP listener on an ephemeral loopback port that counts connections and closes them."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    stub = Listener()
    try:
        yield stub
    finally:
        stub.close()


REFUSED = {
    "SERVICE": "SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
    "SERVICE SILENT": "SELECT * WHERE {{ SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }}",
    "service, lower case": "select * where {{ service <{url}/sparql> {{ ?s ?p ?o }} }}",
    "SERVICE in ASK": "ASK {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
    "SERVICE in CONSTRUCT": "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}/s> {{ ?s ?p ?o }} }}",
    "SERVICE with a variable": "SELECT * {{ BIND(<{url}/s> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    "FROM": "SELECT * FROM <{url}/g> WHERE {{ ?s ?p ?o }}",
    "FROM NAMED": "SELECT * FROM NAMED <{url}/g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "FROM with a prefixed name": "PREFIX x: <{url}/> SELECT * FROM x:g WHERE {{ ?s ?p ?o }}",
    "LOAD": "LOAD <{url}/data.ttl>",
    "LOAD SILENT INTO GRAPH": "LOAD SILENT <{url}/data.ttl> INTO GRAPH <urn:x:g>",
    "LOAD a file": "LOAD <file:///etc/passwd>",
    "INSERT DATA": "INSERT DATA {{ <urn:x:a> <urn:x:b> <{url}/c> }}",
    "DELETE DATA": "DELETE DATA {{ <urn:x:a> <urn:x:b> <urn:x:c> }}",
    "DELETE WHERE": "DELETE WHERE {{ ?s ?p ?o }}",
    "INSERT WHERE": "INSERT {{ ?s ?p <{url}/x> }} WHERE {{ ?s ?p ?o }}",
    "WITH DELETE": "WITH <urn:x:g> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    "CLEAR": "CLEAR ALL",
    "DROP": "DROP GRAPH <urn:x:g>",
    "CREATE": "CREATE GRAPH <urn:x:g>",
    "ADD": "ADD DEFAULT TO <urn:x:g>",
    "MOVE": "MOVE DEFAULT TO <urn:x:g>",
    "COPY": "COPY DEFAULT TO <urn:x:g>",
}


def test_the_listener_notices_a_connection(listener):
    """Control: pyoxigraph, asked directly, does connect for SERVICE (so the checks matter)."""
    with pytest.raises(OSError):
        query = f"SELECT * WHERE {{ SERVICE <{listener.url}/sparql> {{ ?s ?p ?o }} }}"
        list(ox.Store().query(query))
    for _ in range(40):
        if listener.connections:
            break
        threading.Event().wait(0.05)
    assert listener.connections == 1


@pytest.mark.parametrize("form", sorted(REFUSED))
def test_refused_before_running_through_every_entry_point(form, listener, graph):
    text = REFUSED[form].format(url=listener.url)
    store_quads = len(graph.store)
    attempts = [
        lambda: check_query(text),
        lambda: graph.sparql(text),
        lambda: graph.query(text),
        lambda: graph.query(text, fmt="json"),
        lambda: run_query(graph.store, text),
        lambda: serialize_query(graph.store, text, "csv"),
        lambda: run_query(graph.store, text, {"x": "https://kg.example/entity/ifs"}),
    ]
    for attempt in attempts:
        with pytest.raises(QueryError, match=r"not allowed in local queries|FROM must name"):
            attempt()
    result = CliRunner().invoke(main, ["query", "--from", str(_export(graph)), text])
    assert result.exit_code == 1
    assert result.output.startswith("kg: ") and len(result.output.strip().splitlines()) == 1
    assert listener.connections == 0
    assert len(graph.store) == store_quads


_EXPORT: dict[int, object] = {}


def _export(graph):
    """The seed graph as N-Quads in a temporary file, written once per test session."""
    import tempfile
    from pathlib import Path

    key = id(graph)
    if key not in _EXPORT:
        path = Path(tempfile.mkdtemp(prefix="kg-safety-")) / "kg.nq"
        graph.store.dump(str(path), format=ox.RdfFormat.N_QUADS)
        _EXPORT[key] = path
    return _EXPORT[key]


def test_refusal_messages_say_where_and_why(listener):
    with pytest.raises(QueryError) as err:
        check_query(f"SELECT * WHERE {{\n  SERVICE <{listener.url}> {{ ?s ?p ?o }} }}")
    assert str(err.value) == (
        "SERVICE is not allowed in local queries (line 2, column 3) — kg never fetches remote data"
    )
    with pytest.raises(QueryError, match=r"INSERT is not allowed .* local queries are read-only"):
        check_query("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    with pytest.raises(
        QueryError,
        match=r"FROM must name one of kg's own graphs \(line 1, "
        r"column 10\) — use GRAPH \?g",
    ):
        check_query(f"SELECT * FROM <{listener.url}/g> WHERE {{ ?s ?p ?o }}")
    assert listener.connections == 0


def test_keywords_inside_strings_iris_and_comments_are_not_refused(graph):
    rows = graph.sparql('SELECT ("SERVICE and LOAD" AS ?x) WHERE { } # DROP ALL, INSERT')
    assert rows.rows == [{"x": "SERVICE and LOAD"}]


def test_from_one_of_kgs_own_graphs_is_allowed(graph):
    article = next(iter(graph.articles))
    rows = graph.sparql(
        f"SELECT (COUNT(*) AS ?n) FROM <https://kg.example/article/{article}> "
        "WHERE { ?c a kg:Claim }"
    )
    assert rows.rows[0]["n"] == sum(1 for r in graph.claim_rows if r["article"] == article)


# --- syntax errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "hint"),
    [
        (
            "SELECT * WHERE { ?s ?p }",
            "line 1, column 25 (near '}')",
            "a triple pattern needs a subject, a predicate and an object",
        ),
        (
            "SELECT * WHERE { ?s foo:bar ?o }",
            "line 1, column 28 (near 'foo:bar')",
            "unknown prefix 'foo:' — declare it with PREFIX foo: <...>",
        ),
        (
            "PREFIX x: <urn:x:>\nSELEC * WHERE { ?s ?p ?o }",
            "line 2, column 10",
            "'SELEC' is not a query form: a query starts with SELECT, ASK, CONSTRUCT or DESCRIBE",
        ),
        (
            "SELECT ?s\nWHERE {\n  ?s ?p ?o .\n  FILTER(?o > )\n}",
            "line 5, column 2",
            "an expression is incomplete: check operators, arguments and parentheses",
        ),
    ],
)
def test_syntax_errors_show_position_and_hint(graph, text, where, hint):
    with pytest.raises(QueryError) as err:
        graph.sparql(text)
    message = str(err.value)
    assert message.startswith("SPARQL syntax error at ")
    assert where in message and hint in message
    assert "\n" not in message


def test_cli_prints_a_syntax_error_on_one_line(graph):
    result = CliRunner().invoke(
        main, ["query", "--from", str(_export(graph)), "SELECT * WHERE { ?s ?p }"]
    )
    assert result.exit_code == 1
    assert result.output == (
        "kg: SPARQL syntax error at line 1, column 25 (near '}'): expected "
        "LATERAL, SERVICE, [_] — a triple pattern needs a subject, a "
        "predicate and an object\n"
    )


# --- parameters: substitution locally, inline VALUES remotely, same answers --------------------


def test_named_queries_have_a_header_and_project_their_parameters():
    queries = named_queries()
    assert {
        "as-of",
        "conflicts",
        "corroborated",
        "delistings",
        "part-of",
        "sources",
        "timeline",
        "who-said-what",
    } <= set(queries)
    for query in queries.values():
        assert query.title and query.description, query.name
        head = query.text.split("WHERE", 1)[0]
        for param in query.params:
            assert f"?{param.name}" in head, (query.name, param.name)
        check_query(query.text)


PARAMS = {
    "as-of": {"day": "2022-01-01"},
    "corroborated": {"min_outlets": "2"},  # the seed names two outlets (VOA, SCMP)
    "delistings": {"subject": "united-states"},
    "part-of": {"entity": "ifs"},
    "sources": {"s": "ifs", "p": "partOf", "o": "ministry-of-public-security"},
    "timeline": {"entity": "ifs"},
    "two-hop": {"entity": "ifs"},
    "who-said-what": {"speaker": "matthew-miller"},
}


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_inline_values_give_the_same_answer_as_substitution(graph, name):
    query = named_queries()[name]
    bindings = query.bind(PARAMS[name])
    substituted = run_query(graph.store, query.text, bindings)
    inlined = run_query(graph.store, with_values(query.text, bindings))
    assert substituted.rows == inlined.rows
    assert len(substituted.rows) > 0


def test_with_values_skips_the_construct_template():
    text = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    assert with_values(text, {"s": ox.NamedNode("urn:x:a")}) == (
        "CONSTRUCT { ?s ?p ?o } WHERE { VALUES (?s) { (<urn:x:a>) } ?s ?p ?o }"
    )
    with pytest.raises(QueryError, match="no WHERE"):
        with_values("DESCRIBE <urn:x:a>", {"s": "urn:x:a"})


def test_parse_param_for_ad_hoc_queries():
    assert parse_param("entity:ifs") == ox.NamedNode("https://kg.example/entity/ifs")
    assert parse_param("<urn:x:a>") == ox.NamedNode("urn:x:a")
    assert parse_param("https://example.org/x") == ox.NamedNode("https://example.org/x")
    assert parse_param("-3").value == "-3"
    assert parse_param("hello world") == ox.Literal("hello world")


def test_api_query_endpoint_error_path_names_the_endpoint():
    """No server listens on the port: the error says so (no traceback, no retry storm)."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    from kg.errors import KgError

    with pytest.raises(KgError) as err:
        api.query("delistings", endpoint=f"http://127.0.0.1:{port}/query", fmt="json")
    assert f"127.0.0.1:{port}" in str(err.value)
