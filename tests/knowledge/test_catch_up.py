"""Catching up: changes apply at once, embedding waits in a queue, questions never wait for the backlog."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowledge import events as ev
from knowledge.base import EMBED_BATCH, INDEX_FILE, KnowledgeBase, TurnLock
from knowledge.embedding import Vectors
from knowledge.index import catch_up
from knowledge.store import Store, tables
from knowledge.vectors import load_vector_index
from tests.conftest import FAKE_ABSTAIN_BELOW, MACRO_THREAD, at, community, post
from tests.fakes import FakeEmbedder


class SlowEmbedder(FakeEmbedder):
    """The fake embedder at a real embedder's pace for documents (queries stay fast), recording what it embeds."""

    def __init__(self, seconds_per_document: float = 0.0, *, fail_after: int | None = None) -> None:
        super().__init__()
        self.seconds_per_document = seconds_per_document
        self.fail_after = fail_after
        self.documents: list[str] = []

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if self.fail_after is not None and len(self.documents) + len(texts) > self.fail_after:
            raise RuntimeError("the embedder died")
        time.sleep(self.seconds_per_document * len(texts))
        self.documents.extend(texts)
        return super().embed_documents(texts)


def open_kb(url: str, index_dir: Path | None, embedder: FakeEmbedder) -> KnowledgeBase:
    return KnowledgeBase.open(
        database_url=url, embedder=embedder, index_dir=index_dir, abstain_below=FAKE_ABSTAIN_BELOW
    )


def backlog(n: int) -> list[ev.Event]:
    """``n`` answered threads in channel C1, about the fictitious system n."""
    out: list[ev.Event] = []
    for i in range(n):
        root = f"{1000 + i}.0"
        out.append(post("C1", root, "U1", f"業務システム{i}号の更新手順はどうしていますか？", 5))
        out.append(post("C1", f"{1000 + i}.1", "U2", f"システム{i}号は業者に依頼しています。", 6, thread=root))
    return out


def found(kb: KnowledgeBase, question: str) -> list[str]:
    return [s.root_message_id for s in kb.suggest(question, abstain=False).suggestions]


def test_a_question_during_a_large_backlog_returns_promptly_and_hides_a_deleted_thread(
    database_url: str, tmp_path: Path
) -> None:
    embedder = SlowEmbedder()
    kb = open_kb(database_url, tmp_path, embedder)
    try:
        kb.ingest_many(community() + MACRO_THREAD)
        kb.sync()
        embedder.seconds_per_document = 0.05
        kb.ingest_many(backlog(200))  # 10 s of embedding
        kb.ingest(ev.MessageDeleted("slack", "C1", "100.0"))
        embedded_before = len(embedder.documents)
        indexer = threading.Thread(target=kb.sync)
        indexer.start()
        while len(embedder.documents) == embedded_before and indexer.is_alive():
            time.sleep(0.001)  # until the indexer is embedding the backlog
        result = kb.suggest("Excelマクロを保守できない", abstain=False)
        assert "100.0" not in [s.root_message_id for s in result.suggestions]  # deleted: gone at once
        # The answer came while most of the backlog was still queued: the question did not wait for it.
        assert kb.queued[0] > 100
        assert indexer.is_alive()
    finally:
        kb.close()  # stops the catch-up after its current batch
    indexer.join(timeout=5)
    assert not indexer.is_alive()


def test_a_question_embeds_one_small_batch_at_most_and_none_once_the_embedder_is_known_slow(
    database_url: str, tmp_path: Path
) -> None:
    embedder = SlowEmbedder(seconds_per_document=0.06)
    kb = open_kb(database_url, tmp_path, embedder)
    try:
        kb.ingest_many(community() + backlog(20))
        kb.suggest("業務システム3号の更新", abstain=False)
        assert len(embedder.documents) == EMBED_BATCH  # 0.12 s: past the question's share
        assert sum(kb.queued) == 20 - EMBED_BATCH
        kb.suggest("業務システム4号の更新", abstain=False)
        assert len(embedder.documents) == EMBED_BATCH  # the pace is known now: a batch would not fit
        kb.sync()
        assert kb.queued == (0, 0)
        assert kb.indexed == 20
    finally:
        kb.close()


