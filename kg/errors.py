"""One exception tree for everything kg reports to a person.

Every error a user can act on is a :class:`KgError`. Curation problems are collected as
:class:`Problem` records and raised together in one :class:`CurationError`.

>>> p = Problem("data/entities.yaml", 3, 5, "unknown type 'Persn'", "did you mean 'Person'?")
>>> str(p)
"data/entities.yaml:3:5: unknown type 'Persn' — did you mean 'Person'?"
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, at a 1-based line and column (0 when unknown)."""

    path: str
    line: int
    col: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        text = f"{where}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


class KgError(Exception):
    """Base of every error kg raises on purpose; the CLI prints it without a traceback."""


class CurationError(KgError):
    """The curation in ``data/`` has problems; ``.problems`` lists all of them, sorted."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: Sequence[Problem] = sorted(set(problems))
        count = len(self.problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the curation:\n{lines}")


class OntologyError(KgError):
    """ontology/kg.ttl is missing, unreadable or inconsistent."""


class ShapeError(KgError):
    """The built graph violates ontology/shapes.ttl; ``.violations`` lists every one."""

    def __init__(self, violations: Sequence[str]) -> None:
        self.violations = list(violations)
        super().__init__(
            f"{len(self.violations)} SHACL violation(s):\n" + "\n".join(self.violations)
        )


class StoreError(KgError):
    """An RDF store or export could not be read or written."""


class QueryError(KgError):
    """A SPARQL query was refused, malformed or failed."""


class EndpointError(KgError):
    """A SPARQL server could not be started or reached, refused a request, or failed."""


class EntityNotFound(KgError, LookupError):
    """No entity matches a name; ``.suggestions`` holds close matches."""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        hint = (
            f" — did you mean {', '.join(repr(s) for s in self.suggestions)}?"
            if suggestions
            else ""
        )
        super().__init__(f"no entity called {name!r}{hint}")


class AmbiguousEntity(KgError, LookupError):
    """A name matches several entities; ``.candidates`` lists their ids."""

    def __init__(self, name: str, candidates: Sequence[str]) -> None:
        self.name = name
        self.candidates = list(candidates)
        super().__init__(
            f"{name!r} is ambiguous: it names {', '.join(self.candidates)} — use one of these ids"
        )
