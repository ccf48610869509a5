"""Bot Framework authentication, configured from settings and failing closed.

Inbound: every request must carry a JWT signed by a key from the Bot Framework's OpenID metadata, issued
for this app id, naming the activity's ``serviceUrl``. botbuilder raises ``PermissionError`` for some
failures and other exceptions (``IndexError`` for an unknown signing key, PyJWT errors for malformed or
expired tokens) for the rest, which its aiohttp integration answers with 500; :func:`authenticate` turns
every one of them into :class:`Unauthorized` (401).

Outbound: replies to the Bot Connector carry a client-credentials token from
:class:`~bot.teams.tokens.ClientCredentialsTokens`, attached by an async pipeline policy so no request
blocks the event loop.
"""

from __future__ import annotations

import logging
from typing import Any

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


class Unauthorized(Exception):
    """The request is not from the Bot Framework for this bot: answered with 401."""


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
    auth: BotFrameworkAuthentication, activity: Activity, header: str | None, *, required: bool
) -> AuthenticateRequestResult:
    """Validate the request's ``Authorization`` header; :class:`Unauthorized` for any failure.

    ``required`` is false only in local mode without an app id, where requests carry no token.
    """
    if required and not (header and header.startswith("Bearer ")):
        raise Unauthorized("missing or non-Bearer Authorization header")
    try:
        result = await auth.authenticate_request(activity, header if header else None)
    except Exception as exc:  # PermissionError, PyJWT errors, IndexError for an unknown key, metadata fetch
        # The kind of failure only: the message can repeat the unverified token's claims (its audience).
        log.info("Teams request refused: %s", type(exc).__name__)
        raise Unauthorized(str(exc)) from exc
    if result is None or result.claims_identity is None or not result.claims_identity.is_authenticated:
        raise Unauthorized("no identity")
    return result
