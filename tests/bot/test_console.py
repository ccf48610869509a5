"""The specialist console through the real aiohttp app on an ephemeral port: the gate, the review queue,
FAQ curation, insights, opt-out, and bad input."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import MAX_BODY_BYTES, create_app
from bot.service import KnowledgeService
from bot.settings import ConfigError, Secret, Settings
from bot.web.console import MAX_BODY_BYTES as CONSOLE_MAX_BODY
from bot.web.console import STATIC, console_enabled
from bot.web.console_auth import COOKIE, CSRF_HEADER, SESSION_SECONDS, ConsoleAuth
from knowledge.base import KnowledgeBase
from knowledge.model import Actor, FaqStatus, Role, SuggestionKind, Verdict
from tests.conftest import BACKUP_THREAD, MACRO_THREAD, community, post

TOKEN = "console-token-for-tests-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
POST_HEADERS = {CSRF_HEADER: "1", "Content-Type": "application/json"}
FAQ_QUESTION = "Excelマクロを作った職員が異動して誰も直せないときはどうすればよいですか"
FAQ_ANSWER = "まずマクロを棚卸しして、不要なものは廃止、残すものは手順書と引継ぎ書を作ります。"
TAKAHASHI = Actor("slack", "U3", "高橋 誠")

Served = Callable[..., AbstractAsyncContextManager[TestServer]]


@pytest.fixture
def serve(kb: KnowledgeBase, tmp_path: Path) -> Served:
    """Start the app with these environment settings (``YOROZU_DATA_DIR`` added), console as configured."""
    kb.ingest_many(community() + MACRO_THREAD + BACKUP_THREAD)

    @asynccontextmanager
    async def start(env: dict[str, str]) -> AsyncIterator[TestServer]:
        settings = Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path), **env})
        app = create_app(settings, service=KnowledgeService(kb), console=console_enabled(settings))
        async with TestServer(app, host="127.0.0.1", port=0) as srv:
            yield srv

    return start


@pytest.fixture
async def server(serve: Served) -> AsyncIterator[TestServer]:
    """A console guarded by a token, not in local mode (as on a real host)."""
    async with serve({"YOROZU_CONSOLE_TOKEN": TOKEN}) as srv:
        yield srv


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # The unsafe jar keeps cookies for an IP address host (127.0.0.1), as a browser does.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    server: TestServer,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """One request with the token (and the page's POST headers); (status, parsed JSON body)."""
    sent = {**BEARER, **(POST_HEADERS if method == "POST" else {}), **(headers or {})}
    data = json.dumps(body).encode() if body is not None else (b"{}" if method == "POST" else None)
    async with http.request(method, server.make_url(path), data=data, headers=sent) as resp:
        assert resp.content_type == "application/json", await resp.text()
        return resp.status, await resp.json()


def unhelpful(kb: KnowledgeBase, question: str, *, message_id: str = "500.0") -> None:
    kb.record_feedback(
        platform="slack",
        channel_id="C1",
        question_message_id=message_id,
        question=question,
        suggested_thread="slack:C1:100.0",
        person_id="U4",
        verdict=Verdict.UNHELPFUL,
    )


# --- when the console exists -----------------------------------------------------------------------


async def test_without_token_or_local_mode_the_routes_do_not_exist(serve: Served, http: aiohttp.ClientSession) -> None:
    async with serve({}) as srv:
        for method, path in [
            ("GET", "/console"),
            ("GET", "/console/console.js"),
            ("GET", "/api/console/review"),
            ("POST", "/api/console/login"),
            ("POST", "/api/console/faq/1/status"),
        ]:
            async with http.request(method, srv.make_url(path), headers={**BEARER, **POST_HEADERS}) as resp:
                assert resp.status == 404, path
        async with http.get(srv.make_url("/healthz")) as resp:
            assert resp.status == 200  # the app itself is up


def test_mounting_an_unguarded_console_is_refused(kb: KnowledgeBase, tmp_path: Path) -> None:
    settings = Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path)})
    assert console_enabled(settings) is False
    with pytest.raises(ConfigError, match="YOROZU_CONSOLE_TOKEN"):
        create_app(settings, service=KnowledgeService(kb), console=True)


