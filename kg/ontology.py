"""The ontology as data: base IRI, namespaces, IRI minting, classes and claim predicates.

Everything that names a type or a predicate reads :func:`load_ontology`; nothing else lists them.

>>> onto = load_ontology()
>>> onto.predicates["partOf"].inverse
'hasPart'
>>> onto.is_subclass("GovernmentAgency", "Organization")
True
>>> entity_iri("ifs")
rdflib.term.URIRef('https://kg.example/entity/ifs')
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from kg.errors import OntologyError

#: The one base IRI of everything kg mints; override with the KG_BASE_IRI environment variable.
BASE_IRI = os.environ.get("KG_BASE_IRI", "https://kg.example/")

KG = Namespace("https://kg.example/ontology#")
#: The relations of the default graph: ``entity:a rel:partOf entity:b`` says that some article's
#: graph holds a claim of ``entity:a kg:partOf entity:b`` (stated, alleged, hedged or denied: see
#: its claims), not that a is part of b (see :func:`kg.rdf.relation_quads`).
REL = Namespace("https://kg.example/relation#")
#: The ``rel:`` name of the default graph's link between any two related entities, both ways round
#: (see :func:`kg.rdf.relation_triples`). No claim predicate may take it.
NEIGHBOUR = "neighbour"
SCHEMA = Namespace("https://schema.org/")
OA = Namespace("http://www.w3.org/ns/oa#")
WD = Namespace("http://www.wikidata.org/entity/")
GEONAMES = Namespace("https://sws.geonames.org/")

PREFIXES: dict[str, str] = {
    "kg": str(KG),
    "rel": str(REL),
    "entity": f"{BASE_IRI}entity/",
    "article": f"{BASE_IRI}article/",
    "claim": f"{BASE_IRI}claim/",
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "schema": str(SCHEMA),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
    "oa": str(OA),
    "wd": str(WD),
}

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ARTICLE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
LITERAL_KINDS = {
    XSD.integer: "integer",
    XSD.decimal: "decimal",
    XSD.string: "string",
    XSD.date: "date",
}


def entity_iri(entity_id: str) -> URIRef:
    return URIRef(f"{BASE_IRI}entity/{entity_id}")


def article_iri(article_id: str) -> URIRef:
    return URIRef(f"{BASE_IRI}article/{article_id}")


def claim_iri(
    article_id: str, subject: str, predicate: str, obj: str, speaker: str | None
) -> URIRef:
    """A stable IRI for one claim: a hash of its article, triple and speaker.

    >>> claim_iri("a", "x", "partOf", "y", None) == claim_iri("a", "x", "partOf", "y", None)
    True
    """
    key = "\x1f".join((article_id, subject, predicate, obj, speaker or ""))
    return URIRef(f"{BASE_IRI}claim/{hashlib.sha256(key.encode()).hexdigest()[:16]}")


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``/`` or ``#``.

    >>> local_name("https://kg.example/ontology#partOf")
    'partOf'
    """
    return re.split(r"[/#]", str(iri))[-1]


@dataclass(frozen=True)
class Predicate:
    """A property a claim may use, as the ontology declares it."""

    name: str
    label: str
    comment: str
    kind: str  # "object" or "datatype"
    domain: str
    range: str  # a class name, or a literal kind: integer, decimal, string, date
    functional: bool = False
    inverse: str | None = None
    unit: str | None = None
    synonyms: tuple[str, ...] = ()  # skos:altLabel: words people use for it ("removed")
    transitive: bool = False
    #: a figure (a count or share): its claims say where it counts (``scope``) and what period
    figure: bool = False

    @property
    def iri(self) -> URIRef:
        return KG[self.name]


@dataclass(frozen=True)
class OntologyClass:
    name: str
    label: str
    comment: str
    parents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ontology:
    """Classes and claim predicates of ontology/kg.ttl, with subclass reasoning."""

    path: Path
    classes: dict[str, OntologyClass]
    predicates: dict[str, Predicate]
    ancestors: dict[str, frozenset[str]] = field(repr=False)
    #: SHA-256 of the bytes it was read from (what results kept for it are keyed by)
    sha256: str = ""

    def is_subclass(self, cls: str, parent: str) -> bool:
        return parent in self.ancestors.get(cls, frozenset())

    def suggest(self, name: str, among: str) -> list[str]:
        """Closest names among ``classes`` or ``predicates`` (case-insensitive); predicates are
        also found by their label and synonyms (``skos:altLabel``), so "removed" suggests
        ``delisted``.

        >>> onto = load_ontology()
        >>> onto.suggest("partof", "predicates"), onto.suggest("removed", "predicates")
        (['partOf'], ['delisted'])
        >>> onto.suggest("remove", "predicates")
        ['delisted', 'resumed']
        """
        names = {n.lower(): n for n in (self.classes if among == "classes" else self.predicates)}
        typed = " ".join(name.lower().replace("_", " ").split())
        found = [names[h] for h in difflib.get_close_matches(typed, list(names), n=3, cutoff=0.6)]
        if among == "predicates":
            words = {
                " ".join(w.lower().split()): p.name
                for p in self.predicates.values()
                for w in (p.label, *p.synonyms)
            }
            if typed in words:
                return [words[typed]]
            close = difflib.get_close_matches(typed, list(words), n=3, cutoff=0.7)
            found = [*(words[w] for w in close), *found]
        return list(dict.fromkeys(found))[:3]


