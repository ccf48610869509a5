"""Platform-neutral replies and the one place that understands what a person typed to Yorozu.

Adapters turn a platform message into ``handle_direct(...)``'s arguments and render the returned
``Reply`` with their own renderer (Adaptive Cards for Teams, Block Kit for Slack). Texts come from
``bot.messages`` in the person's language (Japanese by default, English for English locales).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from bot.messages import Locale
from bot.service import KnowledgeService
from knowledge.errors import InvalidQuestion
from knowledge.model import Expert, Scope, SearchResult


class CommandKind(StrEnum):
    ASK = "ask"
    WHO = "who"
    HELP = "help"
    ON = "on"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class Command:
    kind: CommandKind
    text: str = ""


# Japanese and English words people use for each command; the first word decides.
_WORDS = {
    CommandKind.HELP: ("help", "ヘルプ", "使い方", "?", "？"),
    CommandKind.WHO: ("who", "誰", "だれ", "詳しい人"),
    CommandKind.ASK: ("ask", "質問"),
    CommandKind.ON: ("on", "オン"),
    CommandKind.OFF: ("off", "オフ"),
}
_SPLIT = re.compile(r"[\s\u3000:：]+", re.UNICODE)


def parse_command(text: str) -> Command:
    """``who 権限管理`` → WHO, ``help`` → HELP, ``on``/``off`` → channel switch, anything else → ASK.

    Mentions must already be stripped by the adapter.
    """
    stripped = text.strip()
    if not stripped:
        return Command(CommandKind.HELP)
    parts = _SPLIT.split(stripped, maxsplit=1)
    head = parts[0].lower()
    rest = parts[1].strip() if len(parts) > 1 else ""
    for kind, words in _WORDS.items():
        if head in words:
            if kind in (CommandKind.ON, CommandKind.OFF) and rest:
                break  # "on premises backup?" is a question, not a switch
            if kind == CommandKind.HELP and rest:
                break
            if kind in (CommandKind.WHO, CommandKind.ASK) and not rest:
                return Command(CommandKind.HELP)
            return Command(kind, rest)
    return Command(CommandKind.ASK, stripped)


@dataclass(frozen=True, slots=True)
class SuggestionsReply:
    """Suggestions for a question; ``question_ref`` identifies the question for feedback buttons."""

    result: SearchResult
    locale: Locale
    question_ref: QuestionRef | None = None
    automatic: bool = False  # posted by itself under a new question (not asked directly)


@dataclass(frozen=True, slots=True)
class QuestionRef:
    """Where a question was asked, carried in button payloads so feedback names the question."""

    platform: str
    channel_id: str | None
    message_id: str | None


@dataclass(frozen=True, slots=True)
class ExpertsReply:
    topic: str
    experts: tuple[Expert, ...]
    locale: Locale


@dataclass(frozen=True, slots=True)
class TextReply:
    """A short message: help, a confirmation, a friendly error."""

    key: str
    locale: Locale
    params: dict[str, str] = field(default_factory=dict)


Reply = SuggestionsReply | ExpertsReply | TextReply


async def handle_direct(
    service: KnowledgeService,
    text: str,
    *,
    scope: Scope,
    locale: Locale,
    question_ref: QuestionRef | None = None,
    channel: tuple[str, str] | None = None,
) -> Reply:
    """Answer a message addressed to Yorozu (mention, personal chat, slash command).

    ``channel`` is the (platform, channel id) where ``on``/``off`` apply; ``None`` in personal chats.
    """
    command = parse_command(text)
    try:
        match command.kind:
            case CommandKind.HELP:
                return TextReply("help", locale)
            case CommandKind.ON | CommandKind.OFF:
                if channel is None:
                    return TextReply("switch_needs_channel", locale)
                await service.set_auto_suggest(channel[0], channel[1], command.kind == CommandKind.ON)
                return TextReply("auto_on" if command.kind == CommandKind.ON else "auto_off", locale)
            case CommandKind.WHO:
                experts = await service.experts(command.text, scope=scope)
                return ExpertsReply(command.text, tuple(experts), locale)
            case CommandKind.ASK:
                result = await service.suggest(command.text, scope=scope)
                return SuggestionsReply(result, locale, question_ref)
    except InvalidQuestion:
        return TextReply("help", locale)
    raise AssertionError(command)  # pragma: no cover - every kind is handled above
