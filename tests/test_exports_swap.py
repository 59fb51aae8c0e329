"""The exports change all together or not at all: a fault at each step of the swap, a kill at
each step, leftovers cleaned by the next build, the build lock, and the SHACL child's death."""

from __future__ import annotations

import errno
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg
from kg import exports
from kg.cli import main
from kg.errors import BuildLocked, ExportError
from tests.conftest import BASE_CLAIMS, ROOT

CHANGED_CLAIMS = BASE_CLAIMS.replace("start: 0\n", "start: 0\n  certainty: approximate\n")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def leftovers(tree: Path) -> list[str]:
    beside = [
        p.name for p in tree.iterdir() if p.name.startswith((".exports.staging", ".exports.old"))
    ]
    inside = [p.name for p in (tree / "exports").glob(".staging-*")]
    return beside + inside


@pytest.fixture
def built(make_tree):
    """A tree built once, then changed so that the next build writes different exports;
    returns (tree, the exports before, the exports the next build should write)."""
    tree = make_tree()
    kg.build(tree, html=False, shacl=False)
    before = snapshot(tree / "exports")
    (tree / "data" / "claims" / "a1.yaml").write_text(CHANGED_CLAIMS)
    kg.build(tree, tree.parent / "expected", html=False, shacl=False)
    after = snapshot(tree.parent / "expected")
    assert after != before
    return tree, before, after


def fail_at(monkeypatch, target, name, nth, code):
    """Make the nth call of target.name raise OSError(code)."""
    real = getattr(target, name, None) or getattr(__builtins__, name, None) or open
    calls = []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == nth:
            raise OSError(code, os.strerror(code), str(args[0]) if args else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, failing, raising=False)
    return calls


FAULTS = {
    # step: (object, attribute, which call fails, errno, words of the message)
    "staging folder cannot be made (read-only folder)": (
        exports.tempfile,
        "mkdtemp",
        1,
        errno.EROFS,
        "read-only file system",
    ),
    "staging folder not writable (permission)": (
        exports.tempfile,
        "mkdtemp",
        1,
        errno.EACCES,
        "permission denied",
    ),
    "disk full writing the second file": (exports, "open", 2, errno.ENOSPC, "no space left"),
    "fsync of the third file": (exports.os, "fsync", 3, errno.EIO, "input/output error"),
    "chmod of the staging folder": (exports.os, "chmod", 1, errno.EPERM, "permission denied"),
    "fsync of the staging folder": (exports, "_fsync_dir", 1, errno.ENOSPC, "no space left"),
    "the exchange (rename) is refused": (exports, "exchange", 1, errno.EACCES, "permission"),
    "fsync of the parent after the swap": (exports, "_fsync_dir", 2, errno.EIO, "input/output"),
}


@pytest.mark.parametrize("step", list(FAULTS))
def test_a_fault_at_each_step_leaves_the_old_exports_and_no_leftovers(built, monkeypatch, step):
    tree, before, _after = built
    target, name, nth, code, words = FAULTS[step]
    calls = fail_at(monkeypatch, target, name, nth, code)
    with pytest.raises(ExportError) as caught:
        kg.build(tree, html=False, shacl=False)
    assert len(calls) >= nth, "the fault was not reached"
    message = str(caught.value)
    assert "\n" not in message and words in message.lower()
    assert "previous exports are unchanged" in message
    assert snapshot(tree / "exports") == before
    assert leftovers(tree) == []


FALLBACK_FAULTS = {
    "moving the old folder aside": 1,
    "moving the new folder in": 2,
}


@pytest.mark.parametrize("step", list(FALLBACK_FAULTS))
def test_without_an_atomic_exchange_each_rename_of_the_fallback_rolls_back(
    built, monkeypatch, step
):
    tree, before, after = built
    fail_at(monkeypatch, exports, "exchange", 1, errno.EINVAL)  # no RENAME_EXCHANGE here
    fail_at(monkeypatch, exports.os, "rename", FALLBACK_FAULTS[step], errno.EIO)
    with pytest.raises(ExportError):
        kg.build(tree, html=False, shacl=False)
    assert snapshot(tree / "exports") == before
    assert leftovers(tree) == []
    monkeypatch.undo()
    fail_at(monkeypatch, exports, "exchange", 1, errno.EINVAL)
    kg.build(tree, html=False, shacl=False)  # and the fallback works when nothing fails
    assert snapshot(tree / "exports") == after
    assert leftovers(tree) == []


