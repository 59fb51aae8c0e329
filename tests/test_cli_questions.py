"""The analyst's questions, one command each, and the walls they used to hit (CliRunner, exact
output where the output is short). The graph is read from an N-Quads dump of the seed data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from rich.cells import cell_len

from kg.analysis import single_source_entities
from kg.cli import main
from kg.graph import make_row
from tests.conftest import BASE_CLAIMS, BASE_ENTITIES, ROOT


@pytest.fixture(scope="module")
def dump(graph, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("questions") / "kg.nq"
    graph.store.dump(str(path), format=ox.RdfFormat.N_QUADS)
    return path


@pytest.fixture(scope="module")
def kg(dump):
    """``kg ARGS --from DUMP`` at a width of ``columns`` (default 100)."""

    def run(*args: str, columns: int = 100) -> Result:
        return CliRunner(env={"COLUMNS": str(columns)}).invoke(main, [*args, "--from", str(dump)])

    return run


# --- 1. find anything -------------------------------------------------------------------------


def test_entities_finds_a_name_by_its_words_in_any_order(kg):
    found = json.loads(kg("entities", "Department of Commerce", "--json").output)
    assert [(e["id"], e["matched"]) for e in found] == [
        ("us-commerce-department", "Commerce Department")
    ]
    table = kg("entities", "commerce")
    assert table.exit_code == 0
    assert table.output.splitlines()[0] == "2 entities matching 'commerce'"
    assert "us-commerce-department" in table.output and "Commerce Entity List" in table.output


def test_entities_by_type_and_unknown_type(kg):
    people = json.loads(kg("entities", "--type", "Person", "--json").output)
    assert people and {e["type"] for e in people} == {"Person"}
    agents = json.loads(kg("entities", "--type", "Agent", "--json").output)
    assert {"Person", "Country", "GovernmentAgency"} <= {e["type"] for e in agents}
    wrong = kg("entities", "--type", "Persn")
    assert (wrong.exit_code, wrong.output) == (
        1,
        "kg: unknown type 'Persn' — did you mean Person?\n",
    )


def test_no_entity_called_always_says_what_to_try(kg):
    for name, expected in {
        "commerce": "kg: no entity called 'commerce' — did you mean "
        "'us-commerce-department', 'entity-list'?\n",
        "Department of Commerce": "kg: no entity called 'Department of Commerce' — did you "
        "mean 'us-commerce-department'?\n",
        "zzzz": "kg: no entity called 'zzzz' — `kg entities` lists them, `kg entities WORD` "
        "searches\n",
    }.items():
        result = kg("show", name)
        assert (result.exit_code, result.output) == (1, expected), name


def test_articles_with_outlet_agency_and_date_precision_and_basis(kg):
    found = json.loads(kg("articles", "--json").output)
    first = found[0]
    assert (first["id"][:3], first["outlet"], first["agency"]) == ("000", None, "afp")
    assert (first["published"], first["precision"]) == ("2023-11", "month")
    assert first["basis"].startswith("Reports as current news")
    assert [
        a["id"][:3] for a in json.loads(kg("articles", "--outlet", "voa", "--json").output)
    ] == ["001"]
    wide = kg("articles", "002", "--wide", columns=400).output
    assert "2023" in wide and "year" in wide and "presidential summit" in wide


def test_show_takes_a_short_article_id(kg):
    result = kg("show", "004")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("article 004_1e9b86b4597b81cb: China and the United States")


def test_predicate_suggestions_use_the_ontology_synonyms(kg):
    result = kg("sources", "united-states", "removed", "ifs")
    assert (result.exit_code, result.output) == (
        1,
        "kg: unknown predicate 'removed' — did you mean 'delisted'?\n",
    )


# --- 2. questions of time -----------------------------------------------------------------------


def test_after_an_event_uses_its_date(kg):
    timeline = json.loads(kg("timeline", "ifs", "--after", "biden-xi-summit", "--json").output)
    assert [(e["when"], e["predicate"]) for e in timeline] == [
        ("2023-11-16", "delisted"),
        ("2023-11-16", "listedOn"),
    ]
    before = json.loads(kg("timeline", "ifs", "--before", "2023-11-16", "--json").output)
    assert [(e["when"], e["what"], e["predicate"]) for e in before] == [
        ("2020", "on", "listed"),
        ("2020", "from", "listedOn"),
    ]


def test_what_china_has_done_since_the_summit(kg):
    found = json.loads(
        kg("claims", "--subject", "china", "--after", "biden-xi-summit", "--json").output
    )
    assert ("resumed", "counternarcotics-cooperation") in {
        (c["predicate"], c["object"]) for c in found
    }
    assert all(c["when_basis"] in ("date", "occurred", "validity", "published") for c in found)
    assert "suspended" not in {c["predicate"] for c in found}  # 2022-08, before the summit
    shown = kg("show", "china", "--after", "biden-xi-summit", "--json").output
    assert "counternarcotics-cooperation" in shown and "2022-08" not in shown


def test_after_something_that_is_neither_date_nor_event(kg):
    result = kg("timeline", "--after", "next tuesday")
    assert result.exit_code == 1
    assert result.output.startswith(
        "kg: 'next tuesday' is neither a date (YYYY, YYYY-MM or YYYY-MM-DD) nor an entity"
    )
    undated = kg("timeline", "--after", "ifs")
    assert undated.output == (
        "kg: no claim dates 'ifs' — give a date instead (YYYY, YYYY-MM or YYYY-MM-DD)\n"
    )


def test_as_of_answers_no_with_the_evidence(kg):
    result = kg("as-of", "2024-01-01", "ifs", "listedOn", "entity-list", "--wide", columns=200)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "no: ifs listedOn entity-list on 2024-01-01: ended on 2023-11-16 according to 000, 001, 002"
    )
    assert "“It was put on a sanctions list in 2020.”" in result.output
    assert "was blacklisted in 2020”" in result.output


def test_as_of_answers_yes_and_unknown(kg):
    held = kg("as-of", "2022-01-01", "ifs", "listedOn", "entity-list", columns=200)
    held = held.output.splitlines()[0]
    assert held == (
        "yes: ifs listedOn entity-list on 2022-01-01: held from 2020 until 2023-11-16 "
        "according to 000, 001, 002, 003"
    )
    unknown = kg("as-of", "2022-01-01", "ifs", "partOf", "ministry-of-public-security", columns=200)
    assert unknown.output.splitlines()[0] == (
        "unknown: ifs partOf ministry-of-public-security on 2022-01-01: no article says when "
        "it held"
    )
    assert kg("as-of", "2022-13-01").output == "kg: '2022-13-01' is not a day — write YYYY-MM-DD\n"


# --- 3. corroboration that counts what it says --------------------------------------------------


def test_an_article_with_an_unknown_outlet_is_not_an_outlet(kg):
    found = json.loads(kg("corroboration", "--json").output)
    part = next(
        r for r in found if (r["subject"], r["object"]) == ("ifs", "ministry-of-public-security")
    )
    assert part["outlets"] == ["scmp", "voa"]  # 000 (AFP copy) and 003 name no outlet
    assert part["agencies"] == ["afp"] and part["sources"] == 4 and len(part["articles"]) == 4
    assert json.loads(kg("corroboration", "--min-outlets", "3", "--json").output) == []


def test_min_articles(kg):
    found = json.loads(kg("corroboration", "--min-articles", "4", "--json").output)
    assert found and all(len(r["articles"]) >= 4 for r in found)
    table = kg("corroboration", "--min-articles", "4").output
    header = table.splitlines()[1].split()
    assert header == ["triple", "articles", "outlets", "agencies", "sources", "article", "ids"]


def test_single_source_entities_as_a_command(kg):
    result = kg("single-source", "--single-article", "--type", "Person")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "3 entities with a single independent source"
    assert "rayhan-asat" in result.output and "outlet:voa" in result.output
    every = json.loads(kg("single-source", "--json").output)
    assert every and all(e["source"] and e["label"] and e["type"] for e in every)
    assert "ifs" not in {e["id"] for e in every}  # four sources
    rows = [make_row("a", "p", "b", "x1", agency="afp"), make_row("c", "p", "b", "x2")]
    assert [e["id"] for e in single_source_entities(rows)] == ["a", "c"]
    assert [e["id"] for e in single_source_entities(rows, single_article=True)] == ["a", "c"]
    rows.append(make_row("a", "q", "d", "x3", agency="afp"))  # a: one agency, two articles
    assert [e["id"] for e in single_source_entities(rows, single_article=True)] == ["c", "d"]


# --- 4. tables that survive any width -----------------------------------------------------------

WIDTHS = (60, 80, 160)


def _fits(output: str, width: int) -> bool:
    return all(cell_len(line) <= width for line in output.splitlines())


@pytest.mark.parametrize("width", WIDTHS)
def test_single_source_triples_keep_their_article_ids(kg, width):
    result = kg("corroboration", "--single-source", columns=width)
    assert result.exit_code == 0 and _fits(result.output, width)
    found = json.loads(kg("corroboration", "--single-source", "--json").output)
    words = set(result.output.split())
    for row in found:
        for article in row["articles"]:
            assert article[:3] in words or f"{article[:3]}," in words


@pytest.mark.parametrize("width", WIDTHS)
def test_query_never_splits_an_id(kg, width):
    text = "SELECT ?e ?label WHERE { ?e rdfs:label ?label } ORDER BY ?e"
    result = kg("query", text, columns=width)
    assert result.exit_code == 0 and _fits(result.output, width)
    assert "entity:biden-administration" in result.output.split()
    assert "entity:china-national-narcotics-control-commission" in result.output.split()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "args",
    [
        ("show", "ifs"),
        ("show", "china"),
        ("sources", "united-states", "delisted", "ifs"),
        ("timeline",),
        ("conflicts",),
        ("claims", "--speaker", "matthew-miller"),
        ("articles",),
        ("entities",),
        ("stats",),
        ("paths", "xi-jinping", "ifs"),
    ],
)
def test_tables_fit_and_keep_their_key_columns(kg, width, args):
    result = kg(*args, columns=width)
    assert result.exit_code == 0, result.output
    assert _fits(result.output, width), f"{args} wider than {width}"
    words = {w.strip(",;()") for w in result.output.split()}
    speakers = args[0] in ("show", "sources", "claims", "conflicts")  # every speaker shown
    for key in _key_values(json.loads(kg(*args, "--json").output), speakers):
        assert key in words, f"{args} at {width} columns lost or split {key!r}"


def _key_values(data: object, speakers: bool) -> set[str]:
    """The values a table must print whole: article numbers (and speakers), anywhere in the
    JSON of a command."""
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "article" and isinstance(value, str):
                found.add(value[:3])
            elif key == "articles" and isinstance(value, list):
                found.update(a[:3] for a in value if isinstance(a, str))
            elif key == "speaker" and isinstance(value, str):
                found |= {value} if speakers else set()
            else:
                found |= _key_values(value, speakers)
    elif isinstance(data, list):
        for item in data:
            found |= _key_values(item, speakers)
    return found


def test_show_has_speaker_validity_when_and_notes(kg):
    result = kg("show", "ifs", columns=260)  # room for the basis of inferred dates
    header = next(line for line in result.output.splitlines() if line.startswith("claim "))
    assert header.split() == [
        "claim",
        "when",
        "basis",
        "speaker",
        "certainty",
        "article",
        "quote",
        "note",
    ]
    assert "Given as the reason for the 2020 listing." in result.output  # a claim's note
    assert "listedOn entity-list" in result.output and "2020 to 2023-11-16" in result.output
    assert "us-state-department" in result.output


def test_wide_prints_quotes_in_full(kg):
    found = json.loads(kg("sources", "united-states", "delisted", "ifs", "--json").output)
    quote = f"“{found[0]['quote']}”"
    assert len(quote) > 90
    short = kg("sources", "united-states", "delisted", "ifs", columns=400).output
    assert quote not in short and "sanctions…" in short
    assert quote in kg("sources", "united-states", "delisted", "ifs", "--wide", columns=400).output


def test_an_empty_result_is_one_line(kg):
    result = kg("query", "SELECT ?x WHERE { ?x kg:nothing ?y }")
    assert (result.exit_code, result.output) == (0, "0 rows\n")


# --- 5. every user error one line with a hint and the README's exit code -----------------------


def test_query_parameters_take_names(kg):
    result = kg("query", "who-said-what", "--param", "speaker=Matt Miller", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.count("matthew-miller") >= 10


def test_query_parameter_name_for_an_endpoint_is_one_line():
    result = CliRunner().invoke(
        main,
        [
            "query",
            "who-said-what",
            "--param",
            "speaker=Matt Miller",
            "--endpoint",
            "http://127.0.0.1:9/query",
        ],
    )
    assert (result.exit_code, result.output) == (
        1,
        "kg: parameter speaker: 'Matt Miller' is not an entity id — give its id "
        '(`kg entities "Matt Miller"` finds it)\n',
    )


def test_a_long_one_line_query_is_not_a_file_name(kg):
    text = "SELECT ?e WHERE { ?e rdfs:label ?label FILTER(CONTAINS(?label, '" + "x" * 300 + "')) }"
    result = kg("query", text)
    assert (result.exit_code, result.output) == (0, "0 rows\n")


def test_stats_read_json_ld(built_exports):
    result = CliRunner().invoke(
        main, ["stats", "--json", "--from", str(built_exports / "kg.jsonld")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["articles"] == 5


def test_paths_between_components(kg):
    result = kg("paths", "ifs", "france", "--max-hops", "10")
    assert (result.exit_code, result.output) == (
        1,
        "kg: no path between 'ifs' and 'france': they are in different components (no chain "
        "of relations links them) — `kg neighbours` shows what each is linked to\n",
    )


def test_missing_from_file_is_one_line_exit_1():
    result = CliRunner().invoke(main, ["stats", "--from", "/no/such/kg.nq"])
    assert (result.exit_code, result.output) == (
        1,
        "kg: /no/such/kg.nq: no such file — give an export (kg.nq, kg.trig, kg.jsonld), an "
        "exports folder or a store; `kg build` writes exports/\n",
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["shw", "ifs"], "kg: No such command 'shw'. Did you mean 'show'? — see 'kg --help'\n"),
        (["paths", "ifs"], "kg: Missing argument 'B' — see 'kg paths --help'\n"),
        (
            ["paths", "a", "b", "--max-hops", "11"],
            "kg: Invalid value for '--max-hops': 11 is not in the range 1<=x<=10 — see "
            "'kg paths --help'\n",
        ),
        (["stats", "--colour"], "kg: No such option '--colour' — see 'kg stats --help'\n"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args, expected):
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.output) == (2, expected)


def test_ingest_with_an_unknown_outlet_lists_the_outlets(make_tree, tmp_path):
    outlets = "- id: voa\n  type: Outlet\n  label: Voice of America\n"
    tree = make_tree(entities=BASE_ENTITIES + outlets, claims=BASE_CLAIMS)
    story = tmp_path / "story.txt"
    story.write_text("The United States removed the IFS.\n")
    result = CliRunner().invoke(
        main, ["ingest", str(story), "--outlet", "reuters", "--root", str(tree)]
    )
    assert (result.exit_code, result.output) == (
        1,
        "kg: --outlet 'reuters' is not an entity of data/entities.yaml — known outlets: voa; "
        "add it as an Outlet first, or leave --outlet out\n",
    )


def test_ingest_examples_name_outlets_that_exist():
    entities = (ROOT / "data/entities.yaml").read_text(encoding="utf-8")
    ids = set(re.findall(r"^- id: (\S+)", entities, re.MULTILINE))
    helped = CliRunner().invoke(main, ["ingest", "--help"]).output
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"kg ingest \S+ --outlet (\S+)", helped + readme)
    assert named and set(named) <= ids


def test_the_as_of_query_points_to_the_yes_no_answer(kg):
    result = kg("query", "as-of", "--param", "day=2024-01-01", columns=200)
    assert (result.exit_code, result.output) == (
        0,
        "0 rows — `kg as-of DAY S P O` answers yes or no for one triple, with the quotes that "
        "began or ended it\n",
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("timeline", "--before", "2023-02-30"),
            "kg: 2023-02-30 is not a real date (day is out of range for month) — write YYYY, "
            "YYYY-MM or YYYY-MM-DD\n",
        ),
        (("articles", "9"), "kg: no article '9' — `kg articles` lists them\n"),
        (("claims", "--article", "00"), None),  # ambiguous prefix: suggestions
        (
            ("claims", "--speaker", "Mat Miller"),
            "kg: no entity called 'Mat Miller' — did you mean 'matthew-miller'?\n",
        ),
    ],
)
def test_more_user_errors_are_one_line(kg, args, expected):
    result = kg(*args, columns=300)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("kg: ")
    if expected:
        assert result.output == expected
    assert "Traceback" not in result.output


def test_an_unknown_type_lists_the_types(kg):
    result = kg("single-source", "--type", "Thing", columns=300)
    assert result.exit_code == 1
    assert result.output.startswith("kg: unknown type 'Thing' — the types are Activity, Agent,")
