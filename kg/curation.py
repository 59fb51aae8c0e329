"""Turn ``data/`` into checked model records, collecting every problem before raising once.

>>> cur = load_curation()
>>> sorted(cur.articles)[0]
'000_d8c50166044d5b84'
>>> cur.entities["ifs"].label
'Institute of Forensic Science'
"""

from __future__ import annotations

import datetime as dt
import difflib
import gc
import hashlib
import pickle
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import groupby
from pathlib import Path
from typing import Any

from kg.buildcache import BuildCache, sha256_of
from kg.errors import CurationError, Problem
from kg.ftm import article_id
from kg.lint import (
    Finding,
    Positions,
    claim_findings,
    locate,
    positions_of,
    record_findings,
    structural,
    structure_findings,
)
from kg.model import (
    CERTAINTIES,
    INFERABLE_PARTS,
    Article,
    BackgroundFact,
    Basis,
    Claim,
    Curation,
    DateValue,
    Entity,
    Quote,
    Source,
    Value,
)
from kg.ontology import ARTICLE_ID_PATTERN, ID_PATTERN, Ontology, default_root, load_ontology
from kg.quotediff import invisible_difference, yaml_quoted
from kg.verdict import (
    ClaimsFile,
    DamagedVerdict,
    Signature,
    Verdict,
    pickled,
    pickled_articles,
    reference_ns,
    scan_tree,
)
from kg.yamlfile import FOLDER_HINT, YList, YMap, YStr, parse_yaml, read_text

QUOTE_CONTEXT = 32
BOM = "\ufeff"
MAX_ARTICLE_BYTES = 2_000_000
#: Default size limit of an article ``kg ingest`` adds (``--max-bytes`` raises it up to
#: :data:`MAX_ARTICLE_BYTES`).
DEFAULT_MAX_BYTES = 200_000
#: First line of a claims file that `kg ingest` drafted and nobody has reviewed yet.
DRAFT_MARKER = "# kg: draft"

ARTICLE_KEYS = {
    "id": True,
    "title": True,
    "outlet": True,
    "agency": False,
    "url": False,
    "published": False,
    "published_basis": False,
    "language": True,
    "sha256": True,
    "note": False,
    "file": False,
    "no_claims": False,
}
ENTITY_KEYS = {
    "id": True,
    "type": True,
    "label": True,
    "aliases": False,
    "description": False,
    "wikidata": False,
    "geonames": False,
    "note": False,
}
CLAIM_KEYS = {
    "subject": True,
    "predicate": True,
    "object": True,
    "quote": True,
    "start": True,
    "attributed_to": False,
    "date": False,
    "valid_from": False,
    "valid_until": False,
    "certainty": False,
    "scope": False,
    "inferred": False,
    "note": False,
}
BASIS_KEYS = {"words": True, "articles": False, "claims": False, "reasoning": True}
BACKGROUND_KEYS = {
    "subject": True,
    "predicate": True,
    "object": True,
    "curator": True,
    "reference": True,
    "note": False,
}
#: Predicates a background fact may use: structure a reader knows, never what happened.
BACKGROUND_PREDICATES = ("partOf",)
REFERENCE_PATTERN = re.compile(r"^(wikidata:Q[1-9]\d*|geonames:[1-9]\d*)$")
GEONAMES_PATTERN = re.compile(r"^[1-9]\d*$")
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
NUMBER_PATTERNS = {
    "integer": re.compile(r"^-?(0|[1-9]\d*)$"),
    "decimal": re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?$"),
}
WIKIDATA_PATTERN = re.compile(r"^Q[1-9]\d*$")
#: Longest number kg accepts as a claim object or offset: no figure in the news needs more, and
#: Python refuses to convert integers of more than 4,300 digits.
MAX_NUMBER_DIGITS = 100
#: How much of a long value a message shows.
SHOWN_VALUE_CHARS = 40


def shorten(value: str, limit: int = SHOWN_VALUE_CHARS) -> str:
    """``value`` cut to ``limit`` characters for a message, saying how long it was.

    >>> shorten("12345", 10)
    '12345'
    >>> shorten("9" * 5000, 10)
    '9999999999… (5,000 characters)'
    """
    return value if len(value) <= limit else f"{value[:limit]}… ({len(value):,} characters)"


