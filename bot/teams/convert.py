"""Teams activities in, knowledge events out: pure functions over botbuilder's ``Activity``.

Ids line up with Microsoft Graph, so live events and imported history name the same things:
the platform is ``"teams"``, a channel is ``channelData.channel.id`` (``19:…@thread.tacv2``), a message
is its activity id (Graph's ``chatMessage.id``), a person is their Entra object id (``aadObjectId``,
Graph's ``from.user.id``) and a thread is named by its root message id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from botbuilder.schema import Activity
from botbuilder.schema.teams import MessagingExtensionAction

from bot.messages import Locale, locale_from
from knowledge import events as ev
from knowledge import mentions
from knowledge.importers.teams_graph import html_to_text, reaction_name
from knowledge.model import Visibility
from knowledge.store.repository import ChannelRow

PLATFORM = "teams"

_MESSAGE_ID_RE = re.compile(r";messageid=(\d+)")
_AT_RE = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)


class NotConvertible(ValueError):
    """The activity lacks what the conversion needs (a malformed or unexpected activity)."""


@dataclass(frozen=True, slots=True)
class Where:
    """Where an activity happened, in Yorozu's terms."""

    kind: str  # "channel", "personal" or "groupChat"
    channel_id: str  # the Teams channel id, or the chat's conversation id
    conversation_id: str  # the conversation id without ";messageid=…"
    thread_root: str | None  # the root message id when the activity is inside a channel thread
    team_id: str | None
    team_group_id: str | None  # the team's Entra group id (deep links use it)
    tenant_id: str | None
    channel_name: str | None
    visibility: Visibility | None  # None: the activity does not say whether the channel is private


TEAM_EVENTS = frozenset({"teamArchived", "teamUnarchived", "teamDeleted", "teamHardDeleted"})


def membership_visibility(membership: object) -> Visibility | None:
    """Teams' channel membership type (activities, Bot Connector, Graph) as a visibility; ``None`` if unknown."""
    kind = str(membership or "").lower()
    if kind == "standard":
        return Visibility.PUBLIC
    if kind in {"private", "shared"}:
        return Visibility.PRIVATE
    return None


def channel_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data
    return data if isinstance(data, dict) else {}


def obj(data: dict[str, Any], key: str) -> dict[str, Any]:
    """``data[key]`` when it is an object, else an empty one (channelData's parts are all optional)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def where(activity: Activity) -> Where:
    """The channel or chat of an activity; :class:`NotConvertible` without a conversation."""
    conversation = activity.conversation
    if conversation is None or not conversation.id:
        raise NotConvertible("activity has no conversation id")
    data = channel_data(activity)
    channel, team, tenant = obj(data, "channel"), obj(data, "team"), obj(data, "tenant")
    base, _, _ = conversation.id.partition(";")
    match = _MESSAGE_ID_RE.search(conversation.id)
    kind = conversation.conversation_type or ("channel" if channel else "personal")
    team_id = team.get("id") or data.get("teamsTeamId")
    visibility: Visibility | None
    if kind == "channel":
        channel_id = channel.get("id") or data.get("teamsChannelId") or base
        # Private and shared channels keep their threads to themselves. As of 2025 Teams names the kind in
        # channelData.channel.membershipType only sometimes, for private channels too; a channel whose
        # activity does not say is unknown (stored private until Graph tells), never assumed standard.
        visibility = membership_visibility(channel.get("membershipType") or channel.get("type"))
        if visibility is None and team_id and str(channel_id) == team_id:
            visibility = Visibility.PUBLIC  # the General channel has the team's id and is always standard
    else:
        channel_id = base
        visibility = Visibility.DM
    return Where(
        kind=kind,
        channel_id=str(channel_id),
        conversation_id=base,
        thread_root=match.group(1) if match else None,
        team_id=team_id,
        team_group_id=team.get("aadGroupId"),
        tenant_id=tenant.get("id") or conversation.tenant_id,
        channel_name=channel.get("name"),
        visibility=visibility,
    )


def person_id(activity: Activity) -> str | None:
    """The sender's Entra object id (as in Graph), else their Teams id."""
    sender = activity.from_property
    if sender is None:
        return None
    return sender.aad_object_id or sender.id or None


def is_from_bot(activity: Activity) -> bool:
    """Bots (and this bot) have ``28:`` ids in Teams; Bot Framework marks them with role ``bot``."""
    sender = activity.from_property
    if sender is None:
        return False
    return (sender.role or "") == "bot" or (sender.id or "").startswith("28:")


def mentions_recipient(activity: Activity) -> bool:
    bot = activity.recipient.id if activity.recipient else None
    return bot is not None and any(_mentioned_id(e) == bot for e in activity.entities or [])


def _mentioned_id(entity: Any) -> str | None:
    if getattr(entity, "type", None) != "mention":
        return None
    props = getattr(entity, "additional_properties", None) or {}
    mentioned = props.get("mentioned") if isinstance(props, dict) else None
    return mentioned.get("id") if isinstance(mentioned, dict) else None


