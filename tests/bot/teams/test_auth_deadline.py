"""A hanging OpenID metadata endpoint delays only the Teams request that needs it.

botbuilder fetched the signing keys with a blocking ``requests.get`` without a timeout on the server's
event loop: while Microsoft's endpoint (or a proxy) hung, ``/healthz`` and Slack's acknowledgements hung
with it. :class:`HangingServer` is that endpoint: it accepts connections and answers nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from jwt.algorithms import RSAAlgorithm

from bot.app import create_app
from bot.service import KnowledgeService
from bot.settings import Settings
from bot.slack import mount as mount_slack
from bot.teams import mount as mount_teams
from bot.teams.auth import AuthenticationUnavailable, SigningKeys
from knowledge.base import KnowledgeBase
from tests.bot.slack.conftest import SECRET, TOKEN, fake_slack, sign  # noqa: F401  (fake_slack: a fixture)
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_roles import free_port, process, until
from tests.bot.teams.conftest import APP_ID, TENANT, channel_message
from tests.bot.teams.fakes import FakeMicrosoftLogin

# Long enough to show a stall on the event loop, short enough for a test that fails to fail quickly.
HOLD_SECONDS = 4.0
DEADLINE = "1.5s"


class HangingServer:
    """A TCP server that accepts connections and answers nothing; it closes them after ``hold`` seconds."""

    def __init__(self, hold: float = HOLD_SECONDS) -> None:
        self.hold = hold
        self.connected = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="hanging-metadata")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1/.well-known/openidconfiguration"

    def _serve(self) -> None:
        held: list[tuple[socket.socket, float]] = []
        self._sock.settimeout(0.05)
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                conn, _ = self._sock.accept()
                held.append((conn, time.monotonic()))
                self.connected.set()
            for conn, since in list(held):
                if time.monotonic() - since > self.hold:
                    conn.close()
                    held.remove((conn, since))
        for conn, _ in held:
            conn.close()

    def __enter__(self) -> HangingServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


@pytest.fixture
def hanging() -> Iterator[HangingServer]:
    with HangingServer() as server:
        yield server


def both_platforms(tmp_path: Path, metadata_url: str, slack_api_url: str) -> dict[str, str]:
    return {
        "YOROZU_DATA_DIR": str(tmp_path),
        "MicrosoftAppId": APP_ID,
        "MicrosoftAppPassword": "test-secret",
        "MicrosoftAppType": "SingleTenant",
        "MicrosoftAppTenantId": TENANT,
        "YOROZU_TEAMS_OPENID_METADATA_URL": metadata_url,
        "YOROZU_TEAMS_TOKEN_URL": "http://127.0.0.1:9/token",
        "YOROZU_TEAMS_AUTH_TIMEOUT": DEADLINE,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": TOKEN,
        "YOROZU_SLACK_API_URL": slack_api_url,
    }


def slack_message(ts: str) -> bytes:
    event = {
        "type": "message",
        "channel": "C1",
        "user": "U1",
        "text": "お知らせです",
        "ts": ts,
        "channel_type": "channel",
    }
    envelope = {"type": "event_callback", "team_id": "T111", "event": event, "event_id": f"Ev{ts}", "event_time": 1}
    return json.dumps(envelope, ensure_ascii=False).encode()


@contextlib.asynccontextmanager
async def teams_request(
    http: aiohttp.ClientSession, base: str, login: FakeMicrosoftLogin, message_id: str
) -> AsyncIterator[asyncio.Task[tuple[int, float]]]:
    """A Teams activity with a well-formed Bot Framework token (iss https://api.botframework.com), sent in
    the background; the task gives its status and how long it took."""
    activity = channel_message("https://smba.example.test/jp/", message_id, "VBAの保守はどうしていますか？")
    token = login.sign(audience=APP_ID, service_url=activity["serviceUrl"])

    async def send() -> tuple[int, float]:
        started = time.monotonic()
        headers = {"Authorization": f"Bearer {token}"}
        async with http.post(base + "/api/messages", json=activity, headers=headers) as resp:
            await resp.read()
            return resp.status, time.monotonic() - started

    task = asyncio.create_task(send())
    try:
        yield task
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def timed_get(http: aiohttp.ClientSession, url: str) -> tuple[int, float]:
    started = time.monotonic()
    async with http.get(url) as resp:
        await resp.read()
        return resp.status, time.monotonic() - started


async def timed_slack(http: aiohttp.ClientSession, base: str, ts: str) -> tuple[int, float]:
    body = slack_message(ts)
    started = time.monotonic()
    headers = {"Content-Type": "application/json", **sign(body)}
    async with http.post(base + "/slack/events", data=body, headers=headers) as resp:
        await resp.read()
        return resp.status, time.monotonic() - started


async def probe_while(
    pending: asyncio.Task[Any], http: aiohttp.ClientSession, base: str
) -> tuple[float, float, float, list[int]]:
    """While ``pending`` runs: the longest pause of this event loop (in process, the server's own), the
    slowest ``/healthz`` and the median signed Slack event, asked every 0.1 s; with their statuses.

    Slack's median, not its slowest: an acknowledgement commits to the database, and one commit can wait
    for a busy disk on a shared machine; the event loop's pause and ``/healthz`` show a blocked server.
    """
    longest_pause = slowest_health = 0.0
    slack_times: list[float] = []
    statuses: list[int] = []
    n = 0
    while not pending.done():
        n += 1
        tick = time.monotonic()
        await asyncio.sleep(0.05)
        longest_pause = max(longest_pause, time.monotonic() - tick - 0.05)
        health, took = await timed_get(http, base + "/healthz")
        slowest_health = max(slowest_health, took)
        slack, took = await timed_slack(http, base, f"1700000{n:03d}.000100")
        slack_times.append(took)
        statuses += [health, slack]
    return longest_pause, slowest_health, statistics.median(slack_times) if slack_times else 0.0, statuses


async def test_a_hanging_metadata_endpoint_fails_only_the_teams_request(
    kb: KnowledgeBase,
    tmp_path: Path,
    login: FakeMicrosoftLogin,
    fake_slack: FakeSlack,  # noqa: F811
    hanging: HangingServer,
) -> None:
    settings = Settings.from_env(both_platforms(tmp_path, hanging.url, fake_slack.api_url))
    app = create_app(settings, service=KnowledgeService(kb), platforms=[mount_teams, mount_slack])
    async with TestServer(app, host="127.0.0.1", port=0) as server, aiohttp.ClientSession() as http:
        base = str(server.make_url("")).rstrip("/")
        async with teams_request(http, base, login, "1800000000001") as teams:
            pause, health_took, slack_took, statuses = await probe_while(teams, http, base)
            status, took = await teams
        assert hanging.connected.is_set(), "the keys were never asked for"
        assert statuses and set(statuses) == {200}
        assert pause < 0.5 and health_took < 1.0 and slack_took < 1.0, (pause, health_took, slack_took)
        assert status == 503
        assert 1.0 <= took < HOLD_SECONDS, took  # the deadline, not the hanging endpoint, ended it
        # Meanwhile the endpoint is not asked again by every request: the next one is refused at once.
        async with teams_request(http, base, login, "1800000000002") as again:
            status, took = await again
        assert status == 503 and took < 1.0
    assert kb.stats().messages == len(statuses) // 2  # the Slack messages; nothing from the Teams requests


async def test_stale_signing_keys_stay_in_use_while_a_refresh_fails(
    login: FakeMicrosoftLogin, hanging: HangingServer
) -> None:
    keys = SigningKeys(hanging.url, timeout=0.3)
    jwk = RSAAlgorithm.to_jwk(login.key.public_key(), as_dict=True)
    keys.keys = [{**jwk, "kid": login.kid}]
    keys.last_updated = datetime.now() - timedelta(days=2)  # due for a refresh, which will hang
    started = time.monotonic()
    found = await keys.get(login.kid)
    assert found is not None and time.monotonic() - started < 1.0
    with pytest.raises(PermissionError):  # an unknown key is refused; the failed refresh is not retried
        await keys.get("someone-elses-key")
    fresh = SigningKeys(hanging.url + "?fresh", timeout=0.3)
    with pytest.raises(AuthenticationUnavailable):  # no keys at all: the request cannot be checked
        await fresh.get(login.kid)


async def test_end_to_end_a_served_process_stays_responsive(
    tmp_path: Path,
    login: FakeMicrosoftLogin,
    fake_slack: FakeSlack,  # noqa: F811
    hanging: HangingServer,
) -> None:
    """``yorozu serve`` as the operator starts it, Teams and Slack configured, Microsoft's keys hanging."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "Microsoft", "YOROZU_"))}
    env |= both_platforms(tmp_path, hanging.url, fake_slack.api_url)
    base = f"http://127.0.0.1:{port}"
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    async with aiohttp.ClientSession() as http, process(args, env, tmp_path / "serve.log") as served:

        async def healthy() -> Any:
            status, _ = await timed_get(http, base + "/healthz")
            return status == 200

        await until(healthy, "the server")
        async with teams_request(http, base, login, "1800000000003") as teams:
            _, health_took, slack_took, statuses = await probe_while(teams, http, base)
            status, took = await teams
        assert hanging.connected.is_set(), "the keys were never asked for"
        assert statuses and set(statuses) == {200}
        assert health_took < 1.0 and slack_took < 1.0, (health_took, slack_took)
        assert status == 503 and took < HOLD_SECONDS, (status, took)
        assert served.poll() is None
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
