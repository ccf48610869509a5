"""Sweep the lexical weight of the hybrid fusion on a BEIR folder and print mrr@10 / recall@1 per weight.

    python scripts/tune_fusion.py ../shared/eval/jsts-paraphrase [--weights 0,0.05,0.1,0.15,0.2,0.3]

The corpus is embedded once; every weight re-ranks the same candidates (the production `retrieve`).
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from knowledge import events as ev
from knowledge import search
from knowledge.base import KnowledgeBase
from knowledge.embedding import build_embedder
from knowledge.evaluation import CHANNEL, PLATFORM, load_dataset, metrics
from knowledge.store import repository as repo
from knowledge.store import sqlite_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--weights", default="0,0.04,0.08,0.12,0.16,0.2,0.3,0.5")
    parser.add_argument("--embedder", default="e5-small-q4")
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    data = load_dataset(args.folder)
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase.open(
            database_url=sqlite_url(Path(tmp)), embedder=build_embedder(args.embedder), index_dir=None
        )
        when = datetime(2020, 1, 1, tzinfo=UTC)
        kb.ingest_many(
            [ev.ChannelSeen(PLATFORM, CHANNEL, CHANNEL)]
            + [ev.MessagePosted(PLATFORM, CHANNEL, i, None, t, when) for i, t in data.corpus.items()]
        )
        kb.sync()
        with kb.store.begin() as conn:
            root_of = repo.thread_roots(conn, PLATFORM, CHANNEL)
        totals = {w: {"mrr@10": 0.0, "recall@1": 0.0, "ndcg@10": 0.0} for w in weights}
        for qid, text in data.queries.items():
            vector = kb.embedder.embed_queries([text])[0]
            for w in weights:
                cands = search.retrieve(text, vector, kb._vectors, kb._lexical, lexical_weight=w)
                ranked = [root_of[c.thread_id] for c in cands if root_of[c.thread_id] != qid]
                m = metrics(ranked, data.qrels[qid])
                for k in totals[w]:
                    totals[w][k] += m[k]
        kb.close()
    n = len(data.queries)
    for w in weights:
        print(f"weight {w:5.2f}  " + "  ".join(f"{k} {v / n:.4f}" for k, v in totals[w].items()))


if __name__ == "__main__":
    main()
