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
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from knowledge import events as ev
from knowledge.base import ExcludeThread, KnowledgeBase
from knowledge.confidence import OFF_TOPIC, Calibration, Example, fit, measure, precision_coverage, top1_scores
from knowledge.embedding import Embedder
from knowledge.errors import ImportFailed
from knowledge.store import repository as repo
from knowledge.store import sqlite_url

PLATFORM = "eval"
CHANNEL = "corpus"
K = 10
MODES = ("dense", "lexical", "hybrid")
WHEN = datetime(2020, 1, 1, tzinfo=UTC)


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


@contextmanager
def indexed(
    data: Dataset,
    embedder: Embedder,
    *,
    calibration: Calibration | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> Iterator[tuple[KnowledgeBase, dict[int, str], dict[str, int]]]:
    """A throw-away knowledge base holding the corpus (each document a one-message thread), with the
    maps thread id -> document id and document id -> thread id."""
    with tempfile.TemporaryDirectory(prefix="yorozu-eval-") as tmp:
        kb = KnowledgeBase.open(
            database_url=sqlite_url(Path(tmp)), embedder=embedder, index_dir=None, calibration=calibration
        )
        try:
            events: list[ev.Event] = [ev.ChannelSeen(PLATFORM, CHANNEL, CHANNEL)]
            events += [
                ev.MessagePosted(PLATFORM, CHANNEL, doc_id, None, text, WHEN) for doc_id, text in data.corpus.items()
            ]
            kb.ingest_many(events, batch=2000)
            if on_progress:
                on_progress("indexing", 0, len(data.corpus))
            # A rebuild embeds in large batches (the catch-up's small batches keep questions quick
            # while a server indexes, at several times the cost per document).
            kb.reindex()
            with kb.store.begin() as conn:
                root_of = repo.thread_roots(conn, PLATFORM, CHANNEL)
            yield kb, root_of, {doc: thread for thread, doc in root_of.items()}
        finally:
            kb.close()


def confidence_examples(
    kb: KnowledgeBase,
    data: Dataset,
    thread_of: dict[str, int],
    *,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> tuple[list[Example], list[Example]]:
    """Each query twice — as asked (answerable) and with its relevant documents hidden (leave-one-out,
    unanswerable) — plus the built-in off-topic questions, as signals of their first candidates."""
    examples: list[Example] = []
    for done, (qid, text) in enumerate(data.queries.items(), 1):
        own = {thread_of[qid]} if qid in thread_of else set()
        relevant = {thread_of[d] for d in data.qrels[qid] if d in thread_of} - own
        asked, hidden = kb.candidate_signals(text, [own, own | relevant])
        examples.append(
            Example([sig for *_, sig in asked], [tid in relevant for tid, *_ in asked], answerable=bool(relevant))
        )
        examples.append(Example([sig for *_, sig in hidden], [False] * len(hidden), answerable=False))
        if on_progress and (done % 50 == 0 or done == len(data.queries)):
            on_progress("confidence", done, len(data.queries))
    off_topic = []
    for text in OFF_TOPIC:
        (asked,) = kb.candidate_signals(text)
        off_topic.append(Example([sig for *_, sig in asked], [False] * len(asked), answerable=False))
    return examples, off_topic


def confidence_report(cal: Calibration, examples: list[Example], off_topic: list[Example]) -> dict[str, object]:
    """The operating points in use with their measured figures, and the precision–coverage curve."""
    return {
        "calibration": cal.source,
        "channel_threshold": cal.auto_at,
        "direct_threshold": cal.related_at,
        "measured": measure(cal, examples, off_topic),
        "curve": precision_coverage(top1_scores(cal, examples)),
    }


def evaluate(
    folder: Path,
    embedder: Embedder,
    *,
    calibration: Calibration | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, object]:
    """Index the corpus, run every query in every mode, average the metrics, and measure the confidence
    (precision and coverage of its operating points, leave-one-out unanswerable questions included)."""
    data = load_dataset(folder)
    with indexed(data, embedder, calibration=calibration, on_progress=on_progress) as (kb, root_of, thread_of):
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
                now=WHEN,
            )
            rankings["hybrid"] = [s.root_message_id for s in result.suggestions]
            for mode, ranked in rankings.items():
                ranked = [doc for doc in ranked if doc != qid]
                for name, value in metrics(ranked, data.qrels[qid]).items():
                    totals[mode][name] += value
            if on_progress and (done % 25 == 0 or done == len(data.queries)):
                on_progress("queries", done, len(data.queries))
        examples, off_topic = confidence_examples(kb, data, thread_of, on_progress=on_progress)
        cal = kb.calibration
    n = len(data.queries)
    report: dict[str, object] = {mode: {k: round(v / n, 4) for k, v in totals[mode].items()} for mode in MODES}
    report["queries"] = n
    report["documents"] = len(data.corpus)
    report["embedder"] = embedder.model_id
    report["confidence"] = confidence_report(cal, examples, off_topic)
    return report


def calibrate(
    folders: list[Path],
    embedder: Embedder,
    *,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> Calibration:
    """Fit the confidence for ``embedder`` on folders of questions with known answers (BEIR layout),
    with leave-one-out unanswerable questions and the built-in off-topic ones (knowledge.confidence)."""
    if not folders:
        raise ImportFailed("give at least one folder of questions with known answers (BEIR layout)")
    examples: list[Example] = []
    off_topic: list[Example] = []
    for folder in folders:
        data = load_dataset(folder)
        with indexed(data, embedder, on_progress=on_progress) as (kb, _, thread_of):
            found, chatter = confidence_examples(kb, data, thread_of, on_progress=on_progress)
        examples += found
        off_topic += chatter
    try:
        return fit(
            examples,
            off_topic,
            model_id=embedder.model_id,
            source=f"{', '.join(f.name for f in folders)} ({datetime.now(UTC):%Y-%m-%d}, leave-one-out)",
        )
    except ValueError as exc:
        raise ImportFailed(str(exc)) from None
