"""The spreadsheet and FollowTheMoney exports of a build (``entities.csv``, ``claims.csv``,
``kg.ftm.json``) put together from one piece per article, reused from the build cache.

An article's piece holds its rows of ``claims.csv``, the FtM entities its claims become (each
with its id, for the file's order) and how many of its claims name each entity. Its key is the
article's claims key (:meth:`kg.buildcache.BuildCache.claims_key`: the claims file's bytes, the
article's id and text, the code and the ontology) with everything else the rows read: the
article's record, every field of the entities its claims and its record name, and the
authorities of the lists its claims name. The files are the bytes :mod:`kg.csvexport` and
:mod:`kg.ftm` write for the whole curation (tested after edits of each kind).

>>> from kg.api import validate
>>> from kg.csvexport import claims_csv
>>> curation = validate()
>>> tables(curation)["claims.csv"] == claims_csv(curation, load_ontology())
True
"""

from __future__ import annotations

import hashlib
import mmap
import pickle
import tempfile
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import accumulate
from pathlib import Path
from typing import BinaryIO

from kg.buildcache import BuildCache
from kg.csvexport import claim_lines, claims_header, entity_table, mentions
from kg.exports import Content
from kg.ftm import (
    authorities_of,
    ftm_line,
    record_entities,
    schemas_of,
    statement_lines,
)
from kg.model import Claim, Curation
from kg.ontology import Ontology, load_ontology
from kg.rdf import claims_by_article

#: An article's piece: its claims.csv rows; the ids of the FtM entities its claims become,
#: their lines (joined, each ending in a newline) and where each line ends; each entity its
#: claims name, once per claim naming it and once per article (what :func:`mentions` counts).
#: Flat, so that reading it back makes few objects and adding it up is done by ``Counter``.
Piece = tuple[bytes, list[str], bytes, array, list[str], list[str]]


def tables(
    curation: Curation, ontology: Ontology | None = None, cache: BuildCache | None = None
) -> dict[str, bytes]:
    """``entities.csv``, ``claims.csv`` and ``kg.ftm.json`` of ``curation`` as bytes (see
    :func:`table_files`, which a build uses: it keeps them on disk)."""
    with tempfile.TemporaryDirectory(prefix="kg-tables-") as folder:
        files = table_files(curation, ontology, cache, Path(folder))
        return {name: _joined(content) for name, content in files.items()}


def table_files(
    curation: Curation,
    ontology: Ontology | None,
    cache: BuildCache | None,
    spill: Path,
    records_key: str | None = None,
) -> dict[str, Content]:
    """``entities.csv``, ``claims.csv`` and ``kg.ftm.json`` of ``curation``, reusing the piece
    of each article whose inputs did not change since a build that stored it in ``cache``.

    The rows and FtM lines of each article go to files in the folder ``spill`` as they are
    made, and the two big tables are written there in their order (claims.csv by article id,
    kg.ftm.json by FtM id): they are returned as those files, so that memory holds one
    article's piece at a time and an index of the lines, never the tables (a million claims
    make a gigabyte of them).

    ``records_key`` is a key of every entity and article record (the
    :attr:`kg.buildcache.Assembly.head_key` of a build): the FtM entities of the records are
    reused under it.

    >>> import tempfile
    >>> from kg.api import validate
    >>> from kg.ftm import ftm_json
    >>> curation = validate()
    >>> files = table_files(curation, None, None, Path(tempfile.mkdtemp()))
    >>> [type(files[name][0]).__name__ for name in ("claims.csv", "kg.ftm.json")]
    ['PosixPath', 'PosixPath']
    >>> files["kg.ftm.json"][0].read_bytes() == ftm_json(curation, load_ontology())
    True
    """
    onto = ontology or load_ontology()
    schemas = schemas_of(curation, onto)
    authorities = authorities_of(curation)
    # the authorities of each list, digested once: a list may have thousands of them
    lists = {
        n: hashlib.sha256(repr(labels).encode()).hexdigest() for n, labels in authorities.items()
    }
    records: dict[str, str] = {}  # the digest of each entity's record_text, made once
    named: Counter[str] = Counter()
    articles: Counter[str] = Counter()
    spill.mkdir(parents=True, exist_ok=True)
    rows = _Spill(spill / "claims-rows")
    ftm = _Spill(spill / "ftm-lines")
    with rows, ftm:
        ftm.add_many(*_record_lines(curation, schemas, cache, records_key))
        for article_id, claims in claims_by_article(curation).items():  # the curation's order
            key = _piece_key(cache, curation, article_id, claims, lists, records)
            piece = _load(cache, key) if key else None
            if piece is None:
                piece = _piece(
                    claim_lines(curation, claims, onto),
                    statement_lines(claims, curation, onto, schemas, authorities),
                    *mentions(claims),
                )
                if key and cache is not None:
                    cache.keep_piece(key, pickle.dumps(piece, protocol=5))
            lines, idents, blob, ends, claims_naming, naming_articles = piece
            rows.add(article_id, lines)
            ftm.add_many(idents, blob, ends)
            named.update(claims_naming)  # lists: counted in C
            articles.update(naming_articles)
        claims_csv = spill / "claims.csv"
        rows.write_sorted(claims_csv, head=claims_header())
        ftm_file = spill / "kg.ftm.json"
        ftm.write_sorted(ftm_file, empty=b"\n")  # as kg.ftm.ftm_file writes no lines
    return {
        "entities.csv": entity_table(curation, named, articles),
        "claims.csv": [claims_csv],
        "kg.ftm.json": [ftm_file],
    }


