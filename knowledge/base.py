"""The knowledge base: the one facade the bot and the CLI use.

It owns the store (source of truth), the embedder and the two indexes (FAISS vectors and BM25). Ingest
writes facts to the store at once; :meth:`KnowledgeBase.sync` then embeds what changed and brings the
indexes up to date. The same catch-up runs at start, so an index file saved before a crash or by an older
process is brought forward rather than trusted, and several processes on one database see each other's
changes.

The knowledge base is synchronous and guards its embedder and indexes with one lock: the async shell
calls it from worker threads.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from knowledge import events as ev
from knowledge import ingest
from knowledge import search as s
from knowledge.embedding import Embedder
from knowledge.errors import EmbedderMismatch, InvalidQuestion
from knowledge.lexical import BM25Index
from knowledge.model import Expert, Job, Scope, SearchResult, Stats, Verdict
from knowledge.people import rank_experts
from knowledge.store import Store
from knowledge.store import repository as repo
from knowledge.vectors import IndexInfo, load_vector_index, new_vector_index, vector_bytes, vector_from_bytes

log = logging.getLogger(__name__)

EMBED_BATCH = 64
INDEX_FILE = "threads.faiss"
LEXICAL_FILE = "threads.bm25.npz"


@dataclass(frozen=True, slots=True)
class ExcludeThread:
    """The thread a question was asked in, never suggested back to it."""

    platform: str
    channel_id: str
    root_message_id: str


class KnowledgeBase:
    """Threads, people and their answers, searchable by meaning and by words."""

    def __init__(
        self,
        *,
        store: Store,
        embedder: Embedder,
        index_dir: Path | None,
        abstain_below: float | None = None,
        vector_index: str = "auto",
    ) -> None:
        self.store = store
        self.vector_index = vector_index
        self.embedder = embedder
        self.abstain_below = s.abstain_threshold(embedder.model_id) if abstain_below is None else abstain_below
        self._index_path = index_dir / INDEX_FILE if index_dir is not None else None
        self._lexical_path = index_dir / LEXICAL_FILE if index_dir is not None else None
        self._lock = threading.RLock()
        self._vectors = new_vector_index(vector_index, embedder.dimension)
        self._lexical = BM25Index()
        self._seq = 0
        self._dirty = False

    # --- lifecycle -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        database_url: str,
        embedder: Embedder,
        index_dir: Path | None,
        adopt_embedder: bool = False,
        abstain_below: float | None = None,
        vector_index: str = "auto",
    ) -> KnowledgeBase:
        """Open (creating or migrating) a knowledge base and bring its indexes up to date.

        Raises :class:`EmbedderMismatch` when the stored vectors come from another embedder, unless
        ``adopt_embedder`` (what ``yorozu reindex`` does): then the old vectors are dropped and every
        thread is embedded again with ``embedder``. ``vector_index`` is ``exact``, ``ivf`` or ``auto``
        (exact until the corpus is large; :mod:`knowledge.vectors`).
        """
        store = Store.open(database_url)
        kb = cls(
            store=store,
            embedder=embedder,
            index_dir=index_dir,
            abstain_below=abstain_below,
            vector_index=vector_index,
        )
        try:
            kb._check_embedder(adopt=adopt_embedder)
            kb._load_indexes()
        except BaseException:
            store.close()
            raise
        return kb

    def close(self) -> None:
        with self._lock:
            self.save_index()
            self.store.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_embedder(self, *, adopt: bool) -> None:
        with self.store.begin() as conn:
            stored = repo.get_meta(conn, "embedder")
            if stored is not None and stored != self.embedder.model_id:
                if not adopt:
                    raise EmbedderMismatch(stored, self.embedder.model_id)
                log.warning(
                    "switching embedder from %s to %s: re-embedding every thread", stored, self.embedder.model_id
                )
                repo.clear_embeddings(conn)
            if stored != self.embedder.model_id:
                repo.set_meta(conn, "embedder", self.embedder.model_id)

    def _load_indexes(self) -> None:
        """Load both index files (rebuilding a missing or stale one from the store), then catch up.

        Each index is at some change number; replaying the store's changes since the older of the two
        is harmless for the newer one (a change carries the thread's current document), so both end
        up at the store's head.
        """
        started = time.perf_counter()
        loaded = load_vector_index(self._index_path, self.vector_index) if self._index_path else None
        with self.store.begin() as conn:
            head = repo.current_change_seq(conn)
        if loaded is not None and loaded[1].model_id == self.embedder.model_id and loaded[1].change_seq <= head:
            self._vectors, info = loaded
            seq = info.change_seq
            log.info("loaded %d vectors from %s (change %d)", len(self._vectors), self._index_path, seq)
        else:
            if self._index_path is not None and self._index_path.exists():
                log.warning("index %s is stale or unreadable: rebuilding it from the store", self._index_path)
            self._rebuild_vectors()
            seq = head
        lexical = BM25Index.load(self._lexical_path) if self._lexical_path else None
        if lexical is not None and lexical[1] <= head:
            self._lexical, lexical_seq = lexical
            log.info("loaded %d documents from %s (change %d)", len(self._lexical), self._lexical_path, lexical_seq)
        else:
            if self._lexical_path is not None and self._lexical_path.exists():
                log.warning("index %s is stale or unreadable: rebuilding it from the store", self._lexical_path)
            self._lexical = BM25Index()
            with self.store.begin() as conn:
                self._lexical.add_many((doc.thread_id, doc.document) for doc in repo.iter_visible_documents(conn))
            lexical_seq = head
            self._dirty = True
        self._seq = min(seq, lexical_seq, head)
        self.sync()
        log.info("indexes ready in %.2fs: %d threads", time.perf_counter() - started, len(self._vectors))

    def _rebuild_vectors(self) -> None:
        """Rebuild the vector index from the store, embedding only documents without a stored vector."""
        self._vectors = new_vector_index(self.vector_index, self.embedder.dimension)
        # Clustered once, on every vector, rather than on the first few thousand (IvfIndex).
        with self._vectors.deferred_clustering(), self.store.begin() as conn:
            docs: list[repo.ThreadChange] = []
            for doc in repo.iter_visible_documents(conn):
                docs.append(doc)
                if len(docs) == 1000:
                    self._index_documents(docs, lexical=False)
                    docs = []
            self._index_documents(docs, lexical=False)
        self._dirty = True

    def reindex(self) -> int:
        """Re-embed every thread with the configured embedder and rewrite the index file."""
        with self._lock, self.store.begin() as conn:
            repo.clear_embeddings(conn)
            head = repo.current_change_seq(conn)
        with self._lock:
            self._rebuild_vectors()
            self._seq = head
            self.sync()
            self.save_index()
            return len(self._vectors)

    def save_index(self) -> None:
        """Write the vector and lexical indexes to the data directory if they changed since they were loaded."""
        with self._lock:
            if self._index_path is None or not self._dirty:
                return
            self._vectors.save(self._index_path, IndexInfo(self.embedder.model_id, self.embedder.dimension, self._seq))
            if self._lexical_path is not None:
                self._lexical.save(self._lexical_path, self._seq)
            self._dirty = False

    # --- ingest ----------------------------------------------------------------------------------

    def ingest(self, event: ev.Event) -> bool:
        """Store one event (one transaction). Indexes follow on the next :meth:`sync`."""
        return ingest.apply(self.store, event)

    def ingest_many(self, events: Iterable[ev.Event], *, batch: int = 500) -> tuple[int, int]:
        """Store many events, ``batch`` per transaction; returns (changed, unchanged)."""
        changed = unchanged = 0
        pending: list[ev.Event] = []

        def flush() -> None:
            nonlocal changed, unchanged
            with self.store.begin() as conn:
                for event in pending:
                    if ingest.apply_in(conn, event):
                        changed += 1
                    else:
                        unchanged += 1
            pending.clear()

        for event in events:
            pending.append(event)
            if len(pending) >= batch:
                flush()
        if pending:
            flush()
        return changed, unchanged

    def record_delivery(self, key: str) -> bool:
        """Remember a platform delivery id; ``False`` when it was already accepted (a retry)."""
        with self.store.begin() as conn:
            return repo.record_receipt(conn, key)

    def sync(self) -> int:
        """Embed and index every thread changed since the last sync; returns how many changed."""
        done = 0
        with self._lock:
            while True:
                with self.store.begin() as conn:
                    changes = repo.changes_since(conn, self._seq)
                if not changes:
                    return done
                visible = [c for c in changes if c.visible]
                gone = np.asarray([c.thread_id for c in changes if not c.visible], dtype=np.int64)
                self._vectors.remove(gone)
                for thread_id in gone.tolist():
                    self._lexical.remove(int(thread_id))
                self._index_documents(visible)
                self._seq = changes[-1].change_seq
                self._dirty = True
                done += len(changes)

    def _index_documents(self, docs: list[repo.ThreadChange], *, lexical: bool = True) -> None:
        if not docs:
            return
        model = self.embedder.model_id
        with self.store.begin() as conn:
            stored = repo.get_embeddings(conn, model, [d.thread_id for d in docs])
        vectors: dict[int, np.ndarray] = {}
        todo = []
        for doc in docs:
            hit = stored.get(doc.thread_id)
            if hit is not None and hit[0] == doc.document_hash:
                vectors[doc.thread_id] = vector_from_bytes(hit[1])
            else:
                todo.append(doc)
        for i in range(0, len(todo), EMBED_BATCH):
            chunk = todo[i : i + EMBED_BATCH]
            embedded = self.embedder.embed_documents([d.document for d in chunk])
            with self.store.begin() as conn:
                for doc, vector in zip(chunk, embedded, strict=True):
                    repo.put_embedding(conn, doc.thread_id, model, doc.document_hash, vector_bytes(vector))
                    vectors[doc.thread_id] = vector
        ids = np.asarray([d.thread_id for d in docs], dtype=np.int64)
        self._vectors.add(ids, np.vstack([vectors[d.thread_id] for d in docs]))
        if lexical:
            for doc in docs:
                self._lexical.add(doc.thread_id, doc.document)

    # --- questions -------------------------------------------------------------------------------

    def suggest(
        self,
        question: str,
        *,
        scope: Scope | None = None,
        exclude: ExcludeThread | None = None,
        limit: int = 3,
        abstain: bool = True,
        require_answer: bool = True,
        now: datetime | None = None,
    ) -> SearchResult:
        """Past threads that may answer ``question``, as seen from ``scope`` (public channels by default).

        With ``abstain`` (the default) only threads whose relevance passes the abstain rule are
        suggested, and an empty result is marked as abstained. ``require_answer`` leaves out threads
        nobody answered.
        """
        question = s.clean_question(question)
        if not question:
            raise InvalidQuestion("the question is empty")
        scope = scope or Scope.public()
        now = now or datetime.now(UTC)
        with self._lock:
            self.sync()
            query_vector = self.embedder.embed_queries([question])[0]
            candidates = s.retrieve(question, query_vector, self._vectors, self._lexical)
        candidates.sort(key=lambda c: c.relevance, reverse=True)
        if abstain:
            candidates = [c for c in candidates if c.relevance >= self.abstain_below]
        # Views are read best relevance first, a few at a time, and no further than can matter: a
        # thread's rank score is its relevance plus at most MAX_BONUS, so once `limit` threads are
        # ranked, a candidate whose relevance + MAX_BONUS is below the limit-th score cannot enter.
        batch = limit + 5
        with self.store.begin() as conn:
            ranked: list[tuple[float, float, repo.ThreadView]] = []
            for start in range(0, len(candidates), batch):
                if len(ranked) >= limit:
                    kth = sorted((r[0] for r in ranked), reverse=True)[limit - 1]
                    if candidates[start].relevance + s.MAX_BONUS < kth:
                        break
                chunk = candidates[start : start + batch]
                views = repo.thread_views(conn, [c.thread_id for c in chunk])
                for c in chunk:
                    view = views.get(c.thread_id)
                    if view is None or not s.allowed(view, scope):
                        continue
                    if exclude is not None and (
                        view.platform,
                        view.channel_external_id,
                        view.root_external_id,
                    ) == (exclude.platform, exclude.channel_id, exclude.root_message_id):
                        continue
                    if require_answer and not view.answers:
                        continue
                    ranked.append((s.rank_score(c.relevance, view, now), c.relevance, view))
            ranked.sort(key=lambda item: item[0], reverse=True)  # by rank score; each shows its relevance
            suggestions = tuple(
                s.build_suggestion(view, relevance, lambda platform, ids: repo.find_people(conn, platform, ids))
                for _, relevance, view in ranked[:limit]
            )
        return SearchResult(question=question, suggestions=suggestions, abstained=not suggestions)

    def nearest(self, question: str, *, mode: str, k: int) -> list[tuple[int, float]]:
        """Thread ids by one index alone (``dense`` or ``lexical``), with no access check: for evaluation."""
        question = s.clean_question(question)
        with self._lock:
            self.sync()
            if mode == "lexical":
                return self._lexical.search(question, k)
            if mode == "dense":
                return self._vectors.search(self.embedder.embed_queries([question])[0], k)
        raise ValueError(f"unknown mode {mode!r}")

    def experts(
        self, topic: str, *, scope: Scope | None = None, limit: int = 5, now: datetime | None = None
    ) -> list[Expert]:
        """People who answered questions similar to ``topic``, best first, with the evidence."""
        topic = s.clean_question(topic)
        if not topic:
            raise InvalidQuestion("the topic is empty")
        scope = scope or Scope.public()
        with self._lock:
            self.sync()
            query_vector = self.embedder.embed_queries([topic])[0]
            candidates = s.retrieve(topic, query_vector, self._vectors, self._lexical)
        relevant = [c for c in candidates if c.relevance >= self.abstain_below - s.EXPERT_MARGIN]
        with self.store.begin() as conn:
            views = repo.thread_views(conn, [c.thread_id for c in relevant])
            pairs = [
                (views[c.thread_id], c.relevance)
                for c in relevant
                if c.thread_id in views and s.allowed(views[c.thread_id], scope)
            ]
            people: dict[tuple[str, str], repo.PersonRow] = {}
            for platform in {v.platform for v, _ in pairs}:
                ids = [
                    a.author_external_id
                    for v, _ in pairs
                    if v.platform == platform
                    for a in v.answers
                    if a.author_external_id
                ]
                people.update({(platform, k): p for k, p in repo.find_people(conn, platform, ids).items()})
        return rank_experts(pairs, people, now=now or datetime.now(UTC), limit=limit)

    # --- channel switches, durable jobs, feedback -----------------------------------------------

    def set_auto_suggest(self, platform: str, channel_id: str, enabled: bool) -> None:
        """Switch automatic suggestions for new questions in a channel on or off."""
        with self.store.begin() as conn:
            channel = repo.find_channel(conn, platform, channel_id) or repo.upsert_channel(
                conn, platform=platform, external_id=channel_id
            )
            repo.set_auto_suggest(conn, channel.id, enabled)

    def auto_suggest(self, platform: str, channel_id: str) -> bool:
        with self.store.begin() as conn:
            return repo.auto_suggest(conn, platform, channel_id)

    def enqueue(
        self, kind: str, payload: Mapping[str, Any], *, key: str | None = None, run_after: datetime | None = None
    ) -> bool:
        """Store a job durably; ``False`` when a job with this ``key`` already exists."""
        with self.store.begin() as conn:
            return repo.enqueue_job(
                conn,
                kind=kind,
                payload=json.dumps(dict(payload), ensure_ascii=False),
                run_after=run_after or datetime.now(UTC),
                key=key,
            )

    def claim_jobs(
        self, worker: str, kinds: Sequence[str], *, lease_seconds: float = 120, limit: int = 10
    ) -> list[Job]:
        """Due jobs of these kinds, now leased to ``worker`` (another process will not run them)."""
        with self.store.begin() as conn:
            rows = repo.claim_jobs(
                conn, worker=worker, kinds=kinds, now=datetime.now(UTC), lease_seconds=lease_seconds, limit=limit
            )
        return [Job(r.id, r.kind, r.key, json.loads(r.payload), r.attempts) for r in rows]

    def finish_job(self, job_id: int) -> None:
        with self.store.begin() as conn:
            repo.finish_job(conn, job_id, datetime.now(UTC))

    def retry_job(self, job_id: int, error: str, *, run_after: datetime | None) -> None:
        """Release a failed job to run again at ``run_after`` (``None``: give up, keeping the error)."""
        with self.store.begin() as conn:
            repo.retry_job(conn, job_id, error=error, run_after=run_after)

    def record_feedback(
        self,
        *,
        platform: str,
        channel_id: str | None,
        question_message_id: str | None,
        question: str,
        suggested_thread: str,
        person_id: str,
        verdict: Verdict,
    ) -> None:
        """Remember a person's verdict on a suggestion (pressing again replaces it)."""
        with self.store.begin() as conn:
            repo.record_feedback(
                conn,
                platform=platform,
                channel_external_id=channel_id,
                question_message_id=question_message_id,
                question=question,
                suggested_thread=suggested_thread,
                person_external_id=person_id,
                verdict=str(verdict),
            )

    # --- facts -----------------------------------------------------------------------------------

    def stats(self) -> Stats:
        with self.store.begin() as conn:
            counts = repo.counts(conn)
            pending = len(repo.changes_since(conn, self._seq, limit=1_000_000))
            embedder = repo.get_meta(conn, "embedder")
        return Stats(indexed=len(self._vectors), pending=pending, embedder=embedder, **counts)

    @property
    def indexed(self) -> int:
        return len(self._vectors)