def test_the_token_is_a_secret_of_some_length(tmp_path: Path) -> None:
    settings = Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path), "YOROZU_CONSOLE_TOKEN": TOKEN})
    assert settings.console_token == Secret(TOKEN) and console_enabled(settings)
    assert TOKEN not in repr(settings) and TOKEN not in repr(ConsoleAuth(settings.console_token))
    with pytest.raises(ConfigError, match="at least 16 characters"):
        Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path), "YOROZU_CONSOLE_TOKEN": "short"})


async def test_page_and_assets_are_local_and_hold_no_data(server: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.get(server.make_url("/console")) as resp:
        assert resp.status == 200 and resp.content_type == "text/html"
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Frame-Options"] == "DENY"
        page = await resp.text()
    assert 'lang="ja"' in page and "/console/console.js" in page and TOKEN not in page
    async with http.get(server.make_url("/console/console.js")) as resp:
        assert resp.status == 200 and resp.content_type == "text/javascript"
        script = await resp.text()
    assert "/api/console/review" in script and CSRF_HEADER in script
    assert "yorozu.console.lang" in script  # Japanese unless English is chosen on the page
    for name in ("console.html", "console.js", "console.css"):
        text = (STATIC / name).read_text(encoding="utf-8")
        # No CDN, no web font, no other origin: the page works on a closed network.
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), name


# --- the gate --------------------------------------------------------------------------------------


async def test_every_api_request_needs_the_token(server: TestServer, http: aiohttp.ClientSession) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}, {"Authorization": f"Basic {TOKEN}"}):
        async with http.get(server.make_url("/api/console/review"), headers=headers) as resp:
            assert resp.status == 401
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
            assert "error" in await resp.json()
    async with http.post(server.make_url("/api/console/review/1/resolve"), data=b"{}", headers=POST_HEADERS) as resp:
        assert resp.status == 401
    async with http.get(server.make_url("/api/console/insights"), cookies={COOKIE: "1.forged"}) as resp:
        assert resp.status == 401
    assert await call(http, server, "GET", "/api/console/session") == (
        200,
        {"authenticated": True, "token_required": True},
    )


async def test_login_form_sets_a_strict_httponly_session_cookie(
    server: TestServer, http: aiohttp.ClientSession
) -> None:
    login = server.make_url("/api/console/login")
    async with http.post(login, json={"token": "not-the-token-at-all"}, headers={CSRF_HEADER: "1"}) as resp:
        assert resp.status == 401
    async with http.post(login, json={"token": TOKEN}) as resp:
        assert resp.status == 403  # no page header: another site could have sent this form
    async with http.post(login, json={"token": TOKEN}, headers={CSRF_HEADER: "1"}) as resp:
        assert resp.status == 200
        cookie = SimpleCookie(resp.headers["Set-Cookie"])[COOKIE]
    assert cookie["httponly"] is True and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert int(cookie["max-age"]) == SESSION_SECONDS and TOKEN not in cookie.value
    async with http.get(server.make_url("/api/console/review")) as resp:  # the cookie alone lets in
        assert resp.status == 200
    async with http.post(server.make_url("/api/console/logout"), json={}, headers={CSRF_HEADER: "1"}) as resp:
        assert resp.status == 200
    async with http.get(server.make_url("/api/console/review")) as resp:
        assert resp.status == 401


def test_sessions_expire_and_die_with_the_token() -> None:
    auth = ConsoleAuth(Secret(TOKEN))
    now = 1_800_000_000.0
    assert auth.session_valid(auth.session_value(now), now + 60)
    assert not auth.session_valid(auth.session_value(now), now + SESSION_SECONDS + 1)
    assert not auth.session_valid(auth.session_value(now), now - 3600)  # issued in the future
    assert not ConsoleAuth(Secret(TOKEN + "x")).session_valid(auth.session_value(now), now + 60)
    assert not auth.session_valid("garbage", now) and not auth.session_valid(f"{int(now)}.", now)
    assert auth.token_matches(TOKEN) and not auth.token_matches(TOKEN[:-1]) and not auth.token_matches("")


