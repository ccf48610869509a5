"""``yorozu manifest`` and ``yorozu backfill``: the commands that work with a chat platform itself (its app
package, its API). The platform code loads only when one of them runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import EXIT_USAGE, Command
from bot.messages import text

if TYPE_CHECKING:
    from bot.settings import Settings


def add_manifest_arguments(manifest: argparse.ArgumentParser) -> None:
    manifest.add_argument("platform", choices=["teams"])
    manifest.add_argument("--app-id", required=True, help="the bot's Microsoft App ID (GUID)")
    manifest.add_argument("--out", type=Path, default=Path("yorozu-teams.zip"), help="the ZIP to write")
    manifest.add_argument(
        "--version",
        dest="app_version",
        help="the app version in the manifest, x.y.z such as 1.0.0 (default as shipped)",
    )
    for option, variable, what in (
        ("--developer-name", "YOROZU_TEAMS_DEVELOPER_NAME", "who publishes the app, e.g. 青葉県 情報政策課"),
        ("--website-url", "YOROZU_TEAMS_WEBSITE_URL", "the publisher's web page (https)"),
        ("--privacy-url", "YOROZU_TEAMS_PRIVACY_URL", "the privacy statement (https)"),
        ("--terms-url", "YOROZU_TEAMS_TERMS_URL", "the terms of use (https)"),
    ):
        manifest.add_argument(option, help=f"{what} (env {variable})")


def cmd_manifest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.teams.commands import cmd_manifest

    return cmd_manifest(args, settings)


def add_backfill_arguments(backfill: argparse.ArgumentParser) -> None:
    backfill.add_argument("platform", choices=["teams", "slack"])
    backfill.add_argument("--team-id", help="Teams: the team's Entra group id (GUID), required")
    backfill.add_argument("--channel-id", action="append", help="only this channel (repeatable); default all")


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    if args.platform == "slack":
        from bot.slack.commands import cmd_backfill as backfill_slack

        return backfill_slack(args, settings)
    if not args.team_id:
        print(text("cli_team_id_required", settings.language), file=sys.stderr)
        return EXIT_USAGE
    from bot.teams.commands import cmd_backfill as backfill_teams

    return backfill_teams(args, settings)


MANIFEST = Command("manifest", "build a chat platform's app package", add_manifest_arguments, cmd_manifest)
BACKFILL = Command("backfill", "fetch channel history from a platform's API", add_backfill_arguments, cmd_backfill)
