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
    if (shown.article && c.article !== shown.article) { return false; }
    if (shown.outlet && c.outlet !== shown.outlet) { return false; }
    if (shown.speaker === "-" && c.speaker) { return false; }
    if (shown.speaker && shown.speaker !== "-" && c.speaker !== shown.speaker) { return false; }
    if (shown.from || shown.to) {
      if (!c.published) { return false; }
      var range = span(c.published);
      if (shown.from && range[1] < shown.from) { return false; }
      if (shown.to && range[0] > shown.to) { return false; }
    }
    return true;
  }

  function edgeVisible(id) {
    var e = DATA.edges[id];
    if (!shown.types[DATA.entities[e.from].type] || !shown.types[DATA.entities[e.to].type]) {
      return false;
    }
    if (shown.predicate && e.predicate !== shown.predicate) { return false; }
    return !claimFilterActive() || e.claims.some(claimPasses);
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
    $("kg-status").textContent = "Showing " + visibleNodes + " of " +
      plural(Object.keys(DATA.entities).length, "entity").replace("entitys", "entities") +
      " and " + visibleEdges + " of " + plural(Object.keys(DATA.edges).length, "relation") + ".";
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

  function showConflicts(on) {
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
        font: { color: "#C62828" }
      } : { id: id, dashes: false, width: base.width,
            color: { color: "#9AA5B1", highlight: "#1F2933", hover: "#3E4C59" },
            font: { color: "#52606D" } });
    });
    nodes.update(nodeUpdates);
    edges.update(edgeUpdates);
  }
  conflictBox.addEventListener("change", function () { showConflicts(conflictBox.checked); });

  // ---------------------------------------------------------------- evidence panel

  var panel = $("kg-evidence");

  // The panel opens with the first click, so that the graph has the whole width until then.
  function setPanel(open) {
    if (document.body.classList.contains("kg-open") === open) { return; }
    document.body.classList.toggle("kg-open", open);
    network.setSize("100%", "100%");
    network.redraw();
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

  function keepInView(id, isEdge) {
    // after the panel opened, bring the clicked item back into view if it went off the side
    var ends = isEdge ? [DATA.edges[id].from, DATA.edges[id].to] : [id];
    var positions = network.getPositions(ends);
    var centre = { x: 0, y: 0 };
    ends.forEach(function (end) {
      centre.x += positions[end].x / ends.length;
      centre.y += positions[end].y / ends.length;
    });
    var point = network.canvasToDOM(centre);
    if (point.x < 20 || point.y < 20 || point.x > container.clientWidth - 20 ||
        point.y > container.clientHeight - 20) {
      network.moveTo({ position: centre, animation: false });
    }
  }

  function sourceLine(c) {
    var parts = [];
    var outlet = el("b", "", [c.outlet ? (DATA.names[c.outlet] || c.outlet) : "Unknown outlet"]);
    parts.push(outlet);
    if (c.agency) { parts.push(" via " + (DATA.names[c.agency] || c.agency)); }
    if (c.published) { parts.push(" · published " + c.published); }
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
    if (c.date) { extra.push("date: " + c.date); }
    if (c.validFrom) { extra.push("valid from " + c.validFrom); }
    if (c.validUntil) { extra.push("valid until " + c.validUntil); }
    if (extra.length) { card.appendChild(el("p", "kg-source", [extra.join(" · ")])); }
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

  function edgeHeading(id, asLink) {
    var e = DATA.edges[id];
    var text = DATA.entities[e.from].label + " — " + e.label + " → " + DATA.entities[e.to].label;
    if (!asLink) { return el("h3", "", [text]); }
    var button = el("button", "kg-link", [text]);
    button.type = "button";
    button.addEventListener("click", function () { selectEdge(id); });
    return el("h4", "", [button]);
  }

  function showEdge(id) {
    var e = DATA.edges[id];
    clearPanel();
    panel.appendChild(edgeHeading(id, false));
    panel.appendChild(el("p", "kg-meta", [plural(e.claims.length, "claim") + " from " +
      plural(e.sources, "independent source") + " (distinct agencies/outlets)"]));
    claimList(e.claims, false).forEach(function (card) { panel.appendChild(card); });
    keepInView(id, true);
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
    if (n.facts.length) {
      panel.appendChild(el("h4", "", ["Facts"]));
      claimList(n.facts, true).forEach(function (card) { panel.appendChild(card); });
    }
    if (n.factsLeftOut) {
      panel.appendChild(el("p", "kg-meta", ["… and " + plural(n.factsLeftOut, "more fact") +
        " not on this page: kg show " + id + " lists them all."]));
    }
    var incident = Object.keys(DATA.edges).filter(function (eid) {
      return DATA.edges[eid].from === id || DATA.edges[eid].to === id;
    }).sort(function (a, b) {
      var ea = DATA.edges[a], eb = DATA.edges[b];
      return (ea.from === id ? 0 : 1) - (eb.from === id ? 0 : 1) ||
        (parseInt(a.slice(1), 10) - parseInt(b.slice(1), 10));
    });
    if (incident.length) {
      panel.appendChild(el("h4", "", ["Relations (" + incident.length + ")"]));
    }
    incident.forEach(function (eid) {
      panel.appendChild(edgeHeading(eid, true));
      claimList(DATA.edges[eid].claims, false).forEach(function (card) {
        panel.appendChild(card);
      });
    });
    panel.scrollTop = 0;
    keepInView(id, false);
  }

  function selectEdge(id) {
    network.selectEdges([id]);
    revealOnly([id]);
    showEdge(id);
  }

  // ---------------------------------------------------------------- crowded edge labels

  // Labels that would overlap others are left out of the drawing; they show while their edge
  // is hovered or selected, or all of them with the toggle.
  var allLabels = false;
  var revealed = {};

  function setLabel(id, on) {
    var e = DATA.edges[id];
    if (!e || !e.crowded) { return; }
    var show = on || allLabels;
    if (Boolean(revealed[id]) === show) { return; }
    revealed[id] = show;
    edges.update({ id: id, label: show ? e.label : "" });
  }

  network.on("hoverEdge", function (params) { setLabel(params.edge, true); });
  network.on("blurEdge", function (params) {
    setLabel(params.edge, network.getSelectedEdges().indexOf(params.edge) >= 0);
  });
  function revealOnly(ids) {
    var keep = {};
    ids.forEach(function (id) { keep[id] = true; });
    Object.keys(revealed).forEach(function (id) {
      if (revealed[id] && !keep[id]) { setLabel(id, false); }
    });
    ids.forEach(function (id) { setLabel(id, true); });
  }
  // (selecting from code fires no "select" event: selectEdge and focusEntity call revealOnly)
  network.on("select", function (params) { revealOnly(params.edges); });
  var labelBox = $("kg-all-labels");
  var crowdedCount = Object.keys(DATA.edges).filter(function (id) {
    return DATA.edges[id].crowded;
  }).length;
  if (!crowdedCount) {
    labelBox.checked = true;
    labelBox.disabled = true;
  }
  labelBox.addEventListener("change", function () {
    allLabels = labelBox.checked;
    var selected = {};
    network.getSelectedEdges().forEach(function (id) { selected[id] = true; });
    Object.keys(DATA.edges).forEach(function (id) { setLabel(id, Boolean(selected[id])); });
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

  function focusEntity(query) {
    var status = $("kg-search-status");
    var hit = findEntity(query);
    if (!hit) {
      status.textContent = "No entity is called “" + query + "” in this view.";
      return null;
    }
    if (nodes.get(hit.id).hidden) { resetFilters(); }
    network.selectNodes([hit.id]);
    revealOnly(network.getSelectedEdges());
    showNode(hit.id);
    network.focus(hit.id, { scale: 1.25, animation: false });
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

  applyFilters();
  network.once("afterDrawing", function () {
    window.kgReady = true;
  });
  network.fit({ animation: false });
  if (DATA.focus) {
    network.selectNodes([DATA.focus]);
    revealOnly(network.getSelectedEdges());
    showNode(DATA.focus);
  }
  window.network = network;
  window.kg = {
    nodes: nodes, edges: edges, data: DATA, focusEntity: focusEntity, showNode: showNode,
    showEdge: showEdge, selectEdge: selectEdge, applyFilters: applyFilters, setPanel: setPanel,
    resetFilters: resetFilters, showConflicts: showConflicts, setLabel: setLabel
  };
})();
