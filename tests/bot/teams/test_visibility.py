"""Who may see a channel's threads when Teams' activities do not say, and team events reaching every channel.

Teams sends ``channelData.channel.membershipType`` only sometimes. A channel of unknown membership is
stored private (suggested only inside itself) until Microsoft Graph says it is standard; the General
channel, whose id is the team's, is standard at once.
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from bot.teams import convert
from knowledge import events as ev
from knowledge.model import Scope, Visibility
from knowledge.store import tables
from tests.bot.teams.conftest import (
    CHANNEL,
    PRIVATE,
    SUZUKI,
    TEAM,
    TEAM_GROUP,
    TeamsHarness,
    channel_message,
    conversation_update,
)

SECRET = "19:5ec7e7aa00112233445566778899aabb@thread.tacv2"  # a private channel new to Yorozu
OPEN = "19:0be0aa00112233445566778899aabbcc@thread.tacv2"  # a standard channel new to Yorozu
QUESTION = "ランサムウェア対策のオフラインバックアップはどの頻度で取っていますか？"
ANSWER = "週次でテープにオフライン保管しています。復旧訓練も年1回やっています。"
SAME_QUESTION = QUESTION + "（再質問）"


async def _thread_in(teams: TeamsHarness, channel: str, root: str) -> None:
    """A question and its answer in ``channel``, neither activity naming the channel's membership."""
    assert (await teams.post(channel_message(teams.service_url, root, QUESTION, channel=channel))).status == 200
    reply = channel_message(teams.service_url, root + "1", ANSWER, channel=channel, root=root, person=SUZUKI)
    assert (await teams.post(reply)).status == 200


async def _suggested(teams: TeamsHarness, scope: str) -> list[str]:
    result = await teams.service.suggest(SAME_QUESTION, scope=Scope("teams", scope))
    return [s.root_message_id for s in result.suggestions]


def _stored(teams: TeamsHarness, channel: str) -> tuple[str | None, str]:
    with teams.kb.store.begin() as conn:
        row = conn.execute(
            sa.select(tables.channels.c.name, tables.channels.c.visibility).where(
                tables.channels.c.external_id == channel
            )
        ).one()
    return row.name, row.visibility


async def test_private_channel_without_membership_type_never_leaks(teams: TeamsHarness) -> None:
    teams.graph.channel_details[SECRET] = {"id": SECRET, "displayName": "CSIRT", "membershipType": "private"}
    teams.graph.hold = asyncio.Event()  # Graph has not answered yet
    await _thread_in(teams, SECRET, "1900000000001")
    await teams.service.wait_indexed()
    assert _stored(teams, SECRET)[1] == "private"
    assert "1900000000001" not in await _suggested(teams, CHANNEL)
    assert "1900000000001" not in await _suggested(teams, TEAM)
    assert "1900000000001" in await _suggested(teams, SECRET)  # inside its own channel it helps
    teams.graph.hold.set()
    await teams.idle()
    # Asked once, by the team's Entra group id (the Bot Connector named it), with an app-only Graph token.
    assert teams.graph.lookups() == [f"/v1.0/teams/{TEAM_GROUP}/channels/{SECRET}"]
    assert all(auth.startswith("Bearer fake-access-token-") for _, auth in teams.graph.calls)
    assert _stored(teams, SECRET) == ("CSIRT", "private")
    assert "1900000000001" not in await _suggested(teams, CHANNEL)
    assert "1900000000001" in await _suggested(teams, SECRET)


async def test_standard_channel_becomes_suggestible_elsewhere_after_the_lookup(teams: TeamsHarness) -> None:
    teams.graph.channel_details[OPEN] = {"id": OPEN, "displayName": "生成AI", "membershipType": "standard"}
    teams.graph.hold = asyncio.Event()
    await _thread_in(teams, OPEN, "1900000000002")
    await teams.service.wait_indexed()
    assert "1900000000002" not in await _suggested(teams, CHANNEL)  # unknown: private until Graph answers
    teams.graph.hold.set()
    await teams.idle()
    assert _stored(teams, OPEN) == ("生成AI", "public")
    assert "1900000000002" in await _suggested(teams, CHANNEL)
    # Later messages without a membership type neither turn it private nor ask again.
    await teams.post(channel_message(teams.service_url, "1900000000003", "別の話題です。", channel=OPEN))
    await teams.idle()
    assert _stored(teams, OPEN) == ("生成AI", "public")
    assert len(teams.graph.lookups()) == 1


async def test_general_channel_is_public_at_once(teams: TeamsHarness) -> None:
    await _thread_in(teams, TEAM, "1900000000004")
    await teams.idle()
    assert _stored(teams, TEAM)[1] == "public"
    assert "1900000000004" in await _suggested(teams, CHANNEL)
    assert teams.graph.lookups() == []  # nothing to ask


