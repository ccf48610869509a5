"""What a press on a Yorozu card carries, validated, and who pressed: conversion only.

The data comes back as the card wrote it (:mod:`bot.teams.cards`); anything else is
:class:`~bot.teams.convert.NotConvertible` (a 400, never a 500).
"""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity

from bot.messages import Locale, locale_from
from bot.teams import convert
from knowledge.model import Actor, Verdict


class FeedbackPress:
    """A validated button press."""

    def __init__(self, data: dict[str, Any]) -> None:
        verdict = data.get("verdict")
        threads = data.get("threads")
        question = data.get("question")
        if verdict not in {v.value for v in Verdict}:
            raise convert.NotConvertible("feedback without a verdict")
        if not isinstance(threads, list) or not all(isinstance(t, str) for t in threads) or not threads:
            raise convert.NotConvertible("feedback without threads")
        if not isinstance(question, str) or not question.strip():
            raise convert.NotConvertible("feedback without the question")
        self.verdict = Verdict(verdict)
        self.threads: list[str] = threads[:3]
        self.question = question
        channel, message = data.get("channel"), data.get("message")
        self.channel_id = channel if isinstance(channel, str) else None
        self.message_id = message if isinstance(message, str) else None
        self.asker_id = _asker(data)
        self.locale: Locale = locale_from(str(data.get("locale") or "ja"))


def feedback_press(data: dict[str, Any]) -> FeedbackPress:
    return FeedbackPress(data)


class AskExpertPress:
    """A validated 専門家に聞く press."""

    def __init__(self, data: dict[str, Any]) -> None:
        question = data.get("question")
        if not isinstance(question, str) or not question.strip():
            raise convert.NotConvertible("専門家に聞く without the question")
        self.question = question
        channel, message = data.get("channel"), data.get("message")
        self.channel_id = channel if isinstance(channel, str) and channel else None
        self.message_id = message if isinstance(message, str) and message else None
        self.asker_id = _asker(data)
        self.locale: Locale = locale_from(str(data.get("locale") or "ja"))


def _actor(activity: Activity) -> Actor | None:
    """Who sent an activity, as the knowledge base names Teams people (Entra object id)."""
    person = convert.person_id(activity)
    if person is None:
        return None
    name = activity.from_property.name if activity.from_property else None
    return Actor(convert.PLATFORM, person, name or None)


def actor_of(activity: Activity) -> Actor | None:
    """Who sent an activity, as the knowledge base names Teams people (Entra object id)."""
    person = convert.person_id(activity)
    if person is None:
        return None
    name = activity.from_property.name if activity.from_property else None
    return Actor(convert.PLATFORM, person, name or None)


def _asker(data: dict[str, Any]) -> str | None:
    """Who asked Yorozu the question on the card, when the card says (a direct answer)."""
    asker = data.get("asker")
    return asker if isinstance(asker, str) and asker else None
