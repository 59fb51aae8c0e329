"""A bounded load test of ``kg serve`` on 127.0.0.1 (a script, not a pytest test).

Starts ``kg serve`` in its own process on a free loopback port, then runs phases of ``--clients``
concurrent clients for ``--duration`` seconds each, every client on one kept-alive connection:

- point lookups: all the triples of one entity, a random one per request;
- the named queries ``sources`` (who says so: the provenance of one triple) and ``part-of``
  (the chain above an entity, with quotes), each with random parameters from the data, bound
  as kg query --endpoint binds them: ``sources`` a random partOf triple, ``part-of`` a random
  entity that has a chain (each equally often), and again ``part-of by link``, weighted as the
  partOf links are (entities below many wholes, whose answers are longest, asked more often);
- fairness: point lookups again while ``--slow`` further clients keep slow queries (a count over
  the cross product of all the triples in two named graphs) in flight all the time.

Reports requests/s, p50/p95/p99 latency and errors per phase, then stops the server. With
``--compare DIR`` the same phases run first against the kg of another checkout (e.g. an older
commit: ``git archive COMMIT | tar -x -C DIR``), so both sets of figures come from one run; each
checkout is asked its own named queries, bound by its own code, and ``--no-cache`` applies to
both when both know ``--cache-mb``.

    python tests/loadtest_server.py                          # 8 clients x 30 s per phase
    python tests/loadtest_server.py --duration 10 --compare /tmp/kg-before
    python tests/loadtest_server.py --no-cache      # every answer computed by the engine
    python tests/loadtest_server.py --from /tmp/c100k/exports/kg.nq --large  # 100k claims

Goals: point lookups ≥ 300 requests/s with p99 < 50 ms; the named queries ≥ 300 requests/s on
the seed data (≥ 100 at 100k claims); point lookups with 50 slow queries in flight p99 < 100 ms;
0 errors except the slow queries' own 503/504.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.engine import LOOPBACK, free_port  # noqa: E402 (after the path set-up)

ACCEPT = "application/sparql-results+json"
OK = {200}.__contains__
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g1 { ?a ?b ?c } GRAPH ?g2 { ?d ?e ?f } }"
PART_OF = """SELECT DISTINCT ?s ?o WHERE { GRAPH ?g {
    ?c rdf:subject ?s ; rdf:predicate kg:partOf ; rdf:object ?o } }"""
#: Phases, in order; "part-of" asks about each entity with a chain equally often, "part-of by
#: link" about each partOf link's part (an entity below many wholes, with a long answer, is then
#: asked as often as it has wholes).
PHASES = ("point lookups", "sources", "part-of", "part-of by link")


def start_server(
    port: int, source: str | None, checkout: Path, extra: Sequence[str] = ()
) -> subprocess.Popen[str]:
    """``kg serve`` of the kg in ``checkout`` (its own folder first on the import path)."""
    command = [sys.executable, "-m", "kg", "serve", "--port", str(port), "--root", str(ROOT)]
    command += extra
    if source:
        command += ["--from", str(Path(source).resolve())]
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=checkout,
        env=env,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise SystemExit(f"kg serve exited with {process.wait()}")
        print("   ", line.rstrip())
        if "curl" in line:
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep draining
            return process
    process.kill()
    raise SystemExit("kg serve did not start within 600 s")


def stop_server(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes, str]:
    """Status, body and the lane that answered (``X-KG-Lane``: cheap, costly or cache)."""
    conn.request("GET", path, headers={"Accept": ACCEPT})
    response = conn.getresponse()
    return response.status, response.read(), response.getheader("X-KG-Lane") or "-"


def query_path(text: str) -> str:
    return "/query?" + urllib.parse.urlencode({"query": text})


def select(port: int, text: str) -> list[dict[str, str]]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=120)
    status, body, _ = get(conn, query_path(text))
    conn.close()
    if status != 200:
        raise SystemExit(f"the set-up query failed ({status}): {body[:300]!r}")
    rows = json.loads(body)["results"]["bindings"]
    return [{k: v["value"] for k, v in row.items()} for row in rows]


def run_phase(
    port: int, paths: list[str], clients: int, duration: float, ok: Callable[[int], bool]
) -> dict[str, float]:
    """``clients`` threads send random paths for ``duration`` seconds; latency statistics."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    statuses: list[Counter[int]] = [Counter() for _ in range(clients)]
    lanes: list[Counter[str]] = [Counter() for _ in range(clients)]
    until = time.monotonic() + duration

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=60)
        rng = random.Random(index)
        while time.monotonic() < until:
            path = rng.choice(paths)
            started = time.perf_counter()
            try:
                status, body, lane = get(conn, path)
                lanes[index][lane] += 1
                good = ok(status) and (status != 200 or body.startswith(b"{"))
            except (OSError, http.client.HTTPException):
                status, good = 0, False
                conn.close()
                conn = http.client.HTTPConnection(LOOPBACK, port, timeout=60)
            latencies[index].append(time.perf_counter() - started)
            statuses[index][status] += 1
            if not good:
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
    cuts = statistics.quantiles(every, n=100, method="inclusive") if len(every) > 1 else [0] * 99
    return {
        "requests": len(every),
        "errors": sum(errors),
        "seconds": elapsed,
        "rps": len(every) / elapsed,
        "p50": cuts[49] * 1000,
        "p95": cuts[94] * 1000,
        "p99": cuts[98] * 1000,
        "max": every[-1] * 1000 if every else 0,
        "statuses": dict(sum(statuses, Counter())),
        "lanes": dict(sum(lanes, Counter())),
    }


