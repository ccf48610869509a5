"""Button presses (Action.Execute and its Action.Submit fallback) and conversationUpdate, through the running app."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import unquote

import sqlalchemy as sa

from knowledge.model import Scope
from knowledge.store import tables
from tests.bot.teams.conftest import (
    CHANNEL,
    NEW_MACRO_QUESTION,
    SATO,
    TEAM,
    TEAM_GROUP,
    TeamsHarness,
    channel_message,
    conversation_update,
)
from tests.bot.teams.test_channel import card_of, texts


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action."):
                found.append(node)
            for key, value in node.items():
                if key != "fallback":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


def _feedback_rows(teams: TeamsHarness) -> list[tuple[str, str, str, str | None]]:
    with teams.kb.store.begin() as conn:
        rows = conn.execute(
            sa.select(
                tables.feedback.c.verdict,
                tables.feedback.c.suggested_thread,
                tables.feedback.c.person_external_id,
                tables.feedback.c.question_message_id,
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def _suggested_card(teams: TeamsHarness) -> dict[str, Any]:
    await teams.post(channel_message(teams.service_url, "1800000000200", NEW_MACRO_QUESTION))
    (sent,) = await teams.connector.wait_for(1)
    return card_of(sent.body)


def _invoke(teams: TeamsHarness, action: dict[str, Any]) -> dict[str, Any]:
    """An adaptiveCard/action invoke as Teams sends it (modelled on teams.net's captured invoke)."""
    activity = channel_message(teams.service_url, "f:17b96347-e8b4-f340-10bc-eb52fc1a6ad4", "", person=SATO)
    activity.update(
        {
            "type": "invoke",
            "name": "adaptiveCard/action",
            "replyToId": "bot-1",
            "value": {
                "action": {"type": "Action.Execute", "title": action["title"], "data": action["data"]},
                "trigger": "manual",
            },
        }
    )
    activity["conversation"]["id"] = f"{CHANNEL};messageid=1800000000200"
    return activity


async def test_execute_records_feedback_and_returns_the_updated_card(teams: TeamsHarness) -> None:
    card = await _suggested_card(teams)
    actions = _actions(card)
    solved = next(a for a in actions if a["type"] == "Action.Execute" and a["title"] == "解決した")
    assert solved["fallback"]["type"] == "Action.Submit" and solved["fallback"]["data"] == solved["data"]
    assert any(a["type"] == "Action.OpenUrl" for a in actions)
    status, body = await teams.post_json(_invoke(teams, solved))
    assert status == 200
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    updated = body["value"]
    assert "佐藤 健さんが「解決した」と記録しました。ありがとうございます！" in texts(updated)
    assert not [a for a in _actions(updated) if a["type"] == "Action.Execute"]  # buttons gave way
    assert _feedback_rows(teams) == [("solved", solved["data"]["threads"][0], SATO[0], "1800000000200")]


async def test_submit_fallback_records_and_updates_the_card_through_the_connector(teams: TeamsHarness) -> None:
    card = await _suggested_card(teams)
    unhelpful = next(a for a in _actions(card) if a["title"] == "役に立たなかった")
    press = channel_message(teams.service_url, "1800000000201", "", person=SATO, root="1800000000200")
    press.update({"value": copy.deepcopy(unhelpful["data"]), "replyToId": "bot-1"})
    press.pop("text")
    assert (await teams.post(press)).status == 200
    update = next(r for r in teams.connector.requests if r.method == "PUT")
    assert unquote(update.path) == f"/v3/conversations/{CHANNEL};messageid=1800000000200/activities/bot-1"
    assert any("役に立たなかった" in line for line in texts(card_of(update.body)))
    rows = _feedback_rows(teams)
    assert {r[0] for r in rows} == {"unhelpful"} and len(rows) == len(unhelpful["data"]["threads"])
    assert teams.kb.stats().messages == 4  # the press is not a message


async def test_invoke_with_foreign_data_is_refused(teams: TeamsHarness) -> None:
    status, body = await teams.post_json(_invoke(teams, {"title": "x", "data": {"kind": "someone-else"}}))
    # Universal Actions answer errors inside a 200 invoke response.
    assert status == 200 and body["statusCode"] == 400
    assert _feedback_rows(teams) == []


async def test_install_registers_the_team_channels(teams: TeamsHarness) -> None:
    new = "19:newchannel@thread.tacv2"
    teams.connector.channels[TEAM] = [{"id": TEAM}, {"id": new, "name": "生成AI"}]
    teams.graph.channel_details[new] = {"id": new, "displayName": "生成AI", "membershipType": "standard"}
    install = conversation_update(teams.service_url, "teamMemberAdded")
    install["membersAdded"] = [{"id": "28:0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"}]
    assert (await teams.post(install)).status == 200
    await teams.idle()
    listing = [unquote(r.path) for r in teams.connector.requests if r.method == "GET"]
    assert listing[0] == f"/v3/teams/{TEAM}/conversations"
    with teams.kb.store.begin() as conn:
        rows = {
            r.external_id: (r.name, r.visibility)
            for r in conn.execute(
                sa.select(tables.channels.c.external_id, tables.channels.c.name, tables.channels.c.visibility)
            )
        }
    # The listing does not say who may read the new channel: Graph is asked (General never is).
    assert rows[TEAM] == ("General", "public") and rows[new] == ("生成AI", "public")
    assert teams.graph.lookups() == [f"/v1.0/teams/{TEAM_GROUP}/channels/{new}"]


async def test_channel_rename_and_delete(teams: TeamsHarness) -> None:
    renamed = conversation_update(teams.service_url, "channelRenamed", channel={"id": CHANNEL, "name": "よろず質問箱"})
    assert (await teams.post(renamed)).status == 200
    with teams.kb.store.begin() as conn:
        name = conn.execute(sa.select(tables.channels.c.name).where(tables.channels.c.external_id == CHANNEL)).scalar()
    assert name == "よろず質問箱"
    deleted = conversation_update(teams.service_url, "channelDeleted", channel={"id": CHANNEL, "name": "よろず質問箱"})
    assert (await teams.post(deleted)).status == 200
    await teams.idle()
    result = await teams.service.suggest(NEW_MACRO_QUESTION, scope=Scope("teams", CHANNEL))
    assert result.abstained


async def test_team_archive_follows_every_channel(teams: TeamsHarness) -> None:
    teams.connector.channels[TEAM] = [{"id": TEAM}, {"id": CHANNEL, "name": "質問箱"}]
    assert (await teams.post(conversation_update(teams.service_url, "teamArchived"))).status == 200
    await teams.idle()
    with teams.kb.store.begin() as conn:
        archived = dict(conn.execute(sa.select(tables.channels.c.external_id, tables.channels.c.archived)).all())
    assert archived[CHANNEL] is True or archived[CHANNEL] == 1
