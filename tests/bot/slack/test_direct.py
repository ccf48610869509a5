"""Direct answers: @mentions, personal chats, /yorozu, feedback buttons and sharing."""

from __future__ import annotations

import json
from typing import Any

from knowledge.model import Verdict
from tests.bot.slack.conftest import SlackClient, reference_event
from tests.bot.slack.fake_slack import BOT_USER, FakeSlack
from tests.bot.slack.test_flow import NEW_Q, section_texts, seed_macro_thread


async def test_a_mention_is_answered_in_its_thread_without_the_mention(
    slack: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(slack)
    envelope = reference_event("test_events__L51__event_callback-app_mention.json")
    envelope["event"].update(text=f"<@{BOT_USER}> {NEW_Q}", user="U2", channel="C1", ts="1700100000.000100")
    # The same words arrive as a channel message too; only the mention's answer is posted.
    assert await slack.message("C1", "1700100000.000100", "U2", f"<@{BOT_USER}> {NEW_Q}") == 200
    assert await slack.envelope(envelope) == 200
    await slack.drain()
    (post,) = fake_slack.called("chat.postMessage")
    assert (post["channel"], post["thread_ts"]) == ("C1", "1700100000.000100")
    assert "鈴木 花子（南川町 総務課）" in section_texts(post["blocks"])


async def test_who_through_a_mention_names_people(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(slack)
    await slack.event(
        {
            "type": "app_mention",
            "user": "U4",
            "channel": "C1",
            "ts": "1700100000.000100",
            "text": f"<@{BOT_USER}> who Excelマクロ VBA 保守",
        }
    )
    (post,) = await fake_slack.wait_for("chat.postMessage")
    text = section_texts(post["blocks"])
    assert "鈴木 花子*（南川町 総務課）" in text and "高橋 誠*（青葉県庁 情報政策課）" in text
    assert text.startswith("People who have answered")  # U4 uses Slack in English


async def test_a_personal_chat_gets_an_answer_in_the_chat(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(slack)
    await slack.message("D1", "1700100000.000100", "U2", NEW_Q, channel_type="im")
    (post,) = await fake_slack.wait_for("chat.postMessage")
    assert post["channel"] == "D1" and "thread_ts" not in post
    assert "p1700000000000100" in section_texts(post["blocks"])
    # A personal chat is not community knowledge.
    assert slack.kb.stats().messages == 3


async def test_help_in_a_personal_chat(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await slack.message("D1", "1700100000.000100", "U1", "help", channel_type="im")
    (post,) = await fake_slack.wait_for("chat.postMessage")
    assert "Yorozu（よろず）" in section_texts(post["blocks"])


def command(fake: FakeSlack, text: str, *, channel: str = "C1", user: str = "U2", name: str = "r1") -> dict[str, str]:
    """A slash command payload as Slack posts it (form-encoded), modelled on the signing vector's body."""
    return {
        "token": "verification",
        "team_id": "T111",
        "team_domain": "aoba-jichitai",
        "channel_id": channel,
        "channel_name": "q-and-a",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/yorozu",
        "text": text,
        "api_app_id": "A111",
        "response_url": fake.response_url(name),
        "trigger_id": "398738663015.47445629121.x",
    }


async def test_slash_ask_is_ephemeral_with_a_share_button(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(slack)
    resp = await slack.form(command(fake_slack, f"ask {NEW_Q}"))
    assert resp.status == 200
    (answer,) = await fake_slack.wait_for_responses()
    assert answer["response_type"] == "ephemeral"
    assert "p1700000000000100" in section_texts(answer["blocks"])
    share = [
        e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "yorozu.share"
    ]
    assert share and share[0]["value"] == f"ask {NEW_Q}"
    assert fake_slack.called("chat.postMessage") == []  # nothing visible to the channel
    # Pressing "share" answers again, for the whole channel.
    await slack.form({"payload": json.dumps(action_payload(fake_slack, share[0], name="r2"))})
    (_, shared) = await fake_slack.wait_for_responses(2)
    assert shared["response_type"] == "in_channel"
    assert "p1700000000000100" in section_texts(shared["blocks"])


async def test_slash_share_answers_in_channel(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(slack)
    await slack.form(command(fake_slack, f"share {NEW_Q}"))
    (answer,) = await fake_slack.wait_for_responses()
    assert answer["response_type"] == "in_channel"
    assert not any(b.get("block_id") == "yorozu.share" for b in answer["blocks"])


async def test_slash_off_and_on_switch_the_channel(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(slack)
    await slack.form(command(fake_slack, "off"))
    (answer,) = await fake_slack.wait_for_responses()
    assert "自動の提案を止めました" in section_texts(answer["blocks"])
    await slack.message("C1", "1700100000.000100", "U2", NEW_Q)
    await slack.drain()
    assert fake_slack.called("chat.postMessage") == []
    await slack.form(command(fake_slack, "on"))
    await fake_slack.wait_for_responses(2)
    await slack.message("C1", "1700100100.000100", "U2", NEW_Q)
    (post,) = await fake_slack.wait_for("chat.postMessage")
    assert post["thread_ts"] == "1700100100.000100"


async def test_slash_help_and_who(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(slack)
    await slack.form(command(fake_slack, ""))
    await slack.form(command(fake_slack, "who Excelマクロ VBA 保守", name="r2"))
    answers = {a["name"]: a for a in await fake_slack.wait_for_responses(2)}
    assert "who &lt;テーマ&gt;" in section_texts(answers["r1"]["blocks"])
    assert "鈴木 花子" in section_texts(answers["r2"]["blocks"])


def action_payload(
    fake: FakeSlack,
    button: dict[str, Any],
    *,
    user: str = "U1",
    name: str = "r1",
    blocks: list[dict[str, Any]] | None = None,
    block_id: str = "b",
) -> dict[str, Any]:
    """A block_actions payload as Slack posts it for a button press."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T111", "domain": "aoba-jichitai"},
        "user": {"id": user, "username": user.lower(), "team_id": "T111"},
        "api_app_id": "A111",
        "token": "verification",
        "container": {"type": "message", "message_ts": "1777000000.000001", "channel_id": "C1"},
        "trigger_id": "1.2.3",
        "channel": {"id": "C1", "name": "q-and-a"},
        "response_url": fake.response_url(name),
        "actions": [{**button, "block_id": block_id, "type": "button", "action_ts": "1777000001.000000"}],
    }
    if blocks is not None:
        payload["message"] = {"type": "message", "ts": "1777000000.000001", "blocks": blocks, "bot_id": "BBOT"}
    return payload


async def test_feedback_is_recorded_and_the_message_updated(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(slack)
    await slack.message("C1", "1700100000.000100", "U4", NEW_Q)
    (post,) = await fake_slack.wait_for("chat.postMessage")
    actions = next(b for b in post["blocks"] if b["type"] == "actions")
    solved = next(e for e in actions["elements"] if e["action_id"] == "yorozu.solved")
    resp = await slack.form(
        {
            "payload": json.dumps(
                action_payload(fake_slack, solved, user="U4", blocks=post["blocks"], block_id=actions["block_id"])
            )
        }
    )
    assert resp.status == 200
    with slack.kb.store.begin() as conn:
        rows = conn.exec_driver_sql("SELECT suggested_thread, verdict, question FROM feedback").all()
    assert [tuple(r) for r in rows] == [("slack:C1:1700000000.000100", str(Verdict.SOLVED), NEW_Q)]
    (update,) = await fake_slack.wait_for_responses()
    assert update["replace_original"] is True
    assert not any(b.get("block_id") == actions["block_id"] for b in update["blocks"])
    notes = [e["text"] for b in update["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert notes == ["Tom Baker marked this as solved. Thank you!"]
    assert len(update["blocks"]) == len(post["blocks"])


async def test_a_forged_button_value_records_nothing(slack: SlackClient, fake_slack: FakeSlack) -> None:
    button = {"action_id": "yorozu.unhelpful", "value": "not json"}
    resp = await slack.form({"payload": json.dumps(action_payload(fake_slack, button))})
    assert resp.status == 200
    await slack.drain()
    with slack.kb.store.begin() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM feedback").scalar() == 0
