"""``yorozu ask`` and ``yorozu who``: past threads that answer a question, and the people who gave them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, TextIO

from bot.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Command, open_kb
from bot.messages import Locale, text
from bot.replies import person_label
from knowledge.errors import KnowledgeError
from knowledge.model import Scope, SearchResult

if TYPE_CHECKING:
    from bot.settings import Settings
    from knowledge.base import KnowledgeBase


def add_ask_arguments(ask: argparse.ArgumentParser) -> None:
    ask.add_argument("question", nargs="?", help="the question (or --stdin)")
    ask.add_argument("--channel", help="ask as if in this channel id (its private threads become visible)")
    ask.add_argument("--platform", help="the platform of --channel (slack, teams)")
    ask.add_argument("--limit", type=int, default=3, help="at most this many suggestions (default 3)")
    ask.add_argument("--json", action="store_true", help="print JSON")
    ask.add_argument(
        "--stdin", action="store_true", help="one question per input line, one JSON object per output line"
    )


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    if args.stdin == bool(args.question):
        print(f"yorozu ask: {text('cli_ask_usage', lang)}", file=sys.stderr)
        return EXIT_USAGE
    if args.limit < 1 or args.limit > 20:
        print(f"yorozu ask: {text('cli_ask_limit', lang)}", file=sys.stderr)
        return EXIT_USAGE
    scope = Scope(platform=args.platform, channel_id=args.channel) if args.channel else Scope.public()
    with open_kb(settings) as kb:
        if args.stdin:
            return _ask_lines(kb, sys.stdin, sys.stdout, scope, args.limit)
        result = kb.suggest(args.question, scope=scope, limit=args.limit)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print(_format_result(result, lang))
    return EXIT_OK


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
        people = "、".join(person_label(a.name, a.organization) for a in s.answerers)
        where = f"#{s.channel_name}" if s.channel_name else s.channel_id
        lines.append(f"   {text('cli_answered_by', lang, people=people or '—')}   {where}  {s.asked_at:%Y-%m-%d}")
        if s.url:
            lines.append(f"   {s.url}")
    return "\n".join(lines)


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


def add_who_arguments(who: argparse.ArgumentParser) -> None:
    who.add_argument("topic")
    who.add_argument("--channel", help="include this channel's private threads")
    who.add_argument("--limit", type=int, default=5)
    who.add_argument("--json", action="store_true")


def cmd_who(args: argparse.Namespace, settings: Settings) -> int:
    scope = Scope(channel_id=args.channel) if args.channel else Scope.public()
    with open_kb(settings) as kb:
        experts = kb.experts(args.topic, scope=scope, limit=args.limit)
    if args.json:
        print(json.dumps({"topic": args.topic, "experts": [e.to_json() for e in experts]}, ensure_ascii=False))
    elif not experts:
        print(text("cli_who_none", settings.language, topic=args.topic))
    else:
        lang = settings.language
        for n, e in enumerate(experts, 1):
            accepted = text("expert_accepted", lang, count=e.accepted) if e.accepted else ""
            line = text("expert_line", lang, answers=e.answers, accepted=accepted, latest=f"{e.latest:%Y-%m}")
            print(f"{n}. {person_label(e.name, e.organization)} — {line}")
            for title in e.thread_titles:
                print(f"   · {title}")
    return EXIT_OK


ASK = Command("ask", "find past threads that answer a question", add_ask_arguments, cmd_ask)
WHO = Command("who", "people who answered questions on a topic", add_who_arguments, cmd_who)
