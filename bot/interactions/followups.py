"""The one follow-up in an unanswered question's thread."""

from __future__ import annotations

from bot.messages import Locale
from bot.replies import FollowupReply
from bot.service import KnowledgeService
from knowledge.base import KnowledgeBase


async def followup_reply(
    service: KnowledgeService, platform: str, channel_id: str, root_id: str, locale: Locale
) -> FollowupReply | None:
    """What a due ``<platform>.followup`` job posts under the thread ``root_id``, or ``None``: answered,
    deleted, too late, nobody to name, or the channel switched off (``off``: Yorozu then speaks there only
    when asked directly)."""
    if not await service.run(KnowledgeBase.auto_suggest, platform, channel_id):
        return None
    followup = await service.run(KnowledgeBase.followup_for, platform, channel_id, root_id)
    if followup is None or followup.empty:
        return None
    return FollowupReply(followup, locale)
