"""``kg validate`` after an edit (the tree's last clean check, kg.verdict): whatever changed, the
fast check answers exactly what a full check of the same files answers (the same counts, the same
warnings, or the same problems), it re-checks only claims files, and it is not taken when
anything else changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import re
import shutil
import time
import types
from collections.abc import Callable
from pathlib import Path
from random import Random
from typing import Any

import pytest
from click.testing import CliRunner

import kg
import kg.curation
import kg.verdict
from kg.buildcache import CACHE_FOLDER
from kg.cli import main
from kg.curation import CheckReport, check_curation
from kg.errors import CurationError, Problem
from kg.synth import synthesize

# Two articles of our own on top of the synthetic corpus, written so that every kind of
# finding can be made by editing claims alone: places contained in one another (partOf, a
# transitive predicate) and a functional predicate (location, durationHours) whose two values
# are compatible only through the partOf claims of the OTHER article, dates in the future.
TEXT_A = (
    "Probe report, published in 2021. The Probe Summit was held in North Vale. "
    "The Probe Summit was held in Greater Vale, officials said. "
    "East Realm is part of North Vale, one old map claimed. "
    "The Probe Summit lasted 5 hours. Others said the Probe Summit lasted 7 hours. "
    "The next Probe Summit is planned for 3 March 2099. "
    "Talks near West Shore run until March 2099.\n"
)
TEXT_B = (
    "Probe atlas, published in 2021. North Vale is part of Greater Vale. "
    "Greater Vale is part of East Realm. West Shore is part of Greater Vale. "
    "The Probe Summit was held near West Shore.\n"
)
TEXT_NONE = "Probe notice, published in 2021: nothing here supports a claim.\n"
PLACES = {
    "north-vale": "North Vale",
    "greater-vale": "Greater Vale",
    "east-realm": "East Realm",
    "west-shore": "West Shore",
}


def _claim(text: str, subject: str, predicate: str, obj: str, quote: str, **more: str) -> str:
    """A claims-file record whose quote is at its offset in ``text``."""
    lines = [
        f"- subject: {subject}",
        f"  predicate: {predicate}",
        f'  object: "{obj}"',
        f'  quote: "{quote}"',
        f"  start: {text.index(quote)}",
        *(f"  {key}: {value}" for key, value in more.items()),
    ]
    return "\n".join(lines) + "\n"


IN_NORTH = _claim(
    TEXT_A, "probe-summit", "location", "north-vale", "The Probe Summit was held in North Vale"
)
IN_GREATER = _claim(
    TEXT_A, "probe-summit", "location", "greater-vale", "The Probe Summit was held in Greater Vale"
)
LASTED_5 = _claim(TEXT_A, "probe-summit", "durationHours", "5", "The Probe Summit lasted 5 hours")
LASTED_7 = _claim(TEXT_A, "probe-summit", "durationHours", "7", "the Probe Summit lasted 7 hours")
EAST_IN_NORTH = _claim(
    TEXT_A, "east-realm", "partOf", "north-vale", "East Realm is part of North Vale"
)
IN_2099 = _claim(TEXT_A, "probe-summit", "occurredOn", "2099-03-03", "planned for 3 March 2099")
UNTIL_2099 = _claim(
    TEXT_A,
    "probe-summit",
    "locationNear",
    "west-shore",
    "Talks near West Shore run until March 2099",
    valid_until="2099-03",
)
NEAR_WEST_A = _claim(TEXT_A, "probe-summit", "locationNear", "west-shore", "Talks near West Shore")
NORTH_IN_GREATER = _claim(
    TEXT_B, "north-vale", "partOf", "greater-vale", "North Vale is part of Greater Vale"
)
GREATER_IN_EAST = _claim(
    TEXT_B, "greater-vale", "partOf", "east-realm", "Greater Vale is part of East Realm"
)
WEST_IN_GREATER = _claim(
    TEXT_B, "west-shore", "partOf", "greater-vale", "West Shore is part of Greater Vale"
)
NEAR_WEST = _claim(
    TEXT_B,
    "probe-summit",
    "locationNear",
    "west-shore",
    "The Probe Summit was held near West Shore",
)
CLAIMS_A = IN_NORTH + IN_GREATER + LASTED_5
CLAIMS_B = NORTH_IN_GREATER + GREATER_IN_EAST + NEAR_WEST


def _add_probes(root: Path) -> None:
    data = root / "data"
    entities = [("probe-summit", "Event", "Probe Summit")]
    entities += [(ident, "Place", label) for ident, label in PLACES.items()]
    with (data / "entities.yaml").open("a", encoding="utf-8") as out:
        for ident, kind, label in entities:
            out.write(f'- id: {ident}\n  type: {kind}\n  label: "{label}"\n')
        # a warning about the records: an alias that is another place's name
        out.write('  aliases: ["East Realm"]\n')
    for ident, text, extra in (
        ("probe-a", TEXT_A, ""),
        ("probe-b", TEXT_B, ""),
        ("probe-none", TEXT_NONE, '  no_claims: "a notice; it states nothing"\n'),
    ):
        (data / "articles" / f"{ident}.txt").write_text(text, encoding="utf-8")
        digest = hashlib.sha256(text.encode()).hexdigest()
        with (data / "articles.yaml").open("a", encoding="utf-8") as out:
            out.write(
                f'- id: {ident}\n  title: "Probe {ident}"\n  outlet: capital-review\n'
                f"  published: 2021\n  language: en\n  sha256: {digest}\n{extra}"
            )
    (data / "claims" / "probe-a.yaml").write_text(CLAIMS_A, encoding="utf-8")
    (data / "claims" / "probe-b.yaml").write_text(CLAIMS_B, encoding="utf-8")
    (data / "background.yaml").write_text(
        "- subject: west-shore\n  predicate: partOf\n  object: east-realm\n"
        "  curator: probe\n  reference: geonames:2643743\n",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic corpus with the probe articles, checked once (its build cache is warm)."""
    root = tmp_path_factory.mktemp("verdict") / "corpus"
    synthesize(root, claims=300, seed=11)
    _add_probes(root)
    check_curation(root, full=True)
    return root


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust every file written before a check began, by the computer's clock (the tests write
    files a moment before checking: the filesystem's clock may not have ticked since)."""
    _window(monkeypatch, 0)