async def test_posts_a_browser_could_forge_are_refused(
    kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession
) -> None:
    unhelpful(kb, "バックアップの頻度は？")
    (item,) = kb.review_queue()
    path = f"/api/console/review/{item.id}/resolve"
    assert (await call(http, server, "POST", path, {}, headers={CSRF_HEADER: ""}))[0] == 403
    assert (await call(http, server, "POST", path, {}, headers={"Sec-Fetch-Site": "cross-site"}))[0] == 403
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await call(http, server, "POST", path, {}, headers=form))[0] == 415
    assert [i.id for i in kb.review_queue()] == [item.id]  # nothing was resolved


async def test_local_mode_without_token_answers_loopback_names_only(serve: Served, http: aiohttp.ClientSession) -> None:
    async with serve({"YOROZU_LOCAL": "1"}) as srv:
        async with http.get(srv.make_url("/api/console/session")) as resp:
            assert resp.status == 200
            assert await resp.json() == {"authenticated": True, "token_required": False}
        # A page on a name an attacker pointed at 127.0.0.1 (DNS rebinding) sends its own Host header.
        async with http.get(srv.make_url("/api/console/review"), headers={"Host": "evil.example:80"}) as resp:
            assert resp.status == 403
        async with http.post(srv.make_url("/api/console/login"), json={"token": TOKEN}, headers=POST_HEADERS) as resp:
            assert resp.status == 400


# --- review queue ----------------------------------------------------------------------------------


async def test_review_queue_lists_and_resolves(
    kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession
) -> None:
    unhelpful(kb, "マクロの保守、誰に頼めばいい？")
    status, data = await call(http, server, "GET", "/api/console/review")
    assert status == 200
    (item,) = data["items"]
    assert item["question"] == "マクロの保守、誰に頼めばいい？"
    assert (item["platform"], item["channel_id"], item["channel_name"]) == ("slack", "C1", "q-and-a")
    assert item["suggested"] == {
        "kind": "thread",
        "key": "slack:C1:100.0",
        "platform": "slack",
        "channel_id": "C1",
        "channel_name": "q-and-a",
        "root_message_id": "100.0",
        # What the suggestion showed, beside the question: the thread's title and its answer's start.
        "title": "Excelマクロを作った職員が異動して、誰もVBAを保守できません。",
        "excerpt": MACRO_THREAD[1].text,
    }
    assert datetime.fromisoformat(item["created_at"]) > datetime.now(UTC) - timedelta(minutes=5)

    assert await call(http, server, "POST", f"/api/console/review/{item['id']}/resolve") == (
        200,
        {"resolved": item["id"]},
    )
    assert kb.review_queue() == []
    assert (await call(http, server, "GET", "/api/console/review"))[1] == {"items": []}
    status, data = await call(http, server, "POST", f"/api/console/review/{item['id']}/resolve")
    assert status == 404 and "no open review item" in data["error"]


# --- FAQ entries -----------------------------------------------------------------------------------


