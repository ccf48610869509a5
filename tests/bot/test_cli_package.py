"""The shape of the ``bot.cli`` package: every command declared once, and nothing below it imports it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bot.cli import COMMANDS, build_parser

BOT = Path(__file__).resolve().parents[2] / "bot"
IMPORTS_CLI = re.compile(r"^\s*(from bot\.cli\b|import bot\.cli\b|from bot import cli\b)")


def test_each_command_is_declared_once_and_parsed_by_its_own_arguments() -> None:
    assert list(COMMANDS) == [
        *("import", "ask", "who", "manifest", "backfill", "reindex", "stats", "serve", "demo"),
        *("evaluate", "calibrate", "faq", "insights", "optout", "optin", "role", "org", "forget"),
    ]
    assert all(name == command.name for name, command in COMMANDS.items())
    parser = build_parser()
    assert parser.parse_args(["faq", "list", "--json"]).faq_command == "list"
    assert parser.parse_args(["forget", "slack: U1 "]).person == ("slack", "U1")


def test_the_server_and_the_platforms_do_not_import_the_command_line() -> None:
    """The command line imports the server (lazily, to run it); never the other way round."""
    offenders = [
        f"{path.relative_to(BOT)}:{n}"
        for path in BOT.rglob("*.py")
        if path.relative_to(BOT).parts[0] != "cli"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if IMPORTS_CLI.match(line)
    ]
    assert offenders == []
    code = "import sys, bot.server, bot.teams, bot.slack, bot.jobs; print([m for m in sys.modules if 'bot.cli' in m])"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
