"""Answering a message addressed to Yorozu, and suggesting under a new question by itself.

A mention, a personal chat, the slash command and the web chat all come here with what was typed, where
(the access scope, the channel ``on``/``off`` apply to) and who typed it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.interactions.commands import Command, CommandKind, parse_command
from bot.messages import Locale
from bot.replies import ExpertsReply, QuestionRef, Reply, SuggestionsReply, TextReply
from bot.service import KnowledgeService
from knowledge.base import ExcludeThread, KnowledgeBase
from knowledge.errors import InvalidInput, InvalidQuestion
from knowledge.model import Actor, Scope


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
                await service.run(
                    KnowledgeBase.set_auto_suggest, channel[0], channel[1], command.kind == CommandKind.ON
                )
                return TextReply("auto_on" if command.kind == CommandKind.ON else "auto_off", locale)
            case CommandKind.WHO:
                experts = await service.run(KnowledgeBase.experts, command.text, scope=scope)
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
            await service.run(KnowledgeBase.set_opt_out, person.platform, person.person_id, out)
            return TextReply("optout_done" if out else "optin_done", locale)
        case CommandKind.SUBSCRIBE if command.text:
            try:
                added = await service.run(
                    KnowledgeBase.subscribe, person.platform, person.person_id, command.text, name=person.name
                )
            except InvalidInput:
                return TextReply("subscribe_invalid", locale)
            topic = " ".join(command.text.split())
            return TextReply("subscribe_done" if added else "subscribe_already", locale, {"topic": topic})
        case CommandKind.SUBSCRIBE:
            topics = await service.run(KnowledgeBase.subscriptions, person.platform, person.person_id)
            if not topics:
                return TextReply("subscriptions_none", locale)
            return TextReply("subscriptions_list", locale, {"topics": "、".join(f"「{t}」" for t in topics)})
        case CommandKind.UNSUBSCRIBE:
            count = await service.run(
                KnowledgeBase.unsubscribe, person.platform, person.person_id, command.text or None
            )
            return TextReply("unsubscribe_done" if count else "unsubscribe_none", locale, {"count": str(count)})
    raise AssertionError(command)  # pragma: no cover


async def for_curator(service: KnowledgeService, reply: Reply, person: Actor | None) -> Reply:
    """A reply only ``person`` sees (a personal chat, an ephemeral answer): its suggestions offer FAQにする
    on each thread when they may curate."""
    if not isinstance(reply, SuggestionsReply) or person is None:
        return reply
    if await service.run(KnowledgeBase.is_curator, person.platform, person.person_id):
        return replace(reply, curator=True)
    return reply


async def automatic_suggestions(
    service: KnowledgeService, question: str, ref: QuestionRef, locale: Callable[[], Awaitable[Locale]]
) -> SuggestionsReply | None:
    """Suggestions under a new question nobody asked Yorozu about, or ``None`` to stay silent: suggestions
    switched off in the channel (before or after the question), a question that cannot be searched, or
    nothing confident enough (precision first in a shared channel). ``locale`` is asked for only when
    there is something to say (on Slack it may cost a ``users.info`` call)."""
    channel_id, message_id = ref.channel_id or "", ref.message_id or ""
    if not await service.run(KnowledgeBase.auto_suggest, ref.platform, channel_id):
        return None
    try:
        result = await service.suggest(
            question,
            scope=Scope(ref.platform, channel_id),
            exclude=ExcludeThread(ref.platform, channel_id, message_id),
            automatic=True,
        )
    except InvalidQuestion:
        return None
    if result.abstained:
        return None
    return SuggestionsReply(result, await locale(), ref, automatic=True)
