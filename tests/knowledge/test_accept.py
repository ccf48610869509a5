"""Accepting a platform request: delivery id, events and jobs in one transaction, all or nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from knowledge import ingest
from knowledge.base import KnowledgeBase
from knowledge.model import NewJob
from tests.conftest import MACRO_THREAD, community


def job_kinds(kb: KnowledgeBase) -> list[tuple[str, str | None]]:
    with kb.store.begin() as conn:
        return [(r.kind, r.key) for r in conn.exec_driver_sql("SELECT kind, key FROM jobs ORDER BY id")]


def test_a_request_stores_its_events_receipt_and_jobs_and_a_retry_does_nothing(kb: KnowledgeBase) -> None:
    kb.ingest_many(community())
    root = MACRO_THREAD[0]
    job = NewJob("slack.suggest", {"ts": root.message_id}, key="suggest:slack:C1:100.0")
    assert kb.accept([root], delivery="slack:Ev1", jobs=[job]) is True
    assert kb.stats().messages == 1
    assert ("slack.suggest", "suggest:slack:C1:100.0") in job_kinds(kb)
    before = job_kinds(kb)
    # Slack's retry of the same delivery, even with a different body: nothing is stored or enqueued.
    assert kb.accept([MACRO_THREAD[1]], delivery="slack:Ev1", jobs=[NewJob("slack.person", {"user": "U9"})]) is None
    assert kb.stats().messages == 1
    assert job_kinds(kb) == before
    # A request without a delivery id and an event that changes nothing: stored, nothing changed.
    assert kb.accept([root]) is False


def test_a_request_that_fails_leaves_no_receipt_no_events_and_no_jobs(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb.ingest_many(community())
    real = ingest.apply_in
    calls = []

    def fail_on_the_second(conn: sa.Connection, event: object) -> bool:
        calls.append(event)
        if len(calls) == 2:
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))
        return real(conn, event)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "apply_in", fail_on_the_second)
    before = job_kinds(kb)
    with pytest.raises(sa.exc.OperationalError):
        kb.accept(MACRO_THREAD[:2], delivery="teams:1", jobs=[NewJob("teams.suggest", {}, key="k")])
    assert kb.stats().messages == 0  # the first event was rolled back with the rest
    assert job_kinds(kb) == before
    monkeypatch.setattr(ingest, "apply_in", real)
    # The platform's retry is processed as a first delivery.
    assert kb.accept(MACRO_THREAD[:2], delivery="teams:1", jobs=[NewJob("teams.suggest", {}, key="k")]) is True
    assert kb.stats().messages == 2
    assert ("teams.suggest", "k") in job_kinds(kb)
