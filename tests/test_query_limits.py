"""Local queries are bounded like remote ones: a row cap with a note, streamed output, a
deadline that really stops the query, and Ctrl-C that ends it cleanly."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.knowledge import KnowledgeGraph
from kg.ontology import PREFIXES
from kg.results import QueryTimeout
from kg.sparql import named_queries, run_query, serialize_query, stream_query
from tests.conftest import children_of, running

ROOT = Path(__file__).resolve().parent.parent
#: Every triple of the named graphs against every label: tens of thousands of rows.
MANY = "SELECT ?s ?label WHERE { GRAPH ?g { ?s ?p ?o } ?e rdfs:label ?label }"
#: A cross product that runs for minutes: only a deadline or a signal ends it.
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?a { ?s1 ?p1 ?o1 } GRAPH ?b { ?s2 ?p2 ?o2 } "
    "GRAPH ?c { ?s3 ?p3 ?o3 } }"
)
PARAMS = {
    "as-of": {"day": "2022-01-01"},
    "two-hop": {"entity": "ifs"},
    "sources": {"s": "ifs", "p": "partOf", "o": "ministry-of-public-security"},
}


def count(graph: KnowledgeGraph, text: str) -> int:
    where = text.split("WHERE", 1)[1]
    return int(
        next(iter(graph.store.query(f"SELECT (COUNT(*) AS ?n) WHERE {where}", prefixes=PREFIXES)))[
            "n"
        ].value
    )


def test_the_cli_caps_rows_by_default_and_says_so(graph: KnowledgeGraph) -> None:
    total = count(graph, MANY)
    assert total > 10_000
    capped = CliRunner().invoke(main, ["query", MANY, "--format", "csv", "--root", str(ROOT)])
    assert capped.exit_code == 0, capped.output
    lines = capped.stdout.splitlines()
    assert len(lines) == 1 + 10_000
    assert "showing the first 10,000 rows" in capped.stderr and "--no-limit" in capped.stderr
    few = CliRunner().invoke(
        main, ["query", MANY, "--format", "tsv", "--max-rows", "7", "--root", str(ROOT)]
    )
    assert len(few.stdout.splitlines()) == 8 and "first 7 rows" in few.stderr
    every = CliRunner().invoke(
        main, ["query", MANY, "--format", "csv", "--no-limit", "--root", str(ROOT)]
    )
    assert len(every.stdout.splitlines()) == 1 + total and not every.stderr
    table = CliRunner().invoke(main, ["query", MANY, "--max-rows", "5", "--root", str(ROOT)])
    assert table.exit_code == 0 and "5 rows" in table.stdout and "first 5 rows" in table.stderr


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "xml"])
def test_streamed_answers_match_the_engines_own_serialiser(graph: KnowledgeGraph, fmt: str) -> None:
    formats = {
        "csv": ox.QueryResultsFormat.CSV,
        "tsv": ox.QueryResultsFormat.TSV,
        "json": ox.QueryResultsFormat.JSON,
        "xml": ox.QueryResultsFormat.XML,
    }
    for name, query in named_queries().items():
        bindings = query.bind(PARAMS.get(name, {}))
        out = io.BytesIO()
        # a cap that is never reached: kg's own row writer (uncapped answers use the engine's)
        written = stream_query(graph.store, query.text, fmt, out, bindings, max_rows=10**9)
        expected = graph.store.query(
            query.text,
            prefixes=PREFIXES,
            substitutions={ox.Variable(k): v for k, v in bindings.items()},
        ).serialize(format=formats[fmt])
        assert out.getvalue() == expected, name
        assert written.truncated is False
    out = io.BytesIO()
    written = stream_query(graph.store, MANY, fmt, out, max_rows=3)
    assert (written.rows, written.truncated) == (3, True)
    if fmt == "csv":  # lossy: pyoxigraph does not read it back
        assert out.getvalue().count(b"\r\n") == 4
    else:
        assert len(list(ox.parse_query_results(out.getvalue(), format=formats[fmt]))) == 3


def test_graph_answers_are_capped_too(graph: KnowledgeGraph) -> None:
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
    nt = serialize_query(graph.store, construct, "nt", max_rows=4)
    assert nt.count(b" .\n") == 4
    ttl = serialize_query(graph.store, construct, "ttl", max_rows=4)
    assert len(list(ox.parse(ttl, format=ox.RdfFormat.TURTLE))) == 4


def test_a_deadline_stops_the_query_in_python(graph: KnowledgeGraph) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="1 s deadline"):
        graph.sparql(RUNAWAY, timeout=1)
    assert time.monotonic() - started < 10  # the query alone runs for minutes
    answer = graph.sparql("SELECT ?l WHERE { ?e rdfs:label ?l }", e="ifs", timeout=30)
    assert answer.rows == [{"l": "Institute of Forensic Science"}]
    with pytest.raises(QueryTimeout):
        serialize_query(graph.store, RUNAWAY, "csv", timeout=0.5)


def test_python_rows_are_capped_with_a_flag_and_a_warning(graph: KnowledgeGraph) -> None:
    with pytest.warns(UserWarning, match="max_rows=None"):
        capped = graph.sparql(MANY)
    assert len(capped.rows) == 10_000 and capped.truncated
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        some = graph.sparql(MANY, max_rows=50, timeout=60)
        assert len(some.rows) == 50 and some.truncated
        assert graph.sparql(MANY, max_rows=None).truncated is False
    assert len(run_query(graph.store, MANY, timeout=60).rows) == count(graph, MANY)


def start_query(*args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "kg", "query", RUNAWAY, "--root", str(ROOT), *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_child(process: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = children_of(process.pid)
        if children:
            return children[0]
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("kg query never started its query process")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kg_query_timeout_really_stops_the_query() -> None:
    process = start_query("--timeout", "1")
    child = wait_for_child(process)
    started = time.monotonic()
    out, err = process.communicate(timeout=60)
    assert time.monotonic() - started < 10
    assert process.returncode == 1 and "deadline" in err and "--timeout" in err
    assert "Traceback" not in err and not out
    assert not running(child)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_ends_kg_query_cleanly() -> None:
    process = start_query("--timeout", "0")
    child = wait_for_child(process)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert err.strip() == "kg: interrupted — the query was stopped"
    assert not running(child)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_query_process_dies_with_kg_query() -> None:
    process = start_query("--timeout", "0")
    child = wait_for_child(process)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=20)
    deadline = time.monotonic() + 10
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(child)


def test_json_output_is_one_document(graph: KnowledgeGraph) -> None:
    result = CliRunner().invoke(
        main, ["query", MANY, "--format", "json", "--max-rows", "3", "--root", str(ROOT)]
    )
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["results"]["bindings"]) == 3


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "xml"])
def test_streamed_values_with_quotes_and_markup_match_the_engine(
    graph: KnowledgeGraph, fmt: str
) -> None:
    """Apostrophes, quotes, markup and ampersands in values, IRIs and datatypes are escaped as
    the engine escapes them."""
    text = (
        "SELECT ?v ?w WHERE { VALUES (?v ?w) { "
        '("China\'s \\"x\\" <y> & z" <urn:x:a\'b&c>) ("l"@en-GB 12) '
        '("x"^^<urn:t\'q> <urn:y>) } }'
    )
    formats = {
        "csv": ox.QueryResultsFormat.CSV,
        "tsv": ox.QueryResultsFormat.TSV,
        "json": ox.QueryResultsFormat.JSON,
        "xml": ox.QueryResultsFormat.XML,
    }
    out = io.BytesIO()
    stream_query(graph.store, text, fmt, out, max_rows=10**9)
    expected = graph.store.query(text, prefixes=PREFIXES).serialize(format=formats[fmt])
    assert out.getvalue() == expected
    assert b"China" in expected
