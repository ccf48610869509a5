"""The ``yorozu`` command line: import history, ask, find people, run the server.

Every command is usable by scripts: ``--json`` prints machine-readable output on stdout, progress and
errors go to stderr, and failures exit non-zero with a one-line message (never a traceback).

People read the rest in their language: Japanese when the locale is Japanese (``LANG=ja_JP.UTF-8``) or
``YOROZU_LANG=ja``, English otherwise, from the catalogue the chat replies use (``bot.messages``). JSON
output is never translated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot import curation_commands, forget_command
from bot.messages import TEXTS, Locale, error_text, locale_of_environ, text
from bot.settings import ROLES, ConfigError, Settings, default_data_dir
from knowledge.base import KnowledgeBase
from knowledge.errors import KnowledgeError
from knowledge.model import Scope, SearchResult
from knowledge.store import sqlite_url

if TYPE_CHECKING:
    from knowledge.importers.slack_export import ImportReport

log = logging.getLogger("yorozu")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def sample_community_path() -> Path:
    """The sample community (Slack export layout) shipped inside the package."""
    return Path(str(resources.files("knowledge") / "data" / "sample_community"))


def default_demo_dir(environ: dict[str, str]) -> Path:
    """The demo's own data folder, beside the real one (``~/.local/share/yorozu-demo``).

    The demo loads a fictional community; in the real data folder it would mix into real suggestions.
    """
    real = default_data_dir(environ)
    return real.with_name(real.name + "-demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yorozu",
        description="Yorozu: finds past answers in your community's chat history, and the people who gave them.",
    )
    parser.add_argument("--data-dir", type=Path, help="where the SQLite file and indexes live (env YOROZU_DATA_DIR)")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://... (env YOROZU_DATABASE_URL)"
    )
    parser.add_argument(
        "--embedder", help="e5-small-q4 (default), minilm, or sentence-transformers:<model> (env YOROZU_EMBEDDER)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (DEBUG)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    imp = sub.add_parser("import", help="import saved chat history")
    imp_sub = imp.add_subparsers(dest="source", required=True, metavar="SOURCE")
    slack = imp_sub.add_parser("slack-export", help="a Slack export (ZIP file or unzipped folder)")
    slack.add_argument("path", type=Path)
    graph = imp_sub.add_parser(
        "teams-graph", help="Teams channel history saved as Microsoft Graph JSON (file or folder)"
    )
    graph.add_argument("path", type=Path)

    ask = sub.add_parser("ask", help="find past threads that answer a question")
    ask.add_argument("question", nargs="?", help="the question (or --stdin)")
    ask.add_argument("--channel", help="ask as if in this channel id (its private threads become visible)")
    ask.add_argument("--platform", help="the platform of --channel (slack, teams)")
    ask.add_argument("--limit", type=int, default=3, help="at most this many suggestions (default 3)")
    ask.add_argument("--json", action="store_true", help="print JSON")
    ask.add_argument(
        "--stdin", action="store_true", help="one question per input line, one JSON object per output line"
    )

    who = sub.add_parser("who", help="people who answered questions on a topic")
    who.add_argument("topic")
    who.add_argument("--channel", help="include this channel's private threads")
    who.add_argument("--limit", type=int, default=5)
    who.add_argument("--json", action="store_true")

    manifest = sub.add_parser("manifest", help="build a chat platform's app package")
    manifest.add_argument("platform", choices=["teams"])
    manifest.add_argument("--app-id", required=True, help="the bot's Microsoft App ID (GUID)")
    manifest.add_argument("--out", type=Path, default=Path("yorozu-teams.zip"), help="the ZIP to write")
    manifest.add_argument(
        "--version",
        dest="app_version",
        help="the app version in the manifest, x.y.z such as 1.0.0 (default as shipped)",
    )
    for option, variable, what in (
        ("--developer-name", "YOROZU_TEAMS_DEVELOPER_NAME", "who publishes the app, e.g. 青葉県 情報政策課"),
        ("--website-url", "YOROZU_TEAMS_WEBSITE_URL", "the publisher's web page (https)"),
        ("--privacy-url", "YOROZU_TEAMS_PRIVACY_URL", "the privacy statement (https)"),
        ("--terms-url", "YOROZU_TEAMS_TERMS_URL", "the terms of use (https)"),
    ):
        manifest.add_argument(option, help=f"{what} (env {variable})")

    backfill = sub.add_parser("backfill", help="fetch channel history from a platform's API")
    backfill.add_argument("platform", choices=["teams", "slack"])
    backfill.add_argument("--team-id", help="Teams: the team's Entra group id (GUID), required")
    backfill.add_argument("--channel-id", action="append", help="only this channel (repeatable); default all")

    sub.add_parser("reindex", help="re-embed every thread with the configured embedder")
    stats = sub.add_parser("stats", help="what the knowledge base holds")
    stats.add_argument("--json", action="store_true")

    for name, summary in (
        ("serve", "run the server for Teams, Slack and the local web chat"),
        ("demo", "load the sample community and open the local web chat (in its own data folder)"),
    ):
        cmd = sub.add_parser(name, help=summary)
        cmd.add_argument("--host", help="interface to bind (default 127.0.0.1)")
        cmd.add_argument("--port", type=int, help="port (default 3978)")
        if name == "serve":
            cmd.add_argument(
                "--local", action="store_true", help="local mode: loopback only, web chat, no platform credentials"
            )
            cmd.add_argument(
                "--allow-sample",
                action="store_true",
                help="serve a database that holds the demo's sample community (refused otherwise)",
            )
            cmd.add_argument(
                "--role",
                dest="serve_role",  # `yorozu role` has a positional `role` of its own
                choices=ROLES,
                help="all (default): one process; web: the HTTP endpoints only; worker: embedding and replies, "
                "no HTTP (run one of each on one database)",
            )
            cmd.add_argument(
                "--slack-socket-mode",
                action="store_true",
                help="receive Slack events over Socket Mode (SLACK_APP_TOKEN) instead of POST /slack/events",
            )

    evaluate = sub.add_parser("evaluate", help="retrieval quality on a folder in BEIR layout")
    evaluate.add_argument("folder", type=Path)
    evaluate.add_argument("--json", action="store_true")
    calibrate = sub.add_parser(
        "calibrate", help="fit the suggestion confidence for the embedder in use (questions with known answers)"
    )
    calibrate.add_argument(
        "folders",
        type=Path,
        nargs="+",
        metavar="FOLDER",
        help="folders in BEIR layout (corpus.jsonl, queries.jsonl, qrels.tsv): public sets or your own",
    )
    calibrate.add_argument("--dry-run", action="store_true", help="print the fit without storing it")
    calibrate.add_argument("--json", action="store_true")
    curation_commands.add_parsers(sub)
    forget_command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, environ: dict[str, str] | None = None) -> int:
    env = dict(os.environ if environ is None else environ)
    # Known before the settings are, so that a bad setting is also reported in the user's language.
    lang = locale_of_environ(env)
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        # Migrations say what they do at INFO on every start; only -v needs to see that.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    data_dir, database_url = args.data_dir, args.database_url
    if args.command == "demo":
        # The demo's own SQLite file, whatever YOROZU_DATA_DIR / YOROZU_DATABASE_URL say for the real service.
        data_dir = (data_dir or default_demo_dir(env)).expanduser()
        database_url = database_url or sqlite_url(data_dir)
    try:
        settings = Settings.from_env(
            env,
            data_dir=data_dir,
            database_url=database_url,
            embedder=args.embedder,
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            local=True if getattr(args, "local", False) or args.command == "demo" else None,
            slack_socket_mode=True if getattr(args, "slack_socket_mode", False) else None,
            role=getattr(args, "serve_role", None),
        )
        if args.command != "serve":
            # A role is what `serve` runs (a wrong one is still refused above); every other command is one
            # process doing all it needs: a `reindex` under YOROZU_ROLE=web must still embed.
            settings = replace(settings, role="all")
        handler = COMMANDS[args.command]
        return handler(args, settings)
    except (KnowledgeError, ConfigError) as exc:
        print(f"yorozu: {error_text(exc, lang)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


def _open(settings: Settings) -> KnowledgeBase:
    from bot.service import open_knowledge_base

    return open_knowledge_base(settings)


def _progress(label: str) -> Callable[[int, int], None]:
    interactive = sys.stderr.isatty()

    def show(done: int, total: int) -> None:
        if interactive:
            print(f"\r{label}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)
        elif done == total or done % max(1, total // 10) == 0:
            print(f"{label}: {done}/{total}", file=sys.stderr, flush=True)

    return show


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    if args.source == "teams-graph":
        from bot.teams.commands import cmd_import_teams_graph

        return cmd_import_teams_graph(args, settings)
    from knowledge.importers.slack_export import ImportReport, read_slack_export

    lang = settings.language
    report = ImportReport()
    with _open(settings) as kb:
        events = read_slack_export(
            args.path, on_progress=_progress(text("cli_progress_day_files", lang)), report=report
        )
        changed, unchanged = kb.ingest_many(events)
        print(text("cli_indexing", lang), file=sys.stderr)
        kb.sync()
    print(format_import_report(report, lang))
    print(text("cli_stored", lang, changed=changed, unchanged=unchanged))
    return EXIT_OK


def format_import_report(report: ImportReport, lang: Locale) -> str:
    """What a Slack export import read and what it left out, and why."""
    lines = [
        text(
            "cli_import_read",
            lang,
            days=text("n_day_files", lang, count=report.days),
            channels=text("n_channels", lang, count=report.channels),
            people=text("n_people", lang, count=report.people),
            messages=text("n_messages", lang, count=report.messages),
            replies=text("n_replies", lang, count=report.replies),
            reactions=text("n_reactions", lang, count=report.reactions),
            files=text("n_files", lang, count=report.files_seen),
        )
    ]
    if report.skipped:
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(report.skipped.items(), key=lambda i: -i[1]))
        lines.append(text("cli_import_skipped", lang, count=sum(report.skipped.values()), reasons=reasons))
    if report.unlisted_folders:
        lines.append(text("cli_import_unlisted", lang, folders=", ".join(report.unlisted_folders)))
    return "\n".join(lines)


def _format_result(result: SearchResult, lang: Locale = Locale.EN) -> str:
    if result.abstained:
        return text("cli_ask_none", lang)
    lines = []
    for n, s in enumerate(result.suggestions, 1):
        tag = "[FAQ] " if s.kind == "faq" else ""
        label = ""
        if s.confidence is not None:
            label = "  " + text("cli_close_match" if s.close_match else "cli_related", lang)
        lines.append(f"{n}. {tag}{s.title}  ({s.score:.3f}){label}")
        if s.answer_excerpt:
            lines.append(f"   {s.answer_excerpt}")
        people = "、".join(f"{a.name}（{a.organization}）" if a.organization else a.name for a in s.answerers)
        where = f"#{s.channel_name}" if s.channel_name else s.channel_id
        lines.append(f"   {text('cli_answered_by', lang, people=people or '—')}   {where}  {s.asked_at:%Y-%m-%d}")
        if s.url:
            lines.append(f"   {s.url}")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    if args.stdin == bool(args.question):
        print(f"yorozu ask: {text('cli_ask_usage', lang)}", file=sys.stderr)
        return EXIT_USAGE
    if args.limit < 1 or args.limit > 20:
        print(f"yorozu ask: {text('cli_ask_limit', lang)}", file=sys.stderr)
        return EXIT_USAGE
    scope = Scope(platform=args.platform, channel_id=args.channel) if args.channel else Scope.public()
    with _open(settings) as kb:
        if args.stdin:
            return _ask_lines(kb, sys.stdin, sys.stdout, scope, args.limit)
        result = kb.suggest(args.question, scope=scope, limit=args.limit)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print(_format_result(result, lang))
    return EXIT_OK


def _ask_lines(kb: KnowledgeBase, lines: TextIO, out: TextIO, scope: Scope, limit: int) -> int:
    """One question per line in, one JSON object per line out; a bad line gets an error object."""
    status = EXIT_OK
    for line in lines:
        question = line.strip()
        if not question:
            continue
        try:
            payload = kb.suggest(question, scope=scope, limit=limit).to_json()
        except KnowledgeError as exc:
            payload = {"question": question, "error": str(exc)}
            status = EXIT_FAILED
        out.write(json.dumps(payload, ensure_ascii=False) + "\n")
        out.flush()
    return status


def cmd_who(args: argparse.Namespace, settings: Settings) -> int:
    scope = Scope(channel_id=args.channel) if args.channel else Scope.public()
    with _open(settings) as kb:
        experts = kb.experts(args.topic, scope=scope, limit=args.limit)
    if args.json:
        print(json.dumps({"topic": args.topic, "experts": [e.to_json() for e in experts]}, ensure_ascii=False))
    elif not experts:
        print(text("cli_who_none", settings.language, topic=args.topic))
    else:
        lang = settings.language
        for n, e in enumerate(experts, 1):
            org = f"（{e.organization}）" if e.organization else ""
            accepted = text("expert_accepted", lang, count=e.accepted) if e.accepted else ""
            line = text("expert_line", lang, answers=e.answers, accepted=accepted, latest=f"{e.latest:%Y-%m}")
            print(f"{n}. {e.name}{org} — {line}")
            for title in e.thread_titles:
                print(f"   · {title}")
    return EXIT_OK


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from bot.service import open_knowledge_base

    # Reindexing is how one changes embedders, so a mismatch is expected here rather than refused.
    with open_knowledge_base(settings, adopt_embedder=True) as kb:
        count = kb.reindex()
        model = kb.embedder.model_id
    print(text("cli_reindexed", settings.language, count=count, model=model))
    return EXIT_OK


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    with _open(settings) as kb:
        stats = kb.stats()
    if args.json:
        print(json.dumps(stats.to_json(), ensure_ascii=False))
    else:
        # The same numbers as /healthz and the console, each said what it counts.
        meanings = stats.meanings(str(settings.language))
        for key, value in stats.to_json().items():
            label = text(f"cli_stats_{key}", settings.language) if f"cli_stats_{key}" in TEXTS else key
            print(f"{label}: {value}  ({meanings.get(key, key)})")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import serve

    return asyncio.run(serve(settings, load_sample=False, allow_sample=args.allow_sample))


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import serve

    print(text("cli_demo_folder", settings.language, path=settings.data_dir), file=sys.stderr)
    return asyncio.run(serve(settings, load_sample=True))


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.confidence import Calibration
    from knowledge.embedding import build_embedder
    from knowledge.evaluation import MODES, evaluate

    def progress(stage: str, done: int, total: int) -> None:
        print(f"{stage}: {done}/{total}", file=sys.stderr, flush=True)

    embedder = build_embedder(settings.embedder)
    calibration = Calibration.load(settings.index_dir, embedder.model_id)
    report = evaluate(args.folder, embedder, calibration=calibration, on_progress=progress)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return EXIT_OK
    lang = settings.language
    queries, documents = report["queries"], report["documents"]
    print(
        text(
            "cli_evaluate_head",
            lang,
            queries=text("n_queries", lang, count=queries),
            documents=text("n_documents", lang, count=documents),
            embedder=report["embedder"],
        )
    )
    names = ("mrr@10", "ndcg@10", "recall@1", "recall@5", "recall@10")
    print(f"{'':8}" + "".join(f"{n:>11}" for n in names))
    for mode in MODES:
        row = report[mode]
        assert isinstance(row, dict)
        print(f"{mode:8}" + "".join(f"{row[n]:>11.4f}" for n in names))
    confidence = report["confidence"]
    assert isinstance(confidence, dict)
    print(_confidence_lines(confidence["measured"], confidence["channel_threshold"], confidence["direct_threshold"]))
    return EXIT_OK


def _confidence_lines(measured: dict[str, float], channel_at: float, direct_at: float) -> str:
    return "\n".join(
        [
            f"channel (confidence >= {channel_at:.3f}): precision {measured['channel_precision']:.3f}, "
            f"answerable questions answered rightly {measured['channel_coverage']:.3f}",
            f"direct (confidence >= {direct_at:.3f}): answerable questions with a suggestion "
            f"{measured['direct_answered']:.3f}, with a right one {measured['direct_right_shown']:.3f}, "
            f"off-topic questions left unanswered {measured['off_topic_silent']:.3f}",
        ]
    )


def cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.embedding import build_embedder
    from knowledge.evaluation import calibrate

    def progress(stage: str, done: int, total: int) -> None:
        print(f"{stage}: {done}/{total}", file=sys.stderr, flush=True)

    try:
        calibration = calibrate(list(args.folders), build_embedder(settings.embedder), on_progress=progress)
    except KnowledgeError as exc:
        print(f"yorozu calibrate: {exc}", file=sys.stderr)
        return EXIT_FAILED
    where = None if args.dry_run else calibration.save(settings.index_dir)
    if args.json:
        print(json.dumps({**calibration.to_json(), "stored": str(where) if where else None}, ensure_ascii=False))
        return EXIT_OK
    print(_confidence_lines(calibration.measured, calibration.auto_at, calibration.related_at))
    print(f"stored in {where} (used from the next start)" if where else "not stored (--dry-run)")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "import": cmd_import,
    "ask": cmd_ask,
    "who": cmd_who,
    "reindex": cmd_reindex,
    "stats": cmd_stats,
    "serve": cmd_serve,
    "demo": cmd_demo,
    "evaluate": cmd_evaluate,
    "calibrate": cmd_calibrate,
    "manifest": lambda args, settings: _teams_command("cmd_manifest", args, settings),
    "backfill": lambda args, settings: _backfill(args, settings),
    **curation_commands.COMMANDS,
    **forget_command.COMMANDS,
}


def _backfill(args: argparse.Namespace, settings: Settings) -> int:
    if args.platform == "slack":
        from bot.slack.commands import cmd_backfill

        return cmd_backfill(args, settings)
    if not args.team_id:
        print(text("cli_team_id_required", settings.language), file=sys.stderr)
        return EXIT_USAGE
    return _teams_command("cmd_backfill", args, settings)


def _teams_command(name: str, args: argparse.Namespace, settings: Settings) -> int:
    from bot.teams import commands

    handler: Callable[[argparse.Namespace, Settings], int] = getattr(commands, name)
    return handler(args, settings)
