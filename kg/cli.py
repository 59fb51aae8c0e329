"""The ``kg`` command: each command parses its arguments, calls one API function and prints.

Exit codes: 0 done; 1 an error the user can act on (:class:`kg.errors.KgError`: an unknown
name, a missing file, bad data), printed as one line ``kg: what — hint``; 2 a usage error (an
unknown command or option, a missing argument, a bad option value), also one line.
``kg --debug ...`` re-raises for a traceback.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from kg import api
from kg.curation import DEFAULT_MAX_BYTES
from kg.errors import CurationError, KgError, listing

ROOT_HELP = "Project folder holding data/ and ontology/ (default: found from the current folder)."
#: Exit code of an error the user can act on, and of a usage error (as the README says).
USER_ERROR, USAGE_ERROR = 1, 2
#: The longest path ``kg paths`` looks for.
MAX_HOPS = 10


def usage_line(err: click.ClickException) -> str:
    """A click usage error as one line with a hint: ``kg: <what> — see 'kg CMD --help'``."""
    message = " ".join(err.format_message().split()).rstrip(".")
    ctx = getattr(err, "ctx", None)
    where = " ".join(["kg", *(ctx.command_path.split()[1:] if ctx is not None else [])])
    return f"kg: {message} — see '{where} --help'"


class KgGroup(click.Group):
    """Prints KgError messages and usage errors as one line each instead of tracebacks."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as err:
            click.echo(usage_line(err), err=True)
            sys.exit(USAGE_ERROR)
        except click.ClickException as err:  # e.g. a file click could not open
            click.echo(usage_line(err), err=True)
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("kg: aborted", err=True)
            sys.exit(USER_ERROR)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KgError as err:
            if ctx.meta.get("kg.debug"):
                raise
            if isinstance(err, CurationError):
                for line in listing(err.problems):
                    click.echo(line, err=True)
                click.echo(f"kg: {len(err.problems)} problem(s); nothing was written.", err=True)
            else:
                click.echo(f"kg: {err}", err=True)
            ctx.exit(USER_ERROR)
        except OSError as err:  # a file kg could not read or write, not caught closer to it
            if ctx.meta.get("kg.debug"):
                raise
            where = f"{err.filename}: " if err.filename else ""
            click.echo(
                f"kg: {where}{err.strerror or err} — rerun with --debug for details", err=True
            )
            ctx.exit(USER_ERROR)


@click.group(cls=KgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(package_name="kg")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """kg: a provenance-first knowledge graph for news.

    Curate claims with verbatim quotes in data/, build RDF exports, and ask who says what.

    \b
    Examples:
      kg build                       # validate data/, write exports/ (TriG, N-Quads, JSON-LD, HTML)
      kg validate                    # check data/ only, print every problem
    """
    ctx.meta["kg.debug"] = debug


def _root_option(func: Any) -> Any:
    return click.option(
        "--root", type=click.Path(file_okay=False, path_type=Path), default=None, help=ROOT_HELP
    )(func)


@main.command()
@_root_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("exports"),
    show_default=True,
    help="Where to write the exports (relative to the project folder).",
)
@click.option(
    "--store",
    "store_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Also build an on-disk pyoxigraph store at this path (swapped in when complete).",
)
@click.option("--no-shacl", is_flag=True, help="Skip the SHACL check (faster for huge corpora).")
@click.option("--no-html", is_flag=True, help="Skip graph.html and the GraphML export.")
@click.option(
    "--allow-drop",
    is_flag=True,
    help="Write the exports even if they lose more than a fifth of their claims or entities.",
)
@click.option(
    "--no-wait", is_flag=True, help="Fail at once if another build holds the exports' lock."
)
@click.option(
    "--full",
    is_flag=True,
    help="Check and build everything anew, ignoring what earlier builds kept in .kg-cache/.",
)
def build(
    root: Path | None,
    out_dir: Path,
    store_path: Path | None,
    no_shacl: bool,
    no_html: bool,
    allow_drop: bool,
    no_wait: bool,
    full: bool,
) -> None:
    """Validate data/, build the RDF dataset and write the exports atomically.

    On any problem nothing under the output folder changes: the exports change all together
    or not at all. A second build waits for the first (or fails with --no-wait).

    \b
    Example:
      kg build --out exports
    """
    report = api.build(
        root,
        out_dir,
        shacl=not no_shacl,
        html=not no_html,
        store_path=store_path,
        full=full,
        progress=lambda msg: click.echo(msg, err=True),
        allow_drop=allow_drop,
        wait=not no_wait,
    )
    click.echo(
        f"built {report.quads:,} quads from {report.articles} articles, "
        f"{report.entities} entities, {report.claims} claims "
        f"in {sum(report.seconds.values()):.2f}s"
    )
    for path in report.files:
        click.echo(f"  wrote {path}")
    if report.store:
        click.echo(f"  store {report.store}")


