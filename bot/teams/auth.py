"""Bot Framework authentication, configured from settings and failing closed.

Inbound: every request must carry a JWT signed by a key from the Bot Framework's OpenID metadata, issued
for this app id, naming the activity's ``serviceUrl``. botbuilder raises ``PermissionError`` for some
failures and other exceptions (``IndexError`` for an unknown signing key, PyJWT errors for malformed or
expired tokens) for the rest, which its aiohttp integration answers with 500; :func:`authenticate` turns
every one of them into :class:`Unauthorized` (401).

botbuilder fetches the OpenID metadata and signing keys with a blocking ``requests.get`` without a timeout,
on the caller's event loop: with Microsoft's (or a proxy's) endpoint hanging, one token stalled the whole
server, health check and Slack acknowledgements included. So authentication runs off the server's event
loop, in one thread of its own (:class:`AuthenticationThread`), under a deadline
(``YOROZU_TEAMS_AUTH_TIMEOUT``), and the signing keys are fetched asynchronously with the same timeout,
one fetch at a time, with the last good keys kept when a refresh fails (:class:`SigningKeys`). A request
whose keys cannot be had in time is :class:`AuthenticationUnavailable` (503, the platform retries);
every other request, and every other endpoint, goes on.

Outbound: replies to the Bot Connector carry a client-credentials token from
:class:`~bot.teams.tokens.ClientCredentialsTokens`, attached by an async pipeline policy so no request
blocks the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any, TypeVar

import aiohttp
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    AuthenticationConfiguration,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    BotFrameworkAuthenticationFactory,
    ManagedIdentityServiceClientCredentialsFactory,
    MicrosoftAppCredentials,
    ServiceClientCredentialsFactory,
)
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdConfig, _OpenIdMetadata
from msrest.pipeline import AsyncHTTPPolicy

from bot.settings import Secret, Settings
from bot.teams.tokens import ClientCredentialsTokens

log = logging.getLogger(__name__)

# The public cloud's endpoints (botframework.connector.auth.AuthenticationConstants and its docs).
LOGIN_HOST = "https://login.microsoftonline.com"
CHANNEL_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
EMULATOR_OPENID_METADATA_URL = (
    "https://login.microsoftonline.com/botframework.com/v2.0/.well-known/openid-configuration"
)


# After a failed fetch of the signing keys, requests that need new keys are refused (503) for this long
# before the next fetch is tried: a hanging endpoint is not asked again by every request.
KEYS_RETRY_SECONDS = 30.0

T = TypeVar("T")


class Unauthorized(Exception):
    """The request is not from the Bot Framework for this bot: answered with 401."""


class AuthenticationUnavailable(Exception):
    """The request could not be checked in time (the signing keys could not be fetched): answered with
    503, so that the platform sends it again later; it is never let in unchecked."""


class SigningKeys(_OpenIdMetadata):
    """botbuilder's cache of one OpenID metadata URL's signing keys, fetched without blocking.

    botbuilder looks its caches up by URL (``JwtTokenExtractor.metadataCache``); :func:`use_signing_keys`
    puts one of these there. Same rules as botbuilder's: keys older than a day are refreshed, an unknown
    key id refreshes them at most once an hour. Added: each fetch has a timeout, concurrent requests share
    one fetch, a failed fetch is not retried for ``KEYS_RETRY_SECONDS``, and the last good keys stay in
    use while a refresh fails. Used only on the authentication thread's event loop.
    """

    def __init__(self, url: str, timeout: float) -> None:
        super().__init__(url)
        self.timeout = timeout
        self._fetching: asyncio.Task[None] | None = None
        self._failed_at = float("-inf")

    async def get(self, key_id: str) -> _OpenIdConfig:
        now = datetime.now()
        if self.last_updated < now - timedelta(days=1):
            await self._refresh_or_keep()
        key = self._find(key_id)
        if key is None and self.last_updated < now - timedelta(hours=1):
            await self._refresh_or_keep()
            key = self._find(key_id)
        if key is None:
            raise PermissionError("the token is signed by an unknown key")
        return key

    async def _refresh_or_keep(self) -> None:
        """Refresh the keys; a failure is :class:`AuthenticationUnavailable` only when there are none."""
        try:
            await self._refresh()
        except AuthenticationUnavailable:
            if not self.keys:
                raise

    async def _refresh(self) -> None:
        if time.monotonic() - self._failed_at < KEYS_RETRY_SECONDS:
            raise AuthenticationUnavailable("the Bot Framework signing keys could not be fetched a moment ago")
        if self._fetching is None or self._fetching.done():
            self._fetching = asyncio.get_running_loop().create_task(self._fetch())
            self._fetching.add_done_callback(self._fetched)
        try:
            # Shielded: a request that gives up (its deadline) leaves the fetch to the others.
            await asyncio.shield(self._fetching)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # whatever the fetch met: no connection, a timeout, no key set
            raise AuthenticationUnavailable("the Bot Framework signing keys could not be fetched") from exc

    def _fetched(self, task: asyncio.Task[None]) -> None:
        """Remember a failed fetch (even when every request waiting for it has given up)."""
        problem = "cancelled" if task.cancelled() else type(task.exception()).__name__ if task.exception() else None
        if problem is not None:
            self._failed_at = time.monotonic()
            log.warning("cannot fetch the Bot Framework signing keys from %s: %s", self.url, problem)

    async def _fetch(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session:
            async with session.get(self.url) as response:
                response.raise_for_status()
                jwks_uri = (await response.json(content_type=None))["jwks_uri"]
            async with session.get(str(jwks_uri)) as response:
                response.raise_for_status()
                keys = (await response.json(content_type=None))["keys"]
        if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
            raise ValueError("the key set is not a list of keys")
        self.keys = keys
        self.last_updated = datetime.now()
        self._failed_at = float("-inf")

    def _find(self, key_id: str) -> _OpenIdConfig | None:
        for key in self.keys:
            if key.get("kid") == key_id:
                return super()._find(key_id)
        return None


# A fetch of the signing keys gets this share of a request's deadline, so that it fails (and is
# remembered as failed, answering the next requests at once) before the request's deadline passes.
FETCH_SHARE = 0.8


def use_signing_keys(url: str, deadline: float) -> None:
    """Make botbuilder's token validation use :class:`SigningKeys` for ``url``."""
    timeout = deadline * FETCH_SHARE
    cache = JwtTokenExtractor.metadataCache
    existing = cache.get(url)
    if isinstance(existing, SigningKeys):
        existing.timeout = timeout
    else:
        cache[url] = SigningKeys(url, timeout)


