"""What a change to ``data/`` does to the graph: claims and statements added, removed, changed.

The graph built from ``data/`` now is compared with an export (by default ``exports/kg.nq`` as
committed in git, else as on disk). Claims are compared by (article, subject, predicate, object,
speaker), so a moved quote is a change, not a removal plus an addition; every claim shows the
article it comes from. Entity and article statements of the default graph are compared as
triples (its relations are the claims' triples: a claim's change says whether its triple is new
or gone); the ontology graph is summarised by counts.

>>> import tempfile, kg
>>> with tempfile.TemporaryDirectory() as out:
...     _ = kg.build(out_dir=out, shacl=False, html=False)
...     print(diff_graph(base=f"{out}/kg.nq").summary())
claims: +0 -0 ~0 (0 new triples, 0 gone); statements: +0 -0; ontology: +0 -0
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.curation import load_curation
from kg.errors import StoreError
from kg.graph import claim_rows
from kg.ontology import BASE_IRI, PREFIXES, default_root, load_ontology
from kg.rdf import ONTOLOGY_GRAPH, iter_quads
from kg.sparql import run_query
from kg.store import load_quads, new_store, read_export

if TYPE_CHECKING:
    import pyoxigraph as ox

#: What a claim carries besides its key; a difference in any of them is a change.
CLAIM_FIELDS = ("quote", "start", "end", "certainty", "date", "valid_from", "valid_until", "note")
DEFAULT_BASE = Path("exports") / "kg.nq"

# the default graph's records; its relations and neighbour links (kg.rdf.relation_quads) are made
# from the claims' triples, whose changes the claims' changes say ("new", "gone")
_TRIPLES = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(!STRSTARTS(STR(?p), STR(rel:))) }"
_ONTOLOGY_TRIPLES = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}"
_LABELS = "SELECT ?e ?l WHERE { ?e rdfs:label ?l }"

Triple = tuple[str, str, str]


@dataclass(frozen=True)
class ClaimChange:
    """One claim added, removed or changed, with the article it comes from.

    ``triple`` says what happened to the bare (subject, predicate, object) in the graph:
    ``new`` (no article said it before), ``gone`` (no article says it any more) or ``kept``
    (other articles, or the same one with another speaker, still say it).
    """

    change: str
    article: str
    subject: str
    predicate: str
    object: str
    object_is_entity: bool
    speaker: str | None
    triple: str
    quote: str
    start: int
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = {
            k: getattr(self, k)
            for k in (
                "change",
                "article",
                "subject",
                "predicate",
                "object",
                "object_is_entity",
                "speaker",
                "triple",
                "quote",
                "start",
            )
        }
        if self.fields:
            data["fields"] = {k: {"before": a, "after": b} for k, (a, b) in self.fields.items()}
        return data


@dataclass
class GraphDiff:
    """The difference between a base export and the graph built from ``data/`` now."""

    base: str
    claims: list[ClaimChange]
    statements_added: list[Triple]
    statements_removed: list[Triple]
    ontology_added: int
    ontology_removed: int
    labels: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def empty(self) -> bool:
        return not (
            self.claims
            or self.statements_added
            or self.statements_removed
            or self.ontology_added
            or self.ontology_removed
        )

    def count(self, change: str) -> int:
        return sum(1 for c in self.claims if c.change == change)

    def summary(self) -> str:
        """One line of counts.

        >>> GraphDiff("x", [], [], [], 0, 0).summary()
        'claims: +0 -0 ~0 (0 new triples, 0 gone); statements: +0 -0; ontology: +0 -0'
        """
        new = sum(1 for c in self.claims if c.triple == "new")
        gone = sum(1 for c in self.claims if c.triple == "gone")
        return (
            f"claims: +{self.count('added')} -{self.count('removed')} "
            f"~{self.count('changed')} ({new} new triples, {gone} gone); "
            f"statements: +{len(self.statements_added)} -{len(self.statements_removed)}; "
            f"ontology: +{self.ontology_added} -{self.ontology_removed}"
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view (``kg diff --json``)."""
        return {
            "base": self.base,
            "claims": [c.as_dict() for c in self.claims],
            "statements": {
                "added": [list(t) for t in self.statements_added],
                "removed": [list(t) for t in self.statements_removed],
            },
            "ontology": {"added": self.ontology_added, "removed": self.ontology_removed},
            "summary": {
                "claims_added": self.count("added"),
                "claims_removed": self.count("removed"),
                "claims_changed": self.count("changed"),
                "new_triples": sum(1 for c in self.claims if c.triple == "new"),
                "gone_triples": sum(1 for c in self.claims if c.triple == "gone"),
            },
        }