def default_root() -> Path:
    """The project folder holding ``data/`` and ``ontology/``.

    KG_ROOT wins; then the current folder or one of its parents; then the source checkout.
    """
    if env := os.environ.get("KG_ROOT"):
        return Path(env)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "ontology" / "kg.ttl").is_file():
            return folder
    return Path(__file__).resolve().parent.parent


def load_ontology(path: Path | None = None) -> Ontology:
    """Read ontology/kg.ttl (kept per path while the file is unchanged)."""
    path = Path(path) if path else default_root() / "ontology" / "kg.ttl"
    try:
        status = os.stat(path)
    except OSError as err:
        raise OntologyError(f"{path}: cannot read the ontology ({err})") from err
    return _load(path, (status.st_size, status.st_mtime_ns, status.st_ino, status.st_ctime_ns))


@cache
def _load(path: Path, _status: tuple[int, ...]) -> Ontology:
    graph = Graph()
    try:
        data = path.read_bytes()
        graph.parse(data=data, format="turtle", publicID=path.absolute().as_uri())
    except (OSError, SyntaxError, ValueError) as err:
        raise OntologyError(f"{path}: cannot read the ontology ({err})") from err

    def text(node: URIRef, prop: URIRef) -> str:
        value = graph.value(node, prop)
        return str(value) if value is not None else ""

    classes: dict[str, OntologyClass] = {}
    for cls in sorted(set(graph.subjects(RDF.type, OWL.Class))):
        if isinstance(cls, URIRef) and cls.startswith(str(KG)):
            parents = tuple(
                sorted(
                    local_name(p)
                    for p in graph.objects(cls, RDFS.subClassOf)
                    if str(p).startswith(str(KG))
                )
            )
            name = local_name(cls)
            classes[name] = OntologyClass(
                name, text(cls, RDFS.label), text(cls, RDFS.comment), parents
            )

    ancestors: dict[str, frozenset[str]] = {}
    for name in classes:
        seen, todo = {name}, [name]
        while todo:
            current = todo.pop()
            for parent in classes[current].parents if current in classes else ():
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        ancestors[name] = frozenset(seen)

    predicates: dict[str, Predicate] = {}
    for prop in sorted(set(graph.subjects(KG.usableInClaims, Literal(True)))):
        name = local_name(prop)
        types = set(graph.objects(prop, RDF.type))
        kind = "object" if OWL.ObjectProperty in types else "datatype"
        domain, rng = graph.value(prop, RDFS.domain), graph.value(prop, RDFS.range)
        if domain is None or rng is None:
            raise OntologyError(f"{path}: kg:{name} needs one rdfs:domain and one rdfs:range")
        range_name = LITERAL_KINDS.get(rng) if kind == "datatype" else local_name(rng)
        if range_name is None:
            raise OntologyError(f"{path}: kg:{name} has unsupported range {rng}")
        inverse = graph.value(prop, OWL.inverseOf) or graph.value(None, OWL.inverseOf, prop)
        predicates[name] = Predicate(
            name=name,
            label=text(prop, RDFS.label) or name,
            comment=text(prop, RDFS.comment),
            kind=kind,
            domain=local_name(domain),
            range=range_name,
            functional=OWL.FunctionalProperty in types,
            inverse=local_name(inverse) if inverse is not None else None,
            unit=text(prop, KG.unit) or None,
            synonyms=tuple(sorted(str(w) for w in graph.objects(prop, SKOS.altLabel))),
            transitive=OWL.TransitiveProperty in types,
            figure=(prop, KG.figure, Literal(True)) in graph,
        )
    if NEIGHBOUR in predicates:
        raise OntologyError(
            f"{path}: kg:{NEIGHBOUR} is a name kg keeps for rel:{NEIGHBOUR} (the default graph's"
            " link between any two related entities): give the predicate another name"
        )
    for pred in predicates.values():
        for cls in (pred.domain, pred.range if pred.kind == "object" else None):
            if cls and cls not in classes:
                raise OntologyError(f"{path}: kg:{pred.name} refers to undeclared class kg:{cls}")
    return Ontology(path, classes, predicates, ancestors, hashlib.sha256(data).hexdigest())