@main.command()
@_root_option
@click.option("--strict", is_flag=True, help="Treat the lint's warnings as errors (what CI runs).")
@click.option("--full", is_flag=True, help="Check every file, ignoring results kept in .kg-cache/.")
def validate(root: Path | None, strict: bool, full: bool) -> None:
    """Check data/ against the ontology without writing exports; print every problem.

    When only claims files changed since the last check that found no error, only those
    are checked again (what that check found is kept in .kg-cache/); --full checks all.

    The lint's warnings (things a human must look at) are printed too; --strict makes them
    errors.

    \b
    Example:
      kg validate --strict
    """
    report = api.check(root, strict=strict, full=full)
    for line in listing(report.warnings):
        click.echo(line, err=True)
    warned = len(report.warnings)
    looked = f" ({warned} warning(s): --strict makes them errors)" if warned else ""
    click.echo(
        f"ok: {report.articles} articles, {report.entities} entities, "
        f"{report.claims} claims{looked}"
    )


# --- kg serve, kg push (SPARQL over HTTP; kg.server, kg.remote) ------------------------------

_FROM_HELP = (
    "Use this export (kg.nq, kg.trig), exports folder or on-disk store instead of "
    "building from data/."
)


@main.command()
@_root_option
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=7878,
    show_default=True,
    help="Port on 127.0.0.1 (kg serve never listens on any other address).",
)
@click.option("--from", "path", type=click.Path(path_type=Path), default=None, help=_FROM_HELP)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Deadline of one query in seconds: past it the query is stopped (HTTP 504).",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Most rows (or triples) per answer; a capped one has X-KG-Truncated: true.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests whose Host is NAME (repeatable); by default only localhost, "
    "127.0.0.1 and [::1] (against DNS rebinding).",
)
@click.option(
    "--allow-origin",
    "allow_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Let web pages from ORIGIN (e.g. https://yasgui.org; * for any) query the endpoint "
    "(repeatable); others are refused.",
)
@click.option(
    "--cache-mb",
    type=click.IntRange(min=0),
    default=64,
    show_default=True,
    help="Memory for answers to repeated queries (0: no cache); emptied when the data change.",
)
def serve(
    root: Path | None,
    port: int,
    path: Path | None,
    timeout: float,
    max_rows: int,
    allow_hosts: tuple[str, ...],
    allow_origins: tuple[str, ...],
    cache_mb: int,
) -> None:
    """Serve the graph as a read-only SPARQL 1.1 endpoint on 127.0.0.1, behind a guard.

    Answers SELECT/ASK/CONSTRUCT/DESCRIBE in JSON, XML, CSV, TSV, Turtle, N-Triples or N-Quads;
    refuses updates, Graph Store writes, SERVICE and LOAD, requests for other host names and
    queries from other web sites' pages. GET /query without a query describes the service.
    Changes to data/ (or to the --from file) are picked up while serving. Ctrl-C stops.

    \b
    Example:
      kg serve --port 7878
      curl -s http://127.0.0.1:7878/query -H 'Accept: text/csv' \\
           --data-urlencode 'query=SELECT ?e ?label WHERE { ?e rdfs:label ?label } LIMIT 5'
    """
    api.serve(
        root,
        path,
        port=port,
        timeout=timeout,
        max_rows=max_rows,
        allow_hosts=allow_hosts,
        allow_origins=allow_origins,
        cache_size=cache_mb << 20,
        log=click.echo,
    )


@main.command()
@_root_option
@click.option(
    "--endpoint",
    required=True,
    metavar="URL",
    help="SPARQL query endpoint of the target store, e.g. http://localhost:7878/query.",
)
@click.option(
    "--graph-store",
    metavar="URL",
    default=None,
    help="Its Graph Store Protocol URL, if kg does not find it next to the endpoint "
    "(Fuseki: .../DATASET/data; GraphDB: .../repositories/ID/rdf-graphs/service).",
)
@click.option(
    "--default-graph",
    metavar="IRI",
    default=None,
    help="Store the default graph's triples in this named graph (for Virtuoso, which has no "
    "plain default graph, kg uses https://kg.example/graph/default by itself).",
)
@click.option("--from", "path", type=click.Path(path_type=Path), default=None, help=_FROM_HELP)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="Seconds to wait for each HTTP answer (failed requests are retried twice).",
)
def push(
    root: Path | None,
    endpoint: str,
    graph_store: str | None,
    default_graph: str | None,
    path: Path | None,
    timeout: float,
) -> None:
    """Load every graph of the dataset into a SPARQL 1.1 store, replacing each one.

    One HTTP PUT per graph (Graph Store Protocol; SPARQL Update if the store has none), so
    pushing twice gives the same store. Then every graph's triples are counted on the endpoint:
    kg reports success only when all counts match. Credentials come from the environment
    variables KG_ENDPOINT_USER and KG_ENDPOINT_PASSWORD, never from the command line, and are
    sent (HTTP digest or basic) only when the store asks for them. For Virtuoso, give its
    /sparql endpoint: kg writes to /sparql-graph-crud-auth itself.

    \b
    Example:
      pip install oxigraph && oxigraph serve --location /tmp/store --bind 127.0.0.1:7879 &
      kg push --endpoint http://127.0.0.1:7879/query
      KG_ENDPOINT_USER=dba KG_ENDPOINT_PASSWORD=dba kg push --endpoint http://127.0.0.1:8890/sparql
    """
    report = api.push(
        endpoint,
        graph_store,
        root=root,
        path=path,
        default_graph=default_graph,
        timeout=timeout,
        progress=lambda msg: click.echo(msg, err=True),
    )
    how = "Graph Store Protocol (PUT)" if report.protocol == "graph-store" else "SPARQL Update"
    auth = f", HTTP {report.auth} auth" if report.auth else ""
    click.echo(
        f"pushed {report.graphs} graphs ({report.triples:,} triples) to {report.target} "
        f"with the {how}{auth} in {report.seconds:.2f}s"
    )
    click.echo(f"verified: every graph at {report.endpoint} holds the triples pushed")
    for note in report.notes:
        click.echo(f"  note: {note}")


