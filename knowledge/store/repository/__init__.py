"""Repository functions: every read and write of the knowledge base's SQL tables.

Functions take an open :class:`~sqlalchemy.engine.Connection` so that callers decide the transaction
(one event = one transaction). Rows come back as small dataclasses, never as SQLAlchemy objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge import mentions
from knowledge.model import Visibility
from knowledge.store.tables import (
    channels,
    counters,
    embeddings,
    event_receipts,
    faq_entries,
    faq_versions,
    feedback,
    jobs,
    messages,
    meta,
    organization_rules,
    people,
    queries,
    reactions,
    roles,
    subscriptions,
    threads,
)

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


# --- meta and counters -----------------------------------------------------------------------------


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


# --- channels and people ---------------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class PersonRow:
    platform: str
    external_id: str
    display_name: str
    organization: str | None
    is_bot: bool
    opted_out: bool
    email: str | None = None


def upsert_person(
    conn: Connection,
    *,
    platform: str,
    external_id: str,
    display_name: str,
    organization: str | None,
    email: str | None,
    is_bot: bool,
    tenant_id: str | None = None,
) -> bool:
    """Create or update a person; ``True`` when anything changed (names shown with suggestions)."""
    row = conn.execute(
        sa.select(people).where(people.c.platform == platform, people.c.external_id == external_id)
    ).first()
    values: dict[str, object] = {
        "display_name": display_name,
        "organization": organization,
        "email": email,
        "is_bot": is_bot,
    }
    if tenant_id is not None:  # platforms that do not know the tenant leave it as it is
        values["tenant_id"] = tenant_id
    if row is not None and all(getattr(row, k) == v for k, v in values.items()):
        return False
    if row is None:
        values["opted_out"] = False
    _upsert(conn, people, {"platform": platform, "external_id": external_id}, values)
    return True


def find_people(conn: Connection, platform: str, external_ids: Iterable[str]) -> dict[str, PersonRow]:
    ids = sorted(set(external_ids))
    if not ids:
        return {}
    out: dict[str, PersonRow] = {}
    rules: dict[tuple[str, str], str] | None = None
    for chunk in _chunks(ids, 500):
        rows = conn.execute(sa.select(people).where(people.c.platform == platform, people.c.external_id.in_(chunk)))
        for row in rows:
            organization = row.organization
            if not organization:
                # Read at display time, so an admin's edit of the rules applies to everyone at once.
                rules = organization_rule_map(conn) if rules is None else rules
                organization = resolve_organization(rules, email=row.email, tenant_id=row.tenant_id)
            out[row.external_id] = PersonRow(
                platform=row.platform,
                external_id=row.external_id,
                display_name=row.display_name,
                organization=organization,
                is_bot=bool(row.is_bot),
                opted_out=bool(row.opted_out),
                email=row.email,
            )
    return out


class PeopleCache:
    """People as one request sees them: :meth:`find` answers from what was read and reads only the rest,
    and :meth:`prefetch` reads many people of a platform at once."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._known: dict[tuple[str, str], PersonRow | None] = {}

    def prefetch(self, people: Iterable[tuple[str, str | None]]) -> None:
        wanted: dict[str, set[str]] = {}
        for platform, person_id in people:
            if person_id and (platform, person_id) not in self._known:
                wanted.setdefault(platform, set()).add(person_id)
        for platform, ids in wanted.items():
            found = find_people(self._conn, platform, ids)
            self._known.update({(platform, i): found.get(i) for i in ids})

    def find(self, platform: str, external_ids: Iterable[str]) -> dict[str, PersonRow]:
        """The same as :func:`find_people`."""
        ids = list(external_ids)
        self.prefetch((platform, i) for i in ids)
        return {i: person for i in ids if (person := self._known.get((platform, i))) is not None}


def people_in_threads(conn: Connection, platform: str, external_ids: Sequence[str]) -> list[int]:
    """Threads with a message by any of these people (their names appear with suggestions)."""
    if not external_ids:
        return []
    query = (
        sa.select(messages.c.thread_id)
        .join(channels, channels.c.id == messages.c.channel_id)
        .where(channels.c.platform == platform, messages.c.author_external_id.in_(list(external_ids)))
        .distinct()
    )
    return list(conn.execute(query).scalars())


