"""The page's data: vis-network node and edge lists, and the evidence the page script reads."""

from __future__ import annotations

import math
import re
import shlex
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from kg.graph import (
    articles_behind,
    first_facts,
    shown_claims,
    shown_facts,
)
from kg.html import views
from kg.html.conflicts import claim_key, view_conflicts
from kg.html.layout import (
    BUDGET_NODES,
    EDGE_FONT_SIZE,
    FONT_SIZE,
    crowded_edge_labels,
    edge_curve,
    layout,
    node_box,
    route_edges,
    wrap_label,
)
from kg.html.views import View, connections
from kg.model import Basis
from kg.ontology import Ontology, OntologyClass

DEFAULT_TITLE = "News knowledge graph"
#: At most this many conflicts are listed on a page.
MAX_CONFLICTS = 1000

#: Tableau's categorical colours without red (red marks conflicts), most distinct first.
# fmt: off
PALETTE = ("#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#9C755F", "#FF9DA7", "#76B7B2",
           "#EDC948", "#BAB0AC", "#D37295", "#B6992D", "#A0CBE8", "#499894", "#8CD17D",
           "#FFBE7D", "#7F3C8D", "#17BECF", "#D4A6C8", "#79706E", "#FABFD2")
# fmt: on
#: vis-network shapes that draw their label underneath (so node size can vary).
SHAPES = ("dot", "square", "diamond", "triangle", "hexagon", "star", "triangleDown")
CONFLICT_COLOUR = "#C62828"


@dataclass(frozen=True)
class ArticleInfo:
    """What the evidence panel says about an article."""

    id: str
    title: str = ""
    published: str = ""
    outlet: str | None = None
    agency: str | None = None
    published_obtained: str = ""  # "inferred" when the curator worked the date out


@dataclass(frozen=True)
class ClassStyle:
    name: str
    label: str
    colour: str
    shape: str


def class_styles(ontology: Ontology, types: Iterable[str] = ()) -> dict[str, ClassStyle]:
    """A colour per class and a shape per branch of the class tree (the classes under the
    root: agents are dots, places hexagons, ...), both read from the ontology and stable across
    views; the biggest branch gets the first shape and the first colours.

    >>> from kg.ontology import load_ontology
    >>> styles = class_styles(load_ontology())
    >>> len({s.colour for s in styles.values()}) == len(styles)
    True
    >>> styles["Person"].shape == styles["GovernmentAgency"].shape
    True
    """
    names = sorted(set(ontology.classes) | set(types))
    chains = {name: _chain(ontology, name) for name in names}
    main_root = min(
        Counter(chain[-1] for chain in chains.values()).items(),
        key=lambda item: (-item[1], item[0]),
    )[0]
    branch = {name: chain[-2] if len(chain) > 1 else chain[-1] for name, chain in chains.items()}
    sizes = Counter(branch[n] for n in names if chains[n][-1] == main_root)
    branches = sorted(sizes, key=lambda b: (b == main_root, -sizes[b], b))
    rank = {b: i for i, b in enumerate(branches)}
    order = sorted(
        names,
        key=lambda n: (chains[n][-1] != main_root, rank.get(branch[n], 99), len(chains[n]), n),
    )
    styles = {}
    for index, name in enumerate(order):
        cls = ontology.classes.get(name) or OntologyClass(name, "", "")
        label = cls.label or _split_camel(name)
        shape = SHAPES[rank[branch[name]] % len(SHAPES)] if branch[name] in rank else "dot"
        styles[name] = ClassStyle(
            name, label[:1].upper() + label[1:], PALETTE[index % len(PALETTE)], shape
        )
    return dict(sorted(styles.items()))


def _chain(ontology: Ontology, name: str) -> list[str]:
    """The class, its first parent, that one's first parent, ... up to a root."""
    chain = [name]
    while chain[-1] in ontology.classes and ontology.classes[chain[-1]].parents:
        parent = ontology.classes[chain[-1]].parents[0]
        if parent in chain:
            break
        chain.append(parent)
    return chain


def _split_camel(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)


