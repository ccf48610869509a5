"""Durable jobs, feedback and per-channel switches, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from knowledge.base import KnowledgeBase
from knowledge.model import Verdict
from knowledge.store.tables import feedback
from tests.conftest import FAKE_ABSTAIN_BELOW
from tests.fakes import FakeEmbedder


def replica(url: str) -> KnowledgeBase:
    return KnowledgeBase.open(
        database_url=url, embedder=FakeEmbedder(), index_dir=None, abstain_below=FAKE_ABSTAIN_BELOW
    )


def test_enqueue_with_a_key_is_idempotent(kb: KnowledgeBase) -> None:
    assert kb.enqueue("reply", {"text": "こんにちは"}, key="reply:C1:1.0") is True
    assert kb.enqueue("reply", {"text": "again"}, key="reply:C1:1.0") is False
    jobs = kb.claim_jobs("w1", ["reply"])
    assert [(j.kind, j.payload, j.attempts) for j in jobs] == [("reply", {"text": "こんにちは"}, 1)]


def test_a_job_goes_to_one_replica_and_runs_once(database_url: str) -> None:
    a, b = replica(database_url), replica(database_url)
    try:
        a.enqueue("follow-up", {"n": 1}, key="f1")
        first = a.claim_jobs("a", ["follow-up"])
        assert len(first) == 1
        assert b.claim_jobs("b", ["follow-up"]) == []  # leased to a
        a.finish_job(first[0].id)
        assert b.claim_jobs("b", ["follow-up"], lease_seconds=0) == []
    finally:
        a.close()
        b.close()


def test_a_crashed_workers_job_is_claimed_again_after_its_lease(database_url: str) -> None:
    a, b = replica(database_url), replica(database_url)
    try:
        a.enqueue("reply", {}, key="r1")
        assert len(a.claim_jobs("a", ["reply"], lease_seconds=-1)) == 1  # lease already over: a "crashed"
        again = b.claim_jobs("b", ["reply"])
        assert [j.attempts for j in again] == [2]
    finally:
        a.close()
        b.close()


def test_jobs_wait_for_their_time_and_failed_ones_retry(kb: KnowledgeBase) -> None:
    kb.enqueue("later", {}, run_after=datetime.now(UTC) + timedelta(hours=1))
    assert kb.claim_jobs("w", ["later"]) == []
    kb.enqueue("now", {})
    job = kb.claim_jobs("w", ["now"])[0]
    kb.retry_job(job.id, "connector said 503", run_after=datetime.now(UTC) - timedelta(seconds=1))
    retried = kb.claim_jobs("w", ["now"])
    assert [j.id for j in retried] == [job.id]
    kb.retry_job(job.id, "gave up", run_after=None)
    assert kb.claim_jobs("w", ["now"]) == []


def test_jobs_of_other_kinds_are_left_alone(kb: KnowledgeBase) -> None:
    kb.enqueue("slack.reply", {})
    assert kb.claim_jobs("w", ["teams.reply"]) == []
    assert len(kb.claim_jobs("w", ["slack.reply"])) == 1


def test_feedback_is_one_verdict_per_person_and_suggestion(kb: KnowledgeBase) -> None:
    common = {
        "platform": "slack",
        "channel_id": "C1",
        "question_message_id": "9.0",
        "question": "VPNが遅い",
        "suggested_thread": "slack:C1:1.0",
    }
    kb.record_feedback(**common, person_id="U1", verdict=Verdict.UNHELPFUL)
    kb.record_feedback(**common, person_id="U1", verdict=Verdict.SOLVED)
    kb.record_feedback(**common, person_id="U2", verdict=Verdict.SOLVED)
    with kb.store.begin() as conn:
        rows = conn.execute(sa.select(feedback.c.person_external_id, feedback.c.verdict).order_by(feedback.c.id)).all()
    assert [tuple(r) for r in rows] == [("U1", "solved"), ("U2", "solved")]


def test_auto_suggest_is_on_by_default_and_switchable(kb: KnowledgeBase, tmp_path: Path) -> None:
    assert kb.auto_suggest("teams", "19:abc@thread.tacv2") is True
    kb.set_auto_suggest("teams", "19:abc@thread.tacv2", False)
    assert kb.auto_suggest("teams", "19:abc@thread.tacv2") is False
    kb.set_auto_suggest("teams", "19:abc@thread.tacv2", True)
    assert kb.auto_suggest("teams", "19:abc@thread.tacv2") is True
