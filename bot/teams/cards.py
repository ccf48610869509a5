"""Adaptive Cards for Teams: pure functions from platform-neutral replies to card JSON.

Buttons are ``Action.Execute`` (Universal Actions: Teams answers with an ``adaptiveCard/action`` invoke
and shows the card we return in place) with an ``Action.Submit`` fallback for clients without them
(a message activity whose ``value`` is the data; the card is then updated through the connector).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.messages import Locale, text
from bot.replies import (
    ExpertRequestReply,
    ExpertsReply,
    FollowupReply,
    QuestionRef,
    SuggestionsReply,
    faq_facts,
    person_label,
    suggestion_marks,
)
from knowledge.model import Expert, Subscriber, Suggestion, SuggestionKind, Verdict

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# The markers in action data that say a press is Yorozu's (other apps' cards may share the bot).
ACTION_KIND = "yorozu.feedback"
VERB = "yorozuFeedback"
ASK_EXPERT_KIND = "yorozu.ask_expert"
ASK_EXPERT_VERB = "yorozuAskExpert"
MAKE_FAQ_KIND = "yorozu.make_faq"

Card = dict[str, Any]

# What 専門家に聞く can have said on a card (message keys); a redraw names one of these, nothing else.
EXPERT_NOTES = frozenset(
    {
        "ask_expert_sent",
        "ask_expert_done",
        "ask_expert_already",
        "ask_expert_private",
        "ask_expert_not_configured",
        "error",
    }
)
NAME_CHARS = 100  # a name carried in a button's data (Teams display names are at most 256)
# A press recorded on a card: (verdict, who pressed (None: not named), the thread marked solved).
Feedback = tuple[Verdict, str | None, str | None]

# TextBlocks read Markdown; Teams' web and desktop clients (and the Agents Playground) parse it as
# CommonMark: as of 2026, put in unescaped, "*.xlsm,*.xls,*.xlam" came out in italics and "\\fs01\share"
# lost a backslash. "&", "<" and ">" become entities (read the same where HTML is read); the other
# characters that start Markdown take CommonMark's backslash escape.
_MARKDOWN = re.compile(r"([\\`*_~\[\]])")


def escape_markdown(value: str) -> str:
    """``value`` shown literally in a TextBlock: none of its characters start Markdown or HTML."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", value)


@dataclass(frozen=True, slots=True)
class ExpertNote:
    """What 専門家に聞く did on a card: a message key of :data:`EXPERT_NOTES` and the person it names."""

    key: str
    name: str | None = None

    def render(self, locale: Locale) -> str:
        return text(self.key, locale, name=self.name or "")


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
    verdict: Verdict,
    threads: Sequence[str],
    question: str,
    ref: QuestionRef | None,
    locale: Locale,
    state: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What a button press sends back: enough to record the verdict and redraw the card (``state``:
    what the card already shows, :func:`card_state`)."""
    data = {
        "kind": ACTION_KIND,
        "verdict": str(verdict),
        "threads": list(threads),
        "question": question,
        "channel": ref.channel_id if ref else None,
        "message": ref.message_id if ref else None,
        "locale": str(locale),
    }
    if ref is not None and ref.asker_id:  # only the asker may send a question from outside a public channel
        data["asker"] = ref.asker_id
    return data | {"state": state} if state else data


def ask_expert_data(
    question: str, ref: QuestionRef | None, locale: Locale, state: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What 専門家に聞く sends back: the question and where it was asked (and what the card shows)."""
    data = {
        "kind": ASK_EXPERT_KIND,
        "question": question,
        "channel": ref.channel_id if ref else None,
        "message": ref.message_id if ref else None,
        "locale": str(locale),
    }
    if ref is not None and ref.asker_id:  # only the asker may send a question from outside a public channel
        data["asker"] = ref.asker_id
    return data | {"state": state} if state else data


