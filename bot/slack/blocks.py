"""Replies as Block Kit: pure functions from ``bot.replies`` values to lists of blocks.

Each suggestion is a section (title linked to the thread, the best answer's first lines, who answered
with their organisation, the date; for an FAQ entry who verified it and when) followed by its own
feedback buttons, whose JSON ``value`` names the suggested thread and the question, so a button press
needs no server-side state. One 専門家に聞く button per answer carries the question the same way.

People are named in plain text (escaped), never as ``<@U…>``: only the subscribers an expert request
or a follow-up lists are mentioned, because a mention pings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.messages import Locale, text
from bot.replies import (
    ExpertRequestReply,
    ExpertsReply,
    FollowupReply,
    QuestionRef,
    Reply,
    SuggestionsReply,
    TextReply,
    faq_facts,
    person_label,
    suggestion_marks,
)
from knowledge.model import Expert, Subscriber, Suggestion, SuggestionKind, Verdict

Block = dict[str, Any]

# A Slack user id, the only thing ever put inside <@…>.
_SLACK_ID = re.compile(r"[UW][A-Z0-9]+")

ACTION_SOLVED = "yorozu.solved"
ACTION_UNHELPFUL = "yorozu.unhelpful"
ACTION_SHARE = "yorozu.share"
ACTION_ASK_EXPERT = "yorozu.ask_expert"
ACTION_MAKE_FAQ = "yorozu.make_faq"
FEEDBACK_ACTIONS = {ACTION_SOLVED: Verdict.SOLVED, ACTION_UNHELPFUL: Verdict.UNHELPFUL}
FEEDBACK_BLOCK_PREFIX = "yorozu.feedback:"
MORE_BLOCK = "yorozu.more"

# Slack's limits: a section's text 3000 characters, a button value 2000, a message 50 blocks.
SECTION_CHARS = 3000
VALUE_CHARS = 2000
QUESTION_CHARS = 500
# The 専門家に聞く value carries little else, so the question may be longer there.
ASK_QUESTION_CHARS = 1500
EXCERPT_CHARS = 280


_ZWSP = "\u200b"
# mrkdwn's formatting characters. Slack has no escape for them (a backslash shows as itself): a zero-width
# space on each side makes one neither open nor close formatting, whichever way Slack reads the space, so
# "*.xlsm,*.xls" is not bold and ``` starts no code block. The characters themselves are kept.
_FORMATTING = re.compile(r"([*_~`])")


def escape(value: str) -> str:
    """``value`` shown as typed in mrkdwn: Slack's three entities, and formatting characters fenced off."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _FORMATTING.sub(f"{_ZWSP}\\1{_ZWSP}", value)


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _section(markdown: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(markdown, SECTION_CHARS)}}


def _context(markdown: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(markdown, SECTION_CHARS)}]}


def _button(label: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


@dataclass(frozen=True, slots=True)
class FeedbackValue:
    """What a feedback button carries: the suggested thread and the question it was suggested for."""

    thread_id: str
    question: str
    ref: QuestionRef


def feedback_value(suggestion: Suggestion, question: str, ref: QuestionRef | None) -> str:
    data = {
        "t": suggestion.thread_id,
        "q": _clip(question, QUESTION_CHARS),
        "p": ref.platform if ref else "slack",
        "c": ref.channel_id if ref else None,
        "m": ref.message_id if ref else None,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))[:VALUE_CHARS]


def parse_feedback_value(value: object) -> FeedbackValue | None:
    """The button's value, or ``None`` when it is not one Yorozu wrote."""
    try:
        data = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), str) or not isinstance(data.get("q"), str):
        return None

    def opt(key: str) -> str | None:
        item = data.get(key)
        return item if isinstance(item, str) and item else None

    return FeedbackValue(data["t"], data["q"], QuestionRef(opt("p") or "slack", opt("c"), opt("m")))


@dataclass(frozen=True, slots=True)
class AskExpertValue:
    """What 専門家に聞く carries: the question, where it was asked, and who asked Yorozu (when known)."""

    question: str
    channel_id: str | None
    message_id: str | None
    asker_id: str | None


def ask_expert_value(question: str, ref: QuestionRef | None, asker_id: str | None) -> str:
    data = {
        "q": _clip(question, ASK_QUESTION_CHARS),
        "c": ref.channel_id if ref else None,
        "m": ref.message_id if ref else None,
        "a": asker_id,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))[:VALUE_CHARS]


def parse_ask_expert_value(value: object) -> AskExpertValue | None:
    """The button's value, or ``None`` when it is not one Yorozu wrote."""
    try:
        data = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("q"), str) or not data["q"].strip():
        return None

    def opt(key: str) -> str | None:
        item = data.get(key)
        return item if isinstance(item, str) and item else None

    return AskExpertValue(data["q"], opt("c"), opt("m"), opt("a"))


