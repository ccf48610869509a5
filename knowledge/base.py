"""The knowledge base: the one facade the bot and the CLI use.

It owns the store (source of truth), the embedder and the two indexes (FAISS vectors and BM25). Ingest
writes facts to the store at once; :meth:`KnowledgeBase.sync` then embeds what changed and brings the
indexes up to date. The same catch-up runs at start, so an index file saved before a crash or by an older
process is brought forward rather than trusted, and several processes on one database see each other's
changes.

Catching up has two speeds. *Applying* a change is cheap and happens at once, before every question:
a deleted or hidden thread leaves both indexes, the lexical index takes the new document, and a thread
whose current document already has a stored vector gets it. Only *embedding* is slow (~0.25 s per
document with the default embedder on two cores), so a thread whose document needs a new vector waits
in a queue: new threads (not suggestible at all yet) before threads that are already indexed (which
keep their old vector until the new one is made), repeated changes to one thread coalesced. The queue
is embedded a small batch at a time, and a question waits for one small batch at most. The change
number saved with the index files stays below the oldest queued change, so a restart redoes it.

The knowledge base is synchronous; the async shell calls it from worker threads. Three locks, nested
only in the order catch-up, embedder, indexes (so they cannot deadlock): ``_catch_up_lock`` lets one
caller at a time work through the embedding queue; ``_lock`` owns the embedder and is granted in
arrival order, so a question queues behind one batch rather than behind the whole backlog;
``_index_lock`` guards the indexes and change numbers and is held for applying changes and searching,
never while embedding.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.exc import DBAPIError, IntegrityError

from knowledge import events as ev
from knowledge import faq, followup, ingest, mentions
from knowledge import insights as ins
from knowledge import search as s
from knowledge.confidence import Calibration, Signals, default_for
from knowledge.embedding import Embedder
from knowledge.errors import (
    EmbedderMismatch,
    ImportFailed,
    InvalidInput,
    InvalidQuestion,
    KnowledgeError,
    NotAllowed,
    NotFound,
    NotShareable,
)
from knowledge.lexical import LexicalIndex
from knowledge.model import (
    Actor,
    Expert,
    ExpertRequest,
    FaqDraft,
    FaqEntry,
    FaqStatus,
    FaqVersion,
    Followup,
    Job,
    NewJob,
    ReviewItem,
    Role,
    Scope,
    SearchResult,
    Stats,
    Subscriber,
    Suggestion,
    ThreadDetail,
    ThreadPost,
    Verdict,
    Visibility,
)
from knowledge.people import rank_experts, topic_matches
from knowledge.store import Store
from knowledge.store import repository as repo
from knowledge.text import looks_like_question, shorten
from knowledge.vectors import IndexInfo, load_vector_index, new_vector_index, vector_bytes, vector_from_bytes

log = logging.getLogger(__name__)

# The meta key holding the ingest.DERIVATION_VERSION the stored threads were derived with.
DERIVATION_KEY = "derivation"
REDERIVE_BATCH = 500

# Documents embedded per turn of the embedder: a question waits for at most one such batch (two
# documents, one per core: ~0.25-0.5 s with the default embedder; docs/benchmarks.md).
EMBED_BATCH = 2
# Documents embedded per call while rebuilding a whole index (nothing waits for it then).
REBUILD_BATCH = 64
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
# Tries per event when a concurrent transaction inserted the same new row first.
INGEST_ATTEMPTS = 3
# How long delivery receipts and finished jobs are kept (pruned by the worker, :meth:`KnowledgeBase.prune`).
# Slack retries an event three times within about five minutes and Teams redelivers within minutes as
# well: a day is far past both, so a receipt older than that can only stop nothing.
RECEIPT_RETENTION = timedelta(days=1)
# Finished jobs (sent replies, follow-ups, failures given up on) hold the question's text in their
# payload; thirty days leave time to look into a failure and no longer.
JOB_RETENTION = timedelta(days=30)
INDEX_FILE = "threads.faiss"
LEXICAL_DIR = "lexical"  # a tantivy folder (knowledge.lexical)
# What earlier versions kept instead of that folder; removed when found.
OLD_LEXICAL_FILES = ("threads.bm25.npz",)


def _concurrent(exc: DBAPIError) -> bool:
    """Whether a failed transaction lost a race another one won, so doing it again will succeed."""
    if isinstance(exc, IntegrityError):
        return True
    # PostgreSQL's deadlock_detected and serialization_failure.
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")


@dataclass(frozen=True, slots=True)
class ExcludeThread:
    """The thread a question was asked in, never suggested back to it."""

    platform: str
    channel_id: str
    root_message_id: str


class TurnLock:
    """A reentrant lock granted in arrival order.

    ``threading.RLock`` lets the thread that releases it take it straight back, so a worker embedding
    batch after batch could keep a waiting question out for the whole backlog; here a waiter is served
    before anyone who asks after it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._next_ticket = 0
        self._serving = 0

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return
            ticket = self._next_ticket
            self._next_ticket += 1
            while self._serving != ticket or self._owner is not None:
                self._cond.wait()
            self._owner, self._depth = me, 1

    def release(self) -> None:
        with self._cond:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a TurnLock not held by this thread")
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._serving += 1
                self._cond.notify_all()

    def __enter__(self) -> TurnLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _enqueue_in(conn: Any, job: NewJob, now: datetime) -> bool:
    """Add ``job`` in the caller's transaction; ``False`` when a job with its key already exists."""
    return repo.enqueue_job(
        conn,
        kind=job.kind,
        payload=json.dumps(job.payload, ensure_ascii=False),
        run_after=job.run_after or now,
        key=job.key,
    )


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
        roles: Iterable[tuple[str, str, Role]] = (),
        followup_after: timedelta = followup.DEFAULT_AFTER,
        embeds_documents: bool = True,
        calibration: Calibration | None = None,
    ) -> None:
        self.store = store
        # False in a process that leaves embedding threads to another process sharing the store (the web
        # role of `yorozu serve`): it indexes the vectors that process stores and embeds only questions.
        self.embeds_documents = embeds_documents
        # Roles from settings (YOROZU_ADMINS, YOROZU_SPECIALISTS); roles granted by command are in the store.
        self.configured_roles: dict[tuple[str, str], set[Role]] = {}
        for platform, person_id, role in roles:
            self.configured_roles.setdefault((platform, person_id), set()).add(Role(role))
        self.followup_after = followup_after
        self._topic_vectors: dict[str, np.ndarray] = {}
        self.vector_index = vector_index
        self.embedder = embedder
        # A fixed relevance threshold (YOROZU_ABSTAIN_BELOW, tests with a fake embedder) replaces the
        # calibrated confidence's decisions; without one the calibration decides (knowledge.confidence).
        self._fixed_threshold = abstain_below
        self.abstain_below = s.abstain_threshold(embedder.model_id) if abstain_below is None else abstain_below
        self.calibration: Calibration = calibration or (
            (index_dir is not None and Calibration.load(index_dir, embedder.model_id)) or default_for(embedder.model_id)
        )
        self._index_path = index_dir / INDEX_FILE if index_dir is not None else None
        self._lexical_path = index_dir / LEXICAL_DIR if index_dir is not None else None
        # The embedder's lock (see the module docstring for all three).
        self._lock = TurnLock()
        self._index_lock = threading.RLock()
        self._catch_up_lock = threading.RLock()
        self._vectors = new_vector_index(vector_index, embedder.dimension)
        self._lexical = LexicalIndex.in_memory()
        # Every change up to this number is applied: removals and the lexical half done, and the vector
        # either made or queued in `_new` / `_stale` (thread id -> its latest change, oldest first).
        self._applied = 0
        self._new: dict[int, repo.ThreadChange] = {}  # not in the vector index yet
        self._stale: dict[int, repo.ThreadChange] = {}  # indexed with the vector of an older document
        self._dirty = False
        self._closing = False
        self._seconds_per_document = 0.0  # the embedder's pace, measured on the queue's batches

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
        roles: Iterable[tuple[str, str, Role]] = (),
        followup_after: timedelta = followup.DEFAULT_AFTER,
        embeds_documents: bool = True,
        calibration: Calibration | None = None,
    ) -> KnowledgeBase:
        """Open (creating or migrating) a knowledge base and bring its indexes up to date.

        Raises :class:`EmbedderMismatch` when the stored vectors come from another embedder, unless
        ``adopt_embedder`` (what ``yorozu reindex`` does): then the old vectors are dropped and every
        thread is embedded again with ``embedder``. ``vector_index`` is ``exact``, ``ivf`` or ``auto``
        (exact until the corpus is large; :mod:`knowledge.vectors`). Without ``embeds_documents`` the
        knowledge base embeds no thread: it waits for the vectors another process sharing the store makes.
        """
        store = Store.open(database_url)
        kb = cls(
            store=store,
            embedder=embedder,
            index_dir=index_dir,
            abstain_below=abstain_below,
            vector_index=vector_index,
            roles=roles,
            followup_after=followup_after,
            embeds_documents=embeds_documents,
            calibration=calibration,
        )
        try:
            kb._check_embedder(adopt=adopt_embedder)
            kb._rederive_if_outdated()
            kb._load_indexes()
        except BaseException:
            store.close()
            raise
        return kb

    def close(self) -> None:
        """Save the indexes and close the store. A catch-up in progress stops after its current batch;
        what it had not embedded yet is redone at the next start (the saved change number is below it)."""
        self._closing = True
        with self._catch_up_lock:
            self.save_index()
            with self._index_lock:
                self._lexical.close()
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

    def _rederive_if_outdated(self) -> None:
        """Derive every stored thread again when the derivation rules changed since it was stored.

        Runs once per :data:`ingest.DERIVATION_VERSION`, before the indexes load: threads whose document
        changed get a new change number, so the catch-up re-indexes (and re-embeds) just those. An empty
        store is simply marked current. Re-deriving is idempotent, so a process stopped halfway (or two
        replicas starting together) only repeats work; the version is recorded when all is done.
        """
        with self.store.begin() as conn:
            stored = repo.get_meta(conn, DERIVATION_KEY)
            empty = not repo.message_thread_ids(conn, limit=1)
        if stored == str(ingest.DERIVATION_VERSION):
            return
        if not empty:
            log.info(
                "derivation rules changed (%s -> %d): deriving titles and answers of every thread again",
                stored or "1",
                ingest.DERIVATION_VERSION,
            )
            self.rederive()
        with self.store.begin() as conn:
            repo.set_meta(conn, DERIVATION_KEY, str(ingest.DERIVATION_VERSION))

    def rederive(self) -> int:
        """Derive every thread's title, accepted and shown answers and document again from its stored
        messages, and retitle the FAQ entries; the number of threads that changed.

        Done in batches of :data:`REDERIVE_BATCH` threads, one transaction each. The indexes follow
        through the change numbers (the next :meth:`sync`).
        """
        started = time.perf_counter()
        changed = done = 0
        after = 0
        while True:
            with self.store.begin() as conn:
                ids = repo.message_thread_ids(conn, after=after, limit=REDERIVE_BATCH)
                for thread_id in ids:
                    changed += ingest.refresh_thread(conn, thread_id)
            if not ids:
                break
            after = ids[-1]
            done += len(ids)
            if done % (REDERIVE_BATCH * 20) == 0:
                log.info("derived %d threads again (%d changed)", done, changed)
        with self.store.begin() as conn:
            for row in repo.list_faq(conn):
                faq.mirror(conn, row)
        log.info("derived %d threads again in %.1fs: %d changed", done, time.perf_counter() - started, changed)
        return changed

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
        if self._index_path is not None:
            for name in OLD_LEXICAL_FILES:
                (self._index_path.parent / name).unlink(missing_ok=True)
        lexical = LexicalIndex.load(self._lexical_path) if self._lexical_path else None
        if lexical is not None and lexical[1] <= head:
            self._lexical.close()
            self._lexical, lexical_seq = lexical
            log.info("loaded %d documents from %s (change %d)", len(self._lexical), self._lexical_path, lexical_seq)
        else:
            if lexical is not None:
                lexical[0].close()
            self._lexical.close()
            self._lexical = LexicalIndex.create(self._lexical_path)
            if self._lexical_path is not None:
                log.info("building the lexical index in %s from the store", self._lexical_path)
            with self.store.begin() as conn:
                self._lexical.add_many(
                    ((doc.thread_id, doc.document) for doc in repo.iter_visible_documents(conn)),
                    fresh=True,
                    progress_every=10_000,
                )
            lexical_seq = head
            self._dirty = True
        self._applied = min(seq, lexical_seq, head)
        self.sync()
        log.info("indexes ready in %.2fs: %d threads", time.perf_counter() - started, len(self._vectors))

    def _rebuild_vectors(self) -> None:
        """Rebuild the vector index from the store, embedding only documents without a stored vector.

        Every visible thread gets the vector of its current document, so nothing stays queued.
        """
        with self._lock, self._index_lock:
            self._vectors = new_vector_index(self.vector_index, self.embedder.dimension)
            self._new.clear()
            self._stale.clear()
            # Clustered once, on every vector, rather than on the first few thousand (IvfIndex).
            with self._vectors.deferred_clustering(), self.store.begin() as conn:
                docs: list[repo.ThreadChange] = []
                for doc in repo.iter_visible_documents(conn):
                    docs.append(doc)
                    if len(docs) == 1000:
                        self._rebuild_documents(docs)
                        docs = []
                self._rebuild_documents(docs)
            self._dirty = True

    def _rebuild_documents(self, docs: list[repo.ThreadChange]) -> None:
        if not docs:
            return
        model = self.embedder.model_id
        with self.store.begin() as conn:
            vectors = self._stored_vectors(conn, docs)
        todo = [doc for doc in docs if doc.thread_id not in vectors]
        if not self.embeds_documents:  # another process embeds them; they are indexed once it has
            self._new.update((doc.thread_id, doc) for doc in todo)
            docs = [doc for doc in docs if doc.thread_id in vectors]
        else:
            for i in range(0, len(todo), REBUILD_BATCH):
                chunk = todo[i : i + REBUILD_BATCH]
                embedded = self.embedder.embed_documents([d.document for d in chunk])
                with self.store.begin() as conn:
                    for doc, vector in zip(chunk, embedded, strict=True):
                        repo.put_embedding(conn, doc.thread_id, model, doc.document_hash, vector_bytes(vector))
                        vectors[doc.thread_id] = vector
        if docs:
            ids = np.asarray([d.thread_id for d in docs], dtype=np.int64)
            self._vectors.add(ids, np.vstack([vectors[d.thread_id] for d in docs]))

    def reindex(self) -> int:
        """Derive every thread again (:meth:`rederive`), re-embed every thread with the configured
        embedder and rewrite the index file."""
        with self._catch_up_lock:
            self.rederive()
            with self.store.begin() as conn:
                repo.set_meta(conn, DERIVATION_KEY, str(ingest.DERIVATION_VERSION))
                repo.clear_embeddings(conn)
            # Changes since the last one applied are replayed by the catch-up; for the rebuilt vectors
            # that is harmless (each finds its thread's stored vector).
            self._rebuild_vectors()
            self.sync()
            self.save_index()
            return len(self._vectors)

    @property
    def _saved_seq(self) -> int:
        """The change number the index files may be saved with: every change up to it is fully indexed.

        Below the oldest change still waiting for its vector, so a restart redoes what was queued.
        """
        with self._index_lock:
            waiting = [c.change_seq for c in self._new.values()] + [c.change_seq for c in self._stale.values()]
            return min([self._applied, *(seq - 1 for seq in waiting)])

    def save_index(self) -> None:
        """Write the vector and lexical indexes to the data directory if they changed since they were loaded."""
        with self._index_lock:
            if self._index_path is None or not self._dirty:
                return
            seq = self._saved_seq
            self._vectors.save(self._index_path, IndexInfo(self.embedder.model_id, self.embedder.dimension, seq))
            self._lexical.save(seq)
            self._dirty = False

    # --- ingest ----------------------------------------------------------------------------------

    def ingest(self, event: ev.Event) -> bool:
        """Store one event (one transaction). Indexes follow on the next :meth:`sync`.

        A new question thread gets its follow-up job in the same transaction (:mod:`knowledge.followup`).
        """
        return bool(self.accept([event]))

    def accept(
        self, events: Sequence[ev.Event], *, delivery: str | None = None, jobs: Sequence[NewJob] = ()
    ) -> bool | None:
        """One incoming platform request in one transaction: its delivery id, its events and its jobs.

        ``None`` when ``delivery`` was accepted before (a platform's retry: nothing is done), else
        whether any event changed the store. All or nothing: an acknowledged request is stored with its
        jobs, and a failed one leaves no receipt behind, so the platform's retry is processed.
        """
        now = datetime.now(UTC)
        for attempt in range(INGEST_ATTEMPTS):
            try:
                with self.store.begin() as conn:
                    if delivery is not None and not repo.record_receipt(conn, delivery):
                        return None
                    changed = False
                    for event in events:
                        if ingest.apply_in(conn, event):
                            followup.schedule(conn, event, after=self.followup_after, now=now)
                            changed = True
                    for job in jobs:
                        _enqueue_in(conn, job, now)
                    return changed
            except DBAPIError as exc:
                # Another worker created the same channel or thread row between this transaction's
                # read and its insert (a reply and its root arriving together), or recorded the same
                # delivery, or PostgreSQL broke a deadlock between two requests touching the same threads
                # in different orders. Applying is idempotent, so the retry finds the row (or the receipt).
                if not _concurrent(exc) or attempt == INGEST_ATTEMPTS - 1:
                    raise
                log.debug("concurrent write while accepting a request; retrying")
        raise AssertionError("unreachable")

    def ingest_many(self, events: Iterable[ev.Event], *, batch: int = 500) -> tuple[int, int]:
        """Store many events, ``batch`` per transaction; returns (changed, unchanged)."""
        changed = unchanged = 0
        pending: list[ev.Event] = []

        def flush() -> None:
            nonlocal changed, unchanged
            for attempt in range(INGEST_ATTEMPTS):
                now = datetime.now(UTC)
                counts = [0, 0]
                try:
                    with self.store.begin() as conn:
                        for event in pending:
                            if ingest.apply_in(conn, event):
                                followup.schedule(conn, event, after=self.followup_after, now=now)
                                counts[0] += 1
                            else:
                                counts[1] += 1
                    break
                except DBAPIError as exc:  # a batch meeting live traffic on the same threads: all again
                    if not _concurrent(exc) or attempt == INGEST_ATTEMPTS - 1:
                        raise
                    log.debug("concurrent write while storing a batch; retrying")
            changed += counts[0]
            unchanged += counts[1]
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

    def forget_delivery(self, key: str) -> None:
        """Forget a delivery id whose processing failed, so a retry of it is processed again."""
        with self.store.begin() as conn:
            repo.forget_receipt(conn, key)

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

    # --- questions -------------------------------------------------------------------------------

    def suggest(
        self,
        question: str,
        *,
        scope: Scope | None = None,
        exclude: ExcludeThread | None = None,
        limit: int = 3,
        abstain: bool = True,
        automatic: bool = False,
        require_answer: bool = True,
        now: datetime | None = None,
        record: bool = False,
        record_as: tuple[str, str | None] | None = None,
    ) -> SearchResult:
        """Past threads that may answer ``question``, as seen from ``scope`` (public channels by default).

        Two behaviours (docs/retrieval.md): a question put to Yorozu directly (the default) gets the
        related threads, each with its confidence, and nothing only when nothing relates at all (a
        greeting, thanks, the weather); ``automatic`` — a suggestion nobody asked for, under a post in a
        channel — keeps only what passes the channel's precision-first operating point, and is silent
        otherwise. Without ``abstain`` every candidate is ranked (evaluation). ``require_answer`` leaves
        out threads nobody answered. Published FAQ entries that are confidently the answer come first.
        ``record`` logs the question (where, when, abstained or what was suggested) for insights; the
        chat shell records what people ask, the CLI does not. ``record_as`` (platform, question id) names
        where a question asked outside the chat platforms came from (the web chat: ``("web", id)``), so
        feedback given there is matched with it.

        With a fixed relevance threshold (``abstain_below``; ``YOROZU_ABSTAIN_BELOW``) both behaviours
        keep the threads whose relevance passes it, as before calibration existed.
        """
        question = s.clean_question(question)
        if not question:
            raise InvalidQuestion("the question is empty", key="error_question_empty")
        scope = scope or Scope.public()
        now = now or datetime.now(UTC)
        self._catch_up_for_question()
        with self._lock:
            query_vector = self.embedder.embed_queries([question])[0]
        with self._index_lock:
            retrieved = s.retrieve_all(question, query_vector, self._vectors, self._lexical)
        candidates = retrieved.candidates  # best relevance first
        calibrated = self._fixed_threshold is None
        if abstain and not calibrated:
            candidates = [c for c in candidates if c.relevance >= self.abstain_below]
        if abstain and calibrated and not retrieved.terms:
            candidates = []  # no word of substance: greetings and thanks are not questions
        # Every candidate is ranked on one light row (access, answers, bonuses); only the best few are read
        # in full (their answers' texts are most of what reading a thread costs).
        with self.store.begin() as conn:
            ranks = repo.thread_ranks(conn, [c.thread_id for c in candidates])
            # FAQ mirrors are ranked apart from threads (they come first when relevant).
            faq_rows = repo.faq_by_thread(conn, [i for i, rank in ranks.items() if rank.platform == repo.FAQ_PLATFORM])
            pool: list[s.Candidate] = []  # what may be suggested here, best relevance first
            for c in candidates:
                rank = ranks.get(c.thread_id)
                if rank is None:
                    continue
                if rank.platform == repo.FAQ_PLATFORM:
                    row = faq_rows.get(c.thread_id)
                    if row is not None and row.status == FaqStatus.PUBLISHED:
                        pool.append(c)
                    continue
                if not s.allowed(rank, scope):
                    continue
                if exclude is not None and (
                    rank.platform,
                    rank.channel_external_id,
                    rank.root_external_id,
                ) == (exclude.platform, exclude.channel_id, exclude.root_message_id):
                    continue
                if require_answer and not rank.answer_count:
                    continue
                pool.append(c)
            confidence: dict[int, float] = {}
            if calibrated and pool:
                top = pool[: s.CONFIDENCE_TOP]
                with self._index_lock:
                    signals = s.pool_signals(self._lexical, retrieved, pool)
                confidence = {i: self.calibration.confidence(sig) for i, sig in signals.items()}
                if abstain and automatic:
                    pool = [c for c in top if confidence[c.thread_id] >= self.calibration.auto_at]
                elif abstain:
                    pool = [c for c in top if self.calibration.related(signals[c.thread_id])]
            faq_hits = [(c.relevance, faq_rows[c.thread_id]) for c in pool if c.thread_id in faq_rows]
            order: list[tuple[float, float, int]] = []
            for c in pool:
                if c.thread_id in faq_rows:
                    continue
                order.append((s.rank_score(c.relevance, ranks[c.thread_id], now), c.relevance, c.thread_id))
            order.sort(key=lambda item: item[0], reverse=True)  # by rank score; each shows its relevance
            ranked: list[tuple[float, float, repo.ThreadView]] = []
            start = 0
            while len(ranked) < limit and start < len(order):
                chunk = order[start : start + limit - len(ranked)]
                start += len(chunk)
                views = repo.thread_views(conn, [thread_id for _, _, thread_id in chunk])
                for score, relevance, thread_id in chunk:
                    view = views.get(thread_id)
                    if view is not None and (view.answers or not require_answer):
                        ranked.append((score, relevance, view))
            people = repo.PeopleCache(conn)
            people.prefetch((v.platform, a.author_external_id) for _, _, v in ranked for a in v.answers)
            thread_suggestions = [
                (score, s.build_suggestion(view, relevance, people.find, confidence.get(view.thread_id)))
                for score, relevance, view in ranked[:limit]
            ]
            suggestions = self._with_faq(
                conn, people, faq_hits, thread_suggestions, limit=limit, now=now, confidence=confidence
            )
        if calibrated:
            suggestions = tuple(
                replace(x, close_match=x.confidence is not None and x.confidence >= self.calibration.auto_at)
                for x in suggestions
            )
        auto = bool(suggestions) and (
            (suggestions[0].confidence or 0.0) >= self.calibration.auto_at
            if calibrated
            else suggestions[0].score >= self.abstain_below
        )
        result = SearchResult(
            question=question,
            suggestions=suggestions,
            abstained=not suggestions,
            auto_suggest=auto and looks_like_question(question),
        )
        if record:
            self._record_query(result, scope, exclude, record_as)
        return result

    def _with_faq(
        self,
        conn: Any,
        people: repo.PeopleCache,
        faq_hits: list[tuple[float, repo.FaqRow]],
        threads: list[tuple[float, Suggestion]],
        *,
        limit: int,
        now: datetime,
        confidence: dict[int, float],
    ) -> tuple[Suggestion, ...]:
        """Published FAQ entries that are confidently the answer first (best first), then the rest.

        Confidently: past the channel's operating point, as confident as the best thread, or about as
        relevant as it (with a fixed threshold: past it). Other entries are ranked among threads by relevance.
        """
        first: list[tuple[float, Suggestion]] = []
        later = list(threads)
        best_thread = max((t.confidence or 0.0 for _, t in threads), default=0.0)
        best_relevance = max((t.score for _, t in threads), default=0.0)
        for relevance, row in faq_hits:
            if row.status != FaqStatus.PUBLISHED:
                continue
            entry = faq.to_entry(row, people.find)
            suggestion = faq.build_suggestion(entry, relevance, now, faq.source_url(conn, row))
            conf = confidence.get(row.thread_id) if row.thread_id is not None else None
            if conf is not None:
                suggestion = replace(suggestion, confidence=conf)
                # A curated entry shown at all comes first when it is about as relevant as the best thread
                # (it usually was made from such a thread, so the margin signal always favours the thread).
                confident = conf >= min(self.calibration.auto_at, best_thread) or (
                    relevance >= best_relevance - s.FAQ_FIRST_MARGIN
                )
            else:
                confident = relevance >= self.abstain_below
            (first if confident else later).append((relevance, suggestion))
        first.sort(key=lambda item: item[0], reverse=True)
        later.sort(key=lambda item: item[0], reverse=True)
        return tuple(suggestion for _, suggestion in (first + later)[:limit])

    def _record_query(
        self,
        result: SearchResult,
        scope: Scope,
        exclude: ExcludeThread | None,
        record_as: tuple[str, str | None] | None = None,
    ) -> None:
        if result.abstained:
            log.debug("abstained on %r", result.question)  # user text: DEBUG only
        with self.store.begin() as conn:
            if not ins.recorded(self._place(conn, scope.platform, scope.channel_id)):
                return  # a DM, a personal chat or a place Yorozu does not store: answered, not recorded
            repo.record_query(
                conn,
                platform=record_as[0] if record_as is not None else scope.platform,
                channel_external_id=scope.channel_id,
                question_message_id=record_as[1]
                if record_as is not None
                else (exclude.root_message_id if exclude is not None else None),
                question=result.question,
                abstained=result.abstained,
                suggested=[x.thread_id for x in result.suggestions],
            )

    def candidate_signals(
        self, question: str, hides: Sequence[Iterable[int]] = ((),), *, top: int = s.CONFIDENCE_TOP
    ) -> list[list[tuple[int, s.Candidate, Signals]]]:
        """For each set of thread ids in ``hides``, the best ``top`` candidates by relevance with the
        confidence's signals, as if those threads were not in the corpus (the question is embedded and
        searched once). No access check: for evaluation and calibration, where a question asked again
        with its answers hidden is an unanswerable one."""
        question = s.clean_question(question)
        self._catch_up_for_question()
        with self._lock:
            query_vector = self.embedder.embed_queries([question])[0]
        out = []
        with self._index_lock:
            retrieved = s.retrieve_all(question, query_vector, self._vectors, self._lexical)
            for hide in hides:
                hidden = set(hide)
                pool = [c for c in retrieved.candidates if c.thread_id not in hidden]
                signals = s.pool_signals(self._lexical, retrieved, pool, top=top)
                out.append([(c.thread_id, c, signals[c.thread_id]) for c in pool[:top]])
        return out

    def nearest(self, question: str, *, mode: str, k: int) -> list[tuple[int, float]]:
        """Thread ids by one index alone (``dense`` or ``lexical``), with no access check: for evaluation."""
        question = s.clean_question(question)
        self._catch_up_for_question()
        if mode == "lexical":
            with self._index_lock:
                return self._lexical.search(question, k)
        if mode == "dense":
            with self._lock:
                query_vector = self.embedder.embed_queries([question])[0]
            with self._index_lock:
                return self._vectors.search(query_vector, k)
        raise ValueError(f"unknown mode {mode!r}")

    def thread(self, platform: str, channel_id: str, root_id: str, *, scope: Scope | None = None) -> ThreadDetail:
        """A whole thread, as seen from ``scope`` (public channels by default): the question, every reply
        with its author and organisation, reactions and the accepted mark. A thread that is deleted,
        hidden or not visible from ``scope`` is :class:`NotFound` (never "exists but private")."""
        key = faq.thread_key(platform, channel_id, root_id)
        scope = scope or Scope.public()
        with self.store.begin() as conn:
            thread_id = repo.find_thread_id(conn, platform, channel_id, root_id)
            view = repo.thread_views(conn, [thread_id]).get(thread_id) if thread_id is not None else None
            if thread_id is None or view is None or view.platform == repo.FAQ_PLATFORM or not s.allowed(view, scope):
                raise NotFound("thread", key)
            facts = repo.thread_facts(conn, thread_id)
            shown = [m for m in facts.messages if not m.deleted and not m.is_bot]
            people = repo.find_people(conn, platform, {m.author_external_id for m in shown if m.author_external_id})
            entry = repo.faq_from_source(conn, key)
        posts = []
        for m in shown:
            person = people.get(m.author_external_id) if m.author_external_id else None
            named = person is not None and not person.opted_out
            counts: dict[str, int] = {}
            for _, name in facts.reactions.get(m.id, ()):
                counts[name] = counts.get(name, 0) + 1
            posts.append(
                ThreadPost(
                    message_id=m.external_id,
                    author=person.display_name if named and person is not None else None,
                    organization=person.organization if named and person is not None else None,
                    text=m.text,
                    posted_at=m.posted_at,
                    edited=m.edited_at is not None,
                    accepted=m.id == view.accepted_message_id,
                    reactions=tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
                )
            )
        question = next((p for p in posts if p.message_id == root_id), None)
        if question is None:
            raise NotFound("thread", key)
        return ThreadDetail(
            key=key,
            platform=platform,
            channel_id=channel_id,
            channel_name=view.channel_name,
            visibility=view.visibility,
            title=view.title,
            url=view.url,
            question=question,
            replies=tuple(p for p in posts if p.message_id != root_id),
            faq_id=entry.id if entry is not None and entry.status != FaqStatus.RETIRED else None,
        )

    def experts(
        self,
        topic: str,
        *,
        scope: Scope | None = None,
        limit: int = 5,
        now: datetime | None = None,
        exclude_people: set[tuple[str, str]] | None = None,
    ) -> list[Expert]:
        """People who answered questions similar to ``topic``, best first, with the evidence.

        Answers someone found helpful (解決した on a suggestion) weigh like accepted ones.
        """
        topic = s.clean_question(topic)
        if not topic:
            raise InvalidQuestion("the topic is empty")
        scope = scope or Scope.public()
        self._catch_up_for_question()
        with self._lock:
            query_vector = self.embedder.embed_queries([topic])[0]
        with self._index_lock:
            retrieved = s.retrieve_all(topic, query_vector, self._vectors, self._lexical)
            candidates = retrieved.candidates
            if self._fixed_threshold is None:
                # Calibrated: the threads related to the topic, as a direct question would be shown them.
                signals = s.pool_signals(self._lexical, retrieved, candidates, top=s.EXPERT_CANDIDATES)
        if self._fixed_threshold is None:
            relevant = [
                c
                for c in candidates[: s.EXPERT_CANDIDATES]
                if retrieved.terms and self.calibration.related(signals[c.thread_id])
            ]
        else:
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
            keys = {
                faq.thread_key(v.platform, v.channel_external_id, v.root_external_id): v.thread_id for v, _ in pairs
            }
            helpful = {keys[k]: answers for k, answers in repo.helpful_answers(conn, list(keys)).items()}
        return rank_experts(
            pairs, people, now=now or datetime.now(UTC), limit=limit, helpful=helpful, exclude=exclude_people
        )

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

    def channel(self, platform: str, channel_id: str) -> repo.ChannelRow | None:
        """What is stored about one channel (``None`` when it is new)."""
        with self.store.begin() as conn:
            return repo.find_channel(conn, platform, channel_id)

    def set_reply_address(self, platform: str, channel_id: str, address: str) -> None:
        """Remember how to post into a channel later (for Teams: the Bot Connector's service URL and tenant)."""
        with self.store.begin() as conn:
            channel = repo.find_channel(conn, platform, channel_id) or repo.upsert_channel(
                conn, platform=platform, external_id=channel_id, visibility=Visibility.PRIVATE
            )
            if channel.reply_address != address:
                repo.set_reply_address(conn, channel.id, address)

    def workspace_channels(self, platform: str, workspace_id: str) -> list[repo.ChannelRow]:
        """The channels stored under a workspace (a Teams team, a Slack workspace), deleted ones included."""
        with self.store.begin() as conn:
            return repo.workspace_channels(conn, platform, workspace_id)

    def enqueue(
        self, kind: str, payload: Mapping[str, Any], *, key: str | None = None, run_after: datetime | None = None
    ) -> bool:
        """Store a job durably; ``False`` when a job with this ``key`` already exists."""
        with self.store.begin() as conn:
            return _enqueue_in(conn, NewJob(kind, dict(payload), key=key, run_after=run_after), datetime.now(UTC))

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

    def prune(self, *, now: datetime | None = None) -> tuple[int, int]:
        """Delete delivery receipts older than ``RECEIPT_RETENTION`` and jobs finished more than
        ``JOB_RETENTION`` ago; returns (receipts, jobs) deleted. Pending jobs are never pruned."""
        now = now or datetime.now(UTC)
        with self.store.begin() as conn:
            receipts = repo.prune_receipts(conn, before=now - RECEIPT_RETENTION)
            jobs = repo.prune_jobs(conn, before=now - JOB_RETENTION)
        return receipts, jobs

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
        """Remember a person's verdict on a suggestion (pressing again replaces it).

        解決した on a thread records the answer it showed (accepted, else first) as the one that solved
        this question: that answer's author then counts as helpful in expert ranking. 役に立たなかった puts
        the question and the suggestion into the specialists' review queue (:meth:`review_queue`).
        """
        verdict = Verdict(verdict)
        with self.store.begin() as conn:
            if not ins.recorded(self._place(conn, platform, channel_id)):
                question = ""  # pressed in a DM or a place Yorozu does not store: the verdict only
            answer_id = None
            if verdict == Verdict.SOLVED:
                answer_id = self._shown_answer(conn, suggested_thread)
            repo.record_feedback(
                conn,
                platform=platform,
                channel_external_id=channel_id,
                question_message_id=question_message_id,
                question=question,
                suggested_thread=suggested_thread,
                person_external_id=person_id,
                verdict=str(verdict),
                answer_external_id=answer_id,
            )

    def _shown_answer(self, conn: Any, suggested_thread: str) -> str | None:
        try:
            platform, channel_id, root_id = faq.parse_thread_key(suggested_thread)
        except InvalidInput:
            return None
        thread_id = repo.find_thread_id(conn, platform, channel_id, root_id)
        view = repo.thread_views(conn, [thread_id]).get(thread_id) if thread_id is not None else None
        best = faq.best_answer(view) if view is not None else None
        return best.external_id if best is not None else None

    # --- facts -----------------------------------------------------------------------------------

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

    # --- people: roles, preferences, organisations ----------------------------------------------

    def roles_of(self, platform: str, person_id: str) -> set[Role]:
        """A person's roles: from settings and granted by command (the CLI operator is an admin)."""
        if platform == Actor.operator().platform:
            return {Role.ADMIN}
        with self.store.begin() as conn:
            stored = {Role(r) for r in repo.roles_of(conn, platform, person_id)}
        return stored | self.configured_roles.get((platform, person_id), set())

    def _require(self, actor: Actor, action: str, *, admin: bool = False) -> None:
        """Raise :class:`NotAllowed` unless ``actor`` is an admin (or, unless ``admin``, a specialist)."""
        held = self.roles_of(actor.platform, actor.person_id)
        needed = {Role.ADMIN} if admin else {Role.ADMIN, Role.SPECIALIST}
        if not held & needed:
            raise NotAllowed(str(actor), action, "admin" if admin else "admin or specialist")

    def is_curator(self, platform: str, person_id: str) -> bool:
        """Whether this person may curate FAQ entries (the platforms show FAQにする only to them)."""
        return bool(self.roles_of(platform, person_id) & {Role.ADMIN, Role.SPECIALIST})

    def grant_role(self, actor: Actor, platform: str, person_id: str, role: Role) -> bool:
        """An admin gives a person a role; ``False`` when they already had it."""
        self._require(actor, "granting roles", admin=True)
        with self.store.begin() as conn:
            return repo.grant_role(conn, platform, person_id, str(Role(role)), str(actor))

    def revoke_role(self, actor: Actor, platform: str, person_id: str, role: Role) -> bool:
        """An admin removes a role granted by command (roles from settings are removed there)."""
        self._require(actor, "removing roles", admin=True)
        with self.store.begin() as conn:
            return repo.revoke_role(conn, platform, person_id, str(Role(role)))

    def list_roles(self) -> list[tuple[str, str, Role, str]]:
        """(platform, person id, role, source) where source is ``settings`` or who granted it."""
        out = [(p, i, r, "settings") for (p, i), held in self.configured_roles.items() for r in sorted(held)]
        with self.store.begin() as conn:
            out.extend((p, i, Role(r), by or "command") for p, i, r, by in repo.stored_roles(conn))
        return sorted(out)

    def forget_person(self, actor: Actor, platform: str, person_id: str, *, dry_run: bool = False) -> repo.Erasure:
        """Erase a person (a staff member who left and asked): their messages' texts, their name, e-mail
        and organisation, their feedback, FAQ authorship and verification shown, roles, subscriptions,
        and the jobs that carry their id, in one transaction. Admins only.

        Other people's messages stay; a thread whose question was theirs is hidden, as a deleted one is.
        Every touched thread gets a new change number and loses its stored vector, so every index
        (here at once, in other processes at their next catch-up) drops or re-derives it: the erased
        text is never found or shown again. A mention of them elsewhere shows no name any more.
        ``dry_run`` counts what would be erased and changes nothing.
        """
        self._require(actor, "forgetting people", admin=True)
        person_id = person_id.strip()
        if not person_id:
            raise InvalidInput("whom to forget: a person id such as U123")
        with self.store.begin() as conn:
            erased = repo.erase_person(conn, platform, person_id)
            if dry_run:
                conn.rollback()
                return erased
            unchanged = [t for t in erased.threads if not ingest.refresh_thread(conn, t)]
            repo.touch_threads(conn, unchanged)  # their vectors went: make every index look again
        self._apply_changes()
        log.info("forgot %s:%s (%d messages, %d threads)", platform, person_id, erased.messages, len(erased.threads))
        return erased

    def set_opt_out(self, platform: str, person_id: str, opted_out: bool) -> None:
        """``optout`` / ``optin``: an opted-out person is never named (suggestions, who, FAQ, follow-ups)
        and never pinged. Applies at once: names are read when shown, not stored in any index."""
        with self.store.begin() as conn:
            repo.set_opt_out(conn, platform, person_id, opted_out)

    def render_mentions(self, platform: str, text: str) -> str:
        """``text`` as shown: each mention reference named if that person may be named, else unnamed."""
        with self.store.begin() as conn:
            return repo.render_mentions(conn, platform, text)

    def is_opted_out(self, platform: str, person_id: str) -> bool:
        with self.store.begin() as conn:
            person = repo.find_people(conn, platform, [person_id]).get(person_id)
        return person is not None and person.opted_out

    def person_name(self, platform: str, person_id: str) -> str | None:
        """How a person is named (with their organisation); ``None`` when unknown or opted out."""
        with self.store.begin() as conn:
            person = repo.find_people(conn, platform, [person_id]).get(person_id)
        if person is None or person.opted_out:
            return None
        return f"{person.display_name}（{person.organization}）" if person.organization else person.display_name

    def subscribe(self, platform: str, person_id: str, topic: str, *, name: str | None = None) -> bool:
        """Ask to be pinged about questions on ``topic``; ``False`` when already subscribed.

        ``name`` records a person Yorozu has not seen post yet, so they can be pinged by name."""
        topic = " ".join(topic.split())
        if not topic or len(topic) > 200:
            raise InvalidInput("a topic needs 1 to 200 characters")
        with self.store.begin() as conn:
            if name and not repo.find_people(conn, platform, [person_id]):
                repo.upsert_person(
                    conn,
                    platform=platform,
                    external_id=person_id,
                    display_name=name,
                    organization=None,
                    email=None,
                    is_bot=False,
                )
            return repo.add_subscription(conn, platform, person_id, topic)

    def unsubscribe(self, platform: str, person_id: str, topic: str | None = None) -> int:
        """Stop pings for one topic (``None``: every topic); returns how many subscriptions went."""
        with self.store.begin() as conn:
            return repo.remove_subscription(conn, platform, person_id, " ".join(topic.split()) if topic else None)

    def subscriptions(self, platform: str, person_id: str) -> list[str]:
        with self.store.begin() as conn:
            return [t for p, i, t in repo.all_subscriptions(conn, platform) if i == person_id]

    def subscribers_for(self, question: str, *, platform: str | None = None) -> list[Subscriber]:
        """The people to ping about ``question``: only those subscribed to a matching topic.

        A topic matches when all its words appear in the question, or when its embedding is as close
        to the question's as a relevant thread must be (the abstain threshold). Opted-out people and
        bots are never pinged. ``platform`` keeps to people who can be pinged where the question is.
        """
        question = s.clean_question(question)
        if not question:
            raise InvalidQuestion("the question is empty")
        with self.store.begin() as conn:
            subs = repo.all_subscriptions(conn, platform)
            people: dict[tuple[str, str], repo.PersonRow] = {}
            for plat in {p for p, _, _ in subs}:
                found = repo.find_people(conn, plat, [i for p, i, _ in subs if p == plat])
                people.update({(plat, k): v for k, v in found.items()})
        if not subs:
            return []
        pending = [t for t in {t for _, _, t in subs} if not topic_matches(t, question)]
        close: set[str] = set()
        if pending:
            with self._lock:
                missing = [t for t in pending if t not in self._topic_vectors]
                if missing:
                    for topic, vector in zip(missing, self.embedder.embed_queries(missing), strict=True):
                        self._topic_vectors[topic] = vector
                qv = self.embedder.embed_queries([question])[0]
                close = {t for t in pending if float(self._topic_vectors[t] @ qv) >= self.abstain_below}
        out: dict[tuple[str, str], Subscriber] = {}
        for plat, person_id, topic in subs:
            person = people.get((plat, person_id))
            if person is None or person.opted_out or person.is_bot or (plat, person_id) in out:
                continue
            if topic in close or topic_matches(topic, question):
                out[(plat, person_id)] = Subscriber(plat, person_id, person.display_name, topic)
        return list(out.values())

    def expert_request(
        self,
        requester: Actor,
        question: str,
        *,
        platform: str,
        channel_id: str | None,
        message_id: str | None,
    ) -> ExpertRequest:
        """専門家に聞く: the question as the specialists' channel shows it, and the subscribers to ping.

        A question stored from a private channel or a DM may leave it only when its asker sends it
        (:class:`NotShareable` otherwise); a question asked to Yorozu directly (a personal chat, a slash
        command) was seen only by the requester, who is its asker. The requester is never pinged.
        """
        question = s.clean_question(question)
        if not question:
            raise InvalidQuestion("the question is empty")
        asker_id: str | None = requester.person_id
        url = channel_name = None
        private = False
        with self.store.begin() as conn:
            channel = repo.find_channel(conn, platform, channel_id) if channel_id else None
            thread_id = (
                repo.find_thread_id(conn, platform, channel_id, message_id) if channel_id and message_id else None
            )
            view = repo.thread_views(conn, [thread_id]).get(thread_id) if thread_id is not None else None
            if channel is not None:
                private = channel.visibility != Visibility.PUBLIC
                channel_name = channel.name if not private else None
            if view is not None:
                asker_id, url = view.asker_external_id, view.url
                if private and asker_id != requester.person_id:
                    raise NotShareable(
                        "a question from a private channel is sent to the specialists only by the person who asked it"
                    )
            person = repo.find_people(conn, platform, [asker_id]).get(asker_id) if asker_id else None
            question = repo.render_mentions(conn, platform, question)  # never a reference that would ping
        if person is not None:
            asker = None if person.opted_out else person.display_name
        else:
            asker = requester.name if asker_id == requester.person_id else None
        subscribers = tuple(
            sub
            for sub in self.subscribers_for(question, platform=platform)
            if (sub.platform, sub.person_id) != (requester.platform, requester.person_id)
        )
        return ExpertRequest(question, url, asker, channel_name, private, subscribers)

    def set_organization_rule(self, actor: Actor, kind: str, value: str, organization: str) -> None:
        """Map an e-mail domain (``email_domain``) or Teams tenant id (``teams_tenant``) to an organisation.

        Used for people whose platform gives no organisation; applies at once to everyone it matches.
        """
        self._require(actor, "editing organisation rules", admin=True)
        if kind not in repo.ORGANIZATION_RULE_KINDS:
            raise InvalidInput(f"a rule kind is one of {', '.join(repo.ORGANIZATION_RULE_KINDS)}, not {kind!r}")
        value = value.strip().lower().lstrip("@")
        if not value or not organization.strip():
            raise InvalidInput("a rule needs a value and an organisation")
        with self.store.begin() as conn:
            repo.set_organization_rule(conn, kind, value, organization.strip())

    def remove_organization_rule(self, actor: Actor, kind: str, value: str) -> bool:
        self._require(actor, "editing organisation rules", admin=True)
        with self.store.begin() as conn:
            return repo.remove_organization_rule(conn, kind, value.strip().lower().lstrip("@"))

    def organization_rules(self) -> list[tuple[str, str, str]]:
        """(kind, value, organisation) for every rule."""
        with self.store.begin() as conn:
            return sorted((k, v, o) for (k, v), o in repo.organization_rule_map(conn).items())

    # --- curated FAQ ----------------------------------------------------------------------------

    def _people(self, conn: Any) -> faq.PeopleLookup:
        return lambda platform, ids: repo.find_people(conn, platform, ids)

    def faq_draft(
        self, actor: Actor, platform: str, channel_id: str, root_id: str, *, answer_id: str | None = None
    ) -> FaqDraft:
        """What the FAQにする dialog opens with: the thread's question and its best answer (or the reply
        ``answer_id`` when the action was used on a reply). Raises :class:`NotAllowed`, :class:`NotFound`."""
        self._require(actor, "making FAQ entries")
        with self.store.begin() as conn:
            return faq.draft_from_thread(conn, platform, channel_id, root_id, answer_id=answer_id)

    def faq_create(
        self,
        actor: Actor,
        *,
        question: str,
        answer: str,
        tags: str | Iterable[str] = (),
        source_thread: str | None = None,
        review_interval_days: int = faq.DEFAULT_REVIEW_DAYS,
        publish: bool = False,
    ) -> FaqEntry:
        """A new entry owned by ``actor`` (a draft unless ``publish``)."""
        self._require(actor, "making FAQ entries")
        with self.store.begin() as conn:
            row = faq.create(
                conn,
                question=question,
                answer=answer,
                tags=tags,
                owner=actor,
                source_thread=source_thread,
                review_interval_days=review_interval_days,
                status=FaqStatus.PUBLISHED if publish else FaqStatus.DRAFT,
            )
            return faq.to_entry(row, self._people(conn))

    def faq_save(
        self,
        actor: Actor,
        *,
        question: str,
        answer: str,
        tags: str | Iterable[str] = (),
        source_thread: str | None = None,
        faq_id: int | None = None,
        publish: bool = False,
    ) -> FaqEntry:
        """What a curation dialog's submit does, in one transaction: create the entry (or edit ``faq_id``);
        with ``publish``, publish it and record ``actor`` as its verifier (curating it is checking it)."""
        self._require(actor, "making FAQ entries")
        with self.store.begin() as conn:
            if faq_id is None:
                row = faq.create(
                    conn, question=question, answer=answer, tags=tags, owner=actor, source_thread=source_thread
                )
            else:
                row = faq.edit(conn, faq_id, editor=actor, question=question, answer=answer, tags=tags)
            if publish:
                row = faq.set_status(conn, row.id, FaqStatus.PUBLISHED, editor=actor)
                row = faq.verify(conn, row.id, verifier=actor)
            return faq.to_entry(row, self._people(conn))

    def faq_edit(
        self,
        actor: Actor,
        faq_id: int,
        *,
        question: str | None = None,
        answer: str | None = None,
        tags: str | Iterable[str] | None = None,
        review_interval_days: int | None = None,
    ) -> FaqEntry:
        """Change an entry (a new version; a published entry is re-indexed)."""
        self._require(actor, "editing FAQ entries")
        with self.store.begin() as conn:
            row = faq.edit(
                conn,
                faq_id,
                editor=actor,
                question=question,
                answer=answer,
                tags=tags,
                review_interval_days=review_interval_days,
            )
            return faq.to_entry(row, self._people(conn))

    def faq_set_status(self, actor: Actor, faq_id: int, status: FaqStatus) -> FaqEntry:
        """Publish, retire (never suggested again, at once) or send back to draft."""
        self._require(actor, f"changing FAQ entries to {status}")
        with self.store.begin() as conn:
            row = faq.set_status(conn, faq_id, FaqStatus(status), editor=actor)
            return faq.to_entry(row, self._people(conn))

    def faq_publish(self, actor: Actor, faq_id: int) -> FaqEntry:
        return self.faq_set_status(actor, faq_id, FaqStatus.PUBLISHED)

    def faq_retire(self, actor: Actor, faq_id: int) -> FaqEntry:
        return self.faq_set_status(actor, faq_id, FaqStatus.RETIRED)

    def faq_verify(self, actor: Actor, faq_id: int, *, verified_at: datetime | None = None) -> FaqEntry:
        """``actor`` checked the entry: it shows their name and the date; its review clock restarts."""
        self._require(actor, "verifying FAQ entries")
        with self.store.begin() as conn:
            row = faq.verify(conn, faq_id, verifier=actor, verified_at=verified_at)
            return faq.to_entry(row, self._people(conn))

    def faq_get(self, faq_id: int) -> FaqEntry:
        with self.store.begin() as conn:
            return faq.to_entry(faq.get(conn, faq_id), self._people(conn))

    def faq_list(self, status: FaqStatus | None = None) -> list[FaqEntry]:
        with self.store.begin() as conn:
            people = self._people(conn)
            return [faq.to_entry(r, people) for r in repo.list_faq(conn, str(status) if status else None)]

    def faq_history(self, faq_id: int) -> list[FaqVersion]:
        """Every version of an entry, oldest first."""
        with self.store.begin() as conn:
            return faq.history(conn, faq_id)

    def faq_due_for_review(self, now: datetime | None = None) -> list[FaqEntry]:
        """Published entries whose verification is older than their review interval."""
        now = now or datetime.now(UTC)
        return [e for e in self.faq_list(FaqStatus.PUBLISHED) if e.review_due(now)]

    def faq_import(self, actor: Actor, rows: Sequence[faq.FaqInput]) -> faq.FaqImportCounts:
        """Create or update entries in one transaction (all or nothing); returns (created, updated, unchanged).

        A row naming an id this knowledge base does not have fails the import with a hint: such a file usually
        comes from another instance, and clearing its ``id`` column (``faq export --portable``) imports it.
        """
        self._require(actor, "importing FAQ entries")
        outcomes = {"created": 0, "updated": 0, "unchanged": 0}
        errors: list[tuple[int, KnowledgeError]] = []
        with self.store.begin() as conn:
            for item in rows:
                try:
                    outcomes[faq.apply_input(conn, item, actor=actor)] += 1
                except (InvalidInput, NotFound) as exc:
                    errors.append((item.line, exc))
            if errors:  # raising inside the transaction rolls every row back
                failed = ImportFailed.for_rows(errors)
                if any(isinstance(exc, NotFound) for _, exc in errors):
                    failed = ImportFailed(
                        f"{failed}\nno FAQ entry here has these ids: if the file comes from another Yorozu, clear "
                        "the id column (or export it with `yorozu faq export --portable`) to import the rows as new "
                        "entries",
                        key=failed.key,
                        params={**failed.params, "unknown_ids": True},
                        rows=failed.rows,
                    )
                raise failed
        return faq.FaqImportCounts(outcomes["created"], outcomes["updated"], outcomes["unchanged"])

    # --- review queue, follow-ups, insights -----------------------------------------------------

    def review_queue(self, limit: int = 100, *, include_private: bool = False) -> list[ReviewItem]:
        """Questions whose suggestion someone found unhelpful, for specialists to look at.

        Items asked outside a public channel show no question, channel or suggestion (``private``);
        ``include_private`` shows those of private channels (:func:`knowledge.insights.disclosed`).
        """
        with self.store.begin() as conn:
            return self._review_items(conn, repo.review_queue(conn, limit), include_private=include_private)

    @staticmethod
    def _place(conn: Any, platform: str | None, channel_id: str | None) -> repo.ChannelRow | None:
        """The stored channel a question was asked in (``None``: a DM, a personal chat, an unknown place)."""
        if platform is None or channel_id is None:
            return None
        return repo.find_channel(conn, platform, channel_id)

    def _places(
        self, conn: Any, places: Iterable[tuple[str | None, str | None]]
    ) -> dict[tuple[str | None, str | None], repo.ChannelRow | None]:
        return {place: self._place(conn, *place) for place in set(places)}

    def _review_items(self, conn: Any, rows: Sequence[repo.FeedbackRow], *, include_private: bool) -> list[ReviewItem]:
        places = self._places(conn, [(f.platform, f.channel_external_id) for f in rows])
        out = []
        for f in rows:
            if ins.disclosed(places[f.platform, f.channel_external_id], include_private=include_private):
                question = mentions.render(f.question, {})  # insights and the console name nobody
                out.append(
                    ReviewItem(f.id, f.platform, f.channel_external_id, question, f.suggested_thread, f.created_at)
                )
            else:
                out.append(ReviewItem(f.id, f.platform, None, "", "", f.created_at, private=True))
        return out

    def resolve_review(self, actor: Actor, item_id: int) -> None:
        self._require(actor, "resolving review items")
        with self.store.begin() as conn:
            if not repo.resolve_review(conn, item_id, str(actor)):
                raise NotFound("open review item", item_id)

    def followup_for(
        self, platform: str, channel_id: str, root_id: str, *, now: datetime | None = None
    ) -> Followup | None:
        """What a due follow-up posts in a question thread.

        ``None`` when the thread got a human reply or is gone (deleted, or its channel deleted), or
        when the follow-up is more than ``followup.LATE_AFTER`` past its time (jobs that waited through
        an outage or for a platform to handle them: a reminder days late is noise); otherwise the
        people who answered similar questions (never the asker, never anyone opted out) and the
        subscribers to a matching topic, to ping; possibly nobody (``Followup.empty``), and then the
        platform posts nothing.
        """
        with self.store.begin() as conn:
            thread_id = repo.find_thread_id(conn, platform, channel_id, root_id)
            view = repo.thread_views(conn, [thread_id]).get(thread_id) if thread_id is not None else None
            root = repo.root_message(conn, thread_id) if view is not None and thread_id is not None else None
        if view is None or root is None or view.answers:
            return None
        if (now or datetime.now(UTC)) > view.asked_at + self.followup_after + followup.LATE_AFTER:
            return None
        exclude = {(platform, view.asker_external_id)} if view.asker_external_id else set()
        experts = self.experts(root.text, scope=Scope(platform, channel_id), limit=3, exclude_people=exclude)
        subscribers = [
            sub
            for sub in self.subscribers_for(root.text, platform=platform)
            if (sub.platform, sub.person_id) not in exclude
        ]
        return Followup(platform, channel_id, root_id, view.title, tuple(experts), tuple(subscribers))

    def _gaps(self, abstained: list[repo.QueryRow]) -> tuple[list[repo.QueryRow], int]:
        """The questions Yorozu stayed silent on that are knowledge gaps, and how many were off-topic:
        chatter (thanks, greetings, short non-questions) and questions nothing the community discussed
        comes close to (:data:`knowledge.insights.OFF_TOPIC_MARGIN` below the abstain threshold)."""
        candidates = [a for a in abstained if not ins.is_chatter(a.question)]
        margin = ins.off_topic_margin(self.embedder.model_id)
        if not candidates or margin is None:
            return candidates, len(abstained) - len(candidates)
        texts = sorted({a.question for a in candidates})
        with self._lock:
            vectors = self.embedder.embed_queries(texts)
        floor = self.abstain_below - margin
        nearest: dict[str, float] = {}
        with self._index_lock:
            for text, vector in zip(texts, vectors, strict=True):
                hits = self._vectors.search(vector, 1)
                nearest[text] = hits[0][1] if hits else 0.0
        kept = [a for a in candidates if nearest[a.question] >= floor]
        return kept, len(abstained) - len(kept)

    def insights(self, *, days: int = 90, now: datetime | None = None, include_private: bool = False) -> ins.Insights:
        """Unanswered questions, repeated questions, knowledge gaps, helpfulness, FAQ due for review.

        Questions from private channels are counted but not shown unless ``include_private`` (an admin's
        explicit choice at the command line); from anywhere else but public channels, never
        (:func:`knowledge.insights.disclosed`).
        """
        if days < 1:
            raise InvalidInput("insights need a window of at least one day")
        now = now or datetime.now(UTC)
        since = now - timedelta(days=days)
        with self.store.begin() as conn:
            questions = repo.question_threads(conn, since=since)
            asked = repo.recent_queries(conn, since=since)
            feedback = repo.all_feedback(conn)
            review = self._review_items(conn, repo.review_queue(conn), include_private=include_private)
            places = self._places(
                conn,
                [(q.platform, q.channel_external_id) for q in questions]
                + [(a.platform, a.channel_external_id) for a in asked],
            )

        def shown(platform: str | None, channel_id: str | None) -> bool:
            return ins.disclosed(places[platform, channel_id], include_private=include_private)

        unanswered = [q for q in questions if q.answer_count == 0]
        unanswered_shown = [q for q in unanswered if shown(q.platform, q.channel_external_id)]
        # A question asked in a channel is both a thread and a query Yorozu answered: count it once.
        roots = {(q.platform, q.channel_external_id, q.root_external_id) for q in questions}
        shown_questions = [q for q in questions if shown(q.platform, q.channel_external_id)]
        items = [(q.title, q.asked_at) for q in shown_questions]
        keys: list[str | None] = [
            faq.thread_key(q.platform, q.channel_external_id, q.root_external_id) for q in shown_questions
        ]
        for a in asked:
            if (a.platform, a.channel_external_id, a.question_message_id) not in roots and shown(
                a.platform, a.channel_external_id
            ):
                items.append((shorten(a.question, 60), a.asked_at))
                keys.append(None)
        threshold = ins.duplicate_similarity(self.embedder.model_id)
        repeated: list[ins.RepeatedQuestion] = []
        if len(items) >= ins.REPEATED_AT_LEAST:
            with self._lock:
                vectors = self.embedder.embed_queries([t for t, _ in items])
            repeated = ins.repeated_questions(items, vectors, threshold, keys)
        gaps, off_topic = self._gaps([a for a in asked if a.abstained])
        gaps_shown = [g for g in gaps if shown(g.platform, g.channel_external_id)]
        groups: list[ins.GapGroup] = []
        if gaps_shown:
            with self._lock:
                gap_vectors = self.embedder.embed_queries([g.question for g in gaps_shown])
            groups = ins.gap_groups([(g.question, g.asked_at) for g in gaps_shown], gap_vectors, threshold)
        return ins.Insights(
            since=since,
            unanswered=tuple(
                ins.UnansweredQuestion(
                    q.platform, q.channel_external_id, q.channel_name, q.root_external_id, q.title, q.asked_at, q.url
                )
                for q in unanswered_shown[: ins.LIST_LIMIT]
            ),
            unanswered_total=len(unanswered),
            repeated=tuple(repeated),
            gaps=tuple(
                ins.KnowledgeGap(g.question, g.platform, g.channel_external_id, g.asked_at)
                for g in gaps_shown[: ins.LIST_LIMIT]
            ),
            gaps_total=len(gaps),
            gap_groups=tuple(groups),
            off_topic=off_topic,
            helpfulness=ins.helpfulness(feedback, asked),
            review_due=tuple(self.faq_due_for_review(now)),
            review_queue=tuple(review),
        )
