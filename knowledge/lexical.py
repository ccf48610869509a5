"""Character-bigram BM25 over normalised text.

No morphological analyser: bigrams of NFKC-normalised text match Japanese compounds (人事異動, 権限) and
product names (M365, LGWAN) well enough to complement the dense embeddings on exact terms.
"""

from __future__ import annotations

import math
from collections import Counter

from knowledge.text import document_tokens, tokens

# Single characters live in the same postings under their own prefix so they never mix with bigrams.
UNIGRAM = "\x00"


class BM25Index:
    """An in-memory inverted index with Okapi BM25 scoring; documents are added, replaced and removed."""

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._postings: dict[str, dict[int, int]] = {}
        self._lengths: dict[int, int] = {}
        self._terms: dict[int, tuple[str, ...]] = {}
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._lengths)

    def __contains__(self, doc_id: int) -> bool:
        return doc_id in self._lengths

    def add(self, doc_id: int, text: str) -> None:
        """Index ``text`` under ``doc_id`` (replacing what was there)."""
        self.remove(doc_id)
        bigrams, unigrams = document_tokens(text)
        counts = Counter(bigrams)
        if not counts and not unigrams:
            return
        # A document's length is its bigram count; unigrams only serve one-character query runs.
        counts.update(UNIGRAM + ch for ch in unigrams)
        for term, tf in counts.items():
            self._postings.setdefault(term, {})[doc_id] = tf
        length = max(1, len(bigrams))
        self._terms[doc_id] = tuple(counts)
        self._lengths[doc_id] = length
        self._total_length += length

    def remove(self, doc_id: int) -> None:
        length = self._lengths.pop(doc_id, None)
        if length is None:
            return
        self._total_length -= length
        for term in self._terms.pop(doc_id):
            posting = self._postings[term]
            del posting[doc_id]
            if not posting:
                del self._postings[term]

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best documents for ``query`` with their BM25 scores, best first."""
        n = len(self._lengths)
        if n == 0 or k <= 0:
            return []
        avgdl = self._total_length / n
        scores: dict[int, float] = {}
        for term, qtf in _query_terms(query).items():
            posting = self._postings.get(term)
            if not posting:
                continue
            idf = math.log(1.0 + (n - len(posting) + 0.5) / (len(posting) + 0.5))
            for doc_id, tf in posting.items():
                norm = tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * self._lengths[doc_id] / avgdl))
                scores[doc_id] = scores.get(doc_id, 0.0) + idf * norm * qtf
        best = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        return best[:k]

    def max_score(self, query: str) -> float:
        """An upper bound for ``query``'s score: every query term matched in a typical document.

        Dividing by it maps BM25 scores into roughly [0, 1] so they can be fused with cosine scores.
        """
        n = len(self._lengths)
        if n == 0:
            return 0.0
        total = 0.0
        for term, qtf in _query_terms(query).items():
            df = len(self._postings.get(term, ()))
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            total += idf * qtf * (self.k1 + 1) / (1 + self.k1)
        return total


def _query_terms(query: str) -> Counter[str]:
    return Counter(term if len(term) > 1 else UNIGRAM + term for term in tokens(query))
