"""専門家に聞く in the web chat: the question goes to the specialists' channel of the platform that has one
(Slack's chat.postMessage, Teams' proactive post), once per question, through the real app on a real port
with the fake Slack Web API and the fake Bot Connector recording what they receive."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.messages import Locale, text
from bot.slack import mount as mount_slack
from bot.teams import mount as mount_teams
from knowledge import events as ev
from knowledge.base import KnowledgeBase
from tests.bot.slack.conftest import SECRET as SLACK_SECRET
from tests.bot.slack.conftest import TOKEN as SLACK_TOKEN
from tests.bot.slack.conftest import SlackClient, fake_slack, running_slack, slack_settings  # noqa: F401
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_ask_expert import everything, mentioned
from tests.bot.teams.conftest import (  # noqa: F401
    NEW_MACRO_QUESTION,
    TAKAHASHI,
    TANAKA,
    TeamsHarness,
    channel_message,
    connector,
    graph,
    history,
    login,
    running,
)
from tests.bot.teams.fakes import FakeBotConnector, FakeGraph, FakeMicrosoftLogin
from tests.bot.teams.test_channel import texts
from tests.bot.teams.test_people_flows import channel_posts, say
from tests.conftest import FAKE_ABSTAIN_BELOW, MACRO_THREAD, community

SLACK_SPECIALISTS = "CSPEC"
TEAMS_SPECIALISTS = "19:specialists0000000000000000000000@thread.tacv2"
TOKEN = "members-token-for-tests-0123456789"
QUESTION = "Excelマクロを作った人が異動して、VBAを誰も保守できません。どうしたらよいですか？"
VISITOR = "v0123456789abcdef"
JA = Locale.JA
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


async def post(
    http: aiohttp.ClientSession, url: Any, body: object, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    data = io.BytesIO(body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode())
    sent = {"Content-Type": "application/json", **(headers or {})}
    async with http.post(url, data=data, headers=sent) as resp:
        return resp.status, dict(await resp.json())


def web_jobs(kb: KnowledgeBase) -> list[str]:
    with kb.store.begin() as conn:
        return [k for (k,) in conn.exec_driver_sql("SELECT kind FROM jobs").all() if k.endswith("web_ask_expert")]


# --- Slack ------------------------------------------------------------------------------------------


@pytest.fixture
async def slack_web(
    kb: KnowledgeBase,
    fake_slack: FakeSlack,  # noqa: F811
    tmp_path: Path,
) -> AsyncIterator[SlackClient]:
    """The web chat in local mode beside Slack, whose specialists' channel is configured."""
    kb.ingest_many(community() + MACRO_THREAD)
    kb.sync()
    settings = slack_settings(
        tmp_path,
        fake_slack,
        YOROZU_LOCAL="1",
        YOROZU_SLACK_SPECIALISTS_CHANNEL=SLACK_SPECIALISTS,
        YOROZU_ABSTAIN_BELOW=str(FAKE_ABSTAIN_BELOW),
    )
    async with running_slack(settings, kb, web_chat=True) as client:
        yield client


async def ask_expert(client: SlackClient, body: object) -> tuple[int, dict[str, Any]]:
    return await post(client.http, client.server.make_url("/api/ask-expert"), body)


def specialists_posts(fake: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in fake.called("chat.postMessage") if p["channel"] == SLACK_SPECIALISTS]


