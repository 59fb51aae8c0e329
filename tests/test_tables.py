"""Tables fit any width: a property test of kg.tables.FitTable over random tables and widths."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from kg.tables import FitTable, shorten

IDS = st.from_regex(r"[a-z]{1,9}(-[a-z0-9]{1,9}){0,3}", fullmatch=True)
WORDS = st.lists(
    st.from_regex(r"[A-Za-z\u2019\u201c\u201d,.]{1,12}", fullmatch=True), min_size=1, max_size=30
)
# one column of each kind: key (id, speaker), list (articles), prose (quote), optional (certainty)
COLUMNS = ["id", "speaker", "articles", "certainty", "quote"]
ROWS = st.lists(
    st.tuples(
        IDS,
        IDS | st.just(""),
        st.lists(st.from_regex(r"00[0-9]", fullmatch=True), max_size=6).map(", ".join),
        st.sampled_from(["stated", "alleged", "more-than", ""]),
        WORDS.map(" ".join),
    ),
    max_size=6,
)


def render(table: FitTable, width: int) -> str:
    console = Console(width=width, color_system=None, highlight=False)
    with console.capture() as captured:
        console.print(table)
    return "".join(line.rstrip() + "\n" for line in captured.get().splitlines())


@settings(max_examples=60, deadline=None)
@given(rows=ROWS, width=st.integers(min_value=20, max_value=220), wide=st.booleans())
def test_a_table_fits_and_keeps_every_key_value_whole(rows, width, wide):
    out = render(FitTable("t", COLUMNS, rows, wide=wide), width)
    lines = out.splitlines()
    assert all(cell_len(line) <= width for line in lines)
    longest_key = max((cell_len(v) for r in rows for v in r[:2]), default=0)
    name_width = max(len(f"  {c}") for c in COLUMNS) + 2  # a record line: "  name  value"
    if longest_key + name_width <= width:  # room for a key value on a record line
        words = {w.strip(",") for w in out.split()}
        for row in rows:
            for value in (row[0], row[1], *row[2].split(", ")):
                assert not value or value in words, (value, width)
    if not rows:
        assert out == "t\n"


def test_an_empty_table_without_a_title_says_0_rows():
    assert render(FitTable(None, COLUMNS, []), 60) == "0 rows\n"


def test_prose_is_shortened_unless_wide():
    quote = " ".join(["word"] * 40)
    narrow = render(FitTable(None, ["id", "quote"], [("x", quote)]), 300)
    assert shorten(quote, 90) in narrow and quote not in narrow
    assert quote in render(FitTable(None, ["id", "quote"], [("x", quote)], wide=True), 300)


def test_optional_columns_go_first_and_the_table_says_so():
    row = ("matthew-miller", "us-state-department", "000, 001", "alleged", "a quote " * 10)
    out = render(FitTable(None, COLUMNS, [row]), 80)
    assert "certainty" not in out.splitlines()[0]
    assert "not shown at this width: certainty (--json has every field)" in out
    assert "matthew-miller" in out and "us-state-department" in out


def test_too_narrow_for_the_key_columns_prints_records():
    row = ("china-national-narcotics-control-commission", "matthew-miller", "000", "", "words")
    out = render(FitTable(None, COLUMNS, [row]), 60)
    assert out.splitlines()[0] == "1."
    assert "  id        china-national-narcotics-control-commission" in out


def test_group_columns_print_once_per_run():
    rows = [("a", "x", "000", "", "q1"), ("a", "y", "001", "", "q2"), ("b", "x", "002", "", "q3")]
    table = FitTable(None, COLUMNS, rows, group=["id"])
    lines = render(table, 120).splitlines()
    assert [line.split()[0] for line in lines[2:]] == ["a", "y", "b"]
