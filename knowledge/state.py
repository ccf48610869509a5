"""The state every part of :class:`knowledge.base.KnowledgeBase` shares.

The parts (:mod:`knowledge.index`, :mod:`knowledge.parts`) are classes over this one state, and
``KnowledgeBase`` inherits them all; its ``__init__`` sets what is declared here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.confidence import Calibration
from knowledge.embedding import Embedder
from knowledge.index.turn_lock import TurnLock
from knowledge.lexical import LexicalIndex
from knowledge.model import Role
from knowledge.store import Store
from knowledge.store import repository as repo
from knowledge.vectors import FaissIndex, IvfIndex


class KnowledgeState:
    """The store, the embedder, the two indexes and the locks that guard them (:mod:`knowledge.index.catch_up`)."""

    store: Store
    embedder: Embedder
    # False in a process that leaves embedding threads to another process sharing the store (the web
    # role of `yorozu serve`): it indexes the vectors that process stores and embeds only questions.
    embeds_documents: bool
    # Roles from settings (YOROZU_ADMINS, YOROZU_SPECIALISTS); roles granted by command are in the store.
    configured_roles: dict[tuple[str, str], set[Role]]
    followup_after: timedelta
    vector_index: str
    # A fixed relevance threshold (YOROZU_ABSTAIN_BELOW, tests with a fake embedder) replaces the
    # calibrated confidence's decisions; without one the calibration decides (knowledge.confidence).
    _fixed_threshold: float | None
    abstain_below: float
    calibration: Calibration
    _topic_vectors: dict[str, np.ndarray]
    _index_path: Path | None
    _lexical_path: Path | None
    # The three locks (knowledge.index.catch_up): the embedder's, the indexes', the catch-up's.
    _lock: TurnLock
    _index_lock: threading.RLock
    _catch_up_lock: threading.RLock
    _vectors: FaissIndex | IvfIndex
    _lexical: LexicalIndex
    # Every change up to this number is applied: removals and the lexical half done, and the vector
    # either made or queued in `_new` / `_stale` (thread id -> its latest change, oldest first).
    _applied: int
    _new: dict[int, repo.ThreadChange]  # not in the vector index yet
    _stale: dict[int, repo.ThreadChange]  # indexed with the vector of an older document
    _dirty: bool
    _closing: bool
    _seconds_per_document: float  # the embedder's pace, measured on the queue's batches

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
