"""The same interaction through Teams and through Slack gives the same outcome.

Each use case of :mod:`bot.interactions` (and the thanks Yorozu learns from) runs through the real Teams
handler (signed activities to ``/api/messages``, a fake Bot Connector) and the real Slack app (signed
requests to ``/slack/events``, a fake Slack Web API), on one knowledge base. One test per use case,
parametrised by platform, asserts what the person is shown (the same catalogue text) and what is stored,
so the platforms cannot drift.
The members' web chat is mounted beside each platform: 専門家に聞く pressed there is posted by whichever
platform has the specialists' channel, the same way.
"""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import pytest
import sqlalchemy as sa

from bot.messages import Locale, text
from bot.replies import QuestionRef
from bot.slack import blocks, modals
from bot.web.routes import PLATFORM_NAMES
from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.errors import InvalidQuestion
from knowledge.model import FaqDraft, Role, parse_thread_key
from knowledge.store import repository as repo
from knowledge.store.tables import feedback
from tests.bot.slack.conftest import SlackClient, fake_slack, running_slack, slack_settings  # noqa: F401
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_ask_expert import press, specialists_posts
from tests.bot.slack.test_direct import action_payload
from tests.bot.slack.test_faq import submission
from tests.bot.teams.conftest import (  # noqa: F401
    CHANNEL,
    MACRO_ANSWER,
    MACRO_QUESTION,
    NEW_MACRO_QUESTION,
    SATO,
    SUZUKI,
    TAKAHASHI,
    TeamsHarness,
    channel_message,
    connector,
    graph,
    history,
    login,
    running,
    t,
)
from tests.bot.teams.fakes import FakeBotConnector, FakeGraph, FakeMicrosoftLogin
from tests.bot.teams.test_channel import card_of, texts
from tests.bot.teams.test_curation import invoke
from tests.bot.teams.test_people_flows import ask_expert_invoke, channel_posts, say_to, thread_posts
from tests.conftest import FAKE_ABSTAIN_BELOW

TEAMS_SPECIALISTS = "19:specialists0000000000000000000000@thread.tacv2"
SLACK_SPECIALISTS = "CSPEC"
# A thread both platforms can name: the Teams community's answered macro question (a public channel).
THREAD = f"teams:{CHANNEL}:1700000000001"
# The same question asked in Slack: FAQにする in Slack is offered on Slack's own threads only.
SLACK_ROOT = "1700000000.000100"
SLACK_THREAD = f"slack:C1:{SLACK_ROOT}"
# Somewhere that is not a public channel and where Yorozu stored nothing: a Teams group chat, a Slack
# private channel.
NOT_PUBLIC = {"teams": "19:groupchat0000000000000000000000@thread.v2", "slack": "G1"}
JA = Locale.JA
# The members' web chat beside each platform, behind the console's token.
WEB_TOKEN = "members-token-for-tests-0123456789"
WEB_CHAT = {"YOROZU_WEB_CHAT": "1", "YOROZU_CONSOLE_TOKEN": WEB_TOKEN}


@dataclass(frozen=True)
class Person:
    teams: tuple[str, str, str, str]
    slack: str

    @property
    def name(self) -> str:
        return self.teams[2]


# The same three people on both platforms (the fake Slack workspace names them the same).
ASKER = Person(SATO, "U1")  # 佐藤 健
OTHER = Person(SUZUKI, "U2")  # 鈴木 花子
CURATOR = Person(TAKAHASHI, "U3")  # 高橋 誠, a specialist


class Chat(Protocol):
    """One platform, driven through its real adapter: each method returns the text the person is shown."""

    platform: str
    kb: KnowledgeBase

    def person_id(self, who: Person) -> str: ...
    async def say(self, who: Person, words: str) -> str: ...
    async def ask_expert(self, who: Person, question: str, *, channel: str, asker: Person | None) -> str: ...
    async def unhelpful(self, who: Person, question: str, thread: str) -> str: ...
    async def open_faq(self, who: Person, thread: str) -> str: ...
    async def save_faq(self, who: Person, question: str, answer: str, tags: str = "") -> str: ...
    async def web_ask_expert(self, question: str) -> str: ...
    def specialists_posts(self) -> int: ...
    async def ask_in_channel(self, who: Person, words: str) -> tuple[str, str]: ...
    async def reply(self, who: Person, root: str, words: str) -> None: ...
    def specialists_text(self) -> str: ...