# --- threads and messages --------------------------------------------------------------------------


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


# --- embeddings ------------------------------------------------------------------------------------


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


def _insert_or_nothing(conn: Connection, table: sa.Table, keys: list[str]) -> Any:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` on SQLite and PostgreSQL alike."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=keys)
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=keys)
    raise NotImplementedError(f"no insert-or-nothing for {conn.dialect.name}")


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


# --- reading threads for suggestions ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThreadView:
    """A visible thread with what a suggestion shows."""

    thread_id: int
    platform: str
    channel_external_id: str
    channel_name: str | None
    visibility: Visibility
    root_external_id: str
    asker_external_id: str | None
    title: str
    is_question: bool
    asked_at: datetime
    last_activity_at: datetime
    url: str | None
    accepted_message_id: int | None
    answers: tuple[MessageRow, ...]
    # The reply a suggestion shows; None before the thread was derived with it (see `shown_answer`).
    best_message_id: int | None = None

    @property
    def shown_answer(self) -> MessageRow | None:
        """The reply a suggestion shows: the derived best reply, else the accepted one, else the first."""
        for wanted in (self.best_message_id, self.accepted_message_id):
            found = next((a for a in self.answers if wanted is not None and a.id == wanted), None)
            if found is not None:
                return found
        return self.answers[0] if self.answers else None


@dataclass(frozen=True, slots=True)
class ThreadRank:
    """What ranking and the access check need of a visible thread: no texts, no answers."""

    thread_id: int
    platform: str
    channel_external_id: str
    visibility: Visibility
    root_external_id: str
    answer_count: int
    accepted_message_id: int | None
    last_activity_at: datetime


def _visible_threads(*columns: Any) -> sa.Select[Any]:
    """Visible threads among the ``ids`` parameter (built once: building a select costs more than the read)."""
    return (
        sa.select(
            threads.c.id,
            threads.c.root_external_id,
            threads.c.accepted_message_id,
            threads.c.asked_at,
            channels.c.platform,
            channels.c.external_id.label("ch_ext"),
            channels.c.visibility,
            *columns,
        )
        .join(channels, channels.c.id == threads.c.channel_id)
        .where(
            threads.c.id.in_(sa.bindparam("ids", expanding=True)),
            threads.c.hidden.is_(False),
            channels.c.deleted.is_(False),
        )
    )


_THREAD_RANKS = _visible_threads(
    threads.c.answer_count, sa.func.coalesce(threads.c.last_activity_at, threads.c.asked_at).label("activity")
)
_THREAD_VIEWS = _visible_threads(
    threads.c.best_message_id,
    threads.c.last_activity_at,
    threads.c.asker_external_id,
    threads.c.title,
    threads.c.is_question,
    threads.c.url,
    channels.c.name.label("ch_name"),
)
_EPOCH = datetime.fromtimestamp(0, UTC)


def thread_ranks(conn: Connection, thread_ids: Sequence[int]) -> dict[int, ThreadRank]:
    """Visible threads among ``thread_ids``, as much as ranking them needs (one read of one row each).

    A question ranks every candidate on these and reads the full :func:`thread_views` of the best few
    only: the answers' texts are most of what a view costs to read.
    """
    if not thread_ids:
        return {}
    return {
        t.id: ThreadRank(
            thread_id=t.id,
            platform=t.platform,
            channel_external_id=t.ch_ext,
            visibility=Visibility(t.visibility),
            root_external_id=t.root_external_id,
            answer_count=t.answer_count,
            accepted_message_id=t.accepted_message_id,
            last_activity_at=utc(t.activity) or _EPOCH,
        )
        for t in conn.execute(_THREAD_RANKS, {"ids": list(thread_ids)})
    }


def thread_views(conn: Connection, thread_ids: Sequence[int]) -> dict[int, ThreadView]:
    """Visible threads among ``thread_ids`` with their non-deleted human answers (asker's own excluded)."""
    if not thread_ids:
        return {}
    trows = {r.id: r for r in conn.execute(_THREAD_VIEWS, {"ids": list(thread_ids)})}
    answers: dict[int, list[MessageRow]] = {tid: [] for tid in trows}
    if trows:
        mrows = conn.execute(
            sa.select(messages)
            .where(messages.c.thread_id.in_(list(trows)), messages.c.deleted.is_(False), messages.c.is_bot.is_(False))
            .order_by(messages.c.posted_at, messages.c.id)
        )
        for m in mrows:
            t = trows[m.thread_id]
            # The same rule as `answer_count` (ingest.derive_state): blank replies and the asker's own are not answers.
            asker = t.asker_external_id
            if (
                m.external_id != t.root_external_id
                and (asker is None or m.author_external_id != asker)
                and m.text.strip()
            ):
                answers[m.thread_id].append(_message_row(m))
    # Mentions are shown by name only for people who may be named, read now (knowledge.mentions).
    names: dict[str, dict[str, str]] = {}
    for platform in {t.platform for t in trows.values()}:
        texts = [t.title for t in trows.values() if t.platform == platform]
        texts += [a.text for tid, found in answers.items() if trows[tid].platform == platform for a in found]
        names[platform] = mention_names(conn, platform, texts)
    out: dict[int, ThreadView] = {}
    for tid, t in trows.items():
        asked = utc(t.asked_at) or _EPOCH
        shown = names[t.platform]
        out[tid] = ThreadView(
            thread_id=tid,
            platform=t.platform,
            channel_external_id=t.ch_ext,
            channel_name=t.ch_name,
            visibility=Visibility(t.visibility),
            root_external_id=t.root_external_id,
            asker_external_id=t.asker_external_id,
            title=mentions.render(t.title, shown),
            is_question=bool(t.is_question),
            asked_at=asked,
            last_activity_at=utc(t.last_activity_at) or asked,
            url=t.url,
            accepted_message_id=t.accepted_message_id,
            answers=tuple(
                replace(a, text=mentions.render(a.text, shown)) if "<@" in a.text else a for a in answers[tid]
            ),
            best_message_id=t.best_message_id,
        )
    return out


def mention_names(conn: Connection, platform: str, texts: Iterable[str]) -> dict[str, str]:
    """Names for the people mentioned in ``texts``: only those who may be named (not opted out)."""
    ids = mentions.mentioned(texts)
    if not ids:
        return {}
    return {i: p.display_name for i, p in find_people(conn, platform, ids).items() if not p.opted_out}


def render_mentions(conn: Connection, platform: str, text: str) -> str:
    """``text`` with its mentions named as :func:`mention_names` allows (the rest unnamed)."""
    return mentions.render(text, mention_names(conn, platform, [text]))


def find_thread_id(conn: Connection, platform: str, channel_external_id: str, root_external_id: str) -> int | None:
    query = (
        sa.select(threads.c.id)
        .join(channels, channels.c.id == threads.c.channel_id)
        .where(
            channels.c.platform == platform,
            channels.c.external_id == channel_external_id,
            threads.c.root_external_id == root_external_id,
        )
    )
    return conn.execute(query).scalar_one_or_none()


def thread_roots(conn: Connection, platform: str, channel_external_id: str) -> dict[int, str]:
    """Thread id -> root message id for every thread of one channel."""
    query = (
        sa.select(threads.c.id, threads.c.root_external_id)
        .join(channels, channels.c.id == threads.c.channel_id)
        .where(channels.c.platform == platform, channels.c.external_id == channel_external_id)
    )
    return {r.id: r.root_external_id for r in conn.execute(query)}


# --- channel switches ------------------------------------------------------------------------------


def set_auto_suggest(conn: Connection, channel_id: int, enabled: bool) -> None:
    conn.execute(channels.update().where(channels.c.id == channel_id).values(auto_suggest=enabled))


def auto_suggest(conn: Connection, platform: str, external_id: str) -> bool:
    """Whether Yorozu answers by itself in this channel (unknown channels: yes)."""
    value = conn.execute(
        sa.select(channels.c.auto_suggest).where(channels.c.platform == platform, channels.c.external_id == external_id)
    ).scalar_one_or_none()
    return True if value is None else bool(value)


# --- jobs ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobRow:
    id: int
    kind: str
    key: str | None
    payload: str
    attempts: int


def enqueue_job(conn: Connection, *, kind: str, payload: str, run_after: datetime, key: str | None) -> bool:
    """Add a job; with a ``key`` already used, nothing happens and ``False`` is returned."""
    if key is not None and conn.execute(sa.select(jobs.c.id).where(jobs.c.key == key)).first() is not None:
        return False
    try:
        with conn.begin_nested():
            conn.execute(jobs.insert().values(kind=kind, key=key, payload=payload, run_after=run_after, attempts=0))
    except sa.exc.IntegrityError:  # another process enqueued the same key at the same moment
        return False
    return True


def claim_jobs(
    conn: Connection, *, worker: str, kinds: Sequence[str], now: datetime, lease_seconds: float, limit: int
) -> list[JobRow]:
    """Claim due jobs for ``worker`` until the lease ends; each job goes to one worker at a time.

    The claim is a compare-and-set on each row, which holds on SQLite and PostgreSQL alike.
    """
    if not kinds:
        return []
    free = sa.or_(jobs.c.claimed_until.is_(None), jobs.c.claimed_until < now)
    due = sa.and_(jobs.c.done_at.is_(None), jobs.c.run_after <= now, jobs.c.kind.in_(list(kinds)), free)
    candidates = conn.execute(sa.select(jobs).where(due).order_by(jobs.c.run_after, jobs.c.id).limit(limit)).all()
    claimed = []
    until = now + timedelta(seconds=lease_seconds)
    for row in candidates:
        result = conn.execute(
            jobs.update()
            .where(jobs.c.id == row.id, due)
            .values(claimed_by=worker, claimed_until=until, attempts=jobs.c.attempts + 1)
        )
        if result.rowcount == 1:
            claimed.append(JobRow(row.id, row.kind, row.key, row.payload, row.attempts + 1))
    return claimed


def finish_job(conn: Connection, job_id: int, now: datetime) -> None:
    conn.execute(jobs.update().where(jobs.c.id == job_id).values(done_at=now, claimed_until=None, last_error=None))


def retry_job(conn: Connection, job_id: int, *, error: str, run_after: datetime | None) -> None:
    """Release a failed job to run again at ``run_after``; ``None`` gives up (it is kept, marked done)."""
    values: dict[str, object] = {"claimed_by": None, "claimed_until": None, "last_error": error[:2000]}
    if run_after is None:
        values["done_at"] = datetime.now(UTC)
    else:
        values["run_after"] = run_after
    conn.execute(jobs.update().where(jobs.c.id == job_id).values(**values))


def prune_receipts(conn: Connection, *, before: datetime) -> int:
    """Forget deliveries received before ``before`` (long past any platform's retries); returns how many."""
    return int(conn.execute(event_receipts.delete().where(event_receipts.c.received_at < before)).rowcount)


def prune_jobs(conn: Connection, *, before: datetime) -> int:
    """Delete jobs finished (done or given up) before ``before``; pending jobs stay. Returns how many."""
    where = sa.and_(jobs.c.done_at.is_not(None), jobs.c.done_at < before)
    return int(conn.execute(jobs.delete().where(where)).rowcount)


def job_counts(conn: Connection) -> dict[str, int]:
    pending = conn.execute(sa.select(sa.func.count()).select_from(jobs).where(jobs.c.done_at.is_(None))).scalar_one()
    failed = conn.execute(
        sa.select(sa.func.count()).select_from(jobs).where(jobs.c.done_at.is_not(None), jobs.c.last_error.is_not(None))
    ).scalar_one()
    return {"pending": int(pending), "failed": int(failed)}


# --- feedback --------------------------------------------------------------------------------------


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
) -> None:
    """Store one person's verdict on one suggestion; a second press replaces the first."""
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
    values = {"verdict": verdict, "created_at": now, "answer_external_id": answer_external_id, "resolved_at": None}
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
        )
    )


def feedback_counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(sa.select(feedback.c.verdict, sa.func.count()).group_by(feedback.c.verdict)).all()
    return {str(verdict): int(count) for verdict, count in rows}


# --- statistics ------------------------------------------------------------------------------------


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


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


# --- people: preferences, roles, subscriptions, organisation rules ---------------------------------

# The reserved pseudo-channel that holds the mirrors of FAQ entries (see knowledge/faq.py).
FAQ_PLATFORM = "faq"
FAQ_CHANNEL = "faq"


def set_opt_out(conn: Connection, platform: str, external_id: str, opted_out: bool) -> None:
    """Remember a person's choice; a person not seen yet gets a placeholder row so the choice holds."""
    updated = conn.execute(
        people.update()
        .where(people.c.platform == platform, people.c.external_id == external_id)
        .values(opted_out=opted_out)
    ).rowcount
    if not updated:
        conn.execute(
            people.insert().values(
                platform=platform, external_id=external_id, display_name=external_id, is_bot=False, opted_out=opted_out
            )
        )


def grant_role(conn: Connection, platform: str, external_id: str, role: str, granted_by: str | None) -> bool:
    """Store a role; ``False`` when the person already had it."""
    key = sa.and_(roles.c.platform == platform, roles.c.person_external_id == external_id, roles.c.role == role)
    if conn.execute(sa.select(roles.c.role).where(key)).first() is not None:
        return False
    conn.execute(
        roles.insert().values(
            platform=platform,
            person_external_id=external_id,
            role=role,
            granted_by=granted_by,
            created_at=datetime.now(UTC),
        )
    )
    return True


def revoke_role(conn: Connection, platform: str, external_id: str, role: str) -> bool:
    key = sa.and_(roles.c.platform == platform, roles.c.person_external_id == external_id, roles.c.role == role)
    return bool(conn.execute(roles.delete().where(key)).rowcount)


def stored_roles(conn: Connection) -> list[tuple[str, str, str, str | None]]:
    """(platform, person id, role, granted by) for every role granted by command."""
    query = sa.select(roles).order_by(roles.c.role, roles.c.platform, roles.c.person_external_id)
    return [(r.platform, r.person_external_id, r.role, r.granted_by) for r in conn.execute(query)]


def roles_of(conn: Connection, platform: str, external_id: str) -> set[str]:
    query = sa.select(roles.c.role).where(roles.c.platform == platform, roles.c.person_external_id == external_id)
    return set(conn.execute(query).scalars())


def add_subscription(conn: Connection, platform: str, external_id: str, topic: str) -> bool:
    key = sa.and_(
        subscriptions.c.platform == platform,
        subscriptions.c.person_external_id == external_id,
        subscriptions.c.topic == topic,
    )
    if conn.execute(sa.select(subscriptions.c.topic).where(key)).first() is not None:
        return False
    conn.execute(
        subscriptions.insert().values(
            platform=platform, person_external_id=external_id, topic=topic, created_at=datetime.now(UTC)
        )
    )
    return True


def remove_subscription(conn: Connection, platform: str, external_id: str, topic: str | None) -> int:
    """Remove one topic (or, with ``None``, all of a person's topics); returns how many went."""
    where = sa.and_(subscriptions.c.platform == platform, subscriptions.c.person_external_id == external_id)
    if topic is not None:
        where = sa.and_(where, subscriptions.c.topic == topic)
    return int(conn.execute(subscriptions.delete().where(where)).rowcount)


def all_subscriptions(conn: Connection, platform: str | None = None) -> list[tuple[str, str, str]]:
    """(platform, person id, topic), optionally of one platform."""
    query = sa.select(subscriptions).order_by(subscriptions.c.platform, subscriptions.c.person_external_id)
    if platform is not None:
        query = query.where(subscriptions.c.platform == platform)
    return [(r.platform, r.person_external_id, r.topic) for r in conn.execute(query)]


ORGANIZATION_RULE_KINDS = ("email_domain", "teams_tenant")


def set_organization_rule(conn: Connection, kind: str, value: str, organization: str) -> None:
    where = sa.and_(organization_rules.c.kind == kind, organization_rules.c.value == value)
    if not conn.execute(organization_rules.update().where(where).values(organization=organization)).rowcount:
        conn.execute(organization_rules.insert().values(kind=kind, value=value, organization=organization))


def remove_organization_rule(conn: Connection, kind: str, value: str) -> bool:
    where = sa.and_(organization_rules.c.kind == kind, organization_rules.c.value == value)
    return bool(conn.execute(organization_rules.delete().where(where)).rowcount)


def organization_rule_map(conn: Connection) -> dict[tuple[str, str], str]:
    """(kind, value) -> organisation, for every rule."""
    return {(r.kind, r.value): r.organization for r in conn.execute(sa.select(organization_rules))}


def resolve_organization(
    rules: Mapping[tuple[str, str], str], *, email: str | None, tenant_id: str | None
) -> str | None:
    """The organisation the rules give a person: the e-mail domain (or a parent domain) first, then the tenant."""
    if email and "@" in email:
        domain = email.rsplit("@", 1)[1].strip().lower()
        parts = domain.split(".")
        # "soumu.city.kitayama.lg.jp" matches a rule for "city.kitayama.lg.jp".
        for i in range(len(parts) - 1):
            found = rules.get(("email_domain", ".".join(parts[i:])))
            if found:
                return found
    if tenant_id:
        return rules.get(("teams_tenant", tenant_id.strip().lower()))
    return None


# --- FAQ entries -----------------------------------------------------------------------------------


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


def root_message(conn: Connection, thread_id: int) -> MessageRow | None:
    """A thread's root message (deleted or not)."""
    query = (
        sa.select(messages)
        .join(threads, threads.c.id == messages.c.thread_id)
        .where(threads.c.id == thread_id, messages.c.external_id == threads.c.root_external_id)
    )
    row = conn.execute(query).first()
    return None if row is None else _message_row(row)


# --- feedback: accepted answers, the review queue --------------------------------------------------


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


# --- questions asked: knowledge gaps, repeated questions, unanswered threads -----------------------


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


def recent_queries(conn: Connection, *, since: datetime, limit: int = 5000) -> list[QueryRow]:
    query = (
        sa.select(queries).where(queries.c.asked_at >= since).order_by(queries.c.asked_at.desc(), queries.c.id.desc())
    )
    out = []
    for r in conn.execute(query.limit(limit)):
        asked = utc(r.asked_at)
        assert asked is not None
        suggested = tuple(json.loads(r.suggested)) if r.suggested else ()
        out.append(
            QueryRow(
                r.id,
                r.platform,
                r.channel_external_id,
                r.question_message_id,
                r.question,
                bool(r.abstained),
                suggested,
                asked,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class QuestionRow:
    """A visible question thread's root, for insights."""

    thread_id: int
    platform: str
    channel_external_id: str
    channel_name: str | None
    root_external_id: str
    title: str
    text: str
    answer_count: int
    asked_at: datetime
    url: str | None


def question_threads(
    conn: Connection, *, since: datetime, unanswered_only: bool = False, limit: int = 5000
) -> list[QuestionRow]:
    """Visible chat question threads asked since ``since``, newest first (FAQ mirrors excluded)."""
    query = (
        sa.select(
            threads.c.id,
            threads.c.root_external_id,
            threads.c.title,
            threads.c.answer_count,
            threads.c.asked_at,
            threads.c.url,
            channels.c.platform,
            channels.c.external_id.label("ch_ext"),
            channels.c.name.label("ch_name"),
            messages.c.text,
        )
        .join(channels, channels.c.id == threads.c.channel_id)
        .join(
            messages,
            sa.and_(messages.c.thread_id == threads.c.id, messages.c.external_id == threads.c.root_external_id),
        )
        .where(
            threads.c.hidden.is_(False),
            threads.c.is_question.is_(True),
            channels.c.deleted.is_(False),
            channels.c.platform != FAQ_PLATFORM,
            threads.c.asked_at >= since,
        )
        .order_by(threads.c.asked_at.desc(), threads.c.id.desc())
        .limit(limit)
    )
    if unanswered_only:
        query = query.where(threads.c.answer_count == 0)
    out = []
    for r in conn.execute(query):
        asked = utc(r.asked_at)
        assert asked is not None
        # Insights name nobody, mentions included (knowledge.insights).
        title, text = mentions.render(r.title, {}), mentions.render(r.text, {})
        out.append(
            QuestionRow(
                r.id, r.platform, r.ch_ext, r.ch_name, r.root_external_id, title, text, r.answer_count, asked, r.url
            )
        )
    return out


# --- forgetting a person ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Erasure:
    """What forgetting one person changed: counts, and the threads whose derived state must be redone."""

    messages: int
    reactions: int
    feedback: int
    queries: int
    faq_entries: int
    faq_versions: int
    jobs: int
    person: bool
    threads: tuple[int, ...]


def erase_person(conn: Connection, platform: str, external_id: str) -> Erasure:
    """Erase one person's texts, name and e-mail from every table, in the caller's transaction.

    Their messages keep their rows (a late retry or a re-import of the same message then finds it and
    stores nothing) but lose text, author and link, as a deleted message does. Other people's messages
    are not touched. The caller re-derives the returned threads, which gives them new change numbers.
    """
    own = (
        sa.select(messages.c.id, messages.c.thread_id, messages.c.external_id, channels.c.external_id.label("ch"))
        .join(channels, channels.c.id == messages.c.channel_id)
        .where(channels.c.platform == platform, messages.c.author_external_id == external_id)
    )
    mine = conn.execute(own).all()
    threads_touched = {r.thread_id for r in mine}
    for chunk in _chunks([r.id for r in mine], 500):
        conn.execute(
            messages.update()
            .where(messages.c.id.in_(chunk))
            .values(text="", deleted=True, author_external_id=None, url=None)
        )
    reacted = conn.execute(
        sa.select(reactions.c.message_id, messages.c.thread_id)
        .join(messages, messages.c.id == reactions.c.message_id)
        .join(channels, channels.c.id == messages.c.channel_id)
        .where(channels.c.platform == platform, reactions.c.person_external_id == external_id)
    ).all()
    threads_touched.update(r.thread_id for r in reacted)
    for chunk in _chunks(sorted({r.message_id for r in reacted}), 500):
        conn.execute(
            reactions.delete().where(reactions.c.message_id.in_(chunk), reactions.c.person_external_id == external_id)
        )
    # Questions they asked, as logged with a feedback press (by anyone) or a query: by their message ids.
    asked_in = {(r.ch, r.external_id) for r in mine}
    feedback_gone = int(
        conn.execute(
            feedback.delete().where(feedback.c.platform == platform, feedback.c.person_external_id == external_id)
        ).rowcount
    )
    queries_gone = 0
    for channel_id, message_id in sorted(asked_in):
        conn.execute(
            feedback.update()
            .where(
                feedback.c.platform == platform,
                feedback.c.channel_external_id == channel_id,
                feedback.c.question_message_id == message_id,
            )
            .values(question="")
        )
        queries_gone += int(
            conn.execute(
                queries.delete().where(
                    queries.c.platform == platform,
                    queries.c.channel_external_id == channel_id,
                    queries.c.question_message_id == message_id,
                )
            ).rowcount
        )
    owned = conn.execute(
        faq_entries.update()
        .where(faq_entries.c.owner_platform == platform, faq_entries.c.owner_id == external_id)
        .values(owner_platform=None, owner_id=None)
    ).rowcount
    verified = conn.execute(
        faq_entries.update()
        .where(faq_entries.c.verified_by_platform == platform, faq_entries.c.verified_by_id == external_id)
        .values(verified_by_platform=None, verified_by_id=None, verified_by_name=None)
    ).rowcount
    versions = conn.execute(
        faq_versions.update().where(faq_versions.c.editor == f"{platform}:{external_id}").values(editor=None)
    ).rowcount
    # Jobs carry the person's id (and often their text) in their payload, as a JSON string.
    quoted = json.dumps(external_id)
    jobs_gone = int(conn.execute(jobs.delete().where(jobs.c.payload.contains(quoted, autoescape=True))).rowcount)
    conn.execute(
        feedback.update().where(feedback.c.resolved_by == f"{platform}:{external_id}").values(resolved_by=None)
    )
    conn.execute(roles.update().where(roles.c.granted_by == f"{platform}:{external_id}").values(granted_by=None))
    conn.execute(roles.delete().where(roles.c.platform == platform, roles.c.person_external_id == external_id))
    conn.execute(
        subscriptions.delete().where(
            subscriptions.c.platform == platform, subscriptions.c.person_external_id == external_id
        )
    )
    person = conn.execute(
        people.delete().where(people.c.platform == platform, people.c.external_id == external_id)
    ).rowcount
    # The indexes' vectors were made from texts that held theirs: they are made again from what is left.
    delete_embeddings(conn, sorted(threads_touched))
    return Erasure(
        messages=len(mine),
        reactions=len(reacted),
        feedback=feedback_gone,
        queries=queries_gone,
        faq_entries=int(owned) + int(verified),
        faq_versions=int(versions),
        jobs=jobs_gone,
        person=bool(person),
        threads=tuple(sorted(threads_touched)),
    )
