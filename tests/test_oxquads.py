"""The article graphs a build serialises are made straight as pyoxigraph quads
(:mod:`kg.oxquads`); :mod:`kg.rdf` is the reference they must equal, quad for quad and in
order, on data with every kind of claim (inferred parts with their bases, notes, speakers,
scopes, literal objects) and on a synthetic corpus."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kg.api import synth, validate
from kg.model import Curation
from kg.oxquads import OxTerms, article_graph
from kg.rdf import Terms, article_graph_quads, claims_by_article
from kg.store import to_oxigraph

ROOT = Path(__file__).resolve().parent.parent


def _same_graphs(curation: Curation) -> int:
    made, terms = OxTerms(), Terms()
    checked = 0
    for article_id, claims in claims_by_article(curation).items():
        expected = to_oxigraph(article_graph_quads(article_id, claims, terms))
        assert article_graph(article_id, claims, made) == expected, article_id
        checked += len(expected)
    return checked


def test_the_seed_data_s_article_graphs_equal_kg_rdf_s() -> None:
    curation = validate(ROOT)
    kinds = {
        "inferred": any(c.inferred for c in curation.claims),
        "note": any(c.note for c in curation.claims),
        "speaker": any(c.attributed_to for c in curation.claims),
        "scope": any(c.scope for c in curation.claims),
        "literal": any(not isinstance(c.object, str) for c in curation.claims),
    }
    assert all(kinds.values()), kinds  # the comparison below covers every kind
    assert _same_graphs(curation) > 1000


def test_a_synthetic_corpus_s_article_graphs_equal_kg_rdf_s(tmp_path: Path) -> None:
    synth(tmp_path / "corpus", claims=1500, seed=3, root=ROOT)
    assert _same_graphs(validate(tmp_path / "corpus")) > 30_000


@pytest.mark.parametrize("text", ['a "quoted" word', "back\\slash", "two\nlines\r\n", "tab\there"])
def test_literals_that_need_escaping_are_the_same_terms(text: str) -> None:
    curation = validate(ROOT)
    claim = curation.claims[0]
    quote = replace(claim.quote, exact=text, prefix=text, suffix=text)
    odd = replace(claim, quote=quote, note=text)
    assert _same_graphs(replace(curation, claims=(odd,))) > 10