def test_a_directory_in_the_way_is_one_line_and_changes_nothing(built):
    tree, before, _after = built
    (tree / "exports" / "kg.jsonld").unlink()
    (tree / "exports" / "kg.jsonld").mkdir()
    before.pop("kg.jsonld")
    result = CliRunner().invoke(main, ["build", "--root", str(tree), "--no-html", "--no-shacl"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1:] == [
        f"kg: {tree / 'exports' / 'kg.jsonld'} is a folder, in the way of the export kg.jsonld "
        "— move it away; the previous exports are unchanged"
    ]
    assert {k: v for k, v in snapshot(tree / "exports").items() if k != "kg.jsonld"} == before
    assert (tree / "exports" / "kg.jsonld").is_dir()


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
        (errno.ENOSPC, "no space left on device"),
    ],
)
def test_write_errors_are_one_line_in_the_cli(built, monkeypatch, code, words):
    tree, before, _after = built
    fail_at(monkeypatch, exports, "open", 1, code)
    result = CliRunner().invoke(main, ["build", "--root", str(tree), "--no-html", "--no-shacl"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [line] = result.output.splitlines()[-1:]
    assert line.startswith(f"kg: cannot write the exports to {tree / 'exports'}: {words}")
    assert snapshot(tree / "exports") == before


def test_a_read_only_project_folder_is_one_line(built, monkeypatch):
    tree, _before, _after = built
    (tree / ".exports.lock").unlink()
    fail_at(monkeypatch, exports.os, "open", 1, errno.EROFS)
    result = CliRunner().invoke(main, ["build", "--root", str(tree), "--no-html", "--no-shacl"])
    assert result.exit_code == 1
    assert result.output.startswith("kg: cannot write the exports to ")
    assert "read-only file system" in result.output and "Traceback" not in result.output
    assert len(result.output.splitlines()) == 1


def test_an_unexpected_os_error_in_the_cli_is_one_line(monkeypatch, make_tree):
    tree = make_tree()
    fail_at(monkeypatch, kg.api, "load_curation", 1, errno.EIO)
    result = CliRunner().invoke(main, ["build", "--root", str(tree)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"kg: {tree}: Input/output error — rerun with --debug for details"
    ]


# --- a kill anywhere -----------------------------------------------------------------------

KILL_POINTS = {
    "while writing the staging files": "e.os.fsync = die_on(e.os.fsync, 2)",
    "before the exchange": "e.exchange = die_on(e.exchange, 1)",
    "after the exchange, before the old folder is removed": (
        "e.shutil.rmtree = die_on(e.shutil.rmtree, 1)"
    ),
    "between the two renames of the fallback swap": (
        "e.exchange = no_exchange\ne.os.rename = die_on(e.os.rename, 2)"
    ),
    "after the fallback swap": (
        "e.exchange = no_exchange\ne.shutil.rmtree = die_on(e.shutil.rmtree, 1)"
    ),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_kill_anywhere_leaves_old_or_new_and_the_next_build_repairs(built, point):
    tree, before, after = built
    script = (
        "import errno, os, signal, kg, kg.exports as e\n"
        "def die_on(real, nth):\n"
        "    calls = []\n"
        "    def wrapper(*a, **k):\n"
        "        calls.append(a)\n"
        "        if len(calls) == nth:\n"
        "            os.kill(os.getpid(), signal.SIGKILL)\n"
        "        return real(*a, **k)\n"
        "    return wrapper\n"
        "def no_exchange(*a):\n"
        "    raise OSError(errno.EINVAL, 'no exchange')\n"
        f"{KILL_POINTS[point]}\n"
        f"kg.build({str(tree)!r}, html=False, shacl=False)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    out = tree / "exports"
    if out.is_dir():  # at every point but one, the folder is the old or the new one, whole
        assert snapshot(out) in (before, after)
    else:
        assert point == "between the two renames of the fallback swap"
    kg.build(tree, html=False, shacl=False)
    assert snapshot(out) == after
    assert leftovers(tree) == []


def test_the_next_build_removes_staging_folders_of_old_killed_builds(built):
    tree, _before, after = built
    (tree / "exports" / ".staging-abc").mkdir()  # what builds before the folder swap left
    (tree / "exports" / ".staging-abc" / "kg.nq").write_bytes(b"x" * 1000)
    (tree / ".exports.staging-123").mkdir()
    kg.build(tree, html=False, shacl=False)
    assert leftovers(tree) == []
    assert snapshot(tree / "exports") == after


def test_files_the_build_does_not_write_are_kept(built):
    tree, _before, after = built
    (tree / "exports" / "notes.txt").write_text("mine\n")
    kg.build(tree, html=False, shacl=False)
    assert snapshot(tree / "exports") == {**after, "notes.txt": b"mine\n"}


# --- the lock ----------------------------------------------------------------------------


def test_a_second_build_refuses_with_no_wait(built):
    tree, before, _after = built
    with exports.build_lock(tree / "exports"):
        with pytest.raises(BuildLocked, match=f"another build \\(pid {os.getpid()}\\)"):
            kg.build(tree, html=False, shacl=False, wait=False)
        done = subprocess.run(
            [sys.executable, "-m", "kg", "build", "--root", str(tree), "--no-wait", "--no-html"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert done.stderr == (
        f"kg: another build (pid {os.getpid()}) is writing {tree / 'exports'} — wait for it, "
        "or run without --no-wait to wait\n"
    )
    assert snapshot(tree / "exports") == before


def test_a_second_build_waits_with_a_message_then_builds(built):
    tree, _before, after = built
    with exports.build_lock(tree / "exports"):
        waiting = subprocess.Popen(
            [sys.executable, "-m", "kg", "build", "--root", str(tree), "--no-html", "--no-shacl"],
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert waiting.stderr is not None
        ready, _, _ = select.select([waiting.stderr], [], [], 60)
        assert ready, "the second build said nothing"
        line = waiting.stderr.readline()
        assert line == (
            f"waiting for another build (pid {os.getpid()}) writing {tree / 'exports'} to finish…\n"
        )
        time.sleep(0.2)
        assert waiting.poll() is None  # still waiting while the lock is held
    _out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert snapshot(tree / "exports") == after


# --- the SHACL child ---------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_the_shacl_child_dies_with_its_killed_parent():
    script = (
        "import os, signal, sys, time\n"
        "import kg.shacl as s\n"
        "from kg.curation import load_curation\n"
        "from kg.rdf import iter_quads\n"
        "quads = list(iter_quads(load_curation()))\n"
        "s.check_shapes = lambda *a: time.sleep(60)\n"
        "check = s.ShapesCheck(quads)\n"
        "time.sleep(0.5)\n"
        "print(check._child.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the SHACL child outlived its killed parent"


@pytest.mark.parametrize("code", [None, errno.EXDEV, errno.ENOSYS])
def test_pieces_copied_from_files_give_the_same_bytes_with_or_without_copy_file_range(
    tmp_path, monkeypatch, code
):
    """Stored pieces are copied by the kernel (copy_file_range) where it can; where it refuses,
    part way or at once, the copy goes on by reading and writing, and the bytes are the same."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_bytes(b"A" * 300_000)
    second.write_bytes(b"B" * 5)
    if code is not None:
        real = os.copy_file_range

        def refusing(source, target, count, *args):
            if os.lseek(source, 0, os.SEEK_CUR) >= 100_000:  # after some bytes went across
                raise OSError(code, os.strerror(code))
            return real(source, target, min(count, 100_000), *args)

        monkeypatch.setattr(os, "copy_file_range", refusing)
    out = tmp_path / "exports"
    with exports.build_lock(out):
        exports.write_files(out, {"x.nq": [b"head\n", first, b",", second, b"tail"]})
    assert (out / "x.nq").read_bytes() == b"head\n" + b"A" * 300_000 + b"," + b"B" * 5 + b"tail"
