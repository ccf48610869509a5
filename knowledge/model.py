"""Small immutable values returned to callers of the knowledge base."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from knowledge.errors import InvalidInput


def thread_key(platform: str, channel_id: str, root_id: str) -> str:
    """How a thread is named in feedback and FAQ sources: ``platform:channel:root``."""
    return f"{platform}:{channel_id}:{root_id}"


def parse_thread_key(key: str) -> tuple[str, str, str]:
    """Inverse of :func:`thread_key`. Teams channel ids contain colons; platforms and message ids do not."""
    platform, sep, rest = key.partition(":")
    channel, sep2, root = rest.rpartition(":")
    if not (sep and sep2 and platform and channel and root):
        raise InvalidInput(
            f"not a thread reference (platform:channel:root): {key!r}", key="error_thread_key", params={"value": key}
        )
    return platform, channel, root


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
    # The calibrated probability that this suggestion answers the question (0..1; None with a fixed
    # relevance threshold instead of a calibration).
    confidence: float | None = None
    # Whether the confidence passes the channel's operating point: shown as 「この質問と同じ内容のようです」,
    # the others as 「関連しそうなスレッド」.
    close_match: bool = False
    # FAQ entries only (kind FAQ): the entry, who verified it and when (None when not verified or the
    # verifier opted out of being named), and whether it is past its review date.
    faq_id: int | None = None
    verified_by: str | None = None
    verified_at: datetime | None = None
    review_due: bool = False
    # When the answer shown was given: the best answer's post (threads), the verification or last edit
    # (FAQ entries). ``None`` for a thread nobody answered.
    answered_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The CLI's documented JSON shape (FAQ suggestions add ``faq_id``, ``verified_by``,
        ``verified_at`` and ``review_due``: docs/people-and-faq.md); ``answered_at`` is the date of the
        answer shown."""
        data: dict[str, Any] = {
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
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "score": round(self.score, 4),
            "confidence": None if self.confidence is None else round(self.confidence, 4),
        }
        if self.kind == SuggestionKind.FAQ:
            data["faq_id"] = self.faq_id
            data["verified_by"] = self.verified_by
            data["verified_at"] = self.verified_at.isoformat() if self.verified_at else None
            data["review_due"] = self.review_due
        return data


@dataclass(frozen=True, slots=True)
class SearchResult:
    question: str
    suggestions: tuple[Suggestion, ...]
    abstained: bool
    # Whether the same text posted in a channel would get the first suggestion unasked (a question,
    # and its first suggestion past the channel's precision-first operating point).
    auto_suggest: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "abstained": self.abstained,
            "auto_suggest": self.auto_suggest,
            "suggestions": [s.to_json() for s in self.suggestions],
        }


@dataclass(frozen=True, slots=True)
class EvidenceThread:
    """A thread a person answered that makes them an expert on a topic: where to read it."""

    key: str  # platform:channel:root, as thread references are written everywhere
    title: str
    url: str | None
    accepted: bool  # their answer was the accepted one

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "url": self.url, "accepted": self.accepted}


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
    # Answers someone pressed 解決した on when Yorozu suggested them.
    helpful: int = 0
    platform: str = ""
    person_id: str = ""
    # The threads behind ``thread_titles`` (public or visible where asked), and how to reach the person
    # on their platform: a link that opens a chat with them where the platform has one.
    evidence: tuple[EvidenceThread, ...] = field(default=())
    contact_url: str | None = None

    @property
    def explanation(self) -> str:
        accepted = f", {self.accepted} accepted" if self.accepted else ""
        helpful = f", {self.helpful} found helpful" if self.helpful else ""
        answers = f"{self.answers} answer{'' if self.answers == 1 else 's'}"
        return f"{answers} on this topic{accepted}{helpful}, latest {self.latest:%Y-%m}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["latest"] = self.latest.isoformat()
        data["thread_titles"] = list(self.thread_titles)
        data["evidence"] = [e.to_json() for e in self.evidence]
        data["score"] = round(self.score, 4)
        data["explanation"] = self.explanation
        return data


