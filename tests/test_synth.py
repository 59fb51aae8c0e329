"""The synthetic corpus: valid for kg build, deterministic, shaped like real curation."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg
from kg.cli import main
from kg.curation import load_curation
from kg.ontology import load_ontology
from kg.synth import synthesize
from kg.yamlfile import _parse_slow, parse_yaml

CLAIMS = 200


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "corpus"
    summary = synthesize(root, claims=CLAIMS, seed=7)
    assert summary.claims == CLAIMS
    return root


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_loader_accepts_every_claim(corpus: Path) -> None:
    curation = load_curation(corpus)
    assert len(curation.claims) == CLAIMS
    assert len(curation.articles) >= 5
    for claim in curation.claims:
        text = curation.articles[claim.article].text
        assert text[claim.quote.start : claim.quote.end] == claim.quote.exact


def test_build_with_shacl_accepts_it_unchanged(corpus: Path) -> None:
    report = kg.build(corpus, out_dir=None, shacl=True, html=False)
    assert (report.claims, report.articles) == (CLAIMS, len(load_curation(corpus).articles))
    assert report.quads > CLAIMS * 15


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, corpus: Path) -> None:
    synthesize(tmp_path / "again", claims=CLAIMS, seed=7)
    synthesize(tmp_path / "other", claims=CLAIMS, seed=8)
    assert _tree_bytes(tmp_path / "again") == _tree_bytes(corpus)
    assert _tree_bytes(tmp_path / "other") != _tree_bytes(corpus)


def test_claims_respect_the_ontology_and_look_like_news(corpus: Path) -> None:
    curation = load_curation(corpus)
    onto = load_ontology(corpus / "ontology" / "kg.ttl")
    assert (corpus / "ontology" / "kg.ttl").read_bytes() == (
        Path(kg.__file__).parent.parent / "ontology" / "kg.ttl"
    ).read_bytes()
    for claim in curation.claims:
        pred = onto.predicates[claim.predicate]
        assert onto.is_subclass(curation.entities[claim.subject].type, pred.domain)
        if pred.kind == "object":
            assert isinstance(claim.object, str)
            assert onto.is_subclass(curation.entities[claim.object].type, pred.range)
    outlets = {a.outlet for a in curation.articles.values() if a.outlet}
    assert len(outlets) >= 3
    assert any(a.agency for a in curation.articles.values())
    assert any(c.attributed_to for c in curation.claims)
    assert any(c.valid_from for c in curation.claims)
    assert any(c.certainty != "stated" for c in curation.claims)
    assert all(curation.entities[e].aliases for e in curation.entities)
    # the same triple reported by several articles (corroboration to find)
    triples = Counter((c.subject, c.predicate, str(c.object)) for c in curation.claims)
    assert triples.most_common(1)[0][1] >= 2
    # Zipf: the most mentioned entity is far above the median one
    mentions = Counter(
        e
        for c in curation.claims
        for e in (c.subject, c.object)
        if isinstance(e, str) and e in curation.entities
    )
    counts = sorted(mentions.values())
    assert counts[-1] >= 5 * counts[len(counts) // 2]
    # quote offsets are code points: some generated names are not ASCII
    assert any(not c.quote.exact.isascii() for c in curation.claims) or any(
        not e.label.isascii() for e in curation.entities.values()
    )


def test_sha256_recorded_for_each_article(corpus: Path) -> None:
    for article in load_curation(corpus).articles.values():
        data = (corpus / "data" / "articles" / f"{article.id}.txt").read_bytes()
        assert article.sha256 == hashlib.sha256(data).hexdigest()


def test_refuses_a_folder_that_is_not_empty(corpus: Path) -> None:
    with pytest.raises(kg.KgError, match="is not empty"):
        synthesize(corpus, claims=5)


def test_fast_yaml_reads_synthetic_files_exactly_like_the_reference_parser(corpus: Path) -> None:
    files = [
        corpus / "data" / "articles.yaml",
        corpus / "data" / "entities.yaml",
        *sorted((corpus / "data" / "claims").glob("*.yaml"))[:5],
    ]
    for path in files:
        text = path.read_text(encoding="utf-8")
        fast, fast_problems = parse_yaml(text, path.name)
        slow, slow_problems = _parse_slow(text, path.name)
        assert fast == slow and fast_problems == slow_problems == []
        for a, b in zip(fast, slow, strict=True):
            assert (a.line, a.col) == (b.line, b.col)
            assert [(k.line, k.col, v.line, v.col) for k, v in a.items() if hasattr(v, "col")] == [
                (k.line, k.col, v.line, v.col) for k, v in b.items() if hasattr(v, "col")
            ]


def test_cli_synth(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["synth", "--claims", "30", "--seed", "3", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("wrote 30 claims in ")
    assert len(load_curation(tmp_path / "c").claims) == 30
    again = CliRunner().invoke(main, ["synth", "--claims", "30", str(tmp_path / "c")])
    assert again.exit_code == 1
    assert "is not empty" in again.output


# --- the fast YAML path (libyaml) must read everything exactly like PyYAML's own parser -------

TRICKY = [
    "- a: x\n  b: [1, 2]\n",
    '- name: "Zoë Müller"\n  é: ü\n  note: plain text, with: colons\n',
    "a: &anchor 1\nb: *anchor\n",
    "- a: 1\n  a: 2\n",
    "- a: 1\n - b: 2\n",
    "a: !!python/name:os.system x\n",
    "\ufeffa: 1\n",
    "a: 'line\u2028sep'\n",
    "a: \x01\n",
    "a:\tb\n\tc: d\n",
    "- [unclosed\n",
    "",
    "--- 1\n--- 2\n",
    'AT&T: "5 * 3"\n',
]


@pytest.mark.parametrize("text", TRICKY)
def test_fast_yaml_matches_the_reference_parser(text: str) -> None:
    fast, fast_problems = parse_yaml(text, "x.yaml")
    slow, slow_problems = _parse_slow(text, "x.yaml")
    assert fast == slow
    assert [str(p) for p in fast_problems] == [str(p) for p in slow_problems]


def test_article_records_split_across_files_build_like_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus: Path
) -> None:
    """A corpus too big for one articles.yaml keeps its records in data/articles/*.yaml too;
    the graph is the same as with one file."""
    import kg.synth

    monkeypatch.setattr(kg.synth, "ARTICLES_PER_FILE", 4)
    split = tmp_path / "split"
    synthesize(split, claims=CLAIMS, seed=7)
    parts = sorted((split / "data" / "articles").glob("*.yaml"))
    assert len(parts) >= 2
    assert len(load_curation(split).articles) == len(load_curation(corpus).articles)
    whole = kg.build(corpus, tmp_path / "whole-out", shacl=False, html=False)
    parted = kg.build(split, tmp_path / "split-out", shacl=False, html=False)
    assert (parted.articles, parted.claims) == (whole.articles, whole.claims)
    assert (tmp_path / "split-out" / "kg.nq").read_bytes() == (
        tmp_path / "whole-out" / "kg.nq"
    ).read_bytes()
