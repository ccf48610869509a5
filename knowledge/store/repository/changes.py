"""The change log the indexes follow (threads' change numbers and documents) and stored embeddings."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge.store.repository.common import FAQ_PLATFORM, _chunks, _insert_or_nothing
from knowledge.store.repository.meta import next_change_seq
from knowledge.store.tables import channels, embeddings, threads


def message_thread_ids(conn: Connection, after: int = 0, limit: int = 500) -> list[int]:
    """Ids of threads derived from chat messages (FAQ pseudo-threads aside) above ``after``, in order."""
    query = (
        sa.select(threads.c.id)
        .join(channels, channels.c.id == threads.c.channel_id)
        .where(threads.c.id > after, channels.c.platform != FAQ_PLATFORM)
        .order_by(threads.c.id)
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def touch_threads(conn: Connection, thread_ids: Iterable[int]) -> None:
    """Give threads a new change number (e.g. a name shown with them changed)."""
    for thread_id in thread_ids:
        conn.execute(threads.update().where(threads.c.id == thread_id).values(change_seq=next_change_seq(conn)))


@dataclass(frozen=True, slots=True)
class ThreadChange:
    thread_id: int
    change_seq: int
    visible: bool
    document: str
    document_hash: str


def count_changes_since(conn: Connection, seq: int) -> int:
    """How many threads changed after change number ``seq`` (what an index has still to apply)."""
    query = sa.select(sa.func.count()).select_from(threads).where(threads.c.change_seq > seq)
    return int(conn.execute(query).scalar_one())


def changes_since(conn: Connection, seq: int, limit: int = 2000) -> list[ThreadChange]:
    """Threads changed after change number ``seq``, oldest change first."""
    query = (
        sa.select(
            threads.c.id,
            threads.c.change_seq,
            threads.c.hidden,
            threads.c.document,
            threads.c.document_hash,
            channels.c.deleted,
        )
        .join(channels, channels.c.id == threads.c.channel_id)
        .where(threads.c.change_seq > seq)
        .order_by(threads.c.change_seq)
        .limit(limit)
    )
    return [
        ThreadChange(
            thread_id=r.id,
            change_seq=r.change_seq,
            visible=not r.hidden and not r.deleted and bool(r.document),
            document=r.document,
            document_hash=r.document_hash,
        )
        for r in conn.execute(query)
    ]


def iter_visible_documents(conn: Connection, batch: int = 5000) -> Iterator[ThreadChange]:
    """Every visible thread's document, for rebuilding indexes from the store."""
    last = 0
    while True:
        query = (
            sa.select(threads.c.id, threads.c.change_seq, threads.c.document, threads.c.document_hash)
            .join(channels, channels.c.id == threads.c.channel_id)
            .where(
                threads.c.id > last,
                threads.c.hidden.is_(False),
                channels.c.deleted.is_(False),
                threads.c.document != "",
            )
            .order_by(threads.c.id)
            .limit(batch)
        )
        rows = conn.execute(query).all()
        if not rows:
            return
        for r in rows:
            yield ThreadChange(r.id, r.change_seq, True, r.document, r.document_hash)
        last = rows[-1].id


def get_embeddings(conn: Connection, model_id: str, thread_ids: Sequence[int]) -> dict[int, tuple[str, bytes]]:
    """Stored vectors of this model: thread id -> (document hash, vector bytes)."""
    out: dict[int, tuple[str, bytes]] = {}
    for chunk in _chunks(list(thread_ids), 500):
        rows = conn.execute(
            sa.select(embeddings).where(embeddings.c.thread_id.in_(chunk), embeddings.c.model_id == model_id)
        )
        for r in rows:
            out[r.thread_id] = (r.document_hash, bytes(r.vector))
    return out


def put_embedding(conn: Connection, thread_id: int, model_id: str, document_hash: str, vector: bytes) -> None:
    """Store a thread's vector, replacing an older one.

    Replicas sharing one database may embed the same thread at the same moment: both find no row to
    update, and the second insert meets the first one's row. Insert-or-nothing makes that quiet (the
    other replica's vector is for the same thread; a reader checks its document hash anyway).
    """
    values = {"model_id": model_id, "document_hash": document_hash, "vector": vector}
    if conn.execute(embeddings.update().where(embeddings.c.thread_id == thread_id).values(**values)).rowcount == 0:
        conn.execute(_insert_or_nothing(conn, embeddings, ["thread_id"]).values(thread_id=thread_id, **values))


def delete_embeddings(conn: Connection, thread_ids: Sequence[int]) -> None:
    for chunk in _chunks(list(thread_ids), 500):
        conn.execute(embeddings.delete().where(embeddings.c.thread_id.in_(chunk)))


def clear_embeddings(conn: Connection) -> None:
    conn.execute(embeddings.delete())


def embedding_count(conn: Connection, model_id: str) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count()).select_from(embeddings).where(embeddings.c.model_id == model_id)
        ).scalar_one()
    )
