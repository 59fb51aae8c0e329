"""The graph page in a real headless Chromium, with every network request blocked and counted.

Playwright's sync API drives Debian's ``chromium`` (``playwright install`` cannot download a
browser here). Without Chromium these tests skip, except in CI (CI=true) where they fail.
Screenshots go to test-artifacts/ (gitignored); with KG_UPDATE_SCREENSHOT=1 the seed-graph
screenshot for the README is written to tests/screenshots/seed-graph.png.
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import kg
from kg import html
from kg.knowledge import KnowledgeGraph

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
README_SHOT = ROOT / "tests" / "screenshots" / "seed-graph.png"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
LOCAL_SCHEMES = ("file", "data", "blob", "about")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        if IN_CI:
            pytest.fail(f"CI must run the browser tests: {err}")
        pytest.skip(f"playwright is not installed: {err}")
    if chromium is None:
        if IN_CI:
            pytest.fail(
                "CI must run the browser tests: no chromium on PATH (apt-get install chromium)"
            )
        pytest.skip("no chromium on PATH")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium, args=html.BROWSER_ARGS)
        yield instance
        instance.close()


@dataclass
class Opened:
    """A page and everything it tried that it should not have."""

    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def clean(self) -> None:
        assert self.requests == [], self.requests
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs


def open_page(browser: Any, path: Path, width: int = 1600, height: int = 1000) -> Opened:
    page = browser.new_page(viewport={"width": width, "height": height})
    opened = Opened(page)

    def route(request_route: Any) -> None:
        if request_route.request.url.split(":", 1)[0] in LOCAL_SCHEMES:
            request_route.continue_()
        else:
            opened.requests.append(request_route.request.url)
            request_route.abort()

    def dialog(box: Any) -> None:
        opened.dialogs.append(box.message)
        box.dismiss()

    page.route("**/*", route)
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda err: opened.errors.append(str(err)))
    page.on("dialog", dialog)
    page.goto(path.resolve().as_uri())
    page.wait_for_function("window.kgReady === true", timeout=20_000)
    return opened


@pytest.fixture(scope="module")
def seed_html(graph: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("page") / "graph.html"
    texts = {a.id: a.text for a in kg.curation.load_curation(ROOT).articles.values()}
    page = html.write_html(
        graph.store, out, graph=graph.evidence_graph, ontology=graph.ontology, texts=texts
    )
    assert page.path == out
    return out


@pytest.fixture
def seed(browser: Any, seed_html: Path) -> Iterator[Opened]:
    opened = open_page(browser, seed_html)
    yield opened
    opened.page.close()


OVERLAPS = """() => {
  const ids = network.body.data.nodes.getIds({filter: n => !n.hidden});
  const boxes = ids.map(id => [id, network.getBoundingBox(id)]);
  const hits = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i][1], b = boxes[j][1];
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
        hits.push([boxes[i][0], boxes[j][0]]);
      }
    }
  }
  return hits;
}"""


LEGIBILITY = """() => {
  // Everything measured in canvas coordinates from vis-network's own geometry (overlaps do not
  // depend on the zoom), label sizes in screen pixels.
  network.redraw();  // (label sizes are measured as they are drawn)
  const scale = network.getScale();
  const body = network.body;
  const hit = (a, b) =>
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const rect = s => ({left: s.left, top: s.top, right: s.left + s.width, bottom: s.top + s.height});
  // vis-network draws (and measures) only what is in view: labels are judged there
  const frame = network.canvas.frame.canvas;
  const corner = network.DOMtoCanvas({x: 0, y: 0});
  const far = network.DOMtoCanvas({x: frame.clientWidth, y: frame.clientHeight});
  const view = {left: corner.x, top: corner.y, right: far.x, bottom: far.y};
  const drawn = module => module.visible() && hit(rect(module.size), view);
  const shapes = [], nodeLabels = [], edgeLabels = [], fonts = [];
  for (const id of body.nodeIndices) {
    const n = body.nodes[id];
    if (n.options.hidden) continue;
    const r = n.options.size;
    const box = {left: n.x - r, right: n.x + r, top: n.y - r, bottom: n.y + r};
    shapes.push({id, x: n.x, y: n.y, r, box});
    if (n.options.label && drawn(n.labelModule)) {
      nodeLabels.push({id, box: rect(n.labelModule.size)});
      fonts.push(n.labelModule.fontOptions.size * scale);
    }
  }
  const edges = [];
  for (const id of body.edgeIndices) {
    const e = body.edges[id];
    if (e.options.hidden || !e.connected) continue;
    edges.push(e);
    if (e.options.label && drawn(e.labelModule)) {
      edgeLabels.push({id, from: e.fromId, to: e.toId, box: rect(e.labelModule.size)});
      fonts.push(e.labelModule.fontOptions.size * scale);
    }
  }
  const found = {labelLabel: [], labelNode: [], edgeLabel: [], edgeUnderNode: []};
  // node label / node label and node label / other node's shape
  nodeLabels.forEach((a, i) => {
    nodeLabels.slice(i + 1).forEach(b => {
      if (hit(a.box, b.box)) found.labelLabel.push([a.id, b.id]);
    });
    shapes.forEach(s => {
      if (s.id !== a.id && hit(a.box, s.box)) found.labelNode.push([a.id, s.id]);
    });
  });
  // edge labels against each other, node shapes and node labels
  edgeLabels.forEach((a, i) => {
    edgeLabels.slice(i + 1).forEach(b => {
      if (hit(a.box, b.box)) found.edgeLabel.push([a.id, b.id]);
    });
    shapes.forEach(s => { if (hit(a.box, s.box)) found.edgeLabel.push([a.id, s.id]); });
    nodeLabels.forEach(l => {
      if (hit(a.box, l.box)) found.edgeLabel.push([a.id, l.id + " (label)"]);
    });
  });
  // edges drawn through a node that is not one of their ends: sample the drawn path
  for (const e of edges) {
    if (e.fromId === e.toId) continue;
    const via = e.edgeType.via;
    const points = [];
    for (let k = 0; k <= 64; k++) points.push(e.edgeType.getPoint(k / 64, via));
    for (const s of shapes) {
      if (s.id === e.fromId || s.id === e.toId) continue;
      for (let k = 0; k < 64; k++) {
        const p = points[k], q = points[k + 1];
        const dx = q.x - p.x, dy = q.y - p.y, len = dx * dx + dy * dy || 1;
        const t = Math.max(0, Math.min(1, ((s.x - p.x) * dx + (s.y - p.y) * dy) / len));
        const cx = p.x + t * dx - s.x, cy = p.y + t * dy - s.y;
        if (cx * cx + cy * cy < s.r * s.r) { found.edgeUnderNode.push([e.id, s.id]); break; }
      }
    }
  }
  return {
    scale: scale, nodes: shapes.length, edges: edges.length, nodeLabels: nodeLabels.length,
    edgeLabels: edgeLabels.length, smallestLabelPx: fonts.length ? Math.min(...fonts) : null,
    labelLabel: found.labelLabel, labelNode: found.labelNode, edgeLabel: found.edgeLabel,
    edgeUnderNode: found.edgeUnderNode
  };
}"""

#: What a measurement must find on the seed page: nothing overlapping, nothing under an entity.
PROBLEMS = ("labelLabel", "labelNode", "edgeLabel", "edgeUnderNode")


def legibility(opened: Opened) -> dict[str, Any]:
    """Overlaps, edges under entities and label sizes, from vis-network's own geometry."""
    return opened.page.evaluate(LEGIBILITY)


