"""The public API: validate and build the curation, load the graph.

>>> report = build(out_dir=None)          # checks everything, writes nothing
>>> report.claims > 50
True
>>> g = load()
>>> g.entity("Matt Miller").id
'matthew-miller'
"""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kg import exports
from kg.buildcache import BuildCache, assemble
from kg.curation import CheckReport, check_curation, load_curation, paused_gc
from kg.errors import Problem, QueryError, listing
from kg.model import Curation
from kg.ontology import PREFIXES, default_root, load_ontology
from kg.rdf import iter_quads
from kg.results import Written
from kg.shacl import ShapesCheck
from kg.sparql import QueryResult, bind_text, prepare_query
from kg.store import build_store_dir, new_store, open_store, read_export, to_oxigraph
from kg.tablepieces import table_files
from kg.viewpieces import views

if TYPE_CHECKING:  # imported where used: `kg validate` needs none of the graph's modules
    from kg.diff import GraphDiff
    from kg.html import Page
    from kg.ingest import ArticleReport
    from kg.knowledge import KnowledgeGraph
    from kg.remote import PushReport
    from kg.server import Source
    from kg.synth import SynthSummary

EXPORT_FORMATS = ("trig", "nq", "jsonld")


def __getattr__(name: str) -> Any:
    """``ingest`` is :func:`kg.ingest.ingest`, imported when first asked for."""
    if name == "ingest":
        from kg.ingest import ingest

        return ingest
    raise AttributeError(f"module 'kg.api' has no attribute {name!r}")


Progress = Callable[[str], None]


@dataclass
class BuildReport:
    """What a build produced: counts, the files written and how long each step took."""

    articles: int
    entities: int
    claims: int
    quads: int
    files: list[Path] = field(default_factory=list)
    store: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    #: The CPU seconds of each step (this process's; the SHACL check runs in another).
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    #: The peak resident memory of the process (MB, Linux) when each step ended.
    peak_mb: dict[str, float] = field(default_factory=dict)


def validate(
    root: Path | None = None,
    *,
    strict: bool = False,
    warnings: list[Problem] | None = None,
    full: bool = False,
) -> Curation:
    """Check ``data/`` against the ontology without writing exports; raise on any problem.

    The lint's warnings (:mod:`kg.lint`) are appended to ``warnings``; ``strict`` makes them
    errors. Claims files unchanged since a check that found no problem are not checked again
    (see :mod:`kg.buildcache`); ``full`` checks everything.
    """
    root = Path(root) if root else default_root()
    return load_curation(
        root,
        load_ontology(root / "ontology" / "kg.ttl"),
        strict=strict,
        warnings=warnings,
        reuse=BuildCache(root, read=not full),
    )


def check(root: Path | None = None, *, strict: bool = False, full: bool = False) -> CheckReport:
    """Check ``data/`` as :func:`validate` does, raising the same error, and say how much it
    holds and the lint's warnings instead of handing out the curation: what ``kg validate``
    runs. After an edit of claims files only, only those are checked again (see
    :mod:`kg.verdict`); ``full`` checks everything.

    >>> report = check()
    >>> report.articles, report.entities, report.warnings
    (5, 59, [])
    """
    return check_curation(root, strict=strict, full=full)


def build(
    root: Path | None = None,
    out_dir: Path | str | None = "exports",
    *,
    shacl: bool = True,
    html: bool = True,
    store_path: Path | None = None,
    full: bool = False,
    progress: Progress | None = None,
    allow_drop: bool = False,
    wait: bool = True,
) -> BuildReport:
    """Validate ``data/``, build the RDF dataset and write the exports atomically.

    ``out_dir`` is relative to ``root`` unless absolute; ``None`` checks and builds in memory
    without writing. ``store_path`` also builds an on-disk pyoxigraph store there. A build
    that writes holds the lock of ``out_dir`` throughout: another build waits for it (or,
    with ``wait=False``, raises :class:`kg.errors.BuildLocked`). Unless ``allow_drop``, a
    build that would drop more than a fifth of the exported claims or entities is refused
    (:class:`kg.errors.ExportShrinkError`). What an earlier build found for unchanged articles
    is reused from ``root/.kg-cache`` (see :mod:`kg.buildcache`; the exports are the same
    bytes); ``full`` ignores it.
    """
    root = Path(root) if root else default_root()
    if out_dir is None:
        return _build(root, None, shacl, html, store_path, progress, allow_drop, full)
    target = Path(out_dir) if Path(out_dir).is_absolute() else root / out_dir
    with exports.build_lock(target, wait=wait, say=progress):
        return _build(root, target, shacl, html, store_path, progress, allow_drop, full)