async def test_publish_verify_retire_through_the_api(
    kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession
) -> None:
    entry = kb.faq_create(Actor.operator(), question=FAQ_QUESTION, answer=FAQ_ANSWER, tags="Excel; 異動")
    base = f"/api/console/faq/{entry.id}"
    status, data = await call(http, server, "POST", f"{base}/status", {"status": "published"})
    assert status == 200 and data["status"] == "published" and data["review_due"] is False
    assert [e.id for e in kb.faq_list(FaqStatus.PUBLISHED)] == [entry.id]
    kb.sync()  # what the background indexer does within seconds
    top = kb.suggest(FAQ_QUESTION).suggestions[0]
    assert top.kind == SuggestionKind.FAQ and top.root_message_id == str(entry.id)

    status, data = await call(http, server, "POST", f"{base}/verify", {"verified_by": "鈴木 花子"})
    assert status == 200 and data["verified_by"] == "鈴木 花子" and data["verified_at"]
    assert kb.faq_get(entry.id).verified_by == "鈴木 花子"
    status, data = await call(http, server, "GET", "/api/console/faq?status=published")
    (listed,) = data["entries"]
    assert listed["id"] == entry.id and listed["tags"] == ["Excel", "異動"] and listed["verified_by"] == "鈴木 花子"

    status, data = await call(http, server, "POST", f"{base}/status", {"status": "retired"})
    assert status == 200 and data["status"] == "retired"
    assert kb.faq_list(FaqStatus.PUBLISHED) == [] and [e.id for e in kb.faq_list(FaqStatus.RETIRED)] == [entry.id]
    # Hidden at once, before any indexer has run.
    assert all(s.kind != SuggestionKind.FAQ for s in kb.suggest(FAQ_QUESTION, abstain=False).suggestions)
    status, data = await call(http, server, "POST", f"{base}/verify", {})
    assert status == 400 and "retired" in data["error"]  # publish again before verifying

    status, data = await call(http, server, "POST", f"{base}/status", {"status": "draft"})
    assert status == 200 and kb.faq_get(entry.id).status == FaqStatus.DRAFT
    status, data = await call(http, server, "GET", base)
    assert status == 200 and data["question"] == FAQ_QUESTION
    history = [(v["version"], v["change"], v["editor"]) for v in data["history"]]
    assert history == [
        (1, "created", "cli:operator"),
        (2, "published", "cli:console"),
        (3, "verified", "cli:console"),
        (4, "retired", "cli:console"),
        (5, "unpublished", "cli:console"),
    ]


async def test_due_for_review_is_marked(kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession) -> None:
    stale = kb.faq_create(Actor.operator(), question=FAQ_QUESTION, answer=FAQ_ANSWER, publish=True)
    kb.faq_verify(Actor.operator(), stale.id, verified_at=datetime.now(UTC) - timedelta(days=200))
    fresh = kb.faq_create(Actor.operator(), question="VPNが遅いときは？", answer="回線を確認します。", publish=True)
    kb.faq_verify(Actor.operator(), fresh.id)
    _, data = await call(http, server, "GET", "/api/console/faq")
    assert {e["id"]: e["review_due"] for e in data["entries"]} == {stale.id: True, fresh.id: False}
    _, data = await call(http, server, "GET", "/api/console/faq?due=1")
    assert [e["id"] for e in data["entries"]] == [stale.id]
    _, data = await call(http, server, "GET", "/api/console/insights")
    assert [e["id"] for e in data["faq_review_due"]] == [stale.id]