def figures(measured: dict[str, Any]) -> str:
    """One line of figures (counts of each problem) for the test output."""
    return ", ".join(
        f"{key} {len(value) if isinstance(value, list) else value}"
        for key, value in measured.items()
    )


def edge_point(opened: Opened, edge_id: str) -> tuple[float, float]:
    """Where to click on an edge, in page coordinates: the point nearest a third of the way
    along its drawn line where vis-network finds this edge (another edge may cross it)."""
    point = opened.page.evaluate(
        """(id) => {
      const edge = network.body.edges[id];
      const box = document.getElementById('kg-network').getBoundingClientRect();
      for (const t of [0.4, 0.35, 0.45, 0.3, 0.5, 0.25, 0.55, 0.6, 0.2, 0.65, 0.7, 0.75]) {
        const p = network.canvasToDOM(edge.edgeType.getPoint(t));
        if (network.getEdgeAt(p) === id && network.getNodeAt(p) === undefined) {
          return [p.x + box.left, p.y + box.top];
        }
      }
      return null;
    }""",
        edge_id,
    )
    assert point is not None, f"no point of {edge_id} can be clicked"
    return point


def test_seed_page_loads_offline_and_draws_the_projection(seed: Opened, graph: KnowledgeGraph):
    page = seed.page
    shown = [
        n
        for n in graph.evidence_graph
        if graph.evidence_graph.degree(n) or graph.evidence_graph.nodes[n]["facts"]
    ]
    assert page.locator("#kg-network canvas").count() == 1
    counts = page.evaluate("[network.body.data.nodes.length, network.body.data.edges.length]")
    assert counts == [len(shown), graph.evidence_graph.number_of_edges()]
    assert page.evaluate(
        "Object.keys(network.body.nodes).filter(k => !k.startsWith('edgeId')).length"
    ) >= len(shown)
    assert page.evaluate(OVERLAPS) == []  # node shapes and labels
    legend = page.locator("#kg-legend .kg-type").all_inner_texts()
    assert any(text.startswith("Government agency") for text in legend)
    assert page.title() == html.DEFAULT_TITLE
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "graph.png"))
    seed.clean()


