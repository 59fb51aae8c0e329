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
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from kg.ontology import PREFIXES
from kg.sparql import NamedQuery, QueryResult

QUOTE_WIDTH = 90
#: Columns of prose: they wrap at word boundaries, and are shortened to QUOTE_WIDTH unless wide.
WRAPPED = {
    "quote",
    "date from",
    "via",
    "claim",
    "question",
    "parameters",
    "reason",
    "headline",
    "label",
    "aliases",
    "matched",
    "object",
    "value",
    "because",
}
#: Columns of ids separated by ", " or "; ": they wrap between ids, never inside one.
LISTS = {"articles", "article ids", "aliases", "when"}
#: Optional columns of prose: left out first, wrapped (and shortened unless wide) when shown.
OPTIONAL_PROSE = {"basis", "note"}
#: Columns left out first when a table does not fit (``--json`` has every field).
OPTIONAL = {
    "certainty",
    "offsets",
    "published",
    "agency",
    "agencies",
    "type",
    "score",
    "precision",
    "hops",
    "basis",
    "note",
}
#: The narrowest a prose column is squeezed to before the table is printed as records.
PROSE_MIN = 24
#: Prose keeps this width while optional columns can be left out instead.
PROSE_COMFORT = 40


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


def shorten(text: str, width: int) -> str:
    """``text`` cut at a word boundary to at most ``width`` characters, ending with "…".

    >>> shorten("the steps China was going to take", 20)
    'the steps China…'
    >>> shorten("short", 20)
    'short'
    """
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    if " " in cut[width // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(compact, value))
    return compact(value)


class FitTable:
    """A table that fits the console: key columns (ids, articles, speakers) are never dropped
    or split; prose columns wrap at word boundaries (shortened to QUOTE_WIDTH unless ``wide``)
    and lists between their items; optional columns are left out first, saying so; when even
    that does not fit, each row is printed as a record of ``name  value`` lines. An empty table
    is one line. ``group`` columns are printed once for a run of rows sharing their values.

    >>> from rich.console import Console
    >>> table = FitTable("t", ["id", "quote"], [("matthew-miller", "words " * 20)])
    >>> for width in (60, 30):
    ...     console = Console(width=width, color_system=None)
    ...     with console.capture() as captured:
    ...         console.print(table)
    ...     print(max(len(line) for line in captured.get().splitlines()) <= width,
    ...           "matthew-miller" in captured.get())
    True True
    True True
    >>> console.print(FitTable(None, ["e"], []))
    0 rows
    """

    def __init__(
        self,
        title: str | None,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        wide: bool = False,
        caption: str | None = None,
        key: Iterable[str] = (),
        prose: Iterable[str] = (),
        group: Sequence[str] = (),
    ) -> None:
        self.title = title
        self.columns = list(columns)
        self.wide = wide
        self.caption = caption
        self.key = set(key)  # columns kept whole whatever their name
        self.prose = set(prose)  # columns wrapped at words whatever their name
        self.group = [self.columns.index(c) for c in group]
        self.rows = [[_text(v) for v in row] for row in rows]
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"a row of {len(row)} cells in a table of {len(self.columns)}")

    def kind(self, column: str) -> str:
        """key, prose, list or optional: how a column may be narrowed (see the class)."""
        if column in self.key:
            return "key"
        if column in self.prose or column in WRAPPED:
            return "prose"
        return "list" if column in LISTS else "optional" if column in OPTIONAL else "key"

    def _narrowest(self, index: int, cells: list[list[str]], natural: int) -> int:
        """The least width of a column: key columns need their widest cell, lists their
        longest item, prose PROSE_MIN (or its longest word, or less when all of it is shorter).
        """
        kind = self.kind(self.columns[index])
        if kind == "key" or (kind == "optional" and not self._wraps(index)):
            return natural
        texts = [self.columns[index], *(row[index] for row in cells)]
        longest = max(cell_len(word) for text in texts for word in text.split())
        return longest if kind == "list" else max(min(natural, PROSE_MIN), min(longest, 40))

    def _wraps(self, index: int) -> bool:
        """Whether a column's cells wrap (prose, lists, optional prose) or keep to one line."""
        column = self.columns[index]
        return self.kind(column) in ("prose", "list") or column in OPTIONAL_PROSE

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.rows:
            yield Text(self.title if self.title else "0 rows")
            return
        width = options.max_width
        cells = [
            [
                shorten(c, QUOTE_WIDTH)
                if (self.kind(col) == "prose" or col in OPTIONAL_PROSE) and not self.wide
                else c
                for c, col in zip(row, self.columns, strict=True)
            ]
            for row in self.rows
        ]
        natural = [
            max(cell_len(self.columns[i]), *(max(map(cell_len, r[i].split("\n"))) for r in cells))
            for i in range(len(self.columns))
        ]
        least = [self._narrowest(i, cells, natural[i]) for i in range(len(self.columns))]
        # optional columns without a value anywhere say nothing: leave them out
        shown = [
            i
            for i, col in enumerate(self.columns)
            if self.kind(col) != "optional" or any(r[i] for r in cells)
        ]

        # prose keeps a comfortable width before optional columns do
        comfortable = [
            max(least[i], min(natural[i], PROSE_COMFORT))
            if self._wraps(i) and self.kind(self.columns[i]) != "list"
            else least[i]
            for i in range(len(self.columns))
        ]

        def needed(indexes: list[int], widths: list[int]) -> int:
            return sum(widths[i] for i in indexes) + 3 * len(indexes) - 3

        dropped: list[str] = []
        while needed(shown, comfortable) > width:
            optional = [i for i in shown if self.kind(self.columns[i]) == "optional"]
            if not optional:
                break
            shown.remove(optional[-1])
            dropped.insert(0, self.columns[optional[-1]])
        if self.title:
            yield Text(self.title, style="bold")
        if needed(shown, least) > width:
            yield from self._records(cells)  # every field, one per line
            dropped = []
        else:
            yield self._table(cells, shown, natural, least, width)
        note = self.caption
        if dropped:
            left = f"not shown at this width: {', '.join(dropped)} (--json has every field)"
            note = f"{note}; {left}" if note else left
        if note:
            yield Text(note, style="dim")

    def _table(
        self,
        cells: list[list[str]],
        shown: list[int],
        natural: list[int],
        least: list[int],
        room: int,
    ) -> Table:
        """The table with every column's width fixed: prose and lists narrowed (the most
        narrowable first) only as far as ``room`` needs; key columns always at full width."""
        width = {i: natural[i] for i in shown}
        room -= 3 * len(shown) - 3
        for kinds in (("prose",), ("prose", "list")):  # prose first, then lists of ids
            while sum(width.values()) > room:
                narrowable = [
                    i
                    for i in shown
                    if width[i] > least[i]
                    and (self.kind(self.columns[i]) in kinds or self.columns[i] in OPTIONAL_PROSE)
                ]
                if not narrowable:
                    break
                widest = max(narrowable, key=lambda i: (width[i], i))
                width[widest] -= 1
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=False)
        for i in shown:
            column = self.columns[i]
            if self._wraps(i):
                table.add_column(column, overflow="fold", width=width[i])
            else:
                table.add_column(column, no_wrap=True, width=width[i])
        previous: list[str] | None = None
        for row in cells:
            same = previous is not None and all(row[g] == previous[g] for g in self.group)
            table.add_row(*(Text("" if same and i in self.group else row[i]) for i in shown))
            previous = row
        return table

    def _records(self, cells: list[list[str]]) -> RenderResult:
        """Each row as ``name  value`` lines: what a table too wide for the console becomes;
        ``group`` values head each run of rows that share them."""
        previous: list[str] | None = None
        for number, row in enumerate(cells, 1):
            if self.group and (previous is None or any(row[g] != previous[g] for g in self.group)):
                yield Text(" ".join(row[g] for g in self.group if row[g]), style="bold")
            previous = row
            grid = Table.grid(padding=(0, 2))
            grid.add_column(no_wrap=True, style="dim")
            grid.add_column(overflow="fold")
            grid.add_row(f"{number}.", "")
            for index, (column, value) in enumerate(zip(self.columns, row, strict=True)):
                if value and index not in self.group:
                    grid.add_row(f"  {column}", Text(value))
            yield grid


