"""Reuse between builds: each article's checked claims, its named graph serialised in every
export format and its SHACL verdict, kept under ``.kg-cache/`` and keyed by content.

An article is the unit of work. Its key is the SHA-256 of everything its result is made from:
the bytes of its claims file and the file's path, the article's id and the SHA-256 of its text,
and the :func:`fingerprint` of the code and the ontology (every file of the ``kg`` package, the
versions of the libraries that parse and write RDF, ``ontology/kg.ttl`` and ``shapes.ttl``).
The checks of a claim also read the types of the entities it names; these are stored with the
result and compared with the current entities before it is reused. A result is stored only when
its file had no problem, and every file is written under a temporary name and renamed, so what
is found under a key is complete and is what that key's inputs give: a stale reuse cannot happen.
The default and ontology graphs are kept the same way, keyed by every entity and article record
(:func:`head_key`). Results live in one folder per code and ontology version;
:meth:`BuildCache.prune` removes those of older versions.

The exports are concatenations: N-Quads line by line, TriG and JSON-LD chunk by chunk (one chunk
per named graph, in the exports' order); :func:`join_fragments` gives the bytes a whole-dataset
serialisation gives (tested against it).

>>> import tempfile, pathlib
>>> cache = BuildCache(pathlib.Path(tempfile.mkdtemp()))
>>> key = cache.key("claims", b"- subject: a", "data/claims/a.yaml")
>>> cache.claims(key, {}) is None
True
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import pickle
import shutil
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import fields
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.errors import DAMAGED_PICKLE
from kg.model import Claim, Entity
from kg.ontology import article_iri, entity_iri
from kg.verdict import Verdict

if TYPE_CHECKING:
    from kg.lint import Positions

#: The folder, under the project root, where results are kept (listed in .gitignore).
CACHE_FOLDER = ".kg-cache"
#: Bumped when the layout of the cache changes.
LAYOUT = "3"
FORMATS = ("nq", "trig", "jsonld")
#: Where the tree's :class:`kg.verdict.Verdict` is kept (one per version folder, not keyed by
#: content: it says itself which files it saw).
VERDICT_KEY = "verdict"
#: Libraries whose version changes what is checked or written.
LIBRARIES = ("pyoxigraph", "rdflib", "pyshacl", "PyYAML", "networkx", "pyvis", "oxrdflib")


@lru_cache(maxsize=8)
def _code_fingerprint() -> str:
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256(LAYOUT.encode())
    # the lint's findings depend on the Unicode database of the Python that ran it
    digest.update(f"{sys.version_info[:2]}\0{unicodedata.unidata_version}\0".encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package)).encode() + b"\0")
            digest.update(path.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name}={version(name)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{name}=none\0".encode())
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes ("" if it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def fingerprint(root: Path) -> str:
    """The version of everything a result depends on besides its own inputs: kg's code (every
    file of the package), library versions, the ontology and the shapes of ``root``.

    >>> from kg.ontology import default_root
    >>> len(fingerprint(default_root()))
    64
    """
    digest = hashlib.sha256(_code_fingerprint().encode())
    for name in ("kg.ttl", "shapes.ttl"):
        path = Path(root) / "ontology" / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"\0missing\0")
    return digest.hexdigest()


def entity_types(claims: Iterable[Claim], entities: Mapping[str, Entity]) -> tuple[Any, ...]:
    """The (id, type) of every entity the claims name: what their checks read of the entities."""
    names = set()
    for claim in claims:
        names.add(claim.subject)
        if isinstance(claim.object, str):
            names.add(claim.object)
        if claim.attributed_to:
            names.add(claim.attributed_to)
    return tuple(sorted((n, entities[n].type if n in entities else None) for n in names))


class BuildCache:
    """Results of earlier builds under ``root/.kg-cache``.

    ``read=False`` (``kg build --full``) ignores what is there and stores afresh; ``write=False``
    stores nothing. :attr:`keys` maps each article whose claims were checked in this build to
    its key (see the module docstring).
    """

    def __init__(self, root: Path, *, read: bool = True, write: bool = True) -> None:
        self.root = Path(root)
        self.read, self.write = read, write
        self.version = fingerprint(self.root)
        #: SHA-256 of ontology/kg.ttl as :attr:`version` read it: results are kept only from
        #: a check that used the ontology read from these bytes
        self.ontology_sha256 = sha256_of(self.root / "ontology" / "kg.ttl")
        # one folder per code and ontology version, so that the results of old versions (which
        # no key can reach any more) can be removed whole: see prune
        self.folder = self.root / CACHE_FOLDER / f"v{LAYOUT}" / self.version[:16]
        if write:
            with contextlib.suppress(OSError):
                os.utime(self.folder)  # in use from now: a prune by another build spares it
        self.keys: dict[str, str] = {}
        self.hits = 0
        self.misses = 0
        # record_text of each record seen, by id (the record is kept, so its id stays its own)
        self._texts: dict[int, tuple[Any, str]] = {}
        #: Why nothing more is stored (a read-only or full disk), if that happened.
        self.trouble = ""

    def prune(self, *, keep: int = 1, grace: float = 3600.0) -> list[Path]:
        """Remove the results of other code or ontology versions (no key of this version can
        reach them), except the ``keep`` most recently used and any used in the last ``grace``
        seconds (another build may be using them); returns what was removed.

        Without it the cache grows by a whole corpus's results at every version of the code
        (about 7 GB at a million claims). Call it after a build that stored its results.
        """
        if not self.write:
            return []
        now = time.time()
        try:
            os.utime(self.folder)  # this version was used now
            every = self.root / CACHE_FOLDER
            others = [
                folder
                for layout in every.iterdir()
                if layout.is_dir()
                for folder in (layout.iterdir() if layout.name == f"v{LAYOUT}" else [layout])
                if folder.is_dir() and folder != self.folder
            ]
            ages = {folder: folder.stat().st_mtime for folder in others}
        except OSError:
            return []
        removed = []
        for folder in sorted(others, key=ages.__getitem__, reverse=True)[keep:]:
            if now - ages[folder] > grace:
                shutil.rmtree(folder, ignore_errors=True)
                if not folder.exists():
                    removed.append(folder)
        return removed

    # -- keys and files ---------------------------------------------------------------------

    def key(self, kind: str, *parts: bytes | str) -> str:
        """SHA-256 of ``kind``, the code and ontology fingerprint and ``parts``."""
        digest = hashlib.sha256(f"{kind}\0{self.version}\0".encode())
        for part in parts:
            data = part.encode() if isinstance(part, str) else part
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
        return digest.hexdigest()

    def record_text(self, record: Any) -> str:
        """:func:`record_text`, made once per record in a build (a record's text is in the key
        of its default statements, of its articles' rows and of their tables' pieces)."""
        found = self._texts.get(id(record))
        if found is None:
            found = self._texts[id(record)] = (record, record_text(record))
        return found[1]

    def path(self, key: str, suffix: str) -> Path:
        return Path(self._file(key, suffix))

    def _file(self, key: str, suffix: str) -> str:
        # a string, not a Path: a build looks up tens of thousands of these
        return f"{self.folder}/{key[:2]}/{key}.{suffix}"

    def _store(self, key: str, suffix: str, *data: bytes | memoryview) -> None:
        """Store the bytes ``data`` (written one after the other) under ``key``."""
        if not self.write:
            return
        target = self.path(key, suffix)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        except OSError as err:  # a read-only or full disk: build without storing
            self.write, self.trouble = False, f"{self.folder}: {err.strerror or err}"
            return
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in data:
                    out.write(chunk)
            os.replace(temporary, target)
        except OSError as err:
            Path(temporary).unlink(missing_ok=True)
            self.write, self.trouble = False, f"{self.folder}: {err.strerror or err}"
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _load(self, key: str, suffix: str) -> bytes | None:
        if not self.read:
            return None
        try:
            with open(self._file(key, suffix), "rb") as stored:
                return stored.read()
        except OSError:
            return None

    def _unpickle(self, key: str, suffix: str) -> Any:
        """The object stored under ``key``, or None if there is none or it does not read back
        (a file damaged outside kg is a miss, made again, not a crash)."""
        data = self._load(key, suffix)
        if data is None:
            return None
        try:
            return pickle.loads(data)
        except DAMAGED_PICKLE:
            return None

    # -- an article's checked claims --------------------------------------------------------

    def claims_key(
        self, shown: str, raw: bytes, article_id: str, text_sha256: str, no_claims: bool = False
    ) -> str:
        """The key of a claims file's checked claims: its path and bytes, its article's id and
        text, and whether the article's record says it has no claims."""
        return self.key("claims", shown, raw, article_id, text_sha256, "no_claims" * no_claims)

    def claims(self, key: str, entities: Mapping[str, Entity]) -> tuple[Claim, ...] | None:
        """The claims stored under ``key`` if the entities they name still have the types they
        were checked against; else None."""
        stored = self._unpickle(key, "claims")
        if stored is None:
            self.misses += 1
            return None
        types, claims = stored
        if any((entities[n].type if n in entities else None) != t for n, t in types):
            self.misses += 1
            return None
        self.hits += 1
        return tuple(claims)

    def keep_claims(
        self,
        key: str,
        claims: Sequence[Claim],
        entities: Mapping[str, Entity],
        positions: Positions,
    ) -> None:
        """Store a clean file's claims, and where the fields of its records are (read back
        by :meth:`positions` only when the lint has something to say about the file)."""
        self._store(key, "where", pickle.dumps(positions, protocol=5))
        data = pickle.dumps((entity_types(claims, entities), tuple(claims)), protocol=5)
        self._store(key, "claims", data)

    def positions(self, key: str) -> Positions | None:
        """Where the fields of the records of the claims file stored under ``key`` are."""
        return self._unpickle(key, "where")

    # -- an entity file's checked entities --------------------------------------------------

    def entities(self, key: str) -> tuple[list[tuple[Entity, str]], Positions] | None:
        """The entities of a clean entity file (each with where its id is written) and where
        the fields of its records are, stored under ``key``; else None."""
        return self._unpickle(key, "entities")

    def keep_entities(
        self, key: str, entities: list[tuple[Entity, str]], positions: Positions
    ) -> None:
        self._store(key, "entities", pickle.dumps((entities, positions), protocol=5))

    # -- an article's named graph, serialised ----------------------------------------------

    def fragments(self, key: str) -> dict[str, Path] | None:
        """The stored serialisations of a graph (``{format: path}``), or None; an empty one
        (no graph is empty: a file emptied outside kg) counts as none, so that no export is
        joined around nothing."""
        if not self.read:
            return None
        files = {fmt: self._file(key, fmt) for fmt in (*FORMATS, "count")}
        try:
            if not all(os.stat(files[fmt]).st_size for fmt in FORMATS):
                return None
        except OSError:
            return None
        if not os.path.isfile(files["count"]):
            return None
        return {fmt: Path(file) for fmt, file in files.items()}

    def keep_fragments(self, key: str, fragments: Mapping[str, bytes], quads: int) -> None:
        for fmt in FORMATS:
            self._store(key, fmt, fragments[fmt])
        self._store(key, "count", str(quads).encode())  # last: its presence marks completeness

    # -- an article's pieces of the other exports (kg.tablepieces) ------------------------

    def stored_piece(self, key: str) -> Any:
        """A piece kept with :meth:`keep_piece` as a pickle, read back; None if there is none."""
        return self._unpickle(key, "piece")

    def keep_piece(self, key: str, data: bytes) -> None:
        self._store(key, "piece", data)

    # -- the last clean check of the whole tree (kg.verdict) --------------------------------

    def verdict(self) -> Verdict | None:
        """The :class:`kg.verdict.Verdict` of the last check of this tree that found no error,
        made by this version of the code and ontology."""
        found = self.latest(VERDICT_KEY)
        return found if isinstance(found, Verdict) else None

    def keep_verdict(self, verdict: Verdict) -> None:
        self.keep_latest(VERDICT_KEY, verdict)

    def latest(self, name: str) -> Any:
        """What the last build of this tree (by this version of the code) kept as ``name``:
        not keyed by content, so it must say itself what it was made from."""
        return self._unpickle(name, "pickle")

    def keep_latest(self, name: str, found: Any) -> None:
        self._store(name, "pickle", pickle.dumps(found, protocol=5))

    def latest_with_bytes(self, name: str) -> tuple[Any, memoryview] | None:
        """What :meth:`keep_latest_with_bytes` kept as ``name``: the object and a view of the
        bytes, read where they lie (the file is mapped, so that bytes a build takes only
        parts of are not copied whole); None if there is none or it is not whole.

        >>> import tempfile
        >>> cache = BuildCache(Path(tempfile.mkdtemp()))
        >>> cache.keep_latest_with_bytes("x", {"a": 1}, memoryview(b"body"))
        >>> found, data = cache.latest_with_bytes("x")
        >>> found, bytes(data)
        ({'a': 1}, b'body')
        """
        if not self.read:
            return None
        try:
            with open(self._file(name, "mapped"), "rb") as handle:
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # none, or empty
            return None
        view = memoryview(mapped)
        head, size = int.from_bytes(view[:8], "little"), int.from_bytes(view[8:16], "little")
        if len(view) != 16 + head + size:
            return None
        try:
            found = pickle.loads(view[16 : 16 + head])
        except DAMAGED_PICKLE:
            return None
        return found, view[16 + head :]

    def keep_latest_with_bytes(self, name: str, found: Any, data: bytes | memoryview) -> None:
        """Keep ``found`` (pickled) and ``data`` (as they are) as ``name``."""
        head = pickle.dumps(found, protocol=5)
        sizes = len(head).to_bytes(8, "little") + len(data).to_bytes(8, "little")
        self._store(name, "mapped", sizes, head, data)

    # -- SHACL verdicts ---------------------------------------------------------------------

    def conforms(self, key: str) -> bool:
        return self._load(key, "shacl") == b"conforms"

    def keep_conforms(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._store(key, "shacl", b"conforms")


def record_text(record: Any) -> str:
    """Every field of a record (an article or entity) but its text and where it is written:
    what a result made from the record is keyed by.

    >>> from kg.model import Entity, Source
    >>> record_text(Entity("ifs", "GovernmentAgency", "IFS", source=Source("x.yaml", 3)))[:30]
    "[('id', 'ifs'), ('type', 'Gove"
    """
    if record is None:
        return "None"
    return repr([(name, getattr(record, name)) for name in _keyed_fields(type(record))])


@cache
def _keyed_fields(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind) if f.name not in ("text", "source"))


