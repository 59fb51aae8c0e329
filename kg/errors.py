"""One exception tree for everything kg reports to a person.

Every error a user can act on is a :class:`KgError`. Curation problems are collected as
:class:`Problem` records and raised together in one :class:`CurationError`.

>>> p = Problem("data/entities.yaml", 3, 5, "unknown type 'Persn'", "did you mean 'Person'?")
>>> str(p)
"data/entities.yaml:3:5: unknown type 'Persn' — did you mean 'Person'?"
"""

from __future__ import annotations

import pickle
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
    severity: str = "error"  # or "warning": a human must look (an error with --strict)

    def __str__(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        label = "warning: " if self.severity == "warning" else ""
        text = f"{where}: {label}{self.message}"
        return f"{text} — {self.hint}" if self.hint else text


#: What ``pickle.loads`` raises on bytes damaged outside kg (a cache file cut short, edited):
#: whoever reads a kept pickle takes these for "not there", never for a crash.
DAMAGED_PICKLE = (
    pickle.UnpicklingError,
    EOFError,
    ValueError,
    TypeError,
    AttributeError,
    ImportError,
    IndexError,
    KeyError,
)


class KgError(Exception):
    """Base of every error kg raises on purpose; the CLI prints it without a traceback."""


#: Most problems listed for one file, and in all; the rest are counted ("and N more").
LISTED_PER_FILE = 50
LISTED_IN_ALL = 500


def listing(
    problems: Sequence[Problem], per_file: int = LISTED_PER_FILE, in_all: int = LISTED_IN_ALL
) -> list[str]:
    """The lines that show ``problems`` (sorted) to a person: a file with very many problems
    (a pasted list of a million aliases) shows its first ``per_file`` and how many more.

    >>> many = [Problem("a.yaml", n, 1, "bad alias") for n in range(1, 5)]
    >>> for line in listing([*many, Problem("b.yaml", 1, 1, "bad")], per_file=2):
    ...     print(line)
    a.yaml:1:1: bad alias
    a.yaml:2:1: bad alias
    a.yaml: … and 2 more problems in this file
    b.yaml:1:1: bad
    """
    lines: list[str] = []
    shown = 0
    index = 0
    while index < len(problems) and shown < in_all:
        path = problems[index].path
        end = index
        while end < len(problems) and problems[end].path == path:
            end += 1
        room = min(per_file, in_all - shown)
        lines += [str(p) for p in problems[index : min(end, index + room)]]
        shown += min(room, end - index)
        if end - index > room:
            more = end - index - room
            lines.append(
                f"{path}: … and {more:,} more problem{'s' if more != 1 else ''} in this file"
            )
        index = end
    if index < len(problems):
        rest = len(problems) - index
        files = len({p.path for p in problems[index:]})
        lines.append(
            f"… and {rest:,} more problem{'s' if rest != 1 else ''} in {files:,} more file"
            f"{'s' if files != 1 else ''}"
        )
    return lines


class CurationError(KgError):
    """The curation in ``data/`` has problems; ``.problems`` lists all of them, sorted."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: Sequence[Problem] = sorted(set(problems))
        count = len(self.problems)
        lines = "\n".join(listing(self.problems))
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


class ExportError(StoreError):
    """The exports could not be written; the previous exports are unchanged."""


class BuildLocked(KgError):
    """Another build holds the lock of the output folder (and we were told not to wait)."""


class ExportShrinkError(KgError):
    """A build would drop a large share of what the current exports hold; ``.vanishing`` names
    what would go. Building again with the explicit flag accepts it."""

    def __init__(self, message: str, vanishing: Sequence[str]) -> None:
        self.vanishing = list(vanishing)
        super().__init__(message)


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
            else " — `kg entities` lists them, `kg entities WORD` searches"
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
