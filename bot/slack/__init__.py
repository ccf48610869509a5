"""Slack: the only package that imports slack_bolt / slack_sdk.

``mount`` adds ``POST /slack/events`` (HTTP mode, when ``SLACK_SIGNING_SECRET`` is set) and/or a Socket
Mode connection (``--slack-socket-mode`` with ``SLACK_APP_TOKEN``) to the project's aiohttp app, and
returns the job handlers that send Slack replies.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from bot.jobs import JobHandler
from bot.service import KnowledgeService
from bot.settings import ConfigError, Settings
from bot.slack.app import PATH, SlackBot

SLACK_BOT_KEY = web.AppKey("slack_bot", SlackBot)


def mount(app: web.Application, settings: Settings, service: KnowledgeService) -> Mapping[str, JobHandler]:
    """Add Slack to ``app``; the credentials come from ``settings`` only."""
    if not settings.slack_signing_secret and not settings.slack_socket_mode:
        raise ConfigError("Slack needs SLACK_SIGNING_SECRET (HTTP mode) or --slack-socket-mode with SLACK_APP_TOKEN")
    bot = SlackBot(settings=settings, service=service)
    app[SLACK_BOT_KEY] = bot
    if settings.slack_signing_secret:
        app.router.add_post(PATH, bot.handle_http)
    if settings.slack_socket_mode and settings.accepts_requests:
        from bot.slack.socket import socket_mode

        app.cleanup_ctx.append(socket_mode(bot, settings))
    return bot.job_handlers()


__all__ = ["SLACK_BOT_KEY", "SlackBot", "mount"]
