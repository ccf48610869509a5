"""People in Teams through the real endpoint: 専門家に聞く, follow-ups for unanswered questions (once, across
restarts and replicas), and the personal commands optout / subscribe."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from knowledge.base import KnowledgeBase
from knowledge.model import Visibility
from tests.bot.teams.conftest import (
    CHANNEL,
    NEW_MACRO_QUESTION,
    PRIVATE,
    SATO,
    SUZUKI,
    TAKAHASHI,
    TANAKA,
    TeamsHarness,
    channel_message,
    history,
    personal_message,
    running,
)
from tests.bot.teams.fakes import FakeBotConnector, FakeGraph, FakeMicrosoftLogin
from tests.bot.teams.test_channel import card_of, texts
from tests.bot.teams.test_feedback_and_teams import _actions
from tests.conftest import FAKE_ABSTAIN_BELOW
from tests.fakes import FakeEmbedder

SPECIALISTS = "19:specialists0000000000000000000000@thread.tacv2"
QUESTION_ID = "1800000000300"


def open_kb(database_url: str, index_dir: Path) -> KnowledgeBase:
    """Another process's knowledge base on the same database (a restart, or a replica)."""
    return KnowledgeBase.open(
        database_url=database_url, embedder=FakeEmbedder(), index_dir=index_dir, abstain_below=FAKE_ABSTAIN_BELOW
    )  # its follow-up delay comes from the settings `running` is given


