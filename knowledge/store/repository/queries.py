"""Questions asked of Yorozu (where, when, abstained or what was suggested), for insights."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge.store.repository.common import utc
from knowledge.store.tables import queries


def record_query(
    conn: Connection,
    *,
    platform: str | None,
    channel_external_id: str | None,
    question_message_id: str | None,
    question: str,
    abstained: bool,
    suggested: Sequence[str],
) -> None:
    """Log a question asked in chat; asking again about the same message (a redraw) updates its row."""
    values = {
        "question": question,
        "abstained": abstained,
        "suggested": json.dumps(list(suggested), ensure_ascii=False),
        "asked_at": datetime.now(UTC),
    }
    if question_message_id is not None:
        where = sa.and_(
            queries.c.platform == platform,
            queries.c.channel_external_id == channel_external_id,
            queries.c.question_message_id == question_message_id,
        )
        if conn.execute(queries.update().where(where).values(**values)).rowcount:
            return
    conn.execute(
        queries.insert().values(
            platform=platform,
            channel_external_id=channel_external_id,
            question_message_id=question_message_id,
            **values,
        )
    )


@dataclass(frozen=True, slots=True)
class QueryRow:
    id: int
    platform: str | None
    channel_external_id: str | None
    question_message_id: str | None
    question: str
    abstained: bool
    suggested: tuple[str, ...]
    asked_at: datetime


def query_for_message(
    conn: Connection, platform: str, channel_external_id: str, question_message_id: str
) -> QueryRow | None:
    """What Yorozu suggested for one question message (its latest answer to it), if it logged one."""
    row = conn.execute(
        sa.select(queries)
        .where(
            queries.c.platform == platform,
            queries.c.channel_external_id == channel_external_id,
            queries.c.question_message_id == question_message_id,
        )
        .order_by(queries.c.asked_at.desc(), queries.c.id.desc())
        .limit(1)
    ).one_or_none()
    return _query_row(row) if row is not None else None


def recent_queries(conn: Connection, *, since: datetime, limit: int = 5000) -> list[QueryRow]:
    query = (
        sa.select(queries).where(queries.c.asked_at >= since).order_by(queries.c.asked_at.desc(), queries.c.id.desc())
    )
    return [_query_row(r) for r in conn.execute(query.limit(limit))]


def _query_row(r: sa.Row) -> QueryRow:
    asked = utc(r.asked_at)
    assert asked is not None
    suggested = tuple(json.loads(r.suggested)) if r.suggested else ()
    return QueryRow(
        r.id, r.platform, r.channel_external_id, r.question_message_id, r.question, bool(r.abstained), suggested, asked
    )