def _articles(value: Sequence[str]) -> str:
    """Article ids shortened to their number (``000_d8c5…`` → ``000``) when unambiguous."""
    short = [a.split("_", 1)[0] for a in value]
    return ", ".join(short if len(set(short)) == len(short) else value)


def _short_ids(ids: Sequence[str | None]) -> list[str]:
    """A column of article ids, each shortened to its number when no two share one."""
    distinct = {i for i in ids if i}
    short = {i: i.split("_", 1)[0] for i in distinct}
    unique = len(set(short.values())) == len(distinct)
    return [(short[i] if unique else i) if i else "" for i in ids]


def _rows_caption(count: int, noun: str = "row") -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def result_table(result: QueryResult, wide: bool = False, see_also: str = "") -> RenderableType:
    """A SPARQL answer: rows (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE).

    Values without spaces (IRIs, ids, numbers) are never split; text wraps at words. An empty
    answer is one line, with ``see_also`` (a better command for the question) when given.
    """
    if result.kind == "ask":
        return Text("true" if result.boolean else "false")
    if result.kind == "graph":
        return FitTable(
            _rows_caption(len(result.triples), "triple"),
            ["subject", "predicate", "object"],
            result.triples,
            wide=wide,
        )
    if not result.rows:
        return Text(f"0 rows — {see_also}" if see_also else "0 rows")
    columns = result.variables
    prose = {v for v in columns if any(" " in compact(row.get(v)) for row in result.rows)}
    table = FitTable(
        None,
        [*columns],
        ([row.get(v) for v in columns] for row in result.rows),
        wide=wide,
        caption=_rows_caption(len(result.rows)),
        key=set(columns) - prose,
        prose=prose,
    )
    return table


