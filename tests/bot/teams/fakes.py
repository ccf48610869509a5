"""Fakes for Microsoft's servers: real aiohttp apps on localhost that record what they receive.

``FakeMicrosoftLogin`` runs in its own thread and event loop: botbuilder fetches OpenID metadata and
signing keys with blocking ``requests`` calls on the caller's loop, which would deadlock a fake served by
that same loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeMicrosoftLogin:
    """OpenID metadata, a JWKS with one signing key, and a client-credentials token endpoint."""

    def __init__(self) -> None:
        self.key = new_key()
        self.kid = f"test-{uuid.uuid4().hex[:8]}"
        self.token_requests: list[dict[str, str]] = []
        self.tokens_issued = 0
        self.scopes: dict[str, str] = {}  # access token -> the scope it was issued for
        self.refuse_tokens = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="fake-login")
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/tenant/oauth2/v2.0/token"

    def start(self) -> FakeMicrosoftLogin:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/keys", self._keys)
        app.router.add_post("/tenant/oauth2/v2.0/token", self._token)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _metadata(self, request: web.Request) -> web.Response:
        return web.json_response({"issuer": BOT_FRAMEWORK_ISSUER, "jwks_uri": f"{self.base_url}/keys"})

    async def _keys(self, request: web.Request) -> web.Response:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "endorsements": ["msteams", "emulator"]})
        return web.json_response({"keys": [jwk]})

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        if self.refuse_tokens:
            return web.json_response({"error": "invalid_client"}, status=401)
        self.tokens_issued += 1
        token = f"fake-access-token-{self.tokens_issued}"
        self.scopes[token] = str(form.get("scope", ""))
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": token})

    def sign(
        self,
        *,
        audience: str,
        service_url: str,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        expires_in: float = 3600,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """A token as the Bot Framework channel service signs them."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": audience,
            "serviceurl": service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + int(expires_in),
            **(extra or {}),
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeBotConnector:
    """The Bot Connector a Teams activity's ``serviceUrl`` points at: records every call."""

    requests: list[Recorded] = field(default_factory=list)
    channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)  # team details by team id
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    fail_with: int | None = None
    throttle_posts: int = 0  # how many more posted activities answer 429 (Retry-After: 1) before one succeeds

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._any)
        return app

    async def _any(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        self.requests.append(Recorded(request.method, request.path, dict(request.headers), body))
        self.arrived.set()
        if self.fail_with is not None:
            return web.json_response({"error": {"code": "BotNotInConversationRoster"}}, status=self.fail_with)
        if self.throttle_posts and request.method == "POST" and "/activities" in request.path:
            self.throttle_posts -= 1
            self.requests[-1] = Recorded(request.method, request.path + ":429", dict(request.headers), body)
            return web.json_response({"error": {"code": "Throttled"}}, status=429, headers={"Retry-After": "1"})
        parts = request.path.strip("/").split("/")
        if request.method == "GET" and len(parts) == 4 and parts[1] == "teams" and parts[3] == "conversations":
            return web.json_response({"conversations": self.channels.get(parts[2], [])})
        if request.method == "GET" and len(parts) == 3 and parts[1] == "teams":
            if parts[2] not in self.teams:
                return web.json_response({"error": {"code": "NotFound"}}, status=404)
            return web.json_response(self.teams[parts[2]])
        return web.json_response({"id": f"bot-{len(self.requests)}"})

    def sent(self) -> list[Recorded]:
        """Messages the bot posted (replies and new messages), in order."""
        return [r for r in self.requests if r.method == "POST" and "/activities" in r.path and r.path[-4:] != ":429"]

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Recorded]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.sent()) < count:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), timeout=min(remaining, 0.5))
        return self.sent()


# --- Microsoft Graph -------------------------------------------------------------------------------

GRAPH_TEAM = "fbe2bf47-16c8-47cf-b4a5-4b9b187c508b"  # Graph names a team by its Entra group id
GRAPH_GENERAL = "19:general@thread.tacv2"
GRAPH_PRIVATE = "19:private@thread.tacv2"
GRAPH_QUESTION = "Excelマクロを作った職員が異動して、誰もVBAを保守できません。どうしていますか？"