# --- fragments of a whole-dataset serialisation ----------------------------------------------


def fragments_of(quads: Sequence[ox.Quad], prefixes: Mapping[str, str]) -> dict[str, bytes]:
    """One chunk of the dataset (whole graphs, in export order) in each format, without what a
    serialisation writes once: TriG's prefix lines, JSON-LD's enclosing brackets.

    >>> q = ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.Literal("v"))
    >>> fragments_of([q], {})["jsonld"]
    b'{"@id":"urn:a","urn:p":[{"@value":"v"}]}'
    """
    return {fmt: fragment(quads, fmt, prefixes) for fmt in FORMATS}


def fragment(quads: Sequence[ox.Quad], fmt: str, prefixes: Mapping[str, str]) -> bytes:
    """The chunk of :func:`fragments_of` in one format.

    >>> q = ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.Literal("v"))
    >>> fragment([q], "nq", {})
    b'<urn:a> <urn:p> "v" .\\n'
    """
    from kg.store import serialize

    data = serialize(list(quads), fmt, dict(prefixes))
    if fmt == "trig":
        return data[len(_trig_head(data)) :]
    if fmt == "jsonld":
        return data[1:-1]
    return data


def _trig_head(data: bytes) -> bytes:
    end = 0
    while data.startswith(b"@prefix ", end):
        end = data.index(b"\n", end) + 1
    return data[:end]


