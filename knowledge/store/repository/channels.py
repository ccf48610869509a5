"""Channels: what is stored about each, its automatic-suggestion switch and reply address."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge.model import Visibility
from knowledge.store.repository.common import _upsert
from knowledge.store.tables import channels, threads


@dataclass(frozen=True, slots=True)
class ChannelRow:
    id: int
    platform: str
    external_id: str
    name: str | None
    visibility: Visibility
    archived: bool
    deleted: bool
    workspace_id: str | None = None  # the Slack workspace or Teams team the channel belongs to
    reply_address: str | None = None  # how a job posts here later (platform-specific JSON), if needed


def _channel_row(row: sa.Row) -> ChannelRow:
    return ChannelRow(
        id=row.id,
        platform=row.platform,
        external_id=row.external_id,
        name=row.name,
        visibility=Visibility(row.visibility),
        archived=bool(row.archived),
        deleted=bool(row.deleted),
        workspace_id=row.workspace_id,
        reply_address=row.reply_address,
    )


def find_channel(conn: Connection, platform: str, external_id: str) -> ChannelRow | None:
    row = conn.execute(
        sa.select(channels).where(channels.c.platform == platform, channels.c.external_id == external_id)
    ).first()
    return None if row is None else _channel_row(row)


def workspace_channels(conn: Connection, platform: str, workspace_id: str) -> list[ChannelRow]:
    """Every channel stored under one workspace (a Slack workspace, a Teams team), deleted ones included.

    A team archived or deleted in Teams must reach all its channels, even when the platform can no longer
    list them.
    """
    rows = conn.execute(
        sa.select(channels)
        .where(channels.c.platform == platform, channels.c.workspace_id == workspace_id)
        .order_by(channels.c.id)
    ).all()
    return [_channel_row(row) for row in rows]


def upsert_channel(
    conn: Connection,
    *,
    platform: str,
    external_id: str,
    name: str | None = None,
    visibility: Visibility | None = None,
    workspace_id: str | None = None,
    archived: bool | None = None,
) -> ChannelRow:
    """Create a channel or update the fields given (``None`` leaves a field as it is)."""
    existing = find_channel(conn, platform, external_id)
    values: dict[str, object] = {}
    if name is not None:
        values["name"] = name
    if visibility is not None:
        values["visibility"] = str(visibility)
    if workspace_id is not None:
        values["workspace_id"] = workspace_id
    if archived is not None:
        values["archived"] = archived
    if existing is None:
        values.setdefault("visibility", str(Visibility.PUBLIC))
        values.setdefault("archived", False)
        values["deleted"] = False
    _upsert(conn, channels, {"platform": platform, "external_id": external_id}, values)
    channel = find_channel(conn, platform, external_id)
    assert channel is not None
    return channel


def set_reply_address(conn: Connection, channel_id: int, address: str) -> None:
    conn.execute(channels.update().where(channels.c.id == channel_id).values(reply_address=address))


def mark_channel_deleted(conn: Connection, channel_id: int) -> None:
    conn.execute(channels.update().where(channels.c.id == channel_id).values(deleted=True))


def channel_threads(conn: Connection, channel_id: int) -> list[int]:
    return list(conn.execute(sa.select(threads.c.id).where(threads.c.channel_id == channel_id)).scalars())


def set_auto_suggest(conn: Connection, channel_id: int, enabled: bool) -> None:
    conn.execute(channels.update().where(channels.c.id == channel_id).values(auto_suggest=enabled))


def auto_suggest(conn: Connection, platform: str, external_id: str) -> bool:
    """Whether Yorozu answers by itself in this channel (unknown channels: yes)."""
    value = conn.execute(
        sa.select(channels.c.auto_suggest).where(channels.c.platform == platform, channels.c.external_id == external_id)
    ).scalar_one_or_none()
    return True if value is None else bool(value)
