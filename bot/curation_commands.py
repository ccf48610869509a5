"""``yorozu faq``, ``yorozu insights``, ``yorozu optout|optin`` and ``yorozu role``: curation from the shell.

The person at the command line holds the database, so they act as an admin (``Actor.operator()``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.model import Actor, FaqEntry, FaqStatus, Role

if TYPE_CHECKING:
    from bot.settings import Settings
    from knowledge.base import KnowledgeBase

EXIT_OK = 0
EXIT_FAILED = 1


def _person(value: str) -> tuple[str, str]:
    platform, sep, person = value.partition(":")
    if not sep or platform not in {"slack", "teams"} or not person:
        raise argparse.ArgumentTypeError(f"expected platform:id such as slack:U123 or teams:29:abc, not {value!r}")
    return platform, person


def add_parsers(sub: Any) -> None:
    """Add the curation commands to ``yorozu``'s sub-parsers."""
    faq = sub.add_parser("faq", help="curated FAQ entries: list, show, export and import (CSV)")
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
    imp = faq_sub.add_parser("import", help="create or update entries from CSV; all rows or none")
    imp.add_argument("path", type=Path)

    insights = sub.add_parser("insights", help="unanswered and repeated questions, knowledge gaps, helpfulness")
    insights.add_argument("--days", type=int, default=90, help="look back this many days (default 90)")
    insights.add_argument("--json", action="store_true")

    for name, text in (("optout", "never name this person anywhere"), ("optin", "name this person again")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("person", type=_person, help="platform:id, e.g. slack:U123")

    role = sub.add_parser("role", help="admins and specialists (besides YOROZU_ADMINS / YOROZU_SPECIALISTS)")
    role_sub = role.add_subparsers(dest="role_command", required=True, metavar="ACTION")
    for name in ("add", "remove"):
        cmd = role_sub.add_parser(name, help=f"{name} a role")
        cmd.add_argument("role", choices=[str(r) for r in Role])
        cmd.add_argument("person", type=_person, help="platform:id, e.g. slack:U123")
    role_list = role_sub.add_parser("list", help="every role and where it comes from")
    role_list.add_argument("--json", action="store_true")


def _open(settings: Settings) -> KnowledgeBase:
    from bot.service import open_knowledge_base

    return open_knowledge_base(settings)


def _line(e: FaqEntry, now: datetime) -> str:
    due = "  [review due]" if e.status == FaqStatus.PUBLISHED and e.review_due(now) else ""
    verified = f"  verified {e.verified_at:%Y-%m-%d}" + (f" by {e.verified_by}" if e.verified_by else "")
    tags = f"  #{' #'.join(e.tags)}" if e.tags else ""
    return f"{e.id:>4}  {e.status:<9} {e.question.splitlines()[0][:60]}{tags}{verified if e.verified_at else ''}{due}"


def cmd_faq(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.importers.faq_csv import read_faq_csv, write_faq_csv

    now = datetime.now(UTC)
    with _open(settings) as kb:
        if args.faq_command == "list":
            entries = (
                kb.faq_due_for_review(now) if args.due else kb.faq_list(FaqStatus(args.status) if args.status else None)
            )
            if args.json:
                print(json.dumps({"entries": [e.to_json(now) for e in entries]}, ensure_ascii=False))
            elif not entries:
                print("No FAQ entries. (FAQ はまだありません)")
            else:
                for e in entries:
                    print(_line(e, now))
            return EXIT_OK
        if args.faq_command == "show":
            entry = kb.faq_get(args.id)
            history = kb.faq_history(args.id)
            if args.json:
                data = entry.to_json(now)
                data["history"] = [v.to_json() for v in history]
                print(json.dumps(data, ensure_ascii=False))
                return EXIT_OK
            print(f"FAQ {entry.id} ({entry.status}, version {entry.version})")
            print(f"Q: {entry.question}")
            print(f"A: {entry.answer}")
            if entry.tags:
                print(f"tags: {'; '.join(entry.tags)}")
            print(f"owner: {entry.owner or '—'}")
            if entry.verified_at:
                due = " — due for review" if entry.review_due(now) else ""
                print(f"verified: {entry.verified_at:%Y-%m-%d} by {entry.verified_by or '—'}{due}")
            print(f"review every {entry.review_interval_days} days; source: {entry.source_thread or '—'}")
            for v in history:
                print(f"  v{v.version} {v.created_at:%Y-%m-%d %H:%M} {v.change} by {v.editor or '—'}")
            return EXIT_OK
        if args.faq_command == "export":
            entries = kb.faq_list()
            if args.path is None:
                count = write_faq_csv(entries, sys.stdout)
            else:
                # A byte-order mark makes Excel read the file as UTF-8.
                with args.path.open("w", encoding="utf-8-sig", newline="") as out:
                    count = write_faq_csv(entries, out)
            print(f"exported {count} FAQ entries", file=sys.stderr)
            return EXIT_OK
        items = read_faq_csv(args.path)
        created, updated = kb.faq_import(Actor.operator(), items)
        print("indexing…", file=sys.stderr)
        kb.sync()
    print(f"imported {len(items)} rows: {created} new, {updated} updated")
    return EXIT_OK


def cmd_insights(args: argparse.Namespace, settings: Settings) -> int:
    with _open(settings) as kb:
        report = kb.insights(days=args.days)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return EXIT_OK
    h = report.helpfulness
    rate = f"{h.rate:.0%}" if h.rate is not None else "—"
    print(f"Since {report.since:%Y-%m-%d}")
    print(f"\nUnanswered questions: {report.unanswered_total}")
    for u in report.unanswered:
        print(f"  {u.asked_at:%Y-%m-%d}  #{u.channel_name or u.channel_id}  {u.title}")
    print(f"\nAsked three or more times: {len(report.repeated)}")
    for r in report.repeated:
        print(f"  ×{r.count}  {r.title}  (latest {r.latest:%Y-%m-%d})")
    print(f"\nKnowledge gaps (Yorozu stayed silent): {report.gaps_total}")
    for g in report.gaps:
        print(f"  {g.asked_at:%Y-%m-%d}  {g.question[:80]}")
    print(f"\nHelpfulness: {rate} solved ({h.solved} solved, {h.unhelpful} unhelpful, {h.unknown} without feedback)")
    print(f"\nFAQ entries due for review: {len(report.review_due)}")
    for e in report.review_due:
        print(f"  {e.id:>4}  {e.question.splitlines()[0][:60]}  (since {e.review_at:%Y-%m-%d})")
    print(f"\nReview queue (役に立たなかった): {len(report.review_queue)}")
    for item in report.review_queue:
        print(f"  {item.created_at:%Y-%m-%d}  {item.question[:60]}  → {item.suggested_thread}")
    return EXIT_OK


def cmd_opt(args: argparse.Namespace, settings: Settings) -> int:
    platform, person = args.person
    out = args.command == "optout"
    with _open(settings) as kb:
        kb.set_opt_out(platform, person, out)
    print(f"{platform}:{person} is {'never named now' if out else 'named again'}")
    return EXIT_OK


def cmd_role(args: argparse.Namespace, settings: Settings) -> int:
    with _open(settings) as kb:
        if args.role_command == "list":
            roles = kb.list_roles()
            if args.json:
                rows = [{"platform": p, "person_id": i, "role": str(r), "source": src} for p, i, r, src in roles]
                print(json.dumps({"roles": rows}, ensure_ascii=False))
            elif not roles:
                print("No roles yet: set YOROZU_ADMINS or run `yorozu role add admin slack:U123`.")
            for p, i, r, src in [] if args.json else roles:
                print(f"{r:<10} {p}:{i}  ({src})")
            return EXIT_OK
        platform, person = args.person
        role = Role(args.role)
        if args.role_command == "add":
            changed = kb.grant_role(Actor.operator(), platform, person, role)
        else:
            changed = kb.revoke_role(Actor.operator(), platform, person, role)
    verb = "now has" if args.role_command == "add" else "no longer has"
    print(f"{platform}:{person} {verb} the {role} role" + ("" if changed else " (unchanged)"))
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "faq": cmd_faq,
    "insights": cmd_insights,
    "optout": cmd_opt,
    "optin": cmd_opt,
    "role": cmd_role,
}
