"""Every way a request can fail authentication answers 401, through the real server."""

from __future__ import annotations

import io
import json
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import configured_platforms, create_app
from bot.service import KnowledgeService
from bot.settings import Settings
from knowledge.base import KnowledgeBase
from tests.bot.teams.conftest import APP_ID, MACRO_QUESTION, TeamsHarness, channel_message, teams_settings
from tests.bot.teams.fakes import FakeMicrosoftLogin, new_key


async def test_signed_activity_is_accepted(teams: TeamsHarness) -> None:
    resp = await teams.post(channel_message(teams.service_url, "1800000000001", "お知らせです"))
    assert resp.status == 200
    assert teams.kb.stats().messages == 4


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "not-bearer",
        "malformed",
        "expired",
        "unknown-key",
        "wrong-audience",
        "wrong-service-url",
        "wrong-issuer",
    ],
)
async def test_authentication_failures_answer_401_and_store_nothing(teams: TeamsHarness, case: str) -> None:
    activity = channel_message(teams.service_url, "1800000000002", MACRO_QUESTION)
    login, url = teams.login, teams.service_url
    tokens = {
        "missing": None,
        "not-bearer": None,
        "malformed": "not.a.jwt",
        "expired": login.sign(audience=APP_ID, service_url=url, expires_in=-3600),
        "unknown-key": login.sign(audience=APP_ID, service_url=url, key=new_key(), kid="someone-elses-key"),
        "wrong-audience": login.sign(audience="another-bot-app-id", service_url=url),
        "wrong-service-url": login.sign(audience=APP_ID, service_url="https://smba.trafficmanager.net/evil/"),
        "wrong-issuer": login.sign(audience=APP_ID, service_url=url, issuer="https://sts.example.com/"),
    }
    headers = {"Authorization": "Basic dXNlcjpwYXNz"} if case == "not-bearer" else {}
    token = tokens[case]
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with teams.http.post(teams.server.make_url("/api/messages"), json=activity, headers=headers) as resp:
        assert resp.status == 401, await resp.text()
    await teams.idle()
    assert teams.kb.stats().messages == 3
    assert teams.connector.requests == []


async def test_signed_by_a_rogue_key_with_the_real_kid_is_refused(teams: TeamsHarness) -> None:
    activity = channel_message(teams.service_url, "1800000000003", MACRO_QUESTION)
    token = teams.login.sign(audience=APP_ID, service_url=teams.service_url, key=new_key())
    assert (await teams.post(activity, token=token)).status == 401


async def test_server_with_app_id_refuses_unauthenticated_post(
    kb: KnowledgeBase, tmp_path: Path, login: FakeMicrosoftLogin
) -> None:
    """``yorozu serve``'s own choice of platforms: an app id mounts Teams, with authentication."""
    settings = teams_settings(tmp_path, login)
    app = create_app(settings, service=KnowledgeService(kb), platforms=configured_platforms(settings))
    async with TestServer(app, host="127.0.0.1", port=0) as server, aiohttp.ClientSession() as http:
        body = {"type": "message", "id": "1", "text": "hi", "serviceUrl": "http://127.0.0.1:1/"}
        async with http.post(server.make_url("/api/messages"), json=body) as resp:
            assert resp.status == 401
            assert (await resp.json()) == {"error": "missing Authorization header"}


async def test_no_teams_endpoint_without_app_id_outside_local_mode(kb: KnowledgeBase, tmp_path: Path) -> None:
    settings = Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path), "SLACK_SIGNING_SECRET": ""})
    assert configured_platforms(settings) == []
    local = Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path), "YOROZU_LOCAL": "1"})
    app = create_app(local, service=KnowledgeService(kb), platforms=configured_platforms(local))
    async with TestServer(app, host="127.0.0.1", port=0) as server, aiohttp.ClientSession() as http:
        # Local mode: the Bot Framework Emulator sends no token and no app id is configured.
        body = {
            "type": "conversationUpdate",
            "id": "1",
            "channelId": "emulator",
            "serviceUrl": "http://127.0.0.1:9/",
            "conversation": {"id": "c1"},
            "recipient": {"id": "bot"},
            "from": {"id": "user"},
        }
        async with http.post(server.make_url("/api/messages"), json=body) as resp:
            assert resp.status == 200


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b'["a list"]', "application/json", 400),
        (b"\xff\xfe\x00", "application/json", 400),
        (b"type=message", "application/x-www-form-urlencoded", 415),
        (b'{"type": "message", "timestamp": "not a time"}', "application/json", 400),
    ],
)
async def test_bad_bodies_get_4xx(teams: TeamsHarness, body: bytes, content_type: str, status: int) -> None:
    token = teams.login.sign(audience=APP_ID, service_url=teams.service_url)
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {token}"}
    async with teams.http.post(teams.server.make_url("/api/messages"), data=body, headers=headers) as resp:
        assert resp.status == status


async def test_oversized_body_gets_413(teams: TeamsHarness) -> None:
    activity = channel_message(teams.service_url, "1800000000009", "あ" * 400_000)
    token = teams.login.sign(audience=APP_ID, service_url=teams.service_url)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    body = io.BytesIO(json.dumps(activity).encode())
    async with teams.http.post(teams.server.make_url("/api/messages"), data=body, headers=headers) as resp:
        assert resp.status == 413
    assert teams.kb.stats().messages == 3


async def test_malformed_activity_gets_400_and_nothing_is_stored(teams: TeamsHarness) -> None:
    activity = channel_message(teams.service_url, "1800000000010", MACRO_QUESTION)
    del activity["conversation"]
    assert (await teams.post(activity)).status == 400
    reaction = {
        "type": "messageReaction",
        "id": "f:1",
        "serviceUrl": teams.service_url,
        "channelId": "msteams",
        "conversation": {"id": "19:x@thread.tacv2", "conversationType": "channel"},
        "recipient": {"id": "28:bot"},
        "reactionsAdded": [{"type": "like"}],
    }
    assert (await teams.post(reaction)).status == 400  # no replyToId, no person
    assert teams.kb.stats().messages == 3
