"""Readable tables for the query commands of the CLI (rich), and JSON for scripts.

Every value from the data is put in a :class:`rich.text.Text`, never parsed as console markup,
so a label such as ``[bold]x[/bold]`` prints as written.

>>> from rich.console import Console
>>> console = Console(width=60, color_system=None)
>>> answer = QueryResult("select", ["e", "n"], [{"e": "https://kg.example/entity/ifs", "n": 3}])
>>> with console.capture() as captured:
...     console.print(result_table(answer))
>>> "entity:ifs" in captured.get()
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from kg.ontology import PREFIXES
from kg.sparql import NamedQuery, QueryResult

QUOTE_WIDTH = 90
#: Columns whose text wraps (quotes and prose); the others stay on one line.
WRAPPED = {"quote", "via", "claim", "question", "parameters", "reason"}


def to_json(data: Any) -> str:
    """JSON for ``--json``: UTF-8 text, indented, dataclass-like records through ``to_dict``."""

    def default(value: Any) -> Any:
        if hasattr(value, "to_dict"):
            return value.to_dict()
        if isinstance(value, set | frozenset):
            return sorted(value, key=str)
        if isinstance(value, Sequence):  # tuples, and claims read lazily (kg.graph.Evidence)
            return list(value)
        return str(value)

    return json.dumps(data, indent=2, ensure_ascii=False, default=default)


def compact(value: Any) -> str:
    """An IRI with kg's prefix (``entity:ifs``, ``kg:partOf``); other values as text.

    >>> compact("https://kg.example/ontology#partOf"), compact(None), compact(3)
    ('kg:partOf', '', '3')
    """
    if value is None:
        return ""
    text = str(value)
    best = ""
    for prefix, namespace in PREFIXES.items():
        if text.startswith(namespace) and len(namespace) > len(best):
            best, shown = namespace, f"{prefix}:{text[len(namespace) :]}"
    return shown if best else text


def _cell(value: Any, width: int | None = None) -> Text:
    text = compact(value) if not isinstance(value, list) else ", ".join(map(compact, value))
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return Text(text)


def _table(
    title: str | None,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: Mapping[str, int] | None = None,
    fixed: bool = True,
) -> Table:
    """A table of data cells; columns other than quotes and prose keep to one line."""
    table = Table(
        title=Text(title) if title else None,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        show_lines=False,
        title_style="bold",
    )
    for column in columns:
        if column in WRAPPED:
            table.add_column(column, overflow="fold", ratio=1, min_width=20)
        elif fixed:
            table.add_column(column, no_wrap=True)
        else:
            table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(v, (widths or {}).get(c)) for c, v in zip(columns, row, strict=True)))
    return table


def _articles(value: Sequence[str]) -> str:
    """Article ids shortened to their number (``000_d8c5…`` → ``000``) when unambiguous."""
    short = [a.split("_", 1)[0] for a in value]
    return ", ".join(short if len(set(short)) == len(short) else value)


def result_table(result: QueryResult) -> RenderableType:
    """A SPARQL answer: rows (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE)."""
    if result.kind == "ask":
        return Text("true" if result.boolean else "false")
    if result.kind == "graph":
        return _table(
            f"{len(result.triples)} triples",
            ["subject", "predicate", "object"],
            result.triples,
            fixed=False,
        )
    table = _table(
        None,
        result.variables,
        ([row.get(v) for v in result.variables] for row in result.rows),
        fixed=False,
    )
    table.caption = Text(f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''}")
    return table


def named_table(queries: Mapping[str, NamedQuery]) -> Table:
    rows = [
        (
            q.name,
            q.title,
            " ".join(
                f"{p.name}={p.type}"
                + ("" if p.required else f" (default {p.default})" if p.default else " (optional)")
                for p in q.params
            ),
        )
        for q in queries.values()
    ]
    return _table(
        "named queries (kg query NAME --param k=v)", ["name", "question", "parameters"], rows
    )


def _quote(evidence: Mapping[str, Any]) -> str:
    quote = evidence.get("quote") or ""
    return f"“{quote}”" if quote else ""


def sources_table(triple: str, rows: Sequence[Mapping[str, Any]]) -> Table:
    return _table(
        f"{triple}: {len(rows)} article{'s' if len(rows) != 1 else ''}",
        ["article", "outlet", "agency", "published", "speaker", "certainty", "quote", "offsets"],
        (
            (
                r["article"],
                r["outlet"] or "unknown",
                r["agency"],
                r["published"],
                r["speaker"],
                r["certainty"],
                _quote(r),
                f"{r['start']}-{r['end']}",
            )
            for r in rows
        ),
    )


def _relation_rows(relations: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    rows = []
    for rel in relations:
        claims = rel["claims"]
        rows.append(
            (
                f"{rel['subject']} {rel['predicate']} {rel['object']}",
                _articles(rel["articles"]),
                _quote(claims[0]) if claims else "",
            )
        )
    return rows


def paths_view(a: str, b: str, found: Sequence[Mapping[str, Any]]) -> RenderableType:
    parts: list[RenderableType] = []
    for number, path in enumerate(found, 1):
        steps = [path["nodes"][0]]
        for hop in path["hops"]:
            forward = any(r["direction"] == "forward" for r in hop["relations"])
            backward = any(r["direction"] == "backward" for r in hop["relations"])
            arrow = "↔" if forward and backward else "→" if forward else "←"
            steps.append(f"{arrow} {hop['target']}")
        title = f"{number}. {' '.join(steps)}  ({path['length']} hop{'s' * (path['length'] != 1)})"
        rows = [
            (hop["source"], hop["target"], *rel)
            for hop in path["hops"]
            for rel in _relation_rows(hop["relations"])
        ]
        if not rows:
            parts.append(Text(f"{title}: the same entity"))
            continue
        parts.append(
            _table(
                title, ["from", "to", "claim", "articles", "quote"], rows, {"quote": QUOTE_WIDTH}
            )
        )
    return Group(*parts)


def neighbours_table(name: str, found: Sequence[Mapping[str, Any]]) -> Table:
    rows = []
    for n in found:
        via = "; ".join(f"{r['subject']} {r['predicate']} {r['object']}" for r in n["relations"])
        articles = sorted({a for r in n["relations"] for a in r["articles"]})
        rows.append((n["distance"], n["id"], n["label"], n["type"], via, _articles(articles)))
    return _table(
        f"{len(found)} entities near {name}",
        ["hops", "id", "label", "type", "via", "articles"],
        rows,
    )


def top_neighbours_view(found: Mapping[str, Any]) -> RenderableType:
    """The ranked neighbourhood of one entity: its strongest neighbours, then 2-hop paths."""
    from rich.console import Group

    first = [
        (
            n["sources"],
            n["id"],
            n["label"],
            n["type"],
            "; ".join(f"{r['subject']} {r['predicate']} {r['object']}" for r in n["relations"]),
        )
        for n in found["neighbours"]
    ]
    second = [(p["sources"], p["via"], p["id"], p["label"], p["type"]) for p in found["paths"]]
    return Group(
        _table(
            f"{len(first)} neighbours of {found['id']} with the most independent sources "
            f"({found['more_neighbours']:,} more)",
            ["sources", "id", "label", "type", "relations"],
            first,
            widths={"relations": 70},
        ),
        _table(
            f"{len(second)} 2-hop paths with the most sources ({found['more_paths']:,} more)",
            ["sources", "via", "id", "label", "type"],
            second,
        ),
    )


def conflicts_view(found: Sequence[Any]) -> RenderableType:
    parts: list[RenderableType] = []
    for number, conflict in enumerate(found, 1):
        c = conflict.to_dict() if hasattr(conflict, "to_dict") else conflict
        values = " vs ".join(c["values"])
        title = f"{number}. {c['kind']}: {c['subject']} {c['predicate']} {values} — {c['reason']}"
        rows = [
            (
                r["object"],
                r["certainty"],
                r["article"],
                r["outlet"] or "unknown",
                r["agency"],
                r["speaker"],
                _quote(r),
            )
            for r in c["claims"]
        ]
        parts.append(
            _table(
                title,
                ["value", "certainty", "article", "outlet", "agency", "speaker", "quote"],
                rows,
            )
        )
    if not parts:
        return Text("no conflicts")
    return Group(*parts)


def timeline_table(found: Sequence[Mapping[str, Any]], entity: str | None) -> Table:
    rows = [
        (
            e["when"],
            e["what"],
            e["subject"],
            e["predicate"],
            e["object"],
            _articles(e["articles"]),
            _quote(e["sources"][0]),
        )
        for e in found
    ]
    title = f"timeline of {entity}" if entity else "timeline"
    return _table(
        f"{title}: {len(found)} dated facts",
        ["when", "what", "subject", "predicate", "object", "articles", "quote"],
        rows,
        {"quote": QUOTE_WIDTH},
    )


def corroboration_table(found: Sequence[Mapping[str, Any]]) -> Table:
    rows = [
        (
            r["subject"],
            r["predicate"],
            r["object"],
            len(r["articles"]),
            len(r["outlets"]),
            r["sources"],
            "yes" if r["single_source"] else "",
            _articles(r["articles"]),
        )
        for r in found
    ]
    return _table(
        f"{len(found)} triples",
        [
            "subject",
            "predicate",
            "object",
            "articles",
            "outlets",
            "sources",
            "single source",
            "article ids",
        ],
        rows,
    )


def _triples_table(title: str, rows: Sequence[Mapping[str, Any]], drop: str | None = None) -> Table:
    columns = [c for c in ("subject", "predicate", "object") if c != drop]
    return _table(
        title,
        [*columns, "certainty", "sources", "articles", "quote"],
        (
            (
                *(r[c] for c in columns),
                "/".join(r["certainty"]),
                r["sources"],
                _articles(r["articles"]),
                _quote(r["evidence"][0]),
            )
            for r in rows
        ),
        {"quote": QUOTE_WIDTH},
    )


def show_view(report: Mapping[str, Any]) -> RenderableType:
    e = report["entity"]
    head = Text()
    head.append(f"{e['label']}", style="bold")
    head.append(f"  {e['id']} · {e['type']}\n")
    if e["aliases"]:
        head.append(f"also: {', '.join(e['aliases'])}\n")
    if e.get("description"):
        head.append(f"{e['description']}\n")
    if e.get("note"):
        head.append(f"note: {e['note']}\n")
    head.append(f"in articles: {_articles(e['articles']) or 'none'}")
    parts: list[RenderableType] = [head]
    for key, title, drop in (
        ("outgoing", "relations from it", "subject"),
        ("incoming", "relations to it", "object"),
        ("facts", "facts", "subject"),
        ("said", "what it said", None),
    ):
        if report[key]:
            parts.append(_triples_table(f"{title} ({len(report[key])})", report[key], drop))
    return Group(*parts)


def stats_view(stats: Mapping[str, Any]) -> RenderableType:
    counts = _table(
        "graph",
        ["what", "count"],
        [
            (k, stats[k])
            for k in (
                "articles",
                "entities",
                "claims",
                "triples",
                "quads",
                "attributed_claims",
                "single_source_triples",
            )
        ],
    )
    types = _table("entities by type", ["type", "count"], stats["entities_by_type"].items())
    predicates = _table(
        "claims by predicate", ["predicate", "count"], stats["claims_by_predicate"].items()
    )
    articles = _table("claims by article", ["article", "count"], stats["claims_by_article"].items())
    conflicts = _table("conflicts", ["kind", "count"], stats["conflicts"].items())
    central = _table(
        "most central (PageRank)",
        ["id", "label", "degree", "pagerank"],
        ((r["id"], r["label"], r["degree"], f"{r['pagerank']:.4f}") for r in stats["most_central"]),
    )
    return Group(counts, types, predicates, articles, conflicts, central)
