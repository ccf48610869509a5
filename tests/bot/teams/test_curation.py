"""Curation in Teams through the real endpoint: the FAQにする message action and its dialog, 専門家に聞く,
personal commands (optout, subscribe) and what a curated entry changes in later suggestions.

Invoke activities are shaped like the captured channel thread reply (../shared/reference/teams/activities)
with the message-extension fields the Teams docs give for ``composeExtension/fetchTask`` and ``submitAction``.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.service import KnowledgeService
from bot.teams import mount
from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.embedding import build_embedder
from knowledge.model import FaqStatus, Role, Visibility
from tests.bot.teams.conftest import (
    CHANNEL,
    MACRO_ANSWER_2,
    MACRO_QUESTION,
    SATO,
    TAKAHASHI,
    TANAKA,
    TeamsHarness,
    channel_message,
    history,
    personal_message,
    teams_settings,
)
from tests.bot.teams.conftest import t as t_
from tests.bot.teams.fakes import FakeBotConnector, FakeGraph, FakeMicrosoftLogin

SPECIALISTS = "19:specialists0000000000000000000000@thread.tacv2"
ROOT = "1700000000001"
REPLY = "1700000000003"  # 高橋's answer: RPA and standard features
REWORDED = "VBAで作られたExcelのマクロ、作った人がいなくなって直せない。みんなどう対処してる？"


def invoke(activity: dict[str, Any], name: str, value: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(activity)
    out.update(type="invoke", name=name, value=value)
    out.pop("text", None)
    return out


def message_payload(message_id: str, html: str, *, reply_to: str | None = None) -> dict[str, Any]:
    """``messagePayload`` as Teams sends it with a message action (the picked message)."""
    return {
        "id": message_id,
        "replyToId": reply_to,
        "createdDateTime": "2026-04-01T03:00:00.000Z",
        "messageType": "message",
        "importance": "normal",
        "locale": "ja-jp",
        "linkToMessage": f"https://teams.microsoft.com/l/message/{CHANNEL}/{message_id}",
        "from": {"user": {"id": TAKAHASHI[0], "displayName": TAKAHASHI[2], "userIdentityType": "aadUser"}},
        "body": {"contentType": "html", "content": html},
        "attachments": [],
        "mentions": [],
        "reactions": [],
    }


def fetch_task(service_url: str, person: tuple[str, str, str, str], payload: dict[str, Any], **kw: Any) -> dict:  # type: ignore[type-arg]
    base = channel_message(service_url, "f:fetch", "", person=person, root=ROOT, **kw)
    value = {
        "commandId": "makeFaq",
        "commandContext": "message",
        "messagePayload": payload,
        "context": {"theme": "default"},
    }
    return invoke(base, "composeExtension/fetchTask", value)


def submit_action(service_url: str, person: tuple[str, str, str, str], data: dict[str, Any]) -> dict:  # type: ignore[type-arg]
    base = channel_message(service_url, "f:submit", "", person=person, root=ROOT)
    value = {"commandId": "makeFaq", "commandContext": "message", "data": data, "context": {"theme": "default"}}
    return invoke(base, "composeExtension/submitAction", value)


def dialog_inputs(body: dict[str, Any]) -> dict[str, Any]:
    """The dialog card's inputs by id, from a fetchTask answer."""
    assert body["task"]["type"] == "continue", body
    card = body["task"]["value"]["card"]["content"]
    return {item["id"]: item for item in card["body"] if item["type"].startswith("Input.")}


def submit_data_of(body: dict[str, Any]) -> dict[str, Any]:
    card = body["task"]["value"]["card"]["content"]
    (action,) = card["actions"]
    data: dict[str, Any] = action["data"]
    return data


def posted_cards(connector: FakeBotConnector) -> list[tuple[str, dict[str, Any]]]:
    """(conversation path, card content) for every card the bot posted."""
    out = []
    for r in connector.sent():
        for attachment in (r.body or {}).get("attachments") or []:
            out.append((r.path, attachment["content"]))
    return out


