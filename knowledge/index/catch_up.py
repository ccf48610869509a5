"""Catching up: the store's change log brought into the two indexes, and the embedding queue.

Catching up has two speeds. *Applying* a change is cheap and happens at once, before every question:
a deleted or hidden thread leaves both indexes, the lexical index takes the new document, and a thread
whose current document already has a stored vector gets it. Only *embedding* is slow (~0.25 s per
document with the default embedder on two cores), so a thread whose document needs a new vector waits
in a queue: new threads (not suggestible at all yet) before threads that are already indexed (which
keep their old vector until the new one is made), repeated changes to one thread coalesced. The queue
is embedded a small batch at a time, and a question waits for one small batch at most. The change
number saved with the index files stays below the oldest queued change, so a restart redoes it.

Three locks, nested only in the order catch-up, embedder, indexes (so they cannot deadlock):
``_catch_up_lock`` lets one caller at a time work through the embedding queue; ``_lock`` owns the
embedder and is granted in arrival order (:class:`~knowledge.index.turn_lock.TurnLock`), so a question
queues behind one batch rather than behind the whole backlog; ``_index_lock`` guards the indexes and
change numbers and is held for applying changes and searching, never while embedding.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from knowledge.model import Stats
from knowledge.state import KnowledgeState
from knowledge.store import repository as repo
from knowledge.vectors import vector_bytes, vector_from_bytes

log = logging.getLogger(__name__)

# Documents embedded per turn of the embedder: a question waits for at most one such batch (two
# documents, one per core: ~0.25-0.5 s with the default embedder; docs/benchmarks.md).
EMBED_BATCH = 2
# Changes read per query while applying them.
APPLY_BATCH = 2000
# A question (suggest, experts) helps with the embedding queue when nobody else is working on it, as
# long as the next batch is expected to fit in this share: always with a fast embedder (the fake one of
# the tests: everything), never with the default e5 once its pace is known (~0.3 s per batch), which
# then leaves the queue to the indexer (`sync`) and answers from the indexes with every change applied.
QUESTION_EMBED_SECONDS = 0.1
# How long a question waits for a catch-up in progress elsewhere (the indexer) when what is queued is
# expected to fit in its share anyway: with a fast embedder the question then sees every thread stored
# before it; with e5 and anything queued it does not wait at all.
QUESTION_WAIT_SECONDS = 2.0


class CatchUp(KnowledgeState):
    """The indexes kept at the store's head: changes applied at once, documents embedded in small batches."""

    def sync(self) -> int:
        """Bring both indexes up to the store's head; returns how many changes were applied.

        Embeds the queue a small batch at a time, re-reading the store's changes between batches (new
        threads that arrive meanwhile go before re-embedding indexed ones) and releasing the locks in
        between, so questions are answered throughout. Returns when nothing is left to embed, or when
        the knowledge base is closing.
        """
        with self._catch_up_lock:
            return self._catch_up(budget=None)

    def _catch_up_for_question(self) -> None:
        """Before a question: apply every change at once; help embed the queue if nobody is and it is quick.

        A deleted thread is thus never found and edits are found by their words at once. A question
        waits for one small batch of embedding at most: the one in progress (the embedder's lock is
        granted in arrival order), or one of its own while the embedder's pace is not known yet. Only
        when the queue is expected to take less than its share does it wait for a catch-up that
        another thread is running (for at most ``QUESTION_WAIT_SECONDS``), then embed what is left.
        """
        if not self.embeds_documents:
            self._apply_changes()
            return
        with self._index_lock:
            queued = len(self._new) + len(self._stale)
        # A batch at least: between batches the queue can look empty while the indexer applies changes.
        quick = self._seconds_per_document * max(queued, EMBED_BATCH) < QUESTION_EMBED_SECONDS
        if self._catch_up_lock.acquire(timeout=QUESTION_WAIT_SECONDS if quick else 0):
            try:
                self._catch_up(budget=QUESTION_EMBED_SECONDS)
                return
            except Exception:
                # A document the embedder fails on must not fail questions: the indexer retries and logs it.
                log.exception("embedding queued documents failed; answering from the indexes as they are")
            finally:
                self._catch_up_lock.release()
        self._apply_changes()

    def _catch_up(self, *, budget: float | None) -> int:
        """Apply changes and embed queued documents in small batches until none are left, or until the
        next batch would take the embedding past ``budget`` seconds.

        Only embedding counts against the budget, by the embedder's measured pace, not the time the
        store took to apply changes: whether a question embeds the queue then depends on the embedder,
        not on how busy the machine is. The caller holds ``_catch_up_lock``.
        """
        applied = 0
        spent = 0.0
        while True:
            applied += self._apply_changes()
            if self._closing:
                return applied
            if not self.embeds_documents:
                self._adopt_stored()
                return applied
            with self._index_lock:
                batch = self._next_batch()
            if not batch:
                return applied
            if budget is not None and spent + self._seconds_per_document * len(batch) >= budget:
                return applied
            self._embed(batch)
            spent += self._seconds_per_document * len(batch)  # the embedder's own time (its measured pace)

    def _apply_changes(self) -> int:
        """Apply every change made since the last one applied; returns how many.

        A thread that is gone leaves both indexes (and the queue); a visible one gets its new document
        in the lexical index, and its vector from the store when the store holds one for this document;
        otherwise it is queued for embedding (it keeps its place when it was queued already).
        """
        count = 0
        with self._index_lock:
            while True:
                with self.store.begin() as conn:
                    changes = repo.changes_since(conn, self._applied, APPLY_BATCH)
                    visible = [c for c in changes if c.visible]
                    rows = repo.get_embeddings(conn, self.embedder.model_id, [c.thread_id for c in visible])
                stored = self._matching_vectors(visible, rows)
                if not changes:
                    self._lexical.commit_if_due()
                    return count
                gone = [c.thread_id for c in changes if not c.visible]
                self._vectors.remove(np.asarray(gone, dtype=np.int64))
                for thread_id in gone:
                    self._lexical.remove(thread_id)
                    self._new.pop(thread_id, None)
                    self._stale.pop(thread_id, None)
                ready: dict[int, np.ndarray] = {}
                for change in visible:
                    thread_id = change.thread_id
                    self._lexical.add(thread_id, change.document)
                    if thread_id in stored:
                        ready[thread_id] = stored[thread_id]
                        self._new.pop(thread_id, None)
                        self._stale.pop(thread_id, None)
                    elif thread_id in self._new or thread_id not in self._vectors:
                        self._new[thread_id] = change
                    elif thread_id not in rows:
                        # Its stored vector was dropped (a person forgotten): the old one, made from text
                        # that is gone, must not find the thread meanwhile.
                        self._vectors.remove(np.asarray([thread_id], dtype=np.int64))
                        self._stale.pop(thread_id, None)
                        self._new[thread_id] = change
                    else:
                        self._stale[thread_id] = change
                if ready:
                    self._vectors.add(
                        np.fromiter(ready, dtype=np.int64, count=len(ready)), np.vstack(list(ready.values()))
                    )
                self._applied = changes[-1].change_seq
                self._dirty = True
                count += len(changes)

    def _next_batch(self) -> list[repo.ThreadChange]:
        """The next documents to embed: new threads first, then indexed threads, oldest first."""
        batch: list[repo.ThreadChange] = []
        for queue in (self._new, self._stale):
            for change in queue.values():
                if len(batch) == EMBED_BATCH:
                    return batch
                batch.append(change)
        return batch

    def _embed(self, batch: list[repo.ThreadChange]) -> None:
        """Embed ``batch`` (holding only the embedder's lock) and store the vectors, then index those still
        wanted. A document whose vector another process sharing the database stored meanwhile is not
        embedded again."""
        model = self.embedder.model_id
        with self.store.begin() as conn:
            done = self._stored_vectors(conn, batch)
        todo = [c for c in batch if c.thread_id not in done]
        if todo:
            with self._lock:
                started = time.perf_counter()
                embedded = self.embedder.embed_documents([c.document for c in todo])
                pace = (time.perf_counter() - started) / len(todo)
            self._seconds_per_document = (
                pace if not self._seconds_per_document else (self._seconds_per_document + pace) / 2
            )
            with self.store.begin() as conn:
                for change, vector in zip(todo, embedded, strict=True):
                    repo.put_embedding(conn, change.thread_id, model, change.document_hash, vector_bytes(vector))
                    done[change.thread_id] = vector
        self._index_vectors(batch, done)

    def _adopt_stored(self) -> int:
        """Index the queued threads whose vectors another process has stored meanwhile; returns how many."""
        with self._index_lock:
            queued = [*self._new.values(), *self._stale.values()]
        adopted = 0
        for start in range(0, len(queued), APPLY_BATCH):
            batch = queued[start : start + APPLY_BATCH]
            with self.store.begin() as conn:
                found = self._stored_vectors(conn, batch)
            self._index_vectors([c for c in batch if c.thread_id in found], found)
            adopted += len(found)
        return adopted

    def _stored_vectors(self, conn: Any, changes: Sequence[repo.ThreadChange]) -> dict[int, np.ndarray]:
        """The vectors the store holds for these documents, by thread id (one made for an older text of a
        thread is not its vector)."""
        if not changes:
            return {}
        return self._matching_vectors(
            changes, repo.get_embeddings(conn, self.embedder.model_id, [c.thread_id for c in changes])
        )

    @staticmethod
    def _matching_vectors(
        changes: Sequence[repo.ThreadChange], stored: Mapping[int, tuple[str, bytes]]
    ) -> dict[int, np.ndarray]:
        """The stored vectors made for these changes' documents, by thread id."""
        return {
            c.thread_id: vector_from_bytes(hit[1])
            for c in changes
            if (hit := stored.get(c.thread_id)) is not None and hit[0] == c.document_hash
        }

    def _index_vectors(self, batch: list[repo.ThreadChange], vectors: dict[int, np.ndarray]) -> None:
        """Index the vectors of ``batch`` (made for those changes) for the threads still queued."""
        with self._index_lock:
            ids: list[int] = []
            keep: list[np.ndarray] = []
            for change in batch:
                vector = vectors[change.thread_id]
                thread_id = change.thread_id
                queued = self._new.get(thread_id) or self._stale.get(thread_id)
                if queued is None:
                    continue  # deleted meanwhile, or given a newer vector from the store
                ids.append(thread_id)
                keep.append(vector)
                if queued.change_seq == change.change_seq:
                    self._new.pop(thread_id, None)
                    self._stale.pop(thread_id, None)
                elif self._new.pop(thread_id, None) is not None:
                    # Changed again while embedding: suggestible now, with this vector until the next.
                    self._stale[thread_id] = queued
            if ids:
                self._vectors.add(np.asarray(ids, dtype=np.int64), np.vstack(keep))
                self._dirty = True

    @property
    def queued(self) -> tuple[int, int]:
        """Threads waiting for a vector: (new threads not suggestible yet, indexed threads to re-embed)."""
        with self._index_lock:
            return len(self._new), len(self._stale)

    def stats(self) -> Stats:
        """What the knowledge base holds, counted from the store (every process sharing it says the same;
        :data:`knowledge.model.STAT_MEANINGS` says what each number counts). ``pending`` is this process's
        own: changes it has not indexed yet."""
        with self.store.begin() as conn:
            counts = repo.counts(conn, self.embedder.model_id)
            pending = repo.count_changes_since(conn, self._applied)
            embedder = repo.get_meta(conn, "embedder")
        new, stale = self.queued
        return Stats(pending=pending + new + stale, embedder=embedder, **counts)

    @property
    def indexed(self) -> int:
        return len(self._vectors)
