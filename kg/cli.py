"""The ``kg`` command: each command parses its arguments, calls one API function and prints.

Errors a person can act on (:class:`kg.errors.KgError`) print without a traceback and exit 1;
usage errors exit 2; ``kg --debug ...`` re-raises for a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kg import api
from kg.errors import CurationError, KgError

ROOT_HELP = "Project folder holding data/ and ontology/ (default: found from the current folder)."


class KgGroup(click.Group):
    """Prints KgError messages in one place instead of tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KgError as err:
            if ctx.meta.get("kg.debug"):
                raise
            if isinstance(err, CurationError):
                for problem in err.problems:
                    click.echo(str(problem), err=True)
                click.echo(f"kg: {len(err.problems)} problem(s); nothing was written.", err=True)
            else:
                click.echo(f"kg: {err}", err=True)
            ctx.exit(1)


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
    return click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help=ROOT_HELP)(func)


@main.command()
@_root_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("exports"), show_default=True,
              help="Where to write the exports (relative to the project folder).")
@click.option("--store", "store_path", type=click.Path(path_type=Path), default=None,
              help="Also build an on-disk pyoxigraph store at this path (swapped in when complete).")
@click.option("--no-shacl", is_flag=True, help="Skip the SHACL check (faster for huge corpora).")
@click.option("--no-html", is_flag=True, help="Skip graph.html and the GraphML export.")
def build(root: Path | None, out_dir: Path, store_path: Path | None, no_shacl: bool,
          no_html: bool) -> None:
    """Validate data/, build the RDF dataset and write the exports atomically.

    On any problem nothing under the output folder changes.

    \b
    Example:
      kg build --out exports
    """
    report = api.build(root, out_dir, shacl=not no_shacl, html=not no_html, store_path=store_path,
                       progress=lambda msg: click.echo(msg, err=True))
    click.echo(f"built {report.quads:,} quads from {report.articles} articles, "
               f"{report.entities} entities, {report.claims} claims "
               f"in {sum(report.seconds.values()):.2f}s")
    for path in report.files:
        click.echo(f"  wrote {path}")
    if report.store:
        click.echo(f"  store {report.store}")


@main.command()
@_root_option
def validate(root: Path | None) -> None:
    """Check data/ against the ontology without writing anything; print every problem.

    \b
    Example:
      kg validate
    """
    curation = api.validate(root)
    click.echo(f"ok: {len(curation.articles)} articles, {len(curation.entities)} entities, "
               f"{len(curation.claims)} claims")


def run() -> None:
    """Entry point for ``python -m kg``."""
    sys.exit(main())
