"""Socket Mode wiring and configuration errors (the WebSocket itself needs Slack and is not run here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from bot.app import configured_platforms, create_app
from bot.service import KnowledgeService
from bot.settings import ConfigError
from bot.slack import SLACK_BOT_KEY, mount
from bot.slack.socket import build_handler
from knowledge.base import KnowledgeBase
from tests.bot.slack.conftest import slack_settings
from tests.bot.slack.fake_slack import FakeSlack


def test_socket_mode_needs_an_app_level_token(tmp_path: Path, fake_slack: FakeSlack, kb: KnowledgeBase) -> None:
    service = KnowledgeService(kb)
    missing = slack_settings(tmp_path, fake_slack, YOROZU_SLACK_SOCKET_MODE="1")
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        create_app(missing, service=service, platforms=[mount])
    wrong = slack_settings(tmp_path, fake_slack, YOROZU_SLACK_SOCKET_MODE="1", SLACK_APP_TOKEN="xoxb-not-an-app-token")
    with pytest.raises(ConfigError, match="xapp-"):
        create_app(wrong, service=service, platforms=[mount])


def test_a_bot_token_is_required(tmp_path: Path, fake_slack: FakeSlack, kb: KnowledgeBase) -> None:
    settings = slack_settings(tmp_path, fake_slack, SLACK_BOT_TOKEN="")
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        create_app(settings, service=KnowledgeService(kb), platforms=[mount])


async def test_socket_mode_feeds_the_same_bolt_app(tmp_path: Path, fake_slack: FakeSlack, kb: KnowledgeBase) -> None:
    settings = slack_settings(
        tmp_path, fake_slack, YOROZU_SLACK_SOCKET_MODE="1", SLACK_APP_TOKEN="xapp-1-A111-test", SLACK_SIGNING_SECRET=""
    )
    assert configured_platforms(settings) == [mount]
    app = create_app(settings, service=KnowledgeService(kb), platforms=[mount])
    bot = app[SLACK_BOT_KEY]
    # No signing secret: no HTTP endpoint, only the socket.
    assert not [r for r in app.router.routes() if r.resource and r.resource.canonical == "/slack/events"]
    handler = build_handler(bot, settings)
    assert handler.app is bot.bolt
    assert handler.app_token == "xapp-1-A111-test"
    assert handler.client.web_client.base_url == fake_slack.api_url
    await handler.close_async()
    assert len(app.cleanup_ctx) >= 2  # the indexer/job runner and the socket connection


def test_http_mode_only_mounts_the_endpoint(tmp_path: Path, fake_slack: FakeSlack, kb: KnowledgeBase) -> None:
    app = create_app(slack_settings(tmp_path, fake_slack), service=KnowledgeService(kb), platforms=[mount])
    routes = {(r.method, r.resource.canonical) for r in app.router.routes() if r.resource is not None}
    assert ("POST", "/slack/events") in routes
    assert isinstance(app, web.Application)
