"""専門家に聞く: a press posts the question once in the specialists' channel, pinging only subscribers."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.service import open_knowledge_base
from bot.slack import blocks
from tests.bot.slack.conftest import SPECIALISTS, SlackClient, curation_settings, running_slack
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_direct import action_payload, command
from tests.bot.slack.test_flow import BACKUP_A, BACKUP_Q, NEW_Q, seed_macro_thread
from tests.fakes import FakeEmbedder

QUESTION_TS = "1700100000.000100"


def ask_button(message_blocks: list[dict[str, Any]]) -> dict[str, Any]:
    (button,) = [
        e
        for b in message_blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == blocks.ACTION_ASK_EXPERT
    ]
    return button


def specialists_posts(fake: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in fake.called("chat.postMessage") if p["channel"] == SPECIALISTS]


def everything(post: dict[str, Any]) -> str:
    return json.dumps(post, ensure_ascii=False)


def mentioned(post: dict[str, Any]) -> list[str]:
    return re.findall(r"<@([A-Z0-9]+)>", everything(post))


async def dm(slack: SlackClient, fake: FakeSlack, user: str, words: str, ts: str) -> dict[str, Any]:
    """A personal-chat message to Yorozu, and Yorozu's answer."""
    before = len(fake.called("chat.postMessage"))
    assert await slack.message(f"D{user}", ts, user, words, channel_type="im") == 200
    posts = await fake.wait_for("chat.postMessage", before + 1)
    return posts[before]


async def press(slack: SlackClient, fake: FakeSlack, button: dict[str, Any], user: str, name: str) -> dict[str, Any]:
    """Press 専門家に聞く as ``user``; returns the ephemeral note sent to this press's response_url."""
    status, body = await slack.interact(action_payload(fake, button, user=user, name=name))
    assert (status, body) == (200, None)
    await slack.drain(strict=False)
    (note,) = [r for r in await fake.wait_for_responses(1) if r["name"] == name]
    assert note["response_type"] == "ephemeral" and note["replace_original"] is False
    return note


