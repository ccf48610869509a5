"""解決した / 役に立たなかった: the verdict on suggested threads, and who the note under them names."""

from __future__ import annotations

from collections.abc import Sequence

from bot.messages import Locale
from bot.replies import QuestionRef, SuggestionsReply
from bot.service import KnowledgeService
from knowledge.base import ExcludeThread, KnowledgeBase
from knowledge.model import Scope, Verdict


async def record_feedback(
    service: KnowledgeService,
    *,
    ref: QuestionRef,
    question: str,
    threads: Sequence[str],
    person_id: str,
    verdict: Verdict,
) -> None:
    """Record ``person_id``'s verdict on each suggested thread for the question ``ref`` names
    (役に立たなかった puts the suggestion in the specialists' review queue)."""
    for thread in threads:
        await service.run(
            KnowledgeBase.record_feedback,
            platform=ref.platform,
            channel_id=ref.channel_id,
            question_message_id=ref.message_id,
            question=question,
            suggested_thread=thread,
            person_id=person_id,
            verdict=verdict,
        )


async def presser_name(service: KnowledgeService, platform: str, person_id: str, name: str | None) -> str | None:
    """How the note everyone sees under the buttons names who pressed: ``None`` (unnamed) for someone
    who opted out of being named."""
    if await service.run(KnowledgeBase.is_opted_out, platform, person_id):
        return None
    return name


async def suggestions_again(
    service: KnowledgeService, question: str, ref: QuestionRef, locale: Locale, *, record: bool = True
) -> SuggestionsReply:
    """The suggestions for a question asked before, to redraw a card in place; ``record`` updates the
    question's log row rather than adding one (the message is excluded as the question it is)."""
    exclude = ExcludeThread(ref.platform, ref.channel_id, ref.message_id) if ref.channel_id and ref.message_id else None
    result = await service.suggest(question, scope=Scope(ref.platform, ref.channel_id), exclude=exclude, record=record)
    return SuggestionsReply(result, locale, ref)
