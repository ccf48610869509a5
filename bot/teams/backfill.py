"""Backfill: read a team's channel history from Microsoft Graph into the knowledge base, page by page
(``yorozu backfill teams``)."""

from __future__ import annotations

import asyncio
import sys

import aiohttp

from bot.messages import Locale, text
from bot.settings import ConfigError, Settings
from bot.teams.graph import GraphClient, GraphError
from bot.teams.tokens import ClientCredentialsTokens
from knowledge.base import KnowledgeBase
from knowledge.importers.teams_graph import GraphConverter, GraphImportReport
from knowledge.model import Visibility


def graph_token_url(settings: Settings) -> str:
    """Where the app gets its Graph token: ``YOROZU_GRAPH_TOKEN_URL`` (tests), else the tenant's login URL."""
    if settings.graph_token_url:
        return settings.graph_token_url
    if not settings.microsoft_app_tenant_id:
        raise ConfigError("backfill needs MicrosoftAppTenantId (the tenant whose Graph is read)")
    return f"https://login.microsoftonline.com/{settings.microsoft_app_tenant_id}/oauth2/v2.0/token"


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
