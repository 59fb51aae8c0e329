"""Every bad-input case of the loader: one test per problem, asserting the located message."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg
from kg.cli import main
from kg.errors import CurationError
from tests.conftest import BASE_CLAIMS, BASE_ENTITIES, BASE_TEXT, article_record


def problems(tree: Path) -> list[str]:
    with pytest.raises(CurationError) as caught:
        kg.validate(tree)
    return [str(p) for p in caught.value.problems]


def test_base_tree_is_valid(make_tree):
    curation = kg.validate(make_tree())
    assert [c.predicate for c in curation.claims] == ["delisted", "partOf"]


def test_malformed_yaml_reports_line_and_column(make_tree):
    tree = make_tree(claims="- subject: ifs\n  predicate: [partOf\n")
    assert problems(tree) == [
        "data/claims/a1.yaml:3:1: malformed YAML: expected ',' or ']', but got '<stream end>' "
        "— fix the YAML syntax at this position"
    ]


def test_duplicate_key_in_one_mapping(make_tree):
    claims = BASE_CLAIMS.replace("  start: 0\n", "  start: 0\n  start: 4\n")
    assert problems(make_tree(claims=claims)) == [
        "data/claims/a1.yaml:6:3: duplicate key 'start' (first at line 5) — keep one of them"
    ]


def test_duplicate_entity_ids_across_files_name_both_places(make_tree):
    extra = "- id: ifs\n  type: GovernmentAgency\n  label: Another IFS\n"
    tree = make_tree(files={"data/entities/more.yaml": extra})
    assert problems(tree) == [
        "data/entities/more.yaml:1:7: duplicate entity id 'ifs', also defined at "
        "data/entities.yaml:5 — rename one of them or merge the two records"
    ]


def test_unknown_entity_suggests_close_ids(make_tree):
    claims = BASE_CLAIMS.replace("object: ifs", "object: ifss")
    assert problems(make_tree(claims=claims)) == [
        "data/claims/a1.yaml:3:11: unknown entity 'ifss' — did you mean 'ifs'?"
    ]


def test_unknown_predicate_suggests_ontology_names(make_tree):
    claims = BASE_CLAIMS.replace("predicate: partOf", "predicate: partof")
    assert problems(make_tree(claims=claims)) == [
        "data/claims/a1.yaml:9:14: unknown predicate 'partof' — did you mean 'partOf'?"
    ]


def test_unknown_class_suggests_ontology_names(make_tree):
    entities = BASE_ENTITIES.replace("type: Country", "type: Countri")
    assert problems(make_tree(entities=entities)) == [
        "data/entities.yaml:2:9: unknown class 'Countri' — did you mean 'Country'?"
    ]


def test_domain_violation(make_tree):
    # listedOn needs a List as its object; the IFS is a GovernmentAgency.
    claims = BASE_CLAIMS.replace("predicate: partOf", "predicate: listedOn")
    assert problems(make_tree(claims=claims)) == [
        "data/claims/a1.yaml:10:11: object 'ministry-of-public-security' is a GovernmentAgency, "
        "but listedOn needs a List here — use another predicate or fix the entity's type"
    ]


def test_quote_not_found_shows_closest_span(make_tree):
    claims = BASE_CLAIMS.replace("The IFS operates under", "The IFS operated under")
    assert problems(make_tree(claims=claims)) == [
        "data/claims/a1.yaml:11:10: quote not found verbatim in a1 — closest text at 82: "
        "'The IFS operates under the Ministry of Public Security'"
    ]


def test_quote_at_wrong_offset_gives_the_right_one(make_tree):
    claims = BASE_CLAIMS.replace("start: 82", "start: 80")
    assert problems(make_tree(claims=claims)) == [
        "data/claims/a1.yaml:12:10: the quote is not at offset 80 of a1 — "
        "it occurs at 82: set start: 82"
    ]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2024-02-30", "bad date: 2024-02-30 is not a real date (day is out of range for month)"),
        ("05/01/2024", "bad date: '05/01/2024' is not a date: write YYYY, YYYY-MM or YYYY-MM-DD"),
    ],
)
def test_bad_dates(make_tree, written, message):
    claims = BASE_CLAIMS.replace("date: 2023-11-16", f"date: {written}")
    assert problems(make_tree(claims=claims)) == [
        f"data/claims/a1.yaml:6:9: {message} — write YYYY, YYYY-MM or YYYY-MM-DD"
    ]


def test_yaml_keeps_what_the_curator_wrote(make_tree):
    entities = BASE_ENTITIES.replace("aliases: [US]", "aliases: [US, NO, 012, 2020-01-01]")
    curation = kg.validate(make_tree(entities=entities))
    assert curation.entities["united-states"].aliases == ("US", "NO", "012", "2020-01-01")
    assert curation.articles["a1"].published is not None
    assert curation.articles["a1"].published.text == "2023-11"


def test_number_with_leading_zero_is_rejected(make_tree):
    claims = BASE_CLAIMS + (
        "- subject: fentanyl\n  predicate: annualOverdoseDeaths\n  object: 0110000\n"
        "  quote: The United States\n  start: 0\n  scope: united-states\n"
    )
    entities = BASE_ENTITIES + "- id: fentanyl\n  type: Substance\n  label: fentanyl\n"
    assert problems(make_tree(claims=claims, entities=entities)) == [
        "data/claims/a1.yaml:15:11: '0110000' is not a plain integer — write digits only, "
        "without separators, units or leading zeros (e.g. 110000)"
    ]


def test_python_tag_is_refused(make_tree):
    entities = BASE_ENTITIES.replace(
        "label: United States", "label: !!python/object/apply:os.system [echo hi]"
    )
    assert problems(make_tree(entities=entities)) == [
        "data/entities.yaml:3:10: explicit YAML tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'"
        " is not allowed — remove the tag; kg reads plain strings, lists and mappings"
    ]


def test_iri_unsafe_entity_id(make_tree):
    entities = BASE_ENTITIES + "- id: IFS lab/1\n  type: Organization\n  label: Lab\n"
    assert problems(make_tree(entities=entities)) == [
        "data/entities.yaml:12:7: entity id 'IFS lab/1' is not a lowercase slug — use letters "
        "a-z, digits and single hyphens, e.g. 'ministry-of-public-security'"
    ]


def test_claim_without_quote(make_tree):
    claims = BASE_CLAIMS.replace(
        "  quote: The United States removed the Institute of Forensic Science\n", ""
    )
    assert problems(make_tree(claims=claims)) == [
        "data/claims/a1.yaml:1:3: missing required key 'quote' — add it (see data/README.md)"
    ]


def test_sha256_mismatch(make_tree):
    wrong = article_record("a1", BASE_TEXT).replace(
        hashlib.sha256(BASE_TEXT.encode()).hexdigest(), "0" * 64
    )
    [message] = problems(make_tree(articles=wrong))
    assert message.startswith("data/articles.yaml:6:11: sha256 of data/articles/a1.txt is ")
    assert message.endswith(
        f"not {'0' * 64} — the text changed: restore the verbatim copy, or "
        "update the hash if the new file is the right one"
    )


def test_non_utf8_article_reports_byte_offset(make_tree):
    raw = BASE_TEXT.encode().replace(b"Forensic", b"For\xe9nsic")
    assert problems(make_tree(text=raw)) == [
        "data/articles/a1.txt:1:47: not UTF-8: byte 0xe9 at byte offset 46 — "
        "re-save the file as UTF-8"
    ]


def test_file_over_size_limit(make_tree):
    huge = "# padding\n" * 600_000
    assert problems(make_tree(files={"data/entities/huge.yaml": huge})) == [
        "data/entities/huge.yaml: file is 6,000,000 bytes, over the 5,000,000-byte limit — "
        "move some of its records to data/entities/*.yaml files (any number, read in name "
        "order; see data/README.md)"
    ]


def test_unknown_key_suggests_the_right_one(make_tree):
    claims = BASE_CLAIMS.replace("  date: 2023-11-16", "  dat: 2023-11-16")
    assert problems(make_tree(claims=claims)) == [
        "data/claims/a1.yaml:6:3: unknown key 'dat' — did you mean 'date'?",
        "data/claims/a1.yaml:7:14: basis for date, but the claim has no date",
    ]


def test_every_problem_is_reported_at_once(make_tree):
    entities = BASE_ENTITIES.replace("type: Country", "type: Countri")
    claims = BASE_CLAIMS.replace("predicate: partOf", "predicate: partof").replace(
        "date: 2023-11-16", "date: 2024-02-30"
    )
    found = problems(make_tree(entities=entities, claims=claims))
    assert len(found) == 3
    assert [m.split(":")[0] for m in found] == [
        "data/claims/a1.yaml",
        "data/claims/a1.yaml",
        "data/entities.yaml",
    ]


def test_cli_build_prints_every_problem_and_exits_1(make_tree):
    tree = make_tree(claims=BASE_CLAIMS.replace("object: ifs", "object: ifss"))
    result = CliRunner().invoke(main, ["build", "--root", str(tree)])
    assert result.exit_code == 1
    assert "data/claims/a1.yaml:3:11: unknown entity 'ifss'" in result.output
    assert "1 problem(s); nothing was written." in result.output
    assert not (tree / "exports").exists()


def test_article_records_may_be_split_and_ids_stay_unique_across_files(make_tree):
    record = article_record("a1", BASE_TEXT)
    tree = make_tree(articles="[]\n", files={"data/articles/0001.yaml": record})
    assert [a for a in kg.validate(tree).articles] == ["a1"]
    tree = make_tree(files={"data/articles/0001.yaml": record})
    assert problems(tree) == [
        "data/articles/0001.yaml:1:7: duplicate article id 'a1', also at data/articles.yaml:1 "
        "— remove one of the two records"
    ]


def test_article_ids_that_would_be_one_ftm_entity_are_refused(make_tree):
    """FollowTheMoney ids have no '_' (kg.ftm writes it '-'): 'x_y' and 'x-y' would be one
    entity of kg.ftm.json, so the second is an error naming both."""
    records = "".join(
        article_record(ident, BASE_TEXT, no_claims="a test") for ident in ("x_y", "x-y")
    )
    texts = {f"data/articles/{ident}.txt": BASE_TEXT for ident in ("x_y", "x-y")}
    tree = make_tree(articles=article_record("a1", BASE_TEXT) + records, files=texts)
    assert problems(tree) == [
        "data/articles.yaml:16: article ids 'x_y' (at data/articles.yaml:8) and 'x-y' are one "
        "FollowTheMoney id, 'kg-article-x-y' ('_' is written '-' there) — rename one of the two "
        "articles (its record, text file and claims file)"
    ]
    kg.validate(
        make_tree(
            articles=article_record("a1", BASE_TEXT) + records.replace("x-y", "x-z"),
            files={**texts, "data/articles/x-z.txt": BASE_TEXT},
        )
    )


def test_an_oversize_article_file_is_one_problem_and_its_claims_files_one_summary(make_tree):
    """Its claims files are not listed one by one: they follow from the one refused file."""
    claims = {f"data/claims/b{i}.yaml": BASE_CLAIMS for i in range(30)}
    huge = article_record("a1", BASE_TEXT) + "# padding\n" * 600_000
    tree = make_tree(articles=huge, files=claims)
    assert problems(tree) == [
        f"data/articles.yaml: file is {len(huge.encode()):,} bytes, over the 5,000,000-byte "
        "limit — move some of its records to data/articles/*.yaml files (any number, read in "
        "name order; see data/README.md)",
        "data/articles.yaml: which leaves 31 claims files that refer to its articles "
        "unchecked — they are checked once the article records can be read",
    ]
    # once split, the same records are accepted
    text = BASE_TEXT.encode()
    fine = make_tree(
        articles="[]\n",
        files={"data/articles/0001.yaml": article_record("a1", text), **claims}
        | {f"data/articles/b{i}.txt": text for i in range(30)}
        | {"data/articles/0002.yaml": "".join(article_record(f"b{i}", text) for i in range(30))},
    )
    assert len(kg.validate(fine).articles) == 31


# --- nothing vanishes silently ----------------------------------------------------------------

EMPTY_CLAIMS_HINT = (
    "write its claims; if article a1 supports none, write [] and say why with "
    "`no_claims: <reason>` in its record in data/articles.yaml"
)


@pytest.mark.parametrize("content", ["", "# all claims were here\n\n# and here\n", "\n  \n"])
def test_an_empty_or_comment_only_claims_file_is_an_error(make_tree, content):
    assert problems(make_tree(claims=content)) == [
        f"data/claims/a1.yaml: no records: the file is empty or only comments — {EMPTY_CLAIMS_HINT}"
    ]


def test_an_explicitly_empty_claims_file_needs_a_reason(make_tree):
    assert problems(make_tree(claims="[]\n")) == [
        "data/claims/a1.yaml: no claims for article a1 (the file holds []) — write its claims, "
        "or say why it has none with `no_claims: <reason>` in its record in data/articles.yaml"
    ]


def test_an_article_said_to_have_no_claims_validates_without_them(make_tree):
    record = article_record("a1", BASE_TEXT, no_claims='"obituary: no claims about the graph"')
    for claims in ("[]\n", "# nothing to extract\n"):
        curation = kg.validate(make_tree(claims=claims, articles=record))
        assert curation.claims == () and list(curation.articles) == ["a1"]


def test_no_claims_with_claims_is_a_contradiction(make_tree):
    record = article_record("a1", BASE_TEXT, no_claims="opinion piece")
    assert problems(make_tree(articles=record)) == [
        "data/articles.yaml:7: article a1 says no_claims, but data/claims/a1.yaml has "
        "2 claim(s) — remove no_claims, or the claims"
    ]


def test_an_article_without_a_claims_file_is_an_error(make_tree):
    tree = make_tree()
    (tree / "data" / "claims" / "a1.yaml").unlink()
    assert problems(tree) == [
        "data/articles.yaml:1: article a1 has no claims: data/claims/a1.yaml is missing — "
        "write its claims there, or say why it has none with `no_claims: <reason>`"
    ]


@pytest.mark.parametrize("content", ["", "# entities\n"])
def test_an_empty_entities_file_is_one_error_not_a_flood(make_tree, content):
    assert problems(make_tree(entities=content)) == [
        "data/entities.yaml: no records: the file is empty or only comments — restore its "
        "records (git diff shows what was lost), or write [] if it is meant to hold none"
    ]


def test_an_empty_extra_entities_file_is_an_error(make_tree):
    tree = make_tree(files={"data/entities/people.yaml": "# to do\n"})
    assert [p.split(":")[0] for p in problems(tree)] == ["data/entities/people.yaml"]


def test_an_empty_articles_file_is_an_error(make_tree):
    assert problems(make_tree(articles="# none\n")) == [
        "data/articles.yaml: no records: the file is empty or only comments — restore its "
        "records (git diff shows what was lost), or write [] if there are none yet",
        "data/articles.yaml: which leaves 1 claims file that refer to its articles unchecked — "
        "they are checked once the article records can be read",
    ]


def test_a_build_that_drops_many_claims_names_them_and_needs_a_flag(make_tree):
    tree = make_tree()
    kg.build(tree, html=False, shacl=False)
    before = (tree / "exports" / "kg.nq").read_bytes()
    one_claim = BASE_CLAIMS.split("- subject: ifs")[0]
    (tree / "data" / "claims" / "a1.yaml").write_text(one_claim)
    result = CliRunner().invoke(main, ["build", "--root", str(tree), "--no-html", "--no-shacl"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "kg: this build would drop 1 of 2 claims (articles: a1 2 → 1) compared with "
        f"{tree / 'exports' / 'stats.json'} — if that is intended, build again with "
        "--allow-drop (kg.build(..., allow_drop=True)); nothing was written"
    )
    assert (tree / "exports" / "kg.nq").read_bytes() == before
    result = CliRunner().invoke(
        main, ["build", "--root", str(tree), "--no-html", "--no-shacl", "--allow-drop"]
    )
    assert result.exit_code == 0, result.output
    assert (tree / "exports" / "kg.nq").read_bytes() != before


def test_a_build_that_drops_entities_names_their_types(make_tree):
    extra = "".join(f"- id: person-{n}\n  type: Person\n  label: Person {n}\n" for n in range(9))
    tree = make_tree(entities=BASE_ENTITIES + extra)
    kg.build(tree, html=False, shacl=False)
    (tree / "data" / "entities.yaml").write_text(BASE_ENTITIES)
    with pytest.raises(kg.KgError) as caught:
        kg.build(tree, html=False, shacl=False)
    assert str(caught.value).startswith(
        "this build would drop 9 of 12 entities (types: Person 9 → 0) compared with"
    )


# --- every error one line ---------------------------------------------------------------------


def test_a_start_of_5000_digits_is_one_located_error(make_tree):
    claims = BASE_CLAIMS.replace("start: 82", f"start: {'9' * 5000}")
    assert problems(make_tree(claims=claims)) == [
        f"data/claims/a1.yaml:12:10: start {'9' * 40}… (5,000 characters) is past the end of a1 "
        "(138 characters) — write the 0-based offset of the quote in the article"
    ]
    result = CliRunner().invoke(main, ["validate", "--root", str(make_tree(claims=claims))])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_an_integer_object_of_5001_digits_is_refused_at_validate(make_tree):
    claims = BASE_CLAIMS + (
        "- subject: fentanyl\n  predicate: annualOverdoseDeaths\n"
        f"  object: {'1' * 5001}\n  quote: The United States\n  start: 0\n"
        "  scope: united-states\n"
    )
    entities = BASE_ENTITIES + "- id: fentanyl\n  type: Substance\n  label: fentanyl\n"
    assert problems(make_tree(claims=claims, entities=entities)) == [
        f"data/claims/a1.yaml:15:11: number {'1' * 40}… (5,001 characters) is too long for a "
        "figure — write at most 100 characters; check what was pasted here"
    ]


# --- all problems at once -------------------------------------------------------------------


def test_an_unknown_predicate_does_not_hide_a_misspelt_object(make_tree):
    claims = BASE_CLAIMS.replace("predicate: partOf", "predicate: partof").replace(
        "object: ministry-of-public-security", "object: ministry-of-public-securty"
    )
    assert problems(make_tree(claims=claims)) == [
        "data/claims/a1.yaml:9:14: unknown predicate 'partof' — did you mean 'partOf'?",
        "data/claims/a1.yaml:10:11: unknown entity 'ministry-of-public-securty' — "
        "did you mean 'ministry-of-public-security'?",
    ]


def test_an_unknown_predicate_close_to_a_datatype_one_checks_the_literal(make_tree):
    claims = BASE_CLAIMS + (
        "- subject: united-states\n  predicate: annualOverdoseDeath\n  object: 11O000\n"
        "  quote: The United States\n  start: 0\n"
    )
    found = problems(make_tree(claims=claims))
    assert [p.split(" — ")[0] for p in found] == [
        "data/claims/a1.yaml:14:14: unknown predicate 'annualOverdoseDeath'",
        "data/claims/a1.yaml:15:11: '11O000' is not a plain integer",
    ]


def test_a_long_listing_is_capped_with_how_many_more(make_tree):
    claims = "".join(
        f"- subject: nobody-{n}\n  predicate: partOf\n  object: ifs\n"
        "  quote: The IFS\n  start: 82\n"
        for n in range(3000)
    )
    result = CliRunner().invoke(main, ["validate", "--root", str(make_tree(claims=claims))])
    lines = result.output.splitlines()
    assert len(lines) == 52
    assert lines[-2] == "data/claims/a1.yaml: … and 2,950 more problems in this file"
    assert lines[-1] == "kg: 3000 problem(s); nothing was written."


# --- quotes that differ only invisibly ------------------------------------------------------


@pytest.mark.parametrize(
    ("in_text", "in_quote", "difference"),
    [
        (
            "The IFS\u00a0operates",
            "The IFS operates",
            "at offset 89 the text has '\\xa0' (U+00A0 NO-BREAK SPACE) where the quote has "
            "' ' (U+0020 SPACE)",
        ),
        (
            "The IFS oper\u00adates",
            "The IFS operates",
            "at offset 94 the text has '\\xad' (U+00AD SOFT HYPHEN), the quote leaves it out",
        ),
        (
            "The IFS\u2019 unit operates",
            "The IFS' unit operates",
            "at offset 89 the text has '\u2019' (U+2019 RIGHT SINGLE QUOTATION MARK) where the "
            'quote has "\'" (U+0027 APOSTROPHE)',
        ),
    ],
)
def test_a_quote_that_differs_only_invisibly_says_exactly_what_differs(
    make_tree, in_text, in_quote, difference
):
    text = BASE_TEXT.replace("The IFS operates", in_text)
    claims = BASE_CLAIMS.replace("The IFS operates", in_quote)
    [message] = problems(make_tree(text=text, claims=claims))
    assert message.startswith(
        "data/claims/a1.yaml:11:10: the quote differs from the text of a1 only in characters "
        f"that look alike or cannot be seen: {difference} — copy the text exactly: quote: "
    )


def test_the_hint_gives_a_quote_to_paste_with_escapes(make_tree):
    text = BASE_TEXT.replace("The IFS operates", "The IFS\u00a0operates")
    [message] = problems(make_tree(text=text))
    assert message.endswith(
        '— copy the text exactly: quote: "The IFS\\u00a0operates under the Ministry of Public '
        'Security"'
    )
    fixed = BASE_CLAIMS.replace(
        "quote: The IFS operates under the Ministry of Public Security",
        'quote: "The IFS\\u00a0operates under the Ministry of Public Security"',
    )
    assert len(kg.validate(make_tree(text=text, claims=fixed)).claims) == 2


def test_crlf_line_ends_are_named_and_kept(make_tree):
    text = BASE_TEXT.replace("Entity List. ", "Entity List.\r\n")
    claims = (
        BASE_CLAIMS.replace(
            "quote: The United States removed the Institute of Forensic Science",
            'quote: "Entity List.\\nThe IFS"',
        )
        .replace("start: 0", "start: 69")
        .replace("start: 82", "start: 83")
    )
    [message] = problems(make_tree(text=text, claims=claims))
    assert (
        "only in characters that look alike or cannot be seen: at offset 81 the text has "
        "'\\r' (U+000D CARRIAGE RETURN), the quote leaves it out — copy the text exactly: "
        'quote: "Entity List.\\u000d\\nThe IFS"'
    ) in message


def test_a_byte_order_mark_is_not_part_of_the_text(make_tree):
    """Offsets count from the first character after the BOM; the sha256 is of the bytes."""
    raw = "\ufeff".encode() + BASE_TEXT.encode()
    curation = kg.validate(make_tree(text=raw))
    assert curation.articles["a1"].text == BASE_TEXT
    assert [c.quote.start for c in curation.claims] == [0, 82]
    assert curation.articles["a1"].sha256 == hashlib.sha256(raw).hexdigest()


def test_a_number_in_text_is_found_as_the_regular_expression_finds_it() -> None:
    """The date check's digit-bounded search (no expression compiled per date) agrees with
    ``(?<!\\d)TOKEN(?!\\d)`` on texts with ASCII and other decimal digits."""
    import random
    import re

    from kg.curation import _number_in

    rng = random.Random(3)
    alphabet = "2019-0 a,\u0663\u00b2x"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        token = rng.choice(["2019", "2019-01", "0", "19", "2019-01-0"])
        expected = bool(re.search(rf"(?<!\d){re.escape(token)}(?!\d)", text))
        assert _number_in(text, token) == expected, (text, token)
