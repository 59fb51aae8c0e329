"""``kg serve``: a read-only SPARQL 1.1 Protocol endpoint on 127.0.0.1.

The engine is the real Oxigraph server (``oxigraph serve-read-only`` from the PyPI package
``oxigraph``) over an on-disk snapshot of the dataset that kg builds. Oxigraph alone executes
SERVICE and LOAD, does not stop a runaway query in time, and aborts when it runs out of threads,
so a small front stands between clients and it. The front, bound to 127.0.0.1 only:

- refuses SERVICE, LOAD, remote FROM and every update (:func:`kg.sparql.check_query`) and every
  Graph Store write before anything reaches the engine;
- forwards each query over a bounded pool of connections to the engine on another loopback port,
  with a deadline; at the deadline it kills the engine, starts a fresh one on the same snapshot,
  answers 504 with a JSON error, and answers the next query as usual;
- caps answers at ``max_rows`` rows (or triples) and says so in the ``X-KG-Truncated`` header;
- negotiates the format: SPARQL results as JSON, XML, CSV or TSV; graphs as Turtle, N-Triples,
  N-Quads, TriG, RDF/XML or JSON-LD (``Accept`` header, or ``?format=json`` and the like);
- rebuilds the snapshot in a fresh folder when the source changes, starts an engine on it and
  switches to it at once; queries already running finish on the old one.

>>> negotiate("text/csv;q=0.5, application/sparql-results+json", RESULT_TYPES)
'application/sparql-results+json'
>>> negotiate("text/*", GRAPH_TYPES)
'text/turtle'
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPException
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from kg.errors import EndpointError, KgError, QueryError
from kg.ontology import BASE_IRI, PREFIXES
from kg.remote import declare_prefixes
from kg.sparql import check_query
from kg.store import build_store_dir

#: The only address kg ever listens on.
LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 7878

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
_TSV = "text/tab-separated-values"
_NT = "application/n-triples"
_ENGINE_ACCEPT = f"{_TSV}, {_NT};q=0.9"
QUERY_PATHS = ("/query", "/sparql")
MAX_BODY = 1 << 20
_READ_ONLY = (
    "this endpoint is read-only — kg serve never changes the data; to load a store you "
    "can write to, use kg push --endpoint URL"
)


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


# --------------------------------------------------------------------------------------------
# The Oxigraph process


def oxigraph_binary() -> str:
    """The ``oxigraph`` server program: beside this Python first, then on PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("oxigraph")
    if found:
        return found
    raise EndpointError(
        "the Oxigraph server program `oxigraph` is not installed — "
        "pip install 'kg[server]' (PyPI package oxigraph)"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


class OxigraphProcess:
    """A real Oxigraph server over the store at ``location``, on a free port of 127.0.0.1.

    ``read_only=True`` runs ``oxigraph serve-read-only`` (what kg serve uses), otherwise
    ``oxigraph serve`` (a writable store, as tests of ``kg push`` need). Startup waits at most
    ``startup_timeout`` seconds; :meth:`stop` ends the process. Usable as a context manager.
    """

    def __init__(
        self, location: Path, *, read_only: bool = True, startup_timeout: float = 10.0
    ) -> None:
        self.location = Path(location)
        self.read_only = read_only
        self.startup_timeout = startup_timeout
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's base URL (its SPARQL endpoint is ``url + "/query"``)."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> OxigraphProcess:
        binary = oxigraph_binary()
        command = "serve-read-only" if self.read_only else "serve"
        for _attempt in range(3):
            self.port = free_port()
            self._log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process)
            self._process = subprocess.Popen(
                [
                    binary,
                    command,
                    "--location",
                    str(self.location),
                    "--bind",
                    f"{LOOPBACK}:{self.port}",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                start_new_session=True,
            )
            if self._wait_ready():
                return self
            said = self._said()
            self.stop()
            if "in use" not in said:  # another program took the port: try another one
                raise EndpointError(
                    f"the Oxigraph server did not start on {self.location}: "
                    f"{said or 'no message'} — is the store folder valid?"
                )
        raise EndpointError("the Oxigraph server found no free port on 127.0.0.1")

    def _wait_ready(self) -> bool:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                socket.create_connection((LOOPBACK, self.port), timeout=0.5).close()
                return True
            except OSError:
                time.sleep(0.01)
        self.stop()
        raise EndpointError(f"the Oxigraph server did not listen within {self.startup_timeout:g} s")

    def _said(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return " ".join(self._log.read()[-2000:].decode("utf-8", "replace").split())

    def alive(self, grace: float = 0.0) -> bool:
        """Whether the process runs; with ``grace``, wait that long for a dying one to end."""
        if self._process is None:
            return False
        try:
            self._process.wait(timeout=grace) if grace else self._process.poll()
        except subprocess.TimeoutExpired:
            return True
        return self._process.poll() is None

    def stop(self) -> None:
        """End the server: at once when read-only, else SIGTERM then SIGKILL after 5 s."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            if self.read_only:
                process.kill()
            else:
                process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> OxigraphProcess:
        return self.start() if self._process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def oxigraph_version() -> str:
    """The version line of the installed Oxigraph server, e.g. ``oxigraph 0.5.13``."""
    try:
        done = subprocess.run(
            [oxigraph_binary(), "--version"], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "oxigraph"
    return done.stdout.decode().strip() or "oxigraph"


# --------------------------------------------------------------------------------------------
# Engines and answers


class _Refusal(Exception):
    """An HTTP error answer: status, message and extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Answer:
    """What the engine answered, capped: solutions (TSV), a boolean, or a graph (N-Triples)."""

    kind: str
    data: bytes
    rows: int
    truncated: bool


class _Engine:
    """One Oxigraph process on one snapshot, with a bounded pool of kept-alive connections."""

    def __init__(self, snapshot: Path, connections: int) -> None:
        self.snapshot = snapshot
        self.process = OxigraphProcess(snapshot, read_only=True).start()
        self.slots = threading.BoundedSemaphore(connections)
        self.lock = threading.Lock()
        self.idle: list[HTTPConnection] = []
        self.inflight = 0
        self.stopped = False

    def acquire(self, wait: float) -> tuple[HTTPConnection, bool] | None:
        if not self.slots.acquire(timeout=max(wait, 0.0)):
            return None
        with self.lock:
            self.inflight += 1
            if self.idle:
                return self.idle.pop(), True
        return HTTPConnection(LOOPBACK, self.process.port), False

    def release(self, conn: HTTPConnection, reusable: bool) -> None:
        with self.lock:
            self.inflight -= 1
            keep = reusable and not self.stopped
            if keep:
                self.idle.append(conn)
        if not keep:
            conn.close()
        self.slots.release()

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            idle, self.idle = self.idle, []
        for conn in idle:
            conn.close()
        self.process.stop()


def _never_changes() -> Hashable:
    return None


@dataclass(frozen=True)
class Source:
    """What kg serve serves: a name for people, the quads, and a fingerprint that changes with them.

    >>> src = Source("two quads", lambda: [])
    >>> src.fingerprint() is None
    True
    """

    name: str
    quads: Callable[[], Iterable[ox.Quad]]
    fingerprint: Callable[[], Hashable] = field(default=_never_changes)


def files_fingerprint(*paths: Path) -> Hashable:
    """Name, size, mtime and inode of every file under ``paths``: changes whenever one does.

    >>> files_fingerprint(Path("no/such/folder"))
    ()
    """
    seen: list[tuple[str, int, int, int]] = []
    for top in paths:
        candidates = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in candidates:
            try:
                info = path.stat()
            except OSError:
                continue
            seen.append((str(path), info.st_size, info.st_mtime_ns, info.st_ino))
    return tuple(seen)


class SparqlServer:
    """The read-only endpoint: a front on 127.0.0.1 and an Oxigraph engine behind it.

    ``port=0`` picks a free port (tests). ``timeout`` is the deadline of one query in seconds,
    ``max_rows`` the cap on rows or triples, ``connections`` the most queries the engine runs at
    once, ``clients`` the most client connections held open, ``watch`` how often (seconds) the
    source is checked for changes (0: only when :meth:`reload` is called).
    """

    def __init__(
        self,
        source: Source,
        *,
        port: int = DEFAULT_PORT,
        timeout: float = 10.0,
        max_rows: int = 10_000,
        connections: int = 8,
        clients: int = 64,
        watch: float = 2.0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.source = source
        self.port = port
        self.timeout = timeout
        self.max_rows = max_rows
        self.connections = connections
        self.clients = clients
        self.watch = watch
        self.log = log or (lambda _msg: None)
        self.quads = 0
        self.generation = 0
        self.restarts = 0
        self.engine_version = "oxigraph"
        self._engine: _Engine | None = None
        self._fingerprint: Hashable = object()
        self._lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._front: _Front | None = None
        self._threads: list[threading.Thread] = []
        self._workdir: Path | None = None

    # -- life cycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The SPARQL endpoint, e.g. ``http://127.0.0.1:7878/query``."""
        return f"http://{LOOPBACK}:{self.port}/query"

    def start(self) -> SparqlServer:
        """Build the first snapshot, start the engine, listen on 127.0.0.1; return at once."""
        self.engine_version = oxigraph_version()
        self._workdir = Path(tempfile.mkdtemp(prefix="kg-serve-"))
        atexit.register(self.close)
        try:
            self.reload(force=True)
            try:
                self._front = _Front((LOOPBACK, self.port), self)
            except OSError as err:
                raise EndpointError(
                    f"cannot listen on {LOOPBACK}:{self.port}: {err.strerror} "
                    "— is another server using it? pick another with --port"
                ) from None
            self.port = self._front.server_address[1]
            self._spawn(self._front.serve_forever, "kg-serve-front")
            if self.watch > 0:
                self._spawn(self._watch, "kg-serve-watch")
        except BaseException:
            self.close()
            raise
        return self

    def _spawn(self, target: Callable[[], object], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def close(self) -> None:
        """Stop listening, stop the engine and remove the snapshots. Safe to call twice."""
        self._stopping.set()
        self._wake.set()
        if self._front is not None:
            self._front.shutdown()
            self._front.server_close()
            self._front = None
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)
        self._threads = []
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.stop()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        atexit.unregister(self.close)

    def __enter__(self) -> SparqlServer:
        return self.start() if self._front is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def banner(self) -> list[str]:
        """What ``kg serve`` prints at start: the URL, the limits, and a curl to try."""
        example = "SELECT ?entity ?label WHERE { ?entity rdfs:label ?label } LIMIT 5"
        return [
            f"kg serve: read-only SPARQL endpoint at {self.url}",
            f"  {self.quads:,} quads from {self.source.name}; engine {self.engine_version} "
            f"(serve-read-only) on {LOOPBACK}:{self._engine.process.port if self._engine else 0}",
            f"  each query stops after {self.timeout:g} s (504); answers are capped at "
            f"{self.max_rows:,} rows (header X-KG-Truncated); kg's prefixes are predefined",
            "  try:",
            f"    curl -s {self.url} -H 'Accept: text/csv' --data-urlencode '{'query=' + example}'",
            "  Ctrl-C stops."
            + (" Changes to the source are served within a few seconds." if self.watch > 0 else ""),
        ]

    def serve_forever(self) -> None:
        """Start, print the banner, serve until Ctrl-C or SIGTERM; SIGHUP forces a rebuild."""
        if self._front is None:
            self.start()
        for line in self.banner():
            self.log(line)
        stop = threading.Event()
        handled = [signal.SIGINT, signal.SIGTERM]
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in handled}
        if hasattr(signal, "SIGHUP"):
            previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, lambda *_: self._force())
        try:
            while not stop.wait(0.5):
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.log("kg serve: stopping")
            self.close()

    # -- snapshots -------------------------------------------------------------------------

    def _force(self) -> None:
        self._fingerprint = object()
        self._wake.set()

    def _watch(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.watch)
            self._wake.clear()
            if self._stopping.is_set():
                break
            try:
                self.reload()
            except KgError as err:
                self.log(
                    f"kg serve: the source changed but does not build; still serving the "
                    f"previous snapshot:\n{err}"
                )

    def reload(self, force: bool = False) -> bool:
        """Rebuild the snapshot if the source changed (or ``force``) and switch to it.

        Queries already running finish on the old engine, which stops once they are done.
        Returns whether a new snapshot is served. Raises :class:`KgError` when the source does
        not build; the old snapshot is then still served.
        """
        with self._reload_lock:
            fingerprint = self.source.fingerprint()
            if not force and fingerprint == self._fingerprint:
                return False
            self._fingerprint = fingerprint
            quads = list(self.source.quads())
            if self._workdir is None:
                raise EndpointError("the server is closed")
            self.generation += 1
            snapshot = build_store_dir(self._workdir / f"snapshot-{self.generation}", quads)
            engine = _Engine(snapshot, self.connections)
            with self._lock:
                old, self._engine = self._engine, engine
            self.quads = len(quads)
            if old is not None:
                self.log(
                    f"kg serve: now serving snapshot {self.generation} "
                    f"({self.quads:,} quads from {self.source.name})"
                )
                self._retire(old)
            return True

    def _retire(self, old: _Engine) -> None:
        until = time.monotonic() + self.timeout + 1
        while old.inflight and time.monotonic() < until:
            time.sleep(0.02)
        old.stop()
        with self._lock:
            current = self._engine.snapshot if self._engine else None
        if old.snapshot != current:
            shutil.rmtree(old.snapshot, ignore_errors=True)

    def _current(self) -> _Engine:
        with self._lock:
            if self._engine is None:
                raise _Refusal(503, "the server is stopping")
            return self._engine

    def _restart(self, engine: _Engine, why: str) -> None:
        """Kill ``engine``; if it is the current one, start a fresh one on the same snapshot."""
        with self._lock:
            engine.stop()
            if self._engine is not engine:
                return
            self.restarts += 1
            self.log(f"kg serve: {why}; engine restarted")
            self._engine = _Engine(engine.snapshot, self.connections)

    # -- queries ---------------------------------------------------------------------------

    def execute(
        self,
        text: str,
        dataset: Mapping[str, list[str]] | None = None,
        deadline: float | None = None,
    ) -> Answer:
        """Check a query and run it on the engine before ``deadline`` (a ``time.monotonic()``)."""
        check_query(text)
        for key, iris in (dataset or {}).items():
            for iri in iris:
                if not iri.startswith(BASE_IRI):
                    raise QueryError(
                        f"{key} must name one of kg's own graphs (under {BASE_IRI}), not {iri!r}"
                    )
        if deadline is None:
            deadline = time.monotonic() + self.timeout
        prefixed = declare_prefixes(text)
        shift = len(prefixed) - len(text)
        body = prefixed.encode()
        pairs = [(key, iri) for key, iris in (dataset or {}).items() for iri in iris]
        path = "/query" + ("?" + urllib.parse.urlencode(pairs) if pairs else "")
        for _attempt in range(3):
            engine = self._current()
            got = engine.acquire(deadline - time.monotonic())
            if got is None:
                raise _Refusal(
                    503,
                    f"all {self.connections} engine connections stayed busy until "
                    "the deadline — retry in a moment",
                    {"Retry-After": "1"},
                )
            conn, reused = got
            reusable = False
            try:
                answer, reusable = self._exchange(conn, path, body, deadline, shift)
                return answer
            except TimeoutError:
                self._restart(engine, f"a query ran past the {self.timeout:g} s deadline")
                raise _Refusal(
                    504,
                    f"the query ran past the {self.timeout:g} s deadline and was "
                    "stopped — narrow it (LIMIT, more specific patterns) and retry",
                ) from None
            except (OSError, HTTPException) as err:
                # A killed engine can still look alive for a moment: give it a grace period.
                if not engine.process.alive(grace=0.1):
                    self._restart(engine, "the engine stopped")
                elif not reused:
                    raise _Refusal(502, f"the engine failed: {err}") from None
                if time.monotonic() >= deadline:
                    break
            finally:
                engine.release(conn, reusable)
        raise _Refusal(503, "the engine was restarting — retry in a moment", {"Retry-After": "1"})

    def _exchange(
        self, conn: HTTPConnection, path: str, body: bytes, deadline: float, shift: int = 0
    ) -> tuple[Answer, bool]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        conn.timeout = remaining
        if conn.sock is not None:
            conn.sock.settimeout(remaining)
        conn.request(
            "POST",
            path,
            body,
            {"Content-Type": "application/sparql-query", "Accept": _ENGINE_ACCEPT},
        )
        sock = conn.sock
        response = conn.getresponse()
        if response.status != 200:
            said = _engine_error(response.read(4000).decode("utf-8", "replace"), shift)
            status = 400 if response.status == 400 else 502
            raise _Refusal(status, f"the query failed: {said or response.reason}")
        media = (response.getheader("Content-Type") or "").split(";")[0].strip()
        first = response.readline()
        if media == _NT:
            kind, header, lines = "graph", b"", [first] if first else []
        elif first.strip() in (b"true", b"false"):
            response.read()
            return Answer("boolean", first.strip(), 1, False), True
        else:
            kind, header, lines = "solutions", first, []
        truncated = False
        while first:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if sock is not None:
                sock.settimeout(remaining)
            line = response.readline()
            if not line:
                break
            if len(lines) >= self.max_rows:
                truncated = True
                break
            lines.append(line)
        if truncated:
            response.close()  # the engine stops when it cannot write any more
        else:
            response.read()
        return Answer(kind, header + b"".join(lines), len(lines), truncated), not truncated

    def render(self, answer: Answer, accept: str, fmt: str | None = None) -> tuple[bytes, str]:
        """Serialise an answer in the negotiated format; returns the body and its media type."""
        wanted = FORMAT_NAMES.get(fmt, fmt) if fmt else None
        if fmt and wanted not in RESULT_TYPES and wanted not in GRAPH_TYPES:
            raise _Refusal(400, f"unknown format {fmt!r} — use one of {', '.join(FORMAT_NAMES)}")
        offers: Mapping[str, Any] = GRAPH_TYPES if answer.kind == "graph" else RESULT_TYPES
        media = negotiate(wanted or accept, offers)
        if media is None:
            raise _Refusal(
                406,
                f"cannot answer this query in {wanted or accept!r} — ask for one "
                f"of {', '.join(offers)}",
            )
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

    def info(self) -> dict[str, Any]:
        """What ``GET /`` answers: where to send queries and the limits."""
        return {
            "service": "kg serve (read-only SPARQL 1.1 endpoint)",
            "query": self.url,
            "engine": self.engine_version,
            "quads": self.quads,
            "snapshot": self.generation,
            "timeout_s": self.timeout,
            "max_rows": self.max_rows,
            "read_only": True,
            "result_formats": list(RESULT_TYPES),
            "graph_formats": list(GRAPH_TYPES),
        }


# --------------------------------------------------------------------------------------------
# The front


class _Front(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: SparqlServer) -> None:
        self.app = app
        self.slots = threading.BoundedSemaphore(app.clients)
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (slow, and useless on 127.0.0.1)
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = LOOPBACK, self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            body = json.dumps({"status": 503, "error": "too many open connections"}).encode()
            with contextlib.suppress(OSError):
                request.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
                    b"Content-Type: application/json\r\nRetry-After: 1\r\n"
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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kg-serve"
    disable_nagle_algorithm = True  # no 40 ms wait between a response's packets
    wbufsize = 1 << 16  # headers and body leave in one write (the handler flushes after each)
    timeout = 60
    server: _Front

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: kg serve logs events (restarts, rebuilds), not every request."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._write_refused()

    do_DELETE = do_PATCH = do_PUT

    def do_OPTIONS(self) -> None:
        self._send(204, b"", "text/plain", {"Allow": "GET, HEAD, POST, OPTIONS"})

    def _write_refused(self) -> None:
        try:
            self._read_body()
        except _Refusal as refusal:
            self._error(refusal)
            return
        self._error(
            _Refusal(
                405,
                f"Graph Store writes are refused: {_READ_ONLY}",
                {"Allow": "GET, HEAD, POST, OPTIONS"},
            )
        )

    def _dispatch(self, method: str) -> None:
        deadline = time.monotonic() + self.server.app.timeout
        url = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        try:
            body = self._read_body() if method == "POST" else b""
            if url.path == "/update" or "update" in params:
                raise _Refusal(403, f"SPARQL Update is refused: {_READ_ONLY}")
            if url.path == "/" and method != "POST":
                data = (
                    json.dumps(self.server.app.info(), indent=2, ensure_ascii=False).encode()
                    + b"\n"
                )
                self._send(200, data, "application/json", head=method == "HEAD")
                return
            if url.path == "/store":
                if method == "POST":
                    raise _Refusal(
                        405, f"Graph Store writes are refused: {_READ_ONLY}", {"Allow": "GET, HEAD"}
                    )
                text, dataset = _graph_query(params), dict[str, list[str]]()
            elif url.path in QUERY_PATHS:
                text, dataset = self._query(method, params, body)
            else:
                raise _Refusal(
                    404, f"no such resource {url.path!r} — send queries to {QUERY_PATHS[0]}"
                )
            app = self.server.app
            answer = app.execute(text, dataset, deadline)
            fmt = params.get("format", [None])[0]
            data, media = app.render(answer, self.headers.get("Accept", ""), fmt)
            self._send(
                200,
                data,
                media,
                {
                    "X-KG-Truncated": str(answer.truncated).lower(),
                    "X-KG-Rows": str(answer.rows),
                    "X-KG-Max-Rows": str(app.max_rows),
                },
                head=method == "HEAD",
            )
        except _Refusal as refusal:
            self._error(refusal)
        except QueryError as err:
            self._error(_Refusal(400, str(err)))
        except KgError as err:
            self._error(_Refusal(503, str(err), {"Retry-After": "1"}))

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None:
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True
                raise _Refusal(411, "send the request body with a Content-Length")
            return b""
        try:
            size = int(length)
        except ValueError:
            self.close_connection = True
            raise _Refusal(400, "bad Content-Length") from None
        if size > MAX_BODY:
            self.close_connection = True
            raise _Refusal(413, f"request body over {MAX_BODY:,} bytes")
        return self.rfile.read(size)

    def _query(
        self, method: str, params: dict[str, list[str]], body: bytes
    ) -> tuple[str, dict[str, list[str]]]:
        media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if method == "POST":
            if media == "application/sparql-update":
                raise _Refusal(403, f"SPARQL Update is refused: {_READ_ONLY}")
            if media == "application/sparql-query":
                queries = [body.decode("utf-8", "replace")]
            elif media == "application/x-www-form-urlencoded":
                form = urllib.parse.parse_qs(
                    body.decode("utf-8", "replace"), keep_blank_values=True
                )
                if "update" in form:
                    raise _Refusal(403, f"SPARQL Update is refused: {_READ_ONLY}")
                params = {**params, **form}
                queries = form.get("query", [])
            else:
                raise _Refusal(
                    415,
                    "POST a query as application/sparql-query or as a form "
                    "(application/x-www-form-urlencoded) with query=...",
                )
        else:
            queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            raise _Refusal(400, "give exactly one query, e.g. ?query=ASK%20%7B%7D")
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

    def _error(self, refusal: _Refusal) -> None:
        body = (
            json.dumps(
                {"status": refusal.status, "error": refusal.message}, ensure_ascii=False
            ).encode()
            + b"\n"
        )
        self._send(refusal.status, body, "application/json", refusal.headers)


def _engine_error(message: str, shift: int) -> str:
    """The engine's error message with line 1 columns as the client wrote them, kept short.

    >>> _engine_error("error at 1:70: expected one of x", 60)
    'error at 1:10: expected one of x'
    """
    message = " ".join(message.split())
    found = re.match(r"error at 1:(\d+):", message)
    if found and int(found.group(1)) > shift:
        message = f"error at 1:{int(found.group(1)) - shift}:{message[found.end() :]}"
    return message if len(message) <= 300 else message[:300] + "…"


def _graph_query(params: dict[str, list[str]]) -> str:
    """A Graph Store read (``GET /store?graph=IRI`` or ``?default``) as a CONSTRUCT query."""
    if "default" in params:
        return "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    graphs = params.get("graph", [])
    if len(graphs) != 1 or any(c in graphs[0] for c in '<>"{}|^`\\ \n\t'):
        raise _Refusal(400, "name one graph: /store?graph=IRI or /store?default")
    return f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graphs[0]}> {{ ?s ?p ?o }} }}"
