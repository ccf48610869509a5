"""Storing what the platforms send: events, delivery receipts and the jobs a request brings, in one transaction.

The indexes follow on the next catch-up (:mod:`knowledge.index.catch_up`).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError

from knowledge import events as ev
from knowledge import followup, ingest
from knowledge.model import NewJob
from knowledge.state import KnowledgeState
from knowledge.store import repository as repo

log = logging.getLogger(__name__)

# Tries per request (or batch) when a concurrent transaction won a race: it inserted the same new row
# first, or PostgreSQL chose this one as the victim of a deadlock.
INGEST_ATTEMPTS = 5
# The longest first pause before trying again, doubled each time and drawn at random, so two transactions
# that deadlocked do not meet again at the same moment.
RETRY_PAUSE = 0.02


def pause_before_retry(attempt: int) -> None:
    time.sleep(random.uniform(0, RETRY_PAUSE * 2**attempt))


def concurrent(exc: DBAPIError) -> bool:
    """Whether a failed transaction lost a race another one won, so doing it again will succeed."""
    if isinstance(exc, IntegrityError):
        return True
    # PostgreSQL's deadlock_detected and serialization_failure.
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")


def enqueue_in(conn: Any, job: NewJob, now: datetime) -> bool:
    """Add ``job`` in the caller's transaction; ``False`` when a job with its key already exists."""
    return repo.enqueue_job(
        conn,
        kind=job.kind,
        payload=json.dumps(job.payload, ensure_ascii=False),
        run_after=job.run_after or now,
        key=job.key,
    )


class Ingest(KnowledgeState):
    """Events into the store, each request all or nothing."""

    def ingest(self, event: ev.Event) -> bool:
        """Store one event (one transaction). Indexes follow on the next :meth:`~knowledge.base.KnowledgeBase.sync`.

        A new question thread gets its follow-up job in the same transaction (:mod:`knowledge.followup`).
        """
        return bool(self.accept([event]))

    def accept(
        self, events: Sequence[ev.Event], *, delivery: str | None = None, jobs: Sequence[NewJob] = ()
    ) -> bool | None:
        """One incoming platform request in one transaction: its delivery id, its events and its jobs.

        ``None`` when ``delivery`` was accepted before (a platform's retry: nothing is done), else
        whether any event changed the store. All or nothing: an acknowledged request is stored with its
        jobs, and a failed one leaves no receipt behind, so the platform's retry is processed.
        """
        now = datetime.now(UTC)
        for attempt in range(INGEST_ATTEMPTS):
            try:
                with self.store.begin() as conn:
                    if delivery is not None and not repo.record_receipt(conn, delivery):
                        return None
                    changed = False
                    for event in events:
                        if ingest.apply_in(conn, event):
                            followup.schedule(conn, event, after=self.followup_after, now=now)
                            changed = True
                    for job in jobs:
                        enqueue_in(conn, job, now)
                    return changed
            except DBAPIError as exc:
                # Another worker created the same channel or thread row between this transaction's
                # read and its insert (a reply and its root arriving together), or recorded the same
                # delivery, or PostgreSQL broke a deadlock between two requests touching the same threads
                # in different orders. Applying is idempotent, so the retry finds the row (or the receipt).
                if not concurrent(exc) or attempt == INGEST_ATTEMPTS - 1:
                    raise
                log.debug("concurrent write while accepting a request; retrying")
                pause_before_retry(attempt)
        raise AssertionError("unreachable")

    def ingest_many(self, events: Iterable[ev.Event], *, batch: int = 500) -> tuple[int, int]:
        """Store many events, ``batch`` per transaction; returns (changed, unchanged)."""
        changed = unchanged = 0
        pending: list[ev.Event] = []

        def flush() -> None:
            nonlocal changed, unchanged
            for attempt in range(INGEST_ATTEMPTS):
                now = datetime.now(UTC)
                counts = [0, 0]
                try:
                    with self.store.begin() as conn:
                        for event in pending:
                            if ingest.apply_in(conn, event):
                                followup.schedule(conn, event, after=self.followup_after, now=now)
                                counts[0] += 1
                            else:
                                counts[1] += 1
                    break
                except DBAPIError as exc:  # a batch meeting live traffic on the same threads: all again
                    if not concurrent(exc) or attempt == INGEST_ATTEMPTS - 1:
                        raise
                    log.debug("concurrent write while storing a batch; retrying")
                    pause_before_retry(attempt)
            changed += counts[0]
            unchanged += counts[1]
            pending.clear()

        for event in events:
            pending.append(event)
            if len(pending) >= batch:
                flush()
        if pending:
            flush()
        return changed, unchanged

    def record_delivery(self, key: str) -> bool:
        """Remember a platform delivery id; ``False`` when it was already accepted (a retry)."""
        with self.store.begin() as conn:
            return repo.record_receipt(conn, key)

    def forget_delivery(self, key: str) -> None:
        """Forget a delivery id whose processing failed, so a retry of it is processed again."""
        with self.store.begin() as conn:
            repo.forget_receipt(conn, key)