@dataclass
class _Checker:
    """Collects problems while reading; one instance per load."""

    root: Path
    ontology: Ontology
    problems: list[Problem] = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)  # article ids whose text could not be read
    broken_files: set[str] = field(default_factory=set)  # YAML files that could not be parsed
    no_claims: dict[str, Source] = field(default_factory=dict)  # articles said to have none
    #: where the fields of each record are, by records file parsed (see kg.lint.locate)
    positions: dict[str, Positions] = field(default_factory=dict)
    #: the build-cache key of each claims file checked or reused (its positions are there)
    claims_keys: dict[str, str] = field(default_factory=dict)
    #: the files the articles' texts were read from
    text_files: set[str] = field(default_factory=set)
    resolved: dict[Path, Path] = field(default_factory=dict)  # folders, symlinks resolved

    @property
    def articles_incomplete(self) -> bool:
        """An article record file could not be read: a claims file without its article is
        then most likely a follow-on of that one problem."""
        return any(_is_records_file(f, "articles") for f in self.broken_files)

    @property
    def entities_incomplete(self) -> bool:
        """An entity file could not be parsed: unknown-entity errors would only be noise."""
        return any(_is_records_file(f, "entities") for f in self.broken_files)

    def shown(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def add(self, where: str, node: Any, message: str, hint: str = "") -> None:
        self.problems.append(
            Problem(where, getattr(node, "line", 0), getattr(node, "col", 0), message, hint)
        )

    def escapes(self, path: Path) -> bool:
        """Whether ``path`` leads out of ``data/`` (a symlink, ``..`` or an absolute path); if
        so the problem is reported and the file must not be read."""
        data = self._resolved_dir(self.root / "data")
        try:
            if path.is_symlink() or path.name in ("", ".", ".."):
                target = path.resolve()
            else:  # resolving the folder once is enough (tens of thousands of claims files)
                target = self._resolved_dir(path.parent) / path.name
        except (OSError, RuntimeError):  # a symlink loop
            target = path
        if target.is_relative_to(data):
            return False
        how = f"is a symlink to {target}" if path.is_symlink() else f"resolves to {target}"
        self.add(
            self.shown(path),
            None,
            f"{how}, outside data/",
            "kg reads only files inside data/: copy the file in instead of linking to it",
        )
        return True

    def _resolved_dir(self, folder: Path) -> Path:
        found = self.resolved.get(folder)
        if found is None:
            found = self.resolved[folder] = folder.resolve()
        return found

    def read_yaml(self, path: Path) -> tuple[str, Any]:
        shown = self.shown(path)
        if self.escapes(path):
            return shown, None
        text, problems = read_text(path, shown)
        kind = next((k for k in ("articles", "entities") if _is_records_file(shown, k)), None)
        if text is None and kind is not None:  # an oversize record file: say how to split it
            problems = [
                replace(
                    p,
                    hint=f"move some of its records to data/{kind}/*.yaml files "
                    "(any number, read in name order; see data/README.md)",
                )
                if p.message.startswith("file is ")
                else p
                for p in problems
            ]
        self.problems += problems
        if text is None:
            return shown, None
        doc, problems = parse_yaml(text, shown)
        self.problems += problems
        return shown, doc

    def records(
        self,
        path: Path,
        keys: dict[str, bool],
        empty_hint: str | None = None,
        positions: Positions | None = None,
    ) -> Iterable[tuple[str, YMap]]:
        """Each mapping of a YAML list file, after checking required and unknown keys.

        A file that is empty or holds only comments is a problem (records may have been lost)
        unless ``empty_hint`` is None; a file that means to hold nothing says ``[]``. Where
        the fields are goes into ``positions`` when given, else into :attr:`positions`.
        """
        before = len(self.problems)
        shown, doc = self.read_yaml(path)
        if doc is None:
            self.broken_files.add(shown)
            if len(self.problems) == before and empty_hint is not None:
                self.add(shown, None, "no records: the file is empty or only comments", empty_hint)
            return
        if not isinstance(doc, YList):
            self.add(shown, doc, "expected a list of records", "start each record with '- '")
            return
        if positions is None:
            self.positions[shown] = positions_of(doc)
        else:
            positions.update(positions_of(doc))
        for record in doc:
            if not isinstance(record, YMap):
                self.add(shown, record, "expected a mapping (key: value)", "see data/README.md")
                continue
            for key in record:
                if key not in keys:
                    close = difflib.get_close_matches(key, list(keys), n=1)
                    self.add(
                        shown,
                        key,
                        f"unknown key {str(key)!r}",
                        f"did you mean {close[0]!r}?"
                        if close
                        else f"allowed keys: {', '.join(keys)}",
                    )
            missing = [k for k, required in keys.items() if required and k not in record]
            for key in missing:
                self.add(
                    shown, record, f"missing required key {key!r}", "add it (see data/README.md)"
                )
            yield shown, record

    def text_of(self, shown: str, record: YMap, key: str) -> str | None:
        """A non-empty scalar value, or None (with a problem when present but wrong)."""
        value = record.get(key)
        if value is None:
            return None
        if not isinstance(value, YStr):
            self.add(shown, value, f"{key!r} must be plain text, not a list or mapping")
            return None
        if not value.strip():
            self.add(shown, value, f"{key!r} is empty", "fill it in or remove the key")
            return None
        return str(value)

    def basis_of(self, shown: str, node: Any, text: str | None) -> Basis | None:
        """A basis mapping (words, articles, claims, reasoning); words checked against ``text``."""
        if not isinstance(node, YMap):
            self.add(
                shown,
                node,
                "a basis must be a mapping with words and reasoning",
                'write e.g. {words: "on Thursday", reasoning: "..."}',
            )
            return None
        ok = True
        for key in node:
            if key not in BASIS_KEYS:
                ok = False
                self.add(
                    shown, key, f"unknown basis key {str(key)!r}", f"use {', '.join(BASIS_KEYS)}"
                )
        for key, required in BASIS_KEYS.items():
            if required and key not in node:
                ok = False
                self.add(shown, node, f"the basis lacks {key!r}", "see data/README.md")
        lists = {key: self.names_of(shown, node, key) for key in ("words", "articles", "claims")}
        for word in lists["words"]:
            if text is not None and word not in text:
                ok = False
                near, span = closest_span(text, word)
                self.add(
                    shown,
                    word,
                    f"basis words {str(word)!r} are not in the article",
                    f"copy them verbatim; closest text at {near}: {span!r}",
                )
        reasoning = self.text_of(shown, node, "reasoning")
        if not ok or reasoning is None or not lists["words"]:
            return None
        return Basis(
            tuple(map(str, lists["words"])),
            tuple(map(str, lists["articles"])),
            tuple(map(str, lists["claims"])),
            reasoning,
        )

    def names_of(self, shown: str, record: YMap, key: str) -> list[YStr]:
        """A scalar or a list of scalars, as a list (empty when absent or wrong)."""
        value = record.get(key)
        if value is None:
            return []
        if isinstance(value, YStr):
            return [value] if value.strip() else []
        if not isinstance(value, YList) or not all(
            isinstance(v, YStr) and v.strip() for v in value
        ):
            self.add(shown, value, f"{key!r} must be text or a list of texts")
            return []
        return list(value)

    def date_of(self, shown: str, record: YMap, key: str) -> DateValue | None:
        raw = self.text_of(shown, record, key)
        if raw is None:
            return None
        try:
            return DateValue.parse(raw)
        except ValueError as err:
            self.add(shown, record[key], f"bad {key}: {err}", "write YYYY, YYYY-MM or YYYY-MM-DD")
            return None


def _is_records_file(shown: str, kind: str) -> bool:
    """Whether ``shown`` is one of the record files of ``kind`` (``articles`` or ``entities``):
    ``data/KIND.yaml`` or ``data/KIND/*.yaml``.

    >>> _is_records_file("data/articles/0001.yaml", "articles")
    True
    >>> _is_records_file("data/claims/x.yaml", "articles")
    False
    """
    path = Path(shown)
    return path.name == f"{kind}.yaml" or (path.parent.name == kind and path.suffix == ".yaml")


class _KnownPositions(Mapping[str, Positions]):
    """Where the fields are in the files already read: the records files parsed by this check,
    and the claims files whose positions the build cache keeps (read when asked for: only the
    files the lint has something to say about)."""

    def __init__(
        self, parsed: dict[str, Positions], keys: dict[str, str], reuse: BuildCache | None
    ) -> None:
        self.parsed, self.keys, self.reuse = parsed, keys, reuse

    def __getitem__(self, shown: str) -> Positions:
        if shown in self.parsed:
            return self.parsed[shown]
        key = self.keys.get(shown)
        found = self.reuse.positions(key) if key and self.reuse is not None else None
        if found is None:
            raise KeyError(shown)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(self.parsed), **dict.fromkeys(self.keys)})

    def __len__(self) -> int:
        return len(set(self.parsed) | set(self.keys))


def record_files(data: Path, kind: str) -> list[Path]:
    """``data/KIND.yaml`` then ``data/KIND/*.yaml`` in name order: where records of ``kind``
    (``articles`` or ``entities``) are read from. Large corpora split them, since each file
    may hold at most 5 MB.

    >>> [p.name for p in record_files(default_root() / "data", "articles")]
    ['articles.yaml']
    """
    return [data / f"{kind}.yaml", *sorted((data / kind).glob("*.yaml"))]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a build allocates millions of small
    objects that stay alive (YAML nodes, records, RDF terms): each full collection rescans all
    of them, which cost a third of a 100k-claim build. Nested use is fine; collection resumes
    (if it was on) at the end of the outermost block.

    >>> import gc
    >>> with paused_gc():
    ...     gc.isenabled()
    False
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_curation(
    root: Path | None = None,
    ontology: Ontology | None = None,
    *,
    strict: bool = False,
    warnings: list[Problem] | None = None,
    reuse: BuildCache | None = None,
) -> Curation:
    """Read and check ``data/`` under ``root``; raise :class:`CurationError` with every problem.

    The lint (:mod:`kg.lint`) runs too: its errors are problems; its warnings are appended to
    ``warnings`` (when given), or are problems too when ``strict``. With ``reuse``, the claims
    of an article whose inputs did not change since a check that found no problem are taken
    from it (see :mod:`kg.buildcache`), a check that finds no error is kept as the tree's
    :class:`kg.verdict.Verdict`, and when only claims files changed since the last one, only
    they are checked again (see :func:`check_curation`).
    """
    root = Path(root) if root else default_root()
    if reuse is not None:
        found = _check_changes(root, reuse, strict, warnings, ontology, with_curation=True)
        if found is not None and found[1] is not None:
            return found[1]
    return _check_all(root, ontology, strict, warnings, reuse)


