"""``yorozu faq``, ``insights``, ``optout|optin``, ``role`` and ``org``: curation from the shell.

The person at the command line holds the database, so they act as an admin (``Actor.operator()``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.messages import TEXTS, Locale, text
from knowledge.errors import ImportFailed
from knowledge.model import Actor, FaqEntry, FaqStatus, Role
from knowledge.store.repository import ORGANIZATION_RULE_KINDS

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
    export.add_argument(
        "--portable",
        action="store_true",
        help="leave out ids and source threads: the file seeds another Yorozu with new entries",
    )
    imp = faq_sub.add_parser("import", help="create or update entries from CSV; all rows or none")
    imp.add_argument("path", type=Path)

    insights = sub.add_parser("insights", help="unanswered and repeated questions, knowledge gaps, helpfulness")
    insights.add_argument("--days", type=int, default=90, help="look back this many days (default 90)")
    insights.add_argument("--json", action="store_true")
    insights.add_argument(
        "--include-private",
        action="store_true",
        help="also show questions from private channels (counted only by default; DMs are never shown)",
    )

    for name, summary in (("optout", "never name this person anywhere"), ("optin", "name this person again")):
        cmd = sub.add_parser(name, help=summary)
        cmd.add_argument("person", type=_person, help="platform:id, e.g. slack:U123")

    role = sub.add_parser("role", help="admins and specialists (besides YOROZU_ADMINS / YOROZU_SPECIALISTS)")
    role_sub = role.add_subparsers(dest="role_command", required=True, metavar="ACTION")
    for name in ("add", "remove"):
        cmd = role_sub.add_parser(name, help=f"{name} a role")
        cmd.add_argument("role", choices=[str(r) for r in Role])
        cmd.add_argument("person", type=_person, help="platform:id, e.g. slack:U123")
    role_list = role_sub.add_parser("list", help="every role and where it comes from")
    role_list.add_argument("--json", action="store_true")

    kinds = " or ".join(ORGANIZATION_RULE_KINDS)
    org = sub.add_parser("org", help="organisation rules: an e-mail domain or Teams tenant names an organisation")
    org_sub = org.add_subparsers(dest="org_command", required=True, metavar="ACTION")
    # KIND is checked by cmd_org rather than by argparse's choices, so a wrong one gets a one-line error.
    org_add = org_sub.add_parser("add", help="add a rule, or change the organisation an existing rule gives")
    org_add.add_argument("kind", help=kinds)
    org_add.add_argument("value", help="a domain such as city.kitayama.lg.jp, or a tenant id (GUID)")
    org_add.add_argument("organization", help="the organisation shown, e.g. 北山市")
    org_remove = org_sub.add_parser("remove", help="remove a rule")
    org_remove.add_argument("kind", help=kinds)
    org_remove.add_argument("value")
    org_list = org_sub.add_parser("list", help="every rule")
    org_list.add_argument("--json", action="store_true")


def _open(settings: Settings) -> KnowledgeBase:
    from bot.service import open_knowledge_base

    return open_knowledge_base(settings)


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
    with _open(settings) as kb:
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


def cmd_insights(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    with _open(settings) as kb:
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


def cmd_opt(args: argparse.Namespace, settings: Settings) -> int:
    platform, person = args.person
    out = args.command == "optout"
    with _open(settings) as kb:
        kb.set_opt_out(platform, person, out)
    print(text("cli_optout" if out else "cli_optin", settings.language, person=f"{platform}:{person}"))
    return EXIT_OK


def cmd_role(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    with _open(settings) as kb:
        if args.role_command == "list":
            roles = kb.list_roles()
            if args.json:
                rows = [{"platform": p, "person_id": i, "role": str(r), "source": src} for p, i, r, src in roles]
                print(json.dumps({"roles": rows}, ensure_ascii=False))
            elif not roles:
                print(text("cli_roles_none", lang))
            for p, i, r, src in [] if args.json else roles:
                print(f"{r:<10} {p}:{i}  ({src})")
            return EXIT_OK
        platform, person = args.person
        role = Role(args.role)
        if args.role_command == "add":
            changed = kb.grant_role(Actor.operator(), platform, person, role)
        else:
            changed = kb.revoke_role(Actor.operator(), platform, person, role)
    key = "cli_role_added" if args.role_command == "add" else "cli_role_removed"
    unchanged = "" if changed else text("cli_unchanged", lang)
    print(text(key, lang, person=f"{platform}:{person}", role=role) + unchanged)
    return EXIT_OK


# A Teams (Entra ID) tenant id is a GUID; a domain is dot-separated labels without spaces or "@".
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_DOMAIN = re.compile(r"[^\s@.]+(\.[^\s@.]+)+")


def _org_rule_error(kind: str, value: str, organization: str | None, lang: Locale = Locale.EN) -> str | None:
    """What is wrong with a rule given on the command line, or ``None``.

    ``organization`` is ``None`` for ``remove``: any stored value can be removed, so its shape is not checked.
    """
    if kind not in ORGANIZATION_RULE_KINDS:
        return text("cli_org_kind", lang, kinds=" or ".join(ORGANIZATION_RULE_KINDS), kind=kind)
    # The knowledge base stores values lower-cased and without a leading "@"; check what it would store.
    value = value.strip().lower().lstrip("@")
    if not value:
        return text("cli_org_value_empty", lang)
    if organization is None:
        return None
    if kind == "email_domain" and not _DOMAIN.fullmatch(value):
        return text("cli_org_domain", lang, value=value)
    if kind == "teams_tenant" and not _GUID.fullmatch(value):
        return text("cli_org_tenant", lang, value=value)
    if not organization.strip():
        return text("cli_org_organization_empty", lang)
    return None


def cmd_org(args: argparse.Namespace, settings: Settings) -> int:
    """``yorozu org add|remove|list``: the organisation rules, edited as the operator (an admin)."""
    lang = settings.language
    if args.org_command != "list":
        error = _org_rule_error(args.kind, args.value, getattr(args, "organization", None), lang)
        if error:
            print(f"yorozu org: {error}", file=sys.stderr)
            return EXIT_FAILED
    with _open(settings) as kb:
        if args.org_command == "list":
            rules = kb.organization_rules()
            if args.json:
                rows = [{"kind": k, "value": v, "organization": o} for k, v, o in rules]
                print(json.dumps({"rules": rows}, ensure_ascii=False))
            elif not rules:
                print(text("cli_org_none", lang))
            for k, v, o in [] if args.json else rules:
                print(f"{k:<13} {v}  → {o}")
            return EXIT_OK
        value = args.value.strip().lower().lstrip("@")
        if args.org_command == "remove":
            if not kb.remove_organization_rule(Actor.operator(), args.kind, value):
                print(f"yorozu org: {text('cli_org_no_rule', lang, kind=args.kind, value=value)}", file=sys.stderr)
                return EXIT_FAILED
            print(text("cli_org_removed", lang, kind=args.kind, value=value))
            return EXIT_OK
        before = {(k, v): o for k, v, o in kb.organization_rules()}.get((args.kind, value))
        organization = args.organization.strip()
        kb.set_organization_rule(Actor.operator(), args.kind, value, organization)
    was = text("cli_org_was", lang, before=before) if before is not None and before != organization else ""
    print(f"{args.kind} {value} → {organization}{was}")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "faq": cmd_faq,
    "insights": cmd_insights,
    "optout": cmd_opt,
    "optin": cmd_opt,
    "role": cmd_role,
    "org": cmd_org,
}