def _window(monkeypatch: pytest.MonkeyPatch, window_ns: int) -> None:
    """Trust the status of files last changed ``window_ns`` before a check began."""
    monkeypatch.setattr(kg.curation, "reference_ns", lambda _r, _f: time.time_ns() - window_ns)


@pytest.fixture
def rechecks(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The files each fast check re-checked (what changed that is still there)."""
    calls: list[set[str]] = []
    recheck = kg.curation._recheck

    def spy(root: Path, reuse: Any, verdict: Any, files: Any, *rest: Any) -> CheckReport:
        began, changed = rest[0], rest[1]
        calls.append({path for path in changed if path in files})
        return recheck(root, reuse, verdict, files, began, changed, *rest[2:])

    monkeypatch.setattr(kg.curation, "_recheck", spy)
    return calls


@pytest.fixture
def tree(pristine: Path, tmp_path: Path, settled: None) -> Path:
    """A copy of the corpus whose last clean check is kept (a full check: every file is new)."""
    root = tmp_path / "tree"
    shutil.copytree(pristine, root)
    assert check_curation(root).rechecked is None  # another inode for every file
    assert check_curation(root).rechecked == 0  # nothing changed since
    return root


# --- how a check answers, fast and full ----------------------------------------------------

Answer = tuple[Any, ...]


def _answer(check: Callable[[], CheckReport]) -> tuple[Answer, int | None]:
    """What a check says (counts and warnings, or its problems) and how many claims files it
    re-checked."""
    try:
        report = check()
    except CurationError as err:
        return ("problems", list(err.problems)), None
    found = (report.articles, report.entities, report.claims, report.warnings)
    return ("ok", *found), report.rechecked


def _full_answers(root: Path, strict: bool, in_place: bool, validate: bool) -> list[Answer]:
    """What a full check says, by check_curation and (``validate``) by kg.validate, in a copy
    of data/ and ontology/ without any cache, so that the tree's own verdict is left as the
    fast check made it (``in_place`` when the answer names absolute paths)."""
    where = root
    if not in_place:
        where = root.parent / "full-copy"
        shutil.rmtree(where, ignore_errors=True)
        for folder in ("data", "ontology"):
            shutil.copytree(root / folder, where / folder, symlinks=True)
    answers = [_answer(lambda: check_curation(where, strict=strict, full=True))[0]]

    def validated() -> CheckReport:
        warnings: list[Problem] = []
        curation = kg.validate(where, strict=strict, warnings=warnings, full=True)
        counts = len(curation.articles), len(curation.entities), len(curation.claims)
        return CheckReport(*counts, sorted(warnings))

    if validate:
        answers.append(_answer(validated)[0])
    if not in_place:
        shutil.rmtree(where)
    return answers


def _same_as_full(
    root: Path, *, strict: bool = False, in_place: bool = False, validate: bool = False
) -> Answer:
    """Check fast, then in full (``validate``: also by kg.validate, the same full check by
    another door): the same answer. Returns it with what the fast check re-checked
    (``("rechecked", n)``)."""
    fast, rechecked = _answer(lambda: check_curation(root, strict=strict))
    for full in _full_answers(root, strict, in_place, validate):
        assert fast == full
    return (*fast, ("rechecked", rechecked))


def _ok(answer: Answer, rechecked: int | None) -> list[Problem]:
    """The answer is a clean check that re-checked ``rechecked`` files; its warnings."""
    assert answer[0] == "ok", answer
    assert answer[-1] == ("rechecked", rechecked)
    return list(answer[4])


def _not_fast(root: Path, rechecks: list[set[str]], **how: Any) -> Answer:
    """The same answer as a full check, which it was: nothing was re-checked on its own."""
    answer = _same_as_full(root, **how)
    assert answer[-1] == ("rechecked", None)
    assert rechecks == []
    return answer


def _problems(answer: Answer) -> list[Problem]:
    assert answer[0] == "problems", answer
    return list(answer[1])


def _claims(root: Path, name: str) -> Path:
    return root / "data" / "claims" / f"{name}.yaml"


def _synthetic(root: Path, index: int) -> Path:
    return sorted((root / "data" / "claims").glob("0*.yaml"))[index]


def _edit(path: Path, change: Callable[[str], str]) -> None:
    before = path.read_text(encoding="utf-8")
    after = change(before)
    assert after != before
    path.write_text(after, encoding="utf-8")


def _set_certainty(certainty: str) -> Callable[[str], str]:
    """An edit giving the first claim that has no certainty one."""

    def change(text: str) -> str:
        claims = text.split("\n- ")
        for index, claim in enumerate(claims):
            if "  certainty:" not in claim:
                claims[index] = claim.replace("  start:", f"  certainty: {certainty}\n  start:")
                return "\n- ".join(claims)
        raise AssertionError("every claim has a certainty")

    return change


def _messages(problems: list[Problem]) -> list[str]:
    return [p.message for p in problems]


# --- claims files edited: the fast check re-checks them alone --------------------------------


def test_nothing_changed(tree: Path, rechecks: list[set[str]]) -> None:
    warnings = _messages(_ok(_same_as_full(tree, validate=True), 0))
    assert any("reported before it happened" in m for m in warnings)  # about a claim
    assert any("are the same name" in m for m in warnings)  # about the entity records
    assert rechecks == [set()]


def test_a_certainty_edited(tree: Path, rechecks: list[set[str]]) -> None:
    path = _synthetic(tree, 3)
    _edit(path, _set_certainty("alleged"))
    _ok(_same_as_full(tree), 1)
    assert rechecks == [{f"data/claims/{path.name}"}]


def test_a_quote_that_no_longer_matches(tree: Path, rechecks: list[set[str]]) -> None:
    path = _synthetic(tree, 4)
    _edit(path, lambda t: re.sub(r'quote: "(\w)', r'quote: "Zz\1', t, count=1))
    problems = _problems(_same_as_full(tree))
    assert any("quote not found verbatim" in p.message for p in problems)
    assert rechecks == [{f"data/claims/{path.name}"}]


def test_an_unknown_entity_with_its_suggestion(tree: Path, rechecks: list[set[str]]) -> None:
    _edit(_claims(tree, "probe-a"), lambda t: t.replace('"north-vale"', '"north-vail"', 1))
    problems = _problems(_same_as_full(tree, validate=True))
    unknown = [p for p in problems if p.message == "unknown entity 'north-vail'"]
    assert [p.hint for p in unknown] == ["did you mean 'north-vale'?"]
    assert len(rechecks) == 1


def test_a_date_in_the_future_is_an_error(tree: Path) -> None:
    _edit(_claims(tree, "probe-a"), lambda t: t + IN_2099)
    problems = _problems(_same_as_full(tree))
    assert any(m.startswith("object 2099-03-03 is in the future") for m in _messages(problems))


def test_a_valid_until_in_the_future_is_a_warning(tree: Path) -> None:
    _edit(_claims(tree, "probe-a"), lambda t: t + UNTIL_2099)
    warnings = _ok(_same_as_full(tree, validate=True), 1)
    assert any(m.startswith("valid_until 2099-03 is in the future") for m in _messages(warnings))
    # and it is kept for the next fast check, which re-checks nothing
    assert warnings == _ok(_same_as_full(tree), 0)


def test_a_duplicate_claim_in_a_file(tree: Path) -> None:
    _edit(_claims(tree, "probe-b"), lambda t: t + NEAR_WEST)
    problems = _problems(_same_as_full(tree))
    assert any("is already at line" in m for m in _messages(problems))


def test_a_draft_marker(tree: Path) -> None:
    _edit(_synthetic(tree, 5), lambda t: "# kg: draft\n" + t)
    problems = _problems(_same_as_full(tree))
    assert "unreviewed draft written by `kg ingest`" in _messages(problems)


def test_a_claims_file_deleted(tree: Path, rechecks: list[set[str]]) -> None:
    path = _synthetic(tree, 6)
    path.unlink()
    problems = _problems(_same_as_full(tree, validate=True))
    assert f"article {path.stem} has no claims: data/claims/{path.name} is missing" in _messages(
        problems
    )
    assert rechecks == [set()]


def test_every_claims_file_and_the_folder_removed(tree: Path) -> None:
    shutil.rmtree(tree / "data" / "claims")
    problems = _problems(_same_as_full(tree))
    assert sum("has no claims" in m for m in _messages(problems)) == 17


def test_a_claims_file_replaced_by_an_empty_list(tree: Path) -> None:
    _synthetic(tree, 7).write_text("[]\n", encoding="utf-8")
    problems = _problems(_same_as_full(tree))
    assert any(m.startswith("no claims for article") for m in _messages(problems))


def test_a_claims_file_for_an_article_that_says_no_claims(tree: Path) -> None:
    path = _claims(tree, "probe-none")
    path.write_text("[]\n", encoding="utf-8")
    _ok(_same_as_full(tree), 1)
    path.write_text(NEAR_WEST, encoding="utf-8")
    problems = _problems(_same_as_full(tree))
    assert any("says no_claims, but" in m for m in _messages(problems))
    path.unlink()
    _ok(_same_as_full(tree), 0)


def test_a_basis_naming_articles(tree: Path) -> None:
    """A basis may name other articles: the fast check knows them all, not only those of the
    files it re-checks, and suggests the same ids."""
    basis = (
        '  date: 2021\n  inferred: {date: {words: "published in 2021", '
        'articles: [probe-b, probe-q], reasoning: "the report is of its year"}}\n'
    )
    _edit(_claims(tree, "probe-a"), lambda t: t + NEAR_WEST_A + basis)
    problems = _problems(_same_as_full(tree))
    unknown = [p for p in problems if "basis names unknown article" in p.message]
    assert [p.message for p in unknown] == ["basis names unknown article 'probe-q'"]
    assert unknown[0].hint.startswith("did you mean 'probe-")
    _edit(_claims(tree, "probe-a"), lambda t: t.replace(", probe-q]", "]"))
    _ok(_same_as_full(tree), 1)


def test_a_claims_file_for_no_article(tree: Path) -> None:
    shutil.copy(_claims(tree, "probe-b"), _claims(tree, "probe-c"))
    problems = _problems(_same_as_full(tree))
    assert "no article 'probe-c' in data/articles.yaml or data/articles/*.yaml" in _messages(
        problems
    )


def test_a_claims_file_renamed(tree: Path) -> None:
    _claims(tree, "probe-b").rename(_claims(tree, "probe-none"))
    problems = _problems(_same_as_full(tree))
    assert len(problems) >= 2  # probe-b has none; probe-none says no_claims but has three


def test_an_edit_keeping_size_and_mtime_is_seen(tree: Path, rechecks: list[set[str]]) -> None:
    path = _claims(tree, "probe-b")
    before = path.stat()
    time.sleep(0.02)  # another tick of the file system's clock
    path.write_text(CLAIMS_B.replace("North Vale is", "North Vile is"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    problems = _problems(_same_as_full(tree))
    assert any("quote not found verbatim" in m for m in _messages(problems))
    assert rechecks == [{"data/claims/probe-b.yaml"}]


def test_a_record_file_edit_keeping_size_and_mtime_means_a_full_check(
    tree: Path, rechecks: list[set[str]]
) -> None:
    path = tree / "data" / "entities.yaml"
    before = path.stat()
    time.sleep(0.02)
    _edit(path, lambda t: t.replace("id: north-vale", "id: north-vile"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    problems = _problems(_not_fast(tree, rechecks))
    assert any("unknown entity 'north-vale'" in m for m in _messages(problems))


def test_a_file_replaced_by_one_of_the_same_size_and_mtime_is_seen(tree: Path) -> None:
    path = _claims(tree, "probe-b")
    before = path.stat()
    other = tree / "probe-b.new"
    other.write_text(CLAIMS_B.replace("North Vale is", "North Vile is"), encoding="utf-8")
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(other, path)
    problems = _problems(_same_as_full(tree))
    assert any("quote not found verbatim" in m for m in _messages(problems))


# --- the lint of claims read together, across files ----------------------------------------


def test_a_cycle_closed_in_another_file_then_opened_again(
    tree: Path, rechecks: list[set[str]]
) -> None:
    a = _claims(tree, "probe-a")
    _edit(a, lambda t: t + EAST_IN_NORTH)
    problems = _problems(_same_as_full(tree, validate=True))
    assert any("partOf goes round in a circle" in m for m in _messages(problems))
    a.write_text(CLAIMS_A, encoding="utf-8")
    warnings = _ok(_same_as_full(tree, validate=True), 1)
    assert not any("circle" in m for m in _messages(warnings))
    assert rechecks == [{"data/claims/probe-a.yaml"}] * 2


def test_a_cycle_closed_by_the_other_file(tree: Path) -> None:
    """The partOf of probe-a is there first (no cycle); probe-b's edit closes the cycle, and
    the error is reported at the last claim of the cycle, in probe-a."""
    b = _claims(tree, "probe-b")
    b.write_text(NORTH_IN_GREATER + NEAR_WEST, encoding="utf-8")
    _ok(_same_as_full(tree), 1)
    _edit(_claims(tree, "probe-a"), lambda t: t + EAST_IN_NORTH)
    _ok(_same_as_full(tree), 1)
    b.write_text(CLAIMS_B, encoding="utf-8")
    problems = _problems(_same_as_full(tree))
    circles = [p for p in problems if "circle" in p.message]
    assert [p.path for p in circles] == ["data/claims/probe-b.yaml"]
    b.write_text(NORTH_IN_GREATER + NEAR_WEST, encoding="utf-8")
    _ok(_same_as_full(tree), 1)


def test_functional_values_that_the_containment_of_another_file_reconciles(
    tree: Path, rechecks: list[set[str]]
) -> None:
    """probe-a places the summit in North Vale and in Greater Vale: fine while probe-b says
    North Vale is part of Greater Vale; a warning in probe-a (unchanged) once it does not."""
    b = _claims(tree, "probe-b")
    assert not [w for w in _ok(_same_as_full(tree), 0) if "functional" in w.message]
    b.write_text(GREATER_IN_EAST + NEAR_WEST, encoding="utf-8")
    warnings = _ok(_same_as_full(tree, validate=True), 1)
    functional = [w for w in warnings if "location is functional" in w.message]
    assert [w.path for w in functional] == ["data/claims/probe-a.yaml"]
    # the warning is in the verdict: an unrelated edit keeps it, a line shift moves it
    _edit(_synthetic(tree, 2), _set_certainty("alleged"))
    assert _ok(_same_as_full(tree), 1) == warnings
    _edit(_claims(tree, "probe-a"), lambda t: NEAR_WEST_A + t)
    moved = _ok(_same_as_full(tree), 1)
    assert [w.line for w in moved if "functional" in w.message] == [f.line + 5 for f in functional]
    # containment given back by another claim of probe-b: the warning goes
    b.write_text(GREATER_IN_EAST + NEAR_WEST + NORTH_IN_GREATER, encoding="utf-8")
    assert not [w for w in _ok(_same_as_full(tree), 1) if "functional" in w.message]
    assert len(rechecks) == 5


def test_a_note_on_one_of_two_places_says_the_curator_looked(tree: Path) -> None:
    _claims(tree, "probe-b").write_text(GREATER_IN_EAST + NEAR_WEST, encoding="utf-8")
    assert [w for w in _ok(_same_as_full(tree), 1) if "functional" in w.message]
    note = '  note: "two reports, two places"\n'
    _edit(_claims(tree, "probe-a"), lambda t: t.replace(IN_GREATER, IN_GREATER + note))
    assert not [w for w in _ok(_same_as_full(tree), 1) if "functional" in w.message]


def test_two_stated_figures_then_one_alleged(tree: Path) -> None:
    """Two stated values of a functional literal are an error; once one of them is only
    alleged, a warning (a certainty edit of a claim the lint reads together with others)."""
    a = _claims(tree, "probe-a")
    _edit(a, lambda t: t + LASTED_7)
    problems = _problems(_same_as_full(tree, validate=True))
    assert any("durationHours is functional" in m for m in _messages(problems))
    _edit(a, lambda t: t + "  certainty: alleged\n")
    warnings = _ok(_same_as_full(tree, validate=True), 1)
    assert any("durationHours is functional" in w.message for w in warnings)
    _edit(a, lambda t: t.replace("  certainty: alleged\n", ""))
    assert _problems(_same_as_full(tree)) == problems


NOTED = IN_GREATER + '  note: "two reports, two places"\n'
POOLS = {
    "probe-a": [
        IN_NORTH,
        IN_GREATER,
        NOTED,
        LASTED_5,
        LASTED_7,
        EAST_IN_NORTH,
        UNTIL_2099,
        IN_2099,
    ],
    "probe-b": [NORTH_IN_GREATER, GREATER_IN_EAST, WEST_IN_GREATER, NEAR_WEST],
    "probe-none": [NEAR_WEST],
}


@pytest.mark.parametrize("seed", [1, 2])
def test_random_edits_of_claims_files(tree: Path, rechecks: list[set[str]], seed: int) -> None:
    """A random walk of edits of the probe files (claims added, dropped, reordered; files
    emptied, removed, made again), checked fast after each step: always a full check's
    answer, re-checking only the files of that step (and those of steps that failed since
    the last clean check)."""
    random = Random(seed)
    pending: set[str] = set()
    for _step in range(8):
        edited = set()
        for name in random.sample(sorted(POOLS), random.choice([1, 1, 2])):
            path = _claims(tree, name)
            roll = random.random()
            if roll < 0.1 and path.exists():
                path.unlink()
            elif roll < 0.2:
                path.write_text("[]\n", encoding="utf-8")
            else:
                pool = POOLS[name]
                chosen = random.sample(pool, random.randint(1, min(4, len(pool))))
                path.write_text("".join(chosen), encoding="utf-8")
            edited.add(f"data/claims/{name}.yaml")
        answer = _same_as_full(tree)
        pending |= edited
        assert rechecks[-1] == {p for p in pending if (tree / p).exists()}
        if answer[0] == "ok":
            pending = set()


# --- after an error, with --strict, and one verdict after another -----------------------------


def test_an_error_fixed(tree: Path, rechecks: list[set[str]]) -> None:
    path = _synthetic(tree, 8)
    original = path.read_text(encoding="utf-8")
    _edit(path, lambda t: re.sub(r"start: (\d+)", lambda m: f"start: {int(m[1]) + 1}", t, count=1))
    assert _problems(_same_as_full(tree))
    path.write_text(original, encoding="utf-8")
    clean = _ok(_same_as_full(tree), 1)
    assert clean == _ok(_same_as_full(tree), 0)
    assert len(rechecks) == 3


def test_strict_makes_the_same_problems(tree: Path) -> None:
    strict = _problems(_same_as_full(tree, strict=True, validate=True))
    assert all(p.severity == "warning" for p in strict)
    _claims(tree, "probe-b").write_text(GREATER_IN_EAST + NEAR_WEST, encoding="utf-8")
    _edit(_claims(tree, "probe-a"), lambda t: t + UNTIL_2099)
    more = _problems(_same_as_full(tree, strict=True, validate=True))
    assert len(more) == len(strict) + 2
    _ok(_same_as_full(tree), 0)  # what --strict finds are warnings: the strict check kept them


def test_successive_fast_checks_of_different_files(tree: Path) -> None:
    """Each fast check keeps its own verdict: the next fast check starts from it."""
    first, second = _synthetic(tree, 9), _synthetic(tree, 10)
    _edit(first, _set_certainty("alleged"))
    _ok(_same_as_full(tree), 1)
    _edit(second, _set_certainty("hedged"))
    _ok(_same_as_full(tree), 1)
    _claims(tree, "probe-b").write_text(GREATER_IN_EAST + NEAR_WEST, encoding="utf-8")
    _ok(_same_as_full(tree), 1)
    _edit(_claims(tree, "probe-a"), lambda t: t + UNTIL_2099)
    _ok(_same_as_full(tree), 1)
    first.unlink()
    _problems(_same_as_full(tree))


def test_many_files_at_once(tree: Path) -> None:
    for index in range(0, 12, 2):
        _edit(_synthetic(tree, index), lambda t: t + "# reviewed\n")
    _claims(tree, "probe-b").write_text(GREATER_IN_EAST + NEAR_WEST, encoding="utf-8")
    _ok(_same_as_full(tree), 7)


# --- what only a full check may say -------------------------------------------------------


def test_an_entity_edited(tree: Path, rechecks: list[set[str]]) -> None:
    _edit(tree / "data" / "entities.yaml", lambda t: t.replace('"Greater Vale"', '"Grand Vale"'))
    _not_fast(tree, rechecks, validate=True)


def test_an_entity_removed(tree: Path, rechecks: list[set[str]]) -> None:
    _edit(tree / "data" / "entities.yaml", lambda t: t.replace("- id: west-shore\n", "- id: w\n"))
    assert _problems(_not_fast(tree, rechecks))


def test_an_article_record_edited(tree: Path, rechecks: list[set[str]]) -> None:
    _edit(tree / "data" / "articles.yaml", lambda t: t.replace('"Probe probe-b"', '"Atlas"'))
    _not_fast(tree, rechecks)


def test_no_claims_taken_back(tree: Path, rechecks: list[set[str]]) -> None:
    _edit(tree / "data" / "articles.yaml", lambda t: re.sub("  no_claims: .*\n", "", t))
    problems = _problems(_not_fast(tree, rechecks))
    assert any("probe-none has no claims" in m for m in _messages(problems))


def test_an_article_text_edited(tree: Path, rechecks: list[set[str]]) -> None:
    path = tree / "data" / "articles" / "probe-b.txt"
    path.write_text(TEXT_B.replace("Probe atlas", "Probe Atlas"), encoding="utf-8")
    problems = _problems(_not_fast(tree, rechecks))
    assert any(m.startswith("sha256 of data/articles/probe-b.txt") for m in _messages(problems))


def test_the_ontology_edited(tree: Path, rechecks: list[set[str]]) -> None:
    _edit(
        tree / "ontology" / "kg.ttl",
        lambda t: t + "\nkg:Person rdfs:seeAlso <https://example.org/persons> .\n",
    )
    _not_fast(tree, rechecks)


def test_the_background_edited(tree: Path, rechecks: list[set[str]]) -> None:
    _edit(tree / "data" / "background.yaml", lambda t: t.replace("east-realm", "east-ream"))
    problems = _problems(_not_fast(tree, rechecks))
    assert "unknown entity 'east-ream'" in _messages(problems)


@pytest.mark.parametrize(
    "name", ["NOTES.md", "claims/README.md", "claims/probe-d.YAML", "articles/x.txt"]
)
def test_a_new_file_that_is_no_claims_file(tree: Path, rechecks: list[set[str]], name: str):
    (tree / "data" / name).write_text("- a note\n", encoding="utf-8")
    _not_fast(tree, rechecks)


def test_a_claims_file_in_a_subfolder(tree: Path, rechecks: list[set[str]]) -> None:
    (tree / "data" / "claims" / "x").mkdir()
    (tree / "data" / "claims" / "x" / "probe-a.yaml").write_text(LASTED_7, encoding="utf-8")
    _not_fast(tree, rechecks)


def test_a_new_entity_file(tree: Path, rechecks: list[set[str]]) -> None:
    (tree / "data" / "entities" / "zz.yaml").write_text(
        '- id: north-vale\n  type: Place\n  label: "North Vale again"\n', encoding="utf-8"
    )
    problems = _problems(_not_fast(tree, rechecks))
    assert any("duplicate" in m for m in _messages(problems))


@pytest.mark.parametrize(
    "link, target",
    [
        ("data/notes.yaml", "articles.yaml"),
        ("data/claims/probe-none.yaml", "probe-b.yaml"),
        ("data/claims/probe-b.yaml", "probe-b.real"),
        ("data/linked", "claims"),
        ("ontology/linked.ttl", "kg.ttl"),
    ],
)
def test_a_symlink(tree: Path, rechecks: list[set[str]], link: str, target: str) -> None:
    path = tree / link
    if target == "probe-b.real":
        path.rename(path.with_name(target))
    path.symlink_to(target)
    _not_fast(tree, rechecks, in_place=True)


def test_another_day(tree: Path, rechecks: list[set[str]], monkeypatch: pytest.MonkeyPatch):
    verdict_day = dt.date.today()

    class Tomorrow(dt.date):
        @classmethod
        def today(cls) -> dt.date:
            return verdict_day + dt.timedelta(days=1)

    monkeypatch.setattr(kg.curation, "dt", types.SimpleNamespace(date=Tomorrow))
    _edit(_claims(tree, "probe-b"), lambda t: t + WEST_IN_GREATER)
    _not_fast(tree, rechecks)


@pytest.mark.parametrize("name", ["claims/probe-z.yaml", "entities/zz.yaml", "articles/zz.yaml"])
def test_a_folder_named_like_a_yaml_file(tree: Path, name: str) -> None:
    """A full check reads every data/claims/*.yaml (and data/entities/*.yaml,
    data/articles/*.yaml), a folder too, and stops at it; the fast check compares the status
    of files only, and sees no change. `kg validate` must say what `kg validate --full` says."""
    (tree / "data" / name).mkdir()
    runner = CliRunner()
    fast = runner.invoke(main, ["validate", "--root", str(tree)])
    full = runner.invoke(main, ["validate", "--root", str(tree), "--full"])
    assert (fast.exit_code, fast.output) == (full.exit_code, full.output)


# --- the settle window --------------------------------------------------------------------

WINDOW_NS = 500_000_000


def test_a_file_written_just_before_the_check_is_checked_again(
    tree: Path, rechecks: list[set[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A status is not trusted for a file written within the window of the check that kept
    it: a later edit that left its status as it was (a clock that did not tick) is found;
    without the window it would go unseen."""
    path = _claims(tree, "probe-b")
    good = CLAIMS_B + WEST_IN_GREATER
    broken = good.replace("North Vale is", "North Vile is")
    time.sleep(WINDOW_NS / 1e9 + 0.1)  # every other file of the tree is settled
    for window, seen in ((WINDOW_NS, True), (0, False)):
        _window(monkeypatch, window)
        path.write_text(good, encoding="utf-8")
        assert check_curation(tree).rechecked == 1  # kept a moment after probe-b was written
        kept = kg.verdict.scan_tree(tree)
        assert kept is not None
        path.write_text(broken, encoding="utf-8")

        def same_status(
            root: Path, kept: dict[str, kg.verdict.Signature] = kept
        ) -> dict[str, kg.verdict.Signature] | None:
            found = kg.verdict.scan_tree(root)
            if found is not None:
                found["data/claims/probe-b.yaml"] = kept["data/claims/probe-b.yaml"]
            return found

        with monkeypatch.context() as patched:
            patched.setattr(kg.curation, "scan_tree", same_status)
            if seen:
                problems = _problems(_same_as_full(tree))
                assert any("quote not found verbatim" in m for m in _messages(problems))
                assert rechecks[-1] == {"data/claims/probe-b.yaml"}
            else:
                answer, rechecked = _answer(lambda: check_curation(tree))
                assert (answer[0], rechecked) == ("ok", 0)


def test_a_record_file_written_just_before_the_check_means_a_full_check(
    tree: Path, rechecks: list[set[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    time.sleep(WINDOW_NS / 1e9 + 0.1)
    _edit(tree / "data" / "entities.yaml", lambda t: t + "# reviewed\n")
    _window(monkeypatch, WINDOW_NS)
    assert check_curation(tree).rechecked is None  # a full check, kept as the verdict
    _not_fast(tree, rechecks)  # entities.yaml is not settled: full again
    time.sleep(WINDOW_NS / 1e9 + 0.1)
    _not_fast(tree, rechecks)  # still: its verdict was kept too soon; the one it keeps is not
    _ok(_same_as_full(tree), 0)


def test_the_filesystem_clock_after_a_fresh_copy(pristine: Path, tmp_path: Path) -> None:
    """By the filesystem's own clock, files copied before a check began (the clock has ticked
    since) are trusted by the next check; one written as a check begins is not."""
    root = tmp_path / "tree"
    shutil.copytree(pristine, root)
    time.sleep(0.05)  # longer than a tick of any clock a filesystem keeps times by
    assert check_curation(root).rechecked is None
    assert check_curation(root).rechecked == 0
    [kept] = (root / CACHE_FOLDER).rglob("verdict.pickle")
    stored = pickle.loads(kept.read_bytes())
    claims = next(p for p in stored.files if p.startswith("data/claims/"))
    size, _mtime, inode, _ctime = stored.files[claims]
    stored.files[claims] = (size, stored.reference_ns, inode, stored.reference_ns)
    kept.write_bytes(pickle.dumps(stored))
    assert check_curation(root).rechecked == 1  # written in the tick the check began


def test_a_damaged_verdict_means_a_full_check(tree: Path, rechecks: list[set[str]]) -> None:
    [kept] = (tree / CACHE_FOLDER).rglob("verdict.pickle")
    kept.write_bytes(kept.read_bytes()[:100])
    _edit(_claims(tree, "probe-b"), lambda t: t + WEST_IN_GREATER)
    _not_fast(tree, rechecks)
    _ok(_same_as_full(tree), 0)  # the full check kept a verdict again


# --- the same tree under another path --------------------------------------------------------


def test_a_moved_tree(tree: Path, rechecks: list[set[str]]) -> None:
    """Moving the folder keeps every file's status: the verdict still holds there."""
    moved = tree.parent / "moved"
    tree.rename(moved)
    _claims(moved, "probe-b").write_text(GREATER_IN_EAST + NEAR_WEST, encoding="utf-8")
    warnings = _ok(_same_as_full(moved), 1)
    assert any("location is functional" in w.message for w in warnings)


def test_data_moved_elsewhere_and_linked(tree: Path, rechecks: list[set[str]]) -> None:
    """data/ itself a symlink to a folder (each file keeps its status): still fast."""
    elsewhere = tree.parent / "data-elsewhere"
    (tree / "data").rename(elsewhere)
    (tree / "data").symlink_to(elsewhere)
    _edit(_claims(tree, "probe-a"), lambda t: t + UNTIL_2099)
    _ok(_same_as_full(tree, in_place=True), 1)


def test_the_root_through_a_symlink_or_relative(
    tree: Path, rechecks: list[set[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tree.parent / "link"
    link.symlink_to(tree)
    _claims(tree, "probe-b").write_text(GREATER_IN_EAST + NEAR_WEST, encoding="utf-8")
    _ok(_same_as_full(link), 1)
    _edit(_claims(tree, "probe-a"), lambda t: t.replace('"north-vale"', '"north-vail"', 1))
    monkeypatch.chdir(tree.parent)
    problems = _problems(_same_as_full(Path("tree")))
    assert "unknown entity 'north-vail'" in _messages(problems)
    assert len(rechecks) == 2


# --- the verdict of kg build, and the CLI --------------------------------------------------


def test_the_verdict_of_a_build(pristine: Path, tmp_path: Path, settled: None) -> None:
    root = tmp_path / "tree"
    shutil.copytree(pristine, root, ignore=shutil.ignore_patterns(CACHE_FOLDER))
    kg.build(root, "exports")
    _edit(_claims(root, "probe-b"), lambda t: t + WEST_IN_GREATER)
    _ok(_same_as_full(root), 1)


def test_the_cli_prints_the_same_lines(tree: Path, rechecks: list[set[str]]) -> None:
    runner = CliRunner()

    def lines(*more: str) -> tuple[int, str]:
        result = runner.invoke(main, ["validate", "--root", str(tree), *more])
        return result.exit_code, result.output

    _claims(tree, "probe-b").write_text(GREATER_IN_EAST + NEAR_WEST, encoding="utf-8")
    fast = lines()
    assert rechecks == [{"data/claims/probe-b.yaml"}]
    assert fast[0] == 0 and "warning" in fast[1]
    assert fast == lines("--full")
    _claims(tree, "probe-b").write_text(CLAIMS_B, encoding="utf-8")
    _edit(_claims(tree, "probe-a"), lambda t: t + EAST_IN_NORTH)
    fast = lines()
    assert fast[0] != 0 and "circle" in fast[1]
    assert fast == lines("--full")
    assert rechecks[1:] == [{"data/claims/probe-a.yaml", "data/claims/probe-b.yaml"}]
    assert lines("--strict") == lines("--strict", "--full")


# --- what a long-lived process, another Python or a damaged cache must not get away with ------


def test_the_ontology_edited_while_a_process_holds_it(tree: Path) -> None:
    """A notebook checks, the ontology is edited, the same process checks again: the new
    ontology is read, and nothing is kept for the old one under the new one's version."""
    assert check_curation(tree).rechecked == 0
    ontology = tree / "ontology" / "kg.ttl"
    renamed = re.sub(r"kg:partOf\b", "kg:partOfRenamed", ontology.read_text(encoding="utf-8"))
    ontology.write_text(renamed, encoding="utf-8")
    problems = _problems(_same_as_full(tree))
    assert any("unknown predicate 'partOf'" in m for m in _messages(problems))
    assert any("unknown predicate 'partOf'" in m for m in _messages(_problems(_same_as_full(tree))))


def test_results_kept_under_another_ontology_are_not_kept(tree: Path) -> None:
    """The ontology is edited while a build reads it: the check used the old bytes, the cache's
    version is of the new ones (nothing is kept), or both are of the old ones and the scan saw
    the new file (no verdict is kept): no later check takes the old ontology's results."""
    import kg.buildcache

    path = tree / "ontology" / "kg.ttl"

    def verdicts() -> list[tuple[Path, int]]:
        return sorted((p, p.stat().st_mtime_ns) for p in (tree / CACHE_FOLDER).rglob("verdict*"))

    old = kg.curation.load_ontology(path)
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    before = verdicts()
    reuse = kg.buildcache.BuildCache(tree, read=False)
    kg.curation.load_curation(tree, old, reuse=reuse)
    assert reuse.write is False and "ontology" in reuse.trouble
    assert verdicts() == before
    both = kg.buildcache.BuildCache(tree, read=False), kg.curation.load_ontology(path)
    path.write_text(path.read_text(encoding="utf-8") + "# again\n", encoding="utf-8")
    kg.curation.load_curation(tree, both[1], reuse=both[0])
    assert both[0].write is True  # its claims are kept: made with the bytes of its version
    assert verdicts() == before  # but no verdict: it would say the new file was checked


def test_an_ontology_handed_in_that_is_not_the_verdicts_means_a_full_check(
    tree: Path, rechecks: list[set[str]]
) -> None:
    import kg.buildcache
    import kg.ontology

    other = tree.parent / "other.ttl"
    other.write_text(
        (tree / "ontology" / "kg.ttl").read_text(encoding="utf-8") + "\n# another\n",
        encoding="utf-8",
    )
    ontology = kg.ontology.load_ontology(other)
    curation = kg.curation.load_curation(tree, ontology, reuse=kg.buildcache.BuildCache(tree))
    assert rechecks == [] and len(curation.claims) > 0


def test_the_python_that_ran_the_lint_is_part_of_the_version(monkeypatch) -> None:
    """The lint's findings depend on the Unicode database: another Python's results are
    another version's."""
    import unicodedata

    import kg.buildcache

    before = kg.buildcache._code_fingerprint.__wrapped__()
    monkeypatch.setattr(unicodedata, "unidata_version", "0.0.0")
    assert kg.buildcache._code_fingerprint.__wrapped__() != before


def test_a_file_gone_between_listing_and_status_means_a_full_check(
    tree: Path, rechecks: list[set[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor's probe file (vim writes and removes data/claims/4913) vanishes while the
    folder is read: a full check, not a traceback."""
    real = os.scandir

    class Gone:
        name, path = "4913", str(tree / "data" / "claims" / "4913")

        def is_symlink(self) -> bool:
            return False

        def is_dir(self, follow_symlinks: bool = True) -> bool:
            return False

        def is_file(self, follow_symlinks: bool = True) -> bool:
            return True

        def stat(self, follow_symlinks: bool = True) -> os.stat_result:
            raise FileNotFoundError(2, "No such file or directory", self.path)

    class Listing(list):  # what os.scandir gives: also a context manager
        def __enter__(self) -> Listing:
            return self

        def __exit__(self, *_exc: object) -> None:
            return None

    def scandir(folder: Any) -> Listing:
        found = Listing(real(folder))
        if Path(folder) == tree / "data" / "claims":
            found.append(Gone())
        return found

    _edit(_claims(tree, "probe-b"), lambda t: t + WEST_IN_GREATER)
    with monkeypatch.context() as patched:
        patched.setattr(kg.verdict.os, "scandir", scandir)
        assert kg.verdict.scan_tree(tree) is None
        answer = _answer(lambda: check_curation(tree))
    assert answer == _answer(lambda: check_curation(tree, full=True))
    assert answer[1] is None and rechecks == []  # a full check


def test_a_damaged_part_of_the_verdict_means_a_full_check(
    tree: Path, rechecks: list[set[str]]
) -> None:
    [kept] = (tree / CACHE_FOLDER).rglob("verdict.pickle")
    verdict = pickle.loads(kept.read_bytes())
    some = sorted(verdict.claims_files)[0]
    verdict.claims_files[some] = verdict.claims_files[some][:20]
    kept.write_bytes(pickle.dumps(verdict))
    _edit(_claims(tree, "probe-b"), lambda t: t + WEST_IN_GREATER)
    answer = _same_as_full(tree)
    assert answer[-1] == ("rechecked", None)  # the re-check gave up: a full check


def test_the_modules_of_the_package_are_found_after_import_kg() -> None:
    """``import kg`` imports little, but ``kg.api`` and the other modules are there when
    named, as they were when ``import kg`` imported them all."""
    import subprocess
    import sys

    code = "import kg; print(kg.api.serve.__name__, kg.graph.project.__name__, kg.KgError)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["serve", "project"]
    missing = subprocess.run(
        [sys.executable, "-c", "import kg; kg.no_such_thing"], capture_output=True, text=True
    )
    assert "AttributeError: module 'kg' has no attribute 'no_such_thing'" in missing.stderr
