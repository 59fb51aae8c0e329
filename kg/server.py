"""``kg serve``: a read-only SPARQL 1.1 Protocol endpoint on 127.0.0.1.

The engine is Oxigraph's query engine (pyoxigraph) in private processes over an on-disk
snapshot of the dataset, reachable only through Unix sockets in a private folder
(:mod:`kg.engine`: processes, snapshots, lanes; :mod:`kg.engineworker`); a guard stands
between clients and it (:mod:`kg.guard`: HTTP, Host/Origin policy,
refusals, formats). This module ties them to a :class:`Source`: it builds the first snapshot,
listens, watches the source and rebuilds the snapshot in a fresh folder when it changes
(queries already running finish on the old one).

- every query has a deadline: past it, the engine lane running it is killed and restarted, and
  the client gets 504 with a JSON error;
- answers are capped at ``max_rows`` rows (or triples) and say so (``X-KG-Truncated``);
- cheap queries and costly ones run in separate lanes, so slow queries cannot starve lookups.
"""

from __future__ import annotations

import atexit
import signal
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.engine import (
    LOOPBACK,
    Answer,
    Engine,
    Refusal,
    free_port,
)
from kg.errors import EndpointError, KgError
from kg.guard import (
    GRAPH_TYPES,
    LOOPBACK_NAMES,
    RESULT_TYPES,
    Front,
    HostPolicy,
    ServiceFacts,
    negotiate,
)

__all__ = [
    "DEFAULT_PORT",
    "GRAPH_TYPES",
    "LOOPBACK",
    "RESULT_TYPES",
    "Source",
    "SparqlServer",
    "files_fingerprint",
    "free_port",
    "negotiate",
]

