"""Talk to any SPARQL 1.1 store over HTTP: push the dataset, run queries against it.

``push_quads`` replaces every graph of the dataset in the target store with the Graph Store HTTP
Protocol (one ``PUT`` per graph, so pushing twice gives the same store), falls back to SPARQL
Update (``DROP SILENT`` + ``INSERT DATA`` per graph) only when no Graph Store is found, and then
counts the triples of every graph through the query endpoint: a push succeeds only when every
count matches.

Queries are sent by GET, or as a form-encoded POST when long: every SPARQL 1.1 store answers
both, while a POST of ``application/sparql-query`` is never answered by Virtuoso 7.2.5.

Virtuoso is recognised by its ``Server`` header: kg then writes to its authenticated endpoints
(``/sparql-graph-crud-auth``, ``/sparql-auth``, HTTP digest) and, as Virtuoso has no plain default
graph, stores the default graph's triples in the named graph :data:`DEFAULT_GRAPH_IRI`.
Credentials come from the environment only (see :mod:`kg.httpclient`).

>>> declare_prefixes("SELECT * WHERE { ?s a kg:Person }").startswith("PREFIX kg: <")
True
>>> graph_store_candidates("http://localhost:3030/news/sparql")
['http://localhost:3030/news/store', 'http://localhost:3030/news/data', \
'http://localhost:3030/news/sparql-graph-crud-auth', \
'http://localhost:3030/news/sparql-graph-crud']
"""

from __future__ import annotations

import contextlib
import re
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.errors import EndpointError
from kg.httpclient import (
    PASSWORD_ENV,
    USER_ENV,
    Client,
    HttpError,
    Progress,
    Response,
    Unreachable,
    credentials,
    is_loopback,
)
from kg.ontology import BASE_IRI, PREFIXES
from kg.sparql import QueryResult, check_query, python_value

__all__ = [
    "DEFAULT_GRAPH_IRI",
    "PASSWORD_ENV",
    "USER_ENV",
    "Client",
    "PushReport",
    "UnverifiedPush",
    "push_quads",
    "query_endpoint",
    "remote_query",
]

#: Where the default graph's triples go in a store without a plain default graph (Virtuoso).
DEFAULT_GRAPH_IRI = f"{BASE_IRI}graph/default"

#: ``kg query --format`` names → the media type asked of the server.
MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "nq": "application/n-quads",
    "jsonld": "application/ld+json",
}
_GRAPH_FORMATS = {"ttl", "nt", "nq", "jsonld"}
#: Longest URL sent as GET; longer queries go as a form-encoded POST.
MAX_GET_URL = 2000
#: Seconds allowed to the first request that finds out what the store is.
PROBE_TIMEOUT = 10.0


def declare_prefixes(text: str) -> str:
    """Prepend kg's prefixes (kg:, entity:, schema:, ...) that the query does not declare itself.

    They go on the query's first line, so line numbers in a server's error messages still match.

    >>> declare_prefixes("PREFIX kg: <urn:mine#> ASK {}").count("PREFIX kg:")
    1
    """
    declared = {m.group(1) for m in re.finditer(r"(?i)\bPREFIX\s+([\w.-]*):", text)}
    missing = [f"PREFIX {name}: <{iri}>" for name, iri in PREFIXES.items() if name not in declared]
    return " ".join([*missing, text]) if missing else text


def is_virtuoso(response: Response) -> bool:
    """Whether an answer came from OpenLink Virtuoso (by its ``Server`` header)."""
    return response.server.lower().startswith("virtuoso")


def authenticated_url(endpoint: str) -> str | None:
    """Virtuoso's authenticated twin of a ``/sparql`` endpoint, if ``endpoint`` is one.

    >>> authenticated_url("http://127.0.0.1:8890/sparql")
    'http://127.0.0.1:8890/sparql-auth'
    >>> authenticated_url("http://127.0.0.1:7878/query") is None
    True
    """
    parts = urllib.parse.urlsplit(endpoint)
    path = parts.path.rstrip("/")
    if not path.endswith("/sparql"):
        return None
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path + "-auth", "", ""))