def card_state(feedback: Feedback | None, expert: ExpertNote | None) -> dict[str, Any] | None:
    """What a suggestions card shows as recorded, for its remaining buttons to carry.

    A press is answered with a new card drawn from the press alone (Teams sends no card with it), so
    each button carries the card's state: a redraw after 専門家に聞く keeps "not helpful", and the other way.
    """
    state: dict[str, Any] = {}
    if feedback is not None:
        state["verdict"] = str(feedback[0])
        state["by"] = feedback[1][:NAME_CHARS] if feedback[1] else None
    if expert is not None:
        state["expert"] = expert.key
        state["asker"] = expert.name[:NAME_CHARS] if expert.name else None
    return state or None


def parse_card_state(data: object) -> tuple[Feedback | None, ExpertNote | None]:
    """The state a press carries (see :func:`card_state`); anything malformed is left out."""
    state = data.get("state") if isinstance(data, dict) else None
    if not isinstance(state, dict):
        return None, None

    def name(key: str) -> str | None:
        value = state.get(key)
        return value[:NAME_CHARS] if isinstance(value, str) and value.strip() else None

    feedback: Feedback | None = None
    if state.get("verdict") in {v.value for v in Verdict}:
        feedback = (Verdict(state["verdict"]), name("by"), None)
    expert = ExpertNote(state["expert"], name("asker")) if state.get("expert") in EXPERT_NOTES else None
    return feedback, expert


def _button(title: str, data: dict[str, Any], *, style: str | None = None, verb: str = VERB) -> dict[str, Any]:
    submit = {"type": "Action.Submit", "title": title, "data": data}
    action: dict[str, Any] = {"type": "Action.Execute", "title": title, "verb": verb, "data": data, "fallback": submit}
    if style:
        action["style"] = style
        submit["style"] = style
    return action


def _answerers(s: Suggestion) -> str:
    # The accepted answerer first: that is whose answer solved it.
    people = sorted(s.answerers, key=lambda a: not a.accepted)
    return "、".join(person_label(a.name, a.organization) for a in people)


def _suggestion(
    n: int, s: Suggestion, reply: SuggestionsReply, *, buttons: bool, chosen: str | None, state: dict[str, Any] | None
) -> dict[str, Any]:
    locale = reply.locale
    marks = suggestion_marks(s, locale)
    tags = []
    if marks.faq:
        tags.append(f"[{marks.faq}]")
    if marks.accepted:
        tags.append(f"✅ {marks.accepted}")
    if marks.match:
        tags.append(f"（{marks.match}）")
    title = f"**{escape_markdown(s.title)}**"
    items: list[dict[str, Any]] = [_text(f"{n}. {' '.join([*tags, title])}", size="Medium")]
    if s.answer_excerpt:
        items.append(_text(escape_markdown(s.answer_excerpt), maxLines=4, isSubtle=False))
    facts = []
    people = _answerers(s)
    if people:
        facts.append(f"{text('answered_by', locale)}: {people}")
    if s.kind == SuggestionKind.FAQ:
        facts.extend(faq_facts(s, locale))
    else:
        facts.append(f"{text('asked_on', locale)}: {s.asked_at:%Y-%m-%d}")
    items.append(_text(escape_markdown(" · ".join(facts)), isSubtle=True, size="Small", spacing="Small"))
    actions: list[dict[str, Any]] = []
    if s.url:
        actions.append({"type": "Action.OpenUrl", "title": text("open_thread", locale), "url": s.url})
    if buttons:
        data = feedback_data(Verdict.SOLVED, [s.thread_id], reply.result.question, reply.question_ref, locale, state)
        actions.append(_button(text("button_solved", locale), data, style="positive"))
    if reply.curator and s.kind == SuggestionKind.THREAD:
        # Opens the FAQ dialog (a task module fetched from the bot: on_teams_task_module_fetch), for a
        # thread of any platform: a Teams curator curates the whole community.
        faq = {"msteams": {"type": "task/fetch"}, "kind": MAKE_FAQ_KIND, "thread": s.thread_id, "locale": str(locale)}
        actions.append({"type": "Action.Submit", "title": text("button_make_faq", locale), "data": faq})
    if actions:
        items.append({"type": "ActionSet", "actions": actions})
    container: dict[str, Any] = {"type": "Container", "items": items, "separator": n > 1, "spacing": "Medium"}
    if chosen == s.thread_id:
        container["style"] = "good"
    return container


