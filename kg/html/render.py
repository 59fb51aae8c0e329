"""Rendering: the page's bytes from a view (pyvis holds the lists, kg's template inlines
everything), and a screenshot of a page in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from kg.curation import paused_gc
from kg.errors import KgError
from kg.html.payload import DEFAULT_TITLE, VIS_OPTIONS, ArticleInfo, page_payload
from kg.html.views import DEFAULT_MAX_CLAIMS, DEFAULT_MAX_EDGES, select_view
from kg.ontology import Ontology, load_ontology

ASSETS = Path(__file__).resolve().parent.parent / "assets"


@dataclass(frozen=True)
class Page:
    """A generated page: its bytes, what it shows and what it left out."""

    html: bytes = field(repr=False)
    entities: int
    relations: int
    claims: int
    notes: tuple[str, ...] = ()
    path: Path | None = None

    def _repr_html_(self) -> str:
        """In a notebook: the page itself, inline (see :func:`kg.notebook.inline_frame`)."""
        from kg.notebook import inline_frame

        return inline_frame(self.html)


@paused_gc()  # a page of a large graph reads thousands of claims: see kg.curation.paused_gc
def render_page(
    graph: nx.MultiDiGraph,
    *,
    ontology: Ontology | None = None,
    articles: Mapping[str, ArticleInfo] | None = None,
    texts: Mapping[str, str] | None = None,
    contexts: Mapping[str, tuple[str, str]] | None = None,
    title: str | None = None,
    focus: str | None = None,
    hops: int = 1,
    article: str | None = None,
    predicate: str | None = None,
    top_k: int | None = None,
    max_edges: int = DEFAULT_MAX_EDGES,
    max_claims: int = DEFAULT_MAX_CLAIMS,
) -> Page:
    """The page for a view of a projected graph (deterministic bytes).

    ``articles`` describes the articles (title, date, outlet), ``texts`` holds article texts by
    id (to show each quote in its paragraph), ``contexts`` the W3C prefix and suffix of each
    claim by claim IRI (shown when a text is not given). The view options are those of
    :func:`select_view`.
    """
    Network = pyvis_network()

    onto = ontology or load_ontology()
    view = select_view(
        graph,
        focus=focus,
        hops=hops,
        article=article,
        predicate=predicate,
        top_k=top_k,
        max_edges=max_edges,
        max_claims=max_claims,
    )
    nodes, edges, data = page_payload(
        view,
        graph,
        ontology=onto,
        articles=articles if articles is not None else {},
        texts=texts or {},
        contexts=contexts if contexts is not None else {},
        title=title or DEFAULT_TITLE,
    )
    # pyvis holds the node and edge lists (filled directly: add_node/add_edge are quadratic)
    # and renders them with kg's own template, which inlines everything and escapes all data.
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    net.nodes, net.edges = nodes, edges
    net.node_ids = [n["id"] for n in nodes]
    net.node_map = {n["id"]: n for n in nodes}
    net.options = VIS_OPTIONS
    net.templateEnv, net.path = _environment(data), "graph.html.j2"
    page = str(net.generate_html(name="graph.html")).encode()
    return Page(page, len(nodes), len(edges), len(data["claims"]), tuple(data["notes"]))


def render_html(graph: nx.MultiDiGraph, **options: Any) -> bytes:
    """The page's bytes: :func:`render_page` without the counts."""
    return render_page(graph, **options).html


def pyvis_network() -> Any:
    """pyvis' ``Network`` class, imported without importing IPython up front.

    ``pyvis.network`` imports ``IPython.display`` for a single name, ``IFrame``, which it uses
    only to show a page inside a notebook; importing IPython took about 0.35 s of a 2 s cold
    ``kg build``. Unless IPython is already loaded (in a notebook it is), pyvis is handed an
    ``IFrame`` that imports the real one when first called, so notebook display still works.

    >>> pyvis_network().__name__
    'Network'
    """
    import sys
    import types

    if "pyvis.network" in sys.modules or "IPython" in sys.modules:
        from pyvis.network import Network

        return Network

    class IFrame:
        """IPython.display.IFrame, imported when pyvis first displays in a notebook."""

        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            from IPython.display import IFrame as real

            return real(*args, **kwargs)

    package, display = types.ModuleType("IPython"), types.ModuleType("IPython.display")
    display.IFrame = IFrame  # type: ignore[attr-defined]
    package.display = display  # type: ignore[attr-defined]
    sys.modules.update({"IPython": package, "IPython.display": display})
    try:
        from pyvis.network import Network
    finally:  # the stand-ins leave no trace: a later `import IPython` gets the real one
        for name, module in (("IPython.display", display), ("IPython", package)):
            if sys.modules.get(name) is module:
                del sys.modules[name]
    return Network


def _environment(data: Mapping[str, Any]) -> Any:
    """A Jinja environment that escapes by default and knows our assets and the payload."""
    from jinja2 import Environment, FileSystemLoader
    from markupsafe import Markup

    env = Environment(
        loader=FileSystemLoader(str(ASSETS)), autoescape=True, keep_trailing_newline=True
    )
    scripts = {name: _asset(name) for name in ("vis-network.min.js", "graph.js")}
    styles = {name: _asset(name) for name in ("vis-network.css", "graph.css")}
    payload = _json(data)

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    env.globals["kg"] = {
        "data": Markup(payload),
        "scripts": {k: Markup(v) for k, v in scripts.items()},
        "styles": {k: Markup(v) for k, v in styles.items()},
        "title": data["title"],
        "description": data["description"],
        "caption": data["caption"],
        "notes": data["notes"],
        "script_hashes": Markup(" ".join(digest(v) for v in scripts.values())),
    }
    env.filters["json"] = lambda value: Markup(_json(value))
    return env


def _json(value: Any) -> str:
    """JSON safe inside a <script> element: no ``<``, ``>``, ``&`` or U+2028/9 left raw."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _asset(name: str) -> str:
    if name.startswith("vis-network"):
        pyvis_folder = Path(inspect.getfile(pyvis_network())).parent
        path = pyvis_folder / "templates" / "lib" / "vis-9.1.2" / name
    else:
        path = ASSETS / name
    text = path.read_text(encoding="utf-8")
    if re.search(r"</(script|style)|<!--", text, re.IGNORECASE):
        raise KgError(f"{path}: cannot be inlined (contains </script>, </style> or <!--)")
    return text


def screenshot(
    html_path: Path | str, png_path: Path | str, *, width: int = 1600, height: int = 1000
) -> Path:
    """Open a page in headless Chromium (no network) and save a PNG of it."""
    import shutil

    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        raise KgError("screenshots need playwright: pip install 'kg[test]'") from err
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise KgError("screenshots need Chromium: apt-get install chromium")
    target = Path(png_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.split(":", 1)[0] in ("file", "data", "blob")
                    else route.abort()
                ),
            )
            page.goto(Path(html_path).resolve().as_uri())
            page.wait_for_function("window.kgReady === true")
            page.screenshot(path=str(target))
        finally:
            browser.close()
    return target


BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
