"""Check a built dataset against ontology/shapes.ttl with pyshacl.

>>> from kg.curation import load_curation
>>> from kg.rdf import iter_quads
>>> check_shapes(iter_quads(load_curation()))
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from kg.errors import ShapeError
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