def render_suggestion(suggestion: Suggestion, locale: Locale) -> Block:
    """One suggestion as a section: linked title, marks (FAQ, solved), excerpt, answerers and date."""
    title = escape(suggestion.title)
    head = f"*<{suggestion.url}|{title}>*" if suggestion.url else f"*{title}*"
    is_faq = suggestion.kind == SuggestionKind.FAQ
    tags = suggestion_marks(suggestion, locale)
    marks = []
    if tags.faq:
        marks.append(f"`{tags.faq}`")
    if tags.accepted:
        marks.append(f":white_check_mark: {tags.accepted}")
    if tags.match:
        marks.append(f"_（{escape(tags.match)}）_")
    lines = [" ".join([head, *marks])]
    if suggestion.answer_excerpt:
        lines.append("> " + escape(_clip(suggestion.answer_excerpt, EXCERPT_CHARS)).replace("\n", "\n> "))
    if is_faq:
        # A curated entry has no answerers to show: who verified it and when is what vouches for it.
        lines.append(" · ".join(escape(fact) for fact in faq_facts(suggestion, locale)))
        return _section("\n".join(lines))
    people = "、".join(
        person_label(a.name, a.organization, escape=escape) + (" ✅" if a.accepted else "")
        for a in suggestion.answerers
    )
    facts = []
    if people:
        facts.append(f"{text('answered_by', locale)}: {people}")
    facts.append(f"{text('asked_on', locale)}: {suggestion.asked_at:%Y-%m-%d}")
    if suggestion.channel_name:
        facts.append(f"#{escape(suggestion.channel_name)}")
    lines.append(" · ".join(facts))
    return _section("\n".join(lines))


def _ask_expert_button(reply: SuggestionsReply, asker_id: str | None) -> Block:
    value = ask_expert_value(reply.result.question, reply.question_ref, asker_id)
    return _button(text("button_ask_expert", reply.locale), ACTION_ASK_EXPERT, value)


def render_suggestions(
    reply: SuggestionsReply, *, share_value: str | None = None, asker_id: str | None = None
) -> list[Block]:
    """Up to three suggestions, each with 解決した / 役に立たなかった, and one 専門家に聞く; when nothing
    fits, a note with 専門家に聞く (an automatic reply that found nothing is never posted).

    ``share_value`` (an ephemeral slash-command answer) adds a button that posts the answer in the channel.
    ``asker_id`` is who asked Yorozu, so 専門家に聞く can tell whether the presser is the asker.
    ``reply.curator`` (a reply only a curator sees) adds FAQにする to each suggested Slack thread.
    """
    locale = reply.locale
    if reply.result.abstained or not reply.result.suggestions:
        none = [_section(text("suggestions_none", locale))]
        if reply.automatic:
            return none
        return [*none, {"type": "actions", "block_id": MORE_BLOCK, "elements": [_ask_expert_button(reply, asker_id)]}]
    blocks: list[Block] = [_section(text("suggestions_intro", locale))]
    for suggestion in reply.result.suggestions[:3]:
        blocks.append(render_suggestion(suggestion, locale))
        value = feedback_value(suggestion, reply.result.question, reply.question_ref)
        elements = [
            _button(text("button_solved", locale), ACTION_SOLVED, value, style="primary"),
            _button(text("button_unhelpful", locale), ACTION_UNHELPFUL, value),
        ]
        if reply.curator and suggestion.kind == SuggestionKind.THREAD and suggestion.platform == "slack":
            elements.append(_button(text("button_make_faq", locale), ACTION_MAKE_FAQ, suggestion.thread_id))
        blocks.append(
            {
                "type": "actions",
                "block_id": _clip(FEEDBACK_BLOCK_PREFIX + suggestion.thread_id, 255),
                "elements": elements,
            }
        )
    blocks.append({"type": "actions", "block_id": MORE_BLOCK, "elements": [_ask_expert_button(reply, asker_id)]})
    if share_value is not None:
        blocks.append(
            {
                "type": "actions",
                "block_id": "yorozu.share",
                "elements": [_button(text("button_share", locale), ACTION_SHARE, share_value[:VALUE_CHARS])],
            }
        )
    return blocks


def render_experts(reply: ExpertsReply) -> list[Block]:
    locale = reply.locale
    topic = escape(reply.topic)
    if not reply.experts:
        return [_section(text("experts_none", locale, topic=topic))]
    lines = [text("experts_intro", locale, topic=topic)]
    for n, expert in enumerate(reply.experts, 1):
        lines.append(f"{n}. {_expert_line(expert, locale)}")
        lines.extend(f"      · {escape(title)}" for title in expert.thread_titles[:3])
    return [_section("\n".join(lines))]


