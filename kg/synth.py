"""A synthetic curation tree of any size, for tests and the benchmark.

:func:`synthesize` writes ``data/`` (articles with generated text, entities with aliases, claims
whose quotes really occur at their recorded offsets) and a copy of the project's ``ontology/``
into a folder that ``kg build --root FOLDER`` accepts unchanged. Types and predicates are read from
the ontology (:func:`kg.ontology.load_ontology`) and every claim respects its predicate's domain and
range. Entity popularity is Zipf-skewed, some triples are reported by several articles (and
outlets), some claims are attributed to a speaker or carry a date or a validity interval. The same
seed gives the same bytes.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "corpus"
>>> summary = synthesize(out, claims=40, seed=1)
>>> summary.claims, (out / "data" / "articles.yaml").is_file()
(40, True)
>>> from kg.curation import load_curation
>>> len(load_curation(out).claims)
40
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

from kg.errors import KgError
from kg.model import CERTAINTIES
from kg.ontology import Ontology, Predicate, default_root, load_ontology

#: Entities per YAML file under data/entities/ (the loader refuses files over 5 MB).
ENTITIES_PER_FILE = 4000
#: Article records in data/articles.yaml and then per file under data/articles/ (~2.3 MB each).
ARTICLES_PER_FILE = 10_000
CLAIMS_PER_ARTICLE = (8, 32)
ZIPF_EXPONENT = 1.1
#: Share of claims that repeat a triple another article already reported (corroboration).
REPEAT_SHARE = 0.3

OUTLET_NAMES = (
    "Global Wire Service",
    "Morning Ledger",
    "Harbour Post",
    "Valley Tribune",
    "Continental Herald",
    "Pacific Dispatch",
    "Northern Courier",
    "Capital Review",
    "Evening Standard-Times",
    "Metro Observer",
    "Daily Sentinel",
    "Union Gazette",
)
AGENCY_NAMES = (
    "Allied Press Agency",
    "Transnational News Agency",
    "Reuter-Hayes Wire",
    "Orient Press Service",
)
SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ra",
    "ten",
    "vo",
    "sha",
    "dri",
    "qua",
    "bel",
    "zor",
    "nia",
    "ful",
    "gan",
    "hei",
    "jun",
    "pes",
    "tor",
    "wyn",
    "xel",
    "yus",
    "ber",
    "cal",
    "dov",
    "emi",
    "fin",
    "gre",
    "hol",
    "ist",
    "kov",
    "lun",
    "mar",
    "nor",
    "ost",
    "pra",
    "sil",
    "ulm",
)
#: Some names with characters outside ASCII, so quote offsets are code points, not bytes.
ACCENTED = ("Zoë", "Müller", "Nguyễn", "Ōsaka", "Søren", "Łukasz", "Ibáñez", "Çelik")
FILLER = (
    "officials",
    "reported",
    "on",
    "Tuesday",
    "that",
    "the",
    "talks",
    "would",
    "continue",
    "after",
    "a",
    "meeting",
    "in",
    "which",
    "both",
    "sides",
    "agreed",
    "to",
    "review",
    "measures",
    "analysts",
    "said",
    "the",
    "decision",
    "followed",
    "months",
    "of",
    "negotiations",
    "over",
    "trade",
    "and",
    "security",
    "concerns",
    "according",
    "people",
    "familiar",
    "with",
    "matter",
    "statement",
    "published",
    "late",
    "evening",
)
HEDGES = {
    "approximate": "about",
    "more-than": "more than",
    "less-than": "fewer than",
    "alleged": "allegedly",
    "hedged": "possibly",
    "denied": "denied that",
}
#: Rough share of entities per class name; classes not listed get weight 1, weight 0 none.
CLASS_WEIGHTS = {
    "Person": 8.0,
    "Organization": 3.0,
    "GovernmentAgency": 3.0,
    "Place": 2.0,
    "Event": 2.0,
    "Group": 1.0,
    "Activity": 1.0,
    "Policy": 1.0,
    "Substance": 0.5,
    "List": 0.3,
    "Country": 0.5,
    "Entity": 0.0,
    "Agent": 0.0,
    "Thing": 0.0,
    "Outlet": 0.0,
    "NewsAgency": 0.0,
}
#: Classes whose entities are capped (there are only so many countries).
CLASS_CAPS = {"Country": 190, "List": 40, "Substance": 150}
#: Name styles: a format, its choices, and how an alias is made from the label.
STYLES: dict[str, tuple[tuple[str, ...], Callable[[str], str]]] = {
    "Policy": (("{} on {}", "Export controls", "Tariffs", "Visa bans", "Sanctions"), str.lower),
    "Activity": (("{1} {0}", "trafficking", "cooperation", "talks", "production"), str.lower),
    "Group": (
        ("{1} {0}", "advocates", "experts", "minority", "traders"),
        lambda label: label.split()[0],
    ),
}
NOT_ENTITY_CLASSES = {"NewsArticle", "Claim", "Article"}


@dataclass
class SynthSummary:
    """What :func:`synthesize` wrote."""

    root: Path
    articles: int
    entities: int
    claims: int
    outlets: int
    agencies: int
    predicates: list[str] = field(default_factory=list)


@dataclass
class _Entity:
    id: str
    type: str
    label: str
    aliases: list[str]
    description: str


@dataclass
class _Claim:
    subject: str
    predicate: str
    object: str
    quote: str
    start: int
    speaker: str | None = None
    date: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    certainty: str = "stated"
    note: str | None = None
    scope: str | None = None


def _when(claim: _Claim) -> str:
    """How the text writes a claim's dates, so that each is stated in its quote.

    >>> _when(_Claim("a", "p", "b", "", 0, valid_from="2001", valid_until="2003-05"))
    ' (from 2001 until 2003-05)'
    """
    if claim.date:
        return f" (on {claim.date})"
    if claim.valid_from and claim.valid_until:
        return f" (from {claim.valid_from} until {claim.valid_until})"
    if claim.valid_from:
        return f" (from {claim.valid_from})"
    return ""


class _Picker:
    """Zipf-weighted choice among a fixed list (by position in the global popularity order)."""

    def __init__(self, items: Sequence[_Entity], rank: dict[str, int]) -> None:
        self.items = list(items)
        weights = [1.0 / (rank[e.id] + 1) ** ZIPF_EXPONENT for e in self.items]
        self.cum = list(accumulate(weights))

    def __bool__(self) -> bool:
        return bool(self.items)

    def pick(self, rng: random.Random) -> _Entity:
        return self.items[bisect_left(self.cum, rng.random() * self.cum[-1])]


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


class _Names:
    """Pronounceable names from the seed; :meth:`unique` never returns the same name twice."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def word(self, parts: int = 2) -> str:
        if self.rng.random() < 0.04:
            return self.rng.choice(ACCENTED)
        return "".join(self.rng.choice(SYLLABLES) for _ in range(parts)).capitalize()

    def unique(self, make: Callable[[], str]) -> str:
        for attempt in range(1000):
            name = make()
            if attempt > 20:
                name = f"{name} {self.word(attempt // 20 + 1)}"
            if name not in self.used:
                self.used.add(name)
                return name
        raise KgError("could not make a new unique name")  # pragma: no cover


