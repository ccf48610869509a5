"""What Yorozu says in Japanese, the default language: one text per message key (``bot.messages``)."""

from __future__ import annotations

TEXTS_JA: dict[str, str] = {
    "suggestions_intro": "過去のスレッドに、この質問の答えがあるかもしれません。",
    "suggestions_none": "関連する過去のスレッドは見つかりませんでした。チャンネルで質問してみてください。",
    "match_same": "この質問と同じ内容のようです",
    "match_related": "関連しそうなスレッド",
    "faq": "FAQ",
    "accepted": "解決済み",
    "answered_by": "回答",
    "asked_on": "質問日",
    "open_thread": "元のスレッドを開く",
    "button_solved": "解決した",
    "button_unhelpful": "役に立たなかった",
    "feedback_solved": "{name}さんが「解決した」と記録しました。ありがとうございます！",
    "feedback_unhelpful": "{name}さんが「役に立たなかった」と記録しました。専門家が確認します。",
    "experts_intro": "「{topic}」について答えたことのある人：",
    "experts_none": "「{topic}」に答えた人はまだ見つかりません。",
    "expert_line": "このテーマで{answers}件回答{accepted}、最新 {latest}",
    "expert_accepted": "（うち解決{count}件）",
    "help": (
        "Yorozu（よろず）は、過去のスレッドから答えと、答えてくれた人を探します。\n"
        "・質問をそのまま書く：似た過去のスレッドを探します\n"
        "・who <テーマ>：そのテーマに詳しい人を探します\n"
        "・subscribe <テーマ>：そのテーマの質問が専門家に送られたときや回答がないときに通知を受ける"
        "（unsubscribe で解除）\n"
        "・optout / optin：自分の名前を提案や一覧に出さない／また出す\n"
        "・off / on：このチャンネルでの自動の提案を止める／再開する\n"
        "・help：この説明"
    ),
    "optout_done": (
        "今後、あなたの名前は提案・詳しい人の一覧・FAQ・フォローアップのどこにも表示しません。optin で元に戻せます。"
    ),
    "optin_done": "あなたの名前を、回答者として再び表示します。",
    "subscribe_done": "「{topic}」の質問が専門家チャンネルに届いたときと、回答のないままのときに、あなたに通知します。",
    "subscribe_already": "「{topic}」はすでに通知を受ける設定です。",
    "subscribe_invalid": "テーマは200文字以内で書いてください。",
    "subscriptions_list": "通知を受けるテーマ：{topics}",
    "subscriptions_none": "通知を受けるテーマはまだありません。subscribe <テーマ> で登録できます。",
    "unsubscribe_done": "{count}件のテーマの通知を解除しました。",
    "unsubscribe_none": "解除する通知はありませんでした。",
    "person_unknown": "すみません、あなたが誰か分かりませんでした。",
    # --- FAQ entries in suggestions ---
    "faq_verified": "確認：{name}（{date}）",
    "faq_verified_unnamed": "確認済み（{date}）",
    "faq_unverified": "未確認",
    "faq_review_due": "⚠ 見直しの時期を過ぎています",
    # --- 専門家に聞く ---
    "button_ask_expert": "専門家に聞く",
    "ask_expert_sent": "{name}さんが専門家チャンネルに質問を送りました。",
    "ask_expert_not_configured": "専門家チャンネルがまだ設定されていません。管理者にお問い合わせください。",
    "ask_expert_private": "非公開チャンネルの質問は、質問した本人だけが専門家チャンネルに送れます。",
    "expert_post_intro": "専門家の皆さん、{asker}さんからの質問です。",
    "expert_post_intro_unnamed": "専門家の皆さん、次の質問に答えていただけませんか。",
    "expert_post_where": "#{channel} での質問",
    "expert_post_pings": "このテーマの通知を希望している方：{mentions}",
    # --- follow-ups for unanswered questions ---
    "followup_intro": "この質問にはまだ返信がありません。似た質問に答えたことのある方：",
    "followup_named_only": "（お名前を紹介しているだけで、通知はしていません）",
    # --- FAQにする (Teams message action, Slack message shortcut) ---
    "button_make_faq": "FAQにする",
    "faq_dialog_title": "FAQにする",
    "faq_field_question": "質問",
    "faq_field_answer": "回答",
    "faq_field_tags": "タグ（; 区切り）",
    "faq_field_publish": "すぐに公開する（確認者として記録）",
    "faq_submit": "保存",
    "faq_cancel": "キャンセル",
    "faq_saved_draft": "FAQ {id} を下書きとして保存しました。同じ操作で、いつでも編集・公開できます。",
    "faq_saved_published": "FAQ {id} を公開しました。似た質問には、この FAQ が最初に提案されます。",
    "faq_not_allowed": "FAQ にできるのは管理者と専門家だけです。",
    "faq_question_required": "質問を書いてください。",
    "faq_answer_required": "回答を書いてください。",
    "faq_invalid": "保存できませんでした：{reason}",
    "auto_on": "このチャンネルの新しい質問に、過去のスレッドを自動で提案します。",
    "auto_off": "このチャンネルでの自動の提案を止めました。直接たずねられたときは答えます。",
    "switch_needs_channel": "on / off はチャンネルの中で使ってください。",
    "button_share": "チャンネルに共有",
    "error": "すみません、うまく処理できませんでした。少し待ってからもう一度お試しください。",
    # --- added with the Slack curation UI (modal, 専門家に聞く, follow-ups) ---
    "close": "閉じる",
    "faq_field_status": "公開",
    "faq_editing": "このスレッドはすでに FAQ {id} です。保存すると、その FAQ を更新します。",
    "faq_thread_missing": "このスレッドは見つかりませんでした。削除された可能性があります。",
    "feedback_solved_unnamed": "「解決した」と記録しました。ありがとうございます！",
    "feedback_unhelpful_unnamed": "「役に立たなかった」と記録しました。専門家が確認します。",
    "ask_expert_done": "専門家チャンネルに質問を送りました。",
    "ask_expert_already": "この質問はすでに専門家チャンネルに送られています。",
    "ask_expert_failed": (
        "専門家チャンネルに投稿できませんでした。Yorozu がそのチャンネルに招待されているか、管理者に確認してください。"
    ),
    "ask_expert_empty": "送る質問がありません。質問を書いてから、もう一度お試しください。",
    # 専門家に聞く in the web chat: the platforms whose specialists' channel it was posted in (Slack、Teams).
    "ask_expert_web_sent": "専門家チャンネル（{platforms}）に質問を送りました。",
    "ask_expert_web_unreachable": (
        "専門家チャンネル（{platforms}）にはまだ投稿できません。Yorozu がそのチャンネルのメッセージを一度受け取ると"
        "投稿できるようになります。管理者にお問い合わせください。"
    ),
    # The web chat's API refusing a request (4xx), as the page shows it.
    "web_send_json": "JSON で送ってください（Content-Type: application/json）。",
    "web_bad_json": "送られた内容を JSON のオブジェクトとして読めませんでした。",
    "web_question_too_long": "質問が長すぎます。{max}文字以内で書いてください。",
    "web_bad_visitor": "visitor は 8〜64 文字の英数字、「-」、「_」で書いてください。",
    "web_bad_question_id": "question_id には /api/ask が返した id を入れてください。",
    "web_empty_field": "{field} を入力してください。",
    "web_bad_thread_key": "key には platform:channel:root の形でスレッドを指定してください。",
    "web_no_thread": "そのスレッドはありません（削除されたのかもしれません）。",
    "web_no_faq": "公開中の FAQ {id} はありません。",
    "web_bad_verdict": "verdict は {verdicts} のどれかです。",
    "web_cross_site": "ほかのサイトからの送信は受け付けません。",
    "followup_unanswered": "この質問にはまだ返信がありません。",
    # --- the command line (`yorozu ...`): human-readable output; --json output is never translated ---
    # Counted nouns, composed into the sentences below.
    "n_day_files": "{count}日分",
    "n_channels": "{count}チャンネル",
    "n_people": "{count}人",
    "n_messages": "メッセージ{count}件",
    "n_replies": "うち返信{count}件",
    "n_reactions": "リアクション{count}件",
    "n_files": "添付ファイル{count}件",
    "n_deleted": "削除済み{count}件",
    "n_graph_files": "ファイル{count}個",
    "cli_import_read": "読み込み：{days}、{channels}、{people}、{messages}（{replies}）、{reactions}、{files}",
    "cli_import_read_graph": "読み込み：{files}、{channels}、{messages}（{replies}）、{deleted}、{reactions}、{people}",
    "cli_import_skipped": "取り込まなかったメッセージ {count}件：{reasons}",
    "cli_import_unlisted": "エクスポートのチャンネル一覧にないフォルダー：{folders}",
    "cli_stored": "保存：新規・変更 {changed}件、登録済み {unchanged}件（何度実行しても安全です）",
    "cli_backfill_slack": (
        "{channels}、{messages}を読み込み（新規・変更 {changed}件、登録済み {known}件）、{people}、スキップ {skipped}件"
    ),
    "cli_backfill_again": "何度実行しても安全です：保存済みのメッセージはそのままです",
    "cli_backfill_page": "[{n}/{total}] {channel}：{page}ページ目、これまでに{messages}",
    "cli_progress_files": "ファイル",
    "cli_progress_day_files": "日ごとのファイル",
    "cli_indexing": "索引を作成しています…",
    "cli_ask_usage": "質問（QUESTION）か --stdin のどちらか一方を指定してください（give a QUESTION or --stdin）",
    "cli_ask_limit": "--limit は1から20までにしてください",
    "cli_ask_none": "関連する過去のスレッドは見つかりませんでした。",
    # How sure a suggestion is (its calibrated confidence against the channel's operating point).
    "cli_close_match": "［同じ内容のようです］",
    "cli_related": "［関連しそうなスレッド］",
    "cli_answered_by": "回答：{people}",
    "cli_who_none": "「{topic}」に答えた人はまだ見つかりません。",
    "cli_reindexed": "{count}件のスレッドを {model} で埋め込み直しました",
    "cli_stats_channels": "チャンネル",
    "cli_stats_people": "人",
    "cli_stats_threads": "スレッド",
    "cli_stats_questions": "質問",
    "cli_stats_answered": "回答あり",
    "cli_stats_accepted": "解決済み",
    "cli_stats_messages": "メッセージ",
    "cli_stats_indexed": "索引済み",
    "cli_stats_pending": "索引待ち",
    "cli_stats_embedder": "埋め込みモデル",
    "cli_evaluate_head": "質問 {queries}件、文書 {documents}件、埋め込みモデル {embedder}",
    "n_queries": "{count}",
    "n_documents": "{count}",
    "cli_team_id_required": "yorozu backfill teams：--team-id（チームの Entra グループ ID）を指定してください",
    "cli_manifest_written": (
        "{out} を作成しました。Teams の［アプリ］→［アプリを管理］→［アプリをアップロード］でアップロードしてください"
    ),
    "cli_ready_endpoints": "Yorozu の準備ができました（http://{host}:{port}）：{endpoints}（Ctrl-C で終了）",
    "cli_ready": "Yorozu の準備ができました：http://{host}:{port}/ を開いてください（Ctrl-C で終了）",
    "cli_worker_running": "Yorozu のワーカーが動いています（Ctrl-C で終了）",
    "cli_demo_folder": "デモのデータは {path} に置きます（本番のデータフォルダーとは別です）",
    # FAQ entries
    "cli_faq_none": "FAQ はまだありません。",
    "cli_faq_review_due": "［見直し時期］",
    "cli_faq_verified": "確認 {date}（{name}）",
    "cli_faq_verified_unnamed": "確認 {date}",
    "cli_faq_unverified": "未確認",
    "faq_status_draft": "下書き",
    "faq_status_published": "公開",
    "faq_status_retired": "廃止",
    "cli_faq_show_head": "FAQ {id}（{status}、第{version}版）",
    "cli_faq_show_question": "質問：{text}",
    "cli_faq_show_answer": "回答：{text}",
    "cli_faq_show_tags": "タグ：{tags}",
    "cli_faq_show_owner": "作成者：{owner}",
    "cli_faq_show_verified": "確認：{date}（{name}）{due}",
    "cli_faq_show_due": "　見直しの時期を過ぎています",
    "cli_faq_show_review": "見直しの間隔：{days}日、元のスレッド：{source}",
    "cli_faq_show_version": "  第{version}版 {at} {change}（{editor}）",
    "faq_change_created": "作成",
    "faq_change_edited": "編集",
    "faq_change_published": "公開",
    "faq_change_retired": "廃止",
    "faq_change_unpublished": "下書きに戻す",
    "faq_change_verified": "確認",
    "faq_change_imported": "CSV から取り込み",
    "cli_faq_exported": "FAQ {count}件を書き出しました",
    "cli_faq_exported_portable": (
        "FAQ {count}件を、id なしで書き出しました（別の Yorozu に新しい FAQ として取り込めます）"
    ),
    "cli_faq_imported": "{rows}行を取り込みました：新規 {created}件、更新 {updated}件、変更なし {unchanged}件",
    # insights
    "cli_insights_since": "{date} 以降",
    "cli_insights_unanswered": "回答のない質問：{count}件",
    "cli_insights_repeated": "3回以上たずねられた質問：{count}件",
    "cli_insights_repeated_line": "  ×{count}  {title}（最新 {latest}）",
    "cli_insights_gaps": "知識の穴（Yorozu が答えられなかった質問）：{count}件",
    "cli_insights_helpfulness": (
        "役に立った割合：{rate}（解決した {solved}件、役に立たなかった {unhelpful}件、反応なし {unknown}件）"
    ),
    "cli_insights_review_due": "見直し時期の FAQ：{count}件",
    "cli_insights_review_due_line": "  {id:>4}  {question}（{since} から）",
    "cli_insights_review_queue": "確認待ち（役に立たなかった）：{count}件",
    # people, roles, organisations
    "cli_optout": "{person} の名前を、今後どこにも表示しません",
    "cli_optin": "{person} の名前を、再び表示します",
    "cli_roles_none": (
        "役割はまだありません：YOROZU_ADMINS を設定するか、`yorozu role add admin slack:U123` を実行してください。"
    ),
    "cli_role_added": "{person} に {role} の役割を付けました",
    "cli_role_removed": "{person} から {role} の役割を外しました",
    "cli_unchanged": "（変更なし）",
    "cli_org_none": "組織のルールはまだありません：`yorozu org add email_domain city.kitayama.lg.jp 北山市`。",
    "cli_org_removed": "{value} の {kind} ルールを削除しました",
    "cli_org_no_rule": "{value!r} の {kind} ルールはありません（`yorozu org list` で確認できます）",
    "cli_org_was": "（以前は {before}）",
    "cli_org_kind": "KIND は {kinds} のどれかです（{kind!r} ではありません）",
    "cli_org_value_empty": "VALUE が空です",
    "cli_org_domain": "メールのドメインは city.kitayama.lg.jp のような形（@ より後ろ）です（{value!r} ではありません）",
    "cli_org_tenant": (
        "Teams のテナント ID は 72f988bf-86f1-41af-91ab-2d7cd011db47 のような GUID です（{value!r} ではありません）"
    ),
    "cli_org_organization_empty": "ORGANIZATION が空です",
    # --- errors: Japanese wording of the knowledge base's errors (their English is the error's own message) ---
    "error_not_found": "{what_ja} {id} はありません",
    "error_embedder_mismatch": (
        "この知識ベースは埋め込みモデル {stored!r} で索引を作りましたが、設定は {configured!r} です。"
        "`yorozu reindex` で、設定したモデルですべてのスレッドを埋め込み直してください"
        "（または元のモデルを設定し直してください）"
    ),
    "error_question_empty": "質問が空です",
    "error_data_dir_is_file": (
        "データフォルダー {path} はフォルダーではなくファイルです。--data-dir（YOROZU_DATA_DIR）で"
        "フォルダーを指定してください"
    ),
    "error_data_dir_cannot_create": (
        "データフォルダー {path} を作れません（{reason}）。--data-dir（YOROZU_DATA_DIR）で"
        "書き込めるフォルダーを指定してください"
    ),
    "error_not_a_database": (
        "{path} は Yorozu のデータベース（SQLite）ではないか、壊れています。別のファイルなら移動し、"
        "別の --data-dir を指定してください"
    ),
    "error_no_such_path": "{path}：そのファイルもフォルダーもありません",
    "error_not_a_zip": (
        "{path}：読める ZIP ファイルではありません（{reason}）。Slack のエクスポートの ZIP か"
        "そのフォルダーを指定してください"
    ),
    "error_not_slack_export": "{path}：Slack のエクスポートではありません（いちばん上に channels.json がありません）",
    "error_setting_flag": (
        "{name} は 1/0、true/false、yes/no、on/off のどれかにしてください（{value!r} ではありません）"
    ),
    "error_setting_lang": "YOROZU_LANG は ja か en にしてください（{value!r} ではありません）",
    "error_local_bind": "ローカルモードはループバック（127.0.0.1、::1）にだけ接続を受けます（{host!r} は使えません）",
    "error_cannot_listen": "{host}:{port} で待ち受けられません：{reason}（--port で別のポートを指定できます）",
    "error_no_platform": (
        "チャットのプラットフォームが設定されていません：MicrosoftAppId と MicrosoftAppPassword（Teams）か、"
        "SLACK_BOT_TOKEN と SLACK_SIGNING_SECRET（Slack）を設定してください。ウェブチャットを試すだけなら "
        "`yorozu serve --local` です"
    ),
    "error_package_publisher": "Teams のアプリパッケージには発行者の情報が必要です：{problems}",
    "error_package_missing": "{where} がありません",
    "error_package_too_long": "{where} は{limit}文字までです（{count}文字あります）",
    "error_package_not_https": "{where} は https:// で始まる URL にしてください（{value!r} ではありません）",
    "error_package_version": (
        "--version は 1.0.0 のような3つの数字 x.y.z にしてください（Teams はほかの形を受け付けません。"
        "{value!r} ではありません）"
    ),
    "error_package_app_id": "アプリ ID はボットの Microsoft App ID（GUID）にしてください（{value!r} ではありません）",
    "error_sample_in_store": (
        "このデータベースにはデモ用のサンプル（架空の青葉県のコミュニティ）が入っています。"
        "本番の提案に混ざらないよう、serve は起動しません。別の --data-dir を使うか、"
        "わかったうえで使うなら --allow-sample を付けてください"
    ),
    # FAQ CSV
    "error_csv_rows": "{name}：何も取り込んでいません。問題のある行が{count}行あります：",
    "error_rows": "何も取り込んでいません。問題のある行が{count}行あります：",
    "error_csv_row": "{line}行目：{problem}",
    "error_csv_more": "… ほか{count}行",
    "error_csv_unreadable": "{path} を読めません：{reason}",
    "error_csv_unwritable": "{path} に書き込めません：{reason}",
    "error_csv_too_large": "{path} が {mb} MB を超えています",
    "error_csv_not_utf8": (
        "{path} は UTF-8 ではありません（{byte}バイト目）。Excel の［ファイル］→［名前を付けて保存］で、"
        "ファイルの種類に「CSV UTF-8（コンマ区切り）」を選んで保存し直してください"
    ),
    "error_csv_shift_jis": (
        "{path} は Shift_JIS（Excel の「CSV（コンマ区切り）」）で保存されています。Excel の"
        "［ファイル］→［名前を付けて保存］で、ファイルの種類に「CSV UTF-8（コンマ区切り）」を選んで"
        "保存し直してください"
    ),
    "error_csv_empty": "{name} は空です。1行目は見出し {header} にしてください",
    "error_csv_header": "{name}：1行目：{problems}（見出しは {header}）",
    "error_csv_unknown_columns": "知らない列 {columns}",
    "error_csv_missing_columns": "必要な列 {columns} がありません",
    "error_csv_repeated_columns": "列 {columns} が重複しています",
    "error_csv_quote_unclosed": (
        '引用符の誤り：この行で開いた " が閉じられていません（ファイルの最後までが1つのセルになります）。'
        'セルの中の " は "" と2つ重ねてください'
    ),
    "error_csv_quote_stray": (
        '引用符の誤り：閉じた " の後に文字があります（{detail}）。セルの中の " は "" と2つ重ねてください'
    ),
    "error_csv_cells": "セルが{cells}個ありますが、見出しは{columns}列です",
    "error_csv_cells_quote": 'セルが{cells}個ありますが、見出しは{columns}列です（引用符 " の閉じ忘れかもしれません）',
    "error_csv_duplicate_id": "id {id} は{first}行目にもあります",
    "error_csv_unknown_ids": (
        "この id の FAQ はここにはありません。別の Yorozu から書き出したファイルなら、id 列を空にするか、"
        "`yorozu faq export --portable` で書き出し直すと、新しい FAQ として取り込めます"
    ),
    "error_field_empty": "{field_ja}が空です",
    "error_id_number": "id は数字か空欄にしてください（{value!r} ではありません）",
    "error_id_positive": "id は1以上にしてください（{value} ではありません）",
    "error_status": "status は draft、published、retired のどれかにしてください（{value!r} ではありません）",
    "error_interval_number": "review_interval_days は整数にしてください（{value!r} ではありません）",
    "error_interval_range": "review_interval_days は1から3650までにしてください（{value} ではありません）",
    "error_date": (
        "{field} は 2026-09-30、2026/9/30、R8.9.30、令和8年9月30日 のような日付にしてください"
        "（{value!r} ではありません）"
    ),
    "error_too_many_tags": "タグは{limit}個までです（{count}個あります）",
    "error_thread_key": (
        "スレッドの指定は platform:channel:root の形です（例 slack:C0123:1712345678.000100。{value!r} ではありません）"
    ),
    "error_text_too_long": "{field_ja}が長すぎます（{limit}文字まで）",
    # --- the welcome when the Teams app is installed in a team, a group chat or a personal chat ---
    "welcome": (
        "Yorozu（よろず）です。質問に似た過去のスレッドと、答えてくれた人をお知らせします。\n"
        "チームでは、リソース固有の同意（RSC）で許可されたチャンネルの投稿を読んで、質問と回答を蓄積します。\n"
        "使い方は help と送ってください（チャンネルでは @Yorozu help）。"
    ),
}
