"""Personal commands in Slack (optout, optin, subscribe, unsubscribe) and what opting out changes."""

from __future__ import annotations

import json
from typing import Any

from tests.bot.slack.conftest import SPECIALISTS, SlackClient
from tests.bot.slack.fake_slack import BOT_USER, FakeSlack
from tests.bot.slack.test_ask_expert import ask_button, press
from tests.bot.slack.test_direct import action_payload, command
from tests.bot.slack.test_flow import NEW_Q, section_texts, seed_macro_thread


def said(post: dict[str, Any]) -> str:
    return section_texts(post["blocks"])


async def test_optout_and_optin_in_a_personal_chat(curated: SlackClient, fake_slack: FakeSlack) -> None:
    await curated.message("DU2", "1700050000.000100", "U2", "optout", channel_type="im")
    (reply,) = await fake_slack.wait_for("chat.postMessage")
    assert reply["channel"] == "DU2" and "今後、あなたの名前は" in said(reply)
    assert curated.kb.is_opted_out("slack", "U2")
    await curated.message("DU2", "1700050001.000100", "U2", "optin", channel_type="im")
    (_, back) = await fake_slack.wait_for("chat.postMessage", 2)
    assert said(back) == "あなたの名前を、回答者として再び表示します。"
    assert not curated.kb.is_opted_out("slack", "U2")


async def test_subscribe_through_a_mention_and_list_and_unsubscribe_with_the_command(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    await curated.event(
        {
            "type": "app_mention",
            "user": "U4",
            "channel": "C1",
            "ts": "1700050000.000100",
            "text": f"<@{BOT_USER}> subscribe Excelマクロ",
        }
    )
    (reply,) = await fake_slack.wait_for("chat.postMessage")
    assert reply["thread_ts"] == "1700050000.000100"
    assert (
        said(reply)
        == "I will notify you when a question about “Excelマクロ” is sent to the specialists or stays unanswered."
    )
    assert curated.kb.subscriptions("slack", "U4") == ["Excelマクロ"]
    await curated.form(command(fake_slack, "subscribe", user="U4", name="list"))
    await curated.form(command(fake_slack, "subscribe 権限管理", user="U2", name="other"))
    answers = {a["name"]: a for a in await fake_slack.wait_for_responses(2)}
    assert said(answers["list"]) == "You are notified about: 「Excelマクロ」"
    assert answers["list"]["response_type"] == "ephemeral"
    assert curated.kb.subscriptions("slack", "U2") == ["権限管理"]
    await curated.form(command(fake_slack, "unsubscribe", user="U4", name="off"))
    answers = {a["name"]: a for a in await fake_slack.wait_for_responses(3)}
    assert said(answers["off"]) == "Stopped notifications for 1 topic."
    assert curated.kb.subscriptions("slack", "U4") == []
    assert curated.kb.subscriptions("slack", "U2") == ["権限管理"]  # only the person's own


async def test_optout_by_slash_command(curated: SlackClient, fake_slack: FakeSlack) -> None:
    await curated.form(command(fake_slack, "optout", user="U3"))
    (answer,) = await fake_slack.wait_for_responses()
    assert "optin で元に戻せます" in said(answer) and answer["response_type"] == "ephemeral"
    assert curated.kb.is_opted_out("slack", "U3")
    assert not any(b.get("block_id") == "yorozu.share" for b in answer["blocks"])  # nothing to share


async def test_an_opted_out_person_is_never_named_in_slack_afterwards(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(curated)  # 鈴木 花子 (U2) and 高橋 誠 (U3) answered
    await curated.form(command(fake_slack, "optout", user="U2", name="optout"))
    await fake_slack.wait_for_responses()
    # Suggestions under a new question: the other answerer is named, U2 is not.
    await curated.message("C1", "1700100000.000100", "U2", NEW_Q)
    (suggestion,) = await fake_slack.wait_for("chat.postMessage")
    text = said(suggestion)
    assert "高橋 誠（青葉県庁 情報政策課）" in text and "鈴木" not in text and "南川町" not in text
    # who: not listed.
    await curated.form(command(fake_slack, "who Excelマクロ VBA 保守", user="U1", name="who"))
    who = next(a for a in await fake_slack.wait_for_responses(2) if a["name"] == "who")
    assert "高橋 誠" in said(who) and "鈴木" not in said(who)
    # Their 解決した press: the note in the channel's message does not name them.
    feedback = next(b for b in suggestion["blocks"] if b["type"] == "actions")
    solved = next(e for e in feedback["elements"] if e["action_id"] == "yorozu.solved")
    payload = action_payload(
        fake_slack, solved, user="U2", name="fb", blocks=suggestion["blocks"], block_id=feedback["block_id"]
    )
    assert (await curated.interact(payload))[0] == 200
    note = next(a for a in await fake_slack.wait_for_responses(3) if a["name"] == "fb")
    notes = [e["text"] for b in note["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert notes == ["「解決した」と記録しました。ありがとうございます！"]
    # Their question sent to the specialists: asked anonymously.
    await press(curated, fake_slack, ask_button(suggestion["blocks"]), "U2", "ask")
    (post,) = [p for p in fake_slack.called("chat.postMessage") if p["channel"] == SPECIALISTS]
    assert "鈴木" not in json.dumps(post, ensure_ascii=False)
    assert "次の質問に答えていただけませんか" in json.dumps(post, ensure_ascii=False)
    # Everything Yorozu sent, anywhere, after the opt-out: the name never appears.
    sent = fake_slack.called("chat.postMessage") + fake_slack.responses
    assert "鈴木 花子" not in json.dumps(sent, ensure_ascii=False)
