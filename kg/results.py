"""Local query answers within limits: a row cap, a deadline that really stops the query, and
output written as it is read.

pyoxigraph evaluates a query in Rust and cannot be interrupted from Python: neither a deadline
nor Ctrl-C would stop a runaway query. So a query with a deadline runs in a forked child
process that writes its answer into a pipe; the parent copies it out, and kills the child at
the deadline or on Ctrl-C (the child also dies with its parent, on Linux). Answers are
written row by row in the W3C formats (CSV, TSV, JSON, XML; N-Triples or Turtle for graphs),
so memory does not grow with the rows, and stop after ``max_rows`` rows with a note.

>>> import io, pyoxigraph as ox
>>> out = io.BytesIO()
>>> answer = ox.Store().query("SELECT ?n WHERE { VALUES ?n { 1 2 3 } }")
>>> write_answer(answer, "csv", out, max_rows=2)
Written(rows=2, truncated=True)
>>> out.getvalue()
b'n\\r\\n1\\r\\n2\\r\\n'
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import json
import math
import os
import pickle
import re
import select
import signal
import struct
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from kg.errors import QueryError
from kg.ontology import PREFIXES

#: The most rows (or triples) a local query returns unless told otherwise.
DEFAULT_MAX_ROWS = 10_000
_XSD = "http://www.w3.org/2001/XMLSchema#"
_SHORT = {
    f"{_XSD}integer": re.compile(r"[+-]?\d+"),
    f"{_XSD}decimal": re.compile(r"[+-]?\d*\.\d+"),
    f"{_XSD}double": re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+"),
    f"{_XSD}boolean": re.compile(r"true|false"),
}
_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


class QueryTimeout(QueryError):
    """A query ran past its deadline and was stopped."""


@dataclass(frozen=True)
class Written:
    """What :func:`write_answer` wrote: how many rows (or triples; None when the engine's own
    writer wrote them all), and whether it stopped early."""

    rows: int | None
    truncated: bool


def die_with_parent() -> None:
    """Arm the parent-death signal (Linux): this process gets SIGKILL when its parent dies."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# --------------------------------------------------------------------------------------------
# Writers


def _csv(term: Any) -> str:
    if term is None:
        return ""
    value = f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _tsv(term: Any) -> str:
    if term is None:
        return ""
    short = _SHORT.get(term.datatype.value) if isinstance(term, ox.Literal) else None
    if short is not None and short.fullmatch(term.value):
        return term.value
    return str(term)


def _json(term: Any) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    found = {"type": "literal", "value": term.value}
    if term.language:
        found["xml:lang"] = term.language
    elif term.datatype.value != f"{_XSD}string":
        found["datatype"] = term.datatype.value
    return found


def _text(value: str) -> str:
    """XML text or attribute value escaped as pyoxigraph escapes it (quotes too), so a streamed
    answer has the bytes of the engine's own."""
    return escape(value, _QUOTES)


_QUOTES = {"'": "&apos;", '"': "&quot;"}