# --- kg ingest / kg diff: adding articles (kg.ingest, kg.diff) --------------------------------


@main.command()
@_root_option
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", default=None, help="Headline (default: the text's first line, marked).")
@click.option("--outlet", default=None, help="Outlet entity id (default: unknown).")
@click.option("--agency", default=None, help="Originating news agency entity id (wire copy).")
@click.option("--date", default=None, help="Publication date: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option(
    "--id",
    "article_id",
    default=None,
    help="Article id (default: NNN_<first 16 hex of the sha256>).",
)
@click.option("--url", default=None, help="Where the article was published, if known.")
@click.option("--language", default="en", show_default=True, help="Language code of the text.")
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    help="Refuse larger files (raise it for a long article).",
)
def ingest(
    root: Path | None,
    path: Path,
    title: str | None,
    outlet: str | None,
    agency: str | None,
    date: str | None,
    article_id: str | None,
    url: str | None,
    language: str,
    max_bytes: int,
) -> None:
    """Copy an article into data/articles/, record it, and draft its claims for review.

    The text is copied byte for byte (a file already ingested is refused by its sha256); a
    record is appended to data/articles.yaml; data/claims/<id>.yaml is written as a draft
    listing every mention of a known entity, unknown capitalised names and commented candidate
    claims. `kg build` refuses the draft until you review it and delete its first line. On any
    error nothing under data/ changes.

    \b
    Example:
      kg ingest ~/Downloads/story.txt --outlet voa --date 2023-11-16
    """
    report = api.ingest(
        path,
        root,
        title=title,
        outlet=outlet,
        agency=agency,
        date=date,
        article_id=article_id,
        language=language,
        url=url,
        max_bytes=max_bytes,
    )
    base = Path(root) if root else report.articles_yaml.parent.parent

    def shown(target: Path) -> str:
        return str(target.relative_to(base)) if target.is_relative_to(base) else str(target)

    draft = report.draft
    entities = len({i for m in draft.mentions for i in m.entities})
    click.echo(
        f"ingested {report.id} ({report.characters:,} characters, sha256 {report.sha256[:16]}…)"
    )
    click.echo(f"  wrote {shown(report.article_path)}")
    click.echo(
        f"  wrote {shown(report.claims_path)}: draft with {len(draft.mentions)} mentions "
        f"of {entities} entities, {len(draft.candidate_names)} candidate entities, "
        f"{len(draft.candidate_claims)} candidate claims"
    )
    guessed = " (title guessed from the text: check it)" if report.title_guessed else ""
    click.echo(f"  added its record to {shown(report.articles_yaml)}{guessed}")
    click.echo(
        f"next: review {shown(report.claims_path)}, delete its first line, then run `kg validate`"
    )


@main.command()
@_root_option
@click.option(
    "--base",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Export to compare with (kg.nq or kg.trig; default: exports/kg.nq as "
    "committed in git, else as on disk).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def diff(root: Path | None, base: Path | None, as_json: bool) -> None:
    """Show what data/ adds to and removes from the graph, compared with the exports.

    Claims are listed with labels, the article that supports them, offset and quote; a claim
    whose quote, dates or certainty changed is one change. Entity and article statements are
    listed as triples.

    \b
    Example:
      kg diff                        # compared with exports/kg.nq as committed
      kg diff --base /tmp/old/kg.nq --json
    """
    result = api.diff(root, base)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        from kg.diff import format_diff

        click.echo(format_diff(result))


# --- Questions: kg show, sources, paths, neighbours, conflicts, timeline, corroboration, stats,
# --- query (kg.knowledge methods of the same names; tables in kg.tables) ----------------------

_GRAPH_FROM_HELP = (
    "Read the graph from an export (kg.nq, kg.trig), an exports folder or an "
    "on-disk store instead of building it from data/."
)


def _question_options(func: Any) -> Any:
    """--root, --from and --json, shared by the commands that ask the graph a question."""
    func = click.option(
        "--json", "as_json", is_flag=True, help="Print JSON (for scripts) instead of tables."
    )(func)
    func = click.option(
        "--from",
        "path",
        type=click.Path(path_type=Path),
        default=None,
        help=_GRAPH_FROM_HELP,
    )(func)
    return _root_option(func)


def _print(data: Any, as_json: bool, view: Any) -> None:
    """JSON of ``data``, or the rich view ``view()`` builds, on stdout."""
    from rich.console import Console

    from kg.tables import to_json

    if as_json:
        click.echo(to_json(data))
        return
    stdout = sys.stdout
    width = None if stdout.isatty() else int(os.environ.get("COLUMNS", "") or 160)
    console = Console(file=stdout, width=width, highlight=False, soft_wrap=False)
    if stdout.isatty():
        console.print(view())
        return
    with console.capture() as captured:  # no colours, no padding at the ends of lines
        console.print(view())
    click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))


