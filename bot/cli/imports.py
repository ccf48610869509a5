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
        from bot.teams.commands import cmd_import_teams_graph

        return cmd_import_teams_graph(args, settings)
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


IMPORT = Command("import", "import saved chat history", add_import_arguments, cmd_import)