BIND_SCRIPT = """
import json, sys
import kg.sparql as sparql
bind = getattr(sparql, "bind_text", sparql.with_values)  # an older kg bound with VALUES
queries = sparql.named_queries()
asked = json.load(sys.stdin)
json.dump({name: [bind(queries[name].text, queries[name].bind(values)) for values in every]
           for name, every in asked.items()}, sys.stdout)
"""


def bound_queries(checkout: Path, asked: dict[str, list[dict[str, str]]]) -> dict[str, list[str]]:
    """Named queries with their parameters bound by the kg in ``checkout`` itself (its own
    query texts and its own way of binding), so that before and after each ask as they would."""
    done = subprocess.run(
        [sys.executable, "-c", BIND_SCRIPT],
        input=json.dumps(asked),
        capture_output=True,
        text=True,
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(checkout)},
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"binding the named queries in {checkout} failed: {done.stderr[-500:]}")
    return json.loads(done.stdout)


def prepare(port: int, checkout: Path) -> dict[str, list[str]]:
    """The request paths of each phase: random entities, partOf triples and parts of the data
    (up to 2,000 of each, drawn with a fixed seed)."""
    entities = [r["e"] for r in select(port, "SELECT DISTINCT ?e WHERE { ?e rdfs:label ?l }")]
    entities = random.Random(1).sample(entities, min(len(entities), 2000))
    pairs = select(port, PART_OF)
    pairs = random.Random(2).sample(pairs, min(len(pairs), 2000))
    parts = sorted({r["s"] for r in pairs})
    parts = random.Random(3).sample(parts, min(len(parts), 2000))
    named = bound_queries(
        checkout,
        {
            "sources": [{"s": r["s"], "p": "partOf", "o": r["o"]} for r in pairs],
            "part-of": [{"entity": part} for part in parts],
        },
    )
    by_link = dict(zip(parts, named["part-of"], strict=True))
    return {
        "point lookups": [query_path(f"SELECT ?p ?o WHERE {{ <{e}> ?p ?o }}") for e in entities],
        "sources": [query_path(text) for text in named["sources"]],
        "part-of": [query_path(text) for text in named["part-of"]],
        "part-of by link": [query_path(by_link[r["s"]]) for r in pairs if r["s"] in by_link],
    }


def run_fairness(port: int, lookups: list[str], args: argparse.Namespace) -> tuple[dict, dict]:
    """Point lookups while ``args.slow`` clients keep slow queries in flight."""
    slow_results: list[dict] = []
    slow = threading.Thread(
        target=lambda: slow_results.append(
            run_phase(
                port, [query_path(SLOW)], args.slow, args.duration + 5, {200, 503, 504}.__contains__
            )
        )
    )
    slow.start()
    time.sleep(3)  # the slow queries are all in flight
    fair = run_phase(port, lookups, args.clients, args.duration, {200}.__contains__)
    slow.join()
    return fair, slow_results[0]


