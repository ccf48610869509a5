"""Speed and scale on synthetic communities of 10k, 100k and 1M threads (``scripts/bench_scale.py``).

Store. :func:`build` writes channels, people, threads, messages and embeddings with bulk SQL in the
store's own schema (the ingest path would take hours at 1M); :mod:`knowledge.bench.stream` measures the
real path. Questions in :func:`child_open` are real texts embedded by the real e5, so latency includes
embedding; :func:`child_recall` compares approximate to exact on held-out synthetic vectors drawn like the
corpus (a real-e5 query against synthetic vectors says nothing about recall). Every measurement runs in a
child process (:mod:`knowledge.bench.child`), so peak RSS (``ru_maxrss``) is that process's alone.
"""

from __future__ import annotations

import hashlib
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from knowledge import ingest, search
from knowledge.base import KnowledgeBase
from knowledge.bench.results import peak_rss_mb, percentiles
from knowledge.bench.synthetic import CHANNEL, DIM, MODEL_ID, PLATFORM, Generator
from knowledge.embedding import build_embedder
from knowledge.store import Store, sqlite_url
from knowledge.store import tables as t
from knowledge.text import looks_like_question, title_of
from knowledge.vectors import FaissIndex, IvfIndex, load_vector_index, vector_bytes

T0 = datetime(2020, 4, 1, tzinfo=UTC)


def build(data_dir: Path, count: int, *, seed: int = 0) -> dict[str, Any]:
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    gen = Generator(seed)
    started = time.perf_counter()
    store = Store.open(sqlite_url(data_dir))
    chunk = 10_000
    people = [f"U{i:04d}" for i in range(500)]
    doc_chars = []
    with store.begin() as conn:
        conn.execute(t.meta.insert().values(key="embedder", value=MODEL_ID))
        # Derived here with the same rules as ingest, so opening it re-derives nothing.
        conn.execute(t.meta.insert().values(key="derivation", value=str(ingest.DERIVATION_VERSION)))
        conn.execute(t.channels.insert().values(id=1, platform=PLATFORM, external_id=CHANNEL, name="q-and-a"))
        conn.execute(
            t.people.insert(),
            [
                {"platform": PLATFORM, "external_id": p, "display_name": f"職員{i}", "organization": f"市町村{i % 60}"}
                for i, p in enumerate(people)
            ],
        )
    message_id = 0
    for base in range(0, count, chunk):
        threads, messages, embeddings = [], [], []
        n = min(chunk, count - base)
        topics = np.empty(n, dtype=np.int64)
        docs = []
        for j in range(n):
            thread_id = base + j + 1
            topic, question, answers = gen.thread()
            topics[j] = topic
            asked = T0 + timedelta(minutes=thread_id * 3)
            root = f"{1600000000 + thread_id}.000100"
            asker = people[thread_id % len(people)]
            document = ingest.thread_document(question, answers)
            docs.append(document)
            doc_chars.append(len(document))
            threads.append(
                {
                    "id": thread_id,
                    "channel_id": 1,
                    "root_external_id": root,
                    "asker_external_id": asker,
                    "title": title_of(question),
                    "is_question": looks_like_question(question),
                    "answer_count": len(answers),
                    "asked_at": asked,
                    "last_activity_at": asked + timedelta(hours=len(answers)),
                    "hidden": False,
                    "document": document,
                    "document_hash": hashlib.sha256(document.encode()).hexdigest(),
                    "change_seq": thread_id,
                }
            )
            texts = [(question, asker, root)] + [
                (a, people[(thread_id * 31 + k + 1) % len(people)], f"{1600000000 + thread_id}.{k + 2:06d}")
                for k, a in enumerate(answers)
            ]
            for k, (text, author, ext) in enumerate(texts):
                message_id += 1
                messages.append(
                    {
                        "id": message_id,
                        "channel_id": 1,
                        "thread_id": thread_id,
                        "external_id": ext,
                        "author_external_id": author,
                        "text": text,
                        "posted_at": asked + timedelta(hours=k),
                    }
                )
        vectors = gen.vectors(topics)
        for j, row in enumerate(threads):
            embeddings.append(
                {
                    "thread_id": row["id"],
                    "model_id": MODEL_ID,
                    "document_hash": row["document_hash"],
                    "vector": vector_bytes(vectors[j]),
                }
            )
        with store.begin() as conn:
            conn.execute(t.threads.insert(), threads)
            conn.execute(t.messages.insert(), messages)
            conn.execute(t.embeddings.insert(), embeddings)
        print(f"  {base + n}/{count} threads", file=sys.stderr, flush=True)
    with store.begin() as conn:
        conn.execute(t.counters.update().where(t.counters.c.name == "change_seq").values(value=count))
    store.close()
    size = (data_dir / "yorozu.sqlite3").stat().st_size
    return {
        "threads": count,
        "messages": message_id,
        "document_chars_mean": round(statistics.fmean(doc_chars)),
        "document_chars_p95": int(np.percentile(doc_chars, 95)),
        "document_chars_max": max(doc_chars),
        "build_seconds": round(time.perf_counter() - started, 1),
        "database_mb": round(size / 2**20),
    }


