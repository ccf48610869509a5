"""Approximate against exact search on real e5 vectors of public Japanese text (``scripts/bench_scale.py
real-corpus``, ``embed`` and ``recall-real``).

Texts. :func:`build_corpus` reads checkouts of two public repositories: JGLUE (``yahoojapan/JGLUE``:
JSQuAD's Wikipedia paragraphs, the JSTS and JNLI caption sentences, JCommonsenseQA's questions) and JaQuAD
(``SkelterLabsInc/JaQuAD``: Wikipedia paragraphs). Paragraphs are split into sentences; every text is
normalised for comparison, and a text seen before (in any source) is dropped. The queries are JSQuAD's
questions (questions about Wikipedia, as a member asks one) and, when the shared M365 set is given, its
headings (IT problems, a topic the documents do not cover); a query whose text is also a document is not
used. The result is one JSON-lines file, queries first, then the documents in a seeded random order, so
that its first *n* documents are a sample of the whole.

Vectors. :func:`embed_texts` embeds that file with the project's embedder (queries on the query side,
documents on the passage side, as stored in production) into a ``.npy`` whose row *i* is line *i*. It
writes as it goes and records how many rows are done beside it, so a stopped run resumes where it was.

Recall. :func:`child_recall_real` builds, for the first *n* documents, the exact index and the ``ivf``
index exactly as :mod:`knowledge.vectors` builds them when an index is rebuilt from the store (vectors
added under ``deferred_clustering``, then clustered once with that size's ``nlist``), and compares their
top 10 per query with :func:`knowledge.bench.scale.measure_recall`.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.bench.results import peak_rss_mb
from knowledge.bench.scale import measure_recall
from knowledge.bench.synthetic import SENTENCE
from knowledge.embedding import Embedder, build_embedder
from knowledge.text import normalize
from knowledge.vectors import FaissIndex, IvfIndex, new_vector_index

# Shorter sentences are mostly headings and fragments (「概要」, 「脚注」).
MIN_CHARS = 10


def sentences(paragraph: str) -> list[str]:
    """The sentences of a paragraph of at least ``MIN_CHARS`` characters (a JSQuAD paragraph starts with
    its article's title and `` [SEP] ``, which is left out)."""
    body = paragraph.split(" [SEP] ", 1)[-1]
    return [s.strip() for s in SENTENCE.split(body) if len(s.strip()) >= MIN_CHARS]


def _squad_paragraphs(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(paragraph, its questions) from a SQuAD-layout JSON file (JSQuAD, JaQuAD)."""
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            yield paragraph["context"], [qa["question"] for qa in paragraph["qas"]]


def _json_lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def corpus_sources(jglue: Path, jaquad: Path) -> Iterator[tuple[str, str]]:
    """(source, text) for every candidate document, in a fixed order."""
    data = jglue / "datasets"
    for path in sorted(jaquad.glob("data/*/*.json")):
        for context, _ in _squad_paragraphs(path):
            for sentence in sentences(context):
                yield "jaquad-wikipedia", sentence
    for path in sorted(data.glob("jsquad-*/*.json")):
        for context, _ in _squad_paragraphs(path):
            for sentence in sentences(context):
                yield "jsquad-wikipedia", sentence
    for name in ("jsts", "jnli"):
        for path in sorted(data.glob(f"{name}-*/*.json")):
            for row in _json_lines(path):
                yield f"{name}-caption", row["sentence1"]
                yield f"{name}-caption", row["sentence2"]
    for path in sorted(data.glob("jcommonsenseqa-*/*.json")):
        for row in _json_lines(path):
            yield "jcommonsenseqa-question", row["question"]


def query_sources(jglue: Path, m365: Path | None) -> Iterator[tuple[str, str]]:
    """(source, text) for every candidate query, in a fixed order."""
    for path in sorted((jglue / "datasets").glob("jsquad-*/*.json")):
        for _, questions in _squad_paragraphs(path):
            for question in questions:
                yield "jsquad-question", question
    if m365 is not None:
        for row in _json_lines(m365 / "queries.jsonl"):
            yield "m365-heading", row["text"]


def _distinct(rows: Iterable[tuple[str, str]], seen: set[str]) -> list[dict[str, str]]:
    out = []
    for source, text in rows:
        text = text.strip()
        key = normalize(text)
        if len(text) < MIN_CHARS or key in seen:
            continue
        seen.add(key)
        out.append({"source": source, "text": text})
    return out


def build_corpus(
    jglue: Path, jaquad: Path, *, m365: Path | None = None, queries: int = 2000, seed: int = 0
) -> list[dict[str, str]]:
    """Queries (``role`` "query") then distinct documents (``role`` "document"), each with its source.

    ``queries`` are drawn at random from the candidates, in the proportion of their sources; none of
    them is also a document.
    """
    seen: set[str] = set()
    documents = _distinct(corpus_sources(jglue, jaquad), seen)
    candidates = _distinct(query_sources(jglue, m365), set(seen))
    rng = random.Random(seed)
    rng.shuffle(documents)
    picked = rng.sample(candidates, min(queries, len(candidates)))
    return [{"role": "query", **q} for q in picked] + [{"role": "document", **d} for d in documents]


def write_texts(path: Path, rows: list[dict[str, str]]) -> dict[str, Any]:
    """Write the rows as JSON lines; the composition (count per role and source) is returned."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return composition(rows)


def read_texts(path: Path) -> list[dict[str, str]]:
    return list(_json_lines(path))


def composition(rows: list[dict[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for role in ("query", "document"):
        mine = [r for r in rows if r["role"] == role]
        counts: dict[str, int] = {}
        for r in mine:
            counts[r["source"]] = counts.get(r["source"], 0) + 1
        chars = [len(r["text"]) for r in mine]
        out[role] = {
            "count": len(mine),
            "sources": dict(sorted(counts.items())),
            "chars_mean": round(float(np.mean(chars)), 1) if chars else 0.0,
        }
    return out


def _progress_path(vectors: Path) -> Path:
    return vectors.with_name(vectors.name + ".progress.json")


def texts_digest(rows: list[dict[str, str]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(f"{row['role']}\t{row['text']}\n".encode())
    return digest.hexdigest()


def embedded_rows(vectors: Path, rows: list[dict[str, str]], model_id: str) -> int:
    """How many leading rows of ``vectors`` hold embeddings of ``rows`` by ``model_id`` (0 when the file
    is missing or was made from other texts or by another embedder)."""
    try:
        progress = json.loads(_progress_path(vectors).read_text())
    except (OSError, ValueError):
        return 0
    if progress.get("texts") != texts_digest(rows) or progress.get("model_id") != model_id:
        return 0
    return int(progress.get("rows", 0))


def embed_texts(
    texts: Path,
    vectors: Path,
    *,
    embedder: Embedder | None = None,
    batch: int = 32,
    limit: int | None = None,
    log: bool = True,
) -> dict[str, Any]:
    """Embed the rows of ``texts`` into ``vectors`` (resumable); stop after ``limit`` rows if given."""
    rows = read_texts(texts)
    embedder = embedder or build_embedder("e5-small-q4")
    done = embedded_rows(vectors, rows, embedder.model_id)
    shape = (len(rows), embedder.dimension)
    if done and vectors.exists():
        out = np.lib.format.open_memmap(vectors, mode="r+")
        if out.shape != shape:
            done = 0
    if not done:
        vectors.parent.mkdir(parents=True, exist_ok=True)
        out = np.lib.format.open_memmap(vectors, mode="w+", dtype=np.float32, shape=shape)
    end = len(rows) if limit is None else min(len(rows), limit)
    started, first = time.perf_counter(), done
    while done < end:
        # One side per batch: queries and documents are prefixed differently.
        role = rows[done]["role"]
        stop = done
        while stop < min(end, done + batch) and rows[stop]["role"] == role:
            stop += 1
        chunk = [r["text"] for r in rows[done:stop]]
        out[done:stop] = embedder.embed_queries(chunk) if role == "query" else embedder.embed_documents(chunk)
        done = stop
        out.flush()
        _write_progress(vectors, rows, embedder.model_id, done)
        if log and (done // batch) % 20 == 0:
            rate = (done - first) / max(time.perf_counter() - started, 1e-9)
            print(f"  {done}/{len(rows)} rows, {rate:.1f}/s", file=sys.stderr, flush=True)
    took = time.perf_counter() - started
    return {
        "rows": len(rows),
        "embedded": done,
        "this_run": done - first,
        "seconds": round(took, 1),
        "rows_per_s": round((done - first) / took, 2) if took > 0 else None,
        "model_id": embedder.model_id,
    }


def _write_progress(vectors: Path, rows: list[dict[str, str]], model_id: str, done: int) -> None:
    path = _progress_path(vectors)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"texts": texts_digest(rows), "model_id": model_id, "rows": done}))
    os.replace(tmp, path)


def load_embedded(texts: Path, vectors: Path) -> tuple[list[dict[str, str]], npt.NDArray[np.float32], int]:
    """The rows of ``texts`` that are embedded in ``vectors``, their vectors, and how many rows ``texts``
    has in all (a finished or a partial run: the rows done so far)."""
    rows = read_texts(texts)
    try:
        progress = json.loads(_progress_path(vectors).read_text())
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{vectors} has no progress file: run `embed` first ({exc})") from exc
    if progress.get("texts") != texts_digest(rows):
        raise SystemExit(f"{vectors} was embedded from other texts than {texts}: run `embed` again")
    done = int(progress.get("rows", 0))
    data = np.load(vectors, mmap_mode="r")
    return rows[:done], np.ascontiguousarray(data[:done], dtype=np.float32), len(rows)


def real_indexes(vectors: npt.NDArray[np.float32]) -> tuple[FaissIndex, IvfIndex]:
    """The exact and the ``ivf`` index of these vectors (ids 1..n), both as a rebuild from the store makes
    them: every vector added, then (``ivf``) clustered once for that size."""
    ids = np.arange(1, len(vectors) + 1, dtype=np.int64)
    exact = new_vector_index("exact", vectors.shape[1])
    ivf = new_vector_index("ivf", vectors.shape[1])
    assert isinstance(exact, FaissIndex) and isinstance(ivf, IvfIndex)
    for index in (exact, ivf):
        with index.deferred_clustering():
            for start in range(0, len(ids), 10_000):
                index.add(ids[start : start + 10_000], vectors[start : start + 10_000])
    return exact, ivf


def document_counts(sizes: list[int], embedded: int) -> list[int]:
    """The sizes asked for as document counts: 0 or more than are embedded means every embedded
    document; each count once, smallest first."""
    return sorted({embedded if size <= 0 or size > embedded else size for size in sizes})


def child_recall_real(texts: str, vectors: str, sizes: list[int], nprobes: list[int]) -> dict[str, Any]:
    """Recall@10 and latency of ``ivf`` against ``exact`` at each size (0: every embedded document)."""
    rows, data, total = load_embedded(Path(texts), Path(vectors))
    is_query = np.asarray([r["role"] == "query" for r in rows], dtype=bool)
    queries, documents = data[is_query], data[~is_query]
    if not len(queries) or not len(documents):
        raise SystemExit(f"{vectors} holds {len(queries)} queries and {len(documents)} documents: embed more")
    query_sources = [r["source"] for r in rows if r["role"] == "query"]
    out: dict[str, Any] = {
        "rows_embedded": len(rows),
        "rows_in_texts": total,
        "queries": len(queries),
        "documents_embedded": len(documents),
        "composition": composition(rows),
        "sizes": {},
    }
    for n in document_counts(sizes, len(documents)):
        started = time.perf_counter()
        exact, ivf = real_indexes(documents[:n])
        built = time.perf_counter() - started
        result = measure_recall(exact, ivf, queries, nprobes, groups=query_sources)
        result["build_s"] = round(built, 1)
        out["sizes"][str(n)] = result
    out["peak_rss_mb"] = peak_rss_mb()
    return out
