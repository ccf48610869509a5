"""App-only access tokens from Microsoft Entra ID (OAuth 2.0 client credentials), fetched asynchronously.

One client serves the Bot Connector (scope ``https://api.botframework.com/.default``) and Microsoft Graph
(``https://graph.microsoft.com/.default``). Tokens are cached per scope until shortly before they expire.
botbuilder's own credentials go through MSAL, which fetches tokens with blocking calls on the event loop
and insists on discovering its authority on ``login.microsoftonline.com``; this client does one POST to a
configurable token endpoint, so sovereign clouds and the tests' fake endpoint work the same way.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from bot.settings import Secret

# Refresh this long before the token's own expiry, so a request never leaves with a token about to lapse.
EXPIRY_MARGIN_SECONDS = 300.0
TIMEOUT = aiohttp.ClientTimeout(total=30)


class TokenError(Exception):
    """The token endpoint refused the app's credentials or could not be reached."""


@dataclass(frozen=True, slots=True)
class _Cached:
    token: str
    expires_at: float


class ClientCredentialsTokens:
    """Access tokens for one app registration (``client_id`` + secret) from one token endpoint."""

    def __init__(self, *, token_url: str, client_id: str, client_secret: Secret) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self._cache: dict[str, _Cached] = {}
        self._lock = asyncio.Lock()

    async def token(self, scope: str) -> str:
        """A valid access token for ``scope`` (cached; fetched when missing or about to expire)."""
        async with self._lock:
            cached = self._cache.get(scope)
            if cached is not None and cached.expires_at - EXPIRY_MARGIN_SECONDS > time.monotonic():
                return cached.token
            fetched = await self._fetch(scope)
            self._cache[scope] = fetched
            return fetched.token

    def cached(self, scope: str) -> str | None:
        """The cached token for ``scope`` if it is still fresh (for synchronous callers)."""
        cached = self._cache.get(scope)
        if cached is not None and cached.expires_at - EXPIRY_MARGIN_SECONDS > time.monotonic():
            return cached.token
        return None

    def forget(self, scope: str) -> None:
        """Drop a cached token (after the service answered 401 to it)."""
        self._cache.pop(scope, None)

    async def _fetch(self, scope: str) -> _Cached:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret.reveal(),
            "scope": scope,
        }
        try:
            async with (
                aiohttp.ClientSession(timeout=TIMEOUT) as session,
                session.post(self.token_url, data=form) as resp,
            ):
                body = await resp.json(content_type=None)
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise TokenError(f"token endpoint {self.token_url} failed: {exc}") from exc
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            error = body.get("error") if isinstance(body, dict) else None
            raise TokenError(f"token endpoint {self.token_url} answered {status} ({error or 'no access_token'})")
        expires_in = body.get("expires_in", 3599)
        try:
            lifetime = float(expires_in)
        except (TypeError, ValueError):
            lifetime = 3599.0
        return _Cached(body["access_token"], time.monotonic() + lifetime)
