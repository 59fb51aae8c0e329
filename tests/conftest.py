"""Shared fixtures: the real seed data built once per session, and tiny curation trees."""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import kg
from kg.knowledge import KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def graph() -> KnowledgeGraph:
    """The seed dataset, built in memory from data/."""
    return kg.load(root=ROOT)


@pytest.fixture(scope="session")
def built_exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh build of data/ into a temporary exports folder."""
    out = tmp_path_factory.mktemp("exports")
    kg.build(ROOT, out)
    return out


TreeFactory = Callable[..., Path]

BASE_TEXT = (
    "The United States removed the Institute of Forensic Science from the Entity List. "
    "The IFS operates under the Ministry of Public Security.\n"
)
BASE_ENTITIES = """\
- id: united-states
  type: Country
  label: United States
  aliases: [US]
- id: ifs
  type: GovernmentAgency
  label: Institute of Forensic Science
  aliases: [IFS]
- id: ministry-of-public-security
  type: GovernmentAgency
  label: Ministry of Public Security
"""
BASE_CLAIMS = """\
- subject: united-states
  predicate: delisted
  object: ifs
  quote: The United States removed the Institute of Forensic Science
  start: 0
  date: 2023-11-16
  inferred: {date: {words: The United States removed, reasoning: the test's removal day}}
- subject: ifs
  predicate: partOf
  object: ministry-of-public-security
  quote: The IFS operates under the Ministry of Public Security
  start: 82
"""


def article_record(ident: str, text: bytes | str, **extra: str) -> str:
    data = text.encode() if isinstance(text, str) else text
    fields = {
        "id": ident,
        "title": "Test article",
        "outlet": "unknown",
        "published": "2023-11",
        "language": "en",
        "sha256": hashlib.sha256(data).hexdigest(),
        **extra,
    }
    if fields.get("published") and "published_basis" not in fields:
        fields["published_basis"] = "{words: The United States, reasoning: the test's month}"

    return "- " + "\n  ".join(f"{k}: {v}" for k, v in fields.items()) + "\n"


@pytest.fixture
def make_tree(tmp_path: Path) -> TreeFactory:
    """Write a small valid curation tree under tmp_path; keyword arguments replace its files.

    ``make_tree(claims="...")`` replaces data/claims/a1.yaml, ``entities=``, ``articles=`` and
    ``text=`` (bytes or str for data/articles/a1.txt) the other files; ``files={rel: content}``
    writes anything else.
    """

    def factory(
        *,
        text: bytes | str = BASE_TEXT,
        entities: str = BASE_ENTITIES,
        claims: str = BASE_CLAIMS,
        articles: str | None = None,
        files: dict[str, str | bytes] | None = None,
    ) -> Path:
        tree = tmp_path / "tree"
        if tree.exists():
            shutil.rmtree(tree)
        (tree / "data" / "articles").mkdir(parents=True)
        (tree / "data" / "claims").mkdir()
        shutil.copytree(ROOT / "ontology", tree / "ontology")
        raw = text.encode() if isinstance(text, str) else text
        (tree / "data" / "articles" / "a1.txt").write_bytes(raw)
        (tree / "data" / "articles.yaml").write_text(
            articles if articles is not None else article_record("a1", raw)
        )
        (tree / "data" / "entities.yaml").write_text(textwrap.dedent(entities))
        (tree / "data" / "claims" / "a1.yaml").write_text(textwrap.dedent(claims))
        for rel, content in (files or {}).items():
            path = tree / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        return tree

    return factory


def need_module(name: str, *, module_level: bool = False) -> Any:
    """A package of the [test] extra, or a skip (a failure in CI, where the extra is installed).

    ``module_level``: the skip covers the whole test module (called at import time).
    """
    try:
        return importlib.import_module(name)
    except ImportError as err:
        if IN_CI:
            pytest.fail(f"CI must run this test: {err} (pip install -e '.[test]')")
        pytest.skip(f"{err}: pip install -e '.[test]'", allow_module_level=module_level)


# --- processes, read from /proc ------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def internet_sockets(pid: int) -> list[tuple[str, str]]:
    """The TCP and UDP sockets a process holds, as (table, state): e.g. ("tcp", "0A") is one
    listening (from /proc: the socket inodes of its descriptors, found in /proc/net)."""
    inodes = set()
    for fd in (Path("/proc") / str(pid) / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        for line in (Path("/proc") / str(pid) / "net" / table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                found.append((table, fields[3]))
    return found
