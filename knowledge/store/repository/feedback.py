"""Feedback on suggestions: verdicts, helpful answers, the specialists' review queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge.model import Visibility, thread_key
from knowledge.store.repository.channels import ChannelRow, find_channel
from knowledge.store.repository.common import _chunks, utc
from knowledge.store.tables import feedback


def record_feedback(
    conn: Connection,
    *,
    platform: str,
    channel_external_id: str | None,
    question_message_id: str | None,
    question: str,
    suggested_thread: str,
    person_external_id: str,
    verdict: str,
    answer_external_id: str | None = None,
    source: str | None = None,
) -> None:
    """Store one person's verdict on one suggestion; a second press replaces the first. ``source`` is
    ``None`` for a button (a press replaces a verdict their thanks gave) or names how it was given."""
    where = sa.and_(
        feedback.c.platform == platform,
        feedback.c.question_message_id == question_message_id
        if question_message_id is not None
        else feedback.c.question_message_id.is_(None),
        feedback.c.suggested_thread == suggested_thread,
        feedback.c.person_external_id == person_external_id,
    )
    now = datetime.now(UTC)
    # A changed verdict re-enters (or leaves) the review queue: the resolution belonged to the old press.
    values = {
        "verdict": verdict,
        "created_at": now,
        "answer_external_id": answer_external_id,
        "resolved_at": None,
        "source": source,
    }
    if conn.execute(feedback.update().where(where).values(**values)).rowcount:
        return
    conn.execute(
        feedback.insert().values(
            platform=platform,
            channel_external_id=channel_external_id,
            question_message_id=question_message_id,
            question=question,
            suggested_thread=suggested_thread,
            person_external_id=person_external_id,
            verdict=verdict,
            created_at=now,
            answer_external_id=answer_external_id,
            source=source,
        )
    )


@dataclass(frozen=True, slots=True)
class VerdictRow:
    """One verdict a person gave on a question, as :func:`verdicts_on` reads it."""

    id: int
    suggested_thread: str
    question: str
    source: str | None


def verdicts_on(
    conn: Connection, platform: str, channel_external_id: str, question_message_id: str, person_external_id: str
) -> list[VerdictRow]:
    """The verdicts ``person_external_id`` gave on the suggestions for one question message."""
    query = sa.select(feedback.c.id, feedback.c.suggested_thread, feedback.c.question, feedback.c.source).where(
        feedback.c.platform == platform,
        feedback.c.question_message_id == question_message_id,
        feedback.c.channel_external_id == channel_external_id,
        feedback.c.person_external_id == person_external_id,
    )
    return [
        VerdictRow(r.id, r.suggested_thread, r.question, r.source) for r in conn.execute(query.order_by(feedback.c.id))
    ]


def delete_feedback(conn: Connection, ids: Sequence[int]) -> None:
    for chunk in _chunks(list(ids), 500):
        conn.execute(feedback.delete().where(feedback.c.id.in_(chunk)))


def feedback_counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(sa.select(feedback.c.verdict, sa.func.count()).group_by(feedback.c.verdict)).all()
    return {str(verdict): int(count) for verdict, count in rows}


def helpful_answers(conn: Connection, suggested_threads: Sequence[str]) -> dict[str, set[str]]:
    """For suggested threads ("platform:channel:root"), the answers someone pressed 解決した on."""
    out: dict[str, set[str]] = {}
    for chunk in _chunks(list(suggested_threads), 500):
        query = sa.select(feedback.c.suggested_thread, feedback.c.answer_external_id).where(
            feedback.c.verdict == "solved",
            feedback.c.answer_external_id.is_not(None),
            feedback.c.suggested_thread.in_(chunk),
        )
        for r in conn.execute(query):
            out.setdefault(r.suggested_thread, set()).add(r.answer_external_id)
    return out


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    id: int
    platform: str
    channel_external_id: str | None
    question_message_id: str | None
    question: str
    suggested_thread: str
    verdict: str
    created_at: datetime


def _feedback_row(r: sa.Row) -> FeedbackRow:
    created = utc(r.created_at)
    assert created is not None
    return FeedbackRow(
        r.id,
        r.platform,
        r.channel_external_id,
        r.question_message_id,
        r.question,
        r.suggested_thread,
        r.verdict,
        created,
    )


def review_queue(conn: Connection, limit: int = 100) -> list[FeedbackRow]:
    """役に立たなかった presses no specialist has resolved yet, oldest first."""
    query = (
        sa.select(feedback)
        .where(feedback.c.verdict == "unhelpful", feedback.c.resolved_at.is_(None))
        .order_by(feedback.c.created_at, feedback.c.id)
        .limit(limit)
    )
    return [_feedback_row(r) for r in conn.execute(query)]


def resolve_review(conn: Connection, feedback_id: int, by: str) -> bool:
    where = sa.and_(feedback.c.id == feedback_id, feedback.c.verdict == "unhelpful", feedback.c.resolved_at.is_(None))
    return bool(
        conn.execute(feedback.update().where(where).values(resolved_at=datetime.now(UTC), resolved_by=by)).rowcount
    )


def all_feedback(conn: Connection) -> list[FeedbackRow]:
    return [_feedback_row(r) for r in conn.execute(sa.select(feedback).order_by(feedback.c.id))]


def solved_questions(conn: Connection, channel: ChannelRow, root_external_id: str) -> tuple[str, ...]:
    """The questions that 解決した marked as solved by this thread, newest first: its learned wordings.

    Only a question whose words anyone reading the thread could have read is learned: one asked in a
    public channel, or in the thread's own channel. A press in a DM records no question at all, and a
    question from a private channel never enters another channel's thread.
    """
    key = thread_key(channel.platform, channel.external_id, root_external_id)
    rows = conn.execute(
        sa.select(feedback.c.question, feedback.c.platform, feedback.c.channel_external_id)
        .where(feedback.c.suggested_thread == key, feedback.c.verdict == "solved", feedback.c.question != "")
        .order_by(feedback.c.created_at.desc(), feedback.c.id.desc())
    ).all()
    open_to: dict[tuple[str, str | None], bool] = {}
    kept: list[str] = []
    for r in rows:
        place = (r.platform, r.channel_external_id)
        if place not in open_to:
            asked_in = None if r.channel_external_id is None else find_channel(conn, r.platform, r.channel_external_id)
            open_to[place] = asked_in is not None and (
                asked_in.id == channel.id or (asked_in.visibility == Visibility.PUBLIC and not asked_in.deleted)
            )
        if open_to[place]:
            kept.append(r.question)
    return tuple(kept)
