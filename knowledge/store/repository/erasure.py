"""Forgetting a person: every trace of them erased in one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge.store.repository.changes import delete_embeddings
from knowledge.store.repository.common import _chunks
from knowledge.store.repository.threads import find_thread_by_key
from knowledge.store.tables import (
    channels,
    faq_entries,
    faq_versions,
    feedback,
    jobs,
    messages,
    people,
    queries,
    reactions,
    roles,
    subscriptions,
)


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
    # Threads that learned a question of theirs as another wording: derived again without it, and their
    # vectors, made from a text holding it, dropped with the others below.
    threads_touched.update(
        _learned_from(conn, sa.and_(feedback.c.platform == platform, feedback.c.person_external_id == external_id))
    )
    for channel_id, message_id in asked_in:
        threads_touched.update(
            _learned_from(
                conn,
                sa.and_(
                    feedback.c.platform == platform,
                    feedback.c.channel_external_id == channel_id,
                    feedback.c.question_message_id == message_id,
                ),
            )
        )
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


def _learned_from(conn: Connection, where: sa.ColumnElement[bool]) -> set[int]:
    """Threads whose learned wordings come from the feedback rows matching ``where``."""
    learned = sa.and_(where, feedback.c.verdict == "solved", feedback.c.question != "")
    keys = {r.suggested_thread for r in conn.execute(sa.select(feedback.c.suggested_thread).where(learned))}
    return {thread_id for key in keys if (thread_id := find_thread_by_key(conn, key)) is not None}