async def test_write_and_edit_an_entry_in_the_console(
    kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession
) -> None:
    body = {
        "question": FAQ_QUESTION,
        "answer": FAQ_ANSWER,
        "tags": ["Excel", "異動"],
        "review_interval_days": 90,
        "source_thread": "slack:C1:100.0",
        "publish": True,
        "verified_by": "佐藤 健一",
    }
    status, data = await call(http, server, "POST", "/api/console/faq", body)
    assert status == 201 and data["status"] == "published" and data["verified_by"] == "佐藤 健一"
    assert data["review_interval_days"] == 90 and data["source_thread"] == "slack:C1:100.0"
    faq_id = data["id"]
    kb.sync()
    top = kb.suggest(FAQ_QUESTION).suggestions[0]
    assert top.kind == SuggestionKind.FAQ and top.verified_by == "佐藤 健一"

    status, data = await call(
        http,
        server,
        "POST",
        f"/api/console/faq/{faq_id}",
        {"answer": FAQ_ANSWER + "RPA も検討します。", "tags": "Excel"},
    )
    assert status == 200 and data["answer"].endswith("RPA も検討します。") and data["tags"] == ["Excel"]
    # Saving again unchanged adds no version.
    status, again = await call(http, server, "POST", f"/api/console/faq/{faq_id}", {"tags": ["Excel"]})
    assert status == 200 and again["version"] == data["version"]
    _, detail = await call(http, server, "GET", f"/api/console/faq/{faq_id}")
    last, before = detail["history"][-1], detail["history"][-2]
    # What changed is there to show: the old and new answer and tags, who, when.
    assert last["change"] == "edited" and last["editor"] == "cli:console" and last["created_at"]
    assert last["editor_name"] == "console"
    kb.grant_role(Actor.operator(), "slack", "U3", Role.SPECIALIST)
    kb.faq_edit(TAKAHASHI, faq_id, question=FAQ_QUESTION + "（2026年度）")
    _, detail = await call(http, server, "GET", f"/api/console/faq/{faq_id}")
    assert detail["history"][-1]["editor_name"] == "高橋 誠（青葉県庁 情報政策課）"
    last, before = detail["history"][-2], detail["history"][-3]
    assert before["answer"] == FAQ_ANSWER and last["answer"].endswith("RPA も検討します。")
    assert before["tags"] == ["Excel", "異動"] and last["tags"] == ["Excel"]
    # A draft is written the same way, not suggested until published.
    status, draft = await call(http, server, "POST", "/api/console/faq", {"question": "下書き", "answer": "まだ"})
    assert status == 201 and draft["status"] == "draft" and draft["verified_at"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"question": "Q"}, "'answer'"),
        ({"question": " ", "answer": "A"}, "'question'"),
        ({"question": "Q", "answer": "A", "tags": 3}, "'tags'"),
        ({"question": "Q", "answer": "A", "review_interval_days": 0}, "review_interval_days"),
        ({"question": "Q", "answer": "A", "review_interval_days": "30"}, "review_interval_days"),
        ({"question": "Q", "answer": "A", "publish": "yes"}, "'publish'"),
        ({"question": "Q", "answer": "A", "source_thread": "nowhere"}, "thread reference"),
        ({"question": "Q", "answer": "A", "verified_by": "x" * 101}, "verified_by"),
        ({"question": "Q", "answer": "A" * 20001}, "longer than"),
    ],
)
async def test_writing_an_entry_with_bad_input_is_a_clear_400(
    kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession, body: dict[str, Any], message: str
) -> None:
    status, data = await call(http, server, "POST", "/api/console/faq", body)
    assert status in (400, 413) and (status == 413 or message in data["error"]), data
    assert kb.faq_list() == []


async def test_a_whole_thread_and_an_entry_drafted_from_it(
    kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession
) -> None:
    status, data = await call(http, server, "GET", "/api/console/thread?key=slack:C1:100.0")
    assert status == 200 and data["title"].startswith("Excelマクロを作った職員が異動して")
    assert [(r["author"], r["organization"]) for r in data["replies"]] == [
        ("鈴木 花子", "南川町 総務課"),
        ("高橋 誠", "青葉県庁 情報政策課"),
    ]
    status, draft = await call(http, server, "GET", "/api/console/thread/draft?key=slack:C1:100.0")
    assert status == 200 and draft["question"] == MACRO_THREAD[0].text and draft["answer"] == MACRO_THREAD[1].text
    assert draft["source_thread"] == "slack:C1:100.0" and draft["faq_id"] is None
    for path, code in [
        ("/api/console/thread?key=slack:G1:200.0", 404),  # private: not through the console's public scope
        ("/api/console/thread/draft?key=slack:G1:200.0", 404),
        ("/api/console/thread?key=slack:C1:1.0", 404),
        ("/api/console/thread?key=bad", 400),
    ]:
        status, data = await call(http, server, "GET", path)
        assert status == code and "error" in data, path