def _graph(root: Path | None, path: Path | None) -> Any:
    return api.load(path, root=root)


def _wide_option(func: Any) -> Any:
    return click.option(
        "--wide", is_flag=True, help="Print quotes and other text in full (no shortening)."
    )(func)


def _period_options(func: Any) -> Any:
    """--after and --before: a date (YYYY, YYYY-MM, YYYY-MM-DD) or an event entity."""
    func = click.option(
        "--before",
        metavar="DATE|EVENT",
        default=None,
        help="Only what can fall before this date or event (e.g. 2023-11 or biden-xi-summit).",
    )(func)
    return click.option(
        "--after",
        metavar="DATE|EVENT",
        default=None,
        help="Only what can fall after this date or event (an event by id, label or alias: "
        "its date from the claims). Claims without a date of their own count at their "
        "article's publication date.",
    )(func)


_stated_only_option = click.option(
    "--stated-only",
    is_flag=True,
    help="Only what the quotes state: leave out derived figures and inferred dates.",
)


@main.command()
@_question_options
@_period_options
@_wide_option
@_stated_only_option
@click.argument("entity")
def show(
    root: Path | None,
    path: Path | None,
    as_json: bool,
    after: str | None,
    before: str | None,
    wide: bool,
    stated_only: bool,
    entity: str,
) -> None:
    """Show an entity (by id, label or alias) and every claim about it, with sources.

    Each claim is one line: when it happened or held, its speaker, certainty, article and
    quote. Given an article id (or its number, e.g. 004) instead, show what the article
    contributes (its claims) and which of its sentences no claim cites yet.

    \b
    Example:
      kg show "Matt Miller"
      kg show china --after biden-xi-summit
      kg show ifs --json
      kg show fentanyl --stated-only
      kg show 004
    """
    from kg.tables import show_view

    graph = _graph(root, path)
    article_id = _article_named(graph, entity)
    if article_id:
        from rich.text import Text

        from kg.ingest import format_article_report

        article = graph.article(article_id, root)
        _print(article, as_json, lambda: Text(format_article_report(article)))
        return
    report = graph.show(entity, after=after, before=before, stated_only=stated_only)
    _print(report, as_json, lambda: show_view(report, wide))


def _article_named(graph: Any, name: str) -> str | None:
    """The article ``name`` stands for (its id or number), unless it names an entity."""
    from kg.errors import EntityNotFound

    if name in graph.articles:
        return name
    try:
        graph.entity(name)
        return None
    except EntityNotFound:
        pass
    except KgError:
        return None
    try:
        return str(graph.article_id(name))
    except KgError:
        return None


@main.command()
@_question_options
@_wide_option
@_stated_only_option
@click.argument("subject")
@click.argument("predicate")
@click.argument("object", metavar="OBJECT")
def sources(
    root: Path | None,
    path: Path | None,
    as_json: bool,
    wide: bool,
    stated_only: bool,
    subject: str,
    predicate: str,
    object: str,
) -> None:
    """Who says SUBJECT PREDICATE OBJECT: articles, outlets, speakers, quotes, offsets.

    The "how" column says whether the claim is stated in its quote or has an inferred part (a
    derived figure, a worked-out date) and from what. Background knowledge is never a source.
    Exits 1 when no article states the triple.

    \b
    Example:
      kg sources ifs partOf "Ministry of Public Security"
      kg sources all-drugs annualOverdoseDeaths 110000 --json
    """
    from kg.tables import sources_table

    found = _graph(root, path).sources(subject, predicate, object, stated_only=stated_only)
    if not found:
        raise KgError(f"no article states {subject} {predicate} {object}")
    _print(found, as_json, lambda: sources_table(f"{subject} {predicate} {object}", found, wide))


@main.command()
@_wide_option
@_question_options
@click.argument("a")
@click.argument("b")
@click.option(
    "--max-hops",
    type=click.IntRange(1, MAX_HOPS),
    default=3,
    show_default=True,
    help="Longest path to look for, in edges (direction is ignored).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="Most paths to show, shortest first.",
)
def paths(
    root: Path | None,
    path: Path | None,
    as_json: bool,
    wide: bool,
    a: str,
    b: str,
    max_hops: int,
    limit: int,
) -> None:
    """Paths between two entities, shortest first, each hop with its articles and quote.

    Exits 1 when they are not connected within --max-hops.

    \b
    Example:
      kg paths "Xi Jinping" "Ministry of Public Security"
      kg paths xi-jinping ifs --max-hops 4 --json
    """
    from kg.tables import paths_view

    graph = _graph(root, path)
    found = graph.paths(a, b, max_hops=max_hops, limit=limit)
    if not found:
        hops = graph.distance(a, b)
        if hops is None:
            raise KgError(
                f"no path between {a!r} and {b!r}: they are in different components (no "
                "chain of relations links them) — `kg neighbours` shows what each is linked to"
            )
        limit_hint = f"use --max-hops {hops}" if hops <= MAX_HOPS else "too far to list"
        raise KgError(
            f"no path between {a!r} and {b!r} within {max_hops} hops — the shortest has "
            f"{hops}: {limit_hint}"
        )
    _print(found, as_json, lambda: paths_view(a, b, found, wide))


