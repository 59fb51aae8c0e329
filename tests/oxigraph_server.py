"""A real, writable Oxigraph server (the ``oxigraph`` program of the PyPI package ``oxigraph``,
the ``server`` extra) on a free loopback port: the SPARQL 1.1 store that ``kg push`` tests push
to and query. kg itself does not need the program."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import time
from pathlib import Path

from kg.engine import LOOPBACK, ChildProcess, free_port
from kg.errors import EndpointError


def oxigraph_binary() -> str:
    """The ``oxigraph`` server program: beside this Python first, then on PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("oxigraph")
    if found:
        return found
    raise EndpointError(
        "the Oxigraph server program `oxigraph` is not installed — "
        "pip install oxigraph (the test extra has it)"
    )


class OxigraphProcess(ChildProcess):
    """``oxigraph serve`` over the store at ``location`` on a free port of 127.0.0.1 (writable),
    dying with this Python process; startup waits at most ``startup_timeout`` seconds."""

    def __init__(self, location: Path, *, startup_timeout: float = 10.0) -> None:
        super().__init__()
        self.location = Path(location)
        self.startup_timeout = startup_timeout
        self.port = 0

    @property
    def url(self) -> str:
        """The server's base URL (its SPARQL endpoint is ``url + "/query"``)."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> OxigraphProcess:
        binary = oxigraph_binary()
        for _attempt in range(3):
            self.port = free_port()
            self._launch(
                [binary, "serve", "--location", str(self.location), "--bind", self.url[7:]]
            )
            if self._wait_ready():
                return self
            said = self.said()
            self.stop()
            if "in use" not in said:  # another program took the port: try another one
                raise EndpointError(
                    f"the Oxigraph server did not start on {self.location}: "
                    f"{said or 'no message'} — is the store folder valid?"
                )
        raise EndpointError("the Oxigraph server found no free port on 127.0.0.1")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return False
            try:
                socket.create_connection((LOOPBACK, self.port), timeout=0.5).close()
                return True
            except OSError:
                time.sleep(0.01)
        self.stop()
        raise EndpointError(f"the Oxigraph server did not listen within {self.startup_timeout:g} s")

    def stop(self, *, gently: bool = True) -> None:
        """End the server: SIGTERM (it may be writing), then SIGKILL after 5 s."""
        super().stop(gently=gently)
