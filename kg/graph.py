"""The NetworkX projection of the RDF dataset, and plain graph functions over it.

The projection is built from the store with two SPARQL queries (entities, claims), never from
YAML: what you see in NetworkX is exactly what the RDF says.

>>> import kg
>>> g = project(kg.load().store)
>>> g.nodes["ifs"]["label"]
'Institute of Forensic Science'
>>> "partOf" in g["ifs"]["ministry-of-public-security"]
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx
import pyoxigraph as ox

from kg.ontology import BASE_IRI, load_ontology, local_name

ENTITY_PREFIX = f"{BASE_IRI}entity/"
ARTICLE_PREFIX = f"{BASE_IRI}article/"

NODES_QUERY = """
SELECT ?entity ?type ?label ?description ?note
       (GROUP_CONCAT(DISTINCT ?alias; separator="\\u001f") AS ?aliases)
WHERE {
  ?entity rdfs:label ?label ; a ?type .
  FILTER(STRSTARTS(STR(?entity), STR(entity:)) && STRSTARTS(STR(?type), STR(kg:)))
  OPTIONAL { ?entity skos:altLabel ?alias }
  OPTIONAL { ?entity schema:description ?description }
  OPTIONAL { ?entity skos:note ?note }
}
GROUP BY ?entity ?type ?label ?description ?note
"""

CLAIMS_QUERY = """
SELECT ?claim ?s ?p ?o ?g ?exact ?start ?end ?speaker ?certainty ?date ?from ?until
       ?outlet ?agency ?published ?note
WHERE {
  GRAPH ?g {
    ?claim a kg:Claim ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
           kg:certainty ?certainty ; oa:hasTarget ?target .
    ?target oa:hasSelector ?quote, ?position .
    ?quote a oa:TextQuoteSelector ; oa:exact ?exact .
    ?position a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
    OPTIONAL { ?claim kg:attributedTo ?speaker }
    OPTIONAL { ?claim kg:date ?date }
    OPTIONAL { ?claim kg:validFrom ?from }
    OPTIONAL { ?claim kg:validUntil ?until }
    OPTIONAL { ?claim skos:note ?note }
  }
  OPTIONAL { ?g schema:publisher ?outlet }
  OPTIONAL { ?g kg:originatingAgency ?agency }
  OPTIONAL { ?g schema:datePublished ?published }
}
"""


def _id(term: Any) -> str | None:
    if term is None:
        return None
    value: str = term.value
    for prefix in (ENTITY_PREFIX, ARTICLE_PREFIX):
        if value.startswith(prefix):
            return value[len(prefix):]
    return value


def claim_rows(store: ox.Store, query: str = CLAIMS_QUERY) -> Iterable[dict[str, Any]]:
    """Every claim with its evidence as a plain dict (ids instead of IRIs), in a stable order."""
    from kg.ontology import PREFIXES

    rows = []
    for sol in store.query(query, prefixes=PREFIXES):
        obj = sol["o"]
        literal = isinstance(obj, ox.Literal)
        rows.append({
            "claim": sol["claim"].value,
            "subject": _id(sol["s"]),
            "predicate": local_name(sol["p"].value),
            "object": obj.value if literal else _id(obj),
            "object_is_entity": not literal,
            "article": _id(sol["g"]),
            "quote": sol["exact"].value,
            "start": int(sol["start"].value),
            "end": int(sol["end"].value),
            "speaker": _id(sol["speaker"]),
            "certainty": sol["certainty"].value,
            "date": sol["date"].value if sol["date"] else None,
            "valid_from": sol["from"].value if sol["from"] else None,
            "valid_until": sol["until"].value if sol["until"] else None,
            "outlet": _id(sol["outlet"]),
            "agency": _id(sol["agency"]),
            "published": sol["published"].value if sol["published"] else None,
            "note": sol["note"].value if sol["note"] else None,
        })
    rows.sort(key=lambda r: (r["subject"], r["predicate"], str(r["object"]), r["article"],
                             r["speaker"] or ""))
    return rows


def source_key(row: dict[str, Any]) -> str:
    """Who independently stands behind an article: its agency, else its outlet, else itself.

    Wire copy carried by two outlets is one source; an article of unknown outlet counts alone.
    """
    if row.get("agency"):
        return f"agency:{row['agency']}"
    if row.get("outlet"):
        return f"outlet:{row['outlet']}"
    return f"article:{row['article']}"


def project(store: ox.Store) -> nx.MultiDiGraph:
    """Project the dataset to a MultiDiGraph keyed by predicate.

    Nodes carry ``type``, ``label``, ``aliases``, ``description``, ``articles`` and ``facts``
    (claims whose object is a literal). Edges carry ``label``, ``claims`` (each with article,
    outlet, agency, date, quote and offsets, speaker, certainty and validity), ``articles``,
    ``outlets`` and ``sources`` (distinct agencies/outlets/articles standing behind it).
    """
    from kg.ontology import PREFIXES

    predicates = load_ontology().predicates
    graph = nx.MultiDiGraph()
    for sol in store.query(NODES_QUERY, prefixes=PREFIXES):
        node = _id(sol["entity"])
        aliases = sol["aliases"].value.split("\x1f") if sol["aliases"] else []
        graph.add_node(node, type=local_name(sol["type"].value), label=sol["label"].value,
                       aliases=sorted(a for a in aliases if a),
                       description=sol["description"].value if sol["description"] else "",
                       note=sol["note"].value if sol["note"] else "",
                       articles=set(), facts=[])
    for row in claim_rows(store):
        involved = [row["subject"], row["speaker"]] + ([row["object"]] if row["object_is_entity"]
                                                        else [])
        for node in involved:
            if node in graph:
                graph.nodes[node]["articles"].add(row["article"])
        if not row["object_is_entity"]:
            graph.nodes[row["subject"]]["facts"].append(row)
            continue
        key = row["predicate"]
        if not graph.has_edge(row["subject"], row["object"], key):
            pred = predicates.get(key)
            graph.add_edge(row["subject"], row["object"], key=key, predicate=key,
                           label=pred.label if pred else key, claims=[])
        graph.edges[row["subject"], row["object"], key]["claims"].append(row)
    for node, data in graph.nodes(data=True):
        data["articles"] = sorted(data["articles"])
    for _u, _v, data in graph.edges(data=True):
        claims = data["claims"]
        data["articles"] = sorted({c["article"] for c in claims})
        data["outlets"] = sorted({c["outlet"] for c in claims if c["outlet"]})
        data["agencies"] = sorted({c["agency"] for c in claims if c["agency"]})
        data["sources"] = len({source_key(c) for c in claims})
    return graph
