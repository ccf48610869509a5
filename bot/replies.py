"""Platform-neutral replies and the one place that understands what a person typed to Yorozu.

Adapters turn a platform message into ``handle_direct(...)``'s arguments and render the returned
``Reply`` with their own renderer (Adaptive Cards for Teams, Block Kit for Slack). Texts come from
``bot.messages`` in the person's language (Japanese by default, English for English locales).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.messages import Locale, text
from bot.service import KnowledgeService
from knowledge.errors import InvalidInput, InvalidQuestion
from knowledge.model import Actor, Expert, ExpertRequest, Followup, Scope, SearchResult, Suggestion


class CommandKind(StrEnum):
    ASK = "ask"
    WHO = "who"
    HELP = "help"
    ON = "on"
    OFF = "off"
    OPTOUT = "optout"
    OPTIN = "optin"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"


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
    CommandKind.OPTOUT: ("optout", "opt-out", "オプトアウト"),
    CommandKind.OPTIN: ("optin", "opt-in", "オプトイン"),
    CommandKind.SUBSCRIBE: ("subscribe", "通知", "購読"),
    CommandKind.UNSUBSCRIBE: ("unsubscribe", "通知解除", "購読解除"),
}
# Words that are commands only on their own: followed by more text they start a question.
_ALONE = {CommandKind.ON, CommandKind.OFF, CommandKind.OPTOUT, CommandKind.OPTIN, CommandKind.HELP}
_SPLIT = re.compile(r"[\s\u3000:：]+", re.UNICODE)


def parse_command(text: str) -> Command:
    """``who 権限管理`` → WHO, ``help`` → HELP, ``on``/``off`` → channel switch, ``optout``/``optin``,
    ``subscribe <topic>`` / ``unsubscribe [topic]`` (``subscribe`` alone lists), anything else → ASK.

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
            if kind in _ALONE and rest:
                break  # "on premises backup?" is a question, not a switch
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
    # Offer FAQにする on each suggested thread: only in a reply that a curator alone sees.
    curator: bool = False


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


@dataclass(frozen=True, slots=True)
class FollowupReply:
    """The one follow-up in an unanswered question's thread: people who answered similar questions are
    named (not pinged); only the people who subscribed to a matching topic are pinged."""

    followup: Followup
    locale: Locale


@dataclass(frozen=True, slots=True)
class ExpertRequestReply:
    """専門家に聞く: the question as posted in the specialists' channel, pinging only subscribers."""

    request: ExpertRequest
    locale: Locale


Reply = SuggestionsReply | ExpertsReply | TextReply


async def followup_reply(service: KnowledgeService, payload: dict[str, object], locale: Locale) -> FollowupReply | None:
    """What a due ``<platform>.followup`` job posts, or ``None``: answered, deleted, too late, nobody to name,
    or the channel switched off (``off``: Yorozu then speaks there only when asked directly)."""
    platform, channel_id = str(payload["platform"]), str(payload["channel_id"])
    if not await service.auto_suggest(platform, channel_id):
        return None
    followup = await service.followup_for(platform, channel_id, str(payload["root_id"]))
    if followup is None or followup.empty:
        return None
    return FollowupReply(followup, locale)


def person_label(name: str, organization: str | None, *, escape: Callable[[str], str] = str, mark: str = "") -> str:
    """A person as every reply names them: 「名前（組織）」, the name alone without an organisation.

    ``escape`` makes each part safe for the renderer's markup; ``mark`` wraps the name (``**`` bold in
    Teams Markdown, ``*`` in Slack mrkdwn)."""
    label = f"{mark}{escape(name)}{mark}"
    return f"{label}（{escape(organization)}）" if organization else label


def match_label(suggestion: Suggestion, locale: Locale) -> str | None:
    """How sure Yorozu is that a suggestion answers the question: 「この質問と同じ内容のようです」 past the
    channel's operating point, 「関連しそうなスレッド」 below it; None without a calibrated confidence."""
    if suggestion.confidence is None:
        return None
    return text("match_same" if suggestion.close_match else "match_related", locale)


def faq_facts(suggestion: Suggestion, locale: Locale) -> list[str]:
    """What an FAQ suggestion says about its curation: who verified it and when, and a due-for-review mark."""
    facts = []
    if suggestion.verified_at is not None:
        date = f"{suggestion.verified_at:%Y-%m-%d}"
        if suggestion.verified_by:
            facts.append(text("faq_verified", locale, name=suggestion.verified_by, date=date))
        else:
            facts.append(text("faq_verified_unnamed", locale, date=date))
    else:
        facts.append(text("faq_unverified", locale))
    if suggestion.review_due:
        facts.append(text("faq_review_due", locale))
    return facts


async def handle_direct(
    service: KnowledgeService,
    text: str,
    *,
    scope: Scope,
    locale: Locale,
    question_ref: QuestionRef | None = None,
    channel: tuple[str, str] | None = None,
    person: Actor | None = None,
) -> Reply:
    """Answer a message addressed to Yorozu (mention, personal chat, slash command).

    ``channel`` is the (platform, channel id) where ``on``/``off`` apply; ``None`` in personal chats.
    ``person`` is who wrote it: ``optout``/``optin`` and ``subscribe`` apply to them.
    """
    command = parse_command(text)
    try:
        if command.kind in _PERSONAL:
            if person is None:
                return TextReply("person_unknown", locale)
            return await _personal(service, command, person, locale)
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


_PERSONAL = {CommandKind.OPTOUT, CommandKind.OPTIN, CommandKind.SUBSCRIBE, CommandKind.UNSUBSCRIBE}


async def _personal(service: KnowledgeService, command: Command, person: Actor, locale: Locale) -> Reply:
    """The commands about the person who typed them: being named, and being pinged."""
    match command.kind:
        case CommandKind.OPTOUT | CommandKind.OPTIN:
            out = command.kind == CommandKind.OPTOUT
            await service.set_opt_out(person.platform, person.person_id, out)
            return TextReply("optout_done" if out else "optin_done", locale)
        case CommandKind.SUBSCRIBE if command.text:
            try:
                added = await service.subscribe(person.platform, person.person_id, command.text, name=person.name)
            except InvalidInput:
                return TextReply("subscribe_invalid", locale)
            topic = " ".join(command.text.split())
            return TextReply("subscribe_done" if added else "subscribe_already", locale, {"topic": topic})
        case CommandKind.SUBSCRIBE:
            topics = await service.subscriptions(person.platform, person.person_id)
            if not topics:
                return TextReply("subscriptions_none", locale)
            return TextReply("subscriptions_list", locale, {"topics": "、".join(f"「{t}」" for t in topics)})
        case CommandKind.UNSUBSCRIBE:
            count = await service.unsubscribe(person.platform, person.person_id, command.text or None)
            return TextReply("unsubscribe_done" if count else "unsubscribe_none", locale, {"count": str(count)})
    raise AssertionError(command)  # pragma: no cover
