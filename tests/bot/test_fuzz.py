"""Generated malformed requests against both platform endpoints and the web chat: never a 5xx, and a
request without a valid signature or token stores nothing.

One real app (Teams, Slack, the web chat and the console mounted; the ``web`` role, so no reply is ever
sent) runs on a thread with its own event loop, with the fake Slack Web API, Bot Connector and Microsoft
login beside it; hypothesis sends it bodies and headers built from real payload shapes with every field
open to mutation: wrong types, NUL, lone surrogates, deep nesting, random bytes, forged signatures and
tokens. Each test tries ``EXAMPLES`` inputs per database backend (derandomized, so a run is repeatable).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import create_app
from bot.service import KnowledgeService
from bot.settings import Settings
from bot.slack import blocks, modals
from bot.slack import mount as mount_slack
from bot.teams import mount as mount_teams
from knowledge.base import KnowledgeBase
from tests.bot.slack.conftest import SECRET, TOKEN, sign
from tests.bot.slack.fake_slack import FakeSlack, channel, user
from tests.bot.teams.conftest import APP_ID, TENANT, channel_message
from tests.bot.teams.fakes import FakeBotConnector, FakeMicrosoftLogin, new_key

EXAMPLES = 150
CONSOLE_TOKEN = "console-token-for-fuzzing-0123456789"
T = TypeVar("T")

# What the store holds; a request that was not verified must leave every count as it was.
TABLES = ("messages", "threads", "people", "channels", "event_receipts", "jobs", "feedback", "faq_entries")


class Edge:
    """The app and its fakes on a thread of their own, driven synchronously by the hypothesis tests."""

    def __init__(self, kb: KnowledgeBase, tmp_path: Path, login: FakeMicrosoftLogin) -> None:
        self.kb = kb
        self.tmp_path = tmp_path
        self.login = login
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="fuzz-edge")
        self.tried = 0

    def call(self, work: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def __enter__(self) -> Edge:
        self._thread.start()
        self.call(self._start())
        return self

    def __exit__(self, *_: object) -> None:
        self.call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()

    async def _start(self) -> None:
        self.slack = FakeSlack(
            users={"U1": user("U1", "佐藤 健", "北山市 情報政策課")},
            channels={"C1": channel("C1", "q-and-a"), "G1": channel("G1", "ciso", private=True)},
        )
        self.slack.bind()
        self.slack.server = TestServer(self.slack.app(), host="127.0.0.1", port=0)
        await self.slack.server.start_server()
        self.connector_fake = FakeBotConnector()
        self.connector = TestServer(self.connector_fake.app(), host="127.0.0.1", port=0)
        await self.connector.start_server()
        self.service_url = str(self.connector.make_url("/"))
        env = {
            "YOROZU_DATA_DIR": str(self.tmp_path),
            "YOROZU_ROLE": "web",  # acknowledge and store only: no job sends anything anywhere
            "MicrosoftAppId": APP_ID,
            "MicrosoftAppPassword": "test-secret",
            "MicrosoftAppType": "SingleTenant",
            "MicrosoftAppTenantId": TENANT,
            "YOROZU_TEAMS_OPENID_METADATA_URL": self.login.metadata_url,
            "YOROZU_TEAMS_TOKEN_URL": self.login.token_url,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "YOROZU_SLACK_API_URL": self.slack.api_url,
            "YOROZU_CONSOLE_TOKEN": CONSOLE_TOKEN,
            "YOROZU_SLACK_SPECIALISTS_CHANNEL": "CSPEC",  # 専門家に聞く from the web chat enqueues its post
        }
        app = create_app(
            Settings.from_env(env),
            service=KnowledgeService(self.kb),
            web_chat=True,
            console=True,
            platforms=[mount_teams, mount_slack],
        )
        self.server = TestServer(app, host="127.0.0.1", port=0)
        await self.server.start_server()
        self.http = aiohttp.ClientSession()

    async def _stop(self) -> None:
        await self.http.close()
        await self.server.close()
        await self.connector.close()
        assert self.slack.server is not None
        await self.slack.server.close()

    def counts(self) -> dict[str, int]:
        with self.kb.store.begin() as conn:
            return {t: int(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() or 0) for t in TABLES}

    def send(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        async def post() -> int:
            async with self.http.post(self.server.make_url(path), data=body, headers=headers) as resp:
                await resp.read()
                return resp.status

        self.tried += 1
        return self.call(post())


@pytest.fixture(scope="module")
def fuzz_login() -> Iterator[FakeMicrosoftLogin]:
    fake = FakeMicrosoftLogin().start()
    yield fake
    fake.stop()


@pytest.fixture
def edge(kb: KnowledgeBase, tmp_path: Path, fuzz_login: FakeMicrosoftLogin) -> Iterator[Edge]:
    with Edge(kb, tmp_path, fuzz_login) as running:
        yield running
    print(f"\n{running.tried} generated requests")


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- building blocks -------------------------------------------------------------------------------

# Text as people (and attackers) write it: Japanese, ASCII, NUL, lone surrogates, markup, mentions.
nasty_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", "\x00", "\ud800", "a\udfffb", "VBAの保守は？", "<@U1> 質問です", "<!channel>", "<at>Yorozu</at>", "\u202e"]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=20).map(lambda t: t + "\x00"),
)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), nasty_text)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(nasty_text, inner, max_size=4)),
    max_leaves=12,
)


def maybe(value: Any) -> st.SearchStrategy[Any]:
    """Mostly the real value, sometimes anything else."""
    return st.one_of(st.just(value), st.just(value), json_value)


def dumps(value: Any, ascii_only: bool) -> bytes:
    # ensure_ascii writes lone surrogates as \u escapes, as a JSON sender may; otherwise they cannot be UTF-8.
    text = json.dumps(value, ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass" if not ascii_only else "strict")


deep_json = st.integers(50, 3000).flatmap(
    lambda n: st.sampled_from([b"[" * n + b"]" * n, b'{"a":' * n + b"1" + b"}" * n, b'{"event":' + b"[" * n])
)
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)
content_types = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "text/plain", "application/json; charset=utf-8", ""]
)

# --- Slack -----------------------------------------------------------------------------------------

slack_event = st.fixed_dictionaries(
    {
        "type": maybe("message")
        | st.sampled_from(["app_mention", "reaction_added", "member_joined_channel", "channel_rename", "user_change"]),
        "channel": st.sampled_from(["C1", "G1", "D1", "CNEW"]) | json_value,
        "user": maybe("U1"),
        "text": nasty_text | json_value,
        "ts": st.sampled_from(["1700000000.000100", "1700000001.000200", "x", ""]) | json_value,
        "channel_type": st.sampled_from(["channel", "group", "im", "mpim", "C", "G"]) | json_value,
    },
    optional={
        "thread_ts": maybe("1700000000.000100"),
        "subtype": st.sampled_from(["message_changed", "message_deleted", "bot_message", "thread_broadcast"])
        | json_value,
        "message": json_value,
        "reaction": json_value,
        "item": json_value,
    },
)
slack_envelope = st.fixed_dictionaries(
    {
        "type": maybe("event_callback") | st.just("url_verification"),
        "team_id": maybe("T111"),
        "event_id": st.text(max_size=12) | json_value,
        "event": slack_event | json_value,
    },
    optional={"challenge": json_value, "authorizations": json_value, "event_time": json_value},
)
ACTION_IDS = [*blocks.FEEDBACK_ACTIONS, blocks.ACTION_SHARE, blocks.ACTION_ASK_EXPERT, blocks.ACTION_MAKE_FAQ]
slack_interactive = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["block_actions", "view_submission", "message_action", "shortcut", "view_closed"])
        | json_value,
        "user": maybe({"id": "U1", "team_id": "T111"}),
        "team": maybe({"id": "T111"}),
    },
    optional={
        "actions": st.lists(
            st.fixed_dictionaries(
                {
                    "action_id": st.sampled_from(ACTION_IDS) | json_value,
                    "value": json_value,
                    "block_id": json_value,
                }
            ),
            max_size=2,
        )
        | json_value,
        "view": st.fixed_dictionaries(
            {
                "type": maybe("modal"),
                "callback_id": st.sampled_from([modals.CALLBACK_SUBMIT, modals.CALLBACK_SHORTCUT]) | json_value,
                "state": json_value,
                "private_metadata": json_value,
            }
        )
        | json_value,
        "callback_id": st.just(modals.CALLBACK_SHORTCUT) | json_value,
        "message": json_value,
        "channel": maybe({"id": "C1"}),
        "response_url": st.just("http://127.0.0.1:9/respond") | json_value,
        "trigger_id": json_value,
    },
)
slash_command = st.fixed_dictionaries(
    {
        "command": maybe("/yorozu"),
        "text": nasty_text,
        "user_id": maybe("U1"),
        "channel_id": maybe("C1"),
        "response_url": st.just("http://127.0.0.1:9/respond"),
    }
).map(lambda fields: {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()})


def _form(fields: dict[str, str]) -> bytes:
    return urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in fields.items()}).encode()


slack_body = st.one_of(
    st.tuples(slack_envelope, st.booleans()).map(lambda p: (dumps(p[0], p[1]), "application/json")),
    st.tuples(slack_interactive, st.booleans()).map(
        lambda p: (_form({"payload": dumps(p[0], True).decode()}), "application/x-www-form-urlencoded")
    ),
    slash_command.map(lambda f: (_form(f), "application/x-www-form-urlencoded")),
    st.tuples(st.binary(max_size=300) | deep_json, content_types),
)
# How a Slack request is signed: properly, not at all, or in one of the ways an attacker would try.
slack_signing = st.one_of(
    st.just("signed"),
    st.just("signed"),
    st.just("none"),
    st.just("wrong secret"),
    st.just("stale"),
    st.tuples(header_text, header_text).map(lambda h: ("forged", *h)),
)


def slack_headers(body: bytes, content_type: str, signing: Any) -> tuple[dict[str, str], bool]:
    headers = {"Content-Type": content_type} if content_type else {}
    if signing == "signed":
        return {**headers, **sign(body)}, True
    if signing == "wrong secret":
        return {**headers, **sign(body, secret="not-the-secret")}, False
    if signing == "stale":
        return {**headers, **sign(body, timestamp=int(time.time()) - 301)}, False
    if isinstance(signing, tuple):
        _, timestamp, signature = signing
        return {**headers, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}, False
    return headers, False


@FUZZ
@given(body=slack_body, signing=slack_signing)
def test_fuzz_slack_events(edge: Edge, body: tuple[bytes, str], signing: Any) -> None:
    raw, content_type = body
    headers, signed = slack_headers(raw, content_type, signing)
    before = edge.counts()
    status = edge.send("/slack/events", raw, headers)
    assert status < 500, (status, raw[:200], headers)
    if not signed:
        assert status == 401, (status, raw[:200], headers)
        assert edge.counts() == before


# --- Teams -----------------------------------------------------------------------------------------


def teams_activity(service_url: str) -> st.SearchStrategy[dict[str, Any]]:
    base = channel_message(service_url, "1800000000001", "VBAの保守はどうしていますか？")
    return st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["message", "messageUpdate", "messageDelete", "messageReaction", "conversationUpdate", "invoke"]
            )
            | json_value,
            "id": maybe("1800000000001") | st.text(max_size=10),
            "serviceUrl": st.just(service_url),
            "channelId": maybe("msteams"),
            "text": nasty_text | json_value,
            "from": maybe(base["from"]),
            "recipient": maybe(base["recipient"]),
            "conversation": maybe(base["conversation"]),
            "channelData": maybe(base["channelData"]),
        },
        optional={
            "name": st.sampled_from(
                [
                    "adaptiveCard/action",
                    "composeExtension/fetchTask",
                    "composeExtension/submitAction",
                    "task/fetch",
                    "task/submit",
                    "",
                ]
            )
            | json_value,
            "value": json_value,
            "replyToId": json_value,
            "entities": json_value,
            "timestamp": st.sampled_from(["2026-05-01T01:02:03.4953744Z", "not a time"]) | json_value,
            "reactionsAdded": json_value,
            "membersAdded": json_value,
            "locale": json_value,
        },
    )


teams_auth = st.sampled_from(["valid", "valid", "none", "garbage", "rogue key", "wrong audience", "basic"])


def teams_header(edge: Edge, how: str) -> tuple[dict[str, str], bool]:
    login, url = edge.login, edge.service_url
    if how == "valid":
        return {"Authorization": f"Bearer {login.sign(audience=APP_ID, service_url=url)}"}, True
    if how == "garbage":
        return {"Authorization": "Bearer e30.e30.x"}, False
    if how == "rogue key":
        return {"Authorization": f"Bearer {login.sign(audience=APP_ID, service_url=url, key=new_key())}"}, False
    if how == "wrong audience":
        return {"Authorization": f"Bearer {login.sign(audience='another-app', service_url=url)}"}, False
    if how == "basic":
        return {"Authorization": "Basic dXNlcjpwYXNz"}, False
    return {}, False


@FUZZ
@given(data=st.data(), how=teams_auth, ascii_only=st.booleans(), raw=st.none() | st.binary(max_size=200) | deep_json)
def test_fuzz_teams_messages(edge: Edge, data: st.DataObject, how: str, ascii_only: bool, raw: bytes | None) -> None:
    body = raw if raw is not None else dumps(data.draw(teams_activity(edge.service_url) | json_value), ascii_only)
    headers, authentic = teams_header(edge, how)
    before = edge.counts()
    status = edge.send("/api/messages", body, {"Content-Type": "application/json", **headers})
    assert status < 500, (status, body[:300], how)
    if not authentic:
        assert status in (400, 401), (status, body[:300], how)
        assert edge.counts() == before


# --- web chat and console --------------------------------------------------------------------------

web_body = st.one_of(
    st.tuples(st.fixed_dictionaries({"question": nasty_text | json_value}), st.booleans()).map(lambda p: dumps(*p)),
    st.tuples(st.fixed_dictionaries({"topic": nasty_text | json_value}), st.booleans()).map(lambda p: dumps(*p)),
    st.tuples(json_value, st.booleans()).map(lambda p: dumps(*p)),
    st.binary(max_size=200),
    deep_json,
)


@FUZZ
@given(
    path=st.sampled_from(
        ["/api/ask", "/api/who", "/api/ask-expert", "/api/console/login", "/api/console/faq/1/verify"]
    ),
    body=web_body,
    content_type=content_types,
    bearer=st.sampled_from([None, CONSOLE_TOKEN, "wrong-token-0123456789abcdef"]),
)
def test_fuzz_web_chat_and_console(edge: Edge, path: str, body: bytes, content_type: str, bearer: str | None) -> None:
    headers = {"X-Yorozu-Console": "1", **({"Content-Type": content_type} if content_type else {})}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    before = edge.counts()
    status = edge.send(path, body, headers)
    assert status < 500, (status, path, body[:200], headers)
    if path.startswith("/api/console/") and bearer != CONSOLE_TOKEN:
        assert status in (400, 401, 403, 415, 429), status
    assert edge.counts()["messages"] == before["messages"]  # the web chat and console never store messages
