"""Talk to any SPARQL 1.1 store over HTTP: push the dataset, run queries against it.

Only the standard library's HTTP client is used. ``push_quads`` replaces every graph of the
dataset in the target store with the Graph Store HTTP Protocol (one ``PUT`` per graph, so pushing
twice gives the same store), falls back to SPARQL Update (``DROP SILENT`` + ``INSERT DATA`` per
graph) only when no Graph Store is found, and then counts the triples of every graph through the
query endpoint: a push succeeds only when every count matches.

Credentials come from the environment only (``KG_ENDPOINT_USER``, ``KG_ENDPOINT_PASSWORD``), never
from the command line, and are sent as HTTP basic auth.

>>> declare_prefixes("SELECT * WHERE { ?s a kg:Person }").startswith("PREFIX kg: <")
True
>>> graph_store_candidates("http://localhost:3030/news/sparql")
['http://localhost:3030/news/store', 'http://localhost:3030/news/data', \
'http://localhost:3030/news/sparql-graph-crud']
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.message import Message

import pyoxigraph as ox

from kg.errors import EndpointError
from kg.ontology import PREFIXES
from kg.sparql import QueryResult, check_query, python_value

USER_ENV = "KG_ENDPOINT_USER"
PASSWORD_ENV = "KG_ENDPOINT_PASSWORD"

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
#: Statuses worth another attempt: the server is busy, restarting or behind a failing proxy.
RETRY_STATUSES = {429, 502, 503, 504}

Progress = Callable[[str], None]


def declare_prefixes(text: str) -> str:
    """Prepend kg's prefixes (kg:, entity:, schema:, ...) that the query does not declare itself.

    They go on the query's first line, so line numbers in a server's error messages still match.

    >>> declare_prefixes("PREFIX kg: <urn:mine#> ASK {}").count("PREFIX kg:")
    1
    """
    declared = {m.group(1) for m in re.finditer(r"(?i)\bPREFIX\s+([\w.-]*):", text)}
    missing = [f"PREFIX {name}: <{iri}>" for name, iri in PREFIXES.items() if name not in declared]
    return " ".join([*missing, text]) if missing else text


# --------------------------------------------------------------------------------------------
# HTTP with clear errors and bounded retries


class Unreachable(EndpointError):
    """No HTTP answer at all: connection refused, timed out, or the host is unknown."""


@dataclass
class Response:
    """An HTTP answer: status, headers and the whole body."""

    status: int
    headers: Message
    body: bytes

    @property
    def media_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def _is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _auth_header() -> dict[str, str]:
    user = os.environ.get(USER_ENV)
    if not user:
        return {}
    token = f"{user}:{os.environ.get(PASSWORD_ENV, '')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(token).decode("ascii")}


def _snippet(body: bytes, limit: int = 300) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[:limit] + "…"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: a PUT or an Authorization header must not travel elsewhere."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Client:
    """An HTTP client for one push or query: timeout, retries and basic auth from the environment.

    ``retries`` more attempts are made after connection failures, timeouts and 429/502/503/504
    answers, waiting ``backoff`` seconds and doubling; other errors are raised at once.
    """

    timeout: float = 30.0
    retries: int = 2
    backoff: float = 0.5
    progress: Progress | None = None

    def request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send one request; raise :class:`EndpointError` with what to do when it fails."""
        handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
        if _is_loopback(url):
            handlers.append(urllib.request.ProxyHandler({}))
        opener = urllib.request.build_opener(*handlers)
        all_headers = {"User-Agent": "kg", **_auth_header(), **(headers or {})}
        wait = self.backoff
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            request = urllib.request.Request(url, data=body, headers=all_headers, method=method)
            try:
                with opener.open(request, timeout=self.timeout) as answer:
                    return Response(answer.status, answer.headers, answer.read())
            except urllib.error.HTTPError as err:
                response = Response(err.code, err.headers, err.read() if err.fp else b"")
                if err.code in RETRY_STATUSES and not last:
                    retry_after = response.headers.get("Retry-After", "")
                    pause = float(retry_after) if retry_after.isdigit() else wait
                    self._note(f"{method} {url}: {err.code}, retrying in {min(pause, 30):g} s")
                    time.sleep(min(pause, 30))
                    wait *= 2
                    continue
                raise EndpointError(_http_message(method, url, response, attempt + 1)) from None
            except (urllib.error.URLError, OSError) as err:
                reason = err.reason if isinstance(err, urllib.error.URLError) else err
                if last:
                    raise Unreachable(
                        _network_message(method, url, reason, self.timeout, attempt + 1)
                    ) from None
                self._note(f"{method} {url}: {reason}, retrying in {wait:g} s")
                time.sleep(wait)
                wait *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _note(self, message: str) -> None:
        if self.progress:
            self.progress(message)