def render_suggestions(
    reply: SuggestionsReply,
    *,
    feedback: Feedback | None = None,
    expert: ExpertNote | None = None,
) -> Card:
    """Up to 3 past threads with answerers, dates, links, feedback buttons and 専門家に聞く.

    ``feedback`` = (verdict, who pressed, the chosen thread) draws the card after a press: the buttons
    give way to a line saying what was recorded. ``expert`` draws it after 専門家に聞く: the button gives
    way to the note (sent, or why not). Both can be on one card, in either order; the buttons left carry
    them (:func:`card_state`), so a later press redraws the card with both.
    """
    locale = reply.locale
    state = card_state(feedback, expert)
    note = _text(escape_markdown(expert.render(locale)), isSubtle=True) if expert is not None else None
    if reply.result.abstained or not reply.result.suggestions:
        none = _text(text("suggestions_none", locale))
        if note is not None:
            return _card([none, note])
        if reply.automatic:
            return _card([none])
        # Asked directly and nothing found: the specialists may know.
        data = ask_expert_data(reply.result.question, reply.question_ref, locale, state)
        return _card([none], [_button(text("button_ask_expert", locale), data, verb=ASK_EXPERT_VERB)])
    buttons = feedback is None
    chosen = feedback[2] if feedback and feedback[0] == Verdict.SOLVED else None
    body: list[dict[str, Any]] = [_text(text("suggestions_intro", locale), weight="Bolder")]
    suggestions = reply.result.suggestions[:3]
    for n, s in enumerate(suggestions, 1):
        body.append(_suggestion(n, s, reply, buttons=buttons, chosen=chosen, state=state))
    actions = []
    if feedback is None:
        threads = [s.thread_id for s in suggestions]
        data = feedback_data(Verdict.UNHELPFUL, threads, reply.result.question, reply.question_ref, locale, state)
        actions.append(_button(text("button_unhelpful", locale), data))
    else:
        verdict, name, _ = feedback
        key = "feedback_solved" if verdict == Verdict.SOLVED else "feedback_unhelpful"
        said = text(key, locale, name=name) if name else text(f"{key}_unnamed", locale)  # None: opted out
        body.append(_text(escape_markdown(said), color="Good" if verdict == Verdict.SOLVED else "Default"))
    if note is not None:
        body.append(note)
    elif feedback is None or feedback[0] == Verdict.UNHELPFUL:
        data = ask_expert_data(reply.result.question, reply.question_ref, locale, state)
        actions.append(_button(text("button_ask_expert", locale), data, verb=ASK_EXPERT_VERB))
    return _card(body, actions)


def render_experts(reply: ExpertsReply) -> Card:
    """People who answered questions on a topic, with the evidence."""
    locale = reply.locale
    topic = reply.topic
    if not reply.experts:
        return _card([_text(escape_markdown(text("experts_none", locale, topic=topic)))])
    body: list[dict[str, Any]] = [_text(escape_markdown(text("experts_intro", locale, topic=topic)), weight="Bolder")]
    for e in reply.experts:
        accepted = text("expert_accepted", locale, count=e.accepted) if e.accepted else ""
        line = text("expert_line", locale, answers=e.answers, accepted=accepted, latest=f"{e.latest:%Y-%m}")
        items = [_text(_person(e)), _text(escape_markdown(line), isSubtle=True, size="Small", spacing="None")]
        if e.thread_titles:
            titles = "\n".join(f"- {escape_markdown(t)}" for t in e.thread_titles[:3])
            items.append(_text(titles, size="Small", spacing="None"))
        body.append({"type": "Container", "items": items, "separator": True})
    return _card(body)


