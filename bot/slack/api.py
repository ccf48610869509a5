"""Calls to Slack's Web API, only the methods listed in :mod:`bot.slack.scopes`."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.jobs import PermanentJobError
from bot.settings import ConfigError, Settings
from bot.slack.scopes import METHODS
from knowledge.text import storable_json

log = logging.getLogger(__name__)

# Errors that retrying cannot fix: the app was removed, the channel is gone or closed to the bot.
PERMANENT_ERRORS = frozenset(
    {
        "token_revoked",
        "invalid_auth",
        "account_inactive",
        "not_authed",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "missing_scope",
        "user_not_found",
        "msg_too_long",
        "invalid_blocks",
    }
)


class SlackCallFailed(Exception):
    """A Web API call answered ``ok: false``; ``error`` is Slack's error code."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error


def build_client(settings: Settings, *, rate_limit_retries: int = 3) -> AsyncWebClient:
    """The Web API client, with the bot token passed explicitly (never the SDK's environment fallback).

    Rate-limited calls (429) wait for ``Retry-After`` and retry, up to ``rate_limit_retries`` times.
    """
    if not settings.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is required for Slack (the bot token, xoxb-...)")
    client = AsyncWebClient(token=settings.slack_bot_token.reveal(), base_url=settings.slack_api_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=rate_limit_retries))
    return client


class SlackApi:
    """The Web API methods Yorozu uses; a method missing from the registry is a programming error."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Call ``method``; raises :class:`SlackCallFailed` when Slack answers ``ok: false``."""
        if method not in METHODS:
            raise ValueError(f"{method} is not in bot.slack.scopes.METHODS (the manifest would lack its scopes)")
        # Form-encoded like the SDK's own helpers: lists and objects (blocks) travel as JSON strings.
        data = {k: _form_value(v) for k, v in params.items() if v is not None}
        try:
            response = await self.client.api_call(method, data=data)
        except SlackApiError as exc:
            raise SlackCallFailed(method, str(exc.response.get("error", "unknown_error"))) from None
        # A name or topic holding NUL or a lone surrogate would fail every store of it: clean it here.
        return storable_json(dict(response.data)) if isinstance(response.data, dict) else {}  # type: ignore[return-value]


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def as_job_error(exc: SlackCallFailed) -> Exception:
    """A permanent Slack error stops the job; anything else is retried by the job runner."""
    return PermanentJobError(str(exc)) if exc.error in PERMANENT_ERRORS else exc


def check_webhook(status: int, body: str) -> None:
    """A response_url lives 30 minutes and takes 5 answers; past that retrying cannot help."""
    if status == 404 or body in ("expired_url", "used_url", "invalid_token"):
        raise PermanentJobError(f"response_url refused: {status} {body}")
    if status >= 300:
        raise ConnectionError(f"response_url answered {status} {body}")
