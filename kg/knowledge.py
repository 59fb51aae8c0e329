"""The :class:`KnowledgeGraph` facade: one object over a loaded dataset, one-line methods.

Each method delegates to a plain function (SPARQL in :mod:`kg.sparql`, graph algorithms in
:mod:`kg.graph`, analysis in :mod:`kg.analysis`), so the same work is available without it.

>>> import kg
>>> g = kg.load()
>>> g.entity("ifs").type
'GovernmentAgency'
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pyoxigraph as ox
from rdflib import Dataset

from kg.errors import AmbiguousEntity, EntityNotFound
from kg.ontology import BASE_IRI, Ontology, local_name
from kg.sparql import QueryResult, run_query
from kg.store import dataset_over

ENTITY_QUERY = """
SELECT ?entity ?type ?label ?description ?note
       (GROUP_CONCAT(DISTINCT ?alias; separator="\\u001f") AS ?aliases)
WHERE {
  ?entity rdfs:label ?label ; a ?type .
  FILTER(STRSTARTS(STR(?type), STR(kg:)))
  FILTER(STRSTARTS(STR(?entity), STR(entity:)))
  OPTIONAL { ?entity skos:altLabel ?alias }
  OPTIONAL { ?entity schema:description ?description }
  OPTIONAL { ?entity skos:note ?note }
}
GROUP BY ?entity ?type ?label ?description ?note
ORDER BY ?entity
"""


@dataclass(frozen=True)
class EntityInfo:
    """An entity as the dataset describes it."""

    id: str
    iri: str
    type: str
    label: str
    aliases: tuple[str, ...]
    description: str | None = None
    note: str | None = None


class KnowledgeGraph:
    """A loaded knowledge graph: the store, the rdflib Dataset view, and questions to ask it."""

    def __init__(self, store: ox.Store, ontology: Ontology) -> None:
        self.store = store
        self.ontology = ontology

    def __repr__(self) -> str:
        return f"<KnowledgeGraph {len(self.store):,} quads, {len(self.entities)} entities>"

    @cached_property
    def dataset(self) -> Dataset:
        """The data as an rdflib Dataset (backed by the same pyoxigraph store, no copy)."""
        return dataset_over(self.store)

    def sparql(self, query: str, **bindings: Any) -> QueryResult:
        """Run a read-only SPARQL query; keyword arguments bind variables (IRIs or literals).

        >>> import kg
        >>> rows = kg.load().sparql("SELECT ?l WHERE { ?e rdfs:label ?l }", e=kg.load().entity("ifs").iri)
        >>> rows.rows[0]["l"]
        'Institute of Forensic Science'
        """
        return run_query(self.store, query, bindings)

    @cached_property
    def entities(self) -> Mapping[str, EntityInfo]:
        """Every entity by id."""
        found: dict[str, EntityInfo] = {}
        for row in run_query(self.store, ENTITY_QUERY):
            ident = row["entity"][len(f"{BASE_IRI}entity/"):]
            aliases = tuple(sorted(a for a in (row["aliases"] or "").split("\x1f") if a))
            found[ident] = EntityInfo(ident, row["entity"], local_name(row["type"]), row["label"],
                                      aliases, row["description"], row["note"])
        return found

    @cached_property
    def _names(self) -> dict[str, list[str]]:
        names: dict[str, list[str]] = {}
        for info in self.entities.values():
            for name in {info.id, info.label, *info.aliases}:
                bucket = names.setdefault(name.casefold(), [])
                if info.id not in bucket:
                    bucket.append(info.id)
        return names

    def entity(self, name: str) -> EntityInfo:
        """Find an entity by id, label or any alias, ignoring case.

        Raises :class:`EntityNotFound` with close matches, or :class:`AmbiguousEntity` listing
        the candidates when a name belongs to several entities.
        """
        if name.startswith(f"{BASE_IRI}entity/"):
            name = name[len(f"{BASE_IRI}entity/"):]
        ids = self._names.get(name.casefold(), [])
        if len(ids) == 1:
            return self.entities[ids[0]]
        if len(ids) > 1:
            raise AmbiguousEntity(name, sorted(ids))
        pool = {key: ids for key, ids in self._names.items()}
        close = difflib.get_close_matches(name.casefold(), list(pool), n=5, cutoff=0.6)
        suggestions = list(dict.fromkeys(self.entities[i].id for key in close for i in pool[key]))
        raise EntityNotFound(name, suggestions[:3])
