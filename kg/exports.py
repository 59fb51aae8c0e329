"""Write the exports: all files prepared first, then each swapped in with an atomic rename.

Nothing under the output folder changes until every file has been fully written and synced, so
a build that fails or is killed leaves the previous exports as they were.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> [p.name for p in write_files(out, {"a.txt": b"one"})]
['a.txt']
>>> (out / "a.txt").read_bytes()
b'one'
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kg.model import Curation

#: A file's content: bytes, or pieces (bytes, or files whose bytes are copied) to concatenate.
Content = bytes | Sequence[bytes | Path]


def write_files(out_dir: Path, files: Mapping[str, Content]) -> list[Path]:
    """Atomically write ``{name: content}`` into ``out_dir``; returns the final paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    try:
        for name, content in files.items():
            with open(staging / name, "wb") as handle:
                for piece in [content] if isinstance(content, bytes) else content:
                    if isinstance(piece, bytes):
                        handle.write(piece)
                    else:
                        with open(piece, "rb") as source:
                            shutil.copyfileobj(source, handle, 1 << 20)
                handle.flush()
                os.fsync(handle.fileno())
        written = []
        for name in files:
            os.replace(staging / name, out_dir / name)
            written.append(out_dir / name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def stats(curation: Curation, quad_count: int) -> dict[str, Any]:
    """Counts by entity type, predicate and article: the content of exports/stats.json."""
    by_article = Counter(c.article for c in curation.claims)
    return {
        "articles": len(curation.articles),
        "entities": len(curation.entities),
        "claims": len(curation.claims),
        "triples": len({(c.subject, c.predicate, str(c.object)) for c in curation.claims}),
        "quads": quad_count,
        "entities_by_type": dict(
            sorted(Counter(e.type for e in curation.entities.values()).items())
        ),
        "claims_by_predicate": dict(sorted(Counter(c.predicate for c in curation.claims).items())),
        "claims_by_article": {a: by_article.get(a, 0) for a in sorted(curation.articles)},
        "attributed_claims": sum(1 for c in curation.claims if c.attributed_to),
    }


def stats_json(data: Mapping[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode()