def _person(expert: Expert) -> str:
    """``**name**（organisation）``, both escaped."""
    return person_label(expert.name, expert.organization, escape=escape_markdown, mark="**")


def render_lines(message: str, *, title: bool = True) -> Card:
    """A text of several lines (help, the welcome) as a card: one TextBlock a line, the first in bold.

    A chat message's single line breaks collapse into one paragraph (Markdown), and so would a TextBlock's.
    """
    lines = [line for line in message.split("\n") if line.strip()]
    body = [
        _text(escape_markdown(line), **({"weight": "Bolder"} if title and n == 0 else {"spacing": "Small"}))
        for n, line in enumerate(lines)
    ]
    return _card(body)


def _mentions(people: Sequence[Subscriber]) -> tuple[str, list[dict[str, Any]]]:
    """``<at>name</at>`` text and the ``msteams.entities`` that make Teams ping each person.

    The id is the person's Entra object id (as Yorozu stores Teams people): card mentions accept it.
    """
    names = []
    entities = []
    for person in people:
        tag = f"<at>{person.name}</at>"
        names.append(tag)
        entities.append({"type": "mention", "text": tag, "mentioned": {"id": person.person_id, "name": person.name}})
    return "、".join(names), entities


def _with_mentions(card: Card, entities: list[dict[str, Any]]) -> Card:
    if entities:
        card["msteams"] = {"entities": entities}
    return card


def _expert_line(expert: Expert, locale: Locale) -> str:
    accepted = text("expert_accepted", locale, count=expert.accepted) if expert.accepted else ""
    line = text("expert_line", locale, answers=expert.answers, accepted=accepted, latest=f"{expert.latest:%Y-%m}")
    return f"- {_person(expert)} — {escape_markdown(line)}"


def _pings(locale: Locale, mentions: str) -> str:
    """The line that pings subscribers: its text escaped, the ``<at>`` mentions left as Teams reads them."""
    return escape_markdown(text("expert_post_pings", locale, mentions="\x00")).replace("\x00", mentions)


def render_followup(reply: FollowupReply) -> Card:
    """The follow-up in an unanswered thread: people named as text (not pinged); only subscribers pinged."""
    locale = reply.locale
    followup = reply.followup
    body: list[dict[str, Any]] = []
    if followup.experts:
        body.append(_text(text("followup_intro", locale), weight="Bolder"))
        body.append(_text("\n".join(_expert_line(e, locale) for e in followup.experts)))
        body.append(_text(text("followup_named_only", locale), isSubtle=True, size="Small"))
    else:
        body.append(_text(text("followup_unanswered", locale), weight="Bolder"))
    mentions, entities = _mentions(followup.subscribers)
    if entities:
        body.append(_text(_pings(locale, mentions)))
    return _with_mentions(_card(body), entities)


def render_expert_request(reply: ExpertRequestReply) -> Card:
    """A question posted in the specialists' channel (専門家に聞く), pinging only subscribers."""
    locale = reply.locale
    request = reply.request
    intro = (
        text("expert_post_intro", locale, asker=request.asker)
        if request.asker
        else text("expert_post_intro_unnamed", locale)
    )
    body: list[dict[str, Any]] = [
        _text(escape_markdown(intro), weight="Bolder"),
        _text(escape_markdown(request.question)),
    ]
    if request.channel_name:
        where = text("expert_post_where", locale, channel=request.channel_name)
        body.append(_text(escape_markdown(where), isSubtle=True))
    mentions, entities = _mentions(request.subscribers)
    if entities:
        body.append(_text(_pings(locale, mentions)))
    actions = (
        [{"type": "Action.OpenUrl", "title": text("open_thread", locale), "url": request.url}] if request.url else None
    )
    return _with_mentions(_card(body, actions), entities)
