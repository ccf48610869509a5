"""Running durable jobs: replies and follow-ups that must survive a crash or a restart.

A platform handler stores the incoming event, enqueues a job (in the same database) and acknowledges.
The runner claims due jobs with a lease, so with several processes on one database each job runs once;
a job whose process died is claimed again when its lease ends. Failures retry with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.service import KnowledgeService, background, wait_event
from knowledge.base import KnowledgeBase
from knowledge.model import Job

log = logging.getLogger(__name__)

JobHandler = Callable[[dict[str, Any]], Awaitable[None]]

MAX_ATTEMPTS = 8
# How often the runner looks for due jobs when nothing woke it.
POLL_SECONDS = 2.0
LEASE_SECONDS = 120.0
# How often the worker prunes old delivery receipts and finished jobs (retention: knowledge.base).
PRUNE_EVERY = timedelta(hours=1)


class PermanentJobError(Exception):
    """A job that cannot succeed by retrying (e.g. the bot was removed from the conversation)."""


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s, ... at most 10 minutes."""
    return timedelta(seconds=min(600, 5 * 2 ** max(0, attempts - 1)))


class JobRunner:
    """Claims and runs jobs of the kinds it has handlers for."""

    def __init__(
        self,
        service: KnowledgeService,
        handlers: Mapping[str, JobHandler],
        *,
        worker: str | None = None,
        poll_seconds: float = POLL_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        prune_every: timedelta = PRUNE_EVERY,
    ) -> None:
        self.service = service
        self.handlers = dict(handlers)
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.poll_seconds = poll_seconds
        self.clock = clock
        self.prune_every = prune_every
        self._next_prune: datetime | None = None
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for jobs now rather than at the next poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim and run the jobs that are due now; returns how many ran."""
        if not self.handlers:
            return 0
        jobs = await self.service.run(
            KnowledgeBase.claim_jobs, self.worker, list(self.handlers), lease_seconds=LEASE_SECONDS
        )
        for job in jobs:
            await self._run(job)
        return len(jobs)

    async def prune_if_due(self) -> bool:
        """Prune old receipts and finished jobs when ``prune_every`` has passed since the last time (at
        once on the first call); ``True`` when it pruned."""
        now = self.clock()
        if self._next_prune is not None and now < self._next_prune:
            return False
        self._next_prune = now + self.prune_every
        receipts, jobs = await self.service.run(KnowledgeBase.prune, now=now)
        if receipts or jobs:
            log.info("pruned %d delivery receipts and %d finished jobs", receipts, jobs)
        return True

    async def _run(self, job: Job) -> None:
        handler = self.handlers[job.kind]
        try:
            await handler(job.payload)
        except PermanentJobError as exc:
            log.warning("job %s (%s) cannot succeed: %s", job.id, job.kind, exc)
            await self.service.run(KnowledgeBase.retry_job, job.id, str(exc), run_after=None)
        except Exception as exc:
            give_up = job.attempts >= MAX_ATTEMPTS
            log.exception(
                "job %s (%s) failed on attempt %d%s", job.id, job.kind, job.attempts, "; giving up" if give_up else ""
            )
            run_after = None if give_up else datetime.now(UTC) + backoff(job.attempts)
            await self.service.run(KnowledgeBase.retry_job, job.id, f"{type(exc).__name__}: {exc}", run_after=run_after)
        else:
            await self.service.run(KnowledgeBase.finish_job, job.id)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.prune_if_due()
            except Exception:  # never a reason to stop running jobs
                log.exception("could not prune old receipts and jobs; retrying later")
            try:
                ran = await self.run_once()
            except Exception:  # the database may be briefly unreachable: keep going
                log.exception("could not claim jobs; retrying")
                ran = 0
            if ran:
                continue
            await wait_event(self._wake, self.poll_seconds)
            self._wake.clear()

    def running(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Run jobs in the background for the duration of the block."""
        return background(self.run_forever(), name="yorozu-jobs")
