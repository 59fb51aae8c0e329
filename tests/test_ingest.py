"""kg ingest (copy, record, draft), its refusals, kg validate on drafts, kg show ARTICLE."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import kg
from kg import api
from kg.cli import main
from kg.curation import DRAFT_MARKER, load_curation
from kg.errors import CurationError
from kg.ingest import (
    IngestError,
    article_report,
    candidate_names,
    find_mentions,
    format_article_report,
    ingest,
    render_draft,
    split_sentences,
    tokenize,
    yaml_quoted,
)
from kg.ontology import load_ontology
from kg.yamlfile import parse_yaml
from tests.conftest import BASE_ENTITIES, BASE_TEXT, ROOT, article_record

NEW_TEXT = (
    "Washington \u2014 The U.S. on Friday removed the Ministry of Public Security\u2019s institute"
    " from a list.\n"
    "The IFS said nothing. Gina Raimondo of the Commerce Department declined to comment.\n"
)
NEW_SHA = hashlib.sha256(NEW_TEXT.encode()).hexdigest()
NEW_ID = f"000_{NEW_SHA[:16]}"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under data/, by relative path (to prove that nothing changed)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted((root / "data").rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def tree(make_tree) -> Path:
    return make_tree()


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "incoming" / "story.txt"
    path.parent.mkdir()
    path.write_bytes(NEW_TEXT.encode())
    return path


# --- mention finding --------------------------------------------------------------------------


NAMES = {
    "united-states": ["United States", "US"],
    "ifs": ["Institute of Forensic Science", "IFS"],
    "china": ["China"],
    "mps": ["Ministry of Public Security"],
    "xi": ["Xi\u2019s team"],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("U.S. officials", [(0, "U.S.", "united-states")]),
        ("the US said", [(4, "US", "united-states")]),
        ("told us so", []),  # an acronym needs capitals
        ("the united states said", [(4, "united states", "united-states")]),
        ("China's ministry", [(0, "China", "china")]),  # straight apostrophe
        ("China\u2019s ministry", [(0, "China", "china")]),  # curly apostrophe
        ("Xi's team", [(0, "Xi's team", "xi")]),  # curly in the alias only
        ("Chinas", []),  # whole words only
        ("the Ministry of\nPublic Security", []),  # not across lines
        ("INSTITUTE OF FORENSIC SCIENCE", [(0, "INSTITUTE OF FORENSIC SCIENCE", "ifs")]),
        (
            "China\u2019s Ministry of Public Security",
            [(0, "China", "china"), (8, "Ministry of Public Security", "mps")],
        ),
    ],
)
def test_mentions_tolerate_case_and_punctuation(text, expected):
    found = [(m.start, m.surface, m.entities[0]) for m in find_mentions(text, NAMES)]
    assert found == expected


def test_a_name_inside_a_longer_name_of_another_entity_is_a_mention_too():
    names = {
        "ifs": ["China's Institute of Forensic Science"],
        "china": ["China"],
        "people": ["Institute"],
    }
    found = [
        (m.surface, m.entities)
        for m in find_mentions("China\u2019s Institute of Forensic Science", names)
    ]
    assert found == [
        ("China\u2019s Institute of Forensic Science", ("ifs",)),
        ("China", ("china",)),
        ("Institute", ("people",)),
    ]


def test_a_name_inside_a_longer_name_of_the_same_entity_is_not_repeated():
    found = find_mentions("Matt Miller said", {"miller": ["Matt Miller", "Miller"]})
    assert [(m.start, m.end) for m in found] == [(0, 11)]


def test_a_shared_alias_names_every_entity_that_has_it():
    found = find_mentions("Miller said", {"matt": ["Miller"], "stephen": ["Miller"]})
    assert [m.entities for m in found] == [("matt", "stephen")]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab US.\u2019'- \nChinaIFS")), max_size=80))
def test_mention_spans_are_the_text_they_claim(text):
    for m in find_mentions(text, NAMES):
        assert text[m.start : m.end] == m.surface
        assert m.surface.strip() == m.surface and m.surface


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_tokens_point_into_the_text_in_order(text):
    last = 0
    for token in tokenize(text):
        assert last <= token.start < token.end <= len(text)
        assert text[token.start].isalnum()
        last = token.end


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_yaml_quoted_reads_back_exactly(value):
    doc, problems = parse_yaml(f"q: {yaml_quoted(value)}\n", "x.yaml")
    assert problems == []
    assert doc["q"] == value


def test_sentences_keep_abbreviations_and_split_lines():
    text = "Mr. Blinken met U.S. officials in Washington. They agreed!\n\n“It works,” he said. Done"
    spans = [text[s.start : s.end] for s in split_sentences(text)]
    assert spans == [
        "Mr. Blinken met U.S. officials in Washington.",
        "They agreed!",
        "“It works,” he said.",
        "Done",
    ]


def test_candidate_names_skip_known_mentions_titles_and_headlines():
    text = (
        "China Lifts Sanctions On Chinese Institute\n"
        "President Joe Biden met Gina Raimondo in Woodside. China agreed."
    )
    mentions = find_mentions(text, {"joe-biden": ["Joe Biden"], "china": ["China"]})
    assert [(c.name, c.count) for c in candidate_names(text, mentions)] == [
        ("Gina Raimondo", 1),
        ("Woodside", 1),
    ]


# --- ingest on a tiny tree --------------------------------------------------------------------


def test_ingest_copies_records_and_drafts(tree, source):
    before_yaml = (tree / "data" / "articles.yaml").read_text()
    report = ingest(source, tree, outlet="unknown", date="2023-11-17")
    assert report.id == NEW_ID
    assert (tree / "data" / "articles" / f"{NEW_ID}.txt").read_bytes() == NEW_TEXT.encode()
    after_yaml = (tree / "data" / "articles.yaml").read_text()
    assert after_yaml.startswith(before_yaml)  # appended, the curator's text untouched
    assert after_yaml[len(before_yaml) :] == (
        f"- id: {NEW_ID}\n"
        f"  title: {yaml_quoted(NEW_TEXT.splitlines()[0])}  # guessed from the text: check it\n"
        "  outlet: unknown\n"
        "  published: 2023-11-17\n"
        "  language: en\n"
        f"  sha256: {NEW_SHA}\n"
    )
    draft = report.claims_path.read_text()
    assert draft.splitlines()[0].startswith(DRAFT_MARKER)
    assert '#   @17 "U.S." -> united-states' in draft
    assert '#   @44 "Ministry of Public Security" -> ministry-of-public-security' in draft
    assert '#   @101 "IFS" -> ifs' in draft
    assert '#   "Gina Raimondo" x1, first @119' in draft
    assert '#   "Commerce Department" x1, first @140' in draft
    assert "# - subject: united-states\n" in draft
    assert f"#   quote: {yaml_quoted(NEW_TEXT.splitlines()[0])}\n#   start: 0\n" in draft


def test_the_draft_blocks_validate_and_build_until_reviewed(tree, source):
    report = ingest(source, tree)
    shown = f"data/claims/{NEW_ID}.yaml"
    with pytest.raises(CurationError) as caught:
        kg.validate(tree)
    assert [str(p) for p in caught.value.problems] == [
        f"{shown}:1:1: unreviewed draft written by `kg ingest` — review its candidate claims "
        "(see the comments in it), then delete its first line"
    ]
    with pytest.raises(CurationError):
        kg.build(tree, "exports", html=False)
    assert not (tree / "exports").exists()

    lines = report.claims_path.read_text().splitlines(keepends=True)
    report.claims_path.write_text("".join(lines[1:]))  # reviewed: nothing accepted yet
    with pytest.raises(CurationError) as caught:  # a file of comments only is not silence
        kg.validate(tree)
    assert [f"{p.path} {p.message}" for p in caught.value.problems] == [
        f"{shown} no records: the file is empty or only comments"
    ]

    start = next(i for i, line in enumerate(lines) if line.startswith("# - subject:"))
    block = [line[2:] for line in lines[start : start + 5]]  # accept the first candidate
    report.claims_path.write_text("".join(lines[1:]) + "".join(block))
    claims = [c for c in kg.validate(tree).claims if c.article == NEW_ID]
    assert [(c.subject, c.predicate, c.object, c.quote.start) for c in claims] == [
        ("united-states", "delisted", "ministry-of-public-security", 0)
    ]


def test_ingest_numbers_articles_after_the_highest(tree, source, tmp_path):
    first = ingest(source, tree)
    other = tmp_path / "other.txt"
    other.write_text("Another story about the IFS.\n")
    second = ingest(other, tree, title="Another story", article_id=None)
    assert first.id.startswith("000_") and second.id.startswith("001_")
    assert not second.title_guessed
    assert '  title: "Another story"\n' in (tree / "data" / "articles.yaml").read_text()


def test_every_candidate_claim_quotes_its_article_verbatim():
    """Uncommented, each candidate claim of each seed article reads back with a verbatim quote."""
    curation = load_curation(ROOT)
    for article in curation.articles.values():
        draft, summary = render_draft(article.id, article.text, curation.entities, load_ontology())
        blocks = re.findall(r"^# - subject:.*\n(?:#   .*\n)+", draft, re.MULTILINE)
        assert len(blocks) == len(summary.candidate_claims) > 0
        for block in blocks:
            text = "".join(line[2:] + "\n" for line in block.splitlines())
            doc, problems = parse_yaml(text, "block")
            assert problems == []
            quote, start = doc[0]["quote"], int(doc[0]["start"])
            assert article.text[start : start + len(quote)] == quote


# --- refusals: a clear error and nothing written ------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty — nothing to ingest"),
        (b"  \n\t\n", "file is empty (only whitespace) — nothing to ingest"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "looks like a binary file (NUL byte at byte offset 8) — ingest plain UTF-8 text only",
        ),
        ("Über".encode("utf-16"), "file is UTF-16 text — convert it to UTF-8 first"),
        (
            "Caf\u00e9 au lait\n".encode("latin-1"),
            "not UTF-8: byte 0xe9 at byte offset 3 (line 1) — re-save the file as UTF-8",
        ),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(tree, tmp_path, content, message):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    before = snapshot(tree)
    with pytest.raises(IngestError) as caught:
        ingest(bad, tree)
    assert str(caught.value).startswith(f"{bad}: {message}")
    assert snapshot(tree) == before


def test_a_file_already_ingested_is_refused(tree, source, tmp_path):
    ingest(source, tree)
    before = snapshot(tree)
    copy = tmp_path / "same-text-other-name.txt"
    shutil.copy(source, copy)
    with pytest.raises(IngestError) as caught:
        ingest(copy, tree)
    assert str(caught.value) == (
        f"{copy}: already ingested as {NEW_ID} (same sha256 {NEW_SHA[:16]}…) — nothing to do"
    )
    assert snapshot(tree) == before


def test_a_seed_article_is_refused_by_its_recorded_sha256(tree, tmp_path):
    copy = tmp_path / "a1-again.txt"
    copy.write_bytes((tree / "data" / "articles" / "a1.txt").read_bytes())
    with pytest.raises(IngestError, match=r"already ingested as a1 "):
        ingest(copy, tree)


def test_a_path_inside_the_data_tree_is_refused(tree):
    inside = tree / "data" / "articles" / "a1.txt"
    before = snapshot(tree)
    with pytest.raises(IngestError) as caught:
        ingest(inside, tree)
    assert str(caught.value) == (
        f"{inside}: is inside the data tree ({tree / 'data'}) — ingest copies an article into "
        "data/articles/; give the path of the original file outside data/"
    )
    assert snapshot(tree) == before


def test_a_huge_file_is_refused_unless_the_limit_is_raised(tree, tmp_path):
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"x" * 200_001)
    before = snapshot(tree)
    with pytest.raises(IngestError) as caught:
        ingest(huge, tree)
    assert str(caught.value) == (
        f"{huge}: file is 200,001 bytes, over the 200,000-byte limit — is it really one article? "
        "If so, pass --max-bytes 200001 (at most 2,000,000)"
    )
    assert snapshot(tree) == before
    long = tmp_path / "long.txt"
    long.write_text("The IFS is an institute. " * 48)  # 1,200 bytes
    with pytest.raises(IngestError, match="1,200 bytes, over the 1,000-byte limit"):
        ingest(long, tree, max_bytes=1_000)
    assert snapshot(tree) == before
    assert ingest(long, tree, max_bytes=1_200).characters == 1_200
    with pytest.raises(IngestError, match="the largest article `kg build` reads"):
        ingest(long, tree, max_bytes=3_000_000)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"outlet": "reuters"},
            "--outlet 'reuters' is not an entity of data/entities.yaml — no outlet is known "
            "yet; add it as an Outlet first, or leave --outlet out",
        ),
        ({"outlet": "ifs"}, "--outlet 'ifs' is a GovernmentAgency, not an Outlet"),
        ({"agency": "united-states"}, "--agency 'united-states' is a Country, not a NewsAgency"),
        (
            {"date": "2023-02-30"},
            "--date: 2023-02-30 is not a real date (day is out of range for month)",
        ),
        (
            {"language": "en\n- id: x"},
            "--language 'en\\n- id: x': write a language code such as en or zh-Hant",
        ),
        ({"title": "  "}, "--title is empty — give the headline, or leave --title out"),
        ({"article_id": "a b"}, "--id 'a b': use letters, digits, '_' and '-' only"),
        (
            {"article_id": "a1"},
            "article id 'a1' is already used (data/articles/a1.txt or "
            "data/articles.yaml) — choose another --id",
        ),
    ],
)
def test_bad_options_are_refused_and_nothing_is_written(tree, source, options, message):
    before = snapshot(tree)
    with pytest.raises(IngestError) as caught:
        ingest(source, tree, **options)
    assert str(caught.value) == message
    assert snapshot(tree) == before


def test_missing_file_and_directory_are_refused(tree, tmp_path):
    with pytest.raises(IngestError, match=r"nope.txt: no such file$"):
        ingest(tmp_path / "nope.txt", tree)
    with pytest.raises(IngestError, match="not a regular file"):
        ingest(tmp_path, tree)


def test_a_failure_while_renaming_undoes_everything(tree, source, monkeypatch):
    before = snapshot(tree)
    real_replace, calls = os.replace, []

    def flaky_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    with pytest.raises(IngestError) as caught:
        ingest(source, tree)
    assert "No space left on device — nothing was changed" in str(caught.value)
    assert snapshot(tree) == before
    leftovers = [p.name for p in (tree / "data").rglob(".*.tmp")]
    assert leftovers == []


def test_a_curator_edit_during_ingest_is_not_overwritten(tree, source, monkeypatch):
    import kg.ingest as module

    real_render = module.render_draft

    def render_then_edit(*args, **kwargs):
        with open(tree / "data" / "articles.yaml", "a") as handle:
            handle.write("# the curator was typing\n")
        return real_render(*args, **kwargs)

    monkeypatch.setattr(module, "render_draft", render_then_edit)
    with pytest.raises(IngestError, match=r"articles\.yaml changed while ingesting"):
        ingest(source, tree)
    assert not (tree / "data" / "articles" / f"{NEW_ID}.txt").exists()
    assert (tree / "data" / "articles.yaml").read_text().endswith("# the curator was typing\n")


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_ingest_reports_what_it_wrote(tree, source):
    result = CliRunner().invoke(
        main, ["ingest", str(source), "--root", str(tree), "--date", "2023-11-17"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"ingested {NEW_ID} ({len(NEW_TEXT)} characters, sha256 {NEW_SHA[:16]}…)",
        f"  wrote data/articles/{NEW_ID}.txt",
        f"  wrote data/claims/{NEW_ID}.yaml: draft with 3 mentions of 3 entities, "
        "2 candidate entities, 1 candidate claims",
        "  added its record to data/articles.yaml (title guessed from the text: check it)",
        f"next: review data/claims/{NEW_ID}.yaml, delete its first line, then run `kg validate`",
    ]


def test_cli_ingest_error_is_one_line_and_exit_1(tree, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = CliRunner().invoke(main, ["ingest", str(empty), "--root", str(tree)])
    assert result.exit_code == 1
    assert result.output == f"kg: {empty}: file is empty — nothing to ingest\n"


def test_cli_validate_prints_every_problem_at_once_and_writes_nothing(make_tree):
    tree = make_tree(
        claims="- subject: ifs\n  predicate: partOf\n  object: minstry\n"
        "  quote: The IFS\n  start: 82\n  date: 2023-02-30\n",
        entities=BASE_ENTITIES.replace("type: Country", "type: Countri"),
    )
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    result = CliRunner().invoke(main, ["validate", "--root", str(tree)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "data/claims/a1.yaml:3:11: unknown entity 'minstry' — add it to data/entities.yaml",
        "data/claims/a1.yaml:6:9: bad date: 2023-02-30 is not a real date (day is out of range "
        "for month) — write YYYY, YYYY-MM or YYYY-MM-DD",
        "data/entities.yaml:2:9: unknown class 'Countri' — did you mean 'Country'?",
        "kg: 3 problem(s); nothing was written.",
    ]
    assert {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()} == before
    assert not (tree / "exports").exists()


def test_cli_validate_ok_line(tree):
    result = CliRunner().invoke(main, ["validate", "--root", str(tree)])
    assert (result.exit_code, result.output) == (0, "ok: 1 articles, 3 entities, 2 claims\n")


# --- what an article contributes ---------------------------------------------------------------


def _no_claims_yet(tree: Path) -> None:
    """Say in the last article record that its claims are still to be written."""
    articles = tree / "data" / "articles.yaml"
    articles.write_text(articles.read_text() + '  no_claims: "not curated yet"\n')


def test_article_report_lists_claims_and_uncited_sentences(tree, source):
    report = article_report(api.load(root=tree).store, "a1", tree)
    assert [(c["start"], c["predicate"]) for c in report.claims] == [
        (0, "delisted"),
        (82, "partOf"),
    ]
    assert (report.sentences, report.uncited) == (2, [])

    added = ingest(source, tree)
    added.claims_path.write_text(added.claims_path.read_text().split("\n", 1)[1])
    _no_claims_yet(tree)
    report = article_report(api.load(root=tree).store, NEW_ID, tree)
    assert report.claims == []
    assert [(start, named) for start, _, named in report.uncited] == [
        (0, ("united-states", "ministry-of-public-security")),
        (97, ("ifs",)),
        (119, ()),
    ]
    text = format_article_report(report)
    assert text.splitlines()[:3] == [
        f"article {NEW_ID}: {NEW_TEXT.splitlines()[0]} ({len(NEW_TEXT)} characters)",
        "claims (0):",
        "sentences no claim cites (3 of 3; 2 name known entities):",
    ]


def test_article_report_refuses_a_changed_text(tree):
    store = api.load(root=tree).store
    (tree / "data" / "articles" / "a1.txt").write_text("edited\n")
    with pytest.raises(IngestError, match="differs from the one the dataset was built from"):
        article_report(store, "a1", tree)
    with pytest.raises(IngestError, match="no article 'zz' in the dataset"):
        article_report(store, "zz", tree)


# --- the workflow on the real seed articles -----------------------------------------------------


def _fresh_tree(tmp_path: Path) -> Path:
    fresh = tmp_path / "fresh"
    (fresh / "data" / "articles").mkdir(parents=True)
    (fresh / "data" / "claims").mkdir()
    shutil.copytree(ROOT / "ontology", fresh / "ontology")
    shutil.copy(ROOT / "data" / "entities.yaml", fresh / "data" / "entities.yaml")
    return fresh


SEED_IDS = sorted(p.stem for p in (ROOT / "data" / "articles").glob("*.txt"))
MENTION_LINE = re.compile(
    r'^#   @(\d+) (".*") -> (.+?)(?: \(ambiguous: pick one\))?$', re.MULTILINE
)


@pytest.mark.parametrize("article_id", SEED_IDS)
def test_ingest_finds_every_alias_occurrence_of_the_curated_entities(article_id, tmp_path, capsys):
    """Recall of mentions: every occurrence of a label or alias of an entity that the curated
    claims of the article use must be listed in the draft of a fresh ingest (>= 95 %)."""
    curation = load_curation(ROOT)
    text = curation.articles[article_id].text
    fresh = _fresh_tree(tmp_path)
    incoming = tmp_path / f"{article_id}.txt"
    shutil.copy(ROOT / "data" / "articles" / f"{article_id}.txt", incoming)
    report = ingest(incoming, fresh)
    assert report.characters == len(text)
    draft = report.claims_path.read_text(encoding="utf-8")
    found = [
        (int(m[1]), int(m[1]) + len(yaml.safe_load(m[2])), set(m[3].split(" | ")))
        for m in MENTION_LINE.finditer(draft)
    ]

    used: set[str] = set()
    for claim in curation.claims:
        if claim.article == article_id:
            used |= {claim.subject, claim.attributed_to or claim.subject}
            if isinstance(claim.object, str):
                used.add(claim.object)
    occurrences = {
        (m.start(), m.end(), entity)
        for entity in used
        for name in curation.entities[entity].names
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text)
    }
    missed = sorted(
        (s, text[s:e], entity)
        for s, e, entity in occurrences
        if not any(a <= s and e <= b and entity in ids for a, b, ids in found)
    )
    recall = 1 - len(missed) / len(occurrences)
    exact_names = {n for e in curation.entities.values() for n in e.names}
    tolerant = sum(1 for a, b, _ in found if text[a:b] not in exact_names)
    with capsys.disabled():
        print(
            f"\n  {article_id}: mention recall {recall:.1%} ({len(occurrences) - len(missed)}/"
            f"{len(occurrences)} alias occurrences of {len(used)} entities); "
            f"{len(found)} mentions listed, {tolerant} found only by case/punctuation tolerance"
        )
    assert recall >= 0.95, missed


def test_cli_show_article_id_reports_the_article(tree, source):
    added = ingest(source, tree)
    added.claims_path.write_text(added.claims_path.read_text().split("\n", 1)[1])
    _no_claims_yet(tree)
    runner = CliRunner()
    result = runner.invoke(main, ["show", NEW_ID, "--root", str(tree)])
    assert result.exit_code == 0, result.output
    assert "claims (0):" in result.output
    assert "sentences no claim cites (3 of 3; 2 name known entities):" in result.output
    as_json = runner.invoke(main, ["show", "a1", "--root", str(tree), "--json"])
    data = json.loads(as_json.output)
    assert (data["id"], len(data["claims"]), data["uncited"]) == ("a1", 2, [])
    entity = runner.invoke(main, ["show", "ifs", "--root", str(tree), "--json"])
    assert json.loads(entity.output)["entity"]["id"] == "ifs"


def test_articles_yaml_keeps_its_comments_and_line_endings(make_tree, source):
    record = article_record("a1", BASE_TEXT).replace("\n", "  # curated by hand\r\n", 1)
    tree = make_tree(
        articles="# Articles, newest last.\r\n"
        + record.replace("\n", "\r\n").replace("\r\r\n", "\r\n")
    )
    before = (tree / "data" / "articles.yaml").read_bytes()
    ingest(source, tree)
    after = (tree / "data" / "articles.yaml").read_bytes()
    assert after.startswith(before)
    assert after[len(before) :].count(b"\r\n") == after[len(before) :].count(b"\n") == 5
