"""The interactive graph page: a view of the projection as one self-contained, offline HTML file.

This package is the only part of kg that imports pyvis. The page is generated from the NetworkX
projection (:func:`kg.graph.project`), so it shows exactly what the RDF says:

- nodes coloured and shaped by ontology class (with a legend), sized by degree;
- edge labels = predicate labels, edge width = distinct sources (agencies/outlets; at most
  10 px, from 7 sources);
- positions computed here (stress majorization, no randomness) with label overlaps removed,
  physics off; hubs held apart, no edge over an entity that is not its own, relation labels
  drawn only where they overlap nothing (the page script places them again on selection);
- an evidence panel (every supporting quote in its paragraph), a search box over every alias,
  filters by type, predicate, article, outlet, speaker and date, and a conflict toggle;
- no request leaves the file: vis-network is inlined, Bootstrap and tom-select are not used, and
  a Content-Security-Policy with script hashes forbids everything else;
- deterministic bytes: no timestamps, no random ids, everything sorted.

Its modules have one job each, and import only from those listed before them:
:mod:`kg.html.views` chooses the part of the graph a page shows; :mod:`kg.html.conflicts` finds
the conflicts among its claims; :mod:`kg.html.layout` places the entities and decides which edge
labels are drawn; :mod:`kg.html.payload` builds the node and edge lists and the evidence the page
script reads; :mod:`kg.html.render` turns them into the page's bytes; :mod:`kg.html.sources`
reads what a page needs from a store.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("a", type="Person", label="<img src=x onerror=alert(1)>", aliases=[], articles=["x"])
>>> g.add_node("b", type="Person", label="B", aliases=[], articles=["x"])
>>> _ = g.add_edge("a", "b", key="partOf", claims=[], sources=0)
>>> page = render_html(g).decode()
>>> "<img src=x" in page
False
"""

from kg.html.conflicts import claim_key, view_conflicts
from kg.html.layout import text_width, wrap_label
from kg.html.payload import (
    DEFAULT_TITLE,
    MAX_CONFLICTS,
    VIS_OPTIONS,
    ArticleInfo,
    ClassStyle,
    class_styles,
    page_payload,
)
from kg.html.render import (
    ASSETS,
    BROWSER_ARGS,
    Page,
    pyvis_network,
    render_html,
    render_page,
    screenshot,
)
from kg.html.sources import (
    ARTICLES_QUERY,
    ArticleInfos,
    QuoteContexts,
    article_infos,
    page_from_store,
    write_html,
)
from kg.html.views import (
    DEFAULT_MAX_CLAIMS,
    DEFAULT_MAX_EDGES,
    MAX_CLAIMS_SHOWN_PER_EDGE,
    MAX_FACTS_SHOWN,
    View,
    ViewError,
    resolve_entity,
    select_view,
)

__all__ = [
    "ARTICLES_QUERY",
    "ASSETS",
    "BROWSER_ARGS",
    "DEFAULT_MAX_CLAIMS",
    "DEFAULT_MAX_EDGES",
    "DEFAULT_TITLE",
    "MAX_CLAIMS_SHOWN_PER_EDGE",
    "MAX_CONFLICTS",
    "MAX_FACTS_SHOWN",
    "VIS_OPTIONS",
    "ArticleInfo",
    "ArticleInfos",
    "ClassStyle",
    "Page",
    "QuoteContexts",
    "View",
    "ViewError",
    "article_infos",
    "claim_key",
    "class_styles",
    "page_from_store",
    "page_payload",
    "pyvis_network",
    "render_html",
    "render_page",
    "resolve_entity",
    "screenshot",
    "select_view",
    "text_width",
    "view_conflicts",
    "wrap_label",
    "write_html",
]
