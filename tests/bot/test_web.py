"""The local web chat and the app shell, through a real server on an ephemeral port."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import MAX_BODY_BYTES, create_app
from bot.service import KnowledgeService
from bot.settings import ConfigError, Settings
from knowledge.base import KnowledgeBase
from knowledge.model import Actor
from tests.conftest import BACKUP_THREAD, MACRO_THREAD, community

# A refusal the web chat shows: Japanese, as the page is (kana or kanji in it).
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


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
        assert JAPANESE.search((await resp.json())["error"])  # the page shows it as it is


async def test_oversized_body_is_413(server: TestServer, http: aiohttp.ClientSession) -> None:
    big = io.BytesIO(b'{"question": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}')
    async with http.post(server.make_url("/api/ask"), data=big, headers={"Content-Type": "application/json"}) as resp:
        assert resp.status == 413
        assert "質問が長すぎます" in (await resp.json())["error"]


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


# --- commands, whole threads, the buttons ----------------------------------------------------------


async def ask(http: aiohttp.ClientSession, server: TestServer, text: str) -> dict[str, Any]:
    async with http.post(server.make_url("/api/ask"), json={"question": text}) as resp:
        assert resp.status == 200
        return dict(await resp.json())


async def test_help_and_who_answer_as_in_chat_and_are_never_gaps(
    kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession
) -> None:
    data = await ask(http, server, "help")
    assert data["kind"] == "help" and "who <テーマ>" in data["text"]
    assert (await ask(http, server, "ヘルプ"))["kind"] == "help"
    data = await ask(http, server, "who Excelマクロ VBA 保守")
    assert data["kind"] == "who" and data["topic"] == "Excelマクロ VBA 保守"
    suzuki = next(e for e in data["experts"] if e["name"] == "鈴木 花子")
    # Why they are an expert (the threads, to open in the page) and how to reach them on their platform.
    assert suzuki["evidence"] == [
        {
            "key": "slack:C1:100.0",
            "title": "Excelマクロを作った職員が異動して、誰もVBAを保守できません。",
            "url": None,
            "accepted": False,
        }
    ]
    assert suzuki["contact_url"] == "https://slack.com/app_redirect?channel=U2"
    report = kb.insights(days=30)
    assert report.gaps_total == 0 and report.gaps == () and report.helpfulness.unknown == 0


async def test_a_whole_public_thread_and_nothing_private(server: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.get(server.make_url("/api/thread"), params={"key": "slack:C1:100.0"}) as resp:
        assert resp.status == 200
        data = await resp.json()
    assert data["question"]["text"] == MACRO_THREAD[0].text
    assert data["question"]["author"] == "佐藤 健" and data["question"]["organization"] == "北山市 情報政策課"
    assert [(r["author"], r["text"]) for r in data["replies"]] == [
        ("鈴木 花子", MACRO_THREAD[1].text),
        ("高橋 誠", MACRO_THREAD[2].text),
    ]
    assert data["channel_name"] == "q-and-a" and data["faq_id"] is None
    for key, status in [("slack:G1:200.0", 404), ("slack:C1:999.0", 404), ("no-colons", 400), ("", 400)]:
        async with http.get(server.make_url("/api/thread"), params={"key": key}) as resp:
            assert resp.status == status, key
            assert JAPANESE.search((await resp.json())["error"]), key


async def test_buttons_feed_the_review_queue_and_helpfulness(
    kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession
) -> None:
    first = await ask(http, server, MACRO_THREAD[0].text)
    second = await ask(http, server, "Excelマクロの保守ができません、皆さんどうしていますか？")
    assert first["question_id"] != second["question_id"]
    for data, verdict in ((first, "unhelpful"), (second, "solved")):
        body = {
            "verdict": verdict,
            "visitor": "v0123456789abcdef",
            "question_id": data["question_id"],
            "question": data["question"],
            "suggested_thread": data["suggestions"][0]["thread_id"],
        }
        async with http.post(server.make_url("/api/feedback"), json=body) as resp:
            assert resp.status == 200 and await resp.json() == {"recorded": verdict}
    (item,) = kb.review_queue()
    assert (item.platform, item.question, item.suggested_thread) == ("web", MACRO_THREAD[0].text, "slack:C1:100.0")
    # Each press is matched with the question it judges: one solved, one not helpful, none unknown.
    assert kb.insights(days=30).helpfulness.to_json() == {"solved": 1, "unhelpful": 1, "unknown": 0, "rate": 0.5}


@pytest.mark.parametrize(
    "change",
    [
        {"verdict": "great"},
        {"visitor": "x"},
        {"visitor": "<script>alert(1)</script>"},
        {"question_id": "not-an-id"},
        {"question": ""},
        {"suggested_thread": "nothing"},
    ],
)
async def test_feedback_with_bad_input_is_a_clear_400(
    kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession, change: dict[str, str]
) -> None:
    body = {
        "verdict": "unhelpful",
        "visitor": "v0123456789abcdef",
        "question_id": "0" * 32,
        "question": "質問",
        "suggested_thread": "slack:C1:100.0",
        **change,
    }
    async with http.post(server.make_url("/api/feedback"), json=body) as resp:
        assert resp.status == 400 and JAPANESE.search((await resp.json())["error"])
    assert kb.review_queue() == []


async def test_faq_entries_show_their_verifier_and_threads_the_answers_date(
    kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession
) -> None:
    question = "Excelマクロを作った職員が異動して誰もVBAを保守できないときはどうしますか"
    entry = kb.faq_create(Actor.operator(), question=question, answer="棚卸しして手順書を作ります。", publish=True)
    kb.faq_verify(Actor("cli", "console", "佐藤 健一"), entry.id, verified_at=datetime(2026, 4, 1, 1, tzinfo=UTC))
    draft = kb.faq_create(Actor.operator(), question="下書きの質問", answer="下書きの答え")
    data = await ask(http, server, question)
    top, thread = data["suggestions"][0], data["suggestions"][1]
    assert top["kind"] == "faq" and top["verified_by"] == "佐藤 健一"
    assert top["verified_at"].startswith("2026-04-01") and top["answered_at"].startswith("2026-04-01")
    # A thread's date is its answer's (the accepted one, else the first), not the question's.
    assert thread["answered_at"] == MACRO_THREAD[1].posted_at.isoformat() != thread["asked_at"]
    async with http.get(server.make_url(f"/api/faq/{entry.id}")) as resp:
        assert resp.status == 200
        full = await resp.json()
    assert full["answer"] == "棚卸しして手順書を作ります。" and full["verified_by"] == "佐藤 健一"
    async with http.get(server.make_url(f"/api/faq/{draft.id}")) as resp:
        assert resp.status == 404  # drafts are not shown in the web chat


async def test_members_web_chat_is_behind_the_consoles_guard(
    kb: KnowledgeBase, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    token = "members-token-for-tests-0123456789"
    with pytest.raises(ConfigError, match="YOROZU_CONSOLE_TOKEN"):
        Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path), "YOROZU_WEB_CHAT": "1"})
    kb.ingest_many(community() + MACRO_THREAD)
    settings = Settings.from_env(
        {"YOROZU_DATA_DIR": str(tmp_path), "YOROZU_WEB_CHAT": "1", "YOROZU_CONSOLE_TOKEN": token}
    )
    assert settings.web_chat and not settings.local
    app = create_app(settings, service=KnowledgeService(kb), web_chat=settings.web_chat, console=True)
    async with TestServer(app, host="127.0.0.1", port=0) as srv:
        async with http.get(srv.make_url("/")) as resp:
            assert resp.status == 200  # the page holds no data
        async with http.post(srv.make_url("/api/ask"), json={"question": MACRO_THREAD[0].text}) as resp:
            assert resp.status == 401
        async with http.get(srv.make_url("/api/thread"), params={"key": "slack:C1:100.0"}) as resp:
            assert resp.status == 401
        bearer = {"Authorization": f"Bearer {token}"}
        async with http.post(srv.make_url("/api/ask"), json={"question": MACRO_THREAD[0].text}, headers=bearer) as resp:
            assert resp.status == 200 and (await resp.json())["suggestions"]
