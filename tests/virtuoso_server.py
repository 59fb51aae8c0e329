"""A real Virtuoso server for the tests: a fresh database in a folder of its own, on loopback.

Debian's ``virtuoso-opensource`` package provides ``virtuoso-t`` and a ``virtuoso.ini``; the test
copies that ini, points every file at its own folder and binds both ports (SQL and HTTP) to free
ports of 127.0.0.1, so it never touches the system's database or service. A fresh database has
user ``dba`` with password ``dba``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from kg.server import LOOPBACK, free_port

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

INI_PATHS = (
    Path("/etc/virtuoso-opensource-7/virtuoso.ini"),
    Path("/etc/virtuoso-opensource-6.1/virtuoso.ini"),
)
FILE_KEYS = ("DatabaseFile", "ErrorLogFile", "LockFile", "TransactionFile", "xa_persistent_file")


def require_virtuoso() -> tuple[str, Path]:
    """``virtuoso-t`` and the packaged ini, or skip (fail under CI=true: run.sh installs them)."""
    binary = shutil.which("virtuoso-t")
    ini = next((p for p in INI_PATHS if p.is_file()), None)
    if binary and ini:
        return binary, ini
    message = (
        "Virtuoso is not installed (virtuoso-t and /etc/virtuoso-opensource-7/virtuoso.ini); "
        "bash tests/run.sh installs Debian's virtuoso-opensource"
    )
    if IN_CI:
        pytest.fail(f"CI must run the Virtuoso tests: {message}")
    pytest.skip(message)


def local_ini(packaged: str, folder: Path, sql_port: int, http_port: int) -> str:
    """The packaged ini with every file in ``folder`` and both servers on loopback ports.

    >>> text = "[Database]\\nDatabaseFile = /var/lib/v/virtuoso.db\\n"
    >>> text += "[Parameters]\\nServerPort = 1111 ; the SQL port\\n"
    >>> print(local_ini(text, Path("/t"), 2, 3).strip())
    [Database]
    DatabaseFile = /t/virtuoso.db
    [Parameters]
    ServerPort = 127.0.0.1:2 ; the SQL port
    """
    section = ""
    lines = []
    for line in packaged.splitlines():
        header = re.match(r"\s*\[(.+?)\]", line)
        if header:
            section = header.group(1)
        setting = re.match(r"(\s*)(\w+)(\s*=\s*)([^;]*?)(\s*(;.*)?)$", line)
        if setting and not line.lstrip().startswith(";"):
            indent, key, equals, value, rest = setting.group(1, 2, 3, 4, 5)
            if key in FILE_KEYS:
                value = str(folder / Path(value).name)
            elif key == "ServerPort" and section == "Parameters":
                value = f"{LOOPBACK}:{sql_port}"
            elif key == "ServerPort" and section == "HTTPServer":
                value = f"{LOOPBACK}:{http_port}"
            line = f"{indent}{key}{equals}{value}{rest}"
        lines.append(line)
    return "\n".join(lines) + "\n"


class VirtuosoProcess:
    """``virtuoso-t +foreground`` over a fresh database in ``folder``; a context manager."""

    def __init__(self, folder: Path, startup_timeout: float = 60.0) -> None:
        self.folder = Path(folder)
        self.startup_timeout = startup_timeout
        self.http_port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.http_port}"

    @property
    def endpoint(self) -> str:
        return f"{self.url}/sparql"

    def start(self) -> VirtuosoProcess:
        binary, packaged = require_virtuoso()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.http_port, sql_port = free_port(), free_port()
        ini = self.folder / "virtuoso.ini"
        ini.write_text(local_ini(packaged.read_text(), self.folder, sql_port, self.http_port))
        log = open(self.folder / "console.log", "wb")  # noqa: SIM115 (kept while it runs)
        self._process = subprocess.Popen(
            [binary, "+foreground", "+configfile", str(ini)],
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                socket.create_connection((LOOPBACK, self.http_port), timeout=0.5).close()
                with urllib.request.urlopen(f"{self.endpoint}?query=ASK%7B%7D", timeout=5):
                    return
            except OSError:
                time.sleep(0.2)
        said = (self.folder / "console.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"Virtuoso did not start in {self.startup_timeout:g} s: {said}")

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(timeout=10)
        self._process = None

    def __enter__(self) -> VirtuosoProcess:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
