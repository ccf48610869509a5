"""Japanese text handling: normalisation, question and thanks detection, bigrams, titles."""

from __future__ import annotations

import pytest

from knowledge.text import excerpt_of, is_thanks, looks_like_question, normalize, title_of, tokens

QUESTIONS = [
    "Excelマクロの引き継ぎ、皆さんどうしていますか",
    "人事異動時のフォルダ権限の管理方法を教えてください",
    "VPNが繋がらなくて困っています",
    "Teams のゲストアクセスは許可してますか？",
    "生成AIの利用ガイドライン、他団体の事例があれば共有いただけると助かります",
    "LGWAN接続系からインターネットへのファイル受け渡しはどうされていますか",
    "新規採用職員向けのセキュリティ研修でおすすめの教材はありますか",
    "バックアップの保管期間って何年にしてます?",
    "ADのパスワードポリシー、定期変更はまだ続けていますか。",
    "ガバメントクラウド移行の仕様書の書き方でご助言いただきたいです",
    "How do you handle guest access in Teams?",
    "Is anyone using Intune for telework PCs",
]
NOT_QUESTIONS = [
    "来週の勉強会の資料です。",
    "お疲れさまです。新人研修の資料を共有します",
    "【お知らせ】12/28 18時からシステムメンテナンスを行います",
    "ありがとうございます！",
    "本日の会議録をアップしました",
    "了解です、対応しておきます",
    "",
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions_are_detected(text: str) -> None:
    assert looks_like_question(text)


@pytest.mark.parametrize("text", NOT_QUESTIONS)
def test_announcements_and_chatter_are_not_questions(text: str) -> None:
    assert not looks_like_question(text)


@pytest.mark.parametrize(
    "text", ["ありがとうございます、解決しました！", "助かりました、その方法でいけました", "Thanks, that worked"]
)
def test_thanks_is_detected(text: str) -> None:
    assert is_thanks(text)


@pytest.mark.parametrize("text", ["手順書はどんな形式ですか？", "うちも同じ状況です", "まだ直りません"])
def test_other_replies_are_not_thanks(text: str) -> None:
    assert not is_thanks(text)


def test_normalize_unifies_width_wave_dashes_and_hyphens() -> None:
    assert normalize("ＡＢＣ　１０～１２時") == normalize("abc 10〜12時") == "abc 10~12時"
    assert normalize("Wi‐Fi") == normalize("Wi−Fi") == normalize("Wi-Fi") == normalize("Ｗｉ－Ｆｉ") == "wi-fi"
    assert normalize("10ー12") == "10-12"  # a long-vowel mark between digits is a dash
    assert normalize("サーバー") == "サーバー"  # but stays a letter inside katakana


def test_tokens_are_character_bigrams_and_single_characters_stay() -> None:
    assert tokens("権限管理") == ["権限", "限管", "管理"]
    assert tokens("A 権限") == ["a", "権限"]
    assert tokens("") == []


def test_excerpt_skips_greetings_and_self_introductions() -> None:
    assert excerpt_of("青葉市の佐藤です。うちは棚卸しから始めました。", 100) == "うちは棚卸しから始めました。"
    assert (
        excerpt_of("お疲れさまです！\n南川町の田中です。\nAD で一括変更しています。", 100)
        == "AD で一括変更しています。"
    )
    assert excerpt_of("北山市の佐藤です。", 100) == "北山市の佐藤です。"  # nothing else to show


def test_title_skips_greetings_and_self_introductions() -> None:
    text = "お疲れさまです。北山市の佐藤です。\nExcelマクロが属人化していて困っています。皆さんどうしてますか？"
    assert title_of(text) == "Excelマクロが属人化していて困っています。"
    assert title_of("北山市の佐藤です") == "北山市の佐藤です"
    assert len(title_of("あ" * 500)) == 60