@dataclass(frozen=True, slots=True)
class ThreadPost:
    """One message of a thread as a reader sees it. ``author`` is ``None`` when the person opted out of
    being named (or is unknown); ``reactions`` are (name, how many people) pairs."""

    message_id: str
    author: str | None
    organization: str | None
    text: str
    posted_at: datetime
    edited: bool
    accepted: bool
    reactions: tuple[tuple[str, int], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "author": self.author,
            "organization": self.organization,
            "text": self.text,
            "posted_at": self.posted_at.isoformat(),
            "edited": self.edited,
            "accepted": self.accepted,
            "reactions": [{"name": n, "count": c} for n, c in self.reactions],
        }


@dataclass(frozen=True, slots=True)
class ThreadDetail:
    """A whole thread: the question, every reply (deleted ones and bots' left out), the accepted mark."""

    key: str
    platform: str
    channel_id: str
    channel_name: str | None
    visibility: Visibility
    title: str
    url: str | None
    question: ThreadPost
    replies: tuple[ThreadPost, ...]
    # The FAQ entry made from this thread (not retired), if any.
    faq_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "platform": self.platform,
            "channel_id": self.channel_id,
            "channel_name": self.channel_name,
            "visibility": str(self.visibility),
            "title": self.title,
            "url": self.url,
            "question": self.question.to_json(),
            "replies": [r.to_json() for r in self.replies],
            "faq_id": self.faq_id,
        }


# What each number of :class:`Stats` counts, said the same way by ``yorozu stats``, ``/healthz`` and the
# console (Japanese first).
STAT_MEANINGS: dict[str, tuple[str, str]] = {
    "channels": ("チャンネル数（削除されたものを除く）", "channels (deleted ones left out)"),
    "people": ("人数（ボットを除く）", "people (bots left out)"),
    "threads": (
        "スレッド数（削除・非表示を除く、FAQ を含まない）",
        "chat threads (deleted or hidden ones left out, FAQ entries not included)",
    ),
    "questions": ("質問のスレッド数", "chat threads that are questions"),
    "answered": ("回答のある質問のスレッド数", "questions with at least one answer"),
    "accepted": ("解決済みの回答があるスレッド数", "threads with an accepted answer"),
    "messages": ("メッセージ数（削除されたものを除く）", "messages (deleted ones left out)"),
    "indexed": (
        "検索できるスレッド数（threads のうち、今の埋め込みモデルのベクトルがあるもの）",
        "chat threads searchable now (of threads, those with a vector from the current embedder)",
    ),
    "faq_published": (
        "公開中の FAQ 数（スレッド数とは別に検索されます）",
        "published FAQ entries (searched besides the threads)",
    ),
    "pending": ("索引待ちの変更数", "changes waiting to be indexed"),
    "embedder": ("埋め込みモデル", "embedding model"),
}


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
    faq_published: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def meanings(language: str = "ja") -> dict[str, str]:
        """What each number counts, in Japanese (``ja``) or English (``en``)."""
        index = 1 if language == "en" else 0
        return {key: texts[index] for key, texts in STAT_MEANINGS.items()}


@dataclass(frozen=True, slots=True)
class Job:
    """Durable work claimed by one process at a time (a reply to send, a follow-up to post)."""

    id: int
    kind: str
    key: str | None
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job to enqueue with the request that asks for it (:meth:`KnowledgeBase.accept`)."""

    kind: str
    payload: dict[str, Any]
    key: str | None = None
    run_after: datetime | None = None


class Role(enum.StrEnum):
    """Who may curate: admins (also grant roles and edit organisation rules) and specialists."""

    ADMIN = "admin"
    SPECIALIST = "specialist"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks for a curation step: a platform person, or the operator at the command line."""

    platform: str
    person_id: str
    name: str | None = None

    @classmethod
    def operator(cls) -> Actor:
        """The person at the ``yorozu`` command line: they hold the database, so they act as an admin."""
        return cls("cli", "operator", "operator")

    @property
    def is_operator(self) -> bool:
        return self.platform == "cli"

    def __str__(self) -> str:
        return f"{self.platform}:{self.person_id}"


class FaqStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """A curated question and answer. ``owner``/``verified_by`` are display names, ``None`` when the
    person opted out of being named (or is unknown); the ids stay for permission checks."""

    id: int
    question: str
    answer: str
    tags: tuple[str, ...]
    status: FaqStatus
    owner: str | None
    owner_id: str | None
    verified_by: str | None
    verified_by_id: str | None
    verified_at: datetime | None
    review_interval_days: int
    source_thread: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def review_at(self) -> datetime | None:
        """When the entry is due for review (verification date plus the interval); unverified: never."""
        if self.verified_at is None:
            return None
        return self.verified_at + timedelta(days=self.review_interval_days)

    def review_due(self, now: datetime) -> bool:
        return self.review_at is not None and self.review_at < now

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "tags": list(self.tags),
            "status": str(self.status),
            "owner": self.owner,
            "verified_by": self.verified_by,
            "verified_at": self.verified_at.isoformat() if self.verified_at else None,
            "review_interval_days": self.review_interval_days,
            "review_at": self.review_at.isoformat() if self.review_at else None,
            "source_thread": self.source_thread,
            "version": self.version,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }
        if now is not None:
            data["review_due"] = self.review_due(now)
        return data


@dataclass(frozen=True, slots=True)
class FaqVersion:
    """One state in an FAQ entry's history."""

    version: int
    question: str
    answer: str
    tags: tuple[str, ...]
    status: FaqStatus
    change: str
    editor: str | None
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "question": self.question,
            "answer": self.answer,
            "tags": list(self.tags),
            "status": str(self.status),
            "change": self.change,
            "editor": self.editor,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class FaqDraft:
    """What a curation dialog opens with: the thread's question and its best answer, editable."""

    question: str
    answer: str
    source_thread: str | None
    tags: tuple[str, ...] = ()
    # The entry already made from this thread: saving the dialog edits it instead of adding another.
    faq_id: int | None = None
    status: FaqStatus | None = None


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A person who asked to be pinged about a topic the question matches."""

    platform: str
    person_id: str
    name: str
    topic: str


@dataclass(frozen=True, slots=True)
class ExpertRequest:
    """A question sent to the specialists' channel (専門家に聞く): what to post, and whom to ping.

    ``asker`` is ``None`` when the person opted out of being named (or is unknown); ``subscribers``
    are the only people pinged: those who asked to be, for a topic the question matches.
    """

    question: str
    url: str | None
    asker: str | None
    channel_name: str | None
    private: bool
    subscribers: tuple[Subscriber, ...]


@dataclass(frozen=True, slots=True)
class Followup:
    """What to post in a question thread nobody answered: people who answered similar questions (named,
    not pinged) and people subscribed to a matching topic (the only ones pinged)."""

    platform: str
    channel_id: str
    root_message_id: str
    question: str
    experts: tuple[Expert, ...]
    subscribers: tuple[Subscriber, ...] = ()

    @property
    def empty(self) -> bool:
        """Nobody to name or ping: the platform posts nothing."""
        return not self.experts and not self.subscribers


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A 役に立たなかった press waiting for a specialist: the question and what was suggested."""

    id: int
    platform: str
    channel_id: str | None
    question: str
    suggested_thread: str
    created_at: datetime
    # Asked outside a public channel: the question, its channel and the suggestion are withheld (empty),
    # only that it exists is shown (knowledge.insights.disclosed).
    private: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "platform": self.platform,
            "channel_id": self.channel_id,
            "question": self.question,
            "suggested_thread": self.suggested_thread,
            "created_at": self.created_at.isoformat(),
            "private": self.private,
        }
