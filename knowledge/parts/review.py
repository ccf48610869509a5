"""The specialists' review queue, follow-ups on unanswered questions, and insights.

The figures themselves (repeated questions, gaps, helpfulness) are computed in :mod:`knowledge.insights`;
this part gathers what they are computed from, disclosing only what may be shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from knowledge import faq, followup, mentions
from knowledge import insights as ins
from knowledge.errors import InvalidInput, NotFound
from knowledge.model import Actor, Followup, ReviewItem, Scope
from knowledge.parts.curation import Curation
from knowledge.parts.people import People
from knowledge.parts.questions import Questions
from knowledge.store import repository as repo
from knowledge.text import shorten


class Review(Questions, People, Curation):
    """What specialists look at: unhelpful suggestions, unanswered questions, knowledge gaps."""

    def review_queue(self, limit: int = 100, *, include_private: bool = False) -> list[ReviewItem]:
        """Questions whose suggestion someone found unhelpful, for specialists to look at.

        Items asked outside a public channel show no question, channel or suggestion (``private``);
        ``include_private`` shows those of private channels (:func:`knowledge.insights.disclosed`).
        """
        with self.store.begin() as conn:
            return self._review_items(conn, repo.review_queue(conn, limit), include_private=include_private)

    def _review_items(self, conn: Any, rows: Sequence[repo.FeedbackRow], *, include_private: bool) -> list[ReviewItem]:
        places = self._places(conn, [(f.platform, f.channel_external_id) for f in rows])
        out = []
        for f in rows:
            if ins.disclosed(places[f.platform, f.channel_external_id], include_private=include_private):
                question = mentions.render(f.question, {})  # insights and the console name nobody
                out.append(
                    ReviewItem(f.id, f.platform, f.channel_external_id, question, f.suggested_thread, f.created_at)
                )
            else:
                out.append(ReviewItem(f.id, f.platform, None, "", "", f.created_at, private=True))
        return out

    def resolve_review(self, actor: Actor, item_id: int) -> None:
        self._require(actor, "resolving review items")
        with self.store.begin() as conn:
            if not repo.resolve_review(conn, item_id, str(actor)):
                raise NotFound("open review item", item_id)

    def followup_for(
        self, platform: str, channel_id: str, root_id: str, *, now: datetime | None = None
    ) -> Followup | None:
        """What a due follow-up posts in a question thread.

        ``None`` when the thread got a human reply or is gone (deleted, or its channel deleted), or
        when the follow-up is more than ``followup.LATE_AFTER`` past its time (jobs that waited through
        an outage or for a platform to handle them: a reminder days late is noise); otherwise the
        people who answered similar questions (never the asker, never anyone opted out) and the
        subscribers to a matching topic, to ping; possibly nobody (``Followup.empty``), and then the
        platform posts nothing.
        """
        with self.store.begin() as conn:
            thread_id = repo.find_thread_id(conn, platform, channel_id, root_id)
            view = repo.thread_views(conn, [thread_id]).get(thread_id) if thread_id is not None else None
            root = repo.root_message(conn, thread_id) if view is not None and thread_id is not None else None
        if view is None or root is None or view.answers:
            return None
        if (now or datetime.now(UTC)) > view.asked_at + self.followup_after + followup.LATE_AFTER:
            return None
        exclude = {(platform, view.asker_external_id)} if view.asker_external_id else set()
        experts = self.experts(root.text, scope=Scope(platform, channel_id), limit=3, exclude_people=exclude)
        subscribers = [
            sub
            for sub in self.subscribers_for(root.text, platform=platform)
            if (sub.platform, sub.person_id) not in exclude
        ]
        return Followup(platform, channel_id, root_id, view.title, tuple(experts), tuple(subscribers))

    def _gaps(self, abstained: list[repo.QueryRow]) -> tuple[list[repo.QueryRow], int]:
        """The questions Yorozu stayed silent on that are knowledge gaps, and how many were off-topic:
        chatter (thanks, greetings, short non-questions) and questions nothing the community discussed
        comes close to (:data:`knowledge.insights.OFF_TOPIC_MARGIN` below the abstain threshold)."""
        candidates = [a for a in abstained if not ins.is_chatter(a.question)]
        margin = ins.off_topic_margin(self.embedder.model_id)
        if not candidates or margin is None:
            return candidates, len(abstained) - len(candidates)
        texts = sorted({a.question for a in candidates})
        with self._lock:
            vectors = self.embedder.embed_queries(texts)
        floor = self.abstain_below - margin
        nearest: dict[str, float] = {}
        with self._index_lock:
            for text, vector in zip(texts, vectors, strict=True):
                hits = self._vectors.search(vector, 1)
                nearest[text] = hits[0][1] if hits else 0.0
        kept = [a for a in candidates if nearest[a.question] >= floor]
        return kept, len(abstained) - len(kept)

    def insights(self, *, days: int = 90, now: datetime | None = None, include_private: bool = False) -> ins.Insights:
        """Unanswered questions, repeated questions, knowledge gaps, helpfulness, FAQ due for review.

        Questions from private channels are counted but not shown unless ``include_private`` (an admin's
        explicit choice at the command line); from anywhere else but public channels, never
        (:func:`knowledge.insights.disclosed`).
        """
        if days < 1:
            raise InvalidInput("insights need a window of at least one day")
        now = now or datetime.now(UTC)
        since = now - timedelta(days=days)
        with self.store.begin() as conn:
            questions = repo.question_threads(conn, since=since)
            asked = repo.recent_queries(conn, since=since)
            feedback = repo.all_feedback(conn)
            review = self._review_items(conn, repo.review_queue(conn), include_private=include_private)
            places = self._places(
                conn,
                [(q.platform, q.channel_external_id) for q in questions]
                + [(a.platform, a.channel_external_id) for a in asked],
            )

        def shown(platform: str | None, channel_id: str | None) -> bool:
            return ins.disclosed(places[platform, channel_id], include_private=include_private)

        unanswered = [q for q in questions if q.answer_count == 0]
        unanswered_shown = [q for q in unanswered if shown(q.platform, q.channel_external_id)]
        # A question asked in a channel is both a thread and a query Yorozu answered: count it once.
        roots = {(q.platform, q.channel_external_id, q.root_external_id) for q in questions}
        shown_questions = [q for q in questions if shown(q.platform, q.channel_external_id)]
        items = [(q.title, q.asked_at) for q in shown_questions]
        keys: list[str | None] = [
            faq.thread_key(q.platform, q.channel_external_id, q.root_external_id) for q in shown_questions
        ]
        for a in asked:
            if (a.platform, a.channel_external_id, a.question_message_id) not in roots and shown(
                a.platform, a.channel_external_id
            ):
                items.append((shorten(a.question, 60), a.asked_at))
                keys.append(None)
        threshold = ins.duplicate_similarity(self.embedder.model_id)
        repeated: list[ins.RepeatedQuestion] = []
        if len(items) >= ins.REPEATED_AT_LEAST:
            with self._lock:
                vectors = self.embedder.embed_queries([t for t, _ in items])
            repeated = ins.repeated_questions(items, vectors, threshold, keys)
        gaps, off_topic = self._gaps([a for a in asked if a.abstained])
        gaps_shown = [g for g in gaps if shown(g.platform, g.channel_external_id)]
        groups: list[ins.GapGroup] = []
        if gaps_shown:
            with self._lock:
                gap_vectors = self.embedder.embed_queries([g.question for g in gaps_shown])
            groups = ins.gap_groups([(g.question, g.asked_at) for g in gaps_shown], gap_vectors, threshold)
        return ins.Insights(
            since=since,
            unanswered=tuple(
                ins.UnansweredQuestion(
                    q.platform, q.channel_external_id, q.channel_name, q.root_external_id, q.title, q.asked_at, q.url
                )
                for q in unanswered_shown[: ins.LIST_LIMIT]
            ),
            unanswered_total=len(unanswered),
            repeated=tuple(repeated),
            gaps=tuple(
                ins.KnowledgeGap(g.question, g.platform, g.channel_external_id, g.asked_at)
                for g in gaps_shown[: ins.LIST_LIMIT]
            ),
            gaps_total=len(gaps),
            gap_groups=tuple(groups),
            off_topic=off_topic,
            helpfulness=ins.helpfulness(feedback, asked),
            review_due=tuple(self.faq_due_for_review(now)),
            review_queue=tuple(review),
        )
