"""Vector indexes: exact and approximate (IVF) behave alike for add, replace, remove, save and load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from knowledge.vectors import FaissIndex, IndexInfo, IvfIndex, load_vector_index, new_vector_index

DIM = 32


def unit_vectors(n: int, *, seed: int = 0, clusters: int = 50) -> npt.NDArray[np.float32]:
    """Clustered unit vectors, as sentence embeddings are (topics), not uniform noise."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, DIM))
    data = centres[rng.integers(0, clusters, n)] + 0.6 * rng.normal(size=(n, DIM))
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    return data.astype(np.float32)


def ids(n: int, start: int = 1) -> npt.NDArray[np.int64]:
    return np.arange(start, start + n, dtype=np.int64)


@pytest.fixture
def ivf() -> IvfIndex:
    index = IvfIndex(DIM, train_at=1000, nprobe=8)
    index.add(ids(3000), unit_vectors(3000))
    return index


def test_ivf_is_exact_until_it_holds_enough_vectors_to_cluster() -> None:
    index = IvfIndex(DIM, train_at=1000)
    data = unit_vectors(1500)
    index.add(ids(999), data[:999])
    assert not index.approximate
    assert index.search(data[5], 1) == [(6, pytest.approx(1.0, abs=1e-5))]
    index.add(ids(501, start=1000), data[999:])
    assert index.approximate
    assert len(index) == 1500
    assert index.search(data[1200], 1)[0][0] == 1201


def test_ivf_replaces_and_removes_by_id(ivf: IvfIndex) -> None:
    assert ivf.approximate
    other = unit_vectors(1, seed=9)
    ivf.add(ids(1, start=7), other)  # replace thread 7's vector
    assert len(ivf) == 3000
    assert ivf.search(other[0], 1) == [(7, pytest.approx(1.0, abs=1e-5))]
    ivf.remove(np.asarray([7, 8, 123456], dtype=np.int64))  # an unknown id is ignored
    assert len(ivf) == 2998
    assert 7 not in ivf and 8 not in ivf and 9 in ivf
    assert all(i not in (7, 8) for i, _ in ivf.search(other[0], 20))


def test_ivf_similarities_read_stored_vectors(ivf: IvfIndex) -> None:
    data = unit_vectors(3000)
    sims = ivf.similarities(data[0], [1, 2, 999999])
    assert set(sims) == {1, 2}
    assert sims[1] == pytest.approx(1.0, abs=1e-5)
    assert sims[2] == pytest.approx(float(data[0] @ data[1]), abs=1e-5)


def test_ivf_recall_against_exact_search(ivf: IvfIndex) -> None:
    exact = FaissIndex(DIM)
    exact.add(ids(3000), unit_vectors(3000))
    queries = unit_vectors(100, seed=5)
    hits = 0
    for q in queries:
        truth = {i for i, _ in exact.search(q, 10)}
        hits += len(truth & {i for i, _ in ivf.search(q, 10)})
    assert hits / 1000 >= 0.9


def test_nprobe_set_on_a_live_index_applies_to_the_next_search(ivf: IvfIndex) -> None:
    exact = FaissIndex(DIM)
    exact.add(ids(3000), unit_vectors(3000))
    queries = unit_vectors(50, seed=6)

    def recall() -> float:
        hits = sum(len({i for i, _ in exact.search(q, 10)} & {i for i, _ in ivf.search(q, 10)}) for q in queries)
        return hits / 500

    ivf.nprobe = 1
    one = recall()
    ivf.nprobe = ivf.nlist  # every cluster: exact search
    assert ivf.nprobe == ivf.nlist and recall() == 1.0 > one
    with pytest.raises(ValueError, match="at least 1"):
        ivf.nprobe = 0
    # Set before clustering, it is kept when the index clusters.
    young = IvfIndex(DIM, train_at=1000, nprobe=8)
    young.nprobe = 2
    young.add(ids(1000), unit_vectors(1000))
    assert young.approximate and young.nprobe == 2 and young._ivf is not None and young._ivf.nprobe == 2


def test_saved_ivf_loads_with_its_clusters_and_ids(ivf: IvfIndex, tmp_path: Path) -> None:
    path = tmp_path / "threads.faiss"
    ivf.remove(np.asarray([5], dtype=np.int64))
    ivf.save(path, IndexInfo("fake", DIM, 42))
    loaded = load_vector_index(path, "ivf")
    assert loaded is not None
    index, info = loaded
    assert isinstance(index, IvfIndex) and index.approximate
    assert info == IndexInfo("fake", DIM, 42)
    assert len(index) == 2999 and 5 not in index and 6 in index
    data = unit_vectors(3000)
    assert index.search(data[100], 1)[0][0] == 101
    index.remove(np.asarray([101], dtype=np.int64))  # the id lookup survives a save and load
    assert 101 not in {i for i, _ in index.search(data[100], 5)}
    # A clustered file is not used where an exact index is configured: the caller rebuilds.
    assert load_vector_index(path, "exact") is None