def _slug(text: str, taken: set[str]) -> str:
    base = "".join(c if c.isascii() and c.isalnum() else "-" for c in text.lower())
    base = "-".join(part for part in base.split("-") if part) or "entity"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _entity_classes(onto: Ontology) -> list[str]:
    """Classes a synthetic entity may have: those some claim predicate accepts (domain or
    range, or a subclass of one), except abstract roots and outlets (made separately)."""
    wanted = {p.domain for p in onto.predicates.values()}
    wanted |= {p.range for p in onto.predicates.values() if p.kind == "object"}
    return sorted(
        name
        for name in onto.classes
        if name not in NOT_ENTITY_CLASSES
        and CLASS_WEIGHTS.get(name, 1.0) > 0
        and any(onto.is_subclass(name, w) for w in wanted)
    )


def _make_entity(cls: str, names: _Names, taken: set[str], rng: random.Random) -> _Entity:
    if cls == "Person" or cls.endswith("Person"):
        label = names.unique(lambda: f"{names.word(2)} {names.word(rng.choice([2, 3]))}")
        first, last = label.split(" ", 1)
        aliases = [last, f"{first[0]}. {last}"]
        if rng.random() < 0.2:
            aliases.append(f"{first[:3]} {last}")
        return _Entity(_slug(label, taken), cls, label, aliases, f"A synthetic person ({cls}).")
    if cls in ("Place", "City", "Country", "Region") or "Place" in cls:
        label = names.unique(lambda: names.word(3))
        aliases = [f"{label} region"] if cls != "Country" else [f"Republic of {label}"]
        return _Entity(_slug(label, taken), cls, label, aliases, f"A synthetic place ({cls}).")
    if cls == "Event" or cls.endswith("Event"):
        label = names.unique(lambda: f"{names.word(2)} Summit {rng.randint(1995, 2024)}")
        return _Entity(
            _slug(label, taken), cls, label, [label.rsplit(" ", 1)[0]], "A synthetic event."
        )
    if cls in ("List", "Regulation") or cls.endswith("List"):
        label = names.unique(
            lambda: f"{names.word(2)} {rng.choice(['Entity', 'Watch', 'Control'])} List"
        )
        return _Entity(
            _slug(label, taken), cls, label, [f"the {label.split()[0]} list"], "A synthetic list."
        )
    if cls == "Substance" or cls.endswith("Substance"):
        label = names.unique(lambda: names.word(3).lower() + rng.choice(["ine", "ol", "yl"]))
        return _Entity(
            _slug(label, taken), cls, label, [label.upper()[:4]], "A synthetic substance."
        )
    if cls in STYLES:
        words, alias = STYLES[cls]
        label = names.unique(lambda: words[0].format(rng.choice(words[1:]), names.word(2)))
        return _Entity(_slug(label, taken), cls, label, [alias(label)], f"A synthetic {cls}.")
    kind = rng.choice(["Institute", "Ministry", "Bureau", "Council", "Corporation", "Foundation"])
    label = names.unique(lambda: f"{kind} of {names.word(2)} {names.word(2)}")
    aliases = [_acronym(label), label.replace(" of ", " for ")]
    return _Entity(_slug(label, taken), cls, label, aliases, f"A synthetic organisation ({cls}).")


