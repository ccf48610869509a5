"""The local web chat and the app shell, through a real server on an ephemeral port."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import MAX_BODY_BYTES, create_app
from bot.service import KnowledgeService
from bot.settings import Settings
from knowledge.base import KnowledgeBase
from tests.conftest import BACKUP_THREAD, MACRO_THREAD, community


@pytest.fixture
async def server(kb: KnowledgeBase, tmp_path: Path) -> AsyncIterator[TestServer]:
    kb.ingest_many(community() + MACRO_THREAD + BACKUP_THREAD)
    settings = Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path), "YOROZU_LOCAL": "1"})
    app = create_app(settings, service=KnowledgeService(kb), web_chat=True)
    async with TestServer(app, host="127.0.0.1", port=0) as srv:
        yield srv


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_page_is_served(server: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.get(server.make_url("/")) as resp:
        assert resp.status == 200 and resp.content_type == "text/html"
        body = await resp.text()
    assert "Yorozu" in body and 'src="/static/chat.js"' in body
    # No inline code: the page works under a Content-Security-Policy without 'unsafe-inline'.
    assert "<style" not in body and not re.search(r"<script(?![^>]*\bsrc=)", body) and " on" not in body.lower()
    async with http.get(server.make_url("/static/chat.js")) as resp:
        assert resp.status == 200 and resp.content_type == "text/javascript"
        script = await resp.text()
    assert "/api/ask" in script and "/api/feedback" in script and "/api/thread" in script
    assert "innerHTML" not in script  # user text is only ever inserted as text
    async with http.get(server.make_url("/static/chat.css")) as resp:
        assert resp.status == 200 and resp.content_type == "text/css"


async def test_ask_returns_suggestions_with_answerers(server: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.post(server.make_url("/api/ask"), json={"question": MACRO_THREAD[0].text}) as resp:
        assert resp.status == 200
        data = await resp.json()
    assert data["abstained"] is False
    top = data["suggestions"][0]
    assert top["root_message_id"] == "100.0"
    assert top["answerers"][0] == {"name": "鈴木 花子", "organization": "南川町 総務課"}
    # The web chat has no login: private threads never show.
    async with http.post(server.make_url("/api/ask"), json={"question": BACKUP_THREAD[0].text}) as resp:
        assert all(s["root_message_id"] != "200.0" for s in (await resp.json())["suggestions"])


async def test_ask_abstains_on_unrelated_questions(server: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.post(server.make_url("/api/ask"), json={"question": "給食の献立はいつ決まりますか"}) as resp:
        data = await resp.json()
    assert data["abstained"] is True and data["suggestions"] == [] and data["kind"] == "answer"


async def test_who_names_people(server: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.post(server.make_url("/api/who"), json={"topic": "Excelマクロ VBA 保守"}) as resp:
        assert resp.status == 200
        data = await resp.json()
    assert {e["name"] for e in data["experts"]} == {"鈴木 花子", "高橋 誠"}


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"{not json", {"Content-Type": "application/json"}, 400),
        (b'["a list"]', {"Content-Type": "application/json"}, 400),
        (b'{"question": ""}', {"Content-Type": "application/json"}, 400),
        (b'{"question": 42}', {"Content-Type": "application/json"}, 400),
        (b"question=hi", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        (b"\xff\xfe\x00", {"Content-Type": "application/json"}, 400),
    ],
)
async def test_bad_input_gets_a_clear_4xx(
    server: TestServer, http: aiohttp.ClientSession, body: bytes, headers: dict[str, str], status: int
) -> None:
    async with http.post(server.make_url("/api/ask"), data=body, headers=headers) as resp:
        assert resp.status == status
        assert "error" in await resp.json()


async def test_oversized_body_is_413(server: TestServer, http: aiohttp.ClientSession) -> None:
    big = io.BytesIO(b'{"question": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}')
    async with http.post(server.make_url("/api/ask"), data=big, headers={"Content-Type": "application/json"}) as resp:
        assert resp.status == 413


async def test_unknown_route_and_method(server: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.get(server.make_url("/nope")) as resp:
        assert resp.status == 404
    async with http.get(server.make_url("/api/ask")) as resp:
        assert resp.status == 405


async def test_health_reports_the_index(server: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.get(server.make_url("/healthz")) as resp:
        data = await resp.json()
    assert data["status"] == "ok" and data["threads"] == 2
    assert set(data["meaning"]) == {"threads", "indexed", "faq_published", "pending"}
