"""The background indexer runs at a lower CPU priority than request handling (Linux)."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest

from bot.service import INDEXER_NICENESS, KnowledgeService, lower_thread_priority
from knowledge.base import KnowledgeBase
from tests.conftest import MACRO_THREAD, community

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are Linux's")


def niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_lowering_changes_the_calling_thread_only_and_threads_it_starts_inherit_it() -> None:
    seen: dict[str, int] = {}

    def lowered() -> None:
        before = niceness()
        assert lower_thread_priority()
        seen["self"] = niceness() - before
        child = threading.Thread(target=lambda: seen.__setitem__("child", niceness() - before))
        child.start()
        child.join()

    main = niceness()
    worker = threading.Thread(target=lowered)
    worker.start()
    worker.join()
    assert seen == {"self": min(INDEXER_NICENESS, 19 - main), "child": min(INDEXER_NICENESS, 19 - main)}
    assert niceness() == main


async def test_the_indexer_embeds_at_the_lower_priority_and_questions_at_the_normal_one(kb: KnowledgeBase) -> None:
    service = KnowledgeService(kb)
    main = niceness()
    seen: list[int] = []
    sync = kb.sync

    def recording_sync() -> int:
        seen.append(niceness())
        return sync()

    kb.sync = recording_sync  # type: ignore[method-assign]
    async with service.running():
        await service.ingest(community()[0])
        for event in MACRO_THREAD:
            await service.ingest(event)
        for _ in range(200):
            if seen and kb.queued == (0, 0) and kb.indexed:
                break
            await asyncio.sleep(0.01)
        asked = await asyncio.to_thread(niceness)
    assert seen and set(seen) == {min(19, main + INDEXER_NICENESS)}
    assert asked == main
    assert kb.indexed == 1
