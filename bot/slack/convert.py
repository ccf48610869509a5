"""Slack payloads to knowledge events: pure functions, no I/O.

Slack's words stay here: ``ts`` is a message id, ``thread_ts`` its thread root's, ``channel_type`` says
whether a conversation is public. Markup becomes plain text with the export importer's own conversion,
so a live message and the same message imported from an export index identically.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from knowledge import events as ev
from knowledge.importers.slack_export import display_name, message_text
from knowledge.model import Visibility

PLATFORM = "slack"

JsonObject = dict[str, Any]

# Subtypes that carry what a person wrote; everything else (joins, topic changes, pins...) is Slack talking.
CONTENT_SUBTYPES = frozenset({"", "thread_broadcast", "file_share", "me_message"})

# channel_type in message events, and the one-letter form member_joined_channel uses.
_VISIBILITY = {
    "channel": Visibility.PUBLIC,
    "C": Visibility.PUBLIC,
    "group": Visibility.PRIVATE,
    "G": Visibility.PRIVATE,
    "im": Visibility.DM,
    "mpim": Visibility.DM,
}
_MENTION_RE = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


def visibility_of(channel_type: object) -> Visibility | None:
    """``channel``/``C`` → public, ``group``/``G`` → private, ``im``/``mpim`` → DM, unknown (or not a
    string at all) → ``None``."""
    return _VISIBILITY.get(channel_type) if isinstance(channel_type, str) else None


def ts_datetime(ts: object) -> datetime | None:
    """A Slack ``ts`` ("1596183880.004200") as an aware UTC datetime."""
    try:
        return datetime.fromtimestamp(float(str(ts)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def permalink(workspace_url: str | None, channel_id: str, ts: str, thread_ts: str | None = None) -> str | None:
    """``https://<team>.slack.com/archives/<channel>/p<ts without dot>``, the form Slack's own links take."""
    if not workspace_url:
        return None
    url = f"{workspace_url.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"
    return f"{url}?thread_ts={thread_ts}&cid={channel_id}" if thread_ts and thread_ts != ts else url


def is_from_bot(message: Mapping[str, Any]) -> bool:
    """Whether a bot or app wrote the message (Yorozu itself included).

    As of Jan 2021 most bot messages no longer carry ``subtype: bot_message`` (Slack's own note in
    bolt-python's ignoring_self_events middleware); they carry ``bot_id`` beside an ordinary ``user``.
    """
    return bool(message.get("bot_id")) or message.get("subtype") == "bot_message"


def is_thread_root(message: Mapping[str, Any]) -> bool:
    thread_ts = message.get("thread_ts")
    return not thread_ts or thread_ts == message.get("ts")


def strip_mentions(text: str, user_id: str | None) -> str:
    """The text without ``<@bot>`` mentions of ``user_id`` (all mentions when ``user_id`` is unknown)."""
    return _MENTION_RE.sub(lambda m: "" if user_id is None or m.group(1) == user_id else m.group(0), text).strip()


def mentions(text: str, user_id: str | None) -> bool:
    return user_id is not None and any(m.group(1) == user_id for m in _MENTION_RE.finditer(text))


def to_posted(
    message: Mapping[str, Any],
    channel_id: str,
    *,
    workspace_url: str | None = None,
    names: Mapping[str, str] | None = None,
    channel_names: Mapping[str, str] | None = None,
) -> ev.MessagePosted | None:
    """A message event (or a conversations.history item) as ``MessagePosted``; ``None`` when it is not
    something a person wrote (a bot, a system subtype, an empty message, a malformed ``ts``)."""
    subtype = _string(message.get("subtype"))
    if subtype not in CONTENT_SUBTYPES or is_from_bot(message):
        return None
    ts = _string(message.get("ts"))
    posted_at = ts_datetime(ts)
    if posted_at is None:
        return None
    text = message_text(dict(message), names or {}, channel_names or {})
    if not text:
        return None
    thread_ts = _string(message.get("thread_ts")) or None
    thread_id = thread_ts if thread_ts and thread_ts != ts else None
    user = message.get("user")
    return ev.MessagePosted(
        platform=PLATFORM,
        channel_id=channel_id,
        message_id=ts,
        author_id=user if isinstance(user, str) and user else None,
        text=text,
        posted_at=posted_at,
        thread_id=thread_id,
        url=permalink(workspace_url, channel_id, ts, thread_id),
        edited_at=ts_datetime(_object(message.get("edited")).get("ts")),
    )


