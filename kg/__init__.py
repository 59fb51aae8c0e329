"""kg: a provenance-first entity-relationship knowledge graph for news.

>>> import kg
>>> g = kg.load()
>>> len(g.claims(predicate="delisted")) >= 3
True

The names below are imported when first used, so that ``import kg.curation`` (what
``kg validate`` needs) does not import the graph, the page and the query engine.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kg.api import BuildReport, build, check, load, validate
    from kg.errors import (
        AmbiguousEntity,
        CurationError,
        EntityNotFound,
        KgError,
        OntologyError,
        Problem,
        QueryError,
        ShapeError,
        StoreError,
    )
    from kg.knowledge import EntityInfo, KnowledgeGraph
    from kg.notebook import MissingExtra, Rows

#: Each public name and the module it comes from.
_HOMES = {
    **dict.fromkeys(("BuildReport", "build", "check", "load", "validate"), "kg.api"),
    **dict.fromkeys(
        (
            "AmbiguousEntity",
            "CurationError",
            "EntityNotFound",
            "KgError",
            "OntologyError",
            "Problem",
            "QueryError",
            "ShapeError",
            "StoreError",
        ),
        "kg.errors",
    ),
    **dict.fromkeys(("EntityInfo", "KnowledgeGraph"), "kg.knowledge"),
    **dict.fromkeys(("MissingExtra", "Rows"), "kg.notebook"),
}

__all__ = [
    "AmbiguousEntity",
    "BuildReport",
    "CurationError",
    "EntityInfo",
    "EntityNotFound",
    "KgError",
    "KnowledgeGraph",
    "MissingExtra",
    "OntologyError",
    "Problem",
    "QueryError",
    "Rows",
    "ShapeError",
    "StoreError",
    "build",
    "check",
    "load",
    "validate",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:  # a module of the package (kg.api, kg.graph), as after `import kg.api`
        try:
            return import_module(f"kg.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"kg.{name}":
                raise
            raise AttributeError(f"module 'kg' has no attribute {name!r}") from None
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
