"""Small immutable values returned to callers of the knowledge base."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


class Visibility(enum.StrEnum):
    """Who may see a channel's threads."""

    PUBLIC = "public"
    PRIVATE = "private"
    DM = "dm"


class Verdict(enum.StrEnum):
    """What a person said about a suggestion."""

    SOLVED = "solved"  # 解決した
    UNHELPFUL = "unhelpful"  # 役に立たなかった


class SuggestionKind(enum.StrEnum):
    THREAD = "thread"
    FAQ = "faq"


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a question is asked, which decides which threads may be suggested.

    Public threads may be suggested anywhere (on their own platform or, with ``platform=None``, on
    any); a private-channel or DM thread only inside that same channel.
    """

    platform: str | None = None
    channel_id: str | None = None

    @classmethod
    def public(cls) -> Scope:
        return cls()


@dataclass(frozen=True, slots=True)
class Answerer:
    name: str
    organization: str | None
    accepted: bool = False


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A past thread (or FAQ entry) that may answer a question.

    ``score`` is the relevance to the question (cosine plus the weighted lexical match), the number the
    abstain rule compares; suggestions are ordered by relevance plus small accepted/recency bonuses.
    """

    kind: SuggestionKind
    thread_id: str
    platform: str
    channel_id: str
    channel_name: str | None
    root_message_id: str
    title: str
    answer_excerpt: str
    answerers: tuple[Answerer, ...]
    url: str | None
    asked_at: datetime
    score: float
    accepted: bool = False

    def to_json(self) -> dict[str, Any]:
        """The CLI's documented JSON shape."""
        return {
            "kind": str(self.kind),
            "thread_id": self.thread_id,
            "platform": self.platform,
            "channel_id": self.channel_id,
            "root_message_id": self.root_message_id,
            "title": self.title,
            "answer_excerpt": self.answer_excerpt,
            "answerers": [{"name": a.name, "organization": a.organization} for a in self.answerers],
            "url": self.url,
            "asked_at": self.asked_at.isoformat(),
            "score": round(self.score, 4),
        }


@dataclass(frozen=True, slots=True)
class SearchResult:
    question: str
    suggestions: tuple[Suggestion, ...]
    abstained: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "abstained": self.abstained,
            "suggestions": [s.to_json() for s in self.suggestions],
        }


@dataclass(frozen=True, slots=True)
class Expert:
    """A person who answered questions similar to a topic, with the evidence."""

    name: str
    organization: str | None
    answers: int
    accepted: int
    latest: datetime
    score: float
    thread_titles: tuple[str, ...] = field(default=())

    @property
    def explanation(self) -> str:
        accepted = f", {self.accepted} accepted" if self.accepted else ""
        return f"{self.answers} answers on this topic{accepted}, latest {self.latest:%Y-%m}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["latest"] = self.latest.isoformat()
        data["thread_titles"] = list(self.thread_titles)
        data["score"] = round(self.score, 4)
        data["explanation"] = self.explanation
        return data


@dataclass(frozen=True, slots=True)
class Stats:
    channels: int
    people: int
    threads: int
    questions: int
    answered: int
    accepted: int
    messages: int
    indexed: int
    pending: int
    embedder: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Job:
    """Durable work claimed by one process at a time (a reply to send, a follow-up to post)."""

    id: int
    kind: str
    key: str | None
    payload: dict[str, Any]
    attempts: int
