"""The lexical half of retrieval: BM25 over Sudachi-analysed words, on tantivy.

tantivy (the Rust engine behind Quickwit) keeps the postings, applies deletes and merges segments; this
module decides what a document's terms are (:mod:`knowledge.analysis`) and how a question becomes a
query: one ``term_query`` per distinct question word in a SHOULD ``boolean_query`` — no query parser
stands between a person's text and the index, so 「C#」, 「"」 or 「AND」 are only words.

Changes are batched: :meth:`LexicalIndex.add` and :meth:`LexicalIndex.remove` are written at once but
become searchable at the next commit, which :meth:`LexicalIndex.commit_if_due` makes about once a second
and :meth:`LexicalIndex.search` makes first whenever changes are pending — so a deleted message is never
found, however recent its deletion.

On disk the index is a folder (beside the FAISS file) with ``yorozu-lexical.json`` recording the
analyser, the engine's index format and the change number it holds; a different analyser or format is
a rebuild from the store, never a silent mix of two analyses. One process writes a folder (tantivy's
writer lock); a second process that finds it locked keeps its index in memory instead.

Scores are tantivy's BM25 (k1 1.2, b 0.75). :meth:`LexicalIndex.max_score` is the score a document of
average length containing every question word once would get (the sum of their idf), so
``score / max_score`` puts the lexical half on a 0..1 scale whatever the question's length.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

import tantivy

from knowledge.analysis import ANALYZER, words

log = logging.getLogger(__name__)

FORMAT = 1
META_FILE = "yorozu-lexical.json"
COMMIT_EVERY_SECONDS = 1.0
_WRITER_HEAP = 64_000_000
_ID = "id"
_WORDS = "words"


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    # A signed id: deleting by an unsigned integer term silently deletes nothing in some versions.
    builder.add_integer_field(_ID, stored=False, indexed=True, fast=True)
    # Terms are analysed here (Sudachi) and joined by spaces; tantivy's built-in whitespace tokenizer
    # splits them again, so nothing has to be registered when the index is reopened.
    builder.add_text_field(_WORDS, stored=False, tokenizer_name="whitespace", index_option="freq")
    return builder.build()


def query_terms(text: str) -> list[str]:
    """The distinct words of a question, in order of first appearance."""
    return list(dict.fromkeys(words(text)))


def _has_our_fields(index: tantivy.Index) -> bool:
    try:
        tantivy.Query.term_query(index.schema, _WORDS, "x", index_option="freq")
        tantivy.Query.term_query(index.schema, _ID, 0)
    except ValueError:
        return False
    return True


def _locked(path: Path) -> bool:
    """Whether another process holds the folder's writer lock (tantivy's ``.tantivy-writer.lock``)."""
    lock = path / ".tantivy-writer.lock"
    if not lock.exists():
        return False
    with lock.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def _engine_version() -> str:
    return str(getattr(tantivy, "__version__", "unknown"))


class LexicalIndex:
    """BM25 search over threads' documents, keyed by thread id."""

    def __init__(self, index: tantivy.Index, path: Path | None) -> None:
        """Wrap an open tantivy index and take its writer (raises when another process holds it)."""
        self.path = path
        self._schema = _schema()
        self._index = index
        self._writer = index.writer(heap_size=_WRITER_HEAP, num_threads=1)
        self._closed = False
        self._pending = False
        self._last_commit = time.monotonic()
        index.reload()
        self._searcher = index.searcher()

    @classmethod
    def in_memory(cls) -> LexicalIndex:
        """An empty index kept in memory (evaluation, tests, a process that finds its folder in use)."""
        return cls(tantivy.Index(_schema()), None)

    @classmethod
    def create(cls, path: Path | None) -> LexicalIndex:
        """An empty index in the folder ``path`` — or in memory without one, or when another process
        holds that folder's writer (then this process keeps its own, rebuilt from the store)."""
        if path is None:
            return cls.in_memory()
        if path.exists() and not path.is_dir():
            path.unlink()
        path.mkdir(parents=True, exist_ok=True)
        try:
            index = tantivy.Index(_schema(), path=str(path), reuse=True)
            if not _has_our_fields(index):
                raise ValueError("another schema")
        except Exception:  # unreadable or another format: only then is the folder replaced
            if _locked(path):
                return cls._memory_because_locked(path)
            shutil.rmtree(path)
            path.mkdir(parents=True)
            index = tantivy.Index(_schema(), path=str(path), reuse=False)
        try:
            self = cls(index, path)
        except Exception as exc:
            return cls._memory_because_locked(path, exc)
        (path / META_FILE).unlink(missing_ok=True)
        self._writer.delete_all_documents()
        self._pending = True
        self.commit()
        return self

    @classmethod
    def _memory_because_locked(cls, path: Path, exc: object = "locked") -> LexicalIndex:
        log.info("lexical index %s is in use by another process (%s): this process keeps one in memory", path, exc)
        return cls.in_memory()

    @classmethod
    def load(cls, path: Path) -> tuple[LexicalIndex, int] | None:
        """The index saved in ``path`` with its change number, or None when it is missing, made by
        another analyser or engine version, unreadable, or in use by another process."""
        try:
            meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("analyzer") != ANALYZER:
            log.warning("lexical index %s was made by another analyser: rebuilding it", path)
            return None
        if meta.get("engine") != _engine_version():
            log.warning("lexical index %s was made by tantivy %s: rebuilding it", path, meta.get("engine"))
            return None
        try:
            index = tantivy.Index.open(str(path))
            if not _has_our_fields(index):
                return None
            return cls(index, path), int(meta.get("change_seq", 0))
        except Exception as exc:  # tantivy raises ValueError, OSError or RuntimeError alike
            log.info("cannot open lexical index %s (%s)", path, exc)
            return None

    # --- writing ---------------------------------------------------------------------------------

    def add(self, doc_id: int, text: str) -> None:
        """Index ``text`` as thread ``doc_id`` (replacing what was indexed for it)."""
        self._writer.delete_documents_by_term(_ID, int(doc_id))
        self._add(doc_id, text)

    def _add(self, doc_id: int, text: str) -> None:
        doc = tantivy.Document()
        doc.add_integer(_ID, int(doc_id))
        doc.add_text(_WORDS, " ".join(words(text)))
        self._writer.add_document(doc)
        self._pending = True

    def add_many(self, docs: Iterable[tuple[int, str]], *, fresh: bool = False, progress_every: int = 0) -> int:
        """Index many documents; ``fresh`` when none of them is in the index yet (no deletes needed)."""
        count = 0
        started = time.perf_counter()
        for doc_id, text in docs:
            if not fresh:
                self._writer.delete_documents_by_term(_ID, int(doc_id))
            self._add(doc_id, text)
            count += 1
            if progress_every and count % progress_every == 0:
                log.info("lexical index: %d documents (%.0f/s)", count, count / (time.perf_counter() - started))
        self.commit()
        return count

    def remove(self, doc_id: int) -> None:
        """Remove thread ``doc_id`` (searches stop finding it at the next commit, before any question)."""
        self._writer.delete_documents_by_term(_ID, int(doc_id))
        self._pending = True

    def commit(self) -> None:
        """Make every change so far searchable."""
        if self._pending:
            self._writer.commit()
            self._index.reload()
            self._searcher = self._index.searcher()
            self._pending = False
        self._last_commit = time.monotonic()

    def commit_if_due(self) -> None:
        """Commit when changes have waited for :data:`COMMIT_EVERY_SECONDS` (a commit costs tens of ms)."""
        if self._pending and time.monotonic() - self._last_commit >= COMMIT_EVERY_SECONDS:
            self.commit()

    def save(self, change_seq: int) -> None:
        """Commit and record the change number the folder holds (no-op for an index in memory)."""
        self.commit()
        if self.path is None:
            return
        meta = {"format": FORMAT, "analyzer": ANALYZER, "engine": _engine_version(), "change_seq": change_seq}
        tmp = self.path / (META_FILE + ".tmp")
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        tmp.replace(self.path / META_FILE)

    def close(self) -> None:
        """Release the folder's writer lock (pending changes are committed first)."""
        if self._closed:
            return
        self.commit()
        self._writer.wait_merging_threads()  # consumes the writer and releases its lock
        self._closed = True

    # --- reading ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        self.commit()
        return int(self._searcher.num_docs)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best threads for ``query`` by BM25, best first (pending changes committed first)."""
        return self.search_terms(query_terms(query), k)

    def search_terms(self, terms: list[str], k: int) -> list[tuple[int, float]]:
        """As :meth:`search`, for words already analysed."""
        self.commit()
        if not terms or k <= 0:
            return []
        q = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, tantivy.Query.term_query(self._schema, _WORDS, t, index_option="freq"))
                for t in terms
            ]
        )
        hits = self._searcher.search(q, k, count=False).hits
        if not hits:
            return []
        ids = self._searcher.fast_field_values(_ID, [addr for _, addr in hits])
        return [(int(i), float(score)) for (score, _), i in zip(hits, ids, strict=True) if i is not None]

    def matched_terms(self, terms: list[str], doc_ids: list[int]) -> dict[int, set[str]]:
        """Which of ``terms`` each of ``doc_ids`` holds (one small query per term, restricted to the ids)."""
        self.commit()
        out: dict[int, set[str]] = {i: set() for i in doc_ids}
        if not terms or not doc_ids:
            return out
        among = tantivy.Query.term_set_query(self._schema, _ID, [int(i) for i in doc_ids])
        for t in terms:
            q = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, tantivy.Query.term_query(self._schema, _WORDS, t, index_option="basic")),
                    (tantivy.Occur.Must, among),
                ]
            )
            hits = self._searcher.search(q, len(doc_ids), count=False).hits
            if hits:
                for i in self._searcher.fast_field_values(_ID, [addr for _, addr in hits]):
                    if i is not None and i in out:
                        out[int(i)].add(t)
        return out

    def idf(self, terms: Iterable[str]) -> dict[str, float]:
        """BM25's idf of each term (0 for a term no document holds)."""
        self.commit()
        n = int(self._searcher.num_docs)
        out = {}
        for t in terms:
            df = int(self._searcher.doc_freq(_WORDS, t)) if n else 0
            # The engine counts a removed document in df until its segment merges: never below 0.
            out[t] = max(0.0, math.log(1 + (n - df + 0.5) / (df + 0.5))) if df else 0.0
        return out

    def max_score(self, query: str) -> float:
        """The BM25 score of a document of average length holding each question word once."""
        return sum(self.idf(query_terms(query)).values())
