"""What Yorozu says in English (for English locales): one text per message key, the same keys as
``bot.messages.ja``; a text that counts something is a :class:`Plural` ("1 answer", "2 answers")."""

from __future__ import annotations

from bot.messages.plural import Plural

TEXTS_EN: dict[str, str | Plural] = {
    "suggestions_intro": "These past threads may answer this question.",
    "suggestions_none": "No past thread relates to this. Try asking in a channel.",
    "match_same": "Looks like the same question",
    "match_related": "Possibly related",
    "faq": "FAQ",
    "accepted": "Solved",
    "answered_by": "Answered by",
    "asked_on": "Asked",
    "open_thread": "Open the thread",
    "button_solved": "Solved it",
    "button_unhelpful": "Not helpful",
    "feedback_solved": "{name} marked this as solved. Thank you!",
    "feedback_unhelpful": "{name} marked this as not helpful. A specialist will review it.",
    "experts_intro": "People who have answered questions about “{topic}”:",
    "experts_none": "Nobody has answered questions about “{topic}” yet.",
    "expert_line": Plural(
        "{answers} answer on this topic{accepted}, latest {latest}",
        "{answers} answers on this topic{accepted}, latest {latest}",
        by="answers",
    ),
    "expert_accepted": " ({count} accepted)",
    "help": (
        "Yorozu finds past answers in this community, and the people who gave them.\n"
        "• Type a question: I look for similar past threads\n"
        "• who <topic>: people who have answered questions on the topic\n"
        "• subscribe <topic>: be notified when a question on the topic is sent to the specialists or stays "
        "unanswered (unsubscribe to stop)\n"
        "• optout / optin: never show my name in suggestions and lists / show it again\n"
        "• off / on: stop or resume automatic suggestions in this channel\n"
        "• help: this text"
    ),
    "optout_done": (
        "Your name will no longer appear anywhere: suggestions, people lists, FAQ entries, follow-ups. "
        "optin undoes this."
    ),
    "optin_done": "Your name will be shown again with your answers.",
    "subscribe_done": (
        "I will notify you when a question about “{topic}” is sent to the specialists or stays unanswered."
    ),
    "subscribe_already": "You are already notified about “{topic}”.",
    "subscribe_invalid": "A topic needs 1 to 200 characters.",
    "subscriptions_list": "You are notified about: {topics}",
    "subscriptions_none": "You are not notified about any topic yet. subscribe <topic> adds one.",
    "unsubscribe_done": Plural("Stopped notifications for {count} topic.", "Stopped notifications for {count} topics."),
    "unsubscribe_none": "There was no such notification to stop.",
    "person_unknown": "Sorry, I could not tell who you are.",
    # --- FAQ entries in suggestions ---
    "faq_verified": "Verified by {name} on {date}",
    "faq_verified_unnamed": "Verified on {date}",
    "faq_unverified": "Not verified yet",
    "faq_review_due": "⚠ Due for review",
    # --- 専門家に聞く ---
    "button_ask_expert": "Ask an expert",
    "ask_expert_sent": "{name} sent this question to the specialists' channel.",
    "ask_expert_not_configured": "No specialists' channel is configured yet. Please ask an administrator.",
    "ask_expert_private": (
        "A question from a private channel can be sent to the specialists only by the person who asked it."
    ),
    "expert_post_intro": "Specialists, a question from {asker}:",
    "expert_post_intro_unnamed": "Specialists, can you answer this question?",
    "expert_post_where": "Asked in #{channel}",
    "expert_post_pings": "Subscribed to this topic: {mentions}",
    # --- follow-ups for unanswered questions ---
    "followup_intro": "Nobody has replied to this question yet. People who answered similar questions:",
    "followup_named_only": "(named here only; they were not notified)",
    # --- FAQにする (Teams message action, Slack message shortcut) ---
    "button_make_faq": "Make an FAQ entry",
    "faq_dialog_title": "Make an FAQ entry",
    "faq_field_question": "Question",
    "faq_field_answer": "Answer",
    "faq_field_tags": "Tags (separated by ;)",
    "faq_field_publish": "Publish now (recorded as verified by me)",
    "faq_submit": "Save",
    "faq_cancel": "Cancel",
    "faq_saved_draft": "Saved FAQ entry {id} as a draft; the same action edits or publishes it later.",
    "faq_saved_published": "Published FAQ entry {id}. Similar questions now get it first.",
    "faq_not_allowed": "Only admins and specialists can make FAQ entries.",
    "faq_question_required": "The question is empty.",
    "faq_answer_required": "The answer is empty.",
    "faq_invalid": "Could not save: {reason}",
    "auto_on": "I will suggest past threads for new questions in this channel.",
    "auto_off": "Automatic suggestions are off in this channel. I still answer when asked directly.",
    "switch_needs_channel": "Use on / off inside a channel.",
    "button_share": "Share in channel",
    "error": "Sorry, something went wrong. Please try again in a moment.",
    # --- added with the Slack curation UI (modal, 専門家に聞く, follow-ups) ---
    "close": "Close",
    "faq_field_status": "Publishing",
    "faq_editing": "This thread is already FAQ entry {id}; saving updates that entry.",
    "faq_thread_missing": "This thread could not be found; it may have been deleted.",
    "feedback_solved_unnamed": "Marked as solved. Thank you!",
    "feedback_unhelpful_unnamed": "Marked as not helpful. A specialist will review it.",
    "ask_expert_done": "Your question was sent to the specialists' channel.",
    "ask_expert_already": "This question has already been sent to the specialists' channel.",
    "ask_expert_failed": (
        "Could not post in the specialists' channel. Please ask an administrator to invite Yorozu there."
    ),
    "ask_expert_empty": "There is no question to send. Write the question, then try again.",
    "ask_expert_web_sent": "Your question was sent to the specialists' channel ({platforms}).",
    "ask_expert_web_unreachable": (
        "Yorozu cannot post in the specialists' channel ({platforms}) yet: it can once it has received a message "
        "there. Please ask an administrator."
    ),
    "web_send_json": "Send JSON (Content-Type: application/json).",
    "web_bad_json": "The body could not be read as a JSON object.",
    "web_question_too_long": "The question is too long: write at most {max} characters.",
    "web_bad_visitor": "'visitor' must be 8 to 64 letters, digits, '-' or '_'.",
    "web_bad_question_id": "'question_id' must be the id /api/ask returned.",
    "web_empty_field": "'{field}' must be a non-empty string.",
    "web_bad_thread_key": "'key' must name a thread as platform:channel:root.",
    "web_no_thread": "No such thread (it may have been deleted).",
    "web_no_faq": "No published FAQ entry {id}.",
    "web_bad_verdict": "'verdict' is one of {verdicts}.",
    "web_cross_site": "Requests from other sites are refused.",
    "followup_unanswered": "Nobody has replied to this question yet.",
    # --- the command line (`yorozu ...`): human-readable output; --json output is never translated ---
    # Counted nouns, composed into the sentences below.
    "n_day_files": Plural("{count} day file", "{count} day files"),
    "n_channels": Plural("{count} channel", "{count} channels"),
    "n_people": Plural("{count} person", "{count} people"),
    "n_messages": Plural("{count} message", "{count} messages"),
    "n_replies": Plural("{count} reply", "{count} replies"),
    "n_reactions": Plural("{count} reaction", "{count} reactions"),
    "n_files": Plural("{count} attached file", "{count} attached files"),
    "n_deleted": Plural("{count} deleted", "{count} deleted"),
    "n_graph_files": Plural("{count} file", "{count} files"),
    "cli_import_read": "read {days}: {channels}, {people}, {messages} ({replies}), {reactions}, {files}",
    "cli_import_read_graph": "read {files}: {channels}, {messages} ({replies}), {deleted}, {reactions}, {people}",
    "cli_import_skipped": Plural("skipped {count} message: {reasons}", "skipped {count} messages: {reasons}"),
    "cli_import_unlisted": "folders not listed in the export's channel files: {folders}",
    "cli_stored": "stored: {changed} new or changed, {unchanged} already known (safe to run again)",
    "cli_backfill_slack": (
        "{channels}, {messages} read ({changed} new or changed, {known} already known), {people}, {skipped} skipped"
    ),
    "cli_backfill_again": "safe to run again: messages already stored are left as they are",
    "cli_backfill_page": "[{n}/{total}] {channel}: page {page}, {messages} so far",
    "cli_progress_files": "files",
    "cli_progress_day_files": "day files",
    "cli_indexing": "indexing…",
    "cli_ask_usage": "give a QUESTION or --stdin (not both)",
    "cli_ask_limit": "--limit must be between 1 and 20",
    "cli_ask_none": "No past thread relates to this.",
    # How sure a suggestion is (its calibrated confidence against the channel's operating point).
    "cli_close_match": "[looks like the same question]",
    "cli_related": "[related thread]",
    "cli_answered_by": "answered by: {people}",
    "cli_who_none": "Nobody has answered questions like this yet.",
    "cli_reindexed": Plural("re-embedded {count} thread with {model}", "re-embedded {count} threads with {model}"),
    "cli_stats_channels": "channels",
    "cli_stats_people": "people",
    "cli_stats_threads": "threads",
    "cli_stats_questions": "questions",
    "cli_stats_answered": "answered",
    "cli_stats_accepted": "accepted",
    "cli_stats_messages": "messages",
    "cli_stats_indexed": "indexed",
    "cli_stats_pending": "pending",
    "cli_stats_embedder": "embedder",
    "cli_evaluate_head": "{queries}, {documents}, embedder {embedder}",
    "n_queries": Plural("{count} query", "{count} queries"),
    "n_documents": Plural("{count} document", "{count} documents"),
    "cli_team_id_required": "yorozu backfill teams: --team-id is required",
    "cli_manifest_written": "wrote {out}: upload it in Teams (Apps → Manage your apps → Upload an app)",
    "cli_ready_endpoints": "Yorozu is ready on http://{host}:{port}: {endpoints} (Ctrl-C to stop)",
    "cli_ready": "Yorozu is ready: open http://{host}:{port}/ (Ctrl-C to stop)",
    "cli_worker_running": "Yorozu worker is running (Ctrl-C to stop)",
    "cli_demo_folder": "the demo keeps its data in {path} (apart from the real data folder)",
    # FAQ entries
    "cli_faq_none": "No FAQ entries.",
    "cli_faq_review_due": "[review due]",
    "cli_faq_verified": "verified {date} by {name}",
    "cli_faq_verified_unnamed": "verified {date}",
    "cli_faq_unverified": "not verified",
    "faq_status_draft": "draft",
    "faq_status_published": "published",
    "faq_status_retired": "retired",
    "cli_faq_show_head": "FAQ {id} ({status}, version {version})",
    "cli_faq_show_question": "Q: {text}",
    "cli_faq_show_answer": "A: {text}",
    "cli_faq_show_tags": "tags: {tags}",
    "cli_faq_show_owner": "owner: {owner}",
    "cli_faq_show_verified": "verified: {date} by {name}{due}",
    "cli_faq_show_due": " — due for review",
    "cli_faq_show_review": Plural(
        "review every {days} day; source: {source}", "review every {days} days; source: {source}", by="days"
    ),
    "cli_faq_show_version": "  v{version} {at} {change} by {editor}",
    "faq_change_created": "created",
    "faq_change_edited": "edited",
    "faq_change_published": "published",
    "faq_change_retired": "retired",
    "faq_change_unpublished": "unpublished",
    "faq_change_verified": "verified",
    "faq_change_imported": "imported",
    "cli_faq_exported": Plural("exported {count} FAQ entry", "exported {count} FAQ entries"),
    "cli_faq_exported_portable": Plural(
        "exported {count} FAQ entry without ids (another Yorozu imports it as a new entry)",
        "exported {count} FAQ entries without ids (another Yorozu imports them as new entries)",
    ),
    "cli_faq_imported": Plural(
        "imported {rows} row: {created} new, {updated} updated, {unchanged} unchanged",
        "imported {rows} rows: {created} new, {updated} updated, {unchanged} unchanged",
        by="rows",
    ),
    # insights
    "cli_insights_since": "Since {date}",
    "cli_insights_unanswered": "Unanswered questions: {count}",
    "cli_insights_repeated": "Asked three or more times: {count}",
    "cli_insights_repeated_line": "  ×{count}  {title}  (latest {latest})",
    "cli_insights_gaps": "Knowledge gaps (Yorozu stayed silent): {count}",
    "cli_insights_helpfulness": (
        "Helpfulness: {rate} solved ({solved} solved, {unhelpful} unhelpful, {unknown} without feedback)"
    ),
    "cli_insights_review_due": "FAQ entries due for review: {count}",
    "cli_insights_review_due_line": "  {id:>4}  {question}  (since {since})",
    "cli_insights_review_queue": "Review queue (not helpful): {count}",
    # people, roles, organisations
    "cli_optout": "{person} is never named now",
    "cli_optin": "{person} is named again",
    "cli_roles_none": "No roles yet: set YOROZU_ADMINS or run `yorozu role add admin slack:U123`.",
    "cli_role_added": "{person} now has the {role} role",
    "cli_role_removed": "{person} no longer has the {role} role",
    "cli_unchanged": " (unchanged)",
    "cli_org_none": "No organisation rules yet: `yorozu org add email_domain city.kitayama.lg.jp 北山市`.",
    "cli_org_removed": "removed the {kind} rule for {value}",
    "cli_org_no_rule": "no {kind} rule for {value!r} (see `yorozu org list`)",
    "cli_org_was": " (was {before})",
    "cli_org_kind": "KIND is {kinds}, not {kind!r}",
    "cli_org_value_empty": "VALUE is empty",
    "cli_org_domain": "an e-mail domain looks like city.kitayama.lg.jp (the part after @), not {value!r}",
    "cli_org_tenant": "a Teams tenant id is a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, not {value!r}",
    "cli_org_organization_empty": "ORGANIZATION is empty",
    # --- errors: Japanese wording of the knowledge base's errors (their English is the error's own message) ---
    "error_not_found": "no {what} {id}",
    "error_embedder_mismatch": (
        "the knowledge base was indexed with embedder {stored!r} but {configured!r} is configured; "
        "run `yorozu reindex` to re-embed every thread with the configured embedder "
        "(or configure the original embedder again)"
    ),
    "error_question_empty": "the question is empty",
    "error_data_dir_is_file": (
        "the data folder {path} is a file, not a folder: give a folder with --data-dir (YOROZU_DATA_DIR)"
    ),
    "error_data_dir_cannot_create": (
        "cannot create the data folder {path} ({reason}): give a writable folder with --data-dir (YOROZU_DATA_DIR)"
    ),
    "error_not_a_database": (
        "{path} is not a Yorozu database (SQLite) or is damaged: move it away if it is another file, "
        "or give another --data-dir"
    ),
    "error_no_such_path": "{path}: no such file or folder",
    "error_not_a_zip": "{path}: not a readable ZIP file ({reason}); give a Slack export ZIP or its folder",
    "error_not_slack_export": "{path}: not a Slack export (no channels.json at its top)",
    "error_setting_flag": "{name} must be 1/0, true/false, yes/no or on/off, not {value!r}",
    "error_setting_lang": "YOROZU_LANG must be ja or en, not {value!r}",
    "error_local_bind": "local mode binds loopback only (127.0.0.1, ::1), not {host!r}",
    "error_cannot_listen": "cannot listen on {host}:{port}: {reason}",
    "error_no_platform": (
        "no chat platform is configured: set MicrosoftAppId/MicrosoftAppPassword (Teams) or "
        "SLACK_BOT_TOKEN/SLACK_SIGNING_SECRET (Slack), or run `yorozu serve --local` to try the web chat"
    ),
    "error_package_publisher": "the Teams app package needs its publisher: {problems}",
    "error_package_missing": "{where} is missing",
    "error_package_too_long": "{where} has at most {limit} characters, not {count}",
    "error_package_not_https": "{where} must be an https:// URL, not {value!r}",
    "error_package_version": (
        "--version must be three numbers x.y.z such as 1.0.0 (Teams refuses others), not {value!r}"
    ),
    "error_package_app_id": "the app id must be the bot's Microsoft App ID (a GUID), not {value!r}",
    "error_sample_in_store": (
        "this database holds the demo's sample community (the fictional 青葉県): serve refuses it so "
        "that fictional threads never mix into real suggestions; use another --data-dir, or pass "
        "--allow-sample if you mean it"
    ),
    # FAQ CSV
    "error_csv_rows": Plural(
        "{name}: nothing imported, {count} bad row:", "{name}: nothing imported, {count} bad rows:"
    ),
    "error_rows": Plural("nothing imported, {count} bad row:", "nothing imported, {count} bad rows:"),
    "error_csv_row": "line {line}: {problem}",
    "error_csv_more": "… and {count} more",
    "error_csv_unreadable": "cannot read {path}: {reason}",
    "error_csv_unwritable": "cannot write {path}: {reason}",
    "error_csv_too_large": "{path} is larger than {mb} MB",
    "error_csv_not_utf8": (
        "{path} is not UTF-8 (byte {byte}): in Excel, File → Save As, file type "
        "'CSV UTF-8 (Comma delimited)' (Japanese Excel: 「CSV UTF-8（コンマ区切り）」), then import again"
    ),
    "error_csv_shift_jis": (
        "{path} is saved as Shift_JIS (Excel's plain 'CSV (Comma delimited)'): in Excel, File → Save As, "
        "file type 'CSV UTF-8 (Comma delimited)' (Japanese Excel: 「CSV UTF-8（コンマ区切り）」), then import again"
    ),
    "error_csv_empty": "{name} is empty: the first line must be the header {header}",
    "error_csv_header": "{name}: line 1: {problems} (the header is {header})",
    "error_csv_unknown_columns": Plural("unknown column {columns}", "unknown columns {columns}"),
    "error_csv_missing_columns": Plural("missing column {columns}", "missing columns {columns}"),
    "error_csv_repeated_columns": Plural("repeated column {columns}", "repeated columns {columns}"),
    "error_csv_quote_unclosed": (
        'quote error: a " opened on this line is never closed (the rest of the file would be one cell); '
        'write a " inside a cell as ""'
    ),
    "error_csv_quote_stray": 'quote error: text after a closing " ({detail}); write a " inside a cell as ""',
    "error_csv_cells": Plural(
        "{cells} cell, the header has {columns}", "{cells} cells, the header has {columns}", by="cells"
    ),
    "error_csv_cells_quote": Plural(
        '{cells} cell, the header has {columns} (perhaps a quote " is not closed)',
        '{cells} cells, the header has {columns} (perhaps a quote " is not closed)',
        by="cells",
    ),
    "error_csv_duplicate_id": "id {id} already appears on line {first}",
    "error_csv_unknown_ids": (
        "no FAQ entry here has these ids: if the file comes from another Yorozu, clear the id column "
        "(or export it with `yorozu faq export --portable`) to import the rows as new entries"
    ),
    "error_field_empty": "{field} is empty",
    "error_id_number": "id must be a number or empty, not {value!r}",
    "error_id_positive": "id must be positive, not {value}",
    "error_status": "status must be draft, published or retired, not {value!r}",
    "error_interval_number": "review_interval_days must be a whole number, not {value!r}",
    "error_interval_range": "review_interval_days must be between 1 and 3650, not {value}",
    "error_date": "{field} must be a date like 2026-09-30, 2026/9/30, R8.9.30 or 令和8年9月30日, not {value!r}",
    "error_too_many_tags": "at most {limit} tags, not {count}",
    "error_thread_key": "not a thread reference (platform:channel:root): {value!r}",
    "error_text_too_long": "the FAQ {field} is longer than {limit} characters",
    # --- the welcome when the Teams app is installed in a team, a group chat or a personal chat ---
    "welcome": (
        "I am Yorozu: I point questions to similar past threads and to the people who answered them.\n"
        "In a team I read the channels' posts under resource-specific consent (RSC) and keep questions "
        "with their answers.\n"
        "Send help to see what I can do (in a channel: @Yorozu help)."
    ),
}