def _acronym(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[0].isupper())


def _entity_count(claims: int) -> int:
    return max(30, claims // 5)


def _literal(pred: Predicate, rng: random.Random, names: _Names) -> tuple[str, str]:
    """A literal object and how the text writes it."""
    if pred.range == "integer":
        value = str(rng.randint(1, 250_000))
        return value, f"{value} {pred.unit}" if pred.unit else value
    if pred.range == "decimal":
        value = f"{rng.randint(0, 99)}.{rng.randint(1, 99):02d}"
        return value, f"{value} {pred.unit}" if pred.unit else value
    if pred.range == "date":
        value = f"{rng.randint(1990, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        return value, value
    value = f"{rng.choice(FILLER)} {names.word(2).lower()} {rng.choice(FILLER)}"
    return value, f"'{value}'"


def _sentence_filler(rng: random.Random) -> str:
    words = [rng.choice(FILLER) for _ in range(rng.randint(6, 16))]
    return " ".join(words).capitalize() + "."


def synthesize(
    out_dir: Path | str, *, claims: int, seed: int = 0, ontology_dir: Path | None = None
) -> SynthSummary:
    """Write a valid curation tree with ``claims`` claims under ``out_dir`` (deterministic).

    ``out_dir`` must be empty or absent. The ontology is copied from ``ontology_dir`` (default:
    the project's ``ontology/``), so the tree builds on its own with ``kg build --root out_dir``.
    """
    if claims < 1:
        raise KgError(f"--claims must be at least 1, not {claims}")
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise KgError(f"{out} is not empty — give a new folder (synth never overwrites)")
    source = Path(ontology_dir) if ontology_dir else default_root() / "ontology"
    onto = load_ontology(source / "kg.ttl")
    rng = random.Random(seed)

    # Entities: outlets and agencies, then the rest by class, in one popularity order.
    names, taken = _Names(rng), set[str]()
    outlets = [
        _Entity(_slug(n, taken), "Outlet", n, [_acronym(n)], "A synthetic news outlet.")
        for n in OUTLET_NAMES
        if "Outlet" in onto.classes
    ]
    agencies = [
        _Entity(_slug(n, taken), "NewsAgency", n, [_acronym(n)], "A synthetic news agency.")
        for n in AGENCY_NAMES
        if "NewsAgency" in onto.classes
    ]
    classes = _entity_classes(onto)
    if not classes:
        raise KgError(f"{source / 'kg.ttl'}: no class usable by claim predicates")
    weights = [CLASS_WEIGHTS.get(c, 1.0) for c in classes]
    per_class: dict[str, int] = dict.fromkeys(classes, 0)
    entities: list[_Entity] = [*outlets, *agencies]
    # every class gets one entity first, so every usable predicate has candidates
    order = classes + rng.choices(classes, weights, k=_entity_count(claims))
    for cls in order:
        if per_class[cls] >= CLASS_CAPS.get(cls, 10**9):
            continue
        per_class[cls] += 1
        entity = _make_entity(cls, names, taken, rng)
        entities.append(entity)
    popularity = entities[:]
    rng.shuffle(popularity)
    rank = {e.id: i for i, e in enumerate(popularity)}
    by_id = {e.id: e for e in entities}
    # where figures count: every figure claim names a place as its scope
    places = [e.id for e in entities if onto.is_subclass(e.type, "Place")]
    people = [
        e
        for e in entities
        if e.type == "Person"
        or (onto.is_subclass(e.type, "Agent") and "Person" not in onto.classes)
    ]

    def pool(cls: str) -> _Picker:
        return _Picker([e for e in entities if onto.is_subclass(e.type, cls)], rank)

    predicates = []
    pickers: dict[str, tuple[_Picker, _Picker | None]] = {}
    for pred in onto.predicates.values():
        subjects = pool(pred.domain)
        objects = pool(pred.range) if pred.kind == "object" else None
        if subjects and (objects is None or objects):
            predicates.append(pred)
            pickers[pred.name] = (subjects, objects)
    if not predicates:
        raise KgError(f"{source / 'kg.ttl'}: no claim predicate has entities for its domain")
    speakers = _Picker(people, rank) if people else None

    # Articles and their claims.
    article_count = max(1, round(claims / sum(CLAIMS_PER_ARTICLE) * 2))
    sizes = [rng.randint(*CLAIMS_PER_ARTICLE) for _ in range(article_count)]
    total = sum(sizes)
    sizes = [max(1, round(s * claims / total)) for s in sizes]
    while sum(sizes) > claims:
        sizes[rng.randrange(len(sizes))] -= 1
        sizes = [s for s in sizes if s > 0]
    while sum(sizes) < claims:
        sizes[rng.randrange(len(sizes))] += 1

    data = out / "data"
    (data / "articles").mkdir(parents=True)
    (data / "claims").mkdir()
    (data / "entities").mkdir()
    shutil.copytree(source, out / "ontology", ignore=shutil.ignore_patterns("*.pyc", ".*"))

    reported: list[tuple[str, str, str, str]] = []  # (subject, predicate, object, text form)
    article_lines: list[str] = []
    written = 0
    for index, size in enumerate(sizes):
        article_id = f"{index:06d}_{rng.getrandbits(64):016x}"
        outlet = rng.choice(outlets).id if outlets and rng.random() > 0.03 else "unknown"
        agency = rng.choice(agencies).id if agencies and rng.random() < 0.25 else None
        year, month, day = rng.randint(2000, 2024), rng.randint(1, 12), rng.randint(1, 28)
        precision = rng.random()
        published = (
            f"{year}-{month:02d}-{day:02d}"
            if precision < 0.8
            else f"{year}-{month:02d}"
            if precision < 0.95
            else str(year)
        )
        dateline = f"Published {published}.\n"  # the text states its date
        text_parts: list[str] = [dateline]
        length = len(dateline)
        article_claims: list[_Claim] = []
        seen: set[tuple[str, str, str, str]] = set()
        values: dict[tuple[str, str, str], str] = {}
        headline = ""
        attempts = 0
        while len(article_claims) < size and attempts < size * 20:
            attempts += 1
            repeat = bool(reported) and rng.random() < REPEAT_SHARE
            if repeat:
                s, p, o, shown = reported[int(len(reported) * rng.random() ** 2)]
                pred = onto.predicates[p]
            else:
                pred = rng.choice(predicates)
                subjects, objects = pickers[pred.name]
                subject = subjects.pick(rng)
                if objects is not None:
                    obj = objects.pick(rng)
                    if obj.id == subject.id:
                        continue
                    o, shown = obj.id, rng.choice([obj.label, *obj.aliases])
                else:
                    o, shown = _literal(pred, rng, names)
                s, p = subject.id, pred.name
            speaker = speakers.pick(rng) if speakers and rng.random() < 0.3 else None
            if speaker is not None and speaker.id in (s, o):
                speaker = None
            key = (s, p, o, speaker.id if speaker else "")
            if key in seen:
                continue
            if pred.transitive and s <= o:
                continue  # transitive edges run one way (to a smaller id): no cycles (kg.lint)
            value_of = (s, p, speaker.id if speaker else "")
            if pred.functional and values.setdefault(value_of, o) != o:
                continue  # one value of a functional predicate per article (kg.lint)
            seen.add(key)
            certainty = "stated" if rng.random() < 0.8 else rng.choice(CERTAINTIES[1:])
            hedge = HEDGES.get(certainty)
            subject_entity = by_id[s]
            said = rng.choice([subject_entity.label, *subject_entity.aliases])
            hedged = f"{hedge} " if hedge else ""
            core = (
                f"{said} {hedged}{pred.label} {shown}"
                if pred.kind == "object"
                else f"the {pred.label} of {said} was {hedged}{shown}"
            )
            if speaker is not None:
                speaker_name = rng.choice([speaker.label, *speaker.aliases])
                before = f"{speaker_name} said that "
                after = f", in remarks {rng.choice(FILLER)} {rng.choice(FILLER)}."
            else:
                before = rng.choice(
                    ["", "On Monday ", "Separately, ", "Earlier, ", "In a filing, "]
                )
                after = "."
            if not headline:
                headline = core[:1].upper() + core[1:]
            claim = _Claim(
                s,
                p,
                o,
                core,
                length + len(before),
                speaker.id if speaker else None,
                certainty=certainty,
            )
            draw = rng.random()
            if draw < 0.2:
                claim.date = published if precision < 0.8 else f"{year}-{month:02d}-{day:02d}"
            elif draw < 0.35:
                first = rng.randint(1990, year)
                claim.valid_from = str(first)
                if rng.random() < 0.6:
                    claim.valid_until = f"{rng.randint(first, year)}-{rng.randint(1, 12):02d}"
            claim.quote = core + _when(claim)  # dates written out: stated in the quote
            if pred.figure:
                claim.scope = places[len(article_claims) % len(places)] if places else None
                if claim.scope is None:
                    continue
            sentence = f"{before}{claim.quote}{after}"
            if rng.random() < 0.02:
                claim.note = "Synthetic note: wording checked against a second source."
            article_claims.append(claim)
            if not repeat:
                reported.append((s, p, o, shown))
            for part in (sentence, " ", _sentence_filler(rng), "\n" if rng.random() < 0.3 else " "):
                text_parts.append(part)
                length += len(part)
        written += len(article_claims)
        text = "".join(text_parts).rstrip() + "\n"
        raw = text.encode()
        (data / "articles" / f"{article_id}.txt").write_bytes(raw)
        record = [
            f"- id: {article_id}",
            f"  title: {_quoted(headline or 'Untitled')}",
            f"  outlet: {outlet}",
        ]
        if agency:
            record.append(f"  agency: {agency}")
        record += [
            f"  published: {published}",
            "  language: en",
            f"  sha256: {hashlib.sha256(raw).hexdigest()}",
        ]
        article_lines.append("\n".join(record))
        (data / "claims" / f"{article_id}.yaml").write_text(
            _claims_yaml(article_claims), encoding="utf-8"
        )
    # the first records in data/articles.yaml, the rest split under data/articles/*.yaml
    for chunk in range(0, len(article_lines), ARTICLES_PER_FILE):
        path = (
            data / "articles.yaml"
            if chunk == 0
            else data / "articles" / f"{chunk // ARTICLES_PER_FILE:04d}.yaml"
        )
        lines = article_lines[chunk : chunk + ARTICLES_PER_FILE]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    head = [*outlets, *agencies]
    rest = entities[len(head) :]
    (data / "entities.yaml").write_text(_entities_yaml(head) if head else "[]\n", encoding="utf-8")
    for chunk in range(0, len(rest), ENTITIES_PER_FILE):
        (data / "entities" / f"{chunk // ENTITIES_PER_FILE:04d}.yaml").write_text(
            _entities_yaml(rest[chunk : chunk + ENTITIES_PER_FILE]), encoding="utf-8"
        )
    return SynthSummary(
        out,
        len(sizes),
        len(entities),
        written,
        len(outlets),
        len(agencies),
        sorted(p.name for p in predicates),
    )


def _entities_yaml(entities: Sequence[_Entity]) -> str:
    lines = []
    for e in entities:
        lines += [f"- id: {e.id}", f"  type: {e.type}", f"  label: {_quoted(e.label)}"]
        aliases = [a for a in dict.fromkeys(e.aliases) if a != e.label]
        if aliases:
            lines.append(f"  aliases: [{', '.join(_quoted(a) for a in aliases)}]")
        lines.append(f"  description: {_quoted(e.description)}")
    return "\n".join(lines) + "\n"


def _claims_yaml(claims: Sequence[_Claim]) -> str:
    lines = []
    for c in claims:
        lines += [
            f"- subject: {c.subject}",
            f"  predicate: {c.predicate}",
            f"  object: {_quoted(c.object)}",
            f"  quote: {_quoted(c.quote)}",
            f"  start: {c.start}",
        ]
        for key, value in (
            ("attributed_to", c.speaker),
            ("date", c.date),
            ("valid_from", c.valid_from),
            ("valid_until", c.valid_until),
            ("scope", c.scope),
        ):
            if value:
                lines.append(f"  {key}: {value}")
        if c.certainty != "stated":
            lines.append(f"  certainty: {c.certainty}")
        if c.note:
            lines.append(f"  note: {_quoted(c.note)}")
    return "\n".join(lines) + "\n" if lines else "[]\n"
