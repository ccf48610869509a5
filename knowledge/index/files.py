"""The index files: loaded at start, rebuilt when missing or stale, saved with the change number they hold.

Each index file records the change number it is complete up to; at start the catch-up
(:mod:`knowledge.index.catch_up`) replays the store's changes since then, so a file saved before a crash
or by an older process is brought forward rather than trusted. Deriving every thread again (when the
derivation rules changed) and re-embedding everything (``yorozu reindex``) are here too: both end in
rebuilt indexes.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from knowledge import faq, ingest
from knowledge.errors import EmbedderMismatch
from knowledge.index.catch_up import CatchUp
from knowledge.lexical import LexicalIndex
from knowledge.store import repository as repo
from knowledge.vectors import IndexInfo, load_vector_index, new_vector_index, vector_bytes

log = logging.getLogger(__name__)

# The meta key holding the ingest.DERIVATION_VERSION the stored threads were derived with.
DERIVATION_KEY = "derivation"
REDERIVE_BATCH = 500
# Documents embedded per call while rebuilding a whole index (nothing waits for it then).
REBUILD_BATCH = 64
INDEX_FILE = "threads.faiss"
LEXICAL_DIR = "lexical"  # a tantivy folder (knowledge.lexical)
# What earlier versions kept instead of that folder; removed when found.
OLD_LEXICAL_FILES = ("threads.bm25.npz",)


class IndexFiles(CatchUp):
    """Loading, rebuilding and saving the index files; deriving and embedding every thread again."""

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