def test_search_focuses_an_entity_by_any_alias(seed: Opened):
    page = seed.page
    page.fill("#kg-search", "matt miller")
    page.press("#kg-search", "Enter")
    assert page.evaluate("network.getSelectedNodes()") == ["matthew-miller"]
    assert page.text_content("#kg-search-status") == "Found Matthew Miller (as “Matt Miller”)."
    assert page.locator("#kg-evidence h3").first.text_content() == "Matthew Miller"
    assert page.evaluate("network.getScale()") == pytest.approx(1.25)
    page.fill("#kg-search", "uighurs")  # an alias, in another case
    page.press("#kg-search", "Enter")
    assert page.evaluate("network.getSelectedNodes()") == ["uyghurs"]
    seed.clean()


def test_clicking_an_edge_shows_its_quotes_in_their_paragraphs(seed: Opened, graph: KnowledgeGraph):
    page = seed.page
    edge = page.evaluate(
        "Object.keys(kg.data.edges).find(id => kg.data.edges[id].from === "
        "'united-states' && kg.data.edges[id].to === 'ifs' && "
        "kg.data.edges[id].predicate === 'delisted')"
    )
    page.evaluate("network.fit({animation: false})")
    x, y = edge_point(seed, edge)
    page.mouse.click(x, y)
    assert page.evaluate("network.getSelectedEdges()") == [edge]
    assert page.is_visible("#kg-evidence") and page.is_visible("#kg-tip")
    claims = graph.evidence_graph.edges["united-states", "ifs", "delisted"]["claims"]
    marks = page.locator("#kg-evidence .kg-claim mark").all_text_contents()
    assert sorted(marks) == sorted(c["quote"] for c in claims)
    paragraph = page.locator("#kg-evidence .kg-paragraph").first.text_content()
    assert len(paragraph) > len(marks[0])  # the quote sits in its paragraph
    sources = " ".join(page.locator("#kg-evidence .kg-source").all_text_contents())
    assert "published 2023" in sources
    assert page.evaluate(f"network.body.edges['{edge}'].options.label") == "delisted"
    page.screenshot(path=str(ARTIFACTS / "graph-evidence.png"))
    page.click("#kg-evidence .kg-close")
    assert not page.is_visible("#kg-evidence") and page.evaluate("network.getSelectedEdges()") == []
    seed.clean()


def test_filters_and_conflict_toggle(seed: Opened):
    page = seed.page
    total = page.evaluate("network.body.data.edges.length")
    page.select_option("#kg-filter-article", "004_1e9b86b4597b81cb")
    visible = page.evaluate("network.body.data.edges.get({filter: e => !e.hidden}).length")
    assert 0 < visible < total
    page.select_option("#kg-filter-article", "")
    page.fill("#kg-date-from", "2030-01-01")
    page.dispatch_event("#kg-date-from", "change")
    assert page.evaluate("network.body.data.edges.get({filter: e => !e.hidden}).length") == 0
    page.click("#kg-reset")
    assert page.evaluate("network.body.data.edges.get({filter: e => !e.hidden}).length") == total
    page.uncheck("#kg-legend input[value='Country']")
    assert page.evaluate("network.body.data.nodes.get('china').hidden") is True
    page.click("#kg-reset")
    page.check("#kg-conflicts")
    dashed = page.evaluate("network.body.data.edges.get({filter: e => e.dashes}).length")
    assert dashed >= 1
    drawn = "Object.values(network.body.edges).filter(e => e.labelModule.visible()).length"
    assert page.evaluate(drawn) >= 20
    page.uncheck("#kg-all-labels")  # no relation labels, but for a selection's
    page.evaluate("network.redraw()")
    assert page.evaluate(drawn) == 0
    page.check("#kg-all-labels")
    page.evaluate("network.redraw()")
    assert page.evaluate(drawn) >= 20
    seed.clean()


