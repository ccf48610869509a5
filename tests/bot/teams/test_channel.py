"""Channel messages through the running app: stored, and answered in the right thread by the fake Bot Connector."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from knowledge.model import Scope
from knowledge.store import tables
from tests.bot.teams.conftest import (
    CHANNEL,
    MACRO_ANSWER,
    MACRO_QUESTION,
    NEW_MACRO_QUESTION,
    PRIVATE,
    SATO,
    SUZUKI,
    TAKAHASHI,
    TeamsHarness,
    as_type,
    channel_message,
    personal_message,
    reaction,
)


def card_of(body: dict[str, Any]) -> dict[str, Any]:
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def texts(card: dict[str, Any]) -> list[str]:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card.get("body", []))
    return out


async def test_new_question_gets_a_card_in_its_thread(teams: TeamsHarness) -> None:
    activity = channel_message(teams.service_url, "1800000000100", NEW_MACRO_QUESTION)
    assert (await teams.post(activity)).status == 200
    (sent,) = await teams.connector.wait_for(1)
    # The reply goes to the question's own thread: "<channel>;messageid=<root>", replying to the root.
    conversation, _, reply_to = unquote(sent.path).removeprefix("/v3/conversations/").partition("/activities/")
    assert conversation == f"{CHANNEL};messageid=1800000000100"
    assert reply_to == "1800000000100"
    assert sent.headers["Authorization"].startswith("Bearer fake-access-token-")
    card = card_of(sent.body)
    assert card["type"] == "AdaptiveCard"
    lines = texts(card)
    assert any(MACRO_QUESTION[:20] in line for line in lines)
    assert any("鈴木 花子（南川町 総務課）" in line and "高橋 誠（青葉県庁 情報政策課）" in line for line in lines)
    assert lines[0] == "過去のスレッドに、この質問の答えがあるかもしれません。"
    # The question itself was stored as a thread of the channel.
    assert teams.kb.stats().messages == 4
    # The reply's token is one issued for the Bot Connector (the channel's lookup asks for a Graph one).
    token = sent.headers["Authorization"].removeprefix("Bearer ")
    assert teams.login.scopes[token] == "https://api.botframework.com/.default"


async def test_english_locale_gets_english(teams: TeamsHarness) -> None:
    activity = channel_message(teams.service_url, "1800000000101", NEW_MACRO_QUESTION, locale="en-US")
    await teams.post(activity)
    (sent,) = await teams.connector.wait_for(1)
    assert texts(card_of(sent.body))[0] == "These past threads may answer this question."


async def test_unrelated_question_and_non_questions_get_silence(teams: TeamsHarness) -> None:
    await teams.post(channel_message(teams.service_url, "1800000000102", "給食の献立はいつ決まりますか？"))
    await teams.post(channel_message(teams.service_url, "1800000000103", "【お知らせ】VBAマクロ研修の資料を共有します"))
    # A reply inside a thread is never answered automatically, even when it is a question.
    await teams.post(channel_message(teams.service_url, "1800000000104", NEW_MACRO_QUESTION, root="1700000000001"))
    await teams.idle()
    assert teams.connector.sent() == []
    assert teams.kb.stats().messages == 6


async def test_duplicate_delivery_is_stored_and_answered_once(teams: TeamsHarness) -> None:
    activity = channel_message(teams.service_url, "1800000000105", NEW_MACRO_QUESTION)
    assert (await teams.post(activity)).status == 200
    assert (await teams.post(activity)).status == 200
    await teams.idle()
    assert len(teams.connector.sent()) == 1
    assert teams.kb.stats().messages == 4


async def test_bots_are_never_answered(teams: TeamsHarness) -> None:
    activity = channel_message(teams.service_url, "1800000000106", NEW_MACRO_QUESTION)
    activity["from"] = {"id": "28:another-bot", "name": "通知ボット"}
    assert (await teams.post(activity)).status == 200
    await teams.idle()
    assert teams.connector.sent() == []


async def test_auto_suggest_switch(teams: TeamsHarness) -> None:
    off = channel_message(teams.service_url, "1800000000107", "off", mention=True)
    assert (await teams.post(off)).status == 200
    (confirmation,) = teams.connector.sent()
    assert "自動の提案を止めました" in confirmation.body["text"]
    await teams.post(channel_message(teams.service_url, "1800000000108", NEW_MACRO_QUESTION))
    await teams.idle()
    assert len(teams.connector.sent()) == 1
    await teams.post(channel_message(teams.service_url, "1800000000109", "on", mention=True))
    await teams.post(channel_message(teams.service_url, "1800000000110", NEW_MACRO_QUESTION + "（再）"))
    sent = await teams.connector.wait_for(3)
    assert len(sent) == 3 and "attachments" in sent[2].body


async def test_mention_asks_directly_and_answers_in_the_thread(teams: TeamsHarness) -> None:
    ask = channel_message(teams.service_url, "1800000000111", "VBAマクロの保守はどうしていますか", mention=True)
    assert (await teams.post(ask)).status == 200
    (sent,) = teams.connector.sent()
    assert f"{CHANNEL};messageid=1800000000111" in unquote(sent.path)
    assert any("鈴木 花子" in line for line in texts(card_of(sent.body)))
    who = channel_message(
        teams.service_url, "1800000000112", "who Excelマクロ VBA 保守", mention=True, root="1800000000111"
    )
    await teams.post(who)
    sent = teams.connector.sent()
    assert f"{CHANNEL};messageid=1800000000111" in unquote(sent[1].path)
    lines = texts(card_of(sent[1].body))
    assert "「Excelマクロ VBA 保守」について答えたことのある人：" in lines[0]
    assert any("鈴木 花子" in line for line in lines) and any("高橋 誠" in line for line in lines)
    # The command itself is not community knowledge; the question asked of Yorozu is.
    assert teams.kb.stats().messages == 4


async def test_personal_chat_help_and_question(teams: TeamsHarness) -> None:
    await teams.post(personal_message(teams.service_url, "1800000000113", "help"))
    await teams.post(personal_message(teams.service_url, "1800000000114", NEW_MACRO_QUESTION, locale="en-US"))
    sent = teams.connector.sent()
    assert "a:1personal-chat-with-tanaka" in unquote(sent[0].path)
    # help is a card, one TextBlock a line: a chat message's single line breaks run together.
    lines = texts(card_of(sent[0].body))
    assert lines[0].startswith("Yorozu（よろず）は") and len(lines) == 7
    assert all("\n" not in line for line in lines)
    assert any(line.startswith("・who &lt;テーマ&gt;：") for line in lines)  # "<" is not read as HTML
    card = card_of(sent[1].body)
    assert texts(card)[0] == "These past threads may answer this question."
    assert teams.kb.stats().messages == 3  # 1:1 questions are not indexed


async def test_private_channel_threads_stay_in_their_channel(teams: TeamsHarness) -> None:
    question = "ランサムウェア対策のオフラインバックアップはどの頻度で取っていますか？"
    answer = "週次でテープにオフライン保管しています。復旧訓練も年1回やっています。"
    root = channel_message(teams.service_url, "1800000000115", question, channel=PRIVATE, membership="private")
    reply = channel_message(
        teams.service_url,
        "1800000000116",
        answer,
        channel=PRIVATE,
        membership="private",
        root="1800000000115",
        person=SUZUKI,
    )
    await teams.post(root)
    await teams.post(reply)
    await teams.idle()
    same = await teams.service.suggest(question + "（再質問）", scope=Scope("teams", PRIVATE))
    elsewhere = await teams.service.suggest(question + "（再質問）", scope=Scope("teams", CHANNEL))
    assert "1800000000115" in [s.root_message_id for s in same.suggestions]
    assert "1800000000115" not in [s.root_message_id for s in elsewhere.suggestions]


async def test_edits_and_deletes_change_later_suggestions(teams: TeamsHarness) -> None:
    original = channel_message(teams.service_url, "1700000000002", MACRO_ANSWER, person=SUZUKI, root="1700000000001")
    # The shown reply is the one most related to the question: the edit makes this one that reply.
    edited_text = "ExcelのVBAマクロは全部Power Automateに移行して、保守できる人がいない状態をなくしました。"
    edit = as_type(original, "messageUpdate", "editMessage", text=edited_text)
    assert (await teams.post(edit)).status == 200
    await teams.idle()
    result = await teams.service.suggest(NEW_MACRO_QUESTION, scope=Scope("teams", CHANNEL))
    top = result.suggestions[0]
    assert top.root_message_id == "1700000000001"
    assert "Power Automate" in top.answer_excerpt
    assert "棚卸し" not in top.answer_excerpt
    # Soft-delete the root: the thread is never suggested again; undelete brings it back.
    root = channel_message(teams.service_url, "1700000000001", MACRO_QUESTION, person=SATO)
    assert (await teams.post(as_type(root, "messageDelete", "softDeleteMessage"))).status == 200
    await teams.idle()
    gone = await teams.service.suggest(NEW_MACRO_QUESTION, scope=Scope("teams", CHANNEL))
    assert all(s.root_message_id != "1700000000001" for s in gone.suggestions)
    assert (await teams.post(as_type(root, "messageUpdate", "undeleteMessage"))).status == 200
    await teams.idle()
    back = await teams.service.suggest(NEW_MACRO_QUESTION, scope=Scope("teams", CHANNEL))
    assert back.suggestions[0].root_message_id == "1700000000001"


async def test_asker_check_mark_accepts_but_like_does_not(teams: TeamsHarness) -> None:
    await teams.post(reaction(teams.service_url, "1700000000003", SATO, "like"))
    await teams.idle()
    before = await teams.service.suggest(NEW_MACRO_QUESTION, scope=Scope("teams", CHANNEL))
    assert not before.suggestions[0].accepted
    # As of 2025 Teams names new-style reactions "<code point>_<name>".
    await teams.post(reaction(teams.service_url, "1700000000003", SATO, "2705_whiteheavycheckmark"))
    await teams.idle()
    after = await teams.service.suggest(NEW_MACRO_QUESTION, scope=Scope("teams", CHANNEL))
    top = after.suggestions[0]
    assert top.accepted
    assert top.answerers[0].name == TAKAHASHI[2] and top.answerers[0].accepted
    await teams.post(reaction(teams.service_url, "1700000000003", SATO, "2705_whiteheavycheckmark", added=False))
    await teams.idle()
    assert not (await teams.service.suggest(NEW_MACRO_QUESTION, scope=Scope("teams", CHANNEL))).suggestions[0].accepted


async def test_a_mention_delivered_twice_is_answered_once(teams: TeamsHarness) -> None:
    """Teams redelivers an activity it thinks was lost: the delivery id, not the message, says it is the same.
    A question asked of Yorozu is answered at once (no job key to deduplicate it), so only the receipt can."""
    ask = channel_message(teams.service_url, "1800000000120", "VBAマクロの保守はどうしていますか", mention=True)
    assert (await teams.post(ask)).status == 200
    assert (await teams.post(ask)).status == 200
    await teams.idle()
    (sent,) = teams.connector.sent()
    assert f"{CHANNEL};messageid=1800000000120" in unquote(sent.path)
    with teams.kb.store.begin() as conn:
        receipts = conn.exec_driver_sql("SELECT key FROM event_receipts").scalars().all()
    assert receipts == ["teams:1800000000120"]


async def test_a_reply_the_bot_connector_throttles_is_retried_later_and_posted_once(teams: TeamsHarness) -> None:
    """429 from the Bot Connector: the suggestion job fails, keeps its place with a backoff, and posts
    once when it runs again (its run_after is set in the past here, rather than waiting 5 s)."""
    teams.connector.throttle_posts = 1
    activity = channel_message(teams.service_url, "1800000000130", NEW_MACRO_QUESTION)
    assert (await teams.post(activity)).status == 200
    deadline = asyncio.get_running_loop().time() + 10
    while not (failed := _suggest_job(teams))[1]:
        assert asyncio.get_running_loop().time() < deadline, failed
        await asyncio.sleep(0.02)
    attempts, error, done, run_after = failed
    assert attempts == 1 and "Throttled" in str(error) and done is None
    assert _aware(run_after) > datetime.now(UTC)  # retried later, not dropped
    assert teams.connector.sent() == []
    with teams.kb.store.begin() as conn:
        conn.execute(tables.jobs.update().values(run_after=datetime.now(UTC) - timedelta(seconds=1)))
    await teams.idle()
    (sent,) = teams.connector.sent()
    assert f"{CHANNEL};messageid=1800000000130" in unquote(sent.path)
    attempts, _, done, _ = _suggest_job(teams)
    assert attempts == 2 and done is not None


def _suggest_job(teams: TeamsHarness) -> tuple[Any, ...]:
    with teams.kb.store.begin() as conn:
        row = conn.exec_driver_sql(
            "SELECT attempts, last_error, done_at, run_after FROM jobs WHERE kind = 'teams.suggest'"
        ).one()
    return tuple(row)


def _aware(value: Any) -> datetime:
    """A stored time as an aware datetime (SQLite hands back its text form)."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo else when.replace(tzinfo=UTC)
