"""The knowledge base: the one facade the bot and the CLI use.

It owns the store (source of truth), the embedder and the two indexes (FAISS vectors and BM25). Ingest
writes facts to the store at once; :meth:`KnowledgeBase.sync` then embeds what changed and brings the
indexes up to date. The same catch-up runs at start, so an index file saved before a crash or by an older
process is brought forward rather than trusted, and several processes on one database see each other's
changes. The knowledge base is synchronous; the async shell calls it from worker threads
(:mod:`knowledge.index.catch_up` says how its three locks keep questions answered meanwhile).

This module is the composition root: it opens and closes the knowledge base and sets the state the
parts share (:class:`knowledge.state.KnowledgeState`). The behaviour lives in the parts, one concern
each: :mod:`knowledge.index.catch_up` and :mod:`knowledge.index.files` (the indexes), and in
:mod:`knowledge.parts` ingest, channels (switches, jobs, feedback), questions, roles, people, curation
(the FAQ) and review (review queue, follow-ups, insights).

``KnowledgeBase`` *inherits* the parts rather than holding part objects it forwards to. The parts are
not independent services: they share one store, one embedder, two indexes and the three locks that
guard them, and call each other (a follow-up asks for experts and subscribers, forgetting a person
applies changes at once). Forwarding would write each of some sixty public signatures twice, so a
feature would again be edited in two places, and callers (the bot, the tests, the scripts) would lose
nothing but gain a layer. As classes over one declared state, each part is a module to read on its own,
mypy checks every call between them, and the public API (``kb.suggest``, ``kb.faq_create``, ``kb.store``,
``kb.sync``...) stays what it was. A part that needs another inherits it (``Review`` needs ``Questions``,
``People`` and ``Curation``), so the dependencies between them are written down and cannot form a cycle.

The names other modules import from here (``ExcludeThread``, the index file names, the retention
periods...) are re-exported from the parts that define them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from knowledge import followup
from knowledge import search as s
from knowledge.confidence import Calibration, default_for
from knowledge.embedding import Embedder
from knowledge.index.catch_up import EMBED_BATCH
from knowledge.index.files import DERIVATION_KEY, INDEX_FILE, LEXICAL_DIR, IndexFiles
from knowledge.index.turn_lock import TurnLock
from knowledge.lexical import LexicalIndex
from knowledge.model import Role
from knowledge.parts.channels import JOB_RETENTION, RECEIPT_RETENTION, Channels
from knowledge.parts.ingest import Ingest
from knowledge.parts.questions import ExcludeThread
from knowledge.parts.review import Review
from knowledge.store import Store
from knowledge.vectors import new_vector_index

__all__ = [
    "DERIVATION_KEY",
    "EMBED_BATCH",
    "INDEX_FILE",
    "JOB_RETENTION",
    "LEXICAL_DIR",
    "RECEIPT_RETENTION",
    "ExcludeThread",
    "KnowledgeBase",
    "TurnLock",
]


class KnowledgeBase(IndexFiles, Ingest, Channels, Review):
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
        # What each attribute is for: knowledge.state.KnowledgeState.
        self.store = store
        self.embeds_documents = embeds_documents
        self.configured_roles = {}
        for platform, person_id, role in roles:
            self.configured_roles.setdefault((platform, person_id), set()).add(Role(role))
        self.followup_after = followup_after
        self._topic_vectors = {}
        self.vector_index = vector_index
        self.embedder = embedder
        self._fixed_threshold = abstain_below
        self.abstain_below = s.abstain_threshold(embedder.model_id) if abstain_below is None else abstain_below
        self.calibration = calibration or (
            (index_dir is not None and Calibration.load(index_dir, embedder.model_id)) or default_for(embedder.model_id)
        )
        self._index_path = index_dir / INDEX_FILE if index_dir is not None else None
        self._lexical_path = index_dir / LEXICAL_DIR if index_dir is not None else None
        self._lock = TurnLock()
        self._index_lock = threading.RLock()
        self._catch_up_lock = threading.RLock()
        self._vectors = new_vector_index(vector_index, embedder.dimension)
        self._lexical = LexicalIndex.in_memory()
        self._applied = 0
        self._new = {}
        self._stale = {}
        self._dirty = False
        self._closing = False
        self._seconds_per_document = 0.0

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

        Raises :class:`~knowledge.errors.EmbedderMismatch` when the stored vectors come from another
        embedder, unless ``adopt_embedder`` (what ``yorozu reindex`` does): then the old vectors are dropped
        and every thread is embedded again with ``embedder``. ``vector_index`` is ``exact``, ``ivf`` or ``auto``
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