async def test_a_known_public_channel_stays_public_when_graph_refuses(teams: TeamsHarness) -> None:
    teams.graph.lookup_status = 403  # the team has not consented to ChannelSettings.Read.Group
    await _thread_in(teams, CHANNEL, "1900000000005")
    await teams.idle()
    assert _stored(teams, CHANNEL) == ("質問箱", "public")
    assert "1900000000005" in await _suggested(teams, TEAM)


async def test_a_new_channel_stays_private_when_graph_refuses(teams: TeamsHarness) -> None:
    teams.graph.lookup_status = 403
    teams.graph.channel_details[OPEN] = {"id": OPEN, "displayName": "生成AI", "membershipType": "standard"}
    await _thread_in(teams, OPEN, "1900000000006")
    await teams.idle()
    assert _stored(teams, OPEN)[1] == "private"
    assert "1900000000006" not in await _suggested(teams, CHANNEL)


async def test_created_channel_of_unknown_membership_is_looked_up(teams: TeamsHarness) -> None:
    teams.graph.channel_details[SECRET] = {"id": SECRET, "displayName": "CSIRT", "membershipType": "shared"}
    created = conversation_update(teams.service_url, "channelCreated", channel={"id": SECRET, "name": "CSIRT"})
    created["channelData"]["team"]["aadGroupId"] = TEAM_GROUP
    assert (await teams.post(created)).status == 200
    assert _stored(teams, SECRET) == ("CSIRT", "private")
    await teams.idle()
    # The activity named the group, so the Bot Connector was not asked for it.
    assert not [r for r in teams.connector.requests if r.method == "GET"]
    assert teams.graph.lookups() == [f"/v1.0/teams/{TEAM_GROUP}/channels/{SECRET}"]
    assert _stored(teams, SECRET) == ("CSIRT", "private")


# --- team archive and delete ---------------------------------------------------------------------


def _flags(teams: TeamsHarness) -> dict[str, tuple[bool, bool]]:
    with teams.kb.store.begin() as conn:
        rows = conn.execute(
            sa.select(tables.channels.c.external_id, tables.channels.c.archived, tables.channels.c.deleted)
        ).all()
    return {r.external_id: (bool(r.archived), bool(r.deleted)) for r in rows}


async def test_team_delete_reaches_every_known_channel_when_the_team_cannot_be_listed(teams: TeamsHarness) -> None:
    other_team = "19:othERteam@thread.tacv2"
    imported = "19:importedfromgraph@thread.tacv2"
    teams.kb.ingest_many(
        [
            ev.ChannelSeen("teams", "19:elsewhere@thread.tacv2", "他チーム", workspace_id=other_team),
            # Graph imports file a channel under the team's Entra group id.
            ev.ChannelSeen("teams", imported, "過去ログ", workspace_id=TEAM_GROUP),
        ]
    )
    teams.connector.fail_with = 404  # a deleted team cannot be listed through the Bot Connector
    deleted = conversation_update(teams.service_url, "teamDeleted")
    deleted["channelData"]["team"]["aadGroupId"] = TEAM_GROUP
    assert (await teams.post(deleted)).status == 200
    # Applied in the request itself, not after a job: a deleted team's threads are never suggested again.
    flags = _flags(teams)
    assert flags[CHANNEL][1] and flags[PRIVATE][1] and flags[imported][1]
    assert not flags["19:elsewhere@thread.tacv2"][1]
    await teams.idle()
    await teams.service.wait_indexed()
    with teams.kb.store.begin() as conn:
        failed = conn.execute(sa.select(tables.jobs.c.kind, tables.jobs.c.last_error)).all()
    assert all(error is None for _, error in failed)  # the listing's 404 is expected, not a failure
    result = await teams.service.suggest(SAME_QUESTION, scope=Scope("teams", CHANNEL))
    assert all(s.channel_id not in {CHANNEL, PRIVATE} for s in result.suggestions)


async def test_team_archive_and_unarchive_reach_every_known_channel(teams: TeamsHarness) -> None:
    teams.connector.fail_with = 403  # the bot can no longer list the team's channels
    assert (await teams.post(conversation_update(teams.service_url, "teamArchived"))).status == 200
    flags = _flags(teams)
    assert flags[CHANNEL] == (True, False) and flags[PRIVATE] == (True, False)
    await teams.idle()
    restored = conversation_update(teams.service_url, "teamUnarchived")
    restored["id"] = "f:teamUnarchived-2"
    assert (await teams.post(restored)).status == 200
    flags = _flags(teams)
    assert flags[CHANNEL] == (False, False) and flags[PRIVATE] == (False, False)


# --- the conversion itself -----------------------------------------------------------------------


def test_membership_types() -> None:
    assert convert.membership_visibility("standard") == Visibility.PUBLIC
    assert convert.membership_visibility("Private") == Visibility.PRIVATE
    assert convert.membership_visibility("shared") == Visibility.PRIVATE
    assert convert.membership_visibility(None) is None
    assert convert.membership_visibility("") is None