DEFAULT_PORT = 7878


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
    """The read-only endpoint: the guard on 127.0.0.1 and an Oxigraph engine behind it.

    ``port=0`` picks a free port (tests). ``timeout`` is the deadline of one query in seconds,
    ``max_rows`` the cap on rows or triples, ``connections`` the most cheap queries the engine
    runs at once and ``costly_connections`` the most costly ones, ``cache_size`` the bytes of
    answers kept for repeated queries (0: none), ``clients`` the most client
    connections held open, ``watch`` how often (seconds) the source is checked for changes (0:
    only when :meth:`reload` is called). ``allow_hosts`` and ``allow_origins`` widen the Host
    and Origin policy (:class:`kg.guard.HostPolicy`).
    """

    def __init__(
        self,
        source: Source,
        *,
        port: int = DEFAULT_PORT,
        timeout: float = 10.0,
        max_rows: int = 10_000,
        connections: int = 8,
        costly_connections: int = 2,
        cache_size: int = 64 << 20,
        clients: int = 64,
        watch: float = 2.0,
        allow_hosts: Sequence[str] = (),
        allow_origins: Sequence[str] = (),
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.source = source
        self.port = port
        self.timeout = timeout
        self._max_rows = max_rows
        self.connections = connections
        self.costly_connections = costly_connections
        self.cache_size = cache_size
        self.clients = clients
        self.watch = watch
        self.allow_hosts = tuple(allow_hosts)
        self.allow_origins = tuple(allow_origins)
        self.policy = HostPolicy(port, self.allow_hosts, self.allow_origins)
        self.log = log or (lambda _msg: None)
        self.engine_version = "oxigraph"
        self.engine: Engine | None = None
        self._fingerprint: Hashable = object()
        self._reload_lock = threading.Lock()
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._front: Front | None = None
        self._threads: list[threading.Thread] = []

    # -- life cycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The SPARQL endpoint, e.g. ``http://127.0.0.1:7878/query``."""
        return f"http://{LOOPBACK}:{self.port}/query"

    @property
    def max_rows(self) -> int:
        """The cap on rows (or triples) per answer."""
        return self._max_rows

    @max_rows.setter
    def max_rows(self, value: int) -> None:
        self._max_rows = value
        if self.engine is not None:
            self.engine.max_rows = value

    @property
    def quads(self) -> int:
        """How many quads the current snapshot holds."""
        return self.engine.quads if self.engine else 0

    @property
    def generation(self) -> int:
        """The number of the current snapshot (1 for the first)."""
        return self.engine.generation if self.engine else 0

    @property
    def restarts(self) -> int:
        """How many times an engine process was killed and restarted."""
        return self.engine.restarts if self.engine else 0

    def start(self) -> SparqlServer:
        """Build the first snapshot, start the engine, listen on 127.0.0.1; return at once."""
        self.engine_version = f"pyoxigraph {ox.__version__}"
        atexit.register(self.close)
        try:
            self.engine = Engine(
                max_rows=self._max_rows,
                connections=self.connections,
                costly_connections=self.costly_connections,
                cache_size=self.cache_size,
                log=self.log,
            )
            self.reload(force=True)
            try:
                self._front = Front((LOOPBACK, self.port), self)
            except OSError as err:
                raise EndpointError(
                    f"cannot listen on {LOOPBACK}:{self.port}: {err.strerror} "
                    "— is another server using it? pick another with --port"
                ) from None
            self.port = self._front.server_address[1]
            self.policy = HostPolicy(self.port, self.allow_hosts, self.allow_origins)
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
        if self.engine is not None:
            self.engine.close()
        atexit.unregister(self.close)

    def __enter__(self) -> SparqlServer:
        return self.start() if self._front is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def banner(self) -> list[str]:
        """What ``kg serve`` prints at start: the URL, the limits, and a curl to try."""
        example = "SELECT ?entity ?label WHERE { ?entity rdfs:label ?label } LIMIT 5"
        lanes = ", ".join(Engine.LANES)
        hosts = ", ".join((*LOOPBACK_NAMES, *self.allow_hosts))
        return [
            f"kg serve: read-only SPARQL endpoint at {self.url}",
            f"  {self.quads:,} quads from {self.source.name}; engine {self.engine_version} in "
            f"two private processes ({lanes} lanes) on Unix sockets, no port of their own",
            f"  snapshots in {self.engine.workdir.path if self.engine else '-'}",
            f"  each query stops after {self.timeout:g} s (504); answers are capped at "
            f"{self.max_rows:,} rows (header X-KG-Truncated); kg's prefixes are predefined",
            f"  answers Host {hosts}; browser pages from other origins are refused"
            + (f" except {', '.join(self.allow_origins)}" if self.allow_origins else ""),
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
            except OSError as err:  # e.g. a full disk: the watch goes on, and says why
                self.log(
                    f"kg serve: the new snapshot could not be made ({err}); still serving the "
                    "previous one — free disk space or fix the folder, it is tried again"
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
            quads = list(self.source.quads())
            if self.engine is None or self._stopping.is_set():
                raise EndpointError("the server is closed")
            first = self.engine.generation == 0
            self.engine.load(quads, drain=self.timeout + 1)
            self._fingerprint = fingerprint  # only now: a failed load is tried again
            if not first:
                self.log(
                    f"kg serve: now serving snapshot {self.engine.generation} "
                    f"({self.quads:,} quads from {self.source.name})"
                )
            return True

    # -- queries ---------------------------------------------------------------------------

    def execute(
        self,
        text: str,
        dataset: Mapping[str, list[str]] | None = None,
        deadline: float | None = None,
    ) -> Answer:
        """Check a query and run it on the engine before ``deadline`` (a ``time.monotonic()``)."""
        if self.engine is None:
            raise Refusal(503, "the server is not started")
        if deadline is None:
            deadline = time.monotonic() + self.timeout
        return self.engine.execute(text, dataset, deadline, self.timeout)

    def facts(self) -> ServiceFacts:
        """What the service description says about this endpoint."""
        graphs = self.engine.graphs if self.engine else {}
        return ServiceFacts(self.engine_version, self.quads, graphs, self.timeout, self.max_rows)

    def info(self) -> dict[str, Any]:
        """What ``GET /`` answers: where to send queries and the limits."""
        return {
            "service": "kg serve (read-only SPARQL 1.1 endpoint)",
            "query": self.url,
            "service_description": f"GET {self.url} (Turtle or JSON-LD)",
            "engine": self.engine_version,
            "quads": self.quads,
            "snapshot": self.generation,
            "timeout_s": self.timeout,
            "max_rows": self.max_rows,
            "read_only": True,
            "result_formats": list(RESULT_TYPES),
            "graph_formats": list(GRAPH_TYPES),
        }
