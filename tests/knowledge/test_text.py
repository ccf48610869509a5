"""Japanese text handling: normalisation, question and thanks detection, bigrams, titles, excerpts and
how replies relate to the question."""

from __future__ import annotations

import pytest

from knowledge.text import (
    after_pointer,
    asks_back,
    content_terms,
    excerpt_of,
    is_acknowledgement,
    is_procedure,
    is_thanks,
    looks_like_question,
    normalize,
    overlap,
    refers_back,
    sentences,
    shorten,
    substance,
    title_of,
    tokens,
)

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


# Roots as people write them, and the title each should get: the sentence that asks.
TITLES = [
    # an apology and a context-setting opener before the question
    (
        "以前に話題になっていたらすみません。\nLGWAN端末のWindows Updateを、WSUSなしで配信している団体はありますか？",
        "LGWAN端末のWindows Updateを、WSUSなしで配信している団体はありますか？",
    ),
    (
        "お疲れさまです。東山町の小川です。\n初めての年度末の人事異動を迎えます。\n"
        "異動者の共有メールボックスの権限は、いつ切り替えるのが一般的でしょうか？",
        "異動者の共有メールボックスの権限は、いつ切り替えるのが一般的でしょうか？",
    ),
    (
        "西山市の川口です。いつもお世話になっております。\n長文失礼します。\n"
        "会計年度任用職員のアカウントを任期末に自動で無効にする方法はありますか？\n"
        "毎年3月末に手作業で60件ほど無効化していて、漏れが出ています。",
        "会計年度任用職員のアカウントを任期末に自動で無効にする方法はありますか？",
    ),
    # a sentence written over two lines is one sentence; short enough, it is whole and has no 「…」
    (
        "64bit版のOfficeにしたら動かなくなった税務課のExcelのマクロを\n32bit版に戻さずに直す方法はありますか？",
        "64bit版のOfficeにしたら動かなくなった税務課のExcelのマクロを32bit版に戻さずに直す方法はありますか？",
    ),
    # a greeting, an address or an apology opening the sentence itself
    (
        "お疲れさまです、庁内のプリンタをまとめて入れ替えるときの仕様書の書き方を教えてください。",
        "庁内のプリンタをまとめて入れ替えるときの仕様書の書き方を教えてください。",
    ),
    (
        "皆さん、マイナンバーカードの電子証明書の更新窓口、どう回していますか？",
        "マイナンバーカードの電子証明書の更新窓口、どう回していますか？",
    ),
    (
        "突然すみません、庁内Wi-Fiの認証をEAP-TLSにしている団体はありますか？",
        "庁内Wi-Fiの認証をEAP-TLSにしている団体はありますか？",
    ),
    # a question that names nothing gives way to the sentence that does
    (
        "北浜村の森です。\n村のホームページのCMSが来年度で保守切れになります。\n皆さんどうしていますか？",
        "村のホームページのCMSが来年度で保守切れになります。",
    ),
    (
        "庁内ネットワークの配線図を作り直したいと考えています。\n何から始めればいいでしょうか？",
        "庁内ネットワークの配線図を作り直したいと考えています。",
    ),
    # a problem stated is the question
    ("朝からVPNが繋がらなくて困っています。\n昨日までは使えていました。", "朝からVPNが繋がらなくて困っています。"),
    # an announcement asks nothing: its first sentence
    (
        "【お知らせ】3/15 20時から基幹系ネットワークの停止作業を行います。\n影響のある業務は事前にご確認ください。",
        "【お知らせ】3/15 20時から基幹系ネットワークの停止作業を行います。",
    ),
    # question marks inside brackets do not end the sentence; an ellipsis between two sentences does
    (
        "情報資産台帳の粒度（システム単位？ファイル単位？）はどう決めていますか？",
        "情報資産台帳の粒度（システム単位？ファイル単位？）はどう決めていますか？",
    ),
    (
        "Web会議の映像が仮想ブラウザ経由だとカクカクです…会議用の端末を別に用意していますか？",
        "会議用の端末を別に用意していますか？",
    ),
    # English
    (
        "Hi all, hope everyone is well.\nSorry if this has been asked before. I'm the only IT person at Kita Town.\n"
        "How do you manage local admin passwords on shared PCs?",
        "How do you manage local admin passwords on shared PCs?",
    ),
    (
        "Hello everyone, does anyone have a template for an IT-BCP tabletop exercise?",
        "Does anyone have a template for an IT-BCP tabletop exercise?",
    ),
    (
        "Our Teams tenant has grown to 300 teams and nobody knows who owns them.\nHow do you all deal with this?",
        "Our Teams tenant has grown to 300 teams and nobody knows…",
    ),
    (
        "The scanner on our copier stopped saving to the file server\nafter we replaced the server. Any ideas?",
        "The scanner on our copier stopped saving to the file server…",
    ),
]


