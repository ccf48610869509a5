"""Curated FAQ entries, their versions, and the pseudo-channel that holds their mirrors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge.model import Visibility
from knowledge.store.repository.channels import ChannelRow, find_channel, upsert_channel
from knowledge.store.repository.common import FAQ_CHANNEL, FAQ_PLATFORM, _new_id, utc
from knowledge.store.tables import faq_entries, faq_versions


@dataclass(frozen=True, slots=True)
class FaqRow:
    id: int
    question: str
    answer: str
    tags: str
    status: str
    owner_platform: str | None
    owner_id: str | None
    verified_by_platform: str | None
    verified_by_id: str | None
    verified_by_name: str | None
    verified_at: datetime | None
    review_interval_days: int
    source_thread: str | None
    version: int
    thread_id: int | None
    created_at: datetime
    updated_at: datetime


def _faq_row(row: sa.Row) -> FaqRow:
    created = utc(row.created_at)
    updated = utc(row.updated_at)
    assert created is not None and updated is not None
    return FaqRow(
        id=row.id,
        question=row.question,
        answer=row.answer,
        tags=row.tags or "",
        status=row.status,
        owner_platform=row.owner_platform,
        owner_id=row.owner_id,
        verified_by_platform=row.verified_by_platform,
        verified_by_id=row.verified_by_id,
        verified_by_name=row.verified_by_name,
        verified_at=utc(row.verified_at),
        review_interval_days=int(row.review_interval_days),
        source_thread=row.source_thread,
        version=int(row.version),
        thread_id=row.thread_id,
        created_at=created,
        updated_at=updated,
    )


def insert_faq(conn: Connection, **values: object) -> int:
    return _new_id(conn.execute(faq_entries.insert().values(**values)))


def update_faq(conn: Connection, faq_id: int, **values: object) -> None:
    conn.execute(faq_entries.update().where(faq_entries.c.id == faq_id).values(**values))


def get_faq(conn: Connection, faq_id: int) -> FaqRow | None:
    row = conn.execute(sa.select(faq_entries).where(faq_entries.c.id == faq_id)).first()
    return None if row is None else _faq_row(row)


def list_faq(conn: Connection, status: str | None = None) -> list[FaqRow]:
    query = sa.select(faq_entries).order_by(faq_entries.c.id)
    if status is not None:
        query = query.where(faq_entries.c.status == status)
    return [_faq_row(r) for r in conn.execute(query)]


def faq_from_source(conn: Connection, source_thread: str) -> FaqRow | None:
    """The newest entry made from a thread (``platform:channel:root``), retired ones included."""
    query = sa.select(faq_entries).where(faq_entries.c.source_thread == source_thread).order_by(faq_entries.c.id.desc())
    row = conn.execute(query).first()
    return None if row is None else _faq_row(row)


def faq_by_thread(conn: Connection, thread_ids: Sequence[int]) -> dict[int, FaqRow]:
    """FAQ entries by the id of their mirror thread."""
    if not thread_ids:
        return {}
    rows = conn.execute(sa.select(faq_entries).where(faq_entries.c.thread_id.in_(list(thread_ids))))
    return {int(r.thread_id): _faq_row(r) for r in rows}


def add_faq_version(
    conn: Connection,
    *,
    faq: FaqRow,
    change: str,
    editor: str | None,
) -> None:
    """Record the entry's current state as one row of its history."""
    conn.execute(
        faq_versions.insert().values(
            faq_id=faq.id,
            version=faq.version,
            question=faq.question,
            answer=faq.answer,
            tags=faq.tags,
            status=faq.status,
            change=change,
            editor=editor,
            created_at=faq.updated_at,
        )
    )


@dataclass(frozen=True, slots=True)
class FaqVersionRow:
    version: int
    question: str
    answer: str
    tags: str
    status: str
    change: str
    editor: str | None
    created_at: datetime


def faq_history(conn: Connection, faq_id: int) -> list[FaqVersionRow]:
    query = sa.select(faq_versions).where(faq_versions.c.faq_id == faq_id).order_by(faq_versions.c.version)
    out = []
    for r in conn.execute(query):
        created = utc(r.created_at)
        assert created is not None
        out.append(FaqVersionRow(r.version, r.question, r.answer, r.tags or "", r.status, r.change, r.editor, created))
    return out


def faq_channel(conn: Connection) -> ChannelRow:
    """The reserved pseudo-channel of FAQ mirrors (public: a published entry may be suggested anywhere)."""
    return find_channel(conn, FAQ_PLATFORM, FAQ_CHANNEL) or upsert_channel(
        conn, platform=FAQ_PLATFORM, external_id=FAQ_CHANNEL, name="FAQ", visibility=Visibility.PUBLIC
    )