def test_a_fast_embedder_leaves_nothing_behind_for_a_question(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    assert found(kb, "Excelマクロ") == ["100.0"]
    assert kb.queued == (0, 0)


def test_a_question_waits_for_a_quick_catch_up_in_progress_and_sees_every_thread_stored_before_it(
    database_url: str, tmp_path: Path
) -> None:
    embedder = SlowEmbedder(seconds_per_document=0.004)
    kb = open_kb(database_url, tmp_path, embedder)
    try:
        kb.ingest_many(community() + backlog(2))
        kb.sync()  # the pace is known now: 11 documents take ~0.05 s, within a question's share
        kb.ingest_many(backlog(12)[4:] + MACRO_THREAD)  # 10 new threads, the macro thread queued last
        indexer = threading.Thread(target=kb.sync)
        indexer.start()
        deadline = time.monotonic() + 5
        while len(embedder.documents) == 2 and time.monotonic() < deadline:
            time.sleep(0.001)  # until the indexer holds the catch-up and is embedding
        assert found(kb, "Excelマクロ")[:1] == ["100.0"]
        indexer.join(timeout=5)
    finally:
        kb.close()


def test_deletes_and_edits_apply_at_once_and_an_indexed_thread_keeps_its_vector_meanwhile(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = open_kb(database_url, tmp_path, SlowEmbedder())
    try:
        kb.ingest_many(community() + MACRO_THREAD + backlog(3))
        kb.sync()
        monkeypatch.setattr(catch_up, "QUESTION_EMBED_SECONDS", 0.0)  # questions only apply changes now
        kb.ingest(ev.MessageEdited("slack", "C1", "1001.0", "庁内無線LANの認証方式を教えてください", at(7)))
        kb.ingest(ev.MessageDeleted("slack", "C1", "1002.0"))
        hits = kb.nearest("無線LANの認証方式", mode="lexical", k=5)
        assert kb.stats().pending == 1  # the edited thread waits for its new vector
        assert kb.queued == (0, 1)
        assert hits[0][0] in {t for t, _ in kb.nearest("業務システム1号の更新手順", mode="dense", k=5)}
        assert kb.indexed == 3  # the old vector of 1001 stays; 1002 is gone from both indexes
        assert "1002.0" not in found(kb, "業務システム2号の更新手順")
        kb.sync()
        assert kb.queued == (0, 0)
        assert kb.stats().pending == 0
    finally:
        kb.close()


def test_new_threads_are_embedded_before_indexed_ones_are_re_embedded_and_updates_coalesce(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = SlowEmbedder()
    kb = open_kb(database_url, tmp_path, embedder)
    try:
        kb.ingest_many(community() + backlog(3))
        kb.sync()
        monkeypatch.setattr(catch_up, "QUESTION_EMBED_SECONDS", 0.0)
        for k in range(3):  # three more answers to thread 1000: one re-embedding
            kb.ingest(
                post("C1", f"1000.{k + 2}", "U3", f"追加の回答{k}です。手順書を共有します。", 7 + k, thread="1000.0")
            )
        kb.ingest(post("C1", "1001.2", "U4", "うちは保守業者に更新を任せています。", 8, thread="1001.0"))
        kb.ingest_many(
            [
                post("C1", "2000.0", "U1", "新しい質問です。電子申請の導入は？", 9),
                post("C1", "2001.0", "U2", "庁内LANの更新は？", 9),
            ]
        )
        kb.suggest("電子申請", abstain=False)  # applies the changes: two new threads, two indexed ones changed
        assert kb.queued == (2, 2)
        embedder.documents.clear()
        kb.sync()
        assert len(embedder.documents) == 4  # thread 1000 once, for its three new answers
        assert "電子申請" in embedder.documents[0] and "庁内LAN" in embedder.documents[1]  # new threads first
        assert "追加の回答1" in embedder.documents[2]  # the oldest update, with its latest answers
        assert "保守業者に更新を任せ" in embedder.documents[3]
    finally:
        kb.close()


def test_restart_after_a_partial_catch_up_loses_nothing(database_url: str, tmp_path: Path) -> None:
    embedder = SlowEmbedder(fail_after=8)
    kb = open_kb(database_url, tmp_path, embedder)
    kb.ingest_many(community() + backlog(20))
    with pytest.raises(RuntimeError, match="died"):
        kb.sync()  # the process dies while catching up: 8 threads embedded, 12 queued
    assert kb.indexed == 8
    kb.close()
    loaded = load_vector_index(tmp_path / INDEX_FILE, "auto")
    assert loaded is not None
    saved_index, info = loaded
    assert len(saved_index) == 8
    store = Store.open(database_url)
    try:
        with store.begin() as conn:
            rows = conn.execute(sa.select(tables.threads.c.id, tables.threads.c.change_seq)).all()
    finally:
        store.close()  # an engine left open leaks its connection (a ResourceWarning in a later test)
    # The number saved with the files is below every change whose vector was not made yet.
    assert info.change_seq < min(seq for thread_id, seq in rows if thread_id not in saved_index)
    again = SlowEmbedder()
    with open_kb(database_url, tmp_path, again) as kb:
        assert kb.indexed == 20
        assert kb.queued == (0, 0)
        assert len(again.documents) == 12  # what was embedded before is read from the store
        assert kb.stats().pending == 0
        assert found(kb, "業務システム17号の更新手順")[0] == "1017.0"


def test_replicas_on_one_database_embed_each_document_once(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = SlowEmbedder(), SlowEmbedder()
    a = open_kb(database_url, tmp_path / "a", first)
    b = open_kb(database_url, tmp_path / "b", second)
    try:
        monkeypatch.setattr(catch_up, "QUESTION_EMBED_SECONDS", 0.0)
        a.ingest_many(community() + backlog(6))
        a.suggest("業務システム", abstain=False)  # a has queued the six threads
        assert a.queued == (6, 0)
        b.sync()  # b embeds them and stores the vectors
        a.sync()  # a finds them in the store
        assert (len(first.documents), len(second.documents)) == (0, 6)
        assert a.indexed == b.indexed == 6
        b.ingest(ev.MessageDeleted("slack", "C1", "1003.0"))
        assert "1003.0" not in found(a, "業務システム3号の更新手順")  # a deletion by one replica, at once in the other
    finally:
        a.close()
        b.close()


def test_a_knowledge_base_that_embeds_no_documents_indexes_what_another_process_embeds(
    database_url: str, tmp_path: Path
) -> None:
    """The web role of `yorozu serve`: it stores and answers; the worker role embeds."""
    web_embedder, worker_embedder = SlowEmbedder(), SlowEmbedder()
    worker = open_kb(database_url, tmp_path / "worker", worker_embedder)
    worker.ingest_many(community() + backlog(3))
    worker.sync()
    web = KnowledgeBase.open(
        database_url=database_url,
        embedder=web_embedder,
        index_dir=tmp_path / "web",  # no index files yet: rebuilt from the store's vectors
        abstain_below=FAKE_ABSTAIN_BELOW,
        embeds_documents=False,
    )
    try:
        assert web.indexed == 3
        web.ingest_many(backlog(5)[3:])  # two new threads, stored by the web process
        found(web, "業務システム4号の更新手順")  # a question meanwhile is answered from what is indexed
        web.sync()
        assert web.queued == (2, 0) and web.stats().pending == 2  # waiting for the worker's vectors
        assert web_embedder.documents == []  # never embeds a thread, even when asked a question
        worker.sync()
        assert len(worker_embedder.documents) == 5
        web.sync()
        assert web.queued == (0, 0) and web.indexed == 5
        assert found(web, "業務システム4号の更新手順")[0] == "1004.0"
        web.ingest(ev.MessageEdited("slack", "C1", "1004.0", "業務システム4号の廃止時期はいつですか？", at(50)))
        web.sync()
        assert web.queued == (0, 1)  # indexed with its old vector until the worker embeds the edit
        worker.sync()
        web.sync()
        assert web.queued == (0, 0) and web_embedder.documents == []
        web.close()
        web = KnowledgeBase.open(  # a restart with thread vectors still to come: they stay queued
            database_url=database_url,
            embedder=web_embedder,
            index_dir=tmp_path / "web-2",
            abstain_below=FAKE_ABSTAIN_BELOW,
            embeds_documents=False,
        )
        web.ingest_many(backlog(6)[5:])
        web.close()
        web = KnowledgeBase.open(
            database_url=database_url,
            embedder=web_embedder,
            index_dir=tmp_path / "web-3",
            abstain_below=FAKE_ABSTAIN_BELOW,
            embeds_documents=False,
        )
        assert web.indexed == 5 and web.queued == (1, 0) and web_embedder.documents == []
        worker.sync()
        web.sync()
        assert web.indexed == 6 and web.queued == (0, 0)
    finally:
        web.close()
        worker.close()


def test_closing_during_a_catch_up_stops_it_and_the_next_start_finishes_it(database_url: str, tmp_path: Path) -> None:
    embedder = SlowEmbedder(seconds_per_document=0.02)
    kb = open_kb(database_url, tmp_path, embedder)
    kb.ingest_many(community() + backlog(100))
    indexer = threading.Thread(target=kb.sync)
    indexer.start()
    while not embedder.documents and indexer.is_alive():
        time.sleep(0.001)  # until the catch-up has embedded its first batch
    kb.close()
    indexer.join(timeout=5)
    assert not indexer.is_alive()
    assert len(embedder.documents) < 100  # it stopped part way
    with open_kb(database_url, tmp_path, SlowEmbedder()) as again:
        assert again.indexed == 100
        assert again.queued == (0, 0)


def test_turn_lock_serves_waiters_in_arrival_order() -> None:
    lock = TurnLock()
    order: list[str] = []
    lock.acquire()

    def waiter() -> None:
        with lock:
            order.append("waiter")

    thread = threading.Thread(target=waiter)
    thread.start()
    while lock._next_ticket < 2:  # the waiter has taken its ticket
        time.sleep(0.001)
    lock.release()
    with lock:  # asked again at once: the waiter, who asked first, goes first
        order.append("again")
    thread.join()
    assert order == ["waiter", "again"]
    with lock, lock:  # reentrant
        pass
    with pytest.raises(RuntimeError):
        lock.release()
