"""Who may use the specialist console, and which requests a browser could have been tricked into sending.

Two ways in, chosen by configuration:

- **A token** (``YOROZU_CONSOLE_TOKEN``): every API request presents it, as ``Authorization: Bearer
  <token>`` (scripts) or as the session cookie that the login form sets (the page). The cookie holds a
  time and an HMAC keyed with the token, never the token itself; changing the token ends every session.
- **Local mode without a token**: the server binds loopback only (``bot.server.check_bind``), and each
  request is checked again for a loopback peer and a loopback ``Host`` header. The second check stops a
  web page whose name an attacker pointed at 127.0.0.1 (DNS rebinding) from reading the console.

Wrong tokens are throttled per client (:class:`Throttle`): a few are free, then each further attempt
waits twice as long as the one before (429 with ``Retry-After``, the token not even compared), up to
five minutes; a burst of wrong tokens is logged once, not per attempt.

POST requests must carry ``Content-Type: application/json`` and the ``X-Yorozu-Console`` header that
the page sets: a cross-site form cannot send either, and a cross-site ``fetch`` with them needs a CORS
preflight that this server never approves. With the SameSite=Strict cookie that is CSRF closed twice.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.errors import http_status
from bot.settings import Secret
from knowledge.errors import KnowledgeError

COOKIE = "yorozu_console"
# A session from the login form lasts a working day; then the token is asked for again.
SESSION_SECONDS = 12 * 3600
CSRF_HEADER = "X-Yorozu-Console"
REALM = 'Bearer realm="yorozu-console"'

log = logging.getLogger(__name__)

# Wrong tokens a client may send before it has to wait; the wait doubles with each further one.
FREE_ATTEMPTS = 5
MAX_WAIT_SECONDS = 300.0
# A client that sent no wrong token for this long starts afresh (and a new burst is logged again).
BURST_ENDS_AFTER_SECONDS = 900.0
# Clients remembered at most (the oldest forgotten first): a flood of addresses cannot fill the memory.
MAX_CLIENTS = 10_000


@dataclass
class _Failures:
    count: int
    last: float
    wait_until: float


class Throttle:
    """Per-client back-off for wrong console tokens; ``clock`` is injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._clients: OrderedDict[str, _Failures] = OrderedDict()

    def _current(self, client: str) -> _Failures | None:
        failures = self._clients.get(client)
        if failures is not None and self.clock() - failures.last > BURST_ENDS_AFTER_SECONDS:
            del self._clients[client]
            return None
        return failures

    def wait(self, client: str) -> float:
        """Seconds ``client`` must still wait before its next attempt is looked at (0: none)."""
        failures = self._current(client)
        return max(0.0, failures.wait_until - self.clock()) if failures is not None else 0.0

    def failed(self, client: str) -> None:
        """A wrong token from ``client``: the first of a burst is logged, the next ones only counted."""
        now = self.clock()
        failures = self._current(client)
        if failures is None:
            log.warning("console login refused (wrong token) from %s; more from it are slowed down, not logged", client)
            failures = self._clients[client] = _Failures(0, now, now)
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
        failures.count += 1
        failures.last = now
        if failures.count >= FREE_ATTEMPTS:
            failures.wait_until = now + min(MAX_WAIT_SECONDS, 2.0 ** (failures.count - FREE_ATTEMPTS))
        self._clients.move_to_end(client)

    def succeeded(self, client: str) -> None:
        failures = self._clients.pop(client, None)
        if failures is not None and failures.count >= FREE_ATTEMPTS:
            log.warning("console: %s presented the right token after %d wrong ones", client, failures.count)


def json_error(
    cls: type[web.HTTPException], message: str, *, headers: dict[str, str] | None = None
) -> web.HTTPException:
    """An HTTP error whose body is already JSON, so it keeps its headers (``WWW-Authenticate``)."""
    body = json.dumps({"error": message}, ensure_ascii=False)
    return cls(text=body, content_type="application/json", headers=headers)


