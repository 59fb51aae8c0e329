"""The build: RDF shape, round trip, offsets, SHACL, determinism and atomic exports."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from rdflib import RDF, Dataset, Graph
from rdflib.compare import isomorphic

import kg
from kg import exports
from kg.curation import load_curation
from kg.errors import ExportError, ShapeError
from kg.ontology import KG, OA, article_iri
from kg.rdf import iter_quads
from kg.shacl import check_shapes
from tests.conftest import BASE_CLAIMS, ROOT

EXPORTS = ("kg.trig", "kg.nq", "kg.jsonld", "stats.json")


def test_every_article_has_its_named_graph(graph):
    articles = sorted(p.stem for p in (ROOT / "data" / "articles").glob("*.txt"))
    rows = graph.sparql(
        "SELECT DISTINCT ?g ?id WHERE { GRAPH ?g { ?c a kg:Claim } ?g dcterms:identifier ?id }"
    )
    assert sorted(r["id"] for r in rows) == articles
    assert all(r["g"] == str(article_iri(r["id"])) for r in rows)


def test_each_named_graph_holds_exactly_its_articles_triples(graph):
    """Compare the RDF with the claim files read independently (plain YAML, no kg code)."""
    for path in sorted((ROOT / "data" / "claims").glob("*.yaml")):
        records = yaml.safe_load(path.read_text(encoding="utf-8"))
        expected = {(r["subject"], r["predicate"], str(r["object"])) for r in records}
        rows = graph.sparql(
            "SELECT ?s ?p (STR(?object) AS ?o) WHERE { GRAPH ?g { ?c rdf:subject ?s ; "
            "rdf:predicate ?p ; rdf:object ?object } }",
            g=str(article_iri(path.stem)),
        )
        found = {
            (r["s"].rsplit("/", 1)[-1], r["p"].rsplit("#", 1)[-1], str(r["o"]).rsplit("/", 1)[-1])
            for r in rows
        }
        assert found == expected, path.name


def test_quote_offsets_point_at_the_quotes(graph):
    texts = {
        p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "data" / "articles").glob("*.txt")
    }
    rows = graph.sparql("""
        SELECT ?id ?exact ?start ?end WHERE {
          GRAPH ?g { ?c oa:hasTarget ?t . ?t oa:hasSelector ?q, ?p .
                     ?q oa:exact ?exact . ?p oa:start ?start ; oa:end ?end . }
          ?g dcterms:identifier ?id }""")
    assert len(rows) >= 60
    for row in rows:
        assert texts[row["id"]][row["start"] : row["end"]] == row["exact"]


def test_articles_carry_publication_facts(graph):
    rows = graph.sparql("""
        SELECT ?id ?sha WHERE {
          ?a a schema:NewsArticle ; dcterms:identifier ?id ; kg:sha256 ?sha
        }""")
    for row in rows:
        data = (ROOT / "data" / "articles" / f"{row['id']}.txt").read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha"]
    assert len(rows) == 5


def test_trig_round_trip_is_isomorphic(built_exports):
    quads = list(iter_quads(load_curation(ROOT)))
    built = Dataset()
    for s, p, o, g in quads:
        built.graph(g if g is not None else built.default_graph.identifier).add((s, p, o))
    parsed = Dataset()
    parsed.parse(data=(built_exports / "kg.trig").read_text(encoding="utf-8"), format="trig")
    for context in list(built.graphs()) + list(parsed.graphs()):
        name = context.identifier
        left, right = Graph(), Graph()
        for t in built.graph(name):
            left.add(t)
        for t in parsed.graph(name):
            right.add(t)
        assert isomorphic(left, right), name


def test_nquads_and_trig_hold_the_same_quads(built_exports):
    stores = []
    for name, fmt in (("kg.nq", ox.RdfFormat.N_QUADS), ("kg.trig", ox.RdfFormat.TRIG)):
        store = ox.Store()
        store.load(path=str(built_exports / name), format=fmt)
        stores.append({str(q) for q in store})
    assert stores[0] == stores[1]
    assert json.loads((built_exports / "stats.json").read_text())["quads"] == len(stores[0])


def test_shacl_catches_a_bad_graph():
    quads = list(iter_quads(load_curation(ROOT)))
    claim = next(s for s, p, o, _g in quads if p == RDF.type and o == KG.Claim)
    broken = [q for q in quads if not (q[0] == claim and q[1] == OA.hasTarget)]
    broken.append((claim, KG.certainty, kg.rdf.Literal("perhaps"), None))
    with pytest.raises(ShapeError) as caught:
        check_shapes(broken)
    text = str(caught.value)
    assert "a claim has exactly one quote target" in text
    assert str(claim) in text


def _build_in_subprocess(out: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "kg", "build", "--root", str(ROOT), "--out", str(out)],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONHASHSEED": "random"},
    )


def test_two_builds_are_byte_identical(tmp_path):
    _build_in_subprocess(tmp_path / "one")
    _build_in_subprocess(tmp_path / "two")
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert set(EXPORTS) <= set(names)
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), (
            name
        )


def test_committed_exports_match_a_fresh_build(built_exports):
    for path in sorted(built_exports.iterdir()):
        committed = ROOT / "exports" / path.name
        assert committed.is_file(), f"exports/{path.name} is not committed: run `kg build`"
        assert committed.read_bytes() == path.read_bytes(), (
            f"exports/{path.name} differs from a fresh build: run `kg build` and commit"
        )


def test_failed_build_leaves_exports_untouched(make_tree):
    tree = make_tree()
    kg.build(tree)
    before = {p.name: p.read_bytes() for p in (tree / "exports").iterdir()}
    (tree / "data" / "claims" / "a1.yaml").write_text(
        BASE_CLAIMS.replace("object: ifs", "object: x")
    )
    with pytest.raises(kg.CurationError):
        kg.build(tree)
    assert {p.name: p.read_bytes() for p in (tree / "exports").iterdir()} == before


def test_disk_full_midway_leaves_exports_untouched(make_tree, monkeypatch):
    tree = make_tree()
    kg.build(tree)
    before = {p.name: p.read_bytes() for p in (tree / "exports").iterdir()}
    (tree / "data" / "claims" / "a1.yaml").write_text(
        BASE_CLAIMS.replace("start: 0\n", "start: 0\n  certainty: approximate\n")
    )
    real_fsync, calls = os.fsync, []

    def failing_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(exports.os, "fsync", failing_fsync)
    with pytest.raises(ExportError, match="no space left on device"):
        kg.build(tree)
    assert {p.name: p.read_bytes() for p in (tree / "exports").iterdir()} == before


def test_killed_build_leaves_exports_untouched(make_tree):
    """A build killed with SIGKILL while writing leaves only complete old files behind."""
    tree = make_tree()
    kg.build(tree)
    before = {p.name: p.read_bytes() for p in (tree / "exports").iterdir()}
    (tree / "data" / "claims" / "a1.yaml").write_text(
        BASE_CLAIMS.replace("start: 0\n", "start: 0\n  certainty: approximate\n")
    )
    script = (
        "import os, signal, kg, kg.exports as e\n"
        "def die(*a): os.kill(os.getpid(), signal.SIGKILL)\n"
        "e.exchange = die\n"
        f"kg.build({str(tree)!r})\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == -9
    after = {p.name: p.read_bytes() for p in (tree / "exports").iterdir() if p.is_file()}
    assert after == before


def test_delisting_is_in_the_graphs_of_the_articles_that_state_it(graph):
    rows = graph.sparql(
        "SELECT ?id WHERE { GRAPH ?g { entity:united-states kg:delisted entity:ifs } "
        "?g dcterms:identifier ?id } ORDER BY ?id"
    )
    stating = [r["id"] for r in rows]
    assert stating == ["000_d8c50166044d5b84", "001_9a1418d7ed6deaae", "002_466c3d37c6bb4997"]


def test_ifs_is_part_of_the_ministry_of_public_security(graph):
    assert graph.sparql(
        "ASK { GRAPH ?g { entity:ifs kg:partOf entity:ministry-of-public-security } }"
    ).boolean


def test_store_folder_is_swapped_in_complete(make_tree, tmp_path):
    tree = make_tree()
    store_dir = tmp_path / "store"
    report = kg.build(tree, None, store_path=store_dir)
    assert report.store is None  # out_dir None: nothing is written, not even a store
    report = kg.build(tree, "exports", store_path=store_dir)
    assert report.store == store_dir
    reopened = kg.load(store_dir, root=tree)
    assert len(reopened.store) == report.quads
    # only the lock stays beside it (as .exports.lock does beside exports/)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".store")] == [".store.lock"]


def test_what_a_killed_store_build_left_is_removed_or_put_back_by_the_next(make_tree, tmp_path):
    from kg.store import build_store_dir

    tree = make_tree()
    kg.build(tree, "exports")
    nquads = tree / "exports" / "kg.nq"
    store_dir = tmp_path / "store"
    # killed while loading: a half-built store beside the old one
    build_store_dir(store_dir, nquads)
    half = tmp_path / ".store.staging-abc123"
    half.mkdir()
    (half / "000001.log").write_bytes(b"half")
    build_store_dir(store_dir, nquads)
    assert not half.exists()
    # killed between the two renames of the swap: the old store is put back, then replaced
    os.replace(store_dir, tmp_path / ".store.old-4242")
    build_store_dir(store_dir, nquads)
    left = sorted(p.name for p in tmp_path.iterdir() if "store" in p.name)
    assert left == [".store.lock", "store"]
    assert len(kg.load(store_dir, root=tree).store) > 0


def test_kg_build_prints_where_it_wrote(make_tree):
    from click.testing import CliRunner

    from kg.cli import main

    tree = make_tree()
    result = CliRunner().invoke(main, ["build", "--root", str(tree)])
    assert result.exit_code == 0, result.output
    assert f"wrote {tree / 'exports' / 'kg.trig'}" in result.output
    assert "built " in result.output


# --- the SHACL check runs alongside the build ------------------------------------------------

STRICTER_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix kg: <https://kg.example/ontology#> .
<https://kg.example/shapes#NoClaims> a sh:NodeShape ;
    sh:targetClass kg:Claim ;
    sh:property [ sh:path kg:certainty ; sh:in ( "never" ) ;
                  sh:message "no certainty is acceptable here" ] .
"""


