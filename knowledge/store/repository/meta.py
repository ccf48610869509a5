"""Small settings of the knowledge base (meta), the change counter, and platform delivery receipts."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge.store.tables import counters, event_receipts, meta


def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()


def set_meta(conn: Connection, key: str, value: str) -> None:
    if conn.execute(meta.update().where(meta.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(meta.insert().values(key=key, value=value))


def next_change_seq(conn: Connection) -> int:
    """Take the next change number. The row lock held until commit keeps numbers in commit order."""
    conn.execute(counters.update().where(counters.c.name == "change_seq").values(value=counters.c.value + 1))
    return int(conn.execute(sa.select(counters.c.value).where(counters.c.name == "change_seq")).scalar_one())


def current_change_seq(conn: Connection) -> int:
    return int(conn.execute(sa.select(counters.c.value).where(counters.c.name == "change_seq")).scalar_one())


def forget_receipt(conn: Connection, key: str) -> None:
    conn.execute(event_receipts.delete().where(event_receipts.c.key == key))


def record_receipt(conn: Connection, key: str) -> bool:
    """Remember a platform delivery; ``False`` when it was seen before."""
    exists = conn.execute(sa.select(event_receipts.c.key).where(event_receipts.c.key == key)).first()
    if exists is not None:
        return False
    conn.execute(event_receipts.insert().values(key=key, received_at=datetime.now(UTC)))
    return True


def prune_receipts(conn: Connection, *, before: datetime) -> int:
    """Forget deliveries received before ``before`` (long past any platform's retries); returns how many."""
    return int(conn.execute(event_receipts.delete().where(event_receipts.c.received_at < before)).rowcount)
