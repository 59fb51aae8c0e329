"""A bounded load test of ``kg serve`` on 127.0.0.1 (a script, not a pytest test).

Starts ``kg serve`` in its own process on a free loopback port, then runs two phases of
``--clients`` concurrent clients for ``--duration`` seconds each: point lookups (all the triples
of one entity, a random one per request) and the named queries of kg/queries. Each client holds
one kept-alive HTTP connection. Reports requests/s, p50/p95/p99 latency and errors per phase,
then stops the server. With ``--wrk`` the point-lookup phase is driven by wrk (Debian package)
instead of Python threads.

    python tests/loadtest_server.py                      # 8 clients x 30 s per phase
    python tests/loadtest_server.py --duration 5 --wrk   # quick, with wrk

Goal (issue 7): point lookups ≥ 300 requests/s with p99 < 50 ms, and 0 errors.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.server import LOOPBACK, free_port  # noqa: E402 (after the path set-up)
from kg.sparql import named_queries, with_values  # noqa: E402

#: Parameters for the named queries that need them.
PARAMS = {
    "as-of": {"day": "2022-01-01"},
    "sources": {"s": "ifs", "p": "partOf", "o": "ministry-of-public-security"},
}
ACCEPT = "application/sparql-results+json"


def start_server(port: int, source: str | None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "kg", "serve", "--port", str(port), "--root", str(ROOT)]
    if source:
        command += ["--from", source]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise SystemExit(f"kg serve exited with {process.wait()}")
        print(line.rstrip())
        if "curl" in line:
            return process
    process.kill()
    raise SystemExit("kg serve did not start within 120 s")


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    conn.request("GET", path, headers={"Accept": ACCEPT})
    response = conn.getresponse()
    return response.status, response.read()


def query_path(text: str) -> str:
    return "/query?" + urllib.parse.urlencode({"query": text})


def run_phase(port: int, paths: list[str], clients: int, duration: float) -> dict[str, float]:
    """``clients`` threads send random paths for ``duration`` seconds; latency statistics."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    until = time.monotonic() + duration

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
        rng = random.Random(index)
        while time.monotonic() < until:
            path = rng.choice(paths)
            started = time.perf_counter()
            try:
                status, body = get(conn, path)
                ok = status == 200 and body.startswith(b"{")
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
            latencies[index].append(time.perf_counter() - started)
            if not ok:
                errors[index] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    every = sorted(x for per in latencies for x in per)
    cuts = statistics.quantiles(every, n=100, method="inclusive")
    return {
        "requests": len(every),
        "errors": sum(errors),
        "seconds": elapsed,
        "rps": len(every) / elapsed,
        "p50": cuts[49] * 1000,
        "p95": cuts[94] * 1000,
        "p99": cuts[98] * 1000,
        "max": every[-1] * 1000,
    }


def run_wrk(port: int, paths: list[str], clients: int, duration: float) -> dict[str, float]:
    """The same point-lookup phase driven by wrk, with a Lua script cycling through ``paths``."""
    script = (
        "paths = {"
        + ",".join(json.dumps(p) for p in paths)
        + "}\n"
        + """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1], {["Accept"] = "ACCEPT_TYPE"})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %f %f %f %f %f\\n", summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3))
end
""".replace("ACCEPT_TYPE", ACCEPT)
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    try:
        done = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(clients),
                "-d",
                f"{int(duration)}s",
                "--timeout",
                "10s",
                "-s",
                lua.name,
                f"http://{LOOPBACK}:{port}/",
            ],
            capture_output=True,
            text=True,
            timeout=duration + 60,
            check=True,
        )
    finally:
        Path(lua.name).unlink()
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    requests, errors, seconds, p50, p95, p99, peak = (float(x) for x in line.split()[1:])
    return {
        "requests": requests,
        "errors": errors,
        "seconds": seconds,
        "rps": requests / seconds,
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "max": peak,
    }


def report(name: str, stats: dict[str, float]) -> None:
    print(
        f"{name:<14} {stats['requests']:>8,.0f} requests in {stats['seconds']:.1f} s = "
        f"{stats['rps']:>7,.0f} req/s   p50 {stats['p50']:6.2f} ms   p95 {stats['p95']:6.2f} ms"
        f"   p99 {stats['p99']:6.2f} ms   max {stats['max']:7.2f} ms   errors {stats['errors']:.0f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    parser.add_argument("--from", dest="source", help="serve this export or store, not data/")
    parser.add_argument("--wrk", action="store_true", help="drive point lookups with wrk")
    args = parser.parse_args()
    if not 1 <= args.clients <= 64 or not 1 <= args.duration <= 300:
        parser.error("keep it bounded: 1-64 clients, 1-300 s")
    if args.wrk and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk)")
    port = free_port()
    server = start_server(port, args.source)
    try:
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
        _, body = get(conn, query_path("SELECT DISTINCT ?e WHERE { ?e rdfs:label ?l }"))
        entities = [b["e"]["value"] for b in json.loads(body)["results"]["bindings"]]
        conn.close()
        lookups = [query_path(f"SELECT ?p ?o WHERE {{ <{e}> ?p ?o }}") for e in entities]
        named = []
        for name, query in named_queries().items():
            named.append(query_path(with_values(query.text, query.bind(PARAMS.get(name, {})))))
        print(
            f"\n{args.clients} clients x {args.duration:g} s per phase on {LOOPBACK}:{port}; "
            f"{len(lookups)} entities, {len(named)} named queries"
        )
        drive = run_wrk if args.wrk else run_phase
        lookup_stats = drive(port, lookups, args.clients, args.duration)
        report("point lookups", lookup_stats)
        report("named queries", run_phase(port, named, args.clients, args.duration))
        met = (
            lookup_stats["rps"] >= 300 and lookup_stats["p99"] < 50 and lookup_stats["errors"] == 0
        )
        print(
            f"goal (point lookups ≥ 300 req/s, p99 < 50 ms, 0 errors): {'met' if met else 'MISSED'}"
        )
        return 0 if met else 1
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


if __name__ == "__main__":
    sys.exit(main())
