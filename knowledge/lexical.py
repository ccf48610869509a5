"""Character-bigram BM25 over normalised text.

No morphological analyser: bigrams of NFKC-normalised text match Japanese compounds (人事異動, 権限) and
product names (M365, LGWAN) well enough to complement the dense embeddings on exact terms.

Memory and start time decide the layout (docs/benchmarks.md). A term is one integer (a bigram packs its
two code points, a single character is its code point), and the postings live in flat numpy arrays
sorted by term (a *segment*: about 5 bytes per posting, loaded from one file in well under a second).
Documents added since the last segment was made go to a small dict-based *delta*; a replaced or removed
segment document is only marked dead. Search time decides the rest: the delta is scored in Python, so it
is kept small (``DELTA_AT`` documents, then it becomes a segment of its own), and segments are merged
when one reaches half the size of the one before it, so there are few of them and the big one is
rebuilt rarely (a merge at 100k documents takes ~4 s; scoring a 20,000-document delta in Python took
50 ms per query).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.text import normalize, tokens

# Single characters live in the same postings under their own prefix so they never mix with bigrams.
UNIGRAM = "\x00"
# The delta becomes a segment of its own once it holds this many documents.
DELTA_AT = 1000
FORMAT = 2
# Where search checks whether the common terms left can still matter (fractions of the documents).
PRUNE_AT = (1 / 8, 1 / 2)

Int64s = npt.NDArray[np.int64]
# Documents (ids, lengths) and their postings (term, document id, tf).
_Batch = tuple[Int64s, npt.NDArray[np.int32], Int64s, Int64s, npt.NDArray[np.uint8]]


@dataclass(frozen=True, slots=True)
class _Term:
    """A query term's BM25 weight (idf times its count in the query) and its postings in the segment."""

    weight: float
    start: int
    end: int


def term_key(term: str) -> int:
    """A bigram as ``(first << 21) | second`` (>= 2**21); a single character (``UNIGRAM + ch``) as its code point."""
    if term[0] == UNIGRAM:
        return ord(term[1])
    if len(term) == 1:  # a document's one-character run: counted in its length, matched by no query term
        return ord(term) << 21
    return (ord(term[0]) << 21) | ord(term[1])


def _term_scores(tfs: npt.NDArray[np.uint8], norms: npt.NDArray[np.float64], scale: float) -> npt.NDArray[np.float64]:
    """``scale * tf / (tf + norm)`` for each posting, in place in ``norms`` (a gathered copy): one
    temporary instead of five, which is most of a term's cost at a million documents."""
    tf = tfs.astype(np.float64)
    norms += tf
    np.divide(tf, norms, out=norms)
    norms *= scale
    return norms


def _kth_largest(values: npt.NDArray[np.float64], k: int) -> float:
    """The k-th largest of ``values`` (scores, all >= 0; 1 <= k <= len), by way of a sample.

    The k-th largest of every 16th value is at most the k-th largest of all, so the values at least that
    large are k or more and hold the answer; they are few. When the sample's is 0 (few documents scored
    yet), the positive values are those few. ``np.partition`` over a whole score array, mostly zeros and
    ties, took 36-41 ms on some questions at a million documents (p50 3.8 ms); this takes 1-3 ms.
    """
    n = len(values)
    if n < 64 * k:
        return float(np.partition(values, n - k)[n - k])
    sample = values[::16]
    floor = np.partition(sample, len(sample) - k)[len(sample) - k]
    top = values[values >= floor] if floor > 0 else values[values > 0]
    if len(top) < k:
        return 0.0  # fewer than k positive scores: the k-th largest is one of the zeros
    return float(np.partition(top, len(top) - k)[len(top) - k])


