"""The real ingest path at a sustained rate: posted -> suggestible (``scripts/bench_scale.py ingest``)."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from knowledge import events as ev
from knowledge.bench.results import peak_rss_mb, percentiles
from knowledge.bench.scale import open_kb
from knowledge.bench.synthetic import CHANNEL, MODEL_ID, PLATFORM, Generator
from knowledge.embedding import build_embedder
from knowledge.store import tables as t


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
