"""kg in pandas and Jupyter: answers as DataFrames in one call, and as HTML in a notebook.

The API's answers are plain rows (dicts); :class:`Rows` is the list they come in, with
:meth:`Rows.to_frame` for a ``pandas.DataFrame`` and a table for Jupyter's rich display.
pandas is an optional extra (``pip install 'kg[pandas]'``); nothing here needs it until a
DataFrame is asked for.

>>> rows = Rows([{"id": "ifs", "label": "<IFS>"}, {"id": "mps", "label": "MPS"}])
>>> rows == [{"id": "ifs", "label": "<IFS>"}, {"id": "mps", "label": "MPS"}]
True
>>> "&lt;IFS&gt;" in rows._repr_html_()
True
>>> rows.to_frame()["id"].tolist()
['ifs', 'mps']
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any

from kg.errors import KgError

if TYPE_CHECKING:
    import pandas

#: A notebook shows at most this many rows of a table (the DataFrame has them all).
MAX_ROWS_SHOWN = 20
#: Text longer than this is cut in a notebook table (with an ellipsis).
MAX_CELL_CHARS = 160


class MissingExtra(KgError, ImportError):
    """An optional dependency is not installed; the message says which extra brings it."""


def pandas_module() -> Any:
    """The pandas module, or :class:`MissingExtra` naming the extra that installs it."""
    try:
        import pandas
    except ImportError:
        raise MissingExtra(
            "DataFrames need pandas, which is not installed — pip install 'kg[pandas]'"
        ) from None
    return pandas


def record(item: Any) -> dict[str, Any]:
    """One row of a table: a mapping as is, a dataclass as its fields.

    >>> from kg.analysis import Conflict
    >>> record(Conflict("precision", "ifs", "p", ("a",), (), "why"))["kind"]
    'precision'
    """
    if isinstance(item, Mapping):
        return dict(item)
    if hasattr(item, "to_dict"):
        return dict(item.to_dict())
    if is_dataclass(item) and not isinstance(item, type):
        return asdict(item)
    raise TypeError(f"cannot make a table row of a {type(item).__name__}")


def to_frame(rows: Iterable[Any], columns: Sequence[str] | None = None) -> pandas.DataFrame:
    """A ``pandas.DataFrame`` of rows (dicts or dataclasses), one column per key in order.

    >>> to_frame([{"a": 1, "b": "x"}, {"a": 2, "b": None}]).shape
    (2, 2)
    """
    pd = pandas_module()
    records = [record(r) for r in rows]
    if columns is None:
        columns = list(dict.fromkeys(key for r in records for key in r))
    return pd.DataFrame.from_records(records, columns=list(columns))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set | frozenset | dict):
        text = json.dumps(
            sorted(value, key=str) if isinstance(value, set | frozenset) else value,
            ensure_ascii=False,
            default=str,
        )
    else:
        text = str(value)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return html.escape(text)


def html_table(
    rows: Sequence[Any], columns: Sequence[str] | None = None, caption: str | None = None
) -> str:
    """A small HTML table of rows for a notebook: every value escaped, long text cut, at most
    :data:`MAX_ROWS_SHOWN` rows (the caption says how many there are).

    >>> table = html_table([{"a": "<b>"}])
    >>> table.startswith('<table class="kg-table"><caption>1 row</caption>')
    True
    >>> "<td>&lt;b&gt;</td>" in table
    True
    """
    records = [record(r) for r in rows]
    if columns is None:
        columns = list(dict.fromkeys(key for r in records for key in r))
    count = len(records)
    said = caption or f"{count:,} row{'s' if count != 1 else ''}"
    if count > MAX_ROWS_SHOWN:
        said += f" (the first {MAX_ROWS_SHOWN} shown; .to_frame() has all)"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in columns) + "</tr>"
        for r in records[:MAX_ROWS_SHOWN]
    )
    return (
        f'<table class="kg-table"><caption>{html.escape(said)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


class Rows(list[dict[str, Any]]):
    """A list of rows (dicts) that also turns into a DataFrame and shows as a table in Jupyter.

    It is a ``list``: it compares, pickles and serialises as one.
    """

    def to_frame(self) -> pandas.DataFrame:
        """The rows as a ``pandas.DataFrame`` (needs the ``pandas`` extra)."""
        return to_frame(self)

    def _repr_html_(self) -> str:
        return html_table(self)


class Conflicts(list[Any]):
    """The conflicts :meth:`kg.KnowledgeGraph.conflicts` finds (a list of
    :class:`kg.analysis.Conflict`); its DataFrame has one row per claim of each conflict, so
    that the quotes stand side by side.
    """

    COLUMNS = (
        "conflict",
        "kind",
        "subject",
        "predicate",
        "value",
        "article",
        "outlet",
        "published",
        "speaker",
        "certainty",
        "quote",
        "reason",
    )

    def claim_rows(self) -> list[dict[str, Any]]:
        """One row per claim of each conflict, numbered as listed (from 1)."""
        return [
            {
                "conflict": number,
                "kind": conflict.kind,
                "subject": conflict.subject,
                "predicate": conflict.predicate,
                "value": claim.get("object"),
                "article": claim.get("article"),
                "outlet": claim.get("outlet"),
                "published": claim.get("published"),
                "speaker": claim.get("speaker"),
                "certainty": claim.get("certainty"),
                "quote": claim.get("quote"),
                "reason": conflict.reason,
            }
            for number, conflict in enumerate(self, start=1)
            for claim in conflict.claims
        ]

    def to_frame(self) -> pandas.DataFrame:
        """One row per claim of each conflict (needs the ``pandas`` extra)."""
        return to_frame(self.claim_rows(), self.COLUMNS)

    def _repr_html_(self) -> str:
        count = len(self)
        said = f"{count} conflict{'s' if count != 1 else ''}, one row per claim"
        return html_table(self.claim_rows(), self.COLUMNS, caption=said)


def definition_list(title: str, fields: Mapping[str, Any]) -> str:
    """An entity's or graph's summary as HTML: a title and escaped name/value pairs.

    >>> definition_list("IFS", {"type": "GovernmentAgency", "aliases": ("<i>",)})[-41:]
    'aliases</dt><dd>&lt;i&gt;</dd></dl></div>'
    """
    items = "".join(
        f"<dt>{html.escape(str(name))}</dt><dd>{_text(value)}</dd>"
        for name, value in fields.items()
        if value not in (None, "", (), [])
    )
    return f'<div class="kg-card"><strong>{html.escape(title)}</strong><dl>{items}</dl></div>'


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return html.escape(", ".join(str(v) for v in value))
    return html.escape(str(value))


def inline_frame(page: bytes | str, height: int = 640) -> str:
    """A self-contained HTML page as an ``<iframe srcdoc>``: how a notebook shows the graph
    page inline. Nothing is fetched (the page inlines its scripts and allows no requests);
    the frame may run scripts but gets no access to the notebook around it.

    >>> inline_frame("<p title='x'>&</p>", height=100)[:60]
    '<iframe srcdoc="&lt;p title=&#x27;x&#x27;&gt;&amp;&lt;/p&gt;'
    """
    text = page.decode("utf-8") if isinstance(page, bytes) else page
    return (
        f'<iframe srcdoc="{html.escape(text, quote=True)}" sandbox="allow-scripts" '
        f'style="width: 100%; height: {int(height)}px; border: 1px solid #ddd" '
        'title="knowledge graph"></iframe>'
    )
