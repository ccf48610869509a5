"""A running Yorozu with Teams mounted, fake Microsoft login and Bot Connector, and activity builders.

Activities are modelled on ../shared/reference/teams/activities (the captured channel thread reply from
teams.net and the Teams docs' messageUpdate/messageDelete/messageReaction/conversationUpdate examples).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestServer

from bot.app import RUNNER_KEY, PlatformMount, create_app
from bot.service import KnowledgeService
from bot.settings import Settings
from bot.teams import mount
from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.model import Visibility
from knowledge.store import tables
from tests.bot.teams.fakes import FakeBotConnector, FakeGraph, FakeMicrosoftLogin

APP_ID = "0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"
BOT_ID = f"28:{APP_ID}"
TENANT = "50612dbb-0237-4969-b378-8d42590f9c00"
TEAM = "19:66P469zibfbsGI-_a0aN_toLTZpyzS6u7CT3TsXdgPw1@thread.tacv2"
CHANNEL = "19:6848757105754c8981c67612732d9aa7@thread.tacv2"
PRIVATE = "19:0c1d2e3f4a5b6c7d8e9f00112233aabb@thread.tacv2"
TEAM_GROUP = "6d9e2a4f-3b1c-4e8a-9f0d-2c7b5a1e8d34"  # the team's Entra group id, as Graph names it

# People by Entra object id, as Teams (aadObjectId) and Graph (from.user.id) name them.
SATO = ("b15a9416-0ad3-4172-9210-7beb711d3f70", "29:1sato", "佐藤 健", "北山市 情報政策課")
SUZUKI = ("c5e99701-2a32-49c1-a660-4629ceeb8c61", "29:1suzuki", "鈴木 花子", "南川町 総務課")
TAKAHASHI = ("976e4d1e-2108-43ee-a092-46a9507c5606", "29:1takahashi", "高橋 誠", "青葉県庁 情報政策課")
TANAKA = ("520e4d1e-2108-43ee-a092-46a9507c6200", "29:1tanaka", "田中 亮", "東浜市 デジタル推進課")

MACRO_QUESTION = "Excelマクロを作った職員が異動して、誰もVBAを保守できません。皆さんどうしていますか？"
MACRO_ANSWER = "うちはマクロを棚卸しして、使っていないものは廃止、残すものは手順書を作りました。"
MACRO_ANSWER_2 = "県ではRPAや標準機能への置き換えを進めています。VBAは原則新規作成禁止です。"
NEW_MACRO_QUESTION = "前任者が作ったExcelのVBAマクロを誰も保守できず困っています。どうしていますか？"


def t(hour: int) -> datetime:
    return datetime(2026, 4, 1, hour, 0, tzinfo=UTC)


def history() -> list[ev.Event]:
    """A Teams community already in the knowledge base: one answered question thread per channel."""
    people = [ev.PersonSeen("teams", p[0], p[2], p[3]) for p in (SATO, SUZUKI, TAKAHASHI, TANAKA)]
    return [
        ev.ChannelSeen("teams", CHANNEL, "質問箱", workspace_id=TEAM),
        ev.ChannelSeen("teams", PRIVATE, "CISO連絡会", Visibility.PRIVATE, workspace_id=TEAM),
        *people,
        ev.MessagePosted("teams", CHANNEL, "1700000000001", SATO[0], MACRO_QUESTION, t(1), url=_url("1700000000001")),
        ev.MessagePosted("teams", CHANNEL, "1700000000002", SUZUKI[0], MACRO_ANSWER, t(2), "1700000000001"),
        ev.MessagePosted("teams", CHANNEL, "1700000000003", TAKAHASHI[0], MACRO_ANSWER_2, t(3), "1700000000001"),
    ]


def _url(message_id: str) -> str:
    return f"https://teams.microsoft.com/l/message/{CHANNEL}/{message_id}"


@pytest.fixture(scope="session")
def login() -> Iterator[FakeMicrosoftLogin]:
    fake = FakeMicrosoftLogin().start()
    yield fake
    fake.stop()


@pytest.fixture
async def connector() -> AsyncIterator[tuple[FakeBotConnector, str]]:
    fake = FakeBotConnector()
    async with TestServer(fake.app(), host="127.0.0.1", port=0) as server:
        yield fake, str(server.make_url("/"))


def teams_settings(tmp_path: Path, login: FakeMicrosoftLogin, **extra: str) -> Settings:
    env = {
        "YOROZU_DATA_DIR": str(tmp_path),
        "MicrosoftAppId": APP_ID,
        "MicrosoftAppPassword": "test-secret",
        "MicrosoftAppType": "SingleTenant",
        "MicrosoftAppTenantId": TENANT,
        "YOROZU_TEAMS_OPENID_METADATA_URL": login.metadata_url,
        "YOROZU_TEAMS_TOKEN_URL": login.token_url,
        **extra,
    }
    return Settings.from_env(env)


@dataclass
class TeamsHarness:
    """The running app plus its fakes, and a way to post signed activities."""

    server: TestServer
    http: aiohttp.ClientSession
    login: FakeMicrosoftLogin
    connector: FakeBotConnector
    service_url: str
    kb: KnowledgeBase
    service: KnowledgeService
    graph: FakeGraph

    async def post(
        self, activity: dict[str, Any], *, token: str | None = None, sign: bool = True
    ) -> aiohttp.ClientResponse:
        headers = {}
        if sign:
            token = token or self.login.sign(audience=APP_ID, service_url=activity.get("serviceUrl", ""))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        async with self.http.post(self.server.make_url("/api/messages"), json=activity, headers=headers) as resp:
            await resp.read()
            return resp

    async def post_json(self, activity: dict[str, Any]) -> tuple[int, Any]:
        token = self.login.sign(audience=APP_ID, service_url=activity.get("serviceUrl", ""))
        headers = {"Authorization": f"Bearer {token}"}
        async with self.http.post(self.server.make_url("/api/messages"), json=activity, headers=headers) as resp:
            body = await resp.json(content_type=None) if resp.content_length != 0 else None
            return resp.status, body

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until the app's job runner has finished every queued job, and everything is indexed."""
        self.server.app[RUNNER_KEY].wake()
        deadline = asyncio.get_running_loop().time() + timeout
        while self._pending_jobs() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        assert not self._pending_jobs(), "jobs still pending"
        await self.service.wait_indexed()

    def _pending_jobs(self) -> int:
        """Jobs due now, and jobs that failed and wait to be retried (a follow-up not yet due is not one)."""
        jobs = tables.jobs
        due = sa.or_(jobs.c.run_after <= datetime.now(UTC), jobs.c.last_error.is_not(None))
        with self.kb.store.begin() as conn:
            query = sa.select(sa.func.count()).select_from(jobs).where(jobs.c.done_at.is_(None), due)
            return int(conn.execute(query).scalar_one())

    def make_follow_ups_due(self, *others: TeamsHarness) -> None:
        """The follow-up time has come: the jobs' ``run_after`` is set in the past (no clock is waited
        for), and the job runner of this app (and of ``others`` on the same database) is woken."""
        jobs = tables.jobs
        with self.kb.store.begin() as conn:
            conn.execute(
                jobs.update()
                .where(jobs.c.kind == "teams.followup", jobs.c.done_at.is_(None))
                .values(run_after=datetime.now(UTC) - timedelta(seconds=1))
            )
        for harness in (self, *others):
            harness.server.app[RUNNER_KEY].wake()

    async def poll(self) -> int:
        """One look for due jobs by this app's job runner, as its next poll would; how many ran."""
        return await self.server.app[RUNNER_KEY].run_once()


