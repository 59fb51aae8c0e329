"""The query commands of the CLI, through click's CliRunner, against the real seed data.

Most invocations read the seed graph from an N-Quads dump (``--from``) so that each one takes
milliseconds; a few build from data/ to cover the default.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from kg.cli import main
from tests.conftest import BASE_CLAIMS, BASE_ENTITIES

ROOT = Path(__file__).resolve().parent.parent
A000, A001, A002, A003, A004 = sorted(p.stem for p in (ROOT / "data/articles").glob("*.txt"))
QUESTIONS = [
    "show",
    "sources",
    "paths",
    "neighbours",
    "conflicts",
    "timeline",
    "corroboration",
    "stats",
    "query",
]


@pytest.fixture(scope="module")
def dump(graph, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "kg.nq"
    graph.store.dump(str(path), format=ox.RdfFormat.N_QUADS)
    return path


@pytest.fixture(scope="module")
def kg_cli(dump):
    """Run ``kg ARGS --from DUMP`` with a wide console, so table cells do not wrap."""

    def run(*args: str, data: bool = False) -> Result:
        extra = [] if data else ["--from", str(dump)]
        return CliRunner(env={"COLUMNS": "400"}).invoke(main, [*args, *extra])

    return run


@pytest.mark.parametrize("command", QUESTIONS)
def test_every_question_has_help_with_an_example(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and f"kg {command}" in result.output
    assert "--json" in result.output and "--from" in result.output


def test_show_prints_the_entity_and_its_claims(kg_cli):
    result = kg_cli("show", "IFS")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Institute of Forensic Science  ifs · GovernmentAgency\n")
    assert "relations from it" in result.output
    assert "\npartOf ministry-of-public-security " in result.output


def test_show_json_and_default_data_folder(kg_cli):
    result = kg_cli("show", "Matt Miller", "--json", data=True)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["entity"]["id"] == "matthew-miller"
    assert {"outgoing", "incoming", "facts", "said"} <= set(report)


def test_unknown_entity_is_one_line_with_suggestions(kg_cli):
    result = kg_cli("show", "Xi Jinpin")
    assert result.exit_code == 1
    assert result.output == "kg: no entity called 'Xi Jinpin' — did you mean 'xi-jinping'?\n"


def test_sources_lists_every_article_with_quote(kg_cli):
    result = kg_cli("sources", "ifs", "partOf", "Ministry of Public Security")
    assert result.exit_code == 0, result.output
    assert "ifs partOf Ministry of Public Security: 4 articles" in result.output
    for article in ("000", "001", "002", "003"):  # short ids: every command accepts them
        assert f"\n{article}  " in result.output
    assert (
        "“the IFS, which operates under the Chinese Ministry of Public Security”" in result.output
    )
    data = json.loads(
        kg_cli("sources", "ifs", "partOf", "ministry-of-public-security", "--json").output
    )
    assert [(s["article"], s["outlet"], s["agency"]) for s in data] == [
        (A000, None, "afp"),
        (A001, "voa", None),
        (A002, "scmp", None),
        (A003, None, None),
    ]


def test_sources_of_a_triple_nobody_states_exits_1(kg_cli):
    result = kg_cli("sources", "ifs", "partOf", "china")
    assert result.exit_code == 1
    assert result.output == "kg: no article states ifs partOf china\n"


def test_sources_with_a_misspelt_predicate(kg_cli):
    result = kg_cli("sources", "ifs", "partof", "china")
    assert result.exit_code == 1
    assert result.output == "kg: unknown predicate 'partof' — did you mean 'partOf'?\n"


def test_paths_from_xi_jinping_to_the_ministry(kg_cli):
    result = kg_cli("paths", "Xi Jinping", "Ministry of Public Security")
    assert result.exit_code == 0, result.output
    assert "1. xi-jinping → china ← ministry-of-public-security  (2 hops)" in result.output
    assert "xi-jinping headOf china" in result.output
    assert "ministry-of-public-security partOf china" in result.output
    found = json.loads(
        kg_cli("paths", "xi-jinping", "ministry-of-public-security", "--json").output
    )
    first = found[0]["hops"]
    assert first[0]["relations"][0]["articles"] == [A000, A001, A003, A004]
    assert first[1]["relations"][0]["articles"] == [A000, A001, A002, A003]


def test_paths_out_of_reach_exits_1(kg_cli):
    result = kg_cli("paths", "xi-jinping", "ifs", "--max-hops", "1")
    assert result.exit_code == 1
    assert result.output == (
        "kg: no path between 'xi-jinping' and 'ifs' within 1 hops — the shortest has 3: "
        "use --max-hops 3\n"
    )


def test_neighbours_two_hops(kg_cli):
    result = kg_cli("neighbours", "ifs", "--hops", "2")
    assert result.exit_code == 0, result.output
    assert "entities near ifs" in result.output
    found = json.loads(kg_cli("neighbours", "ifs", "--hops", "2", "--json").output)
    by_id = {n["id"]: n["distance"] for n in found}
    assert by_id["ministry-of-public-security"] == 1 and by_id["china"] == 2


def test_conflicts_show_both_overdose_figures_with_their_quotes(kg_cli):
    result = kg_cli("conflicts", "--wide")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "contradiction: fentanyl annualOverdoseDeaths 100000 vs 73000" in out
    assert "united-states annualOverdoseDeaths" not in out
    assert "around 110,000 drug overdose deaths" in out
    assert "inferred object" in out and "two-thirds of them." in out
    assert "100000" in out and "some 100,000" in out
    assert "precision: fentanyl shareOfOverdoseDeaths" not in out  # 002 counts drug-related deaths
    assert "precision: ifs implicatedInAbuseOf uyghurs" in out
    assert "quote-variant: ifs-listing obstructed counternarcotics-cooperation" in out
    assert "compatible: biden-xi-summit location california vs woodside" in out
    assert "time: china sourceOf fentanyl" in out


def test_conflicts_json_filtered_by_kind(kg_cli):
    found = json.loads(kg_cli("conflicts", "--kind", "contradiction", "--json").output)
    assert found and {c["kind"] for c in found} == {"contradiction"}
    deaths = next(c for c in found if c["predicate"] == "annualOverdoseDeaths")
    assert {(c["article"], c["object"], c["obtained"]) for c in deaths["claims"]} == {
        (A000, "73000", "inferred"),
        (A004, "100000", "stated"),
    }


def test_timeline_of_an_entity(kg_cli):
    result = kg_cli("timeline", "ifs")
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    dated = [(w[0], w[1], w[3]) for w in lines if w and w[0][:2] in ("19", "20")]
    assert ("2020", "from", "listedOn") in dated
    assert dated.index(("2020", "from", "listedOn")) < dated.index(
        ("2023-11-16", "until", "listedOn")
    )
    whole = json.loads(kg_cli("timeline", "--json").output)
    assert len(whole) > len(json.loads(kg_cli("timeline", "ifs", "--json").output))


def test_corroboration_and_single_sources(kg_cli):
    found = json.loads(kg_cli("corroboration", "--min-articles", "4", "--json").output)
    assert ("ifs", "partOf", "ministry-of-public-security") in {
        (r["subject"], r["predicate"], r["object"]) for r in found
    }
    single = json.loads(kg_cli("corroboration", "--single-source", "--json").output)
    assert single and all(r["single_source"] and r["sources"] == 1 for r in single)
    table = kg_cli("corroboration", "--min-articles", "4")
    assert "ifs partOf ministry-of-public-security" in table.output
    assert "agencies" in table.output and "article ids" in table.output


def test_stats(kg_cli):
    data = json.loads(kg_cli("stats", "--json").output)
    assert data["articles"] == 5 and data["claims"] == sum(data["claims_by_article"].values())
    table = kg_cli("stats").output
    assert "claims by predicate" in table and "most central (PageRank)" in table


# --- kg query -----------------------------------------------------------------------------------


def test_query_list_names_every_named_query(kg_cli):
    result = kg_cli("query", "--list")
    assert result.exit_code == 0
    for name in (
        "as-of",
        "conflicts",
        "corroborated",
        "delistings",
        "part-of",
        "timeline",
        "who-said-what",
        "sources",
    ):
        assert name in result.output
    assert "day=day" in result.output


def test_query_as_of_answers_from_validity_intervals(kg_cli):
    on_2022 = kg_cli("query", "as-of", "--param", "day=2022-01-01", "--format", "csv")
    assert on_2022.exit_code == 0, on_2022.output
    assert (
        "https://kg.example/entity/ifs,https://kg.example/ontology#listedOn,"
        "https://kg.example/entity/entity-list"
    ) in on_2022.output
    on_2024 = kg_cli("query", "as-of", "--param", "day=2024-01-01", "--format", "csv")
    assert "entity/ifs,https://kg.example/ontology#listedOn" not in on_2024.output


def test_query_errors_are_one_line(kg_cli):
    cases = {
        ("query", "as-of"): "kg: named query 'as-of' needs day=YYYY-MM-DD (the day to ask about)\n",
        (
            "query",
            "as-of",
            "--param",
            "day=2022-13-01",
        ): "kg: parameter day: '2022-13-01' is not a day — write YYYY-MM-DD\n",
        (
            "query",
            "delisting",
        ): "kg: no named query, file or SPARQL text 'delisting' — did you mean delistings?\n",
        ("query", "missing.rq"): "kg: missing.rq: no such query file\n",
    }
    for args, message in cases.items():
        result = kg_cli(*args)
        assert (result.exit_code, result.output) == (1, message), args
    usage = kg_cli("query", "as-of", "--param", "day")
    assert usage.exit_code == 2 and "'day' is not KEY=VALUE" in usage.output


def test_query_text_as_table_and_in_every_format(kg_cli):
    text = "SELECT ?e ?label WHERE { ?e rdfs:label ?label FILTER(?e = entity:ifs) }"
    table = kg_cli("query", text)
    assert table.exit_code == 0, table.output
    assert "entity:ifs" in table.output and "Institute of Forensic Science" in table.output
    assert "1 row" in table.output
    as_json = json.loads(kg_cli("query", text, "--json").output)
    assert as_json["results"]["bindings"][0]["label"]["value"] == "Institute of Forensic Science"
    assert kg_cli("query", text, "--format", "csv").output.splitlines()[1] == (
        "https://kg.example/entity/ifs,Institute of Forensic Science"
    )
    assert kg_cli("query", text, "--format", "tsv").output.splitlines()[1] == (
        '<https://kg.example/entity/ifs>\t"Institute of Forensic Science"'
    )
    assert "<sparql" in kg_cli("query", text, "--format", "xml").output
    assert kg_cli("query", "ASK { entity:ifs kg:partOf entity:china }").output == "false\n"
    construct = kg_cli(
        "query",
        "CONSTRUCT { entity:ifs ?p ?o } WHERE { GRAPH ?g { entity:ifs "
        "kg:partOf ?o BIND(kg:partOf AS ?p) } }",
        "--format",
        "nt",
    )
    assert construct.output.strip() == (
        "<https://kg.example/entity/ifs> "
        "<https://kg.example/ontology#partOf> "
        "<https://kg.example/entity/ministry-of-public-security> ."
    )


def test_query_from_a_file_with_a_parameter(kg_cli, tmp_path):
    path = tmp_path / "labels.rq"
    path.write_text("SELECT ?e ?label WHERE { ?e rdfs:label ?label }\n")
    result = kg_cli("query", str(path), "--param", "e=entity:china", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["e,label", "https://kg.example/entity/china,China"]


def test_query_named_with_entity_alias_parameter(kg_cli):
    result = kg_cli("query", "delistings", "--param", "subject=US", "--json")
    rows = json.loads(result.output)["results"]["bindings"]
    assert sorted(r["article"]["value"] for r in rows) == [A000, A001, A002]


def test_labels_print_as_text_not_markup(make_tree):
    entities = BASE_ENTITIES.replace(
        "label: Institute of Forensic Science", 'label: "[bold red]IFS[/bold red] <img src=x>"'
    )
    tree = make_tree(entities=entities, claims=BASE_CLAIMS)
    result = CliRunner(env={"COLUMNS": "300"}).invoke(main, ["show", "ifs", "--root", str(tree)])
    assert result.exit_code == 0, result.output
    assert "[bold red]IFS[/bold red] <img src=x>" in result.output


# --- kg query --endpoint --------------------------------------------------------------------------


STUB_ANSWER = json.dumps(
    {
        "head": {"vars": ["label"]},
        "results": {"bindings": [{"label": {"type": "literal", "value": "from the stub"}}]},
    }
).encode()
SEEN: list[str] = []


class _Stub(BaseHTTPRequestHandler):
    """A SPARQL endpoint that records each request body and answers one fixed row."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        SEEN.append(self.rfile.read(length).decode())
        body = STUB_ANSWER
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    SEEN.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/query"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


def test_query_endpoint_sends_the_named_query_with_values_written_in(stub_endpoint):
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        main, ["query", "as-of", "--param", "day=2022-01-01", "--endpoint", stub_endpoint]
    )
    assert result.exit_code == 0, result.output
    assert "from the stub" in result.output
    [sent] = SEEN
    from urllib.parse import parse_qs

    text = parse_qs(sent).get("query", [sent])[0]
    day = '"2022-01-01"^^<http://www.w3.org/2001/XMLSchema#date>'
    assert f"SELECT ({day} AS ?day)" in text and f"STR({day})" in text  # bound in the text


def test_query_endpoint_that_is_down_exits_1(tmp_path):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    result = CliRunner().invoke(
        main,
        ["query", "delistings", "--format", "csv", "--endpoint", f"http://127.0.0.1:{port}/query"],
    )
    assert result.exit_code == 1
    assert result.output.startswith("kg: ") and f"127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output