def card_text(card: Any) -> str:
    """Every text in a card or a part of one, joined (containers and action sets included)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title"):
                if isinstance(node.get(key), str):
                    parts.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return "\n".join(parts)


@pytest.fixture
async def curating(
    tmp_path: Path,
    login: FakeMicrosoftLogin,
    connector: tuple[FakeBotConnector, str],
    graph: tuple[FakeGraph, str],
    database_url: str,
) -> AsyncIterator[TeamsHarness]:
    """Teams with the real default embedder, 佐藤 as a specialist and a specialists' channel."""
    kb = KnowledgeBase.open(
        database_url=database_url,
        embedder=build_embedder("e5-small-q4"),
        index_dir=tmp_path / "i",
        roles=[("teams", SATO[0], Role.SPECIALIST)],  # as YOROZU_SPECIALISTS gives it
    )
    kb.ingest_many(history())
    kb.sync()
    fake, service_url = connector
    fake_graph, graph_url = graph
    service = KnowledgeService(kb)
    settings = teams_settings(
        tmp_path,
        login,
        YOROZU_GRAPH_URL=graph_url,
        YOROZU_GRAPH_TOKEN_URL=login.token_url,
        YOROZU_TEAMS_SPECIALISTS_CHANNEL=SPECIALISTS,
    )
    app = create_app(settings, service=service, platforms=[mount])
    try:
        async with TestServer(app, host="127.0.0.1", port=0) as server, aiohttp.ClientSession() as http:
            yield TeamsHarness(server, http, login, fake, service_url, kb, service, fake_graph)
    finally:
        kb.close()


@pytest.mark.model
async def test_message_action_curates_a_thread_that_is_then_suggested_first(curating: TeamsHarness) -> None:
    t = curating
    # 佐藤 picks 高橋's reply in the macro thread: the dialog opens with the thread's question and that reply.
    payload = message_payload(REPLY, f"<p>{MACRO_ANSWER_2}</p>", reply_to=ROOT)
    status, body = await t.post_json(fetch_task(t.service_url, SATO, payload))
    assert status == 200
    inputs = dialog_inputs(body)
    assert inputs["question"]["value"] == MACRO_QUESTION
    assert inputs["answer"]["value"] == MACRO_ANSWER_2
    assert inputs["publish"]["value"] == "false"
    data = submit_data_of(body)
    assert data["source"] == f"teams:{CHANNEL}:{ROOT}" and data["faq"] is None
    # The specialist edits the answer, tags it and publishes.
    answer = MACRO_ANSWER_2 + " 残すマクロは棚卸しして手順書を作ります。"
    form = {**data, "question": MACRO_QUESTION, "answer": answer, "tags": "Excel; VBA", "publish": "true"}
    status, saved = await t.post_json(submit_action(t.service_url, SATO, form))
    assert status == 200 and saved["task"]["type"] == "message"
    assert "FAQ 1" in saved["task"]["value"] and "公開" in saved["task"]["value"]
    (entry,) = t.kb.faq_list()
    assert entry.status == FaqStatus.PUBLISHED and entry.tags == ("Excel", "VBA") and entry.answer == answer
    assert entry.owner == SATO[2] and entry.verified_by == SATO[2] and entry.verified_at is not None
    # A reworded question in a personal chat gets the FAQ entry first, marked with who verified it.
    await t.idle()
    status, _ = await t.post_json(personal_message(t.service_url, "p:1", REWORDED))
    assert status == 200
    (sent,) = await t.connector.wait_for(1)
    card = sent.body["attachments"][0]["content"]
    first = card_text(card["body"][1])
    assert "[FAQ]" in first and "確認：佐藤 健" in first, first
    # Opening the action on the thread again edits that entry instead of making another.
    status, again = await t.post_json(
        fetch_task(t.service_url, SATO, message_payload(ROOT, f"<p>{MACRO_QUESTION}</p>"))
    )
    assert dialog_inputs(again)["answer"]["value"] == answer
    assert submit_data_of(again)["faq"] == 1 and dialog_inputs(again)["publish"]["value"] == "true"


async def test_only_curators_get_the_dialog(teams: TeamsHarness) -> None:
    payload = message_payload(REPLY, f"<p>{MACRO_ANSWER_2}</p>", reply_to=ROOT)
    status, body = await teams.post_json(fetch_task(teams.service_url, TANAKA, payload))
    assert status == 200
    assert body["task"] == {"type": "message", "value": "FAQ にできるのは管理者と専門家だけです。"}
    # A forged submit from a non-curator saves nothing either.
    form = {"kind": "yorozu.faq", "source": f"teams:{CHANNEL}:{ROOT}", "question": "Q", "answer": "A"}
    status, body = await teams.post_json(submit_action(teams.service_url, TANAKA, form))
    assert status == 200 and body["task"]["value"] == "FAQ にできるのは管理者と専門家だけです。"
    assert teams.kb.faq_list() == []


