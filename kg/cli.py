"""The ``kg`` command: each command parses its arguments, calls one API function and prints.

Errors a person can act on (:class:`kg.errors.KgError`) print without a traceback and exit 1;
usage errors exit 2; ``kg --debug ...`` re-raises for a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from kg import api
from kg.diff import format_diff
from kg.errors import CurationError, KgError
from kg.ingest import DEFAULT_MAX_BYTES

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


# --- kg ingest / kg diff: adding articles (kg.ingest, kg.diff) --------------------------------


@main.command()
@_root_option
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", default=None, help="Headline (default: the text's first line, marked).")
@click.option("--outlet", default=None, help="Outlet entity id (default: unknown).")
@click.option("--agency", default=None, help="Originating news agency entity id (wire copy).")
@click.option("--date", default=None, help="Publication date: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--id", "article_id", default=None,
              help="Article id (default: NNN_<first 16 hex of the sha256>).")
@click.option("--url", default=None, help="Where the article was published, if known.")
@click.option("--language", default="en", show_default=True, help="Language code of the text.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BYTES,
              show_default=True, help="Refuse larger files (raise it for a long article).")
def ingest(root: Path | None, path: Path, title: str | None, outlet: str | None,
           agency: str | None, date: str | None, article_id: str | None, url: str | None,
           language: str, max_bytes: int) -> None:
    """Copy an article into data/articles/, record it, and draft its claims for review.

    The text is copied byte for byte (a file already ingested is refused by its sha256); a
    record is appended to data/articles.yaml; data/claims/<id>.yaml is written as a draft
    listing every mention of a known entity, unknown capitalised names and commented candidate
    claims. `kg build` refuses the draft until you review it and delete its first line. On any
    error nothing under data/ changes.

    \b
    Example:
      kg ingest ~/Downloads/reuters-ifs.txt --outlet reuters --date 2023-11-16
    """
    report = api.ingest(path, root, title=title, outlet=outlet, agency=agency, date=date,
                        article_id=article_id, language=language, url=url, max_bytes=max_bytes)
    base = Path(root) if root else report.articles_yaml.parent.parent

    def shown(target: Path) -> str:
        return str(target.relative_to(base)) if target.is_relative_to(base) else str(target)

    draft = report.draft
    entities = len({i for m in draft.mentions for i in m.entities})
    click.echo(f"ingested {report.id} ({report.characters:,} characters, "
               f"sha256 {report.sha256[:16]}…)")
    click.echo(f"  wrote {shown(report.article_path)}")
    click.echo(f"  wrote {shown(report.claims_path)}: draft with {len(draft.mentions)} mentions "
               f"of {entities} entities, {len(draft.candidate_names)} candidate entities, "
               f"{len(draft.candidate_claims)} candidate claims")
    guessed = " (title guessed from the text: check it)" if report.title_guessed else ""
    click.echo(f"  added its record to {shown(report.articles_yaml)}{guessed}")
    click.echo(f"next: review {shown(report.claims_path)}, delete its first line, "
               "then run `kg validate`")


@main.command()
@_root_option
@click.option("--base", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Export to compare with (kg.nq or kg.trig; default: exports/kg.nq as "
                   "committed in git, else as on disk).")
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
        click.echo(format_diff(result))


def run() -> None:
    """Entry point for ``python -m kg``."""
    sys.exit(main())