class AuthenticationThread:
    """The one thread, with an event loop of its own, where Teams requests are authenticated.

    One for the process, as botbuilder's key cache is one for the process; a daemon, so it never holds
    the process at exit.
    """

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def loop(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="yorozu-teams-auth", daemon=True).start()
                cls._loop = loop
            return cls._loop

    @classmethod
    async def run(cls, work: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``work`` on the authentication thread; ``TimeoutError`` (and ``work`` cancelled) after
        ``timeout`` seconds, while the caller's event loop stays free throughout."""
        future = asyncio.run_coroutine_threadsafe(work, cls.loop())
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout)


def login_url(settings: Settings) -> str:
    """Where the bot's own tokens come from: its tenant when single-tenant, else botframework.com."""
    tenant = (
        settings.microsoft_app_tenant_id
        if settings.microsoft_app_type == "SingleTenant" and settings.microsoft_app_tenant_id
        else AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT
    )
    return f"{LOGIN_HOST}/{tenant}"


def token_url(settings: Settings) -> str:
    return (
        settings.teams_token_url
        or login_url(settings) + AuthenticationConstants.TO_CHANNEL_FROM_BOT_TOKEN_ENDPOINT_PATH
    )


class _BearerPolicy(AsyncHTTPPolicy, AppCredentials):
    """Connector credentials that fetch the token asynchronously, request by request.

    msrest inserts credentials that are an ``AsyncHTTPPolicy`` straight into its async pipeline; a new
    instance is made for each connector client because the pipeline links its policies in place.
    """

    def __init__(self, app_id: str, scope: str, tokens: ClientCredentialsTokens) -> None:
        AsyncHTTPPolicy.__init__(self)
        AppCredentials.__init__(self, app_id=app_id, oauth_scope=scope)
        self._tokens = tokens
        self._scope = scope if scope.endswith("/.default") else scope.rstrip("/") + "/.default"

    async def send(self, request: Any, **kwargs: Any) -> Any:
        token = await self._tokens.token(self._scope)
        request.http_request.headers["Authorization"] = f"Bearer {token}"
        response = await self.next.send(request, **kwargs)  # type: ignore[union-attr]
        if response.http_response.status_code == 401:
            self._tokens.forget(self._scope)  # revoked or rotated: fetch a new one next time
        return response

    def get_access_token(self, force_refresh: bool = False) -> str:
        """For botbuilder clients that sign requests synchronously (``TeamsInfo``'s Teams connector).

        They run after :meth:`ClientSecretCredentialsFactory.prefetch`, so the token is in the cache.
        """
        token = self._tokens.cached(self._scope)
        if token is None:
            raise PermissionError("no Bot Connector token fetched yet")
        return token


