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
from kg.knowledge import EntityInfo, KnowledgeGraph
from kg.notebook import MissingExtra, Rows

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
    "load",
    "validate",
]