async def test_dialog_says_what_is_wrong_and_keeps_what_was_typed(curating_fake: TeamsHarness) -> None:
    t = curating_fake
    form = {
        "kind": "yorozu.faq",
        "source": f"teams:{CHANNEL}:{ROOT}",
        "question": "マクロの引き継ぎは？",
        "answer": " ",
    }
    status, body = await t.post_json(submit_action(t.service_url, SATO, form))
    assert status == 200
    card = body["task"]["value"]["card"]["content"]
    assert card["body"][0]["text"] == "回答を書いてください。"
    assert dialog_inputs(body)["question"]["value"] == "マクロの引き継ぎは？"
    form = {**form, "answer": "棚卸しします。", "tags": ";".join(f"t{n}" for n in range(30))}
    status, body = await t.post_json(submit_action(t.service_url, SATO, form))
    # The reason in the person's language, as Slack's modal says it.
    assert status == 200 and "タグは20個までです" in body["task"]["value"]["card"]["content"]["body"][0]["text"]
    assert t.kb.faq_list() == []
    # Not Yorozu's form at all: a friendly message, never a 500.
    status, body = await t.post_json(submit_action(t.service_url, SATO, {"foo": 1}))
    assert status == 200 and body["task"]["type"] == "message"
    form = {**form, "tags": "Excel", "faq": 999}
    status, body = await t.post_json(submit_action(t.service_url, SATO, form))
    assert status == 200 and "FAQ 999 はありません" in body["task"]["value"]["card"]["content"]["body"][0]["text"]


async def test_a_message_yorozu_never_stored_is_prefilled_from_its_text(curating_fake: TeamsHarness) -> None:
    t = curating_fake
    payload = message_payload("1799999999999", "<p>Teams の<b>外部アクセス</b>はどう設定していますか？</p>")
    activity = fetch_task(t.service_url, SATO, payload)
    activity["conversation"]["id"] = f"{CHANNEL};messageid=1799999999999"
    status, body = await t.post_json(activity)
    assert status == 200
    inputs = dialog_inputs(body)
    assert inputs["question"]["value"] == "Teams の外部アクセスはどう設定していますか？"
    assert inputs["answer"]["value"] == "" and submit_data_of(body)["source"] is None


@pytest.fixture
async def curating_fake(teams: TeamsHarness) -> TeamsHarness:
    """The fake-embedder harness with 佐藤 as a specialist (configured roles, as from settings)."""
    teams.kb.configured_roles[("teams", SATO[0])] = {Role.SPECIALIST}
    return teams


async def test_a_curators_own_reply_offers_faq_on_each_thread(curating_fake: TeamsHarness) -> None:
    t = curating_fake
    asked = personal_message(t.service_url, "p:7", "Excelマクロを作った職員が異動して、VBAを保守できません。")
    asked["from"] = {"id": SATO[1], "name": SATO[2], "aadObjectId": SATO[0]}
    assert (await t.post(asked)).status == 200
    (sent,) = await t.connector.wait_for(1)
    card = sent.body["attachments"][0]["content"]
    buttons = [a for a in _walk_actions(card) if a.get("title") == "FAQにする"]
    assert buttons and buttons[0]["data"]["msteams"] == {"type": "task/fetch"}
    assert buttons[0]["data"]["thread"] == f"teams:{CHANNEL}:{ROOT}"
    # The button fetches the dialog (task/fetch), prefilled from the thread; its submit saves (task/submit).
    base = personal_message(t.service_url, "f:task", "")
    base["from"] = asked["from"]
    status, body = await t.post_json(invoke(base, "task/fetch", {"data": buttons[0]["data"], "context": {}}))
    assert status == 200 and dialog_inputs(body)["question"]["value"] == MACRO_QUESTION
    form = {**submit_data_of(body), "question": MACRO_QUESTION, "answer": "棚卸しと手順書です。", "publish": "false"}
    status, saved = await t.post_json(invoke(base, "task/submit", {"data": form, "context": {}}))
    assert status == 200 and saved["task"]["type"] == "message" and "下書き" in saved["task"]["value"]
    (entry,) = t.kb.faq_list()
    assert entry.status == FaqStatus.DRAFT and entry.source_thread == f"teams:{CHANNEL}:{ROOT}"
    # Somebody else's personal reply has no such button.
    other = personal_message(t.service_url, "p:8", "Excelマクロを作った職員が異動して、VBAを保守できません。")
    assert (await t.post(other)).status == 200
    second = (await t.connector.wait_for(2))[1]
    assert not [a for a in _walk_actions(second.body["attachments"][0]["content"]) if a.get("title") == "FAQにする"]


