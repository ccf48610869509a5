"""Platform-neutral reply values, and the formatting every renderer shares.

The use cases in :mod:`bot.interactions` return these values; each adapter renders them with its own
renderer (Adaptive Cards for Teams, Block Kit for Slack). Texts come from ``bot.messages`` in the
person's language (Japanese by default, English for English locales).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.messages import Locale, text
from knowledge.model import Expert, ExpertRequest, Followup, SearchResult, Suggestion, SuggestionKind


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
    # Who asked Yorozu, when the question may not be stored as a thread (a mention, a chat): outside a
    # public channel only they may send it to the specialists (:func:`bot.interactions.ask_expert`).
    asker_id: str | None = None


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


def person_label(name: str, organization: str | None, *, escape: Callable[[str], str] = str, mark: str = "") -> str:
    """A person as every reply names them: 「名前（組織）」, the name alone without an organisation.

    ``escape`` makes each part safe for the renderer's markup; ``mark`` wraps the name (``**`` bold in
    Teams Markdown, ``*`` in Slack mrkdwn)."""
    label = f"{mark}{escape(name)}{mark}"
    return f"{label}（{escape(organization)}）" if organization else label


@dataclass(frozen=True, slots=True)
class Marks:
    """The tags beside a suggestion's title, as texts each renderer dresses in its own markup: an FAQ
    entry's tag, else the accepted answer's; and how sure Yorozu is (:func:`match_label`)."""

    faq: str | None
    accepted: str | None
    match: str | None


def suggestion_marks(suggestion: Suggestion, locale: Locale) -> Marks:
    """A curated entry says FAQ rather than 解決済み: being verified is what vouches for it."""
    faq = suggestion.kind == SuggestionKind.FAQ
    return Marks(
        faq=text("faq", locale) if faq else None,
        accepted=text("accepted", locale) if suggestion.accepted and not faq else None,
        match=match_label(suggestion, locale),
    )


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