def named_table(queries: Mapping[str, NamedQuery]) -> FitTable:
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
    return FitTable(
        "named queries (kg query NAME --param k=v)", ["name", "question", "parameters"], rows
    )


def _quote(evidence: Mapping[str, Any]) -> str:
    quote = evidence.get("quote") or ""
    return f"“{quote}”" if quote else ""


def _how(evidence: Mapping[str, Any]) -> str:
    """``stated``, or ``inferred`` and the parts worked out (the ``basis`` column says how).

    >>> _how({"obtained": "inferred", "inferred": ["date"]})
    'inferred date'
    """
    if evidence.get("obtained") == "inferred":
        parts = evidence.get("inferred") or []
        return " ".join(["inferred", *(p.replace("_", " ") for p in parts)])
    return "stated"


def _date_words(source: Mapping[str, Any]) -> str:
    """The words a timeline date comes from: the quote, or the basis of an inferred date.

    >>> _date_words({"date_obtained": "inferred", "date_words": "on Thursday",
    ...              "date_basis": "the day after the summit"})
    'inferred from “on Thursday” (the day after the summit)'
    """
    words = source.get("date_words") or source.get("quote") or ""
    text = f"“{words}”" if words else ""
    if source.get("date_obtained") == "inferred":
        text = f"inferred from {text}"
        if source.get("date_basis"):
            text += f" ({source['date_basis']})"
    return text


def _when(claim: Mapping[str, Any]) -> str:
    """When a claim is placed: its own dates, or its article's date marked ``(published)``."""
    if claim.get("when_basis") == "published":
        return f"{claim['when']} (published)"
    return str(claim.get("when") or _validity(claim))


def _validity(row: Mapping[str, Any]) -> str:
    """When a claim happened or held, as written: ``2023-11-16``, ``2020 to 2023-11-16``."""
    if row.get("date"):
        return str(row["date"])
    start, end = row.get("valid_from"), row.get("valid_until")
    if start or end:
        return f"{start or '…'} to {end or '…'}"
    return ""


def sources_table(triple: str, rows: Sequence[Mapping[str, Any]], wide: bool = False) -> FitTable:
    return FitTable(
        f"{triple}: {_rows_caption(len(rows), 'article')}",
        [
            "article",
            "outlet",
            "agency",
            "published",
            "speaker",
            "certainty",
            "how",
            "quote",
            "offsets",
        ],
        (
            (
                article,
                r["outlet"] or "unknown",
                r["agency"],
                r["published"],
                r["speaker"],
                r["certainty"],
                _how(r),
                _quote(r),
                f"{r['start']}-{r['end']}",
            )
            for article, r in zip(_short_ids([r["article"] for r in rows]), rows, strict=True)
        ),
        wide=wide,
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


def paths_view(
    a: str, b: str, found: Sequence[Mapping[str, Any]], wide: bool = False
) -> RenderableType:
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
        parts.append(FitTable(title, ["from", "to", "claim", "articles", "quote"], rows, wide=wide))
    return Group(*parts)


def neighbours_table(name: str, found: Sequence[Mapping[str, Any]]) -> FitTable:
    rows = []
    for n in found:
        via = "; ".join(f"{r['subject']} {r['predicate']} {r['object']}" for r in n["relations"])
        articles = sorted({a for r in n["relations"] for a in r["articles"]})
        rows.append((n["distance"], n["id"], n["label"], n["type"], via, _articles(articles)))
    return FitTable(
        f"{len(found)} entities near {name}",
        ["hops", "id", "label", "type", "via", "articles"],
        rows,
    )


def top_neighbours_view(found: Mapping[str, Any]) -> RenderableType:
    """The ranked neighbourhood of one entity: its strongest neighbours, then 2-hop paths."""
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
        FitTable(
            f"{len(first)} neighbours of {found['id']} with the most independent sources "
            f"({found['more_neighbours']:,} more)",
            ["sources", "id", "label", "type", "relations"],
            first,
            prose=["relations"],
        ),
        FitTable(
            f"{len(second)} 2-hop paths with the most sources ({found['more_paths']:,} more)",
            ["sources", "via", "id", "label", "type"],
            second,
        ),
    )