HOSTILE_ENTITIES = """\
- id: united-states
  type: Country
  label: "<img src=x onerror=alert(1)>"
  aliases: ["</script><script>alert(2)</script>"]
  description: '<a href="javascript:alert(3)">href</a>'
- id: ifs
  type: GovernmentAgency
  label: "Institute <!-- of --> Forensic Science"
  aliases: [IFS]
  note: "<svg onload=alert(4)>"
- id: ministry-of-public-security
  type: GovernmentAgency
  label: Ministry of Public Security
"""


def test_hostile_labels_show_as_text_and_run_nothing(browser: Any, make_tree: Any, tmp_path: Path):
    tree = make_tree(entities=textwrap.dedent(HOSTILE_ENTITIES))
    page_file = kg.api.write_html(tmp_path / "hostile.html", root=tree, title="<b>x</b>").path
    opened = open_page(browser, page_file)
    page = opened.page
    try:
        assert page.evaluate("network.body.data.nodes.length") == 3
        page.fill("#kg-search", "</script><script>alert(2)</script>")
        page.press("#kg-search", "Enter")
        assert page.evaluate("network.getSelectedNodes()") == ["united-states"]
        assert (
            page.locator("#kg-evidence h3").first.text_content() == "<img src=x onerror=alert(1)>"
        )
        page.evaluate("kg.showNode('ifs')")
        assert "<svg onload=alert(4)>" in page.text_content("#kg-evidence")
        assert page.locator("img, svg[onload], #kg-evidence a, #kg-evidence svg").count() == 0
        assert page.text_content("h1") == "<b>x</b>"
        page.hover("#kg-network", position={"x": 5, "y": 5})
        page.wait_for_timeout(300)
        opened.clean()
    finally:
        page.close()


