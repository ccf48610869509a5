"""The job runner: runs each job once, retries failures with backoff, gives up on permanent errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.jobs import JobRunner, PermanentJobError, backoff
from bot.service import KnowledgeService
from knowledge.base import KnowledgeBase


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [5, 10, 20]
    assert backoff(30) == timedelta(minutes=10)


async def test_jobs_run_once_and_failures_retry_later(kb: KnowledgeBase) -> None:
    service = KnowledgeService(kb)
    seen: list[dict[str, Any]] = []
    failures = {"n": 1}

    async def reply(payload: dict[str, Any]) -> None:
        if failures["n"]:
            failures["n"] -= 1
            raise ConnectionError("connector unreachable")
        seen.append(payload)

    runner = JobRunner(service, {"test.reply": reply}, worker="w1")
    assert await service.enqueue("test.reply", {"channel": "C1"}, key="k1")
    assert await service.enqueue("test.reply", {"channel": "C1"}, key="k1") is False
    assert await runner.run_once() == 1  # fails, scheduled again in 5 s
    assert seen == [] and await runner.run_once() == 0
    with kb.store.begin() as conn:
        conn.exec_driver_sql("UPDATE jobs SET run_after = '2000-01-01 00:00:00'")
    assert await runner.run_once() == 1
    assert seen == [{"channel": "C1"}]
    assert await runner.run_once() == 0  # done: never again


async def test_permanent_errors_are_not_retried(kb: KnowledgeBase) -> None:
    service = KnowledgeService(kb)
    calls = []

    async def gone(payload: dict[str, Any]) -> None:
        calls.append(payload)
        raise PermanentJobError("the bot was removed from the team")

    runner = JobRunner(service, {"test.gone": gone})
    await service.enqueue("test.gone", {})
    assert await runner.run_once() == 1
    with kb.store.begin() as conn:
        conn.exec_driver_sql("UPDATE jobs SET run_after = '2000-01-01 00:00:00'")
    assert await runner.run_once() == 0
    assert len(calls) == 1


async def test_a_runner_leaves_other_kinds_of_jobs_alone(kb: KnowledgeBase) -> None:
    service = KnowledgeService(kb)
    await service.enqueue("someone.else", {})
    assert await JobRunner(service, {}).run_once() == 0
    assert len(kb.claim_jobs("other", ["someone.else"])) == 1
