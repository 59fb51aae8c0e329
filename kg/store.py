"""The RDF engine: pyoxigraph underneath, an rdflib Dataset on top (via oxrdflib).

This is the only module that imports pyoxigraph or oxrdflib.

>>> from rdflib import URIRef, Literal
>>> store = new_store()
>>> load_quads(store, [(URIRef("urn:x:a"), URIRef("urn:x:p"), Literal("v"), None)])
1
>>> len(store)
1
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from itertools import islice
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.term import Node

from kg.errors import StoreError
from kg.exports import build_lock, output_folder

FORMATS = {
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
}
#: Formats kg reads back: only the ones it writes (never RDF/XML from outside).
READABLE = {
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
}
#: N-Quads are loaded into an in-memory store this many bytes (of whole lines) at a time. Each
#: ``Store.load`` is one transaction, which keeps an undo entry of about 40 bytes per quad until
#: it commits: loaded whole, a million claims' 22.7M quads held 0.9 GB more than the loaded
#: store at the end of the load (8.2 GB peak instead of 7.3 GB). A chunk of 64 MB (about 350k
#: quads, 14 MB of undo entries) loads as fast as the whole file; 4 MB chunks took a quarter more
#: CPU (at 100k claims, loaded strictly: 7.6 s, 10.0 s with 4 MB chunks, 8.0 s for the whole
#: file). :func:`load_nquads` loads them leniently beside a strict check of the file in a thread:
#: 5.7 s wall and 8.1 s CPU at 100k on 2 idle cores (8.0 s and 8.0 s loaded strictly).
LOAD_CHUNK_BYTES = 64 << 20
#: Quads the strict check of :func:`load_nquads` parses between two looks at whether to stop.
CHECK_BATCH = 1 << 16
_BLANK_NODE = re.compile(rb"_:")


class _Converter:
    """rdflib terms → pyoxigraph terms, caching IRIs (they repeat on every quad)."""

    def __init__(self) -> None:
        self._iris: dict[str, ox.NamedNode] = {}

    def iri(self, value: str) -> ox.NamedNode:
        node = self._iris.get(value)
        if node is None:
            node = self._iris[value] = ox.NamedNode(value)
        return node

    def term(self, term: Node) -> ox.NamedNode | ox.Literal | ox.BlankNode:
        if isinstance(term, URIRef):
            return self.iri(term)
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype:
                return ox.Literal(str(term), datatype=self.iri(term.datatype))
            return ox.Literal(str(term))
        if isinstance(term, BNode):
            return ox.BlankNode(str(term))
        raise StoreError(f"cannot store RDF term {term!r}")

    def quad(self, quad: tuple[Node, Node, Node, URIRef | None]) -> ox.Quad:
        s, p, o, g = quad
        graph = self.iri(g) if g is not None else ox.DefaultGraph()
        return ox.Quad(self.term(s), self.iri(p), self.term(o), graph)  # type: ignore[arg-type]


def term_converter() -> Callable[[Node], ox.NamedNode | ox.Literal | ox.BlankNode]:
    """A function from rdflib terms to pyoxigraph terms (the one :func:`to_oxigraph` uses)."""
    return _Converter().term


def to_oxigraph(quads: Iterable[tuple[Node, Node, Node, URIRef | None]]) -> list[ox.Quad]:
    """Convert rdflib-term quads (graph None = default graph) to pyoxigraph quads, in order."""
    convert = _Converter()
    return [convert.quad(q) for q in quads]


def new_store(path: Path | None = None) -> ox.Store:
    """An empty store: in memory, or on disk at ``path``."""
    return ox.Store(str(path)) if path else ox.Store()


def load_quads(store: ox.Store, quads: Iterable[tuple[Node, Node, Node, URIRef | None]]) -> int:
    """Add quads to a store in one bulk operation; returns how many were given."""
    converted = to_oxigraph(quads)
    store.bulk_extend(converted)
    return len(converted)


def dataset_over(store: ox.Store, prefixes: Mapping[str, str] | None = None) -> Dataset:
    """An rdflib Dataset whose engine is the given pyoxigraph store (no copy), with ``prefixes``
    bound on its namespace manager (so its queries and serialisations know them).

    >>> ds = dataset_over(new_store(), {"entity": "https://kg.example/entity/"})
    >>> ds.namespace_manager.expand_curie("entity:ifs")
    rdflib.term.URIRef('https://kg.example/entity/ifs')
    """
    from oxrdflib import OxigraphStore  # imports rdflib's SPARQL engine: 0.17 s, only when used

    dataset = Dataset(store=OxigraphStore(store=store))
    for prefix, namespace in (prefixes or {}).items():
        dataset.namespace_manager.bind(prefix, namespace, override=True, replace=True)
    return dataset


def read_export(path: Path, store_path: Path | None = None) -> ox.Store:
    """Load a TriG, N-Quads or JSON-LD export (as kg writes them) into a fresh store."""
    suffix = path.suffix.lstrip(".")
    if not path.exists():
        raise StoreError(
            f"{path}: no such file — give an export (kg.nq, kg.trig, kg.jsonld), an exports "
            "folder or a store; `kg build` writes exports/"
        )
    if suffix not in READABLE:
        raise StoreError(f"{path}: kg reads only its own export formats (.trig, .nq, .jsonld)")
    if not path.is_file():
        raise StoreError(f"{path}: not a file — give an export such as exports/kg.nq")
    store = new_store(store_path)
    try:
        if store_path:
            store.bulk_load(path=str(path), format=READABLE[suffix])
        elif suffix == "nq":
            load_nquads(store, path)
        else:  # in memory, load() is as fast as bulk_load() (which is for disk) and peaks lower
            store.load(path=str(path), format=READABLE[suffix])
    except (SyntaxError, ValueError, OSError) as err:
        raise StoreError(f"{path}: cannot parse ({err})") from err
    return store


def load_nquads(
    store: ox.Store,
    path: Path,
    chunk_bytes: int = LOAD_CHUNK_BYTES,
    *,
    check_beside: bool | None = None,
) -> None:
    """Add an N-Quads file to an in-memory store ``chunk_bytes`` of whole lines at a time (see
    :data:`LOAD_CHUNK_BYTES`), so that the load's peak memory is the loaded store's; the file is
    checked as strictly as one ``Store.load`` of it would, on a second core.

    The chunks are loaded with ``lenient=True``, which skips the validation of IRIs, language
    tags and string escapes (a fifth of the load's CPU), while a thread parses the whole file
    with pyoxigraph's strict parser (``pyoxigraph.parse``, which releases the GIL for each
    quad): the load raises the first error that strict parse finds, with its line in the file,
    so a bad IRI is refused exactly as a strict load refuses it. On input the strict parser
    accepts, the lenient one gives the same quads. An error of the lenient load itself (a line
    without its dot) waits for the check, which reports the first error of the file.
    ``check_beside=False`` (the default when the process may use only one core, where the check
    would cost wall time too) loads the chunks strictly instead, with no thread.

    N-Quads has one statement per line, so whole lines parse alone. A blank node is one node
    only within one load (pyoxigraph renames blank nodes per load), so from the first chunk
    that may hold one (``_:`` anywhere in it) the rest of the file is loaded in one go.

    >>> import tempfile
    >>> nq = Path(tempfile.mkdtemp()) / "kg.nq"
    >>> _ = nq.write_text("<urn:a> <urn:p> <urn:b> .\\n" * 3 + "_:x <urn:p> _:x .\\n")
    >>> store = new_store()
    >>> load_nquads(store, nq, chunk_bytes=10)
    >>> len(store)
    2
    >>> _ = nq.write_text("<urn:a> <urn:p> <urn:b> .\\n<urn:a> <urn:p> <not an iri> .\\n")
    >>> load_nquads(new_store(), nq, chunk_bytes=10)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    SyntaxError: Parser error at line 2 ...: Invalid IRI code point ' ' (kg.nq, line 2)
    """
    lenient = _cores() > 1 if check_beside is None else check_beside
    check = _StrictCheck(path) if lenient else None
    with check or nullcontext(), path.open("rb") as source:
        while not (check and check.failed) and (chunk := source.read(chunk_bytes)):
            start = source.tell() - len(chunk)
            chunk += source.readline()
            try:
                if _BLANK_NODE.search(chunk):
                    source.seek(start)
                    store.load(source, format=ox.RdfFormat.N_QUADS, lenient=lenient)
                    break
                store.load(chunk, format=ox.RdfFormat.N_QUADS, lenient=lenient)
            except SyntaxError as err:
                if check:
                    check.wait()
                raise _in_file(err, path, start) from None
        if check:
            check.wait()


def _cores() -> int:
    """How many cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class _StrictCheck:
    """A strict parse of an N-Quads file in a thread; :meth:`wait` raises its first error.

    Leaving the ``with`` block stops the parse at its next batch (:data:`CHECK_BATCH` quads)
    and waits for it, so no thread outlives the load, whatever the load raised.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._parse, name="kg-nquads-check", daemon=True)

    @property
    def failed(self) -> bool:
        return self.error is not None

    def _parse(self) -> None:
        try:
            quads = ox.parse(path=str(self.path), format=ox.RdfFormat.N_QUADS)
            while not self._stop.is_set() and deque(islice(quads, CHECK_BATCH), maxlen=1):
                pass
        except SyntaxError as err:
            self.error = _at_line(err.msg, self.path, err.lineno or 1)
        except BaseException as err:  # raised again by wait(): the load must not pass unchecked
            self.error = err

    def wait(self) -> None:
        """Wait for the whole file to be parsed; raise the first syntax error in it (or why it
        could not be read, or whatever stopped the check)."""
        self._thread.join()
        if self.error is not None:
            raise self.error

    def __enter__(self) -> _StrictCheck:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _in_file(err: SyntaxError, path: Path, offset: int) -> SyntaxError:
    """A syntax error of a chunk read from ``offset`` of ``path``, with its line in the file."""
    with path.open("rb") as source:
        before = sum(block.count(b"\n") for block in _blocks(source, offset))
    line = (err.lineno or 1) + before
    return _at_line(re.sub(r"\bline \d+", f"line {line}", err.msg, count=1), path, line)


def _at_line(message: str, path: Path, line: int) -> SyntaxError:
    """A syntax error naming the file and line it is at."""
    return SyntaxError(f"{message} ({path.name}, line {line})")


def _blocks(source: io.BufferedIOBase, size: int, block: int = 1 << 20) -> Iterable[bytes]:
    """The first ``size`` bytes of ``source``, a block at a time."""
    while size > 0 and (data := source.read(min(block, size))):
        size -= len(data)
        yield data


def open_store(path: Path) -> ox.Store:
    """Open an on-disk store built by ``kg build --store PATH`` read-only (never rebuilt)."""
    try:
        return ox.Store.read_only(str(path))
    except OSError as err:
        raise StoreError(
            f"{path}: not a kg export folder (no kg.nq) nor an on-disk store ({err})"
            " — give an export file, an exports folder, or a --store folder"
        ) from None


def serialize(quads: list[ox.Quad], fmt: str, prefixes: dict[str, str]) -> bytes:
    """Serialise quads in the given order (so output is as deterministic as the input).

    Written into a buffer: the same bytes as ``ox.serialize`` returns, ~1.5x faster for 2M quads.
    """
    buffer = io.BytesIO()
    if fmt == "nq":
        ox.serialize(quads, buffer, format=FORMATS[fmt])
    else:
        ox.serialize(quads, buffer, format=FORMATS[fmt], prefixes=prefixes)
    return buffer.getvalue()


def build_store_dir(target: Path, quads: list[ox.Quad] | Path) -> Path:
    """Build an on-disk store in a fresh sibling folder, then swap it in place of ``target``.

    A store rebuilt in place loses data when the process is killed midway; a fresh folder
    that replaces the old one only when complete does not. Two builds of one store take turns
    (the lock of :func:`kg.exports.build_lock`), and what a killed build left beside it is
    removed (or put back) by the next one.
    """
    target = output_folder(Path(target))
    with build_lock(target):
        fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
        store = ox.Store(str(fresh))
        if isinstance(quads, Path):  # an N-Quads file
            store.bulk_load(path=str(quads), format=ox.RdfFormat.N_QUADS)
        else:
            store.bulk_extend(quads)
        store.flush()
        del store
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        if target.exists():
            os.replace(target, old)
        os.replace(fresh, target)
        shutil.rmtree(old, ignore_errors=True)
    return target
