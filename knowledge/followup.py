"""Follow-ups for unanswered questions: one job per question thread, scheduled when its root is stored.

The job is enqueued in the transaction that stores the root, keyed ``followup:{platform}:{channel}:{root}``
and of the platform's own kind (``slack.followup``, ``teams.followup``: a process serving one platform
never claims another's),
so it exists exactly when the question does, survives restarts, and several processes on one database
enqueue it once (the key is unique) and run it once (jobs are claimed with a lease). When it is due the
platform's job handler asks :meth:`knowledge.base.KnowledgeBase.followup_for` what to post — nothing when
the thread got a human reply or was deleted meanwhile.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from knowledge import events as ev
from knowledge.model import Visibility
from knowledge.store import repository as repo

DEFAULT_AFTER = timedelta(hours=24)


def job_kind(platform: str) -> str:
    """The follow-up job kind of one platform, claimed by that platform's job handler."""
    return f"{platform}.followup"


def job_key(platform: str, channel_id: str, root_id: str) -> str:
    return f"followup:{platform}:{channel_id}:{root_id}"


# A follow-up this far past its time is dropped rather than posted (see KnowledgeBase.followup_for).
LATE_AFTER = timedelta(days=2)


def schedule(conn: Connection, event: ev.Event, *, after: timedelta, now: datetime) -> bool:
    """Enqueue the follow-up for a newly stored question root; ``True`` when a job was added.

    Only roots that read as questions, in channels (not DMs), from people (not bots). A root whose
    follow-up time has already passed — history being imported — gets none: a follow-up months late
    would only be noise.
    """
    if not isinstance(event, ev.MessagePosted) or not event.is_root or event.is_bot:
        return False
    run_after = event.posted_at + after
    if run_after <= now:
        return False
    channel = repo.find_channel(conn, event.platform, event.channel_id)
    if channel is None or channel.platform == repo.FAQ_PLATFORM or channel.visibility == Visibility.DM:
        return False
    thread_id = repo.find_thread_id(conn, event.platform, event.channel_id, event.message_id)
    view = repo.thread_views(conn, [thread_id]).get(thread_id) if thread_id is not None else None
    if view is None or not view.is_question:
        return False
    if event.author_id is not None:
        author = repo.find_people(conn, event.platform, [event.author_id]).get(event.author_id)
        if author is not None and author.is_bot:  # an integration posting as a user, e.g. a reminder
            return False
    payload = {"platform": event.platform, "channel_id": event.channel_id, "root_id": event.message_id}
    return repo.enqueue_job(
        conn,
        kind=job_kind(event.platform),
        payload=json.dumps(payload, ensure_ascii=False),
        run_after=run_after,
        key=job_key(event.platform, event.channel_id, event.message_id),
    )
