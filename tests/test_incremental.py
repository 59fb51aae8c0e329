"""Incremental builds: after every kind of edit, the exports of a build that reuses .kg-cache/
are byte for byte those of a full build, and nothing stale is ever reused."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import kg
from kg import buildcache
from kg.buildcache import CACHE_FOLDER, BuildCache, assemble, shapes_are_local
from kg.cli import main
from kg.curation import load_curation
from kg.errors import CurationError, ShapeError
from kg.ontology import PREFIXES, load_ontology
from kg.rdf import (
    Terms,
    article_graph_quads,
    claims_by_article,
    default_graph_quads,
    iter_quads,
    ontology_graph_quads,
)
from kg.shacl import check_shapes
from kg.synth import synthesize
from kg.viewpieces import GRAPHML_ELEMENTS

CLAIMS = 300


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("incremental") / "corpus"
    synthesize(root, claims=CLAIMS, seed=11)
    return root


@pytest.fixture
def tree(pristine: Path, tmp_path: Path) -> Path:
    """A copy of the corpus whose cache is warm (one build done)."""
    root = tmp_path / "tree"
    shutil.copytree(pristine, root)
    kg.build(root, "exports")
    return root


def _exports(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _same_as_full(root: Path) -> kg.BuildReport:
    """Build incrementally and in full (also in a copy without any cache); all the same bytes."""
    report = kg.build(root, "exports")
    full = kg.build(root, "exports-full", full=True)
    fresh = root.parent / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(CACHE_FOLDER, "exports*"))
    kg.build(fresh, "exports")
    incremental = _exports(root / "exports")
    assert set(incremental) >= {"kg.nq", "kg.trig", "kg.jsonld", "graph.html", "stats.json"}
    for name, data in _exports(root / "exports-full").items():
        assert incremental[name] == data, f"{name} differs from a full build"
    assert _exports(fresh / "exports") == incremental
    assert report.quads == full.quads
    return report


def _claims_files(root: Path) -> list[Path]:
    return sorted((root / "data" / "claims").glob("*.yaml"))


def _set_certainty(text: str, certainty: str) -> str:
    """Give the first claim of a claims file that has no certainty one (the synthetic data
    depends on the ontology's predicates, so which claims already have one varies)."""
    claims = text.split("\n- ")
    for i, claim in enumerate(claims):
        if "  certainty:" not in claim and "  start:" in claim:
            claims[i] = claim.replace("  start:", f"  certainty: {certainty}\n  start:", 1)
            return "\n- ".join(claims)
    raise AssertionError("no claim without a certainty")


def _delete_article(tree: Path, claims: Path) -> str:
    """Remove the article of a claims file: its claims, its text and its record; its id."""
    gone = claims.stem
    claims.unlink()
    (tree / "data" / "articles" / f"{gone}.txt").unlink()
    _edit(tree / "data" / "articles.yaml", lambda t: re.sub(rf"- id: {gone}\n(  .*\n)*", "", t))
    return gone


def _edit(path: Path, change: Callable[[str], str]) -> None:
    before = path.read_text(encoding="utf-8")
    after = change(before)
    assert after != before
    path.write_text(after, encoding="utf-8")


def test_a_warm_cache_reuses_every_article_and_writes_the_same_bytes(tree: Path) -> None:
    messages: list[str] = []
    before = _exports(tree / "exports")
    kg.build(tree, "exports", progress=messages.append)
    articles = len(kg.validate(tree).articles)
    assert f"reused {articles} of {articles} article graphs" in messages
    assert _exports(tree / "exports") == before


def test_one_claim_edited(tree: Path) -> None:
    _edit(_claims_files(tree)[3], lambda t: _set_certainty(t, "alleged"))
    messages: list[str] = []
    kg.build(tree, "exports", progress=messages.append)
    articles = len(kg.validate(tree).articles)
    assert f"reused {articles - 1} of {articles} article graphs" in messages
    _same_as_full(tree)
    assert b"alleged" in (tree / "exports" / "kg.nq").read_bytes()


def test_the_relations_are_made_again_only_when_the_claims_state_others(
    tree: Path, monkeypatch
) -> None:
    """The default graph's relations (and neighbour links) are reused while the relations the
    claims state are the same (a certainty edit), made again when one goes (a deletion)."""
    import kg.oxquads

    made: list[int] = []
    real = kg.oxquads.relations

    def spy(triples: Any, terms: Any) -> Any:
        made.append(len(triples))
        return real(triples, terms)

    monkeypatch.setattr(kg.oxquads, "relations", spy)
    _edit(_claims_files(tree)[3], lambda t: _set_certainty(t, "alleged"))
    kg.build(tree, "exports")
    assert made == []
    _same_as_full(tree)
    made.clear()
    before = kg.build(tree, "exports").quads
    # an article goes, with its claims (its relations stated nowhere else go too)
    _delete_article(tree, _claims_files(tree)[5])
    kg.build(tree, "exports")
    assert len(made) == 1 and made[0] > 0
    assert _same_as_full(tree).quads < before


def test_graphml_elements_of_unchanged_articles_are_reused(tree: Path, monkeypatch) -> None:
    """After a one-claim edit, only the nodes and edges the edited article's rows make are
    written again; after an entity edit (the records every node shows), none is reused."""
    from kg.graph import GraphmlReuse

    reused: list[tuple[int, int]] = []
    real = GraphmlReuse.kept

    def spy(self: GraphmlReuse, elements: Any) -> dict:
        found = real(self, elements)
        reused.append((len(found), len(elements)))
        return found

    monkeypatch.setattr(GraphmlReuse, "kept", spy)
    edited = _claims_files(tree)[3]
    _edit(edited, lambda t: _set_certainty(t, "alleged"))
    kg.build(tree, "exports")
    hits, elements = reused[-1]
    written = _graphml_elements(tree / "exports" / "kg.graphml")
    assert len(written) == elements
    touched = sum(edited.stem in text for text in written)  # the edited article's id is in them
    assert hits == elements - touched and touched > 0
    entities = tree / "data" / "entities.yaml"
    _edit(entities, lambda t: t.replace("label: ", "label: X", 1))
    kg.build(tree, "exports")
    assert reused[-1][0] == 0
    _same_as_full(tree)


def test_the_projection_is_emptied_once_the_page_and_graphml_are_made(
    tree: Path, monkeypatch
) -> None:
    """A build runs with the cyclic garbage collector paused, and a NetworkX graph is a
    reference cycle (its cached views): left as it is, the whole projection and its claim rows
    wait for a scan of every object the build made (0.7 s of a 100k-claim incremental build).
    Emptied, they are freed at once."""
    from kg import graph as graphs

    made: list[Any] = []
    real = graphs.project

    def keep(*args: Any, **kwargs: Any) -> Any:
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(graphs, "project", keep)
    _edit(_claims_files(tree)[3], lambda t: _set_certainty(t, "alleged"))
    kg.build(tree, "exports")
    assert made and all(g.number_of_nodes() == 0 for g in made)
    assert b"<edge " in (tree / "exports" / "kg.graphml").read_bytes()


def _graphml_elements(path: Path) -> list[str]:
    """The text of each node and edge of a GraphML file."""
    text = path.read_text(encoding="utf-8")
    return re.findall(r"    <(?:node|edge) .*?(?:</(?:node|edge)>| />)", text, flags=re.DOTALL)


def test_an_entity_used_by_many_articles_edited(tree: Path) -> None:
    curation = load_curation(tree)
    counts: dict[str, int] = {}
    for claim in curation.claims:
        counts[claim.subject] = counts.get(claim.subject, 0) + 1
    hub = max(counts, key=lambda e: (counts[e], e))
    assert len({c.article for c in curation.claims if c.subject == hub}) > 3
    label = curation.entities[hub].label
    source = tree / curation.entities[hub].source.path  # type: ignore[union-attr]
    _edit(source, lambda t: t.replace(f"label: {_quoted(label)}", 'label: "A New Label"', 1))
    report = _same_as_full(tree)
    assert report.claims == CLAIMS
    assert b'"A New Label"' in (tree / "exports" / "kg.nq").read_bytes()


def test_an_article_record_edited(tree: Path) -> None:
    """A title is in every row of the article's claims in claims.csv and in its FtM Article."""
    first = _claims_files(tree)[0].stem
    curation = load_curation(tree)
    title = curation.articles[first].title
    records = tree / "data" / "articles.yaml"
    _edit(records, lambda t: t.replace(_quoted(title), '"A New Title"', 1))
    _same_as_full(tree)
    assert b"A New Title" in (tree / "exports" / "claims.csv").read_bytes()
    assert b"A New Title" in (tree / "exports" / "kg.ftm.json").read_bytes()


def test_a_list_authority_relabelled_changes_sanctions_of_articles_not_naming_it(tree: Path):
    """An FtM Sanction names the authorities of its list, known from other articles' claims:
    the pieces of articles that never name the authority are made again when its label
    changes."""
    curation = load_curation(tree)
    by_article = claims_by_article(curation)
    found = [
        (body, article)
        for listed, body in sorted(
            {(c.subject, str(c.object)) for c in curation.claims if c.predicate == "maintainedBy"}
        )
        for article, claims in sorted(by_article.items())
        if any(c.predicate == "listedOn" and c.object == listed for c in claims)
        and not any(body in (c.subject, c.object, c.attributed_to, c.scope) for c in claims)
    ]
    assert found, "the corpus has a sanctions list whose authority an article does not name"
    body = found[0][0]
    label = curation.entities[body].label
    source = tree / curation.entities[body].source.path  # type: ignore[union-attr]
    _edit(source, lambda t: t.replace(f"label: {_quoted(label)}", 'label: "Listing Body"', 1))
    _same_as_full(tree)
    lines = (tree / "exports" / "kg.ftm.json").read_bytes().splitlines()
    assert any(b'"Sanction"' in line and b"Listing Body" in line for line in lines)


def test_an_entity_type_change_rechecks_the_claims_that_name_it(tree: Path) -> None:
    """The claims of an unchanged file are not reused once an entity they name has another
    type: the build reports what the new type breaks, as a full check does."""
    curation = load_curation(tree)
    person = next(c.attributed_to for c in curation.claims if c.attributed_to)
    source = tree / curation.entities[person].source.path  # type: ignore[union-attr]
    text = source.read_text(encoding="utf-8")
    start = text.index(f"- id: {person}\n")
    record_end = text.find("\n- id:", start + 1)
    record = text[start : record_end if record_end > 0 else len(text)]
    source.write_text(
        text.replace(record, re.sub(r"type: \w+", "type: Substance", record)), encoding="utf-8"
    )
    problems = _same_problems_with_and_without_cache(tree)
    assert any("needs a Agent" in p for p in problems)


def _same_problems_with_and_without_cache(tree: Path) -> list[str]:
    """``kg validate`` fails with the same problems reusing the cache as checking everything."""
    with pytest.raises(CurationError) as cached:
        kg.validate(tree)
    with pytest.raises(CurationError) as full:
        kg.validate(tree, full=True)
    problems = [str(p) for p in full.value.problems]
    assert [str(p) for p in cached.value.problems] == problems
    return problems


def test_the_ontology_edited(tree: Path) -> None:
    _edit(
        tree / "ontology" / "kg.ttl",
        lambda t: t + "\nkg:Person rdfs:seeAlso <https://example.org/persons> .\n",
    )
    messages: list[str] = []
    kg.build(tree, "exports", progress=messages.append)
    assert not any(m.startswith("reused") for m in messages)  # the ontology is in every key
    _same_as_full(tree)


def test_an_article_text_edited(tree: Path) -> None:
    first = _claims_files(tree)[0].stem
    text_path = tree / "data" / "articles" / f"{first}.txt"
    old_sha = hashlib.sha256(text_path.read_bytes()).hexdigest()
    # the quoted spans move: new words before everything
    text_path.write_bytes(b"Breaking: " + text_path.read_bytes())
    new_sha = hashlib.sha256(text_path.read_bytes()).hexdigest()
    records = tree / "data" / "articles.yaml"
    _edit(records, lambda t: t.replace(old_sha, new_sha))
    with pytest.raises(CurationError, match="is not at offset"):
        kg.build(tree, "exports")  # no reused claim hides that its quotes moved
    claims = _claims_files(tree)[0]
    _edit(claims, lambda t: re.sub(r"start: (\d+)", lambda m: f"start: {int(m[1]) + 10}", t))
    _same_as_full(tree)


def test_deletions(tree: Path) -> None:
    files = _claims_files(tree)
    # a claim record removed from one file, and a whole article removed
    _edit(files[1], lambda t: t[t.index("\n- subject:") + 1 :])
    gone = _delete_article(tree, files[2])
    report = _same_as_full(tree)
    assert gone.encode() not in (tree / "exports" / "kg.nq").read_bytes()
    assert report.claims < CLAIMS


def test_validate_reuses_and_full_ignores_the_cache(tree: Path) -> None:
    ontology = load_ontology(tree / "ontology" / "kg.ttl")
    warm = BuildCache(tree)
    assert len(load_curation(tree, ontology, reuse=warm).claims) == CLAIMS
    assert warm.misses == 0 and warm.hits == len(_claims_files(tree))
    cold = BuildCache(tree, read=False)
    assert len(load_curation(tree, ontology, reuse=cold).claims) == CLAIMS
    assert cold.hits == 0
    result = CliRunner().invoke(main, ["validate", "--root", str(tree), "--full"])
    assert result.exit_code == 0 and f"{CLAIMS} claims" in result.output


def test_lint_findings_in_reused_files_are_located_without_parsing_them(tree: Path, monkeypatch):
    """The lint's warnings name file:line:col; for a claims file reused from the cache, where
    its fields are comes from the cache too: no YAML is parsed again, the same lines result."""
    from kg import lint as lint_module

    claims = _claims_files(tree)[4]  # a warning of its own: a joiner in a note
    _edit(claims, lambda t: t.replace("  start:", "  note: tea\u200dtime\n  start:", 1))
    full: list = []
    kg.validate(tree, warnings=full, full=True)
    assert any(p.path == f"data/claims/{claims.name}" for p in full)
    parsed: list[str] = []
    real = lint_module._positions_in
    monkeypatch.setattr(
        lint_module, "_positions_in", lambda path, shown: parsed.append(shown) or real(path, shown)
    )
    cached: list = []
    kg.validate(tree, warnings=cached)
    assert [str(p) for p in cached] == [str(p) for p in full]
    assert parsed == []


def test_unchanged_entity_files_are_not_parsed_again(tree: Path, monkeypatch) -> None:
    """An entity file checked clean before is reused unless an earlier file now takes one of
    its ids: then it is read again and the duplicate is reported as a full check does."""
    import kg.curation as curation_module

    parsed: list[str] = []
    real = curation_module.parse_yaml
    monkeypatch.setattr(
        curation_module, "parse_yaml", lambda text, shown: parsed.append(shown) or real(text, shown)
    )
    kg.validate(tree)
    assert parsed == []  # nothing changed since the build's check (kg.verdict)
    _edit(tree / "data" / "articles.yaml", lambda t: t + "# reviewed\n")  # a full check
    kg.validate(tree)
    assert parsed and not [shown for shown in parsed if "entities" in shown]
    later = sorted((tree / "data" / "entities").glob("*.yaml"))[0]
    match = re.search(r"^- id: (\S+)$", later.read_text(encoding="utf-8"), re.MULTILINE)
    assert match
    first = tree / "data" / "entities.yaml"
    _edit(first, lambda t: t + f"- id: {match[1]}\n  type: Person\n  label: Somebody Else\n")
    problems = _same_problems_with_and_without_cache(tree)
    assert any("duplicate entity id" in p for p in problems)


def test_a_stored_result_of_other_code_is_not_found(tree: Path, monkeypatch) -> None:
    """The code fingerprint is in every key: other code finds nothing to reuse."""
    import kg.buildcache as buildcache

    before = BuildCache(tree)
    monkeypatch.setattr(buildcache, "_code_fingerprint", lambda: "other code")
    after = BuildCache(tree)
    assert before.version != after.version
    load_curation(tree, reuse=after)
    assert after.hits == 0


def test_a_read_only_cache_does_not_stop_the_build(tree: Path) -> None:
    folder = tree / CACHE_FOLDER
    shutil.rmtree(folder)
    folder.write_text("not a folder")  # nothing can be stored under it
    messages: list[str] = []
    kg.build(tree, "exports-2", progress=messages.append)
    assert any(m.startswith("results not kept for the next build") for m in messages)
    assert _exports(tree / "exports-2") == _exports(tree / "exports")


STRICT_SHAPES_EXTRA = """
kgsh:StrictClaim a sh:NodeShape ;
    sh:targetClass kg:Claim ;
    sh:property [ sh:path kg:certainty ; sh:in ( "stated" ) ; sh:message "only stated" ] .
kgsh:StrictArticle a sh:NodeShape ;
    sh:targetClass kg:NewsArticle ;
    sh:property [ sh:path schema:publisher ; sh:minCount 1 ; sh:message "needs an outlet" ] .
kgsh:StrictEntity a sh:NodeShape ;
    sh:targetClass kg:Person ;
    sh:property [ sh:path skos:altLabel ; sh:maxCount 2 ; sh:message "two aliases at most" ] .
"""


def test_article_by_article_shacl_finds_what_the_whole_check_finds(pristine: Path, tmp_path):
    """Checking each article's graph with the default-graph statements about what it mentions
    reports exactly the violations of one check of the union (shapes on claims, articles and
    entities)."""
    root = tmp_path / "strict"
    shutil.copytree(pristine, root)
    shapes = root / "ontology" / "shapes.ttl"
    shapes.write_text(shapes.read_text() + STRICT_SHAPES_EXTRA)
    ontology = load_ontology(root / "ontology" / "kg.ttl")
    assert shapes_are_local(shapes, ontology.predicates)
    curation = load_curation(root, ontology)
    with pytest.raises(ShapeError) as whole:
        check_shapes(iter_quads(curation, ontology), shapes)
    expected = set(whole.value.violations)
    assert {"only stated", "two aliases at most"} <= {v.rsplit(": ", 1)[1] for v in expected}
    # one check per unit: the default graph, then each article graph with its context
    terms = Terms()
    default = list(default_graph_quads(curation, terms))
    ontology_graph = list(ontology_graph_quads(ontology))
    about: dict = {}
    for quad in default:
        about.setdefault(quad[0], []).append(quad)
    units = [default + ontology_graph]
    for article_id, claims in claims_by_article(curation).items():
        quads = list(article_graph_quads(article_id, claims, terms))
        units.append(quads + _context(quads, about) + ontology_graph)
    found: set[str] = set()
    for unit in units:
        try:
            check_shapes(unit, shapes)
        except ShapeError as err:
            found |= set(err.violations)
    assert found == expected


def test_the_nodes_named_by_claims_are_those_the_article_graph_names(pristine: Path) -> None:
    """A reused article's SHACL context is found from its claims, without its quads: the
    default-graph nodes it reaches are those its whole graph reaches (speakers, scopes and, in
    the project's own data, bases naming other articles included)."""
    seed = load_curation()
    assert any(b.articles for c in seed.claims for _part, b in c.inferred)
    for curation in (load_curation(pristine), seed):
        terms = Terms()
        about: dict = {}
        for quad in default_graph_quads(curation, terms):
            about.setdefault(quad[0], []).append(quad)
        for article_id, claims in claims_by_article(curation).items():
            quads = list(article_graph_quads(article_id, claims, terms))
            named = {t for q in quads for t in (q[0], q[2]) if t in about}
            mentioned = buildcache.mentioned_nodes(article_id, claims, terms)
            assert named == {n for n in mentioned if n in about}, article_id


def test_after_a_one_claim_edit_shacl_checks_only_that_article(tree: Path) -> None:
    edited = _claims_files(tree)[5]
    _edit(edited, lambda t: _set_certainty(t, "hedged"))
    ontology = load_ontology(tree / "ontology" / "kg.ttl")
    cache = BuildCache(tree)
    curation = load_curation(tree, ontology, reuse=cache)
    dataset = assemble(curation, ontology, cache, PREFIXES, exports=False, shacl=True)
    graphs = {str(q[3]) for q in dataset.shacl_quads if q[3] is not None}
    assert {g.rsplit("/", 1)[1] for g in graphs} == {edited.stem, "ontology"}
    assert len(dataset.shacl_keys) == 2  # its unit, under its own and the head's key


def _quoted(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def _context(quads: list[Any], about: dict[Any, list[Any]]) -> list[Any]:
    """The default-graph statements about the nodes an article graph mentions, and about the
    nodes those name (an article's outlet, say): what its shapes read besides the graph."""
    reached = buildcache._reach((term for q in quads for term in (q[0], q[2])), about)
    return [quad for node in reached for quad in about[node]]


@pytest.mark.parametrize("which", ["project data", "synthetic"])
def test_statements_made_on_demand_are_those_of_the_default_graph(pristine: Path, which) -> None:
    """An edited article's SHACL unit reads the default-graph statements about what it reaches,
    made from the records on demand: the same as grouping the whole default graph by subject
    (entities, articles, an article's publication basis), and nothing about other nodes."""
    curation = kg.validate() if which == "project data" else load_curation(pristine)
    terms = Terms()
    whole: dict[Any, list[Any]] = {}
    for quad in default_graph_quads(curation, terms):
        whole.setdefault(quad[0], []).append(quad)
    on_demand = buildcache.DefaultStatements(curation, Terms())
    assert any("#" in str(node) for node in whole) or which == "synthetic"
    for node, quads in whole.items():
        assert node in on_demand and sorted(on_demand[node]) == sorted(quads), node
    others = {q[2] for quads in whole.values() for q in quads}
    for article_id, claims in claims_by_article(curation).items():
        others |= {q[0] for q in article_graph_quads(article_id, claims, terms)}
    others -= set(whole)  # claim nodes, wikidata and geonames records, literals
    assert others and not any(node in on_demand for node in others)
    assert len(on_demand) == len(whole)


def test_results_of_older_versions_of_kg_are_removed(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time

    versions = tree / CACHE_FOLDER / f"v{buildcache.LAYOUT}"
    current = BuildCache(tree).folder
    assert current.parent == versions and current.is_dir()  # the tree was built once
    day = 86_400
    old, older = versions / "0123456789abcdef", versions / "fedcba9876543210"
    stale_layout = tree / CACHE_FOLDER / "v1"
    for folder, age in ((old, day), (older, 2 * day), (stale_layout, 3 * day)):
        (folder / "ab").mkdir(parents=True)
        (folder / "ab" / "result.nq").write_bytes(b"<a> <b> <c> .\n")
        os.utime(folder, (time.time() - age, time.time() - age))
    messages: list[str] = []
    kg.build(tree, "exports", progress=messages.append)
    # the most recently used other version stays (a switch back to it is quick), the rest goes
    assert old.is_dir() and not older.exists() and not stale_layout.exists()
    assert "removed the results of 2 older version(s) of kg from .kg-cache/" in messages
    assert current.is_dir() and any(current.rglob("*.nq"))
    # a version used within the last hour is kept, however many there are: a build may use it
    os.utime(old)
    monkeypatch.setattr(buildcache, "_code_fingerprint", lambda: "other code")
    kg.build(tree, "exports")
    assert old.is_dir() and current.is_dir() and BuildCache(tree).folder.is_dir()


@pytest.mark.parametrize("damage", ["truncated", "sizes", "pickle", "empty"])
def test_damaged_graphml_elements_are_made_again(tree: Path, damage: str) -> None:
    """The GraphML elements of the last build are kept in one file read in place (its sizes,
    a pickle, the body): a file cut short, with wrong sizes or a damaged pickle is not used."""
    (stored,) = BuildCache(tree).folder.rglob("graphml-elements.mapped")
    data = stored.read_bytes()
    head = int.from_bytes(data[:8], "little")
    stored.write_bytes(
        {
            "truncated": data[:-100],
            "sizes": (head + 1).to_bytes(8, "little") + data[8:],
            "pickle": data[:16] + b"\x00" * head + data[16 + head :],
            "empty": b"",
        }[damage]
    )
    _edit(_claims_files(tree)[2], lambda t: _set_certainty(t, "alleged"))
    _same_as_full(tree)
    assert BuildCache(tree).latest_with_bytes(GRAPHML_ELEMENTS) is not None  # whole again


def test_emptied_stored_serialisations_are_made_again(tree: Path) -> None:
    """A stored serialisation emptied outside kg (no graph is empty) is made again, not
    joined into an export around nothing."""
    emptied = list(BuildCache(tree).folder.rglob("*.jsonld"))
    assert len(emptied) > 2  # the articles', the default graph's, the relations'
    for path in emptied:
        path.write_bytes(b"")
    _same_as_full(tree)


def test_a_damaged_cache_file_is_made_again_not_a_crash(tree: Path) -> None:
    folder = BuildCache(tree).folder
    damaged = [p for p in folder.rglob("*") if p.suffix in (".claims", ".where", ".piece")]
    assert damaged
    for path in damaged:
        path.write_bytes(b"not a pickle")
    kg.build(tree, "exports-2")
    assert _exports(tree / "exports-2") == _exports(tree / "exports")