# --------------------------------------------------------------------------------------------
# Queries


def query_endpoint(
    url: str,
    text: str,
    fmt: str | None = None,
    *,
    timeout: float = 30.0,
    client: Client | None = None,
) -> QueryResult | bytes:
    """Run a read-only query on a remote SPARQL endpoint, as ``kg query --endpoint URL`` does.

    With ``fmt=None`` the answer is a :class:`~kg.sparql.QueryResult`, like a local query's;
    otherwise the server's bytes in ``fmt``: a W3C results format for SELECT/ASK (json, xml,
    csv, tsv) or an RDF format for CONSTRUCT/DESCRIBE (ttl, nt, nq, jsonld). The query is
    checked like a local one (no SERVICE, LOAD, remote FROM or update) and kg's prefixes are
    declared for it. Bind parameters beforehand with :func:`kg.sparql.with_values`.
    """
    if fmt is None:
        return remote_query(url, text, timeout=timeout, client=client)
    if fmt not in MEDIA_TYPES:
        raise EndpointError(f"unknown format {fmt!r} — use one of {', '.join(MEDIA_TYPES)}")
    if fmt in _GRAPH_FORMATS:
        accept = f"{MEDIA_TYPES[fmt]}, {MEDIA_TYPES['json']};q=0.5"
    else:
        accept = f"{MEDIA_TYPES[fmt]}, {MEDIA_TYPES['ttl']};q=0.5"
    with _client_for(client, timeout) as session:
        return send_query(url, text, accept, session).body


def remote_query(
    url: str, text: str, *, timeout: float = 30.0, client: Client | None = None
) -> QueryResult:
    """Run a read-only query on a remote endpoint; answer as :func:`kg.sparql.run_query` does."""
    accept = f"{MEDIA_TYPES['json']}, {MEDIA_TYPES['nt']};q=0.9, {MEDIA_TYPES['ttl']};q=0.8"
    with _client_for(client, timeout) as session:
        response = send_query(url, text, accept, session)
    return parse_answer(url, response)


def _client_for(client: Client | None, timeout: float) -> Client | contextlib.nullcontext[Client]:
    """A new client closed after the ``with`` block, or the caller's own left open."""
    return Client(timeout=timeout) if client is None else contextlib.nullcontext(client)


def parse_answer(url: str, response: Response) -> QueryResult:
    """A store's answer (SPARQL results, N-Triples or Turtle) as a :class:`QueryResult`."""
    try:
        if response.media_type in ("application/n-triples", "text/turtle"):
            rdf = (
                ox.RdfFormat.N_TRIPLES
                if "n-triples" in response.media_type
                else ox.RdfFormat.TURTLE
            )
            triples = [
                (q.subject.value, q.predicate.value, str(q.object))
                for q in ox.parse(response.body, format=rdf)
            ]
            return QueryResult("graph", triples=triples)
        results = ox.QueryResultsFormat.from_media_type(response.media_type)
        if results is None:
            raise EndpointError(
                f"{url} answered in {response.media_type or 'no media type'}, "
                "not a SPARQL results format"
            )
        answer = ox.parse_query_results(response.body, format=results)
    except (SyntaxError, ValueError) as err:
        raise EndpointError(f"{url} sent an answer kg cannot parse: {err}") from None
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult("ask", boolean=bool(answer))
    names = [v.value for v in answer.variables]
    rows = [{n: python_value(solution[n]) for n in names} for solution in answer]
    return QueryResult("select", variables=names, rows=rows)


def send_query(
    url: str, text: str, accept: str, client: Client, *, timeout: float | None = None
) -> Response:
    """Check the query, declare kg's prefixes and send it by GET (form POST when long).

    A store that refuses an anonymous query (401/403) at Virtuoso's ``/sparql`` is asked again
    at ``/sparql-auth`` when credentials are set.
    """
    check_query(text)
    try:
        return _send_query(url, declare_prefixes(text), accept, client, timeout)
    except HttpError as err:
        twin = authenticated_url(url)
        if err.status not in (401, 403) or twin is None or credentials() is None:
            raise
        client.note(f"{url} refused the query ({err.status}): asking {twin}")
        return _send_query(twin, declare_prefixes(text), accept, client, timeout)