# The statuses :func:`bot.errors.http_status` gives, as aiohttp's exceptions.
HTTP_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
}


def knowledge_http_error(exc: KnowledgeError) -> web.HTTPException:
    """A knowledge error as the HTTP error :mod:`bot.errors` names for it, with a JSON body (the console's
    API)."""
    return json_error(HTTP_ERRORS[http_status(exc)], str(exc))


def _digest(value: str) -> bytes:
    # Comparing fixed-length digests keeps the comparison's time independent of the token's length too.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (an address or a name from a Host header) is this machine's loopback."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ConsoleAuth:
    """The console's gate. ``token`` ``None`` means local mode: loopback requests only."""

    token: Secret | None = field(repr=False)
    throttle: Throttle = field(default_factory=Throttle, repr=False, compare=False)

    def check_token(self, request: web.Request, candidate: str) -> bool:
        """Compare a presented token, throttled per client: 429 while the client must wait."""
        client = request.remote or "unknown"
        wait = self.throttle.wait(client)
        if wait > 0:
            raise json_error(
                web.HTTPTooManyRequests,
                f"too many wrong console tokens: try again in {math.ceil(wait)} s",
                headers={"Retry-After": str(math.ceil(wait))},
            )
        if self.token_matches(candidate):
            self.throttle.succeeded(client)
            return True
        self.throttle.failed(client)
        return False

    def token_matches(self, candidate: str) -> bool:
        """Constant-time comparison of a presented token with the configured one."""
        if not self.token:
            return False
        return hmac.compare_digest(_digest(candidate), _digest(self.token.reveal()))

    def session_value(self, now: float | None = None) -> str:
        """The cookie the login form sets: when it was issued, and an HMAC of that keyed with the token."""
        issued = str(int(time.time() if now is None else now))
        return f"{issued}.{self._mac(issued)}"

    def session_valid(self, value: str, now: float | None = None) -> bool:
        """Whether a cookie was issued with the current token less than ``SESSION_SECONDS`` ago."""
        if not self.token:
            return False
        issued, sep, mac = value.partition(".")
        if not sep or not issued.isdigit() or len(issued) > 12:
            return False
        age = (time.time() if now is None else now) - int(issued)
        return 0 <= age < SESSION_SECONDS and hmac.compare_digest(mac, self._mac(issued))

    def _mac(self, issued: str) -> str:
        assert self.token is not None
        key = self.token.reveal().encode("utf-8", "surrogatepass")
        return hmac.new(key, b"yorozu-console-session|" + issued.encode(), hashlib.sha256).hexdigest()

    def authorize(self, request: web.Request) -> None:
        """Raise 401 (no or a wrong token) or 403 (local mode, not from loopback) unless the request may in."""
        if self.token is None:
            if not (is_loopback(request.remote) and is_loopback(request.url.host)):
                raise json_error(web.HTTPForbidden, "the console without a token answers loopback requests only")
            return
        header = request.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        if header:
            if scheme.lower() != "bearer" or not self.check_token(request, presented.strip()):
                raise json_error(web.HTTPUnauthorized, "wrong console token", headers={"WWW-Authenticate": REALM})
            return
        cookie = request.cookies.get(COOKIE)
        if cookie is None or not self.session_valid(cookie):
            raise json_error(web.HTTPUnauthorized, "log in with the console token", headers={"WWW-Authenticate": REALM})

    @staticmethod
    def check_not_forged(request: web.Request) -> None:
        """Refuse (403/415) a state-changing request that a page on another site could have sent."""
        if request.headers.get(CSRF_HEADER) != "1":
            raise json_error(web.HTTPForbidden, f"send the {CSRF_HEADER}: 1 header (the console page does)")
        # Browsers say where a request comes from; a proxy cannot fake this for a victim's browser.
        if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
            raise json_error(web.HTTPForbidden, "cross-site requests are refused")
        if request.content_type != "application/json":
            raise json_error(web.HTTPUnsupportedMediaType, "send JSON (Content-Type: application/json)")