def _paragraph(text: str, start: int, end: int, limit: int = 420) -> tuple[str, str]:
    """The rest of the paragraph (line) around ``text[start:end]``, clipped at ``limit`` chars."""
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end < 0 else para_end
    before, after = text[para_start:start], text[end:para_end]
    if len(before) > limit:
        cut = before.find(" ", len(before) - limit)
        before = "…" + before[cut + 1 if cut >= 0 else len(before) - limit :]
    if len(after) > limit:
        cut = after.rfind(" ", 0, limit)
        after = after[: cut if cut > 0 else limit] + "…"
    return before.lstrip(), after.rstrip()


def _date_range(values: Iterable[str]) -> tuple[str, str] | None:
    """First and last day covered by YYYY / YYYY-MM / YYYY-MM-DD values."""
    from kg.model import DateValue

    spans = []
    for value in values:
        try:
            date = DateValue.parse(value)
        except ValueError:
            continue
        spans.append((date.start.isoformat(), date.end.isoformat(), value))
    if not spans:
        return None
    return min(spans)[2], max(spans, key=lambda s: (s[1], s[2]))[2]


def page_payload(
    view: View,
    full: nx.MultiDiGraph,
    *,
    ontology: Ontology,
    articles: Mapping[str, ArticleInfo],
    texts: Mapping[str, str],
    contexts: Mapping[str, tuple[str, str]],
    title: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """vis-network node and edge lists, and the data the page script reads (all sorted).

    Tooltips (``title``) are plain text: vis-network shows them with ``innerText``.
    """
    graph = view.graph
    styles = class_styles(ontology, (d.get("type", "Entity") for _n, d in graph.nodes(data=True)))
    predicates = ontology.predicates
    conflicts = view_conflicts(full, ontology, view=graph)
    in_conflict: dict[tuple[str, str, str, str, str, int], list[int]] = defaultdict(list)
    for number, conflict in enumerate(conflicts):
        for row in conflict.claims:
            key = claim_key({**row, "subject": conflict.subject, "predicate": conflict.predicate})
            in_conflict[key].append(number)

    def name(entity: str | None) -> str:
        if not entity:
            return ""
        return str(full.nodes[entity].get("label", entity)) if entity in full else entity

    def predicate_label(pred: str) -> str:
        return predicates[pred].label if pred in predicates else pred

    def value_label(pred: str, value: str, is_entity: bool) -> str:
        if is_entity:
            return name(value)
        unit = predicates[pred].unit if pred in predicates else None
        return f"{value} {unit}" if unit else value

    claims: list[dict[str, Any]] = []
    claim_index: dict[tuple[str, str, str, str, str, int], int] = {}

    def add_claim(row: Mapping[str, Any]) -> int:
        key = claim_key(row)
        if key in claim_index:
            return claim_index[key]
        text = texts.get(row["article"])
        start, end = int(row.get("start") or 0), int(row.get("end") or 0)
        if text is not None and text[start:end] == row["quote"]:
            before, after = _paragraph(text, start, end)
        else:
            before, after = contexts.get(str(row.get("claim", "")), ("", ""))
            before, after = ("…" + before if before else ""), (after + "…" if after else "")
        info = articles.get(row["article"]) or ArticleInfo(row["article"])
        is_entity = bool(row.get("object_is_entity", True))
        claims.append(
            {
                "article": row["article"],
                "before": before,
                "quote": row["quote"],
                "after": after,
                "subject": name(row["subject"]),
                "p": row["predicate"],
                "predicate": predicate_label(row["predicate"]),
                "object": value_label(row["predicate"], str(row["object"]), is_entity),
                "speaker": row.get("speaker") or "",
                "speakerLabel": name(row.get("speaker")),
                "outlet": row.get("outlet") or info.outlet or "",
                "agency": row.get("agency") or info.agency or "",
                "published": row.get("published") or info.published or "",
                "publishedObtained": info.published_obtained,
                "certainty": row.get("certainty") or "stated",
                "date": row.get("date") or "",
                "validFrom": row.get("valid_from") or "",
                "validUntil": row.get("valid_until") or "",
                "scope": name(row.get("scope")) if row.get("scope") else "",
                # how each inferred part (object, date, valid_from, valid_until) was worked out
                "inferred": {
                    part: Basis(
                        tuple(b.get("words", ())),
                        tuple(b.get("articles", ())),
                        tuple(b.get("claims", ())),
                        b.get("reasoning", ""),
                    ).summary()
                    for part, b in sorted((row.get("bases") or {}).items())
                },
                "note": row.get("note") or "",
                "conflicts": in_conflict.get(key, []),
            }
        )
        claim_index[key] = len(claims) - 1
        return claim_index[key]

    degree = connections(graph)[0]  # relations per entity, a self-loop once
    labels = {n: wrap_label(str(d.get("label", n))) for n, d in graph.nodes(data=True)}
    sizes = {n: min(round(9 + 4 * math.sqrt(degree[n]), 1), 30.0) for n in graph}
    boxes = {n: node_box(sizes[n], labels[n]) for n in graph}
    positions = layout(graph, boxes)

    nodes: list[dict[str, Any]] = []
    entities: dict[str, Any] = {}
    for node in sorted(graph):
        data = graph.nodes[node]
        style = styles[data.get("type", "Entity")]
        kept, facts_left_out = first_facts(data.get("facts", ()), views.MAX_FACTS_SHOWN)
        shown, facts_cut = shown_facts(kept, views.MAX_CLAIMS_SHOWN_PER_EDGE)
        facts = [add_claim(f) for f in shown]
        aliases = [a for a in data.get("aliases", ()) if a != data.get("label")]
        mentioned = list(data.get("articles", ()))
        tip = [str(data.get("label", node)), f"Type: {style.label}"]
        if aliases:
            tip.append("Also: " + ", ".join(aliases))
        if data.get("description"):
            tip.append(str(data["description"]))
        if mentioned:
            tip.append(
                f"In {len(mentioned)} article{'s' if len(mentioned) != 1 else ''}: "
                + ", ".join(_short(a) for a in mentioned[:8])
                + (" …" if len(mentioned) > 8 else "")
            )
        tip.append("Click for the evidence.")
        x, y = positions[node]
        nodes.append(
            {
                "id": node,
                "label": labels[node],
                "title": "\n".join(tip),
                "shape": style.shape,
                "color": {
                    "background": style.colour,
                    "border": _darker(style.colour),
                    "highlight": {"background": style.colour, "border": "#111111"},
                    "hover": {"background": style.colour, "border": "#111111"},
                },
                "size": sizes[node],
                "x": x,
                "y": y,
            }
        )
        entities[node] = {
            "label": str(data.get("label", node)),
            "type": style.name,
            "typeLabel": style.label,
            "aliases": aliases,
            "description": data.get("description", ""),
            "note": data.get("note", ""),
            "articles": mentioned,
            "facts": facts,
            "conflict": any(claims[i]["conflicts"] for i in facts),
        }
        if facts_left_out:
            entities[node]["factsLeftOut"] = facts_left_out
        if facts_cut:  # some fact has more claims than the page shows
            entities[node]["factsCut"] = views.MAX_CLAIMS_SHOWN_PER_EDGE

    edges: list[dict[str, Any]] = []
    edge_data: dict[str, Any] = {}
    pair_count = Counter(tuple(sorted((u, v))) for u, v in graph.edges())
    pair_seen: Counter[tuple[str, ...]] = Counter()
    ordered = sorted(graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2]))
    for index, (u, v, key, data) in enumerate(ordered):
        edge_id = f"e{index}"
        label = predicate_label(key)
        shown, total = shown_claims(
            data.get("claims", ()), views.MAX_CLAIMS_SHOWN_PER_EDGE, data.get("articles")
        )
        refs = [add_claim(c) for c in shown]
        sources = max(int(data.get("sources") or 0), 1)
        pair = tuple(sorted((u, v)))
        rank = pair_seen[pair]
        pair_seen[pair] += 1
        cut = None
        if total is None or total > len(refs):
            cut = _cut(u, key, v, shown, total, data)
        tip = [
            f"{name(u)} — {label} → {name(v)}",
            f"{len(refs)} claim{'s' if len(refs) != 1 else ''} from {sources} independent "
            f"source{'s' if sources != 1 else ''}"
            if cut is None
            else _cut_summary(cut, len(refs), sources),
        ]
        for ref in refs[:4]:
            c = claims[ref]
            who = f" (said by {c['speakerLabel']})" if c["speaker"] else ""
            tip.append(f"• {_source_line(c, name)}{who}: “{_clip(c['quote'], 160)}”")
        if len(refs) > 4:
            tip.append(f"… and {len(refs) - 4} more" + (" on this page" if cut else ""))
        if cut is not None:
            tip.append(f"All of them: {cut['command']}")
        tip.append("Click for the evidence.")
        edge: dict[str, Any] = {
            "id": edge_id,
            "from": u,
            "to": v,
            "label": label,
            "title": "\n".join(tip),
            "width": edge_width(sources),
        }
        smooth = edge_curve(u, v, rank, pair_count[pair])
        if smooth is not None:
            edge["smooth"] = smooth
        edges.append(edge)
        conflict_numbers = sorted({n for ref in refs for n in claims[ref]["conflicts"]})
        edge_data[edge_id] = {
            "from": u,
            "to": v,
            "predicate": key,
            "label": label,
            "claims": refs,
            "sources": sources,
            "conflict": bool(conflict_numbers),
        }
        if cut is not None:
            edge_data[edge_id]["cut"] = cut
    route_edges(edges, positions, boxes)
    for entry in nodes:  # an entity under an edge may have moved aside
        entry["x"], entry["y"] = positions[entry["id"]]
    # the most corroborated relations first: their labels are placed first, and they are drawn
    # last (on top of the others)
    edges.sort(
        key=lambda e: (
            -edge_data[e["id"]]["sources"],
            -_claim_weight(edge_data[e["id"]]),
            int(e["id"][1:]),
        )
    )
    for rank, edge in enumerate(edges):
        edge_data[edge["id"]]["rank"] = rank
    shapes = {n: (sizes[n], labels[n]) for n in graph}
    crowded = crowded_edge_labels(edges, positions, shapes)
    for edge in edges:
        if edge["id"] in crowded:
            edge["label"] = ""
            edge_data[edge["id"]]["crowded"] = True
    edges.reverse()

    # only the conflicts that a claim on the page takes part in (the first MAX_CONFLICTS, in
    # kg.analysis' order: contradictions first), numbered in order, at most 5 per claim
    used = sorted({number for c in claims for number in c["conflicts"]})
    renumber = {old: new for new, old in enumerate(used[:MAX_CONFLICTS])}
    for c in claims:
        c["conflicts"] = [renumber[n] for n in c["conflicts"] if n in renumber][:5]
    conflicts = [conflicts[number] for number in used[:MAX_CONFLICTS]]

    used_types = Counter(entities[n]["type"] for n in entities)
    used_predicates = Counter(edge_data[e]["predicate"] for e in edge_data)
    used_predicates.update(claims[ref]["p"] for e in entities.values() for ref in e["facts"])
    article_ids = sorted({c["article"] for c in claims})
    known = {a: articles.get(a) or ArticleInfo(a) for a in article_ids}
    span = _date_range(a.published for a in known.values() if a.published)
    speakers = sorted({c["speaker"] for c in claims if c["speaker"]})
    outlets = sorted({c["outlet"] for c in claims if c["outlet"]})
    agencies = sorted({c["agency"] for c in claims if c["agency"]})
    capped_relations = sum(1 for e in edge_data.values() if "cut" in e)
    capped_facts = sum(1 for e in entities.values() if "factsCut" in e)
    notes = list(view.notes)
    if capped_relations or capped_facts:
        notes.append(_capped_note(capped_relations, capped_facts))
    data = {
        "title": title,
        "description": view.description,
        "notes": notes,
        "caption": _caption(
            len(entities),
            len(edges),
            len(claims),
            article_ids,
            span,
            sum(1 for a in known.values() if not a.published),
            shown=bool(capped_relations or capped_facts),
        ),
        "capped": capped_relations + capped_facts,
        "focus": view.focus,
        "classes": [
            {
                "name": s.name,
                "label": s.label,
                "colour": s.colour,
                "shape": s.shape,
                "count": used_types[s.name],
            }
            for s in styles.values()
            if used_types[s.name]
        ],
        "predicates": [
            {"name": p, "label": predicate_label(p), "count": used_predicates[p]}
            for p in sorted(used_predicates)
        ],
        "articles": [
            {
                "id": a,
                "title": i.title,
                "published": i.published,
                "publishedObtained": i.published_obtained,
                "outlet": i.outlet or "",
                "agency": i.agency or "",
            }
            for a, i in known.items()
        ],
        "names": {e: name(e) for e in sorted(set(speakers) | set(outlets) | set(agencies))},
        "speakers": speakers,
        "outlets": outlets,
        "entities": entities,
        "edges": edge_data,
        "claims": claims,
        "conflicts": [
            {
                "kind": c.kind,
                "subject": name(c.subject),
                "predicate": predicate_label(c.predicate),
                "values": [value_label(c.predicate, v, v in full) for v in c.values],
                "reason": c.reason,
            }
            for c in conflicts
        ],
        "conflictCount": len(used),
        "options": VIS_OPTIONS,
        # the fitted view's least zoom for a graph read whole: labels stay 10 px or more
        "readableNodes": BUDGET_NODES,
        "readableScale": round((LABEL_THRESHOLD + 0.05) / FONT_SIZE, 4),
    }
    return nodes, edges, data


