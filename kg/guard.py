"""The guard of ``kg serve``: the HTTP front on 127.0.0.1 and the policy it enforces.

One job: speak the SPARQL 1.1 Protocol to clients and refuse what must not reach the engine.

- **Only the right clients.** A request whose ``Host`` is not a loopback name (``localhost``,
  ``127.0.0.1``, ``[::1]``, with the server's port) or a name allowed with ``--allow-host`` is
  refused (403): a web page cannot read the graph through DNS rebinding. A browser request from
  another origin (``Origin``, or ``Sec-Fetch-Site: cross-site`` on anything but a navigation)
  is refused unless ``--allow-origin`` names that origin; allowed origins get CORS headers.
- **Read-only.** SERVICE, LOAD, remote FROM and every update (:func:`kg.sparql.check_query`)
  and every Graph Store write are refused before anything reaches the engine.
- **Bounded.** Request bodies up to 1 MiB, request lines up to 64 KiB, at most ``clients``
  open connections; every error is JSON of one shape: ``{"status": 404, "error": "..."}``.
- **Self-describing.** ``GET /query`` without a query answers a SPARQL 1.1 Service
  Description (Turtle, JSON-LD, N-Triples or RDF/XML by ``Accept``).
- **Negotiated.** SPARQL results as JSON, XML, CSV or TSV; graphs as Turtle, N-Triples,
  N-Quads, TriG, RDF/XML or JSON-LD (``Accept`` header, or ``?format=json`` and the like).

>>> negotiate("text/csv;q=0.5, application/sparql-results+json", RESULT_TYPES)
'application/sparql-results+json'
>>> negotiate("text/*", GRAPH_TYPES)
'text/turtle'
>>> policy = HostPolicy(7878)
>>> policy.host_allowed("localhost:7878"), policy.host_allowed("localhost.evil.com:7878")
(True, False)
"""

from __future__ import annotations

import contextlib
import json
import socketserver
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import pyoxigraph as ox

from kg.engine import LOOPBACK, Answer, Refusal
from kg.errors import KgError, QueryError
from kg.ontology import PREFIXES

_RESULTS = ox.QueryResultsFormat
#: Media types offered for SELECT/ASK answers, the default first.
RESULT_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": _RESULTS.JSON,
    "application/json": _RESULTS.JSON,
    "application/sparql-results+xml": _RESULTS.XML,
    "application/xml": _RESULTS.XML,
    "text/csv": _RESULTS.CSV,
    "text/tab-separated-values": _RESULTS.TSV,
}
#: Media types offered for CONSTRUCT/DESCRIBE answers, the default first.
GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "text/plain": ox.RdfFormat.N_TRIPLES,
}
#: ``?format=`` short names (handy in a browser or with curl).
FORMAT_NAMES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "nq": "application/n-quads",
    "trig": "application/trig",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
}
#: The W3C identifiers of the formats (for the service description).
FORMAT_IRIS = {
    "application/sparql-results+json": "SPARQL_Results_JSON",
    "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV",
    "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/n-quads": "N-Quads",
    "application/trig": "TriG",
    "application/rdf+xml": "RDF_XML",
    "application/ld+json": "JSON-LD",
}
_TSV = "text/tab-separated-values"
_NT = "application/n-triples"
QUERY_PATHS = ("/query", "/sparql")
MAX_BODY = 1 << 20
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
_READ_ONLY = (
    "this endpoint is read-only — kg serve never changes the data; to load a store you "
    "can write to, use kg push --endpoint URL"
)
_ALLOW = "GET, HEAD, POST, OPTIONS"


def negotiate(accept: str, offers: Sequence[str] | Mapping[str, Any]) -> str | None:
    """The offered media type an ``Accept`` header prefers; the first offer when it says nothing.

    The most specific matching range gives an offer its quality; ties go to the earlier offer.

    >>> negotiate("", ["text/turtle", "application/n-triples"])
    'text/turtle'
    >>> negotiate("image/png", ["text/turtle"]) is None
    True
    """
    offers = list(offers)
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    if not ranges:
        return offers[0]
    best, best_quality = None, 0.0
    for offer in offers:
        specificity, quality = -1, 0.0
        for media, q in ranges:
            if media == offer:
                rank = 2
            elif media.endswith("/*") and media != "*/*" and offer.startswith(media[:-1]):
                rank = 1
            elif media == "*/*":
                rank = 0
            else:
                continue
            if rank > specificity:
                specificity, quality = rank, q
        if quality > best_quality:
            best, best_quality = offer, quality
    return best


