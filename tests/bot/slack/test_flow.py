"""Channel messages through the running app to replies in the right thread, via the fake Slack Web API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.service import KnowledgeService
from tests.bot.slack.conftest import SlackClient
from tests.bot.slack.fake_slack import BOT_ID, BOT_USER, FakeSlack

MACRO_Q = "Excelマクロを作った職員が異動して、誰もVBAを保守できません。皆さんどうしていますか？"
MACRO_A1 = "うちはマクロを棚卸しして、使っていないものは廃止、残すものは手順書を作りました。"
MACRO_A2 = "県ではRPAや標準機能への置き換えを進めています。VBAは原則新規作成禁止です。"
NEW_Q = "VBAのExcelマクロを作った職員が異動しました。保守できる人がいないとき皆さんどうしていますか？"
BACKUP_Q = "ランサムウェア対策のオフラインバックアップはどの頻度で取っていますか？"
BACKUP_A = "週次でテープにオフライン保管しています。復旧訓練も年1回やっています。"


async def seed_macro_thread(slack: SlackClient, channel: str = "C1") -> None:
    assert await slack.message(channel, "1700000000.000100", "U1", MACRO_Q) == 200
    assert await slack.message(channel, "1700000100.000200", "U2", MACRO_A1, thread_ts="1700000000.000100") == 200
    assert await slack.message(channel, "1700000200.000300", "U3", MACRO_A2, thread_ts="1700000000.000100") == 200
    await slack.drain()


def section_texts(blocks: Sequence[dict[str, Any]]) -> str:
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")


async def test_a_new_question_gets_suggestions_in_its_own_thread(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(slack)
    assert fake_slack.called("chat.postMessage") == []  # the seeded root had nothing to suggest
    assert await slack.message("C1", "1700100000.000100", "U4", NEW_Q.replace("U4", "")) == 200
    (post,) = await fake_slack.wait_for("chat.postMessage")
    assert post["channel"] == "C1"
    assert post["thread_ts"] == "1700100000.000100"
    text = section_texts(post["blocks"])
    # The macro thread, linked to its permalink, with both answerers and their organisations.
    assert "<https://aoba-jichitai.slack.com/archives/C1/p1700000000000100|" in text
    assert "鈴木 花子（南川町 総務課）" in text and "高橋 誠（青葉県庁 情報政策課）" in text
    assert "棚卸し" in text  # the best answer's excerpt
    assert "#q-and-a" in text
    buttons = [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {b["action_id"] for b in buttons} == {"yorozu.solved", "yorozu.unhelpful", "yorozu.ask_expert"}
    # 専門家に聞く once for the whole message, not once per suggestion.
    assert [b["action_id"] for b in buttons].count("yorozu.ask_expert") == 1
    # An answer everyone in the channel sees never offers FAQにする.
    assert "yorozu.make_faq" not in {b["action_id"] for b in buttons}
    assert '"t":"slack:C1:1700000000.000100"' in buttons[0]["value"]
    assert post["text"]  # a fallback for notifications
    # U4's Slack locale is en-US: the reply is in English.
    assert "These past threads may answer this question." in text
    await slack.drain()


async def test_japanese_by_default(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(slack)
    await slack.message("C1", "1700100000.000100", "U2", NEW_Q)
    (post,) = await fake_slack.wait_for("chat.postMessage")
    assert "過去のスレッドに、この質問の答えがあるかもしれません。" in section_texts(post["blocks"])
    assert [e["text"]["text"] for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]][:2] == [
        "解決した",
        "役に立たなかった",
    ]


async def test_silent_when_nothing_answers_replies_and_statements(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(slack)
    await slack.message("C1", "1700100000.000100", "U2", "給食の献立はいつ決まりますか？")  # nothing relevant
    await slack.message("C1", "1700100100.000100", "U2", "マクロの棚卸し、来週やります。")  # not a question
    await slack.message("C1", "1700100200.000100", "U4", NEW_Q, thread_ts="1700000000.000100")  # a reply
    await slack.drain()
    assert fake_slack.called("chat.postMessage") == []


async def test_never_answers_itself_or_other_bots(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(slack)
    # Yorozu's own message (ignored by Bolt's self-event middleware), and another app's.
    await slack.message("C1", "1700100000.000100", BOT_USER, NEW_Q, bot_id=BOT_ID)
    await slack.message("C1", "1700100100.000100", "U9", NEW_Q, bot_id="BOTHER")
    await slack.event(
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "BOTHER",
            "channel": "C1",
            "text": NEW_Q,
            "ts": "1700100200.000100",
            "channel_type": "channel",
        }
    )
    await slack.drain()
    assert fake_slack.called("chat.postMessage") == []
    assert slack.kb.stats().messages == 3  # bots' messages are not community knowledge


async def test_private_threads_stay_in_their_channel(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await slack.message("G1", "1700000000.000100", "U3", BACKUP_Q, channel_type="group")
    await slack.message("G1", "1700000100.000100", "U4", BACKUP_A, thread_ts="1700000000.000100", channel_type="group")
    await slack.drain()
    await slack.message("C1", "1700100000.000100", "U2", "オフラインバックアップはどの頻度で取っていますか？")
    await slack.drain()
    assert fake_slack.called("chat.postMessage") == []  # public channel: the private thread is not offered
    await slack.message(
        "G1", "1700100100.000100", "U2", "オフラインバックアップはどの頻度で取っていますか？", channel_type="group"
    )
    (post,) = await fake_slack.wait_for("chat.postMessage")
    assert (post["channel"], post["thread_ts"]) == ("G1", "1700100100.000100")
    assert "Tom Baker（東浜市 デジタル推進課）" in section_texts(post["blocks"])


async def test_edits_and_deletes_change_later_suggestions(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(slack)
    # The first answer is edited: the next suggestion quotes the new text.
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel": "C1",
        "hidden": True,
        "ts": "1700000500.000100",
        "event_ts": "1700000500.000100",
        "channel_type": "channel",
        "message": {
            "type": "message",
            "user": "U2",
            "text": "マクロは全部Power Automateに移行して、VBAは廃止しました。",
            "ts": "1700000100.000200",
            "thread_ts": "1700000000.000100",
            "edited": {"user": "U2", "ts": "1700000500.000000"},
        },
        "previous_message": {"type": "message", "user": "U2", "text": MACRO_A1, "ts": "1700000100.000200"},
    }
    assert await slack.event(edit) == 200
    await slack.message("C1", "1700100000.000100", "U2", NEW_Q)
    (first,) = await fake_slack.wait_for("chat.postMessage")
    assert first["thread_ts"] == "1700100000.000100"
    text = section_texts(first["blocks"])
    assert "Power Automate" in text and "棚卸し" not in text
    # The root is deleted: the thread is never suggested again, so Yorozu stays silent.
    delete = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": "C1",
        "hidden": True,
        "deleted_ts": "1700000000.000100",
        "ts": "1700000700.000100",
        "event_ts": "1700000700.000100",
        "channel_type": "channel",
        "previous_message": {"type": "message", "user": "U1", "text": MACRO_Q, "ts": "1700000000.000100"},
    }
    assert await slack.event(delete) == 200
    await slack.message("C1", "1700100200.000100", "U2", NEW_Q)
    await slack.drain()
    assert len(fake_slack.called("chat.postMessage")) == 1


async def test_the_channel_switch_stops_automatic_suggestions(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(slack)
    await KnowledgeService(slack.kb).set_auto_suggest("slack", "C1", False)
    await slack.message("C1", "1700100000.000100", "U2", NEW_Q)
    await slack.drain()
    assert fake_slack.called("chat.postMessage") == []


async def test_people_and_channels_are_learned_from_the_web_api(slack: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(slack)
    assert {p["user"] for p in fake_slack.called("users.info")} == {"U1", "U2", "U3"}
    assert all(p["include_locale"] == "true" for p in fake_slack.called("users.info"))
    assert [p["channel"] for p in fake_slack.called("conversations.info")] == ["C1"]
    # A later user_change event refreshes the organisation shown beside an answer.
    changed = {
        "id": "U2",
        "name": "u2",
        "real_name": "鈴木 花子",
        "profile": {"title": "南川町 DX推進室", "display_name": "鈴木 花子"},
    }
    assert await slack.event({"type": "user_change", "user": changed, "event_ts": "1700000300.000000"}) == 200
    await slack.message("C1", "1700100000.000100", "U1", NEW_Q)
    (post,) = await fake_slack.wait_for("chat.postMessage")
    assert "鈴木 花子（南川町 DX推進室）" in section_texts(post["blocks"])