@main.command()
@_question_options
@click.argument("entity")
@click.option(
    "--hops",
    type=click.IntRange(1, 10),
    default=1,
    show_default=True,
    help="How far to look, in edges (direction is ignored).",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=None,
    metavar="K",
    help="Only the K neighbours and K 2-hop paths with the most independent sources, and how "
    "many were left out (quick from a hub; --hops is then 2).",
)
def neighbours(
    root: Path | None, path: Path | None, as_json: bool, entity: str, hops: int, top: int | None
) -> None:
    """Entities within --hops edges of ENTITY, nearest first, with the claims linking them.

    \b
    Example:
      kg neighbours ifs --hops 2
      kg neighbours china --top 10
    """
    from kg.tables import neighbours_table, top_neighbours_view

    graph = _graph(root, path)
    if top is not None:
        ranked = graph.top_neighbours(entity, top=top)
        _print(ranked, as_json, lambda: top_neighbours_view(ranked))
        return
    found = graph.neighbours(entity, hops=hops)
    _print(found, as_json, lambda: neighbours_table(entity, found))


@main.command()
@_wide_option
@_question_options
@_stated_only_option
@click.option(
    "--kind",
    type=click.Choice(["contradiction", "time", "precision", "quote-variant", "compatible"]),
    multiple=True,
    help="Only conflicts of this kind (repeatable).",
)
def conflicts(
    root: Path | None,
    path: Path | None,
    as_json: bool,
    wide: bool,
    stated_only: bool,
    kind: tuple[str, ...],
) -> None:
    """Typed conflicts between claims, every quote side by side with article and outlet.

    contradiction: different values of a functional property (figures: within one scope), or
    one source denies what another asserts; time: the sources disagree about when a fact held;
    precision: the same value hedged differently ("some" vs "more than"), a date at two
    precisions, or a loose place name; quote-variant: one speaker's sentence transcribed
    differently by two articles; compatible: different values where one place is part of the
    other, by the claims or by background knowledge (not a conflict). The "how" column says
    whether a value is stated in its quote or inferred (e.g. derived), and from what.

    \b
    Example:
      kg conflicts
      kg conflicts --kind contradiction --json
    """
    from kg.tables import conflicts_view

    found = [
        c
        for c in _graph(root, path).conflicts(stated_only=stated_only)
        if not kind or c.kind in kind
    ]
    _print(found, as_json, lambda: conflicts_view(found, wide))


@main.command()
@_question_options
@_period_options
@_wide_option
@_stated_only_option
@click.argument("entity", required=False)
def timeline(
    root: Path | None,
    path: Path | None,
    as_json: bool,
    after: str | None,
    before: str | None,
    wide: bool,
    stated_only: bool,
    entity: str | None,
) -> None:
    """Dated claims in date order: events, and when facts started and stopped holding.

    Each date says how it was obtained: stated in the quote, or inferred (with the words it
    comes from and how). --stated-only leaves out the inferred dates.

    \b
    Example:
      kg timeline
      kg timeline ifs --stated-only
      kg timeline --after biden-xi-summit
    """
    from kg.tables import timeline_table

    found = _graph(root, path).timeline(entity, after=after, before=before, stated_only=stated_only)
    _print(found, as_json, lambda: timeline_table(found, entity, wide))


@main.command()
@_question_options
@click.option(
    "--min-outlets",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Only triples stated by at least this many named outlets.",
)
@click.option(
    "--min-articles",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Only triples stated by at least this many articles.",
)
@click.option(
    "--single-source", is_flag=True, help="Only triples that one independent source stands behind."
)
def corroboration(
    root: Path | None,
    path: Path | None,
    as_json: bool,
    min_outlets: int,
    min_articles: int,
    single_source: bool,
) -> None:
    """Each triple with its articles, named outlets, agencies and independent sources.

    outlets and agencies count those the articles name (an article whose outlet is unknown
    names none); sources counts independent sources: wire copy carried by two outlets is one
    source (its agency), and an article with no outlet or agency named is a source of its own.

    \b
    Example:
      kg corroboration --min-articles 4
      kg corroboration --single-source --json
    """
    from kg.tables import corroboration_table

    found = _graph(root, path).corroboration(min_outlets=min_outlets, min_articles=min_articles)
    if single_source:
        found = [r for r in found if r["single_source"]]
    _print(found, as_json, lambda: corroboration_table(found))


@main.command("single-source")
@_question_options
@click.option("--single-article", is_flag=True, help="Only entities a single article mentions.")
@click.option("--type", "type_", metavar="CLASS", default=None, help="Only entities of this class.")
def single_source(
    root: Path | None, path: Path | None, as_json: bool, single_article: bool, type_: str | None
) -> None:
    """Entities that only one independent source mentions (as subject, object or speaker).

    \b
    Example:
      kg single-source
      kg single-source --single-article --type Person --json
    """
    from kg.tables import single_source_table

    found = _graph(root, path).single_source_entities(single_article=single_article, type=type_)
    _print(found, as_json, lambda: single_source_table(found))


