"""``yorozu faq`` and ``yorozu insights``: curated FAQ entries and what the questions show, from the shell.

The person at the command line holds the database, so they act as an admin (``Actor.operator()``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import EXIT_OK, Command, open_kb
from bot.messages import TEXTS, Locale, text
from knowledge.errors import ImportFailed
from knowledge.model import Actor, FaqEntry, FaqStatus

if TYPE_CHECKING:
    from bot.settings import Settings


def add_faq_arguments(faq: argparse.ArgumentParser) -> None:
    faq_sub = faq.add_subparsers(dest="faq_command", required=True, metavar="ACTION")
    lst = faq_sub.add_parser("list", help="entries, newest last")
    lst.add_argument("--status", choices=[str(s) for s in FaqStatus])
    lst.add_argument("--due", action="store_true", help="only published entries due for review")
    lst.add_argument("--json", action="store_true")
    show = faq_sub.add_parser("show", help="one entry with its version history")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    export = faq_sub.add_parser("export", help="write every entry as CSV (UTF-8 with BOM, for Excel)")
    export.add_argument("path", type=Path, nargs="?", help="the file to write (default: standard output)")
    export.add_argument(
        "--portable",
        action="store_true",
        help="leave out ids and source threads: the file seeds another Yorozu with new entries",
    )
    imp = faq_sub.add_parser("import", help="create or update entries from CSV; all rows or none")
    imp.add_argument("path", type=Path)


def _verified(e: FaqEntry, lang: Locale) -> str:
    if e.verified_at is None:
        return text("cli_faq_unverified", lang)
    date = f"{e.verified_at:%Y-%m-%d}"
    if e.verified_by:
        return text("cli_faq_verified", lang, date=date, name=e.verified_by)
    return text("cli_faq_verified_unnamed", lang, date=date)


def _status(status: FaqStatus, lang: Locale) -> str:
    return text(f"faq_status_{status}", lang)


def _line(e: FaqEntry, now: datetime, lang: Locale = Locale.EN) -> str:
    """One entry in `faq list`: id, status, the question's first line, tags, who verified it and when."""
    due = f"  {text('cli_faq_review_due', lang)}" if e.status == FaqStatus.PUBLISHED and e.review_due(now) else ""
    tags = f"  #{' #'.join(e.tags)}" if e.tags else ""
    question = e.question.splitlines()[0][:60] if e.question else ""
    return f"{e.id:>4}  {_status(e.status, lang):<9} {question}{tags}  {_verified(e, lang)}{due}"


