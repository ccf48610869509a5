"""専門家に聞く: whether a question may go to the specialists' channel, and what is posted there."""

from __future__ import annotations

from collections.abc import Collection

from bot.errors import chat_key
from bot.replies import QuestionRef
from bot.service import KnowledgeService
from knowledge.base import KnowledgeBase
from knowledge.errors import InvalidQuestion, NotShareable
from knowledge.model import Actor, ExpertRequest, Visibility


async def channel_is_public(service: KnowledgeService, platform: str, channel_id: str | None) -> bool:
    """Whether a channel is known to be public; a private or shared channel, a chat, a direct message and
    a channel Yorozu has not stored are not."""
    row = await service.run(KnowledgeBase.channel, platform, channel_id) if channel_id else None
    return row is not None and row.visibility == Visibility.PUBLIC


async def ask_expert(
    service: KnowledgeService,
    *,
    requester: Actor,
    question: str,
    ref: QuestionRef,
    specialists_channel: str | None,
    ping_on: Collection[str] | None = None,
) -> ExpertRequest | str:
    """What to post in the specialists' channel for ``requester``'s press, or the key of the note that
    says why nothing is posted: no specialists' channel configured, a question from outside a public
    channel pressed by someone other than its asker, or no question to send.

    A question stored as a thread is checked by the knowledge base (its asker is known). A question asked
    to Yorozu (a mention, a chat, a slash command) may never have been stored: the press carries who asked
    (``ref.asker_id``), and outside a public channel only they may send it.

    Subscribers are pinged on the question's platform, or on the platforms ``ping_on`` names: the web
    chat's question is posted by the platforms whose specialists' channel is configured.
    """
    if not specialists_channel:
        return "ask_expert_not_configured"
    asker = ref.asker_id
    if asker and asker != requester.person_id and not await channel_is_public(service, ref.platform, ref.channel_id):
        return "ask_expert_private"
    try:
        return await service.run(
            KnowledgeBase.expert_request,
            requester,
            question,
            platform=ref.platform,
            channel_id=ref.channel_id,
            message_id=ref.message_id,
            ping_on=ping_on,
        )
    except (NotShareable, InvalidQuestion) as exc:
        return chat_key(exc)