@main.command()
@_question_options
@click.argument("text", required=False, metavar="[NAME]")
@click.option(
    "--type",
    "type_",
    metavar="CLASS",
    default=None,
    help="Only entities of this ontology class or its subclasses (e.g. Person, Organization).",
)
def entities(
    root: Path | None, path: Path | None, as_json: bool, text: str | None, type_: str | None
) -> None:
    """List entities, or find them by any name: id, label or alias, its words in any order
    or a close spelling ("Department of Commerce" finds the Commerce Department).

    \b
    Example:
      kg entities
      kg entities commerce
      kg entities --type Person
    """
    from kg.tables import entities_table

    found = _graph(root, path).find_entities(text, type=type_)
    if text and not found:
        raise KgError(f"no entity matches {text!r} — try one word of it, or `kg entities`")
    _print(found, as_json, lambda: entities_table(found, text))


@main.command()
@_question_options
@_wide_option
@click.argument("article", required=False)
@click.option("--outlet", default=None, help="Only articles of this outlet (unknown: none named).")
@click.option("--agency", default=None, help="Only wire copy of this agency.")
def articles(
    root: Path | None,
    path: Path | None,
    as_json: bool,
    wide: bool,
    article: str | None,
    outlet: str | None,
    agency: str | None,
) -> None:
    """The articles: outlet, agency, publication date with its precision and basis, claims.

    \b
    Example:
      kg articles
      kg articles --outlet unknown
      kg articles 004 --wide
    """
    from kg.tables import articles_table

    found = _graph(root, path).find_articles(outlet=outlet, agency=agency, text=article)
    _print(found, as_json, lambda: articles_table(found, wide))


@main.command()
@_question_options
@_period_options
@_wide_option
@click.option("-s", "--subject", default=None, help="Subject entity (id, label or alias).")
@click.option("-p", "--predicate", default=None, help="Predicate (e.g. delisted, partOf).")
@click.option("-o", "--object", "object_", default=None, help="Object: an entity or a value.")
@click.option("--article", default=None, help="Only claims of this article (id or number).")
@click.option("--speaker", default=None, help="Only claims attributed to this speaker.")
@_stated_only_option
def claims(
    root: Path | None,
    path: Path | None,
    as_json: bool,
    after: str | None,
    before: str | None,
    wide: bool,
    subject: str | None,
    predicate: str | None,
    object_: str | None,
    article: str | None,
    speaker: str | None,
    stated_only: bool,
) -> None:
    """Claims matching every option given, one line each, with when, speaker and quote.

    \b
    Example:
      kg claims --subject china --after biden-xi-summit
      kg claims --speaker "Matt Miller"
      kg claims --article 004 --json
    """
    from kg.tables import claims_table

    found = _graph(root, path).claims(
        subject,
        predicate,
        object_,
        article,
        speaker=speaker,
        after=after,
        before=before,
        stated_only=stated_only,
    )
    _print(found, as_json, lambda: claims_table(found, wide))


@main.command("as-of")
@_question_options
@_wide_option
@click.argument("day")
@click.argument("subject", required=False)
@click.argument("predicate", required=False)
@click.argument("object", required=False, metavar="[OBJECT]")
def as_of(
    root: Path | None,
    path: Path | None,
    as_json: bool,
    wide: bool,
    day: str,
    subject: str | None,
    predicate: str | None,
    object: str | None,
) -> None:
    """Did it hold on DAY? yes or no for each matching triple the claims date, with the
    evidence for the answer: when it began or ended, according to which articles, in which
    words.

    \b
    Example:
      kg as-of 2024-01-01 ifs listedOn entity-list
      kg as-of 2022-01-01 ifs
    """
    from kg.tables import as_of_view

    found = _graph(root, path).as_of(day, subject, predicate, object)
    _print(found, as_json, lambda: as_of_view(found, wide))


@main.command()
@_question_options
def stats(root: Path | None, path: Path | None, as_json: bool) -> None:
    """Counts: articles, entities, claims by type, predicate and article; conflicts; centrality.

    \b
    Example:
      kg stats
      kg stats --json
    """
    from kg.tables import stats_view

    found = _graph(root, path).stats()
    _print(found, as_json, lambda: stats_view(found))


def _params(values: tuple[str, ...]) -> dict[str, str]:
    params = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
        params[key.strip()] = value
    return params


