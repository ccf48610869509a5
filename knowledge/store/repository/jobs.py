"""Durable jobs: enqueue, claim with a lease, finish, retry, prune."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge.store.tables import jobs


@dataclass(frozen=True, slots=True)
class JobRow:
    id: int
    kind: str
    key: str | None
    payload: str
    attempts: int


def enqueue_job(conn: Connection, *, kind: str, payload: str, run_after: datetime, key: str | None) -> bool:
    """Add a job; with a ``key`` already used, nothing happens and ``False`` is returned."""
    if key is not None and conn.execute(sa.select(jobs.c.id).where(jobs.c.key == key)).first() is not None:
        return False
    try:
        with conn.begin_nested():
            conn.execute(jobs.insert().values(kind=kind, key=key, payload=payload, run_after=run_after, attempts=0))
    except sa.exc.IntegrityError:  # another process enqueued the same key at the same moment
        return False
    return True


def claim_jobs(
    conn: Connection, *, worker: str, kinds: Sequence[str], now: datetime, lease_seconds: float, limit: int
) -> list[JobRow]:
    """Claim due jobs for ``worker`` until the lease ends; each job goes to one worker at a time.

    The claim is a compare-and-set on each row, which holds on SQLite and PostgreSQL alike.
    """
    if not kinds:
        return []
    free = sa.or_(jobs.c.claimed_until.is_(None), jobs.c.claimed_until < now)
    due = sa.and_(jobs.c.done_at.is_(None), jobs.c.run_after <= now, jobs.c.kind.in_(list(kinds)), free)
    candidates = conn.execute(sa.select(jobs).where(due).order_by(jobs.c.run_after, jobs.c.id).limit(limit)).all()
    claimed = []
    until = now + timedelta(seconds=lease_seconds)
    for row in candidates:
        result = conn.execute(
            jobs.update()
            .where(jobs.c.id == row.id, due)
            .values(claimed_by=worker, claimed_until=until, attempts=jobs.c.attempts + 1)
        )
        if result.rowcount == 1:
            claimed.append(JobRow(row.id, row.kind, row.key, row.payload, row.attempts + 1))
    return claimed


def finish_job(conn: Connection, job_id: int, now: datetime) -> None:
    conn.execute(jobs.update().where(jobs.c.id == job_id).values(done_at=now, claimed_until=None, last_error=None))


def retry_job(conn: Connection, job_id: int, *, error: str, run_after: datetime | None) -> None:
    """Release a failed job to run again at ``run_after``; ``None`` gives up (it is kept, marked done)."""
    values: dict[str, object] = {"claimed_by": None, "claimed_until": None, "last_error": error[:2000]}
    if run_after is None:
        values["done_at"] = datetime.now(UTC)
    else:
        values["run_after"] = run_after
    conn.execute(jobs.update().where(jobs.c.id == job_id).values(**values))


def prune_jobs(conn: Connection, *, before: datetime) -> int:
    """Delete jobs finished (done or given up) before ``before``; pending jobs stay. Returns how many."""
    where = sa.and_(jobs.c.done_at.is_not(None), jobs.c.done_at < before)
    return int(conn.execute(jobs.delete().where(where)).rowcount)


def job_counts(conn: Connection) -> dict[str, int]:
    pending = conn.execute(sa.select(sa.func.count()).select_from(jobs).where(jobs.c.done_at.is_(None))).scalar_one()
    failed = conn.execute(
        sa.select(sa.func.count()).select_from(jobs).where(jobs.c.done_at.is_not(None), jobs.c.last_error.is_not(None))
    ).scalar_one()
    return {"pending": int(pending), "failed": int(failed)}
