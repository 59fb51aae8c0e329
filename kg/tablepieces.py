"""The spreadsheet and FollowTheMoney exports of a build (``entities.csv``, ``claims.csv``,
``kg.ftm.json``) put together from one piece per article, reused from the build cache.

An article's piece holds its rows of ``claims.csv``, the FtM entities its claims become (each
with its id, for the file's order) and how many of its claims name each entity. Its key is the
article's claims key (:meth:`kg.buildcache.BuildCache.claims_key`: the claims file's bytes, the
article's id and text, the code and the ontology) with everything else the rows read: the
article's record, every field of the entities its claims and its record name, and the
authorities of the lists its claims name. The files are the bytes :mod:`kg.csvexport` and
:mod:`kg.ftm` write for the whole curation (tested after edits of each kind).

>>> from kg.api import validate
>>> from kg.csvexport import claims_csv
>>> curation = validate()
>>> tables(curation)["claims.csv"] == claims_csv(curation, load_ontology())
True
"""

from __future__ import annotations

import hashlib
import pickle
from collections import Counter
from collections.abc import Mapping

from kg.buildcache import BuildCache, record_text
from kg.csvexport import claim_lines, claims_header, entity_table, mentions
from kg.ftm import (
    authorities_of,
    ftm_file,
    ftm_line,
    record_entities,
    schemas_of,
    statement_lines,
)
from kg.model import Claim, Curation
from kg.ontology import Ontology, load_ontology
from kg.rdf import claims_by_article

#: An article's piece: its claims.csv rows, its FtM (id, line) pairs, and its claims and
#: articles naming each entity.
Piece = tuple[bytes, list[tuple[str, str]], Counter[str], Counter[str]]


def tables(
    curation: Curation, ontology: Ontology | None = None, cache: BuildCache | None = None
) -> dict[str, bytes]:
    """``entities.csv``, ``claims.csv`` and ``kg.ftm.json`` of ``curation``, reusing the piece
    of each article whose inputs did not change since a build that stored it in ``cache``."""
    onto = ontology or load_ontology()
    schemas = schemas_of(curation, onto)
    authorities = authorities_of(curation)
    pieces: dict[str, Piece] = {}
    records: dict[str, str] = {}  # the digest of each entity's record_text, made once
    for article_id, claims in claims_by_article(curation).items():  # the curation's order
        key = _piece_key(cache, curation, article_id, claims, authorities, records)
        piece = _load(cache, key) if key else None
        if piece is None:
            piece = (
                claim_lines(curation, claims, onto),
                statement_lines(claims, curation, onto, schemas, authorities),
                *mentions(claims),
            )
            if key and cache is not None:
                cache.keep_piece(key, pickle.dumps(piece, protocol=5))
        pieces[article_id] = piece
    named: Counter[str] = Counter()
    articles: Counter[str] = Counter()
    ftm = [(entity["id"], ftm_line(entity)) for entity in record_entities(curation, schemas)]
    for _rows, statements, claims_naming, naming_articles in pieces.values():
        ftm += statements
        named.update(claims_naming)
        articles.update(naming_articles)
    ftm.sort(key=lambda pair: pair[0])  # stable: as kg.ftm sorts
    return {
        "entities.csv": entity_table(curation, named, articles),
        "claims.csv": claims_header() + b"".join(pieces[a][0] for a in sorted(pieces)),
        "kg.ftm.json": ftm_file(line for _id, line in ftm),
    }


def _piece_key(
    cache: BuildCache | None,
    curation: Curation,
    article_id: str,
    claims: list[Claim],
    authorities: Mapping[str, set[str]],
    records: dict[str, str],
) -> str | None:
    """The key of an article's piece; ``records`` keeps the digest of each entity's record
    text made."""
    claims_key = cache.keys.get(article_id) if cache is not None else None
    if cache is None or not claims_key:
        return None
    article = curation.articles[article_id]
    names = {article.outlet, article.agency}
    for claim in claims:
        names.update((claim.subject, claim.attributed_to, claim.scope))
        if isinstance(claim.object, str):
            names.add(claim.object)
    names.discard(None)
    entities = [records.get(n) or _record_digest(records, n, curation) for n in sorted(names)]
    lists = [(n, sorted(authorities[n])) for n in sorted(names, key=str) if n in authorities]
    return cache.key("tables", claims_key, record_text(article), repr(entities), repr(lists))


def _record_digest(records: dict[str, str], name: str, curation: Curation) -> str:
    """The SHA-256 of an entity's :func:`record_text`, made once per build."""
    made = hashlib.sha256(record_text(curation.entities.get(name)).encode()).hexdigest()
    records[name] = made
    return made


def _load(cache: BuildCache | None, key: str) -> Piece | None:
    data = cache.piece(key) if cache is not None else None
    return None if data is None else pickle.loads(data)