def _walk_actions(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Action."):
            found.append(node)
        for key, value in node.items():
            if key != "fallback":
                found.extend(_walk_actions(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_walk_actions(item))
    return found


@pytest.mark.parametrize(
    "data",
    [{"kind": "someone-else"}, {"kind": "yorozu.make_faq", "thread": "nonsense"}, {"kind": "yorozu.make_faq"}, "x"],
)
async def test_a_foreign_or_broken_task_fetch_gets_a_message_not_a_500(curating_fake: TeamsHarness, data: Any) -> None:
    base = personal_message(curating_fake.service_url, "f:task", "")
    status, body = await curating_fake.post_json(invoke(base, "task/fetch", {"data": data}))
    assert status == 200 and body["task"]["type"] == "message"
    assert curating_fake.kb.faq_list() == []


SLACK_CHANNEL = "C0SHARE01"
SLACK_QUESTION = "異動の時期に、ファイルサーバの共有フォルダのアクセス権をどうやって棚卸ししていますか？"
SLACK_ANSWER = "人事異動の内示が出たら、所属ごとの権限一覧を出して各課に確認してもらっています。"


async def test_faq_from_a_thread_of_another_platform_opens_prefilled_and_saves(curating_fake: TeamsHarness) -> None:
    t = curating_fake
    # A Slack thread in the same community (the demo's threads all come from the Slack-shaped sample).
    t.kb.ingest_many(
        [
            ev.ChannelSeen("slack", SLACK_CHANNEL, "情シス相談", Visibility.PUBLIC),
            ev.PersonSeen("slack", "U0TANAKA", "田中 亮", "東浜市 デジタル推進課"),
            ev.PersonSeen("slack", "U0SUZUKI", "鈴木 花子", "南川町 総務課"),
            ev.MessagePosted("slack", SLACK_CHANNEL, "1712000000.000100", "U0TANAKA", SLACK_QUESTION, t_(1)),
            ev.MessagePosted(
                "slack", SLACK_CHANNEL, "1712000000.000200", "U0SUZUKI", SLACK_ANSWER, t_(2), "1712000000.000100"
            ),
        ]
    )
    t.kb.sync()
    asked = personal_message(t.service_url, "p:slack", SLACK_QUESTION)
    asked["from"] = {"id": SATO[1], "name": SATO[2], "aadObjectId": SATO[0]}
    assert (await t.post(asked)).status == 200
    (sent,) = await t.connector.wait_for(1)
    key = f"slack:{SLACK_CHANNEL}:1712000000.000100"
    actions = _walk_actions(sent.body["attachments"][0]["content"])
    button = next(a for a in actions if isinstance(a.get("data"), dict) and a["data"].get("thread") == key)
    assert button["title"] == "FAQにする"
    base = personal_message(t.service_url, "f:task-slack", "")
    base["from"] = asked["from"]
    status, body = await t.post_json(invoke(base, "task/fetch", {"data": button["data"], "context": {}}))
    assert status == 200
    inputs = dialog_inputs(body)
    assert inputs["question"]["value"] == SLACK_QUESTION and inputs["answer"]["value"] == SLACK_ANSWER
    form = {**submit_data_of(body), "question": SLACK_QUESTION, "answer": SLACK_ANSWER, "publish": "true"}
    status, saved = await t.post_json(invoke(base, "task/submit", {"data": form, "context": {}}))
    assert status == 200 and "公開" in saved["task"]["value"]
    (entry,) = t.kb.faq_list()
    assert entry.source_thread == key and entry.status == FaqStatus.PUBLISHED


async def test_why_the_dialog_cannot_open_is_said_and_logged(
    curating_fake: TeamsHarness, caplog: pytest.LogCaptureFixture
) -> None:
    base = personal_message(curating_fake.service_url, "f:task", "")
    base["from"] = {"id": SATO[1], "name": SATO[2], "aadObjectId": SATO[0]}
    caplog.set_level(logging.INFO, logger="bot.teams")
    broken = {"kind": "yorozu.make_faq", "thread": "nonsense", "locale": "ja"}
    status, body = await curating_fake.post_json(invoke(base, "task/fetch", {"data": broken}))
    assert status == 200 and body["task"]["type"] == "message"
    (record,) = [r for r in caplog.records if r.name == "bot.teams.handler"]
    assert record.exc_info is not None and "not a thread reference" in str(record.exc_info[1])  # with its cause
    caplog.clear()
    gone = {"kind": "yorozu.make_faq", "thread": f"slack:{SLACK_CHANNEL}:1712000000.999999", "locale": "ja"}
    status, body = await curating_fake.post_json(invoke(base, "task/fetch", {"data": gone}))
    assert body["task"] == {
        "type": "message",
        "value": "このスレッドは見つかりませんでした。削除された可能性があります。",
    }
    assert any("no longer stored" in r.getMessage() for r in caplog.records)
