"""The curation workflow for FAQ entries: draft, edit, publish, verify, review, retire.

An FAQ entry lives in ``faq_entries`` with its history in ``faq_versions``; every change is one new
version. To be found, an entry is *mirrored* as a thread of the reserved pseudo-channel ``faq``/``faq``
(root id = the entry id): the mirror's document is the question and answer, hidden unless the entry is
published. Mirroring reuses everything the indexes already do for threads — the change counter that
replicas and saved index files catch up from, stored vectors, deletes applying at once — so a retired
entry leaves every index on the next sync, and ``thread_views`` already hides it before then.

Functions here take an open connection (the caller owns the transaction); permission checks happen in
:class:`knowledge.base.KnowledgeBase`, which knows the roles.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy.engine import Connection

from knowledge.errors import InvalidInput, NotFound
from knowledge.ingest import thread_document
from knowledge.model import (
    Actor,
    FaqDraft,
    FaqEntry,
    FaqStatus,
    FaqVersion,
    Suggestion,
    SuggestionKind,
    parse_thread_key,
    thread_key,
)
from knowledge.store import repository as repo
from knowledge.text import excerpt_of, title_of

DEFAULT_REVIEW_DAYS = 180
MAX_QUESTION_CHARS = 2000
MAX_ANSWER_CHARS = 20000
MAX_TAGS = 20
EXCERPT_CHARS = 160
_TAG_SPLIT = re.compile(r"[;,、；，]")

PeopleLookup = Callable[[str, Iterable[str]], dict[str, repo.PersonRow]]


def parse_tags(tags: str | Iterable[str]) -> tuple[str, ...]:
    """Tags from ``"Excel; VBA"`` (or a list): trimmed, de-duplicated, order kept."""
    raw = _TAG_SPLIT.split(tags) if isinstance(tags, str) else [p for t in tags for p in _TAG_SPLIT.split(t)]
    out: list[str] = []
    for tag in (t.strip() for t in raw):
        if tag and tag not in out:
            out.append(tag[:50])
    if len(out) > MAX_TAGS:
        raise InvalidInput(
            f"at most {MAX_TAGS} tags, not {len(out)}",
            key="error_too_many_tags",
            params={"limit": MAX_TAGS, "count": len(out)},
        )
    return tuple(out)


def join_tags(tags: Sequence[str]) -> str:
    return "; ".join(tags)


def _checked_text(name: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"the FAQ {name} is empty", key="error_field_empty", params={"field": name})
    if len(value) > limit:
        raise InvalidInput(
            f"the FAQ {name} is longer than {limit} characters ({len(value)})",
            key="error_text_too_long",
            params={"field": name, "limit": limit},
        )
    return value


def _checked_interval(days: int) -> int:
    if not 1 <= days <= 3650:
        raise InvalidInput(f"the review interval must be between 1 and 3650 days, not {days}")
    return days


# --- drafting --------------------------------------------------------------------------------------


def draft_from_thread(
    conn: Connection, platform: str, channel_id: str, root_id: str, *, answer_id: str | None = None
) -> FaqDraft:
    """The question and best answer of a thread (accepted, else the most related to the question), to edit.

    ``answer_id`` is the reply a specialist picked (the message action was used on it): that reply is
    the answer instead, when it is one of the thread's answers.
    """
    thread_id = repo.find_thread_id(conn, platform, channel_id, root_id)
    view = repo.thread_views(conn, [thread_id]).get(thread_id) if thread_id is not None else None
    if thread_id is None or view is None or view.platform == repo.FAQ_PLATFORM:
        raise NotFound("thread", thread_key(platform, channel_id, root_id))
    root = repo.root_message(conn, thread_id)
    question = repo.render_mentions(conn, platform, root.text).strip() if root else view.title
    source = thread_key(platform, channel_id, root_id)
    existing = repo.faq_from_source(conn, source)
    picked = next((a for a in view.answers if answer_id is not None and a.external_id == answer_id), None)
    if existing is not None and existing.status != FaqStatus.RETIRED and picked is None:
        # The thread is an FAQ entry already: open that entry (as curated), not the raw thread again.
        return FaqDraft(
            question=existing.question,
            answer=existing.answer,
            source_thread=source,
            tags=parse_tags(existing.tags),
            faq_id=existing.id,
            status=FaqStatus(existing.status),
        )
    best = picked or best_answer(view)
    return FaqDraft(
        question=question,
        answer=best.text.strip() if best else "",
        source_thread=source,
        faq_id=existing.id if existing is not None and existing.status != FaqStatus.RETIRED else None,
        status=FaqStatus(existing.status) if existing is not None and existing.status != FaqStatus.RETIRED else None,
    )


def best_answer(view: repo.ThreadView) -> repo.MessageRow | None:
    """The answer a suggestion shows: the accepted one, else the reply most related to the question."""
    return view.shown_answer


# --- changes ---------------------------------------------------------------------------------------


def create(
    conn: Connection,
    *,
    question: str,
    answer: str,
    tags: str | Iterable[str] = (),
    owner: Actor,
    source_thread: str | None = None,
    review_interval_days: int = DEFAULT_REVIEW_DAYS,
    status: FaqStatus = FaqStatus.DRAFT,
    now: datetime | None = None,
) -> repo.FaqRow:
    """A new entry (a draft unless ``status`` says otherwise), with its first version."""
    now = now or datetime.now(UTC)
    if source_thread is not None:
        parse_thread_key(source_thread)
    faq_id = repo.insert_faq(
        conn,
        question=_checked_text("question", question, MAX_QUESTION_CHARS),
        answer=_checked_text("answer", answer, MAX_ANSWER_CHARS),
        tags=join_tags(parse_tags(tags)),
        status=str(FaqStatus(status)),
        owner_platform=None if owner.is_operator else owner.platform,
        owner_id=None if owner.is_operator else owner.person_id,
        review_interval_days=_checked_interval(review_interval_days),
        source_thread=source_thread,
        version=1,
        created_at=now,
        updated_at=now,
    )
    row = get(conn, faq_id)
    repo.add_faq_version(conn, faq=row, change="created", editor=str(owner))
    mirror(conn, row)
    return get(conn, faq_id)


def get(conn: Connection, faq_id: int) -> repo.FaqRow:
    row = repo.get_faq(conn, faq_id)
    if row is None:
        raise NotFound("FAQ entry", faq_id)
    return row


def change(
    conn: Connection,
    faq_id: int,
    values: dict[str, object],
    *,
    editor: Actor,
    what: str,
    now: datetime | None = None,
) -> repo.FaqRow:
    """Apply ``values`` as a new version (nothing happens when nothing changes)."""
    row = get(conn, faq_id)
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if not changed:
        return row
    now = now or datetime.now(UTC)
    repo.update_faq(conn, faq_id, version=row.version + 1, updated_at=now, **changed)
    row = get(conn, faq_id)
    repo.add_faq_version(conn, faq=row, change=what, editor=str(editor))
    mirror(conn, row)
    return row


def edit(
    conn: Connection,
    faq_id: int,
    *,
    editor: Actor,
    question: str | None = None,
    answer: str | None = None,
    tags: str | Iterable[str] | None = None,
    review_interval_days: int | None = None,
    now: datetime | None = None,
) -> repo.FaqRow:
    values: dict[str, object] = {}
    if question is not None:
        values["question"] = _checked_text("question", question, MAX_QUESTION_CHARS)
    if answer is not None:
        values["answer"] = _checked_text("answer", answer, MAX_ANSWER_CHARS)
    if tags is not None:
        values["tags"] = join_tags(parse_tags(tags))
    if review_interval_days is not None:
        values["review_interval_days"] = _checked_interval(review_interval_days)
    return change(conn, faq_id, values, editor=editor, what="edited", now=now)


def set_status(
    conn: Connection, faq_id: int, status: FaqStatus, *, editor: Actor, now: datetime | None = None
) -> repo.FaqRow:
    """Publish (also a retired entry again), retire, or send back to draft."""
    what = {FaqStatus.PUBLISHED: "published", FaqStatus.RETIRED: "retired", FaqStatus.DRAFT: "unpublished"}
    return change(conn, faq_id, {"status": str(status)}, editor=editor, what=what[FaqStatus(status)], now=now)


def verify(
    conn: Connection, faq_id: int, *, verifier: Actor, verified_at: datetime | None = None, now: datetime | None = None
) -> repo.FaqRow:
    """Record who checked the entry and when; the review clock starts again from ``verified_at``."""
    row = get(conn, faq_id)
    if row.status == FaqStatus.RETIRED:
        raise InvalidInput(f"FAQ entry {faq_id} is retired: publish it again before verifying it")
    now = now or datetime.now(UTC)
    values: dict[str, object] = {
        "verified_by_platform": None if verifier.is_operator else verifier.platform,
        "verified_by_id": None if verifier.is_operator else verifier.person_id,
        "verified_by_name": verifier.name,
        "verified_at": (verified_at or now).astimezone(UTC),
    }
    return change(conn, faq_id, values, editor=verifier, what="verified", now=now)


def mirror(conn: Connection, row: repo.FaqRow) -> None:
    """Keep the entry's pseudo-thread in step: indexed while published, hidden otherwise."""
    channel = repo.faq_channel(conn)
    thread_id = row.thread_id or repo.thread_for(conn, channel.id, str(row.id))
    if row.thread_id is None:
        repo.update_faq(conn, row.id, thread_id=thread_id)
    published = row.status == FaqStatus.PUBLISHED
    document = thread_document(row.question, [row.answer]) if published else ""
    repo.save_thread_state(
        conn,
        thread_id,
        repo.ThreadState(
            asker_external_id=None,
            title=title_of(row.question),
            is_question=True,
            answer_count=1,
            accepted_message_id=None,
            asked_at=row.created_at,
            last_activity_at=row.verified_at or row.updated_at,
            hidden=not published,
            url=None,
            document=document,
            document_hash=hashlib.sha256(document.encode()).hexdigest() if document else "",
        ),
    )