def test_an_entity_with_facts_left_out_says_where_to_find_them(
    browser: Any, graph: KnowledgeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(kg.html.views, "MAX_FACTS_SHOWN", 2)
    page_file = graph.to_html(tmp_path / "capped.html", focus="fentanyl", hops=1).path
    opened = open_page(browser, page_file)
    page = opened.page
    try:
        page.evaluate("kg.showNode('fentanyl')")
        panel = page.text_content("#kg-evidence")
        facts = [  # fentanyl's claims with a literal object: its facts
            r
            for r in graph.claim_rows
            if r["subject"].rsplit("/", 1)[-1] == "fentanyl" and not r["object_is_entity"]
        ]
        left_out = len(facts) - 2
        assert left_out > 0
        assert (
            f"… and {left_out} more facts not on this page: kg show fentanyl lists them all."
            in (panel)
        )
        assert page.locator("#kg-evidence .kg-claim").count() >= 2
        opened.clean()
    finally:
        page.close()


def test_a_relation_with_more_claims_than_the_page_shows_says_how_many_and_where_the_rest_are(
    browser: Any, graph: KnowledgeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(kg.html.views, "MAX_CLAIMS_SHOWN_PER_EDGE", 2)
    unread = kg.graph.project(graph.store, ontology=graph.ontology)  # no claim read yet
    page_file = html.write_html(
        graph.store, tmp_path / "capped.html", graph=unread, focus="ifs", hops=1
    ).path
    opened = open_page(browser, page_file)
    page = opened.page
    try:
        edge = page.evaluate(
            "Object.keys(kg.data.edges).find(id => kg.data.edges[id].from === 'ifs' && "
            "kg.data.edges[id].to === 'ministry-of-public-security' && "
            "kg.data.edges[id].predicate === 'partOf')"
        )
        page.evaluate(f"kg.selectEdge('{edge}')")
        assert page.is_visible("#kg-evidence")
        panel = page.text_content("#kg-evidence")
        summary = "2 claims shown, from 2 of the 4 articles stating this (4 independent sources)"
        assert summary in panel
        assert "Every claim: kg sources ifs partOf ministry-of-public-security" in panel
        assert page.locator("#kg-evidence .kg-claim").count() == 2
        title = page.evaluate(f"kg.edges.get('{edge}').title")
        assert summary in title and "All of them: kg sources ifs partOf" in title
        page.evaluate("kg.showNode('ifs')")
        assert "4 sources · 2 claims shown, from 2 of 4 articles" in page.text_content(
            "#kg-evidence"
        )
        # the page says that its counts and filters are of the claims it shows
        notes = " ".join(page.locator(".kg-note").all_text_contents())
        assert "have more claims than this page shows: each shows 2" in notes
        assert "claims shown, from" in page.text_content("#kg-caption")
        # filtered by an article none of its shown claims comes from, the relation stays: an
        # article stating it matches
        other = page.evaluate(f"kg.data.edges['{edge}'].cut.others[0][0]")
        shown_articles = page.evaluate(
            f"kg.data.edges['{edge}'].claims.map(i => kg.data.claims[i].article)"
        )
        assert other not in shown_articles
        page.select_option("#kg-filter-article", other)
        assert page.evaluate(f"kg.edges.get('{edge}').hidden") is False
        assert "kept when an article stating it matches" in page.text_content("#kg-status")
        opened.clean()
    finally:
        page.close()


def test_the_default_page_of_a_large_synthetic_graph_opens_and_settles(
    browser: Any, tmp_path: Path
):
    from kg.synth import synthesize

    corpus = tmp_path / "corpus"
    synthesize(corpus, claims=5000, seed=5)
    kg.build(corpus, corpus / "exports", shacl=False, html=False)
    large = kg.load(corpus / "exports" / "kg.nq", root=corpus)
    page = large.to_html(tmp_path / "large.html", max_claims=600)
    assert page.notes and "about 600 claims" in page.notes[0]
    opened = open_page(browser, tmp_path / "large.html")
    try:
        drawn = opened.page.evaluate("network.body.data.nodes.length")
        assert drawn == page.entities > 1
        assert opened.page.evaluate("network.body.data.edges.length") == page.relations
        opened.clean()
    finally:
        opened.page.close()


# --- legible where the story is densest: measured in vis-network's geometry at 1400x900 -----


@pytest.fixture
def seed_1400(browser: Any, seed_html: Path) -> Iterator[Opened]:
    opened = open_page(browser, seed_html, width=1400, height=900)
    yield opened
    opened.page.close()


MOST_CONNECTED = """() => Object.keys(kg.data.entities).map(id => [id,
    Object.values(kg.data.edges).filter(e => e.from === id || e.to === id).length])
  .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5).map(x => x[0])"""


def assert_legible(measured: dict[str, Any], where: str) -> None:
    for problem in PROBLEMS:
        assert measured[problem] == [], f"{where}: {problem} {measured[problem]}"
    assert measured["smallestLabelPx"] >= 10, f"{where}: {figures(measured)}"


def test_seed_graph_is_legible_at_the_fitted_view_and_after_finding_each_hub(seed_1400: Opened):
    page = seed_1400.page
    fitted = legibility(seed_1400)
    print(f"\nseed, fitted view: {figures(fitted)}")
    assert_legible(fitted, "fitted view")
    assert fitted["nodeLabels"] == fitted["nodes"]  # every entity's name is drawn
    assert fitted["edgeLabels"] >= 30
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "graph-1400.png"))
    hubs = page.evaluate(MOST_CONNECTED)
    assert hubs[:2] == ["united-states", "china"] or hubs[:2] == ["china", "united-states"]
    for hub in hubs:
        label = page.evaluate(f"kg.data.entities[{hub!r}].label")
        page.fill("#kg-search", label)
        page.press("#kg-search", "Enter")
        assert page.evaluate("network.getSelectedNodes()") == [hub]
        found = legibility(seed_1400)
        print(f"seed, found {hub}: {figures(found)}")
        assert_legible(found, f"found {hub}")
        # labels of the found entity's relations are placed first (those that fit)
        shown, total = page.evaluate(
            f"""() => {{ const mine = Object.keys(kg.data.edges).filter(id =>
              kg.data.edges[id].from === {hub!r} || kg.data.edges[id].to === {hub!r});
              return [mine.filter(id => network.body.edges[id].labelModule.visible()).length,
                      mine.length]; }}"""
        )
        print(f"  {shown} of the {total} relation labels of {hub} drawn")
        assert shown >= min(total, max(3, (total + 2) // 3))  # at least a third
    seed_1400.clean()


BENT = """() => { const original = JSON.parse(document.getElementById('kg-edges').textContent);
  return original.filter(e => !e.smooth.enabled && network.body.edges[e.id].options.smooth.enabled)
    .map(e => [e.id, network.body.edges[e.id].labelModule.visible()]); }"""


def test_a_crowded_entitys_relations_bend_for_their_labels_and_straighten_afterwards(
    seed_1400: Opened,
):
    # the Institute of Forensic Science's neighbours sit close around it: at the middle of
    # their straight lines most of its relation labels would cover an entity's name
    page = seed_1400.page
    assert page.evaluate(BENT) == []
    page.evaluate("kg.focusEntity('ifs')")
    bent = page.evaluate(BENT)
    assert bent, "no relation of the IFS was bent to make room for its label"
    assert all(visible for _id, visible in bent)  # a bend is kept only where its label fits
    ends = page.evaluate(
        "(ids) => ids.map(id => [kg.data.edges[id].from, kg.data.edges[id].to])",
        [edge for edge, _visible in bent],
    )
    assert all("ifs" in pair for pair in ends)  # only the found entity's relations move
    assert legibility(seed_1400)["edgeUnderNode"] == []  # and none passes over an entity
    page.evaluate("network.unselectAll(); kg.setPanel(false)")
    assert page.evaluate(BENT) == []  # straight again once nothing is selected
    seed_1400.clean()


def test_a_found_entity_is_centred_in_the_part_the_panel_leaves_uncovered(seed_1400: Opened):
    page = seed_1400.page
    for entity in ("united-states", "ifs", "biden-xi-summit"):
        page.evaluate(f"kg.focusEntity({entity!r})")
        where = page.evaluate(
            f"""() => {{ const box = document.getElementById('kg-network').getBoundingClientRect();
              const panel = document.getElementById('kg-evidence').getBoundingClientRect();
              const at = network.canvasToDOM(network.getPositions([{entity!r}])[{entity!r}]);
              return {{ x: at.x, y: at.y, uncovered: panel.left - box.left,
                        height: box.height }}; }}"""
        )
        assert where["uncovered"] < 1400 - 100, "the panel should be open beside the graph"
        assert abs(where["x"] - where["uncovered"] / 2) <= 2, (entity, where)
        assert abs(where["y"] - where["height"] / 2) <= 2, (entity, where)
    page.evaluate("network.unselectAll(); kg.setPanel(false)")
    seed_1400.clean()


def test_hubs_are_apart(seed_1400: Opened):
    gap = seed_1400.page.evaluate(
        """() => { const p = network.getPositions(['china', 'united-states']);
        const n = network.body.nodes;
        return Math.hypot(p.china.x - p['united-states'].x, p.china.y - p['united-states'].y)
          - n.china.options.size - n['united-states'].options.size; }"""
    )
    assert gap >= 150  # pixels at zoom 1 between the two largest hubs' shapes
    seed_1400.clean()


def test_most_corroborated_relations_are_on_top_and_clickable_at_their_midpoint(
    seed_1400: Opened,
):
    page = seed_1400.page
    top = page.evaluate(
        "Object.keys(kg.data.edges).sort((a, b) => kg.data.edges[a].rank - "
        "kg.data.edges[b].rank).slice(0, 5)"
    )
    order = page.evaluate("network.body.edgeIndices")
    assert order[-len(top) :] == top[::-1]  # drawn last, on top of the others
    delisted = page.evaluate(
        "Object.keys(kg.data.edges).find(id => kg.data.edges[id].from === 'united-states' && "
        "kg.data.edges[id].to === 'ifs' && kg.data.edges[id].predicate === 'delisted')"
    )
    for edge in [*top, delisted]:
        page.evaluate("network.unselectAll(); kg.fitView()")
        x, y = page.evaluate(
            """(id) => { const e = network.body.edges[id];
            const m = network.canvasToDOM(e.edgeType.getPoint(0.5));
            const box = document.getElementById('kg-network').getBoundingClientRect();
            return [m.x + box.left, m.y + box.top]; }""",
            edge,
        )
        page.mouse.click(x, y)
        assert page.evaluate("network.getSelectedEdges()") == [edge], edge
        heading = page.locator("#kg-evidence h3").first.text_content()
        assert page.evaluate(f"kg.data.edges[{edge!r}].label") in heading
    seed_1400.clean()


def test_fitting_the_view_with_the_panel_open_uses_the_part_it_leaves_uncovered(
    seed_1400: Opened,
):
    page = seed_1400.page
    page.evaluate("kg.showNode('ifs'); kg.fitView()")
    assert page.is_visible("#kg-evidence")
    free, centre, under = page.evaluate(
        """() => { const width = network.canvas.frame.clientWidth;
        const free = width - document.getElementById('kg-evidence').offsetWidth;
        const ids = network.body.nodeIndices.filter(id => !network.body.nodes[id].options.hidden);
        const xs = ids.map(id => network.canvasToDOM(network.getPositions([id])[id]).x);
        const centre = (Math.min(...xs) + Math.max(...xs)) / 2;
        return [free, centre, xs.filter(x => x > free).length]; }"""
    )
    print(f"\npanel open, fitted: centre {centre:.0f} px of {free} px uncovered, {under} under it")
    assert abs(centre - free / 2) < 40  # (entity sizes and labels make the box a little uneven)
    seed_1400.clean()


def test_on_a_narrow_screen_the_panel_under_the_graph_does_not_change_the_fitted_view(
    browser: Any, seed_html: Path
):
    opened = open_page(browser, seed_html, width=800, height=900)
    try:
        page = opened.page
        page.evaluate("kg.fitView()")
        closed = page.evaluate("[network.getScale(), network.getViewPosition()]")
        page.evaluate("kg.showNode('ifs'); kg.fitView()")
        assert page.evaluate("getComputedStyle(document.getElementById('kg-evidence')).position")
        assert page.evaluate("[network.getScale(), network.getViewPosition()]") == closed
        opened.clean()
    finally:
        opened.page.close()


def test_opening_the_panel_keeps_the_graph_size_and_zoom(seed_1400: Opened):
    page = seed_1400.page
    before = page.evaluate("[network.getScale(), network.canvas.frame.clientWidth]")
    page.evaluate("kg.showNode('united-states')")
    assert page.is_visible("#kg-evidence")
    assert page.evaluate("[network.getScale(), network.canvas.frame.clientWidth]") == before
    height = page.evaluate("document.getElementById('kg-evidence').scrollHeight")
    assert height < 4000, height  # relations collapse (it was 11,346 px)
    sections = page.locator("#kg-evidence details.kg-section > summary").all_text_contents()
    assert sections[0].startswith("Relations (")
    page.evaluate("kg.showNode('fentanyl')")  # the figures are fentanyl's facts
    sections = page.locator("#kg-evidence details.kg-section > summary").all_text_contents()
    assert any(s.startswith("Facts (") for s in sections)
    seed_1400.clean()


def test_relations_with_the_most_independent_sources_come_first(seed_1400: Opened):
    page = seed_1400.page
    page.evaluate("kg.showNode('ifs')")
    summaries = page.locator("#kg-evidence details.kg-relation summary").all_text_contents()
    sources = [int(re.search(r"(\d+) sources? · ", s).group(1)) for s in summaries]
    assert sources == sorted(sources, reverse=True) and sources[0] >= 3, summaries
    text = page.text_content("#kg-evidence")
    assert "characterized as" in text
    assert text.index("delisted") < text.index("characterized as")
    seed_1400.clean()


def test_search_suggests_close_names(seed_1400: Opened):
    page = seed_1400.page
    page.fill("#kg-search", "Joe Bidn")
    page.press("#kg-search", "Enter")
    status = page.text_content("#kg-search-status")
    assert "No entity is called “Joe Bidn”" in status and "Did you mean Joe Biden" in status
    page.click("#kg-search-status button.kg-link >> nth=0")
    assert page.evaluate("network.getSelectedNodes()") == ["joe-biden"]
    seed_1400.clean()


def test_the_help_tip_covers_nothing_of_the_graph(seed_1400: Opened):
    page = seed_1400.page
    tip = page.locator("#kg-tip").bounding_box()
    graph = page.locator("#kg-network").bounding_box()
    assert tip and graph and tip["y"] + tip["height"] <= graph["y"]
    seed_1400.clean()


def test_readme_screenshot(seed_1400: Opened):
    """The picture of the seed graph for the README at 1400x900: the graph, the legend and the
    evidence of the delisting."""
    page = seed_1400.page
    edge = page.evaluate(
        "Object.keys(kg.data.edges).find(id => kg.data.edges[id].from === "
        "'united-states' && kg.data.edges[id].to === 'ifs' && "
        "kg.data.edges[id].predicate === 'delisted')"
    )
    page.evaluate(f"kg.selectEdge('{edge}')")
    assert page.evaluate("document.body.classList.contains('kg-open')")
    assert page.evaluate(f"network.body.edges['{edge}'].labelModule.visible()")
    assert_legible(legibility(seed_1400), "the delisting selected")
    target = (
        README_SHOT
        if os.environ.get("KG_UPDATE_SCREENSHOT") == "1"
        else ARTIFACTS / "seed-graph.png"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target))
    assert target.stat().st_size > 50_000
    seed_1400.clean()


def test_a_3000_entity_synthetic_default_view_reports_its_legibility(browser: Any, tmp_path: Path):
    """The default view (capped at 500 relations) of a 3,000-entity graph, measured as the seed
    page; the figures are printed (run with -s to see them)."""
    from test_html import big_graph

    page_file = tmp_path / "synthetic.html"
    page_file.write_bytes(html.render_html(big_graph(3000)))
    opened = open_page(browser, page_file, width=1400, height=900)
    try:
        fitted = legibility(opened)
        print(f"\nsynthetic 3,000 entities, fitted view: {figures(fitted)}")
        assert fitted["nodes"] > 400 and fitted["edges"] == 500
        assert fitted["smallestLabelPx"] is None or fitted["smallestLabelPx"] >= 10
        worst = 0
        for hub in opened.page.evaluate(MOST_CONNECTED):
            opened.page.evaluate(f"kg.focusEntity({hub!r})")
            found = legibility(opened)
            print(f"synthetic, found {hub}: {figures(found)}")
            worst = max(worst, *(len(found[p]) for p in PROBLEMS))
            assert found["smallestLabelPx"] >= 10
        print(f"synthetic: at most {worst} problems of one kind after a find")
        opened.clean()
    finally:
        opened.page.close()


def test_a_small_view_spreads_out_so_its_relation_labels_fit(
    browser: Any, graph: KnowledgeGraph, tmp_path: Path
):
    page_file = graph.to_html(tmp_path / "ifs.html", focus="IFS", hops=1).path
    opened = open_page(browser, page_file, width=1400, height=900)
    try:
        measured = legibility(opened)
        print(f"\nIFS and its neighbours, fitted view: {figures(measured)}")
        assert_legible(measured, "IFS view")
        assert measured["edgeLabels"] >= measured["edges"] * 3 / 4
        opened.clean()
    finally:
        opened.page.close()


#: Two small, correct curation edits: one claim's predicate changed, one claim added.
CURATION_EDITS = {
    "a changed predicate": [
        (
            "004_*.yaml",
            '  predicate: wantsActionFrom\n  object: china\n  quote: "Washington wants',
            '  predicate: discussed\n  object: china\n  quote: "Washington wants',
        )
    ],
    "a changed predicate and an added claim": [
        (
            "004_*.yaml",
            '  predicate: wantsActionFrom\n  object: china\n  quote: "Washington wants',
            '  predicate: discussed\n  object: china\n  quote: "Washington wants',
        ),
        (
            "001_*.yaml",
            "- subject: joe-biden\n  predicate: headOf",
            "- subject: biden-administration\n  predicate: discussed\n"
            "  object: counternarcotics-cooperation\n"
            '  quote: "U.S. President Joe Biden\u2019s administration is negotiating with China to'
            ' resume bilateral cooperation and establish a working group"\n  start: 310\n\n'
            "- subject: joe-biden\n  predicate: headOf",
        ),
    ],
}


@pytest.mark.parametrize("edits", sorted(CURATION_EDITS))
def test_the_seed_edited_a_little_stays_legible(browser: Any, tmp_path: Path, edits: str):
    """Legibility is a property of the layout, not of the exact seed data: after small curation
    edits the page is measured as the seed page is (fitted view, then each of the five most
    connected entities found)."""
    for folder in ("data", "ontology"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    for pattern, old, new in CURATION_EDITS[edits]:
        (path,) = (tmp_path / "data" / "claims").glob(pattern)
        text = path.read_text(encoding="utf-8")
        assert old in text, (path.name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    edited = kg.load(root=tmp_path)
    texts = {a.id: a.text for a in kg.curation.load_curation(tmp_path).articles.values()}
    page_file = tmp_path / "graph.html"
    html.write_html(
        edited.store, page_file, graph=edited.evidence_graph, ontology=edited.ontology, texts=texts
    )
    opened = open_page(browser, page_file, width=1400, height=900)
    try:
        page = opened.page
        fitted = legibility(opened)
        print(f"\n{edits}, fitted view: {figures(fitted)}")
        assert_legible(fitted, f"{edits}, fitted view")
        for hub in page.evaluate(MOST_CONNECTED):
            page.evaluate(f"kg.focusEntity({hub!r})")
            assert page.evaluate("network.getSelectedNodes()") == [hub]
            assert_legible(legibility(opened), f"{edits}, found {hub}")
        opened.clean()
    finally:
        opened.page.close()