class _Segment:
    """Immutable postings in CSR form; documents are slots ``0..n-1`` in ascending id order."""

    def __init__(
        self,
        *,
        doc_ids: Int64s,
        lengths: npt.NDArray[np.int32],
        terms: Int64s,
        offsets: Int64s,
        postings: npt.NDArray[np.int32],
        tfs: npt.NDArray[np.uint8],
    ) -> None:
        self.doc_ids = doc_ids
        self.lengths = lengths
        self.terms = terms
        self.offsets = offsets
        self.postings = postings
        self.tfs = tfs
        self.alive = np.ones(len(doc_ids), dtype=bool)
        self.live = len(doc_ids)  # documents not removed
        # Per-query work that changes only with avgdl or removals (`length_norm`, `dead_slots`).
        self._norm: tuple[float, float, float, npt.NDArray[np.float64]] | None = None
        self._dead: tuple[int, npt.NDArray[np.intp]] | None = None

    @classmethod
    def empty(cls) -> _Segment:
        return cls(
            doc_ids=np.zeros(0, np.int64),
            lengths=np.zeros(0, np.int32),
            terms=np.zeros(0, np.int64),
            offsets=np.zeros(1, np.int64),
            postings=np.zeros(0, np.int32),
            tfs=np.zeros(0, np.uint8),
        )

    @classmethod
    def build(cls, parts: list[_Batch]) -> _Segment:
        """From batches of documents and their (term, document id, tf) postings; ids are distinct."""
        doc_ids = np.concatenate([p[0] for p in parts])
        lengths = np.concatenate([p[1] for p in parts]).astype(np.int32)
        order = np.argsort(doc_ids)
        doc_ids, lengths = doc_ids[order], lengths[order]
        term = np.concatenate([p[2] for p in parts])
        slot = np.searchsorted(doc_ids, np.concatenate([p[3] for p in parts])).astype(np.int32)
        tf = np.concatenate([p[4] for p in parts])
        # Postings need not be in document order within a term; a stable sort by term is enough.
        by_term = np.argsort(term, kind="stable")
        term = term[by_term]
        slot = slot[by_term]
        tf = tf[by_term]
        del by_term
        starts = np.concatenate([[0], np.flatnonzero(np.diff(term)) + 1]) if len(term) else np.zeros(0, np.int64)
        return cls(
            doc_ids=doc_ids,
            lengths=lengths,
            terms=term[starts].astype(np.int64),
            offsets=np.append(starts, len(term)).astype(np.int64),
            postings=slot,
            tfs=tf.astype(np.uint8),
        )

    def compacted(self) -> _Segment:
        """The same segment without its dead documents."""
        if self.alive.all():
            return self
        keep = self.alive[self.postings]
        per_term = np.add.reduceat(keep.astype(np.int64), self.offsets[:-1]) if len(self.terms) else np.zeros(0)
        has = per_term > 0
        new_slot = (np.cumsum(self.alive) - 1).astype(np.int32)
        offsets = np.zeros(int(has.sum()) + 1, np.int64)
        np.cumsum(per_term[has], out=offsets[1:])
        return _Segment(
            doc_ids=self.doc_ids[self.alive],
            lengths=self.lengths[self.alive],
            terms=self.terms[has],
            offsets=offsets,
            postings=new_slot[self.postings[keep]],
            tfs=self.tfs[keep],
        )

    @classmethod
    def concat(cls, segments: list[_Segment]) -> _Segment:
        """One segment from several with distinct documents, without sorting all postings again.

        Each segment's postings are copied term by term into their place in the new arrays, so the
        memory needed is the new segment plus one segment's worth of positions.
        """
        parts = [seg.compacted() for seg in segments if len(seg.doc_ids)]
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        doc_ids = np.concatenate([p.doc_ids for p in parts])
        lengths = np.concatenate([p.lengths for p in parts])
        order = np.argsort(doc_ids, kind="stable")
        new_slot = np.empty(len(order), np.int32)
        new_slot[order] = np.arange(len(order), dtype=np.int32)
        terms = np.unique(np.concatenate([p.terms for p in parts]))
        counts = np.zeros(len(terms), np.int64)
        where = [np.searchsorted(terms, p.terms) for p in parts]
        for p, idx in zip(parts, where, strict=True):
            counts[idx] += np.diff(p.offsets)  # a term appears once per segment: plain addition is exact
        offsets = np.zeros(len(terms) + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        postings = np.empty(int(offsets[-1]), np.int32)
        tfs = np.empty(int(offsets[-1]), np.uint8)
        cursor = offsets[:-1].copy()
        first_slot = 0
        for p, idx in zip(parts, where, strict=True):
            sizes = np.diff(p.offsets)
            dest = np.repeat(cursor[idx] - p.offsets[:-1], sizes) + np.arange(len(p.postings), dtype=np.int64)
            postings[dest] = new_slot[first_slot + p.postings]
            tfs[dest] = p.tfs
            cursor[idx] += sizes
            first_slot += len(p.doc_ids)
            del dest
        return cls(
            doc_ids=doc_ids[order],
            lengths=lengths[order],
            terms=terms,
            offsets=offsets,
            postings=postings,
            tfs=tfs,
        )

    def slot(self, doc_id: int) -> int | None:
        i = int(np.searchsorted(self.doc_ids, doc_id))
        if i < len(self.doc_ids) and self.doc_ids[i] == doc_id and self.alive[i]:
            return i
        return None

    def span(self, key: int) -> tuple[int, int]:
        i = int(np.searchsorted(self.terms, key))
        if i < len(self.terms) and self.terms[i] == key:
            return int(self.offsets[i]), int(self.offsets[i + 1])
        return 0, 0

    def length_norm(self, k1: float, b: float, avgdl: float) -> npt.NDArray[np.float64]:
        """``k1 * (1 - b + b * length / avgdl)`` for every slot, kept while avgdl stays the same."""
        if self._norm is None or self._norm[:3] != (k1, b, avgdl):
            norm = np.asarray(k1 * (1 - b + b * self.lengths / avgdl), dtype=np.float64)
            self._norm = (k1, b, avgdl, norm)
        return self._norm[3]

    def dead_slots(self) -> npt.NDArray[np.intp]:
        """Slots of removed documents (their postings stay until the segment is merged)."""
        dead = len(self.doc_ids) - self.live
        if self._dead is None or self._dead[0] != dead:
            self._dead = (dead, np.flatnonzero(~self.alive))
        return self._dead[1]


class BM25Index:
    """An inverted index with Okapi BM25 scoring; documents are added, replaced and removed."""

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        # Largest (oldest) first; a document is in one segment or in the delta, never in two.
        self._segments: list[_Segment] = []
        # The delta: documents added since the last segment was made.
        self._postings: dict[int, dict[int, int]] = {}
        self._lengths: dict[int, int] = {}
        self._terms: dict[int, tuple[int, ...]] = {}
        self._total_length = 0

    def __len__(self) -> int:
        return sum(seg.live for seg in self._segments) + len(self._lengths)

    def __contains__(self, doc_id: int) -> bool:
        return doc_id in self._lengths or any(seg.slot(doc_id) is not None for seg in self._segments)

    def add(self, doc_id: int, text: str) -> None:
        """Index ``text`` under ``doc_id`` (replacing what was there)."""
        self.remove(doc_id)
        counts, length = _document_terms(text)
        if not counts:
            return
        for key, tf in counts.items():
            self._postings.setdefault(key, {})[doc_id] = tf
        self._terms[doc_id] = tuple(counts)
        self._lengths[doc_id] = length
        self._total_length += length
        if len(self._lengths) >= DELTA_AT:
            self._flush_delta()

    def add_many(self, docs: Iterable[tuple[int, str]], *, chunk: int = 10_000) -> None:
        """Index many documents at once, straight into one segment (how indexes are built at start).

        Documents are turned into small segments ``chunk`` at a time, then concatenated: the peak memory
        stays near the size of the finished index.
        """
        segments = list(self._segments)
        ids: list[int] = []
        texts: list[str] = []

        def flush() -> None:
            if ids:
                lengths, doc_index, keys, tfs = _chunk_terms(texts)
                present = lengths > 0
                chunk_ids = np.asarray(ids, dtype=np.int64)
                batch: _Batch = (
                    chunk_ids[present],
                    np.maximum(lengths[present], 1).astype(np.int32),
                    keys,
                    chunk_ids[doc_index],
                    tfs,
                )
                segments.append(_Segment.build([batch]))
                self._total_length += int(batch[1].sum(dtype=np.int64))
            ids.clear()
            texts.clear()

        for doc_id, text in docs:
            self.remove(doc_id)
            ids.append(doc_id)
            texts.append(text)
            if len(ids) >= chunk:
                flush()
        flush()
        segments.append(self._delta_segment())
        self._segments = [_Segment.concat(segments)]
        self._clear_delta()

    def remove(self, doc_id: int) -> None:
        length = self._lengths.pop(doc_id, None)
        if length is not None:
            self._total_length -= length
            for key in self._terms.pop(doc_id):
                posting = self._postings[key]
                del posting[doc_id]
                if not posting:
                    del self._postings[key]
            return
        for seg in self._segments:
            slot = seg.slot(doc_id)
            if slot is not None:
                # Its postings stay until its segment is merged; document frequencies count it until then.
                seg.alive[slot] = False
                seg.live -= 1
                self._total_length -= int(seg.lengths[slot])
                return

    def merge(self) -> None:
        """Fold every segment, the delta and the dead documents into one segment."""
        if (
            not self._lengths
            and len(self._segments) <= 1
            and all(seg.live == len(seg.doc_ids) for seg in self._segments)
        ):
            return
        self._segments = [_Segment.concat([*self._segments, self._delta_segment()])]
        self._clear_delta()

    def _flush_delta(self) -> None:
        """The delta becomes a segment; then a segment at least half the size of the one before it is
        merged into it, and so on (each merge costs the size of the two, so a merge of the largest one,
        the cost of rebuilding everything, comes only once the others together reach half its size)."""
        self._segments.append(self._delta_segment())
        self._clear_delta()
        while len(self._segments) >= 2 and 2 * self._segments[-1].live >= self._segments[-2].live:
            last = self._segments.pop()
            self._segments[-1] = _Segment.concat([self._segments[-1], last])

    def _delta_segment(self) -> _Segment:
        if not self._lengths:
            return _Segment.empty()
        size = sum(len(p) for p in self._postings.values())
        term = np.empty(size, np.int64)
        doc = np.empty(size, np.int64)
        tf = np.empty(size, np.int64)
        i = 0
        for key, posting in self._postings.items():
            n = len(posting)
            term[i : i + n] = key
            doc[i : i + n] = list(posting)
            tf[i : i + n] = list(posting.values())
            i += n
        ids = np.fromiter(self._lengths, dtype=np.int64, count=len(self._lengths))
        lengths = np.fromiter(self._lengths.values(), dtype=np.int32, count=len(self._lengths))
        return _Segment.build([(ids, lengths, term, doc, np.minimum(tf, 255).astype(np.uint8))])

    def _clear_delta(self) -> None:
        self._postings.clear()
        self._lengths.clear()
        self._terms.clear()

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best documents for ``query`` with their BM25 scores, best first."""
        n = len(self)
        if n == 0 or k <= 0:
            return []
        avgdl = self._total_length / n
        found: list[tuple[float, list[tuple[int, int]]]] = []  # per query term: weight, span in each segment
        delta_scores: dict[int, float] = {}
        for key, qtf in _query_terms(query).items():
            where = [seg.span(key) for seg in self._segments]
            posting = self._postings.get(key)
            df = sum(end - start for start, end in where) + (len(posting) if posting else 0)
            if df == 0:
                continue
            weight = math.log(1.0 + (n - df + 0.5) / (df + 0.5)) * qtf
            found.append((weight, where))
            if posting:
                for doc_id, dtf in posting.items():
                    norm = dtf * (self.k1 + 1) / (dtf + self.k1 * (1 - self.b + self.b * self._lengths[doc_id] / avgdl))
                    delta_scores[doc_id] = delta_scores.get(doc_id, 0.0) + weight * norm
        hits: list[tuple[int, float]] = []
        for i, seg in enumerate(self._segments):
            terms = [_Term(weight, *where[i]) for weight, where in found if where[i][1] > where[i][0]]
            if terms:
                hits.extend(self._segment_top(seg, terms, k, avgdl))
        hits.extend(delta_scores.items())
        hits.sort(key=lambda item: item[1], reverse=True)
        return hits[:k]

    def _segment_top(self, seg: _Segment, terms: list[_Term], k: int, avgdl: float) -> list[tuple[int, float]]:
        """The segment's ``k`` best documents for these terms, exactly, touching few postings of common terms.

        Terms are scored rarest first into one array. At two points, before the first term found in
        more than an eighth and in more than half of the documents (``PRUNE_AT``), the k-th best
        partial score is a lower bound of the k-th best final score; a term adds less than
        ``weight * (k1 + 1)`` to any document, so when the terms left could not lift a document from
        zero to that bound, only documents whose partial score is within reach get the remaining
        terms, found through a mask of them. Half of the postings a question touches belong to
        bigrams such as ます or して that most documents have; they are the ones skipped.
        """
        size = len(seg.doc_ids)
        norm = seg.length_norm(self.k1, self.b, avgdl)
        dead = seg.dead_slots()
        terms.sort(key=lambda term: term.end - term.start)
        bound = [0.0] * (len(terms) + 1)  # what terms[i:] can add to one document, at most
        for i in range(len(terms) - 1, -1, -1):
            bound[i] = bound[i + 1] + terms[i].weight * (self.k1 + 1)
        checkpoints = [size * fraction for fraction in PRUNE_AT]
        scores = np.zeros(size)
        for i, term in enumerate(terms):
            if checkpoints and term.end - term.start > checkpoints[0] and k < size:
                while checkpoints and term.end - term.start > checkpoints[0]:
                    checkpoints.pop(0)
                scores[dead] = 0.0
                theta = _kth_largest(scores, k)
                if bound[i] < theta:
                    return self._finish_candidates(seg, terms[i:], scores, theta - bound[i], k, norm)
            slots = seg.postings[term.start : term.end]
            # A posting list holds each document once, so fancy-index addition is exact.
            scores[slots] += _term_scores(seg.tfs[term.start : term.end], norm[slots], term.weight * (self.k1 + 1))
        scores[dead] = 0.0
        take = min(k, int(np.count_nonzero(scores)))
        if not take:
            return []
        if take < size:
            within = np.flatnonzero(scores >= _kth_largest(scores, take))  # `take` or more (ties)
            top = within[np.argpartition(-scores[within], take - 1)[:take]]
        else:
            top = np.arange(size)
        return [(int(seg.doc_ids[i]), float(scores[i])) for i in top if scores[i] > 0]

    def _finish_candidates(
        self,
        seg: _Segment,
        terms: list[_Term],
        scores: npt.NDArray[np.float64],
        floor: float,
        k: int,
        norm: npt.NDArray[np.float64],
    ) -> list[tuple[int, float]]:
        """Add ``terms`` to the documents whose partial score is at least ``floor``; their ``k`` best."""
        # The floor is a hair lower than computed, so rounding never drops a document that could enter.
        keep = np.flatnonzero(scores >= floor - 1e-9 * (1.0 + abs(floor)))
        wanted = np.zeros(len(seg.doc_ids), dtype=bool)  # one byte per document: stays in the cache
        wanted[keep] = True
        for term in terms:
            slots = seg.postings[term.start : term.end]
            found = np.flatnonzero(wanted[slots])
            hit = slots[found]
            scores[hit] += _term_scores(seg.tfs[term.start + found], norm[hit], term.weight * (self.k1 + 1))
        sub = scores[keep]
        take = min(k, len(sub))
        top = np.argpartition(-sub, take - 1)[:take] if take < len(sub) else np.arange(len(sub))
        return [(int(seg.doc_ids[keep[i]]), float(sub[i])) for i in top if sub[i] > 0]

    def max_score(self, query: str) -> float:
        """An upper bound for ``query``'s score: every query term matched in a typical document.

        Dividing by it maps BM25 scores into roughly [0, 1] so they can be fused with cosine scores.
        """
        n = len(self)
        if n == 0:
            return 0.0
        total = 0.0
        for key, qtf in _query_terms(query).items():
            df = sum(end - start for start, end in (seg.span(key) for seg in self._segments))
            df += len(self._postings.get(key, ()))
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            total += idf * qtf * (self.k1 + 1) / (1 + self.k1)
        return total

    # --- persistence ---------------------------------------------------------------------------

    def save(self, path: Path, change_seq: int) -> None:
        """Write the index atomically, tagged with the store's change number (no merge: saving stays cheap)."""
        delta = [(key, doc, tf) for key, posting in self._postings.items() for doc, tf in posting.items()]
        arrays: dict[str, Any] = {}
        for i, seg in enumerate(self._segments):
            for name in _SEGMENT_ARRAYS:
                arrays[f"{name}{i}"] = getattr(seg, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh,
                    header=np.asarray([FORMAT, change_seq, len(self._segments)], dtype=np.int64),
                    params=np.asarray([self.k1, self.b], dtype=np.float64),
                    delta_ids=np.fromiter(self._lengths, dtype=np.int64, count=len(self._lengths)),
                    delta_lengths=np.fromiter(self._lengths.values(), dtype=np.int64, count=len(self._lengths)),
                    delta_postings=np.asarray(delta, dtype=np.int64).reshape(-1, 3),
                    **arrays,
                )
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> tuple[BM25Index, int] | None:
        """The saved index and the change number it reflects, or ``None`` when missing or unreadable.

        Reads this format (several segments) and the one before it (one segment, names without a number).
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                header = [int(x) for x in data["header"]]
                fmt, change_seq = header[0], header[1]
                if fmt == 1:
                    suffixes = [""]
                elif fmt == FORMAT:
                    suffixes = [str(i) for i in range(header[2])]
                else:
                    return None
                k1, b = (float(x) for x in data["params"])
                segments = []
                for suffix in suffixes:
                    seg = _Segment(**{name: data[name + suffix] for name in _SEGMENT_ARRAYS if name != "alive"})
                    seg.alive = data["alive" + suffix]
                    if len(seg.offsets) != len(seg.terms) + 1 or not (
                        len(seg.lengths) == len(seg.doc_ids) == len(seg.alive)
                    ):
                        return None
                    seg.live = int(seg.alive.sum())
                    segments.append(seg)
                delta_ids, delta_lengths = data["delta_ids"].tolist(), data["delta_lengths"].tolist()
                delta_postings = data["delta_postings"].tolist()
        except (OSError, ValueError, KeyError, TypeError, EOFError, IndexError):
            return None
        index = cls(k1=k1, b=b)
        index._segments = [seg for seg in segments if len(seg.doc_ids)]
        index._total_length = sum(int(seg.lengths[seg.alive].sum(dtype=np.int64)) for seg in segments)
        index._total_length += int(sum(delta_lengths))
        index._lengths = dict(zip(delta_ids, delta_lengths, strict=True))
        terms: dict[int, list[int]] = {}
        for key, doc, tf in delta_postings:
            index._postings.setdefault(key, {})[doc] = tf
            terms.setdefault(doc, []).append(key)
        index._terms = {doc: tuple(keys) for doc, keys in terms.items()}
        return index, change_seq


_SEGMENT_ARRAYS = ("doc_ids", "lengths", "alive", "terms", "offsets", "postings", "tfs")


# What knowledge.text keeps of a run (letters, digits and -~#+.@_), as one substitution: \w is
# str.isalnum() plus "_". tests/knowledge/test_lexical.py checks that both agree.
_NOT_TERM_CHAR = re.compile(r"[^\w\-~#+.@]")
_RUN_END, _DOC_END = "\x00", "\x01"


def _chunk_terms(texts: list[str]) -> tuple[Int64s, Int64s, Int64s, npt.NDArray[np.uint8]]:
    """Terms of many documents at once: (length per document, then per posting: document index, key, tf).

    The same terms as :func:`knowledge.text.document_tokens` (bigrams of each run, a one-character run
    as itself, and each distinct character as a unigram), computed on code-point arrays instead of
    character by character. A length of 0 marks a document without any term.
    """
    joined = []
    for text in texts:
        runs = [r for r in (_NOT_TERM_CHAR.sub("", part) for part in normalize(text).split(" ")) if r]
        joined.append(_RUN_END.join(runs) + _DOC_END)
    cp = np.frombuffer("".join(joined).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    n = len(texts)
    edge = cp <= 1
    doc = np.cumsum(cp == 1) - (cp == 1)  # each position's document (its own end mark included)
    inside = ~edge
    after_edge = np.concatenate([[True], edge[:-1]])
    before_edge = np.concatenate([edge[1:], [True]])
    pair = inside & ~before_edge  # a bigram starts here
    single = inside & after_edge & before_edge  # a one-character run
    nxt = np.concatenate([cp[1:], [0]])
    bigram_keys = np.where(pair, (cp << 21) | nxt, cp << 21)
    counted = pair | single
    lengths = np.bincount(doc[counted], minlength=n).astype(np.int64)
    has_any = np.bincount(doc[inside], minlength=n) > 0
    # Documents that have characters but no bigram (cannot happen: a character is a run) keep length 0.
    lengths = np.where(has_any, np.maximum(lengths, 1), 0)
    # Counted terms: unique (document, key) pairs with their counts; unigrams once per document.
    combined = (doc[counted] << 42) | bigram_keys[counted]
    uniq, tf = _sorted_counts(combined)
    uni, _ = _sorted_counts((doc[inside] << 42) | cp[inside])
    keys = np.concatenate([uniq, uni])
    mask = (1 << 42) - 1
    tfs = np.concatenate([np.minimum(tf, 255), np.ones(len(uni), np.int64)]).astype(np.uint8)
    return lengths, keys >> 42, keys & mask, tfs


def _sorted_counts(values: Int64s) -> tuple[Int64s, Int64s]:
    """Distinct values and their counts (a sort: faster here than numpy's hash-based unique)."""
    values = np.sort(values)
    if not len(values):
        return values, np.zeros(0, np.int64)
    starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
    return values[starts], np.diff(np.append(starts, len(values)))


def _document_terms(text: str) -> tuple[dict[int, int], int]:
    lengths, _, keys, tfs = _chunk_terms([text])
    if not lengths[0]:
        return {}, 0
    return dict(zip(keys.tolist(), tfs.tolist(), strict=True)), int(lengths[0])


def _query_terms(query: str) -> Counter[int]:
    return Counter(term_key(term) if len(term) > 1 else ord(term) for term in tokens(query))
