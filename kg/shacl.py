"""Check a built dataset against ontology/shapes.ttl with pyshacl.

>>> from kg.curation import load_curation
>>> from kg.rdf import iter_quads
>>> check_shapes(iter_quads(load_curation()))
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from kg.errors import KgError, ShapeError
from kg.ontology import default_root


def check_shapes(
    quads: Iterable[tuple[Node, Node, Node, URIRef | None]], shapes_path: Path | None = None
) -> None:
    """Validate the union of all graphs; raise :class:`ShapeError` listing every violation."""
    from pyshacl import validate  # slow import, only when checking

    data = Graph()
    for s, p, o, _graph in quads:
        data.add((s, p, o))
    shapes = Graph().parse(
        shapes_path or default_root() / "ontology" / "shapes.ttl", format="turtle"
    )
    conforms, report, _text = validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True
    )
    if conforms:
        return
    assert isinstance(report, Graph)
    messages = []
    for result in report.subjects(SH.resultSeverity, SH.Violation):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        messages.append(f"{focus} {path.n3() if path is not None else ''}: {message}")
    if messages:
        raise ShapeError(sorted(messages))


class ShapesCheck:
    """:func:`check_shapes` run in a forked process while the caller goes on (building the
    exports, say); :meth:`wait` gives its outcome. On two cores this takes pyshacl's import and
    validation (about 0.6 s of a 2 s seed build) off the critical path. The check runs at once,
    in this process, where ``fork`` is not available or not safe: when this process already
    runs other threads (a forked child could inherit a lock one of them holds).

    Use it as a context manager: leaving the block stops a check nobody waited for.

    >>> from kg.curation import load_curation
    >>> from kg.rdf import iter_quads
    >>> with ShapesCheck(list(iter_quads(load_curation()))) as check:
    ...     check.wait()
    """

    def __init__(
        self,
        quads: Iterable[tuple[Node, Node, Node, URIRef | None]],
        shapes_path: Path | None = None,
    ) -> None:
        import multiprocessing
        import os
        import sys

        self._child: Any = None
        self.forked = sys.platform == "linux" and _threads() == 1
        if not self.forked:
            check_shapes(quads, shapes_path)
            return
        context = multiprocessing.get_context("fork")
        self._outcome, send = context.Pipe(duplex=False)
        self._child = context.Process(
            target=_check_in_child, args=(quads, shapes_path, send, os.getpid()), daemon=True
        )
        self._child.start()
        send.close()

    def wait(self) -> None:
        """Wait for the check; raise :class:`ShapeError` listing every violation."""
        if self._child is None:
            return
        child, self._child = self._child, None
        try:
            outcome = self._outcome.recv()
        except EOFError:
            outcome = ("error", "the check stopped before answering")
        finally:
            self._outcome.close()
            child.join()
        kind, detail = outcome
        if kind == "violations":
            raise ShapeError(detail)
        if kind == "error":
            raise KgError(f"the SHACL check failed (exit code {child.exitcode}): {detail}")

    def __enter__(self) -> ShapesCheck:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._child is not None:  # nobody waited: an error stopped the build
            self._child.terminate()
            self._child.join()
            self._outcome.close()
            self._child = None


def _threads() -> int:
    """How many threads this process runs, native ones included (Linux)."""
    import os

    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0  # unknown: do not fork


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this (forked) process when its parent dies, even by SIGKILL
    (Linux ``prctl(PR_SET_PDEATHSIG)``); exit at once if the parent is already gone."""
    import ctypes
    import os
    import signal

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the pipe's end still stops the parent's wait
        return
    if os.getppid() != parent:
        os._exit(1)


def _check_in_child(
    quads: Iterable[tuple[Node, Node, Node, URIRef | None]],
    shapes_path: Path | None,
    send: Any,
    parent: int,
) -> None:
    die_with_parent(parent)
    try:
        check_shapes(quads, shapes_path)
        send.send(("ok", None))
    except ShapeError as err:
        send.send(("violations", err.violations))
    except BaseException as err:  # reported to the parent, which raises it
        send.send(("error", f"{type(err).__name__}: {err}"))
    finally:
        send.close()
