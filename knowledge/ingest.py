"""Applying events to the store, idempotently, and deriving each thread's state from its facts.

Every event is one transaction. Instead of patching derived fields (title, accepted answer, the indexed
document) event by event, a touched thread is re-derived from everything stored about it, so applying an
event twice, out of order or after an edit or delete always ends in the same state.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC
from typing import Literal

from sqlalchemy.engine import Connection

from knowledge import events as ev
from knowledge import mentions
from knowledge.model import Visibility
from knowledge.store import Store
from knowledge.store import repository as repo
from knowledge.text import is_thanks, looks_like_question, shorten, title_of

log = logging.getLogger(__name__)

# Reactions that mean "this answered my question" when the asker adds them to a reply.
# Slack sends names (white_check_mark), Teams newer clients may send the emoji itself.
ACCEPT_REACTIONS = frozenset(
    {
        "white_check_mark",
        "heavy_check_mark",
        "ballot_box_with_check",
        "✅",
        "✔️",
        "✔",
        "☑️",
        "checkmark",
        "check",
        "solved",
    }
)

# What text of a thread the indexes hold. Measured on the sample community's held-out questions
# (docs/retrieval.md): the question plus its best answers finds the right thread far more often than
# the question alone, because people describe their problem in the words of the solution.
DocumentRecipe = Literal["question", "question+answer", "question+answers"]
DOCUMENT_RECIPE: DocumentRecipe = "question+answers"
MAX_ANSWERS = 3
ANSWER_CHARS = 400


def apply(store: Store, event: ev.Event) -> bool:
    """Apply one event in its own transaction; ``True`` when it changed anything."""
    with store.begin() as conn:
        return apply_in(conn, event)


def apply_in(conn: Connection, event: ev.Event) -> bool:
    """Apply one event inside the caller's transaction."""
    match event:
        case ev.ChannelSeen():
            return _channel_seen(conn, event)
        case ev.ChannelArchived():
            channel = repo.find_channel(conn, event.platform, event.channel_id)
            if channel is None or channel.archived == event.archived:
                return False
            repo.upsert_channel(conn, platform=event.platform, external_id=event.channel_id, archived=event.archived)
            return True
        case ev.ChannelDeleted():
            channel = repo.find_channel(conn, event.platform, event.channel_id)
            if channel is None or channel.deleted:
                return False
            repo.mark_channel_deleted(conn, channel.id)
            repo.touch_threads(conn, repo.channel_threads(conn, channel.id))
            return True
        case ev.PersonSeen():
            changed = repo.upsert_person(
                conn,
                platform=event.platform,
                external_id=event.person_id,
                display_name=event.display_name,
                organization=event.organization,
                email=event.email,
                is_bot=event.is_bot,
                tenant_id=event.tenant_id.lower() if event.tenant_id else None,
            )
            return changed
        case ev.MessagePosted():
            return _message_posted(conn, event)
        case ev.MessageEdited():
            return _message_edited(conn, event)
        case ev.MessageDeleted():
            return _message_deleted(conn, event)
        case ev.MessageRestored():
            return _message_restored(conn, event)
        case ev.ReactionChanged():
            return _reaction_changed(conn, event)
    raise TypeError(f"not a knowledge event: {type(event).__name__}")


def _channel_seen(conn: Connection, event: ev.ChannelSeen) -> bool:
    before = repo.find_channel(conn, event.platform, event.channel_id)
    visibility = event.visibility
    if visibility is None and before is None:
        visibility = Visibility.PRIVATE  # unknown: fail closed until the platform tells
    after = repo.upsert_channel(
        conn,
        platform=event.platform,
        external_id=event.channel_id,
        name=event.name,
        visibility=visibility,
        workspace_id=event.workspace_id,
        archived=event.archived,
    )
    if before is not None and before.visibility != after.visibility:
        # Visibility decides who may see these threads: make every index look again.
        repo.touch_threads(conn, repo.channel_threads(conn, after.id))
    return before != after


def _channel(conn: Connection, platform: str, channel_id: str) -> repo.ChannelRow:
    """The channel, created as public when a message arrives before the channel's own event."""
    return repo.find_channel(conn, platform, channel_id) or repo.upsert_channel(
        conn, platform=platform, external_id=channel_id
    )


def _message_posted(conn: Connection, event: ev.MessagePosted) -> bool:
    channel = _channel(conn, event.platform, event.channel_id)
    if repo.find_message(conn, channel.id, event.message_id) is not None:
        # A retry or a re-import: the first delivery won. Edits and deletes come as their own events.
        return False
    root_id = event.message_id if event.is_root else event.thread_id
    assert root_id is not None
    thread_id = repo.thread_for(conn, channel.id, root_id)
    repo.insert_message(
        conn,
        channel_id=channel.id,
        thread_id=thread_id,
        external_id=event.message_id,
        author_external_id=event.author_id,
        text=event.text,
        posted_at=event.posted_at.astimezone(UTC),
        edited_at=event.edited_at.astimezone(UTC) if event.edited_at else None,
        is_bot=event.is_bot,
        url=event.url,
    )
    refresh_thread(conn, thread_id)
    return True


def _message_edited(conn: Connection, event: ev.MessageEdited) -> bool:
    channel = repo.find_channel(conn, event.platform, event.channel_id)
    message = None if channel is None else repo.find_message(conn, channel.id, event.message_id)
    if message is None or message.deleted:
        return False
    if message.text == event.text:
        return False
    repo.update_message(conn, message.id, text=event.text, edited_at=event.edited_at.astimezone(UTC))
    refresh_thread(conn, message.thread_id)
    return True