@pytest.fixture
async def graph() -> AsyncIterator[tuple[FakeGraph, str]]:
    """A fake Microsoft Graph on localhost; its base URL ends in ``/v1.0`` like the real one."""
    fake = FakeGraph()
    async with TestServer(fake.app(), host="127.0.0.1", port=0) as server:
        yield fake, str(server.make_url("/v1.0"))


@contextlib.asynccontextmanager
async def running(
    kb: KnowledgeBase,
    tmp_path: Path,
    login: FakeMicrosoftLogin,
    connector: tuple[FakeBotConnector, str],
    graph: tuple[FakeGraph, str],
    *,
    web_chat: bool = False,
    platforms: Sequence[PlatformMount] = (mount,),
    **env: str,
) -> AsyncIterator[TeamsHarness]:
    """One Yorozu process with Teams mounted on ``kb`` (with other ``platforms`` and the web chat, when
    asked), with extra settings (``env``)."""
    fake, service_url = connector
    fake_graph, graph_url = graph
    # The Bot Connector names the team's Entra group; Graph knows the community's standard channel.
    fake.teams[TEAM] = {"id": TEAM, "name": "自治体IT", "aadGroupId": TEAM_GROUP}
    fake_graph.channel_details[CHANNEL] = {"id": CHANNEL, "displayName": "質問箱", "membershipType": "standard"}
    service = KnowledgeService(kb)
    settings = teams_settings(
        tmp_path, login, YOROZU_GRAPH_URL=graph_url, YOROZU_GRAPH_TOKEN_URL=login.token_url, **env
    )
    kb.followup_after = settings.followup_after  # as open_knowledge_base(settings) would open it
    app = create_app(settings, service=service, platforms=platforms, web_chat=web_chat)
    async with TestServer(app, host="127.0.0.1", port=0) as server, aiohttp.ClientSession() as http:
        yield TeamsHarness(server, http, login, fake, service_url, kb, service, fake_graph)


