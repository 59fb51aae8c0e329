"""Write the exports as one unit: they change all together or not at all.

A build writes every file into a staging folder next to the output folder (``.exports.staging-*``
beside ``exports/``), syncs it, links in the files it does not rewrite, and then swaps the two
folders in one atomic step (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames that
the next build repairs if a kill lands between them). Whatever fails before the swap, the output
folder is untouched; a kill at any point leaves either the old or the new exports, and
leftovers that the next build removes. A build holds a lock (``.exports.lock`` beside the
folder) from start to end, so two builds never interleave.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "exports"
>>> with build_lock(out):
...     [p.name for p in write_files(out, {"a.txt": b"one"})]
['a.txt']
>>> (out / "a.txt").read_bytes()
b'one'
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import shutil
import stat
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from kg.errors import BuildLocked, ExportError, ExportShrinkError
from kg.model import Curation

#: A build that would drop more than this share of the exported claims or entities needs a flag.
SHRINK_LIMIT = 0.2
#: Errors of renameat2 that mean "this system cannot exchange": fall back to two renames.
_NO_EXCHANGE = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _sibling(out_dir: Path, kind: str) -> str:
    """Name prefix of the lock, staging and old folders that live beside ``out_dir``."""
    return f".{out_dir.name}.{kind}"


def lock_path(out_dir: Path) -> Path:
    """The lock file of an output folder: ``.exports.lock`` beside ``exports/``."""
    return out_dir.parent / _sibling(out_dir, "lock")


@contextmanager
def build_lock(
    out_dir: Path, *, wait: bool = True, say: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the build lock of ``out_dir`` (an ``fcntl`` lock, released even on a kill), and
    repair or remove what a killed build left beside it.

    Another build holding it: wait, saying so, or raise :class:`BuildLocked` if ``wait`` is
    False.
    """
    out_dir = output_folder(out_dir)
    path = lock_path(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as err:
        raise ExportError(_describe(err, out_dir)) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            if not wait:
                raise BuildLocked(
                    f"another build (pid {holder}) is writing {out_dir} — wait for it, "
                    "or run without --no-wait to wait"
                ) from None
            if say:
                say(f"waiting for another build (pid {holder}) writing {out_dir} to finish…")
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            repair(out_dir)
        except OSError as err:
            raise ExportError(_describe(err, out_dir)) from None
        yield
    finally:
        os.close(fd)


def repair(out_dir: Path) -> list[Path]:
    """Undo or finish what a killed build left beside ``out_dir``; returns what it removed.

    Call it holding the build lock. A staging folder is never live: it is removed. An old
    folder is the previous exports: put back if the kill came between the two renames of the
    fallback swap (``out_dir`` is missing), else removed.
    """
    out_dir = Path(out_dir)
    parent = out_dir.parent
    if not parent.is_dir():
        return []
    removed: list[Path] = []
    olds = sorted(parent.glob(_sibling(out_dir, "old-*")), key=lambda p: p.stat().st_mtime)
    if olds and not out_dir.exists():
        os.rename(olds.pop(), out_dir)
    leftovers = [*parent.glob(_sibling(out_dir, "staging-*")), *olds]
    if out_dir.is_dir():
        leftovers += out_dir.glob(".staging-*")  # left by builds before the folder swap
    for leftover in sorted(leftovers):
        shutil.rmtree(leftover, ignore_errors=True)
        removed.append(leftover)
    return removed


@contextmanager
def scratch_folder(out_dir: Path) -> Iterator[Path]:
    """A folder beside ``out_dir`` for export files a build makes before it writes them (on
    the disk the exports go to, not in memory); removed at the end, or, if the build is
    killed, by the next build's :func:`repair` (it is named as a staging folder is).
    Call it holding :func:`build_lock`."""
    out_dir = output_folder(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder = Path(tempfile.mkdtemp(prefix=_sibling(out_dir, "staging-"), dir=out_dir.parent))
    except OSError as err:
        raise ExportError(_describe(err, out_dir)) from None
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


#: A file's content: bytes, or pieces (bytes, or files whose bytes are copied) to concatenate.
Content = bytes | Sequence[bytes | Path]


def write_files(
    out_dir: Path, files: Mapping[str, Content], *, allow_drop: bool = True
) -> list[Path]:
    """Write ``{name: content}`` into ``out_dir`` as one unit; returns the final paths.

    Files already in ``out_dir`` that ``files`` does not name are kept. Unless ``allow_drop``,
    a new ``stats.json`` counting far fewer claims or entities than the current one is refused
    (see :func:`check_shrink`). Any failure raises :class:`ExportError` and leaves ``out_dir``
    as it was. Call it holding :func:`build_lock`.
    """
    out_dir = output_folder(out_dir)
    _check_in_the_way(out_dir, files)
    if not allow_drop and "stats.json" in files:
        stats_file = files["stats.json"]
        assert isinstance(stats_file, bytes)
        check_shrink(out_dir, json.loads(stats_file))
    try:
        staging = _stage(out_dir, files)
    except OSError as err:
        raise ExportError(_describe(err, out_dir)) from None
    try:
        _swap(staging, out_dir)
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise ExportError(_describe(err, out_dir)) from None
    return [out_dir / name for name in files]


def output_folder(out_dir: Path) -> Path:
    """The folder the exports go to: ``out_dir``, or where it points if it is a symlink (the
    swap replaces a folder, never the link)."""
    out_dir = Path(out_dir)
    return out_dir.resolve() if out_dir.is_symlink() else out_dir


def _check_in_the_way(out_dir: Path, files: Mapping[str, Content]) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(
            f"{out_dir} is not a folder — move it away or choose another --out; nothing was written"
        )
    for name in sorted(files):
        path = out_dir / name
        if path.is_symlink() or (path.exists() and not path.is_file()):
            what = "a folder" if path.is_dir() else "not a regular file"
            raise ExportError(
                f"{path} is {what}, in the way of the export {name} — move it away; "
                "the previous exports are unchanged"
            )


def _stage(out_dir: Path, files: Mapping[str, Content]) -> Path:
    """A synced folder beside ``out_dir`` holding the new files and links to the others."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=_sibling(out_dir, "staging-"), dir=out_dir.parent))
    try:
        mode = stat.S_IMODE(out_dir.stat().st_mode) if out_dir.is_dir() else _default_mode()
        os.chmod(staging, mode)
        for name, content in files.items():
            with open(staging / name, "wb") as handle:
                for piece in [content] if isinstance(content, bytes) else content:
                    if isinstance(piece, bytes):
                        handle.write(piece)
                    else:
                        handle.flush()  # what is buffered goes before the copied bytes
                        _copy_file(piece, handle)
                handle.flush()
                os.fsync(handle.fileno())
        if out_dir.is_dir():
            for kept in sorted(out_dir.iterdir()):
                if kept.name not in files and not kept.name.startswith(".staging-"):
                    _link(kept, staging / kept.name)
        _fsync_dir(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _copy_file(source: Path, target: BinaryIO) -> None:
    """Append the bytes of ``source`` to ``target`` (flushed), copied by the kernel where it
    can (``copy_file_range``: no pass through Python), else read and written."""
    with open(source, "rb") as handle:
        copy_range = getattr(os, "copy_file_range", None)
        try:
            while copy_range is not None and copy_range(handle.fileno(), target.fileno(), 1 << 30):
                pass
            done = os.lseek(handle.fileno(), 0, os.SEEK_CUR)
            if copy_range is not None and done == os.fstat(handle.fileno()).st_size:
                return
            # some file systems answer 0 before the end: the rest is read and written
        except OSError as err:  # a file system or kernel that cannot: copy from where it stopped
            if err.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
        shutil.copyfileobj(handle, target, 1 << 20)


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def _link(source: Path, target: Path) -> None:
    """Hard-link (or copy, where links are not allowed) a kept entry into the staging folder."""
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True, copy_function=_link_file)
    else:
        _link_file(str(source), str(target))


def _link_file(source: str, target: str) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copy2(source, target, follow_symlinks=False)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def exchange(first: Path, second: Path) -> None:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Raises ``OSError(ENOSYS)`` where the C library has no renameat2.
    """
    renameat2 = getattr(_libc(), "renameat2", None)
    if renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available", str(second))
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    done = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if done != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(second))


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _swap(staging: Path, out_dir: Path) -> None:
    """Put the staging folder in place of ``out_dir``; on any error ``out_dir`` is as before."""
    if not out_dir.exists():
        os.rename(staging, out_dir)
        _fsync_dir(out_dir.parent)
        return
    try:
        exchange(staging, out_dir)
        old = staging
    except OSError as err:
        if err.errno not in _NO_EXCHANGE:
            raise
        old = Path(tempfile.mkdtemp(prefix=_sibling(out_dir, "old-"), dir=out_dir.parent))
        try:
            os.rename(out_dir, old)  # replaces the empty folder just made
        except OSError:
            shutil.rmtree(old, ignore_errors=True)
            raise
        try:
            os.rename(staging, out_dir)
        except OSError:
            os.rename(old, out_dir)
            raise
    try:
        _fsync_dir(out_dir.parent)
    except OSError:
        _swap_back(old, out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _swap_back(old: Path, out_dir: Path) -> None:
    """Undo a swap whose result could not be made durable."""
    try:
        exchange(old, out_dir)
    except OSError:
        new = out_dir.with_name(f"{old.name}-undone")
        os.rename(out_dir, new)
        os.rename(old, out_dir)
        old = new
    shutil.rmtree(old, ignore_errors=True)


def _describe(err: OSError, out_dir: Path) -> str:
    """One line for a failed write of the exports: what, where, and what to do."""
    where = err.filename or out_dir
    if err.errno == errno.ENOSPC:
        return (
            f"cannot write the exports to {out_dir}: no space left on device ({where}) — "
            "free some space and build again; the previous exports are unchanged"
        )
    if err.errno == errno.EDQUOT:
        return (
            f"cannot write the exports to {out_dir}: disk quota exceeded ({where}) — "
            "free some space and build again; the previous exports are unchanged"
        )
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        reason = "read-only file system" if err.errno == errno.EROFS else "permission denied"
        return (
            f"cannot write the exports to {out_dir}: {reason} ({where}) — make the folder "
            "writable or choose another --out; the previous exports are unchanged"
        )
    if err.errno in (errno.EISDIR, errno.ENOTDIR, errno.ENOTEMPTY, errno.EEXIST):
        return (
            f"cannot write the exports to {out_dir}: {err.strerror} ({where}) — move what is "
            "in the way; the previous exports are unchanged"
        )
    return (
        f"cannot write the exports to {out_dir}: {err.strerror or err} ({where}) — "
        "the previous exports are unchanged"
    )


def check_shrink(out_dir: Path, new: Mapping[str, Any], limit: float = SHRINK_LIMIT) -> None:
    """Refuse a build that would drop more than ``limit`` of the claims or entities counted in
    the current ``stats.json`` of ``out_dir``, naming what would vanish."""
    try:
        old = json.loads((Path(out_dir) / "stats.json").read_bytes())
    except (OSError, ValueError):
        return  # no usable previous stats: nothing to compare with
    message = shrink_message(old, new, limit)
    if message:
        raise ExportShrinkError(
            f"{message} compared with {Path(out_dir) / 'stats.json'} — if that is intended, "
            "build again with --allow-drop (kg.build(..., allow_drop=True)); nothing was written",
            message.split("; "),
        )


def shrink_message(
    old: Mapping[str, Any], new: Mapping[str, Any], limit: float = SHRINK_LIMIT
) -> str:
    """What a build drops, if it drops more than ``limit`` of the claims or of the entities.

    >>> old = {"claims": 10, "entities": 4, "claims_by_article": {"a": 8, "b": 2},
    ...        "entities_by_type": {"Person": 4}}
    >>> new = {"claims": 2, "entities": 4, "claims_by_article": {"b": 2},
    ...        "entities_by_type": {"Person": 4}}
    >>> print(shrink_message(old, new))
    this build would drop 8 of 10 claims (articles: a 8 → 0)
    """
    parts = []
    for what, by, label in (
        ("claims", "claims_by_article", "articles"),
        ("entities", "entities_by_type", "types"),
    ):
        before, after = old.get(what), new.get(what)
        if not isinstance(before, int) or not isinstance(after, int) or before <= 0:
            continue
        lost = before - after
        if lost <= 0 or lost / before <= limit:
            continue
        groups = _counts(old.get(by))
        now = _counts(new.get(by))
        shrunk = [
            (name, count, now.get(name, 0))
            for name, count in groups.items()
            if now.get(name, 0) < count
        ]
        shrunk.sort(key=lambda row: (row[2] - row[1], row[0]))
        shown = ", ".join(f"{name} {a} → {b}" for name, a, b in shrunk[:10])
        more = f" and {len(shrunk) - 10:,} more" if len(shrunk) > 10 else ""
        parts.append(
            f"this build would drop {lost:,} of {before:,} {what} ({label}: {shown}{more})"
        )
    return "; ".join(parts)


def _counts(value: object) -> dict[str, int]:
    """A ``{name: count}`` mapping of stats.json, or nothing if it is not one."""
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, int)}


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