@paused_gc()  # millions of live objects: see kg.curation.paused_gc
def _build(
    root: Path,
    target: Path | None,
    shacl: bool,
    html: bool,
    store_path: Path | None,
    progress: Progress | None,
    allow_drop: bool,
    full: bool = False,
) -> BuildReport:
    say = progress or (lambda _msg: None)
    out_dir = target
    clock: dict[str, float] = {}
    cpu: dict[str, float] = {}
    peaks: dict[str, float] = {}
    started, used = time.perf_counter(), time.process_time()

    def lap(step: str) -> None:
        nonlocal started, used
        now, spent = time.perf_counter(), time.process_time()
        clock[step], cpu[step] = round(now - started, 4), round(spent - used, 4)
        started, used = now, spent
        peaks[step] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    ontology = load_ontology(root / "ontology" / "kg.ttl")
    warnings: list[Problem] = []
    cache = BuildCache(root, read=not full, write=out_dir is not None)
    curation = load_curation(root, ontology, warnings=warnings, reuse=cache)
    for line in listing(warnings):
        say(line)
    lap("validate")
    say(
        f"checked {len(curation.articles)} articles, {len(curation.entities)} entities, "
        f"{len(curation.claims)} claims"
    )
    dataset = assemble(
        curation, ontology, cache, PREFIXES, exports=out_dir is not None, shacl=shacl
    )
    lap("rdf")
    if dataset.reused:
        say(f"reused {dataset.reused} of {dataset.reused + dataset.made} article graphs")
    shapes = root / "ontology" / "shapes.ttl"
    checking = shacl and bool(dataset.shacl_quads)
    with ExitStack() as scratch:  # the folder the tables are written to, until written
        with ShapesCheck(dataset.shacl_quads, shapes) if checking else nullcontext() as check:
            # the exports are built while the shapes are checked; nothing is written before both
            report = BuildReport(
                len(curation.articles),
                len(curation.entities),
                len(curation.claims),
                dataset.quads,
                seconds=clock,
                cpu_seconds=cpu,
                peak_mb=peaks,
            )
            files: dict[str, exports.Content] = {}
            if out_dir is not None:
                files = {f"kg.{fmt}": dataset.export(fmt) for fmt in EXPORT_FORMATS}
                files["stats.json"] = exports.stats_json(exports.stats(curation, dataset.quads))
                spill = scratch.enter_context(exports.scratch_folder(out_dir))
                files.update(table_files(curation, ontology, cache, spill, dataset.head_key))
                lap("serialize")
                if html:
                    files.update(views(dataset, curation, ontology, cache))
                    lap("html")
            if check is not None:
                check.wait()
                cache.keep_conforms(dataset.shacl_keys)
                lap("shacl")  # what was left to wait for: the check ran alongside
            if shacl:
                say("SHACL shapes conform")
        if cache.trouble:
            say(f"results not kept for the next build: {cache.trouble}")
        if target is None:
            return report
        report.files = exports.write_files(target, files, allow_drop=allow_drop)
        lap("write")
        if removed := cache.prune():
            say(f"removed the results of {len(removed)} older version(s) of kg from .kg-cache/")
    if store_path:
        report.store = build_store_dir(Path(store_path), target / "kg.nq")
        lap("store")
    return report