@pytest.fixture
async def teams(
    kb: KnowledgeBase,
    tmp_path: Path,
    login: FakeMicrosoftLogin,
    connector: tuple[FakeBotConnector, str],
    graph: tuple[FakeGraph, str],
) -> AsyncIterator[TeamsHarness]:
    kb.ingest_many(history())
    kb.sync()
    async with running(kb, tmp_path, login, connector, graph) as harness:
        yield harness


# --- activities ------------------------------------------------------------------------------------


def channel_message(
    service_url: str,
    message_id: str,
    text: str,
    *,
    person: tuple[str, str, str, str] = TANAKA,
    root: str | None = None,
    channel: str = CHANNEL,
    mention: bool = False,
    locale: str = "ja-JP",
    membership: str | None = None,
) -> dict[str, Any]:
    """A channel post (a new thread when ``root`` is None) shaped like Teams' captured thread reply."""
    entities: list[dict[str, Any]] = [
        {"locale": locale, "country": "JP", "platform": "Web", "timezone": "Asia/Tokyo", "type": "clientInfo"}
    ]
    if mention:
        text = f"<at>Yorozu</at> {text}"
        entities.insert(
            0, {"mentioned": {"id": BOT_ID, "name": "Yorozu"}, "text": "<at>Yorozu</at>", "type": "mention"}
        )
    channel_obj: dict[str, Any] = {"id": channel}
    if membership:
        channel_obj["membershipType"] = membership
    return {
        "type": "message",
        "channelId": "msteams",
        "text": text,
        "id": message_id,
        "serviceUrl": service_url,
        "channelData": {
            "teamsChannelId": channel,
            "teamsTeamId": TEAM,
            "channel": channel_obj,
            "team": {"id": TEAM},
            "tenant": {"id": TENANT},
        },
        "from": {"id": person[1], "name": person[2], "aadObjectId": person[0]},
        "recipient": {"id": BOT_ID, "name": "Yorozu"},
        "conversation": {
            "id": f"{channel};messageid={root or message_id}",
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": TENANT,
        },
        "entities": entities,
        "textFormat": "plain",
        "timestamp": "2026-05-01T01:02:03.4953744Z",
        "locale": locale,
    }


def personal_message(service_url: str, message_id: str, text: str, *, locale: str = "ja-JP") -> dict[str, Any]:
    """A 1:1 chat message (Teams docs' "receive a message" example)."""
    return {
        "type": "message",
        "id": message_id,
        "timestamp": "2026-05-01T01:02:03.437Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": TANAKA[1], "name": TANAKA[2], "aadObjectId": TANAKA[0]},
        "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": "a:1personal-chat-with-tanaka"},
        "recipient": {"id": BOT_ID, "name": "Yorozu"},
        "textFormat": "plain",
        "text": text,
        "channelData": {"tenant": {"id": TENANT}},
        "locale": locale,
    }


def as_type(activity: dict[str, Any], type_: str, event_type: str, **changes: Any) -> dict[str, Any]:
    """The same message as a messageUpdate/messageDelete with ``channelData.eventType``."""
    out = copy.deepcopy(activity)
    out["type"] = type_
    out["channelData"]["eventType"] = event_type
    out.update(changes)
    return out


def reaction(
    service_url: str, target: str, person: tuple[str, str, str, str], kind: str, *, added: bool = True
) -> dict[str, Any]:
    """messageReaction in a channel, as in the Teams docs' reactionsAdded/reactionsRemoved examples."""
    return {
        ("reactionsAdded" if added else "reactionsRemoved"): [{"type": kind}],
        "type": "messageReaction",
        "timestamp": "2026-05-01T02:00:00.943Z",
        "id": f"f:{target}-{kind}-{added}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": person[1], "aadObjectId": person[0]},
        "conversation": {"isGroup": True, "conversationType": "channel", "id": f"{CHANNEL};messageid={target}"},
        "recipient": {"id": BOT_ID, "name": "Yorozu"},
        "channelData": {"channel": {"id": CHANNEL}, "team": {"id": TEAM}, "tenant": {"id": TENANT}},
        "replyToId": target,
    }


def conversation_update(service_url: str, event_type: str, **channel_data: Any) -> dict[str, Any]:
    return {
        "type": "conversationUpdate",
        "timestamp": "2026-05-01T02:00:00.478Z",
        "id": f"f:{event_type}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": SATO[1], "aadObjectId": SATO[0]},
        "conversation": {"isGroup": True, "conversationType": "channel", "id": TEAM},
        "recipient": {"id": BOT_ID, "name": "Yorozu"},
        "channelData": {"team": {"id": TEAM}, "eventType": event_type, "tenant": {"id": TENANT}, **channel_data},
    }
