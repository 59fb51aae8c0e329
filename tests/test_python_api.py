"""The Python library as a data scientist meets it: the object ``g.entity()`` returns is
accepted wherever an entity is asked for, and nothing fails silently."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.errors import EntityNotFound
from kg.knowledge import EntityInfo, KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent


# --- 1. one entity resolver, used by every method -------------------------------------------


@pytest.fixture(scope="module")
def ifs(graph: KnowledgeGraph) -> EntityInfo:
    return graph.entity("ifs")


def test_entity_accepts_its_own_object_and_iri(graph, ifs):
    assert graph.entity(ifs) is ifs
    assert graph.entity(ifs.iri) is ifs
    assert graph.entity("Institute of Forensic Science") is ifs


def test_claims_take_the_entity_object_as_subject_and_object(graph, ifs):
    assert graph.claims(subject=ifs) == graph.claims(subject="ifs")
    assert len(graph.claims(subject=ifs)) > 0
    by_object = graph.claims(object=ifs)
    assert by_object == graph.claims(object="ifs")
    assert by_object  # once silently empty
    assert {c["object"] for c in by_object} == {"ifs"}


def test_sources_paths_neighbours_timeline_show_take_the_entity_object(graph, ifs):
    us, xi = graph.entity("US"), graph.entity("Xi Jinping")
    assert graph.sources(us, "delisted", ifs) == graph.sources("united-states", "delisted", "ifs")
    assert graph.sources(us, "delisted", ifs)
    assert graph.paths(xi, ifs) == graph.paths("xi-jinping", "ifs")
    assert graph.neighbours(ifs) == graph.neighbours("ifs")
    assert graph.timeline(ifs) == graph.timeline("ifs")
    assert graph.show(ifs) == graph.show("ifs")


def test_sources_of_a_claim_object(graph, ifs):
    claim = graph.claims(subject=ifs, predicate="partOf")[0]
    assert graph.sources(claim) == graph.sources("ifs", "partOf", claim["object"])
    with pytest.raises(TypeError):
        graph.sources(claim, "partOf")


def test_named_query_parameters_take_the_entity_object(graph):
    us = graph.entity("US")
    assert graph.query_named("delistings", subject=us) == graph.query_named(
        "delistings", subject="US"
    )


def test_to_html_focus_takes_the_entity_object(graph, ifs, tmp_path):
    page = graph.to_html(tmp_path / "focus.html", focus=ifs)
    assert page.entities > 1
    assert page.path.read_bytes() == graph.to_html(tmp_path / "id.html", focus="ifs").html


def test_unknown_entity_raises_the_error_the_cli_prints(graph):
    with pytest.raises(EntityNotFound) as err:
        graph.claims(object="Xi Jinpin")  # once: silently no claims
    printed = CliRunner().invoke(main, ["show", "Xi Jinpin", "--root", str(ROOT)])
    assert printed.exit_code == 1
    assert printed.output.strip() == f"kg: {err.value}"
    for call in (
        lambda: graph.claims(subject="Xi Jinpin"),
        lambda: graph.sources("Xi Jinpin", "delisted", "ifs"),
        lambda: graph.timeline("Xi Jinpin"),
        lambda: graph.to_html("never-written.html", focus="Xi Jinpin"),
    ):
        with pytest.raises(EntityNotFound, match="no entity called 'Xi Jinpin'"):
            call()
    assert not Path("never-written.html").exists()


def test_entity_of_another_graph_is_found_by_id_or_not_at_all(graph):
    stranger = EntityInfo("no-such", "https://example.org/no-such", "Person", "Nobody", ())
    with pytest.raises(EntityNotFound, match="no entity called 'no-such'"):
        graph.entity(stranger)
    with pytest.raises(TypeError, match="an entity is given by id"):
        graph.entity(42)  # type: ignore[arg-type]


def test_literal_objects_still_match_values(graph):
    assert graph.claims(object=110000) == graph.claims(object="110,000")
    assert graph.claims(object=110000)
