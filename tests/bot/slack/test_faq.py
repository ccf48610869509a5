"""FAQにする: the message shortcut opens a prefilled modal (views.open), its submit saves the entry."""

from __future__ import annotations

import json
from typing import Any

from bot.slack import modals
from knowledge.model import FaqStatus
from tests.bot.slack.conftest import CURATOR, SlackClient
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_direct import action_payload, command
from tests.bot.slack.test_flow import MACRO_A1, MACRO_A2, MACRO_Q, NEW_Q, seed_macro_thread

ROOT = "1700000000.000100"
REPLY_A2 = "1700000200.000300"


def message_shortcut(
    fake: FakeSlack,
    *,
    user: str = CURATOR,
    channel: str = "C1",
    ts: str = ROOT,
    text: str = MACRO_Q,
    thread_ts: str | None = None,
    author: str = "U1",
    callback_id: str = modals.CALLBACK_SHORTCUT,
) -> dict[str, Any]:
    """A message_action payload as Slack posts it for a message shortcut (fields as in Slack's reference)."""
    message: dict[str, Any] = {"type": "message", "user": author, "text": text, "ts": ts, "team": "T111"}
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {
        "type": "message_action",
        "token": "verification",
        "action_ts": "1777000000.123456",
        "team": {"id": "T111", "domain": "aoba-jichitai"},
        "user": {"id": user, "username": user.lower(), "team_id": "T111", "name": user.lower()},
        "channel": {"id": channel, "name": "q-and-a"},
        "is_enterprise_install": False,
        "callback_id": callback_id,
        "trigger_id": f"trigger-{user}-{ts}",
        "response_url": fake.response_url("shortcut"),
        "message_ts": ts,
        "message": message,
    }