def _xml(name: str, term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        inner = f"<uri>{_text(term.value)}</uri>"
    elif isinstance(term, ox.BlankNode):
        inner = f"<bnode>{_text(term.value)}</bnode>"
    elif term.language:
        inner = f'<literal xml:lang="{_text(term.language)}">{_text(term.value)}</literal>'
    elif term.datatype.value != f"{_XSD}string":
        inner = f'<literal datatype="{_text(term.datatype.value)}">{_text(term.value)}</literal>'
    else:
        inner = f"<literal>{_text(term.value)}</literal>"
    return f"<binding name={quoteattr(name)}>{inner}</binding>"


def _solution_lines(answer: Any, fmt: str, max_rows: int | None) -> Iterator[str | Written]:
    names = [v.value for v in answer.variables]
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    if fmt == "csv":
        yield ",".join(names) + "\r\n"
    elif fmt == "tsv":
        yield "\t".join(f"?{n}" for n in names) + "\n"
    elif fmt == "json":
        yield '{"head":{"vars":' + json.dumps(names, **compact) + '},"results":{"bindings":['
    else:
        variables = "".join(f"<variable name={quoteattr(n)}/>" for n in names)
        yield (
            '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head>{variables}</head><results>"
        )
    rows, truncated = 0, False
    for solution in answer:
        if max_rows is not None and rows >= max_rows:
            truncated = True
            break
        terms = [solution[n] for n in names]
        if fmt == "csv":
            yield ",".join(_csv(t) for t in terms) + "\r\n"
        elif fmt == "tsv":
            yield "\t".join(_tsv(t) for t in terms) + "\n"
        elif fmt == "json":
            bound = {n: _json(t) for n, t in zip(names, terms, strict=True) if t is not None}
            yield ("," if rows else "") + json.dumps(bound, **compact)
        else:
            bound_xml = "".join(_xml(n, t) for n, t in zip(names, terms, strict=True) if t)
            yield f"<result>{bound_xml}</result>"
        rows += 1
    yield {"json": "]}}", "xml": "</results></sparql>"}.get(fmt, "")
    yield Written(rows, truncated)


def write_answer(answer: Any, fmt: str, out: IO[bytes], max_rows: int | None) -> Written:
    """Write a pyoxigraph answer to ``out`` in ``fmt`` as it is read, at most ``max_rows`` rows.

    SELECT answers in csv, tsv, json or xml; ASK answers likewise (a boolean); CONSTRUCT and
    DESCRIBE answers in nt (streamed) or ttl (the capped triples, with kg's prefixes).
    """
    if isinstance(answer, ox.QueryTriples):
        return _write_triples(answer, fmt, out, max_rows)
    formats = {
        "csv": ox.QueryResultsFormat.CSV,
        "tsv": ox.QueryResultsFormat.TSV,
        "json": ox.QueryResultsFormat.JSON,
        "xml": ox.QueryResultsFormat.XML,
    }
    if fmt not in formats:
        raise QueryError(f"unknown result format {fmt!r} — use one of {', '.join(formats)}")
    if isinstance(answer, ox.QueryBoolean):
        out.write(answer.serialize(format=formats[fmt]) or b"")
        return Written(1, False)
    if max_rows is None:  # the engine's own writer streams too, and is several times faster
        answer.serialize(out, format=formats[fmt])
        return Written(None, False)
    buffer: list[str] = []
    size = 0
    for piece in _solution_lines(answer, fmt, max_rows):
        if isinstance(piece, Written):
            out.write("".join(buffer).encode())
            return piece
        buffer.append(piece)
        size += len(piece)
        if size > 1 << 16:
            out.write("".join(buffer).encode())
            buffer, size = [], 0
    raise AssertionError("unreachable")  # pragma: no cover


def _write_triples(answer: Any, fmt: str, out: IO[bytes], max_rows: int | None) -> Written:
    if max_rows is None and fmt == "nt":
        answer.serialize(out, format=ox.RdfFormat.N_TRIPLES)
        return Written(None, False)
    rows, truncated, kept = 0, False, []
    for triple in answer:
        if max_rows is not None and rows >= max_rows:
            truncated = True
            break
        if fmt == "nt":
            out.write(f"{triple} .\n".encode())
        else:
            kept.append(triple)
        rows += 1
    if fmt != "nt":
        rdf = {"ttl": ox.RdfFormat.TURTLE, "nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}
        target = rdf.get(fmt, ox.RdfFormat.TURTLE)
        prefixes = PREFIXES if target in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
        out.write(ox.serialize(kept, format=target, prefixes=prefixes) or b"")
    return Written(rows, truncated)


# --------------------------------------------------------------------------------------------
# The child process

_DATA, _RESULT, _ERROR = b"D", b"R", b"E"


class _Pipe(io.RawIOBase):
    """The child's end: everything written goes to the parent as data frames."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        _send(self.fd, _DATA, bytes(data))
        return len(data)


def _send(fd: int, kind: bytes, payload: bytes) -> None:
    frame = kind + struct.pack(">I", len(payload)) + payload
    view = memoryview(frame)
    while view:
        view = view[os.write(fd, view) :]


def in_child(
    work: Callable[[IO[bytes]], Any],
    out: IO[bytes] | None,
    timeout: float | None,
    on_rows: Callable[[Any], None] | None = None,
) -> Any:
    """Run ``work(stream)`` in a forked child; copy what it writes to ``out``; return its value.

    ``work`` returns a picklable value; what it raises as :class:`QueryError` is raised here.
    Past ``timeout`` seconds (None or ``math.inf``: no deadline) the child is killed and
    :class:`QueryTimeout` raised; Ctrl-C (KeyboardInterrupt) kills it too. Data the child
    sends with ``stream.send_rows(obj)`` goes to ``on_rows`` as it arrives.
    """
    if out is not None:
        with contextlib.suppress(AttributeError, ValueError, OSError):
            out.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 0
        try:
            os.close(read_end)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            die_with_parent()
            if os.getppid() != parent:
                os._exit(1)
            stream = io.BufferedWriter(_Pipe(write_end), buffer_size=1 << 16)
            stream.send_rows = lambda obj: (  # type: ignore[attr-defined]
                stream.flush(),
                _send(write_end, b"P", pickle.dumps(obj)),
            )
            value = work(stream)
            stream.flush()
            _send(write_end, _RESULT, pickle.dumps(value))
        except QueryError as err:
            _send(write_end, _ERROR, pickle.dumps((type(err).__name__, str(err))))
        except BaseException as err:
            with contextlib.suppress(OSError):
                message = f"{type(err).__name__}: {err}"
                _send(write_end, _ERROR, pickle.dumps(("QueryError", message)))
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    deadline = None if timeout is None or math.isinf(timeout) else time.monotonic() + timeout
    buffer = b""
    try:
        while True:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                raise QueryTimeout(
                    f"the query ran past the {timeout:g} s deadline and was stopped — narrow it "
                    "(LIMIT, more specific patterns) or allow more time with --timeout SECONDS"
                )
            ready, _, _ = select.select([read_end], [], [], wait)
            if not ready:
                continue
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                raise QueryError("the query process ended without an answer (out of memory?)")
            buffer += chunk
            while len(buffer) >= 5:
                size = struct.unpack(">I", buffer[1:5])[0]
                if len(buffer) < 5 + size:
                    break
                kind, payload, buffer = buffer[:1], buffer[5 : 5 + size], buffer[5 + size :]
                if kind == _DATA and out is not None:
                    out.write(payload)
                elif kind == b"P" and on_rows is not None:
                    on_rows(pickle.loads(payload))
                elif kind == _RESULT:
                    return pickle.loads(payload)
                elif kind == _ERROR:
                    name, message = pickle.loads(payload)
                    raise (QueryTimeout if name == "QueryTimeout" else QueryError)(message)
    finally:
        os.close(read_end)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