def _choose(accept: str, fmt: str | None, offers: Mapping[str, Any]) -> str:
    wanted = FORMAT_NAMES.get(fmt, fmt) if fmt else None
    if fmt and wanted not in RESULT_TYPES and wanted not in GRAPH_TYPES:
        raise Refusal(400, f"unknown format {fmt!r} — use one of {', '.join(FORMAT_NAMES)}")
    media = negotiate(wanted or accept, offers)
    if media is None:
        raise Refusal(
            406, f"cannot answer this in {wanted or accept!r} — ask for one of {', '.join(offers)}"
        )
    return media


def render(answer: Answer, accept: str, fmt: str | None = None) -> tuple[bytes, str]:
    """Serialise an answer in the negotiated format; returns the body and its media type."""
    offers: Mapping[str, Any] = GRAPH_TYPES if answer.kind == "graph" else RESULT_TYPES
    media = _choose(accept, fmt, offers)
    if answer.kind == "graph":
        if media in (_NT, "text/plain"):
            return answer.data, media
        rdf = GRAPH_TYPES[media]
        prefixes = PREFIXES if rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
        triples = ox.parse(answer.data, format=ox.RdfFormat.N_TRIPLES)
        return ox.serialize(triples, format=rdf, prefixes=prefixes) or b"", media
    if media == _TSV:
        return answer.data, media
    parsed = ox.parse_query_results(answer.data, format=_RESULTS.TSV)
    return parsed.serialize(format=RESULT_TYPES[media]) or b"", media


# --------------------------------------------------------------------------------------------
# Policy


@dataclass
class HostPolicy:
    """Which ``Host`` and ``Origin`` headers kg serve answers.

    Hosts: the loopback names with the server's ``port`` (or no port), and ``hosts`` (names the
    user allows, any port). Origins: the server's own (``http://`` + an allowed host + port), and
    ``origins`` (exact, or ``*`` for any).

    >>> policy = HostPolicy(7878, hosts=["kg.lan"], origins=["https://yasgui.org"])
    >>> hosts = ("127.0.0.1:7878", "[::1]:7878", "kg.lan", "", "evil.example.com")
    >>> [policy.host_allowed(host) for host in hosts]
    [True, True, True, False, False]
    >>> policy.host_allowed("localhost:80")
    False
    >>> [policy.origin_allowed(o) for o in ("http://localhost:7878", "https://yasgui.org", "null")]
    [True, True, False]
    """

    port: int
    hosts: Sequence[str] = ()
    origins: Sequence[str] = ()
    _extra: set[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._extra = {name.strip().lower().rstrip(".") for name in self.hosts if name.strip()}

    def host_allowed(self, host: str) -> bool:
        """Whether a ``Host`` header value names this server."""
        host = host.strip().lower()
        if not host:
            return False
        name, port = host, None
        if host.startswith("["):
            end = host.find("]")
            name, rest = host[: end + 1], host[end + 1 :]
            if rest:
                if not rest.startswith(":"):
                    return False
                port = rest[1:]
        elif ":" in host:
            name, port = host.rsplit(":", 1)
        name = name.rstrip(".")
        if name in self._extra:
            return True
        return name in LOOPBACK_NAMES and (port is None or port == str(self.port))

    def origin_allowed(self, origin: str) -> bool:
        """Whether a browser page from ``origin`` may use this server."""
        if "*" in self.origins or origin in self.origins:
            return True
        scheme, _, rest = origin.lower().partition("://")
        name, _, port = rest.rpartition(":")
        known = name in LOOPBACK_NAMES or name in self._extra
        return scheme == "http" and known and port == str(self.port)

    def check(self, headers: Message, version: str) -> str | None:
        """Why a request must be refused (a message), or None."""
        for name in ("Host", "Origin"):
            # two of them: a proxy and this server could each believe a different one
            if len(headers.get_all(name) or ()) > 1:
                return f"the request has {len(headers.get_all(name))} {name} headers — send one"
        host = headers.get("Host")
        if host is None:
            if version == "HTTP/1.0":
                return None  # no browser sends HTTP/1.0 without Host
            return "the request has no Host header"
        if not self.host_allowed(host):
            return (
                f"Host {host!r} is not this server — kg serve answers only "
                f"localhost, 127.0.0.1 or [::1] (port {self.port}); allow another name with "
                "kg serve --allow-host NAME"
            )
        origin = headers.get("Origin")
        if origin is not None and not self.origin_allowed(origin):
            return (
                f"requests from the web page at {origin!r} are refused — allow that origin "
                "with kg serve --allow-origin ORIGIN"
            )
        site = (headers.get("Sec-Fetch-Site") or "").lower()
        navigation = (headers.get("Sec-Fetch-Mode") or "").lower() == "navigate"
        if origin is None and site in ("cross-site", "same-site") and not navigation:
            return "requests from other web sites are refused"
        return None

    def cors(self, headers: Mapping[str, str]) -> dict[str, str]:
        """CORS headers for an allowed cross-origin request (none for the server's own pages)."""
        origin = headers.get("Origin")
        if origin is None or not (origin in self.origins or "*" in self.origins):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": "X-KG-Truncated, X-KG-Rows, X-KG-Max-Rows",
            "Vary": "Origin",
        }


