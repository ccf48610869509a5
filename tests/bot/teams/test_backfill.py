"""``yorozu backfill teams`` against a fake Microsoft Graph: paging, replies, 429 Retry-After, app tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.settings import Secret
from bot.teams.commands import backfill
from bot.teams.tokens import ClientCredentialsTokens
from knowledge.base import KnowledgeBase
from knowledge.model import Scope
from knowledge.store import tables
from tests.bot.teams.fakes import FakeMicrosoftLogin

TEAM = "fbe2bf47-16c8-47cf-b4a5-4b9b187c508b"
GENERAL = "19:general@thread.tacv2"
PRIVATE = "19:private@thread.tacv2"
QUESTION = "Excelマクロを作った職員が異動して、誰もVBAを保守できません。どうしていますか？"


def _message(mid: str, text: str, channel: str, user: str, reply_to: str | None = None) -> dict[str, Any]:
    return {
        "id": mid,
        "replyToId": reply_to,
        "messageType": "message",
        "createdDateTime": "2026-04-01T01:00:00Z",
        "deletedDateTime": None,
        "webUrl": f"https://teams.microsoft.com/l/message/{channel}/{mid}",
        "from": {"user": {"id": user, "displayName": user}},
        "body": {"contentType": "html", "content": f"<p>{text}</p>"},
        "channelIdentity": {"teamId": TEAM, "channelId": channel},
        "reactions": [],
    }


class FakeGraph:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.throttled = False

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1.0/teams/{team}/channels", self.channels)
        app.router.add_get("/v1.0/teams/{team}/channels/{channel}/messages", self.messages)
        app.router.add_get("/v1.0/teams/{team}/channels/{channel}/messages/{root}/replies", self.replies)
        return app

    def _record(self, request: web.Request) -> None:
        self.calls.append((request.path_qs, request.headers.get("Authorization", "")))

    async def channels(self, request: web.Request) -> web.Response:
        self._record(request)
        return web.json_response(
            {
                "value": [
                    {"id": GENERAL, "displayName": "General", "membershipType": "standard"},
                    {"id": PRIVATE, "displayName": "CISO連絡会", "membershipType": "private"},
                ]
            }
        )

    async def messages(self, request: web.Request) -> web.Response:
        self._record(request)
        channel = request.match_info["channel"]
        if channel == PRIVATE:
            return web.json_response({"value": [_message("900", "オフラインバックアップの頻度は？", PRIVATE, "u3")]})
        if not self.throttled:
            self.throttled = True
            return web.json_response({"error": {"code": "TooManyRequests"}}, status=429, headers={"Retry-After": "0"})
        base = str(request.url.with_query(None))
        if request.query.get("$skiptoken") != "2":
            root = _message("100", QUESTION, GENERAL, "u1")
            root["replies"] = [_message("101", "棚卸しして手順書を作りました。", GENERAL, "u2", "100")]
            root["replies@odata.nextLink"] = f"{base}/100/replies?$skiptoken=r2"
            return web.json_response({"value": [root], "@odata.nextLink": f"{base}?$top=50&$skiptoken=2"})
        return web.json_response({"value": [_message("200", "お知らせです", GENERAL, "u1")]})

    async def replies(self, request: web.Request) -> web.Response:
        self._record(request)
        return web.json_response({"value": [_message("102", "RPAに置き換えました。", GENERAL, "u4", "100")]})


@pytest.fixture
async def graph() -> AsyncIterator[tuple[FakeGraph, str]]:
    fake = FakeGraph()
    async with TestServer(fake.app(), host="127.0.0.1", port=0) as server:
        yield fake, str(server.make_url("/v1.0"))


async def test_backfill_fetches_every_page_and_is_safe_to_repeat(
    kb: KnowledgeBase, graph: tuple[FakeGraph, str], login: FakeMicrosoftLogin, tmp_path: Path
) -> None:
    fake, url = graph
    tokens = ClientCredentialsTokens(token_url=login.token_url, client_id="app", client_secret=Secret("s"))
    report = await backfill(kb, tokens, url, TEAM, None)
    assert report.messages == 5 and report.replies == 2
    paths = [p for p, _ in fake.calls]
    assert any("$skiptoken=2" in p for p in paths)  # followed @odata.nextLink
    assert any(p.endswith("/100/replies?$skiptoken=r2") for p in paths)  # replies beyond the expanded ones
    assert sum("/channels/19:general@thread.tacv2/messages?" in p for p in paths) == 3  # 429, retried, page 2
    assert all(auth.startswith("Bearer fake-access-token-") for _, auth in fake.calls)
    assert login.token_requests[-1]["scope"] == "https://graph.microsoft.com/.default"
    kb.sync()
    top = kb.suggest(QUESTION + "（再）", scope=Scope("teams", GENERAL)).suggestions[0]
    assert top.root_message_id == "100"
    assert {a.name for a in top.answerers} == {"u2", "u4"}
    # Channels get their Graph names and membership: the private one is private.
    with kb.store.begin() as conn:
        rows = {r.external_id: (r.name, r.visibility) for r in conn.execute(sa.select(tables.channels)).all()}
    assert rows == {GENERAL: ("General", "public"), PRIVATE: ("CISO連絡会", "private")}
    again = await backfill(kb, tokens, url, TEAM, [GENERAL])
    assert again.messages == 4
    assert kb.stats().messages == 5  # nothing stored twice


async def test_unknown_channel_is_an_error(
    kb: KnowledgeBase, graph: tuple[FakeGraph, str], login: FakeMicrosoftLogin
) -> None:
    from bot.teams.graph import GraphError

    tokens = ClientCredentialsTokens(token_url=login.token_url, client_id="app", client_secret=Secret("s"))
    with pytest.raises(GraphError, match="no channel"):
        await backfill(kb, tokens, graph[1], TEAM, ["19:nope@thread.tacv2"])
