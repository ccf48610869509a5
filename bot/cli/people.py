"""``yorozu optout|optin``, ``role``, ``org`` and ``forget``: people, their roles and their organisations.

``forget slack:U123`` (or ``teams:<id>``) erases a person who asked to be forgotten; without ``--yes`` it only
says what would be erased. The person at the command line holds the database, so they act as an admin
(``Actor.operator()``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import TYPE_CHECKING

from bot.cli.common import EXIT_FAILED, EXIT_OK, Command, open_kb
from bot.messages import Locale, text
from knowledge.model import Actor, Role
from knowledge.store.repository import ORGANIZATION_RULE_KINDS

if TYPE_CHECKING:
    from bot.settings import Settings

PLATFORMS = ("slack", "teams")


def _person(value: str) -> tuple[str, str]:
    platform, sep, person = value.partition(":")
    if not sep or platform not in PLATFORMS or not person:
        raise argparse.ArgumentTypeError(f"expected platform:id such as slack:U123 or teams:29:abc, not {value!r}")
    return platform, person


def add_opt_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("person", type=_person, help="platform:id, e.g. slack:U123")


def cmd_opt(args: argparse.Namespace, settings: Settings) -> int:
    platform, person = args.person
    out = args.command == "optout"
    with open_kb(settings) as kb:
        kb.set_opt_out(platform, person, out)
    print(text("cli_optout" if out else "cli_optin", settings.language, person=f"{platform}:{person}"))
    return EXIT_OK


def add_role_arguments(role: argparse.ArgumentParser) -> None:
    role_sub = role.add_subparsers(dest="role_command", required=True, metavar="ACTION")
    for name in ("add", "remove"):
        cmd = role_sub.add_parser(name, help=f"{name} a role")
        cmd.add_argument("role", choices=[str(r) for r in Role])
        cmd.add_argument("person", type=_person, help="platform:id, e.g. slack:U123")
    role_list = role_sub.add_parser("list", help="every role and where it comes from")
    role_list.add_argument("--json", action="store_true")


def cmd_role(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    with open_kb(settings) as kb:
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


def add_org_arguments(org: argparse.ArgumentParser) -> None:
    kinds = " or ".join(ORGANIZATION_RULE_KINDS)
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
    with open_kb(settings) as kb:
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


def person_spec(value: str) -> tuple[str, str]:
    """``slack:U123`` or ``teams:<Entra object id or 29:… id>`` as (platform, id)."""
    platform, sep, person = value.partition(":")
    if not sep or platform not in PLATFORMS or not person.strip():
        raise argparse.ArgumentTypeError(
            f"expected platform:id such as slack:U123 or teams:<Entra object id>, not {value!r}"
        )
    return platform, person.strip()


def add_forget_arguments(forget: argparse.ArgumentParser) -> None:
    forget.add_argument("person", type=person_spec, help="platform:id, e.g. slack:U123 or teams:<Entra object id>")
    forget.add_argument("--yes", action="store_true", help="erase now (without it: only say what would be erased)")
    forget.add_argument("--json", action="store_true")


def cmd_forget(args: argparse.Namespace, settings: Settings) -> int:
    platform, person = args.person
    with open_kb(settings) as kb:
        erased = kb.forget_person(Actor.operator(), platform, person, dry_run=not args.yes)
        if args.yes:
            kb.sync()  # re-embed what is left of their threads before the index files are saved
    counts = {
        "messages": erased.messages,
        "threads": len(erased.threads),
        "reactions": erased.reactions,
        "feedback": erased.feedback,
        "queries": erased.queries,
        "faq_entries": erased.faq_entries,
        "faq_versions": erased.faq_versions,
        "jobs": erased.jobs,
        "profile": erased.person,
    }
    if args.json:
        print(json.dumps({"person": f"{platform}:{person}", "erased": args.yes, **counts}, ensure_ascii=False))
        return EXIT_OK
    who = f"{platform}:{person}"
    if not erased.messages and not erased.person and not any(v for k, v in counts.items() if k != "threads"):
        print(f"{who} について保存されているものはありません / nothing is stored about {who}")
        return EXIT_OK
    summary = (
        f"メッセージ {erased.messages} 件（スレッド {len(erased.threads)} 件）、リアクション {erased.reactions} 件、"
        f"フィードバック {erased.feedback} 件、質問ログ {erased.queries} 件、FAQ {erased.faq_entries} 件、"
        f"ジョブ {erased.jobs} 件、プロフィール {'あり' if erased.person else 'なし'}"
    )
    if args.yes:
        print(f"{who} を忘れました: {summary}")
        print(f"forgot {who}: their texts, name and e-mail are erased everywhere")
    else:
        print(f"{who} を忘れると消えるもの: {summary}")
        print(f"nothing was erased yet: run again with --yes to forget {who} (irreversible)")
    return EXIT_OK


OPTOUT = Command("optout", "never name this person anywhere", add_opt_arguments, cmd_opt)
OPTIN = Command("optin", "name this person again", add_opt_arguments, cmd_opt)
ROLE = Command(
    "role", "admins and specialists (besides YOROZU_ADMINS / YOROZU_SPECIALISTS)", add_role_arguments, cmd_role
)
ORG = Command(
    "org", "organisation rules: an e-mail domain or Teams tenant names an organisation", add_org_arguments, cmd_org
)
FORGET = Command(
    "forget",
    "erase a person: their messages' text, name and e-mail, feedback, FAQ authorship (irreversible)",
    add_forget_arguments,
    cmd_forget,
)
