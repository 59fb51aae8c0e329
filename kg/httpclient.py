"""HTTP for kg push and remote queries: timeouts, bounded retries, auth, and clear errors.

Built on httpx rather than the standard library: httpx answers an HTTP digest challenge (the
only scheme Virtuoso's authenticated endpoints accept) and reuses it for the next requests, so a
graph's body is uploaded once instead of twice per PUT; it keeps connections alive across the
many PUTs of a large push; and it has separate connect and read timeouts, so probing a URL that
does not answer costs seconds, not the minute a large upload may need.

Credentials come from the environment only (``KG_ENDPOINT_USER``, ``KG_ENDPOINT_PASSWORD``) and
are sent only when the server asks for them (a 401 challenge), in the scheme it asks for: digest
(preferred) or basic. Redirects are never followed, so neither a PUT nor credentials travel to
another host.

>>> credentials({"KG_ENDPOINT_USER": "dba", "KG_ENDPOINT_PASSWORD": "dba"})
('dba', 'dba')
>>> credentials({}) is None
True
"""

from __future__ import annotations

import ipaddress
import os
import socket
import time
import urllib.parse
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field

import httpx

from kg.errors import EndpointError

USER_ENV = "KG_ENDPOINT_USER"
PASSWORD_ENV = "KG_ENDPOINT_PASSWORD"
#: Statuses worth another attempt: the server is busy, restarting or behind a failing proxy.
RETRY_STATUSES = {429, 502, 503, 504}

Progress = Callable[[str], None]


class Unreachable(EndpointError):
    """No HTTP answer at all: connection refused, timed out, or the host is unknown."""


class HttpError(EndpointError):
    """The server answered with an error status (kept in ``status``)."""

    def __init__(self, message: str, response: Response) -> None:
        super().__init__(message)
        self.response = response
        self.status = response.status


@dataclass
class Response:
    """An HTTP answer: status, headers and the whole body."""

    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def media_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def server(self) -> str:
        """The ``Server`` header (e.g. ``Virtuoso/07.20.3229 (Linux)``), or ``""``."""
        return self.headers.get("Server") or ""


