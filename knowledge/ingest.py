"""Applying events to the store, idempotently, and deriving each thread's state from its facts.

Every event is one transaction. Instead of patching derived fields (title, accepted answer, the indexed
document) event by event, a touched thread is re-derived from everything stored about it, so applying an
event twice, out of order or after an edit or delete always ends in the same state.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.engine import Connection

from knowledge import events as ev
from knowledge import learning, mentions
from knowledge.model import Visibility
from knowledge.store import Store
from knowledge.store import repository as repo
from knowledge.text import (
    after_pointer,
    asks_back,
    body_length,
    is_acknowledgement,
    is_procedure,
    is_thanks,
    looks_like_question,
    normalize,
    overlap,
    refers_back,
    shorten,
    substance,
    title_of,
)

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
# Learned wordings (questions the thread solved, 解決した) a document holds: the newest few, each cut
# short, so a popular thread's document stays about its question and answers.
MAX_PHRASINGS = 5
PHRASING_CHARS = 200

# The version of the rules in `derive_state` (titles, accepted and best replies, the document). Stored
# threads derived under another version are derived again once, when a knowledge base opens
# (`KnowledgeBase.open`), and by `yorozu reindex`. Raise it whenever those rules change.
#   1: first sentence as title; the last reply before the asker's thanks; the first reply shown.
#   2: the sentence that asks as title; a short follow-up gives way to the reply it belongs to; the
#      reply most related to the question shown; the document's answers best first.
#   3: questions the thread solved (解決した) join its document as other wordings of its question.
#   4: the asker's thanks under Yorozu's answer is 解決した on its first suggestion (knowledge.learning):
#      deriving the asking threads again learns the thanks given before this rule existed.
DERIVATION_VERSION = 4

# A reply scores by how much of the question it speaks to and how much it says (`reply_score`).
OVERLAP_WEIGHT = 0.6
SUBSTANCE_WEIGHT = 0.4
REACTION_BONUS = 0.05  # per person reacting to the reply (its author aside), up to three
ASKS_BACK_PENALTY = 0.3
ACKNOWLEDGEMENT_SCORE = -1.0
# Below this substance a reply is a short follow-up rather than an answer of its own (about 50 characters).
FOLLOW_UP_SUBSTANCE = 0.25
# A short reply after an answer this many times its length is a tip added to that answer.
TIP_RATIO = 3.0


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
        # Whether a known channel is archived is said by its archive and unarchive events alone. A
        # ChannelSeen is often a lookup's answer (conversations.info, Graph, an export) that can be older
        # than an archive event stored while it was on its way: it must not undo that newer fact.
        archived=event.archived if before is None else None,
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
    """Re-derive a thread's state from its stored facts; ``True`` when the state changed.

    The thread's row is locked first: a root and its reply committed at the same moment by two workers
    would otherwise each derive the state from what it alone saw, and the later commit could leave the
    thread hidden although its root is stored.
    """
    repo.lock_thread(conn, thread_id)
    facts = repo.thread_facts(conn, thread_id)
    changed = repo.save_thread_state(conn, thread_id, derive_state(facts))
    # The asker thanking under Yorozu's answer teaches the thread it suggested (knowledge.learning).
    for key in learning.sync(conn, facts):
        solved_changed(conn, key)
    return changed


def solved_changed(conn: Connection, key: str) -> None:
    """The questions the thread ``key`` names solved changed (a 解決した, a thanks): its document holds
    them, so it is derived again. A FAQ entry's mirror is derived from the entry, not from them."""
    thread_id = repo.find_thread_by_key(conn, key)
    if thread_id is not None and not key.startswith(f"{repo.FAQ_PLATFORM}:"):
        repo.lock_thread(conn, thread_id)
        repo.save_thread_state(conn, thread_id, derive_state(repo.thread_facts(conn, thread_id)))


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
    accepted = accepted_answer(root, live, answers, facts.reactions, facts.names)
    best = accepted or best_reply(root.text, answers, facts.reactions)
    title = title_of(root.text)
    scores = {a.id: reply_score(root.text, a, facts.reactions) for a in answers}
    # The other answers by the same measure, acknowledgements ("+1", 「ありがとうございます」) left out.
    others = [a for a in answers if a is not best and scores[a.id] > ACKNOWLEDGEMENT_SCORE]
    rest = sorted(others, key=lambda a: -scores[a.id])
    ordered = ([best] if best else []) + rest
    # The indexes hold no mentions of people (their names are read when shown: knowledge.mentions).
    document = thread_document(
        mentions.plain(root.text),
        [mentions.plain(a.text) for a in ordered],
        phrasings=learned_wordings(root.text, facts.phrasings),
    )
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
        best_message_id=best.id if best else None,
    )


