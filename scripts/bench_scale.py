"""Speed and scale: synthetic communities of 10k, 100k and 1M threads, measured on this machine.

    python scripts/bench_scale.py build   --threads 100000 --dir /tmp/yorozu-bench/100k
    python scripts/bench_scale.py measure --dir /tmp/yorozu-bench/100k [--queries 300] [--index exact|ivf|auto]
    python scripts/bench_scale.py recall  --dir /tmp/yorozu-bench/1m [--nprobe 8 16 32 64]
    python scripts/bench_scale.py ingest  --dir /tmp/yorozu-bench/100k [--rate 10] [--seconds 60]
    python scripts/bench_scale.py embedders [--texts 200]
    python scripts/bench_scale.py real-corpus --jglue JGLUE --jaquad JaQuAD [--m365 DIR] --out TEXTS.jsonl
    python scripts/bench_scale.py embed       --texts TEXTS.jsonl --vectors VECTORS.npy   (resumable)
    python scripts/bench_scale.py recall-real --texts TEXTS.jsonl --vectors VECTORS.npy [--sizes 100000 0]
                                              [--nprobe 4 8 16 32 64]

How the communities are made and each figure measured: ``knowledge/bench/`` (``synthetic.py``,
``scale.py``, ``stream.py``; ``real.py`` for recall on real texts); every measurement runs in a child
process of its own. The result is printed as JSON and written to
``docs/bench-results/bench_scale-<command>[-<size>][-<index>].json`` (``--results-dir`` for another folder,
``--no-results`` for none).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from knowledge.bench.child import run_child
from knowledge.bench.real import build_corpus, embed_texts, write_texts
from knowledge.bench.results import size_label, write_result
from knowledge.bench.scale import build

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "bench-results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where the raw JSON result goes")
    parser.add_argument("--no-results", dest="results", action="store_false", help="only print the result")
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
    rc = sub.add_parser("real-corpus", help="public Japanese texts as documents and held-out queries")
    rc.add_argument("--jglue", type=Path, required=True, help="a checkout of yahoojapan/JGLUE")
    rc.add_argument("--jaquad", type=Path, required=True, help="a checkout of SkelterLabsInc/JaQuAD")
    rc.add_argument("--m365", type=Path, help="the shared ja-m365-troubleshooting set (its headings as queries)")
    rc.add_argument("--queries", type=int, default=2000)
    rc.add_argument("--out", type=Path, required=True)
    em = sub.add_parser("embed", help="embed a real-corpus file with the default embedder (resumable)")
    em.add_argument("--texts", type=Path, required=True)
    em.add_argument("--vectors", type=Path, required=True)
    em.add_argument("--limit", type=int, help="stop after this many rows")
    rr = sub.add_parser("recall-real", help="ivf against exact on the embedded real corpus")
    rr.add_argument("--texts", type=Path, required=True)
    rr.add_argument("--vectors", type=Path, required=True)
    rr.add_argument("--sizes", type=int, nargs="+", default=[100_000, 0], help="documents (0: all embedded)")
    rr.add_argument("--nprobe", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    args = parser.parse_args()
    for name in ("texts", "jglue", "jaquad", "m365"):
        path = getattr(args, name, None)
        if isinstance(path, Path) and not path.exists():
            parser.error(f"--{name} {path} does not exist")

    result: dict[str, Any]
    if args.cmd == "build":
        result = build(args.dir, args.threads)
        kind = f"build-{size_label(args.threads)}"
    elif args.cmd == "measure":
        first = run_child("open", str(args.dir), args.index, 0)
        second = run_child("open", str(args.dir), args.index, args.queries)
        result = {"build_run": first, "load_run": second}
        kind = f"measure-{size_label(second['threads'])}-{args.index}"
    elif args.cmd == "recall":
        result = run_child("recall", str(args.dir), args.nprobe, args.samples)
        kind = f"recall-{size_label(result['vectors'])}"
    elif args.cmd == "ingest":
        work = Path(tempfile.mkdtemp(prefix="yorozu-ingest-", dir=args.dir.parent))
        try:  # on a copy: the community stays as built
            shutil.copy(args.dir / "yorozu.sqlite3", work / "yorozu.sqlite3")
            if (args.dir / "index-auto").exists():
                shutil.copytree(args.dir / "index-auto", work / "index-auto")
            result = run_child("ingest", str(work), args.rate, args.seconds, args.burst, args.ask)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        kind = f"ingest-{size_label(result['threads_before'])}"
    elif args.cmd == "real-corpus":
        result = write_texts(args.out, build_corpus(args.jglue, args.jaquad, m365=args.m365, queries=args.queries))
        kind = "real-corpus"
    elif args.cmd == "embed":
        result = embed_texts(args.texts, args.vectors, limit=args.limit)
        kind = "embed"
    elif args.cmd == "recall-real":
        result = run_child("recall-real", str(args.texts), str(args.vectors), args.sizes, args.nprobe)
        kind = f"recall-real-{size_label(result['documents_embedded'])}"
    else:
        result = run_child("embedders", args.texts)
        kind = "embedders"
    result["load_average"] = os.getloadavg()
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.results:
        path = write_result(args.results_dir, f"bench_scale-{kind}", result, sys.argv)
        print(f"written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