def to_edit(
    event: Mapping[str, Any], *, names: Mapping[str, str] | None = None
) -> ev.MessageEdited | ev.MessageDeleted | None:
    """A ``message_changed`` event: the new text, or a delete when the root became a tombstone."""
    channel = _string(event.get("channel"))
    message = _object(event.get("message"))
    previous = _object(event.get("previous_message"))
    # Slack's own test payloads omit message.ts; the previous message always has it.
    ts = _string(message.get("ts")) or _string(previous.get("ts"))
    if not channel or not ts:
        return None
    if message.get("subtype") == "tombstone":
        # A deleted root that still has replies stays as a tombstone: its thread must disappear.
        return ev.MessageDeleted(PLATFORM, channel, ts)
    if is_from_bot(message):
        return None
    text = message_text(message, names or {}, {})
    edited_at = ts_datetime(_object(message.get("edited")).get("ts")) or ts_datetime(event.get("event_ts"))
    if not text or edited_at is None:
        return None
    return ev.MessageEdited(PLATFORM, channel, ts, text, edited_at)


def to_delete(event: Mapping[str, Any]) -> ev.MessageDeleted | None:
    channel = _string(event.get("channel"))
    ts = _string(event.get("deleted_ts")) or _string(_object(event.get("previous_message")).get("ts"))
    return ev.MessageDeleted(PLATFORM, channel, ts) if channel and ts else None


def to_reaction(event: Mapping[str, Any], *, added: bool) -> ev.ReactionChanged | None:
    item = _object(event.get("item"))
    channel, ts = _string(item.get("channel")), _string(item.get("ts"))
    user, reaction = _string(event.get("user")), _string(event.get("reaction"))
    if item.get("type") != "message" or not (channel and ts and user and reaction):
        return None
    return ev.ReactionChanged(PLATFORM, channel, ts, user, reaction, added=added)


def to_channel(channel: Mapping[str, Any], *, workspace_id: str | None = None) -> ev.ChannelSeen | None:
    """A conversation object (conversations.info / conversations.list) as ``ChannelSeen``.

    Private channels (``is_private``; ``is_group`` in older payloads) are private, DMs and group DMs are
    DMs: their threads are only ever suggested inside the same conversation.
    """
    channel_id = _string(channel.get("id"))
    if not channel_id:
        return None
    if channel.get("is_im") or channel.get("is_mpim"):
        visibility = Visibility.DM
    elif channel.get("is_private") or channel.get("is_group"):
        visibility = Visibility.PRIVATE
    else:
        visibility = Visibility.PUBLIC
    return ev.ChannelSeen(
        platform=PLATFORM,
        channel_id=channel_id,
        name=_string(channel.get("name")) or channel_id,
        visibility=visibility,
        workspace_id=workspace_id,
        archived=bool(channel.get("is_archived")),
    )


def to_person(user: Mapping[str, Any]) -> ev.PersonSeen | None:
    """A user object (users.info, user_change) as ``PersonSeen``; organisation is ``profile.title``,
    as in the export importer ("青葉市 情報政策課")."""
    user_id = _string(user.get("id"))
    if not user_id:
        return None
    profile = _object(user.get("profile"))
    title = _string(profile.get("title")).strip()
    return ev.PersonSeen(
        platform=PLATFORM,
        person_id=user_id,
        display_name=display_name(dict(user)),
        organization=title or None,
        email=None,  # not needed, and not asked for (users:read.email is not requested)
        is_bot=bool(user.get("is_bot")) or user_id == "USLACKBOT",
    )


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _object(value: object) -> JsonObject:
    return value if isinstance(value, dict) else {}
