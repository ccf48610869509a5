"""Questions: suggestions for a question, a whole thread, the people who know a topic, evaluation probes.

Retrieval and ranking themselves are :mod:`knowledge.search`; this part brings the indexes up to date
first (:meth:`CatchUp._catch_up_for_question`), reads the store and applies access and the confidence.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from knowledge import faq
from knowledge import insights as ins
from knowledge import search as s
from knowledge.confidence import Signals
from knowledge.errors import InvalidQuestion, NotFound
from knowledge.index.catch_up import CatchUp
from knowledge.model import Expert, FaqStatus, Scope, SearchResult, Suggestion, ThreadDetail, ThreadPost
from knowledge.people import rank_experts
from knowledge.store import repository as repo
from knowledge.text import looks_like_question

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExcludeThread:
    """The thread a question was asked in, never suggested back to it."""

    platform: str
    channel_id: str
    root_message_id: str


class Questions(CatchUp):
    """Answering questions from the indexes and the store."""

    def suggest(
        self,
        question: str,
        *,
        scope: Scope | None = None,
        exclude: ExcludeThread | None = None,
        limit: int = 3,
        abstain: bool = True,
        automatic: bool = False,
        require_answer: bool = True,
        now: datetime | None = None,
        record: bool = False,
        record_as: tuple[str, str | None] | None = None,
    ) -> SearchResult:
        """Past threads that may answer ``question``, as seen from ``scope`` (public channels by default).

        Two behaviours (docs/retrieval.md): a question put to Yorozu directly (the default) gets the
        related threads, each with its confidence, and nothing only when nothing relates at all (a
        greeting, thanks, the weather); ``automatic`` — a suggestion nobody asked for, under a post in a
        channel — keeps only what passes the channel's precision-first operating point, and is silent
        otherwise. Without ``abstain`` every candidate is ranked (evaluation). ``require_answer`` leaves
        out threads nobody answered. Published FAQ entries that are confidently the answer come first.
        ``record`` logs the question (where, when, abstained or what was suggested) for insights; the
        chat shell records what people ask, the CLI does not. ``record_as`` (platform, question id) names
        where a question asked outside the chat platforms came from (the web chat: ``("web", id)``), so
        feedback given there is matched with it.

        With a fixed relevance threshold (``abstain_below``; ``YOROZU_ABSTAIN_BELOW``) both behaviours
        keep the threads whose relevance passes it, as before calibration existed.
        """
        question = s.clean_question(question)
        if not question:
            raise InvalidQuestion("the question is empty", key="error_question_empty")
        scope = scope or Scope.public()
        now = now or datetime.now(UTC)
        self._catch_up_for_question()
        with self._lock:
            query_vector = self.embedder.embed_queries([question])[0]
        with self._index_lock:
            retrieved = s.retrieve_all(question, query_vector, self._vectors, self._lexical)
        candidates = retrieved.candidates  # best relevance first
        calibrated = self._fixed_threshold is None
        if abstain and not calibrated:
            candidates = [c for c in candidates if c.relevance >= self.abstain_below]
        if abstain and calibrated and not retrieved.terms:
            candidates = []  # no word of substance: greetings and thanks are not questions
        # Every candidate is ranked on one light row (access, answers, bonuses); only the best few are read
        # in full (their answers' texts are most of what reading a thread costs).
        with self.store.begin() as conn:
            ranks = repo.thread_ranks(conn, [c.thread_id for c in candidates])
            # FAQ mirrors are ranked apart from threads (they come first when relevant).
            faq_rows = repo.faq_by_thread(conn, [i for i, rank in ranks.items() if rank.platform == repo.FAQ_PLATFORM])
            pool: list[s.Candidate] = []  # what may be suggested here, best relevance first
            for c in candidates:
                rank = ranks.get(c.thread_id)
                if rank is None:
                    continue
                if rank.platform == repo.FAQ_PLATFORM:
                    row = faq_rows.get(c.thread_id)
                    if row is not None and row.status == FaqStatus.PUBLISHED:
                        pool.append(c)
                    continue
                if not s.allowed(rank, scope):
                    continue
                if exclude is not None and (
                    rank.platform,
                    rank.channel_external_id,
                    rank.root_external_id,
                ) == (exclude.platform, exclude.channel_id, exclude.root_message_id):
                    continue
                if require_answer and not rank.answer_count:
                    continue
                pool.append(c)
            confidence: dict[int, float] = {}
            if calibrated and pool:
                top = pool[: s.CONFIDENCE_TOP]
                with self._index_lock:
                    signals = s.pool_signals(self._lexical, retrieved, pool)
                confidence = {i: self.calibration.confidence(sig) for i, sig in signals.items()}
                if abstain and automatic:
                    pool = [c for c in top if confidence[c.thread_id] >= self.calibration.auto_at]
                elif abstain:
                    pool = [c for c in top if self.calibration.related(signals[c.thread_id])]
            faq_hits = [(c.relevance, faq_rows[c.thread_id]) for c in pool if c.thread_id in faq_rows]
            order: list[tuple[float, float, int]] = []
            for c in pool:
                if c.thread_id in faq_rows:
                    continue
                order.append((s.rank_score(c.relevance, ranks[c.thread_id], now), c.relevance, c.thread_id))
            order.sort(key=lambda item: item[0], reverse=True)  # by rank score; each shows its relevance
            ranked: list[tuple[float, float, repo.ThreadView]] = []
            start = 0
            while len(ranked) < limit and start < len(order):
                chunk = order[start : start + limit - len(ranked)]
                start += len(chunk)
                views = repo.thread_views(conn, [thread_id for _, _, thread_id in chunk])
                for score, relevance, thread_id in chunk:
                    view = views.get(thread_id)
                    if view is not None and (view.answers or not require_answer):
                        ranked.append((score, relevance, view))
            people = repo.PeopleCache(conn)
            people.prefetch((v.platform, a.author_external_id) for _, _, v in ranked for a in v.answers)
            thread_suggestions = [
                (score, s.build_suggestion(view, relevance, people.find, confidence.get(view.thread_id)))
                for score, relevance, view in ranked[:limit]
            ]
            suggestions = self._with_faq(
                conn, people, faq_hits, thread_suggestions, limit=limit, now=now, confidence=confidence
            )
        if calibrated:
            suggestions = tuple(
                replace(x, close_match=x.confidence is not None and x.confidence >= self.calibration.auto_at)
                for x in suggestions
            )
        auto = bool(suggestions) and (
            (suggestions[0].confidence or 0.0) >= self.calibration.auto_at
            if calibrated
            else suggestions[0].score >= self.abstain_below
        )
        result = SearchResult(
            question=question,
            suggestions=suggestions,
            abstained=not suggestions,
            auto_suggest=auto and looks_like_question(question),
        )
        if record:
            self._record_query(result, scope, exclude, record_as)
        return result

    def _with_faq(
        self,
        conn: Any,
        people: repo.PeopleCache,
        faq_hits: list[tuple[float, repo.FaqRow]],
        threads: list[tuple[float, Suggestion]],
        *,
        limit: int,
        now: datetime,
        confidence: dict[int, float],
    ) -> tuple[Suggestion, ...]:
        """Published FAQ entries that are confidently the answer first (best first), then the rest.

        Confidently: past the channel's operating point, as confident as the best thread, or about as
        relevant as it (with a fixed threshold: past it). Other entries are ranked among threads by relevance.
        """
        first: list[tuple[float, Suggestion]] = []
        later = list(threads)
        best_thread = max((t.confidence or 0.0 for _, t in threads), default=0.0)
        best_relevance = max((t.score for _, t in threads), default=0.0)
        for relevance, row in faq_hits:
            if row.status != FaqStatus.PUBLISHED:
                continue
            entry = faq.to_entry(row, people.find)
            suggestion = faq.build_suggestion(entry, relevance, now, faq.source_url(conn, row))
            conf = confidence.get(row.thread_id) if row.thread_id is not None else None
            if conf is not None:
                suggestion = replace(suggestion, confidence=conf)
                # A curated entry shown at all comes first when it is about as relevant as the best thread
                # (it usually was made from such a thread, so the margin signal always favours the thread).
                confident = conf >= min(self.calibration.auto_at, best_thread) or (
                    relevance >= best_relevance - s.FAQ_FIRST_MARGIN
                )
            else:
                confident = relevance >= self.abstain_below
            (first if confident else later).append((relevance, suggestion))
        first.sort(key=lambda item: item[0], reverse=True)
        later.sort(key=lambda item: item[0], reverse=True)
        return tuple(suggestion for _, suggestion in (first + later)[:limit])

    def _record_query(
        self,
        result: SearchResult,
        scope: Scope,
        exclude: ExcludeThread | None,
        record_as: tuple[str, str | None] | None = None,
    ) -> None:
        if result.abstained:
            log.debug("abstained on %r", result.question)  # user text: DEBUG only
        with self.store.begin() as conn:
            if not ins.recorded(self._place(conn, scope.platform, scope.channel_id)):
                return  # a DM, a personal chat or a place Yorozu does not store: answered, not recorded
            repo.record_query(
                conn,
                platform=record_as[0] if record_as is not None else scope.platform,
                channel_external_id=scope.channel_id,
                question_message_id=record_as[1]
                if record_as is not None
                else (exclude.root_message_id if exclude is not None else None),
                question=result.question,
                abstained=result.abstained,
                suggested=[x.thread_id for x in result.suggestions],
            )

    def candidate_signals(
        self, question: str, hides: Sequence[Iterable[int]] = ((),), *, top: int = s.CONFIDENCE_TOP
    ) -> list[list[tuple[int, s.Candidate, Signals]]]:
        """For each set of thread ids in ``hides``, the best ``top`` candidates by relevance with the
        confidence's signals, as if those threads were not in the corpus (the question is embedded and
        searched once). No access check: for evaluation and calibration, where a question asked again
        with its answers hidden is an unanswerable one."""
        question = s.clean_question(question)
        self._catch_up_for_question()
        with self._lock:
            query_vector = self.embedder.embed_queries([question])[0]
        out = []
        with self._index_lock:
            retrieved = s.retrieve_all(question, query_vector, self._vectors, self._lexical)
            for hide in hides:
                hidden = set(hide)
                pool = [c for c in retrieved.candidates if c.thread_id not in hidden]
                signals = s.pool_signals(self._lexical, retrieved, pool, top=top)
                out.append([(c.thread_id, c, signals[c.thread_id]) for c in pool[:top]])
        return out

    def nearest(self, question: str, *, mode: str, k: int) -> list[tuple[int, float]]:
        """Thread ids by one index alone (``dense`` or ``lexical``), with no access check: for evaluation."""
        question = s.clean_question(question)
        self._catch_up_for_question()
        if mode == "lexical":
            with self._index_lock:
                return self._lexical.search(question, k)
        if mode == "dense":
            with self._lock:
                query_vector = self.embedder.embed_queries([question])[0]
            with self._index_lock:
                return self._vectors.search(query_vector, k)
        raise ValueError(f"unknown mode {mode!r}")

    def thread(self, platform: str, channel_id: str, root_id: str, *, scope: Scope | None = None) -> ThreadDetail:
        """A whole thread, as seen from ``scope`` (public channels by default): the question, every reply
        with its author and organisation, reactions and the accepted mark. A thread that is deleted,
        hidden or not visible from ``scope`` is :class:`NotFound` (never "exists but private")."""
        key = faq.thread_key(platform, channel_id, root_id)
        scope = scope or Scope.public()
        with self.store.begin() as conn:
            thread_id = repo.find_thread_id(conn, platform, channel_id, root_id)
            view = repo.thread_views(conn, [thread_id]).get(thread_id) if thread_id is not None else None
            if thread_id is None or view is None or view.platform == repo.FAQ_PLATFORM or not s.allowed(view, scope):
                raise NotFound("thread", key)
            facts = repo.thread_facts(conn, thread_id)
            shown = [m for m in facts.messages if not m.deleted and not m.is_bot]
            people = repo.find_people(conn, platform, {m.author_external_id for m in shown if m.author_external_id})
            entry = repo.faq_from_source(conn, key)
        posts = []
        for m in shown:
            person = people.get(m.author_external_id) if m.author_external_id else None
            named = person is not None and not person.opted_out
            counts: dict[str, int] = {}
            for _, name in facts.reactions.get(m.id, ()):
                counts[name] = counts.get(name, 0) + 1
            posts.append(
                ThreadPost(
                    message_id=m.external_id,
                    author=person.display_name if named and person is not None else None,
                    organization=person.organization if named and person is not None else None,
                    text=m.text,
                    posted_at=m.posted_at,
                    edited=m.edited_at is not None,
                    accepted=m.id == view.accepted_message_id,
                    reactions=tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
                )
            )
        question = next((p for p in posts if p.message_id == root_id), None)
        if question is None:
            raise NotFound("thread", key)
        return ThreadDetail(
            key=key,
            platform=platform,
            channel_id=channel_id,
            channel_name=view.channel_name,
            visibility=view.visibility,
            title=view.title,
            url=view.url,
            question=question,
            replies=tuple(p for p in posts if p.message_id != root_id),
            faq_id=entry.id if entry is not None and entry.status != FaqStatus.RETIRED else None,
        )

    def experts(
        self,
        topic: str,
        *,
        scope: Scope | None = None,
        limit: int = 5,
        now: datetime | None = None,
        exclude_people: set[tuple[str, str]] | None = None,
    ) -> list[Expert]:
        """People who answered questions similar to ``topic``, best first, with the evidence.

        Answers someone found helpful (解決した on a suggestion) weigh like accepted ones.
        """
        topic = s.clean_question(topic)
        if not topic:
            raise InvalidQuestion("the topic is empty")
        scope = scope or Scope.public()
        self._catch_up_for_question()
        with self._lock:
            query_vector = self.embedder.embed_queries([topic])[0]
        with self._index_lock:
            retrieved = s.retrieve_all(topic, query_vector, self._vectors, self._lexical)
            candidates = retrieved.candidates
            if self._fixed_threshold is None:
                # Calibrated: the threads related to the topic, as a direct question would be shown them.
                signals = s.pool_signals(self._lexical, retrieved, candidates, top=s.EXPERT_CANDIDATES)
        if self._fixed_threshold is None:
            relevant = [
                c
                for c in candidates[: s.EXPERT_CANDIDATES]
                if retrieved.terms and self.calibration.related(signals[c.thread_id])
            ]
        else:
            relevant = [c for c in candidates if c.relevance >= self.abstain_below - s.EXPERT_MARGIN]
        with self.store.begin() as conn:
            views = repo.thread_views(conn, [c.thread_id for c in relevant])
            pairs = [
                (views[c.thread_id], c.relevance)
                for c in relevant
                if c.thread_id in views and s.allowed(views[c.thread_id], scope)
            ]
            people: dict[tuple[str, str], repo.PersonRow] = {}
            for platform in {v.platform for v, _ in pairs}:
                ids = [
                    a.author_external_id
                    for v, _ in pairs
                    if v.platform == platform
                    for a in v.answers
                    if a.author_external_id
                ]
                people.update({(platform, k): p for k, p in repo.find_people(conn, platform, ids).items()})
            keys = {
                faq.thread_key(v.platform, v.channel_external_id, v.root_external_id): v.thread_id for v, _ in pairs
            }
            helpful = {keys[k]: answers for k, answers in repo.helpful_answers(conn, list(keys)).items()}
        return rank_experts(
            pairs, people, now=now or datetime.now(UTC), limit=limit, helpful=helpful, exclude=exclude_people
        )