# --- reading ---------------------------------------------------------------------------------------


def _name(people: PeopleLookup, platform: str | None, person_id: str | None, fallback: str | None) -> str | None:
    """A display name, or ``None`` when the person opted out of being named."""
    if platform is None or person_id is None:
        return fallback
    person = people(platform, [person_id]).get(person_id)
    if person is None:
        return fallback or person_id
    return None if person.opted_out else person.display_name


def to_entry(row: repo.FaqRow, people: PeopleLookup) -> FaqEntry:
    return FaqEntry(
        id=row.id,
        question=row.question,
        answer=row.answer,
        tags=parse_tags(row.tags),
        status=FaqStatus(row.status),
        owner=_name(people, row.owner_platform, row.owner_id, None),
        owner_id=f"{row.owner_platform}:{row.owner_id}" if row.owner_id else None,
        verified_by=_name(people, row.verified_by_platform, row.verified_by_id, row.verified_by_name),
        verified_by_id=f"{row.verified_by_platform}:{row.verified_by_id}" if row.verified_by_id else None,
        verified_at=row.verified_at,
        review_interval_days=row.review_interval_days,
        source_thread=row.source_thread,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def history(conn: Connection, faq_id: int) -> list[FaqVersion]:
    get(conn, faq_id)
    return [
        FaqVersion(
            v.version, v.question, v.answer, parse_tags(v.tags), FaqStatus(v.status), v.change, v.editor, v.created_at
        )
        for v in repo.faq_history(conn, faq_id)
    ]


def build_suggestion(entry: FaqEntry, score: float, now: datetime, source_url: str | None) -> Suggestion:
    """A published entry as a suggestion: marked FAQ, with who verified it and when."""
    return Suggestion(
        kind=SuggestionKind.FAQ,
        thread_id=thread_key(repo.FAQ_PLATFORM, repo.FAQ_CHANNEL, str(entry.id)),
        platform=repo.FAQ_PLATFORM,
        channel_id=repo.FAQ_CHANNEL,
        channel_name="FAQ",
        root_message_id=str(entry.id),
        title=title_of(entry.question),
        answer_excerpt=excerpt_of(entry.answer, EXCERPT_CHARS),
        answerers=(),
        url=source_url,
        asked_at=entry.created_at,
        score=score,
        accepted=True,
        faq_id=entry.id,
        verified_by=entry.verified_by,
        verified_at=entry.verified_at,
        review_due=entry.review_due(now),
        answered_at=entry.verified_at or entry.updated_at,
    )


def source_url(conn: Connection, row: repo.FaqRow) -> str | None:
    """The link to the thread an entry was made from, only when that thread is public and still there."""
    if not row.source_thread:
        return None
    platform, channel, root = parse_thread_key(row.source_thread)
    thread_id = repo.find_thread_id(conn, platform, channel, root)
    view = repo.thread_views(conn, [thread_id]).get(thread_id) if thread_id is not None else None
    if view is None or view.visibility != "public":
        return None
    return view.url


# --- bulk input (CSV import) -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FaqInput:
    """One entry to create (``id`` None) or update, as read from a file; ``line`` is for error messages."""

    line: int
    id: int | None
    question: str
    answer: str
    tags: tuple[str, ...] = ()
    status: FaqStatus = FaqStatus.DRAFT
    review_interval_days: int = DEFAULT_REVIEW_DAYS
    verified_by: str | None = None
    verified_at: datetime | None = None
    source_thread: str | None = None


class FaqImportCounts(NamedTuple):
    """What an import did: entries created, entries changed, and rows that matched their entry already."""

    created: int
    updated: int
    unchanged: int


def apply_input(conn: Connection, item: FaqInput, *, actor: Actor) -> str:
    """Create or update one entry from imported values: ``created``, ``updated`` or ``unchanged``."""
    if item.id is None:
        row = create(
            conn,
            question=item.question,
            answer=item.answer,
            tags=item.tags,
            owner=actor,
            source_thread=item.source_thread,
            review_interval_days=item.review_interval_days,
            status=item.status,
        )
        outcome = "created"
        version = None
    else:
        row = get(conn, item.id)
        version = row.version
        values: dict[str, object] = {
            "question": _checked_text("question", item.question, MAX_QUESTION_CHARS),
            "answer": _checked_text("answer", item.answer, MAX_ANSWER_CHARS),
            "tags": join_tags(item.tags),
            "status": str(item.status),
            "review_interval_days": _checked_interval(item.review_interval_days),
        }
        if item.source_thread is not None:
            parse_thread_key(item.source_thread)
            values["source_thread"] = item.source_thread
        row = change(conn, row.id, values, editor=actor, what="imported")
        outcome = "updated"
    if item.verified_at is not None and item.verified_at != row.verified_at:
        verified: dict[str, object] = {
            "verified_at": item.verified_at,
            "verified_by_name": item.verified_by,
            "verified_by_platform": None,
            "verified_by_id": None,
        }
        row = change(conn, row.id, verified, editor=actor, what="verified")
    if version is not None and row.version == version:
        outcome = "unchanged"
    return outcome
