"""What Yorozu says, in Japanese (the default) and English. Renderers and adapters take texts from here."""

from __future__ import annotations

from enum import StrEnum


class Locale(StrEnum):
    JA = "ja"
    EN = "en"


def locale_from(tag: str | None) -> Locale:
    """``en-US``, ``en`` → English; anything else (``ja-JP``, unknown, none) → Japanese."""
    return Locale.EN if tag and tag.lower().replace("_", "-").split("-")[0] == "en" else Locale.JA


TEXTS: dict[str, dict[Locale, str]] = {
    "suggestions_intro": {
        Locale.JA: "過去のスレッドに、この質問の答えがあるかもしれません。",
        Locale.EN: "These past threads may answer this question.",
    },
    "suggestions_none": {
        Locale.JA: "よく合う過去のスレッドは見つかりませんでした。チャンネルで質問してみてください。",
        Locale.EN: "No past thread answers this closely enough. Try asking in a channel.",
    },
    "faq": {Locale.JA: "FAQ", Locale.EN: "FAQ"},
    "accepted": {Locale.JA: "解決済み", Locale.EN: "Solved"},
    "answered_by": {Locale.JA: "回答", Locale.EN: "Answered by"},
    "asked_on": {Locale.JA: "質問日", Locale.EN: "Asked"},
    "open_thread": {Locale.JA: "元のスレッドを開く", Locale.EN: "Open the thread"},
    "button_solved": {Locale.JA: "解決した", Locale.EN: "Solved it"},
    "button_unhelpful": {Locale.JA: "役に立たなかった", Locale.EN: "Not helpful"},
    "feedback_solved": {
        Locale.JA: "{name}さんが「解決した」と記録しました。ありがとうございます！",
        Locale.EN: "{name} marked this as solved. Thank you!",
    },
    "feedback_unhelpful": {
        Locale.JA: "{name}さんが「役に立たなかった」と記録しました。専門家が確認します。",
        Locale.EN: "{name} marked this as not helpful. A specialist will review it.",
    },
    "experts_intro": {
        Locale.JA: "「{topic}」について答えたことのある人：",
        Locale.EN: "People who have answered questions about “{topic}”:",
    },
    "experts_none": {
        Locale.JA: "「{topic}」に答えた人はまだ見つかりません。",
        Locale.EN: "Nobody has answered questions about “{topic}” yet.",
    },
    "expert_line": {
        Locale.JA: "このテーマで{answers}件回答{accepted}、最新 {latest}",
        Locale.EN: "{answers} answers on this topic{accepted}, latest {latest}",
    },
    "expert_accepted": {Locale.JA: "（うち解決{count}件）", Locale.EN: " ({count} accepted)"},
    "help": {
        Locale.JA: (
            "Yorozu（よろず）は、過去のスレッドから答えと、答えてくれた人を探します。\n"
            "・質問をそのまま書く：似た過去のスレッドを探します\n"
            "・who <テーマ>：そのテーマに詳しい人を探します\n"
            "・off / on：このチャンネルでの自動の提案を止める／再開する\n"
            "・help：この説明"
        ),
        Locale.EN: (
            "Yorozu finds past answers in this community, and the people who gave them.\n"
            "• Type a question: I look for similar past threads\n"
            "• who <topic>: people who have answered questions on the topic\n"
            "• off / on: stop or resume automatic suggestions in this channel\n"
            "• help: this text"
        ),
    },
    "auto_on": {
        Locale.JA: "このチャンネルの新しい質問に、過去のスレッドを自動で提案します。",
        Locale.EN: "I will suggest past threads for new questions in this channel.",
    },
    "auto_off": {
        Locale.JA: "このチャンネルでの自動の提案を止めました。直接たずねられたときは答えます。",
        Locale.EN: "Automatic suggestions are off in this channel. I still answer when asked directly.",
    },
    "switch_needs_channel": {
        Locale.JA: "on / off はチャンネルの中で使ってください。",
        Locale.EN: "Use on / off inside a channel.",
    },
    "button_share": {Locale.JA: "チャンネルに共有", Locale.EN: "Share in channel"},
    "error": {
        Locale.JA: "すみません、うまく処理できませんでした。少し待ってからもう一度お試しください。",
        Locale.EN: "Sorry, something went wrong. Please try again in a moment.",
    },
}


def text(key: str, locale: Locale, **params: object) -> str:
    """The text ``key`` in ``locale`` with ``params`` filled in."""
    return TEXTS[key][locale].format(**params)
