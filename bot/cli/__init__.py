"""The ``yorozu`` command line: import history, ask, find people, run the server.

Every command is usable by scripts: ``--json`` prints machine-readable output on stdout, progress and
errors go to stderr, and failures exit non-zero with a one-line message (never a traceback).

People read the rest in their language: Japanese when the locale is Japanese (``LANG=ja_JP.UTF-8``) or
``YOROZU_LANG=ja``, English otherwise, from the catalogue the chat replies use (``bot.messages``). JSON
output is never translated.

Each command group is a module of this package holding its parsers beside its handlers, and declares each
command once as a :class:`~bot.cli.common.Command`; :data:`COMMANDS` lists them in the order of ``--help``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot.cli import ask, evaluate, faq, imports, index, people, platforms, serve
from bot.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Command, failed
from bot.cli.serve import default_demo_dir
from bot.messages import locale_of_environ
from bot.settings import ConfigError, Settings
from knowledge.errors import KnowledgeError
from knowledge.store import sqlite_url

__all__ = [
    "COMMANDS",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "default_demo_dir",
    "main",
]

log = logging.getLogger("yorozu")


COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        imports.IMPORT,
        ask.ASK,
        ask.WHO,
        platforms.MANIFEST,
        platforms.BACKFILL,
        index.REINDEX,
        index.STATS,
        serve.SERVE,
        serve.DEMO,
        evaluate.EVALUATE,
        evaluate.CALIBRATE,
        faq.FAQ,
        faq.INSIGHTS,
        people.OPTOUT,
        people.OPTIN,
        people.ROLE,
        people.ORG,
        people.FORGET,
    )
}


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
    for command in COMMANDS.values():
        command.add_arguments(sub.add_parser(command.name, help=command.help))
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
        return COMMANDS[args.command].run(args, settings)
    except (KnowledgeError, ConfigError) as exc:
        return failed(exc, lang)
    except KeyboardInterrupt:
        return 130
