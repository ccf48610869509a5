"""Messages and reactions, and the facts and derived state of one thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge.store.repository.channels import ChannelRow, _channel_row
from knowledge.store.repository.common import _new_id, utc
from knowledge.store.repository.feedback import solved_questions
from knowledge.store.repository.meta import next_change_seq
from knowledge.store.tables import channels, messages, people, reactions, threads


def thread_for(conn: Connection, channel_id: int, root_external_id: str) -> int:
    """The thread whose root has this platform id, created (hidden, empty) when first referenced."""
    where = sa.and_(threads.c.channel_id == channel_id, threads.c.root_external_id == root_external_id)
    row = conn.execute(sa.select(threads.c.id).where(where)).first()
    if row is not None:
        return int(row.id)
    insert = threads.insert().values(
        channel_id=channel_id,
        root_external_id=root_external_id,
        title="",
        is_question=False,
        answer_count=0,
        hidden=True,
        document="",
        document_hash="",
        change_seq=0,
    )
    try:
        with conn.begin_nested():
            return _new_id(conn.execute(insert))
    except sa.exc.IntegrityError:  # created by another transaction meanwhile
        return int(conn.execute(sa.select(threads.c.id).where(where)).scalar_one())


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: int
    thread_id: int
    external_id: str
    author_external_id: str | None
    text: str
    posted_at: datetime
    edited_at: datetime | None
    deleted: bool
    is_bot: bool
    url: str | None


def _message_row(row: sa.Row) -> MessageRow:
    posted = utc(row.posted_at)
    assert posted is not None
    return MessageRow(
        id=row.id,
        thread_id=row.thread_id,
        external_id=row.external_id,
        author_external_id=row.author_external_id,
        text=row.text,
        posted_at=posted,
        edited_at=utc(row.edited_at),
        deleted=bool(row.deleted),
        is_bot=bool(row.is_bot),
        url=row.url,
    )


def find_message(conn: Connection, channel_id: int, external_id: str) -> MessageRow | None:
    row = conn.execute(
        sa.select(messages).where(messages.c.channel_id == channel_id, messages.c.external_id == external_id)
    ).first()
    return None if row is None else _message_row(row)


def insert_message(
    conn: Connection,
    *,
    channel_id: int,
    thread_id: int,
    external_id: str,
    author_external_id: str | None,
    text: str,
    posted_at: datetime,
    edited_at: datetime | None,
    is_bot: bool,
    url: str | None,
) -> int:
    result = conn.execute(
        messages.insert().values(
            channel_id=channel_id,
            thread_id=thread_id,
            external_id=external_id,
            author_external_id=author_external_id,
            text=text,
            posted_at=posted_at,
            edited_at=edited_at,
            deleted=False,
            is_bot=is_bot,
            url=url,
        )
    )
    return _new_id(result)


def update_message(conn: Connection, message_id: int, **values: object) -> None:
    conn.execute(messages.update().where(messages.c.id == message_id).values(**values))


def set_reaction(conn: Connection, message_id: int, person_external_id: str, name: str, added: bool) -> bool:
    """Add or remove a reaction; ``True`` when that changed anything."""
    where = sa.and_(
        reactions.c.message_id == message_id,
        reactions.c.person_external_id == person_external_id,
        reactions.c.name == name,
    )
    exists = conn.execute(sa.select(reactions.c.name).where(where)).first() is not None
    if added and not exists:
        conn.execute(reactions.insert().values(message_id=message_id, person_external_id=person_external_id, name=name))
        return True
    if not added and exists:
        conn.execute(reactions.delete().where(where))
        return True
    return False


@dataclass(frozen=True, slots=True)
class ThreadFacts:
    """Everything stored about one thread, from which its derived state is computed."""

    thread_id: int
    root_external_id: str
    channel: ChannelRow
    messages: tuple[MessageRow, ...]
    reactions: dict[int, tuple[tuple[str, str], ...]]  # message id -> (person, reaction name)
    names: dict[str, str] = field(default_factory=dict)  # author external id -> display name
    # Other wordings of the question: questions this thread solved (解決した), newest first.
    phrasings: tuple[str, ...] = ()

    @property
    def root(self) -> MessageRow | None:
        return next((m for m in self.messages if m.external_id == self.root_external_id), None)


def thread_facts(conn: Connection, thread_id: int) -> ThreadFacts:
    trow = conn.execute(sa.select(threads).where(threads.c.id == thread_id)).one()
    crow = conn.execute(sa.select(channels).where(channels.c.id == trow.channel_id)).one()
    rows = conn.execute(
        sa.select(messages).where(messages.c.thread_id == thread_id).order_by(messages.c.posted_at, messages.c.id)
    )
    msgs = tuple(_message_row(r) for r in rows)
    reacts: dict[int, list[tuple[str, str]]] = {}
    names: dict[str, str] = {}
    if msgs:
        rrows = conn.execute(sa.select(reactions).where(reactions.c.message_id.in_([m.id for m in msgs])))
        for r in rrows:
            reacts.setdefault(r.message_id, []).append((r.person_external_id, r.name))
        authors = sorted({m.author_external_id for m in msgs if m.author_external_id})
        prows = conn.execute(
            sa.select(people.c.external_id, people.c.display_name).where(
                people.c.platform == crow.platform, people.c.external_id.in_(authors)
            )
        )
        names = {r.external_id: r.display_name for r in prows}
    return ThreadFacts(
        thread_id=thread_id,
        root_external_id=trow.root_external_id,
        channel=_channel_row(crow),
        messages=msgs,
        reactions={k: tuple(sorted(v)) for k, v in reacts.items()},
        names=names,
        phrasings=solved_questions(conn, _channel_row(crow), trow.root_external_id),
    )


@dataclass(frozen=True, slots=True)
class ThreadState:
    """What ingest derives from a thread's facts; stored on the thread row."""

    asker_external_id: str | None
    title: str
    is_question: bool
    answer_count: int
    accepted_message_id: int | None
    asked_at: datetime | None
    last_activity_at: datetime | None
    hidden: bool
    url: str | None
    document: str
    document_hash: str
    # The reply a suggestion shows (ingest.best_reply); None without answers.
    best_message_id: int | None = None