def _graph_message(mid: str, text: str, channel: str, user: str, reply_to: str | None = None) -> dict[str, Any]:
    return {
        "id": mid,
        "replyToId": reply_to,
        "messageType": "message",
        "createdDateTime": "2026-04-01T01:00:00Z",
        "deletedDateTime": None,
        "webUrl": f"https://teams.microsoft.com/l/message/{channel}/{mid}",
        "from": {"user": {"id": user, "displayName": user}},
        "body": {"contentType": "html", "content": f"<p>{text}</p>"},
        "channelIdentity": {"teamId": GRAPH_TEAM, "channelId": channel},
        "reactions": [],
    }


class FakeGraph:
    """Graph's channel and message endpoints for one team (``GRAPH_TEAM``) with a standard and a private
    channel, paged and throttled once; ``channel_details`` answers single-channel lookups by channel id."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.throttled = False
        self.channel_details: dict[str, dict[str, Any]] = {
            GRAPH_GENERAL: {"id": GRAPH_GENERAL, "displayName": "General", "membershipType": "standard"},
            GRAPH_PRIVATE: {"id": GRAPH_PRIVATE, "displayName": "CISO連絡会", "membershipType": "private"},
        }
        self.lookup_status = 200  # what single-channel lookups answer (403: no consent)
        self.hold: asyncio.Event | None = None  # lookups wait for it: a test can look before Graph answers

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1.0/teams/{team}/channels", self.channels)
        app.router.add_get("/v1.0/teams/{team}/channels/{channel}", self.channel)
        app.router.add_get("/v1.0/teams/{team}/channels/{channel}/messages", self.messages)
        app.router.add_get("/v1.0/teams/{team}/channels/{channel}/messages/{root}/replies", self.replies)
        return app

    def _record(self, request: web.Request) -> None:
        self.calls.append((request.path_qs, request.headers.get("Authorization", "")))

    def lookups(self) -> list[str]:
        """The paths of single-channel lookups, in order."""
        return [unquote(p) for p, _ in self.calls if p.count("/") == 5 and "/channels/" in p]

    async def channels(self, request: web.Request) -> web.Response:
        self._record(request)
        listing = [self.channel_details[GRAPH_GENERAL], self.channel_details[GRAPH_PRIVATE]]
        return web.json_response({"value": listing})

    async def channel(self, request: web.Request) -> web.Response:
        self._record(request)
        if self.hold is not None:
            await self.hold.wait()
        details = self.channel_details.get(request.match_info["channel"])
        if self.lookup_status != 200:
            return web.json_response({"error": {"code": "Forbidden"}}, status=self.lookup_status)
        if details is None:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        return web.json_response(details)

    async def messages(self, request: web.Request) -> web.Response:
        self._record(request)
        channel = request.match_info["channel"]
        if channel == GRAPH_PRIVATE:
            return web.json_response(
                {"value": [_graph_message("900", "オフラインバックアップの頻度は？", GRAPH_PRIVATE, "u3")]}
            )
        if not self.throttled:
            self.throttled = True
            return web.json_response({"error": {"code": "TooManyRequests"}}, status=429, headers={"Retry-After": "0"})
        base = str(request.url.with_query(None))
        if request.query.get("$skiptoken") != "2":
            root = _graph_message("100", GRAPH_QUESTION, GRAPH_GENERAL, "u1")
            root["replies"] = [_graph_message("101", "棚卸しして手順書を作りました。", GRAPH_GENERAL, "u2", "100")]
            root["replies@odata.nextLink"] = f"{base}/100/replies?$skiptoken=r2"
            return web.json_response({"value": [root], "@odata.nextLink": f"{base}?$top=50&$skiptoken=2"})
        return web.json_response({"value": [_graph_message("200", "お知らせです", GRAPH_GENERAL, "u1")]})

    async def replies(self, request: web.Request) -> web.Response:
        self._record(request)
        return web.json_response(
            {"value": [_graph_message("102", "RPAに置き換えました。", GRAPH_GENERAL, "u4", "100")]}
        )
