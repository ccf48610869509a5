"""Events for one new thread or channel arriving at the same time (worker threads of the server)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.store import sqlite_url
from tests.fakes import FakeEmbedder


def test_concurrent_events_for_new_threads_and_channels_are_all_stored(tmp_path: Path) -> None:
    kb = KnowledgeBase.open(database_url=sqlite_url(tmp_path), embedder=FakeEmbedder(), index_dir=None)
    when = datetime(2026, 5, 1, tzinfo=UTC)
    # Each thread's root and replies, each channel's first messages, all sent at once from 8 threads:
    # whoever comes first creates the channel and the thread row, the others must find them.
    events = [
        ev.MessagePosted("slack", f"C{t % 3}", f"{t}.{r}", f"U{r}", f"質問{t}への返信{r}", when, thread_id=f"{t}.0")
        if r
        else ev.MessagePosted("slack", f"C{t % 3}", f"{t}.0", "U0", f"質問{t}はどうしていますか", when)
        for t in range(40)
        for r in range(4)
    ]
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker(share: list[ev.MessagePosted]) -> None:
        start.wait()
        for event in share:
            try:
                kb.ingest(event)
            except BaseException as exc:  # collected: the assertion below shows them
                errors.append(exc)

    workers = [threading.Thread(target=worker, args=(events[i::8],)) for i in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    try:
        assert errors == []
        assert kb.stats().messages == len(events)
        assert kb.stats().threads == 40
    finally:
        kb.close()