def _attempts(count: int) -> str:
    return f" after {count} attempts" if count > 1 else ""


def _network_message(method: str, url: str, reason: object, timeout: float, count: int) -> str:
    tries = _attempts(count)
    if isinstance(reason, TimeoutError | socket.timeout):
        return (
            f"{url} did not answer {method} within {timeout:g} s{tries} — the server is "
            "overloaded or stuck; try again later or raise --timeout"
        )
    if isinstance(reason, ConnectionRefusedError):
        return (
            f"cannot connect to {url}: connection refused{tries} — is the SPARQL server "
            "running, and is the port right?"
        )
    if isinstance(reason, socket.gaierror):
        return f"cannot resolve the host of {url} ({reason}) — check the URL"
    return f"{method} {url} failed{tries}: {reason} — check that the server is up and the URL"


def _http_message(method: str, url: str, response: Response, count: int) -> str:
    status, tries = response.status, _attempts(count)
    said = _snippet(response.body)
    detail = f": {said}" if said else ""
    if status == 401:
        return (
            f"{url} answered 401 Unauthorized to {method} — set {USER_ENV} and "
            f"{PASSWORD_ENV} in the environment"
        )
    if status == 403:
        return (
            f"{url} answered 403 Forbidden to {method}{detail} — the account lacks write "
            "access, or the store is read-only"
        )
    if status == 404:
        return f"{url} answered 404 Not Found to {method} — check the URL{detail}"
    if status == 405:
        return (
            f"{url} does not allow {method} (405){detail} — it may be read-only, or this is "
            "not its Graph Store / update URL"
        )
    if status == 413:
        return f"{url} refused {method}: request too large (413) — raise the server's upload limit"
    if 400 <= status < 500:
        return f"{url} refused {method} ({status}){detail}"
    return f"{url} failed on {method} ({status}){tries}{detail} — see the server's log"


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
    return _post_query(url, text, accept, client or Client(timeout=timeout)).body


def remote_query(
    url: str, text: str, *, timeout: float = 30.0, client: Client | None = None
) -> QueryResult:
    """Run a read-only query on a remote endpoint; answer as :func:`kg.sparql.run_query` does."""
    accept = f"{MEDIA_TYPES['json']}, {MEDIA_TYPES['nt']};q=0.9, {MEDIA_TYPES['ttl']};q=0.8"
    response = _post_query(url, text, accept, client or Client(timeout=timeout))
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