def report(name: str, stats: dict) -> None:
    print(
        f"    {name:<26} {stats['requests']:>7,.0f} req in {stats['seconds']:5.1f} s = "
        f"{stats['rps']:>6,.0f} req/s  p50 {stats['p50']:7.1f} ms  p95 {stats['p95']:7.1f} ms"
        f"  p99 {stats['p99']:7.1f} ms  max {stats['max']:8.1f} ms  errors {stats['errors']:.0f}"
        f"  {stats['statuses']} lanes {stats['lanes']}"
    )


def goals(results: dict[str, dict], slow: int, large: bool) -> list[tuple[str, bool]]:
    lookups, fair = results["point lookups"], results[f"lookups + {slow} slow"]
    named_rps = 100 if large else 300
    return [
        (
            "point lookups ≥ 300 req/s, p99 < 50 ms, 0 errors",
            lookups["rps"] >= 300 and lookups["p99"] < 50 and lookups["errors"] == 0,
        ),
        *(
            (
                f"{name} ≥ {named_rps} req/s, 0 errors",
                results[name]["rps"] >= named_rps and results[name]["errors"] == 0,
            )
            for name in ("sources", "part-of")
        ),
        (
            f"point lookups with {slow} slow queries in flight: p99 < 100 ms, 0 errors",
            fair["p99"] < 100 and fair["errors"] == 0,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--slow", type=int, default=50, help="slow queries kept in flight")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    parser.add_argument("--from", dest="source", help="serve this export or store, not data/")
    parser.add_argument(
        "--no-cache", action="store_true", help="serve without the answer cache (--cache-mb 0)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="rounds per phase (best kept)")
    parser.add_argument(
        "--large", action="store_true", help="judge by the goals at 100k claims (named ≥ 100/s)"
    )
    parser.add_argument(
        "--compare", type=Path, help="first run the same phases on the kg in this checkout"
    )
    args = parser.parse_args()
    if not 1 <= args.clients <= 32 or not 1 <= args.duration <= 300 or not 0 <= args.slow <= 56:
        parser.error("keep it bounded: 1-32 clients, 0-56 slow queries, 1-300 s")
    targets = [("after", ROOT)]
    if args.compare:
        targets.insert(0, ("before", args.compare.resolve()))
    servers: dict[str, tuple[int, subprocess.Popen[str], dict[str, list[str]]]] = {}
    every: dict[str, dict[str, dict]] = {label: {} for label, _ in targets}
    try:
        for label, checkout in targets:
            port = free_port()
            print(f"\n{label}: kg serve from {checkout} on {LOOPBACK}:{port}")
            cli = (checkout / "kg" / "cli.py").read_text()
            extra = ["--cache-mb", "0"] if args.no_cache and "--cache-mb" in cli else []
            process = start_server(port, args.source, checkout, extra)
            servers[label] = (port, process, prepare(port, checkout))
        print(
            f"\n{args.clients} clients x {args.duration:g} s per phase, best of {args.rounds} "
            "rounds taken in turns (the machine is shared)"
        )
        for phase in PHASES:
            for _round in range(args.rounds):
                for label, (port, _, paths) in servers.items():
                    stats = run_phase(port, paths[phase], args.clients, args.duration, OK)
                    best = every[label].get(phase)
                    if best is None or stats["rps"] > best["rps"]:
                        every[label][phase] = stats
            for label in servers:
                report(f"{label:<6} {phase}", every[label][phase])
        fair_name = f"lookups + {args.slow} slow"
        for label, (port, _, paths) in servers.items():
            fair, slow = run_fairness(port, paths["point lookups"], args)
            every[label][fair_name], every[label]["slow queries"] = fair, slow
            report(f"{label:<6} {fair_name}", fair)
            report(f"{label:<6} slow queries", slow)
    finally:
        for _, process, _ in servers.values():
            stop_server(process)
    if len(every) == 2:
        print("\nside by side (before → after):")
        for name in every["after"]:
            old, new = every["before"][name], every["after"][name]
            print(
                f"    {name:<26} {old['rps']:>6,.0f} → {new['rps']:>6,.0f} req/s   "
                f"p99 {old['p99']:8.1f} → {new['p99']:7.1f} ms   "
                f"errors {old['errors']:.0f} → {new['errors']:.0f}"
            )
    met = True
    print()
    for goal, ok in goals(every["after"], args.slow, args.large):
        print(f"goal {'met   ' if ok else 'MISSED'} {goal}")
        met = met and ok
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
