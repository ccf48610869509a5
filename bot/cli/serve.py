"""``yorozu serve`` and ``yorozu demo``: the server for Teams, Slack and the local web chat."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import Command
from bot.messages import text
from bot.settings import ROLES, default_data_dir

if TYPE_CHECKING:
    from bot.settings import Settings


def default_demo_dir(environ: dict[str, str]) -> Path:
    """The demo's own data folder, beside the real one (``~/.local/share/yorozu-demo``).

    The demo loads a fictional community; in the real data folder it would mix into real suggestions.
    """
    real = default_data_dir(environ)
    return real.with_name(real.name + "-demo")


def _add_address_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    cmd.add_argument("--port", type=int, help="port (default 3978)")


def add_serve_arguments(cmd: argparse.ArgumentParser) -> None:
    _add_address_arguments(cmd)
    cmd.add_argument(
        "--local", action="store_true", help="local mode: loopback only, web chat, no platform credentials"
    )
    cmd.add_argument(
        "--allow-sample",
        action="store_true",
        help="serve a database that holds the demo's sample community (refused otherwise)",
    )
    cmd.add_argument(
        "--role",
        dest="serve_role",  # `yorozu role` has a positional `role` of its own
        choices=ROLES,
        help="all (default): one process; web: the HTTP endpoints only; worker: embedding and replies, "
        "no HTTP (run one of each on one database)",
    )
    cmd.add_argument(
        "--slack-socket-mode",
        action="store_true",
        help="receive Slack events over Socket Mode (SLACK_APP_TOKEN) instead of POST /slack/events",
    )


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import serve

    return asyncio.run(serve(settings, load_sample=False, allow_sample=args.allow_sample))


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import serve

    print(text("cli_demo_folder", settings.language, path=settings.data_dir), file=sys.stderr)
    return asyncio.run(serve(settings, load_sample=True))


SERVE = Command("serve", "run the server for Teams, Slack and the local web chat", add_serve_arguments, cmd_serve)
DEMO = Command(
    "demo",
    "load the sample community and open the local web chat (in its own data folder)",
    _add_address_arguments,
    cmd_demo,
)
