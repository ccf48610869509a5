"""What the repository modules share: UTC datetimes, upserts, new ids, chunks, the FAQ pseudo-channel."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

T = TypeVar("T")


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _upsert(conn: Connection, table: sa.Table, keys: dict[str, object], values: dict[str, object]) -> int:
    """Insert or update one row found by ``keys``; returns its ``id``."""
    where = sa.and_(*(table.c[k] == v for k, v in keys.items()))
    row = conn.execute(sa.select(table.c.id).where(where)).first()
    if row is None:
        try:
            with conn.begin_nested():
                return _new_id(conn.execute(table.insert().values(**keys, **values)))
        except sa.exc.IntegrityError:
            # Another transaction created the row between our look and our insert: update theirs.
            row = conn.execute(sa.select(table.c.id).where(where)).one()
    if values:
        conn.execute(table.update().where(table.c.id == row.id).values(**values))
    return int(row.id)


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _insert_or_nothing(conn: Connection, table: sa.Table, keys: list[str]) -> Any:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` on SQLite and PostgreSQL alike."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=keys)
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=keys)
    raise NotImplementedError(f"no insert-or-nothing for {conn.dialect.name}")


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


# The reserved pseudo-channel that holds the mirrors of FAQ entries (see knowledge/faq.py).
FAQ_PLATFORM = "faq"
FAQ_CHANNEL = "faq"
