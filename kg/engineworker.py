"""One engine process of ``kg serve``: pyoxigraph over a snapshot, answering on a Unix socket.

One job: run the SPARQL queries the guard (:mod:`kg.guard`) passes on, and nothing else. It
listens on no TCP port, only on a socket file inside kg serve's private snapshot folder (mode
0700, the socket itself 0600), so no web page, even through DNS rebinding, and no other user
can reach it: whatever asks it has gone through the guard's Host, Origin, SERVICE/LOAD, row and
deadline policy. :mod:`kg.engine` starts it with a parent-death signal and kills it at a
deadline.

It speaks the SPARQL 1.1 protocol's query operation, as far as the guard uses it: ``POST
/query`` with an ``application/sparql-query`` body and ``default-graph-uri`` /
``named-graph-uri`` in the query string; solutions and booleans in TSV, graphs in N-Triples,
streamed in chunks (a reader that stops reading stops the query); a query that does not parse
is a 400 with the parser's message.

    python -P kg/engineworker.py --location SNAPSHOT --socket SNAPSHOT/../cheap.sock

It imports nothing of kg (it is started as a file, without the package's imports).
"""

from __future__ import annotations

import argparse
import io
import os
import socketserver
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pyoxigraph as ox

_TSV = "text/tab-separated-values; charset=utf-8"
_NT = "application/n-triples"
#: Bytes gathered before a chunk is sent.
_CHUNK = 64 << 10


class _Answer(io.RawIOBase):
    """Where an answer is serialised: its first 64 KiB are held back, so that a query failing
    before then still gets an error status; after that the answer goes out in HTTP/1.1 chunks.
    """

    def __init__(self, handler: _Handler, media: str) -> None:
        self.handler, self.media = handler, media
        self.pending = bytearray()
        self.started = False
        #: Whether the reader hung up (a failed write), as opposed to the query failing.
        self.hung_up = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        size = len(data)
        if not self.started:
            self.pending += data
            if len(self.pending) >= _CHUNK:
                self.handler.send_response(200)
                self.handler.send_header("Content-Type", self.media)
                self.handler.send_header("Transfer-Encoding", "chunked")
                self.handler.end_headers()
                self.started = True
                self._send(b"%x\r\n" % len(self.pending) + bytes(self.pending) + b"\r\n")
                self.pending.clear()
        elif size:
            self._send(b"%x\r\n" % size + bytes(data) + b"\r\n")
        return size

    def _send(self, data: bytes) -> None:
        try:
            self.handler.wfile.write(data)
        except OSError:
            self.hung_up = True
            raise

    def finish(self) -> None:
        """The whole answer was written: end it."""
        if self.started:
            self._send(b"0\r\n\r\n")
        else:
            self.handler.send_response(200)
            self.handler.send_header("Content-Type", self.media)
            self.handler.send_header("Content-Length", str(len(self.pending)))
            self.handler.end_headers()
            self._send(bytes(self.pending))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the guard logs; a Unix socket has no client address to print

    def _plain(self, status: int, message: str) -> None:
        body = message.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        text = self.rfile.read(length).decode("utf-8", "replace")
        if url.path != "/query":
            self._plain(404, "only /query is served")
            return
        params = urllib.parse.parse_qs(url.query)
        try:
            default = [ox.NamedNode(iri) for iri in params.get("default-graph-uri", [])]
            named = [ox.NamedNode(iri) for iri in params.get("named-graph-uri", [])]
            answer = self.server.store.query(
                text, default_graph=default or None, named_graphs=named or None
            )
        except (SyntaxError, ValueError) as err:
            self._plain(400, str(err))
            return
        if isinstance(answer, ox.QueryBoolean):
            out = _Answer(self, _TSV)
            out.write(answer.serialize(format=ox.QueryResultsFormat.TSV) or b"")
            out.finish()
            return
        is_graph = isinstance(answer, ox.QueryTriples)
        out = _Answer(self, _NT if is_graph else _TSV)
        try:
            if is_graph:
                answer.serialize(out, format=ox.RdfFormat.N_TRIPLES)
            else:
                answer.serialize(out, format=ox.QueryResultsFormat.TSV)
            out.finish()
        except OSError as err:
            self.close_connection = True
            if out.hung_up:
                return  # the reader hung up (a capped answer): the query stops here
            self._failed(out, err)
        except (ValueError, RuntimeError) as err:
            self.close_connection = True
            self._failed(out, err)

    def _failed(self, out: _Answer, err: Exception) -> None:
        """The query failed while answering: an error status if nothing was sent yet, else the
        answer is cut short (no last chunk), which the guard reads as a failed answer."""
        sys.stderr.write(f"the query failed while answering: {err}\n")
        sys.stderr.flush()
        if not out.started:
            self._plain(500, f"the query failed while answering: {err}")


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    store: ox.Store

    def get_request(self) -> tuple[Any, Any]:
        request, _address = super().get_request()
        return request, ("engine", 0)  # BaseHTTPRequestHandler expects a (host, port) address


def serve(location: Path, socket_path: Path) -> None:
    """Answer queries over the store at ``location`` on ``socket_path`` until killed."""
    store = ox.Store.read_only(str(location))
    old = os.umask(0o177)  # the socket file: this user only
    try:
        server = _Server(str(socket_path), _Handler)
    finally:
        os.umask(old)
    server.store = store
    server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -P kg/engineworker.py", description=__doc__)
    parser.add_argument("--location", type=Path, required=True, help="an on-disk store")
    parser.add_argument("--socket", type=Path, required=True, help="the Unix socket to create")
    args = parser.parse_args(argv)
    serve(args.location, args.socket)
    return 0


if __name__ == "__main__":
    sys.exit(main())