class TeamsChat:
    platform = "teams"

    def __init__(self, harness: TeamsHarness) -> None:
        self.t = harness
        self.kb = harness.kb
        self._n = 0
        self._heard_specialists = False

    def person_id(self, who: Person) -> str:
        return who.teams[0]

    def _id(self) -> str:
        self._n += 1
        return f"c:{self._n}"

    async def say(self, who: Person, words: str) -> str:
        body = await say_to(self.t, who.teams, self._id(), words)
        return "\n".join(texts(card_of(body))) if body.get("attachments") else str(body["text"])

    async def ask_expert(self, who: Person, question: str, *, channel: str, asker: Person | None) -> str:
        data = {"kind": "yorozu.ask_expert", "question": question, "channel": channel, "locale": "ja"}
        if asker is not None:
            data["asker"] = asker.teams[0]
        return await self._press(who, data)

    async def unhelpful(self, who: Person, question: str, thread: str) -> str:
        data = {
            "kind": "yorozu.feedback",
            "verdict": "unhelpful",
            "threads": [thread],
            "question": question,
            "channel": CHANNEL,
            "message": self._id(),
            "locale": "ja",
        }
        return await self._press(who, data)

    async def _press(self, who: Person, data: dict[str, Any]) -> str:
        status, body = await self.t.post_json(ask_expert_invoke(self.t, data, who.teams))
        assert status == 200, body
        await self.t.idle()
        return "\n".join(texts(body["value"]))

    async def open_faq(self, who: Person, thread: str) -> str:
        data = {"kind": "yorozu.make_faq", "thread": thread, "locale": "ja"}
        return await self._task(who, "task/fetch", data)

    async def save_faq(self, who: Person, question: str, answer: str, tags: str = "") -> str:
        data = {"kind": "yorozu.faq", "question": question, "answer": answer, "tags": tags, "publish": "false"}
        return await self._task(who, "task/submit", data | {"source": None, "faq": None, "locale": "ja"})

    async def _task(self, who: Person, name: str, data: dict[str, Any]) -> str:
        base = ask_expert_invoke(self.t, {}, who.teams)
        status, body = await self.t.post_json(invoke(base, name, {"data": data}))
        assert status == 200, body
        task = body["task"]
        if task["type"] == "message":
            return str(task["value"])
        card = task["value"]["card"]["content"]
        return "\n".join(texts({"body": [b for b in card["body"] if b["type"] == "TextBlock"]})) or "(dialog)"

    async def web_ask_expert(self, question: str) -> str:
        if not self._heard_specialists:
            # Teams posts through the address of the channel's own activities: someone wrote there once.
            self.t.graph.channel_details[TEAMS_SPECIALISTS] = {"id": TEAMS_SPECIALISTS, "membershipType": "standard"}
            hello = channel_message(self.t.service_url, "1800000000900", "今週の当番です。", channel=TEAMS_SPECIALISTS)
            assert (await self.t.post(hello)).status == 200
            self._heard_specialists = True
        shown = await web_ask_expert(self.t.http, self.t.server.make_url("/api/ask-expert"), question)
        await self.t.idle()
        return shown

    def specialists_posts(self) -> int:
        return len(channel_posts(self.t.connector, TEAMS_SPECIALISTS))

    async def ask_in_channel(self, who: Person, words: str) -> tuple[str, str]:
        self._n += 1
        root = f"1890000000{self._n:03d}"
        assert (await self.t.post(channel_message(self.t.service_url, root, words, person=who.teams))).status == 200
        await self.t.idle()
        posts = thread_posts(self.t.connector, root)
        return f"teams:{CHANNEL}:{root}", "\n".join(texts(posts[0])) if posts else ""

    async def reply(self, who: Person, root: str, words: str) -> None:
        self._n += 1
        message = channel_message(
            self.t.service_url, f"1890000000{self._n:03d}", words, person=who.teams, root=root.rsplit(":", 1)[1]
        )
        assert (await self.t.post(message)).status == 200
        await self.t.idle()

    def specialists_text(self) -> str:
        return "\n".join(line for card in channel_posts(self.t.connector, TEAMS_SPECIALISTS) for line in texts(card))