def lock_thread(conn: Connection, thread_id: int) -> None:
    """Hold the thread's row until commit, so two transactions deriving its state take turns.

    ``FOR NO KEY UPDATE``: it does not wait for the key-share locks that inserting a message or reaction
    under the thread takes, so a transaction that stored a message first and locks second cannot deadlock
    with another one that did the same. Under READ COMMITTED the facts read after the lock include every
    message committed before it. SQLite writes one transaction at a time and needs no lock.
    """
    conn.execute(sa.select(threads.c.id).where(threads.c.id == thread_id).with_for_update(key_share=True))


def save_thread_state(conn: Connection, thread_id: int, state: ThreadState) -> bool:
    """Store a thread's derived state; bumps its change number only when something changed."""
    row = conn.execute(sa.select(threads).where(threads.c.id == thread_id)).one()
    values = {
        "asker_external_id": state.asker_external_id,
        "title": state.title,
        "is_question": state.is_question,
        "answer_count": state.answer_count,
        "accepted_message_id": state.accepted_message_id,
        "best_message_id": state.best_message_id,
        "asked_at": state.asked_at,
        "last_activity_at": state.last_activity_at,
        "hidden": state.hidden,
        "url": state.url,
        "document": state.document,
        "document_hash": state.document_hash,
    }
    current = {k: (utc(getattr(row, k)) if k in ("asked_at", "last_activity_at") else getattr(row, k)) for k in values}
    if current == values and row.change_seq:
        return False
    values["change_seq"] = next_change_seq(conn)
    conn.execute(threads.update().where(threads.c.id == thread_id).values(**values))
    return True


def root_message(conn: Connection, thread_id: int) -> MessageRow | None:
    """A thread's root message (deleted or not)."""
    query = (
        sa.select(messages)
        .join(threads, threads.c.id == messages.c.thread_id)
        .where(threads.c.id == thread_id, messages.c.external_id == threads.c.root_external_id)
    )
    row = conn.execute(query).first()
    return None if row is None else _message_row(row)
