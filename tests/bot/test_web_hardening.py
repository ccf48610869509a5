"""The web chat, the console and local mode against the audit's attacks: deep JSON, unstorable text,
``javascript:`` links, DNS rebinding and token guessing."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import configured_platforms, create_app
from bot.service import KnowledgeService
from bot.settings import Secret, Settings
from bot.web.console import console_enabled
from bot.web.console_auth import CSRF_HEADER, FREE_ATTEMPTS, MAX_WAIT_SECONDS, ConsoleAuth, Throttle
from bot.web.routes import STATIC
from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.importers.teams_graph import read_teams_graph
from tests.conftest import MACRO_THREAD, community

TOKEN = "console-token-for-tests-0123456789"
DEEP = b"[" * 1000 + b"]" * 1000


@pytest.fixture
async def local(kb: KnowledgeBase, tmp_path: Path) -> AsyncIterator[TestServer]:
    """``yorozu serve --local``: web chat, console and the Emulator's Teams endpoint, loopback only."""
    kb.ingest_many(community() + MACRO_THREAD)
    settings = Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path), "YOROZU_LOCAL": "1"})
    app = create_app(
        settings,
        service=KnowledgeService(kb),
        web_chat=True,
        console=console_enabled(settings),
        platforms=configured_platforms(settings),
    )
    async with TestServer(app, host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
async def guarded(kb: KnowledgeBase, tmp_path: Path) -> AsyncIterator[TestServer]:
    """A console guarded by a token, as on a real host."""
    settings = Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path), "YOROZU_CONSOLE_TOKEN": TOKEN})
    app = create_app(settings, service=KnowledgeService(kb), console=True)
    async with TestServer(app, host="127.0.0.1", port=0) as server:
        yield server


