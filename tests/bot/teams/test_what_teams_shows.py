"""What a Teams client shows of Yorozu's cards, through the running app: people's text as they typed it
(a CommonMark parser, as in Teams' web client, reads each TextBlock), a card that keeps every recorded
press when it is redrawn, and a welcome (once) when the app is installed.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt

from knowledge import events as ev
from tests.bot.teams.conftest import (
    BOT_ID,
    CHANNEL,
    NEW_MACRO_QUESTION,
    SATO,
    TEAM,
    TENANT,
    TeamsHarness,
    channel_message,
    conversation_update,
    personal_message,
    t,
)
from tests.bot.teams.test_channel import card_of, texts
from tests.bot.teams.test_feedback_and_teams import _actions, _invoke

# Teams' web and desktop clients render TextBlocks with markdown-it; HTML in them is never read as HTML.
COMMONMARK = MarkdownIt("commonmark", {"html": False})

TRICKY_TITLE = "*.xlsm,*.xls,*.xlam のマクロ付きファイルを開けません。どうしていますか？"
TRICKY_ANSWER = "\\\\fs01\\share に置き、``` で囲んだ手順を a & b と <@U123> に配りました。_全員_ ~済~"
TRICKY_PERSON = ("d0e1f2a3-0000-4000-8000-000000000001", "29:1tricky", "山田 *太郎*", "北山市_情報課")


def shown(markdown: str) -> tuple[str, list[str]]:
    """What a reader sees of a TextBlock: its plain text, and the formatting tags that appear."""
    rendered = COMMONMARK.render(markdown)
    # "1. title" is a one-item list in Markdown: it reads as "1. title" all the same.
    tags = [tag for tag in re.findall(r"<(\w+)", rendered) if tag not in {"p", "br", "ol", "li"}]
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip(), tags


async def test_people_s_text_reads_as_typed_in_the_card(teams: TeamsHarness) -> None:
    root, reply = "1700000000501", "1700000000502"
    teams.kb.ingest_many(
        [
            ev.PersonSeen("teams", TRICKY_PERSON[0], TRICKY_PERSON[2], TRICKY_PERSON[3]),
            ev.MessagePosted("teams", CHANNEL, root, SATO[0], TRICKY_TITLE, t(5)),
            ev.MessagePosted("teams", CHANNEL, reply, TRICKY_PERSON[0], TRICKY_ANSWER, t(6), root),
        ]
    )
    teams.kb.sync()
    assert (await teams.post(personal_message(teams.service_url, "p:tricky", TRICKY_TITLE))).status == 200
    (sent,) = await teams.connector.wait_for(1)
    blocks = texts(card_of(sent.body))
    title = next(b for b in blocks if "xlsm" in b)
    words, tags = shown(title)
    assert words.startswith("*.xlsm,*.xls,*.xlam のマクロ付きファイル") and tags == ["strong"]  # bold, no italics
    excerpt = next(b for b in blocks if "fs01" in b)
    # Both backslashes, the fence and "&" as typed; the mention of someone Yorozu does not know is kept as a
    # reference when stored and shown as @*** (knowledge/mentions.py: never a name it may not show).
    assert shown(excerpt) == (TRICKY_ANSWER.replace("<@U123>", "@***"), [])
    facts = next(b for b in blocks if "山田" in b)
    assert shown(facts)[0].startswith("回答: 山田 *太郎*（北山市_情報課）") and shown(facts)[1] == []


async def test_a_topic_reads_as_typed_in_who_and_in_text_replies(teams: TeamsHarness) -> None:
    teams.connector.requests.clear()
    await teams.post(personal_message(teams.service_url, "p:who", "who *.xlsm"))
    await teams.post(personal_message(teams.service_url, "p:sub", "subscribe *.xlsm と _VBA_"))
    first, second = await teams.connector.wait_for(2)
    assert shown(texts(card_of(first.body))[0]) == ("「*.xlsm」に答えた人はまだ見つかりません。", [])
    said = second.body["text"]
    assert second.body["textFormat"] == "markdown"
    assert shown(said)[1] == [] and "「*.xlsm と _VBA_」の質問が" in shown(said)[0]


async def _unhelpful_then_ask(teams: TeamsHarness) -> tuple[dict[str, Any], dict[str, Any]]:
    await teams.post(channel_message(teams.service_url, "1800000000200", NEW_MACRO_QUESTION))
    (sent,) = await teams.connector.wait_for(1)
    card = card_of(sent.body)
    unhelpful = next(a for a in _actions(card) if a["type"] == "Action.Execute" and a["title"] == "役に立たなかった")
    status, body = await teams.post_json(_invoke(teams, unhelpful))
    assert status == 200 and body["statusCode"] == 200
    after_unhelpful = body["value"]
    ask = next(a for a in _actions(after_unhelpful) if a["type"] == "Action.Execute" and a["title"] == "専門家に聞く")
    status, body = await teams.post_json(_invoke(teams, ask))
    assert status == 200 and body["statusCode"] == 200
    return after_unhelpful, body["value"]


async def test_a_card_redrawn_after_ask_expert_keeps_not_helpful(teams: TeamsHarness) -> None:
    after_unhelpful, after_ask = await _unhelpful_then_ask(teams)
    note = "佐藤 健さんが「役に立たなかった」と記録しました。専門家が確認します。"
    assert note in texts(after_unhelpful)
    # 専門家に聞く (not set up here) says why not, and the "not helpful" press stays recorded on the card.
    assert note in texts(after_ask)
    assert "専門家チャンネルがまだ設定されていません。管理者にお問い合わせください。" in texts(after_ask)
    titles = [a["title"] for a in _actions(after_ask) if a["type"] in {"Action.Execute", "Action.Submit"}]
    assert titles == []  # neither 役に立たなかった nor 専門家に聞く is offered again


async def test_a_card_redrawn_after_a_press_keeps_what_ask_expert_said(teams: TeamsHarness) -> None:
    await teams.post(channel_message(teams.service_url, "1800000000200", NEW_MACRO_QUESTION))
    (sent,) = await teams.connector.wait_for(1)
    ask = next(
        a for a in _actions(card_of(sent.body)) if a["type"] == "Action.Execute" and a["title"] == "専門家に聞く"
    )
    status, body = await teams.post_json(_invoke(teams, ask))
    assert status == 200
    solved = next(a for a in _actions(body["value"]) if a["type"] == "Action.Execute" and a["title"] == "解決した")
    status, body = await teams.post_json(_invoke(teams, solved))
    assert status == 200
    lines = texts(body["value"])
    assert "佐藤 健さんが「解決した」と記録しました。ありがとうございます！" in lines
    assert "専門家チャンネルがまだ設定されていません。管理者にお問い合わせください。" in lines
    # A forged state names nothing that is not one of Yorozu's notes.
    forged = {**solved["data"], "state": {"expert": "help", "asker": "x"}}
    status, body = await teams.post_json(_invoke(teams, {"title": "解決した", "data": forged}))
    assert status == 200 and not any(line.startswith("Yorozu（よろず）は") for line in texts(body["value"]))


def _install_in_team(service_url: str) -> list[dict[str, Any]]:
    """One install in a team as Teams announces it: a ``conversationUpdate`` naming the bot, and an
    ``installationUpdate``."""
    added = conversation_update(service_url, "teamMemberAdded")
    added.update(id="f:install-1", membersAdded=[{"id": BOT_ID}])
    installed = conversation_update(service_url, "teamMemberAdded")
    installed.update(id="f:install-2", type="installationUpdate", action="add")
    installed["channelData"].pop("eventType")
    return [added, installed]


async def test_installing_in_a_team_welcomes_once_and_lists_its_channels_once(teams: TeamsHarness) -> None:
    teams.connector.channels[TEAM] = [{"id": TEAM}, {"id": CHANNEL, "name": "質問箱", "type": "standard"}]
    for activity in _install_in_team(teams.service_url) * 2:  # and Teams redelivers both
        assert (await teams.post(activity)).status == 200
    await teams.idle()
    listings = [r for r in teams.connector.requests if r.method == "GET" and r.path.endswith("/conversations")]
    assert [unquote(r.path) for r in listings] == [f"/v3/teams/{TEAM}/conversations"]
    (welcome,) = teams.connector.sent()
    assert unquote(welcome.path) == f"/v3/conversations/{TEAM}/activities"  # a new post in General
    lines = texts(card_of(welcome.body))
    assert lines[0].startswith("Yorozu（よろず）です。") and 2 <= len(lines) <= 3
    assert any("リソース固有の同意" in line for line in lines) and any("help" in line for line in lines)


async def test_installing_in_a_personal_or_group_chat_welcomes(teams: TeamsHarness) -> None:
    personal = personal_message(teams.service_url, "f:personal-install", "")
    personal.update(type="conversationUpdate", membersAdded=[{"id": BOT_ID}])
    personal.pop("text")
    group = personal_message(teams.service_url, "f:group-install", "", locale="en-US")
    group.update(type="conversationUpdate", membersAdded=[{"id": BOT_ID}])
    group["conversation"] = {
        "conversationType": "groupChat",
        "isGroup": True,
        "tenantId": TENANT,
        "id": "19:g@thread.v2",
    }
    group.pop("text")
    for activity in (personal, group):
        assert (await teams.post(activity)).status == 200
    first, second = await teams.connector.wait_for(2)
    assert "a:1personal-chat-with-tanaka" in unquote(first.path)
    assert texts(card_of(first.body))[0].startswith("Yorozu（よろず）です。")
    assert "19:g@thread.v2" in unquote(second.path)
    assert texts(card_of(second.body))[0].startswith("I am Yorozu")
    await teams.idle()
    assert not [r for r in teams.connector.requests if r.method == "GET"]  # no team: nothing to list