#: The widest a relation is drawn (7 independent sources or more): at a million claims a hub's
#: relations have 50 sources, and lines 75 px wide covered the entities between them.
MAX_EDGE_WIDTH = 10.0


def edge_width(sources: int) -> float:
    """How wide a relation with this many independent sources is drawn: 1 px, 1.5 px more per
    source, at most :data:`MAX_EDGE_WIDTH`.

    >>> edge_width(1), edge_width(4), edge_width(51)
    (1.0, 5.5, 10.0)
    """
    return min(round(1 + 1.5 * (sources - 1), 1), MAX_EDGE_WIDTH)


def _cut(
    subject: str,
    predicate: str,
    obj: str,
    shown: Sequence[Mapping[str, Any]],
    total: int | None,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """What the page says of a relation whose claims it shows only some of: how many claims
    it has (None when not counted), how many articles state it and how many of them the
    claims shown come from, the command that lists them all, and what its filters test of the
    claims not shown: their articles' outlet and date (:func:`kg.graph.articles_behind`).

    >>> from kg.graph import make_row
    >>> cut = _cut("ifs", "partOf", "mps", [make_row("ifs", "partOf", "mps")], None,
    ...            {"articles": ["a1", "a2"]})
    >>> cut["articles"], cut["articlesShown"], cut["command"]
    (2, 1, 'kg sources ifs partOf mps')
    """
    claims = data.get("claims", ())
    articles = data.get("articles") or {c["article"] for c in claims}
    return {
        "claims": total,
        "articles": len(articles),
        "articlesShown": len({c["article"] for c in shown}),
        "command": shlex.join(["kg", "sources", subject, predicate, obj]),
        "others": [list(a) for a in articles_behind(claims, shown)],
    }


def _claim_weight(edge: Mapping[str, Any]) -> int:
    """How many claims a relation has (the page's script weighs it alike: claimWeight): those
    it shows, or, where it shows fewer, all of them (at least one per article).

    >>> cut = {"claims": None, "articles": 9}
    >>> _claim_weight({"claims": [0, 1]}), _claim_weight({"claims": [0], "cut": cut})
    (2, 9)
    """
    cut = edge.get("cut")
    return cut["claims"] or cut["articles"] if cut else len(edge["claims"])


def _cut_summary(cut: Mapping[str, Any], shown: int, sources: int) -> str:
    """The line of a relation's tooltip that says how many of its claims the page shows
    (the page script says the same in the evidence panel: cutSummary).

    >>> _cut_summary({"claims": None, "articles": 2540, "articlesShown": 25}, 25, 37)
    '25 claims shown, from 25 of the 2,540 articles stating this (37 independent sources)'
    >>> _cut_summary({"claims": 30, "articles": 20, "articlesShown": 20}, 25, 3)
    '25 of 30 claims shown, from 20 of the 20 articles stating this (3 independent sources)'
    """
    claims = (
        f"{shown} of {cut['claims']:,} claims"
        if cut["claims"]
        else f"{shown} claim{'s' if shown != 1 else ''}"
    )
    return (
        f"{claims} shown, from {cut['articlesShown']:,} of the {cut['articles']:,} "
        f"article{'s' if cut['articles'] != 1 else ''} stating this ({sources:,} independent "
        f"source{'s' if sources != 1 else ''})"
    )


def _caption(
    entities: int,
    relations: int,
    claims: int,
    article_ids: list[str],
    span: tuple[str, str] | None,
    undated: int = 0,
    shown: bool = False,
) -> str:
    """The page's one-line summary: counts, and when the articles were published; ``shown``
    when some relation or fact has more claims than the page shows (the counts are of those
    shown).

    >>> _caption(50, 97, 196, ["a", "b", "c"], ("2023", "2023-11"), undated=1)
    '50 entities · 97 relations · 196 claims from 3 articles published 2023 to 2023-11 (1 undated)'
    >>> _caption(5, 95, 2081, ["a"], None, shown=True)
    '5 entities · 95 relations · 2081 claims shown, from 1 article'
    """
    text = (
        f"{entities} entities · {relations} relations · {claims} claims"
        + (" shown, from " if shown else " from ")
        + f"{len(article_ids)} article{'s' if len(article_ids) != 1 else ''}"
    )
    if span:
        text += f" published {span[0]}" + (f" to {span[1]}" if span[1] != span[0] else "")
    if undated:
        text += f" ({undated} undated)"
    return text


def _capped_note(relations: int, facts: int) -> str:
    """What a page says when some relations or facts have more claims than it shows.

    >>> _capped_note(64, 0)[:62]
    '64 relations have more claims than this page shows: each shows'
    """
    parts = [f"{relations} relation{'s' if relations != 1 else ''}"] if relations else []
    if facts:
        parts.append(f"the facts of {facts} entit{'ies' if facts != 1 else 'y'}")
    return (
        f"{' and '.join(parts)} {'have' if relations != 1 or facts else 'has'} more claims than "
        f"this page shows: each shows {views.MAX_CLAIMS_SHOWN_PER_EDGE}, the earliest of each "
        "independent source first. The caption and the lists of articles, outlets and speakers "
        "count the claims shown; the filters keep such a relation when an article stating it "
        "matches (by speaker, and for facts, when a claim shown matches). kg sources SUBJECT "
        "PREDICATE OBJECT (kg show ENTITY for facts) lists them all."
    )


def _short(article: str) -> str:
    return article.split("_", 1)[0] if "_" in article else article


def _source_line(claim: Mapping[str, Any], name: Any) -> str:
    parts = [name(claim["outlet"]) if claim["outlet"] else "unknown outlet"]
    if claim["agency"]:
        parts[0] += f" via {name(claim['agency'])}"
    if claim["published"]:
        parts.append(claim["published"])
    parts.append(f"article {_short(claim['article'])}")
    return ", ".join(parts)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _darker(colour: str, factor: float = 0.7) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02X}{:02X}{:02X}".format(*(int(c * factor) for c in (r, g, b)))