async def test_the_console_counts_what_stats_and_healthz_count(
    kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession
) -> None:
    kb.faq_create(Actor.operator(), question=FAQ_QUESTION, answer=FAQ_ANSWER, publish=True)
    kb.sync()
    status, data = await call(http, server, "GET", "/api/console/stats")
    assert status == 200
    async with http.get(server.make_url("/healthz")) as resp:
        health = await resp.json()
    stats = kb.stats()
    # FAQ entries are counted apart: threads and indexed both count chat threads only.
    assert data["stats"] == stats.to_json() and (stats.threads, stats.indexed, stats.faq_published) == (2, 2, 1)
    assert {k: health[k] for k in ("threads", "indexed", "faq_published")} == {
        "threads": 2,
        "indexed": 2,
        "faq_published": 1,
    }
    assert "FAQ" in data["meaning"]["ja"]["threads"] and data["meaning"]["en"]["indexed"]


# --- insights --------------------------------------------------------------------------------------


async def test_insights_summary(kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession) -> None:
    unhelpful(kb, "マクロの保守、誰に頼めばいい？", message_id="501.0")
    kb.record_feedback(
        platform="slack",
        channel_id="C1",
        question_message_id="502.0",
        question="VBA を誰も直せない",
        suggested_thread="slack:C1:100.0",
        person_id="U1",
        verdict=Verdict.SOLVED,
    )
    status, data = await call(http, server, "GET", "/api/console/insights?days=3650")
    assert status == 200
    assert set(data) == {"since", "unanswered", "repeated", "gaps", "helpfulness", "faq_review_due", "review_queue"}
    assert data["helpfulness"] == {"solved": 1, "unhelpful": 1, "unknown": 0, "rate": 0.5}
    assert [r["question"] for r in data["review_queue"]] == ["マクロの保守、誰に頼めばいい？"]
    assert data["unanswered"]["total"] == 0  # both sample threads have answers


# --- opt-out ---------------------------------------------------------------------------------------


async def test_opted_out_people_are_never_named(
    kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession
) -> None:
    kb.grant_role(Actor.operator(), "slack", "U3", Role.SPECIALIST)
    entry = kb.faq_create(TAKAHASHI, question=FAQ_QUESTION, answer=FAQ_ANSWER, publish=True)
    kb.faq_verify(TAKAHASHI, entry.id)
    unhelpful(kb, "マクロの保守、誰に頼めばいい？")
    paths = [
        "/api/console/faq",
        f"/api/console/faq/{entry.id}",
        "/api/console/insights?days=3650",
        "/api/console/review",
    ]

    async def everything() -> str:
        bodies = [(await call(http, server, "GET", p))[1] for p in paths]
        return json.dumps(bodies, ensure_ascii=False)

    shown = await everything()
    assert "高橋 誠" in shown and "slack:U3" in shown  # named while he has not opted out
    kb.set_opt_out("slack", "U3", True)
    shown = await everything()
    assert "高橋" not in shown and "U3" not in shown
    _, data = await call(http, server, "GET", f"/api/console/faq/{entry.id}")
    assert data["owner"] is None and data["verified_by"] is None and data["verified_at"]  # the date still shows
    assert [v["editor"] for v in data["history"]] == [None, None]


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/api/console/faq/{id}/status", b"{not json", 400),
        ("POST", "/api/console/faq/{id}/status", b'["published"]', 400),
        ("POST", "/api/console/faq/{id}/status", b"\xff\xfe\x00", 400),
        ("POST", "/api/console/faq/{id}/status", b'{"status": "live"}', 400),
        ("POST", "/api/console/faq/{id}/status", b"{}", 400),
        ("POST", "/api/console/faq/{id}/verify", b'{"verified_by": 42}', 400),
        ("POST", "/api/console/faq/{id}/verify", b'{"verified_by": "   "}', 400),
        ("POST", "/api/console/faq/999/status", b'{"status": "published"}', 404),
        ("POST", "/api/console/faq/999/verify", b"{}", 404),
        ("POST", "/api/console/faq/99999999999999999999999/verify", b"{}", 404),
        ("POST", "/api/console/review/999/resolve", b"{}", 404),
        ("POST", "/api/console/review/abc/resolve", b"{}", 404),
        ("POST", "/api/console/login", b'{"token": 5}', 400),
        ("GET", "/api/console/faq/999", None, 404),
        ("GET", "/api/console/faq/-1", None, 404),
        ("GET", "/api/console/faq?status=live", None, 400),
        ("GET", "/api/console/insights?days=0", None, 400),
        ("GET", "/api/console/insights?days=abc", None, 400),
        ("GET", "/api/console/insights?days=99999", None, 400),
        ("GET", "/api/console/nope", None, 404),
        ("GET", "/api/console/review/1/resolve", None, 405),
        ("DELETE", "/api/console/faq/{id}", None, 405),
        ("PUT", "/api/console/review", None, 405),
    ],
)
async def test_bad_input_gets_a_clear_4xx(
    kb: KnowledgeBase,
    server: TestServer,
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    body: bytes | None,
    status: int,
) -> None:
    entry = kb.faq_create(Actor.operator(), question=FAQ_QUESTION, answer=FAQ_ANSWER)
    headers = {**BEARER, **POST_HEADERS}
    async with http.request(method, server.make_url(path.format(id=entry.id)), data=body, headers=headers) as resp:
        assert resp.status == status
        assert resp.content_type == "application/json"
        assert "error" in await resp.json()
    assert kb.faq_get(entry.id).version == 1  # nothing changed


