"""The exports for other tools, read back by those tools: CSV (csv module), GraphML (networkx,
igraph), FollowTheMoney (the followthemoney package)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from kg.api import validate
from kg.csvexport import CLAIM_COLUMNS, ENTITY_COLUMNS, LIST_SEPARATOR, claims_csv, entities_csv
from kg.ftm import SCHEMA_OF_CLASS, ftm_json
from kg.model import INFERABLE_PARTS, Curation
from kg.ontology import load_ontology
from kg.rdf import claim_node
from kg.tablepieces import table_files
from tests.conftest import need_module

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def curation() -> Curation:
    return validate(ROOT)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- CSV ------------------------------------------------------------------------------------


def test_claims_csv_has_one_row_per_claim_with_its_quote_at_its_offsets(
    built_exports: Path, curation: Curation
) -> None:
    rows = read_csv(built_exports / "claims.csv")
    assert list(rows[0]) == list(CLAIM_COLUMNS)
    assert len(rows) == len(curation.claims)
    assert {r["claim"] for r in rows} == {str(claim_node(c)) for c in curation.claims}
    for row in rows:
        text = curation.articles[row["article"]].text
        assert text[int(row["start"]) : int(row["end"])] == row["quote"], row["claim"]
        assert row["subject_label"] == curation.entities[row["subject"]].label
        if row["object_kind"] == "entity":
            assert row["object_label"] == curation.entities[row["object"]].label
        else:
            assert row["object_label"] == row["object"]
        if row["speaker"]:
            assert row["speaker_label"] == curation.entities[row["speaker"]].label
    by_id = {str(claim_node(c)): c for c in curation.claims}
    for row in rows:
        claim = by_id[row["claim"]]
        assert row["certainty"] == claim.certainty
        assert row["date"] == (str(claim.date) if claim.date else "")
        assert row["valid_from"] == (str(claim.valid_from) if claim.valid_from else "")
        assert row["valid_until"] == (str(claim.valid_until) if claim.valid_until else "")
        assert row["obtained"] == claim.obtained
        for part in INFERABLE_PARTS:
            basis = claim.basis(part)
            assert row[f"{part}_basis"] == (basis.summary() if basis else ""), (part, row["claim"])
        if row["scope"]:
            assert row["scope_label"] == curation.entities[row["scope"]].label
    inferred = [r for r in rows if r["obtained"] == "inferred"]
    assert inferred and all(any(r[f"{part}_basis"] for part in INFERABLE_PARTS) for r in inferred)
    delisting = next(
        r for r in rows if r["predicate"] == "delisted" and r["article"].startswith("001_")
    )
    voa = curation.entities["voa"].label
    assert (delisting["outlet"], delisting["outlet_label"], delisting["date"]) == (
        "voa",
        voa,
        "2023-11-16",
    )
    assert delisting["published_basis"]  # the article's date comes with how it was established


def test_entities_csv_lists_every_entity_with_its_aliases(
    built_exports: Path, curation: Curation
) -> None:
    rows = read_csv(built_exports / "entities.csv")
    assert list(rows[0]) == list(ENTITY_COLUMNS)
    assert [r["id"] for r in rows] == sorted(curation.entities)
    for row in rows:
        entity = curation.entities[row["id"]]
        aliases = row["aliases"].split(LIST_SEPARATOR) if row["aliases"] else []
        assert tuple(aliases) == entity.aliases
        assert (row["type"], row["label"]) == (entity.type, entity.label)
    ifs = next(r for r in rows if r["id"] == "ifs")
    named = [c for c in curation.claims if "ifs" in (c.subject, c.object, c.attributed_to)]
    assert int(ifs["claims"]) == len(named) > 10
    assert int(ifs["articles"]) == len({c.article for c in named}) >= 4


def test_the_tables_are_written_to_disk_in_the_order_of_the_whole_curation(
    curation: Curation, tmp_path: Path
) -> None:
    """A build writes claims.csv and kg.ftm.json article by article to files and orders them
    there (memory holds an index, not a gigabyte of rows at a million claims): the bytes are
    those of the whole-curation writers, whatever order the claims come in."""
    backwards = replace(curation, claims=tuple(reversed(curation.claims)))
    ontology = load_ontology()
    files = table_files(backwards, ontology, None, tmp_path)
    for name in ("claims.csv", "kg.ftm.json"):
        assert files[name] == [tmp_path / name], name  # a file, not bytes in memory
    assert files["claims.csv"][0].read_bytes() == claims_csv(backwards, ontology)
    assert files["kg.ftm.json"][0].read_bytes() == ftm_json(backwards, ontology)
    assert files["entities.csv"] == entities_csv(backwards)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.csv", "kg.ftm.json"]
    empty = replace(curation, claims=(), entities={}, articles={})
    made = table_files(empty, ontology, None, tmp_path / "empty")
    assert made["kg.ftm.json"][0].read_bytes() == ftm_json(empty, ontology) == b"\n"
    assert made["claims.csv"][0].read_bytes() == claims_csv(empty, ontology)


# --- GraphML --------------------------------------------------------------------------------


def test_graphml_edges_have_unique_ids_and_survive_networkx(built_exports: Path) -> None:
    text = (built_exports / "kg.graphml").read_text(encoding="utf-8")
    graph = nx.read_graphml(io.StringIO(text), force_multigraph=True)
    ids = [key for _, _, key in graph.edges(keys=True)]
    assert len(ids) == text.count("<edge ") > 50
    assert len(set(ids)) == len(ids)  # strict readers would merge repeated ids
    for u, v, key, data in graph.edges(keys=True, data=True):
        assert key == f"{u}.{data['predicate']}.{v}"
        claims = json.loads(data["claims"])  # list attributes are JSON arrays (README)
        assert isinstance(claims, list) and claims
        assert all(c["subject"] == u and c["object"] == v for c in claims)
        assert json.loads(data["articles"]) == sorted({c["article"] for c in claims})


def test_readme_documents_every_list_attribute_of_the_graphml(built_exports: Path) -> None:
    graph = nx.read_graphml(built_exports / "kg.graphml", force_multigraph=True)
    listed = {
        name
        for _, attrs in [*graph.nodes(data=True), *((e[0], e[2]) for e in graph.edges(data=True))]
        for name, value in attrs.items()
        if isinstance(value, str) and value.startswith("[")
    }
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("GraphML has no list type") :][:1200]
    assert listed and all(f"`{name}`" in section for name in listed), listed


def test_graphml_reads_in_igraph(built_exports: Path) -> None:
    igraph = need_module("igraph")
    path = built_exports / "kg.graphml"
    strict = igraph.Graph.Read_GraphML(str(path))
    loose = nx.read_graphml(path, force_multigraph=True)
    assert (strict.vcount(), strict.ecount()) == (loose.number_of_nodes(), loose.number_of_edges())
    names = strict.vs["id"]
    edges = {(names[e.source], e["predicate"], names[e.target]) for e in strict.es}
    assert edges == {(u, d["predicate"], v) for u, v, d in loose.edges(data=True)}
    assert len(edges) == strict.ecount()


# --- FollowTheMoney -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ftm_lines(built_exports: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (built_exports / "kg.ftm.json").read_text().splitlines()]


def test_every_ftm_entity_is_valid_in_the_followthemoney_model(
    ftm_lines: list[dict[str, Any]],
) -> None:
    model = need_module("followthemoney").model
    ids = {line["id"]: line["schema"] for line in ftm_lines}
    assert len(ids) == len(ftm_lines)
    assert [line["id"] for line in ftm_lines] == sorted(ids)
    for line in ftm_lines:
        schema = model.get(line["schema"])
        assert schema is not None and not schema.abstract, line["schema"]
        proxy = model.get_proxy(line)  # cleans: ids, dates, URLs, references
        assert proxy.id == line["id"]
        for name, values in line["properties"].items():
            prop = schema.get(name)
            assert prop is not None, f"{line['schema']} has no property {name}"
            assert sorted(proxy.get(name)) == sorted(values), (line["id"], name)
            if prop.type.name == "entity":
                for ref in values:
                    assert model.get(ids[ref]).is_a(prop.range), (line["id"], name, ref)
        assert proxy.caption  # every entity shows a name in Aleph


def test_ftm_validate_re_emits_every_entity_unchanged(built_exports: Path) -> None:
    need_module("followthemoney")
    source = built_exports / "kg.ftm.json"
    ftm = [sys.executable, "-c", "from followthemoney.cli.cli import cli; cli()"]  # the ftm command
    done = subprocess.run(
        [*ftm, "validate", "-i", str(source)], capture_output=True, check=True, timeout=120
    )
    ours = [json.loads(line) for line in source.read_text().splitlines()]
    theirs = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [(e["id"], e["schema"], e["properties"]) for e in theirs] == [
        (e["id"], e["schema"], e["properties"]) for e in ours
    ]


def test_the_entity_list_listings_are_sanctions_with_their_sources(
    ftm_lines: list[dict[str, Any]], curation: Curation
) -> None:
    sanctions = [line["properties"] for line in ftm_lines if line["schema"] == "Sanction"]
    listings = [
        c for c in curation.claims if c.predicate == "listedOn" and c.object == "entity-list"
    ]
    assert len(sanctions) == len(listings) == 4
    for props in sanctions:
        assert props["entity"] == ["kg-ifs"] and props["program"] == ["Entity List"]
        assert props["authority"] == ["Commerce Department", "United States"]
        assert props["startDate"] == ["2020"]
    assert sorted(p.get("endDate", [""])[0] for p in sanctions).count("2023-11-16") == 3


def test_every_ftm_statement_names_its_article_and_quote(
    ftm_lines: list[dict[str, Any]], curation: Curation
) -> None:
    articles = {line["id"]: line for line in ftm_lines if line["schema"] == "Article"}
    assert len(articles) == len(curation.articles)
    claims = {f"kg-claim-{str(claim_node(c)).rsplit('/', 1)[-1]}": c for c in curation.claims}
    statements = [line for line in ftm_lines if line["id"].startswith("kg-claim-")]
    assert len(statements) > 100
    for line in statements:
        claim = claims[line["id"]]
        props = line["properties"]
        assert props["summary"] == [claim.quote.exact]
        assert props["proof"][0] in articles
        assert articles[props["proof"][0]]["properties"]["title"] == [
            curation.articles[claim.article].title
        ]
        assert f"{claim.quote.start}-{claim.quote.end}" in props["description"][0]
        for part, basis in claim.inferred:
            assert f"{part} inferred {basis.summary()}" in props["description"][0]
    schemas = {line["schema"] for line in ftm_lines}
    assert set(SCHEMA_OF_CLASS.values()) <= schemas
    assert {"Article", "Sanction", "UnknownLink", "Note"} <= schemas
