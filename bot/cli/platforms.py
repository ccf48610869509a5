"""``yorozu manifest`` and ``yorozu backfill``: the commands that work with a chat platform itself (its app
package, its API). The platform code loads only when one of them runs."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Command, open_kb
from bot.cli.imports import format_graph_report
from bot.messages import text
from bot.settings import ConfigError

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
    from bot.teams.package import Developer, PackageError, build_package

    try:
        developer = Developer.checked(
            name=args.developer_name or settings.teams_developer_name,
            website_url=args.website_url or settings.teams_website_url,
            privacy_url=args.privacy_url or settings.teams_privacy_url,
            terms_url=args.terms_url or settings.teams_terms_url,
        )
        out = build_package(args.app_id, args.out, version=args.app_version, developer=developer)
    except PackageError as exc:
        raise ConfigError(str(exc), key=exc.key, params=exc.params) from None
    print(text("cli_manifest_written", settings.language, out=out))
    return EXIT_OK


def add_backfill_arguments(backfill: argparse.ArgumentParser) -> None:
    backfill.add_argument("platform", choices=["teams", "slack"])
    backfill.add_argument("--team-id", help="Teams: the team's Entra group id (GUID), required")
    backfill.add_argument("--channel-id", action="append", help="only this channel (repeatable); default all")


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    if args.platform == "slack":
        return _backfill_slack(args, settings)
    if not args.team_id:
        print(text("cli_team_id_required", settings.language), file=sys.stderr)
        return EXIT_USAGE
    return _backfill_teams(args, settings)


def _backfill_teams(args: argparse.Namespace, settings: Settings) -> int:
    from bot.teams.backfill import backfill, graph_token_url
    from bot.teams.graph import GraphError
    from bot.teams.tokens import ClientCredentialsTokens, TokenError

    if not settings.microsoft_app_id or not settings.microsoft_app_password:
        raise ConfigError("backfill needs MicrosoftAppId and MicrosoftAppPassword (the bot's app registration)")
    tokens = ClientCredentialsTokens(
        token_url=graph_token_url(settings),
        client_id=settings.microsoft_app_id,
        client_secret=settings.microsoft_app_password,
    )
    with open_kb(settings) as kb:
        try:
            report = asyncio.run(
                backfill(kb, tokens, settings.graph_url, args.team_id, args.channel_id, lang=settings.language)
            )
        except (GraphError, TokenError) as exc:
            print(f"yorozu backfill: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(text("cli_indexing", settings.language), file=sys.stderr)
        kb.sync()
    print(format_graph_report(report, settings.language))
    return EXIT_OK


# Slack's history methods allow about 50 calls a minute for most apps: wait out 429s patiently.
BACKFILL_RATE_LIMIT_RETRIES = 10


def _backfill_slack(args: argparse.Namespace, settings: Settings) -> int:
    """Read the history of every channel the bot is in (or ``--channel-id`` ones); safe to run again."""
    return asyncio.run(_backfill_slack_channels(settings, list(getattr(args, "channel_id", None) or [])))


async def _backfill_slack_channels(settings: Settings, channels: list[str]) -> int:
    import aiohttp

    from bot.service import KnowledgeService, run_blocking
    from bot.slack.api import SlackApi, SlackCallFailed, build_client
    from bot.slack.backfill import backfill

    api = SlackApi(build_client(settings, rate_limit_retries=BACKFILL_RATE_LIMIT_RETRIES))
    kb = await run_blocking(open_kb, settings)
    try:
        report = await backfill(
            api,
            KnowledgeService(kb),
            channels=channels,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
            lang=settings.language,
        )
        await run_blocking(kb.save_index)
    except SlackCallFailed as exc:
        raise ConfigError(f"Slack refused {exc.method}: {exc.error}") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise ConfigError(f"cannot reach Slack at {settings.slack_api_url}: {exc}") from None
    finally:
        await run_blocking(kb.close)
    lang = settings.language
    print(
        text(
            "cli_backfill_slack",
            lang,
            channels=text("n_channels", lang, count=report.channels),
            messages=text("n_messages", lang, count=report.messages),
            changed=report.changed,
            known=report.messages - report.changed,
            people=text("n_people", lang, count=report.people),
            skipped=report.skipped,
        )
    )
    print(text("cli_backfill_again", lang))
    return EXIT_OK


MANIFEST = Command("manifest", "build a chat platform's app package", add_manifest_arguments, cmd_manifest)
BACKFILL = Command("backfill", "fetch channel history from a platform's API", add_backfill_arguments, cmd_backfill)
