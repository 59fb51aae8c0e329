"""kg: a provenance-first entity-relationship knowledge graph for news.

>>> import kg
>>> g = kg.load()
>>> len(g.claims(predicate="delisted")) >= 3
True
"""

from kg.api import BuildReport, build, load, validate
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
from kg.knowledge import KnowledgeGraph

__all__ = [
    "AmbiguousEntity",
    "BuildReport",
    "CurationError",
    "EntityNotFound",
    "KgError",
    "KnowledgeGraph",
    "OntologyError",
    "Problem",
    "QueryError",
    "ShapeError",
    "StoreError",
    "build",
    "load",
    "validate",
]