def open_kb(data_dir: Path, index: str, embedder: Any) -> KnowledgeBase:
    return KnowledgeBase.open(
        database_url=sqlite_url(data_dir), embedder=embedder, index_dir=data_dir / f"index-{index}", vector_index=index
    )


def child_open(data_dir: Path, index: str, queries: int) -> dict[str, Any]:
    """Open (building or loading the indexes), then ask ``queries`` questions through ``suggest``."""
    t0 = time.perf_counter()
    embedder = build_embedder("e5-small-q4")
    t_model = time.perf_counter() - t0
    index_dir = data_dir / f"index-{index}"
    had_files = (index_dir / "threads.faiss").exists()
    t1 = time.perf_counter()
    kb = open_kb(data_dir, index, embedder)
    t_open = time.perf_counter() - t1
    out: dict[str, Any] = {
        "index": index,
        "loaded_from_files": had_files,
        "model_load_s": round(t_model, 2),
        "open_s": round(t_open, 2),
        "threads": kb.indexed,
        "approximate": bool(getattr(kb._vectors, "approximate", False)),
    }
    if not had_files:
        t2 = time.perf_counter()
        kb.save_index()
        out["save_s"] = round(time.perf_counter() - t2, 2)
        out["files_mb"] = {p.name: round(p.stat().st_size / 2**20, 1) for p in index_dir.iterdir()}
    out["rss_after_open_mb"] = peak_rss_mb()
    if queries:
        gen = Generator(seed=42)
        texts = [gen.question_text() for _ in range(queries + 10)]
        for text in texts[:10]:  # warm-up
            kb.suggest(text, abstain=False)
        timings = []
        stages: dict[str, list[float]] = {"embed": [], "search": []}
        for text in texts[10:]:
            s = time.perf_counter()
            kb.suggest(text, abstain=False)
            timings.append(time.perf_counter() - s)
        for text in texts[10:110]:
            s = time.perf_counter()
            vec = embedder.embed_queries([text])[0]
            m = time.perf_counter()
            search.retrieve(text, vec, kb._vectors, kb._lexical)
            stages["embed"].append(m - s)
            stages["search"].append(time.perf_counter() - m)
        out["suggest_ms"] = percentiles(timings)
        out["embed_query_ms"] = percentiles(stages["embed"])
        out["retrieve_ms"] = percentiles(stages["search"])
    kb.store.close()  # no save: the files stay as built
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def child_recall(data_dir: Path, nprobes: list[int], samples: int) -> dict[str, Any]:
    """Approximate against exact on held-out synthetic vectors; vector search alone."""
    ivf_loaded = load_vector_index(data_dir / "index-ivf" / "threads.faiss", "ivf")
    assert ivf_loaded is not None, "run measure --index ivf first"
    ivf = ivf_loaded[0]
    assert isinstance(ivf, IvfIndex) and ivf.approximate and ivf._ivf is not None
    faiss_ivf = ivf._ivf
    exact_loaded = load_vector_index(data_dir / "index-exact" / "threads.faiss", "exact")
    if exact_loaded is not None:
        exact = exact_loaded[0]
    else:  # the same vectors, read out of the IVF lists (no need to build the exact index from the store)
        exact = FaissIndex(DIM)
        lists = faiss_ivf.invlists
        assert lists is not None
        for lst in range(ivf.nlist):
            size = lists.list_size(lst)
            if size:
                ids = faiss.rev_swig_ptr(lists.get_ids(lst), size).copy()
                codes = faiss.rev_swig_ptr(lists.get_codes(lst), size * DIM * 4).copy().view(np.float32)
                exact.add(ids.astype(np.int64), codes.reshape(size, DIM))
    assert isinstance(exact, FaissIndex)
    gen = Generator(seed=0)  # the corpus's topics (seed 0), with noise of its own
    gen.vec_rng = np.random.default_rng(7)
    queries = gen.vectors(np.random.default_rng(7).integers(0, len(gen.topics), samples))
    out = measure_recall(exact, ivf, queries, nprobes)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def measure_recall(
    exact: FaissIndex,
    ivf: IvfIndex,
    queries: npt.NDArray[np.float32],
    nprobes: list[int],
    *,
    k: int = 10,
    groups: list[str] | None = None,
) -> dict[str, Any]:
    """Recall@k of ``ivf`` against ``exact`` (the share of the exact top k that the approximate top k
    holds, over all queries) and the search time of one query, for each nprobe; vector search alone.

    ``groups`` names each query's group (its source); recall is then also given per group. The index's
    own nprobe is put back afterwards.
    """
    if groups is not None and len(groups) != len(queries):
        raise ValueError(f"{len(groups)} groups for {len(queries)} queries")
    for q in queries[:10]:  # warm-up
        exact.search(q, k)
    truth = []
    exact_t = []
    for q in queries:
        s = time.perf_counter()
        truth.append({i for i, _ in exact.search(q, k)})
        exact_t.append(time.perf_counter() - s)
    out: dict[str, Any] = {
        "vectors": len(exact),
        "queries": len(queries),
        "approximate": ivf.approximate,
        "nlist": ivf.nlist,
        "exact_search_ms": percentiles(exact_t),
        "ivf": {},
    }
    before = ivf.nprobe
    try:
        for nprobe in nprobes:
            ivf.nprobe = nprobe
            for q in queries[:10]:
                ivf.search(q, k)
            hits = np.zeros(len(queries), dtype=np.int64)
            times = []
            for n, (q, want) in enumerate(zip(queries, truth, strict=True)):
                s = time.perf_counter()
                got = {i for i, _ in ivf.search(q, k)}
                times.append(time.perf_counter() - s)
                hits[n] = len(want & got)
            wanted = np.asarray([len(w) for w in truth])
            row: dict[str, Any] = {
                f"recall@{k}": _share(hits, wanted),
                "search_ms": percentiles(times),
            }
            if groups is not None:
                names = np.asarray(groups)
                row["by_group"] = {g: _share(hits[names == g], wanted[names == g]) for g in sorted(set(groups))}
            out["ivf"][str(nprobe)] = row
    finally:
        ivf.nprobe = before
    return out