# --------------------------------------------------------------------------------------------
# Service description

_SD = "http://www.w3.org/ns/sparql-service-description#"
_VOID = "http://rdfs.org/ns/void#"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@dataclass(frozen=True)
class ServiceFacts:
    """What the service description says: the engine, the dataset and the limits."""

    engine: str
    quads: int
    graphs: Mapping[str, int]
    timeout: float
    max_rows: int


def service_description(endpoint: str, facts: ServiceFacts) -> list[ox.Triple]:
    """A SPARQL 1.1 Service Description of the endpoint at ``endpoint`` (its URL).

    >>> facts = ServiceFacts("oxigraph", 3, {"": 1, "https://kg.example/article/a": 2}, 10, 100)
    >>> triples = service_description("http://127.0.0.1:7878/query", facts)
    >>> sorted({t.predicate.value.split("#")[-1] for t in triples})[:6]
    ['comment', 'defaultDataset', 'defaultGraph', 'endpoint', 'feature', 'graph']
    """

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(_SD + name)

    service = ox.NamedNode(endpoint)
    dataset, default = ox.BlankNode(), ox.BlankNode()
    triples = [
        ox.Triple(service, _RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("EmptyGraphs")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, _RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default),
        ox.Triple(default, _RDF_TYPE, sd("Graph")),
        ox.Triple(default, ox.NamedNode(_VOID + "triples"), _integer(facts.graphs.get("", 0))),
        ox.Triple(
            service,
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
            ox.Literal(
                f"kg serve: read-only, {facts.engine}; each query stops after "
                f"{facts.timeout:g} s; answers are capped at {facts.max_rows:,} rows "
                "(header X-KG-Truncated); SERVICE, LOAD and updates are refused"
            ),
        ),
    ]
    for media in FORMAT_IRIS.values():
        format_iri = ox.NamedNode(f"http://www.w3.org/ns/formats/{media}")
        triples.append(ox.Triple(service, sd("resultFormat"), format_iri))
    for name, count in sorted(facts.graphs.items()):
        if not name:
            continue
        named, graph = ox.BlankNode(), ox.BlankNode()
        triples += [
            ox.Triple(dataset, sd("namedGraph"), named),
            ox.Triple(named, _RDF_TYPE, sd("NamedGraph")),
            ox.Triple(named, sd("name"), ox.NamedNode(name)),
            ox.Triple(named, sd("graph"), graph),
            ox.Triple(graph, _RDF_TYPE, sd("Graph")),
            ox.Triple(graph, ox.NamedNode(_VOID + "triples"), _integer(count)),
        ]
    return triples


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))


# --------------------------------------------------------------------------------------------
# The front


