"""The relations in the default graph: each relation between two entities that an article's graph
holds, once, under its ``rel:`` predicate, each two entities such a relation links as
``rel:neighbour`` both ways round, and nothing else (no value, no background fact, no claim
predicate), never a source."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg
from kg import bench
from kg.errors import OntologyError
from kg.knowledge import KnowledgeGraph
from kg.ontology import load_ontology
from kg.rdf import BACKGROUND_GRAPH
from kg.synth import synthesize
from tests.conftest import BASE_CLAIMS, TreeFactory

ENTITY = "https://kg.example/entity/"
KG = "https://kg.example/ontology#"
REL = "https://kg.example/relation#"
NEIGHBOUR = f"{REL}neighbour"
DEFAULT = ox.DefaultGraph()
IDENTIFIER = ox.NamedNode("http://purl.org/dc/terms/identifier")


def _between_entities(store: ox.Store) -> list[tuple[str, str, str]]:
    """The default graph's triples between two entities, each with a rel: predicate (checked)."""
    found = []
    for q in store.quads_for_pattern(None, None, None, DEFAULT):
        if not (
            q.subject.value.startswith(ENTITY)
            and isinstance(q.object, ox.NamedNode)
            and q.object.value.startswith(ENTITY)
        ):
            assert not q.predicate.value.startswith(REL), q
            continue
        assert q.predicate.value.startswith(REL), q
        found.append((q.subject.value, q.predicate.value, q.object.value))
    return found


def _relations(store: ox.Store) -> list[tuple[str, str, str]]:
    """The default graph's relations, their rel: predicates as the claims' (rel:neighbour left
    out)."""
    return [(s, KG + p[len(REL) :], o) for s, p, o in _between_entities(store) if p != NEIGHBOUR]


def _neighbours(store: ox.Store) -> list[tuple[str, str]]:
    """The (a, b) of each ``a rel:neighbour b`` in the default graph."""
    return [(s, o) for s, p, o in _between_entities(store) if p == NEIGHBOUR]


def _stated_between_entities(store: ox.Store) -> set[tuple[str, str, str]]:
    """Every triple between two entities in a graph that has an identifier (an article's)."""
    articles = {q.subject for q in store.quads_for_pattern(None, IDENTIFIER, None)}
    return {
        (q.subject.value, q.predicate.value, q.object.value)
        for q in store
        if q.graph_name in articles
        and isinstance(q.object, ox.NamedNode)
        and q.subject.value.startswith(ENTITY)
        and q.object.value.startswith(ENTITY)
    }


def _check(graph: KnowledgeGraph) -> list[tuple[str, str, str]]:
    relations = _relations(graph.store)
    assert relations, "the default graph has no relation"
    assert len(set(relations)) == len(relations)
    assert set(relations) == _stated_between_entities(graph.store)
    neighbours = _neighbours(graph.store)
    assert len(set(neighbours)) == len(neighbours)  # each pair once each way round
    assert set(neighbours) == {pair for s, _p, o in relations for pair in ((s, o), (o, s))}
    return relations


def test_it_holds_each_relation_an_article_states_once_and_nothing_else(
    graph: KnowledgeGraph,
) -> None:
    relations = _check(graph)
    # several articles state the IFS is part of the ministry: the relations graph has it once
    part_of = (f"{ENTITY}ifs", f"{KG}partOf", f"{ENTITY}ministry-of-public-security")
    assert relations.count(part_of) == 1
    assert len(graph.sources("ifs", "partOf", "ministry-of-public-security")) >= 2
    # a background fact no article states is not a relation
    background = [
        (q.subject.value, q.predicate.value, q.object.value)
        for q in graph.store.quads_for_pattern(
            None, None, None, ox.NamedNode(str(BACKGROUND_GRAPH))
        )
        if q.subject.value.startswith(ENTITY) and q.object.value.startswith(ENTITY)
    ]
    assert (f"{ENTITY}san-francisco", part_of[1], f"{ENTITY}california") in background
    assert not set(background) & set(relations)


def test_every_relation_has_an_article_claiming_it(graph: KnowledgeGraph) -> None:
    for s, p, o in _relations(graph.store):
        names = (s.removeprefix(ENTITY), p.removeprefix(KG), o.removeprefix(ENTITY))
        sources = graph.sources(*names)
        assert sources, names
        assert all(row["article"] in graph.articles for row in sources), names


def test_the_committed_exports_hold_the_relations(root: Path, graph: KnowledgeGraph) -> None:
    exported = kg.load(root / "exports" / "kg.nq", root=root)
    assert _relations(exported.store) == _relations(graph.store)
    assert _neighbours(exported.store) == _neighbours(graph.store)
    _check(exported)


def test_the_readme_example_walks_two_relations(root: Path, graph: KnowledgeGraph) -> None:
    readme = (root / "README.md").read_text(encoding="utf-8")
    examples = [
        block
        for block in re.findall(r"```sparql\n(.*?)```", readme, re.S)
        if "GRAPH" not in block and "entity:ifs" in block
    ]
    assert examples
    for text in examples:
        found = {row["far"] for row in graph.sparql(text).rows}
        plain = graph.sparql(bench.TWO_HOP_TEXTBOOK, e=f"{ENTITY}ifs", max_rows=None).rows
        assert found == {row["n2"] for row in plain}
        assert len(found) > 5


