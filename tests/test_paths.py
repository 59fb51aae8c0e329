"""Paths stay inside the project: what kg reads or writes under data/ never leads out of it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg
from kg.cli import main
from kg.errors import CurationError
from kg.ingest import IngestError, ingest
from tests.conftest import BASE_CLAIMS, BASE_TEXT, article_record

STORY = "Washington — The U.S. on Friday removed the IFS from a list.\nThe IFS said nothing.\n"


def problems(tree: Path) -> list[str]:
    with pytest.raises(CurationError) as caught:
        kg.validate(tree)
    return [str(p) for p in caught.value.problems]


@pytest.fixture
def outside(tmp_path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "a1.txt").write_text(BASE_TEXT)
    (folder / "a1.yaml").write_text(BASE_CLAIMS)
    return folder


def test_an_article_that_is_a_symlink_out_of_data_is_refused(make_tree, outside):
    tree = make_tree()
    article = tree / "data" / "articles" / "a1.txt"
    article.unlink()
    article.symlink_to(outside / "a1.txt")
    assert problems(tree) == [
        f"data/articles/a1.txt: is a symlink to {outside / 'a1.txt'}, outside data/ — kg reads "
        "only files inside data/: copy the file in instead of linking to it"
    ]
    result = CliRunner().invoke(main, ["show", "a1", "--root", str(tree)])
    assert result.exit_code == 1 and "outside data/" in result.output


def test_an_article_file_key_leading_out_of_data_is_refused(make_tree, outside):
    record = article_record("a1", BASE_TEXT, file="../../elsewhere/a1.txt")
    [message] = problems(make_tree(articles=record))
    assert message == (
        f"data/../../elsewhere/a1.txt: resolves to {outside / 'a1.txt'}, outside data/ — kg "
        "reads only files inside data/: copy the file in instead of linking to it"
    )


def test_a_claims_file_that_is_a_symlink_out_of_data_is_refused(make_tree, outside):
    tree = make_tree()
    claims = tree / "data" / "claims" / "a1.yaml"
    claims.unlink()
    claims.symlink_to(outside / "a1.yaml")
    [message] = problems(tree)
    assert message.startswith(f"data/claims/a1.yaml: is a symlink to {outside / 'a1.yaml'}")


def test_a_symlink_that_stays_inside_data_is_fine(make_tree):
    tree = make_tree()
    article = tree / "data" / "articles" / "a1.txt"
    (tree / "data" / "texts").mkdir()
    article.rename(tree / "data" / "texts" / "a1.txt")
    article.symlink_to(Path("..") / "texts" / "a1.txt")
    assert len(kg.validate(tree).claims) == 2


def test_ingest_does_not_write_through_a_symlinked_folder(make_tree, outside, tmp_path):
    tree = make_tree()
    source = tmp_path / "story.txt"
    source.write_text(STORY)
    claims = tree / "data" / "claims"
    for path in claims.iterdir():
        path.unlink()
    claims.rmdir()
    claims.symlink_to(outside)
    before = sorted(p.name for p in outside.iterdir())
    with pytest.raises(IngestError) as caught:
        ingest(source, tree)
    assert str(caught.value) == (
        f"{claims} is a symlink to {outside}, outside data/ — kg ingest writes only inside "
        "data/: replace the link with a real folder or file"
    )
    assert sorted(p.name for p in outside.iterdir()) == before


def test_ingest_does_not_follow_a_symlinked_article(make_tree, tmp_path):
    """A link in data/articles/ to a copy of the new story is not read as "already ingested"."""
    tree = make_tree()
    source = tmp_path / "story.txt"
    source.write_text(STORY)
    (tree / "data" / "articles" / "linked.txt").symlink_to(source)
    report = ingest(source, tree)
    assert report.article_path.read_text() == STORY


def test_files_written_by_ingest_get_ordinary_modes(make_tree, tmp_path):
    tree = make_tree()
    source = tmp_path / "story.txt"
    source.write_text(STORY)
    old = os.umask(0o022)
    try:
        report = ingest(source, tree)
    finally:
        os.umask(old)
    modes = {
        path.name: oct(stat.S_IMODE(path.stat().st_mode))
        for path in (report.article_path, report.claims_path, report.articles_yaml)
    }
    assert set(modes.values()) == {"0o644"}, modes