class _Spill:
    """Chunks of bytes, each with a sort key, appended to a file as they come; then written
    to another file in the (stable) order of their keys. Memory holds the keys and offsets."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.keys: list[str] = []
        self.offsets = array("q", [0])
        self.handle: BinaryIO | None = None

    def __enter__(self) -> _Spill:
        self.handle = open(self.path, "wb")
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.handle is not None:
            self.handle.close()
        self.path.unlink(missing_ok=True)

    def add(self, key: str, data: bytes) -> None:
        assert self.handle is not None
        self.handle.write(data)
        self.keys.append(key)
        self.offsets.append(self.offsets[-1] + len(data))

    def add_many(self, keys: list[str], blob: bytes, ends: Sequence[int]) -> None:
        """Add the chunks of ``blob`` that end at ``ends`` (each from the end of the one
        before), with their ``keys``: one write."""
        assert self.handle is not None and len(keys) == len(ends)
        self.handle.write(blob)
        self.keys += keys
        base = self.offsets[-1]
        self.offsets.extend(base + end for end in ends)

    def write_sorted(self, target: Path, head: bytes = b"", empty: bytes = b"") -> None:
        """Write ``head``, then every chunk in the order of its key (chunks with equal keys in
        the order they came); ``empty`` instead of nothing when no chunk has bytes."""
        assert self.handle is not None
        self.handle.flush()
        order = sorted(range(len(self.keys)), key=self.keys.__getitem__)
        offsets = self.offsets
        with open(target, "wb") as out:
            out.write(head)
            if offsets[-1] == 0:
                out.write(empty)
                return
            with (
                open(self.path, "rb") as source,
                mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ) as chunks,
            ):
                for start in range(0, len(order), 4096):  # a few writes, not one a chunk
                    out.write(
                        b"".join(
                            [
                                chunks[offsets[i] : offsets[i + 1]]
                                for i in order[start : start + 4096]
                            ]
                        )
                    )


def _record_lines(
    curation: Curation,
    schemas: dict[str, str],
    cache: BuildCache | None,
    records_key: str | None,
) -> tuple[list[str], bytes, array]:
    """The FtM entities of the entity and article records, as :func:`_joined_lines` gives
    them, reused under ``records_key`` and the order of the records (they read the records
    only, and the ontology; lines of one FtM id are written in the records' order)."""
    key = None
    if cache is not None and records_key:
        order = "\n".join(schemas) + "\0" + "\n".join(curation.articles)
        key = cache.key("ftm-records", records_key, order)
    stored = cache.stored_piece(key) if cache is not None and key else None
    if stored is None:
        entities = record_entities(curation, schemas)
        stored = _joined_lines([(entity["id"], ftm_line(entity)) for entity in entities])
        if cache is not None and key:
            cache.keep_piece(key, pickle.dumps(stored, protocol=5))
    return stored


def _piece(
    lines: bytes,
    statements: list[tuple[str, str]],
    claims_naming: Counter[str],
    naming_articles: Counter[str],
) -> Piece:
    """An article's :data:`Piece`."""
    idents, blob, ends = _joined_lines(statements)
    return (
        lines,
        idents,
        blob,
        ends,
        list(claims_naming.elements()),
        list(naming_articles.elements()),
    )


def _joined_lines(lines: list[tuple[str, str]]) -> tuple[list[str], bytes, array]:
    """The keys of (key, line) pairs, their lines encoded, each ended by a newline, and
    joined, and where each ends in that.

    >>> _joined_lines([("b", "{}"), ("a", "[1]")])
    (['b', 'a'], b'{}\\n[1]\\n', array('q', [3, 7]))
    """
    encoded = [line.encode() + b"\n" for _key, line in lines]
    return (
        [key for key, _line in lines],
        b"".join(encoded),
        array("q", accumulate(map(len, encoded))),
    )


def _joined(content: Content) -> bytes:
    if isinstance(content, bytes):
        return content
    return b"".join(p if isinstance(p, bytes) else Path(p).read_bytes() for p in content)


def _piece_key(
    cache: BuildCache | None,
    curation: Curation,
    article_id: str,
    claims: list[Claim],
    lists: Mapping[str, str],
    records: dict[str, str],
) -> str | None:
    """The key of an article's piece; ``lists`` holds the digest of each list's authorities,
    ``records`` keeps the digest of each entity's record text made."""
    claims_key = cache.keys.get(article_id) if cache is not None else None
    if cache is None or not claims_key:
        return None
    article = curation.articles[article_id]
    names = {article.outlet, article.agency}
    for claim in claims:
        names.update((claim.subject, claim.attributed_to, claim.scope))
        if isinstance(claim.object, str):
            names.add(claim.object)
    names.discard(None)
    entities = [
        records.get(n) or _record_digest(records, n, cache, curation) for n in sorted(names)
    ]
    maintained = [(n, lists[n]) for n in sorted(names, key=str) if n in lists]
    return cache.key(
        "tables", claims_key, cache.record_text(article), repr(entities), repr(maintained)
    )


def _record_digest(
    records: dict[str, str], name: str, cache: BuildCache, curation: Curation
) -> str:
    """The SHA-256 of an entity's record text (:meth:`BuildCache.record_text`), made once per
    build."""
    made = hashlib.sha256(cache.record_text(curation.entities.get(name)).encode()).hexdigest()
    records[name] = made
    return made


def _load(cache: BuildCache | None, key: str) -> Piece | None:
    return cache.stored_piece(key) if cache is not None else None