async def post(server: TestServer, path: str, body: bytes, **headers: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http:
        sent = {"Content-Type": "application/json", **headers}
        async with http.post(server.make_url(path), data=body, headers=sent) as resp:
            raw = await resp.read()
            return resp.status, json.loads(raw) if raw.strip() else None


async def test_deeply_nested_json_is_400_on_the_web_chat_and_the_console(
    local: TestServer, guarded: TestServer
) -> None:
    for path in ("/api/ask", "/api/who"):
        assert (await post(local, path, DEEP))[0] == 400
    bearer = {"Authorization": f"Bearer {TOKEN}", CSRF_HEADER: "1"}
    for path in ("/api/console/login", "/api/console/faq/1/verify", "/api/console/review/1/resolve"):
        assert (await post(guarded, path, DEEP, **bearer))[0] == 400, path
        assert (await post(guarded, path, b'{"a": ' * 1000 + b"1" + b"}" * 1000, **bearer))[0] == 400, path


async def test_unstorable_text_in_the_web_chat_is_answered(local: TestServer) -> None:
    body = json.dumps({"question": "Excelマクロ\ud800の保守\u0000は？"}).encode()
    status, answer = await post(local, "/api/ask", body)
    assert status == 200
    assert "\ud800" not in answer["question"] and "\x00" not in answer["question"]
    assert (await post(local, "/api/who", json.dumps({"topic": "\udfffVBA"}).encode()))[0] == 200


def test_the_page_has_no_inline_code_for_its_policy_to_allow() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # every script is a file
    assert "<style" not in html
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert not re.search(r"\sstyle\s*=", html)
    assert "javascript:" not in html


async def test_the_web_chat_page_has_a_content_security_policy(local: TestServer) -> None:
    async with aiohttp.ClientSession() as http, http.get(local.make_url("/")) as resp:
        assert resp.status == 200
        policy = resp.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src 'self';" in policy
        assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_only_http_links_reach_the_web_chat(kb: KnowledgeBase, local: TestServer) -> None:
    question = "ファイルサーバーのアクセス権は異動のときどう整理していますか？"
    answer = "異動の前日に申請書で棚卸しして、アクセス権を一括で付け替えています。"
    kb.ingest_many(
        [
            ev.MessagePosted(
                "slack", "C1", "500.0", "U1", question, datetime(2026, 4, 2, tzinfo=UTC), url="javascript:alert(1)"
            ),
            ev.MessagePosted("slack", "C1", "500.1", "U2", answer, datetime(2026, 4, 2, 1, tzinfo=UTC), "500.0"),
        ]
    )
    kb.sync()
    status, result = await post(local, "/api/ask", json.dumps({"question": question}).encode())
    assert status == 200
    (found,) = [s for s in result["suggestions"] if s["root_message_id"] == "500.0"]
    assert found["url"] is None


def test_a_graph_import_keeps_only_http_links(tmp_path: Path) -> None:
    def message(mid: str, url: str) -> dict[str, Any]:
        return {
            "id": mid,
            "replyToId": None,
            "messageType": "message",
            "createdDateTime": "2026-04-01T01:00:00Z",
            "webUrl": url,
            "from": {"user": {"id": "u1", "displayName": "佐藤"}},
            "body": {"contentType": "text", "content": "VBAの保守はどうしていますか？"},
            "channelIdentity": {"teamId": "t", "channelId": "19:c@thread.tacv2"},
        }

    page = tmp_path / "page.json"
    urls = [
        "javascript:alert(document.cookie)",
        " JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "https://teams.microsoft.com/l/m",
    ]
    page.write_text(json.dumps({"value": [message(str(n), u) for n, u in enumerate(urls)]}))
    posted = {e.message_id: e.url for e in read_teams_graph(page) if isinstance(e, ev.MessagePosted)}
    assert posted == {"0": None, "1": None, "2": None, "3": "https://teams.microsoft.com/l/m"}


@pytest.mark.parametrize("host", ["evil.example", "evil.example:3978", "127.0.0.1.evil.example", "a b"])
async def test_local_mode_refuses_other_host_names_on_every_route(
    kb: KnowledgeBase, local: TestServer, host: str
) -> None:
    """DNS rebinding: a page on evil.example whose name now points at 127.0.0.1 reaches the server with
    ``Host: evil.example``; it must not post into the Emulator's endpoint or read the web chat."""
    before = kb.stats().messages
    emulator = {
        "type": "message",
        "id": "m1",
        "channelId": "emulator",
        "serviceUrl": "http://127.0.0.1:9/",
        "conversation": {"id": "c1"},
        "recipient": {"id": "bot"},
        "from": {"id": "user"},
        "text": "VBAの保守はどうしていますか？",
    }
    for path, body in (
        ("/api/messages", emulator),
        ("/api/ask", {"question": "VBAの保守"}),
        ("/api/console/faq/1/verify", {}),
    ):
        status, answer = await post(local, path, json.dumps(body).encode(), Host=host, **{CSRF_HEADER: "1"})
        assert status == 403, (path, status, answer)
    async with aiohttp.ClientSession() as http:
        for path in ("/", "/healthz", "/console", "/api/console/review"):
            async with http.get(local.make_url(path), headers={"Host": host}) as resp:
                assert resp.status == 403, path
    assert kb.stats().messages == before
    # The same requests naming localhost still work.
    status, _ = await post(local, "/api/ask", json.dumps({"question": "VBAの保守"}).encode(), Host="localhost")
    assert status == 200


async def test_wrong_console_tokens_are_slowed_down_and_logged_once(
    guarded: TestServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    statuses = []
    async with aiohttp.ClientSession() as http:
        for n in range(FREE_ATTEMPTS + 10):
            headers = {CSRF_HEADER: "1", "Content-Type": "application/json"}
            body = json.dumps({"token": f"guess-{n:04d}-0123456789abcdef"})
            async with http.post(guarded.make_url("/api/console/login"), data=body, headers=headers) as resp:
                statuses.append(resp.status)
                if resp.status == 429:
                    assert int(resp.headers["Retry-After"]) >= 1
        # Blocked, the right token is not even looked at; the bearer header counts as a guess too.
        async with http.get(guarded.make_url("/api/console/review"), headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            assert r.status == 429
    assert statuses[:FREE_ATTEMPTS] == [401] * FREE_ATTEMPTS
    assert set(statuses[FREE_ATTEMPTS:]) == {429}
    warnings = [r for r in caplog.records if r.name == "bot.web.console_auth"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]


def test_the_back_off_doubles_and_ends() -> None:
    now = [1000.0]
    throttle = Throttle(clock=lambda: now[0])
    auth = ConsoleAuth(Secret(TOKEN), throttle)
    assert auth.token is not None
    waits = []
    for _ in range(FREE_ATTEMPTS + 12):
        throttle.failed("203.0.113.5")
        waits.append(throttle.wait("203.0.113.5"))
    assert waits[: FREE_ATTEMPTS - 1] == [0.0] * (FREE_ATTEMPTS - 1)
    assert waits[FREE_ATTEMPTS - 1 : FREE_ATTEMPTS + 3] == [1.0, 2.0, 4.0, 8.0]
    assert waits[-1] == MAX_WAIT_SECONDS
    assert throttle.wait("198.51.100.7") == 0.0  # another client is not slowed down
    now[0] += 301
    assert throttle.wait("203.0.113.5") == 0.0  # waited long enough: one more try is looked at
    throttle.failed("203.0.113.5")
    assert throttle.wait("203.0.113.5") == MAX_WAIT_SECONDS  # ...and a wrong one waits the longest again
    now[0] += 3600
    assert throttle.wait("203.0.113.5") == 0.0
    throttle.failed("203.0.113.5")
    assert throttle.wait("203.0.113.5") == 0.0  # the burst ended: a fresh start
