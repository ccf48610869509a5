"""Storing what the platforms send: events, delivery receipts and the jobs a request brings, in one transaction.

The indexes follow on the next catch-up (:mod:`knowledge.index.catch_up`).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from knowledge import events as ev
from knowledge import followup, ingest
from knowledge.model import NewJob
from knowledge.state import KnowledgeState
from knowledge.store import repository as repo

log = logging.getLogger(__name__)

T = TypeVar("T")

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

        def store(conn: Connection) -> bool | None:
            if delivery is not None and not repo.record_receipt(conn, delivery):
                return None
            changed = False
            for event in events:
                changed = self._apply(conn, event, now) or changed
            for job in jobs:
                enqueue_in(conn, job, now)
            return changed

        return self._in_turn(store)

    def ingest_many(self, events: Iterable[ev.Event], *, batch: int = 500) -> tuple[int, int]:
        """Store many events, ``batch`` per transaction; returns (changed, unchanged)."""
        changed = unchanged = 0
        pending: list[ev.Event] = []

        def flush() -> None:
            nonlocal changed, unchanged
            now = datetime.now(UTC)
            stored = self._in_turn(lambda conn: sum(self._apply(conn, event, now) for event in pending))
            changed += stored
            unchanged += len(pending) - stored
            pending.clear()

        for event in events:
            pending.append(event)
            if len(pending) >= batch:
                flush()
        if pending:
            flush()
        return changed, unchanged

    def _apply(self, conn: Connection, event: ev.Event, now: datetime) -> bool:
        """Apply one event; a new question thread gets its follow-up job. ``True`` when it changed anything."""
        if not ingest.apply_in(conn, event):
            return False
        followup.schedule(conn, event, after=self.followup_after, now=now)
        return True

    def _in_turn(self, work: Callable[[Connection], T]) -> T:
        """``work`` in one transaction, done again when it lost a race to another one.

        Another worker may create the same channel or thread row between this transaction's read and its
        insert (a reply and its root arriving together), or record the same delivery; PostgreSQL may break
        a deadlock between two transactions touching the same threads in different orders (a batch meeting
        live traffic). Applying events is idempotent, so doing it again finds the row (or the receipt).
        """
        for attempt in range(INGEST_ATTEMPTS):
            try:
                with self.store.begin() as conn:
                    return work(conn)
            except DBAPIError as exc:
                if not concurrent(exc) or attempt == INGEST_ATTEMPTS - 1:
                    raise
                log.debug("concurrent write while storing; retrying")
                pause_before_retry(attempt)
        raise AssertionError("unreachable")

    def record_delivery(self, key: str) -> bool:
        """Remember a platform delivery id; ``False`` when it was already accepted (a retry)."""
        with self.store.begin() as conn:
            return repo.record_receipt(conn, key)

    def forget_delivery(self, key: str) -> None:
        """Forget a delivery id whose processing failed, so a retry of it is processed again."""
        with self.store.begin() as conn:
            repo.forget_receipt(conn, key)