def plain_text(activity: Activity, *, strip_recipient: bool = False) -> str:
    """The activity's text as people read it; a mention of a person stays a reference, ``<@29:…>``, named
    only when shown (:mod:`knowledge.mentions`), a bot's becomes ``@名前`` (the bot's own is removed if asked).

    Like ``TurnContext.remove_recipient_mention`` but without mutating the activity, and without its
    regular expression built from the display name (names with ``(`` or ``+`` break it).
    """
    text = activity.text or ""
    recipient = activity.recipient.id if activity.recipient is not None else None
    for entity in activity.entities or []:
        mentioned = _mentioned_id(entity)
        if mentioned is None:
            continue
        props = entity.additional_properties or {}
        mention = props.get("text") or f"<at>{props.get('mentioned', {}).get('name', '')}</at>"
        if mentioned == recipient:
            if strip_recipient:
                text = text.replace(mention, " ")
        elif not mentioned.startswith("28:"):  # a person, not a bot: a reference, named when shown
            text = text.replace(mention, mentions.reference(mentioned))
    text = mentions.collapse(text)
    if "<" in text or "&" in text:
        text = html_to_text(_AT_RE.sub(lambda m: f"@{m.group(1)}", text))
    return text.strip()


def locale_of(activity: Activity) -> Locale:
    """Japanese unless the activity (or its client) says English."""
    tag = activity.locale
    if not tag:
        for entity in activity.entities or []:
            if getattr(entity, "type", None) == "clientInfo":
                tag = (entity.additional_properties or {}).get("locale")
    return locale_from(tag)


def posted_at(activity: Activity) -> datetime:
    stamp = activity.timestamp or datetime.now(UTC)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def deep_link(place: Where, message_id: str, root_id: str) -> str:
    """A link that opens the message in Teams (the same form as Graph's ``webUrl``)."""
    params = {"tenantId": place.tenant_id, "groupId": place.team_group_id, "parentMessageId": root_id}
    query = urlencode({k: v for k, v in params.items() if v} | {"createdTime": message_id})
    return f"https://teams.microsoft.com/l/message/{quote(place.channel_id, safe='')}/{message_id}?{query}"


def channel_seen(place: Where, known: ChannelRow | None) -> ev.ChannelSeen | None:
    """The channel as this activity describes it, when that adds to what is stored (``known``).

    A new channel is always announced, before its first message could create it as public: without a
    membership type in the activity it is stored private until the ``teams.channel_info`` lookup says
    otherwise. A known channel is announced only when the activity tells something new (its name, its
    membership, its team); an unknown visibility (``None``) keeps the stored one, so a channel known to be
    standard stays suggestible and no message turns it private. Archival is left as stored.
    """
    if place.kind == "personal":
        return None
    if known is not None and not (
        (place.channel_name is not None and place.channel_name != known.name)
        or (place.visibility is not None and place.visibility != known.visibility)
        or (place.team_id is not None and place.team_id != known.workspace_id)
    ):
        return None
    name = place.channel_name or (known.name if known else None) or place.channel_id
    return ev.ChannelSeen(
        PLATFORM,
        place.channel_id,
        name,
        place.visibility,
        workspace_id=place.team_id,
        archived=known.archived if known else False,
    )


def message_events(activity: Activity, text: str) -> list[ev.Event]:
    """Events for a channel message: the author, then the post (``text`` already cleaned by the caller).

    The channel itself is announced first by the caller (:func:`channel_seen` needs what is stored).
    """
    place = where(activity)
    if not activity.id:
        raise NotConvertible("message without an id")
    events: list[ev.Event] = []
    author = person_id(activity)
    sender = activity.from_property
    bot = is_from_bot(activity)
    if author and sender is not None and sender.name:
        # No organisation from Teams: the tenant lets an admin's organisation rule name it.
        events.append(ev.PersonSeen(PLATFORM, author, sender.name, is_bot=bot, tenant_id=place.tenant_id))
    root = place.thread_root or activity.id
    events.append(
        ev.MessagePosted(
            platform=PLATFORM,
            channel_id=place.channel_id,
            message_id=activity.id,
            author_id=author,
            text=text,
            posted_at=posted_at(activity),
            thread_id=None if root == activity.id else root,
            url=deep_link(place, activity.id, root),
            is_bot=bot,
        )
    )
    return events


def edit_event(activity: Activity) -> ev.MessageEdited:
    place = where(activity)
    if not activity.id:
        raise NotConvertible("edit without a message id")
    return ev.MessageEdited(PLATFORM, place.channel_id, activity.id, plain_text(activity), posted_at(activity))


def delete_event(activity: Activity) -> ev.MessageDeleted:
    place = where(activity)
    if not activity.id:
        raise NotConvertible("delete without a message id")
    return ev.MessageDeleted(PLATFORM, place.channel_id, activity.id)


