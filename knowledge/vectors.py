"""Vector indexes: the ``VectorIndex`` protocol and its FAISS implementations.

The SQL store is the source of truth (it keeps every vector); an index file in the data directory is a
cache that is loaded at start, caught up with the changes made since it was saved, and rebuilt from the
store when it is missing, damaged, or made by another embedder.

Two kinds, chosen by ``YOROZU_VECTOR_INDEX`` (:func:`new_vector_index`):

- ``exact``: :class:`FaissIndex`, brute-force inner product; exact answers, nothing to tune. From
  ``COARSE_AT`` vectors a copy quantised to 8 bits per dimension is scanned first (a quarter of the
  bytes: 100k vectors in ~4.5 ms instead of ~12 ms) and its best few hundred are re-scored exactly; the
  quantisation error is bounded, and when the bound cannot prove that the exact top k is among them the
  full scan runs instead, so results are those of the full scan.
- ``ivf``: :class:`IvfIndex`, FAISS ``IndexIVFFlat``: vectors are clustered around ``sqrt(n)``
  centroids and a query scans the ``nprobe`` nearest clusters only. Chosen over HNSW because IVF removes
  vectors for real (``remove_ids``; a hash-table direct map keeps removal and lookup by id cheap),
  whereas HNSW can only hide them behind a tombstone filter that grows until a rebuild; IVF also builds
  in seconds where HNSW takes minutes at 1M vectors, and keeps no graph in memory.
- ``auto`` (the default): exact until the index holds ``AUTO_APPROXIMATE_AT`` vectors, then IVF.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, cast

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

    def __contains__(self, thread_id: int) -> bool: ...

    def similarities(self, query: npt.NDArray[np.float32], ids: list[int]) -> dict[int, float]:
        """Cosine similarity of ``query`` to the stored vectors of ``ids`` (ids not present are left out)."""
        ...


VectorIndexKind = Literal["exact", "ivf", "auto"]
VECTOR_INDEX_KINDS: tuple[VectorIndexKind, ...] = ("exact", "ivf", "auto")
# `auto` stays exact below this size. Exact search at 100k vectors: ~9 ms on synthetic vectors (the
# 100k profile of 2026-12-03 in docs/benchmarks.md), 23.8 ms mean on real e5 vectors against 7.1 ms for
# IVF at IVF_NPROBE (recall@10 0.965; 2026-12-03, docs/benchmarks.md row "IVF recall@10").
AUTO_APPROXIMATE_AT = 200_000
# `ivf` trains its clusters once it holds this many vectors (k-means needs data); exact until then.
IVF_TRAIN_AT = 10_000
# Clusters scanned per query: the smallest nprobe with recall@10 >= 0.95 against exact on real e5 vectors
# of 100,000 public Japanese texts (nlist 316): 128 gives 0.965 (96: 0.938, 32: 0.822), 7.1 ms mean a
# query against 1.6 ms at 32 (2026-12-03, docs/benchmarks.md row "IVF recall@10"). At a fixed nprobe
# recall falls as the corpus grows (64: 0.97 at 10k, 0.90 at 100k), so above 100k it is below 0.965.
IVF_NPROBE = 128
# k-means runs on at most this many vectors per centroid (FAISS's own advice is 39..256).
IVF_TRAIN_PER_CENTROID = 64
# The exact index scans an 8-bit copy first from this size (below it the full scan takes < 3 ms).
COARSE_AT = 20_000
# How many of the 8-bit scan's best are re-scored exactly (at least; four times k when k is larger).
COARSE_CANDIDATES = 256
# The 8-bit copy is split into this many shards, scanned side by side: one thread scans ~5 GB/s here, so
# 100k vectors' 38 MB take ~8 ms on one core and 4.2 ms on two (measured 2026-12-02, in the history of
# docs/benchmarks.md: `git log -p docs/benchmarks.md`).
COARSE_SHARDS = max(
    1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
)


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """FAISS on one OpenMP thread for the duration: one query is faster on one thread than on FAISS's
    two (100k exact vectors: 12 ms against 29 ms, measured 2026-11-23; `git log -p docs/benchmarks.md`).
    Where a scan is worth splitting, it is split by hand (the 8-bit copy's shards, one thread each).
    Callers hold the index lock.
    """
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


_scan_pool: ThreadPoolExecutor | None = None
_scan_pool_lock = threading.Lock()


def _scan_threads() -> ThreadPoolExecutor:
    """Threads that scan the 8-bit copy's other shards while the caller scans the first (FAISS releases
    the interpreter lock while it scans). Each keeps FAISS to one OpenMP thread, as :func:`_one_thread`."""
    global _scan_pool
    with _scan_pool_lock:
        if _scan_pool is None:
            _scan_pool = ThreadPoolExecutor(
                max_workers=max(1, COARSE_SHARDS - 1),
                thread_name_prefix="yorozu-scan",
                initializer=faiss.omp_set_num_threads,
                initargs=(1,),
            )
        return _scan_pool


def new_vector_index(kind: str, dimension: int) -> FaissIndex | IvfIndex:
    """An empty index of this kind (``exact``, ``ivf`` or ``auto``)."""
    if kind == "exact":
        return FaissIndex(dimension)
    if kind == "ivf":
        return IvfIndex(dimension, train_at=IVF_TRAIN_AT)
    if kind == "auto":
        return IvfIndex(dimension, train_at=AUTO_APPROXIMATE_AT)
    raise ValueError(f"unknown vector index kind {kind!r}: use one of {', '.join(VECTOR_INDEX_KINDS)}")


def load_vector_index(path: Path, kind: str) -> tuple[FaissIndex | IvfIndex, IndexInfo] | None:
    """The saved index as the ``kind`` asked for, or ``None`` when missing, unreadable or of another kind.

    An exact file under ``auto``/``ivf`` is adopted (and clustered once big enough); a clustered file
    under ``exact`` is not used, so the caller rebuilds an exact index from the store.
    """
    loaded = _read_index(path)
    if loaded is None:
        return None
    index, info = loaded
    if isinstance(index, faiss.IndexIVF):
        if kind == "exact":
            return None
        train_at = IVF_TRAIN_AT if kind == "ivf" else AUTO_APPROXIMATE_AT
        return IvfIndex(info.dimension, train_at=train_at, ivf=index), info
    exact = FaissIndex(info.dimension, index)
    if kind == "exact":
        return exact, info
    train_at = IVF_TRAIN_AT if kind == "ivf" else AUTO_APPROXIMATE_AT
    return IvfIndex(info.dimension, train_at=train_at, exact=exact), info


class FaissIndex:
    """Exact inner-product search (``IndexFlatIP``) behind an id map; enough for ~100k threads."""

    def __init__(self, dimension: int, index: faiss.Index | None = None) -> None:
        self._dimension = dimension
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        # The index's own id list, to know which ids are present without asking FAISS each time.
        present: Any = faiss.vector_to_array(self._index.id_map) if index is not None else []  # type: ignore[attr-defined]
        self._ids: set[int] = {int(i) for i in present}
        # The 8-bit copy, in shards by id (thread id modulo the number of shards).
        self._coarse: list[faiss.IndexIDMap2] | None = None
        self._coarse_error = 0.0  # the largest distance between a vector and its 8-bit copy
        if len(self) >= COARSE_AT:
            self._build_coarse()

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
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._index.add_with_ids(vectors, ids)
        self._ids.update(int(i) for i in ids.tolist())
        if self._coarse is not None:
            self._add_coarse(ids, vectors)
        elif len(self) >= COARSE_AT:
            self._build_coarse()

    def remove(self, ids: npt.NDArray[np.int64]) -> None:
        wanted = [int(i) for i in np.asarray(ids).tolist() if int(i) in self._ids]
        if not wanted:
            return
        self._index.remove_ids(np.asarray(wanted, dtype=np.int64))  # type: ignore[arg-type]
        if self._coarse is not None:
            gone = np.asarray(wanted, dtype=np.int64)
            for n, shard in enumerate(self._coarse):
                shard.remove_ids(gone[gone % len(self._coarse) == n])
        self._ids.difference_update(wanted)

    def search(self, query: npt.NDArray[np.float32], k: int) -> list[tuple[int, float]]:
        if len(self) == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        with _one_thread():
            found = self._coarse_search(q, k) if self._coarse is not None else None
            if found is not None:
                return found
            scores, ids = self._index.search(q, min(k, len(self)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _coarse_search(self, q: npt.NDArray[np.float32], k: int) -> list[tuple[int, float]] | None:
        """The exact top ``k`` by way of the 8-bit copy, or ``None`` when that cannot be proven.

        A vector outside the copy's best ``m`` scores at most the m-th copy score plus the error bound
        (Cauchy-Schwarz: |q.x - q.x'| <= |q| |x - x'|); when that is below the k-th exact score among the
        ``m``, no vector outside them can be in the exact top k.
        """
        m = max(COARSE_CANDIDATES, 4 * k)
        if m >= len(self):
            return None
        candidates, mth_score = self._coarse_scan(q, m)
        if len(candidates) < m:
            return None
        exact = self._index.reconstruct_batch(candidates) @ q[0]
        order = np.argsort(-exact, kind="stable")[:k]
        slack = self._coarse_error * float(np.linalg.norm(q)) + 1e-5  # plus float rounding, generously
        if not mth_score + slack < float(exact[order[-1]]):
            return None
        return [(int(candidates[i]), float(exact[i])) for i in order]

    def _coarse_scan(self, q: npt.NDArray[np.float32], m: int) -> tuple[npt.NDArray[np.int64], float]:
        """The ids of the copy's best ``m`` (fewer when it holds fewer) and the m-th best copy score.

        Each shard gives its own best ``m``: a vector outside them scores at most its shard's m-th, which
        is at most the m-th of all the shards' results together, so the bound holds for the merged list.
        """
        shards = cast(list[faiss.IndexIDMap2], self._coarse)
        if len(shards) == 1:
            scores, found = shards[0].search(q, m)
        else:
            others = [_scan_threads().submit(shard.search, q, m) for shard in shards[1:]]
            try:
                results = [shards[0].search(q, m), *(f.result() for f in others)]
            finally:
                wait(others)  # never leave a scan running past the caller's lock, even on an error
            scores = np.concatenate([r[0][0] for r in results])[None]
            found = np.concatenate([r[1][0] for r in results])[None]
            best = np.argsort(-scores[0], kind="stable")[:m]
            scores, found = scores[:, best], found[:, best]
        keep = found[0] >= 0
        ids = found[0][keep]
        return ids, float(scores[0][keep][-1]) if len(ids) else 0.0

    def _build_coarse(self) -> None:
        """Train the 8-bit copy's ranges on the vectors held now and encode them all."""
        ids, data = self.vectors()
        quantizer = faiss.IndexScalarQuantizer(
            self._dimension, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        quantizer.train(np.ascontiguousarray(data))
        self._coarse = [faiss.IndexIDMap2(faiss.clone_index(quantizer)) for _ in range(COARSE_SHARDS)]
        self._coarse_error = 0.0
        for start in range(0, len(ids), 10_000):  # in chunks: decoding a copy of everything doubles the memory
            self._add_coarse(ids[start : start + 10_000], np.ascontiguousarray(data[start : start + 10_000]))

    def _add_coarse(self, ids: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        shards = cast(list[faiss.IndexIDMap2], self._coarse)
        ids = np.asarray(ids, dtype=np.int64)
        for n, shard in enumerate(shards):
            mine = ids % len(shards) == n
            if mine.any():
                shard.add_with_ids(np.ascontiguousarray(vectors[mine]), ids[mine])
        quantizer: Any = faiss.downcast_index(shards[0].index)
        decoded = quantizer.sa_decode(quantizer.sa_encode(vectors))
        # Vectors outside the trained ranges are clipped: their error counts too, so the bound holds.
        self._coarse_error = max(self._coarse_error, float(np.linalg.norm(vectors - decoded, axis=1).max()))

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

    @contextlib.contextmanager
    def deferred_clustering(self) -> Iterator[None]:
        """Nothing to defer: an exact index has no clusters (the same call as :class:`IvfIndex`)."""
        yield

    def vectors(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Every id with its vector, as views of FAISS's own arrays (no copy; valid until the index
        changes): what clustering them into an approximate index and the 8-bit copy read."""
        n = len(self)
        flat: Any = faiss.downcast_index(self._index.index)  # type: ignore[attr-defined]
        ids = faiss.rev_swig_ptr(self._index.id_map.data(), n)  # type: ignore[attr-defined]
        data = faiss.rev_swig_ptr(flat.get_xb(), n * self._dimension).reshape(n, self._dimension)
        return ids, data

    @classmethod
    def load(cls, path: Path) -> tuple[FaissIndex, IndexInfo] | None:
        """The saved exact index and its info, or ``None`` when missing or unreadable (then rebuild)."""
        loaded = _read_index(path)
        if loaded is None or isinstance(loaded[0], faiss.IndexIVF):
            return None
        return cls(loaded[1].dimension, loaded[0]), loaded[1]


class IvfIndex:
    """Approximate inner-product search (FAISS ``IndexIVFFlat``) for large corpora.

    Until it holds ``train_at`` vectors it is an exact :class:`FaissIndex`; then it clusters what it
    holds (k-means on a sample, ``sqrt(n)`` clusters) and from then on every vector goes to its nearest
    cluster. Clusters are not retrained as the corpus grows: ``yorozu reindex`` rebuilds them.
    """

    def __init__(
        self,
        dimension: int,
        *,
        train_at: int = IVF_TRAIN_AT,
        nprobe: int = IVF_NPROBE,
        exact: FaissIndex | None = None,
        ivf: faiss.IndexIVF | None = None,
    ) -> None:
        self._dimension = dimension
        self.train_at = train_at
        self._nprobe = nprobe
        self._exact: FaissIndex | None = None
        self._ivf: faiss.IndexIVF | None = None
        self._ids: set[int] = set()
        if ivf is not None:
            self._ivf = ivf
            self._ivf.nprobe = nprobe
            self._ids = {int(i) for i in _ivf_ids(ivf).tolist()}
        else:
            self._exact = exact if exact is not None else FaissIndex(dimension)
            if len(self._exact) >= train_at:
                self._cluster()

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def nprobe(self) -> int:
        """Clusters scanned per query; set on a live index, it applies to the next search."""
        return self._nprobe

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        if value < 1:
            raise ValueError(f"nprobe must be at least 1, not {value}")
        self._nprobe = value
        if self._ivf is not None:
            self._ivf.nprobe = value

    @property
    def nlist(self) -> int:
        """How many clusters (0 before clustering)."""
        return int(self._ivf.nlist) if self._ivf is not None else 0

    @property
    def approximate(self) -> bool:
        """Whether the vectors are clustered yet (before that, search is exact)."""
        return self._ivf is not None

    def __len__(self) -> int:
        return len(self._exact) if self._exact is not None else int(cast(faiss.IndexIVF, self._ivf).ntotal)

    def __contains__(self, thread_id: int) -> bool:
        return thread_id in self._exact if self._exact is not None else thread_id in self._ids

    @contextlib.contextmanager
    def deferred_clustering(self) -> Iterator[None]:
        """Add many vectors exactly, then cluster once on all of them if there are enough (a rebuild)."""
        train_at, self.train_at = self.train_at, sys.maxsize
        try:
            yield
        finally:
            self.train_at = train_at
            if self._exact is not None and len(self._exact) >= train_at:
                self._cluster()

    def add(self, ids: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        if self._exact is not None:
            self._exact.add(ids, vectors)
            if len(self._exact) >= self.train_at:
                self._cluster()
            return
        if len(ids) == 0:
            return
        ids = np.asarray(ids, dtype=np.int64)
        self.remove(ids)
        cast(faiss.IndexIVF, self._ivf).add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        self._ids.update(int(i) for i in ids.tolist())

    def remove(self, ids: npt.NDArray[np.int64]) -> None:
        if self._exact is not None:
            self._exact.remove(ids)
            return
        wanted = np.asarray([int(i) for i in np.asarray(ids).tolist() if int(i) in self._ids], dtype=np.int64)
        if not len(wanted):
            return
        # A hash-table direct map removes by an explicit id array only.
        selector = faiss.IDSelectorArray(len(wanted), faiss.swig_ptr(wanted))
        cast(faiss.IndexIVF, self._ivf).remove_ids(selector)
        self._ids.difference_update(wanted.tolist())

    def search(self, query: npt.NDArray[np.float32], k: int) -> list[tuple[int, float]]:
        if self._exact is not None:
            return self._exact.search(query, k)
        if len(self) == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        with _one_thread():
            scores, ids = cast(faiss.IndexIVF, self._ivf).search(q, min(k, len(self)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def similarities(self, query: npt.NDArray[np.float32], ids: list[int]) -> dict[int, float]:
        if self._exact is not None:
            return self._exact.similarities(query, ids)
        present = [i for i in ids if i in self._ids]
        if not present:
            return {}
        ivf = cast(faiss.IndexIVF, self._ivf)
        stored = np.vstack([ivf.reconstruct(int(i)) for i in present])
        sims = stored @ np.asarray(query, dtype=np.float32).reshape(-1)
        return {i: float(s) for i, s in zip(present, sims.tolist(), strict=True)}

    def save(self, path: Path, info: IndexInfo) -> None:
        if self._exact is not None:
            self._exact.save(path, info)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, faiss.serialize_index(cast(faiss.Index, self._ivf)).tobytes())
        _atomic_write(_info_path(path), json.dumps(_info_dict(info)).encode())

    def _cluster(self) -> None:
        """Move the exact index's vectors into a freshly trained IVF index."""
        assert self._exact is not None
        ids, data = self._exact.vectors()
        n = len(ids)
        nlist = max(16, int(np.sqrt(n)))
        sample = data
        if n > nlist * IVF_TRAIN_PER_CENTROID:
            pick = np.random.default_rng(0).choice(n, nlist * IVF_TRAIN_PER_CENTROID, replace=False)
            sample = data[np.sort(pick)]
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(self._dimension), self._dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.cp.max_points_per_centroid = IVF_TRAIN_PER_CENTROID
        ivf.train(np.ascontiguousarray(sample))
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
        ivf.add_with_ids(np.ascontiguousarray(data), ids)
        ivf.nprobe = self.nprobe
        self._ivf = ivf
        self._ids = {int(i) for i in ids.tolist()}
        self._exact = None


def _ivf_ids(ivf: faiss.IndexIVF) -> npt.NDArray[np.int64]:
    invlists = cast(Any, ivf.invlists)
    parts = []
    for lst in range(ivf.nlist):
        size = invlists.list_size(lst)
        if size:
            parts.append(faiss.rev_swig_ptr(invlists.get_ids(lst), size).copy())
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def _read_index(path: Path) -> tuple[faiss.Index, IndexInfo] | None:
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
    return index, info


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
