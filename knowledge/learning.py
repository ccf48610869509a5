"""An answer accepted in chat: the asker thanking in a thread Yorozu answered.

Yorozu learns from 解決した pressed under a suggestion (:func:`knowledge.ingest.learned_wordings`). Many
people never press a button: they reply 「ありがとうございます、解決しました」 under Yorozu's answer. When Yorozu
suggested past threads for a question (its suggestion under a channel post, or its answer to a mention
there) and the asker then thanks, before anyone else answered, the first suggestion is what solved it. That
counts as 解決した pressed by the asker on it (a ``feedback`` row with ``source`` ``thanks``): the
question becomes another wording of that thread, its shown answer's author counts as helpful, and the
helpfulness figures count it — one fact, the same as the button's.

The row follows the question's thread, which is derived again on every change to it
(:func:`knowledge.ingest.refresh_thread` calls :func:`sync`): an edited or deleted thanks, a deleted or
edited question, or a new suggestion for an edited question moves or removes it. A button the asker
pressed on the same suggestion wins: their press replaces the row and is never undone here.

Not learned: a thanks after a person's reply (the thanks is theirs: the thread's accepted answer), a
thanks that asks again (「ありがとうございます。別の方法はありますか？」), questions Yorozu did not log (a DM, a
personal chat, history imported later), and a ✅ reaction on Yorozu's own reply (Yorozu does not store
its own messages; 解決した is the button for that).
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from knowledge.model import thread_key
from knowledge.store import repository as repo
from knowledge.text import is_thanks, looks_like_question

SOURCE = "thanks"


def accepted_suggestion(facts: repo.ThreadFacts, asked: repo.QueryRow | None) -> str | None:
    """The suggested thread (``platform:channel:root``) the asker accepted by thanking, else ``None``.

    ``asked`` is what Yorozu logged for the thread's question: what it suggested. Its time is not compared
    with the thanks: Yorozu answers within seconds of the question, and pressing a button redraws its
    card and logs the question again later.
    """
    root = facts.root
    if asked is None or asked.abstained or not asked.suggested:
        return None
    if root is None or root.deleted or root.is_bot or root.author_external_id is None or not root.text.strip():
        return None
    asker = root.author_external_id
    for message in facts.messages:  # oldest first
        if message.id == root.id or message.deleted or not message.text.strip():
            continue
        if message.author_external_id != asker:
            if message.is_bot:
                continue  # Yorozu's own reply, or another integration's
            return None  # a person answered first: a thanks after that is theirs
        if is_thanks(message.text) and not looks_like_question(message.text):
            return asked.suggested[0]
    return None


def sync(conn: Connection, facts: repo.ThreadFacts) -> list[str]:
    """Bring the asker's thanks verdict on this thread's question in step with its messages.

    Returns the suggested threads whose solved questions changed (their documents must be derived again).
    """
    root = facts.root
    if root is None or root.author_external_id is None or facts.channel.platform == repo.FAQ_PLATFORM:
        return []
    asker = root.author_external_id
    # A thanks verdict exists only where the asker replied in their own thread (a deleted reply keeps its
    # row): other threads, most of them, cost no query here.
    if not any(m.author_external_id == asker and m.id != root.id for m in facts.messages):
        return []
    platform, channel_id = facts.channel.platform, facts.channel.external_id
    asked = repo.query_for_message(conn, platform, channel_id, facts.root_external_id)
    wanted = accepted_suggestion(facts, asked)
    changed: list[str] = []
    kept: set[str] = set()
    stale: list[int] = []
    for row in repo.verdicts_on(conn, platform, channel_id, facts.root_external_id, asker):
        if row.source == SOURCE and (row.suggested_thread != wanted or row.question != root.text):
            stale.append(row.id)
            changed.append(row.suggested_thread)
        else:
            kept.add(row.suggested_thread)  # a button press, or this verdict as it should be
    repo.delete_feedback(conn, stale)
    if wanted is not None and wanted not in kept:
        solved_by = repo.find_thread_by_key(conn, wanted)
        repo.record_feedback(
            conn,
            platform=platform,
            channel_external_id=channel_id,
            question_message_id=facts.root_external_id,
            question=root.text,
            suggested_thread=wanted,
            person_external_id=asker,
            verdict="solved",
            answer_external_id=repo.shown_answer_id(conn, solved_by) if solved_by is not None else None,
            source=SOURCE,
        )
        changed.append(wanted)
    own = thread_key(platform, channel_id, facts.root_external_id)
    return [key for key in dict.fromkeys(changed) if key != own]