def cmd_faq(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.importers.faq_csv import read_faq_csv, write_faq_csv

    lang = settings.language
    now = datetime.now(UTC)
    with open_kb(settings) as kb:
        if args.faq_command == "list":
            entries = (
                kb.faq_due_for_review(now) if args.due else kb.faq_list(FaqStatus(args.status) if args.status else None)
            )
            if args.json:
                print(json.dumps({"entries": [e.to_json(now) for e in entries]}, ensure_ascii=False))
            elif not entries:
                print(text("cli_faq_none", lang))
            else:
                for e in entries:
                    print(_line(e, now, lang))
            return EXIT_OK
        if args.faq_command == "show":
            entry = kb.faq_get(args.id)
            history = kb.faq_history(args.id)
            if args.json:
                data = entry.to_json(now)
                data["history"] = [v.to_json() for v in history]
                print(json.dumps(data, ensure_ascii=False))
                return EXIT_OK
            print(
                text("cli_faq_show_head", lang, id=entry.id, status=_status(entry.status, lang), version=entry.version)
            )
            print(text("cli_faq_show_question", lang, text=entry.question))
            print(text("cli_faq_show_answer", lang, text=entry.answer))
            if entry.tags:
                print(text("cli_faq_show_tags", lang, tags="; ".join(entry.tags)))
            print(text("cli_faq_show_owner", lang, owner=entry.owner or "—"))
            if entry.verified_at:
                due = text("cli_faq_show_due", lang) if entry.review_due(now) else ""
                date = f"{entry.verified_at:%Y-%m-%d}"
                print(text("cli_faq_show_verified", lang, date=date, name=entry.verified_by or "—", due=due))
            print(text("cli_faq_show_review", lang, days=entry.review_interval_days, source=entry.source_thread or "—"))
            for v in history:
                change = text(f"faq_change_{v.change}", lang) if f"faq_change_{v.change}" in TEXTS else v.change
                at = f"{v.created_at:%Y-%m-%d %H:%M}"
                print(
                    text("cli_faq_show_version", lang, version=v.version, at=at, change=change, editor=v.editor or "—")
                )
            return EXIT_OK
        if args.faq_command == "export":
            entries = kb.faq_list()
            if args.path is None:
                count = write_faq_csv(entries, sys.stdout, portable=args.portable)
            else:
                # A byte-order mark makes Excel read the file as UTF-8.
                try:
                    with args.path.open("w", encoding="utf-8-sig", newline="") as out:
                        count = write_faq_csv(entries, out, portable=args.portable)
                except OSError as exc:
                    reason = exc.strerror or str(exc)
                    raise ImportFailed(
                        f"cannot write {args.path}: {reason}",
                        key="error_csv_unwritable",
                        params={"path": args.path, "reason": reason},
                    ) from exc
            key = "cli_faq_exported_portable" if args.portable else "cli_faq_exported"
            print(text(key, lang, count=count), file=sys.stderr)
            return EXIT_OK
        items = read_faq_csv(args.path)
        counts = kb.faq_import(Actor.operator(), items)
        print(text("cli_indexing", lang), file=sys.stderr)
        kb.sync()
    print(
        text(
            "cli_faq_imported",
            lang,
            rows=len(items),
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
        )
    )
    return EXIT_OK


def add_insights_arguments(insights: argparse.ArgumentParser) -> None:
    insights.add_argument("--days", type=int, default=90, help="look back this many days (default 90)")
    insights.add_argument("--json", action="store_true")
    insights.add_argument(
        "--include-private",
        action="store_true",
        help="also show questions from private channels (counted only by default; DMs are never shown)",
    )


def cmd_insights(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    with open_kb(settings) as kb:
        report = kb.insights(days=args.days, include_private=args.include_private)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return EXIT_OK
    h = report.helpfulness
    rate = f"{h.rate:.0%}" if h.rate is not None else "—"
    print(text("cli_insights_since", lang, date=f"{report.since:%Y-%m-%d}"))
    print("\n" + text("cli_insights_unanswered", lang, count=report.unanswered_total))
    for u in report.unanswered:
        print(f"  {u.asked_at:%Y-%m-%d}  #{u.channel_name or u.channel_id}  {u.title}")
    print("\n" + text("cli_insights_repeated", lang, count=len(report.repeated)))
    for r in report.repeated:
        print(text("cli_insights_repeated_line", lang, count=r.count, title=r.title, latest=f"{r.latest:%Y-%m-%d}"))
    print("\n" + text("cli_insights_gaps", lang, count=report.gaps_total))
    for g in report.gaps:
        print(f"  {g.asked_at:%Y-%m-%d}  {g.question[:80]}")
    print(
        "\n"
        + text("cli_insights_helpfulness", lang, rate=rate, solved=h.solved, unhelpful=h.unhelpful, unknown=h.unknown)
    )
    print("\n" + text("cli_insights_review_due", lang, count=len(report.review_due)))
    for e in report.review_due:
        question = e.question.splitlines()[0][:60] if e.question else ""
        print(text("cli_insights_review_due_line", lang, id=e.id, question=question, since=f"{e.review_at:%Y-%m-%d}"))
    print("\n" + text("cli_insights_review_queue", lang, count=len(report.review_queue)))
    for item in report.review_queue:
        print(f"  {item.created_at:%Y-%m-%d}  {item.question[:60]}  → {item.suggested_thread}")
    return EXIT_OK


FAQ = Command("faq", "curated FAQ entries: list, show, export and import (CSV)", add_faq_arguments, cmd_faq)
INSIGHTS = Command(
    "insights",
    "unanswered and repeated questions, knowledge gaps, helpfulness",
    add_insights_arguments,
    cmd_insights,
)
