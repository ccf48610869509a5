"""Test doubles shared by the suite."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from knowledge.embedding import Vectors, normalize_rows
from knowledge.text import tokens


class FakeEmbedder:
    """Deterministic embeddings from hashed character bigrams: texts sharing words are close.

    Exact assertions become possible without loading a model; ``calls`` counts embedded texts.
    """

    def __init__(self, model_id: str = "fake:hashing-v1", dimension: int = 64) -> None:
        self._model_id = model_id
        self._dimension = dimension
        self.calls = 0

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> Vectors:
        self.calls += len(texts)
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in tokens(text) or ["<empty>"]:
                digest = hashlib.blake2b(term.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self._dimension] += 1.0
        return normalize_rows(out)