class SlackChat:
    platform = "slack"

    def __init__(self, client: SlackClient, fake: FakeSlack) -> None:
        self.client = client
        self.fake = fake
        self.kb = client.kb
        self._n = 0

    def person_id(self, who: Person) -> str:
        return who.slack

    def _ts(self) -> str:
        self._n += 1
        return f"1777000{self._n:03d}.000100"

    async def say(self, who: Person, words: str) -> str:
        before = len(self.fake.called("chat.postMessage"))
        assert await self.client.message(f"D{who.slack}", self._ts(), who.slack, words, channel_type="im") == 200
        post = (await self.fake.wait_for("chat.postMessage", before + 1))[before]
        return _shown(post["blocks"])

    async def ask_expert(self, who: Person, question: str, *, channel: str, asker: Person | None) -> str:
        value = blocks.ask_expert_value(question, QuestionRef("slack", channel, None), asker.slack if asker else None)
        note = await press(
            self.client, self.fake, {"action_id": blocks.ACTION_ASK_EXPERT, "value": value}, who.slack, self._ts()
        )
        return html.unescape(str(note["text"]))

    async def unhelpful(self, who: Person, question: str, thread: str) -> str:
        value = json.dumps({"t": thread, "q": question, "p": "slack", "c": "C1", "m": self._ts()}, ensure_ascii=False)
        button = {"action_id": blocks.ACTION_UNHELPFUL, "value": value}
        message = [{"type": "actions", "block_id": "b", "elements": [button]}]
        name = self._ts()
        status, _ = await self.client.interact(
            action_payload(self.fake, button, user=who.slack, name=name, blocks=message)
        )
        assert status == 200
        await self.client.drain()
        (note,) = [r for r in self.fake.responses if r["name"] == name]
        return html.unescape(str(note["text"]))

    async def open_faq(self, who: Person, thread: str) -> str:
        before = len(self.fake.called("views.open"))
        button = {"action_id": blocks.ACTION_MAKE_FAQ, "value": thread}
        status, _ = await self.client.interact(action_payload(self.fake, button, user=who.slack))
        assert status == 200
        view = (await self.fake.wait_for("views.open", before + 1))[before]["view"]
        return _shown(view["blocks"]) if view["callback_id"] == modals.CALLBACK_NOTICE else "(dialog)"

    async def save_faq(self, who: Person, question: str, answer: str, tags: str = "") -> str:
        view = modals.faq_modal(FaqDraft(question="", answer="", source_thread=None), JA)
        form = submission(view, user=who.slack, question=question, answer=answer, tags=tags)
        status, body = await self.client.interact(form)
        assert status == 200, body
        if body["response_action"] == "errors":
            return "\n".join(body["errors"].values())
        return _shown(body["view"]["blocks"])

    async def web_ask_expert(self, question: str) -> str:
        shown = await web_ask_expert(self.client.http, self.client.server.make_url("/api/ask-expert"), question)
        await self.client.drain()
        return shown

    def specialists_posts(self) -> int:
        return len(specialists_posts(self.fake))

    async def ask_in_channel(self, who: Person, words: str) -> tuple[str, str]:
        root = self._ts()
        before = len(self.fake.called("chat.postMessage"))
        assert await self.client.message("C1", root, who.slack, words) == 200
        post = (await self.fake.wait_for("chat.postMessage", before + 1))[before]
        assert post["thread_ts"] == root
        return f"slack:C1:{root}", _shown(post["blocks"])

    async def reply(self, who: Person, root: str, words: str) -> None:
        assert await self.client.message("C1", self._ts(), who.slack, words, thread_ts=root.rsplit(":", 1)[1]) == 200
        await self.client.drain()

    def specialists_text(self) -> str:
        return "\n".join(_shown(post["blocks"]) for post in specialists_posts(self.fake))