def test_a_relation_goes_when_its_last_claim_goes(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    synthesize(root, claims=200, seed=5)
    kg.build(root, "exports")
    before = kg.load(root / "exports" / "kg.nq", root=root)
    once = {}  # a relation stated by one claim: (s, p, o) -> its claims file
    for s, p, o in _relations(before.store):
        rows = before.sources(s.removeprefix(ENTITY), p.rsplit("#", 1)[1], o.removeprefix(ENTITY))
        if len(rows) == 1:
            once[(s, p, o)] = rows[0]
    assert once
    (s, p, o), row = sorted(once.items())[0]
    claims = root / "data" / "claims" / f"{row['article']}.yaml"
    text = claims.read_text(encoding="utf-8")
    records = re.split(r"(?m)^(?=- subject:)", text)
    subject, obj = s.removeprefix(ENTITY), o.removeprefix(ENTITY)
    kept = [
        r
        for r in records
        if not (
            re.search(rf'(?m)^- subject: "?{re.escape(subject)}"?$', r)
            and re.search(rf'(?m)^  predicate: "?{re.escape(p.rsplit("#", 1)[1])}"?$', r)
            and re.search(rf'(?m)^  object: "?{re.escape(obj)}"?$', r)
        )
    ]
    assert len(kept) == len(records) - 1
    claims.write_text("".join(kept), encoding="utf-8")
    kg.build(root, "exports")  # incremental
    kg.build(root, "exports-full", full=True)
    after = kg.load(root / "exports" / "kg.nq", root=root)
    assert (s, p, o) not in _relations(after.store)
    assert len(_relations(after.store)) == len(_relations(before.store)) - 1
    _check(after)
    still_linked = any({a, b} == {s, o} for a, _p, b in _relations(after.store))
    assert ((s, o) in _neighbours(after.store)) is still_linked
    assert ((o, s) in _neighbours(after.store)) is still_linked
    for name in ("kg.nq", "kg.trig", "kg.jsonld"):
        assert (root / "exports" / name).read_bytes() == (root / "exports-full" / name).read_bytes()
    shutil.rmtree(root)


@pytest.mark.parametrize("claims", [300])
def test_a_synthetic_corpus_has_its_relations_too(tmp_path: Path, claims: int) -> None:
    root = tmp_path / "corpus"
    synthesize(root, claims=claims, seed=3)
    _check(kg.load(root=root))


def test_who_says_so_written_plainly_names_articles_only(graph: KnowledgeGraph) -> None:
    """Asked of every graph, what links two entities comes from the articles alone: the rel:
    relations are in no named graph, and the claims' predicates in no default graph."""
    rows = graph.sparql(
        "SELECT DISTINCT ?g ?p WHERE { GRAPH ?g { entity:united-states ?p entity:ifs } }"
    ).rows
    assert {str(row["p"]) for row in rows} == {f"{KG}delisted"}
    assert all(str(row["g"]).startswith("https://kg.example/article/") for row in rows)
    sources = graph.sources("united-states", "delisted", "ifs")
    assert len(rows) == len({row["article"] for row in sources}) >= 3
    assert not graph.sparql(
        "ASK { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?p), STR(rel:))) }"
    ).boolean


def test_a_relation_asked_without_a_graph_is_answered_as_stated(graph: KnowledgeGraph) -> None:
    """The default graph says a relation is stated (rel:), never asserts a claim's triple: an
    alleged or denied claim is not a fact."""
    rows = graph.sparql("SELECT ?whole WHERE { entity:ifs rel:partOf ?whole }").rows
    assert [str(row["whole"]) for row in rows] == [f"{ENTITY}ministry-of-public-security"]
    assert not graph.sparql("ASK { ?s kg:involvedIn ?o }").boolean
    assert graph.sparql("ASK { ?s rel:involvedIn ?o }").boolean
    denied = graph.claims(predicate="involvedIn")
    assert any(c["certainty"] == "denied" for c in denied)


def test_the_build_makes_the_relations_the_reference_makes(graph: KnowledgeGraph) -> None:
    from kg.curation import load_curation
    from kg.oxquads import OxTerms, relations
    from kg.rdf import Terms, relation_quads, relation_triples, stated_relations
    from kg.store import to_oxigraph

    triples = relation_triples(stated_relations(load_curation().claims))
    made = relations(triples, OxTerms())
    assert made == to_oxigraph(relation_quads(triples, Terms()))
    assert len(made) == len(_between_entities(graph.store))


def test_the_two_hop_query_reaches_what_the_article_graphs_reach(graph: KnowledgeGraph) -> None:
    rows = graph.query_named("two-hop", entity="ifs")
    hops = {str(row["other"]): row["hops"] for row in rows}
    assert len(hops) == len(rows)  # each entity once, at its least distance
    plain = graph.sparql(bench.TWO_HOP_TEXTBOOK, e=f"{ENTITY}ifs", max_rows=None).rows
    near = {  # from the article graphs, not from the relations the query walks
        o if s == f"{ENTITY}ifs" else s
        for s, _p, o in _stated_between_entities(graph.store)
        if f"{ENTITY}ifs" in (s, o)
    } - {f"{ENTITY}ifs"}
    assert {e for e, h in hops.items() if h == 1} == near
    assert set(hops) == near | {str(row["n2"]) for row in plain}
    assert all(row["otherLabel"] for row in rows)


def test_the_ontology_graph_says_what_a_rel_property_means(graph: KnowledgeGraph) -> None:
    """Each rel: property is declared as claimed, however sure, and never as a sub-property of
    the claim's predicate (which would assert what an article only claims)."""
    rows = graph.sparql(
        "SELECT ?label ?comment ?see WHERE { GRAPH <https://kg.example/ontology> {"
        " rel:implicatedInAbuseOf rdfs:label ?label ; rdfs:comment ?comment ; rdfs:seeAlso ?see"
        " } }"
    ).rows
    assert len(rows) == 1
    assert str(rows[0]["label"]).endswith("(claimed)")
    assert "alleged" in str(rows[0]["comment"]) and "denied" in str(rows[0]["comment"])
    assert str(rows[0]["see"]) == f"{KG}implicatedInAbuseOf"
    assert not graph.sparql(
        "ASK { GRAPH ?o { ?r rdfs:subPropertyOf ?p FILTER(STRSTARTS(STR(?r), STR(rel:))) } }"
    ).boolean
    used = {p for _s, p, _o in _between_entities(graph.store)}
    declared = {
        str(row["r"])
        for row in graph.sparql(
            "SELECT ?r WHERE { GRAPH ?o { ?r a rdf:Property }"
            " FILTER(STRSTARTS(STR(?r), STR(rel:))) }"
        ).rows
    }
    assert NEIGHBOUR in used
    assert used <= declared


def test_neighbours_are_declared_symmetric_and_walk_either_way(graph: KnowledgeGraph) -> None:
    """rel:neighbour links two entities whichever way their relations run: the ministry the IFS
    is part of is a neighbour of the IFS and the IFS of the ministry, each pair once."""
    assert graph.sparql(
        "ASK { GRAPH <https://kg.example/ontology> {"
        " rel:neighbour a owl:SymmetricProperty ; rdfs:label 'neighbour (claimed)' } }"
    ).boolean
    rows = graph.sparql("SELECT ?n WHERE { entity:ministry-of-public-security rel:neighbour ?n }")
    assert f"{ENTITY}ifs" in {str(row["n"]) for row in rows.rows}
    reverse = "ASK { entity:ministry-of-public-security rel:partOf entity:ifs }"
    assert not graph.sparql(reverse).boolean
    # a value is not an entity: no neighbour of a figure
    assert not graph.sparql("ASK { ?a rel:neighbour ?b FILTER(!isIRI(?b)) }").boolean
    counted = graph.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?a rel:neighbour ?b }").rows[0]["n"]
    assert counted == len(_neighbours(graph.store)) > 100