@main.command()
@_root_option
@click.argument("source", required=False, metavar="NAME|TEXT|FILE")
@click.option(
    "--from",
    "path",
    type=click.Path(path_type=Path),
    default=None,
    help=_GRAPH_FROM_HELP,
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "tsv", "xml", "ttl", "nt"]),
    default="table",
    show_default=True,
    help="table for people; csv, json, tsv, xml: W3C SPARQL results formats; ttl, nt "
    "for CONSTRUCT/DESCRIBE.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Bind a parameter (repeatable): day=2022-01-01, subject=united-states. For "
    "ad-hoc queries, entity:ifs is an IRI and 2 a number.",
)
@click.option("--list", "list_", is_flag=True, help="List the named queries and their parameters.")
@click.option(
    "--endpoint",
    metavar="URL",
    default=None,
    help="Run on this SPARQL 1.1 endpoint instead of the local graph.",
)
@click.option("--wide", is_flag=True, help="Print long values in full (no shortening).")
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Most rows (or triples) a local query prints; a note on stderr says when some were "
    "left out.",
)
@click.option(
    "--no-limit", is_flag=True, help="Print every row (CSV, TSV, JSON, XML, nt are streamed)."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Stop a local query after this many seconds (0: no deadline). Ctrl-C stops it too.",
)
@click.pass_context
def query(
    ctx: click.Context,
    root: Path | None,
    source: str | None,
    path: Path | None,
    fmt: str,
    as_json: bool,
    params: tuple[str, ...],
    list_: bool,
    endpoint: str | None,
    wide: bool,
    max_rows: int,
    no_limit: bool,
    timeout: float,
) -> None:
    """Run a named query, a .rq file or SPARQL text; print a table, CSV, JSON, TSV or XML.

    kg's prefixes (kg:, entity:, article:, schema:, rdf:, rdfs:, skos:, prov:, oa:, ...) are
    predefined. Local queries are read-only and never reach the network: SERVICE, LOAD, FROM
    with a foreign IRI and updates are refused before anything runs.

    \b
    Example:
      kg query --list
      kg query as-of --param day=2022-01-01
      kg query delistings --format csv
      kg query 'SELECT ?label WHERE { entity:ifs rdfs:label ?label }'
      kg query my-question.rq --format json
      kg query corroborated --endpoint http://127.0.0.1:7878/query
    """
    from kg.sparql import QueryResult, named_queries

    if list_:
        from kg.tables import named_table

        queries = named_queries()
        _print(
            [
                {
                    "name": q.name,
                    "title": q.title,
                    "description": q.description,
                    "params": [vars(p) for p in q.params],
                }
                for q in queries.values()
            ],
            as_json,
            lambda: named_table(queries),
        )
        return
    if not source:
        raise click.UsageError("give a named query, a .rq file or SPARQL text (or --list)")
    fmt = "json" if as_json else fmt
    limit = None if no_limit else max_rows
    stream = _EndsWithNewline(sys.stdout.buffer)
    try:
        answer = api.query(
            source,
            fmt=None if fmt == "table" else fmt,
            params=_params(params),
            endpoint=endpoint,
            path=path,
            root=root,
            max_rows=limit,
            timeout=timeout or math.inf,  # always in a child process, which Ctrl-C stops
            out=None if endpoint else stream,
            warn=lambda msg: click.echo(f"kg: {msg}", err=True),
        )
    except KeyboardInterrupt:
        click.echo("kg: interrupted — the query was stopped", err=True)
        ctx.exit(130)
    if isinstance(answer, bytes):
        stream.write(answer)
    if not isinstance(answer, QueryResult):
        stream.finish()
    else:
        from kg.tables import result_table

        named = named_queries().get(source)
        see_also = named.see_also if named else ""
        _print(answer, False, lambda: result_table(answer, wide, see_also))
    if getattr(answer, "truncated", False):
        click.echo(
            f"kg: showing the first {limit:,} rows — --max-rows N or --no-limit for more",
            err=True,
        )