async def test_a_web_question_is_posted_once_in_slacks_specialists_channel(
    kb: KnowledgeBase,
    slack_web: SlackClient,
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    kb.subscribe("slack", "U4", "VBA")  # 田中 亮 on Slack: pinged
    kb.subscribe("teams", "aad-9", "VBA", name="Teams の人")  # on Teams, where nothing is posted: not pinged
    status, answer = await post(slack_web.http, slack_web.server.make_url("/api/ask"), {"question": QUESTION})
    assert status == 200
    body = {"question": answer["question"], "question_id": answer["question_id"], "visitor": VISITOR}
    status, sent = await ask_expert(slack_web, body)
    assert status == 200, sent
    assert (sent["note"], sent["sent_to"]) == ("ask_expert_web_sent", ["slack"])
    assert sent["message"] == "専門家チャンネル（Slack）に質問を送りました。"
    # The people who answered similar questions are still shown, as before.
    assert {e["name"] for e in sent["experts"]} >= {"鈴木 花子"}
    await slack_web.drain()
    (posted,) = specialists_posts(fake_slack)
    shown = everything(posted)
    assert "専門家の皆さん、次の質問に答えていただけませんか。" in shown  # the visitor has no name
    assert "> " + QUESTION in shown and "#ウェブチャット での質問" in shown
    assert mentioned(posted) == ["U4"]
    assert posted["text"] and "thread_ts" not in posted
    # Pressed again, by the same visitor or another, or the same words asked again: said, not posted again.
    reworded = {"question": f"  {QUESTION.replace('VBA', 'ＶＢＡ')} "}  # full-width letters, spaces around
    for again in (body, {**body, "visitor": "another-visitor-01"}, reworded):
        status, repeated = await ask_expert(slack_web, again)
        assert status == 200
        assert (repeated["note"], repeated["sent_to"]) == ("ask_expert_already", [])
        assert repeated["message"] == text("ask_expert_already", JA)
        assert repeated["experts"] == sent["experts"]
    await slack_web.drain()
    assert len(specialists_posts(fake_slack)) == 1
    assert web_jobs(kb) == ["slack.web_ask_expert"]


async def test_without_a_specialists_channel_it_says_so_and_still_names_people(
    kb: KnowledgeBase,
    fake_slack: FakeSlack,  # noqa: F811
    tmp_path: Path,
) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    kb.sync()
    settings = slack_settings(tmp_path, fake_slack, YOROZU_LOCAL="1", YOROZU_ABSTAIN_BELOW=str(FAKE_ABSTAIN_BELOW))
    async with running_slack(settings, kb, web_chat=True) as client:
        status, answer = await ask_expert(client, {"question": QUESTION, "visitor": VISITOR})
        await client.drain()
    assert status == 200
    assert (answer["note"], answer["sent_to"]) == ("ask_expert_not_configured", [])
    assert answer["message"] == "専門家チャンネルがまだ設定されていません。管理者にお問い合わせください。"
    assert {e["name"] for e in answer["experts"]} >= {"鈴木 花子"}
    assert fake_slack.called("chat.postMessage") == [] and web_jobs(kb) == []


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"{not json", {}, 400),
        (b"\xff\xfe\x00", {}, 400),
        (b'["a list"]', {}, 400),
        (b"[" * 1000 + b"]" * 1000, {}, 400),
        ({}, {}, 400),
        ({"question": ""}, {}, 400),
        ({"question": " \n "}, {}, 400),
        ({"question": 42}, {}, 400),
        ({"question": QUESTION, "visitor": "<script>"}, {}, 400),
        ({"question": QUESTION, "question_id": "not-an-id"}, {}, 400),
        ({"question": "あ" * 8001}, {}, 413),
        (b'{"question": "' + b"a" * (1024 * 1024) + b'"}', {}, 413),
        (b"question=hi", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({"question": QUESTION}, {"Sec-Fetch-Site": "cross-site"}, 403),
    ],
)
async def test_bad_input_is_refused_in_japanese_and_posts_nothing(
    kb: KnowledgeBase,
    slack_web: SlackClient,
    fake_slack: FakeSlack,  # noqa: F811
    body: object,
    headers: dict[str, str],
    status: int,
) -> None:
    got, answer = await post(slack_web.http, slack_web.server.make_url("/api/ask-expert"), body, headers)
    assert got == status, answer
    assert JAPANESE.search(answer["error"]), answer
    await slack_web.drain()
    assert web_jobs(kb) == [] and specialists_posts(fake_slack) == []


# --- Teams ------------------------------------------------------------------------------------------


async def test_a_web_question_is_posted_in_the_teams_specialists_channel_once_it_can_be(
    kb: KnowledgeBase,
    tmp_path: Path,
    login: FakeMicrosoftLogin,  # noqa: F811
    connector: tuple[FakeBotConnector, str],  # noqa: F811
    graph: tuple[FakeGraph, str],  # noqa: F811
) -> None:
    kb.ingest_many([*history(), ev.PersonSeen("slack", "U4", "Tom Baker", "東浜市 デジタル推進課")])
    kb.sync()
    kb.subscribe("slack", "U4", "VBA")  # on Slack, where nothing is posted: not pinged in Teams
    env = {
        "YOROZU_TEAMS_SPECIALISTS_CHANNEL": TEAMS_SPECIALISTS,
        "YOROZU_WEB_CHAT": "1",
        "YOROZU_CONSOLE_TOKEN": TOKEN,
    }
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    body = {"question": NEW_MACRO_QUESTION, "visitor": VISITOR}
    async with running(kb, tmp_path, login, connector, graph, web_chat=True, **env) as t:
        url = t.server.make_url("/api/ask-expert")
        assert (await post(t.http, url, body))[0] == 401  # members only, behind the console's guard
        # Yorozu has received nothing in the specialists' channel yet: it has no address to post to there.
        status, answer = await post(t.http, url, body, bearer)
        assert status == 200 and (answer["note"], answer["sent_to"]) == ("ask_expert_web_unreachable", [])
        assert answer["message"].startswith("専門家チャンネル（Teams）にはまだ投稿できません。")
        assert answer["experts"] and web_jobs(kb) == []
        # A subscriber on Teams; then someone writes in the specialists' channel, and its address is kept.
        await say(t, TANAKA, "p:sub", "subscribe VBA マクロ")
        t.graph.channel_details[TEAMS_SPECIALISTS] = {
            "id": TEAMS_SPECIALISTS,
            "displayName": "専門家",
            "membershipType": "standard",
        }
        await hello_from_the_specialists_channel(t)
        status, answer = await post(t.http, url, body, bearer)
        assert status == 200 and (answer["note"], answer["sent_to"]) == ("ask_expert_web_sent", ["teams"])
        assert answer["message"] == "専門家チャンネル（Teams）に質問を送りました。"
        await t.idle()
        (card,) = channel_posts(t.connector, TEAMS_SPECIALISTS)
        words = "\n".join(texts(card))
        assert "専門家の皆さん、次の質問に答えていただけませんか。" in words and NEW_MACRO_QUESTION in words
        assert "#ウェブチャット での質問" in words
        assert card["msteams"]["entities"] == [
            {"type": "mention", "text": "<at>田中 亮</at>", "mentioned": {"id": TANAKA[0], "name": "田中 亮"}}
        ]
        # Posted through the Bot Connector the channel's own activity came from, as a new thread.
        (sent,) = [r for r in t.connector.sent() if TEAMS_SPECIALISTS in r.path and "messageid" not in r.path]
        assert "replyToId" not in sent.body or not sent.body["replyToId"]
        # Pressed again: said, not posted again.
        status, again = await post(t.http, url, body, bearer)
        await t.idle()
        assert (again["note"], again["message"]) == ("ask_expert_already", text("ask_expert_already", JA))
        assert len(channel_posts(t.connector, TEAMS_SPECIALISTS)) == 1
        assert web_jobs(kb) == ["teams.web_ask_expert"]


