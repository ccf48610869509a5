"""Bot Framework clients are made once and reused across activities, and replies still go out signed."""

from __future__ import annotations

from typing import Any

import pytest

from bot.teams.clients import ReusingAuthentication
from bot.teams.endpoint import ROUTE, TeamsEndpoint
from tests.bot.teams.conftest import NEW_MACRO_QUESTION, TeamsHarness, channel_message, personal_message


def endpoint_of(teams: TeamsHarness) -> TeamsEndpoint:
    for route in teams.server.app.router.routes():
        if route.resource is not None and route.resource.canonical == ROUTE:
            return route.handler.__self__  # type: ignore[attr-defined,no-any-return]
    raise AssertionError("Teams is not mounted")


async def test_activities_share_one_connector_client_and_one_token_client(
    teams: TeamsHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = endpoint_of(teams).auth
    assert isinstance(auth, ReusingAuthentication)
    made: list[str] = []
    real_token_client = auth.inner.create_user_token_client

    async def counting_token_client(identity: Any) -> Any:
        made.append("token")
        return await real_token_client(identity)

    monkeypatch.setattr(auth.inner, "create_user_token_client", counting_token_client)
    real_authenticate = auth.inner.authenticate_request

    async def counting_factory(activity: Any, header: str) -> Any:
        result = await real_authenticate(activity, header)
        real_create = result.connector_factory.create

        async def create(service_url: str, audience: str | None = None) -> Any:
            made.append("connector")
            return await real_create(service_url, audience)

        result.connector_factory.create = create
        return result

    monkeypatch.setattr(auth.inner, "authenticate_request", counting_factory)

    for n, text in enumerate(["help", NEW_MACRO_QUESTION, "who VBA"]):
        assert (await teams.post(personal_message(teams.service_url, f"18000000002{n:02d}", text))).status == 200
    assert (await teams.post(channel_message(teams.service_url, "1800000000210", "お知らせです"))).status == 200
    replies = await teams.connector.wait_for(3)
    assert all(r.headers["Authorization"].startswith("Bearer fake-access-token-") for r in replies)
    assert made.count("connector") == 1  # four activities, one service URL and scope
    assert made.count("token") == 1
    assert len(auth.connectors) == 1 and len(auth.token_clients) == 1


async def test_the_cache_is_bounded_least_recently_used_first_out() -> None:
    from bot.teams.clients import _Lru

    lru = _Lru(2)
    made: list[str] = []

    async def make(key: str) -> str:
        made.append(key)
        return key.upper()

    for key in ["a", "b", "a", "c", "a", "b"]:
        assert await lru.get(key, lambda key=key: make(key)) == key.upper()  # type: ignore[misc]
    assert made == ["a", "b", "c", "b"]  # "b" was the least recently used when "c" came
    assert len(lru) == 2
