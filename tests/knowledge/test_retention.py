"""Bounded retention: delivery receipts and finished jobs are pruned by age, by the worker (injected clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.jobs import JobRunner
from bot.service import KnowledgeService
from knowledge.base import JOB_RETENTION, RECEIPT_RETENTION, KnowledgeBase
from knowledge.store.tables import event_receipts, jobs


def _count(kb: KnowledgeBase, table: sa.Table) -> int:
    with kb.store.begin() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _jobs(kb: KnowledgeBase) -> list[str]:
    with kb.store.begin() as conn:
        return sorted(str(k) for k in conn.execute(sa.select(jobs.c.key)).scalars())


def _stage(kb: KnowledgeBase) -> datetime:
    """A receipt, a job done, a job given up on and a job still pending; returns when they were made."""
    start = datetime.now(UTC)
    assert kb.record_delivery("slack:Ev1")
    for key in ("done", "failed", "pending"):
        assert kb.enqueue("test.reply", {"text": "質問の本文"}, key=key)
    claimed = {j.key: j.id for j in kb.claim_jobs("w1", ["test.reply"])}
    kb.finish_job(claimed["done"])
    kb.retry_job(claimed["failed"], "ConnectionError: unreachable", run_after=None)  # given up: kept, done
    kb.retry_job(claimed["pending"], "ConnectionError: unreachable", run_after=start + timedelta(days=400))
    return start


def test_receipts_go_after_the_retry_window_and_finished_jobs_after_their_retention(kb: KnowledgeBase) -> None:
    start = _stage(kb)
    assert kb.prune(now=start + RECEIPT_RETENTION - timedelta(minutes=5)) == (0, 0)
    assert kb.record_delivery("slack:Ev1") is False  # within the platforms' retries: still a duplicate
    assert kb.prune(now=start + RECEIPT_RETENTION + timedelta(minutes=5)) == (1, 0)
    assert _count(kb, event_receipts) == 0 and _jobs(kb) == ["done", "failed", "pending"]
    assert kb.prune(now=start + JOB_RETENTION - timedelta(minutes=5)) == (0, 0)
    assert kb.prune(now=start + JOB_RETENTION + timedelta(minutes=5)) == (0, 2)
    assert _jobs(kb) == ["pending"]  # a job not finished is never pruned, however old
    assert kb.prune(now=start + timedelta(days=3650)) == (0, 0)


async def test_the_worker_prunes_once_per_interval_on_its_clock(kb: KnowledgeBase) -> None:
    start = _stage(kb)
    now = [start + JOB_RETENTION + timedelta(days=1)]
    runner = JobRunner(KnowledgeService(kb), {}, worker="w1", clock=lambda: now[0], prune_every=timedelta(hours=1))
    assert await runner.prune_if_due()  # at once when it starts
    assert _count(kb, event_receipts) == 0 and _jobs(kb) == ["pending"]
    assert kb.record_delivery("slack:Ev2")
    now[0] += timedelta(minutes=59)
    assert not await runner.prune_if_due()
    now[0] += timedelta(days=2)
    assert await runner.prune_if_due()
    assert _count(kb, event_receipts) == 0  # Ev2 was received (real time) long before this clock's now
