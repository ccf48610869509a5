"""The Graph client against a scripted fake Graph: Retry-After honoured, 503, repeated 429, 401 refreshing the
token. Waits go to an injected sleep that records them: no test sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.settings import Secret
from bot.teams.graph import MAX_ATTEMPTS, GraphClient, GraphError
from bot.teams.tokens import ClientCredentialsTokens
from tests.bot.teams.fakes import FakeMicrosoftLogin

CHANNEL = {"id": "19:general@thread.tacv2", "displayName": "General", "membershipType": "standard"}
PATH = "/v1.0/teams/team-1/channels/19:general@thread.tacv2"


@dataclass
class ScriptedGraph:
    """Answers the next scripted (status, headers) for every request, then 200 with the channel."""

    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)  # the bearer token of each request, in order

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1.0/{tail:.*}", self._any)
        return app

    async def _any(self, request: web.Request) -> web.Response:
        self.tokens.append(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if self.script:
            status, headers = self.script.pop(0)
            return web.json_response({"error": {"code": str(status)}}, status=status, headers=headers)
        return web.json_response(CHANNEL)


@dataclass
class Harness:
    graph: ScriptedGraph
    client: GraphClient
    slept: list[float]


@pytest.fixture
async def harness(login: FakeMicrosoftLogin) -> AsyncIterator[Harness]:
    graph = ScriptedGraph()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    tokens = ClientCredentialsTokens(token_url=login.token_url, client_id="app", client_secret=Secret("secret"))
    async with TestServer(graph.app(), host="127.0.0.1", port=0) as server, aiohttp.ClientSession() as session:
        client = GraphClient(session, tokens, base_url=str(server.make_url("/v1.0")), sleep=sleep)
        yield Harness(graph, client, slept)


async def test_retry_after_is_honoured(harness: Harness) -> None:
    harness.graph.script = [(429, {"Retry-After": "7"})]
    channel = await harness.client.channel("team-1", CHANNEL["id"])
    assert channel.membership == "standard"
    assert harness.slept == [7.0]
    assert harness.client.requests == 2


async def test_503_without_retry_after_backs_off_and_succeeds(harness: Harness) -> None:
    harness.graph.script = [(503, {}), (503, {})]
    assert (await harness.client.channel("team-1", CHANNEL["id"])).name == "General"
    assert harness.slept == [2.0, 4.0]  # 2 ** attempt seconds


async def test_repeated_429_gives_up_with_the_status(harness: Harness) -> None:
    harness.graph.script = [(429, {"Retry-After": "1"})] * (MAX_ATTEMPTS + 2)
    with pytest.raises(GraphError) as raised:
        await harness.client.channel("team-1", CHANNEL["id"])
    assert raised.value.status == 429
    assert harness.client.requests == MAX_ATTEMPTS
    assert harness.slept == [1.0] * (MAX_ATTEMPTS - 1)
    # An absurd Retry-After is capped at five minutes.
    harness.slept.clear()
    harness.graph.script = [(429, {"Retry-After": "86400"})]
    await harness.client.channel("team-1", CHANNEL["id"])
    assert harness.slept == [300.0]


async def test_401_refreshes_the_token_once(harness: Harness, login: FakeMicrosoftLogin) -> None:
    await harness.client.channel("team-1", CHANNEL["id"])
    (first,) = harness.graph.tokens
    harness.graph.script = [(401, {})]
    await harness.client.channel("team-1", CHANNEL["id"])
    # The cached token was refused: a new one was fetched and the request retried with it.
    assert harness.graph.tokens[1] == first and harness.graph.tokens[2] != first
    assert login.scopes[harness.graph.tokens[2]] == "https://graph.microsoft.com/.default"
    assert harness.slept == []
    # A token that is refused again is not refreshed in a loop: the 401 is the answer.
    harness.graph.script = [(401, {}), (401, {})]
    with pytest.raises(GraphError) as raised:
        await harness.client.channel("team-1", CHANNEL["id"])
    assert raised.value.status == 401
