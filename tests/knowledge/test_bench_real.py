"""Recall on real texts (``knowledge.bench.real``): the corpus is built from checkouts laid out as JGLUE and
JaQuAD are, embedded resumably, and a partly embedded file is measured on the rows done."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from knowledge import vectors
from knowledge.bench.real import (
    build_corpus,
    child_recall_real,
    document_counts,
    embed_texts,
    load_embedded,
    read_texts,
    sentences,
    write_texts,
)
from knowledge.bench.scale import measure_recall
from knowledge.bench.synthetic import Generator
from knowledge.vectors import FaissIndex, IvfIndex
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]
DIM = 32


def _write_json_lines(path: Path, rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _squad(path: Path, paragraphs: list[tuple[str, list[str]]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "data": [
            {"title": "t", "paragraphs": [{"context": c, "qas": [{"question": q} for q in qs]} for c, qs in paragraphs]}
        ]
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def sources(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Tiny checkouts laid out as JGLUE, JaQuAD and the M365 set are."""
    jglue, jaquad, m365 = tmp_path / "JGLUE", tmp_path / "JaQuAD", tmp_path / "m365"
    _squad(
        jaquad / "data" / "train" / "a.json",
        [("富士山は日本で最も高い山である。概要。標高は三千七百七十六メートルである。", ["富士山の高さは？"])],
    )
    _squad(
        jglue / "datasets" / "jsquad-v1.3" / "valid-v1.3.json",
        [
            (
                "琵琶湖 [SEP] 琵琶湖は滋賀県にある日本最大の湖である。富士山は日本で最も高い山である。",
                ["日本最大の湖はどこにあるか？", "富士山は日本で最も高い山である。", "短い？"],
            )
        ],
    )
    _write_json_lines(
        jglue / "datasets" / "jsts-v1.3" / "train-v1.3.json",
        [{"sentence1": "白い犬が芝生の上を走っている。", "sentence2": "琵琶湖は滋賀県にある日本最大の湖である。"}],
    )
    _write_json_lines(
        jglue / "datasets" / "jnli-v1.3" / "train-v1.3.json",
        [{"sentence1": "男性が自転車に乗っている写真。", "sentence2": "女性が傘をさして歩いている。"}],
    )
    _write_json_lines(
        jglue / "datasets" / "jcommonsenseqa-v1.3" / "train-v1.3.json",
        [{"question": "雨の日に外出するときに持っていくものは？"}],
    )
    _write_json_lines(m365 / "queries.jsonl", [{"text": "Outlook でメールが送信できない場合の対処法"}])
    return jglue, jaquad, m365


def test_sentences_leave_out_the_title_and_fragments() -> None:
    assert sentences("琵琶湖 [SEP] 琵琶湖は滋賀県にある湖である。概要。長さは六十キロほどの湖である。") == [
        "琵琶湖は滋賀県にある湖である。",
        "長さは六十キロほどの湖である。",
    ]


def test_the_corpus_holds_distinct_documents_and_held_out_queries(sources: tuple[Path, Path, Path]) -> None:
    jglue, jaquad, m365 = sources
    rows = build_corpus(jglue, jaquad, m365=m365, queries=10)
    queries = [r for r in rows if r["role"] == "query"]
    documents = [r for r in rows if r["role"] == "document"]
    assert rows[: len(queries)] == queries  # queries first
    texts = [d["text"] for d in documents]
    # The sentence seen in JaQuAD, JSQuAD and JSTS is one document, from the first source that had it.
    assert texts.count("富士山は日本で最も高い山である。") == 1
    assert texts.count("琵琶湖は滋賀県にある日本最大の湖である。") == 1
    assert {d["source"] for d in documents if d["text"].startswith("富士山は")} == {"jaquad-wikipedia"}
    assert "概要。" not in texts and len(texts) == 7
    assert {d["source"] for d in documents} == {
        "jaquad-wikipedia",
        "jsquad-wikipedia",
        "jsts-caption",
        "jnli-caption",
        "jcommonsenseqa-question",
    }
    # A question that is also a document, or too short, is not a query.
    assert sorted(q["text"] for q in queries) == sorted(
        ["日本最大の湖はどこにあるか？", "Outlook でメールが送信できない場合の対処法"]
    )
    assert {q["source"] for q in queries} == {"jsquad-question", "m365-heading"}
    assert build_corpus(jglue, jaquad, m365=m365, queries=10) == rows  # seeded