def fresh_question(service_url: str, message_id: str = QUESTION_ID, **kw: Any) -> dict[str, Any]:
    """A new question posted now (a follow-up is scheduled only for questions not already overdue)."""
    activity = channel_message(service_url, message_id, NEW_MACRO_QUESTION, person=SATO, **kw)
    activity["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return activity


def thread_posts(connector: FakeBotConnector, root: str, channel: str = CHANNEL) -> list[dict[str, Any]]:
    """Cards the bot posted into one thread (as replies to its root, or into the thread's conversation)."""
    path = f"/v3/conversations/{channel};messageid={root}/activities"
    return [card_of(r.body) for r in connector.sent() if unquote(r.path).startswith(path)]


def channel_posts(connector: FakeBotConnector, channel: str) -> list[dict[str, Any]]:
    """Cards the bot posted as new threads of a channel."""
    path = f"/v3/conversations/{channel}/activities"
    return [card_of(r.body) for r in connector.sent() if unquote(r.path) == path]


async def eventually(check: Any, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def ask_expert_invoke(t: TeamsHarness, data: dict[str, Any], person: tuple[str, str, str, str]) -> dict[str, Any]:
    activity = channel_message(t.service_url, "f:ask", "", person=person)
    activity.update(
        type="invoke",
        name="adaptiveCard/action",
        replyToId="bot-2",
        value={"action": {"type": "Action.Execute", "title": "専門家に聞く", "data": data}, "trigger": "manual"},
    )
    activity.pop("text")
    return activity


async def say_to(t: TeamsHarness, person: tuple[str, str, str, str], message_id: str, words: str) -> dict[str, Any]:
    """A personal-chat message from ``person``; returns the activity Yorozu answered with."""
    activity = personal_message(t.service_url, message_id, words)
    activity["from"] = {"id": person[1], "name": person[2], "aadObjectId": person[0]}
    before = len(t.connector.sent())
    assert (await t.post(activity)).status == 200
    sent = await t.connector.wait_for(before + 1)
    body: dict[str, Any] = sent[before].body
    return body


async def say(t: TeamsHarness, person: tuple[str, str, str, str], message_id: str, words: str) -> str:
    """A personal-chat message from ``person``; returns Yorozu's text reply."""
    return str((await say_to(t, person, message_id, words))["text"])


# --- 専門家に聞く ------------------------------------------------------------------------------------


async def test_ask_expert_posts_in_the_specialists_channel_and_pings_only_subscribers(
    kb: KnowledgeBase,
    tmp_path: Path,
    login: FakeMicrosoftLogin,
    connector: tuple[FakeBotConnector, str],
    graph: tuple[FakeGraph, str],
) -> None:
    kb.ingest_many(history())
    kb.sync()
    async with running(kb, tmp_path, login, connector, graph, YOROZU_TEAMS_SPECIALISTS_CHANNEL=SPECIALISTS) as t:
        reply = await say(t, TANAKA, "p:sub", "subscribe VBA マクロ")
        assert (
            reply
            == "「VBA マクロ」の質問が専門家チャンネルに届いたときと、回答のないままのときに、あなたに通知します。"
        )
        assert await say(t, TANAKA, "p:list", "subscribe") == "通知を受けるテーマ：「VBA マクロ」"
        assert (
            await t.post(channel_message(t.service_url, QUESTION_ID, NEW_MACRO_QUESTION, person=SATO))
        ).status == 200
        await t.idle()
        (card,) = thread_posts(t.connector, QUESTION_ID)
        ask = next(a for a in _actions(card) if a["type"] == "Action.Execute" and a["title"] == "専門家に聞く")
        assert ask["fallback"]["data"] == ask["data"] and ask["verb"] == "yorozuAskExpert"
        status, body = await t.post_json(ask_expert_invoke(t, ask["data"], SATO))
        assert status == 200 and body["statusCode"] == 200
        updated = body["value"]
        assert "佐藤 健さんが専門家チャンネルに質問を送りました。" in texts(updated)
        assert not [a for a in _actions(updated) if a.get("verb") == "yorozuAskExpert"]  # the button gave way
        await t.idle()
        (post,) = channel_posts(t.connector, SPECIALISTS)
        words = "\n".join(texts(post))
        assert "専門家の皆さん、佐藤 健さんからの質問です。" in words and NEW_MACRO_QUESTION in words
        assert "#質問箱 での質問" in words
        # Only the subscriber is pinged: by a mention entity with their Entra object id.
        assert post["msteams"]["entities"] == [
            {"type": "mention", "text": "<at>田中 亮</at>", "mentioned": {"id": TANAKA[0], "name": "田中 亮"}}
        ]
        assert SUZUKI[2] not in words and TAKAHASHI[2] not in words
        links = [a["url"] for a in _actions(post) if a["type"] == "Action.OpenUrl"]
        assert links and QUESTION_ID in links[0]
        # Pressing again does not post the question twice, and says so.
        status, body = await t.post_json(ask_expert_invoke(t, ask["data"], SATO))
        await t.idle()
        assert status == 200 and len(channel_posts(t.connector, SPECIALISTS)) == 1
        assert "この質問はすでに専門家チャンネルに送られています。" in texts(body["value"])


async def test_ask_expert_without_a_specialists_channel_says_so(teams: TeamsHarness) -> None:
    data = {"kind": "yorozu.ask_expert", "question": NEW_MACRO_QUESTION, "channel": CHANNEL, "message": "x"}
    status, body = await teams.post_json(ask_expert_invoke(teams, data, SATO))
    assert status == 200
    assert "専門家チャンネルがまだ設定されていません。管理者にお問い合わせください。" in texts(body["value"])
    await teams.idle()
    assert teams.connector.sent() == []


async def test_a_private_question_goes_to_the_specialists_only_from_its_asker(
    kb: KnowledgeBase,
    tmp_path: Path,
    login: FakeMicrosoftLogin,
    connector: tuple[FakeBotConnector, str],
    graph: tuple[FakeGraph, str],
) -> None:
    kb.ingest_many(history())
    kb.sync()
    async with running(kb, tmp_path, login, connector, graph, YOROZU_TEAMS_SPECIALISTS_CHANNEL=SPECIALISTS) as t:
        question = channel_message(
            t.service_url, "1800000000400", "オフラインバックアップの頻度は？", person=SATO, channel=PRIVATE
        )
        assert (await t.post(question)).status == 200
        data = {"kind": "yorozu.ask_expert", "question": "オフラインバックアップの頻度は？", "channel": PRIVATE}
        data["message"] = "1800000000400"
        status, body = await t.post_json(ask_expert_invoke(t, data, TANAKA))
        assert status == 200
        assert "非公開チャンネルの質問は、質問した本人だけが専門家チャンネルに送れます。" in texts(body["value"])
        await t.idle()
        assert channel_posts(t.connector, SPECIALISTS) == []
        status, body = await t.post_json(ask_expert_invoke(t, data, SATO))
        await t.idle()
        (post,) = channel_posts(t.connector, SPECIALISTS)
        assert "での質問" not in "\n".join(texts(post))  # a private channel is not named
        assert kb.channel("teams", PRIVATE).visibility == Visibility.PRIVATE  # type: ignore[union-attr]


async def test_a_bad_ask_expert_press_is_refused_without_a_500(teams: TeamsHarness) -> None:
    status, _ = await teams.post_json(ask_expert_invoke(teams, {"kind": "yorozu.ask_expert"}, SATO))
    assert status == 400
    assert teams.connector.sent() == []


# --- follow-ups ---------------------------------------------------------------------------------------


async def test_an_unanswered_question_gets_one_follow_up_naming_people_and_pinging_subscribers(
    kb: KnowledgeBase,
    tmp_path: Path,
    login: FakeMicrosoftLogin,
    connector: tuple[FakeBotConnector, str],
    graph: tuple[FakeGraph, str],
) -> None:
    kb.ingest_many(history())
    kb.sync()
    async with running(kb, tmp_path, login, connector, graph, YOROZU_FOLLOWUP_AFTER="1h") as t:
        await say(t, TANAKA, "p:sub", "subscribe マクロ")
        assert (await t.post(fresh_question(t.service_url))).status == 200
        await t.idle()
        assert len(thread_posts(t.connector, QUESTION_ID)) == 1  # the suggestion; the follow-up is not due
        t.make_follow_ups_due()
        await t.idle()
        _, followup = thread_posts(t.connector, QUESTION_ID)
        words = "\n".join(texts(followup))
        assert "この質問にはまだ返信がありません。似た質問に答えたことのある方：" in words
        assert "**鈴木 花子**（南川町 総務課）" in words and "**高橋 誠**（青葉県庁 情報政策課）" in words
        assert "（お名前を紹介しているだけで、通知はしていません）" in words
        assert SATO[2] not in words.replace("<at>", "")  # never the asker
        # Named people are not mentioned; the subscriber is.
        assert followup["msteams"]["entities"] == [
            {"type": "mention", "text": "<at>田中 亮</at>", "mentioned": {"id": TANAKA[0], "name": "田中 亮"}}
        ]
        address = kb.channel("teams", CHANNEL).reply_address  # type: ignore[union-attr]
        assert address is not None and t.service_url in address
        assert await t.poll() == 0  # the runner's next poll: nothing more comes
        assert len(thread_posts(t.connector, QUESTION_ID)) == 2


async def test_the_follow_up_fires_once_across_a_restart(
    kb: KnowledgeBase,
    database_url: str,
    tmp_path: Path,
    login: FakeMicrosoftLogin,
    connector: tuple[FakeBotConnector, str],
    graph: tuple[FakeGraph, str],
) -> None:
    kb.ingest_many(history())
    kb.sync()
    env = {"YOROZU_FOLLOWUP_AFTER": "1h"}
    async with running(kb, tmp_path, login, connector, graph, **env) as first:
        assert (await first.post(fresh_question(first.service_url))).status == 200
        await first.idle()
        assert len(thread_posts(first.connector, QUESTION_ID)) == 1  # the suggestion
        assert await first.poll() == 0  # the follow-up is not due
    # The first process stopped before the follow-up was due; the next one posts it once the time has come.
    restarted = open_kb(database_url, tmp_path / "index-2")
    try:
        async with running(restarted, tmp_path, login, connector, graph, **env) as second:
            second.make_follow_ups_due()
            await second.idle()
            assert len(thread_posts(second.connector, QUESTION_ID)) == 2
        again = open_kb(database_url, tmp_path / "index-3")
        try:
            async with running(again, tmp_path, login, connector, graph, **env) as third:
                assert await third.poll() == 0  # a later process finds it done
                await third.idle()
        finally:
            again.close()
    finally:
        restarted.close()
    assert len(thread_posts(connector[0], QUESTION_ID)) == 2


async def test_two_processes_on_one_database_post_the_follow_up_once(
    kb: KnowledgeBase,
    database_url: str,
    tmp_path: Path,
    login: FakeMicrosoftLogin,
    connector: tuple[FakeBotConnector, str],
    graph: tuple[FakeGraph, str],
) -> None:
    kb.ingest_many(history())
    kb.sync()
    env = {"YOROZU_FOLLOWUP_AFTER": "1h"}
    replica = open_kb(database_url, tmp_path / "index-replica")
    try:
        async with (
            running(kb, tmp_path, login, connector, graph, **env) as a,
            running(replica, tmp_path, login, connector, graph, **env) as b,
        ):
            assert (await a.post(fresh_question(a.service_url))).status == 200
            await a.idle()
            a.make_follow_ups_due(b)
            # Both runners look for due jobs at the same moment (besides their own polls): one claims it.
            await asyncio.gather(a.poll(), b.poll())
            await a.idle()
            await b.idle()
            assert [await a.poll(), await b.poll()] == [0, 0]
    finally:
        replica.close()
    posts = thread_posts(connector[0], QUESTION_ID)
    assert len(posts) == 2 and "この質問にはまだ返信がありません" in "\n".join(texts(posts[1]))


async def test_a_question_answered_in_time_gets_no_follow_up_and_opted_out_people_are_not_named(
    kb: KnowledgeBase,
    tmp_path: Path,
    login: FakeMicrosoftLogin,
    connector: tuple[FakeBotConnector, str],
    graph: tuple[FakeGraph, str],
) -> None:
    kb.ingest_many(history())
    kb.sync()
    async with running(kb, tmp_path, login, connector, graph, YOROZU_FOLLOWUP_AFTER="1h") as t:
        assert (await say(t, SUZUKI, "p:out", "optout")).startswith("今後、あなたの名前は提案・詳しい人の一覧")
        answered = fresh_question(t.service_url, "1800000000500")
        unanswered = fresh_question(t.service_url, "1800000000600")
        assert (await t.post(answered)).status == 200
        assert (await t.post(unanswered)).status == 200
        reply = channel_message(
            t.service_url, "1800000000501", "棚卸ししました。", person=TAKAHASHI, root="1800000000500"
        )
        assert (await t.post(reply)).status == 200
        await t.idle()
        t.make_follow_ups_due()
        await t.idle()
        assert len(thread_posts(t.connector, "1800000000500")) == 1  # the suggestion only
        followup = "\n".join(texts(thread_posts(t.connector, "1800000000600")[1]))
        assert "高橋 誠" in followup and SUZUKI[2] not in followup
        # Nor in who, nor in suggestions, anywhere after opting out.
        who = texts(
            card_of(await say_to(t, TANAKA, "p:who", "who Excelマクロを作った職員が異動して、VBAを保守できません"))
        )
        assert any("高橋 誠" in line for line in who) and not any(SUZUKI[2] in line for line in who)
        for request in t.connector.sent():
            if (request.body.get("recipient") or {}).get("aadObjectId") == SUZUKI[0]:
                continue  # Yorozu's answers to her own commands, in her own chat
            assert SUZUKI[2] not in str(request.body), request.path
        assert await say(t, SUZUKI, "p:in", "optin") == "あなたの名前を、回答者として再び表示します。"


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("subscribe " + "x" * 201, "テーマは200文字以内で書いてください。"),
        ("unsubscribe 存在しないテーマ", "解除する通知はありませんでした。"),
    ],
)
async def test_subscription_commands_answer_kindly(teams: TeamsHarness, words: str, expected: str) -> None:
    assert await say(teams, TANAKA, "p:bad", words) == expected


