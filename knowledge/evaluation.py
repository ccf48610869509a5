"""Retrieval-quality evaluation on a folder in BEIR layout.

The corpus is indexed into a throw-away knowledge base through the same ingest path as real threads
(each document becomes a one-message thread), then every query runs through three rankings: ``dense``
(embeddings only), ``lexical`` (BM25 only) and ``hybrid`` (the production search with abstaining off).
A document whose id equals the query's id is never counted (paraphrase sets keep the query in the corpus).
"""

from __future__ import annotations

import csv
import json
import math
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from knowledge import events as ev
from knowledge.base import ExcludeThread, KnowledgeBase
from knowledge.embedding import Embedder
from knowledge.errors import ImportFailed
from knowledge.store import repository as repo
from knowledge.store import sqlite_url

PLATFORM = "eval"
CHANNEL = "corpus"
K = 10
MODES = ("dense", "lexical", "hybrid")


@dataclass(frozen=True, slots=True)
class Dataset:
    corpus: dict[str, str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, float]]


def _jsonl(path: Path) -> Iterator[dict[str, object]]:
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise ImportFailed(f"{path.name} line {number}: not JSON ({exc.msg})") from None
                    if not isinstance(row, dict) or "_id" not in row or "text" not in row:
                        raise ImportFailed(f"{path.name} line {number}: needs '_id' and 'text'")
                    yield row
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror}") from None


def load_dataset(folder: Path) -> Dataset:
    """Read ``corpus.jsonl``, ``queries.jsonl`` and ``qrels.tsv`` (or ``qrels/test.tsv``)."""
    if not folder.is_dir():
        raise ImportFailed(f"{folder} is not a folder in BEIR layout")
    corpus = {}
    for row in _jsonl(folder / "corpus.jsonl"):
        title = str(row.get("title") or "").strip()
        text = str(row["text"]).strip()
        corpus[str(row["_id"])] = f"{title}\n{text}" if title else text
    queries = {str(row["_id"]): str(row["text"]) for row in _jsonl(folder / "queries.jsonl")}
    qrels_path = folder / "qrels.tsv"
    if not qrels_path.exists():
        qrels_path = folder / "qrels" / "test.tsv"
    qrels: dict[str, dict[str, float]] = {}
    try:
        with qrels_path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t")
            if not reader.fieldnames or not {"query-id", "corpus-id", "score"} <= set(reader.fieldnames):
                raise ImportFailed(f"{qrels_path.name}: the header must name query-id, corpus-id and score")
            for number, judged in enumerate(reader, 2):
                try:
                    score = float(judged["score"])
                except (TypeError, ValueError):
                    raise ImportFailed(f"{qrels_path.name} line {number}: score is not a number") from None
                if score > 0:
                    qrels.setdefault(judged["query-id"], {})[judged["corpus-id"]] = score
    except OSError as exc:
        raise ImportFailed(f"cannot read {qrels_path}: {exc.strerror}") from None
    queries = {qid: text for qid, text in queries.items() if qid in qrels}
    if not corpus or not queries:
        raise ImportFailed(f"{folder}: no documents or no judged queries")
    return Dataset(corpus=corpus, queries=queries, qrels=qrels)


def metrics(ranked: list[str], relevant: dict[str, float]) -> dict[str, float]:
    """mrr@10, ndcg@10 (graded), recall@1/5/10 for one query."""
    top = ranked[:K]
    rr = next((1.0 / (i + 1) for i, doc in enumerate(top) if doc in relevant), 0.0)
    dcg = sum((2 ** relevant.get(doc, 0.0) - 1) / math.log2(i + 2) for i, doc in enumerate(top))
    ideal = sorted(relevant.values(), reverse=True)[:K]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    n = len(relevant)
    return {
        "mrr@10": rr,
        "ndcg@10": dcg / idcg if idcg else 0.0,
        "recall@1": len(set(ranked[:1]) & relevant.keys()) / n,
        "recall@5": len(set(ranked[:5]) & relevant.keys()) / n,
        "recall@10": len(set(top) & relevant.keys()) / n,
    }


def evaluate(
    folder: Path,
    embedder: Embedder,
    *,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, object]:
    """Index the corpus, run every query in every mode, and average the metrics."""
    data = load_dataset(folder)
    with tempfile.TemporaryDirectory(prefix="yorozu-eval-") as tmp:
        kb = KnowledgeBase.open(database_url=sqlite_url(Path(tmp)), embedder=embedder, index_dir=None)
        try:
            when = datetime(2020, 1, 1, tzinfo=UTC)
            events: list[ev.Event] = [ev.ChannelSeen(PLATFORM, CHANNEL, CHANNEL)]
            events += [
                ev.MessagePosted(PLATFORM, CHANNEL, doc_id, None, text, when) for doc_id, text in data.corpus.items()
            ]
            kb.ingest_many(events, batch=2000)
            if on_progress:
                on_progress("indexing", 0, len(data.corpus))
            kb.sync()
            with kb.store.begin() as conn:
                root_of = repo.thread_roots(conn, PLATFORM, CHANNEL)
            totals = {
                mode: dict.fromkeys(("mrr@10", "ndcg@10", "recall@1", "recall@5", "recall@10"), 0.0) for mode in MODES
            }
            for done, (qid, text) in enumerate(data.queries.items(), 1):
                rankings = {
                    mode: [root_of[t] for t, _ in kb.nearest(text, mode=mode, k=K + 1)] for mode in ("dense", "lexical")
                }
                result = kb.suggest(
                    text,
                    exclude=ExcludeThread(PLATFORM, CHANNEL, qid),
                    limit=K,
                    abstain=False,
                    require_answer=False,
                    now=when,
                )
                rankings["hybrid"] = [s.root_message_id for s in result.suggestions]
                for mode, ranked in rankings.items():
                    ranked = [doc for doc in ranked if doc != qid]
                    for name, value in metrics(ranked, data.qrels[qid]).items():
                        totals[mode][name] += value
                if on_progress and (done % 25 == 0 or done == len(data.queries)):
                    on_progress("queries", done, len(data.queries))
        finally:
            kb.close()
    n = len(data.queries)
    report: dict[str, object] = {mode: {k: round(v / n, 4) for k, v in totals[mode].items()} for mode in MODES}
    report["queries"] = n
    report["documents"] = len(data.corpus)
    report["embedder"] = embedder.model_id
    return report