class ClientSecretCredentialsFactory(ServiceClientCredentialsFactory):
    """Credentials for one app id and secret (single- or multi-tenant)."""

    def __init__(self, app_id: str | None, tokens: ClientCredentialsTokens | None) -> None:
        self.app_id = app_id or ""
        self.tokens = tokens

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(self.app_id) and app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        # Only local mode has no app id; outside it, Teams is never mounted without one.
        return not self.app_id

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        if not self.app_id or self.tokens is None:
            return MicrosoftAppCredentials.empty()
        if app_id != self.app_id:
            raise PermissionError("credentials asked for another app id")
        return _BearerPolicy(
            app_id, oauth_scope or AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE, self.tokens
        )


async def prefetch_token(factory: ServiceClientCredentialsFactory) -> None:
    """Fetch the Bot Connector token ahead of clients that can only read it synchronously."""
    if isinstance(factory, ClientSecretCredentialsFactory) and factory.tokens is not None:
        await factory.tokens.token(AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE + "/.default")


def build_credentials_factory(settings: Settings) -> ServiceClientCredentialsFactory:
    app_id = settings.microsoft_app_id
    if app_id and settings.microsoft_app_type == "UserAssignedMSI":
        return ManagedIdentityServiceClientCredentialsFactory(app_id)
    tokens = None
    if app_id:
        tokens = ClientCredentialsTokens(
            token_url=token_url(settings), client_id=app_id, client_secret=settings.microsoft_app_password or Secret("")
        )
    return ClientSecretCredentialsFactory(app_id, tokens)


def build_authentication(settings: Settings) -> BotFrameworkAuthentication:
    """The Bot Framework authentication for these settings (public cloud unless overridden)."""
    return build_authentication_with(settings, build_credentials_factory(settings))


def build_authentication_with(
    settings: Settings, credentials: ServiceClientCredentialsFactory
) -> BotFrameworkAuthentication:
    metadata = settings.teams_openid_metadata_url
    for url in {metadata or CHANNEL_OPENID_METADATA_URL, metadata or EMULATOR_OPENID_METADATA_URL}:
        use_signing_keys(url, settings.teams_auth_timeout.total_seconds())
    return BotFrameworkAuthenticationFactory.create(
        validate_authority=True,
        to_channel_from_bot_login_url=login_url(settings),
        to_channel_from_bot_oauth_scope=AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
        to_bot_from_channel_token_issuer=AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        oauth_url=AuthenticationConstants.OAUTH_URL,
        to_bot_from_channel_open_id_metadata_url=metadata or CHANNEL_OPENID_METADATA_URL,
        to_bot_from_emulator_open_id_metadata_url=metadata or EMULATOR_OPENID_METADATA_URL,
        credential_factory=credentials,
        auth_configuration=AuthenticationConfiguration(),
    )


async def authenticate(
    auth: BotFrameworkAuthentication,
    activity: Activity,
    header: str | None,
    *,
    required: bool,
    timeout: float,
) -> AuthenticateRequestResult:
    """Validate the request's ``Authorization`` header off the event loop, within ``timeout`` seconds.

    :class:`Unauthorized` for any failure of the token, :class:`AuthenticationUnavailable` when it could
    not be checked in time. ``required`` is false only in local mode without an app id, where requests
    carry no token.
    """
    if required and not (header and header.startswith("Bearer ")):
        raise Unauthorized("missing or non-Bearer Authorization header")
    try:
        result = await AuthenticationThread.run(
            auth.authenticate_request(activity, header if header else None), timeout
        )
    except (AuthenticationUnavailable, TimeoutError) as exc:
        log.warning("Teams request not checked in time (503): %s", str(exc) or f"deadline of {timeout:g} s passed")
        raise AuthenticationUnavailable(str(exc)) from exc
    except Exception as exc:  # PermissionError, PyJWT errors, an unknown key, a malformed header
        log.info("Teams request refused: %s: %s", type(exc).__name__, exc)
        raise Unauthorized(str(exc)) from exc
    if result is None or result.claims_identity is None or not result.claims_identity.is_authenticated:
        raise Unauthorized("no identity")
    return result
