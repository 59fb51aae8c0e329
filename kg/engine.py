"""The engine behind ``kg serve``: private Oxigraph engine processes over on-disk snapshots.

One job: answer read-only SPARQL from a snapshot of the dataset within a deadline and a row
cap, with processes and folders that never outlive the Python process that owns them.

- **Reachable only through the guard.** An engine process (:mod:`kg.engineworker`: pyoxigraph,
  the same query engine as the Oxigraph server) listens on no TCP port, only on a Unix socket
  (mode 0600) in the server's private folder (mode 0700): no web page, even by DNS rebinding,
  and no other user can send it a query the guard did not check.
- **Processes die with their owner.** Every engine process starts with a parent-death signal
  (Linux ``PR_SET_PDEATHSIG``: SIGKILL), from one long-lived launcher thread (the signal follows
  the thread that forked). Whatever ends kg serve, even ``kill -9``, ends its engines, so no
  engine is ever left running without the guard in front of it.
- **Snapshots are cleaned.** They live in a ``kg-serve-*`` folder of the temp directory, locked
  (``flock``) while a server uses it; the next start removes every such folder whose lock nobody
  holds: the remains of a killed server.
- **Two lanes.** Cheap queries (anchored on constants, :func:`kg.sparql.query_cost`, or of a
  shape whose recent runs were fast) run on one process; costly ones on another, at a lower CPU
  priority and with few connections. A costly query past its deadline restarts only its own
  lane, so point lookups keep their speed while slow queries queue.

>>> shape_of("SELECT ?p WHERE { <https://kg.example/entity/ifs> ?p 'x' }")
'SELECT ?p WHERE { <> ?p "" }'
"""

from __future__ import annotations

import fcntl
import itertools
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.errors import EndpointError, QueryError
from kg.ontology import BASE_IRI
from kg.remote import declare_prefixes
from kg.results import die_with_parent
from kg.sparql import check_query, query_cost
from kg.store import build_store_dir

#: The only address kg ever listens on.
LOOPBACK = "127.0.0.1"
_TSV = "text/tab-separated-values"
_NT = "application/n-triples"
_ENGINE_ACCEPT = f"{_TSV}, {_NT};q=0.9"
#: Bytes read from an engine at a time.
_BLOCK = 1 << 16
#: A query shape whose recent runs took longer than this (seconds, their median) runs in the
#: costly lane.
FAST_BUDGET = 0.25
#: How many recent run times of each query shape the routing remembers.
RECENT_RUNS = 8
#: CPU priority (nice value) of the costly lane's process.
COSTLY_NICENESS = 10
_WORKDIR_PREFIX = "kg-serve-"


class Refusal(Exception):
    """A query not answered: an HTTP status, a message for people, and extra headers."""

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
    lane: str = "cheap"


# --------------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


#: Starts every engine process: the parent-death signal fires when the forking thread ends.
_LAUNCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-engine-launcher")


def _child_setup(owner: int, niceness: int) -> Callable[[], None]:
    """What runs in the child between fork and exec: die with the owner, lower the priority."""

    def setup() -> None:
        die_with_parent()
        if os.getppid() != owner:  # the owner died before the signal was armed
            os._exit(1)
        if niceness:
            os.nice(niceness)

    return setup


