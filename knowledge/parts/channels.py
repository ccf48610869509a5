"""Channel switches, durable jobs and feedback on suggestions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from knowledge import ingest
from knowledge import insights as ins
from knowledge.model import Job, NewJob, Verdict, Visibility
from knowledge.parts.ingest import enqueue_in
from knowledge.state import KnowledgeState
from knowledge.store import repository as repo

# How long delivery receipts and finished jobs are kept (pruned by the worker, :meth:`Channels.prune`).
# Slack retries an event three times within about five minutes and Teams redelivers within minutes as
# well: a day is far past both, so a receipt older than that can only stop nothing.
RECEIPT_RETENTION = timedelta(days=1)
# Finished jobs (sent replies, follow-ups, failures given up on) hold the question's text in their
# payload; thirty days leave time to look into a failure and no longer.
JOB_RETENTION = timedelta(days=30)


class Channels(KnowledgeState):
    """What is stored per channel, the job queue, and people's verdicts on suggestions."""

    def set_auto_suggest(self, platform: str, channel_id: str, enabled: bool) -> None:
        """Switch automatic suggestions for new questions in a channel on or off."""
        with self.store.begin() as conn:
            channel = repo.find_channel(conn, platform, channel_id) or repo.upsert_channel(
                conn, platform=platform, external_id=channel_id
            )
            repo.set_auto_suggest(conn, channel.id, enabled)

    def auto_suggest(self, platform: str, channel_id: str) -> bool:
        with self.store.begin() as conn:
            return repo.auto_suggest(conn, platform, channel_id)

    def channel(self, platform: str, channel_id: str) -> repo.ChannelRow | None:
        """What is stored about one channel (``None`` when it is new)."""
        with self.store.begin() as conn:
            return repo.find_channel(conn, platform, channel_id)

    def set_reply_address(self, platform: str, channel_id: str, address: str) -> None:
        """Remember how to post into a channel later (for Teams: the Bot Connector's service URL and tenant)."""
        with self.store.begin() as conn:
            channel = repo.find_channel(conn, platform, channel_id) or repo.upsert_channel(
                conn, platform=platform, external_id=channel_id, visibility=Visibility.PRIVATE
            )
            if channel.reply_address != address:
                repo.set_reply_address(conn, channel.id, address)

    def workspace_channels(self, platform: str, workspace_id: str) -> list[repo.ChannelRow]:
        """The channels stored under a workspace (a Teams team, a Slack workspace), deleted ones included."""
        with self.store.begin() as conn:
            return repo.workspace_channels(conn, platform, workspace_id)

    def enqueue(
        self, kind: str, payload: Mapping[str, Any], *, key: str | None = None, run_after: datetime | None = None
    ) -> bool:
        """Store a job durably; ``False`` when a job with this ``key`` already exists."""
        with self.store.begin() as conn:
            return enqueue_in(conn, NewJob(kind, dict(payload), key=key, run_after=run_after), datetime.now(UTC))

    def claim_jobs(
        self, worker: str, kinds: Sequence[str], *, lease_seconds: float = 120, limit: int = 10
    ) -> list[Job]:
        """Due jobs of these kinds, now leased to ``worker`` (another process will not run them)."""
        with self.store.begin() as conn:
            rows = repo.claim_jobs(
                conn, worker=worker, kinds=kinds, now=datetime.now(UTC), lease_seconds=lease_seconds, limit=limit
            )
        return [Job(r.id, r.kind, r.key, json.loads(r.payload), r.attempts) for r in rows]

    def finish_job(self, job_id: int) -> None:
        with self.store.begin() as conn:
            repo.finish_job(conn, job_id, datetime.now(UTC))

    def retry_job(self, job_id: int, error: str, *, run_after: datetime | None) -> None:
        """Release a failed job to run again at ``run_after`` (``None``: give up, keeping the error)."""
        with self.store.begin() as conn:
            repo.retry_job(conn, job_id, error=error, run_after=run_after)

    def prune(self, *, now: datetime | None = None) -> tuple[int, int]:
        """Delete delivery receipts older than ``RECEIPT_RETENTION`` and jobs finished more than
        ``JOB_RETENTION`` ago; returns (receipts, jobs) deleted. Pending jobs are never pruned."""
        now = now or datetime.now(UTC)
        with self.store.begin() as conn:
            receipts = repo.prune_receipts(conn, before=now - RECEIPT_RETENTION)
            jobs = repo.prune_jobs(conn, before=now - JOB_RETENTION)
        return receipts, jobs

    def record_feedback(
        self,
        *,
        platform: str,
        channel_id: str | None,
        question_message_id: str | None,
        question: str,
        suggested_thread: str,
        person_id: str,
        verdict: Verdict,
    ) -> None:
        """Remember a person's verdict on a suggestion (pressing again replaces it).

        解決した on a thread records the answer it showed (accepted, else first) as the one that solved
        this question: that answer's author then counts as helpful in expert ranking, and the question
        joins the thread's document as another wording of it (:func:`knowledge.ingest.learned_wordings`;
        gone again when the verdict changes, the thread is deleted or the asker forgotten).
        役に立たなかった puts the question and the suggestion into the specialists' review queue
        (:meth:`~knowledge.base.KnowledgeBase.review_queue`).
        """
        verdict = Verdict(verdict)
        with self.store.begin() as conn:
            if not ins.recorded(self._place(conn, platform, channel_id)):
                question = ""  # pressed in a DM or a place Yorozu does not store: the verdict only
            thread_id = repo.find_thread_by_key(conn, suggested_thread)
            answer_id = None
            if verdict == Verdict.SOLVED and thread_id is not None:
                answer_id = repo.shown_answer_id(conn, thread_id)
            repo.record_feedback(
                conn,
                platform=platform,
                channel_external_id=channel_id,
                question_message_id=question_message_id,
                question=question,
                suggested_thread=suggested_thread,
                person_external_id=person_id,
                verdict=str(verdict),
                answer_external_id=answer_id,
            )
            ingest.solved_changed(conn, suggested_thread)