#: vis-network leaves out labels smaller than this less one pixel (zoomed far out they would be
#: unreadable) and fades those between that and this size.
LABEL_THRESHOLD = 10

VIS_OPTIONS: dict[str, Any] = {
    "autoResize": True,
    "physics": {"enabled": False},
    "layout": {"improvedLayout": False, "randomSeed": 1},
    "interaction": {
        "hover": True,
        "tooltipDelay": 120,
        "hideEdgesOnDrag": False,
        "multiselect": False,
        "navigationButtons": False,
        "keyboard": False,
    },
    "nodes": {
        "borderWidth": 1.5,
        "borderWidthSelected": 3,
        "labelHighlightBold": False,
        "scaling": {"label": {"drawThreshold": LABEL_THRESHOLD}},
        "font": {
            "face": "arial",
            "size": FONT_SIZE,
            "color": "#1F2933",
            "strokeWidth": 4,
            "strokeColor": "#FFFFFF",
            "multi": False,
        },
    },
    "edges": {
        "arrows": {"to": {"enabled": True, "scaleFactor": 0.55}},
        "color": {"color": "#9AA5B1", "highlight": "#1F2933", "hover": "#3E4C59", "inherit": False},
        "font": {
            "face": "arial",
            "size": EDGE_FONT_SIZE,
            "color": "#52606D",
            "strokeWidth": 4,
            "strokeColor": "#FFFFFF",
            "align": "horizontal",
        },
        "selectionWidth": 1.5,
        "labelHighlightBold": False,
        "scaling": {"label": {"drawThreshold": LABEL_THRESHOLD}},
        "hoverWidth": 1,
        "smooth": {"enabled": False},
    },
}