class ChildProcess:
    """A child process that dies with this Python process (Linux), runs at ``niceness`` and
    keeps what it writes to stderr for error messages; :meth:`stop` ends it. A context manager
    (``start`` is the subclass's)."""

    def __init__(self, *, niceness: int = 0) -> None:
        self.niceness = niceness
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The process id while it runs."""
        return self._process.pid if self._process is not None else None

    def start(self) -> ChildProcess:
        raise NotImplementedError

    def _launch(self, arguments: list[str]) -> None:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process)
        self._process = _LAUNCHER.submit(
            subprocess.Popen,
            arguments,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,
            preexec_fn=_child_setup(os.getpid(), self.niceness),
        ).result()

    def said(self) -> str:
        """The last of what the process wrote to stderr, on one line."""
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

    def stop(self, *, gently: bool = False) -> None:
        """End the process: at once, or ``gently`` (SIGTERM, then SIGKILL after 5 s)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            if gently:
                process.terminate()
            else:
                process.kill()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> ChildProcess:
        return self.start() if self._process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class UnixHTTPConnection(HTTPConnection):
    """An HTTP connection over a Unix socket (to an engine process, which listens on no port)."""

    def __init__(self, path: Path, timeout: float | None = None) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = str(path)

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class EngineProcess(ChildProcess):
    """A private engine process (:mod:`kg.engineworker`) over the store at ``location``.

    It answers on the Unix socket ``socket_path`` only (no TCP port: nothing but this process's
    guard can reach it), dies with this Python process (Linux), runs at ``niceness``; startup
    waits at most ``startup_timeout`` seconds; :meth:`stop` kills it.
    """

    def __init__(
        self,
        location: Path,
        socket_path: Path,
        *,
        startup_timeout: float = 30.0,
        niceness: int = 0,
    ) -> None:
        super().__init__(niceness=niceness)
        self.location = Path(location)
        self.socket_path = Path(socket_path)
        self.startup_timeout = startup_timeout

    def connection(self) -> UnixHTTPConnection:
        """A new connection to the process."""
        return UnixHTTPConnection(self.socket_path)

    def start(self) -> EngineProcess:
        if len(os.fsencode(self.socket_path)) > 100:
            raise EndpointError(
                f"the engine's socket path {self.socket_path} is too long for a Unix socket "
                "— set TMPDIR to a shorter folder"
            )
        self.socket_path.unlink(missing_ok=True)
        # the file itself, not ``-m kg.engineworker``: the kg package's imports (0.5 s, rdflib)
        # would slow every start and restart; -P keeps kg/ off the import path
        self._launch(
            [
                sys.executable,
                "-P",
                str(Path(__file__).with_name("engineworker.py")),
                "--location",
                str(self.location),
                "--socket",
                str(self.socket_path),
            ]
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if not self.alive():
                said = self.said()
                self.stop()
                raise EndpointError(
                    f"the engine did not start on {self.location}: {said or 'no message'}"
                )
            probe = self.connection()
            try:
                probe.connect()
                return self
            except OSError:
                time.sleep(0.01)
            finally:
                probe.close()
        self.stop()
        raise EndpointError(f"the engine did not answer within {self.startup_timeout:g} s")

    def stop(self, *, gently: bool = False) -> None:
        """Kill the process (it only reads) and remove its socket."""
        super().stop(gently=gently)
        self.socket_path.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# Snapshot folders


class Workdir:
    """A ``kg-serve-*`` folder for snapshots, locked while open; stale ones are removed first.

    >>> with Workdir() as work:
    ...     work.path.name.startswith("kg-serve-"), (work.path / ".lock").exists()
    (True, True)
    """

    def __init__(self, parent: Path | None = None) -> None:
        self.parent = Path(parent or tempfile.gettempdir())
        self.removed = remove_stale_workdirs(self.parent)
        self.path = Path(tempfile.mkdtemp(prefix=_WORKDIR_PREFIX, dir=self.parent))
        self._lock: IO[bytes] | None = (self.path / ".lock").open("wb")
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def close(self) -> None:
        """Remove the folder and release its lock. Safe to call twice."""
        if self._lock is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self._lock.close()
            self._lock = None

    def __enter__(self) -> Workdir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def remove_stale_workdirs(parent: Path, *, grace: float = 86_400.0) -> list[Path]:
    """Remove ``kg-serve-*`` folders under ``parent`` that no running server holds.

    A folder is held while its ``.lock`` file is locked; one without a lock file (from an older
    kg, which may still be serving from it, or a start cut short) is removed once it is
    ``grace`` seconds old (a day). Returns what was removed.
    """
    removed = []
    for folder in sorted(Path(parent).glob(f"{_WORKDIR_PREFIX}*")):
        if not folder.is_dir():
            continue
        lock = folder / ".lock"
        try:
            if not lock.exists():
                if time.time() - folder.stat().st_mtime < grace:
                    continue
            else:
                with lock.open("rb") as handle:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # locked by a live server, or not ours to read
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


# --------------------------------------------------------------------------------------------
# Lanes and the engine


#: Numbers the lanes' sockets (a lane restarted gets a new one; next() on a count is atomic).
_LANE_NUMBERS = itertools.count(1)


class Lane:
    """One engine process on one snapshot, with a bounded pool of kept-alive connections."""

    def __init__(self, name: str, snapshot: Path, connections: int, niceness: int = 0) -> None:
        self.name = name
        self.snapshot = snapshot
        self.connections = connections
        self.niceness = niceness
        socket_path = snapshot.parent / f"{name}-{next(_LANE_NUMBERS)}.sock"
        self.process = EngineProcess(snapshot, socket_path, niceness=niceness).start()
        self.slots = threading.BoundedSemaphore(connections)
        self.lock = threading.Lock()
        self.idle: list[HTTPConnection] = []
        self.inflight = 0
        self.stopped = False

    def fresh(self) -> Lane:
        """A new process for the same lane and snapshot."""
        return Lane(self.name, self.snapshot, self.connections, self.niceness)

    def acquire(self, wait: float) -> tuple[HTTPConnection, bool] | None:
        if not self.slots.acquire(timeout=max(wait, 0.0)):
            return None
        with self.lock:
            self.inflight += 1
            if self.idle:
                return self.idle.pop(), True
        return self.process.connection(), False

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


_SHAPE = re.compile(
    r"""<[^<>"\s]*>|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\b\d+(?:\.\d+)?\b"""
    r"|\b(?:entity|article|claim|wd):[\w.%-]*"
)


def shape_of(text: str) -> str:
    """A query with its IRIs, node names (``entity:ifs``), strings and numbers blanked: queries
    that differ only in the nodes they name share a shape, and usually their cost.

    >>> shape_of("ASK { entity:ifs kg:partOf entity:ministry-of-public-security }")
    'ASK { <> kg:partOf <> }'
    """
    blank = {"<": "<>", '"': '""', "'": '""'}
    return _SHAPE.sub(
        lambda m: blank.get(m.group()[0], "0" if m.group()[0].isdigit() else "<>"), text
    )


class AnswerCache:
    """Recent answers by query, at most ``size`` bytes in all and ``largest`` bytes each.

    Concurrent askers of the same query wait for the first one's answer (single flight) instead
    of running it again. Keys hold the snapshot generation, so a new snapshot never serves an
    old answer (and :meth:`clear` drops them).

    >>> cache = AnswerCache(size=100)
    >>> cache.claim("q", deadline=time.monotonic() + 1)
    (None, True)
    >>> cache.put("q", Answer("boolean", b"true", 1, False)); cache.release("q")
    >>> cache.claim("q", deadline=time.monotonic() + 1)[0].lane
    'cache'
    """

    def __init__(self, size: int = 64 << 20, largest: int = 4 << 20) -> None:
        self.size = size
        self.largest = largest
        self.used = 0
        self.hits = 0
        self._answers: OrderedDict[Hashable, Answer] = OrderedDict()
        self._running: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()

    def claim(self, key: Hashable, deadline: float) -> tuple[Answer | None, bool]:
        """A kept answer, or (None, True) when the caller should run the query (and then
        :meth:`put` and :meth:`release`), or (None, False) after waiting for another caller."""
        with self._lock:
            kept = self._answers.get(key)
            if kept is not None:
                self._answers.move_to_end(key)
                self.hits += 1
                return replace(kept, lane="cache"), False
            running = self._running.get(key)
            if running is None:
                self._running[key] = threading.Event()
                return None, True
        if not running.wait(max(deadline - time.monotonic(), 0.0)):
            raise Refusal(
                503, "the same query is still running for another client — retry in a moment"
            )
        return None, False

    def put(self, key: Hashable, answer: Answer) -> None:
        size = len(answer.data)
        if size > self.largest:
            return
        with self._lock:
            self._answers[key] = answer
            self.used += size
            while self.used > self.size and self._answers:
                _, dropped = self._answers.popitem(last=False)
                self.used -= len(dropped.data)

    def release(self, key: Hashable) -> None:
        with self._lock:
            running = self._running.pop(key, None)
        if running is not None:
            running.set()

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self.used = 0


class Engine:
    """Snapshots of the dataset and the Oxigraph lanes that answer queries over them.

    ``connections`` is the most queries the cheap lane runs at once, ``costly_connections`` the
    most for the costly lane; ``max_rows`` caps answers; ``cache_size`` bounds the bytes of
    answers kept for repeated queries (0: none). :meth:`load` builds a snapshot and
    switches to it; :meth:`execute` runs one query before its deadline.
    """

    LANES = ("cheap", "costly")

    def __init__(
        self,
        *,
        max_rows: int = 10_000,
        connections: int = 8,
        costly_connections: int = 2,
        cache_size: int = 64 << 20,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.max_rows = max_rows
        self.connections = connections
        self.costly_connections = costly_connections
        self.log = log or (lambda _msg: None)
        self.workdir = Workdir()
        if self.workdir.removed:
            self.log(f"kg serve: removed {len(self.workdir.removed)} stale snapshot folder(s)")
        self.generation = 0
        self.restarts = 0
        self.quads = 0
        self.graphs: dict[str, int] = {}
        self._lanes: dict[str, Lane] = {}
        self._lock = threading.Lock()
        self._restarting = {name: threading.Lock() for name in self.LANES}
        self._costs: OrderedDict[str, tuple[str, tuple[float, ...]]] = OrderedDict()
        self.cache = AnswerCache(cache_size)

    # -- snapshots -------------------------------------------------------------------------

    def load(self, quads: Iterable[ox.Quad], drain: float = 60.0) -> int:
        """Build a snapshot of ``quads``, start its lanes and switch to them; the generation.

        Queries already running finish on the old lanes (for at most ``drain`` seconds), which
        then stop.
        """
        quads = list(quads)
        self.generation += 1
        snapshot = build_store_dir(self.workdir.path / f"snapshot-{self.generation}", quads)
        lanes: dict[str, Lane] = {}
        try:
            lanes["cheap"] = Lane("cheap", snapshot, self.connections)
            lanes["costly"] = Lane("costly", snapshot, self.costly_connections, COSTLY_NICENESS)
        except BaseException:
            for lane in lanes.values():  # never leave a started process behind
                lane.stop()
            shutil.rmtree(snapshot, ignore_errors=True)
            raise
        graphs: dict[str, int] = {}
        for quad in quads:
            name = "" if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
            graphs[name] = graphs.get(name, 0) + 1
        with self._lock:
            old, self._lanes = self._lanes, lanes
            self.quads, self.graphs = len(quads), graphs
            self._costs.clear()
        self.cache.clear()
        if old:
            self._retire(old, drain)
        return self.generation

    def _retire(self, old: dict[str, Lane], wait: float) -> None:
        until = time.monotonic() + wait
        while any(lane.inflight for lane in old.values()) and time.monotonic() < until:
            time.sleep(0.02)
        for lane in old.values():
            lane.stop()
        shutil.rmtree(next(iter(old.values())).snapshot, ignore_errors=True)

    def lane(self, name: str) -> Lane:
        """The current lane called ``name`` (``cheap`` or ``costly``)."""
        with self._lock:
            if not self._lanes:
                raise Refusal(503, "the server is stopping")
            return self._lanes[name]

    def pids(self) -> list[int]:
        """The process ids of the current lanes."""
        with self._lock:
            return [pid for lane in self._lanes.values() if (pid := lane.process.pid)]

    def close(self) -> None:
        """Stop every lane and remove the snapshots. Safe to call twice."""
        with self._lock:
            lanes, self._lanes = self._lanes, {}
        for lane in lanes.values():
            lane.stop()
        self.workdir.close()

    def _restart(self, lane: Lane, why: str) -> None:
        """Kill ``lane``'s process; if the lane is current, put a fresh process in its place."""
        with self._restarting[lane.name]:
            lane.stop()
            with self._lock:
                current = self._lanes.get(lane.name) is lane
            if not current:
                return
            fresh = lane.fresh()
            with self._lock:
                if self._lanes.get(lane.name) is lane:
                    self._lanes[lane.name] = fresh
                    self.restarts += 1
                    fresh = None  # type: ignore[assignment]
            if fresh is not None:
                fresh.stop()
            else:
                self.log(f"kg serve: {why}; {lane.name} lane restarted")

    # -- queries ---------------------------------------------------------------------------

    def route(self, text: str) -> tuple[str, str]:
        """The lane for a query and the query's shape.

        A shape's lane is set by the median of its recent run times when it has run (one slow
        run sends a new shape to the costly lane; a shape that is usually fast stays cheap when
        one run was slowed by the load around it), else by :func:`query_cost`. A shape that ran
        past its deadline among its recent runs goes to the costly lane whatever its median:
        its next deadline would restart the lane, and only the costly lane may be restarted
        for it.
        """
        shape = shape_of(text)
        with self._lock:
            known = self._costs.get(shape)
        if known is None:
            known = self._remember(shape, query_cost(shape), ())
        estimate, runs = known
        if runs:
            fast = max(runs) < math.inf and statistics.median(runs) < FAST_BUDGET
            return ("cheap" if fast else "costly"), shape
        return estimate, shape

    def _remember(
        self, shape: str, estimate: str, runs: tuple[float, ...]
    ) -> tuple[str, tuple[float, ...]]:
        with self._lock:
            self._store(shape, estimate, runs)
        return estimate, runs

    def _learn(self, shape: str, took: float) -> None:
        """Add a run time (``math.inf`` for a run stopped at its deadline) to a shape's."""
        with self._lock:
            estimate, runs = self._costs.get(shape, ("costly", ()))
            self._store(shape, estimate, (*runs, took)[-RECENT_RUNS:])

    def _store(self, shape: str, estimate: str, runs: tuple[float, ...]) -> None:
        # (the caller holds self._lock) the 4,096 most recently used shapes are kept
        self._costs[shape] = (estimate, runs)
        self._costs.move_to_end(shape)
        while len(self._costs) > 4096:
            self._costs.popitem(last=False)

    def execute(
        self, text: str, dataset: Mapping[str, list[str]] | None, deadline: float, timeout: float
    ) -> Answer:
        """Check a query and run it in its lane before ``deadline`` (a ``time.monotonic()``).

        ``timeout`` (seconds) is only named in messages. Raises :class:`Refusal` (503 when the
        lane stayed busy, 504 past the deadline, 400 or 502 when the engine refused the query)
        or :class:`QueryError` for refused query forms. Answers are kept (:class:`AnswerCache`)
        until the snapshot changes; the same query asked while it runs waits for its answer.
        """
        check_query(text)
        if self.cache.size <= 0:
            return self._run(text, dataset, deadline, timeout)
        key = (self.generation, self.max_rows, text, repr(sorted((dataset or {}).items())))
        while True:
            kept, leader = self.cache.claim(key, deadline)
            if kept is not None:
                return kept
            if leader:
                break
        try:
            answer = self._run(text, dataset, deadline, timeout)
            self.cache.put(key, answer)
            return answer
        finally:
            self.cache.release(key)

    def _run(
        self, text: str, dataset: Mapping[str, list[str]] | None, deadline: float, timeout: float
    ) -> Answer:
        for key, iris in (dataset or {}).items():
            for iri in iris:
                if not iri.startswith(BASE_IRI):
                    raise QueryError(
                        f"{key} must name one of kg's own graphs (under {BASE_IRI}), not {iri!r}"
                    )
                try:
                    ox.NamedNode(iri)
                except ValueError as err:
                    raise QueryError(f"{key} {iri!r} is not an IRI: {err}") from None
        prefixed = declare_prefixes(text)
        shift = len(prefixed) - len(text)
        body = prefixed.encode()
        pairs = [(key, iri) for key, iris in (dataset or {}).items() for iri in iris]
        path = "/query" + ("?" + urllib.parse.urlencode(pairs) if pairs else "")
        name, shape = self.route(text)
        for _attempt in range(3):
            lane = self.lane(name)
            got = lane.acquire(deadline - time.monotonic())
            if got is None:
                raise Refusal(
                    503,
                    f"all {lane.connections} connections of the {name} lane stayed busy until "
                    "the deadline — retry in a moment",
                    {"Retry-After": "1"},
                )
            conn, reused = got
            reusable = False
            started = time.monotonic()
            try:
                answer, reusable = self._exchange(conn, path, body, deadline, shift)
                self._learn(shape, time.monotonic() - started)
                answer.lane = name
                return answer
            except TimeoutError:
                self._learn(shape, math.inf)
                self._restart(lane, f"a query ran past the {timeout:g} s deadline")
                raise Refusal(
                    504,
                    f"the query ran past the {timeout:g} s deadline and was "
                    "stopped — narrow it (LIMIT, more specific patterns) and retry",
                ) from None
            except (OSError, HTTPException) as err:
                # A killed engine can still look alive for a moment: give it a grace period.
                if not lane.process.alive(grace=0.1):
                    self._restart(lane, "the engine stopped")
                elif not reused:
                    said = lane.process.said()
                    raise Refusal(
                        502, f"the engine failed: {err}" + (f" — it said: {said}" if said else "")
                    ) from None
                if time.monotonic() >= deadline:
                    break
            finally:
                lane.release(conn, reusable)
        raise Refusal(503, "the engine was restarting — retry in a moment", {"Retry-After": "1"})

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
            said = engine_error(response.read(4000).decode("utf-8", "replace"), shift)
            status = 400 if response.status == 400 else 502
            raise Refusal(status, f"the query failed: {said or response.reason}")
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
        rest = b""
        while first and not truncated:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if sock is not None:
                sock.settimeout(remaining)
            # read1 raises IncompleteRead if the engine stops mid-answer (killed, or failed
            # after its first rows); readline would take that for the end of the answer
            block = response.read1(_BLOCK)
            if not block:
                break
            *complete, rest = (rest + block).split(b"\n")
            room = self.max_rows - len(lines)
            if len(complete) > room:
                complete, truncated = complete[:room], True
            lines += [line + b"\n" for line in complete]
        if rest and not truncated:
            if len(lines) < self.max_rows:
                lines.append(rest)
            else:
                truncated = True
        if truncated:
            response.close()  # the engine stops when it cannot write any more
        else:
            response.read()
        return Answer(kind, header + b"".join(lines), len(lines), truncated), not truncated


def engine_error(message: str, shift: int) -> str:
    """The engine's error message with line 1 columns as the client wrote them, kept short.

    >>> engine_error("error at 1:70: expected one of x", 60)
    'error at 1:10: expected one of x'
    """
    message = " ".join(message.split())
    found = re.match(r"error at 1:(\d+):", message)
    if found and int(found.group(1)) > shift:
        message = f"error at 1:{int(found.group(1)) - shift}:{message[found.end() :]}"
    return message if len(message) <= 300 else message[:300] + "…"
