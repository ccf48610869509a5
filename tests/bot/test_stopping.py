"""Background loops stop when cancelled, even when woken in the same turn of the event loop.

On Python 3.11 ``asyncio.wait_for`` swallows a cancellation that arrives as the awaited event is set
(python/cpython#86296): the indexer or the job runner would then keep running after the app stopped.
"""

from __future__ import annotations

import asyncio

from bot.jobs import JobRunner
from bot.service import KnowledgeService, wait_event
from knowledge.base import KnowledgeBase


async def stops_when_woken_and_cancelled_together(loop_task: asyncio.Task[None], wake: asyncio.Event) -> bool:
    for _ in range(20):  # let it reach its wait
        await asyncio.sleep(0)
    wake.set()
    loop_task.cancel()
    done, _ = await asyncio.wait([loop_task], timeout=2)
    return bool(done) and loop_task.cancelled()


async def test_wait_event_passes_a_cancellation_on_when_the_event_is_set_in_the_same_turn() -> None:
    event = asyncio.Event()

    async def forever() -> None:
        while True:
            await wait_event(event, 5)
            event.clear()

    assert await stops_when_woken_and_cancelled_together(asyncio.create_task(forever()), event)


async def test_the_job_runner_and_the_indexer_stop_when_woken_and_cancelled_together(kb: KnowledgeBase) -> None:
    service = KnowledgeService(kb)
    runner = JobRunner(service, {"test.noop": lambda payload: asyncio.sleep(0)}, worker="w1", poll_seconds=5)
    assert await stops_when_woken_and_cancelled_together(asyncio.create_task(runner.run_forever()), runner._wake)
    indexer = asyncio.create_task(service._index_forever())
    await asyncio.sleep(0.2)  # the indexer is waiting for a wake-up
    assert await stops_when_woken_and_cancelled_together(indexer, service._wake)