async def test_no_follow_up_in_a_channel_switched_off(
    kb: KnowledgeBase,
    tmp_path: Path,
    login: FakeMicrosoftLogin,
    connector: tuple[FakeBotConnector, str],
    graph: tuple[FakeGraph, str],
) -> None:
    kb.ingest_many(history())
    kb.sync()
    async with running(kb, tmp_path, login, connector, graph, YOROZU_FOLLOWUP_AFTER="1h") as t:
        off = channel_message(t.service_url, "1800000000700", "off", person=SATO, mention=True)
        assert (await t.post(off)).status == 200
        await eventually(lambda: len(t.connector.sent()) == 1)  # "automatic suggestions are off"
        assert (await t.post(fresh_question(t.service_url))).status == 200
        await t.idle()
        t.make_follow_ups_due()
        await t.idle()
        assert thread_posts(t.connector, QUESTION_ID) == []  # neither a suggestion nor a follow-up
        with kb.store.begin() as conn:
            ran = conn.exec_driver_sql("SELECT done_at, last_error FROM jobs WHERE kind = 'teams.followup'").all()
        assert [(done is not None, error) for done, error in ran] == [(True, None)]  # it ran and chose silence


async def test_a_press_by_someone_opted_out_does_not_name_them(teams: TeamsHarness) -> None:
    assert (await say(teams, SATO, "p:out", "optout")).startswith("今後、")
    data = {
        "kind": "yorozu.feedback",
        "verdict": "solved",
        "threads": [f"teams:{CHANNEL}:1700000000001"],
        "question": NEW_MACRO_QUESTION,
        "channel": CHANNEL,
        "message": "1800000000800",
        "locale": "ja",
    }
    status, body = await teams.post_json(ask_expert_invoke(teams, data, SATO))
    assert status == 200
    words = texts(body["value"])
    assert "「解決した」と記録しました。ありがとうございます！" in words
    assert not any(SATO[2] in line for line in words)