def restore_event(activity: Activity) -> ev.MessageRestored:
    place = where(activity)
    if not activity.id:
        raise NotConvertible("undelete without a message id")
    return ev.MessageRestored(PLATFORM, place.channel_id, activity.id, plain_text(activity))


def reaction_events(activity: Activity) -> list[ev.ReactionChanged]:
    """``messageReaction``: the reacting person on the message ``replyToId`` names.

    Teams' ``like`` is kept as ``like``: it is not acceptance even from the asker; only check marks are.
    """
    place = where(activity)
    target = activity.reply_to_id
    person = person_id(activity)
    if not target or not person:
        raise NotConvertible("reaction without a message or a person")
    out = []
    for added, reactions in ((True, activity.reactions_added), (False, activity.reactions_removed)):
        for reaction in reactions or []:
            if reaction.type:
                out.append(
                    ev.ReactionChanged(PLATFORM, place.channel_id, target, person, reaction_name(reaction.type), added)
                )
    return out


def conversation_update_events(activity: Activity) -> list[ev.Event]:
    """Channel created/renamed/restored/deleted and team archived/unarchived/deleted in the team's General channel.

    The team's General channel has the team's id. The handler applies a team event to every other channel
    stored for the team (:func:`team_channel_event`), and the ``teams.sync_team`` job to any the Bot
    Connector lists besides. A created channel without a membership type is stored private until known.
    """
    data = channel_data(activity)
    event_type = str(data.get("eventType") or "")
    channel, team = obj(data, "channel"), obj(data, "team")
    team_id = team.get("id")
    if event_type in {"channelCreated", "channelRenamed", "channelRestored"} and channel.get("id"):
        place = where(activity)
        return [
            ev.ChannelSeen(
                PLATFORM, channel["id"], channel.get("name") or channel["id"], place.visibility, workspace_id=team_id
            )
        ]
    if event_type == "channelDeleted" and channel.get("id"):
        return [ev.ChannelDeleted(PLATFORM, channel["id"])]
    if not team_id:
        return []
    event = team_channel_event(event_type, team_id)
    return [event] if event is not None else []


def team_channel_event(event_type: str, channel_id: str) -> ev.ChannelArchived | ev.ChannelDeleted | None:
    """What a team archive, unarchive or delete means for one of its channels."""
    if event_type == "teamArchived":
        return ev.ChannelArchived(PLATFORM, channel_id, True)
    if event_type == "teamUnarchived":
        return ev.ChannelArchived(PLATFORM, channel_id, False)
    if event_type in {"teamDeleted", "teamHardDeleted"}:
        return ev.ChannelDeleted(PLATFORM, channel_id)
    return None


def is_install(activity: Activity) -> bool:
    """The bot itself was added to a team or chat (``membersAdded`` names it, or ``installationUpdate`` add)."""
    if activity.type == "installationUpdate":
        return (activity.action or "").startswith("add")
    bot = activity.recipient.id if activity.recipient else None
    return any(member.id == bot for member in activity.members_added or [])


def reply_address(activity: Activity, place: Where) -> str | None:
    """How to post into this channel later without an activity to answer (follow-ups): the Bot
    Connector's service URL, the tenant and the channel's conversation id, as JSON."""
    if place.kind != "channel" or not activity.service_url:
        return None
    address = {
        "service_url": activity.service_url,
        "tenant_id": place.tenant_id,
        "conversation_id": place.conversation_id,
    }
    return json.dumps(address, sort_keys=True)


@dataclass(frozen=True, slots=True)
class PickedMessage:
    """The message a message action was used on, in Yorozu's terms."""

    channel_id: str | None  # None outside a team channel (a chat): no stored thread to draft from
    message_id: str | None
    root_id: str | None  # the thread the message is in (itself when it is a thread's first message)
    answer_id: str | None  # the message itself when it is a reply (the specialist picked that answer)
    text: str


def picked_message(activity: Activity, action: MessagingExtensionAction) -> PickedMessage:
    """Which message and thread a ``composeExtension/fetchTask`` from a message's ``…`` menu is about.

    The thread's root comes from the conversation id (``…;messageid=<root>``) or the payload's
    ``replyToId``; a picked reply is the answer the specialist chose.
    """
    payload = action.message_payload
    message_id = (payload.id if payload is not None else None) or None
    body = payload.body if payload is not None else None
    raw = (getattr(body, "content", None) or "") if body is not None else ""
    content_type = (getattr(body, "content_type", None) or "html") if body is not None else "html"
    message_text = (
        html_to_text(_AT_RE.sub(lambda m: f"@{m.group(1)}", raw)) if content_type == "html" else raw
    ).strip()
    try:
        place = where(activity)
    except NotConvertible:
        return PickedMessage(None, message_id, None, None, message_text)
    if place.kind != "channel":
        return PickedMessage(None, message_id, None, None, message_text)
    reply_to = (payload.reply_to_id if payload is not None else None) or None
    root = place.thread_root or reply_to or message_id
    answer = message_id if message_id and root and message_id != root else None
    return PickedMessage(place.channel_id, message_id, root, answer, message_text)