def _message_deleted(conn: Connection, event: ev.MessageDeleted) -> bool:
    channel = repo.find_channel(conn, event.platform, event.channel_id)
    message = None if channel is None else repo.find_message(conn, channel.id, event.message_id)
    if message is None or message.deleted:
        return False
    # The text goes at once; the row stays so a late retry of the post cannot bring it back.
    repo.update_message(conn, message.id, text="", deleted=True)
    refresh_thread(conn, message.thread_id)
    return True


def _message_restored(conn: Connection, event: ev.MessageRestored) -> bool:
    channel = repo.find_channel(conn, event.platform, event.channel_id)
    message = None if channel is None else repo.find_message(conn, channel.id, event.message_id)
    if message is None or (not message.deleted and message.text == event.text):
        return False
    repo.update_message(conn, message.id, text=event.text, deleted=False)
    refresh_thread(conn, message.thread_id)
    return True


def _reaction_changed(conn: Connection, event: ev.ReactionChanged) -> bool:
    channel = repo.find_channel(conn, event.platform, event.channel_id)
    message = None if channel is None else repo.find_message(conn, channel.id, event.message_id)
    if message is None:
        log.debug("reaction on an unknown message %s/%s ignored", event.channel_id, event.message_id)
        return False
    if not repo.set_reaction(conn, message.id, event.person_id, event.reaction, event.added):
        return False
    refresh_thread(conn, message.thread_id)
    return True


def refresh_thread(conn: Connection, thread_id: int) -> bool:
    """Re-derive a thread's state from its stored facts; ``True`` when the state changed."""
    return repo.save_thread_state(conn, thread_id, derive_state(repo.thread_facts(conn, thread_id)))


def derive_state(facts: repo.ThreadFacts) -> repo.ThreadState:
    """Title, question-ness, answers, the accepted answer and the indexed document of one thread."""
    root = facts.root
    live = [m for m in facts.messages if not m.deleted]
    if root is None or root.deleted or root.is_bot or not root.text.strip():
        return repo.ThreadState(
            asker_external_id=root.author_external_id if root else None,
            title="",
            is_question=False,
            answer_count=0,
            accepted_message_id=None,
            asked_at=root.posted_at if root else None,
            last_activity_at=max((m.posted_at for m in live), default=None),
            hidden=True,
            url=root.url if root else None,
            document="",
            document_hash="",
        )
    asker = root.author_external_id
    answers = [
        m
        for m in live
        if m.id != root.id and not m.is_bot and m.text.strip() and (asker is None or m.author_external_id != asker)
    ]
    accepted = accepted_answer(root, live, answers, facts.reactions)
    best = accepted or _most_reacted(answers, facts.reactions)
    title = title_of(root.text)
    ordered = ([best] if best else []) + [a for a in answers if a is not best]
    # The indexes hold no mentions of people (their names are read when shown: knowledge.mentions).
    document = thread_document(mentions.plain(root.text), [mentions.plain(a.text) for a in ordered])
    return repo.ThreadState(
        asker_external_id=asker,
        title=title,
        is_question=looks_like_question(root.text),
        answer_count=len(answers),
        accepted_message_id=accepted.id if accepted else None,
        asked_at=root.posted_at,
        last_activity_at=max(m.posted_at for m in live),
        hidden=False,
        url=root.url,
        document=document,
        document_hash=hashlib.sha256(document.encode()).hexdigest(),
    )


def accepted_answer(
    root: repo.MessageRow,
    live: list[repo.MessageRow],
    answers: list[repo.MessageRow],
    reactions: dict[int, tuple[tuple[str, str], ...]],
) -> repo.MessageRow | None:
    """The reply that solved the asker's question, from the asker's own signals.

    1. The asker's check-mark reaction on a reply (the latest such reply wins).
    2. Otherwise, the asker thanking or saying it is solved after a reply: the last answer before that.
    """
    asker = root.author_external_id
    if asker is None or not answers:
        return None
    checked = [
        a
        for a in answers
        if any(person == asker and name in ACCEPT_REACTIONS for person, name in reactions.get(a.id, ()))
    ]
    if checked:
        return checked[-1]
    for message in reversed(live):
        if message.id == root.id or message.author_external_id != asker or not is_thanks(message.text):
            continue
        before = [a for a in answers if (a.posted_at, a.id) < (message.posted_at, message.id)]
        if before:
            return before[-1]
    return None


def _most_reacted(
    answers: list[repo.MessageRow], reactions: dict[int, tuple[tuple[str, str], ...]]
) -> repo.MessageRow | None:
    if not answers:
        return None
    # max() keeps the first of equals: with no reactions anywhere, the first answer.
    return max(answers, key=lambda a: len(reactions.get(a.id, ())))


def thread_document(question: str, answers: list[str], recipe: DocumentRecipe | None = None) -> str:
    """The text the indexes hold for a thread: its question, then its best answer(s).

    ``answers`` come best first (the accepted one, else the most reacted to, then in order).
    """
    recipe = recipe or DOCUMENT_RECIPE
    question = question.strip()
    if recipe == "question" or not answers:
        return question
    count = 1 if recipe == "question+answer" else MAX_ANSWERS
    joined = "\n".join(shorten(a, ANSWER_CHARS) for a in answers[:count])
    return f"{question}\n{joined}"