def _committed(root: Path, relative: Path) -> bytes | None:
    """The bytes of a file as committed at HEAD, or None outside git or when not committed."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "show", f"HEAD:./{relative.as_posix()}"],
            capture_output=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _base_store(root: Path, base: Path | str | None) -> tuple[ox.Store, str]:
    if base is not None:
        path = Path(base)
        if not path.is_absolute() and not path.exists() and (root / path).exists():
            path = root / path
        return read_export(path), str(base)
    committed = _committed(root, DEFAULT_BASE)
    if committed is None:
        path = root / DEFAULT_BASE
        if not path.is_file():
            raise StoreError(
                f"{DEFAULT_BASE}: no export to compare with — run `kg build` once "
                "(and commit exports/), or pass --base EXPORT"
            )
        return read_export(path), f"{DEFAULT_BASE} (working copy)"
    with tempfile.TemporaryDirectory(prefix="kg-diff-") as folder:
        path = Path(folder) / "kg.nq"
        path.write_bytes(committed)
        return read_export(path), f"{DEFAULT_BASE} (committed, HEAD)"


def _triples(store: ox.Store, query: str) -> set[Triple]:
    return set(run_query(store, query).triples)


def _claim_key(row: dict[str, Any]) -> tuple[str, ...]:
    return (
        row["article"],
        row["subject"],
        row["predicate"],
        str(row["object"]),
        row["speaker"] or "",
    )


def diff_graph(root: Path | None = None, base: Path | str | None = None) -> GraphDiff:
    """Compare the graph built from ``data/`` with a base export (default: committed kg.nq).

    Raises :class:`kg.errors.CurationError` when ``data/`` does not validate.
    """
    root = Path(root) if root else default_root()
    ontology = load_ontology(root / "ontology" / "kg.ttl")
    now = new_store()
    load_quads(now, iter_quads(load_curation(root, ontology), ontology))
    before, label = _base_store(root, base)

    old_rows = {_claim_key(r): r for r in claim_rows(before)}
    new_rows = {_claim_key(r): r for r in claim_rows(now)}
    old_triples = {k[1:4] for k in old_rows}
    new_triples = {k[1:4] for k in new_rows}
    changes: list[ClaimChange] = []

    def change(kind: str, row: dict[str, Any], triple: str, fields: dict[str, Any]) -> None:
        changes.append(
            ClaimChange(
                kind,
                row["article"],
                row["subject"],
                row["predicate"],
                str(row["object"]),
                row["object_is_entity"],
                row["speaker"],
                triple,
                row["quote"],
                int(row["start"]),
                fields,
            )
        )

    for key in sorted(new_rows.keys() - old_rows.keys()):
        change("added", new_rows[key], "kept" if key[1:4] in old_triples else "new", {})
    for key in sorted(old_rows.keys() - new_rows.keys()):
        change("removed", old_rows[key], "kept" if key[1:4] in new_triples else "gone", {})
    for key in sorted(old_rows.keys() & new_rows.keys()):
        old, new = old_rows[key], new_rows[key]
        fields = {f: (old[f], new[f]) for f in CLAIM_FIELDS if old[f] != new[f]}
        if fields:
            change("changed", new, "kept", fields)
    order = {"removed": 0, "added": 1, "changed": 2}
    changes.sort(key=lambda c: (c.subject, c.predicate, c.object, order[c.change], c.article))

    old_statements, new_statements = _triples(before, _TRIPLES), _triples(now, _TRIPLES)
    old_onto, new_onto = _triples(before, _ONTOLOGY_TRIPLES), _triples(now, _ONTOLOGY_TRIPLES)
    labels = {row["e"]: row["l"] for store in (before, now) for row in run_query(store, _LABELS)}
    return GraphDiff(
        base=label,
        claims=changes,
        statements_added=sorted(new_statements - old_statements),
        statements_removed=sorted(old_statements - new_statements),
        ontology_added=len(new_onto - old_onto),
        ontology_removed=len(old_onto - new_onto),
        labels=labels,
    )


def _short(term: str) -> str:
    """An IRI or N-Triples term in prefixed form.

    >>> _short("https://kg.example/entity/ifs"), _short('"2023"^^<http://www.w3.org/2001/XMLSchema#gYear>')
    ('entity:ifs', '"2023"^^xsd:gYear')
    """
    if term.startswith('"'):
        body, _, datatype = term.rpartition("^^")
        if body and datatype.startswith("<"):
            return f"{body}^^{_short(datatype[1:-1])}"
        return term
    iri = term[1:-1] if term.startswith("<") else term
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(namespace) and "/" not in iri[len(namespace) :]:
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"


def format_diff(diff: GraphDiff) -> str:
    """The diff as text: each claim with labels, its article, offset and quote."""
    predicates = load_ontology().predicates

    def name(ident: str) -> str:
        label = diff.labels.get(f"{BASE_IRI}entity/{ident}")
        return f"{label} ({ident})" if label and label != ident else ident

    lines = [f"kg diff: data/ compared with {diff.base}"]
    if diff.empty:
        return "\n".join([*lines, "no change"])
    marks = {"added": "+", "removed": "-", "changed": "~"}
    notes = {
        ("added", "new"): "  [new triple]",
        ("removed", "gone"): "  [triple gone]",
        ("added", "kept"): "  [another source]",
        ("removed", "kept"): "  [one source less]",
    }
    for kind in ("added", "removed", "changed"):
        items = [c for c in diff.claims if c.change == kind]
        if not items:
            continue
        lines.append(f"claims {kind} ({len(items)}):")
        for c in items:
            pred = predicates.get(c.predicate)
            verb = pred.label if pred else c.predicate
            obj = name(c.object) if c.object_is_entity else f'"{c.object}"'
            speaker = f", said by {name(c.speaker)}" if c.speaker else ""
            lines.append(
                f"  {marks[kind]} {name(c.subject)} —{verb}→ {obj}{notes.get((kind, c.triple), '')}"
            )
            lines.append(f'      {c.article} @{c.start}{speaker}: "{c.quote}"')
            for key, (old, new) in c.fields.items():
                lines.append(f"      {key}: {old!r} → {new!r}")
    for mark, title, triples in (
        ("+", "added", diff.statements_added),
        ("-", "removed", diff.statements_removed),
    ):
        if triples:
            lines.append(f"entity and article statements {title} ({len(triples)}):")
            for s, p, o in triples:
                label = diff.labels.get(s)
                about = f"  ({label})" if label and _short(s) != label else ""
                lines.append(f"  {mark} {_short(s)} {_short(p)} {_short(o)}{about}")
    if diff.ontology_added or diff.ontology_removed:
        lines.append(f"ontology graph: +{diff.ontology_added} -{diff.ontology_removed} triples")
    lines.append(diff.summary())
    return "\n".join(lines)