def test_an_ontology_cannot_name_a_claim_predicate_neighbour(tmp_path: Path, root: Path) -> None:
    """kg:neighbour would make rel:neighbour mean two things: the ontology is refused, naming
    the file and what to do."""
    text = (root / "ontology" / "kg.ttl").read_text(encoding="utf-8")
    ontology = tmp_path / "kg.ttl"
    ontology.write_text(
        text + "\nkg:neighbour a owl:ObjectProperty ; kg:usableInClaims true ;"
        ' rdfs:label "neighbour"@en ; rdfs:domain kg:Entity ; rdfs:range kg:Entity .\n',
        encoding="utf-8",
    )
    with pytest.raises(OntologyError, match=r"kg\.ttl: kg:neighbour is a name kg keeps") as err:
        load_ontology(ontology)
    assert "another name" in str(err.value)


def test_an_entity_related_to_itself_is_its_own_neighbour_once(make_tree: TreeFactory) -> None:
    """A claim whose subject is its object gives one reflexive rel:neighbour link, and the walks
    by rel:neighbour still find what the walk of the article graphs finds."""
    claims = (
        BASE_CLAIMS
        + """\
- subject: united-states
  predicate: sanctioned
  object: united-states
  quote: The United States removed
  start: 0
"""
    )
    graph = kg.load(root=make_tree(claims=claims))
    _check(graph)
    us = f"{ENTITY}united-states"
    assert _neighbours(graph.store).count((us, us)) == 1
    for start in (us, f"{ENTITY}ifs", f"{ENTITY}ministry-of-public-security"):
        fast = graph.sparql(bench.TWO_HOP, e=start, max_rows=None).rows
        plain = graph.sparql(bench.TWO_HOP_TEXTBOOK, e=start, max_rows=None).rows
        assert sorted(r["n2"] for r in fast) == sorted(r["n2"] for r in plain), start
    hops = {str(r["other"]): r["hops"] for r in graph.query_named("two-hop", entity="ifs")}
    assert hops == {us: 1, f"{ENTITY}ministry-of-public-security": 1}