def test_exact_file_is_adopted_by_auto_and_clustered_once_big_enough(tmp_path: Path) -> None:
    path = tmp_path / "threads.faiss"
    exact = new_vector_index("exact", DIM)
    exact.add(ids(1200), unit_vectors(1200))
    exact.save(path, IndexInfo("fake", DIM, 1))
    loaded = load_vector_index(path, "auto")
    assert loaded is not None and isinstance(loaded[0], IvfIndex) and not loaded[0].approximate
    loaded = load_vector_index(path, "exact")
    assert loaded is not None and isinstance(loaded[0], FaissIndex) and len(loaded[0]) == 1200
    small = IvfIndex(DIM, train_at=1000, exact=loaded[0])
    assert small.approximate and len(small) == 1200


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown vector index kind"):
        new_vector_index("hnsw", DIM)


def test_deferred_clustering_clusters_once_on_every_vector() -> None:
    index = IvfIndex(DIM, train_at=1000)
    data = unit_vectors(5000)
    with index.deferred_clustering():
        for start in range(0, 5000, 1000):
            index.add(ids(1000, start=start + 1), data[start : start + 1000])
            assert not index.approximate
    assert index.approximate and len(index) == 5000
    assert index.nlist == 70  # sqrt(5000): sized for all of them, not for the first thousand


@pytest.mark.parametrize("shards", [1, 2, 3])
def test_the_exact_index_scanning_an_8_bit_copy_first_returns_what_the_full_scan_returns(
    monkeypatch: pytest.MonkeyPatch, shards: int
) -> None:
    from knowledge import vectors

    monkeypatch.setattr(vectors, "COARSE_SHARDS", shards)
    monkeypatch.setattr(vectors, "COARSE_AT", 500)
    monkeypatch.setattr(vectors, "COARSE_CANDIDATES", 64)
    data = unit_vectors(3000, seed=4)
    index = FaissIndex(DIM)
    index.add(ids(400), data[:400])
    assert index._coarse is None  # small: the full scan only
    index.add(ids(2600, start=401), data[400:])
    assert index._coarse is not None and len(index._coarse) == shards
    index.add(ids(3, start=10), unit_vectors(3, seed=5))  # replaced vectors
    index.remove(np.asarray([20, 21, 2500], dtype=np.int64))
    reference = FaissIndex(DIM)
    held = {i: data[i - 1] for i in range(1, 3001)} | dict(zip(range(10, 13), unit_vectors(3, seed=5), strict=True))
    for gone in (20, 21, 2500):
        del held[gone]
    reference.add(np.asarray(list(held), dtype=np.int64), np.vstack(list(held.values())))
    monkeypatch.setattr(reference, "_coarse", None)
    proven = 0
    original = FaissIndex._coarse_search

    def counting(self: FaissIndex, q: npt.NDArray[np.float32], k: int) -> list[tuple[int, float]] | None:
        nonlocal proven
        found = original(self, q, k)
        proven += found is not None
        return found

    monkeypatch.setattr(FaissIndex, "_coarse_search", counting)
    queries = [*unit_vectors(100, seed=6), data[19], data[2499], unit_vectors(1, seed=5)[0]]
    for q in queries:
        for k in (1, 10, 50):
            got, want = index.search(q, k), reference.search(q, k)
            assert [i for i, _ in got] == [i for i, _ in want]
            assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-5)
    assert proven > 200  # most answers came from the 8-bit scan
    assert sum(shard.ntotal for shard in index._coarse) == len(index) == 2997
    assert all(i not in (20, 21, 2500) for q in queries for i, _ in index.search(q, 50))


def test_the_8_bit_copy_falls_back_to_the_full_scan_when_its_bound_proves_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from knowledge import vectors

    monkeypatch.setattr(vectors, "COARSE_AT", 500)
    monkeypatch.setattr(vectors, "COARSE_CANDIDATES", 16)
    base = unit_vectors(1, seed=8)[0]
    rng = np.random.default_rng(2)
    near = base + 0.001 * rng.normal(size=(1000, DIM)).astype(np.float32)  # near-duplicates: all within the bound
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    index = FaissIndex(DIM)
    index.add(ids(1000), near)
    assert index._coarse is not None
    assert index._coarse_search(np.ascontiguousarray(base.reshape(1, -1)), 10) is None
    got = index.search(base, 10)
    exact = {i + 1: float(near[i] @ base) for i in range(1000)}
    want = sorted(exact.items(), key=lambda item: -item[1])[:10]
    # Near-duplicates differ in the 7th digit, where FAISS's and NumPy's sums may round apart (CPU
    # kernels differ): the answer is the exact top 10 up to that rounding.
    assert [score for _, score in got] == pytest.approx([score for _, score in want], abs=1e-6)
    assert all(exact[i] >= want[-1][1] - 1e-6 for i, _ in got)