async def test_the_question_goes_to_the_specialists_once_pinging_only_its_subscribers(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(curated)  # answered by 鈴木 花子 (U2) and 高橋 誠 (U3), who subscribe to nothing
    await dm(curated, fake_slack, "U4", "subscribe Excelマクロ", "1700050000.000100")
    await dm(curated, fake_slack, "U1", "subscribe 給食", "1700050001.000100")  # does not match
    await curated.message("C1", QUESTION_TS, "U1", NEW_Q)
    posts = await fake_slack.wait_for("chat.postMessage", 3)
    suggestion = posts[2]
    assert suggestion["thread_ts"] == QUESTION_TS
    note = await press(curated, fake_slack, ask_button(suggestion["blocks"]), "U1", "ask1")
    assert note["text"] == "専門家チャンネルに質問を送りました。"
    (post,) = specialists_posts(fake_slack)
    text = everything(post)
    assert "専門家の皆さん、佐藤 健さんからの質問です。" in text
    assert "> " + NEW_Q in text
    assert f"<https://aoba-jichitai.slack.com/archives/C1/p{QUESTION_TS.replace('.', '')}|元のスレッドを開く>" in text
    assert "#q-and-a での質問" in text
    assert mentioned(post) == ["U4"]  # the subscriber; the people who answered are never pinged
    assert "thread_ts" not in post and post["text"]
    # Pressed again, by the asker or by anyone else in the public channel: said, not posted again.
    again = await press(curated, fake_slack, ask_button(suggestion["blocks"]), "U1", "ask2")
    assert again["text"] == "この質問はすでに専門家チャンネルに送られています。"
    other = await press(curated, fake_slack, ask_button(suggestion["blocks"]), "U4", "ask3")
    assert other["text"] == "This question has already been sent to the specialists' channel."  # U4 reads English
    assert len(specialists_posts(fake_slack)) == 1


async def test_an_opted_out_asker_is_not_named_to_the_specialists(curated: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(curated)
    reply = await dm(curated, fake_slack, "U1", "optout", "1700050000.000100")
    assert "名前は" in everything(reply)
    await curated.message("C1", QUESTION_TS, "U1", NEW_Q)
    posts = await fake_slack.wait_for("chat.postMessage", 2)
    await press(curated, fake_slack, ask_button(posts[1]["blocks"]), "U1", "ask1")
    (post,) = specialists_posts(fake_slack)
    assert "専門家の皆さん、次の質問に答えていただけませんか。" in everything(post)
    assert "佐藤" not in everything(post)


async def test_a_private_channel_question_is_sent_only_by_its_asker(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    await curated.message("G1", "1700000000.000100", "U3", BACKUP_Q, channel_type="group")
    await curated.message(
        "G1", "1700000100.000100", "U4", BACKUP_A, thread_ts="1700000000.000100", channel_type="group"
    )
    await curated.drain()
    await curated.message(
        "G1", QUESTION_TS, "U2", "オフラインバックアップはどの頻度で取っていますか？", channel_type="group"
    )
    (suggestion,) = await fake_slack.wait_for("chat.postMessage")
    assert suggestion["channel"] == "G1"
    refused = await press(curated, fake_slack, ask_button(suggestion["blocks"]), "U4", "ask1")
    assert refused["text"].startswith("A question from a private channel can be sent to the specialists only by")
    assert specialists_posts(fake_slack) == []
    sent = await press(curated, fake_slack, ask_button(suggestion["blocks"]), "U2", "ask2")
    assert sent["text"] == "専門家チャンネルに質問を送りました。"
    (post,) = specialists_posts(fake_slack)
    assert "鈴木 花子さんからの質問です" in everything(post)
    assert "ciso-private" not in everything(post) and "での質問" not in everything(post)


async def test_a_shared_answer_in_a_private_channel_is_sent_only_by_who_asked_yorozu(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    await curated.message("G1", "1700000000.000100", "U3", BACKUP_Q, channel_type="group")
    await curated.message(
        "G1", "1700000100.000100", "U4", BACKUP_A, thread_ts="1700000000.000100", channel_type="group"
    )
    await curated.drain()
    # /yorozu share in the private channel: everyone there sees the answer and its button.
    await curated.form(
        command(fake_slack, "share オフラインバックアップの頻度は？", channel="G1", user="U2", name="cmd")
    )
    (shared,) = await fake_slack.wait_for_responses()
    assert shared["response_type"] == "in_channel"
    refused = await press(curated, fake_slack, ask_button(shared["blocks"]), "U4", "ask1")
    assert refused["text"].startswith("A question from a private channel")
    assert specialists_posts(fake_slack) == []
    await press(curated, fake_slack, ask_button(shared["blocks"]), "U2", "ask2")
    (post,) = specialists_posts(fake_slack)
    assert "鈴木 花子さんからの質問です" in everything(post) and "ciso-private" not in everything(post)


async def test_nothing_found_for_a_slash_question_can_go_to_the_specialists(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(curated)
    await curated.form(command(fake_slack, "ask 給食の献立はいつ決まりますか？", user="U2", name="cmd"))
    (answer,) = await fake_slack.wait_for_responses()
    assert "関連する過去のスレッドは見つかりませんでした" in everything(answer)
    await press(curated, fake_slack, ask_button(answer["blocks"]), "U2", "ask1")
    (post,) = specialists_posts(fake_slack)
    assert "鈴木 花子さんからの質問です。" in everything(post)
    assert "> 給食の献立はいつ決まりますか？" in everything(post)
    assert "#q-and-a での質問" in everything(post)
    assert "元のスレッドを開く" not in everything(post)  # asked to Yorozu: there is no thread to link
    assert mentioned(post) == []


async def test_a_refused_post_tells_the_presser(curated: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(curated)
    await curated.form(command(fake_slack, f"ask {NEW_Q}", user="U2", name="cmd"))
    (answer,) = await fake_slack.wait_for_responses()
    fake_slack.failing["chat.postMessage"] = "not_in_channel"  # Yorozu was never invited to the channel
    note = await press(curated, fake_slack, ask_button(answer["blocks"]), "U2", "ask1")
    assert note["text"].startswith("専門家チャンネルに投稿できませんでした。")
    with curated.kb.store.begin() as conn:
        (error,) = conn.exec_driver_sql("SELECT last_error FROM jobs WHERE kind = 'slack.ask_expert'").scalars()
    assert "not_in_channel" in error


@pytest.fixture
async def unconfigured(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path, embedder: FakeEmbedder
) -> AsyncIterator[SlackClient]:
    settings = curation_settings(tmp_path, fake_slack, database_url, YOROZU_SLACK_SPECIALISTS_CHANNEL="")
    assert settings.slack_specialists_channel is None
    kb = open_knowledge_base(settings, embedder=embedder)
    try:
        async with running_slack(settings, kb) as client:
            yield client
    finally:
        kb.close()


async def test_without_a_specialists_channel_the_presser_is_told(
    unconfigured: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(unconfigured)
    await unconfigured.form(command(fake_slack, f"ask {NEW_Q}", user="U2", name="cmd"))
    (answer,) = await fake_slack.wait_for_responses()
    for name in ("ask1", "ask2"):  # every press says so (nothing is remembered until a channel exists)
        note = await press(unconfigured, fake_slack, ask_button(answer["blocks"]), "U2", name)
        assert note["text"] == "専門家チャンネルがまだ設定されていません。管理者にお問い合わせください。"
    assert fake_slack.called("chat.postMessage") == []


async def test_a_press_yorozu_did_not_write_is_ignored(curated: SlackClient, fake_slack: FakeSlack) -> None:
    button = {"action_id": blocks.ACTION_ASK_EXPERT, "value": "{broken"}
    status, body = await curated.interact(action_payload(fake_slack, button))
    assert (status, body) == (200, None)
    await curated.drain()
    with curated.kb.store.begin() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM jobs WHERE kind = 'slack.ask_expert'").scalar() == 0
    assert fake_slack.responses == [] and specialists_posts(fake_slack) == []