def _expert_line(expert: Expert, locale: Locale) -> str:
    """``*name*（organisation） — 3 answers on this topic, latest 2026-09``: a name, never a mention."""
    accepted = text("expert_accepted", locale, count=expert.accepted) if expert.accepted else ""
    line = text("expert_line", locale, answers=expert.answers, accepted=accepted, latest=f"{expert.latest:%Y-%m}")
    return f"{person_label(expert.name, expert.organization, escape=escape, mark='*')} — {escape(line)}"


def _mentions(subscribers: tuple[Subscriber, ...]) -> str:
    """``<@U…>`` for the Slack subscribers only: the one place Yorozu pings anybody."""
    return " ".join(
        f"<@{s.person_id}>" for s in subscribers if s.platform == "slack" and _SLACK_ID.fullmatch(s.person_id)
    )


def render_followup(reply: FollowupReply) -> list[Block]:
    """The one follow-up in an unanswered question's thread: people named (not pinged), subscribers pinged."""
    locale = reply.locale
    followup = reply.followup
    blocks: list[Block] = []
    if followup.experts:
        lines = [text("followup_intro", locale)]
        lines.extend(f"• {_expert_line(expert, locale)}" for expert in followup.experts)
        blocks.append(_section("\n".join(lines)))
        blocks.append(_context(escape(text("followup_named_only", locale))))
    else:
        blocks.append(_section(escape(text("followup_unanswered", locale))))
    mentions = _mentions(followup.subscribers)
    if mentions:
        blocks.append(_section(escape(text("expert_post_pings", locale, mentions="\x00")).replace("\x00", mentions)))
    return blocks


def followup_text(reply: FollowupReply) -> str:
    """The notification text of a follow-up (names only; a mention in ``text`` would ping as well)."""
    names = "、".join(e.name for e in reply.followup.experts)
    intro = text("followup_intro" if names else "followup_unanswered", reply.locale)
    return _clip(f"{intro} {names}".strip(), 300)


def render_expert_request(reply: ExpertRequestReply) -> list[Block]:
    """専門家に聞く as posted in the specialists' channel: who asks (unless opted out), the question
    quoted, a link to the thread, the channel when it is public, and mentions of the subscribers only."""
    locale = reply.locale
    request = reply.request
    intro = (
        text("expert_post_intro", locale, asker=request.asker)
        if request.asker
        else text("expert_post_intro_unnamed", locale)
    )
    quoted = "> " + escape(_clip(request.question, SECTION_CHARS - 200)).replace("\n", "\n> ")
    blocks: list[Block] = [_section(f"{escape(intro)}\n{quoted}")]
    facts = []
    if request.url:
        facts.append(f"<{request.url}|{escape(text('open_thread', locale))}>")
    if request.channel_name and not request.private:
        facts.append(escape(text("expert_post_where", locale, channel=request.channel_name)))
    if facts:
        blocks.append(_context(" · ".join(facts)))
    mentions = _mentions(request.subscribers)
    if mentions:
        blocks.append(_section(escape(text("expert_post_pings", locale, mentions="\x00")).replace("\x00", mentions)))
    return blocks


def expert_request_text(reply: ExpertRequestReply) -> str:
    request = reply.request
    intro = (
        text("expert_post_intro", reply.locale, asker=request.asker)
        if request.asker
        else text("expert_post_intro_unnamed", reply.locale)
    )
    return _clip(f"{intro} {request.question}", 300)


def render_text(reply: TextReply) -> list[Block]:
    return [_section(escape(text(reply.key, reply.locale, **reply.params)))]


def render(reply: Reply, *, share_value: str | None = None, asker_id: str | None = None) -> list[Block]:
    """Any reply as blocks; ``asker_id`` is who asked Yorozu (carried by 専門家に聞く)."""
    match reply:
        case SuggestionsReply():
            return render_suggestions(reply, share_value=share_value, asker_id=asker_id)
        case ExpertsReply():
            return render_experts(reply)
        case TextReply():
            return render_text(reply)
    raise TypeError(type(reply).__name__)  # pragma: no cover


def fallback_text(reply: Reply) -> str:
    """The plain ``text`` Slack shows in notifications and to screen readers."""
    match reply:
        case SuggestionsReply():
            if reply.result.abstained or not reply.result.suggestions:
                return text("suggestions_none", reply.locale)
            titles = " / ".join(s.title for s in reply.result.suggestions[:3])
            return _clip(f"{text('suggestions_intro', reply.locale)} {titles}", 300)
        case ExpertsReply():
            names = "、".join(e.name for e in reply.experts) or "—"
            return _clip(f"{text('experts_intro', reply.locale, topic=reply.topic)} {names}", 300)
        case TextReply():
            return text(reply.key, reply.locale, **reply.params)
    raise TypeError(type(reply).__name__)  # pragma: no cover


def mark_feedback(blocks: list[Block], block_id: str, note: str) -> list[Block]:
    """The message's blocks with the pressed suggestion's buttons replaced by ``note``."""
    return [_context(escape(note)) if block.get("block_id") == block_id else block for block in blocks]