def credentials(environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """User and password from ``KG_ENDPOINT_USER`` / ``KG_ENDPOINT_PASSWORD``, if a user is set."""
    environ = os.environ if environ is None else environ
    user = environ.get(USER_ENV)
    return (user, environ.get(PASSWORD_ENV, "")) if user else None


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine.

    >>> is_loopback("http://127.0.0.1:8890/sparql"), is_loopback("https://example.org/sparql")
    (True, False)
    """
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ChallengeAuth(httpx.Auth):
    """Send credentials in the scheme of the server's 401 challenge: digest or basic.

    The first challenge decides the scheme for the rest of the session (as ``curl --anyauth``);
    nothing is sent before a challenge, so a password never goes out in clear text to a server
    that wants digest.
    """

    def __init__(self, user: str, password: str) -> None:
        self._basic = httpx.BasicAuth(user, password)
        self._digest = httpx.DigestAuth(user, password)
        self.scheme: str | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.scheme == "digest":
            yield from self._digest.auth_flow(request)
            return
        if self.scheme == "basic":
            yield from self._basic.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        offered = [scheme.lower() for scheme in _schemes(response.headers)]
        if "digest" in offered:
            self.scheme = "digest"
            yield from self._digest.auth_flow(request)
        elif "basic" in offered:
            self.scheme = "basic"
            yield from self._basic.auth_flow(request)


def _schemes(headers: httpx.Headers) -> list[str]:
    """The auth schemes a 401 offers (``Digest``, ``Basic``), in its order."""
    return [c.split(None, 1)[0] for c in headers.get_list("WWW-Authenticate") if c.strip()]


def _snippet(body: bytes, limit: int = 300) -> str:
    """The start of an error body, on one line, without the query Virtuoso echoes after it.

    >>> _snippet(b"Virtuoso 37000 Error SQ074: Line 30: \\n\\nSPARQL query:\\nSELECT ...")
    'Virtuoso 37000 Error SQ074: Line 30:'
    """
    said = body.decode("utf-8", "replace").split("\nSPARQL query:\n", 1)[0]
    text = " ".join(said.split())
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass
class Client:
    """An HTTP client for one push or query: timeout, retries and auth from the environment.

    ``retries`` more attempts are made after connection failures, timeouts and 429/502/503/504
    answers, waiting ``backoff`` seconds and doubling; other errors are raised at once.
    ``timeout`` bounds each wait for the server (connecting, and each read of its answer).
    """

    timeout: float = 30.0
    retries: int = 2
    backoff: float = 0.5
    progress: Progress | None = None
    #: hears about answers a store cut short (see kg.remote.truncated_at)
    warn: Progress | None = None
    auth: ChallengeAuth | None = None
    _sessions: dict[bool, httpx.Client] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        found = credentials()
        if self.auth is None and found:
            self.auth = ChallengeAuth(*found)

    @property
    def auth_scheme(self) -> str | None:
        """``"digest"`` or ``"basic"`` once a server asked for credentials, else None."""
        return self.auth.scheme if self.auth else None

    def _session(self, url: str) -> httpx.Client:
        local = is_loopback(url)
        if local not in self._sessions:
            # proxies from the environment are for the outside world, never for loopback
            self._sessions[local] = httpx.Client(
                auth=self.auth, follow_redirects=False, trust_env=not local
            )
        return self._sessions[local]

    def close(self) -> None:
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> Response:
        """Send one request; raise :class:`EndpointError` with what to do when it fails.

        ``timeout`` and ``retries`` override the client's for this request (short probes).
        """
        limit = self.timeout if timeout is None else timeout
        tries = self.retries if retries is None else retries
        all_headers = {"User-Agent": "kg", **(headers or {})}
        wait = self.backoff
        for attempt in range(tries + 1):
            last = attempt == tries
            try:
                answer = self._session(url).request(
                    method, url, content=body, headers=all_headers, timeout=limit
                )
            except httpx.TransportError as err:
                if last:
                    raise Unreachable(
                        _network_message(method, url, err, limit, attempt + 1)
                    ) from None
                self.note(f"{method} {shown(url)}: {_reason(err)}, retrying in {wait:g} s")
                time.sleep(wait)
                wait *= 2
                continue
            response = Response(answer.status_code, answer.headers, answer.content)
            if answer.status_code < 400:
                return response
            if answer.status_code in RETRY_STATUSES and not last:
                retry_after = response.headers.get("Retry-After", "")
                pause = min(float(retry_after) if retry_after.isdigit() else wait, 30)
                self.note(f"{method} {shown(url)}: {answer.status_code}, retrying in {pause:g} s")
                time.sleep(pause)
                wait *= 2
                continue
            raise HttpError(_http_message(method, url, response, attempt + 1, self), response)
        raise AssertionError("unreachable")  # pragma: no cover

    def note(self, message: str) -> None:
        """Tell ``progress`` (retries, cut answers); silent without one."""
        if self.progress:
            self.progress(message)


def _root_cause(err: BaseException) -> BaseException:
    while err.__context__ is not None and err.__context__ is not err:
        err = err.__context__
    return err


def _reason(err: httpx.TransportError) -> str:
    return str(_root_cause(err)) or type(err).__name__


def shown(url: str) -> str:
    """A URL as error messages show it: without the text of a query sent by GET.

    >>> shown("http://h/sparql?query=ASK+%7B%7D"), shown("http://h/store?default")
    ('http://h/sparql', 'http://h/store?default')
    """
    parts = urllib.parse.urlsplit(url)
    if "query=" not in parts.query:
        return url
    return urllib.parse.urlunsplit((*parts[:3], "", ""))


def _attempts(count: int) -> str:
    return f" after {count} attempts" if count > 1 else ""


def _network_message(
    method: str, url: str, err: httpx.TransportError, timeout: float, count: int
) -> str:
    tries, url = _attempts(count), shown(url)
    cause = _root_cause(err)
    if isinstance(err, httpx.TimeoutException) or isinstance(cause, TimeoutError):
        return (
            f"{url} did not answer {method} within {timeout:g} s{tries} — the server is "
            "overloaded or stuck; try again later or raise --timeout"
        )
    if isinstance(cause, ConnectionRefusedError):
        return (
            f"cannot connect to {url}: connection refused{tries} — is the SPARQL server "
            "running, and is the port right?"
        )
    if isinstance(cause, socket.gaierror):
        return f"cannot resolve the host of {url} ({cause}) — check the URL"
    return f"{method} {url} failed{tries}: {_reason(err)} — check that the server is up and the URL"


def _http_message(method: str, url: str, response: Response, count: int, client: Client) -> str:
    status, tries, url = response.status, _attempts(count), shown(url)
    said = _snippet(response.body)
    detail = f": {said}" if said else ""
    if status == 401:
        offered = ", ".join(_schemes(response.headers))
        wants = f" (it asks for {offered} auth)" if offered else ""
        if client.auth is None:
            return (
                f"{url} answered 401 Unauthorized to {method}{wants} — set {USER_ENV} and "
                f"{PASSWORD_ENV} in the environment"
            )
        return (
            f"{url} answered 401 Unauthorized to {method}{wants} although {USER_ENV} and "
            f"{PASSWORD_ENV} were sent — check the user name and password"
        )
    if status == 403:
        return (
            f"{url} answered 403 Forbidden to {method}{detail} — the account lacks write "
            "access, or the store is read-only"
        )
    if status == 404:
        return f"{url} answered 404 Not Found to {method} — check the URL{detail}"
    if status == 405:
        return (
            f"{url} does not allow {method} (405){detail} — it may be read-only, or this is "
            "not its Graph Store / update URL"
        )
    if status == 413:
        return f"{url} refused {method}: request too large (413) — raise the server's upload limit"
    if 400 <= status < 500:
        return f"{url} refused {method} ({status}){detail}"
    return f"{url} failed on {method} ({status}){tries}{detail} — see the server's log"
