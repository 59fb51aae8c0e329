"""The curator's lint (kg.lint): data that loads and whose quotes match, but is still wrong.

Errors stop validate and build; warnings are printed, and `kg validate --strict` makes them
errors. Each case names its position and says what to do."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

import kg
from kg.cli import main
from kg.curation import load_curation
from kg.errors import CurationError
from kg.lint import lint, name_key
from tests.conftest import BASE_CLAIMS, BASE_ENTITIES, BASE_TEXT, ROOT, article_record


def found(tree, strict=True):
    """Every problem of the tree, warnings included (strict)."""
    with pytest.raises(CurationError) as caught:
        kg.validate(tree, strict=strict)
    return [str(p) for p in caught.value.problems]


def warnings_of(tree):
    warnings = []
    kg.validate(tree, warnings=warnings)
    return [str(w) for w in warnings]


def test_the_seed_data_is_clean_in_strict_mode():
    kg.validate(ROOT, strict=True)
    result = CliRunner().invoke(main, ["validate", "--strict", "--root", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")


# --- invisible and control characters -------------------------------------------------------


def test_a_zero_width_space_in_a_label_is_an_error_at_its_position(make_tree):
    entities = BASE_ENTITIES.replace("label: United States", "label: United\u200b States")
    assert found(make_tree(entities=entities), strict=False) == [
        "data/entities.yaml:3:10: invisible or control character '\\u200b' (U+200B ZERO WIDTH "
        "SPACE) at character 6 of the label — delete it or type an ordinary character: it "
        "cannot be seen but breaks matching"
    ]


def test_a_control_character_in_a_note_is_an_error(make_tree):
    claims = BASE_CLAIMS.replace("  start: 82\n", '  start: 82\n  note: "bell \\a here"\n')
    assert found(make_tree(claims=claims), strict=False) == [
        "data/claims/a1.yaml:13:9: invisible or control character '\\x07' (U+0007 control "
        "character) at character 5 of the note — delete it or type an ordinary character: it "
        "cannot be seen but breaks matching"
    ]


def test_a_bidi_override_in_a_description_is_an_error(make_tree):
    entities = BASE_ENTITIES + "  description: Listed \u202eby the US\n"
    [message] = found(make_tree(entities=entities), strict=False)
    assert message.startswith(
        "data/entities.yaml:12:16: invisible or control character '\\u202e' (U+202E "
        "RIGHT-TO-LEFT OVERRIDE) at character 7 of the description"
    )


def test_a_no_break_space_is_an_error_in_a_name_and_a_warning_in_a_note(make_tree):
    entities = BASE_ENTITIES.replace("aliases: [IFS]", "aliases: [IFS, Forensic\u00a0Institute]")
    assert found(make_tree(entities=entities), strict=False) == [
        "data/entities.yaml:8:18: invisible or control character '\\xa0' (U+00A0 NO-BREAK SPACE) "
        "at character 8 of the alias — delete it or type an ordinary character: it cannot be "
        "seen but breaks matching"
    ]
    noted = BASE_ENTITIES + "  note: a\u00a0note\n"
    assert warnings_of(make_tree(entities=noted)) == [
        "data/entities.yaml:12:9: warning: invisible or control character '\\xa0' (U+00A0 "
        "NO-BREAK SPACE) at character 1 of the note — delete it or type an ordinary character: "
        "it cannot be seen but breaks matching"
    ]


def test_a_joiner_in_a_name_is_a_warning(make_tree):
    entities = BASE_ENTITIES.replace("aliases: [US]", "aliases: [US, \u0645\u06cc\u200c\u0631]")
    [message] = warnings_of(make_tree(entities=entities))
    assert message.startswith("data/entities.yaml:4:17: warning: invisible or control character")
    assert "U+200C ZERO WIDTH NON-JOINER" in message


def test_a_soft_hyphen_in_the_quoted_article_text_is_a_warning(make_tree):
    text = BASE_TEXT.replace("removed", "re\u00admoved")
    claims = BASE_CLAIMS.replace("removed", "re\u00admoved").replace("start: 82", "start: 83")
    [message] = warnings_of(make_tree(text=text, claims=claims))
    assert message == (
        "data/claims/a1.yaml:4:10: warning: the quoted article text holds '\\xad' (U+00AD SOFT "
        "HYPHEN) at character 20 of the quote — check that the article file is the verbatim "
        "text, not a damaged copy"
    )


# --- scripts and look-alike letters --------------------------------------------------------


def test_a_word_mixing_scripts_is_an_error(make_tree):
    entities = BASE_ENTITIES.replace("label: United States", "label: Unit\u0435d States")
    assert found(make_tree(entities=entities), strict=False) == [
        "data/entities.yaml:3:10: mixed scripts in the word 'Unit\u0435d': '\u0435' (U+0435 "
        "CYRILLIC SMALL LETTER IE) in a LATIN word — retype the word in one script: look-alike "
        "letters break search and matching"
    ]


def test_a_cyrillic_word_that_looks_latin_in_a_latin_name_is_a_warning(make_tree):
    entities = BASE_ENTITIES.replace("aliases: [IFS]", "aliases: [IFS, \u0421\u0410 Institute]")
    assert warnings_of(make_tree(entities=entities)) == [
        "data/entities.yaml:8:18: warning: the word '\u0421\u0410' is CYRILLIC but looks like the "
        "Latin 'CA' — retype it in Latin letters, unless it really is written in that script"
    ]


def test_names_of_two_entities_that_read_the_same_are_a_warning(make_tree):
    entities = BASE_ENTITIES + "  aliases: [Ifs]\n"
    assert warnings_of(make_tree(entities=entities)) == [
        "data/entities.yaml:12:13: warning: 'Ifs' of ministry-of-public-security and 'IFS' of "
        "ifs are the same name once case, spacing and look-alike letters are ignored — if they "
        "are one entity, merge them; if not, drop the shared alias or make it distinct"
    ]
    looked = entities + "  note: Not the `ifs`, which some call Ifs too.\n"
    assert warnings_of(make_tree(entities=looked)) == []


def test_name_key_ignores_case_spacing_width_and_look_alikes():
    assert name_key("\uff29\uff26\uff33") == name_key("ifs") == name_key("\u0406FS  ")


# --- structures that cannot be --------------------------------------------------------------


def test_an_entity_part_of_itself_is_an_error(make_tree):
    claims = BASE_CLAIMS.replace("object: ministry-of-public-security", "object: ifs")
    assert found(make_tree(claims=claims), strict=False) == [
        "data/claims/a1.yaml:10:11: ifs partOf itself — an entity cannot be part of itself: fix "
        "the subject or object"
    ]


def test_a_cycle_of_part_of_is_an_error_naming_each_claim(make_tree):
    claims = BASE_CLAIMS + (
        "- subject: ministry-of-public-security\n  predicate: partOf\n  object: ifs\n"
        "  quote: The IFS\n  start: 82\n"
    )
    assert found(make_tree(claims=claims), strict=False) == [
        "data/claims/a1.yaml:15:11: partOf goes round in a circle: ifs partOf "
        "ministry-of-public-security partOf ifs — an entity cannot be part of itself through "
        "others: one of these claims is wrong (data/claims/a1.yaml:8; data/claims/a1.yaml:13)"
    ]


FIGURE = (
    "- subject: fentanyl\n  predicate: annualOverdoseDeaths\n  object: {value}\n"
    "  quote: The United States\n  start: 0\n  scope: united-states\n"
    "  inferred: {{object: {{words: The United States, reasoning: a test figure}}}}\n{extra}"
)
FENTANYL = BASE_ENTITIES + "- id: fentanyl\n  type: Substance\n  label: fentanyl\n"


def test_a_functional_predicate_with_two_values_in_one_article_is_an_error(make_tree):
    claims = (
        BASE_CLAIMS
        + FIGURE.format(value=110000, extra="")
        + FIGURE.format(value=112000, extra="  note: second\n")
    )
    assert found(make_tree(claims=claims, entities=FENTANYL), strict=False) == [
        "data/claims/a1.yaml:22:11: annualOverdoseDeaths is functional, but article a1 gives "
        "fentanyl two values for the same time and speaker: 110000 "
        "(data/claims/a1.yaml:13) and 112000 — keep the value the text asserts, or tell them "
        "apart with date, valid_from/valid_until or attributed_to"
    ]
    hedged = (
        BASE_CLAIMS
        + FIGURE.format(value=110000, extra="")
        + FIGURE.format(value=112000, extra="  certainty: approximate\n")
    )
    [warning] = warnings_of(make_tree(claims=hedged, entities=FENTANYL))
    assert warning.startswith("data/claims/a1.yaml:22:11: warning: annualOverdoseDeaths is")
    dated = (
        BASE_CLAIMS
        + FIGURE.format(value=110000, extra="  valid_from: 2022\n").replace(
            "{object:", "{valid_from: {words: The United States, reasoning: a test}, object:"
        )
        + FIGURE.format(value=112000, extra="  valid_from: 2023\n").replace(
            "{object:", "{valid_from: {words: The United States, reasoning: a test}, object:"
        )
    )
    assert warnings_of(make_tree(claims=dated, entities=FENTANYL)) == []


# --- dates that cannot be -------------------------------------------------------------------


def test_a_publication_date_in_the_future_is_an_error(make_tree):
    record = article_record("a1", BASE_TEXT).replace("published: 2023-11", "published: 2999-01")
    [message] = found(make_tree(articles=record), strict=False)
    assert message.startswith("data/articles.yaml:4:14: published 2999-01 is in the future")


def test_an_event_dated_in_the_future_is_an_error_a_planned_end_a_warning(make_tree):
    claims = BASE_CLAIMS.replace("date: 2023-11-16", "date: 2999-11-16")
    [message] = found(make_tree(claims=claims), strict=False)
    assert message.startswith("data/claims/a1.yaml:6:9: date 2999-11-16 is in the future")
    planned = BASE_CLAIMS.replace("date: 2023-11-16", "valid_until: 2999").replace(
        "{date:", "{valid_until:"
    )
    [warning] = warnings_of(make_tree(claims=planned))
    assert warning.startswith("data/claims/a1.yaml:6:16: warning: valid_until 2999 is in the")
    assert warning.endswith("— a planned end? say so in a note")


def test_an_event_reported_before_it_happened_is_a_warning(make_tree):
    claims = BASE_CLAIMS.replace("date: 2023-11-16", "date: 2024-01-05")
    assert warnings_of(make_tree(claims=claims)) == [
        "data/claims/a1.yaml:6:9: warning: date 2024-01-05 is after the article was published "
        "(2023-11): reported before it happened — check the date; for something planned or "
        "expected, say so with certainty and a note"
    ]


def test_a_validity_that_ends_before_it_starts_is_an_error(make_tree):
    claims = BASE_CLAIMS.replace("date: 2023-11-16", "valid_from: 2023\n  valid_until: 2021")
    claims = "".join(line for line in claims.splitlines(True) if "inferred" not in line)
    assert found(make_tree(claims=claims), strict=False) == [
        "data/claims/a1.yaml:7:16: valid_until 2021 is before valid_from 2023 — swap them or "
        "fix one"
    ]


def test_today_is_a_parameter_of_the_lint(root):
    curation = load_curation(root)
    assert lint(curation, load_curation.__globals__["load_ontology"]()) == []
    past = dt.date(2020, 1, 1)
    future = [f for f in lint(curation, load_curation.__globals__["load_ontology"](), past)]
    assert future and all("in the future" in f.message for f in future)


# --- strict mode in the CLI, and long listings ---------------------------------------------


def test_warnings_are_printed_and_strict_makes_them_errors(make_tree):
    tree = make_tree(claims=BASE_CLAIMS.replace("date: 2023-11-16", "date: 2024-01-05"))
    result = CliRunner().invoke(main, ["validate", "--root", str(tree)])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "data/claims/a1.yaml:6:9: warning: date 2024-01-05 is after the article was published "
        "(2023-11): reported before it happened — check the date; for something planned or "
        "expected, say so with certainty and a note",
        "ok: 1 articles, 3 entities, 2 claims (1 warning(s): --strict makes them errors)",
    ]
    strict = CliRunner().invoke(main, ["validate", "--strict", "--root", str(tree)])
    assert strict.exit_code == 1
    assert strict.output.splitlines()[-1] == "kg: 1 problem(s); nothing was written."


def test_a_million_bad_aliases_print_a_capped_listing(make_tree):
    aliases = ", ".join(f"IFS\u200b{n}" for n in range(20_000))
    entities = BASE_ENTITIES.replace("aliases: [IFS]", f"aliases: [IFS, {aliases}]")
    result = CliRunner().invoke(main, ["validate", "--root", str(make_tree(entities=entities))])
    lines = result.output.splitlines()
    assert result.exit_code == 1 and len(lines) == 52
    assert lines[-2] == "data/entities.yaml: … and 19,950 more problems in this file"
    assert lines[-1] == "kg: 20000 problem(s); nothing was written."
