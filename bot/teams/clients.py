"""Bot Framework clients made once and reused, instead of twice per incoming activity.

``CloudAdapter`` asks for a new ``ConnectorClient`` (through the request's connector factory) and a
new user-token client for every activity. Each builds a msrest configuration (a requests session, a
config parser, retry and pool objects): ~1.2 ms of the event loop apiece even after the retry-code fix
(:mod:`bot.teams.msrest_retry`), the largest share of a Teams activity's time on the event loop in the
load test. botbuilder's older ``BotFrameworkAdapter`` kept connector clients in a cache keyed by service
URL, app id and scope; this does the same for ``CloudAdapter``: clients are keyed by the bot's app id
(the token's audience), the service URL and the OAuth scope (the default one when none is named), at
most ``LIMIT`` of them, least recently used first out. The clients hold credentials that fetch and
refresh their own tokens, so reusing one is what a long-lived client is for.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.auth.authentication_constants import AuthenticationConstants
from botframework.connector.skills import BotFrameworkClient

LIMIT = 32

T = TypeVar("T")


class _Lru:
    """A small least-recently-used map of clients."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    async def get(self, key: Hashable, make: Callable[[], Awaitable[T]]) -> T:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        made = await make()
        self._items[key] = made
        while len(self._items) > self.limit:
            self._items.popitem(last=False)
        return made

    def __len__(self) -> int:
        return len(self._items)


def _app_id(identity: ClaimsIdentity | None) -> str | None:
    """The bot's app id as the inbound token names it (its audience); ``None`` without a token."""
    if identity is None or not identity.claims:
        return None
    audience = identity.claims.get(AuthenticationConstants.AUDIENCE_CLAIM)
    return audience if isinstance(audience, str) else None


class _ReusingConnectorFactory(ConnectorFactory):
    def __init__(self, inner: ConnectorFactory, app_id: str | None, default_scope: str, cache: _Lru) -> None:
        self._inner = inner
        self._app_id = app_id
        self._default_scope = default_scope
        self._cache = cache

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        # No audience means the default scope to botbuilder's factory too: an inbound activity names it,
        # a proactive reply (continue_conversation) does not, and both must get the same client.
        scope = audience or self._default_scope
        return await self._cache.get((self._app_id, service_url, scope), lambda: self._inner.create(service_url, scope))


class ReusingAuthentication(BotFrameworkAuthentication):
    """``inner`` with its connector and user-token clients reused across activities."""

    def __init__(self, inner: BotFrameworkAuthentication, *, limit: int = LIMIT) -> None:
        self.inner = inner
        self.connectors = _Lru(limit)
        self.token_clients = _Lru(limit)

    def reusing(self, result: AuthenticateRequestResult) -> AuthenticateRequestResult:
        """The same result, with a connector factory that hands out reused clients."""
        if result.connector_factory is not None and not isinstance(result.connector_factory, _ReusingConnectorFactory):
            result.connector_factory = self._reusing_factory(result.connector_factory, result.claims_identity)
        return result

    def _reusing_factory(self, inner: ConnectorFactory, identity: ClaimsIdentity | None) -> ConnectorFactory:
        return _ReusingConnectorFactory(
            inner, _app_id(identity), self.inner.get_originating_audience(), self.connectors
        )

    async def authenticate_request(self, activity: Any, auth_header: str) -> AuthenticateRequestResult:
        return self.reusing(await self.inner.authenticate_request(activity, auth_header))

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        return self.reusing(await self.inner.authenticate_streaming_request(auth_header, channel_id_header))

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._reusing_factory(self.inner.create_connector_factory(claims_identity), claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        return await self.token_clients.get(
            _app_id(claims_identity), lambda: self.inner.create_user_token_client(claims_identity)
        )

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self.inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self.inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self.inner.authenticate_channel_request(auth_header)

    async def generate_caller_id(self, **kwargs: Any) -> str:
        return await self.inner.generate_caller_id(**kwargs)
