"""The Teams commands of the CLI: import saved Graph JSON, fetch history live, build the app package."""

from __future__ import annotations

import argparse
import asyncio
import sys

import aiohttp

from bot.settings import ConfigError, Settings
from bot.teams.graph import GraphClient, GraphError
from bot.teams.package import PackageError, build_package
from bot.teams.tokens import ClientCredentialsTokens, TokenError
from knowledge.base import KnowledgeBase
from knowledge.importers.teams_graph import GraphConverter, GraphImportReport, read_teams_graph
from knowledge.model import Visibility

EXIT_OK = 0
EXIT_FAILED = 1


def _open(settings: Settings) -> KnowledgeBase:
    from bot.service import open_knowledge_base

    return open_knowledge_base(settings)


def cmd_import_teams_graph(args: argparse.Namespace, settings: Settings) -> int:
    report = GraphImportReport()

    def progress(done: int, total: int) -> None:
        print(f"files: {done}/{total}", file=sys.stderr, flush=True)

    with _open(settings) as kb:
        changed, unchanged = kb.ingest_many(read_teams_graph(args.path, on_progress=progress, report=report))
        print("indexing…", file=sys.stderr)
        kb.sync()
    print(report.summary())
    print(f"stored: {changed} new or changed, {unchanged} already known (safe to run again)")
    return EXIT_OK


def cmd_manifest(args: argparse.Namespace, settings: Settings) -> int:
    try:
        out = build_package(args.app_id, args.out, version=args.app_version)
    except PackageError as exc:
        raise ConfigError(str(exc)) from None
    print(f"wrote {out}: upload it in Teams (Apps → Manage your apps → Upload an app)")
    return EXIT_OK


def graph_token_url(settings: Settings) -> str:
    if settings.graph_token_url:
        return settings.graph_token_url
    if not settings.microsoft_app_tenant_id:
        raise ConfigError("backfill needs MicrosoftAppTenantId (the tenant whose Graph is read)")
    return f"https://login.microsoftonline.com/{settings.microsoft_app_tenant_id}/oauth2/v2.0/token"


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.microsoft_app_id or not settings.microsoft_app_password:
        raise ConfigError("backfill needs MicrosoftAppId and MicrosoftAppPassword (the bot's app registration)")
    tokens = ClientCredentialsTokens(
        token_url=graph_token_url(settings),
        client_id=settings.microsoft_app_id,
        client_secret=settings.microsoft_app_password,
    )
    with _open(settings) as kb:
        try:
            report = asyncio.run(backfill(kb, tokens, settings.graph_url, args.team_id, args.channel_id))
        except (GraphError, TokenError) as exc:
            print(f"yorozu backfill: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print("indexing…", file=sys.stderr)
        kb.sync()
    print(report.summary())
    return EXIT_OK


async def backfill(
    kb: KnowledgeBase, tokens: ClientCredentialsTokens, graph_url: str, team_id: str, channel_ids: list[str] | None
) -> GraphImportReport:
    """Fetch the team's channels (or the given ones) page by page and store each page as it arrives."""
    report = GraphImportReport()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        client = GraphClient(session, tokens, base_url=graph_url)
        channels = await client.channels(team_id)
        if channel_ids:
            wanted = set(channel_ids)
            channels = [c for c in channels if c.id in wanted]
            missing = wanted - {c.id for c in channels}
            if missing:
                raise GraphError(f"team {team_id} has no channel {', '.join(sorted(missing))}")
        converter = GraphConverter(
            report=report,
            channel_names={c.id: c.name for c in channels},
            channel_visibility={
                c.id: Visibility.PUBLIC if c.membership == "standard" else Visibility.PRIVATE for c in channels
            },
        )
        for n, channel in enumerate(channels, 1):
            pages = 0
            async for roots in client.channel_message_pages(team_id, channel.id):
                pages += 1
                await asyncio.to_thread(kb.ingest_many, list(converter.events(roots)))
                print(
                    f"[{n}/{len(channels)}] {channel.name}: page {pages}, {report.messages} messages so far",
                    file=sys.stderr,
                    flush=True,
                )
    return report