def submission(
    view: dict[str, Any],
    *,
    user: str = CURATOR,
    question: str | None = None,
    answer: str | None = None,
    tags: str | None = None,
    publish: bool = False,
) -> dict[str, Any]:
    """The view_submission Slack posts when ``view`` (as opened) is submitted; unset fields keep their
    initial values, as a person who edits nothing would send them."""
    initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"] if b["type"] == "input"}

    def text_value(block_id: str, given: str | None) -> dict[str, Any]:
        return {"value": {"type": "plain_text_input", "value": initial.get(block_id) if given is None else given}}

    options = [{"text": {"type": "plain_text", "text": "publish"}, "value": modals.PUBLISH}] if publish else []
    values = {
        modals.BLOCK_QUESTION: text_value(modals.BLOCK_QUESTION, question),
        modals.BLOCK_ANSWER: text_value(modals.BLOCK_ANSWER, answer),
        modals.BLOCK_TAGS: text_value(modals.BLOCK_TAGS, tags),
        modals.BLOCK_PUBLISH: {"value": {"type": "checkboxes", "selected_options": options}},
    }
    return {
        "type": "view_submission",
        "team": {"id": "T111", "domain": "aoba-jichitai"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T111"},
        "api_app_id": "A111",
        "token": "verification",
        "trigger_id": "1.2.submit",
        "view": {**view, "id": "V1", "team_id": "T111", "state": {"values": values}, "hash": "1.abc"},
        "response_urls": [],
        "is_enterprise_install": False,
    }


def assert_within_block_kit_limits(view: dict[str, Any]) -> None:
    """What Slack checks before it opens a view; one value too long and the whole modal is refused."""
    assert len(view["title"]["text"]) <= 24
    for button in ("submit", "close"):
        if button in view:
            assert len(view[button]["text"]) <= 24
    assert len(view.get("private_metadata", "")) <= 3000
    assert len(view["blocks"]) <= 100
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        assert len(block["label"]["text"]) <= 2000
        element = block["element"]
        if element["type"] == "plain_text_input":
            assert element["max_length"] <= 3000
            assert len(element.get("initial_value", "")) <= element["max_length"]
            assert element.get("initial_value", "x") != ""  # Slack refuses an empty initial value
        if element["type"] == "checkboxes":
            assert all(len(o["text"]["text"]) <= 75 for o in element["options"])


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def view_text(view: dict[str, Any]) -> str:
    parts = []
    for block in view["blocks"]:
        if block["type"] == "section":
            parts.append(block["text"]["text"])
        elif block["type"] == "context":
            parts.extend(e["text"] for e in block["elements"])
    return "\n".join(parts)


async def open_modal(slack: SlackClient, fake: FakeSlack, payload: dict[str, Any]) -> dict[str, Any]:
    """Send the shortcut; the modal is open by the time the request is answered (the trigger's 3 s)."""
    before = len(fake.called("views.open"))
    status, body = await slack.interact(payload)
    assert status == 200 and body is None  # a plain ack
    opened = fake.called("views.open")
    assert len(opened) == before + 1, "views.open must be called before the ack, not in a later job"
    assert opened[-1]["trigger_id"] == payload["trigger_id"]
    view: dict[str, Any] = opened[-1]["view"]
    assert_within_block_kit_limits(view)
    return view


async def test_the_shortcut_opens_a_modal_with_the_question_and_best_answer(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(curated)
    view = await open_modal(curated, fake_slack, message_shortcut(fake_slack))
    assert view["type"] == "modal" and view["callback_id"] == modals.CALLBACK_SUBMIT
    assert view["title"]["text"] == "FAQにする" and view["submit"]["text"] == "保存"
    fields = inputs(view)
    assert fields[modals.BLOCK_QUESTION]["initial_value"] == MACRO_Q
    assert fields[modals.BLOCK_ANSWER]["initial_value"] == MACRO_A1  # nobody accepted one: the first answer
    assert fields[modals.BLOCK_QUESTION]["multiline"] and fields[modals.BLOCK_ANSWER]["multiline"]
    assert "initial_value" not in fields[modals.BLOCK_TAGS]
    assert [o["value"] for o in fields[modals.BLOCK_PUBLISH]["options"]] == [modals.PUBLISH]
    assert "initial_options" not in fields[modals.BLOCK_PUBLISH]  # publishing is a choice, never the default
    assert json.loads(view["private_metadata"]) == {"s": f"slack:C1:{ROOT}", "f": None, "l": "ja"}


async def test_used_on_a_reply_the_modal_takes_that_reply_as_the_answer(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(curated)
    view = await open_modal(
        curated, fake_slack, message_shortcut(fake_slack, ts=REPLY_A2, thread_ts=ROOT, text=MACRO_A2, author="U3")
    )
    fields = inputs(view)
    assert fields[modals.BLOCK_QUESTION]["initial_value"] == MACRO_Q
    assert fields[modals.BLOCK_ANSWER]["initial_value"] == MACRO_A2
    assert json.loads(view["private_metadata"])["s"] == f"slack:C1:{ROOT}"  # the thread, not the reply


async def test_someone_who_does_not_curate_is_told_who_can(curated: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(curated)
    view = await open_modal(curated, fake_slack, message_shortcut(fake_slack, user="U1"))
    assert "submit" not in view and not inputs(view)
    assert view_text(view) == "FAQ にできるのは管理者と専門家だけです。"
    # Nothing was saved and the thread's text was not sent to them either.
    assert MACRO_A1 not in json.dumps(view, ensure_ascii=False)
    # U4 uses Slack in English: the modal is in English.
    view = await open_modal(curated, fake_slack, message_shortcut(fake_slack, user="U4"))
    assert view_text(view) == "Only admins and specialists can make FAQ entries."


async def test_a_message_yorozu_never_stored_is_prefilled_from_its_text(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    await curated.message("C2", "1700000000.000900", "U2", "おはようございます。")  # Yorozu has met U2
    await curated.drain()
    # A root from before Yorozu joined: its text (mentions and links made readable) is the question.
    text = "<@U2> さん、庁内LANの <https://example.jp/guide|手順書> はどこにありますか？"
    view = await open_modal(curated, fake_slack, message_shortcut(fake_slack, ts="1600000000.000100", text=text))
    fields = inputs(view)
    assert fields[modals.BLOCK_QUESTION]["initial_value"] == (
        "@鈴木 花子 さん、庁内LANの 手順書 (https://example.jp/guide) はどこにありますか？"
    )
    assert "initial_value" not in fields[modals.BLOCK_ANSWER]
    assert json.loads(view["private_metadata"])["s"] == "slack:C1:1600000000.000100"
    # An unknown reply is the answer, and the question is left for the curator to write.
    view = await open_modal(
        curated,
        fake_slack,
        message_shortcut(
            fake_slack, ts="1600000100.000200", thread_ts="1600000000.000100", text="手順書は共有フォルダです。"
        ),
    )
    fields = inputs(view)
    assert "initial_value" not in fields[modals.BLOCK_QUESTION]
    assert fields[modals.BLOCK_ANSWER]["initial_value"] == "手順書は共有フォルダです。"


async def test_long_texts_are_clipped_to_block_kit_limits(curated: SlackClient, fake_slack: FakeSlack) -> None:
    question = "庁内の共有フォルダの権限をどう棚卸ししていますか？" + "詳細" * 1500  # 3025 characters
    answer = "年度末に課ごとの一覧を出して確認します。" + "手順" * 3000  # 6020 characters
    await curated.message("C1", ROOT, "U1", question)
    await curated.message("C1", "1700000100.000200", "U2", answer, thread_ts=ROOT)
    await curated.drain()
    view = await open_modal(curated, fake_slack, message_shortcut(fake_slack, text=question))
    fields = inputs(view)
    assert fields[modals.BLOCK_QUESTION]["initial_value"] == question[:2000]  # the knowledge base's limit
    assert fields[modals.BLOCK_QUESTION]["max_length"] == 2000
    assert fields[modals.BLOCK_ANSWER]["initial_value"] == answer[:3000]  # Slack's input limit
    assert fields[modals.BLOCK_ANSWER]["max_length"] == 3000


async def test_submitting_with_publish_saves_a_verified_entry_and_confirms(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(curated)
    view = await open_modal(curated, fake_slack, message_shortcut(fake_slack))
    status, body = await curated.interact(submission(view, tags="Excel; VBA", publish=True))
    assert status == 200
    assert body["response_action"] == "update"
    (entry,) = curated.kb.faq_list()
    assert entry.status == FaqStatus.PUBLISHED
    assert (entry.question, entry.answer, entry.tags) == (MACRO_Q, MACRO_A1, ("Excel", "VBA"))
    assert entry.source_thread == f"slack:C1:{ROOT}"
    assert entry.verified_by == "高橋 誠" and entry.verified_at is not None  # publishing is verifying
    confirmation = body["view"]
    assert_within_block_kit_limits(confirmation)
    assert "submit" not in confirmation and confirmation["close"]["text"] == "閉じる"
    assert view_text(confirmation) == f"FAQ {entry.id} を公開しました。似た質問には、この FAQ が最初に提案されます。"


async def test_submitting_without_publish_saves_a_draft_and_the_shortcut_then_edits_it(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(curated)
    view = await open_modal(curated, fake_slack, message_shortcut(fake_slack))
    status, body = await curated.interact(submission(view, answer="マクロは棚卸しして、残すものは手順書を作る。"))
    assert status == 200 and body["response_action"] == "update"
    (entry,) = curated.kb.faq_list()
    assert entry.status == FaqStatus.DRAFT and entry.verified_at is None
    assert view_text(body["view"]) == (
        f"FAQ {entry.id} を下書きとして保存しました。同じ操作で、いつでも編集・公開できます。"
    )
    # The same shortcut on the same thread opens the entry (as curated), and saving edits it.
    again = await open_modal(curated, fake_slack, message_shortcut(fake_slack))
    assert inputs(again)[modals.BLOCK_ANSWER]["initial_value"] == "マクロは棚卸しして、残すものは手順書を作る。"
    assert json.loads(again["private_metadata"])["f"] == entry.id
    assert f"FAQ {entry.id}" in view_text(again)
    status, body = await curated.interact(submission(again, question="VBAマクロの保守担当がいなくなったら？"))
    assert status == 200 and body["response_action"] == "update"
    (edited,) = curated.kb.faq_list()
    assert edited.id == entry.id and edited.question == "VBAマクロの保守担当がいなくなったら？"


async def test_empty_fields_are_refused_in_the_modal(curated: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(curated)
    view = await open_modal(curated, fake_slack, message_shortcut(fake_slack))
    status, body = await curated.interact(submission(view, question="   ", answer=""))
    assert status == 200
    assert body == {
        "response_action": "errors",
        "errors": {modals.BLOCK_QUESTION: "質問を書いてください。", modals.BLOCK_ANSWER: "回答を書いてください。"},
    }
    status, body = await curated.interact(submission(view, answer="\n"))
    assert body == {"response_action": "errors", "errors": {modals.BLOCK_ANSWER: "回答を書いてください。"}}
    assert curated.kb.faq_list() == []


async def test_what_the_knowledge_base_refuses_is_shown_on_its_field(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(curated)
    view = await open_modal(curated, fake_slack, message_shortcut(fake_slack))
    tags = "; ".join(f"tag{n}" for n in range(21))
    status, body = await curated.interact(submission(view, tags=tags, publish=True))
    assert status == 200 and body["response_action"] == "errors"
    assert list(body["errors"]) == [modals.BLOCK_TAGS]
    assert (
        body["errors"][modals.BLOCK_TAGS].startswith("保存できませんでした：")
        and "タグは20個までです（21個あります）" in body["errors"][modals.BLOCK_TAGS]
    )
    assert curated.kb.faq_list() == []


async def test_a_submit_from_someone_who_may_not_curate_is_refused(curated: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(curated)
    view = await open_modal(curated, fake_slack, message_shortcut(fake_slack))
    # A curator's modal, submitted as someone else (a role removed meanwhile, or a forged request).
    status, body = await curated.interact(submission(view, user="U1", publish=True))
    assert status == 200
    assert body == {
        "response_action": "errors",
        "errors": {modals.BLOCK_QUESTION: "FAQ にできるのは管理者と専門家だけです。"},
    }
    assert curated.kb.faq_list() == []


async def test_an_expired_trigger_is_still_acknowledged(curated: SlackClient, fake_slack: FakeSlack) -> None:
    fake_slack.failing["views.open"] = "expired_trigger_id"
    status, body = await curated.interact(message_shortcut(fake_slack))
    assert status == 200 and body is None
    assert len(fake_slack.called("views.open")) == 1


async def test_malformed_interactions_get_4xx_or_a_friendly_answer(curated: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(curated)
    view = await open_modal(curated, fake_slack, message_shortcut(fake_slack))
    # An interactive body that is not JSON: 400 when signed, 401 when not.
    assert (await curated.form({"payload": "{not json"})).status == 400
    unsigned = await curated.post(b"payload=%7B%7D", {"Content-Type": "application/x-www-form-urlencoded"})
    assert unsigned.status == 401
    # A shortcut Yorozu does not have: Bolt's 404, not a 500.
    status, _ = await curated.interact(message_shortcut(fake_slack, callback_id="someone_elses_shortcut"))
    assert status == 404
    # Objects where Slack sends objects: refused before Bolt trips over them.
    for broken in ({**submission(view), "view": "V1"}, {**message_shortcut(fake_slack), "user": ["U3"]}):
        status, _ = await curated.interact(broken)
        assert status == 400
    # A shortcut without its message, or without a trigger: acknowledged, nothing opened.
    opened = len(fake_slack.called("views.open"))
    for field in ("message", "trigger_id", "channel"):
        payload = message_shortcut(fake_slack)
        del payload[field]
        status, body = await curated.interact(payload)
        assert (status, body) == (200, None)
    assert len(fake_slack.called("views.open")) == opened
    # A submit without state or with unreadable metadata: field errors, nothing saved, no traceback.
    no_state = submission(view)
    del no_state["view"]["state"]
    status, body = await curated.interact(no_state)
    assert status == 200 and body["response_action"] == "errors"
    assert set(body["errors"]) == {modals.BLOCK_QUESTION, modals.BLOCK_ANSWER}
    garbled = submission(view)
    garbled["view"]["private_metadata"] = "{not json"
    status, body = await curated.interact(garbled)
    assert status == 200 and body["response_action"] == "update"
    (entry,) = curated.kb.faq_list()
    assert entry.source_thread is None  # the metadata was unreadable: a new entry without a source
    # A forged entry id that does not exist: shown on the question, nothing changed.
    forged = submission(view)
    forged["view"]["private_metadata"] = json.dumps({"s": None, "f": 999, "l": "en"})
    status, body = await curated.interact(forged)
    assert status == 200 and body["response_action"] == "errors"
    assert body["errors"][modals.BLOCK_QUESTION].startswith("Could not save:")
    assert len(curated.kb.faq_list()) == 1


def faq_buttons(message_blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        e
        for b in message_blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "yorozu.make_faq"
    ]


async def test_a_curator_gets_faq_buttons_only_in_replies_only_they_see(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(curated)
    await curated.form(command(fake_slack, f"ask {NEW_Q}", user=CURATOR, name="curator"))
    await curated.form(command(fake_slack, f"ask {NEW_Q}", user="U2", name="member"))
    await curated.form(command(fake_slack, f"share {NEW_Q}", user=CURATOR, name="shared"))
    answers = {a["name"]: a for a in await fake_slack.wait_for_responses(3)}
    (button,) = faq_buttons(answers["curator"]["blocks"])
    assert button["value"] == f"slack:C1:{ROOT}" and button["text"]["text"] == "FAQにする"
    assert faq_buttons(answers["member"]["blocks"]) == []
    assert faq_buttons(answers["shared"]["blocks"]) == []  # everyone in the channel sees a shared answer
    # In a personal chat with the curator too.
    await curated.message("DU3", "1700100000.000100", CURATOR, NEW_Q, channel_type="im")
    (dm,) = await fake_slack.wait_for("chat.postMessage")
    assert [b["value"] for b in faq_buttons(dm["blocks"])] == [f"slack:C1:{ROOT}"]
    # Pressing it opens the same prefilled modal.
    status, body = await curated.interact(action_payload(fake_slack, button, user=CURATOR))
    assert (status, body) == (200, None)
    (opened,) = fake_slack.called("views.open")
    assert opened["trigger_id"] == "1.2.3"
    assert_within_block_kit_limits(opened["view"])
    assert inputs(opened["view"])[modals.BLOCK_QUESTION]["initial_value"] == MACRO_Q
    assert inputs(opened["view"])[modals.BLOCK_ANSWER]["initial_value"] == MACRO_A1


async def test_a_faq_button_for_a_deleted_thread_or_pressed_by_a_non_curator(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    button = {"action_id": "yorozu.make_faq", "value": "slack:C1:1600000000.000100"}  # never stored
    assert (await curated.interact(action_payload(fake_slack, button, user=CURATOR)))[0] == 200
    assert (await curated.interact(action_payload(fake_slack, button, user="U1")))[0] == 200
    gone, refused = (c["view"] for c in fake_slack.called("views.open"))
    assert view_text(gone) == "このスレッドは見つかりませんでした。削除された可能性があります。"
    assert view_text(refused) == "FAQ にできるのは管理者と専門家だけです。"
    # A value Yorozu did not write opens nothing.
    for value in ("not a thread", "teams:19:x@thread.tacv2:1"):
        forged = {"action_id": "yorozu.make_faq", "value": value}
        assert (await curated.interact(action_payload(fake_slack, forged, user=CURATOR)))[0] == 200
    assert len(fake_slack.called("views.open")) == 2


async def test_a_curator_who_never_posted_is_still_named_as_verifier(
    curated: SlackClient, fake_slack: FakeSlack
) -> None:
    await curated.message("C1", ROOT, "U1", MACRO_Q)
    await curated.message("C1", "1700000100.000200", "U2", MACRO_A1, thread_ts=ROOT)
    await curated.drain()
    fake_slack.failing["users.info"] = "fatal_error"  # the lookup while the modal opens fails
    view = await open_modal(curated, fake_slack, message_shortcut(fake_slack))
    del fake_slack.failing["users.info"]
    status, body = await curated.interact(submission(view, publish=True))
    assert status == 200 and body["response_action"] == "update"
    await curated.drain()  # the person lookup runs as a job after the save
    (entry,) = curated.kb.faq_list()
    assert entry.verified_by == "高橋 誠"
