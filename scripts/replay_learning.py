"""Replay of learning from use (解決した) on JSTS paraphrase clusters: recall before and after.

    python scripts/replay_learning.py --jsts-dir DIR [--shared ../shared] [--json OUT]

DIR holds JGLUE's JSTS v1.3 files (train-v1.3.json, valid-v1.3.json, test-v1.3.json; repository
yahoojapan/JGLUE, datasets/jsts-v1.3, CC BY-SA 4.0). Sentences linked by pairs labelled >= 4.0 (the same
meaning) form clusters; clusters of three or more sentences are replayed: the first sentence is a past
thread, the second is asked and marked 解決した on that thread, the others are asked later. The corpus is
every thread of ../shared/eval/jsts-paraphrase plus the clusters' threads, so the later questions meet
thousands of near-miss captions. Printed: recall@1, recall@3 (what a direct question shows) and MRR@3 of
the later questions before and after the learning, and the same for the set's own 311 queries, which
learned nothing (does learning disturb other questions?).
"""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict
from pathlib import Path

from knowledge.base import ExcludeThread, KnowledgeBase
from knowledge.embedding import build_embedder
from knowledge.evaluation import CHANNEL, PLATFORM, Dataset, indexed, load_dataset
from knowledge.model import Verdict, thread_key

ROOT = Path(__file__).resolve().parents[1]
SHOWN = 3


def clusters(jsts_dir: Path) -> list[list[str]]:
    """Sentences of the same meaning (label >= 4.0, linked transitively), in order of first appearance."""
    parent: dict[str, str] = {}
    order: dict[str, int] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for split in ("train", "valid", "test"):
        for line in (jsts_dir / f"{split}-v1.3.json").read_text(encoding="utf-8").splitlines():
            pair = json.loads(line)
            for s in (pair["sentence1"], pair["sentence2"]):
                order.setdefault(s, len(order))
            if pair["label"] >= 4.0:
                a, b = root(pair["sentence1"]), root(pair["sentence2"])
                if a != b:
                    parent[a] = b
    groups: dict[str, list[str]] = defaultdict(list)
    for sentence in sorted(parent, key=order.__getitem__):
        groups[root(sentence)].append(sentence)
    return [g for g in groups.values() if len(g) >= 3]


Ask = tuple[str, str, str | None]  # question, the relevant document's id, the question's own id in the corpus


def scores(kb: KnowledgeBase, asks: list[Ask], *, abstain: bool) -> dict[str, float]:
    """recall@1, recall@3 and MRR@3 of ``asks`` through suggest(): what a direct question shows
    (``abstain``), or the first three by rank alone. A question that is itself in the corpus is not its
    own answer; the captions have no replies, so threads without an answer count."""
    r1 = r3 = mrr = 0.0
    for question, doc, own in asks:
        exclude = ExcludeThread(PLATFORM, CHANNEL, own) if own else None
        found = kb.suggest(question, exclude=exclude, require_answer=False, abstain=abstain).suggestions[:SHOWN]
        shown = [s.thread_id.rpartition(":")[2] for s in found]
        if doc in shown:
            rank = shown.index(doc) + 1
            r1 += rank == 1
            r3 += 1
            mrr += 1 / rank
    n = len(asks)
    return {"recall@1": round(r1 / n, 4), "recall@3": round(r3 / n, 4), "mrr@3": round(mrr / n, 4), "questions": n}


def measure(kb: KnowledgeBase, later: list[Ask], own: list[Ask]) -> dict[str, dict[str, float]]:
    return {
        "later shown": scores(kb, later, abstain=True),
        "later ranked": scores(kb, later, abstain=False),
        "jsts shown": scores(kb, own, abstain=True),
        "jsts ranked": scores(kb, own, abstain=False),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jsts-dir", type=Path, required=True)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    base = load_dataset(args.shared / "eval" / "jsts-paraphrase")
    groups = clusters(args.jsts_dir)
    corpus = dict(base.corpus)
    known = {text: doc for doc, text in corpus.items()}
    replay: list[tuple[str, str, list[str]]] = []  # (thread document id, accepted wording, later questions)
    for number, group in enumerate(groups):
        doc = known.get(group[0])
        if doc is None:
            doc = f"c{number:04d}"
            corpus[doc] = group[0]
        replay.append((doc, group[1], group[2:]))
    data = Dataset(corpus=corpus, queries=base.queries, qrels=base.qrels)
    later: list[Ask] = [(q, doc, known.get(q)) for doc, _, rest in replay for q in rest]
    own: list[Ask] = [(base.queries[q], next(iter(rel)), q) for q, rel in base.qrels.items() if q in base.queries]

    with indexed(data, build_embedder("e5-small-q4")) as (kb, _, _):
        before = measure(kb, later, own)
        for number, (doc, wording, _) in enumerate(replay):
            kb.record_feedback(
                platform=PLATFORM,
                channel_id=CHANNEL,
                question_message_id=f"asked-{number}",
                question=wording,
                suggested_thread=thread_key(PLATFORM, CHANNEL, doc),
                person_id="U1",
                verdict=Verdict.SOLVED,
            )
        kb.sync()
        after = measure(kb, later, own)
    result = {
        "clusters": len(replay),
        "corpus": len(corpus),
        "before": before,
        "after": after,
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
