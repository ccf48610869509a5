"""Who may use the specialist console, and which requests a browser could have been tricked into sending.

Two ways in, chosen by configuration:

- **A token** (``YOROZU_CONSOLE_TOKEN``): every API request presents it, as ``Authorization: Bearer
  <token>`` (scripts) or as the session cookie that the login form sets (the page). The cookie holds a
  time and an HMAC keyed with the token, never the token itself; changing the token ends every session.
- **Local mode without a token**: the server binds loopback only (``bot.server.check_bind``), and each
  request is checked again for a loopback peer and a loopback ``Host`` header. The second check stops a
  web page whose name an attacker pointed at 127.0.0.1 (DNS rebinding) from reading the console.

POST requests must carry ``Content-Type: application/json`` and the ``X-Yorozu-Console`` header that
the page sets: a cross-site form cannot send either, and a cross-site ``fetch`` with them needs a CORS
preflight that this server never approves. With the SameSite=Strict cookie that is CSRF closed twice.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time
from dataclasses import dataclass, field

from aiohttp import web

from bot.settings import Secret

COOKIE = "yorozu_console"
# A session from the login form lasts a working day; then the token is asked for again.
SESSION_SECONDS = 12 * 3600
CSRF_HEADER = "X-Yorozu-Console"
REALM = 'Bearer realm="yorozu-console"'


def json_error(
    cls: type[web.HTTPException], message: str, *, headers: dict[str, str] | None = None
) -> web.HTTPException:
    """An HTTP error whose body is already JSON, so it keeps its headers (``WWW-Authenticate``)."""
    body = json.dumps({"error": message}, ensure_ascii=False)
    return cls(text=body, content_type="application/json", headers=headers)


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
            if scheme.lower() != "bearer" or not self.token_matches(presented.strip()):
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
