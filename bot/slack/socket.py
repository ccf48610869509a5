"""Socket Mode: events over a WebSocket Yorozu opens, for offices that cannot expose an HTTPS endpoint.

The same Bolt app (the same listeners, the same ack-after-store rule) is fed by slack_bolt's
``AsyncSocketModeHandler`` instead of ``POST /slack/events``. Slack does not sign Socket Mode envelopes:
the app-level token (``xapp-``, scope ``connections:write``) that opened the connection authenticates them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import ConfigError, Settings
from bot.slack.app import SlackBot

log = logging.getLogger(__name__)


def app_token(settings: Settings) -> str:
    """The app-level token, checked; the SDK's own fallback to ``SLACK_APP_TOKEN`` is never used."""
    if not settings.slack_app_token:
        raise ConfigError("Socket Mode needs SLACK_APP_TOKEN (an app-level token, xapp-..., scope connections:write)")
    token = settings.slack_app_token.reveal()
    if not token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token (xapp-...), not a bot or user token")
    return token


def build_handler(bot: SlackBot, settings: Settings) -> AsyncSocketModeHandler:
    """The Socket Mode handler over ``bot``'s Bolt app; ``apps.connections.open`` goes to ``slack_api_url``."""
    token = app_token(settings)
    return AsyncSocketModeHandler(
        bot.bolt,
        app_token=token,
        logger=logging.getLogger("bot.slack.socket_mode"),
        web_client=AsyncWebClient(base_url=settings.slack_api_url),
    )


def socket_mode(bot: SlackBot, settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    """A ``cleanup_ctx`` entry: connect when the app starts, disconnect when it stops."""
    app_token(settings)  # configuration errors surface at mount, before serving

    async def run(app: web.Application) -> AsyncIterator[None]:
        # Built here: the handler opens an aiohttp session, which needs the running loop.
        handler = build_handler(bot, settings)
        await handler.connect_async()
        log.info("Slack Socket Mode connected")
        try:
            yield
        finally:
            await handler.close_async()

    return run