def conflicts_view(found: Sequence[Any], wide: bool = False) -> RenderableType:
    parts: list[RenderableType] = []
    for number, conflict in enumerate(found, 1):
        c = conflict.to_dict() if hasattr(conflict, "to_dict") else conflict
        values = " vs ".join(c["values"])
        title = f"{number}. {c['kind']}: {c['subject']} {c['predicate']} {values} — {c['reason']}"
        ids = _short_ids([r["article"] for r in c["claims"]])
        rows = [
            (
                r["object"],
                r["certainty"],
                article,
                r["outlet"] or "unknown",
                r["agency"],
                r["speaker"],
                _how(r),
                _quote(r),
            )
            for article, r in zip(ids, c["claims"], strict=True)
        ]
        parts.append(
            FitTable(
                title,
                [
                    "value",
                    "certainty",
                    "article",
                    "outlet",
                    "agency",
                    "speaker",
                    "how",
                    "quote",
                ],
                rows,
                wide=wide,
            )
        )
    if not parts:
        return Text("no conflicts")
    return Group(*parts)


def timeline_table(
    found: Sequence[Mapping[str, Any]], entity: str | None, wide: bool = False
) -> FitTable:
    rows = [
        (
            e["when"],
            e["what"],
            f"{e['subject']} {e['predicate']} {e['object']}",
            _articles(e["articles"]),
            e["sources"][0]["speaker"],
            _date_words(e["sources"][0]),
        )
        for e in found
    ]
    title = f"timeline of {entity}" if entity else "timeline"
    return FitTable(
        f"{title}: {len(found)} dated facts (the first article's speaker, and the words its date "
        "is written in or inferred from)",
        ["when", "what", "claim", "articles", "speaker", "date from"],
        rows,
        wide=wide,
        key={"when"},
    )


def corroboration_table(found: Sequence[Mapping[str, Any]]) -> FitTable:
    rows = [
        (
            f"{r['subject']} {r['predicate']} {r['object']}",
            len(r["articles"]),
            len(r["outlets"]),
            len(r["agencies"]),
            f"{r['sources']} (single)" if r["single_source"] else r["sources"],
            _articles(r["articles"]),
        )
        for r in found
    ]
    return FitTable(
        f"{len(found)} triples (outlets and agencies: those named; sources: independent)",
        ["triple", "articles", "outlets", "agencies", "sources", "article ids"],
        rows,
        prose={"triple"},
        key={"articles", "outlets", "sources"},
    )


def _triples_table(
    title: str, rows: Sequence[Mapping[str, Any]], drop: str | None = None, wide: bool = False
) -> FitTable:
    """``kg show``: one line per claim of each triple (the triple without the entity shown,
    printed once): when, date basis, speaker, certainty, article, quote."""
    parts = [c for c in ("subject", "predicate", "object") if c != drop]
    ids = _short_ids([e["article"] for r in rows for e in r["evidence"]])
    claims = [(r, e) for r in rows for e in r["evidence"]]
    return FitTable(
        title,
        ["claim", "when", "basis", "speaker", "certainty", "article", "quote", "note"],
        (
            (
                " ".join(str(r[c]) for c in parts),
                _when(e),
                e.get("basis") or "",
                e["speaker"],
                e["certainty"],
                article,
                _quote(e),
                e.get("note") or "",
            )
            for article, (r, e) in zip(ids, claims, strict=True)
        ),
        wide=wide,
        group=["claim"],
    )


def show_view(report: Mapping[str, Any], wide: bool = False) -> RenderableType:
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
    if report.get("period"):
        bounds = [f"{k} {v}" for k, v in report["period"].items() if v]
        head.append(f"\nonly claims that can fall {' and '.join(bounds)}")
    parts: list[RenderableType] = [head]
    for key, title, drop in (
        ("outgoing", "relations from it", "subject"),
        ("incoming", "relations to it", "object"),
        ("facts", "facts", "subject"),
        ("said", "what it said", None),
    ):
        if report[key]:
            parts.append(_triples_table(f"{title} ({len(report[key])})", report[key], drop, wide))
    return Group(*parts)


