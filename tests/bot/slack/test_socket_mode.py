"""Socket Mode: configuration errors, wiring, and a round trip over a real WebSocket to a fake Slack."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.app import configured_platforms, create_app
from bot.service import KnowledgeService
from bot.settings import ConfigError
from bot.slack import SLACK_BOT_KEY, mount
from bot.slack.socket import build_handler
from knowledge.base import KnowledgeBase
from tests.bot.slack.conftest import slack_settings
from tests.bot.slack.fake_slack import APP_TOKEN, FakeSlack
from tests.conftest import MACRO_THREAD, community


async def drained(kb: KnowledgeBase, timeout: float = 10.0) -> None:
    """Until every job has run."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        with kb.store.begin() as conn:
            pending = conn.exec_driver_sql("SELECT count(*) FROM jobs WHERE done_at IS NULL").scalar()
        if not pending:
            return
        assert asyncio.get_running_loop().time() < deadline, f"{pending} jobs still pending"
        await asyncio.sleep(0.02)


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


def test_http_mode_only_mounts_the_endpoint(tmp_path: Path, fake_slack: FakeSlack, kb: KnowledgeBase) -> None:
    app = create_app(slack_settings(tmp_path, fake_slack), service=KnowledgeService(kb), platforms=[mount])
    routes = {(r.method, r.resource.canonical) for r in app.router.routes() if r.resource is not None}
    assert ("POST", "/slack/events") in routes
    # The background loops only: no Socket Mode connection is opened.
    assert [getattr(entry, "__qualname__", "") for entry in app.cleanup_ctx] == ["_background"]


async def test_a_socket_mode_event_is_stored_before_its_ack_and_answered(
    tmp_path: Path, fake_slack: FakeSlack, kb: KnowledgeBase
) -> None:
    """One real round trip: apps.connections.open with the app token, Slack's hello, an Events API
    envelope over the WebSocket, the ack once the message is stored, the answer through the Web API."""
    kb.ingest_many(community() + MACRO_THREAD)
    settings = slack_settings(
        tmp_path, fake_slack, YOROZU_SLACK_SOCKET_MODE="1", SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET=""
    )
    app = create_app(settings, service=KnowledgeService(kb), platforms=[mount])
    async with TestServer(app, host="127.0.0.1", port=0):
        socket = await fake_slack.wait_for_socket()
        (opened,) = fake_slack.called("apps.connections.open")
        question = {
            "type": "message",
            "channel": "C1",
            "user": "U2",
            "text": "VBAのExcelマクロを作った職員が異動しました。保守できる人がいないとき皆さんどうしていますか？",
            "ts": "1700100000.000100",
            "event_ts": "1700100000.000100",
            "channel_type": "channel",
        }
        envelope = {
            "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf",
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
            "payload": {
                "token": "verification_token",
                "team_id": "T111",
                "api_app_id": "A111",
                "event": question,
                "type": "event_callback",
                "event_id": "EvSOCKET1",
                "event_time": 1700100000,
            },
        }
        messages_before = kb.stats().messages
        await socket.send_json(envelope)
        (ack,) = await fake_slack.wait_for_ack(envelope["envelope_id"])
        assert ack == {"envelope_id": envelope["envelope_id"]}
        assert kb.stats().messages == messages_before + 1  # stored before the ack was sent
        (post,) = await fake_slack.wait_for("chat.postMessage")
        assert (post["channel"], post["thread_ts"]) == ("C1", "1700100000.000100")
        assert "手順書" in json.dumps(post["blocks"], ensure_ascii=False)
        # Slack's redelivery of the same envelope is acknowledged and stores nothing again.
        await socket.send_json({**envelope, "envelope_id": "e2", "retry_attempt": 1, "retry_reason": "timeout"})
        await fake_slack.wait_for_ack("e2")
        assert kb.stats().messages == messages_before + 1
        await drained(kb)
    assert fake_slack.called("chat.postMessage") == [post]
    assert "xoxb" not in str(opened)
