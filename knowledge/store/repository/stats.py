"""What the knowledge base holds, counted."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge.store.repository.common import FAQ_PLATFORM
from knowledge.store.tables import channels, embeddings, faq_entries, messages, people, threads


def counts(conn: Connection, model_id: str | None = None) -> dict[str, int]:
    """What the knowledge base holds; with ``model_id`` also ``indexed`` (chat threads with a stored vector
    of that model for their current text: searchable by every process sharing the database) and
    ``faq_published``. Counted from the store, so ``yorozu stats``, ``/healthz`` and the console agree."""
    # FAQ mirrors live in their own pseudo-channel; they are not chat threads.
    visible = sa.and_(threads.c.hidden.is_(False), channels.c.deleted.is_(False), channels.c.platform != FAQ_PLATFORM)

    def count_threads(*where: sa.ColumnElement[bool]) -> int:
        q = sa.select(sa.func.count()).select_from(threads.join(channels)).where(visible, *where)
        return int(conn.execute(q).scalar_one())

    return {
        "channels": int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(channels)
                .where(channels.c.deleted.is_(False), channels.c.platform != FAQ_PLATFORM)
            ).scalar_one()
        ),
        "people": int(
            conn.execute(sa.select(sa.func.count()).select_from(people).where(people.c.is_bot.is_(False))).scalar_one()
        ),
        "threads": count_threads(),
        "questions": count_threads(threads.c.is_question.is_(True)),
        "answered": count_threads(threads.c.is_question.is_(True), threads.c.answer_count > 0),
        "accepted": count_threads(threads.c.accepted_message_id.is_not(None)),
        "messages": int(
            conn.execute(
                sa.select(sa.func.count()).select_from(messages).where(messages.c.deleted.is_(False))
            ).scalar_one()
        ),
        **(_index_counts(conn, model_id, visible) if model_id is not None else {}),
    }


def _index_counts(conn: Connection, model_id: str, visible: sa.ColumnElement[bool]) -> dict[str, int]:
    searchable = (
        sa.select(sa.func.count())
        .select_from(threads.join(channels).join(embeddings, embeddings.c.thread_id == threads.c.id))
        .where(
            visible,
            threads.c.document != "",
            embeddings.c.model_id == model_id,
            embeddings.c.document_hash == threads.c.document_hash,
        )
    )
    published = sa.select(sa.func.count()).select_from(faq_entries).where(faq_entries.c.status == "published")
    return {
        "indexed": int(conn.execute(searchable).scalar_one()),
        "faq_published": int(conn.execute(published).scalar_one()),
    }