@pytest.mark.parametrize(("root", "title"), TITLES)
def test_the_title_is_the_sentence_that_asks(root: str, title: str) -> None:
    assert title_of(root) == title


def test_a_title_cut_where_the_author_broke_the_line_ends_in_an_ellipsis() -> None:
    root = (
        "住民票のコンビニ交付で使っている証明書発行サーバーのOSが来年サポート終了になるのですが、\n"
        "更新の費用はどうやって予算化していますか？"
    )
    title = title_of(root)
    assert title.startswith("住民票のコンビニ交付") and "更新の費用" in title
    assert len(title) == 60 and title.endswith("…")
    # The first line alone used to be the title, cut at the author's line break without 「…」.
    assert title != "住民票のコンビニ交付で使っている証明書発行サーバーのOSが来年サポート終了になるのですが、"


def test_sentences_join_lines_broken_inside_a_sentence_but_not_list_items() -> None:
    text = (
        "年度が変わった途端に\n「実行時エラー '9'」\nで止まるようになりました。\n"
        "確認したこと：\n1. シート名\n2. 参照設定\nWe checked the macro\nand the sheet names."
    )
    assert sentences(text) == [
        "年度が変わった途端に「実行時エラー '9'」で止まるようになりました。",
        "確認したこと：",
        "1. シート名",
        "2. 参照設定",
        "We checked the macro and the sheet names.",
    ]


def test_excerpt_skips_apologies_and_keeps_sentences_that_only_look_like_introductions() -> None:
    assert (
        excerpt_of("青葉市の佐藤です。横から失礼します。直ったあとでいいので控えておくのがおすすめです。", 100)
        == "直ったあとでいいので控えておくのがおすすめです。"
    )
    # 「…のバージョンです」 is not someone introducing themselves
    assert excerpt_of("青葉市の佐藤です。たぶんSMBのバージョンです。", 100) == "たぶんSMBのバージョンです。"
    assert (
        excerpt_of("お疲れさまです！\n南川町の田中です。\n手順は次のとおりです。\n1. 管理センターを開く\n2. 保存", 100)
        == "手順は次のとおりです。1. 管理センターを開く 2. 保存"
    )
    assert excerpt_of("Hi Ken, this is Mika from Kita Town.\nWe pause feature updates with a GPO.", 100) == (
        "We pause feature updates with a GPO."
    )


def test_shorten_cuts_english_between_words_and_japanese_anywhere() -> None:
    assert shorten("Grant access to a mail-enabled security group per department", 30) == "Grant access to a…"
    assert shorten("共有メールボックスのアクセス権をグループに付けます", 10) == "共有メールボックス…"


def test_overlap_is_the_share_of_the_questions_content_terms_in_the_reply() -> None:
    question = "Teams会議の録画の保存期間はどこで設定しますか？"
    assert "teams" in content_terms(question) and "録画" in content_terms(question)
    assert not {"ます", "すか", "どこ"} & content_terms(question)  # endings and particles are not content
    related = "録画の保存期間は Teams 管理センターの会議ポリシーで設定します。"
    assert overlap(question, related) > 0.6
    assert overlap(question, "先月の研修資料が共有フォルダにあります。") == 0.0
    assert overlap(question, question) == 1.0 and overlap("", related) == 0.0
    assert overlap("How do you pause Windows feature updates?", "We pause feature updates with a GPO.") > 0.6


def test_substance_acknowledgements_and_pointers() -> None:
    steps = "1. 利用申請書を県に提出\n2. 利用者をCSVで登録\n3. 職員は自席のブラウザから転送"
    assert is_procedure(steps) and is_procedure("Search-ADAccount -AccountInactive で洗い出せます")
    assert not is_procedure("はい、町村も申請いただければ使えます。")
    assert substance(steps) > substance("10MBです。") > 0
    for ack in ["+1", "私も知りたいです！", "うちも同じです。", "ありがとうございます！", "Same here, thanks."]:
        assert is_acknowledgement(ack) and substance(ack) == 0.0
    assert not is_acknowledgement("同じく青葉市です。ハードウェア要件はIntuneのレポートでまとめて確認できます。")
    assert refers_back("田中さんの書いてくれたとおりです。") and refers_back("+1, same as Ken said.")
    assert after_pointer("北浜市の佐藤です。田中さんの書いてくれたとおりです。当日は早めに出ると平和です。") == (
        "当日は早めに出ると平和です。"
    )
    assert after_pointer("はい、町村も申請いただければ使えます。") == ""
    assert after_pointer("ルーターの設定でパススルーを有効にしてください。") is None
    assert asks_back("ルーターの機種は何ですか？") and asks_back("Which Exchange version are you on?")
    assert not asks_back("ルーターの設定でVPNパススルーを有効にすると繋がるようになることが多いです。")
