"""kg diff: what a change to data/ adds to and removes from the graph, with sources."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

import kg
from kg.cli import main
from kg.diff import diff_graph, format_diff
from kg.errors import StoreError
from tests.conftest import BASE_CLAIMS, BASE_ENTITIES, BASE_TEXT, article_record

DELISTED = """\
- subject: united-states
  predicate: delisted
  object: ifs
  quote: The United States removed the Institute of Forensic Science
  start: 0
  date: 2023-11-16
  inferred: {date: {words: The United States removed, reasoning: the test's removal day}}
"""
PART_OF = BASE_CLAIMS[len(DELISTED) :]
NEW_CLAIM = """\
- subject: ministry-of-public-security
  predicate: partOf
  object: united-states
  quote: Ministry of Public Security
  start: 109
"""


@pytest.fixture
def built(make_tree):
    tree = make_tree()
    kg.build(tree, "exports", shacl=False, html=False)
    return tree


def test_no_change(built):
    result = diff_graph(built)
    assert result.empty
    assert format_diff(result) == (
        "kg diff: data/ compared with exports/kg.nq (working copy)\nno change"
    )


def test_claims_added_removed_and_changed_with_sources(built, monkeypatch):
    monkeypatch.chdir(built)  # a relative --base is read from the current folder first
    claims = built / "data" / "claims" / "a1.yaml"
    claims.write_text(PART_OF + "  certainty: approximate\n" + NEW_CLAIM)
    entities = built / "data" / "entities.yaml"
    entities.write_text(entities.read_text().replace("aliases: [IFS]", "aliases: [IFS, I.F.S.]"))
    result = diff_graph(built, base="exports/kg.nq")
    assert format_diff(result).splitlines() == [
        "kg diff: data/ compared with exports/kg.nq",
        "claims added (1):",
        "  + Ministry of Public Security (ministry-of-public-security) —part of→ United States "
        "(united-states)  [new triple]",
        '      a1 @109: "Ministry of Public Security"',
        "claims removed (1):",
        "  - United States (united-states) —delisted→ Institute of Forensic Science (ifs)  "
        "[triple gone]",
        '      a1 @0: "The United States removed the Institute of Forensic Science"',
        "claims changed (1):",
        "  ~ Institute of Forensic Science (ifs) —part of→ Ministry of Public Security "
        "(ministry-of-public-security)",
        '      a1 @82: "The IFS operates under the Ministry of Public Security"',
        "      certainty: 'stated' → 'approximate'",
        "entity and article statements added (1):",
        '  + entity:ifs skos:altLabel "I.F.S."  (Institute of Forensic Science)',
        "claims: +1 -1 ~1 (1 new triples, 1 gone); statements: +1 -0; ontology: +0 -0",
    ]
    assert BASE_TEXT[109:136] == "Ministry of Public Security"


def test_a_second_article_saying_the_same_is_another_source(make_tree):
    second = "Officials said: The United States removed the Institute of Forensic Science.\n"
    records = article_record("a1", BASE_TEXT) + article_record("a2", second)
    tree = make_tree(
        articles=article_record("a1", BASE_TEXT)
        + article_record("a2", second, no_claims='"not curated yet"'),
        files={"data/articles/a2.txt": second, "data/claims/a2.yaml": "[]\n"},
    )
    kg.build(tree, "exports", shacl=False, html=False)
    (tree / "data" / "articles.yaml").write_text(records)  # curated now
    (tree / "data" / "claims" / "a2.yaml").write_text(
        DELISTED.replace("start: 0", "start: 16").split("  date:")[0]
    )
    result = diff_graph(tree)
    [change] = result.claims
    assert (change.change, change.article, change.triple) == ("added", "a2", "kept")
    assert "[another source]" in format_diff(result)
    data = json.loads(json.dumps(result.as_dict()))
    assert data["claims"][0] == {
        "change": "added",
        "article": "a2",
        "subject": "united-states",
        "predicate": "delisted",
        "object": "ifs",
        "object_is_entity": True,
        "speaker": None,
        "triple": "kept",
        "quote": "The United States removed the Institute of Forensic Science",
        "start": 16,
    }
    assert data["summary"] == {
        "claims_added": 1,
        "claims_removed": 0,
        "claims_changed": 0,
        "new_triples": 0,
        "gone_triples": 0,
    }


def test_default_base_is_the_committed_export(built):
    git = ["git", "-C", str(built), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    if shutil.which("git") is None:
        pytest.fail("git is needed for this test")
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "exports/kg.nq"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "exports"], check=True)
    (built / "data" / "claims" / "a1.yaml").write_text(PART_OF)
    # the working copy now matches data/ (dropping a claim of two needs allow_drop)
    kg.build(built, "exports", shacl=False, html=False, allow_drop=True)
    result = diff_graph(built)
    assert result.base == "exports/kg.nq (committed, HEAD)"
    assert [(c.change, c.predicate) for c in result.claims] == [("removed", "delisted")]
    assert diff_graph(built, base=built / "exports" / "kg.nq").empty


def test_missing_base_says_what_to_do(make_tree):
    tree = make_tree()
    with pytest.raises(StoreError) as caught:
        diff_graph(tree)
    assert str(caught.value) == (
        "exports/kg.nq: no export to compare with — run `kg build` once "
        "(and commit exports/), or pass --base EXPORT"
    )


def test_cli_diff_text_and_json(built):
    (built / "data" / "claims" / "a1.yaml").write_text(PART_OF)
    runner = CliRunner()
    text = runner.invoke(main, ["diff", "--root", str(built)])
    assert text.exit_code == 0, text.output
    assert text.output.splitlines()[1:3] == [
        "claims removed (1):",
        "  - United States (united-states) —delisted→ Institute of Forensic Science (ifs)  "
        "[triple gone]",
    ]
    as_json = runner.invoke(main, ["diff", "--root", str(built), "--json"])
    data = json.loads(as_json.output)
    assert [(c["change"], c["subject"], c["article"]) for c in data["claims"]] == [
        ("removed", "united-states", "a1")
    ]


def test_cli_diff_refuses_invalid_data(built):
    (built / "data" / "entities.yaml").write_text(BASE_ENTITIES.replace("id: ifs", "id: IFS"))
    result = CliRunner().invoke(main, ["diff", "--root", str(built)])
    assert result.exit_code == 1
    assert "data/entities.yaml:5:7: entity id 'IFS' is not a lowercase slug" in result.output