def _post_query(url: str, text: str, accept: str, client: Client) -> Response:
    check_query(text)
    return client.request(
        "POST",
        url,
        declare_prefixes(text).encode(),
        {"Content-Type": "application/sparql-query", "Accept": accept},
    )


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
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def graph_store_candidates(endpoint: str) -> list[str]:
    """Graph Store URLs that usually sit next to a query endpoint, most likely first.

    Oxigraph: ``/query`` → ``/store``; Fuseki: ``/ds/sparql`` → ``/ds/data``; Virtuoso:
    ``/sparql`` → ``/sparql-graph-crud``; GraphDB / RDF4J: ``/repositories/ID`` →
    ``/repositories/ID/rdf-graphs/service``.

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
            paths.append(f"{path}-graph-crud")
    else:
        paths = [f"{path}/store", f"{path}/data"]
    return [urllib.parse.urlunsplit((parts.scheme, parts.netloc, p, "", "")) for p in paths]


def update_url(endpoint: str) -> str:
    """Where SPARQL Update usually goes for a query endpoint (Oxigraph, Fuseki, GraphDB).

    >>> update_url("http://127.0.0.1:7878/query")
    'http://127.0.0.1:7878/update'
    >>> update_url("http://localhost:8890/sparql")
    'http://localhost:8890/sparql'
    """
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


def _find_graph_store(endpoint: str, client: Client) -> str | None:
    for candidate in graph_store_candidates(endpoint):
        try:
            response = client.request("HEAD", _graph_url(candidate, None))
        except Unreachable:
            raise  # the server is down or the host is wrong: say so, do not guess further
        except EndpointError:
            continue
        if 200 <= response.status < 300:
            return candidate
    return None


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
    timeout: float = 60.0,
    retries: int = 2,
    backoff: float = 0.5,
    progress: Progress | None = None,
) -> PushReport:
    """Replace every graph of ``quads`` in the store behind ``endpoint``, then verify the counts.

    ``protocol`` is ``"auto"`` (the Graph Store Protocol at ``graph_store`` or at a URL found next
    to the endpoint, else SPARQL Update), ``"graph-store"`` or ``"update"``. Raises
    :class:`EndpointError` when any graph was not stored or any count differs.
    """
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    client = Client(timeout=timeout, retries=retries, backoff=backoff, progress=say)
    if protocol not in ("auto", "graph-store", "update"):
        raise EndpointError(f"unknown protocol {protocol!r} — use auto, graph-store or update")
    graphs = group_by_graph(quads)
    notes: list[str] = []
    if _auth_header() and not _is_loopback(endpoint) and endpoint.startswith("http:"):
        notes.append(f"credentials from {USER_ENV} were sent over plain http; prefer https")
    if graph_store is None and protocol != "update":
        graph_store = _find_graph_store(endpoint, client)
        if graph_store is None and protocol == "graph-store":
            tried = ", ".join(graph_store_candidates(endpoint))
            raise EndpointError(
                f"no Graph Store found next to {endpoint} (tried {tried}) — pass --graph-store URL"
            )
    use_gsp = protocol != "update" and graph_store is not None
    target = graph_store if use_gsp and graph_store else update_url(endpoint)
    if not use_gsp:
        notes.append("no Graph Store found: used SPARQL Update (DROP SILENT + INSERT DATA)")
    for index, (name, triples) in enumerate(graphs.items(), 1):
        label = f"<{name}>" if name else "the default graph"
        try:
            if use_gsp:
                # N-Triples is a subset of Turtle, and text/turtle is what every store accepts
                body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
                client.request(
                    "PUT", _graph_url(target, name), body, {"Content-Type": "text/turtle"}
                )
            else:
                client.request(
                    "POST",
                    target,
                    _update_text(name, triples).encode(),
                    {"Content-Type": "application/sparql-update"},
                )
        except EndpointError as err:
            if not use_gsp and not isinstance(err, Unreachable):
                tried = ", ".join(graph_store_candidates(endpoint))
                err = EndpointError(
                    f"{err} (no Graph Store answered at {tried}: pass "
                    "--graph-store URL if the store has one)"
                )
            raise EndpointError(
                f"push failed at {label} ({index} of {len(graphs)}; {index - 1} "
                f"stored before it): {err} — fix that and run kg push again "
                "(it replaces graphs, so repeating it is safe)"
            ) from None
        if index % 100 == 0:
            say(f"  stored {index:,} of {len(graphs):,} graphs")
    total = sum(len(t) for t in graphs.values())
    report = PushReport(
        endpoint, target, "graph-store" if use_gsp else "update", len(graphs), total, notes=notes
    )
    verify_counts(endpoint, {name: len(set(t)) for name, t in graphs.items()}, client, report)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


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
