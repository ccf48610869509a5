"""Fetch a team's channel history from Microsoft Graph with app credentials (for ``yorozu backfill teams``).

Pages are the same ``chatMessage`` JSON that ``yorozu import teams-graph`` reads: list-messages with
``$expand=replies`` (replies beyond the expanded ones are fetched from ``replies@odata.nextLink``).
``@odata.nextLink`` is followed; 429 and 503 are retried after ``Retry-After`` seconds.
Application access to channel messages needs ``ChannelMessage.Read.All`` (or the team's consent to
``ChannelMessage.Read.Group``) and, for Graph's protected Teams APIs, Microsoft's approval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.teams.tokens import ClientCredentialsTokens

log = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
RETRY_STATUSES = {429, 503, 504}
MAX_ATTEMPTS = 6
PAGE_SIZE = 50


class GraphError(Exception):
    """Graph refused a request or kept failing; the message names the URL and status."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # Graph's HTTP status, when it answered


@dataclass(frozen=True, slots=True)
class GraphChannel:
    id: str
    name: str
    membership: str  # standard, private or shared ("" when Graph did not say)


class GraphClient:
    """A small Graph client: GET with retries, paging, app-only tokens."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        tokens: ClientCredentialsTokens,
        *,
        base_url: str = "https://graph.microsoft.com/v1.0",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.session = session
        self.tokens = tokens
        self.base_url = base_url.rstrip("/")
        self._sleep = sleep
        self.requests = 0

    async def get(self, url: str) -> dict[str, Any]:
        """One GET (``url`` absolute or relative to the base URL), retried on throttling."""
        if not url.startswith("http"):
            url = f"{self.base_url}/{url.lstrip('/')}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            token = await self.tokens.token(GRAPH_SCOPE)
            self.requests += 1
            async with self.session.get(url, headers={"Authorization": f"Bearer {token}"}) as resp:
                if resp.status == 200:
                    data = await resp.json(content_type=None)
                    if not isinstance(data, dict):
                        raise GraphError(f"{url}: not a JSON object")
                    return data
                if resp.status == 401 and attempt == 1:
                    self.tokens.forget(GRAPH_SCOPE)
                    continue
                if resp.status in RETRY_STATUSES and attempt < MAX_ATTEMPTS:
                    wait = _retry_after(resp.headers.get("Retry-After"), attempt)
                    log.info("Graph answered %d; retrying in %.0f s", resp.status, wait)
                    await self._sleep(wait)
                    continue
                detail = (await resp.text())[:300]
                raise GraphError(f"GET {url} answered {resp.status}: {detail}", status=resp.status)
        raise GraphError(f"GET {url} kept failing")

    async def pages(self, url: str) -> AsyncIterator[dict[str, Any]]:
        """Every page of a collection, following ``@odata.nextLink``."""
        next_url: str | None = url
        while next_url:
            page = await self.get(next_url)
            yield page
            link = page.get("@odata.nextLink")
            next_url = link if isinstance(link, str) and link else None

    async def channels(self, team_id: str) -> list[GraphChannel]:
        out = []
        async for page in self.pages(f"teams/{quote(team_id, safe='')}/channels"):
            for item in page.get("value") or []:
                if isinstance(item, dict) and item.get("id"):
                    out.append(_channel(item))
        return out

    async def channel(self, team_id: str, channel_id: str) -> GraphChannel:
        """One channel (``GET /teams/{group id}/channels/{channel id}``); app-only access needs the team's
        consent to ``ChannelSettings.Read.Group`` (or ``ChannelSettings.Read.All``)."""
        item = await self.get(f"teams/{quote(team_id, safe='')}/channels/{quote(channel_id, safe='')}")
        if not item.get("id"):
            raise GraphError(f"Graph answered no channel for {channel_id}")
        return _channel(item)

    async def channel_message_pages(self, team_id: str, channel_id: str) -> AsyncIterator[list[dict[str, Any]]]:
        """Root messages with all their replies, one page of roots at a time."""
        url = (
            f"teams/{quote(team_id, safe='')}/channels/{quote(channel_id, safe='')}/messages"
            f"?$top={PAGE_SIZE}&$expand=replies"
        )
        async for page in self.pages(url):
            roots = [m for m in page.get("value") or [] if isinstance(m, dict)]
            for root in roots:
                more = root.get("replies@odata.nextLink")
                if isinstance(more, str) and more:
                    replies = list(root.get("replies") or [])
                    async for extra in self.pages(more):
                        replies.extend(r for r in extra.get("value") or [] if isinstance(r, dict))
                    root["replies"] = _unique(replies)
            yield roots


def _unique(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for m in messages:
        key = str(m.get("id"))
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def _retry_after(value: str | None, attempt: int) -> float:
    try:
        return max(0.0, min(float(value), 300.0)) if value is not None else float(2**attempt)
    except ValueError:
        return float(2**attempt)


def _channel(item: dict[str, Any]) -> GraphChannel:
    # A missing membership type stays "": callers treat anything but "standard" as private.
    membership = str(item.get("membershipType") or "").lower()
    return GraphChannel(str(item["id"]), str(item.get("displayName") or item["id"]), membership)
