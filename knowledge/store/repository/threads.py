"""Reading threads: the light rows every candidate is ranked on, the full views of the best, question threads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge import mentions
from knowledge.errors import InvalidInput
from knowledge.model import Visibility, parse_thread_key
from knowledge.store.repository.common import FAQ_PLATFORM, utc
from knowledge.store.repository.messages import MessageRow, _message_row
from knowledge.store.repository.people import find_people
from knowledge.store.tables import channels, messages, threads


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


def find_thread_by_key(conn: Connection, key: str) -> int | None:
    """The thread a ``platform:channel:root`` reference names (a feedback row's, a button's); ``None`` when
    it is not stored or the reference is not one."""
    try:
        platform, channel_external_id, root_external_id = parse_thread_key(key)
    except InvalidInput:
        return None
    return find_thread_id(conn, platform, channel_external_id, root_external_id)


def shown_answer_id(conn: Connection, thread_id: int) -> str | None:
    """The message id of the answer a suggestion of this thread shows (accepted, else the most related
    reply): the one 解決した credits."""
    view = thread_views(conn, [thread_id]).get(thread_id)
    answer = view.shown_answer if view is not None else None
    return answer.external_id if answer is not None else None
