"""Adaptive Cards for Teams: pure functions from platform-neutral replies to card JSON.

Buttons are ``Action.Execute`` (Universal Actions: Teams answers with an ``adaptiveCard/action`` invoke
and shows the card we return in place) with an ``Action.Submit`` fallback for clients without them
(a message activity whose ``value`` is the data; the card is then updated through the connector).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.messages import Locale, text
from bot.replies import ExpertsReply, QuestionRef, SuggestionsReply
from knowledge.model import Suggestion, SuggestionKind, Verdict

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# The marker in action data that says a press is Yorozu feedback (other apps' cards may share the bot).
ACTION_KIND = "yorozu.feedback"
VERB = "yorozuFeedback"

Card = dict[str, Any]


def attachment(card: Card) -> dict[str, Any]:
    return {"contentType": CARD_CONTENT_TYPE, "content": card}


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Card:
    card: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": CARD_VERSION, "body": body}
    if actions:
        card["actions"] = actions
    return card


def _text(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": value, "wrap": True, **style}


def feedback_data(
    verdict: Verdict, threads: Sequence[str], question: str, ref: QuestionRef | None, locale: Locale
) -> dict[str, Any]:
    """What a button press sends back: enough to record the verdict and redraw the card."""
    return {
        "kind": ACTION_KIND,
        "verdict": str(verdict),
        "threads": list(threads),
        "question": question,
        "channel": ref.channel_id if ref else None,
        "message": ref.message_id if ref else None,
        "locale": str(locale),
    }


def _button(title: str, data: dict[str, Any], *, style: str | None = None) -> dict[str, Any]:
    submit = {"type": "Action.Submit", "title": title, "data": data}
    action: dict[str, Any] = {"type": "Action.Execute", "title": title, "verb": VERB, "data": data, "fallback": submit}
    if style:
        action["style"] = style
        submit["style"] = style
    return action


def _answerers(s: Suggestion) -> str:
    # The accepted answerer first: that is whose answer solved it.
    people = sorted(s.answerers, key=lambda a: not a.accepted)
    return "、".join(f"{a.name}（{a.organization}）" if a.organization else a.name for a in people)


def _suggestion(n: int, s: Suggestion, reply: SuggestionsReply, *, buttons: bool, chosen: str | None) -> dict[str, Any]:
    locale = reply.locale
    tags = []
    if s.kind == SuggestionKind.FAQ:
        tags.append(f"[{text('faq', locale)}]")
    if s.accepted:
        tags.append(f"✅ {text('accepted', locale)}")
    title = " ".join([*tags, f"**{s.title}**"]) if tags else f"**{s.title}**"
    items: list[dict[str, Any]] = [_text(f"{n}. {title}", size="Medium")]
    if s.answer_excerpt:
        items.append(_text(s.answer_excerpt, maxLines=4, isSubtle=False))
    facts = []
    people = _answerers(s)
    if people:
        facts.append(f"{text('answered_by', locale)}: {people}")
    facts.append(f"{text('asked_on', locale)}: {s.asked_at:%Y-%m-%d}")
    items.append(_text(" · ".join(facts), isSubtle=True, size="Small", spacing="Small"))
    actions: list[dict[str, Any]] = []
    if s.url:
        actions.append({"type": "Action.OpenUrl", "title": text("open_thread", locale), "url": s.url})
    if buttons:
        data = feedback_data(Verdict.SOLVED, [s.thread_id], reply.result.question, reply.question_ref, locale)
        actions.append(_button(text("button_solved", locale), data, style="positive"))
    if actions:
        items.append({"type": "ActionSet", "actions": actions})
    container: dict[str, Any] = {"type": "Container", "items": items, "separator": n > 1, "spacing": "Medium"}
    if chosen == s.thread_id:
        container["style"] = "good"
    return container


def render_suggestions(reply: SuggestionsReply, *, feedback: tuple[Verdict, str, str | None] | None = None) -> Card:
    """Up to 3 past threads with answerers, dates, links and feedback buttons.

    ``feedback`` = (verdict, who pressed, the chosen thread) draws the card after a press: the buttons
    give way to a line saying what was recorded.
    """
    locale = reply.locale
    if reply.result.abstained or not reply.result.suggestions:
        return _card([_text(text("suggestions_none", locale))])
    buttons = feedback is None
    chosen = feedback[2] if feedback and feedback[0] == Verdict.SOLVED else None
    body: list[dict[str, Any]] = [_text(text("suggestions_intro", locale), weight="Bolder")]
    suggestions = reply.result.suggestions[:3]
    for n, s in enumerate(suggestions, 1):
        body.append(_suggestion(n, s, reply, buttons=buttons, chosen=chosen))
    actions = []
    if feedback is None:
        threads = [s.thread_id for s in suggestions]
        data = feedback_data(Verdict.UNHELPFUL, threads, reply.result.question, reply.question_ref, locale)
        actions.append(_button(text("button_unhelpful", locale), data))
    else:
        verdict, name, _ = feedback
        key = "feedback_solved" if verdict == Verdict.SOLVED else "feedback_unhelpful"
        body.append(_text(text(key, locale, name=name), color="Good" if verdict == Verdict.SOLVED else "Default"))
    return _card(body, actions)


def render_experts(reply: ExpertsReply) -> Card:
    """People who answered questions on a topic, with the evidence."""
    locale = reply.locale
    if not reply.experts:
        return _card([_text(text("experts_none", locale, topic=reply.topic))])
    body: list[dict[str, Any]] = [_text(text("experts_intro", locale, topic=reply.topic), weight="Bolder")]
    for e in reply.experts:
        accepted = text("expert_accepted", locale, count=e.accepted) if e.accepted else ""
        line = text("expert_line", locale, answers=e.answers, accepted=accepted, latest=f"{e.latest:%Y-%m}")
        name = f"**{e.name}**（{e.organization}）" if e.organization else f"**{e.name}**"
        items = [_text(name), _text(line, isSubtle=True, size="Small", spacing="None")]
        if e.thread_titles:
            items.append(_text("\n".join(f"- {t}" for t in e.thread_titles[:3]), size="Small", spacing="None"))
        body.append({"type": "Container", "items": items, "separator": True})
    return _card(body)
