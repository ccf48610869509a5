"""The one bridge from the async shell into the synchronous knowledge base.

Every call crosses into a worker thread (``asyncio.to_thread``); the knowledge base guards its embedder
and indexes with its own lock. Ingest stores an event durably and returns; a background indexer embeds
and indexes what changed, so a platform's acknowledgement never waits for the embedder.

The indexer runs on a thread of its own at a lower CPU priority (Linux: ``nice`` +10 for that thread,
inherited by the embedder's OpenMP threads it starts). Embedding a backlog keeps every core busy; at
the lower priority it takes only what acknowledging requests and answering questions leave, instead of
an equal share (measured with ``scripts/load_test.py``: docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from bot.settings import Settings
from knowledge.base import ExcludeThread, KnowledgeBase
from knowledge.embedding import Embedder, build_embedder
from knowledge.errors import StorageError
from knowledge.events import Event
from knowledge.model import (
    NewJob,
    Role,
    Scope,
    SearchResult,
)

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# How long stopping waits for a background task (the indexer, the job runner) to end.
STOP_SECONDS = 10.0

# How often the indexer looks for changes made by other processes sharing the database.
POLL_SECONDS = 5.0
# A knowledge base that embeds no thread (the web role) looks for the vectors the worker stored this often.
FOLLOW_SECONDS = 1.0

# How much the indexer's thread lowers its CPU priority (``nice`` increment: 0 normal, 19 lowest).
INDEXER_NICENESS = 10
# A worker process (`serve --role worker`) runs everything this much lower than the web process beside it,
# so acknowledging deliveries there always comes first; its indexer goes lower still (INDEXER_NICENESS).
WORKER_NICENESS = 10


async def run_blocking(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking work (SQL, embedding) in a worker thread."""
    return await asyncio.to_thread(func, *args, **kwargs)


@contextlib.asynccontextmanager
async def background(work: Coroutine[Any, Any, None], *, name: str) -> AsyncIterator[None]:
    """Run ``work`` as a task for the duration of the block; cancel it and wait for it at the end."""
    task = asyncio.create_task(work, name=name)
    try:
        yield
    finally:
        task.cancel()
        # Bounded: a task stuck where cancellation cannot reach must not hold up the shutdown.
        done, _ = await asyncio.wait([task], timeout=STOP_SECONDS)
        if not done:
            log.warning("%s did not stop within %.0f s; leaving it", name, STOP_SECONDS)
        elif not task.cancelled() and task.exception() is not None:
            log.error("%s ended with an error", name, exc_info=task.exception())


