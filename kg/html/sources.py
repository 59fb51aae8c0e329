"""Pages from a store: what ``kg build``, ``kg html`` and ``KnowledgeGraph.to_html`` call.

Article details and quote contexts are read from the store as the page asks for them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx

from kg.graph import (
    project,
)
from kg.html.payload import ArticleInfo
from kg.html.render import Page, render_page
from kg.ontology import Ontology, load_ontology
from kg.sparql import run_query

ARTICLES_QUERY = """
SELECT ?id ?headline ?published ?obtained ?outlet ?agency WHERE {
  ?article a kg:NewsArticle ; dcterms:identifier ?id .
  OPTIONAL { ?article schema:headline ?headline }
  OPTIONAL { ?article schema:datePublished ?published }
  OPTIONAL { ?article kg:publishedObtained ?obtained }
  OPTIONAL { ?article schema:publisher ?outlet }
  OPTIONAL { ?article kg:originatingAgency ?agency }
} ORDER BY ?id
"""


def article_infos(store: Any) -> dict[str, ArticleInfo]:
    """Title, date, outlet and agency of every article in a store, by article id."""
    found = {}
    for row in run_query(store, ARTICLES_QUERY):
        ident = str(row["id"])
        found[ident] = ArticleInfo(
            ident,
            row["headline"] or "",
            str(row["published"] or ""),
            _local(row["outlet"]),
            _local(row["agency"]),
            str(row["obtained"] or ""),
        )
    return found


class ArticleInfos(Mapping[str, ArticleInfo]):
    """:func:`article_infos` read from a pyoxigraph store one article at a time, when asked
    for: a page names the few articles its claims come from, not all of them.

    >>> import kg
    >>> ArticleInfos(kg.load().store)["001_9a1418d7ed6deaae"].outlet
    'voa'
    """

    def __init__(self, store: Any) -> None:
        import pyoxigraph as ox

        from kg.ontology import KG, SCHEMA

        self._store, self._ox = store, ox
        self._read: dict[str, ArticleInfo] = {}
        self._fields = {
            str(SCHEMA.headline): "title",
            str(SCHEMA.datePublished): "published",
            str(SCHEMA.publisher): "outlet",
            str(KG.originatingAgency): "agency",
            str(KG.publishedObtained): "published_obtained",
        }

    def __getitem__(self, ident: str) -> ArticleInfo:
        if ident not in self._read:
            self._read[ident] = self._article(ident)
        return self._read[ident]

    def _article(self, ident: str) -> ArticleInfo:
        from kg.ontology import article_iri

        ox = self._ox
        found: dict[str, str] = {}
        node = ox.NamedNode(str(article_iri(ident)))
        for quad in self._store.quads_for_pattern(node, None, None, ox.DefaultGraph()):
            field = self._fields.get(quad.predicate.value)
            if field and (field not in found or quad.object.value < found[field]):
                found[field] = quad.object.value
        if not found:
            raise KeyError(ident)
        return ArticleInfo(
            ident,
            found.get("title", ""),
            found.get("published", ""),
            _local(found.get("outlet")),
            _local(found.get("agency")),
            found.get("published_obtained", ""),
        )

    def __iter__(self) -> Iterator[str]:
        return iter(article_infos(self._store))

    def __len__(self) -> int:
        return len(article_infos(self._store))


class QuoteContexts(Mapping[str, tuple[str, str]]):
    """The W3C TextQuoteSelector prefix and suffix of a claim, by claim IRI, read from a
    pyoxigraph store when asked for (a page shows a few hundred claims of perhaps millions).

    >>> import kg
    >>> g = kg.load()
    >>> claim = g.claims(subject="ifs", predicate="partOf")[0]["claim"]
    >>> before, after = QuoteContexts(g.store)[claim]
    >>> len(before) <= 32 and len(after) <= 32
    True
    """

    def __init__(self, store: Any) -> None:
        import pyoxigraph as ox

        from kg.ontology import OA

        self._store = store
        self._ox = ox
        self._terms = {
            name: ox.NamedNode(str(OA[name]))
            for name in ("hasTarget", "hasSelector", "prefix", "suffix", "exact")
        }

    def __getitem__(self, claim: str) -> tuple[str, str]:
        ox, terms = self._ox, self._terms

        def objects(subject: Any, predicate: str) -> list[Any]:
            return [
                q.object for q in self._store.quads_for_pattern(subject, terms[predicate], None)
            ]

        for target in objects(ox.NamedNode(claim), "hasTarget"):
            for selector in objects(target, "hasSelector"):
                if objects(selector, "exact"):  # the quote selector (not the position one)
                    prefix, suffix = objects(selector, "prefix"), objects(selector, "suffix")
                    return (
                        min((p.value for p in prefix), default=""),
                        min((s.value for s in suffix), default=""),
                    )
        raise KeyError(claim)

    def __iter__(self) -> Iterator[str]:
        seen = {
            q.subject.value
            for q in self._store.quads_for_pattern(None, self._terms["hasTarget"], None)
        }
        return iter(sorted(seen))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _local(iri: str | None) -> str | None:
    return iri.rsplit("/", 1)[-1] if iri else None


def page_from_store(
    store: Any,
    *,
    graph: nx.MultiDiGraph | None = None,
    texts: Mapping[str, str] | None = None,
    ontology: Ontology | None = None,
    **view: Any,
) -> Page:
    """The page for a view of a pyoxigraph store (view options as :func:`render_page`).

    ``graph`` is the store's projection when already at hand. Article ``texts`` by id show
    each quote in its paragraph; without them the page shows the 32 characters of W3C prefix
    and suffix stored with each quote.
    """
    onto = ontology or load_ontology()
    projected = graph if graph is not None else project(store, ontology=onto)
    contexts: Mapping[str, tuple[str, str]] = {} if texts else QuoteContexts(store)
    return render_page(
        projected,
        ontology=onto,
        articles=ArticleInfos(store),
        texts=texts,
        contexts=contexts,
        **view,
    )


def write_html(store: Any, path: Path | str, **options: Any) -> Page:
    """Write the page for a view of a store to ``path`` (options as :func:`page_from_store`).

    >>> import kg, tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "ifs.html"
    >>> page = write_html(kg.load().store, out, focus="IFS", hops=1)
    >>> page.path == out and out.read_bytes() == page.html
    True
    """
    page = page_from_store(store, **options)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(page.html)
    return replace(page, path=target)
