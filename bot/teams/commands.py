"""The Teams commands of the CLI: import saved Graph JSON, fetch history live, build the app package."""

from __future__ import annotations

import argparse
import asyncio
import sys

import aiohttp

from bot.messages import Locale, text
from bot.settings import ConfigError, Settings
from bot.teams.graph import GraphClient, GraphError
from bot.teams.package import Developer, PackageError, build_package
from bot.teams.tokens import ClientCredentialsTokens, TokenError
from knowledge.base import KnowledgeBase
from knowledge.importers.teams_graph import GraphConverter, GraphImportReport, read_teams_graph
from knowledge.model import Visibility

EXIT_OK = 0
EXIT_FAILED = 1


def _open(settings: Settings) -> KnowledgeBase:
    from bot.service import open_knowledge_base

    return open_knowledge_base(settings)


def format_graph_report(report: GraphImportReport, lang: Locale) -> str:
    """What a Graph import or backfill read, and what it skipped."""
    line = text(
        "cli_import_read_graph",
        lang,
        files=text("n_graph_files", lang, count=report.files),
        channels=text("n_channels", lang, count=len(report.channels)),
        messages=text("n_messages", lang, count=report.messages),
        replies=text("n_replies", lang, count=report.replies),
        deleted=text("n_deleted", lang, count=report.deleted),
        reactions=text("n_reactions", lang, count=report.reactions),
        people=text("n_people", lang, count=report.people),
    )
    if report.skipped:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(report.skipped.items()))
        line += "\n" + text("cli_import_skipped", lang, count=sum(report.skipped.values()), reasons=reasons)
    return line


def cmd_import_teams_graph(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    report = GraphImportReport()
    label = text("cli_progress_files", lang)

    def progress(done: int, total: int) -> None:
        print(f"{label}: {done}/{total}", file=sys.stderr, flush=True)

    with _open(settings) as kb:
        changed, unchanged = kb.ingest_many(read_teams_graph(args.path, on_progress=progress, report=report))
        print(text("cli_indexing", lang), file=sys.stderr)
        kb.sync()
    print(format_graph_report(report, lang))
    print(text("cli_stored", lang, changed=changed, unchanged=unchanged))
    return EXIT_OK


def cmd_manifest(args: argparse.Namespace, settings: Settings) -> int:
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


async def backfill(
    kb: KnowledgeBase,
    tokens: ClientCredentialsTokens,
    graph_url: str,
    team_id: str,
    channel_ids: list[str] | None,
    *,
    lang: Locale = Locale.EN,
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
                so_far = text("n_messages", lang, count=report.messages)
                line = text(
                    "cli_backfill_page",
                    lang,
                    n=n,
                    total=len(channels),
                    channel=channel.name,
                    page=pages,
                    messages=so_far,
                )
                print(line, file=sys.stderr, flush=True)
    return report