def test_a_forked_shapes_check_reports_violations_and_the_build_writes_nothing(make_tree):
    tree = make_tree()
    out = tree / "exports"
    out.mkdir()
    (out / "kg.nq").write_text("previous export\n")
    (tree / "ontology" / "shapes.ttl").write_text(STRICTER_SHAPES)
    done = subprocess.run(
        [sys.executable, "-m", "kg", "build", "--root", str(tree)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "SHACL violation" in done.stderr and "no certainty is acceptable here" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["kg.nq"]
    assert (out / "kg.nq").read_text() == "previous export\n"


def test_shapes_check_forks_only_a_single_threaded_process_and_stops_unwaited_ones():
    script = (
        "import threading, sys\n"
        "from kg.shacl import ShapesCheck\n"
        "from kg.curation import load_curation\n"
        "from kg.rdf import iter_quads\n"
        "quads = list(iter_quads(load_curation()))\n"
        "with ShapesCheck(quads) as check:\n"
        "    forked = check.forked\n"
        "    check.wait()\n"
        "with ShapesCheck(quads) as unwaited:\n"
        "    child = unwaited._child\n"
        "assert child.exitcode is not None, 'left running'\n"
        "stop = threading.Event()\n"
        "threading.Thread(target=stop.wait).start()\n"
        "with ShapesCheck(quads) as check:\n"
        "    print(forked, check.forked)\n"
        "stop.set()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]


def test_nquads_loaded_in_chunks_give_the_store_a_whole_load_gives(tmp_path):
    """kg.load reads kg.nq a few MB of lines at a time (one transaction each, so that the
    load's peak memory is the loaded store's): the same quads as one whole load."""
    from kg.store import load_nquads, new_store

    nquads = ROOT / "exports" / "kg.nq"
    whole = new_store()
    whole.load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    chunked = new_store()
    load_nquads(chunked, nquads, chunk_bytes=4096)
    assert len(chunked) == len(whole) > 5_000
    assert set(chunked) == set(whole)
    assert len(kg.load(nquads).store) == len(whole)


def test_a_blank_node_split_across_chunks_stays_one_node(tmp_path):
    from kg.store import load_nquads, new_store

    lines = [f"<urn:s{i}> <urn:p> <urn:o> .\n" for i in range(200)]
    lines[50] = "_:b <urn:p> <urn:o> <urn:g> .\n"
    lines[150] = "<urn:s> <urn:p> _:b <urn:g> .\n"
    nquads = tmp_path / "blank.nq"
    nquads.write_text("".join(lines))
    store = new_store()
    load_nquads(store, nquads, chunk_bytes=64)
    assert len(store) == 200
    (first,) = store.quads_for_pattern(None, None, ox.NamedNode("urn:o"), ox.NamedNode("urn:g"))
    (second,) = store.quads_for_pattern(ox.NamedNode("urn:s"), None, None, None)
    assert isinstance(first.subject, ox.BlankNode) and first.subject == second.object


def test_a_syntax_error_in_a_later_chunk_names_its_line_in_the_file(tmp_path):
    from kg.errors import StoreError

    lines = [f"<urn:s{i}> <urn:p> <urn:o> .\n" for i in range(5000)]
    lines[3999] = "<urn:s> <urn:p> oops .\n"
    nquads = tmp_path / "kg.nq"
    nquads.write_text("".join(lines))
    with pytest.raises(
        StoreError,
        match=r"kg.nq: cannot parse \(Parser error at line 4000 .*"
        r"\(kg.nq, line 4000\)\)",
    ):
        kg.load(nquads)


#: Lines that pyoxigraph's lenient parser takes and its strict parser refuses.
ONLY_LENIENT_TAKES = {
    "a space in an IRI": "<urn:s> <urn:p> <urn:a b> .\n",
    "a relative IRI": "<s> <urn:p> <urn:o> .\n",
    "a bad percent escape": "<http://x/%zz> <urn:p> <urn:o> .\n",
    "a bad host": "<http://[::1/> <urn:p> <urn:o> .\n",
    "a space escaped in an IRI": "<urn:s\\u0020x> <urn:p> <urn:o> .\n",
    "a language tag of nine letters": '<urn:s> <urn:p> "x"@abcdefghi .\n',
    "a surrogate pair escape": '<urn:s> <urn:p> "\\uD83D\\uDE00" .\n',
    "a line jump in a literal": '<urn:s> <urn:p> "a\nb" .\n',
}


@pytest.mark.parametrize("check_beside", [True, False], ids=["checked beside", "strict"])
@pytest.mark.parametrize("bad", ONLY_LENIENT_TAKES.values(), ids=ONLY_LENIENT_TAKES.keys())
def test_what_only_a_lenient_parse_takes_is_refused_like_a_strict_load_does(
    tmp_path, bad, check_beside
):
    """The chunks are loaded leniently while a thread parses the file strictly: input the
    strict parser refuses is refused with its line in the file, the strict load's message."""
    from kg.errors import StoreError
    from kg.store import load_nquads, new_store

    lines = [f"<urn:s{i}> <urn:p> <urn:o> .\n" for i in range(5000)]
    lines[3999] = bad
    nquads = tmp_path / "kg.nq"
    nquads.write_text("".join(lines))
    lenient = new_store()
    lenient.load(path=str(nquads), format=ox.RdfFormat.N_QUADS, lenient=True)
    with pytest.raises(SyntaxError) as strict:
        new_store().load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    assert strict.value.lineno == 4000
    with pytest.raises(SyntaxError) as chunked:
        load_nquads(new_store(), nquads, chunk_bytes=4096, check_beside=check_beside)
    assert str(chunked.value) == f"{strict.value.msg} (kg.nq, line 4000)"
    with pytest.raises(StoreError, match=r"kg.nq: cannot parse \(Parser error at line 4000 "):
        kg.load(nquads)


def test_the_first_error_of_the_file_is_the_one_reported(tmp_path):
    """A line only the strict check refuses (line 100) comes before one the lenient load
    itself refuses (line 4000, no dot), in another chunk: line 100 is reported."""
    from kg.store import load_nquads, new_store

    lines = [f"<urn:s{i}> <urn:p> <urn:o> .\n" for i in range(5000)]
    lines[99] = "<urn:s> <urn:p> <not an iri> .\n"
    lines[3999] = "<urn:s> <urn:p> <urn:o>\n"
    nquads = tmp_path / "kg.nq"
    nquads.write_text("".join(lines))
    for chunk_bytes in (64, 4096, 1 << 20):
        for check_beside in (True, False):
            with pytest.raises(SyntaxError, match=r"code point ' ' \(kg.nq, line 100\)$"):
                load_nquads(new_store(), nquads, chunk_bytes, check_beside=check_beside)


def test_a_lenient_load_of_valid_input_gives_the_quads_a_strict_load_gives(tmp_path):
    """Escapes, language tags in capitals, datatypes, non-ASCII IRIs and graphs: the chunks
    loaded leniently hold the quads of one strict load of the file."""
    from kg.store import load_nquads, new_store

    lines = [
        '<urn:s> <urn:p> "Caf\\u00E9 \\"quoted\\" \\U0001F600 tab\\t" <urn:g> .\n',
        '<urn:s> <urn:p> "colour"@EN-gb .\n',
        '<urn:s> <urn:p> "12"^^<http://www.w3.org/2001/XMLSchema#integer> <urn:g> .\n',
        "<http://example.org/caf\u00e9/%C3%A9?q=1#f> <urn:p> <urn:o> .\n",
        '<urn:s> <urn:p> "line\\nbreak"@fr <http://example.org/g> .\n',
    ] * 40
    nquads = tmp_path / "kg.nq"
    nquads.write_text(
        "".join(f"<urn:n{i}> <urn:p> <urn:o> .\n" for i in range(300)) + "".join(lines)
    )
    whole = new_store()
    whole.load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    for check_beside in (True, False):
        chunked = new_store()
        load_nquads(chunked, nquads, chunk_bytes=256, check_beside=check_beside)
        assert len(whole) == 305
        assert set(chunked) == set(whole)


def test_on_one_core_the_chunks_are_loaded_strictly_with_no_thread(tmp_path, monkeypatch):
    """Where the process may use one core only, a check beside the load would cost wall time
    too: the chunks are then loaded strictly, and no check is started."""
    from kg import store as kg_store

    nquads = tmp_path / "kg.nq"
    nquads.write_text("<urn:s> <urn:p> <urn:o> .\n<urn:s> <urn:p> <not an iri> .\n")
    made = []
    make = kg_store._StrictCheck.__init__
    monkeypatch.setattr(
        kg_store._StrictCheck, "__init__", lambda self, path: made.append(make(self, path))
    )
    for cores, checks in ((1, 0), (2, 1)):
        monkeypatch.setattr(kg_store, "_cores", lambda cores=cores: cores)
        with pytest.raises(SyntaxError, match=r"\(kg.nq, line 2\)$"):
            kg_store.load_nquads(kg_store.new_store(), nquads)
        assert len(made) == checks


def test_a_check_that_fails_for_another_reason_fails_the_load(tmp_path, monkeypatch):
    """Whatever stops the strict check beside a lenient load (not only a syntax error) is
    raised by the load: the lenient chunks never pass unchecked."""
    from kg import store as kg_store

    nquads = tmp_path / "kg.nq"
    nquads.write_text("<urn:s> <urn:p> <urn:o> .\n<urn:s> <urn:p> <not an iri> .\n")

    def broken(**_kwargs: object) -> object:
        raise ValueError("the check could not run")

    monkeypatch.setattr(kg_store.ox, "parse", broken)
    with pytest.raises(ValueError, match="the check could not run"):
        kg_store.load_nquads(kg_store.new_store(), nquads, check_beside=True)