class _EndsWithNewline:
    """A byte stream that remembers its last byte, to end the output with a newline."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.last = b"\n"

    def write(self, data: bytes) -> int:
        if data:
            self.out.write(data)
            self.last = data[-1:]
        return len(data)

    def flush(self) -> None:
        self.out.flush()

    def finish(self) -> None:
        if self.last != b"\n":
            self.out.write(b"\n")
        self.out.flush()


# --- kg html: the interactive graph page (kg.html) ------------------------------------------


@main.command()
@_root_option
@click.option(
    "--from",
    "path",
    type=click.Path(path_type=Path),
    default=None,
    help=_GRAPH_FROM_HELP + " Quotes then show with 32 characters of context.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("graph.html"),
    show_default=True,
    help="Where to write the page.",
)
@click.option(
    "--focus",
    metavar="ENTITY",
    default=None,
    help="Show this entity (id, label or any alias) and its neighbours.",
)
@click.option(
    "--hops",
    type=click.IntRange(0, 10),
    default=1,
    show_default=True,
    help="How far from --focus to go.",
)
@click.option("--article", metavar="ID", default=None, help="Show only what this article says.")
@click.option(
    "--predicate",
    metavar="P",
    default=None,
    help="Show only claims with this predicate (e.g. partOf).",
)
@click.option(
    "--top-k",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Keep at most N entities: the most connected (nearest --focus first).",
)
@click.option(
    "--max-edges",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Keep at most this many relations; the page says what was left out.",
)
@click.option(
    "--max-claims",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Stop adding entities at about this many quoted claims, at most 25 per relation "
    "(keeps big pages quick; kg sources lists all of a relation's).",
)
@click.option("--title", default=None, help="Title shown on the page.")
def html(
    root: Path | None,
    path: Path | None,
    out: Path,
    focus: str | None,
    hops: int,
    article: str | None,
    predicate: str | None,
    top_k: int | None,
    max_edges: int,
    max_claims: int,
    title: str | None,
) -> None:
    """Write the interactive graph page: one offline HTML file for a view of the graph.

    Click an entity or a relation to read every supporting quote in its paragraph; search
    by any alias; filter by type, relation, article, outlet, speaker and date.

    \b
    Examples:
      kg html --out graph.html
      kg html --focus IFS --hops 2 --out ifs.html
      kg html --article 004_1e9b86b4597b81cb --out 004.html
    """
    page = api.write_html(
        out,
        root=root,
        path=path,
        focus=focus,
        hops=hops,
        article=article,
        predicate=predicate,
        top_k=top_k,
        max_edges=max_edges,
        max_claims=max_claims,
        title=title,
    )
    click.echo(
        f"wrote {page.path}: {page.entities} entities, {page.relations} relations, "
        f"{page.claims} claims ({len(page.html) / 1e6:.1f} MB, works offline)"
    )
    for note in page.notes:
        click.echo(f"  note: {note}")


# --- kg synth, kg bench: scale (kg.synth, kg.bench) -------------------------------------------


@main.command()
@_root_option
@click.option(
    "--claims",
    type=click.IntRange(min=1),
    required=True,
    metavar="N",
    help="How many claims to write.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed: the same seed writes the same bytes.",
)
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
def synth(root: Path | None, claims: int, seed: int, out_dir: Path) -> None:
    """Write a synthetic curation tree (articles, entities, claims with real quotes) to OUT_DIR.

    It uses the project's ontology (copied into OUT_DIR/ontology) with correct domains and
    ranges, Zipf-skewed entity popularity, several outlets and agencies, speakers and validity
    intervals; `kg build --root OUT_DIR` accepts it unchanged. OUT_DIR must be new or empty.

    \b
    Example:
      kg synth --claims 10000 --seed 1 /tmp/corpus && kg build --root /tmp/corpus --no-shacl
    """
    summary = api.synth(out_dir, claims=claims, seed=seed, root=root)
    click.echo(
        f"wrote {summary.claims:,} claims in {summary.articles:,} articles about "
        f"{summary.entities:,} entities ({summary.outlets} outlets, {summary.agencies} "
        f"agencies) to {summary.root}"
    )


@main.command()
@_root_option
@click.option(
    "--sizes",
    default="1000,10000,100000",
    show_default=True,
    metavar="N,N,...",
    help="Corpus sizes in claims (1k, 10k and 1.5M are understood).",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write every figure to this JSON file.",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep corpora and exports here (reused by the next run); default: a "
    "temporary folder, removed.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the corpora.")
@click.option(
    "--rdflib-limit",
    type=click.FloatRange(min=1),
    default=150,
    show_default=True,
    metavar="SECONDS",
    help="Time limit of the rdflib load.",
)
@click.option(
    "--rdflib-query-limit",
    type=click.FloatRange(min=1),
    default=20,
    show_default=True,
    metavar="SECONDS",
    help="Time limit of each rdflib query step (exports: twice this).",
)
@click.option(
    "--provenance-sizes",
    default="",
    metavar="N,N,...",
    help="Extra sizes where only our load and provenance lookups run (e.g. 300k).",
)
@click.option(
    "--shacl-max",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    metavar="N",
    help="Also time a build with SHACL at sizes up to N claims.",
)
@click.option(
    "--edit-max",
    type=click.IntRange(min=0),
    default=100_000,
    show_default=True,
    metavar="N",
    help="Run the edit loop (full build, one-claim edit, incremental build, kg validate) at "
    "sizes up to N claims.",
)
@click.option("--no-seed-build", is_flag=True, help="Skip timing `kg build` of data/.")
def bench(
    root: Path | None,
    sizes: str,
    json_path: Path | None,
    workdir: Path | None,
    seed: int,
    rdflib_limit: float,
    rdflib_query_limit: float,
    provenance_sizes: str,
    shacl_max: int,
    edit_max: int,
    no_seed_build: bool,
) -> None:
    """Benchmark kg against rdflib's Memory store and raw pyoxigraph, side by side.

    For each size: a synthetic corpus, `kg build` (no SHACL, no HTML), then in fresh processes
    (so peak RSS is honest) the load of its N-Quads, provenance lookups, a 2-hop neighbourhood,
    aggregations, the NetworkX projection, the HTML default view and TriG/N-Quads export.
    Prints a table per size with ratios and the goals of the scale issue.

    \b
    Examples:
      kg bench --sizes 1000,10000 --json bench.json
      kg bench --json bench.json --provenance-sizes 300k     # the full run: ~15 min
    """
    from rich.console import Console

    from kg.bench import parse_sizes, render, run_bench

    console = Console(stderr=True, log_path=False)
    report = run_bench(
        parse_sizes(sizes),
        json_path=json_path,
        workdir=workdir,
        seed=seed,
        rdflib_limit=rdflib_limit,
        rdflib_query_limit=rdflib_query_limit,
        provenance_sizes=parse_sizes(provenance_sizes),
        shacl_max=shacl_max,
        edit_max=edit_max,
        seed_build=not no_seed_build,
        root=root,
        progress=lambda msg: console.log(msg),
    )
    out = Console()
    if not out.is_terminal:  # a file or a pipe: wide enough for the tables
        out.width = 120
    out.print(render(report))
    if json_path:
        click.echo(f"wrote {json_path}")


def run() -> None:
    """Entry point for ``python -m kg``."""
    sys.exit(main())