def trig_head(prefixes: Mapping[str, str]) -> bytes:
    """The prefix lines that start every TriG export."""
    from kg.store import serialize

    probe = ox.Quad(ox.NamedNode("urn:x"), ox.NamedNode("urn:x"), ox.NamedNode("urn:x"))
    return _trig_head(serialize([probe], "trig", dict(prefixes)))


def seams(fmt: str, prefixes: Mapping[str, str]) -> tuple[bytes, bytes, bytes, bytes]:
    """What a whole export in ``fmt`` writes around its fragments: (at the start, before the
    first fragment, between two fragments, at the end).

    >>> seams("jsonld", {})
    (b'[', b'', b',', b']')
    """
    if fmt == "trig":
        return b"", trig_head(prefixes), b"", b""
    if fmt == "jsonld":
        return b"[", b"", b",", b"]"
    return b"", b"", b"", b""


def join_fragments(
    fmt: str, parts: Iterable[bytes | Path], prefixes: Mapping[str, str]
) -> Iterator[bytes | Path]:
    """The pieces of a whole export from its fragments (bytes or files holding them), in order;
    empty fragments are left out.

    >>> a = ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.Literal("v"))
    >>> g = ox.NamedNode("urn:g")
    >>> b = ox.Quad(ox.NamedNode("urn:b"), ox.NamedNode("urn:p"), ox.Literal("w"), g)
    >>> from kg.store import serialize
    >>> chunks = [fragments_of([a], {})["jsonld"], fragments_of([b], {})["jsonld"]]
    >>> b"".join(join_fragments("jsonld", chunks, {})) == serialize([a, b], "jsonld", {})
    True
    """
    start, first, between, end = seams(fmt, prefixes)
    if start:
        yield start
    joined = False
    for part in parts:
        if isinstance(part, bytes) and not part:
            continue
        if seam := (between if joined else first):
            yield seam
        joined = True
        yield part
    if end:
        yield end


