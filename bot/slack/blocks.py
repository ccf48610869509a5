"""Replies as Block Kit: pure functions from ``bot.replies`` values to lists of blocks.

Each suggestion is a section (title linked to the thread, the best answer's first lines, who answered
with their organisation, the date) followed by its own feedback buttons, whose JSON ``value`` names the
suggested thread and the question, so a button press needs no server-side state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.messages import Locale, text
from bot.replies import ExpertsReply, QuestionRef, Reply, SuggestionsReply, TextReply
from knowledge.model import Suggestion, SuggestionKind, Verdict

Block = dict[str, Any]

ACTION_SOLVED = "yorozu.solved"
ACTION_UNHELPFUL = "yorozu.unhelpful"
ACTION_SHARE = "yorozu.share"
FEEDBACK_ACTIONS = {ACTION_SOLVED: Verdict.SOLVED, ACTION_UNHELPFUL: Verdict.UNHELPFUL}
FEEDBACK_BLOCK_PREFIX = "yorozu.feedback:"

# Slack's limits: a section's text 3000 characters, a button value 2000, a message 50 blocks.
SECTION_CHARS = 3000
VALUE_CHARS = 2000
QUESTION_CHARS = 500
EXCERPT_CHARS = 280


def escape(value: str) -> str:
    """Slack escapes exactly these three characters in mrkdwn."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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


def render_suggestion(suggestion: Suggestion, locale: Locale) -> Block:
    """One suggestion as a section: linked title, marks (FAQ, solved), excerpt, answerers and date."""
    title = escape(suggestion.title)
    head = f"*<{suggestion.url}|{title}>*" if suggestion.url else f"*{title}*"
    marks = []
    if suggestion.kind == SuggestionKind.FAQ:
        marks.append(f"`{text('faq', locale)}`")
    if suggestion.accepted:
        marks.append(f":white_check_mark: {text('accepted', locale)}")
    lines = [" ".join([head, *marks])]
    if suggestion.answer_excerpt:
        lines.append("> " + escape(_clip(suggestion.answer_excerpt, EXCERPT_CHARS)).replace("\n", "\n> "))
    people = "、".join(
        (escape(a.name) + (f"（{escape(a.organization)}）" if a.organization else "") + (" ✅" if a.accepted else ""))
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


def render_suggestions(reply: SuggestionsReply, *, share_value: str | None = None) -> list[Block]:
    """Up to three suggestions, each with 解決した / 役に立たなかった; a note when there are none.

    ``share_value`` (an ephemeral slash-command answer) adds a button that posts the answer in the channel.
    """
    locale = reply.locale
    if reply.result.abstained or not reply.result.suggestions:
        return [_section(text("suggestions_none", locale))]
    blocks: list[Block] = [_section(text("suggestions_intro", locale))]
    for suggestion in reply.result.suggestions[:3]:
        blocks.append(render_suggestion(suggestion, locale))
        value = feedback_value(suggestion, reply.result.question, reply.question_ref)
        blocks.append(
            {
                "type": "actions",
                "block_id": _clip(FEEDBACK_BLOCK_PREFIX + suggestion.thread_id, 255),
                "elements": [
                    _button(text("button_solved", locale), ACTION_SOLVED, value, style="primary"),
                    _button(text("button_unhelpful", locale), ACTION_UNHELPFUL, value),
                ],
            }
        )
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
        org = f"（{escape(expert.organization)}）" if expert.organization else ""
        accepted = text("expert_accepted", locale, count=expert.accepted) if expert.accepted else ""
        line = text("expert_line", locale, answers=expert.answers, accepted=accepted, latest=f"{expert.latest:%Y-%m}")
        lines.append(f"{n}. *{escape(expert.name)}*{org} — {line}")
        lines.extend(f"      · {escape(title)}" for title in expert.thread_titles[:3])
    return [_section("\n".join(lines))]


def render_text(reply: TextReply) -> list[Block]:
    return [_section(escape(text(reply.key, reply.locale, **reply.params)))]


def render(reply: Reply, *, share_value: str | None = None) -> list[Block]:
    """Any reply as blocks."""
    match reply:
        case SuggestionsReply():
            return render_suggestions(reply, share_value=share_value)
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