async def test_oversized_bodies_are_413(kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession) -> None:
    entry = kb.faq_create(Actor.operator(), question=FAQ_QUESTION, answer=FAQ_ANSWER)
    url = server.make_url(f"/api/console/faq/{entry.id}/verify")
    headers = {**BEARER, **POST_HEADERS}
    padded = json.dumps({"verified_by": "x", "pad": "a" * CONSOLE_MAX_BODY}).encode()
    async with http.post(url, data=padded, headers=headers) as resp:
        assert resp.status == 413 and "error" in await resp.json()
    # Sent chunked (no Content-Length), and beyond the application's own limit.
    huge = io.BytesIO(b'{"pad": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}')
    async with http.post(url, data=huge, headers=headers) as resp:
        assert resp.status == 413 and "error" in await resp.json()
    assert kb.faq_get(entry.id).verified_at is None


async def test_the_token_is_never_logged(
    server: TestServer, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    login = server.make_url("/api/console/login")
    async with http.post(login, json={"token": TOKEN + "-wrong"}, headers={CSRF_HEADER: "1"}) as resp:
        assert resp.status == 401
    async with http.post(login, json={"token": TOKEN}, headers={CSRF_HEADER: "1"}) as resp:
        assert resp.status == 200
    assert (await call(http, server, "GET", "/api/console/faq"))[0] == 200
    assert "console login refused" in caplog.text and TOKEN not in caplog.text


async def test_private_questions_are_counted_not_shown(
    kb: KnowledgeBase, server: TestServer, http: aiohttp.ClientSession
) -> None:
    """Whoever holds the console token sees no private channel's question, title or name (knowledge.insights)."""
    kb.ingest(post("G1", "800.0", "U3", "機密区分ごとの暗号化鍵はどこに保管していますか？", 40))
    kb.record_feedback(
        platform="slack",
        channel_id="G1",
        question_message_id="801.0",
        question="機密の監査ログはどこに置く？",
        suggested_thread="slack:G1:200.0",
        person_id="U4",
        verdict=Verdict.UNHELPFUL,
    )
    _, review = await call(http, server, "GET", "/api/console/review")
    _, report = await call(http, server, "GET", "/api/console/insights?days=3650")
    shown = json.dumps([review, report], ensure_ascii=False)
    for secret in ("暗号化鍵", "監査ログ", "ciso-private", "G1", "200.0"):
        assert secret not in shown
    assert [item["private"] for item in review["items"]] == [True]
    assert report["unanswered"]["total"] == 1 and report["unanswered"]["latest"] == []
