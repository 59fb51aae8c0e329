"""Run SPARQL safely against the local store.

Both engines reach the network or the file system from some query forms (SERVICE, LOAD, FROM
with a remote IRI; updates change data), so those forms are refused before a query runs.

>>> check_query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
Traceback (most recent call last):
...
kg.errors.QueryError: SERVICE is not allowed in local queries (line 1, column 19) — kg never fetches remote data
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kg.errors import QueryError
from kg.ontology import BASE_IRI, PREFIXES

_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
      | (?P<iri><[^<>"{}|^`\\\s]*>)
      | (?P<var>[?$]\w+)
      | (?P<pname>[\w.-]*:[\w.:%-]*)
      | (?P<word>[A-Za-z_]\w*)
      | (?P<other>\S)""",
    re.VERBOSE | re.DOTALL,
)
REFUSED = {
    "SERVICE": "kg never fetches remote data",
    "LOAD": "kg never fetches remote data",
    "INSERT": "local queries are read-only",
    "DELETE": "local queries are read-only",
    "CLEAR": "local queries are read-only",
    "DROP": "local queries are read-only",
    "CREATE": "local queries are read-only",
    "ADD": "local queries are read-only",
    "MOVE": "local queries are read-only",
    "COPY": "local queries are read-only",
}
RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
                 "trig": ox.RdfFormat.TRIG, "nq": ox.RdfFormat.N_QUADS}


def _position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {col}"


def check_query(text: str) -> None:
    """Refuse SERVICE, LOAD, updates, and FROM / FROM NAMED naming anything but kg's graphs."""
    tokens = [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(text)]
    words = [(v, at) for kind, v, at in tokens if kind in ("word", "iri")]
    for index, (value, at) in enumerate(words):
        keyword = value.upper()
        if keyword in REFUSED:
            raise QueryError(f"{keyword} is not allowed in local queries ({_position(text, at)})"
                             f" — {REFUSED[keyword]}")
        if keyword == "FROM":
            following = words[index + 1: index + 3]
            iri = next((v for v, _ in following if v.startswith("<")), None)
            if iri is None or not iri[1:-1].startswith(BASE_IRI):
                raise QueryError(f"FROM must name one of kg's own graphs ({_position(text, at)})"
                                 f" — use GRAPH ?g {{ ... }} or an IRI under {BASE_IRI}")


@dataclass
class QueryResult:
    """A query's answer: variables and rows (SELECT), a boolean (ASK) or triples (CONSTRUCT)."""

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[str, str, str]] = field(default_factory=list)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows) if self.kind == "select" else len(self.triples)


def python_value(term: Any) -> Any:
    """A pyoxigraph term as a plain Python value: IRIs and strings as str, numbers as numbers.

    >>> python_value(ox.Literal("3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
    3
    """
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value.rsplit("#", 1)[-1]
        if datatype in ("integer", "int", "long"):
            return int(term.value)
        if datatype in ("decimal", "double", "float"):
            return float(term.value)
        if datatype == "boolean":
            return term.value == "true"
        return term.value
    return term.value


def _run(store: ox.Store, text: str, bindings: Mapping[str, Any] | None) -> Any:
    check_query(text)
    substitutions = {ox.Variable(k): _term(v) for k, v in (bindings or {}).items()}
    try:
        return store.query(text, prefixes=PREFIXES, substitutions=substitutions or None)
    except SyntaxError as err:
        raise QueryError(f"SPARQL syntax error: {err} — check the query near that position") from None
    except (OSError, ValueError, RuntimeError) as err:
        raise QueryError(f"query failed: {err}") from None


def _term(value: Any) -> Any:
    if isinstance(value, ox.NamedNode | ox.Literal | ox.BlankNode):
        return value
    if isinstance(value, str) and re.match(r"^[a-z][a-z0-9+.-]*://", value):
        return ox.NamedNode(value)
    return ox.Literal(str(value)) if not isinstance(value, bool | int | float) else \
        ox.Literal(str(value).lower() if isinstance(value, bool) else str(value),
                   datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#" + (
                       "boolean" if isinstance(value, bool) else
                       "integer" if isinstance(value, int) else "double")))


def run_query(store: ox.Store, text: str, bindings: Mapping[str, Any] | None = None) -> QueryResult:
    """Run a read-only query; kg's prefixes (kg:, entity:, article:, schema:, ...) are predefined.

    >>> store = ox.Store()
    >>> run_query(store, "ASK { ?s ?p ?o }").boolean
    False
    """
    answer = _run(store, text, bindings)
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult("ask", boolean=bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        names = [v.value for v in answer.variables]
        rows = [{n: python_value(sol[n]) for n in names} for sol in answer]
        return QueryResult("select", variables=names, rows=rows)
    triples = [(t.subject.value, t.predicate.value, str(t.object)) for t in answer]
    return QueryResult("graph", triples=triples)


def serialize_query(store: ox.Store, text: str, fmt: str,
                    bindings: Mapping[str, Any] | None = None) -> bytes:
    """Run a query and serialise its answer in a W3C results format (json, xml, csv, tsv) or,
    for CONSTRUCT/DESCRIBE, an RDF format (ttl, nt)."""
    answer = _run(store, text, bindings)
    if isinstance(answer, ox.QueryTriples):
        return answer.serialize(format=GRAPH_FORMATS.get(fmt, ox.RdfFormat.TURTLE)) or b""
    if fmt not in RESULT_FORMATS:
        raise QueryError(f"unknown result format {fmt!r} — use one of {', '.join(RESULT_FORMATS)}")
    return answer.serialize(format=RESULT_FORMATS[fmt]) or b""