async def web_ask_expert(http: aiohttp.ClientSession, url: Any, question: str) -> str:
    """専門家に聞く in the members' web chat; returns what the page shows."""
    headers = {"Authorization": f"Bearer {WEB_TOKEN}"}
    async with http.post(url, json={"question": question, "visitor": "v0123456789abcdef"}, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        return str((await resp.json())["message"])


def _shown(items: list[dict[str, Any]]) -> str:
    """Every text in Block Kit blocks, as the person reads it (mrkdwn escapes undone)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(html.unescape(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(items)
    return "\n".join(out)


def slack_history() -> list[ev.Event]:
    return [
        ev.ChannelSeen("slack", "C1", "q-and-a"),
        ev.PersonSeen("slack", "U1", "佐藤 健", "北山市 情報政策課"),
        ev.PersonSeen("slack", "U2", "鈴木 花子", "南川町 総務課"),
        ev.MessagePosted("slack", "C1", SLACK_ROOT, "U1", MACRO_QUESTION, t(1)),
        ev.MessagePosted("slack", "C1", "1700000100.000100", "U2", MACRO_ANSWER, t(2), SLACK_ROOT),
    ]


@pytest.fixture(params=["teams", "slack"])
async def chat(
    request: pytest.FixtureRequest,
    kb: KnowledgeBase,
    tmp_path: Path,
    login: FakeMicrosoftLogin,  # noqa: F811
    connector: tuple[FakeBotConnector, str],  # noqa: F811
    graph: tuple[FakeGraph, str],  # noqa: F811
    fake_slack: FakeSlack,  # noqa: F811
) -> AsyncIterator[Chat]:
    """The knowledge base with the Teams community, a specialist, and one platform's adapter running."""
    kb.ingest_many([*history(), *slack_history()])
    kb.sync()
    for platform, person in (("teams", CURATOR.teams[0]), ("slack", CURATOR.slack)):
        kb.configured_roles[(platform, person)] = {Role.SPECIALIST}
    if request.param == "teams":
        env = {"YOROZU_TEAMS_SPECIALISTS_CHANNEL": TEAMS_SPECIALISTS, **WEB_CHAT}
        async with running(kb, tmp_path, login, connector, graph, web_chat=True, **env) as harness:
            yield TeamsChat(harness)
    else:
        settings = slack_settings(
            tmp_path,
            fake_slack,
            YOROZU_SLACK_SPECIALISTS_CHANNEL=SLACK_SPECIALISTS,
            YOROZU_ABSTAIN_BELOW=str(FAKE_ABSTAIN_BELOW),
            **WEB_CHAT,
        )
        async with running_slack(settings, kb, web_chat=True) as client:
            yield SlackChat(client, fake_slack)


# --- direct questions and personal commands ---------------------------------------------------------


async def test_thanks_under_yorozus_channel_suggestion_counts_as_solved(chat: Chat) -> None:
    """The asker thanking under Yorozu's suggestion is 解決した on its first suggestion (knowledge.learning)."""
    asked, shown = await chat.ask_in_channel(OTHER, NEW_MACRO_QUESTION)
    assert "マクロを棚卸しして" in shown  # Yorozu suggested the macro thread under the question
    await chat.reply(OTHER, asked, "ありがとうございます、棚卸しから始めてみます！")
    platform, channel, root = parse_thread_key(asked)
    with chat.kb.store.begin() as conn:
        first = repo.query_for_message(conn, platform, channel, root)
        rows = conn.execute(sa.select(feedback.c.suggested_thread, feedback.c.person_external_id, feedback.c.source))
        verdicts = [tuple(r) for r in rows]
        assert first is not None and first.suggested[0] in (THREAD, SLACK_THREAD)
        learned = repo.thread_facts(conn, repo.find_thread_by_key(conn, first.suggested[0]) or 0).phrasings
    assert verdicts == [(first.suggested[0], chat.person_id(OTHER), "thanks")]
    assert learned == (NEW_MACRO_QUESTION,)


async def test_a_direct_question_gets_the_past_thread(chat: Chat) -> None:
    shown = await chat.say(ASKER, MACRO_QUESTION)
    assert text("suggestions_intro", JA) in shown
    assert "マクロを棚卸しして" in shown  # the thread's best answer


async def test_subscribe_is_confirmed_and_stored(chat: Chat) -> None:
    shown = await chat.say(ASKER, "subscribe VPN")
    assert text("subscribe_done", JA, topic="VPN") in shown
    assert chat.kb.subscriptions(chat.platform, chat.person_id(ASKER)) == ["VPN"]


async def test_optout_is_confirmed_and_stored(chat: Chat) -> None:
    shown = await chat.say(ASKER, "optout")
    assert text("optout_done", JA) in shown
    assert chat.kb.is_opted_out(chat.platform, chat.person_id(ASKER))


# --- feedback ---------------------------------------------------------------------------------------------


async def test_not_helpful_is_recorded_for_review_and_noted_with_the_name(chat: Chat) -> None:
    shown = await chat.unhelpful(ASKER, MACRO_QUESTION, THREAD)
    assert text("feedback_unhelpful", JA, name=ASKER.name) in shown
    (item,) = chat.kb.review_queue()
    assert (item.platform, item.suggested_thread, item.question) == (chat.platform, THREAD, MACRO_QUESTION)


# --- 専門家に聞く ------------------------------------------------------------------------------------------


async def test_ask_expert_posts_the_askers_own_question(chat: Chat) -> None:
    await chat.ask_expert(ASKER, MACRO_QUESTION, channel=NOT_PUBLIC[chat.platform], asker=ASKER)
    assert chat.specialists_posts() == 1


async def test_ask_expert_outside_a_public_channel_only_from_the_asker(chat: Chat) -> None:
    shown = await chat.ask_expert(OTHER, MACRO_QUESTION, channel=NOT_PUBLIC[chat.platform], asker=ASKER)
    assert text("ask_expert_private", JA) in shown
    assert chat.specialists_posts() == 0


async def test_ask_expert_with_no_question_to_send_says_so(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both adapters refuse a blank question themselves; whatever else the knowledge base finds unsendable
    # is told the same way on both.
    def unsendable(*_: object, **__: object) -> None:
        raise InvalidQuestion("the question is empty")

    monkeypatch.setattr(KnowledgeBase, "expert_request", unsendable)
    shown = await chat.ask_expert(ASKER, "？", channel=NOT_PUBLIC[chat.platform], asker=ASKER)
    assert text("ask_expert_empty", JA) in shown
    assert chat.specialists_posts() == 0


async def test_ask_expert_from_the_web_chat_posts_once_in_the_configured_platforms_channel(chat: Chat) -> None:
    # A web visitor has no platform identity: the platform whose specialists' channel is set posts it.
    shown = await chat.web_ask_expert(MACRO_QUESTION)
    assert shown == text("ask_expert_web_sent", JA, platforms=PLATFORM_NAMES[chat.platform])
    assert chat.specialists_posts() == 1
    posted = chat.specialists_text()
    assert text("expert_post_intro_unnamed", JA) in posted and MACRO_QUESTION in posted
    assert text("expert_post_where", JA, channel="ウェブチャット") in posted
    assert await chat.web_ask_expert(MACRO_QUESTION) == text("ask_expert_already", JA)
    assert chat.specialists_posts() == 1


# --- the FAQ dialog ---------------------------------------------------------------------------------------


async def test_the_faq_dialog_is_for_curators_only(chat: Chat) -> None:
    assert text("faq_not_allowed", JA) in await chat.open_faq(OTHER, SLACK_THREAD)
    assert await chat.open_faq(CURATOR, SLACK_THREAD) == "(dialog)"
    assert text("faq_thread_missing", JA) in await chat.open_faq(CURATOR, "slack:C1:1600000000.000100")


async def test_the_faq_dialog_needs_an_answer_then_saves_a_draft(chat: Chat) -> None:
    assert text("faq_answer_required", JA) in await chat.save_faq(CURATOR, "VPNが遅いときは？", "")
    assert chat.kb.faq_list() == []
    shown = await chat.save_faq(CURATOR, "VPNが遅いときは？", "分割トンネルを検討します。")
    (entry,) = chat.kb.faq_list()
    assert text("faq_saved_draft", JA, id=entry.id) in shown
    assert (entry.question, entry.answer, str(entry.status)) == (
        "VPNが遅いときは？",
        "分割トンネルを検討します。",
        "draft",
    )


async def test_a_curator_submitting_for_someone_not_allowed_is_refused(chat: Chat) -> None:
    assert text("faq_not_allowed", JA) in await chat.save_faq(OTHER, "VPNが遅いときは？", "分割トンネル。")
    assert chat.kb.faq_list() == []


async def test_a_refused_faq_entry_says_why_in_the_persons_language(chat: Chat) -> None:
    tags = ";".join(f"t{n}" for n in range(30))
    shown = await chat.save_faq(CURATOR, "VPNが遅いときは？", "分割トンネルを検討します。", tags)
    assert "タグは20個までです" in shown
    assert chat.kb.faq_list() == []
