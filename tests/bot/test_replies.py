"""What a person types to Yorozu: commands, questions, languages."""

from __future__ import annotations

import pytest

from bot.interactions import Command, CommandKind, handle_direct, parse_command
from bot.messages import Locale, locale_from, text
from bot.replies import ExpertsReply, SuggestionsReply, TextReply
from bot.service import KnowledgeService
from knowledge.base import KnowledgeBase
from knowledge.model import Scope
from tests.conftest import MACRO_THREAD, community


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("help", Command(CommandKind.HELP)),
        ("ヘルプ", Command(CommandKind.HELP)),
        ("", Command(CommandKind.HELP)),
        ("who 権限管理", Command(CommandKind.WHO, "権限管理")),
        ("WHO　アクセス権", Command(CommandKind.WHO, "アクセス権")),
        ("詳しい人 バックアップ", Command(CommandKind.WHO, "バックアップ")),
        ("who", Command(CommandKind.HELP)),
        ("ask VPNが遅い", Command(CommandKind.ASK, "VPNが遅い")),
        ("off", Command(CommandKind.OFF)),
        ("ON", Command(CommandKind.ON)),
        ("on premises backup, how often?", Command(CommandKind.ASK, "on premises backup, how often?")),
        ("VPNが遅いのですがどうしていますか", Command(CommandKind.ASK, "VPNが遅いのですがどうしていますか")),
    ],
)
def test_parse_command(typed: str, expected: Command) -> None:
    assert parse_command(typed) == expected


@pytest.mark.parametrize(
    ("tag", "locale"),
    [("en-US", Locale.EN), ("en", Locale.EN), ("ja-JP", Locale.JA), (None, Locale.JA), ("fr-FR", Locale.JA)],
)
def test_locale_from(tag: str | None, locale: Locale) -> None:
    assert locale_from(tag) == locale


def test_every_text_exists_in_both_languages() -> None:
    from bot.messages import TEXTS

    assert all(set(t) == {Locale.JA, Locale.EN} for t in TEXTS.values())
    assert text("experts_none", Locale.EN, topic="VPN") == "Nobody has answered questions about “VPN” yet."


async def test_handle_direct_routes_each_command(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    service = KnowledgeService(kb)
    scope = Scope("slack", "C1")
    asked = await handle_direct(service, MACRO_THREAD[0].text, scope=scope, locale=Locale.JA)
    assert isinstance(asked, SuggestionsReply) and asked.result.suggestions[0].root_message_id == "100.0"
    who = await handle_direct(service, "who Excelマクロ VBA 保守", scope=scope, locale=Locale.EN)
    assert isinstance(who, ExpertsReply) and who.experts and who.locale == Locale.EN
    assert await handle_direct(service, "help", scope=scope, locale=Locale.JA) == TextReply("help", Locale.JA)
    off = await handle_direct(service, "off", scope=scope, locale=Locale.JA, channel=("slack", "C1"))
    assert off == TextReply("auto_off", Locale.JA) and kb.auto_suggest("slack", "C1") is False
    assert await handle_direct(service, "on", scope=scope, locale=Locale.JA) == TextReply(
        "switch_needs_channel", Locale.JA
    )


@pytest.mark.parametrize("locale", [Locale.JA, Locale.EN])
def test_both_renderers_mark_a_faq_entry_and_an_accepted_thread_alike(locale: Locale) -> None:
    """A curated entry is tagged FAQ, never 解決済み (being verified is what vouches for it); a thread with
    an accepted answer is tagged 解決済み. The rule is the shared one (`replies.suggestion_marks`)."""
    from datetime import UTC, datetime

    from bot.replies import suggestion_marks
    from bot.slack import blocks
    from bot.teams import cards
    from knowledge.model import SearchResult, Suggestion, SuggestionKind

    def suggestion(n: int, kind: SuggestionKind) -> Suggestion:
        return Suggestion(
            kind=kind,
            thread_id=f"slack:C1:{n}.0",
            platform="slack",
            channel_id="C1",
            channel_name="q-and-a",
            root_message_id=f"{n}.0",
            title=f"質問{n}",
            answer_excerpt="回答",
            answerers=(),
            url=None,
            asked_at=datetime(2026, 4, 1, tzinfo=UTC),
            score=0.9,
            accepted=True,
        )

    faq, thread = suggestion(1, SuggestionKind.FAQ), suggestion(2, SuggestionKind.THREAD)
    assert suggestion_marks(faq, locale).accepted is None and suggestion_marks(faq, locale).faq
    assert suggestion_marks(thread, locale).accepted == text("accepted", locale)
    assert suggestion_marks(thread, locale).faq is None
    accepted = text("accepted", locale)
    for one, marked in ((faq, False), (thread, True)):
        reply = SuggestionsReply(SearchResult("質問", (one,), abstained=False), locale)
        assert (f"✅ {accepted}" in str(cards.render_suggestions(reply))) is marked
        assert (f":white_check_mark: {accepted}" in str(blocks.render_suggestions(reply))) is marked
