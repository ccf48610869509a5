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
