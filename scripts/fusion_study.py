"""Compare fusions of the dense and lexical halves (and the coverage signal) on a folder in BEIR layout.

    python scripts/fusion_study.py ../shared/eval/jsts-paraphrase [--lexical 0,0.03,0.05] [--coverage 0,0.03]

Indexes the corpus once (as `yorozu evaluate` does), takes each query's 30 best candidates by the
production relevance with their signals (`KnowledgeBase.candidate_signals`), and re-ranks them for every
combination: mrr@10 of dense + a × lexical + b × coverage. The table in docs/retrieval.md came from it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from knowledge.embedding import build_embedder
from knowledge.evaluation import indexed, load_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--lexical", default="0,0.02,0.03,0.05,0.08")
    parser.add_argument("--coverage", default="0,0.01,0.02,0.03")
    args = parser.parse_args()
    data = load_dataset(args.folder)
    rows = []
    with indexed(data, build_embedder("e5-small-q4")) as (kb, _, thread_of):
        for qid, text in data.queries.items():
            own = {thread_of[qid]} if qid in thread_of else set()
            relevant = {thread_of[d] for d in data.qrels[qid] if d in thread_of} - own
            (found,) = kb.candidate_signals(text, [own], top=30)
            rows.append((relevant, [(tid, sig) for tid, _, sig in found]))

    def mrr(score: object) -> float:
        total = 0.0
        for relevant, found in rows:
            ranked = sorted(found, key=lambda item: -score(item[1]))  # type: ignore[operator]
            total += next((1 / (i + 1) for i, (tid, _) in enumerate(ranked[:10]) if tid in relevant), 0.0)
        return total / len(rows)

    print(f"{len(rows)} queries; dense {mrr(lambda s: s.dense):.4f}; lexical {mrr(lambda s: s.lexical):.4f}")
    for a in (float(x) for x in args.lexical.split(",")):
        cells = [
            f"b={b}: {mrr(lambda s, a=a, b=b: s.dense + a * s.lexical + b * s.coverage):.4f}"
            for b in (float(x) for x in args.coverage.split(","))
        ]
        print(f"a={a}  " + "  ".join(cells))


if __name__ == "__main__":
    main()
