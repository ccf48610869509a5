"""Fit the default embedder's confidence on public data (what `knowledge.confidence.DEFAULT` holds).

    python scripts/calibrate_public.py [--shared ../shared] [--m365-sample 700] [--seed 7]

Sets: ../shared/eval/jsts-paraphrase (paraphrases) and a seeded sample of documents of
../shared/eval/ja-m365-troubleshooting (IT problem statements -> help articles; the queries whose
article is in the sample). Every question is asked as is and again with its answers hidden (leave-one-out,
unanswerable); the off-topic questions of `knowledge.confidence.OFF_TOPIC` are asked of the IT set only
(image captions of cats, lunches and weather are not off-topic for JSTS). Prints the fitted calibration
and its measured figures; paste it into `knowledge/confidence.py` and docs/retrieval.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
from pathlib import Path

from knowledge.confidence import Example, fit, measure
from knowledge.embedding import build_embedder
from knowledge.evaluation import confidence_examples, indexed, load_dataset

ROOT = Path(__file__).resolve().parents[1]


def sample_beir(source: Path, target: Path, documents: int, seed: int) -> Path:
    """A BEIR folder with ``documents`` random documents of ``source`` and the queries they answer."""
    docs = [json.loads(line) for line in (source / "corpus.jsonl").read_text(encoding="utf-8").splitlines() if line]
    keep = {d["_id"] for d in random.Random(seed).sample(docs, min(documents, len(docs)))}
    with (source / "qrels.tsv").open(encoding="utf-8") as fh:
        qrels = [row for row in csv.DictReader(fh, delimiter="\t") if row["corpus-id"] in keep]
    wanted = {row["query-id"] for row in qrels}
    target.mkdir(parents=True, exist_ok=True)
    (target / "corpus.jsonl").write_text(
        "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs if d["_id"] in keep), encoding="utf-8"
    )
    queries = (source / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    (target / "queries.jsonl").write_text(
        "".join(line + "\n" for line in queries if line and json.loads(line)["_id"] in wanted), encoding="utf-8"
    )
    (target / "qrels.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{r['query-id']}\t{r['corpus-id']}\t{r['score']}\n" for r in qrels),
        encoding="utf-8",
    )
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--m365-sample", type=int, default=700, help="documents of the IT set to index")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-right", type=float, default=0.97, help="share of right answers direct questions keep")
    args = parser.parse_args()
    embedder = build_embedder("e5-small-q4")
    eval_dir = args.shared / "eval"

    def progress(stage: str, done: int, total: int) -> None:
        print(f"{stage}: {done}/{total}", flush=True)

    per_set: dict[str, tuple[list[Example], list[Example]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        it_set = sample_beir(eval_dir / "ja-m365-troubleshooting", Path(tmp) / "m365", args.m365_sample, args.seed)
        for name, folder, off_topic in (
            ("jsts-paraphrase", eval_dir / "jsts-paraphrase", False),
            ("ja-m365-troubleshooting", it_set, True),
        ):
            data = load_dataset(folder)
            with indexed(data, embedder, on_progress=progress) as (kb, _, thread_of):
                examples, chatter = confidence_examples(kb, data, thread_of, on_progress=progress)
            per_set[name] = (examples, chatter if off_topic else [])
    examples = [ex for found, _ in per_set.values() for ex in found]
    chatter = [ex for _, off in per_set.values() for ex in off]
    cal = fit(
        examples,
        chatter,
        model_id=embedder.model_id,
        source="jsts-paraphrase + ja-m365-troubleshooting sample, leave-one-out",
        keep_right=args.keep_right,
    )
    print(repr(cal))
    for name, (found, off) in per_set.items():
        print(name, json.dumps(measure(cal, found, off)))


if __name__ == "__main__":
    main()