async def wait_event(event: asyncio.Event, timeout: float) -> None:
    """Wait until ``event`` is set, at most ``timeout`` seconds.

    ``asyncio.timeout``, not ``asyncio.wait_for``: on Python 3.11 ``wait_for`` can swallow a cancellation
    that arrives in the same turn of the loop as the event (python/cpython#86296, fixed in 3.12), and a
    background loop waiting this way would then outlive its stop.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await event.wait()


def lower_thread_priority(increment: int = INDEXER_NICENESS) -> bool:
    """Lower the calling thread's CPU priority by ``increment``; threads it starts inherit it.

    Linux only: there a thread is a task with its own nice value (``setpriority`` on its thread id).
    Elsewhere the same call would change the whole process, so nothing is done. ``False`` when the
    priority was left as it was.
    """
    if sys.platform != "linux" or increment <= 0:
        return False
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + increment))
    except OSError as exc:  # a sandbox may forbid it: run at normal priority
        log.info("could not lower the indexer's priority: %s", exc)
        return False
    return True


def open_knowledge_base(
    settings: Settings, *, embedder: Embedder | None = None, adopt_embedder: bool = False
) -> KnowledgeBase:
    """Open the knowledge base that ``settings`` describe, creating the data directory."""
    make_data_dir(settings.data_dir)
    return KnowledgeBase.open(
        database_url=settings.database_url,
        embedder=embedder or build_embedder(settings.embedder),
        index_dir=settings.index_dir,
        adopt_embedder=adopt_embedder,
        abstain_below=settings.abstain_below,
        vector_index=settings.vector_index,
        roles=[(p, i, Role.ADMIN) for p, i in settings.admins]
        + [(p, i, Role.SPECIALIST) for p, i in settings.specialists],
        followup_after=settings.followup_after,
        embeds_documents=settings.does_background_work,
    )


def make_data_dir(path: Path) -> None:
    """Create the data folder, or say in one line why it cannot be (a file there, no permission)."""
    if path.exists() and not path.is_dir():
        raise StorageError(
            f"the data folder {path} is a file, not a folder: give a folder with --data-dir (YOROZU_DATA_DIR)",
            key="error_data_dir_is_file",
            params={"path": path},
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StorageError(
            f"cannot create the data folder {path} ({reason}): give a writable folder with --data-dir "
            "(YOROZU_DATA_DIR)",
            key="error_data_dir_cannot_create",
            params={"path": path, "reason": reason},
        ) from exc


class KnowledgeService:
    """The one bridge from the shell (the platforms, the web chat, the console, the job runner) into the
    :class:`KnowledgeBase`: :meth:`run` for any of its calls, a few methods that do more than cross into
    a worker thread, and the background indexer."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._wake = asyncio.Event()
        # Set by the app to wake the job runner when a job is enqueued.
        self.on_enqueue: Callable[[], None] | None = None

    async def run(self, work: Callable[Concatenate[KnowledgeBase, P], T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``work(kb, *args, **kwargs)`` in a worker thread: how the shell reaches the knowledge base.

        ``work`` is a :class:`KnowledgeBase` method (``service.run(KnowledgeBase.is_curator, "slack", "U1")``)
        or a function of the knowledge base that makes several calls in one hop (a console page). Only what
        does more than cross into the thread has a method of its own here: storing (wakes the indexer and
        the job runner), suggesting, waiting for the index.
        """
        kb = self.kb
        return await run_blocking(lambda: work(kb, *args, **kwargs))

    async def ingest(self, event: Event) -> bool:
        """Store an event durably; indexing follows in the background."""
        return bool(await self.accept([event]))

    async def accept(
        self, events: Sequence[Event], *, delivery: str | None = None, jobs: Sequence[NewJob] = ()
    ) -> bool | None:
        """A platform request's delivery id, events and jobs, stored in one transaction (one worker
        thread hop); ``None`` when the delivery was accepted before. Wakes the indexer and the job runner."""
        changed = await run_blocking(self.kb.accept, list(events), delivery=delivery, jobs=list(jobs))
        if changed:
            self._wake.set()
        if changed is not None and jobs and self.on_enqueue is not None:
            self.on_enqueue()
        return changed

    async def suggest(
        self,
        question: str,
        *,
        scope: Scope | None = None,
        exclude: ExcludeThread | None = None,
        limit: int = 3,
        record: bool = True,
        automatic: bool = False,
    ) -> SearchResult:
        """Suggestions for a question asked in chat; ``record`` logs it for insights (knowledge gaps,
        helpfulness): a redraw of the same message (``exclude``) updates its log row rather than adding one.
        ``automatic`` for a suggestion nobody asked for (a new post in a channel): precision-first."""
        return await run_blocking(
            self.kb.suggest, question, scope=scope, exclude=exclude, limit=limit, record=record, automatic=automatic
        )

    async def enqueue(
        self, kind: str, payload: Mapping[str, Any], *, key: str | None = None, run_after: datetime | None = None
    ) -> bool:
        """Store a job durably (reply, follow-up); the job runner picks it up."""
        added = await run_blocking(self.kb.enqueue, kind, payload, key=key, run_after=run_after)
        if added and self.on_enqueue is not None:
            self.on_enqueue()
        return added

    async def set_auto_suggest(self, platform: str, channel_id: str, enabled: bool) -> None:
        """The channel switch (``on`` / ``off``): whether Yorozu suggests there by itself."""
        await self.run(KnowledgeBase.set_auto_suggest, platform, channel_id, enabled)

    async def wait_indexed(self) -> None:
        """Wait until everything ingested so far is searchable (tests and the demo use it)."""
        await run_blocking(self.kb.sync)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the background indexer for the duration of the block, then save the index."""
        async with background(self._index_forever(), name="yorozu-indexer"):
            yield
        await run_blocking(self.kb.save_index)

    async def _index_forever(self) -> None:
        loop = asyncio.get_running_loop()
        # The indexer's own thread, at a lower priority; owned by this loop, so no round of indexing
        # ever runs anywhere else. A sync still running when the loop is stopped ends at its next batch.
        thread = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="yorozu-indexer", initializer=lower_thread_priority
        )
        try:
            while True:
                await wait_event(self._wake, POLL_SECONDS if self.kb.embeds_documents else FOLLOW_SECONDS)
                self._wake.clear()
                await self._index_once(loop, thread)
        finally:
            thread.shutdown(wait=False, cancel_futures=True)

    async def _index_once(self, loop: asyncio.AbstractEventLoop, thread: ThreadPoolExecutor) -> None:
        try:
            count = await loop.run_in_executor(thread, self.kb.sync)
            if count:
                log.info("indexed %d changed threads", count)
        except Exception:  # keep indexing; the store still holds every event for the next round
            log.exception("indexing failed; will retry")
            await asyncio.sleep(POLL_SECONDS)
            self._wake.set()