def write_html(
    out: Path | str = "graph.html",
    *,
    root: Path | None = None,
    path: Path | str | None = None,
    **view: Any,
) -> Page:
    """Write the interactive graph page for a view of the graph: ``kg html``.

    Built from ``data/`` (each quote shown in its paragraph), or from an export or store at
    ``path`` (each quote with the 32 characters around it that the RDF keeps). ``view`` takes
    ``focus``, ``hops``, ``article``, ``predicate``, ``top_k``, ``max_edges``, ``max_claims``
    and ``title``
    (see :func:`kg.html.select_view`).

    >>> import tempfile, pathlib
    >>> page = write_html(pathlib.Path(tempfile.mkdtemp()) / "g.html", predicate="partOf")
    >>> page.relations > 0 and page.path.is_file()
    True
    """
    from kg import html as pages

    root = Path(root) if root else default_root()
    if path is not None:
        graph = load(path, root=root)
        return pages.write_html(graph.store, out, ontology=graph.ontology, **view)
    ontology = load_ontology(root / "ontology" / "kg.ttl")
    curation = load_curation(root, ontology)
    store = new_store()
    store.bulk_extend(to_oxigraph(iter_quads(curation, ontology)))
    return pages.write_html(store, out, texts=curation.texts(), ontology=ontology, **view)


def load(path: Path | str | None = None, *, root: Path | None = None) -> KnowledgeGraph:
    """Open the graph: built in memory from ``data/`` (no path), or from an export or store.

    ``path`` may be an export file (``kg.nq``, ``kg.trig``), a folder of exports, or an on-disk
    store built with ``kg build --store PATH``.

    >>> load("exports/kg.nq").entity("IFS").label
    'Institute of Forensic Science'
    """
    from kg.knowledge import KnowledgeGraph

    root = Path(root) if root else default_root()
    ontology = load_ontology(root / "ontology" / "kg.ttl")
    if path is None:
        curation = load_curation(root, ontology)
        store = new_store()
        store.bulk_extend(to_oxigraph(iter_quads(curation, ontology)))
        return KnowledgeGraph(store, ontology)
    path = Path(path)
    if not path.is_absolute() and not path.exists() and (root / path).exists():
        path = root / path
    if path.is_dir() and (path / "kg.nq").is_file():
        path = path / "kg.nq"
    if path.is_dir():
        return KnowledgeGraph(open_store(path), ontology)
    return KnowledgeGraph(read_export(path), ontology)


# --- kg ingest / kg diff / kg show ARTICLE: adding articles (kg.ingest, kg.diff) --------------


def diff(root: Path | None = None, base: Path | str | None = None) -> GraphDiff:
    """What ``data/`` adds to and removes from the graph, compared with an export.

    The base is ``base`` (a kg.nq or kg.trig), else exports/kg.nq as committed in git, else as
    on disk. ``ingest`` (re-exported from :mod:`kg.ingest`) adds an article.
    """
    from kg.diff import diff_graph

    return diff_graph(root, base)


def article_report(
    article_id: str, root: Path | None = None, path: Path | str | None = None
) -> ArticleReport:
    """An article's claims and the sentences no claim cites yet (``kg show ARTICLE``).

    >>> report = article_report("001_9a1418d7ed6deaae")
    >>> len(report.claims) > 10, report.sentences > len(report.uncited)
    (True, True)
    """
    from kg.ingest import article_report as report_of

    return report_of(load(path, root=root).store, article_id, root)


# --- kg serve / kg push: the dataset over HTTP (kg.server, kg.remote) ------------------------


def _serve_source(root: Path | None, path: Path | str | None) -> Source:
    """What kg serve and kg push read: data/ (rebuilt when it changes) or an export or store."""
    from kg.server import Source, files_fingerprint

    root = Path(root) if root else default_root()
    if path is None:
        watched = (root / "data", root / "ontology")
        return Source(
            f"{root / 'data'}",
            lambda: list(load(root=root).store),
            lambda: files_fingerprint(*watched),
        )
    resolved = Path(path)
    if not resolved.is_absolute() and not resolved.exists() and (root / resolved).exists():
        resolved = root / resolved
    return Source(
        str(resolved),
        lambda: list(load(resolved, root=root).store),
        lambda: files_fingerprint(resolved),
    )


def serve(
    root: Path | None = None,
    path: Path | str | None = None,
    *,
    port: int = 7878,
    timeout: float = 10.0,
    max_rows: int = 10_000,
    watch: float = 2.0,
    allow_hosts: Sequence[str] = (),
    allow_origins: Sequence[str] = (),
    cache_size: int = 64 << 20,
    log: Progress | None = None,
) -> None:
    """Serve the graph as a read-only SPARQL endpoint on 127.0.0.1 until Ctrl-C (see kg.server).

    Serves ``data/`` (rebuilt when it changes) or ``path`` (an export or an on-disk store).
    """
    from kg.server import SparqlServer

    server = SparqlServer(
        _serve_source(root, path),
        port=port,
        timeout=timeout,
        max_rows=max_rows,
        watch=watch,
        allow_hosts=allow_hosts,
        allow_origins=allow_origins,
        cache_size=cache_size,
        log=log,
    )
    server.serve_forever()