class Backend(Protocol):
    """What the guard serves: kg.server.SparqlServer."""

    timeout: float
    max_rows: int
    policy: HostPolicy
    clients: int

    def execute(
        self, text: str, dataset: Mapping[str, list[str]] | None, deadline: float | None
    ) -> Answer: ...

    def info(self) -> dict[str, Any]: ...

    def facts(self) -> ServiceFacts: ...


class Front(ThreadingHTTPServer):
    """The listening socket on 127.0.0.1: a thread per connection, at most ``clients`` open."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: Backend) -> None:
        self.app = app
        self.slots = threading.BoundedSemaphore(app.clients)
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (slow, and useless on 127.0.0.1)
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = LOOPBACK, self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            body = error_body(503, "too many open connections — retry in a moment")
            with contextlib.suppress(OSError):
                request.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
                    b"Content-Type: application/json; charset=utf-8\r\nRetry-After: 1\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                )
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def error_body(status: int, message: str) -> bytes:
    """Every error kg serve answers, as JSON of one shape.

    >>> error_body(404, "no such resource")
    b'{"status": 404, "error": "no such resource"}\\n'
    """
    return json.dumps({"status": status, "error": message}, ensure_ascii=False).encode() + b"\n"


class Handler(BaseHTTPRequestHandler):
    """One client connection: policy first, then the protocol, then the engine."""

    protocol_version = "HTTP/1.1"
    server_version = "kg-serve"
    disable_nagle_algorithm = True  # no 40 ms wait between a response's packets
    wbufsize = 1 << 16  # headers and body leave in one write (the handler flushes after each)
    timeout = 60
    server: Front

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: kg serve logs events (restarts, rebuilds), not every request."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors found by the standard library (414, 431, 400 bad request line, 501) as JSON."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        self.close_connection = True
        self._send(code, error_body(code, f"{message or phrase}"), "application/json")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        if self._refused_by_policy():
            return
        try:
            self._read_body()
        except Refusal as refusal:
            self._error(refusal)
            return
        refusal = Refusal(405, f"Graph Store writes are refused: {_READ_ONLY}", {"Allow": _ALLOW})
        self._error(refusal)

    do_DELETE = do_PATCH = do_PUT

    def do_OPTIONS(self) -> None:
        if self._refused_by_policy():
            return
        headers = {"Allow": _ALLOW, **self.server.app.policy.cors(self.headers)}
        if "Access-Control-Allow-Origin" in headers:
            headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST"
            headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
            headers["Access-Control-Max-Age"] = "600"
        self._send(204, b"", "text/plain", headers)

    def _refused_by_policy(self) -> bool:
        why = self.server.app.policy.check(self.headers, self.request_version)
        if why is None:
            return False
        if self.command == "POST" or self.headers.get("Content-Length"):
            self.close_connection = True  # the body is never read
        self._error(Refusal(403, why))
        return True

    def _dispatch(self, method: str) -> None:
        if self._refused_by_policy():
            return
        app = self.server.app
        deadline = time.monotonic() + app.timeout
        url = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        head = method == "HEAD"
        cors = app.policy.cors(self.headers)
        try:
            body = self._read_body() if method == "POST" else b""
            if url.path == "/update" or "update" in params:
                raise Refusal(403, f"SPARQL Update is refused: {_READ_ONLY}")
            if url.path == "/" and method != "POST":
                data = json.dumps(app.info(), indent=2, ensure_ascii=False).encode() + b"\n"
                self._send(200, data, "application/json", cors, head=head)
                return
            if url.path in QUERY_PATHS and method != "POST" and "query" not in params:
                self._describe(url.path, params, cors, head)
                return
            if url.path == "/store":
                if method == "POST":
                    raise Refusal(
                        405, f"Graph Store writes are refused: {_READ_ONLY}", {"Allow": "GET, HEAD"}
                    )
                text, dataset = _graph_query(params), dict[str, list[str]]()
            elif url.path in QUERY_PATHS:
                text, dataset = self._query(method, params, body)
            else:
                raise Refusal(
                    404, f"no such resource {url.path!r} — send queries to {QUERY_PATHS[0]}"
                )
            answer = app.execute(text, dataset, deadline)
            fmt = params.get("format", [None])[0]
            data, media = render(answer, self.headers.get("Accept", ""), fmt)
            headers = {
                "X-KG-Truncated": str(answer.truncated).lower(),
                "X-KG-Rows": str(answer.rows),
                "X-KG-Max-Rows": str(app.max_rows),
                "X-KG-Lane": answer.lane,
                **cors,
            }
            self._send(200, data, media, headers, head=head)
        except Refusal as refusal:
            refusal.headers.update(cors)
            self._error(refusal)
        except QueryError as err:
            self._error(Refusal(400, str(err), cors))
        except KgError as err:
            self._error(Refusal(503, str(err), {"Retry-After": "1", **cors}))

    def _describe(
        self, path: str, params: dict[str, list[str]], cors: dict[str, str], head: bool
    ) -> None:
        """The SPARQL 1.1 Service Description, in the format the client accepts."""
        offers = {k: v for k, v in GRAPH_TYPES.items() if k != "application/n-quads"}
        fmt = params.get("format", [None])[0]
        media = _choose(self.headers.get("Accept", ""), fmt, offers)
        host = self.headers.get("Host") or f"{LOOPBACK}:{self.server.server_address[1]}"
        triples = service_description(f"http://{host}{path}", self.server.app.facts())
        rdf = GRAPH_TYPES[media]
        prefixes = {"sd": _SD, "void": _VOID, "formats": "http://www.w3.org/ns/formats/"}
        data = ox.serialize(
            triples, format=rdf, prefixes=prefixes if rdf == ox.RdfFormat.TURTLE else None
        )
        self._send(200, data or b"", media, cors, head=head)

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None:
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True
                raise Refusal(411, "send the request body with a Content-Length")
            return b""
        try:
            size = int(length)
        except ValueError:
            self.close_connection = True
            raise Refusal(400, "bad Content-Length") from None
        if size > MAX_BODY:
            self.close_connection = True
            raise Refusal(413, f"request body over {MAX_BODY:,} bytes")
        return self.rfile.read(size)

    def _query(
        self, method: str, params: dict[str, list[str]], body: bytes
    ) -> tuple[str, dict[str, list[str]]]:
        media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if method == "POST":
            if media == "application/sparql-update":
                raise Refusal(403, f"SPARQL Update is refused: {_READ_ONLY}")
            if media == "application/sparql-query":
                queries = [body.decode("utf-8", "replace")]
            elif media == "application/x-www-form-urlencoded":
                form = urllib.parse.parse_qs(
                    body.decode("utf-8", "replace"), keep_blank_values=True
                )
                if "update" in form:
                    raise Refusal(403, f"SPARQL Update is refused: {_READ_ONLY}")
                params = {**params, **form}
                queries = form.get("query", [])
            else:
                raise Refusal(
                    415,
                    "POST a query as application/sparql-query or as a form "
                    "(application/x-www-form-urlencoded) with query=...",
                )
        else:
            queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            raise Refusal(400, "give exactly one query, e.g. ?query=ASK%20%7B%7D")
        dataset: dict[str, list[str]] = {
            key: params[key] for key in ("default-graph-uri", "named-graph-uri") if key in params
        }
        return queries[0], dataset

    def _send(
        self,
        status: int,
        body: bytes,
        media: str,
        headers: dict[str, str] | None = None,
        head: bool = False,
    ) -> None:
        self.send_response(status)
        text = media.startswith("text/") or media.endswith(("json", "xml"))
        self.send_header("Content-Type", f"{media}; charset=utf-8" if text else media)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            try:
                self.wfile.write(body)
            except OSError:
                self.close_connection = True

    def _error(self, refusal: Refusal) -> None:
        body = error_body(refusal.status, refusal.message)
        self._send(refusal.status, body, "application/json", refusal.headers)


def _graph_query(params: dict[str, list[str]]) -> str:
    """A Graph Store read (``GET /store?graph=IRI`` or ``?default``) as a CONSTRUCT query."""
    if "default" in params:
        return "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    graphs = params.get("graph", [])
    if len(graphs) != 1 or any(c in graphs[0] for c in '<>"{}|^`\\ \n\t'):
        raise Refusal(400, "name one graph: /store?graph=IRI or /store?default")
    return f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graphs[0]}> {{ ?s ?p ?o }} }}"