def _send_query(
    url: str, text: str, accept: str, client: Client, timeout: float | None
) -> Response:
    form = urllib.parse.urlencode({"query": text})
    joiner = "&" if "?" in url else "?"
    if len(url) + len(form) + 1 <= MAX_GET_URL:
        headers = {"Accept": accept}
        response = client.request("GET", f"{url}{joiner}{form}", None, headers, timeout=timeout)
    else:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        response = client.request("POST", url, form.encode(), headers, timeout=timeout)
    if (cut := truncated_at(response)) and client.warn:
        client.warn(
            f"{url} cut the answer at {cut} rows (the store's own limit): narrow the query, "
            "or page through it with LIMIT and OFFSET"
        )
    return response


def truncated_at(response: Response) -> str | None:
    """The row limit a store says it cut this answer at, or None when the answer is whole.

    Virtuoso sends ``X-SPARQL-MaxRows`` (its ``ResultSetMaxRows``) only on a cut answer;
    kg serve sends ``X-KG-Truncated: true`` with ``X-KG-Max-Rows``.
    """
    headers = response.headers
    if "X-SPARQL-MaxRows" in headers:
        limit = headers["X-SPARQL-MaxRows"]
    elif headers.get("X-KG-Truncated") == "true":
        limit = headers.get("X-KG-Max-Rows") or "?"
    else:
        return None
    return f"{int(limit):,}" if limit.isdigit() else limit


# --------------------------------------------------------------------------------------------
# Push


@dataclass
class PushReport:
    """What a push did: where, how, how many graphs and triples, and that the counts matched."""

    endpoint: str
    target: str
    protocol: str
    graphs: int
    triples: int
    verified: bool = False
    default_graph: str | None = None
    auth: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


class UnverifiedPush(EndpointError):
    """Every graph was stored, but the counts could not be read back (``report`` says where)."""

    def __init__(self, message: str, report: PushReport) -> None:
        super().__init__(message)
        self.report = report


def graph_store_candidates(endpoint: str) -> list[str]:
    """Graph Store URLs that usually sit next to a query endpoint, most likely first.

    Oxigraph: ``/query`` → ``/store``; Fuseki: ``/ds/sparql`` → ``/ds/data``; Virtuoso:
    ``/sparql`` → ``/sparql-graph-crud-auth`` (writable, digest auth) or ``/sparql-graph-crud``;
    GraphDB / RDF4J: ``/repositories/ID`` → ``/repositories/ID/rdf-graphs/service``.

    >>> graph_store_candidates("http://127.0.0.1:7878/query")[0]
    'http://127.0.0.1:7878/store'
    >>> graph_store_candidates("http://localhost:7200/repositories/news")
    ['http://localhost:7200/repositories/news/rdf-graphs/service']
    """
    parts = urllib.parse.urlsplit(endpoint)
    path = parts.path.rstrip("/")
    base, _, last = path.rpartition("/")
    if re.search(r"/repositories/[^/]+$", path):
        paths = [f"{path}/rdf-graphs/service"]
    elif last in ("query", "sparql"):
        paths = [f"{base}/store", f"{base}/data"]
        if last == "sparql":
            paths += [f"{path}-graph-crud-auth", f"{path}-graph-crud"]
    else:
        paths = [f"{path}/store", f"{path}/data"]
    return [urllib.parse.urlunsplit((parts.scheme, parts.netloc, p, "", "")) for p in paths]


