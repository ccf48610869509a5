"""Events for one new thread or channel arriving at the same time (worker threads of the server, or several
replicas on one PostgreSQL): whoever inserts second meets a unique constraint and retries."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from knowledge import events as ev
from knowledge.base import KnowledgeBase
from tests.fakes import FakeEmbedder


def at_once(*work: Callable[[], object]) -> list[BaseException]:
    """Run each piece of ``work`` on its own thread, all released together; what they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(work))

    def run(one: Callable[[], object]) -> None:
        start.wait()
        try:
            one()
        except BaseException as exc:  # collected: the caller's assertion shows them
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(one,)) for one in work]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return errors


def test_concurrent_events_for_new_threads_and_channels_are_all_stored(database_url: str) -> None:
    kb = KnowledgeBase.open(database_url=database_url, embedder=FakeEmbedder(), index_dir=None)
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

    def worker(share: list[ev.MessagePosted]) -> None:
        for event in share:
            kb.ingest(event)

    errors = at_once(*(lambda share=events[i::8]: worker(share) for i in range(8)))
    try:
        assert errors == []
        assert kb.stats().messages == len(events)  # nothing lost
        assert kb.stats().threads == 40  # each thread derived from all its messages, none left hidden
    finally:
        kb.close()


def test_the_same_delivery_accepted_at_once_by_two_replicas_is_stored_once(database_url: str) -> None:
    """Two processes (two knowledge bases on one database) receive every delivery at the same moment, as
    when a platform retries a request a replica is still storing: each is stored and acknowledged once."""
    first = KnowledgeBase.open(database_url=database_url, embedder=FakeEmbedder(), index_dir=None)
    second = KnowledgeBase.open(database_url=database_url, embedder=FakeEmbedder(), index_dir=None)
    when = datetime(2026, 5, 1, tzinfo=UTC)
    deliveries = [
        (f"slack:Ev{t}", ev.MessagePosted("slack", f"C{t % 2}", f"{t}.0", "U0", f"質問{t}はどうしていますか", when))
        for t in range(30)
    ]
    accepted: dict[str, list[bool | None]] = {key: [] for key, _ in deliveries}

    def replica(kb: KnowledgeBase) -> None:
        for key, event in deliveries:
            accepted[key].append(kb.accept([event], delivery=key))

    errors = at_once(lambda: replica(first), lambda: replica(second))
    try:
        assert errors == []
        # Exactly one of the two accepted each delivery (True: stored); the other saw its receipt (None).
        assert {key: sorted(results, key=str) for key, results in accepted.items()} == {
            key: [None, True] for key, _ in deliveries
        }
        assert first.stats().messages == len(deliveries)
        with first.store.begin() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM event_receipts").scalar() == len(deliveries)
    finally:
        first.close()
        second.close()


def test_batches_touching_the_same_threads_in_opposite_orders_are_all_stored(database_url: str) -> None:
    """An import and live traffic updating the same threads in different orders: on PostgreSQL each
    transaction holds the threads it derived until commit, so two batches can deadlock. The database breaks
    the deadlock by failing one, and that one is done again: nothing is lost, nothing is raised."""
    kb = KnowledgeBase.open(database_url=database_url, embedder=FakeEmbedder(), index_dir=None)
    when = datetime(2026, 5, 1, tzinfo=UTC)
    kb.ingest_many(
        ev.MessagePosted("slack", "C1", f"{t}.0", "U0", f"質問{t}はどうしていますか", when) for t in range(30)
    )

    def replies(author: str) -> list[ev.MessagePosted]:
        return [
            ev.MessagePosted("slack", "C1", f"{t}.{author}", author, f"質問{t}への返信", when, thread_id=f"{t}.0")
            for t in range(30)
        ]

    def importer(events: list[ev.MessagePosted]) -> None:
        for _ in range(3):  # several rounds: the same replies again change nothing but still lock
            kb.ingest_many(events, batch=30)

    errors = at_once(lambda: importer(replies("U1")), lambda: importer(list(reversed(replies("U2")))))
    try:
        assert errors == []
        assert kb.stats().messages == 90
        with kb.store.begin() as conn:
            counts = conn.exec_driver_sql("SELECT answer_count FROM threads WHERE NOT hidden").scalars().all()
        assert sorted(counts) == [2] * 30  # every thread derived from both of its replies
    finally:
        kb.close()