def _check_all(
    root: Path,
    ontology: Ontology | None,
    strict: bool,
    warnings: list[Problem] | None,
    reuse: BuildCache | None,
) -> Curation:
    """:func:`load_curation` reading every file."""
    checker = _Checker(root, ontology or load_ontology(root / "ontology" / "kg.ttl"))
    data = root / "data"
    if reuse is not None and checker.ontology.sha256 != reuse.ontology_sha256:
        reuse.write = False  # its results would be kept under another ontology's version
        reuse.trouble = "ontology/kg.ttl is not the one this check read (it changed meanwhile)"
    files = None
    if reuse is not None and reuse.write:
        began = reference_ns(root, reuse.folder)
        files = scan_tree(root)
    with paused_gc():
        entities = _load_entities(checker, data, reuse)
        articles = _load_articles(checker, data, entities)
        claims = _load_claims(checker, data, articles, entities, checker.unreadable, reuse)
        background = _load_background(checker, data, entities)
        _check_basis_articles(checker, articles, claims)
        curation = Curation(
            articles=articles, entities=entities, claims=tuple(claims), background=background
        )
        known = _KnownPositions(checker.positions, checker.claims_keys, reuse)
        today = dt.date.today()
        of_records = locate(record_findings(curation, today), root, known)
        by_file = _by_file(curation.claims)
        of_claims = {  # file by file, in the order a check of the changed files gives them
            shown: locate(claim_findings(own, articles, today), root, known)
            for shown, own in by_file.items()
        }
        structure = structure_findings(curation.claims, checker.ontology)
        found = [
            *of_records,
            *(p for shown in sorted(of_claims) for p in of_claims[shown]),
            *locate(structure, root, known),
        ]
        ontology_kept = sha256_of(root / "ontology" / "kg.ttl") == checker.ontology.sha256
        if files is not None and ontology_kept and not _errors(checker.problems, found):
            made = _verdict_of(
                checker, curation, files, began, today, of_records, by_file, of_claims, structure
            )
            reuse.keep_verdict(made)  # type: ignore[union-attr]
    _add_findings(checker, found, strict, warnings)
    if checker.problems:
        raise CurationError(checker.problems)
    return curation


def _claims_path(claim: Claim) -> str:
    return claim.source.path if claim.source is not None else ""