def _share(hits: npt.NDArray[np.int64], wanted: npt.NDArray[np.int64]) -> float:
    return round(float(hits.sum() / max(int(wanted.sum()), 1)), 4)


def child_embedders(count: int) -> dict[str, Any]:
    gen = Generator(seed=5)
    docs = [ingest.thread_document(q, a) for _, q, a in (gen.thread() for _ in range(count))]
    queries = [gen.question_text() for _ in range(50)]
    out: dict[str, Any] = {
        "texts": count,
        "chars_mean": round(statistics.fmean(len(d) for d in docs)),
    }
    for spec in ("e5-small-q4", "minilm"):
        s = time.perf_counter()
        embedder = build_embedder(spec)
        loaded = time.perf_counter() - s
        embedder.embed_documents(docs[:4])
        s = time.perf_counter()
        for i in range(0, len(docs), 32):
            embedder.embed_documents(docs[i : i + 32])
        took = time.perf_counter() - s
        s1 = time.perf_counter()
        for d in docs[:20]:
            embedder.embed_documents([d])
        single = (time.perf_counter() - s1) / 20
        times = []
        for q in queries:
            s = time.perf_counter()
            embedder.embed_queries([q])
            times.append(time.perf_counter() - s)
        out[spec] = {
            "model_id": embedder.model_id,
            "load_s": round(loaded, 2),
            "documents_per_s_batched": round(count / took, 1),
            "document_ms_one_at_a_time": round(single * 1000),
            "query_ms": percentiles(times),
        }
    return out
