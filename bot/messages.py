"""What Yorozu says, in Japanese (the default) and English: the one catalogue for chat replies and the CLI.

Renderers, adapters and the command line take their texts from here. A text that counts something is a
:class:`Plural` in English ("1 answer", "2 answers"); Japanese needs no plural (「1件」「2件」).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Locale(StrEnum):
    JA = "ja"
    EN = "en"


def locale_from(tag: str | None) -> Locale:
    """``en-US``, ``en`` → English; anything else (``ja-JP``, unknown, none) → Japanese."""
    return Locale.EN if tag and tag.lower().replace("_", "-").split("-")[0] == "en" else Locale.JA


# POSIX order: LC_ALL overrides LC_MESSAGES, which overrides LANG.
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def locale_of_environ(environ: Mapping[str, str]) -> Locale:
    """The command line's language: ``YOROZU_LANG`` (ja, en) first, else the POSIX locale.

    ``LANG=ja_JP.UTF-8`` (or ``LC_ALL`` / ``LC_MESSAGES``) → Japanese; any other locale, or none
    (``C``, ``POSIX``, unset) → English, the language of a terminal nobody configured.
    """
    chosen = (environ.get("YOROZU_LANG") or "").strip()
    if chosen:
        return _locale_of_posix(chosen)
    for name in _LOCALE_VARIABLES:
        value = (environ.get(name) or "").strip()
        if value:
            return _locale_of_posix(value)
    return Locale.EN


def _locale_of_posix(value: str) -> Locale:
    return Locale.JA if value.lower().replace("-", "_").split("_")[0].split(".")[0] == "ja" else Locale.EN


@dataclass(frozen=True)
class Plural:
    """A text whose wording depends on a number: ``one`` when the ``by`` parameter is 1, else ``other``."""

    one: str
    other: str
    by: str = "count"


TEXTS: dict[str, dict[Locale, str | Plural]] = {
    "suggestions_intro": {
        Locale.JA: "過去のスレッドに、この質問の答えがあるかもしれません。",
        Locale.EN: "These past threads may answer this question.",
    },
    "suggestions_none": {
        Locale.JA: "関連する過去のスレッドは見つかりませんでした。チャンネルで質問してみてください。",
        Locale.EN: "No past thread relates to this. Try asking in a channel.",
    },
    "match_same": {Locale.JA: "この質問と同じ内容のようです", Locale.EN: "Looks like the same question"},
    "match_related": {Locale.JA: "関連しそうなスレッド", Locale.EN: "Possibly related"},
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
        Locale.EN: Plural(
            "{answers} answer on this topic{accepted}, latest {latest}",
            "{answers} answers on this topic{accepted}, latest {latest}",
            by="answers",
        ),
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
        Locale.EN: Plural("Stopped notifications for {count} topic.", "Stopped notifications for {count} topics."),
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
    # --- the command line (`yorozu ...`): human-readable output; --json output is never translated ---
    # Counted nouns, composed into the sentences below.
    "n_day_files": {Locale.JA: "{count}日分", Locale.EN: Plural("{count} day file", "{count} day files")},
    "n_channels": {Locale.JA: "{count}チャンネル", Locale.EN: Plural("{count} channel", "{count} channels")},
    "n_people": {Locale.JA: "{count}人", Locale.EN: Plural("{count} person", "{count} people")},
    "n_messages": {Locale.JA: "メッセージ{count}件", Locale.EN: Plural("{count} message", "{count} messages")},
    "n_replies": {Locale.JA: "うち返信{count}件", Locale.EN: Plural("{count} reply", "{count} replies")},
    "n_reactions": {Locale.JA: "リアクション{count}件", Locale.EN: Plural("{count} reaction", "{count} reactions")},
    "n_files": {
        Locale.JA: "添付ファイル{count}件",
        Locale.EN: Plural("{count} attached file", "{count} attached files"),
    },
    "n_deleted": {Locale.JA: "削除済み{count}件", Locale.EN: Plural("{count} deleted", "{count} deleted")},
    "n_graph_files": {Locale.JA: "ファイル{count}個", Locale.EN: Plural("{count} file", "{count} files")},
    "cli_import_read": {
        Locale.JA: "読み込み：{days}、{channels}、{people}、{messages}（{replies}）、{reactions}、{files}",
        Locale.EN: "read {days}: {channels}, {people}, {messages} ({replies}), {reactions}, {files}",
    },
    "cli_import_read_graph": {
        Locale.JA: "読み込み：{files}、{channels}、{messages}（{replies}）、{deleted}、{reactions}、{people}",
        Locale.EN: "read {files}: {channels}, {messages} ({replies}), {deleted}, {reactions}, {people}",
    },
    "cli_import_skipped": {
        Locale.JA: "取り込まなかったメッセージ {count}件：{reasons}",
        Locale.EN: Plural("skipped {count} message: {reasons}", "skipped {count} messages: {reasons}"),
    },
    "cli_import_unlisted": {
        Locale.JA: "エクスポートのチャンネル一覧にないフォルダー：{folders}",
        Locale.EN: "folders not listed in the export's channel files: {folders}",
    },
    "cli_stored": {
        Locale.JA: "保存：新規・変更 {changed}件、登録済み {unchanged}件（何度実行しても安全です）",
        Locale.EN: "stored: {changed} new or changed, {unchanged} already known (safe to run again)",
    },
    "cli_backfill_slack": {
        Locale.JA: "{channels}、{messages}を読み込み（新規・変更 {changed}件、登録済み {known}件）、{people}、"
        "スキップ {skipped}件",
        Locale.EN: "{channels}, {messages} read ({changed} new or changed, {known} already known), {people}, "
        "{skipped} skipped",
    },
    "cli_backfill_again": {
        Locale.JA: "何度実行しても安全です：保存済みのメッセージはそのままです",
        Locale.EN: "safe to run again: messages already stored are left as they are",
    },
    "cli_backfill_page": {
        Locale.JA: "[{n}/{total}] {channel}：{page}ページ目、これまでに{messages}",
        Locale.EN: "[{n}/{total}] {channel}: page {page}, {messages} so far",
    },
    "cli_progress_files": {Locale.JA: "ファイル", Locale.EN: "files"},
    "cli_progress_day_files": {Locale.JA: "日ごとのファイル", Locale.EN: "day files"},
    "cli_indexing": {Locale.JA: "索引を作成しています…", Locale.EN: "indexing…"},
    "cli_ask_usage": {
        Locale.JA: "質問（QUESTION）か --stdin のどちらか一方を指定してください（give a QUESTION or --stdin）",
        Locale.EN: "give a QUESTION or --stdin (not both)",
    },
    "cli_ask_limit": {
        Locale.JA: "--limit は1から20までにしてください",
        Locale.EN: "--limit must be between 1 and 20",
    },
    "cli_ask_none": {
        Locale.JA: "関連する過去のスレッドは見つかりませんでした。",
        Locale.EN: "No past thread relates to this.",
    },
    # How sure a suggestion is (its calibrated confidence against the channel's operating point).
    "cli_close_match": {Locale.JA: "［同じ内容のようです］", Locale.EN: "[looks like the same question]"},
    "cli_related": {Locale.JA: "［関連しそうなスレッド］", Locale.EN: "[related thread]"},
    "cli_answered_by": {Locale.JA: "回答：{people}", Locale.EN: "answered by: {people}"},
    "cli_who_none": {
        Locale.JA: "「{topic}」に答えた人はまだ見つかりません。",
        Locale.EN: "Nobody has answered questions like this yet.",
    },
    "cli_reindexed": {
        Locale.JA: "{count}件のスレッドを {model} で埋め込み直しました",
        Locale.EN: Plural("re-embedded {count} thread with {model}", "re-embedded {count} threads with {model}"),
    },
    "cli_stats_channels": {Locale.JA: "チャンネル", Locale.EN: "channels"},
    "cli_stats_people": {Locale.JA: "人", Locale.EN: "people"},
    "cli_stats_threads": {Locale.JA: "スレッド", Locale.EN: "threads"},
    "cli_stats_questions": {Locale.JA: "質問", Locale.EN: "questions"},
    "cli_stats_answered": {Locale.JA: "回答あり", Locale.EN: "answered"},
    "cli_stats_accepted": {Locale.JA: "解決済み", Locale.EN: "accepted"},
    "cli_stats_messages": {Locale.JA: "メッセージ", Locale.EN: "messages"},
    "cli_stats_indexed": {Locale.JA: "索引済み", Locale.EN: "indexed"},
    "cli_stats_pending": {Locale.JA: "索引待ち", Locale.EN: "pending"},
    "cli_stats_embedder": {Locale.JA: "埋め込みモデル", Locale.EN: "embedder"},
    "cli_evaluate_head": {
        Locale.JA: "質問 {queries}件、文書 {documents}件、埋め込みモデル {embedder}",
        Locale.EN: "{queries}, {documents}, embedder {embedder}",
    },
    "n_queries": {Locale.JA: "{count}", Locale.EN: Plural("{count} query", "{count} queries")},
    "n_documents": {Locale.JA: "{count}", Locale.EN: Plural("{count} document", "{count} documents")},
    "cli_team_id_required": {
        Locale.JA: "yorozu backfill teams：--team-id（チームの Entra グループ ID）を指定してください",
        Locale.EN: "yorozu backfill teams: --team-id is required",
    },
    "cli_manifest_written": {
        Locale.JA: "{out} を作成しました。Teams の［アプリ］→［アプリを管理］→［アプリをアップロード］で"
        "アップロードしてください",
        Locale.EN: "wrote {out}: upload it in Teams (Apps → Manage your apps → Upload an app)",
    },
    "cli_ready_endpoints": {
        Locale.JA: "Yorozu の準備ができました（http://{host}:{port}）：{endpoints}（Ctrl-C で終了）",
        Locale.EN: "Yorozu is ready on http://{host}:{port}: {endpoints} (Ctrl-C to stop)",
    },
    "cli_ready": {
        Locale.JA: "Yorozu の準備ができました：http://{host}:{port}/ を開いてください（Ctrl-C で終了）",
        Locale.EN: "Yorozu is ready: open http://{host}:{port}/ (Ctrl-C to stop)",
    },
    "cli_worker_running": {
        Locale.JA: "Yorozu のワーカーが動いています（Ctrl-C で終了）",
        Locale.EN: "Yorozu worker is running (Ctrl-C to stop)",
    },
    "cli_demo_folder": {
        Locale.JA: "デモのデータは {path} に置きます（本番のデータフォルダーとは別です）",
        Locale.EN: "the demo keeps its data in {path} (apart from the real data folder)",
    },
    # FAQ entries
    "cli_faq_none": {Locale.JA: "FAQ はまだありません。", Locale.EN: "No FAQ entries."},
    "cli_faq_review_due": {Locale.JA: "［見直し時期］", Locale.EN: "[review due]"},
    "cli_faq_verified": {Locale.JA: "確認 {date}（{name}）", Locale.EN: "verified {date} by {name}"},
    "cli_faq_verified_unnamed": {Locale.JA: "確認 {date}", Locale.EN: "verified {date}"},
    "cli_faq_unverified": {Locale.JA: "未確認", Locale.EN: "not verified"},
    "faq_status_draft": {Locale.JA: "下書き", Locale.EN: "draft"},
    "faq_status_published": {Locale.JA: "公開", Locale.EN: "published"},
    "faq_status_retired": {Locale.JA: "廃止", Locale.EN: "retired"},
    "cli_faq_show_head": {
        Locale.JA: "FAQ {id}（{status}、第{version}版）",
        Locale.EN: "FAQ {id} ({status}, version {version})",
    },
    "cli_faq_show_question": {Locale.JA: "質問：{text}", Locale.EN: "Q: {text}"},
    "cli_faq_show_answer": {Locale.JA: "回答：{text}", Locale.EN: "A: {text}"},
    "cli_faq_show_tags": {Locale.JA: "タグ：{tags}", Locale.EN: "tags: {tags}"},
    "cli_faq_show_owner": {Locale.JA: "作成者：{owner}", Locale.EN: "owner: {owner}"},
    "cli_faq_show_verified": {
        Locale.JA: "確認：{date}（{name}）{due}",
        Locale.EN: "verified: {date} by {name}{due}",
    },
    "cli_faq_show_due": {Locale.JA: "　見直しの時期を過ぎています", Locale.EN: " — due for review"},
    "cli_faq_show_review": {
        Locale.JA: "見直しの間隔：{days}日、元のスレッド：{source}",
        Locale.EN: Plural(
            "review every {days} day; source: {source}", "review every {days} days; source: {source}", by="days"
        ),
    },
    "cli_faq_show_version": {
        Locale.JA: "  第{version}版 {at} {change}（{editor}）",
        Locale.EN: "  v{version} {at} {change} by {editor}",
    },
    "faq_change_created": {Locale.JA: "作成", Locale.EN: "created"},
    "faq_change_edited": {Locale.JA: "編集", Locale.EN: "edited"},
    "faq_change_published": {Locale.JA: "公開", Locale.EN: "published"},
    "faq_change_retired": {Locale.JA: "廃止", Locale.EN: "retired"},
    "faq_change_unpublished": {Locale.JA: "下書きに戻す", Locale.EN: "unpublished"},
    "faq_change_verified": {Locale.JA: "確認", Locale.EN: "verified"},
    "faq_change_imported": {Locale.JA: "CSV から取り込み", Locale.EN: "imported"},
    "cli_faq_exported": {
        Locale.JA: "FAQ {count}件を書き出しました",
        Locale.EN: Plural("exported {count} FAQ entry", "exported {count} FAQ entries"),
    },
    "cli_faq_exported_portable": {
        Locale.JA: "FAQ {count}件を、id なしで書き出しました（別の Yorozu に新しい FAQ として取り込めます）",
        Locale.EN: Plural(
            "exported {count} FAQ entry without ids (another Yorozu imports it as a new entry)",
            "exported {count} FAQ entries without ids (another Yorozu imports them as new entries)",
        ),
    },
    "cli_faq_imported": {
        Locale.JA: "{rows}行を取り込みました：新規 {created}件、更新 {updated}件、変更なし {unchanged}件",
        Locale.EN: Plural(
            "imported {rows} row: {created} new, {updated} updated, {unchanged} unchanged",
            "imported {rows} rows: {created} new, {updated} updated, {unchanged} unchanged",
            by="rows",
        ),
    },
    # insights
    "cli_insights_since": {Locale.JA: "{date} 以降", Locale.EN: "Since {date}"},
    "cli_insights_unanswered": {Locale.JA: "回答のない質問：{count}件", Locale.EN: "Unanswered questions: {count}"},
    "cli_insights_repeated": {
        Locale.JA: "3回以上たずねられた質問：{count}件",
        Locale.EN: "Asked three or more times: {count}",
    },
    "cli_insights_repeated_line": {
        Locale.JA: "  ×{count}  {title}（最新 {latest}）",
        Locale.EN: "  ×{count}  {title}  (latest {latest})",
    },
    "cli_insights_gaps": {
        Locale.JA: "知識の穴（Yorozu が答えられなかった質問）：{count}件",
        Locale.EN: "Knowledge gaps (Yorozu stayed silent): {count}",
    },
    "cli_insights_helpfulness": {
        Locale.JA: "役に立った割合：{rate}（解決した {solved}件、役に立たなかった {unhelpful}件、"
        "反応なし {unknown}件）",
        Locale.EN: "Helpfulness: {rate} solved ({solved} solved, {unhelpful} unhelpful, {unknown} without feedback)",
    },
    "cli_insights_review_due": {
        Locale.JA: "見直し時期の FAQ：{count}件",
        Locale.EN: "FAQ entries due for review: {count}",
    },
    "cli_insights_review_due_line": {
        Locale.JA: "  {id:>4}  {question}（{since} から）",
        Locale.EN: "  {id:>4}  {question}  (since {since})",
    },
    "cli_insights_review_queue": {
        Locale.JA: "確認待ち（役に立たなかった）：{count}件",
        Locale.EN: "Review queue (not helpful): {count}",
    },
    # people, roles, organisations
    "cli_optout": {
        Locale.JA: "{person} の名前を、今後どこにも表示しません",
        Locale.EN: "{person} is never named now",
    },
    "cli_optin": {Locale.JA: "{person} の名前を、再び表示します", Locale.EN: "{person} is named again"},
    "cli_roles_none": {
        Locale.JA: "役割はまだありません：YOROZU_ADMINS を設定するか、"
        "`yorozu role add admin slack:U123` を実行してください。",
        Locale.EN: "No roles yet: set YOROZU_ADMINS or run `yorozu role add admin slack:U123`.",
    },
    "cli_role_added": {
        Locale.JA: "{person} に {role} の役割を付けました",
        Locale.EN: "{person} now has the {role} role",
    },
    "cli_role_removed": {
        Locale.JA: "{person} から {role} の役割を外しました",
        Locale.EN: "{person} no longer has the {role} role",
    },
    "cli_unchanged": {Locale.JA: "（変更なし）", Locale.EN: " (unchanged)"},
    "cli_org_none": {
        Locale.JA: "組織のルールはまだありません：`yorozu org add email_domain city.kitayama.lg.jp 北山市`。",
        Locale.EN: "No organisation rules yet: `yorozu org add email_domain city.kitayama.lg.jp 北山市`.",
    },
    "cli_org_removed": {
        Locale.JA: "{value} の {kind} ルールを削除しました",
        Locale.EN: "removed the {kind} rule for {value}",
    },
    "cli_org_no_rule": {
        Locale.JA: "{value!r} の {kind} ルールはありません（`yorozu org list` で確認できます）",
        Locale.EN: "no {kind} rule for {value!r} (see `yorozu org list`)",
    },
    "cli_org_was": {Locale.JA: "（以前は {before}）", Locale.EN: " (was {before})"},
    "cli_org_kind": {
        Locale.JA: "KIND は {kinds} のどれかです（{kind!r} ではありません）",
        Locale.EN: "KIND is {kinds}, not {kind!r}",
    },
    "cli_org_value_empty": {Locale.JA: "VALUE が空です", Locale.EN: "VALUE is empty"},
    "cli_org_domain": {
        Locale.JA: "メールのドメインは city.kitayama.lg.jp のような形（@ より後ろ）です（{value!r} ではありません）",
        Locale.EN: "an e-mail domain looks like city.kitayama.lg.jp (the part after @), not {value!r}",
    },
    "cli_org_tenant": {
        Locale.JA: "Teams のテナント ID は 72f988bf-86f1-41af-91ab-2d7cd011db47 のような GUID です"
        "（{value!r} ではありません）",
        Locale.EN: "a Teams tenant id is a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, not {value!r}",
    },
    "cli_org_organization_empty": {Locale.JA: "ORGANIZATION が空です", Locale.EN: "ORGANIZATION is empty"},
    # --- errors: Japanese wording of the knowledge base's errors (their English is the error's own message) ---
    "error_not_found": {Locale.JA: "{what_ja} {id} はありません", Locale.EN: "no {what} {id}"},
    "error_embedder_mismatch": {
        Locale.JA: "この知識ベースは埋め込みモデル {stored!r} で索引を作りましたが、設定は {configured!r} です。"
        "`yorozu reindex` で、設定したモデルですべてのスレッドを埋め込み直してください"
        "（または元のモデルを設定し直してください）",
        Locale.EN: "the knowledge base was indexed with embedder {stored!r} but {configured!r} is configured; "
        "run `yorozu reindex` to re-embed every thread with the configured embedder "
        "(or configure the original embedder again)",
    },
    "error_question_empty": {Locale.JA: "質問が空です", Locale.EN: "the question is empty"},
    "error_data_dir_is_file": {
        Locale.JA: "データフォルダー {path} はフォルダーではなくファイルです。--data-dir（YOROZU_DATA_DIR）で"
        "フォルダーを指定してください",
        Locale.EN: "the data folder {path} is a file, not a folder: give a folder with --data-dir (YOROZU_DATA_DIR)",
    },
    "error_data_dir_cannot_create": {
        Locale.JA: "データフォルダー {path} を作れません（{reason}）。--data-dir（YOROZU_DATA_DIR）で"
        "書き込めるフォルダーを指定してください",
        Locale.EN: "cannot create the data folder {path} ({reason}): give a writable folder with --data-dir "
        "(YOROZU_DATA_DIR)",
    },
    "error_not_a_database": {
        Locale.JA: "{path} は Yorozu のデータベース（SQLite）ではないか、壊れています。別のファイルなら移動し、"
        "別の --data-dir を指定してください",
        Locale.EN: "{path} is not a Yorozu database (SQLite) or is damaged: move it away if it is another file, "
        "or give another --data-dir",
    },
    "error_no_such_path": {
        Locale.JA: "{path}：そのファイルもフォルダーもありません",
        Locale.EN: "{path}: no such file or folder",
    },
    "error_not_a_zip": {
        Locale.JA: "{path}：読める ZIP ファイルではありません（{reason}）。Slack のエクスポートの ZIP か"
        "そのフォルダーを指定してください",
        Locale.EN: "{path}: not a readable ZIP file ({reason}); give a Slack export ZIP or its folder",
    },
    "error_not_slack_export": {
        Locale.JA: "{path}：Slack のエクスポートではありません（いちばん上に channels.json がありません）",
        Locale.EN: "{path}: not a Slack export (no channels.json at its top)",
    },
    "error_setting_flag": {
        Locale.JA: "{name} は 1/0、true/false、yes/no、on/off のどれかにしてください（{value!r} ではありません）",
        Locale.EN: "{name} must be 1/0, true/false, yes/no or on/off, not {value!r}",
    },
    "error_setting_lang": {
        Locale.JA: "YOROZU_LANG は ja か en にしてください（{value!r} ではありません）",
        Locale.EN: "YOROZU_LANG must be ja or en, not {value!r}",
    },
    "error_local_bind": {
        Locale.JA: "ローカルモードはループバック（127.0.0.1、::1）にだけ接続を受けます（{host!r} は使えません）",
        Locale.EN: "local mode binds loopback only (127.0.0.1, ::1), not {host!r}",
    },
    "error_cannot_listen": {
        Locale.JA: "{host}:{port} で待ち受けられません：{reason}（--port で別のポートを指定できます）",
        Locale.EN: "cannot listen on {host}:{port}: {reason}",
    },
    "error_no_platform": {
        Locale.JA: "チャットのプラットフォームが設定されていません：MicrosoftAppId と MicrosoftAppPassword（Teams）か、"
        "SLACK_BOT_TOKEN と SLACK_SIGNING_SECRET（Slack）を設定してください。ウェブチャットを試すだけなら "
        "`yorozu serve --local` です",
        Locale.EN: "no chat platform is configured: set MicrosoftAppId/MicrosoftAppPassword (Teams) or "
        "SLACK_BOT_TOKEN/SLACK_SIGNING_SECRET (Slack), or run `yorozu serve --local` to try the web chat",
    },
    "error_package_publisher": {
        Locale.JA: "Teams のアプリパッケージには発行者の情報が必要です：{problems}",
        Locale.EN: "the Teams app package needs its publisher: {problems}",
    },
    "error_package_missing": {Locale.JA: "{where} がありません", Locale.EN: "{where} is missing"},
    "error_package_too_long": {
        Locale.JA: "{where} は{limit}文字までです（{count}文字あります）",
        Locale.EN: "{where} has at most {limit} characters, not {count}",
    },
    "error_package_not_https": {
        Locale.JA: "{where} は https:// で始まる URL にしてください（{value!r} ではありません）",
        Locale.EN: "{where} must be an https:// URL, not {value!r}",
    },
    "error_package_version": {
        Locale.JA: "--version は 1.0.0 のような3つの数字 x.y.z にしてください（Teams はほかの形を受け付けません。"
        "{value!r} ではありません）",
        Locale.EN: "--version must be three numbers x.y.z such as 1.0.0 (Teams refuses others), not {value!r}",
    },
    "error_package_app_id": {
        Locale.JA: "アプリ ID はボットの Microsoft App ID（GUID）にしてください（{value!r} ではありません）",
        Locale.EN: "the app id must be the bot's Microsoft App ID (a GUID), not {value!r}",
    },
    "error_sample_in_store": {
        Locale.JA: "このデータベースにはデモ用のサンプル（架空の青葉県のコミュニティ）が入っています。"
        "本番の提案に混ざらないよう、serve は起動しません。別の --data-dir を使うか、"
        "わかったうえで使うなら --allow-sample を付けてください",
        Locale.EN: "this database holds the demo's sample community (the fictional 青葉県): serve refuses it so "
        "that fictional threads never mix into real suggestions; use another --data-dir, or pass "
        "--allow-sample if you mean it",
    },
    # FAQ CSV
    "error_csv_rows": {
        Locale.JA: "{name}：何も取り込んでいません。問題のある行が{count}行あります：",
        Locale.EN: Plural("{name}: nothing imported, {count} bad row:", "{name}: nothing imported, {count} bad rows:"),
    },
    "error_rows": {
        Locale.JA: "何も取り込んでいません。問題のある行が{count}行あります：",
        Locale.EN: Plural("nothing imported, {count} bad row:", "nothing imported, {count} bad rows:"),
    },
    "error_csv_row": {Locale.JA: "{line}行目：{problem}", Locale.EN: "line {line}: {problem}"},
    "error_csv_more": {Locale.JA: "… ほか{count}行", Locale.EN: "… and {count} more"},
    "error_csv_unreadable": {Locale.JA: "{path} を読めません：{reason}", Locale.EN: "cannot read {path}: {reason}"},
    "error_csv_unwritable": {
        Locale.JA: "{path} に書き込めません：{reason}",
        Locale.EN: "cannot write {path}: {reason}",
    },
    "error_csv_too_large": {
        Locale.JA: "{path} が {mb} MB を超えています",
        Locale.EN: "{path} is larger than {mb} MB",
    },
    "error_csv_not_utf8": {
        Locale.JA: "{path} は UTF-8 ではありません（{byte}バイト目）。Excel の［ファイル］→［名前を付けて保存］で、"
        "ファイルの種類に「CSV UTF-8（コンマ区切り）」を選んで保存し直してください",
        Locale.EN: "{path} is not UTF-8 (byte {byte}): in Excel, File → Save As, file type "
        "'CSV UTF-8 (Comma delimited)' (Japanese Excel: 「CSV UTF-8（コンマ区切り）」), then import again",
    },
    "error_csv_shift_jis": {
        Locale.JA: "{path} は Shift_JIS（Excel の「CSV（コンマ区切り）」）で保存されています。Excel の"
        "［ファイル］→［名前を付けて保存］で、ファイルの種類に「CSV UTF-8（コンマ区切り）」を選んで"
        "保存し直してください",
        Locale.EN: "{path} is saved as Shift_JIS (Excel's plain 'CSV (Comma delimited)'): in Excel, File → Save As, "
        "file type 'CSV UTF-8 (Comma delimited)' (Japanese Excel: 「CSV UTF-8（コンマ区切り）」), then import again",
    },
    "error_csv_empty": {
        Locale.JA: "{name} は空です。1行目は見出し {header} にしてください",
        Locale.EN: "{name} is empty: the first line must be the header {header}",
    },
    "error_csv_header": {
        Locale.JA: "{name}：1行目：{problems}（見出しは {header}）",
        Locale.EN: "{name}: line 1: {problems} (the header is {header})",
    },
    "error_csv_unknown_columns": {
        Locale.JA: "知らない列 {columns}",
        Locale.EN: Plural("unknown column {columns}", "unknown columns {columns}"),
    },
    "error_csv_missing_columns": {
        Locale.JA: "必要な列 {columns} がありません",
        Locale.EN: Plural("missing column {columns}", "missing columns {columns}"),
    },
    "error_csv_repeated_columns": {
        Locale.JA: "列 {columns} が重複しています",
        Locale.EN: Plural("repeated column {columns}", "repeated columns {columns}"),
    },
    "error_csv_quote_unclosed": {
        Locale.JA: '引用符の誤り：この行で開いた " が閉じられていません（ファイルの最後までが1つのセルになります）。'
        'セルの中の " は "" と2つ重ねてください',
        Locale.EN: 'quote error: a " opened on this line is never closed (the rest of the file would be one cell); '
        'write a " inside a cell as ""',
    },
    "error_csv_quote_stray": {
        Locale.JA: '引用符の誤り：閉じた " の後に文字があります（{detail}）。セルの中の " は "" と2つ重ねてください',
        Locale.EN: 'quote error: text after a closing " ({detail}); write a " inside a cell as ""',
    },
    "error_csv_cells": {
        Locale.JA: "セルが{cells}個ありますが、見出しは{columns}列です",
        Locale.EN: Plural(
            "{cells} cell, the header has {columns}", "{cells} cells, the header has {columns}", by="cells"
        ),
    },
    "error_csv_cells_quote": {
        Locale.JA: 'セルが{cells}個ありますが、見出しは{columns}列です（引用符 " の閉じ忘れかもしれません）',
        Locale.EN: Plural(
            '{cells} cell, the header has {columns} (perhaps a quote " is not closed)',
            '{cells} cells, the header has {columns} (perhaps a quote " is not closed)',
            by="cells",
        ),
    },
    "error_csv_duplicate_id": {
        Locale.JA: "id {id} は{first}行目にもあります",
        Locale.EN: "id {id} already appears on line {first}",
    },
    "error_csv_unknown_ids": {
        Locale.JA: "この id の FAQ はここにはありません。別の Yorozu から書き出したファイルなら、id 列を空にするか、"
        "`yorozu faq export --portable` で書き出し直すと、新しい FAQ として取り込めます",
        Locale.EN: "no FAQ entry here has these ids: if the file comes from another Yorozu, clear the id column "
        "(or export it with `yorozu faq export --portable`) to import the rows as new entries",
    },
    "error_field_empty": {Locale.JA: "{field_ja}が空です", Locale.EN: "{field} is empty"},
    "error_id_number": {
        Locale.JA: "id は数字か空欄にしてください（{value!r} ではありません）",
        Locale.EN: "id must be a number or empty, not {value!r}",
    },
    "error_id_positive": {
        Locale.JA: "id は1以上にしてください（{value} ではありません）",
        Locale.EN: "id must be positive, not {value}",
    },
    "error_status": {
        Locale.JA: "status は draft、published、retired のどれかにしてください（{value!r} ではありません）",
        Locale.EN: "status must be draft, published or retired, not {value!r}",
    },
    "error_interval_number": {
        Locale.JA: "review_interval_days は整数にしてください（{value!r} ではありません）",
        Locale.EN: "review_interval_days must be a whole number, not {value!r}",
    },
    "error_interval_range": {
        Locale.JA: "review_interval_days は1から3650までにしてください（{value} ではありません）",
        Locale.EN: "review_interval_days must be between 1 and 3650, not {value}",
    },
    "error_date": {
        Locale.JA: "{field} は 2026-09-30、2026/9/30、R8.9.30、令和8年9月30日 のような日付にしてください"
        "（{value!r} ではありません）",
        Locale.EN: "{field} must be a date like 2026-09-30, 2026/9/30, R8.9.30 or 令和8年9月30日, not {value!r}",
    },
    "error_too_many_tags": {
        Locale.JA: "タグは{limit}個までです（{count}個あります）",
        Locale.EN: "at most {limit} tags, not {count}",
    },
    "error_thread_key": {
        Locale.JA: "スレッドの指定は platform:channel:root の形です（例 slack:C0123:1712345678.000100。"
        "{value!r} ではありません）",
        Locale.EN: "not a thread reference (platform:channel:root): {value!r}",
    },
    "error_text_too_long": {
        Locale.JA: "{field_ja}が長すぎます（{limit}文字まで）",
        Locale.EN: "the FAQ {field} is longer than {limit} characters",
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
    """The text ``key`` in ``locale`` with ``params`` filled in (a :class:`Plural` picks its form)."""
    entry = TEXTS[key][locale]
    if isinstance(entry, Plural):
        # Replies carry their parameters as text ({"count": "1"}), the CLI as numbers.
        entry = entry.one if str(params[entry.by]) == "1" else entry.other
    return entry.format(**params)


# Japanese for the words knowledge errors put into their messages (NotFound's ``what``, a field's name).
_WORDS_JA = {
    "FAQ entry": "FAQ",
    "thread": "スレッド",
    "open review item": "未処理の確認項目",
    "question": "質問",
    "answer": "回答",
}
# How many bad rows an error lists (it says how many more there are).
ROWS_SHOWN = 50


def error_text(exc: BaseException, locale: Locale) -> str:
    """An error for a person, in ``locale``: the catalogue's text when the error names one (a ``key``), else
    the error's own (English) message."""
    key: str | None = getattr(exc, "key", None)
    if not key or key not in TEXTS:
        return str(exc)
    params: dict[str, object] = dict(getattr(exc, "params", {}))
    rows: tuple[tuple[int, BaseException], ...] = getattr(exc, "rows", ())
    if key == "error_csv_rows":
        name = getattr(exc, "name", "") or params.get("name")
        head = (
            text("error_csv_rows", locale, name=name, count=len(rows))
            if name
            else text("error_rows", locale, count=len(rows))
        )
        lines = [head]
        lines += [
            text("error_csv_row", locale, line=line, problem=error_text(problem, locale))
            for line, problem in rows[:ROWS_SHOWN]
        ]
        if len(rows) > ROWS_SHOWN:
            lines.append(text("error_csv_more", locale, count=len(rows) - ROWS_SHOWN))
        if params.get("unknown_ids"):
            lines.append(text("error_csv_unknown_ids", locale))
        return "\n".join(lines)
    problems = params.get("problems")
    if isinstance(problems, list | tuple):  # an error made of several, each worded on its own
        params["problems"] = ("、" if locale == Locale.JA else "; ").join(error_text(p, locale) for p in problems)
    for word in ("what", "field"):
        if word in params:
            params[f"{word}_ja"] = _WORDS_JA.get(str(params[word]), params[word])
    try:
        return text(key, locale, **params)
    except (KeyError, IndexError, ValueError):  # an error raised without every parameter its text names
        return str(exc)