def _by_file(claims: Iterable[Claim]) -> dict[str, list[Claim]]:
    """Claims by the file they are written in (claims come file by file)."""
    return {shown: list(own) for shown, own in groupby(claims, key=_claims_path)}


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_curation` found in a tree with no error: how much it holds and the
    lint's warnings (sorted). ``rechecked``: the claims files checked again when the rest was
    taken from the tree's last clean check; None for a full check."""

    articles: int
    entities: int
    claims: int
    warnings: list[Problem]
    rechecked: int | None = None


def check_curation(
    root: Path | None = None, *, strict: bool = False, full: bool = False
) -> CheckReport:
    """Check ``data/`` under ``root`` as :func:`load_curation` does, raising the same
    :class:`CurationError`, without handing out what it read: what ``kg validate`` runs.

    When only claims files changed since the last check that found no error (see
    :mod:`kg.verdict`), only those are checked again, and the lint of the claims together runs
    on what the others hold. ``full`` checks everything.

    >>> report = check_curation()
    >>> report.articles, report.claims > 100
    (5, True)
    """
    root = Path(root) if root else default_root()
    reuse = BuildCache(root, read=not full)
    found = _check_changes(root, reuse, strict, None, None, with_curation=False)
    if found is not None:
        return found[0]
    warnings: list[Problem] = []
    curation = _check_all(root, None, strict, warnings, reuse)
    return CheckReport(
        len(curation.articles), len(curation.entities), len(curation.claims), sorted(warnings)
    )


def _check_changes(
    root: Path,
    reuse: BuildCache,
    strict: bool,
    warnings: list[Problem] | None,
    ontology: Ontology | None,
    *,
    with_curation: bool,
) -> tuple[CheckReport, Curation | None] | None:
    """The check of the claims files changed since the tree's verdict, the rest taken from it
    (with the curation, read from the build cache, if ``with_curation``); None when a full
    check is needed (see :mod:`kg.verdict`), or ``ontology`` is not the verdict's."""
    with paused_gc():
        verdict = reuse.verdict() if reuse.read else None
        if verdict is None or verdict.today != dt.date.today():
            return None
        if ontology is not None and ontology.sha256 != verdict.ontology.sha256:
            return None
        began = reference_ns(root, reuse.folder if reuse.write else None)
        files = scan_tree(root)
        if files is None:
            return None
        changed = verdict.changed(files)
        if changed & verdict.text_files or not all(map(_is_claims_file, changed)):
            return None
        try:
            return _recheck(
                root, reuse, verdict, files, began, changed, strict, warnings, with_curation
            )
        except DamagedVerdict:
            return None


def _is_claims_file(shown: str) -> bool:
    """Whether ``shown`` (relative to the root) is a file that :func:`load_curation` reads as
    claims.

    >>> _is_claims_file("data/claims/x.yaml"), _is_claims_file("data/claims/a/x.yaml")
    (True, False)
    """
    folder, _, name = shown.rpartition("/")
    return folder == "data/claims" and name.endswith(".yaml")


def _recheck(
    root: Path,
    reuse: BuildCache,
    verdict: Verdict,
    files: dict[str, Signature],
    began: int,
    changed: set[str],
    strict: bool,
    warnings: list[Problem] | None,
    with_curation: bool,
) -> tuple[CheckReport, Curation | None] | None:
    """:func:`_check_changes` once the verdict says only the claims files ``changed`` did."""
    ontology = replace(verdict.ontology, path=root / "ontology" / "kg.ttl")  # a moved tree
    checker = _Checker(root, ontology)
    checker.no_claims.update(verdict.no_claims)
    entities = verdict.entity_map()
    articles: dict[str, Article] = {}
    for stem in sorted(Path(path).stem for path in changed):
        if stem in verdict.articles:
            articles[stem] = verdict.article(stem)
    present = sorted(path for path in changed if path in files)
    claims = _load_claims(
        checker, root / "data", articles, entities, set(), reuse, [root / p for p in present]
    )
    _check_basis_articles(checker, {}, claims, known=verdict.articles)
    claims_files = {
        shown: verdict.claims_file(shown) for shown in verdict.claims_files if shown not in changed
    }
    keys = {shown: f.key for shown, f in claims_files.items() if f.key}
    known = _KnownPositions(checker.positions, {**keys, **checker.claims_keys}, reuse)
    checked = _by_file(claims)
    after = {
        shown: _claims_file(
            checker,
            shown,
            checked.get(shown, []),
            locate(claim_findings(checked.get(shown, []), articles, verdict.today), root, known),
        )
        for shown in present
    }
    before = [verdict.claims_file(shown) for shown in sorted(changed & verdict.claims_files.keys())]
    claims_files.update(after)
    structure = verdict.structure
    if _structural(before) != _structural(after.values()):  # else the lint finds the same
        structural = [c for shown in sorted(claims_files) for c in claims_files[shown].structural]
        structure = structure_findings(structural, ontology)
    kept = [p for shown in sorted(claims_files) for p in claims_files[shown].warnings]
    found = [*verdict.record_warnings, *kept, *locate(structure, root, known)]
    curation = None
    if with_curation and not checker.problems:
        curation = _curation_of(reuse, verdict, entities, checked, claims_files)
        if curation is None:
            return None  # a result the build cache no longer holds: check everything
    if not _errors(checker.problems, found):
        stored = {k: v for k, v in verdict.claims_files.items() if k not in changed}
        stored.update((shown, pickled(f)) for shown, f in after.items())
        reuse.keep_verdict(
            replace(
                verdict,
                reference_ns=began,
                files=files,
                claims_files=stored,
                structure=structure,
            )
        )
    collected: list[Problem] = []
    _add_findings(checker, found, strict, collected)
    if warnings is not None:
        warnings += collected
    if checker.problems:
        raise CurationError(checker.problems)
    count = sum(f.claims for f in claims_files.values())
    report = CheckReport(
        len(verdict.articles), verdict.entities, count, sorted(collected), len(present)
    )
    return report, curation


def _curation_of(
    reuse: BuildCache,
    verdict: Verdict,
    entities: dict[str, Entity],
    checked: Mapping[str, list[Claim]],
    claims_files: Mapping[str, ClaimsFile],
) -> Curation | None:
    """The curation a full check would give: the claims ``checked`` again (by file), those of
    the other files from the build cache (None if one is not there), the rest from the
    verdict."""
    articles = {ident: verdict.article(ident) for ident in verdict.articles}
    claims: list[Claim] = []
    for shown in sorted(claims_files):
        if shown in checked:
            claims += checked[shown]
            continue
        key = claims_files[shown].key
        kept = reuse.claims(key, entities) if key is not None else None
        if kept is None:
            return None
        reuse.keys[claims_files[shown].article] = key  # type: ignore[assignment]
        claims += kept
    return Curation(
        articles=articles,
        entities=entities,
        claims=tuple(claims),
        background=verdict.background,
    )


def _structural(found: Iterable[ClaimsFile]) -> list[tuple[Claim, Source | None]]:
    """The claims :func:`kg.lint.structure_findings` reads, with where they are (a claim's
    equality leaves its source out)."""
    return [(c, c.source) for f in found for c in f.structural]


def _claims_file(
    checker: _Checker, shown: str, own: Sequence[Claim], found: Iterable[Problem]
) -> ClaimsFile:
    """What a check found in the claims file ``shown``: its claims ``own`` and the lint's
    located findings about them, ``found`` (for the tree's verdict)."""
    return ClaimsFile(
        article=Path(shown).stem,
        key=checker.claims_keys.get(shown),
        claims=len(own),
        warnings=list(found),
        structural=tuple(c for c in own if structural(c, checker.ontology)),
    )


def _verdict_of(
    checker: _Checker,
    curation: Curation,
    files: dict[str, Signature],
    began: int,
    today: dt.date,
    of_records: list[Problem],
    by_file: Mapping[str, list[Claim]],
    found: Mapping[str, list[Problem]],
    structure: list[Finding],
) -> Verdict:
    return Verdict(
        reference_ns=began,
        today=today,
        files=files,
        ontology=checker.ontology,
        entities=len(curation.entities),
        record_warnings=of_records,
        claims_files={
            shown: pickled(
                _claims_file(checker, shown, by_file.get(shown, []), found.get(shown, ()))
            )
            for shown in checker.claims_keys
        },
        structure=structure,
        articles=pickled_articles(curation.articles.values()),
        no_claims=dict(checker.no_claims),
        background=curation.background,
        text_files=frozenset(checker.text_files),
        entities_pickled=pickle.dumps(curation.entities, protocol=5),
    )


def _errors(problems: list[Problem], found: Iterable[Problem]) -> bool:
    """Whether the check found an error (not only the lint's warnings)."""
    return bool(problems) or any(p.severity == "error" for p in found)


def _add_findings(
    checker: _Checker, found: Iterable[Problem], strict: bool, warnings: list[Problem] | None
) -> None:
    """The lint's located findings: errors (and with ``strict`` warnings) are problems, the
    other warnings go to ``warnings`` when given."""
    for problem in found:
        if problem.severity == "error" or strict:
            checker.problems.append(problem)
        elif warnings is not None:
            warnings.append(problem)


def load_entities(root: Path | None = None, ontology: Ontology | None = None) -> dict[str, Entity]:
    """Read and check only the entity files of ``data/``; raise :class:`CurationError` if any fail.

    >>> load_entities()["ifs"].type
    'GovernmentAgency'
    """
    root = Path(root) if root else default_root()
    checker = _Checker(root, ontology or load_ontology(root / "ontology" / "kg.ttl"))
    entities = _load_entities(checker, root / "data")
    if checker.problems:
        raise CurationError(checker.problems)
    return entities


def date_in_text(value: DateValue, text: str) -> bool:
    """Whether ``text`` writes the date at its precision: the year, the month (by name or
    number) and the day.

    >>> date_in_text(DateValue("2020"), "It was put on a sanctions list in 2020.")
    True
    >>> date_in_text(DateValue("2023-11-15"), "the November 15 summit")
    False
    >>> date_in_text(DateValue("2022-03"), "between March 2022 and March 2023")
    True
    """
    if _number_in(text, value.text):
        return True
    parts = [int(p) for p in value.text.split("-")]
    if not _number_in(text, str(parts[0])):
        return False
    if len(parts) > 1:
        name = MONTHS[parts[1] - 1]
        if not re.search(rf"\b({name}|{name[:3]}\.?)\b", text, re.IGNORECASE):
            return False
    if len(parts) > 2:
        day = parts[2]
        if not re.search(rf"(?<!\d){day}(st|nd|rd|th)?(?!\d)", text):
            return False
    return True


def _number_in(text: str, token: str) -> bool:
    """Whether ``token`` is in ``text`` with no digit right before or after it (a regular
    expression per date would be compiled once for each of thousands of dates).

    >>> _number_in("in 2019, 20190", "2019"), _number_in("x12019", "2019")
    (True, False)
    """
    start = text.find(token)
    while start != -1:
        end = start + len(token)
        if (start == 0 or not text[start - 1].isdecimal()) and (
            end == len(text) or not text[end].isdecimal()
        ):
            return True
        start = text.find(token, start + 1)
    return False


def _check_basis_articles(
    ck: _Checker,
    articles: Mapping[str, Article],
    claims: Iterable[Claim],
    known: Collection[str] | None = None,
) -> None:
    """Every article a basis names exists (checked after all are read, and for claims reused
    from the build cache too); ``known``: the ids of all articles, when ``articles`` are not
    all of them."""
    known = articles if known is None else known
    named: list[tuple[Source | None, str]] = [
        (article.source, ident)
        for article in articles.values()
        if article.published_basis
        for ident in article.published_basis.articles
    ]
    named += [(c.source, ident) for c in claims for _, b in c.inferred for ident in b.articles]
    for source, article in named:
        if article not in known:
            ck.problems.append(
                Problem(
                    source.path if source else "data",
                    source.line if source else 0,
                    0,
                    f"basis names unknown article {article!r}",
                    _suggest(article, known) or "use an id of data/articles.yaml",
                )
            )


def _load_background(
    ck: _Checker, data: Path, entities: dict[str, Entity]
) -> tuple[BackgroundFact, ...]:
    """data/background.yaml: facts a reader knows that no article states, with their curator
    and a reference identifier."""
    path = data / "background.yaml"
    if not path.exists():
        return ()
    facts: list[BackgroundFact] = []
    for shown, rec in ck.records(path, BACKGROUND_KEYS):
        values = {k: ck.text_of(shown, rec, k) for k in BACKGROUND_KEYS}
        ok = all(values[k] for k, required in BACKGROUND_KEYS.items() if required)
        for key in ("subject", "object"):
            ident = values[key]
            if ident and ident not in entities and not ck.entities_incomplete:
                ok = False
                ck.add(
                    shown,
                    rec[key],
                    f"unknown entity {ident!r}",
                    _suggest(ident, entities) or "add it to data/entities.yaml",
                )
        predicate = values["predicate"]
        if predicate and predicate not in BACKGROUND_PREDICATES:
            ok = False
            ck.add(
                shown,
                rec["predicate"],
                f"background facts may not use {predicate!r}",
                f"use one of: {', '.join(BACKGROUND_PREDICATES)}",
            )
        reference = values["reference"]
        if reference and not REFERENCE_PATTERN.match(reference):
            ok = False
            ck.add(
                shown,
                rec["reference"],
                f"bad reference {reference!r}",
                "write wikidata:Q<digits> or geonames:<digits>, an identifier you verified",
            )
        if not ok:
            continue
        facts.append(
            BackgroundFact(
                subject=str(values["subject"]),
                predicate=str(predicate),
                object=str(values["object"]),
                curator=str(values["curator"]),
                reference=str(reference),
                note=values["note"],
                source=Source(shown, rec.line),
            )
        )
    return tuple(facts)


def _suggest(name: str, pool: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(pool), n=3, cutoff=0.6)
    return f"did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _load_entities(ck: _Checker, data: Path, reuse: BuildCache | None = None) -> dict[str, Entity]:
    files = record_files(data, "entities")
    entities: dict[str, Entity] = {}
    first_seen: dict[str, str] = {}
    for path in files:
        if not path.exists():
            if path.name == "entities.yaml":
                ck.add(ck.shown(path), None, "file is missing", "create it (see data/README.md)")
            continue
        key = None
        if reuse is not None:
            if ck.escapes(path):  # as reading it would say; nothing is read
                ck.broken_files.add(ck.shown(path))
                continue
            key = reuse.key("entities", ck.shown(path), path.read_bytes())
            kept = reuse.entities(key)
            # a file checked clean before, none of whose ids an earlier file took since
            if kept is not None and not any(e.id in first_seen for e, _where in kept[0]):
                for entity, where in kept[0]:
                    entities[entity.id], first_seen[entity.id] = entity, where
                ck.positions[ck.shown(path)] = kept[1]
                continue
        known_problems, in_file = len(ck.problems), len(entities)
        records = ck.records(
            path,
            ENTITY_KEYS,
            "restore its records (git diff shows what was lost), or write [] "
            "if it is meant to hold none",
        )
        for shown, rec in records:
            ident = ck.text_of(shown, rec, "id")
            cls = ck.text_of(shown, rec, "type")
            label = ck.text_of(shown, rec, "label")
            if ident is None:
                continue
            where = f"{shown}:{rec['id'].line}"
            if not ID_PATTERN.match(ident):
                ck.add(
                    shown,
                    rec["id"],
                    f"entity id {ident!r} is not a lowercase slug",
                    "use letters a-z, digits and single hyphens, "
                    "e.g. 'ministry-of-public-security'",
                )
            if ident in first_seen:
                ck.add(
                    shown,
                    rec["id"],
                    f"duplicate entity id {ident!r}, also defined at {first_seen[ident]}",
                    "rename one of them or merge the two records",
                )
                continue
            first_seen[ident] = where
            if cls is not None and cls not in ck.ontology.classes:
                ck.add(
                    shown,
                    rec["type"],
                    f"unknown class {cls!r}",
                    _hint_names(ck.ontology.suggest(cls, "classes"), "class"),
                )
            aliases = rec.get("aliases", YList())
            if not isinstance(aliases, YList) or not all(isinstance(a, YStr) for a in aliases):
                ck.add(shown, aliases, "'aliases' must be a list of names", "write [Name, Other]")
                aliases = YList()
            wikidata, geonames = (
                _external_id(ck, shown, rec, field) for field in ("wikidata", "geonames")
            )
            entities[ident] = Entity(
                id=ident,
                type=cls or "Entity",
                label=label or ident,
                aliases=tuple(dict.fromkeys(str(a) for a in aliases if str(a) != label)),
                description=ck.text_of(shown, rec, "description"),
                wikidata=wikidata,
                geonames=geonames,
                note=ck.text_of(shown, rec, "note"),
                source=Source(shown, rec.line),
            )
        shown = ck.shown(path)
        if key is not None and len(ck.problems) == known_problems and shown in ck.positions:
            made = list(entities.values())[in_file:]
            reuse.keep_entities(  # type: ignore[union-attr]
                key, [(e, first_seen[e.id]) for e in made], ck.positions[shown]
            )
    return entities


#: an external identifier field: (its pattern, what to write instead of a bad one)
_EXTERNAL_IDS = {
    "wikidata": (WIKIDATA_PATTERN, "write a verified QID such as Q30, or leave it out"),
    "geonames": (
        GEONAMES_PATTERN,
        "write the verified numeric GeoNames id such as 5391959, or leave it out",
    ),
}


def _external_id(ck: _Checker, shown: str, rec: YMap, field: str) -> str | None:
    """An entity's wikidata or geonames id, reported when it does not look like one."""
    value = ck.text_of(shown, rec, field)
    pattern, hint = _EXTERNAL_IDS[field]
    if value and not pattern.match(value):
        ck.add(shown, rec[field], f"bad {field} id {value!r}", hint)
    return value


def _hint_names(names: list[str], what: str) -> str:
    return (
        f"did you mean {', '.join(repr(n) for n in names)}?"
        if names
        else f"see ontology/kg.ttl for the {what} names"
    )


def _load_articles(ck: _Checker, data: Path, entities: dict[str, Entity]) -> dict[str, Article]:
    articles: dict[str, Article] = {}
    first_seen: dict[str, str] = {}
    for path in record_files(data, "articles"):
        if not path.exists():
            ck.add(ck.shown(path), None, "file is missing", "create it (see data/README.md)")
            continue
        records = ck.records(
            path,
            ARTICLE_KEYS,
            "restore its records (git diff shows what was lost), or write [] if there are none yet",
        )
        for shown, rec in records:
            article = _check_article(ck, data, shown, rec, entities, first_seen)
            if article is not None:
                articles[article.id] = article
    _check_ftm_ids(ck, articles, first_seen)
    return articles


def _check_ftm_ids(ck: _Checker, articles: Mapping[str, Article], where: Mapping[str, str]) -> None:
    """Two article ids that differ only in ``_`` against ``-`` would be one FollowTheMoney
    entity in ``kg.ftm.json`` (FtM ids have no ``_``): an error at the second of them."""
    first: dict[str, str] = {}
    for ident, article in articles.items():
        ftm = article_id(ident)
        if ftm not in first:
            first[ftm] = ident
            continue
        other = first[ftm]
        ck.add(
            article.source.path if article.source else "data/articles.yaml",
            article.source,
            f"article ids {other!r} (at {where[other]}) and {ident!r} are one FollowTheMoney id, "
            f"{ftm!r} ('_' is written '-' there)",
            "rename one of the two articles (its record, text file and claims file)",
        )


def _check_article(
    ck: _Checker,
    data: Path,
    shown: str,
    rec: YMap,
    entities: dict[str, Entity],
    first_seen: dict[str, str],
) -> Article | None:
    """One article record checked (its text read and hashed), or None if it cannot be used."""
    ident = ck.text_of(shown, rec, "id")
    if ident is None:
        return None
    if "no_claims" in rec and ck.text_of(shown, rec, "no_claims") is not None:
        ck.no_claims[ident] = Source(shown, rec["no_claims"].line)
    if not ARTICLE_ID_PATTERN.match(ident):
        ck.add(
            shown,
            rec["id"],
            f"article id {ident!r} has characters not allowed in an IRI",
            "use the file stem: letters, digits, '_' and '-'",
        )
        return None
    if ident in first_seen:
        ck.add(
            shown,
            rec["id"],
            f"duplicate article id {ident!r}, also at {first_seen[ident]}",
            "remove one of the two records",
        )
        return None
    first_seen[ident] = f"{shown}:{rec['id'].line}"
    file_name = ck.text_of(shown, rec, "file") or f"articles/{ident}.txt"
    text_path = data / file_name
    if ck.escapes(text_path):
        ck.unreadable.add(ident)  # its claims cannot be checked against a text kg will not read
        return None
    if Path(file_name).stem != ident:
        ck.add(
            shown,
            rec["file"],
            f"file {file_name!r} does not match id {ident!r}",
            "the id is the file stem",
        )
    if not text_path.is_file():
        ck.add(
            shown,
            rec["id"],
            f"article text {ck.shown(text_path)} is missing",
            "put the verbatim text there, or fix the id",
        )
        return None
    text, problems = read_text(text_path, ck.shown(text_path), MAX_ARTICLE_BYTES)
    ck.problems += problems
    if text is None:
        ck.unreadable.add(ident)
    elif text.startswith(BOM):
        text = text[1:]  # a byte-order mark is not part of the text: offsets count without it
    digest = hashlib.sha256(text_path.read_bytes()).hexdigest()
    recorded = ck.text_of(shown, rec, "sha256")
    if recorded is not None and recorded != digest:
        ck.add(
            shown,
            rec["sha256"],
            f"sha256 of {ck.shown(text_path)} is {digest}, not {recorded}",
            "the text changed: restore the verbatim copy, or update the hash "
            "if the new file is the right one",
        )
    outlet = ck.text_of(shown, rec, "outlet")
    agency = ck.text_of(shown, rec, "agency")
    for key, value, cls in (("outlet", outlet, "Outlet"), ("agency", agency, "NewsAgency")):
        if value is None or (key == "outlet" and value == "unknown"):
            continue
        if value not in entities:
            if ck.entities_incomplete:
                continue
            ck.add(
                shown,
                rec[key],
                f"unknown {key} {value!r}",
                _suggest(value, entities) or f"add it to data/entities.yaml as a {cls}",
            )
        elif not ck.ontology.is_subclass(entities[value].type, cls):
            ck.add(
                shown,
                rec[key],
                f"{key} {value!r} is a {entities[value].type}, not a {cls}",
                f"give it type {cls} in data/entities.yaml",
            )
    if text is None:
        return None
    ck.text_files.add(ck.shown(text_path))
    published = ck.date_of(shown, rec, "published")
    published_basis = None
    if "published_basis" in rec:
        published_basis = ck.basis_of(shown, rec["published_basis"], text)
    elif published is not None and not date_in_text(published, text):
        ck.add(
            shown,
            rec["published"],
            f"published {published} is not written in the article's text",
            "give published_basis (words, reasoning) saying how the date follows from the "
            "text, or leave published out",
        )
    return Article(
        id=ident,
        title=ck.text_of(shown, rec, "title") or "",
        outlet=None if outlet in (None, "unknown") else outlet,
        agency=agency,
        published=published,
        language=ck.text_of(shown, rec, "language") or "",
        sha256=digest,
        text=text,
        url=ck.text_of(shown, rec, "url"),
        published_basis=published_basis,
        note=ck.text_of(shown, rec, "note"),
        source=Source(shown, rec.line),
    )


def closest_span(text: str, quote: str) -> tuple[int, str]:
    """The span of ``text`` most like ``quote``, and where it starts.

    >>> closest_span("The IFS was listed in 2020.", "IFS was listed in 2021")
    (4, 'IFS was listed in 2020')
    """
    if not text or not quote:
        return 0, ""
    matcher = difflib.SequenceMatcher(None, text, quote, autojunk=False)
    match = matcher.find_longest_match(0, len(text), 0, len(quote))
    start = max(0, match.a - match.b)
    best_start, best_ratio = start, -1.0
    nearby = range(max(0, start - 8), min(len(text), start + 9))
    for candidate in sorted(nearby, key=lambda c: abs(c - start)):  # ties go to the anchor
        ratio = difflib.SequenceMatcher(
            None, text[candidate : candidate + len(quote)], quote
        ).ratio()
        if ratio > best_ratio:
            best_start, best_ratio = candidate, ratio
    return best_start, text[best_start : best_start + len(quote)]


def _load_claims(
    ck: _Checker,
    data: Path,
    articles: dict[str, Article],
    entities: dict[str, Entity],
    unreadable: set[str],
    reuse: BuildCache | None = None,
    paths: Iterable[Path] | None = None,
) -> list[Claim]:
    """The claims of every claims file (of ``paths`` only, when given: then ``articles``
    needs to hold only their articles and those whose claims files were removed)."""
    claims: list[Claim] = []
    seen: dict[tuple[str, ...], str] = {}
    orphans = 0  # claims files whose article may be in an article file that could not be read
    with_file: set[str] = set()
    for path in sorted((data / "claims").glob("*.yaml")) if paths is None else paths:
        with_file.add(path.stem)
        if path.stem in unreadable:
            continue  # its article's text is already reported; quotes cannot be checked
        article = articles.get(path.stem)
        shown = ck.shown(path)
        said_none = ck.no_claims.get(path.stem)
        key = None
        if ck.escapes(path):  # before any reuse: a link out of data/ is refused on every run
            continue
        if path.is_dir():
            ck.add(shown, None, "is a folder, not a claims file", FOLDER_HINT)
            continue
        if reuse is not None and article is not None:
            raw = path.read_bytes()
            key = reuse.claims_key(shown, raw, article.id, article.sha256, bool(said_none))
            reuse.keys[article.id] = key
            ck.claims_keys[shown] = key
            kept = reuse.claims(key, entities)
            if kept is not None:
                claims.extend(kept)
                continue
        known_problems, first_claim = len(ck.problems), len(claims)
        if article is None and ck.articles_incomplete:
            orphans += 1
        elif article is None:
            ck.add(
                shown,
                None,
                f"no article {path.stem!r} in data/articles.yaml or data/articles/*.yaml",
                "name the file after an article id",
            )
        with path.open("rb") as handle:
            draft = handle.read(len(DRAFT_MARKER)) == DRAFT_MARKER.encode()
        if draft:
            ck.problems.append(
                Problem(
                    shown,
                    1,
                    1,
                    "unreviewed draft written by `kg ingest`",
                    "review its candidate claims (see the "
                    "comments in it), then delete its first line",
                )
            )
        empty_hint = (
            None
            if draft or said_none
            else f"write its claims; if article {path.stem} supports none, write [] and say "
            "why with `no_claims: <reason>` in its record in data/articles.yaml"
        )
        count = 0
        in_file: list[tuple[Claim, YMap]] = []
        positions: Positions = {}  # where the fields are: kept with the claims, not in memory
        for shown, rec in ck.records(path, CLAIM_KEYS, empty_hint, positions):
            count += 1
            claim = _check_claim(ck, shown, rec, article, entities)
            if claim is None:
                continue
            duplicate = (
                claim.article,
                claim.subject,
                claim.predicate,
                str(claim.object),
                claim.attributed_to or "",
            )
            if duplicate in seen:
                ck.add(
                    shown,
                    rec,
                    f"the same claim ({claim.subject} {claim.predicate} "
                    f"{claim.object}) is already at line {seen[duplicate]}",
                    "keep one record per (subject, predicate, object, speaker) per article",
                )
                continue
            seen[duplicate] = str(rec.line)
            claims.append(claim)
            in_file.append((claim, rec))
        _check_claim_refs(ck, ck.shown(path), in_file)
        if count and said_none:
            ck.problems.append(
                Problem(
                    said_none.path,
                    said_none.line,
                    0,
                    f"article {path.stem} says no_claims, but {shown} has {count} claim(s)",
                    "remove no_claims, or the claims",
                )
            )
        elif not count and not said_none and not draft and shown not in ck.broken_files:
            ck.add(
                shown,
                None,
                f"no claims for article {path.stem} (the file holds [])",
                "write its claims, or say why it has none with `no_claims: <reason>` "
                "in its record in data/articles.yaml",
            )
        clean = len(ck.problems) == known_problems and len(claims) - first_claim == count
        if key is not None and clean and not ck.entities_incomplete:  # kept only when clean
            reuse.keep_claims(  # type: ignore[union-attr]
                key, claims[first_claim:], entities, positions
            )
    for ident, article in sorted(articles.items()):
        if ident in with_file or ident in ck.no_claims or article.source is None:
            continue
        ck.problems.append(
            Problem(
                article.source.path,
                article.source.line,
                0,
                f"article {ident} has no claims: data/claims/{ident}.yaml is missing",
                "write its claims there, or say why it has none with `no_claims: <reason>`",
            )
        )
    if orphans:
        broken = sorted(f for f in ck.broken_files if _is_records_file(f, "articles"))
        ck.problems.append(
            Problem(
                broken[0],
                0,
                0,
                # "which ..." sorts after the file's own problem, so the two read together
                f"which leaves {orphans:,} claims file{'s' if orphans != 1 else ''} that "
                f"refer to {'its' if len(broken) == 1 else 'their'} articles unchecked",
                "they are checked once the article records can be read",
            )
        )
    return claims


def _check_claim_refs(ck: _Checker, shown: str, in_file: list[tuple[Claim, YMap]]) -> None:
    """Each claim a basis computes from (``subject predicate object``) is a claim of the file."""
    triples = {f"{c.subject} {c.predicate} {c.object}" for c, _ in in_file}
    for claim, rec in in_file:
        for part, basis in claim.inferred:
            for ref in basis.claims:
                if ref not in triples:
                    node = rec["inferred"][part].get("claims", rec["inferred"][part])
                    ck.add(
                        shown,
                        node,
                        f"the basis of {part} names {ref!r}, which is no claim of this article",
                        "write 'subject predicate object' of a claim in this file",
                    )


def _check_claim(
    ck: _Checker, shown: str, rec: YMap, article: Article | None, entities: dict[str, Entity]
) -> Claim | None:
    onto = ck.ontology
    ok = True

    def entity(key: str, expected: str | None) -> str | None:
        nonlocal ok
        ident = ck.text_of(shown, rec, key)
        if ident is None:
            return None
        if ident not in entities:
            ok = False
            if ck.entities_incomplete:
                return None  # an unreadable entity file is already reported
            ck.add(
                shown,
                rec[key],
                f"unknown entity {ident!r}",
                _suggest(ident, entities) or "add it to data/entities.yaml",
            )
            return None
        actual = entities[ident].type
        if expected and actual in onto.classes and not onto.is_subclass(actual, expected):
            ok = False
            ck.add(
                shown,
                rec[key],
                f"{key} {ident!r} is a {actual}, but {rec.get('predicate')!s} "
                f"needs a {expected} here",
                "use another predicate or fix the entity's type",
            )
        return ident

    predicate_name = ck.text_of(shown, rec, "predicate")
    predicate = onto.predicates.get(predicate_name or "")
    if predicate_name is not None and predicate is None:
        ok = False
        ck.add(
            shown,
            rec["predicate"],
            f"unknown predicate {predicate_name!r}",
            _hint_names(onto.suggest(predicate_name, "predicates"), "predicate"),
        )
    subject = entity("subject", predicate.domain if predicate else None)
    obj: str | Value | None = None
    if predicate and predicate.kind == "object":
        obj = entity("object", predicate.range)
    elif predicate:
        raw = ck.text_of(shown, rec, "object")
        if raw is not None:
            obj = _literal(ck, shown, rec["object"], raw, predicate.range)
    elif predicate_name is not None:
        _check_object_anyway(ck, shown, rec, predicate_name, entities, entity)
    speaker = entity("attributed_to", "Agent") if "attributed_to" in rec else None
    quote = _check_quote(ck, shown, rec, article)
    certainty = ck.text_of(shown, rec, "certainty") or "stated"
    if certainty not in CERTAINTIES:
        ok = False
        ck.add(
            shown,
            rec["certainty"],
            f"unknown certainty {certainty!r}",
            f"use one of: {', '.join(CERTAINTIES)}",
        )
    dates = {k: ck.date_of(shown, rec, k) for k in ("date", "valid_from", "valid_until")}
    start, until = dates["valid_from"], dates["valid_until"]
    if start and until and start.start > until.end:
        ok = False
        ck.add(
            shown,
            rec["valid_until"],
            f"valid_until {until} is before valid_from {start}",
            "swap them or fix one",
        )
    scope = entity("scope", "Place") if "scope" in rec else None
    inferred: dict[str, Basis] = {}
    raw_inferred = rec.get("inferred")
    if raw_inferred is not None:
        if not isinstance(raw_inferred, YMap):
            ok = False
            ck.add(shown, raw_inferred, "'inferred' must map parts to their basis", _INFERRED_HINT)
        else:
            for part, node in raw_inferred.items():
                if part not in INFERABLE_PARTS:
                    ok = False
                    ck.add(
                        shown,
                        part,
                        f"{str(part)!r} cannot be inferred",
                        f"use one of: {', '.join(INFERABLE_PARTS)}",
                    )
                    continue
                if part != "object" and part not in rec:
                    ok = False
                    ck.add(shown, part, f"basis for {part}, but the claim has no {part}")
                    continue
                basis = ck.basis_of(shown, node, article.text if article else None)
                if basis is None:
                    ok = False
                else:
                    inferred[str(part)] = basis
    if predicate is not None and quote is not None and ok:
        ok = _check_stated(ck, shown, rec, predicate, obj, dates, quote, inferred, scope)
    if not ok or article is None or quote is None or subject is None or obj is None:
        return None
    if predicate is None:
        return None
    return Claim(
        article=article.id,
        subject=subject,
        predicate=predicate.name,
        object=obj,
        quote=quote,
        attributed_to=speaker,
        date=dates["date"],
        valid_from=start,
        valid_until=until,
        certainty=certainty,
        note=ck.text_of(shown, rec, "note"),
        source=Source(shown, rec.line),
        scope=scope,
        inferred=tuple((part, inferred[part]) for part in INFERABLE_PARTS if part in inferred),
    )


_INFERRED_HINT = (
    'write e.g. inferred: {date: {words: "on Thursday", reasoning: "..."}} (see data/README.md)'
)


def _check_stated(
    ck: _Checker,
    shown: str,
    rec: YMap,
    predicate: Any,
    obj: str | Value | None,
    dates: dict[str, DateValue | None],
    quote: Quote,
    inferred: dict[str, Basis],
    scope: str | None,
) -> bool:
    """What a claim gives as stated must be in its quote: dates at their precision, a figure's
    number; a figure says where it counts. Problems are added; False when there were any."""
    ok = True
    for key, value in dates.items():
        if value is not None and key not in inferred and not date_in_text(value, quote.exact):
            ok = False
            ck.add(
                shown,
                rec[key],
                f"{key} {value} is not written in the quote",
                f"give its basis under inferred: {{{key}: {{words, reasoning}}}}, or quote the "
                "words that state it",
            )
    if isinstance(obj, Value) and "object" not in inferred:
        if obj.kind == "date" and not date_in_text(DateValue(obj.lexical), quote.exact):
            ok = False
            ck.add(
                shown,
                rec["object"],
                f"the date {obj} is not written in the quote",
                "give its basis under inferred: {object: {words, reasoning}}",
            )
        if predicate.figure and obj.kind == "integer" and not _number_in_text(obj.lexical, quote):
            ok = False
            ck.add(
                shown,
                rec["object"],
                f"the figure {obj} is not written in the quote",
                "quote the words that give it, or give its basis under inferred: {object: ...}",
            )
    if predicate.figure and scope is None:
        ok = False
        ck.add(
            shown,
            rec,
            f"the figure ({predicate.name}) does not say where it counts",
            "add scope: <place id> (e.g. united-states)",
        )
    if not predicate.figure and scope is not None:
        ok = False
        ck.add(shown, rec["scope"], f"scope is for figures; {predicate.name} is not one")
    return ok


def _number_in_text(lexical: str, quote: Quote) -> bool:
    """Whether an integer appears in the quote, with or without thousands separators.

    >>> _number_in_text("110000", Quote("around 110,000 deaths", 0))
    True
    """
    grouped = f"{int(lexical):,}"
    return any(
        re.search(rf"(?<![\d,.]){re.escape(form)}(?![\d]|,\d)", quote.exact)
        for form in {lexical, grouped}
    )


def _check_object_anyway(
    ck: _Checker,
    shown: str,
    rec: YMap,
    predicate_name: str,
    entities: dict[str, Entity],
    entity: Callable[[str, str | None], str | None],
) -> None:
    """Check the object of a claim whose predicate is unknown, so that a misspelt object is
    reported now rather than after the predicate is fixed: as the closest predicate would, or
    as an entity id when it is close to one."""
    raw = ck.text_of(shown, rec, "object")
    if raw is None:
        return
    close = ck.ontology.suggest(predicate_name, "predicates")
    likely = ck.ontology.predicates[close[0]] if close else None
    if likely is not None and likely.kind != "object":
        _literal(ck, shown, rec["object"], raw, likely.range)
    elif likely is not None or (raw not in entities and _suggest(raw, entities)):
        entity("object", None)


def _literal(ck: _Checker, shown: str, node: YStr, raw: str, kind: str) -> Value | None:
    checks: dict[str, Callable[[str], bool]] = {
        "integer": lambda s: bool(NUMBER_PATTERNS["integer"].match(s)),
        "decimal": lambda s: bool(NUMBER_PATTERNS["decimal"].match(s)),
        "string": lambda s: True,
    }
    if kind in ("integer", "decimal") and len(raw) > MAX_NUMBER_DIGITS:
        ck.add(
            shown,
            node,
            f"number {shorten(raw)} is too long for a figure",
            f"write at most {MAX_NUMBER_DIGITS} characters; check what was pasted here",
        )
        return None
    if kind == "date":
        try:
            DateValue.parse(raw)
        except ValueError as err:
            ck.add(shown, node, f"bad date object: {err}", "write YYYY, YYYY-MM or YYYY-MM-DD")
            return None
    elif not checks[kind](raw):
        ck.add(
            shown,
            node,
            f"{raw!r} is not a plain {kind}",
            "write digits only, without separators, units or leading zeros (e.g. 110000)",
        )
        return None
    return Value(raw, kind)


def _check_quote(ck: _Checker, shown: str, rec: YMap, article: Article | None) -> Quote | None:
    exact = rec.get("quote")
    if exact is None:
        return None
    if not isinstance(exact, YStr) or not exact.strip():
        ck.add(shown, exact, "the quote is empty", "copy the supporting words from the article")
        return None
    raw_start = ck.text_of(shown, rec, "start")
    if raw_start is None or article is None:
        return None
    if not NUMBER_PATTERNS["integer"].match(raw_start) or raw_start.startswith("-"):
        ck.add(
            shown,
            rec["start"],
            f"start {shorten(raw_start)!r} is not a character offset",
            "write the 0-based offset of the quote in the article",
        )
        return None
    text = article.text
    if len(raw_start) > len(str(len(text))):  # past the end, and maybe too long for int()
        ck.add(
            shown,
            rec["start"],
            f"start {shorten(raw_start)} is past the end of {article.id} "
            f"({len(text):,} characters)",
            "write the 0-based offset of the quote in the article",
        )
        return None
    start = int(raw_start)
    if text[start : start + len(exact)] == exact:
        return Quote(
            str(exact),
            start,
            text[max(0, start - QUOTE_CONTEXT) : start],
            text[start + len(exact) : start + len(exact) + QUOTE_CONTEXT],
        )
    found = text.find(exact)
    if found >= 0:
        ck.add(
            shown,
            rec["start"],
            f"the quote is not at offset {start} of {article.id}",
            f"it occurs at {found}: set start: {found}",
        )
    elif (diff := invisible_difference(text, str(exact), start)) is not None:
        more = len(diff.differences) - 1
        ck.add(
            shown,
            exact,
            f"the quote differs from the text of {article.id} only in characters that look "
            f"alike or cannot be seen: {diff.differences[0]}"
            + (f" (and {more} more)" if more > 0 else ""),
            f"copy the text exactly: quote: {yaml_quoted(diff.span)}"
            + (f" and start: {diff.start}" if diff.start != start else ""),
        )
    else:
        near, span = closest_span(text, str(exact))
        ck.add(
            shown,
            exact,
            f"quote not found verbatim in {article.id}",
            f"closest text at {near}: {span!r}",
        )
    return None
