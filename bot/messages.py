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
            "・subscribe <テーマ>：そのテーマの質問が専門家に送られたときや回答がないときに通知を受ける"
            "（unsubscribe で解除）\n"
            "・optout / optin：自分の名前を提案や一覧に出さない／また出す\n"
            "・off / on：このチャンネルでの自動の提案を止める／再開する\n"
            "・help：この説明"
        ),
        Locale.EN: (
            "Yorozu finds past answers in this community, and the people who gave them.\n"
            "• Type a question: I look for similar past threads\n"
            "• who <topic>: people who have answered questions on the topic\n"
            "• subscribe <topic>: be notified when a question on the topic is sent to the specialists or stays "
            "unanswered (unsubscribe to stop)\n"
            "• optout / optin: never show my name in suggestions and lists / show it again\n"
            "• off / on: stop or resume automatic suggestions in this channel\n"
            "• help: this text"
        ),
    },
    "optout_done": {
        Locale.JA: (
            "今後、あなたの名前は提案・詳しい人の一覧・FAQ・フォローアップのどこにも表示しません。"
            "optin で元に戻せます。"
        ),
        Locale.EN: "Your name will no longer appear anywhere: suggestions, people lists, FAQ entries, follow-ups. "
        "optin undoes this.",
    },
    "optin_done": {
        Locale.JA: "あなたの名前を、回答者として再び表示します。",
        Locale.EN: "Your name will be shown again with your answers.",
    },
    "subscribe_done": {
        Locale.JA: "「{topic}」の質問が専門家チャンネルに届いたときと、回答のないままのときに、あなたに通知します。",
        Locale.EN: "I will notify you when a question about “{topic}” is sent to the specialists or stays unanswered.",
    },
    "subscribe_already": {
        Locale.JA: "「{topic}」はすでに通知を受ける設定です。",
        Locale.EN: "You are already notified about “{topic}”.",
    },
    "subscribe_invalid": {
        Locale.JA: "テーマは200文字以内で書いてください。",
        Locale.EN: "A topic needs 1 to 200 characters.",
    },
    "subscriptions_list": {
        Locale.JA: "通知を受けるテーマ：{topics}",
        Locale.EN: "You are notified about: {topics}",
    },
    "subscriptions_none": {
        Locale.JA: "通知を受けるテーマはまだありません。subscribe <テーマ> で登録できます。",
        Locale.EN: "You are not notified about any topic yet. subscribe <topic> adds one.",
    },
    "unsubscribe_done": {
        Locale.JA: "{count}件のテーマの通知を解除しました。",
        Locale.EN: "Stopped notifications for {count} topic(s).",
    },
    "unsubscribe_none": {
        Locale.JA: "解除する通知はありませんでした。",
        Locale.EN: "There was no such notification to stop.",
    },
    "person_unknown": {
        Locale.JA: "すみません、あなたが誰か分かりませんでした。",
        Locale.EN: "Sorry, I could not tell who you are.",
    },
    # --- FAQ entries in suggestions ---
    "faq_verified": {Locale.JA: "確認：{name}（{date}）", Locale.EN: "Verified by {name} on {date}"},
    "faq_verified_unnamed": {Locale.JA: "確認済み（{date}）", Locale.EN: "Verified on {date}"},
    "faq_unverified": {Locale.JA: "未確認", Locale.EN: "Not verified yet"},
    "faq_review_due": {Locale.JA: "⚠ 見直しの時期を過ぎています", Locale.EN: "⚠ Due for review"},
    # --- 専門家に聞く ---
    "button_ask_expert": {Locale.JA: "専門家に聞く", Locale.EN: "Ask an expert"},
    "ask_expert_sent": {
        Locale.JA: "{name}さんが専門家チャンネルに質問を送りました。",
        Locale.EN: "{name} sent this question to the specialists' channel.",
    },
    "ask_expert_not_configured": {
        Locale.JA: "専門家チャンネルがまだ設定されていません。管理者にお問い合わせください。",
        Locale.EN: "No specialists' channel is configured yet. Please ask an administrator.",
    },
    "ask_expert_private": {
        Locale.JA: "非公開チャンネルの質問は、質問した本人だけが専門家チャンネルに送れます。",
        Locale.EN: "A question from a private channel can be sent to the specialists only by the person who asked it.",
    },
    "expert_post_intro": {
        Locale.JA: "専門家の皆さん、{asker}さんからの質問です。",
        Locale.EN: "Specialists, a question from {asker}:",
    },
    "expert_post_intro_unnamed": {
        Locale.JA: "専門家の皆さん、次の質問に答えていただけませんか。",
        Locale.EN: "Specialists, can you answer this question?",
    },
    "expert_post_where": {Locale.JA: "#{channel} での質問", Locale.EN: "Asked in #{channel}"},
    "expert_post_pings": {
        Locale.JA: "このテーマの通知を希望している方：{mentions}",
        Locale.EN: "Subscribed to this topic: {mentions}",
    },
    # --- follow-ups for unanswered questions ---
    "followup_intro": {
        Locale.JA: "この質問にはまだ返信がありません。似た質問に答えたことのある方：",
        Locale.EN: "Nobody has replied to this question yet. People who answered similar questions:",
    },
    "followup_named_only": {
        Locale.JA: "（お名前を紹介しているだけで、通知はしていません）",
        Locale.EN: "(named here only; they were not notified)",
    },
    # --- FAQにする (Teams message action, Slack message shortcut) ---
    "button_make_faq": {Locale.JA: "FAQにする", Locale.EN: "Make an FAQ entry"},
    "faq_dialog_title": {Locale.JA: "FAQにする", Locale.EN: "Make an FAQ entry"},
    "faq_field_question": {Locale.JA: "質問", Locale.EN: "Question"},
    "faq_field_answer": {Locale.JA: "回答", Locale.EN: "Answer"},
    "faq_field_tags": {Locale.JA: "タグ（; 区切り）", Locale.EN: "Tags (separated by ;)"},
    "faq_field_publish": {
        Locale.JA: "すぐに公開する（確認者として記録）",
        Locale.EN: "Publish now (recorded as verified by me)",
    },
    "faq_submit": {Locale.JA: "保存", Locale.EN: "Save"},
    "faq_cancel": {Locale.JA: "キャンセル", Locale.EN: "Cancel"},
    "faq_saved_draft": {
        Locale.JA: "FAQ {id} を下書きとして保存しました。同じ操作で、いつでも編集・公開できます。",
        Locale.EN: "Saved FAQ entry {id} as a draft; the same action edits or publishes it later.",
    },
    "faq_saved_published": {
        Locale.JA: "FAQ {id} を公開しました。似た質問には、この FAQ が最初に提案されます。",
        Locale.EN: "Published FAQ entry {id}. Similar questions now get it first.",
    },
    "faq_not_allowed": {
        Locale.JA: "FAQ にできるのは管理者と専門家だけです。",
        Locale.EN: "Only admins and specialists can make FAQ entries.",
    },
    "faq_question_required": {Locale.JA: "質問を書いてください。", Locale.EN: "The question is empty."},
    "faq_answer_required": {Locale.JA: "回答を書いてください。", Locale.EN: "The answer is empty."},
    "faq_invalid": {Locale.JA: "保存できませんでした：{reason}", Locale.EN: "Could not save: {reason}"},
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
    # --- added with the Slack curation UI (modal, 専門家に聞く, follow-ups) ---
    "close": {Locale.JA: "閉じる", Locale.EN: "Close"},
    "faq_field_status": {Locale.JA: "公開", Locale.EN: "Publishing"},
    "faq_editing": {
        Locale.JA: "このスレッドはすでに FAQ {id} です。保存すると、その FAQ を更新します。",
        Locale.EN: "This thread is already FAQ entry {id}; saving updates that entry.",
    },
    "faq_thread_missing": {
        Locale.JA: "このスレッドは見つかりませんでした。削除された可能性があります。",
        Locale.EN: "This thread could not be found; it may have been deleted.",
    },
    "feedback_solved_unnamed": {
        Locale.JA: "「解決した」と記録しました。ありがとうございます！",
        Locale.EN: "Marked as solved. Thank you!",
    },
    "feedback_unhelpful_unnamed": {
        Locale.JA: "「役に立たなかった」と記録しました。専門家が確認します。",
        Locale.EN: "Marked as not helpful. A specialist will review it.",
    },
    "ask_expert_done": {
        Locale.JA: "専門家チャンネルに質問を送りました。",
        Locale.EN: "Your question was sent to the specialists' channel.",
    },
    "ask_expert_already": {
        Locale.JA: "この質問はすでに専門家チャンネルに送られています。",
        Locale.EN: "This question has already been sent to the specialists' channel.",
    },
    "ask_expert_failed": {
        Locale.JA: (
            "専門家チャンネルに投稿できませんでした。"
            "Yorozu がそのチャンネルに招待されているか、管理者に確認してください。"
        ),
        Locale.EN: "Could not post in the specialists' channel. Please ask an administrator to invite Yorozu there.",
    },
    "ask_expert_empty": {
        Locale.JA: "送る質問がありません。質問を書いてから、もう一度お試しください。",
        Locale.EN: "There is no question to send. Write the question, then try again.",
    },
    "followup_unanswered": {
        Locale.JA: "この質問にはまだ返信がありません。",
        Locale.EN: "Nobody has replied to this question yet.",
    },
    # --- the welcome when the Teams app is installed in a team, a group chat or a personal chat ---
    "welcome": {
        Locale.JA: (
            "Yorozu（よろず）です。質問に似た過去のスレッドと、答えてくれた人をお知らせします。\n"
            "チームでは、リソース固有の同意（RSC）で許可されたチャンネルの投稿を読んで、質問と回答を蓄積します。\n"
            "使い方は help と送ってください（チャンネルでは @Yorozu help）。"
        ),
        Locale.EN: (
            "I am Yorozu: I point questions to similar past threads and to the people who answered them.\n"
            "In a team I read the channels' posts under resource-specific consent (RSC) and keep questions "
            "with their answers.\n"
            "Send help to see what I can do (in a channel: @Yorozu help)."
        ),
    },
}


def text(key: str, locale: Locale, **params: object) -> str:
    """The text ``key`` in ``locale`` with ``params`` filled in."""
    return TEXTS[key][locale].format(**params)