def _order(message: repo.MessageRow) -> tuple[datetime, int]:
    return (message.posted_at, message.id)


def accepted_answer(
    root: repo.MessageRow,
    live: list[repo.MessageRow],
    answers: list[repo.MessageRow],
    reactions: dict[int, tuple[tuple[str, str], ...]],
    names: dict[str, str] | None = None,
) -> repo.MessageRow | None:
    """The reply that solved the asker's question, from the asker's own signals.

    1. The asker's check-mark reaction on a reply (the latest such reply wins).
    2. Otherwise, the asker thanking or saying it is solved after a reply: the last answer before that.

    Either way, a short follow-up (「はい、西野村さんも利用申請いただければ使えます」 after the asker's
    second question, 「田中さんの書いてくれたとおりです」) gives way to the substantive reply it belongs to
    (:func:`answer_behind`).
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
        return answer_behind(checked[-1], root, live, answers, reactions, names or {}, picked=True)
    for message in reversed(live):
        if message.id == root.id or message.author_external_id != asker or not is_thanks(message.text):
            continue
        before = [a for a in answers if _order(a) < _order(message)]
        if before:
            return answer_behind(before[-1], root, live, answers, reactions, names or {})
    return None


def answer_behind(
    reply: repo.MessageRow,
    root: repo.MessageRow,
    live: list[repo.MessageRow],
    answers: list[repo.MessageRow],
    reactions: dict[int, tuple[tuple[str, str], ...]],
    names: dict[str, str],
    *,
    picked: bool = False,
) -> repo.MessageRow:
    """The substantive reply a follow-up belongs to, else ``reply`` itself.

    A short reply (about 50 characters, no steps) gives way to an earlier substantive reply:
    1. the one whose author it names (「田中さんの書いてくれたとおりです」, a mention of them);
    2. else its own author's earlier answer (the same person answering the asker's follow-up);
    3. else the earlier reply most related to the question, when the short one points back
       (「上のとおりです」, "+1"), answers a question the asker put in between, or — unless the asker
       picked it with a check mark — is a tip added to a much longer answer that speaks to the
       question at least as much.
    A longer reply that opens by pointing back (「田中さんの書いてくれたとおりです。」, 「はい、…」) gives way
    to the reply it points to unless the rest of it scores higher. A reply with nothing substantive
    before it (「10MBです」 as the only answer) is the answer.
    """
    earlier = [
        a
        for a in answers
        if _order(a) < _order(reply) and substance(a.text) >= FOLLOW_UP_SUBSTANCE and not is_acknowledgement(a.text)
    ]
    if not earlier:
        return reply
    named = [a for a in earlier if a.author_external_id != reply.author_external_id and _names(reply.text, a, names)]
    others = [a for a in earlier if a.author_external_id != reply.author_external_id]
    best_other = max(others, key=lambda a: reply_score(root.text, a, reactions)) if others else None
    if substance(reply.text) < FOLLOW_UP_SUBSTANCE and not is_procedure(reply.text):
        if named:
            return named[-1]
        own = [a for a in earlier if a.author_external_id == reply.author_external_id]
        if own:
            return own[-1]
        asker = root.author_external_id
        asked_again = any(
            m.author_external_id == asker and m.id != root.id and _order(earlier[0]) < _order(m) < _order(reply)
            for m in live
        )
        assert best_other is not None  # `earlier` holds someone else's reply: not the author's own
        tip = (
            not picked
            and body_length(best_other.text) >= TIP_RATIO * body_length(reply.text)
            and overlap(root.text, reply.text) <= overlap(root.text, best_other.text)
        )
        if refers_back(reply.text) or asked_again or tip:
            return best_other
        return reply
    rest = after_pointer(reply.text)
    target = named[-1] if named else best_other
    # 「田中さんの書いてくれたとおりです。」 and a tip: the answer pointed to, unless the tip says more.
    if rest is not None and target is not None:
        says_more = text_score(root.text, rest) > reply_score(root.text, target, reactions)
        return reply if says_more else target
    return reply


def _names(text: str, answer: repo.MessageRow, names: dict[str, str]) -> bool:
    """Whether ``text`` names the author of ``answer``: a mention of them, or their name with さん/様/氏
    (「田中さんの…」 for 田中 花子) or as a word ("as Sato said")."""
    author = answer.author_external_id
    if not author:
        return False
    if author in mentions.mentioned([text]):  # a mention is stored as a reference to the person
        return True
    display = names.get(author, "")
    for part in re.split(r"[\s\u3000・,，()（）]+", display):
        if len(part) < 2:
            continue
        if part.isascii():
            if re.search(rf"\b{re.escape(part)}\b", text, re.IGNORECASE):
                return True
        elif re.search(rf"{re.escape(part)}\s*(?:さん|様|さま|氏|くん|君)", text):
            return True
    # A name written without a space (「田中花子」): its first characters before さん.
    for m in re.finditer(r"([\u3400-\u9fff\u30a0-\u30ff]{2,4})\s*(?:さん|様|さま|氏)", text):
        if display.replace(" ", "").replace("\u3000", "").startswith(m.group(1)):
            return True
    return False


def reply_score(question: str, reply: repo.MessageRow, reactions: dict[int, tuple[tuple[str, str], ...]]) -> float:
    """How well a reply answers the question: its overlap with the question and its substance, a little
    for people reacting to it; an acknowledgement scores lowest and a question back to the asker less."""
    people = {person for person, _ in reactions.get(reply.id, ()) if person != reply.author_external_id}
    score = text_score(question, reply.text)
    return score if score == ACKNOWLEDGEMENT_SCORE else score + REACTION_BONUS * min(3, len(people))


def text_score(question: str, text: str) -> float:
    """:func:`reply_score` of a text alone (no reactions)."""
    if is_acknowledgement(text) or not text.strip():
        return ACKNOWLEDGEMENT_SCORE
    score = OVERLAP_WEIGHT * overlap(question, text) + SUBSTANCE_WEIGHT * substance(text)
    return score - ASKS_BACK_PENALTY if asks_back(text) else score


def best_reply(
    question: str, answers: list[repo.MessageRow], reactions: dict[int, tuple[tuple[str, str], ...]]
) -> repo.MessageRow | None:
    """The reply a suggestion shows when nothing was accepted: the one most related to the question
    (:func:`reply_score`), the earliest of equals."""
    if not answers:
        return None
    return max(answers, key=lambda a: reply_score(question, a, reactions))


def thread_document(
    question: str, answers: list[str], recipe: DocumentRecipe | None = None, *, phrasings: Sequence[str] = ()
) -> str:
    """The text the indexes hold for a thread: its question, other wordings of it, then its best answer(s).

    ``answers`` come best first (the accepted one, else the most related to the question, then the
    others by the same measure; acknowledgements left out). ``phrasings`` are questions the thread
    solved (:func:`learned_wordings`): people asking again tend to word it as someone already did.
    """
    recipe = recipe or DOCUMENT_RECIPE
    question = "\n".join([question.strip(), *phrasings])
    if recipe == "question" or not answers:
        return question
    count = 1 if recipe == "question+answer" else MAX_ANSWERS
    joined = "\n".join(shorten(a, ANSWER_CHARS) for a in answers[:count])
    return f"{question}\n{joined}"


def learned_wordings(question: str, solved: Sequence[str]) -> list[str]:
    """The questions a thread solved that its document holds: distinct, not its own question again,
    without mentions of people, the newest :data:`MAX_PHRASINGS`, each cut to :data:`PHRASING_CHARS`."""
    seen = {_same(mentions.plain(question))}
    kept: list[str] = []
    for text in solved:
        plain = mentions.plain(text).strip()
        if not plain or _same(plain) in seen:
            continue
        seen.add(_same(plain))
        kept.append(shorten(plain, PHRASING_CHARS))
        if len(kept) == MAX_PHRASINGS:
            break
    return kept


def _same(text: str) -> str:
    """What two wordings must share to count as one: the normalised text without its spaces."""
    return normalize(text).replace(" ", "")
