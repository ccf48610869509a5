"""Vector indexes: the ``VectorIndex`` protocol and its FAISS implementation.

The SQL store is the source of truth (it keeps every vector); an index file in the data directory is a
cache that is loaded at start, caught up with the changes made since it was saved, and rebuilt from the
store when it is missing, damaged, or made by another embedder.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """What an index file was built from."""

    model_id: str
    dimension: int
    change_seq: int


class VectorIndex(Protocol):
    """Inner-product search over L2-normalised vectors keyed by thread id."""

    @property
    def dimension(self) -> int: ...

    def __len__(self) -> int: ...

    def add(self, ids: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        """Add or replace vectors for these ids."""
        ...

    def remove(self, ids: npt.NDArray[np.int64]) -> None: ...

    def search(self, query: npt.NDArray[np.float32], k: int) -> list[tuple[int, float]]:
        """The ``k`` nearest ids with their cosine similarity, best first."""
        ...

    def save(self, path: Path, info: IndexInfo) -> None: ...


class FaissIndex:
    """Exact inner-product search (``IndexFlatIP``) behind an id map; enough for ~100k threads."""

    def __init__(self, dimension: int, index: faiss.Index | None = None) -> None:
        self._dimension = dimension
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        # The index's own id list, to know which ids are present without asking FAISS each time.
        present: Any = faiss.vector_to_array(self._index.id_map) if index is not None else []  # type: ignore[attr-defined]
        self._ids: set[int] = {int(i) for i in present}

    @property
    def dimension(self) -> int:
        return self._dimension

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def __contains__(self, thread_id: int) -> bool:
        return thread_id in self._ids

    def add(self, ids: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        if len(ids) == 0:
            return
        ids = np.asarray(ids, dtype=np.int64)
        present = np.array([i for i in ids.tolist() if i in self._ids], dtype=np.int64)
        if len(present):
            self.remove(present)
        self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        self._ids.update(int(i) for i in ids.tolist())

    def remove(self, ids: npt.NDArray[np.int64]) -> None:
        wanted = [int(i) for i in np.asarray(ids).tolist() if int(i) in self._ids]
        if not wanted:
            return
        self._index.remove_ids(np.asarray(wanted, dtype=np.int64))  # type: ignore[arg-type]
        self._ids.difference_update(wanted)

    def search(self, query: npt.NDArray[np.float32], k: int) -> list[tuple[int, float]]:
        if len(self) == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self._index.search(q, min(k, len(self)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def similarities(self, query: npt.NDArray[np.float32], ids: list[int]) -> dict[int, float]:
        """Cosine similarity of ``query`` to the stored vectors of ``ids`` (ids not present are left out)."""
        present = [i for i in ids if i in self._ids]
        if not present:
            return {}
        stored = np.vstack([self._index.reconstruct(int(i)) for i in present])
        sims = stored @ np.asarray(query, dtype=np.float32).reshape(-1)
        return {i: float(s) for i, s in zip(present, sims.tolist(), strict=True)}

    def save(self, path: Path, info: IndexInfo) -> None:
        """Write the index and its info atomically (a crash leaves the old files or none)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, faiss.serialize_index(self._index).tobytes())
        _atomic_write(_info_path(path), json.dumps(_info_dict(info)).encode())

    @classmethod
    def load(cls, path: Path) -> tuple[FaissIndex, IndexInfo] | None:
        """The saved index and its info, or ``None`` when missing or unreadable (then rebuild)."""
        try:
            raw = json.loads(_info_path(path).read_text())
            info = IndexInfo(
                model_id=str(raw["model_id"]), dimension=int(raw["dimension"]), change_seq=int(raw["change_seq"])
            )
            data = np.frombuffer(path.read_bytes(), dtype=np.uint8)
            index = faiss.deserialize_index(data)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError):
            return None
        if index.d != info.dimension:
            return None
        return cls(info.dimension, index), info


def _info_dict(info: IndexInfo) -> dict[str, object]:
    return {"model_id": info.model_id, "dimension": info.dimension, "change_seq": info.change_seq}


def _info_path(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".json")


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def vector_bytes(vector: npt.NDArray[np.float32]) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def vector_from_bytes(data: bytes) -> npt.NDArray[np.float32]:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)
