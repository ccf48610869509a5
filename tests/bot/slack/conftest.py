"""Fixtures for the Slack bot: a fake Slack Web API, the real app on a real port, signed deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.service import KnowledgeService, open_knowledge_base
from bot.settings import Settings
from bot.slack import mount
from knowledge.base import KnowledgeBase
from tests.bot.slack.fake_slack import FakeSlack, channel, user
from tests.conftest import FAKE_ABSTAIN_BELOW, shared_path
from tests.fakes import FakeEmbedder

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"


def sign(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signature: v0=HMAC-SHA256(secret, "v0:<timestamp>:<body>")."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def reference_event(name: str) -> dict[str, Any]:
    """An Events API envelope from ../shared/reference/slack/events (skips when the folder is absent)."""
    path: Path = shared_path("reference", "slack", "events", name)
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def slack_settings(tmp_path: Path, fake: FakeSlack, **extra: str) -> Settings:
    env = {
        "YOROZU_DATA_DIR": str(tmp_path),
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": TOKEN,
        "YOROZU_SLACK_API_URL": fake.api_url,
        **extra,
    }
    return Settings.from_env(env)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(
        users={
            "U1": user("U1", "佐藤 健", "北山市 情報政策課"),
            "U2": user("U2", "鈴木 花子", "南川町 総務課"),
            "U3": user("U3", "高橋 誠", "青葉県庁 情報政策課"),
            "U4": user("U4", "Tom Baker", "東浜市 デジタル推進課", locale="en-US"),
        },
        channels={
            "C1": channel("C1", "q-and-a"),
            "C2": channel("C2", "general"),
            "G1": channel("G1", "ciso-private", private=True),
        },
    )
    fake.bind()
    async with TestServer(fake.app(), host="127.0.0.1", port=0) as server:
        fake.server = server
        yield fake


class SlackClient:
    """Sends signed Events API envelopes, slash commands and actions to the running app."""

    def __init__(self, server: TestServer, http: aiohttp.ClientSession, app: web.Application, kb: KnowledgeBase):
        self.server = server
        self.http = http
        self.app = app
        self.kb = kb
        self._n = 0

    async def post(self, body: bytes, headers: dict[str, str]) -> aiohttp.ClientResponse:
        async with self.http.post(self.server.make_url("/slack/events"), data=body, headers=headers) as resp:
            await resp.read()
            return resp

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, **headers: str) -> int:
        """Wrap ``event`` in an envelope like Slack's and deliver it signed; returns the HTTP status."""
        self._n += 1
        envelope = {
            "token": "verification_token",
            "team_id": "T111",
            "api_app_id": "A111",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{self._n:06d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T111", "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}],
        }
        return await self.envelope(envelope, **headers)

    async def envelope(self, envelope: dict[str, Any], **headers: str) -> int:
        body = json.dumps(envelope, ensure_ascii=False).encode()
        resp = await self.post(body, {"Content-Type": "application/json", **sign(body), **headers})
        return resp.status

    async def form(self, fields: dict[str, str]) -> aiohttp.ClientResponse:
        body = urlencode(fields).encode()
        return await self.post(body, {"Content-Type": "application/x-www-form-urlencoded", **sign(body)})

    async def interact(self, payload: dict[str, Any]) -> tuple[int, Any]:
        """An interactive payload (button, shortcut, modal submit) as Slack posts it: form-encoded
        ``payload=<json>``, signed. Returns the status and the answer's JSON (``None`` when empty)."""
        body = urlencode({"payload": json.dumps(payload, ensure_ascii=False)}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
        async with self.http.post(self.server.make_url("/slack/events"), data=body, headers=headers) as resp:
            raw = await resp.read()
            return resp.status, json.loads(raw) if raw.strip() else None

    async def message(
        self,
        channel_id: str,
        ts: str,
        user_id: str,
        text: str,
        *,
        thread_ts: str | None = None,
        channel_type: str = "channel",
        **extra: Any,
    ) -> int:
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel_id,
            "user": user_id,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": channel_type,
            **extra,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return await self.event(event)

    async def drain(self, timeout: float = 30.0, *, strict: bool = True) -> None:
        """Wait until every job has run; fails on a job that failed (``strict``) or skips it."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            with self.kb.store.begin() as conn:
                rows = conn.exec_driver_sql("SELECT kind, last_error, done_at FROM jobs").all()
            errors = [(kind, error) for kind, error, _ in rows if error]
            assert not (strict and errors), errors
            if all(done or error for _, error, done in rows):
                return
            assert asyncio.get_running_loop().time() < deadline, f"jobs still pending: {rows}"
            await asyncio.sleep(0.02)


@pytest.fixture
async def slack(kb: KnowledgeBase, fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[SlackClient]:
    settings = slack_settings(tmp_path, fake_slack)
    async with running_slack(settings, kb) as client:
        yield client


@contextlib.asynccontextmanager
async def running_slack(
    settings: Settings, kb: KnowledgeBase, *, drain: bool = True, web_chat: bool = False
) -> AsyncIterator[SlackClient]:
    """The real app with Slack mounted (and the web chat, when asked), on a real port, until the block ends."""
    app = create_app(settings, service=KnowledgeService(kb), platforms=[mount], web_chat=web_chat)
    async with TestServer(app, host="127.0.0.1", port=0) as server, aiohttp.ClientSession() as http:
        client = SlackClient(server, http, app, kb)
        yield client
        if drain:
            # Let jobs still running (a person lookup after the asserted reply) finish before the servers stop.
            await client.drain(strict=False)


# People with roles and the specialists' channel in the curation tests: U3 (高橋 誠) is an admin.
CURATOR = "U3"
SPECIALISTS = "CSPEC"


def curation_settings(tmp_path: Path, fake: FakeSlack, database_url: str, **extra: str) -> Settings:
    """Settings for the curation flows: a curator, a specialists' channel, the fake embedder's threshold."""
    env = {
        "YOROZU_DATABASE_URL": database_url,
        "YOROZU_ABSTAIN_BELOW": str(FAKE_ABSTAIN_BELOW),
        "YOROZU_ADMINS": f"slack:{CURATOR}",
        "YOROZU_SLACK_SPECIALISTS_CHANNEL": SPECIALISTS,
        **extra,
    }
    return slack_settings(tmp_path, fake, **{k: v for k, v in env.items() if v})


@pytest.fixture
async def curated(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path, embedder: FakeEmbedder
) -> AsyncIterator[SlackClient]:
    """The app with a curator and a specialists' channel configured, on the parametrised database."""
    settings = curation_settings(tmp_path, fake_slack, database_url)
    kb = open_knowledge_base(settings, embedder=embedder)
    try:
        async with running_slack(settings, kb) as client:
            yield client
    finally:
        kb.close()
