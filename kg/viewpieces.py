"""The graph page (``graph.html``) and GraphML (``kg.graphml``) of a build, from the claim
rows of each article, kept in the build cache.

Both come from the NetworkX projection, made here from claim rows (:func:`kg.graph.project`
with ``rows``) and a store holding only the default, ontology and background graphs: the
article graphs are not loaded again. An article's rows are read from its own graph
(:func:`kg.graph.find_claims`) and reused, with the JSON the GraphML writes for each, while their
key holds: the key of the article graph
(:attr:`kg.buildcache.BuildCache.keys`) with the article's record, whose outlet, agency and
date are in every row. The bytes are those of the projection of the whole store (tested).

>>> import kg
>>> from kg.graph import project, to_graphml
>>> from kg.buildcache import assemble, BuildCache
>>> from kg.ontology import PREFIXES, default_root, load_ontology
>>> onto = load_ontology()
>>> curation = kg.validate()
>>> dataset = assemble(curation, onto, BuildCache(default_root(), write=False), PREFIXES)
>>> made = views(dataset, curation, onto)
>>> made["kg.graphml"] == to_graphml(project(kg.load().store, ontology=onto))
True
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.buildcache import Assembly, BuildCache
from kg.model import Curation
from kg.ontology import Ontology, article_iri


def views(
    dataset: Assembly, curation: Curation, ontology: Ontology, cache: BuildCache | None = None
) -> dict[str, bytes]:
    """``graph.html`` (the default view) and ``kg.graphml`` of the dataset."""
    from kg import html as pages
    from kg.graph import GraphmlReuse, find_claims, project, row_json, sorted_rows, to_graphml

    store = ox.Store()
    for data in (dataset.head_nq, dataset.tail_nq):
        if data:
            store.load(data, format=ox.RdfFormat.N_QUADS)
    rows: list[dict[str, Any]] = []
    encoded: dict[int, str] = {}  # each row's JSON in the GraphML, by id(row)
    keys: dict[str, str | None] = {}  # the key of each article's rows
    for article_id, nq in dataset.article_nq.items():
        key = keys[article_id] = _rows_key(cache, curation, article_id)
        stored = cache.stored_piece(key) if cache is not None and key else None
        if stored is not None:
            found, texts = stored
        else:
            data = nq if isinstance(nq, bytes) else Path(nq).read_bytes()
            named = ox.NamedNode(str(article_iri(article_id)))
            store.load(data, format=ox.RdfFormat.N_QUADS)
            found = find_claims(store, graph=named)
            store.remove_graph(named)  # the store keeps the shared graphs only
            texts = [row_json(row) for row in found]
            if cache is not None and key:
                cache.keep_piece(key, pickle.dumps((found, texts), protocol=5))
        rows += found
        encoded.update(zip(map(id, found), texts, strict=True))
    graph = project(store, rows=sorted_rows(rows), ontology=ontology)
    try:
        page = pages.page_from_store(store, graph=graph, texts=curation.texts(), ontology=ontology)
        reuse = None
        if cache is not None:
            # what every element's attributes are made from besides its articles' rows: the
            # entity records (the head's key) and background facts (the ontology and code: in the
            # cache's folder)
            scope = dataset.head_key + hashlib.sha256(dataset.tail_nq).hexdigest()

            def basis(
                _ident: tuple[str, ...], attrs: dict[str, Any]
            ) -> tuple[str | None, ...] | None:
                """The keys of the rows of the articles a node or edge is made from."""
                made = tuple(map(keys.get, attrs.get("articles", ())))
                return None if None in made else made

            found = cache.latest_with_bytes(GRAPHML_ELEMENTS)
            whole = found is not None and isinstance(found[0], tuple) and len(found[0]) == 3
            reuse = GraphmlReuse(scope, basis, (*found[0], found[1]) if whole else None)
        graphml = to_graphml(graph, encoded, reuse)
        if cache is not None and reuse is not None:
            cache.keep_latest_with_bytes(GRAPHML_ELEMENTS, reuse.stored[:3], reuse.stored[3])
        return {"graph.html": page.html, "kg.graphml": graphml}
    finally:
        # NetworkX's cached views make a graph a reference cycle: cleared, its rows are freed
        # at once, not by a collection of all of them after the build (0.7 s of CPU at 100k)
        graph.clear()


#: Under what name the GraphML elements of the last build are kept (see kg.graph.GraphmlReuse).
GRAPHML_ELEMENTS = "graphml-elements"


def _rows_key(cache: BuildCache | None, curation: Curation, article_id: str) -> str | None:
    graph_key = cache.keys.get(article_id) if cache is not None else None
    if cache is None or not graph_key:
        return None
    return cache.key("rows", graph_key, cache.record_text(curation.articles.get(article_id)))
