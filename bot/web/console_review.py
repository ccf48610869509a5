"""The console's review queue: each open item with where it was asked and what was suggested (its title
and the start of its answer), channel names resolved, in one pass over the knowledge base."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from knowledge.base import KnowledgeBase
from knowledge.errors import InvalidInput, NotFound
from knowledge.faq import parse_thread_key
from knowledge.model import Scope
from knowledge.text import excerpt_of

# How much of a suggested answer the queue shows.
PREVIEW_CHARS = 160


def review_items(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Open review items with where they were asked and what was suggested, channel names resolved."""
    names: dict[tuple[str, str], str | None] = {}

    def channel_name(platform: str, channel_id: str | None) -> str | None:
        if channel_id is None:
            return None
        if (platform, channel_id) not in names:
            row = kb.channel(platform, channel_id)
            names[platform, channel_id] = row.name if row is not None else None
        return names[platform, channel_id]

    out = []
    for item in kb.review_queue():
        data = item.to_json()
        data["channel_name"] = channel_name(item.platform, item.channel_id)
        data["suggested"] = _suggested(item.suggested_thread, channel_name)
        data["suggested"].update(_shown(kb, data["suggested"]))
        out.append(data)
    return out


def _shown(kb: KnowledgeBase, suggested: dict[str, Any]) -> dict[str, Any]:
    """What the suggestion showed: its title and the start of its answer (``{}`` when it is gone)."""
    try:
        if suggested["kind"] == "faq" and suggested.get("faq_id") is not None:
            entry = kb.faq_get(suggested["faq_id"])
            return {"title": excerpt_of(entry.question, 80), "excerpt": excerpt_of(entry.answer, PREVIEW_CHARS)}
        if suggested["kind"] == "thread":
            detail = kb.thread(
                suggested["platform"], suggested["channel_id"], suggested["root_message_id"], scope=Scope.public()
            )
            best = next((r for r in detail.replies if r.accepted), detail.replies[0] if detail.replies else None)
            return {"title": detail.title, "excerpt": excerpt_of(best.text, PREVIEW_CHARS) if best else ""}
    except NotFound:
        pass
    return {}


def _suggested(key: str, channel_name: Callable[[str, str | None], str | None]) -> dict[str, Any]:
    try:
        platform, channel_id, root_id = parse_thread_key(key)
    except InvalidInput:
        return {"kind": "unknown", "key": key}
    if platform == "faq":  # the FAQ entries' pseudo-channel: the root is the entry id
        return {"kind": "faq", "key": key, "faq_id": int(root_id) if root_id.isdigit() else None}
    return {
        "kind": "thread",
        "key": key,
        "platform": platform,
        "channel_id": channel_id,
        "channel_name": channel_name(platform, channel_id),
        "root_message_id": root_id,
    }