# --- the dataset of a build, assembled from reused and new pieces ----------------------------


class Assembly:
    """The dataset of one build, in pieces: :meth:`export` gives the pieces of each export
    file, :attr:`shacl_quads` what is left for the SHACL check (see :func:`assemble`)."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefixes = dict(prefixes)
        self.quads = 0
        self.pieces: dict[str, list[bytes | Path]] = {fmt: [] for fmt in FORMATS}
        self.shacl_quads: list[Any] = []
        self.shacl_keys: list[str] = []
        self.reused = 0
        self.made = 0
        #: the key of the default and ontology graphs (:func:`head_key`), their N-Quads (head)
        #: and those of the background (tail)
        self.head_key = ""
        self.head_nq = b""
        self.tail_nq = b""
        #: the N-Quads of each article graph (bytes, or the stored file holding them)
        self.article_nq: dict[str, bytes | Path] = {}

    def export(self, fmt: str) -> list[bytes | Path]:
        """The pieces whose concatenation is the export in ``fmt`` (nq, trig or jsonld)."""
        return list(join_fragments(fmt, self.pieces[fmt], self.prefixes))


def shapes_are_local(shapes_path: Path, claim_predicates: Iterable[str]) -> bool:
    """Whether every shape reads only what one article's graph and the default graph say about
    the nodes it mentions, so that checking each article's graph on its own finds exactly what
    checking the union finds: every target is ``sh:targetClass``, no shape uses SPARQL, and no
    path is a claim predicate (several article graphs may state the same entity's claims) or its
    ``rel:`` form or ``rel:neighbour`` (the default graph's relations are made from every
    article's claims).

    >>> from kg.ontology import default_root, load_ontology
    >>> root = default_root()
    >>> shapes_are_local(root / "ontology" / "shapes.ttl", load_ontology().predicates)
    True
    """
    from rdflib import Graph
    from rdflib.namespace import SH

    from kg.ontology import KG, NEIGHBOUR, REL

    shapes = Graph().parse(shapes_path, format="turtle")
    others = (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.sparql, SH.target)
    if any(True for p in others for _ in shapes.triples((None, p, None))):
        return False
    paths = set(shapes.objects(None, SH.path))
    made_from_claims = {space[name] for name in claim_predicates for space in (KG, REL)}
    return not paths & (made_from_claims | {REL[NEIGHBOUR]})


def assemble(
    curation: Any,
    ontology: Any,
    cache: BuildCache,
    prefixes: Mapping[str, str],
    *,
    exports: bool = True,
    shacl: bool = True,
) -> Assembly:
    """The dataset of ``curation`` as export pieces, reusing each article graph's stored
    serialisations, and the quads SHACL still has to check.

    The default and ontology graphs (the head) are reused too, keyed by every entity and
    article record (:func:`head_key`); their quads are made only when something needs them.

    SHACL: when the shapes are local (:func:`shapes_are_local`), the default and ontology graphs
    form one unit and each article graph another (with the default-graph statements about the
    nodes it mentions); a unit already found conforming under the same key is not checked
    again. An article's unit is found first under the article's key and the head's key
    (both unchanged: the same unit), then under the article's key and the statements it
    reaches (an entity edit changes the head, not what most articles reach). Otherwise
    everything is checked, as one graph.
    """
    from kg.oxquads import OxTerms, article_graph, relations
    from kg.rdf import (
        Terms,
        article_graph_quads,
        background_graph_quads,
        claims_by_article,
        default_graph_quads,
        ontology_graph_quads,
        relation_quads,
        relation_triples,
        stated_relations,
    )
    from kg.store import to_oxigraph

    out = Assembly(prefixes)
    terms = Terms()
    ox_terms = OxTerms()
    made_head: list[Any] = []

    def head() -> list[Any]:
        if not made_head:
            made_head.extend(default_graph_quads(curation, terms))
            made_head.extend(ontology_graph_quads(ontology))
        return made_head

    whole_key = out.head_key = head_key(cache, curation, prefixes)
    stored_head = cache.fragments(whole_key)
    head_fragments: Mapping[str, bytes | Path]
    if stored_head is not None:
        out.quads += int(stored_head["count"].read_text())
        head_fragments = stored_head  # copied from where they are into the exports
        out.head_nq = stored_head["nq"].read_bytes()
    else:
        head_ox = to_oxigraph(head())
        out.quads += len(head_ox)
        head_fragments = fragments_of(head_ox, prefixes)
        cache.keep_fragments(whole_key, head_fragments, len(head_ox))
        out.head_nq = head_fragments["nq"]
    if exports:
        for fmt in FORMATS:
            out.pieces[fmt].append(head_fragments[fmt])
    # the relations (in the default graph), after the head (as in kg.rdf.iter_quads): their
    # serialisations are kept under the relations the claims state, which are listed at every
    # build (0.1 s of CPU at 100k claims); making them again took 0.8 s.
    # Local shapes read no rel: predicate, all these triples hold: they are not checked.
    stated = stated_relations(curation.claims)
    related: list[tuple[str, str, str]] | None = None  # made only when needed
    relations_key = stored_relations = None
    if exports and stated:
        relations_key = cache.key("relations", "\n".join(map("\t".join, stated)))
        stored_relations = cache.fragments(relations_key)
    if stored_relations is not None:
        out.quads += int(stored_relations["count"].read_text())
        for fmt in FORMATS:
            out.pieces[fmt].append(stored_relations[fmt])
    else:
        related = relation_triples(stated)
        out.quads += len(related)
        if relations_key is not None:
            made_relations = relations(related, ox_terms)
            relation_fragments = fragments_of(made_relations, prefixes)
            cache.keep_fragments(relations_key, relation_fragments, len(made_relations))
            for fmt, data in relation_fragments.items():
                out.pieces[fmt].append(data)
    shapes_path = cache.root / "ontology" / "shapes.ttl"
    local = shacl and shapes_path.is_file() and shapes_are_local(shapes_path, ontology.predicates)
    about = DefaultStatements(curation, terms)
    digests = _NodeDigests(about)
    head_checked = False  # whether the head's quads are in what SHACL checks
    proven: list[str] = []  # keys of units known to conform under another key

    if shacl:
        if not local:
            out.shacl_quads.extend(head())
            out.shacl_quads.extend(relation_quads(related or relation_triples(stated), terms))
            head_checked = True
        else:
            default_key = cache.key("shacl-default", out.head_nq)
            if not cache.conforms(default_key):
                out.shacl_quads.extend(head())
                out.shacl_keys.append(default_key)
                head_checked = True
    for article_id, claims in sorted(claims_by_article(curation).items()):
        key = cache.keys.get(article_id)
        stored = cache.fragments(key) if key and exports else None
        graph = None  # its quads (pyoxigraph's); SHACL makes rdflib's only when it checks it
        if stored is not None:
            out.quads += int(stored["count"].read_text())
            out.reused += 1
        else:
            graph = article_graph(article_id, claims, ox_terms)
            out.quads += len(graph)
            out.made += 1
        if exports:
            if stored is None:
                assert graph is not None
                made = fragments_of(graph, prefixes)
                if key and cache.write:  # read back from disk: memory stays flat
                    cache.keep_fragments(key, made, len(graph))
                    if cache.write:  # all stored
                        stored = {fmt: cache.path(key, fmt) for fmt in FORMATS}
            for fmt in FORMATS:
                out.pieces[fmt].append(stored[fmt] if stored else made[fmt])
            out.article_nq[article_id] = stored["nq"] if stored else made["nq"]
        if not shacl:
            continue
        if not local:
            out.shacl_quads.extend(article_graph_quads(article_id, claims, terms))
            continue
        in_head = cache.key("shacl-article-in", key or "", whole_key)
        if key and cache.conforms(in_head):
            continue
        # the unit's key is made without the article's quads: a reused graph is not rebuilt
        reached = _reach(mentioned_nodes(article_id, claims, terms), about)
        unit_key = cache.key("shacl-article", key or "", *digests.of(reached))
        if key and cache.conforms(unit_key):
            proven.append(in_head)
            continue
        out.shacl_quads.extend(article_graph_quads(article_id, claims, terms))
        out.shacl_quads.extend(quad for node in reached for quad in about[node])
        if key:
            out.shacl_keys += [unit_key, in_head]
    cache.keep_conforms(proven)
    # background knowledge: small, rebuilt at every build, last (as in kg.rdf.iter_quads)
    tail = list(background_graph_quads(curation, terms))
    if tail:
        tail_ox = to_oxigraph(tail)
        out.quads += len(tail_ox)
        if exports:
            for fmt, data in fragments_of(tail_ox, prefixes).items():
                out.pieces[fmt].append(data)
            out.tail_nq = out.pieces["nq"][-1]  # type: ignore[assignment]
        if shacl:
            out.shacl_quads.extend(tail)
    if out.shacl_quads and not head_checked:  # the class hierarchy, which the shapes read
        out.shacl_quads[:0] = ontology_graph_quads(ontology)
    return out


def head_key(cache: BuildCache, curation: Any, prefixes: Mapping[str, str]) -> str:
    """The key of the default and ontology graphs: every entity and article record (their
    :func:`record_text`, which holds an article's text's SHA-256) and the prefixes; the
    ontology is in every key (:func:`fingerprint`)."""
    digest = hashlib.sha256(repr(sorted(prefixes.items())).encode())
    for kind, records in (("entity", curation.entities), ("article", curation.articles)):
        for ident in sorted(records):
            text = f"{kind}\0{ident}\0{cache.record_text(records[ident])}\0".encode()
            digest.update(len(text).to_bytes(8, "little") + text)
    return cache.key("head", digest.hexdigest())


class DefaultStatements(Mapping[Any, list[Any]]):
    """What the default graph says about each node it has statements about (an entity, an
    article, an article's publication basis), made from that node's record when first asked
    for: an edited article's SHACL unit needs the statements about the few nodes it reaches,
    not the whole default graph. Gives what grouping :func:`kg.rdf.default_graph_quads` by
    subject gives (tested).

    >>> from kg.api import validate
    >>> from kg.rdf import Terms
    >>> from kg.ontology import entity_iri
    >>> about = DefaultStatements(validate(), Terms())
    >>> len(about[entity_iri("ifs")]) > 2, entity_iri("nobody") in about
    (True, False)
    """

    def __init__(self, curation: Any, terms: Any) -> None:
        self.curation, self.terms = curation, terms
        self.made: dict[Any, list[Any]] = {}

    def _of(self, node: Any) -> list[Any]:
        found = self.made.get(node)
        if found is not None:
            return found
        from kg.rdf import article_quads, entity_quads

        text = str(node)
        quads: list[Any] = []
        if text.startswith(_ENTITY_IRI):
            entity = self.curation.entities.get(text[len(_ENTITY_IRI) :])
            if entity is not None:
                quads = list(entity_quads(entity, self.terms))
        elif text.startswith(_ARTICLE_IRI):  # the article, or a node of its record (#...)
            article = self.curation.articles.get(text[len(_ARTICLE_IRI) :].partition("#")[0])
            if article is not None:
                quads = [q for q in article_quads(article, self.terms) if q[0] == node]
        self.made[node] = quads = [q for q in quads if q[0] == node]
        return quads

    def __getitem__(self, node: Any) -> list[Any]:
        quads = self._of(node)
        if not quads:
            raise KeyError(node)
        return quads

    def __contains__(self, node: object) -> bool:
        return bool(self._of(node))

    def __iter__(self) -> Iterator[Any]:
        return (node for node, quads in self.made.items() if quads)

    def __len__(self) -> int:
        return sum(1 for quads in self.made.values() if quads)


_ENTITY_IRI = str(entity_iri(""))
_ARTICLE_IRI = str(article_iri(""))


def mentioned_nodes(article_id: str, claims: Iterable[Claim], terms: Any) -> set[Any]:
    """The entities and articles an article's graph names (as subject or object of a quad),
    read from its claims without building the graph: the only nodes of an article graph that
    the default graph can say something about (its other nodes are the claims' own).

    >>> from kg.rdf import Terms
    >>> sorted(str(n).rsplit("/", 1)[1] for n in mentioned_nodes("a1", [], Terms()))
    ['a1']
    """
    nodes = {terms.article(article_id)}
    for claim in claims:
        nodes.add(terms.entity(claim.subject))
        if isinstance(claim.object, str):
            nodes.add(terms.entity(claim.object))
        for name in (claim.attributed_to, claim.scope):
            if name:
                nodes.add(terms.entity(name))
        for _part, basis in claim.inferred:
            nodes.update(terms.article(ident) for ident in basis.articles)
    return nodes


def _reach(nodes: Iterable[Any], about: Mapping[Any, list[Any]]) -> list[Any]:
    """The nodes of ``nodes`` the default graph speaks about, and the nodes those statements
    name that it speaks about too (an article's outlet, say), in a stable order."""
    first = {node for node in nodes if node in about}
    second = {q[2] for node in first for q in about[node] if q[2] in about}
    return sorted(first | second, key=str)


class _NodeDigests:
    """The SHA-256 of what the default graph says about each node, made once per node."""

    def __init__(self, about: Mapping[Any, list[Any]]) -> None:
        self.about = about
        self.made: dict[Any, str] = {}

    def of(self, nodes: Iterable[Any]) -> list[str]:
        out = []
        for node in nodes:
            digest = self.made.get(node)
            if digest is None:
                lines = sorted(f"{q[0].n3()} {q[1].n3()} {q[2].n3()}" for q in self.about[node])
                digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
                self.made[node] = digest
            out.append(f"{node.n3()} {digest}")
        return out