def push(
    endpoint: str,
    graph_store: str | None = None,
    *,
    root: Path | None = None,
    path: Path | str | None = None,
    default_graph: str | None = None,
    timeout: float = 60.0,
    progress: Progress | None = None,
) -> PushReport:
    """Replace every graph of the dataset in the SPARQL store at ``endpoint`` and verify counts.

    Uses the Graph Store Protocol (``graph_store``, or found next to the endpoint), else SPARQL
    Update; credentials come from KG_ENDPOINT_USER / KG_ENDPOINT_PASSWORD (see kg.remote).
    ``default_graph`` names a graph for the default graph's triples (automatic for Virtuoso).
    """
    from kg.remote import push_quads

    source = _serve_source(root, path)
    return push_quads(
        source.quads(),
        endpoint,
        graph_store,
        default_graph=default_graph,
        timeout=timeout,
        progress=progress,
    )


def query(
    source: str,
    *,
    fmt: str | None = None,
    params: Mapping[str, Any] | None = None,
    endpoint: str | None = None,
    path: Path | str | None = None,
    root: Path | None = None,
    max_rows: int | None = None,
    timeout: float | None = None,
    out: IO[bytes] | None = None,
    warn: Progress | None = None,
) -> QueryResult | bytes | Written:
    """Run a named query, a ``.rq`` file or SPARQL text: what ``kg query`` does.

    Locally (the graph from ``data/``, or ``path``) or, with ``endpoint``, on any SPARQL 1.1
    endpoint: then parameters are written into the query text (:func:`kg.sparql.bind_text`).
    Without ``fmt`` the answer is a :class:`kg.sparql.QueryResult`; with it, bytes in that format
    (json, xml, csv, tsv; ttl or nt for CONSTRUCT/DESCRIBE), or, with ``out``, the answer
    written there as it is read. Local queries keep at most ``max_rows`` rows and stop after
    ``timeout`` seconds (:mod:`kg.results`); a remote query waits at most ``timeout`` seconds
    for each answer (30 by default), and ``warn`` hears about an answer the endpoint cut short
    (Virtuoso's row cap, kg serve's ``--max-rows``).

    >>> query("as-of", params={"day": "2024-01-01"}, fmt="csv").splitlines()[0]
    b'day,s,p,o,from,until,article,quote'
    """
    if endpoint:
        try:
            from kg import remote
        except ImportError as err:  # pragma: no cover - kg.remote ships with kg
            raise QueryError(f"remote queries need kg.remote ({err})") from None
        text, bindings, _named = prepare_query(source, params)
        text = bind_text(text, bindings)
        seconds = timeout if timeout and math.isfinite(timeout) else 30.0
        with remote.Client(timeout=seconds, warn=warn) as client:
            if fmt is None:
                return remote.remote_query(endpoint, text, client=client)
            return remote.query_endpoint(endpoint, text, fmt, client=client)
    graph = load(path, root=root)
    return graph.query(source, fmt, params, max_rows=max_rows, timeout=timeout, out=out)


# --- kg synth: a synthetic corpus of any size (kg.synth; kg.bench is a client of this API) -----


def synth(
    out_dir: Path | str, *, claims: int, seed: int = 0, root: Path | None = None
) -> SynthSummary:
    """Write a synthetic curation tree that ``kg build --root out_dir`` accepts: ``kg synth``.

    The ontology is copied from ``root``'s ``ontology/`` (see :func:`kg.synth.synthesize`).

    >>> import tempfile, pathlib
    >>> synth(pathlib.Path(tempfile.mkdtemp()) / "s", claims=20, seed=1).claims
    20
    """
    from kg.synth import synthesize

    root = Path(root) if root else default_root()
    return synthesize(out_dir, claims=claims, seed=seed, ontology_dir=root / "ontology")
