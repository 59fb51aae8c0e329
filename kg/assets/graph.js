/* kg graph page: draws the graph with vis-network and wires the search box, the legend and
   filters, the conflict toggle and the evidence panel.
   Every piece of data reaches the page as text (textContent, createTextNode, new Option):
   nothing from the data is ever parsed as HTML. */
(function () {
  "use strict";

  function readJson(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  var DATA = readJson("kg-data");
  var NODES = readJson("kg-nodes");
  var EDGES = readJson("kg-edges");
  var SVG = "http://www.w3.org/2000/svg";

  function $(id) { return document.getElementById(id); }

  function el(tag, className, children) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function fold(text) {
    return String(text).normalize("NFKC").toLowerCase().trim();
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function thousands(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }

  // ---------------------------------------------------------------- the network

  var nodes = new vis.DataSet(NODES);
  var edges = new vis.DataSet(EDGES);
  var container = $("kg-network");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, DATA.options);
  var originalNodes = {};
  var originalEdges = {};
  NODES.forEach(function (n) { originalNodes[n.id] = n; });
  EDGES.forEach(function (e) { originalEdges[e.id] = e; });

  var typeColour = {};
  DATA.classes.forEach(function (c) { typeColour[c.name] = c.colour; });

  // ---------------------------------------------------------------- legend (type filter)

  var shown = { types: {}, predicate: "", article: "", outlet: "", speaker: "", from: "", to: "" };

  function icon(shape, colour) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("viewBox", "0 0 16 16");
    var item;
    var points = {
      diamond: "8,1 15,8 8,15 1,8",
      triangle: "8,1.5 15,14 1,14",
      triangleDown: "1,2 15,2 8,14.5",
      hexagon: "4,1.5 12,1.5 15.5,8 12,14.5 4,14.5 0.5,8",
      star: "8,0.5 10,5.8 15.5,6 11.2,9.5 12.7,15 8,11.8 3.3,15 4.8,9.5 0.5,6 6,5.8"
    };
    if (shape === "square") {
      item = document.createElementNS(SVG, "rect");
      item.setAttribute("x", "2"); item.setAttribute("y", "2");
      item.setAttribute("width", "12"); item.setAttribute("height", "12");
    } else if (points[shape]) {
      item = document.createElementNS(SVG, "polygon");
      item.setAttribute("points", points[shape]);
    } else {
      item = document.createElementNS(SVG, "circle");
      item.setAttribute("cx", "8"); item.setAttribute("cy", "8"); item.setAttribute("r", "6.5");
    }
    item.setAttribute("fill", colour);
    item.setAttribute("stroke", "#333333");
    item.setAttribute("stroke-width", "0.8");
    svg.appendChild(item);
    return svg;
  }

  DATA.classes.forEach(function (c) {
    shown.types[c.name] = true;
    var box = el("input");
    box.type = "checkbox";
    box.checked = true;
    box.value = c.name;
    box.addEventListener("change", function () {
      shown.types[c.name] = box.checked;
      applyFilters();
    });
    var row = el("label", "kg-type", [box, icon(c.shape, c.colour), el("span", "", [c.label]),
                                       el("span", "kg-count", [String(c.count)])]);
    $("kg-legend").appendChild(row);
  });

  // ---------------------------------------------------------------- filters

  function fill(select, items) {
    items.forEach(function (item) { select.appendChild(new Option(item[1], item[0])); });
  }

  fill($("kg-filter-predicate"), DATA.predicates.map(function (p) {
    return [p.name, p.label + " (" + p.count + ")"];
  }));
  fill($("kg-filter-article"), DATA.articles.map(function (a) {
    var label = a.id.split("_")[0] + (a.title ? " — " + a.title : "");
    return [a.id, label.length > 70 ? label.slice(0, 69) + "…" : label];
  }));
  fill($("kg-filter-outlet"), DATA.outlets.map(function (o) { return [o, DATA.names[o] || o]; }));
  fill($("kg-filter-speaker"), DATA.speakers.map(function (s) { return [s, DATA.names[s] || s]; }));

  var dates = DATA.articles.map(function (a) { return a.published; }).filter(Boolean).sort();
  if (dates.length) {
    var first = span(dates[0])[0];
    var last = dates.map(function (d) { return span(d)[1]; }).sort().pop();
    ["kg-date-from", "kg-date-to"].forEach(function (id) {
      $(id).min = first;
      $(id).max = last;
    });
  }

  function span(value) {
    // first and last day a YYYY / YYYY-MM / YYYY-MM-DD value can denote (as comparable strings)
    var parts = String(value).split("-");
    if (parts.length === 1) { return [parts[0] + "-01-01", parts[0] + "-12-31"]; }
    if (parts.length === 2) { return [value + "-01", value + "-31"]; }
    return [value, value];
  }

  var articleById = {};
  DATA.articles.forEach(function (a) { articleById[a.id] = a; });

  function claimFilterActive() {
    return Boolean(shown.article || shown.outlet || shown.speaker || shown.from || shown.to);
  }

  function claimPasses(index) {
    var c = DATA.claims[index];
    if (shown.speaker === "-" && c.speaker) { return false; }
    if (shown.speaker && shown.speaker !== "-" && c.speaker !== shown.speaker) { return false; }
    return articlePasses([c.article, c.outlet, c.published]);
  }

  function edgeVisible(id) {
    var e = DATA.edges[id];
    if (!shown.types[DATA.entities[e.from].type] || !shown.types[DATA.entities[e.to].type]) {
      return false;
    }
    if (shown.predicate && e.predicate !== shown.predicate) { return false; }
    return !claimFilterActive() || e.claims.some(claimPasses) ||
      // a relation past the cap: the articles of the claims not shown, by outlet and date
      Boolean(e.cut && !shown.speaker && e.cut.others.some(articlePasses));
  }

  function articlePasses(a) {  // [article, outlet, published] of a claim
    if (shown.article && a[0] !== shown.article) { return false; }
    if (shown.outlet && a[1] !== shown.outlet) { return false; }
    if (shown.from || shown.to) {
      if (!a[2]) { return false; }
      var range = span(a[2]);
      if (shown.from && range[1] < shown.from) { return false; }
      if (shown.to && range[0] > shown.to) { return false; }
    }
    return true;
  }

  function nodeVisible(id, withEdge) {
    var n = DATA.entities[id];
    if (!shown.types[n.type]) { return false; }
    if (withEdge[id]) { return true; }
    var facts = n.facts.filter(function (i) {
      return !shown.predicate || DATA.claims[i].p === shown.predicate;
    });
    if (claimFilterActive()) { return facts.some(claimPasses); }
    if (shown.predicate) { return facts.length > 0; }
    return true;
  }

  function applyFilters() {
    var withEdge = {};
    var edgeUpdates = [];
    var visibleEdges = 0;
    Object.keys(DATA.edges).forEach(function (id) {
      var visible = edgeVisible(id);
      if (visible) {
        visibleEdges += 1;
        withEdge[DATA.edges[id].from] = true;
        withEdge[DATA.edges[id].to] = true;
      }
      edgeUpdates.push({ id: id, hidden: !visible });
    });
    var nodeUpdates = [];
    var visibleNodes = 0;
    Object.keys(DATA.entities).forEach(function (id) {
      var visible = nodeVisible(id, withEdge);
      if (visible) { visibleNodes += 1; }
      nodeUpdates.push({ id: id, hidden: !visible });
    });
    nodes.update(nodeUpdates);
    edges.update(edgeUpdates);
    if (labelState) { placeLabels(preferred); }
    $("kg-status").textContent = "Showing " + visibleNodes + " of " +
      plural(Object.keys(DATA.entities).length, "entity").replace("entitys", "entities") +
      " and " + visibleEdges + " of " + plural(Object.keys(DATA.edges).length, "relation") + "." +
      (claimFilterActive() && DATA.capped
        ? " A relation with more claims than this page shows is kept when an article stating " +
          "it matches; by speaker, and for facts, the filters test the claims shown " +
          "(kg sources lists them all)."
        : "");
  }

  [["kg-filter-predicate", "predicate"], ["kg-filter-article", "article"],
   ["kg-filter-outlet", "outlet"], ["kg-filter-speaker", "speaker"],
   ["kg-date-from", "from"], ["kg-date-to", "to"]].forEach(function (pair) {
    var input = $(pair[0]);
    input.addEventListener("change", function () {
      shown[pair[1]] = input.value;
      applyFilters();
    });
  });

  function resetFilters() {
    ["kg-filter-predicate", "kg-filter-article", "kg-filter-outlet", "kg-filter-speaker",
     "kg-date-from", "kg-date-to"].forEach(function (id) { $(id).value = ""; });
    ["predicate", "article", "outlet", "speaker", "from", "to"].forEach(function (key) {
      shown[key] = "";
    });
    Array.prototype.forEach.call($("kg-legend").querySelectorAll("input"), function (box) {
      box.checked = true;
      shown.types[box.value] = true;
    });
    applyFilters();
  }
  $("kg-reset").addEventListener("click", resetFilters);

  // ---------------------------------------------------------------- conflicts

  var conflictBox = $("kg-conflicts");
  var conflictCount = DATA.conflictCount;
  if (!conflictCount) {
    conflictBox.disabled = true;
    $("kg-conflicts-label").textContent = "Highlight conflicting claims (none here)";
  } else {
    $("kg-conflicts-label").textContent = "Highlight conflicting claims (" + conflictCount +
      (conflictCount > DATA.conflicts.length ? ", " + DATA.conflicts.length + " listed" : "") + ")";
  }

  var conflictsOn = false;

  function labelFont(id, red) {
    // vis-network keeps an old label when given an empty one: a hidden label is drawn at size 0
    return { color: red ? "#C62828" : "#52606D", size: labelState[id] ? edgeFont.size : 0 };
  }

  function showConflicts(on) {
    conflictsOn = on;
    var nodeUpdates = [];
    var edgeUpdates = [];
    Object.keys(DATA.entities).forEach(function (id) {
      if (!DATA.entities[id].conflict) { return; }
      var base = originalNodes[id];
      nodeUpdates.push(on ? {
        id: id, borderWidth: 5,
        color: { background: base.color.background, border: "#C62828",
                 highlight: { background: base.color.background, border: "#C62828" } }
      } : { id: id, borderWidth: 1.5, color: base.color });
    });
    Object.keys(DATA.edges).forEach(function (id) {
      if (!DATA.edges[id].conflict) { return; }
      var base = originalEdges[id];
      edgeUpdates.push(on ? {
        id: id, dashes: [8, 5], width: Math.max(base.width, 3),
        color: { color: "#C62828", highlight: "#8E0000", hover: "#8E0000" },
        font: labelFont(id, true)
      } : { id: id, dashes: false, width: base.width,
            color: { color: "#9AA5B1", highlight: "#1F2933", hover: "#3E4C59" },
            font: labelFont(id, false) });
    });
    nodes.update(nodeUpdates);
    edges.update(edgeUpdates);
  }
  conflictBox.addEventListener("change", function () { showConflicts(conflictBox.checked); });

  // ---------------------------------------------------------------- evidence panel

  var panel = $("kg-evidence");

  // The panel opens over the right of the graph: the graph keeps its size and zoom.
  function setPanel(open) {
    document.body.classList.toggle("kg-open", open);
    if (!open) { placeLabels([]); }
  }

  function clearPanel() {
    while (panel.firstChild) { panel.removeChild(panel.firstChild); }
    var close = el("button", "kg-close", ["×"]);
    close.type = "button";
    close.title = "Close the evidence panel";
    close.setAttribute("aria-label", "Close the evidence panel");
    close.addEventListener("click", function () {
      network.unselectAll();
      setPanel(false);
    });
    panel.appendChild(close);
    panel.appendChild(el("h2", "", ["Evidence"]));
    setPanel(true);
  }

  function covered() {
    // how much of the graph's width the open evidence panel covers, on the right (on a narrow
    // screen the panel sits under the graph and covers nothing)
    return document.body.classList.contains("kg-open") &&
      getComputedStyle(panel).position === "absolute" ? panel.offsetWidth : 0;
  }

  function keepInView(id, isEdge) {
    // bring the clicked entity, or both ends of the clicked relation, into the part of the
    // graph that the panel leaves uncovered (the zoom stays as it is)
    var ends = isEdge ? [DATA.edges[id].from, DATA.edges[id].to] : [id];
    var positions = network.getPositions(ends);
    var right = container.clientWidth - covered() - 20;
    var centre = { x: 0, y: 0 };
    var outside = false;
    ends.forEach(function (end) {
      centre.x += positions[end].x / ends.length;
      centre.y += positions[end].y / ends.length;
      var point = network.canvasToDOM(positions[end]);
      if (point.x < 20 || point.y < 20 || point.x > right || point.y > container.clientHeight - 20) {
        outside = true;
      }
    });
    if (outside) {
      var shift = (container.clientWidth - right - 20) / 2 / network.getScale();
      network.moveTo({ position: { x: centre.x + shift, y: centre.y }, animation: false });
    }
  }

  function sourceLine(c) {
    var parts = [];
    var outlet = el("b", "", [c.outlet ? (DATA.names[c.outlet] || c.outlet) : "Unknown outlet"]);
    parts.push(outlet);
    if (c.agency) { parts.push(" via " + (DATA.names[c.agency] || c.agency)); }
    if (c.published) {
      parts.push(" · published " + c.published +
                 (c.publishedObtained === "inferred" ? " (inferred)" : ""));
    }
    var article = articleById[c.article];
    parts.push(" · article " + c.article.split("_")[0] +
               (article && article.title ? " — " + article.title : ""));
    return el("p", "kg-source", parts);
  }

  function claimCard(index, withTriple) {
    var c = DATA.claims[index];
    var card = el("div", "kg-claim" + (c.conflicts.length ? " kg-conflict" : ""));
    if (withTriple) {
      card.appendChild(el("p", "kg-meta", [c.subject + " — " + c.predicate + " → " + c.object]));
    }
    card.appendChild(el("p", "kg-paragraph", [c.before ? c.before : "", el("mark", "", [c.quote]),
                                               c.after ? c.after : ""]));
    card.appendChild(sourceLine(c));
    var extra = [];
    if (c.speaker) { extra.push("Said by " + (c.speakerLabel || c.speaker)); }
    if (c.certainty && c.certainty !== "stated") { extra.push("certainty: " + c.certainty); }
    var inferred = c.inferred || {};
    var how = function (part) { return inferred[part] ? " (inferred)" : " (stated)"; };
    if (c.scope) { extra.push("counted in " + c.scope); }
    if (c.date) { extra.push("date: " + c.date + how("date")); }
    if (c.validFrom) { extra.push("valid from " + c.validFrom + how("valid_from")); }
    if (c.validUntil) { extra.push("valid until " + c.validUntil + how("valid_until")); }
    if (extra.length) { card.appendChild(el("p", "kg-source", [extra.join(" · ")])); }
    Object.keys(inferred).sort().forEach(function (part) {
      var what = part === "object" ? "Value" : part.replace("_", " ");
      card.appendChild(el("p", "kg-source kg-inferred",
        [what.charAt(0).toUpperCase() + what.slice(1) + " inferred, not stated: " + inferred[part]]));
    });
    if (c.note) { card.appendChild(el("p", "kg-source", ["Note: " + c.note])); }
    c.conflicts.forEach(function (number) {
      card.appendChild(conflictLine(number));
    });
    return card;
  }

  function conflictLine(number) {
    var k = DATA.conflicts[number];
    return el("p", "kg-warning", [k.kind.charAt(0).toUpperCase() + k.kind.slice(1).replace("-", " ") +
      ": " + k.subject + " — " + k.predicate + " — " + k.values.join(" vs ") + " (" + k.reason + ")"]);
  }

  function claimList(refs, withTriple) {
    var passing = refs.filter(function (i) { return claimPasses(i); });
    var out = passing.map(function (i) { return claimCard(i, withTriple); });
    if (passing.length < refs.length) {
      out.push(el("p", "kg-hint", [plural(refs.length - passing.length, "more claim") +
                                   " hidden by the filters."]));
    }
    return out;
  }

  function edgeHeading(id) {
    var e = DATA.edges[id];
    return el("h3", "", [DATA.entities[e.from].label + " — " + e.label + " → " +
                         DATA.entities[e.to].label]);
  }

  // A relation with more claims than a page shows (e.cut): how many it has, how many are
  // shown, and the command that lists them all. Its sources count all its claims.
  function cutSummary(e) {
    var c = e.cut;
    return (c.claims ? e.claims.length + " of " + thousands(c.claims) + " claims"
                     : plural(e.claims.length, "claim")) +
      " shown, from " + thousands(c.articlesShown) + " of the " + thousands(c.articles) +
      " article" + (c.articles === 1 ? "" : "s") + " stating this (" + thousands(e.sources) +
      " independent source" + (e.sources === 1 ? "" : "s") + ")";
  }

  function cutHint(e) {
    return el("p", "kg-hint kg-cut", ["This page shows the earliest claim of each source " +
      "first, then the earliest others. Every claim: " + e.cut.command]);
  }

  function claimWeight(e) { return e.cut ? e.cut.claims || e.cut.articles : e.claims.length; }

  function showEdge(id) {
    var e = DATA.edges[id];
    clearPanel();
    panel.appendChild(edgeHeading(id));
    panel.appendChild(el("p", "kg-meta", [e.cut ? cutSummary(e) : plural(e.claims.length, "claim") +
      " from " + plural(e.sources, "independent source") + " (distinct agencies/outlets)"]));
    claimList(e.claims, false).forEach(function (card) { panel.appendChild(card); });
    if (e.cut) { panel.appendChild(cutHint(e)); }
    keepInView(id, true);
  }

  function section(title, count, open, children) {
    var box = el("details", "kg-section");
    box.open = open;
    box.appendChild(el("summary", "", [title + " (" + count + ")"]));
    children.forEach(function (child) { box.appendChild(child); });
    return box;
  }

  function byImportance(a, b) {
    // relations with the most independent sources first, then the most claims
    var ea = DATA.edges[a], eb = DATA.edges[b];
    return eb.sources - ea.sources || claimWeight(eb) - claimWeight(ea) || ea.rank - eb.rank;
  }

  function factSources(refs) {
    // independent sources (agency, else outlet) per stated value
    var seen = {};
    refs.forEach(function (i) {
      var c = DATA.claims[i];
      var key = c.p + "\u0000" + c.object;
      seen[key] = seen[key] || {};
      seen[key][c.agency || c.outlet || c.article] = true;
    });
    var count = {};
    refs.forEach(function (i) {
      var c = DATA.claims[i];
      count[i] = Object.keys(seen[c.p + "\u0000" + c.object]).length;
    });
    return count;
  }

  function showNode(id) {
    var n = DATA.entities[id];
    clearPanel();
    panel.appendChild(el("h3", "", [n.label]));
    var chip = el("span", "kg-type-chip", [n.typeLabel]);
    chip.style.background = typeColour[n.type] || "#52606D";
    panel.appendChild(el("p", "kg-meta", [chip, " " + plural(n.articles.length, "article")]));
    if (n.aliases.length) { panel.appendChild(el("p", "kg-meta", ["Also: " + n.aliases.join(", ")])); }
    if (n.description) { panel.appendChild(el("p", "", [n.description])); }
    if (n.note) { panel.appendChild(el("p", "kg-meta", ["Note: " + n.note])); }
    var incident = Object.keys(DATA.edges).filter(function (eid) {
      return DATA.edges[eid].from === id || DATA.edges[eid].to === id;
    }).sort(byImportance);
    if (incident.length) {
      var items = incident.map(function (eid, number) {
        var e = DATA.edges[eid];
        var item = el("details", "kg-relation");
        item.open = number === 0;
        var title = DATA.entities[e.from].label + " — " + e.label + " → " + DATA.entities[e.to].label;
        item.appendChild(el("summary", "", [el("span", "kg-relation-title", [title]),
          el("span", "kg-count", [plural(e.sources, "source") + " · " + (e.cut
            ? (e.cut.claims
              ? e.claims.length + " of " + thousands(e.cut.claims) + " claims shown"
              : plural(e.claims.length, "claim") + " shown, from " + e.cut.articlesShown +
                " of " + thousands(e.cut.articles) + " articles")
            : plural(e.claims.length, "claim"))])]));
        var show = el("button", "kg-link kg-show", ["Show on the graph"]);
        show.type = "button";
        show.addEventListener("click", function () { selectEdge(eid); });
        item.appendChild(show);
        claimList(e.claims, false).forEach(function (card) { item.appendChild(card); });
        if (e.cut) { item.appendChild(cutHint(e)); }
        return item;
      });
      panel.appendChild(section("Relations", incident.length, true, items));
    }
    if (n.facts.length) {
      var sources = factSources(n.facts);
      var facts = n.facts.slice().sort(function (a, b) { return sources[b] - sources[a] || a - b; });
      var cards = claimList(facts, true);
      if (n.factsLeftOut) {
        cards.push(el("p", "kg-meta", ["… and " + plural(n.factsLeftOut, "more fact") +
          " not on this page: kg show " + id + " lists them all."]));
      }
      if (n.factsCut) {
        cards.push(el("p", "kg-meta", ["Facts with more than " + n.factsCut +
          " claims show " + n.factsCut + " of them here (the earliest of each " +
          "source first): kg show " + id + " lists them all."]));
      }
      panel.appendChild(section("Facts", n.facts.length + (n.factsLeftOut || 0),
                                n.facts.length <= 6 || !incident.length, cards));
    }
    panel.scrollTop = 0;
    keepInView(id, false);
  }

  function selectEdge(id) {
    network.selectEdges([id]);
    revealOnly([id]);
    showEdge(id);
  }

  // ---------------------------------------------------------------- edge labels

  // A relation's label is drawn only where it overlaps no entity, no entity label and no label
  // of a more important relation (more independent sources, then more claims); the labels of
  // a selected entity's or relation's edges are placed first. A hidden label shows while its
  // edge is hovered. Overlaps do not depend on the zoom, so this runs when the selection, the
  // filters or the positions change. Where a selected entity's relation has no room for its
  // label at the middle of its line, the line is bent a little (as vis-network curves parallel
  // edges) if that moves the label into free space without passing over another entity; the
  // bend is undone at the next placement.
  var labelsOn = true;
  var labelState = {};
  var preferred = [];
  EDGES.forEach(function (e) { labelState[e.id] = e.label; });
  var byRank = Object.keys(DATA.edges).sort(function (a, b) {
    return DATA.edges[a].rank - DATA.edges[b].rank;
  });
  var measure = document.createElement("canvas").getContext("2d");
  var nodeFont = DATA.options.nodes.font, edgeFont = DATA.options.edges.font;

  function textWidth(text, font) {
    measure.font = font.size + "px " + font.face;
    return measure.measureText(text).width;
  }

  function overlap(a, b) { return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]; }

  function entityBoxes() {
    // each entity's shape and its label underneath (vis-network: 3 px under the shape, then
    // about half a line of leading), a little grown
    var boxes = [];
    network.body.nodeIndices.forEach(function (id) {
      var n = network.body.nodes[id];
      if (n.options.hidden) { return; }
      var r = n.options.size + 2;
      boxes.push([n.x - r, n.y - r, n.x + r, n.y + r]);
      var lines = String(n.options.label || "").split("\n");
      var half = Math.max.apply(null, lines.map(function (line) {
        return textWidth(line, nodeFont);
      })) / 2 + 2;
      var top = n.y + n.options.size;
      boxes.push([n.x - half, top, n.x + half, top + 14 + lines.length * nodeFont.size]);
    });
    return boxes;
  }

  function labelBox(id) {
    var point = network.body.edges[id].edgeType.getPoint(0.5);
    return boxAt(id, point.x, point.y);
  }

  function boxAt(id, x, y) {
    // the box of an edge's label drawn centred on (x, y), a little grown
    var half = textWidth(DATA.edges[id].label, edgeFont) / 2 + 3;
    var rise = edgeFont.size / 2 + 3;
    return [x - half, y - rise, x + half, y + rise];
  }

  function placeLabels(first) {
    preferred = first.slice().sort(function (a, b) {
      return DATA.edges[a].rank - DATA.edges[b].rank;
    });
    unbend();
    var taken = entityBoxes();
    var drawn = {};
    var wanted = {};
    var bends = [];
    preferred.forEach(function (id) { wanted[id] = true; });
    preferred.concat(byRank).forEach(function (id) {
      if (id in drawn) { return; }
      var edge = network.body.edges[id];
      drawn[id] = false;
      if (!edge || edge.options.hidden || edge.fromId === edge.toId) { return; }
      if (!labelsOn && !wanted[id]) { return; }
      var box = freeBox(labelBox(id), taken);
      if (!box && wanted[id] && bendable(id)) {
        var bend = roomyBend(id, taken);
        if (bend) {
          box = bend.box;
          bends.push({ id: id, smooth: bend.smooth });
        }
      }
      if (!box) { return; }
      taken.push(box);
      drawn[id] = true;
    });
    bends.forEach(function (b) { bent[b.id] = true; });
    if (bends.length) { edges.update(bends); }
    var updates = [];
    Object.keys(DATA.edges).forEach(function (id) {
      var label = drawn[id] ? DATA.edges[id].label : "";
      if (labelState[id] !== label) {
        labelState[id] = label;
        updates.push(labelUpdate(id, label));
      }
    });
    if (updates.length) { edges.update(updates); }
  }

  function freeBox(box, taken) {
    for (var i = 0; i < taken.length; i++) {
      if (overlap(box, taken[i])) { return null; }
    }
    return box;
  }

  // edges bent for their labels (id -> true); a bent edge was straight and alone between its ends
  var bent = {};
  var pairCount = {};
  EDGES.forEach(function (e) {
    var pair = [e.from, e.to].sort().join("\u0000");
    pairCount[pair] = (pairCount[pair] || 0) + 1;
  });
  var BENDS = [0.2, -0.2, 0.35, -0.35, 0.5, -0.5];

  function unbend() {
    var ids = Object.keys(bent);
    if (!ids.length) { return; }
    bent = {};
    edges.update(ids.map(function (id) { return { id: id, smooth: { enabled: false } }; }));
  }

  function bendable(id) {
    var e = DATA.edges[id];
    var smooth = (originalEdges[id] || {}).smooth;
    return pairCount[[e.from, e.to].sort().join("\u0000")] === 1 && !(smooth && smooth.enabled);
  }

  function curveVia(a, b, roundness) {
    // the control point of vis-network's curvedCW (roundness > 0) or curvedCCW edge
    var r = Math.abs(roundness), dx = b.x - a.x, dy = a.y - b.y;
    var length = Math.sqrt(dx * dx + dy * dy);
    var angle = Math.atan2(dy, dx) + (0.5 * roundness + 0.5) * Math.PI;
    return { x: a.x + (0.5 * r + 0.5) * length * Math.sin(angle),
             y: a.y + (0.5 * r + 0.5) * length * Math.cos(angle) };
  }

  function curveClear(a, b, via, ends) {
    // the curve passes over no entity but its own two
    var points = [];
    for (var k = 0; k <= 32; k++) {
      var t = k / 32, u = 1 - t;
      points.push({ x: u * u * a.x + 2 * t * u * via.x + t * t * b.x,
                    y: u * u * a.y + 2 * t * u * via.y + t * t * b.y });
    }
    return network.body.nodeIndices.every(function (nodeId) {
      var n = network.body.nodes[nodeId];
      if (n.options.hidden || ends.indexOf(nodeId) >= 0) { return true; }
      var reach = n.options.size + 4;
      for (var j = 0; j < 32; j++) {
        var p = points[j], q = points[j + 1];
        var sx = q.x - p.x, sy = q.y - p.y, len = sx * sx + sy * sy || 1;
        var t = Math.max(0, Math.min(1, ((n.x - p.x) * sx + (n.y - p.y) * sy) / len));
        var cx = p.x + t * sx - n.x, cy = p.y + t * sy - n.y;
        if (cx * cx + cy * cy < reach * reach) { return false; }
      }
      return true;
    });
  }

  function roomyBend(id, taken) {
    var edge = network.body.edges[id];
    var a = network.body.nodes[edge.fromId], b = network.body.nodes[edge.toId];
    for (var i = 0; i < BENDS.length; i++) {
      var via = curveVia(a, b, BENDS[i]);
      var x = 0.25 * a.x + 0.5 * via.x + 0.25 * b.x, y = 0.25 * a.y + 0.5 * via.y + 0.25 * b.y;
      var box = freeBox(boxAt(id, x, y), taken);
      if (box && curveClear(a, b, via, [edge.fromId, edge.toId])) {
        return { box: box, smooth: { enabled: true, type: BENDS[i] > 0 ? "curvedCW" : "curvedCCW",
                                     roundness: Math.abs(BENDS[i]) } };
      }
    }
    return null;
  }

  function labelUpdate(id, label) {
    var red = conflictsOn && DATA.edges[id].conflict;
    var font = labelFont(id, red);
    font.size = label ? edgeFont.size : 0;
    return label ? { id: id, label: label, font: font } : { id: id, font: font };
  }

  function setLabel(id, on) {
    // while hovered, a hidden label shows; afterwards the placement is restored
    if (!DATA.edges[id]) { return; }
    edges.update(labelUpdate(id, on ? DATA.edges[id].label : (labelState[id] || "")));
  }

  network.on("hoverEdge", function (params) { setLabel(params.edge, true); });
  network.on("blurEdge", function (params) { setLabel(params.edge, false); });
  function revealOnly(ids) { placeLabels(ids); }
  // (selecting from code fires no "select" event: selectEdge and focusEntity call revealOnly)
  network.on("select", function (params) { revealOnly(params.edges); });
  network.on("dragEnd", function (params) {
    if (params.nodes.length) { placeLabels(preferred); }
  });
  var labelToggle = $("kg-all-labels");
  labelToggle.checked = true;
  labelToggle.addEventListener("change", function () {
    labelsOn = labelToggle.checked;
    placeLabels(network.getSelectedEdges());
  });

  network.on("click", function (params) {
    if (params.nodes.length) {
      showNode(params.nodes[0]);
    } else if (params.edges.length) {
      showEdge(params.edges[0]);
    }
  });

  // ---------------------------------------------------------------- search

  var index = [];
  Object.keys(DATA.entities).sort().forEach(function (id) {
    var n = DATA.entities[id];
    [n.label].concat(n.aliases, [id]).forEach(function (name) {
      index.push({ id: id, name: name, key: fold(name) });
    });
  });
  var seen = {};
  index.slice().sort(function (a, b) { return a.key < b.key ? -1 : a.key > b.key ? 1 : 0; })
    .forEach(function (item) {
      if (seen[item.key]) { return; }
      seen[item.key] = true;
      var option = document.createElement("option");
      option.value = item.name;
      $("kg-names").appendChild(option);
    });

  function findEntity(query) {
    var key = fold(query);
    if (!key) { return null; }
    var exact = index.filter(function (item) { return item.key === key; });
    var hits = exact.length ? exact : index.filter(function (item) {
      return item.key.indexOf(key) >= 0;
    });
    if (!hits.length) { return null; }
    hits.sort(function (a, b) {
      var la = DATA.entities[a.id].label, lb = DATA.entities[b.id].label;
      return a.key.length - b.key.length || (la < lb ? -1 : la > lb ? 1 : 0);
    });
    return hits[0];
  }

  function bigrams(text) {
    var grams = {};
    var padded = " " + text + " ";
    for (var i = 0; i < padded.length - 1; i++) { grams[padded.slice(i, i + 2)] = true; }
    return grams;
  }

  function similarity(a, b) {
    // Dice coefficient of the letter pairs (as difflib's ratio, it forgives typos and order)
    var ga = bigrams(a), gb = bigrams(b), both = 0;
    var na = Object.keys(ga).length, nb = Object.keys(gb).length;
    Object.keys(ga).forEach(function (g) { if (gb[g]) { both += 1; } });
    return na + nb ? 2 * both / (na + nb) : 0;
  }

  function similarNames(query) {
    // up to three entities with a name like the query (one name each), best first
    var key = fold(query);
    var best = {};
    index.forEach(function (item) {
      var score = similarity(key, item.key);
      if (score >= 0.45 && (!best[item.id] || score > best[item.id].score)) {
        best[item.id] = { id: item.id, name: item.name, score: score };
      }
    });
    return Object.keys(best).map(function (id) { return best[id]; }).sort(function (a, b) {
      return b.score - a.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    }).slice(0, 3);
  }

  function focusEntity(query) {
    var status = $("kg-search-status");
    var hit = findEntity(query);
    if (!hit) {
      while (status.firstChild) { status.removeChild(status.firstChild); }
      status.appendChild(document.createTextNode("No entity is called “" + query + "” in this view."));
      var close = similarNames(query);
      if (close.length) {
        status.appendChild(document.createTextNode(" Did you mean "));
        close.forEach(function (item, number) {
          var button = el("button", "kg-link", [item.name]);
          button.type = "button";
          button.addEventListener("click", function () {
            $("kg-search").value = item.name;
            focusEntity(item.name);
          });
          if (number) { status.appendChild(document.createTextNode(number === close.length - 1 ? " or " : ", ")); }
          status.appendChild(button);
        });
        status.appendChild(document.createTextNode("?"));
      }
      return null;
    }
    if (nodes.get(hit.id).hidden) { resetFilters(); }
    network.selectNodes([hit.id]);
    revealOnly(network.getSelectedEdges());
    showNode(hit.id);
    // centred in the part of the graph the panel leaves uncovered, not under the panel's edge
    network.focus(hit.id, { scale: Math.max(network.getScale(), 1.25),
                            offset: { x: -covered() / 2, y: 0 }, animation: false });
    keepInView(hit.id, false);
    var label = DATA.entities[hit.id].label;
    status.textContent = "Found " + label +
      (fold(hit.name) !== fold(label) ? " (as “" + hit.name + "”)" : "") + ".";
    return hit.id;
  }

  $("kg-search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    focusEntity($("kg-search").value);
  });
  $("kg-search").addEventListener("change", function () {
    if ($("kg-search").value) { focusEntity($("kg-search").value); }
  });

  // ---------------------------------------------------------------- start

  function fitView() {
    // the whole graph with a thin margin (vis-network's fit leaves a tenth of the space empty)
    var box = null;
    network.body.nodeIndices.forEach(function (id) {
      if (network.body.nodes[id].options.hidden) { return; }
      var b = network.getBoundingBox(id);
      box = box ? [Math.min(box[0], b.left), Math.min(box[1], b.top),
                   Math.max(box[2], b.right), Math.max(box[3], b.bottom)]
                : [b.left, b.top, b.right, b.bottom];
    });
    if (!box) { return; }
    // with the evidence panel open, the graph is fitted into the part it leaves uncovered
    var hidden = covered(), width = Math.max(container.clientWidth - hidden, 1);
    var scale = 0.97 * Math.min(width / Math.max(box[2] - box[0], 1),
                                container.clientHeight / Math.max(box[3] - box[1], 1));
    // a graph small enough to be read whole is never zoomed out so far that its labels fall
    // under 10 px (if it is a little too large, its margins are left out of the view instead)
    var shownNodes = network.body.nodeIndices.filter(function (id) {
      return !network.body.nodes[id].options.hidden;
    }).length;
    if (shownNodes <= DATA.readableNodes) { scale = Math.max(scale, DATA.readableScale); }
    network.moveTo({ position: { x: (box[0] + box[2]) / 2, y: (box[1] + box[3]) / 2 },
                     offset: { x: -hidden / 2, y: 0 },
                     scale: Math.min(scale, 1.5), animation: false });
  }

  applyFilters();
  network.once("afterDrawing", function () {
    window.kgReady = true;
  });
  network.redraw();  // label sizes are measured when first drawn
  fitView();
  placeLabels([]);
  if (DATA.focus) {
    network.selectNodes([DATA.focus]);
    revealOnly(network.getSelectedEdges());
    showNode(DATA.focus);
  }
  window.network = network;
  window.kg = {
    nodes: nodes, edges: edges, data: DATA, focusEntity: focusEntity, showNode: showNode,
    showEdge: showEdge, selectEdge: selectEdge, applyFilters: applyFilters, setPanel: setPanel,
    resetFilters: resetFilters, showConflicts: showConflicts, setLabel: setLabel,
    placeLabels: placeLabels, fitView: fitView, similarNames: similarNames
  };
})();