def update_url(endpoint: str, authenticated: bool = False) -> str:
    """Where SPARQL Update usually goes for a query endpoint (Oxigraph, Fuseki, GraphDB, Virtuoso).

    >>> update_url("http://127.0.0.1:7878/query")
    'http://127.0.0.1:7878/update'
    >>> update_url("http://localhost:8890/sparql"), update_url("http://h/sparql", True)
    ('http://localhost:8890/sparql', 'http://h/sparql-auth')
    """
    if authenticated and (twin := authenticated_url(endpoint)):
        return twin
    parts = urllib.parse.urlsplit(endpoint)
    path = parts.path.rstrip("/")
    if path.endswith("/query"):
        path = path[: -len("query")] + "update"
    elif re.search(r"/repositories/[^/]+$", path):
        path += "/statements"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _graph_url(store: str, graph: str | None) -> str:
    joiner = "&" if "?" in store else "?"
    if graph is None:
        return f"{store}{joiner}default"
    return f"{store}{joiner}graph={urllib.parse.quote(graph, safe='')}"


#: A graph no store holds: GETting it tells a Graph Store (404 or an empty 200) from no endpoint.
_PROBE_GRAPH = f"{BASE_IRI}graph/kg-push-probe-absent"


def _find_graph_store(endpoint: str, client: Client) -> str | None:
    """The first candidate that answers like a Graph Store; a 401 counts (it wants credentials).

    ``HEAD ?default`` first (Oxigraph, Fuseki, GraphDB answer 200); a store that refuses that
    (Virtuoso: 501 to HEAD, 500 for ``?default``) is asked for an absent named graph by GET.
    """
    probe = min(client.timeout, PROBE_TIMEOUT)
    for candidate in graph_store_candidates(endpoint):
        try:
            response = client.request("HEAD", _graph_url(candidate, None), timeout=probe, retries=0)
            if response.status < 300:
                return candidate
        except Unreachable:
            raise  # the server is down or the host is wrong: say so, do not guess further
        except HttpError as err:
            if err.status == 401:
                return candidate
            if err.status == 404:
                continue
        try:
            response = client.request(
                "GET", _graph_url(candidate, _PROBE_GRAPH), timeout=probe, retries=0
            )
        except HttpError as err:
            if err.status in (401, 404):
                return candidate
            continue
        if response.status < 300:
            return candidate
    return None


@dataclass
class _Store:
    """What kg found out about the target store before writing."""

    graph_store: str | None
    update: str
    virtuoso: bool


def _discover(endpoint: str, graph_store: str | None, protocol: str, client: Client) -> _Store:
    """Ask the endpoint a trivial query (is it up? which server?), then find where to write."""
    probe = min(client.timeout, PROBE_TIMEOUT)
    try:
        answer = send_query(endpoint, "ASK {}", MEDIA_TYPES["json"], client, timeout=probe)
    except HttpError as err:
        if graph_store is None:
            raise EndpointError(f"{err} (is it the store's SPARQL query endpoint?)") from None
        answer = err.response  # the Graph Store is known: the writes will tell
    except Unreachable:
        if graph_store is None:
            raise
        answer = None
    virtuoso = answer is not None and is_virtuoso(answer)
    signed_in = credentials() is not None
    if virtuoso and graph_store is None and protocol != "update":
        # Virtuoso's anonymous /sparql-graph-crud is read-only: writes go to the -auth twin
        twin = authenticated_url(endpoint)
        if twin is not None:
            graph_store = twin.replace("/sparql-auth", "/sparql-graph-crud-auth")
            if not signed_in:
                raise EndpointError(
                    f"{endpoint} is Virtuoso, which accepts writes only at "
                    f"{graph_store} (HTTP digest auth) — set {USER_ENV} and {PASSWORD_ENV} "
                    "(a stock database has dba / dba)"
                )
    if graph_store is None and protocol != "update":
        graph_store = _find_graph_store(endpoint, client)
        if graph_store is None and protocol == "graph-store":
            tried = ", ".join(graph_store_candidates(endpoint))
            raise EndpointError(
                f"no Graph Store found next to {endpoint} (tried {tried}) — pass --graph-store URL"
            )
    use_gsp = protocol != "update" and graph_store is not None
    return _Store(
        graph_store if use_gsp else None,
        update_url(endpoint, authenticated=virtuoso and signed_in),
        virtuoso,
    )