def test_embedding_resumes_and_a_partial_file_is_read_as_far_as_it_goes(
    sources: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    jglue, jaquad, m365 = sources
    texts, out = tmp_path / "texts.jsonl", tmp_path / "v" / "vectors.npy"
    composition = write_texts(texts, build_corpus(jglue, jaquad, m365=m365))
    assert composition["query"]["count"] == 2 and composition["document"]["count"] == 7
    embedder = FakeEmbedder(dimension=DIM)
    first = embed_texts(texts, out, embedder=embedder, batch=3, limit=5, log=False)
    assert (first["embedded"], first["this_run"], embedder.calls) == (5, 5, 5)
    rows, data, total = load_embedded(texts, out)
    assert (len(rows), data.shape, total) == (5, (5, DIM), 9)
    second = embed_texts(texts, out, embedder=embedder, batch=3, log=False)
    assert (second["embedded"], second["this_run"], embedder.calls) == (9, 4, 9)
    rows, data, total = load_embedded(texts, out)
    assert len(rows) == total == 9
    # Row i holds text i's vector, whichever run embedded it.
    expected = FakeEmbedder(dimension=DIM).embed_documents([r["text"] for r in read_texts(texts)])
    assert np.allclose(data, expected, atol=1e-6)
    # Other texts than the vectors were made from are refused, and nothing is re-embedded for them.
    write_texts(texts, read_texts(texts)[:-1])
    with pytest.raises(SystemExit, match="other texts"):
        load_embedded(texts, out)
    with pytest.raises(SystemExit, match="no progress file"):
        load_embedded(texts, tmp_path / "missing.npy")


def test_sizes_become_document_counts() -> None:
    assert document_counts([100_000, 0], 40_000) == [40_000]
    assert document_counts([0, 1_000, 5_000, 1_000], 3_000) == [1_000, 3_000]


def _clustered(n: int, *, seed: int) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, DIM))
    data = centres[rng.integers(0, 40, n)] + 0.7 * rng.normal(size=(n, DIM))
    return (data / np.linalg.norm(data, axis=1, keepdims=True)).astype(np.float32)


def test_measure_recall_against_exact_per_nprobe_and_per_group() -> None:
    data = _clustered(3000, seed=0)
    ids = np.arange(1, 3001, dtype=np.int64)
    exact, ivf = FaissIndex(DIM), IvfIndex(DIM, train_at=1000, nprobe=3)
    exact.add(ids, data)
    ivf.add(ids, data)
    queries = _clustered(60, seed=1)
    groups = ["a"] * 20 + ["b"] * 40
    out = measure_recall(exact, ivf, queries, [1, 4, ivf.nlist], groups=groups)
    assert out["vectors"] == 3000 and out["queries"] == 60 and out["approximate"] and out["nlist"] == ivf.nlist
    recall = {int(p): r["recall@10"] for p, r in out["ivf"].items()}
    # Every cluster probed is exact search; one cluster misses neighbours in the clusters next to it.
    assert recall[ivf.nlist] == 1.0
    assert recall[1] < recall[4] <= 1.0
    one = out["ivf"]["1"]
    assert set(one["by_group"]) == {"a", "b"}
    assert one["recall@10"] == pytest.approx((one["by_group"]["a"] * 20 + one["by_group"]["b"] * 40) / 60, abs=1e-3)
    assert {"p50", "p95", "mean"} <= set(one["search_ms"]) and one["search_ms"]["mean"] >= 0
    assert ivf.nprobe == 3  # put back
    with pytest.raises(ValueError, match="groups"):
        measure_recall(exact, ivf, queries, [1], groups=["a"])


def _embedded_corpus(tmp_path: Path, documents: int, embedded: int) -> tuple[Path, Path]:
    """A corpus of 20 queries and ``documents`` synthetic texts, its first ``embedded`` rows embedded."""
    gen = Generator(seed=4)
    rows = [{"role": "query", "source": "q", "text": gen.question_text()} for _ in range(20)]
    rows += [{"role": "document", "source": "d", "text": gen.thread()[1]} for _ in range(documents)]
    texts, out = tmp_path / "texts.jsonl", tmp_path / "vectors.npy"
    write_texts(texts, rows)
    embed_texts(texts, out, embedder=FakeEmbedder(dimension=DIM), limit=embedded, log=False)
    return texts, out


def test_recall_real_uses_the_rows_done_of_a_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors, "IVF_TRAIN_AT", 200)  # cluster at this tiny size, as 10k is at the real one
    texts, out = _embedded_corpus(tmp_path, documents=700, embedded=520)
    result = child_recall_real(str(texts), str(out), [300, 0, 100_000], [1, 64])
    assert (result["rows_embedded"], result["rows_in_texts"]) == (520, 720)
    assert (result["queries"], result["documents_embedded"]) == (20, 500)
    assert list(result["sizes"]) == ["300", "500"]
    for n, size in result["sizes"].items():
        assert size["vectors"] == int(n) and size["approximate"] and size["nlist"] == int(np.sqrt(int(n)))
        assert size["ivf"]["64"]["recall@10"] == 1.0  # more probes than clusters: exact
        assert set(size["ivf"]["1"]["by_group"]) == {"q"}


def test_recall_real_through_the_script(tmp_path: Path) -> None:
    texts, out = _embedded_corpus(tmp_path, documents=60, embedded=50)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    script = [sys.executable, str(ROOT / "scripts" / "bench_scale.py")]
    args = ["recall-real", "--texts", str(texts), "--vectors", str(out), "--nprobe", "4", "--sizes", "0"]
    proc = subprocess.run([*script, "--no-results", *args], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["documents_embedded"] == 30 and list(result["sizes"]) == ["30"]
    # Below the training size the ivf index is still exact search.
    assert not result["sizes"]["30"]["approximate"] and result["sizes"]["30"]["ivf"]["4"]["recall@10"] == 1.0
    missing = [*script, "--no-results", "recall-real", "--texts", str(tmp_path / "none.jsonl"), "--vectors", str(out)]
    proc = subprocess.run(missing, capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run(
        [*script, "--no-results", "recall-real", "--texts", str(texts), "--vectors", str(tmp_path / "none.npy")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode != 0 and "run `embed` first" in proc.stderr and "Traceback" not in proc.stderr
