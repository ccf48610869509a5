"""``yorozu import slack-export|teams-graph PATH``: saved chat history into the knowledge base."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import EXIT_OK, Command, open_kb
from bot.messages import Locale, text

if TYPE_CHECKING:
    from bot.settings import Settings
    from knowledge.importers.slack_export import ImportReport
    from knowledge.importers.teams_graph import GraphImportReport


def _progress(label: str) -> Callable[[int, int], None]:
    interactive = sys.stderr.isatty()

    def show(done: int, total: int) -> None:
        if interactive:
            print(f"\r{label}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)
        elif done == total or done % max(1, total // 10) == 0:
            print(f"{label}: {done}/{total}", file=sys.stderr, flush=True)

    return show


def add_import_arguments(imp: argparse.ArgumentParser) -> None:
    imp_sub = imp.add_subparsers(dest="source", required=True, metavar="SOURCE")
    slack = imp_sub.add_parser("slack-export", help="a Slack export (ZIP file or unzipped folder)")
    slack.add_argument("path", type=Path)
    graph = imp_sub.add_parser(
        "teams-graph", help="Teams channel history saved as Microsoft Graph JSON (file or folder)"
    )
    graph.add_argument("path", type=Path)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    if args.source == "teams-graph":
        return _import_teams_graph(args, settings)
    from knowledge.importers.slack_export import ImportReport, read_slack_export

    lang = settings.language
    report = ImportReport()
    with open_kb(settings) as kb:
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


def _import_teams_graph(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.importers.teams_graph import GraphImportReport, read_teams_graph

    lang = settings.language
    report = GraphImportReport()
    label = text("cli_progress_files", lang)

    def progress(done: int, total: int) -> None:
        print(f"{label}: {done}/{total}", file=sys.stderr, flush=True)

    with open_kb(settings) as kb:
        changed, unchanged = kb.ingest_many(read_teams_graph(args.path, on_progress=progress, report=report))
        print(text("cli_indexing", lang), file=sys.stderr)
        kb.sync()
    print(format_graph_report(report, lang))
    print(text("cli_stored", lang, changed=changed, unchanged=unchanged))
    return EXIT_OK


def format_graph_report(report: GraphImportReport, lang: Locale) -> str:
    """What a Graph import or backfill read, and what it skipped."""
    line = text(
        "cli_import_read_graph",
        lang,
        files=text("n_graph_files", lang, count=report.files),
        channels=text("n_channels", lang, count=len(report.channels)),
        messages=text("n_messages", lang, count=report.messages),
        replies=text("n_replies", lang, count=report.replies),
        deleted=text("n_deleted", lang, count=report.deleted),
        reactions=text("n_reactions", lang, count=report.reactions),
        people=text("n_people", lang, count=report.people),
    )
    if report.skipped:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(report.skipped.items()))
        line += "\n" + text("cli_import_skipped", lang, count=sum(report.skipped.values()), reasons=reasons)
    return line


IMPORT = Command("import", "import saved chat history", add_import_arguments, cmd_import)