async def hello_from_the_specialists_channel(t: TeamsHarness) -> None:
    """Someone writes in the Teams specialists' channel: Yorozu keeps the address it can post there through."""
    t.graph.channel_details[TEAMS_SPECIALISTS] = {
        "id": TEAMS_SPECIALISTS,
        "displayName": "専門家",
        "membershipType": "standard",
    }
    hello = channel_message(
        t.service_url, "1800000000900", "今週の当番です。", person=TAKAHASHI, channel=TEAMS_SPECIALISTS
    )
    assert (await t.post(hello)).status == 200
    await t.idle()


async def test_with_both_platforms_each_specialists_channel_gets_it_pinging_its_own_subscribers(
    kb: KnowledgeBase,
    tmp_path: Path,
    login: FakeMicrosoftLogin,  # noqa: F811
    connector: tuple[FakeBotConnector, str],  # noqa: F811
    graph: tuple[FakeGraph, str],  # noqa: F811
    fake_slack: FakeSlack,  # noqa: F811
) -> None:
    kb.ingest_many([*history(), ev.PersonSeen("slack", "U4", "Tom Baker", "東浜市 デジタル推進課")])
    kb.sync()
    kb.subscribe("slack", "U4", "VBA")
    kb.subscribe("teams", TANAKA[0], "VBA")
    env = {
        "YOROZU_TEAMS_SPECIALISTS_CHANNEL": TEAMS_SPECIALISTS,
        "SLACK_SIGNING_SECRET": SLACK_SECRET,
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "YOROZU_SLACK_API_URL": fake_slack.api_url,
        "YOROZU_SLACK_SPECIALISTS_CHANNEL": SLACK_SPECIALISTS,
        "YOROZU_WEB_CHAT": "1",
        "YOROZU_CONSOLE_TOKEN": TOKEN,
    }
    both = (mount_teams, mount_slack)
    async with running(kb, tmp_path, login, connector, graph, web_chat=True, platforms=both, **env) as t:
        await hello_from_the_specialists_channel(t)
        url, bearer = t.server.make_url("/api/ask-expert"), {"Authorization": f"Bearer {TOKEN}"}
        status, answer = await post(t.http, url, {"question": NEW_MACRO_QUESTION}, bearer)
        assert status == 200 and answer["sent_to"] == ["slack", "teams"]
        assert answer["message"] == "専門家チャンネル（Slack、Teams）に質問を送りました。"
        await t.idle()
        (slack_post,) = specialists_posts(fake_slack)
        assert NEW_MACRO_QUESTION in everything(slack_post) and mentioned(slack_post) == ["U4"]
        (card,) = channel_posts(t.connector, TEAMS_SPECIALISTS)
        assert [e["mentioned"]["id"] for e in card["msteams"]["entities"]] == [TANAKA[0]]
        status, again = await post(t.http, url, {"question": NEW_MACRO_QUESTION}, bearer)
        await t.idle()
        assert (again["note"], again["sent_to"]) == ("ask_expert_already", [])
        assert len(specialists_posts(fake_slack)) == 1 and len(channel_posts(t.connector, TEAMS_SPECIALISTS)) == 1
