"""The last clean check of a curation tree, so that ``kg validate`` after an edit checks again
only the claims files that changed.

A check that found no error keeps, in ``.kg-cache/`` (one folder per code and ontology
version), a :class:`Verdict`: the status (:data:`Signature`) of every file under ``data/`` and
``ontology/`` when the check began, what it found about the entity and article records, and for
each claims file its number of claims, its own warnings and the claims the lint reads together
with others (:func:`kg.lint.structural`). The next check compares the files' status with it.
When only claims files changed (edited, added or removed), it checks those files and reads the
rest from the verdict; anything else changed, a symlink under ``data/``, or another day (the
lint compares dates with today) means a full check.

A status is trusted only for a file last changed before the check that kept it began, by the
clock of the filesystem (:func:`reference_ns`: a file written in ``.kg-cache/`` then): a file
written in the same tick of that clock as the check began could be written again, after the
check read it, without its status showing it. Such files count as changed next time.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "data").mkdir()
>>> _ = (root / "data" / "a.yaml").write_text("[]")
>>> sorted(scan_tree(root))
['data/a.yaml']
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import DAMAGED_PICKLE, Problem
from kg.lint import Finding
from kg.model import Article, BackgroundFact, Claim, Entity, Source
from kg.ontology import Ontology

#: (size, modification time, inode, change time) of a file: any write changes one of them.
Signature = tuple[int, int, int, int]
#: How long before a check a file must have last changed for its status to be trusted when the
#: filesystem's clock cannot be read (nanoseconds; longer than any timestamp's granularity).
SETTLED_NS = 2_000_000_000
#: The folders whose files a check reads (every file in them counts, read or not).
FOLDERS = ("data", "ontology")


def scan_tree(root: Path) -> dict[str, Signature] | None:
    """The status of every file under ``root/data`` and ``root/ontology`` by its path relative
    to ``root``; None when one of them is a symlink or not a regular file, or a folder is named
    like a records file (only a full check says what that means)."""
    found: dict[str, Signature] = {}
    folders = [(root / name, name) for name in FOLDERS]
    while folders:
        folder, shown = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        except OSError:
            return None
        for entry in entries:
            path = f"{shown}/{entry.name}"
            if entry.is_symlink():
                return None
            if entry.is_dir(follow_symlinks=False):
                if entry.name.endswith(".yaml"):  # read as a records file: a full check says so
                    return None
                folders.append((Path(entry.path), path))
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    return None
                status = entry.stat(follow_symlinks=False)
            except OSError:  # gone since listed (an editor's probe file), or not readable
                return None
            found[path] = (status.st_size, status.st_mtime_ns, status.st_ino, status.st_ctime_ns)
    return found


def reference_ns(root: Path, folder: Path | None) -> int:
    """The time before which a file of ``root/data`` or ``root/ontology`` must have last
    changed for its status to be trusted by a check beginning now: the modification time of a
    file made in ``folder`` now and removed (the filesystem's own clock, however coarse or
    skewed), if ``folder`` is on the filesystem of ``root/data``; else (and with no ``folder``:
    a check that may write nothing) the computer's clock less :data:`SETTLED_NS`.

    >>> import tempfile, time
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "data").mkdir()
    >>> abs(reference_ns(root, root / ".kg-cache") - time.time_ns()) < 10**9  # not 2 s ago
    True
    """
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if os.stat(folder).st_dev == os.stat(root / "data").st_dev:
                handle, clock = tempfile.mkstemp(prefix=".clock-", dir=folder)
                try:
                    return os.fstat(handle).st_mtime_ns  # made now, by the filesystem's clock
                finally:
                    os.close(handle)
                    os.unlink(clock)
        except OSError:
            pass
    return time.time_ns() - SETTLED_NS


@dataclass
class ClaimsFile:
    """What a check found in one claims file."""

    article: str
    #: its key in the build cache (where its fields are, for locating a finding)
    key: str | None
    claims: int
    #: the lint's warnings about its claims each on its own (located)
    warnings: list[Problem]
    #: its claims that the lint reads together with those of other files
    structural: tuple[Claim, ...]


@dataclass
class Verdict:
    """A check of a whole tree that found no error (see the module docstring)."""

    #: when the check began (:func:`reference_ns`) and the day its dates were compared with
    reference_ns: int
    today: dt.date
    files: dict[str, Signature]
    #: the ontology as read then (``ontology/`` is among the files)
    ontology: Ontology
    entities: int
    #: the warnings about the entity and article records and those they have together
    record_warnings: list[Problem]
    #: each claims file's :class:`ClaimsFile`, pickled (one is written again after its edit)
    claims_files: dict[str, bytes]
    #: what the lint found in the claims together (:func:`kg.lint.structure_findings`)
    structure: list[Finding]
    #: each article by id, pickled (its text's file is among the files: unchanged since)
    articles: dict[str, bytes]
    no_claims: dict[str, Source]
    background: tuple[BackgroundFact, ...]
    #: the files the articles' texts were read from (a claims file too, should one be named so)
    text_files: frozenset[str]
    #: the entities, pickled (read only when a claims file must be checked again)
    entities_pickled: bytes = field(repr=False, default=b"")

    def changed(self, now: Mapping[str, Signature]) -> set[str]:
        """The files added, removed or changed since this check, and those whose status was
        not yet trusted when it began.

        >>> v = Verdict(100, None, {"a": (1, 50, 7, 50), "b": (1, 100, 8, 60)}, *[None] * 9)
        >>> sorted(v.changed({"a": (1, 50, 7, 50), "b": (1, 100, 8, 60), "c": (1, 1, 9, 1)}))
        ['b', 'c']
        """
        changed = set(now.keys() ^ self.files.keys())
        for path, then in self.files.items():
            status = now.get(path)
            if status is not None and (
                status != then or max(then[1], then[3]) >= self.reference_ns
            ):
                changed.add(path)
        return changed

    def entity_map(self) -> dict[str, Entity]:
        entities: dict[str, Entity] = _unpickled(self.entities_pickled)
        return entities

    def article(self, ident: str) -> Article:
        found: Article = _unpickled(self.articles[ident])
        return found

    def claims_file(self, shown: str) -> ClaimsFile:
        found: ClaimsFile = _unpickled(self.claims_files[shown])
        return found


class DamagedVerdict(Exception):
    """A part of a verdict does not read back (its file was damaged outside kg): a full check
    is needed."""


def _unpickled(data: bytes) -> Any:
    try:
        return pickle.loads(data)
    except DAMAGED_PICKLE:
        raise DamagedVerdict from None


def pickled(found: ClaimsFile) -> bytes:
    return pickle.dumps(found, protocol=5)


def pickled_articles(articles: Iterable[Article]) -> dict[str, bytes]:
    """Each article pickled, by id (a check after an edit reads only those it needs)."""
    return {a.id: pickle.dumps(a, protocol=5) for a in articles}