Graphs = dict[str | None, list[ox.Triple]]


def group_by_graph(quads: Iterable[ox.Quad]) -> Graphs:
    """Quads → triples per graph name (``None`` for the default graph), graphs in sorted order."""
    graphs: defaultdict[str | None, list[ox.Triple]] = defaultdict(list)
    for quad in quads:
        name = None if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
        graphs[name].append(ox.Triple(quad.subject, quad.predicate, quad.object))
    return dict(sorted(graphs.items(), key=lambda item: (item[0] is not None, item[0] or "")))


def push_quads(
    quads: Iterable[ox.Quad],
    endpoint: str,
    graph_store: str | None = None,
    *,
    protocol: str = "auto",
    default_graph: str | None = None,
    timeout: float = 60.0,
    retries: int = 2,
    backoff: float = 0.5,
    progress: Progress | None = None,
) -> PushReport:
    """Replace every graph of ``quads`` in the store behind ``endpoint``, then verify the counts.

    ``protocol`` is ``"auto"`` (the Graph Store Protocol at ``graph_store`` or at a URL found next
    to the endpoint, else SPARQL Update), ``"graph-store"`` or ``"update"``. ``default_graph``
    names the graph that receives the default graph's triples (automatic for Virtuoso:
    :data:`DEFAULT_GRAPH_IRI`). Raises :class:`EndpointError` when any graph was not stored or
    any count differs, :class:`UnverifiedPush` when all were stored but could not be counted.
    """
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    if protocol not in ("auto", "graph-store", "update"):
        raise EndpointError(f"unknown protocol {protocol!r} — use auto, graph-store or update")
    graphs = group_by_graph(quads)
    with Client(timeout=timeout, retries=retries, backoff=backoff, progress=say) as client:
        store = _discover(endpoint, graph_store, protocol, client)
        notes: list[str] = []
        if store.virtuoso and default_graph is None and None in graphs:
            default_graph = DEFAULT_GRAPH_IRI
            notes.append(
                f"Virtuoso has no plain default graph: the default graph's "
                f"{len(graphs[None]):,} triples are in <{default_graph}>"
            )
        if default_graph is not None and None in graphs:
            graphs = _rename_default(graphs, default_graph)
        target = store.graph_store or store.update
        if store.graph_store is None:
            notes.append("no Graph Store found: used SPARQL Update (DROP SILENT + INSERT DATA)")
        for index, (name, triples) in enumerate(graphs.items(), 1):
            _store_graph(client, store, endpoint, name, triples, index, len(graphs))
            if index % 100 == 0:
                say(f"  stored {index:,} of {len(graphs):,} graphs")
        report = PushReport(
            endpoint,
            target,
            "graph-store" if store.graph_store else "update",
            len(graphs),
            sum(len(t) for t in graphs.values()),
            default_graph=default_graph,
            auth=client.auth_scheme,
            notes=notes,
        )
        if client.auth_scheme == "basic" and not is_loopback(target) and target.startswith("http:"):
            notes.append(f"credentials from {USER_ENV} were sent over plain http; prefer https")
        expected = {name: len(set(t)) for name, t in graphs.items()}
        try:
            verify_counts(endpoint, expected, client, report)
        except (Unreachable, HttpError) as err:
            raise UnverifiedPush(
                f"stored all {report.graphs} graphs ({report.triples:,} triples) at {target}, "
                f"but could not count them at {endpoint}: {err}",
                report,
            ) from None
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _rename_default(graphs: Graphs, name: str) -> Graphs:
    if name in graphs:
        raise EndpointError(
            f"the dataset already has a graph <{name}>: choose another --default-graph"
        )
    renamed = {(name if g is None else g): t for g, t in graphs.items()}
    return dict(sorted(renamed.items(), key=lambda item: item[0] or ""))