def stats_view(stats: Mapping[str, Any]) -> RenderableType:
    counts = FitTable(
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
    types = FitTable(
        "entities by type", ["type", "count"], stats["entities_by_type"].items(), key={"type"}
    )
    predicates = FitTable(
        "claims by predicate", ["predicate", "count"], stats["claims_by_predicate"].items()
    )
    articles = FitTable(
        "claims by article", ["article", "count"], stats["claims_by_article"].items()
    )
    conflicts = FitTable("conflicts", ["kind", "count"], stats["conflicts"].items())
    central = FitTable(
        "most central (PageRank)",
        ["id", "label", "degree", "pagerank"],
        ((r["id"], r["label"], r["degree"], f"{r['pagerank']:.4f}") for r in stats["most_central"]),
    )
    return Group(counts, types, predicates, articles, conflicts, central)


def entities_table(found: Sequence[Mapping[str, Any]], text: str | None) -> FitTable:
    """``kg entities``: id, type, label, the name that matched, articles."""
    columns = ["id", "type", "label", "matched" if text else "aliases", "articles"]
    rows = [
        (
            e["id"],
            e["type"],
            e["label"],
            (e["matched"] if e["matched"] != e["label"] else "") if text else e["aliases"],
            _articles(e["articles"]),
        )
        for e in found
    ]
    what = f"entities matching {text!r}" if text else "entities"
    return FitTable(f"{len(found)} {what}", columns, rows)


def articles_table(found: Sequence[Mapping[str, Any]], wide: bool = False) -> FitTable:
    """``kg articles``: id, outlet, agency, date with its precision and basis, claims."""
    rows = [
        (
            a["id"],
            a["outlet"] or "unknown",
            a["agency"],
            a["published"] or "unknown",
            a["precision"],
            a["claims"],
            a["headline"],
            a["basis"],
        )
        for a in found
    ]
    table = FitTable(
        f"{len(found)} article{'s' if len(found) != 1 else ''}",
        ["id", "outlet", "agency", "published", "precision", "claims", "headline", "basis"],
        rows,
        wide=wide,
        key={"agency", "published"},
    )
    return table


def claims_table(found: Sequence[Mapping[str, Any]], wide: bool = False) -> FitTable:
    """``kg claims``: one line per claim with when (and on what basis), speaker, article and
    quote; a claim's triple is printed once for the claims that share it."""
    ids = _short_ids([c["article"] for c in found])
    rows = [
        (
            f"{c['subject']} {c['predicate']} {c['object']}",
            _when(c),
            c.get("basis") or "",
            c["speaker"],
            c["certainty"],
            article,
            _quote(c),
            c.get("note") or "",
        )
        for article, c in zip(ids, found, strict=True)
    ]
    return FitTable(
        _rows_caption(len(found), "claim"),
        ["claim", "when", "basis", "speaker", "certainty", "article", "quote", "note"],
        rows,
        wide=wide,
        group=["claim"],
    )


def as_of_view(answers: Sequence[Mapping[str, Any]], wide: bool = False) -> RenderableType:
    """``kg as-of``: "yes"/"no" per triple with the reason and the quotes behind it."""
    parts: list[RenderableType] = []
    for a in answers:
        verdict = {True: "yes", False: "no", None: "unknown"}[a["held"]]
        because = a["because"] or a["evidence"]
        ids = _short_ids([e["article"] for e in because])
        according = f" according to {', '.join(ids)}" if a["because"] else ""
        line = Text()
        line.append(f"{verdict}: ", style="bold")
        line.append(
            f"{a['subject']} {a['predicate']} {a['object']} on {a['day']}: {a['reason']}{according}"
        )
        parts.append(line)
        parts.append(
            FitTable(
                None,
                ["article", "when", "speaker", "quote"],
                (
                    (article, _validity(e), e["speaker"], _quote(e))
                    for article, e in zip(ids, because, strict=True)
                ),
                wide=wide,
            )
        )
    if not parts:
        return Text("no claim with a date or validity matches — nothing to answer")
    return Group(*parts)


def single_source_table(found: Sequence[Mapping[str, Any]]) -> FitTable:
    """``kg single-source``: entities one independent source stands behind."""
    rows = [(e["id"], e["type"], e["label"], e["source"], _articles(e["articles"])) for e in found]
    table = FitTable(
        f"{len(found)} entities with a single independent source",
        ["id", "type", "label", "source", "articles"],
        rows,
    )
    return table
