"""Backfill: read a workspace's history through the Web API into the knowledge base.

``conversations.list`` (public and private channels the bot is a member of), then each channel's
``conversations.history`` and, for every thread root, ``conversations.replies``, all with cursor
pagination. Rate-limited calls (429) wait for ``Retry-After`` (the client's retry handler). The events
are the live path's own (``convert.to_posted``), and ingest is idempotent, so running it twice adds
nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.messages import Locale, text
from bot.service import KnowledgeService
from bot.slack import convert
from bot.slack.api import SlackApi
from bot.slack.people import Directory
from knowledge import events as ev

log = logging.getLogger(__name__)

PAGE_LIMIT = 200

Progress = Callable[[str], None]


@dataclass
class BackfillReport:
    channels: int = 0
    messages: int = 0
    changed: int = 0
    skipped: int = 0
    people: int = 0
    skipped_channels: list[str] = field(default_factory=list)


async def _pages(api: SlackApi, method: str, key: str, **params: Any) -> AsyncIterator[list[dict[str, Any]]]:
    """Every page of a cursor-paginated method."""
    cursor: str | None = None
    while True:
        data = await api.call(method, limit=PAGE_LIMIT, cursor=cursor, **params)
        items = data.get(key)
        yield [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
        cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return


async def backfill(
    api: SlackApi,
    service: KnowledgeService,
    *,
    channels: Sequence[str] = (),
    progress: Progress | None = None,
    lang: Locale = Locale.EN,
) -> BackfillReport:
    """Read the history of ``channels`` (every channel the bot is in when empty) into ``service``.

    ``progress`` gets one line per channel, in ``lang``.
    """
    say = progress or (lambda line: None)
    report = BackfillReport()
    directory = Directory(api, service)
    identity = await directory.identity()
    conversations: list[dict[str, Any]] = []
    if channels:
        for channel_id in channels:
            data = await api.call("conversations.info", channel=channel_id)
            if isinstance(data.get("channel"), dict):
                conversations.append(data["channel"])
    else:
        async for page in _pages(
            api, "conversations.list", "channels", types="public_channel,private_channel", exclude_archived=False
        ):
            conversations.extend(c for c in page if c.get("is_member"))
    for number, conversation in enumerate(conversations, 1):
        seen = convert.to_channel(conversation, workspace_id=identity.team_id)
        if seen is None:
            continue
        await directory.remember_channel(seen)
        report.channels += 1
        before = report.messages
        await _channel(api, service, directory, seen, identity.url, report)
        read = text("n_messages", lang, count=report.messages - before)
        say(f"[{number}/{len(conversations)}] #{seen.name}: {read}")
    await service.wait_indexed()
    return report


async def _channel(
    api: SlackApi,
    service: KnowledgeService,
    directory: Directory,
    channel: ev.ChannelSeen,
    workspace_url: str | None,
    report: BackfillReport,
) -> None:
    async for page in _pages(api, "conversations.history", "messages", channel=channel.channel_id):
        for message in page:
            await _message(service, directory, channel, message, workspace_url, report)
            if message.get("reply_count") and convert.is_thread_root(message):
                async for replies in _pages(
                    api, "conversations.replies", "messages", channel=channel.channel_id, ts=message["ts"]
                ):
                    for reply in replies:
                        if reply.get("ts") != message.get("ts"):  # the root comes first on every page
                            await _message(service, directory, channel, reply, workspace_url, report)


async def _message(
    service: KnowledgeService,
    directory: Directory,
    channel: ev.ChannelSeen,
    message: dict[str, Any],
    workspace_url: str | None,
    report: BackfillReport,
) -> None:
    user = message.get("user")
    if isinstance(user, str) and user and not directory.knows_person(user) and not convert.is_from_bot(message):
        try:
            await directory.person(user)
            report.people += 1
        except Exception as exc:  # a deleted or external user: their messages still count
            log.info("users.info %s failed: %s", user, exc)
    posted = convert.to_posted(
        message,
        channel.channel_id,
        workspace_url=workspace_url,
        names=directory.names,
        channel_names=directory.channel_names,
    )
    if posted is None:
        report.skipped += 1
        return
    report.messages += 1
    if await service.ingest(posted):
        report.changed += 1
    for reaction in message.get("reactions") or []:
        if not isinstance(reaction, dict):
            continue
        for person in reaction.get("users") or []:
            if isinstance(person, str) and isinstance(reaction.get("name"), str):
                await service.ingest(
                    ev.ReactionChanged(
                        convert.PLATFORM, channel.channel_id, posted.message_id, person, reaction["name"]
                    )
                )