def _store_graph(
    client: Client,
    store: _Store,
    endpoint: str,
    name: str | None,
    triples: Sequence[ox.Triple],
    index: int,
    total: int,
) -> None:
    label = f"<{name}>" if name else "the default graph"
    try:
        if store.graph_store:
            # N-Triples is a subset of Turtle, and text/turtle is what every store accepts
            body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
            client.request(
                "PUT", _graph_url(store.graph_store, name), body, {"Content-Type": "text/turtle"}
            )
        else:
            form = urllib.parse.urlencode({"update": _update_text(name, triples)})
            client.request(
                "POST",
                store.update,
                form.encode(),
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
    except EndpointError as err:
        hint = ""
        if name is None and isinstance(err, HttpError) and err.status >= 500:
            hint = (
                " (if this store has no plain default graph, pass --default-graph IRI to "
                "store its triples in a named graph)"
            )
        anonymous = (store.graph_store or store.update).rstrip("/")
        if store.virtuoso and anonymous.endswith(("/sparql-graph-crud", "/sparql")):
            hint += (
                " (Virtuoso's anonymous endpoints are read-only: leave out --graph-store and "
                f"set {USER_ENV} and {PASSWORD_ENV}, and kg writes to /sparql-graph-crud-auth)"
            )
        if not store.graph_store and not isinstance(err, Unreachable):
            tried = ", ".join(graph_store_candidates(endpoint))
            hint += (
                f" (no Graph Store answered at {tried}: pass --graph-store URL if the store "
                "has one)"
            )
        raise EndpointError(
            f"push failed at {label} ({index} of {total}; {index - 1} stored before it): "
            f"{err}{hint} — fix that and run kg push again (it replaces graphs, so repeating "
            "it is safe)"
        ) from None


def _update_text(name: str | None, triples: Sequence[ox.Triple]) -> str:
    data = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode()
    if name is None:
        return f"DROP SILENT DEFAULT ;\nINSERT DATA {{\n{data}}}\n"
    return f"DROP SILENT GRAPH <{name}> ;\nINSERT DATA {{ GRAPH <{name}> {{\n{data}}} }}\n"


def verify_counts(
    endpoint: str,
    expected: dict[str | None, int],
    client: Client,
    report: PushReport | None = None,
    chunk: int = 200,
) -> dict[str | None, int]:
    """Count the triples of each graph at ``endpoint``; raise when any differs from ``expected``.

    A store whose default graph is the union of all graphs (GraphDB, Virtuoso, some Fuseki
    set-ups) shows more default-graph triples than were pushed; that is noted, not an error.
    """
    named = [g for g in expected if g is not None]
    found: dict[str | None, int] = dict.fromkeys(named, 0)
    for start in range(0, len(named), chunk):
        values = " ".join(f"<{g}>" for g in named[start : start + chunk])
        text = (
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} "
            "GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        for row in remote_query(endpoint, text, client=client):
            found[row["g"]] = int(row["n"])
    if None in expected:
        rows = remote_query(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", client=client)
        found[None] = int(rows.rows[0]["n"]) if rows.rows else 0
    wrong = [g for g in expected if found.get(g, 0) != expected[g]]
    if wrong == [None] and found[None] > expected[None] and report is not None:
        report.notes.append(
            f"the default graph shows {found[None]:,} triples for "
            f"{expected[None]:,} pushed: this store's default graph is a union"
        )
        wrong = []
    if wrong:
        lines = [
            f"  {'<' + g + '>' if g else 'default graph'}: {found.get(g, 0):,} triples, "
            f"expected {expected[g]:,}"
            for g in wrong[:10]
        ]
        more = f"\n  ... and {len(wrong) - 10} more" if len(wrong) > 10 else ""
        raise EndpointError(
            f"{endpoint} does not hold what was pushed ({len(wrong)} graph(s) "
            "differ):\n"
            + "\n".join(lines)
            + more
            + "\n— the server accepted the data but did not store it all; check its "
            "log and push again"
        )
    if report is not None:
        report.verified = True
    return found
