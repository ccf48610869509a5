"""``yorozu forget slack:U123`` (or ``teams:<id>``): erase a person who asked to be forgotten.

Without ``--yes`` it only says what would be erased. The person at the command line holds the database,
so they act as an admin (``Actor.operator()``).
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from knowledge.model import Actor

if TYPE_CHECKING:
    from bot.settings import Settings

EXIT_OK = 0
PLATFORMS = ("slack", "teams")


def person_spec(value: str) -> tuple[str, str]:
    """``slack:U123`` or ``teams:<Entra object id or 29:… id>`` as (platform, id)."""
    platform, sep, person = value.partition(":")
    if not sep or platform not in PLATFORMS or not person.strip():
        raise argparse.ArgumentTypeError(
            f"expected platform:id such as slack:U123 or teams:<Entra object id>, not {value!r}"
        )
    return platform, person.strip()


def add_parser(sub: Any) -> None:
    forget = sub.add_parser(
        "forget",
        help="erase a person: their messages' text, name and e-mail, feedback, FAQ authorship (irreversible)",
    )
    forget.add_argument("person", type=person_spec, help="platform:id, e.g. slack:U123 or teams:<Entra object id>")
    forget.add_argument("--yes", action="store_true", help="erase now (without it: only say what would be erased)")
    forget.add_argument("--json", action="store_true")


def cmd_forget(args: argparse.Namespace, settings: Settings) -> int:
    from bot.service import open_knowledge_base

    platform, person = args.person
    with open_knowledge_base(settings) as kb:
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


COMMANDS = {"forget": cmd_forget}
