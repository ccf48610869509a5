"""A fake Slack Web API: a real aiohttp app on an ephemeral port that records every call it receives.

Point ``YOROZU_SLACK_API_URL`` at :attr:`FakeSlack.api_url`. Web API methods answer from the
``users``/``channels``/``history`` the test sets up; ``/respond/<id>`` stands in for response_url hooks.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

TEAM_URL = "https://aoba-jichitai.slack.com/"
APP_TOKEN = "xapp-1-A111-test"
BOT_USER = "UBOT"
BOT_ID = "BBOT"


@dataclass
class Call:
    method: str
    params: dict[str, Any]


def user(user_id: str, name: str, title: str = "", *, locale: str = "ja-JP", is_bot: bool = False) -> dict[str, Any]:
    """A users.info user object (the fields Yorozu reads, shaped as in Slack's field samples)."""
    return {
        "id": user_id,
        "team_id": "T111",
        "name": user_id.lower(),
        "real_name": name,
        "is_bot": is_bot,
        "locale": locale,
        "profile": {"title": title, "display_name": name, "real_name": name},
    }


def channel(channel_id: str, name: str, *, private: bool = False, archived: bool = False) -> dict[str, Any]:
    return {
        "id": channel_id,
        "name": name,
        "is_channel": not private,
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": private,
        "is_archived": archived,
        "is_member": True,
    }


@dataclass
class FakeSlack:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    # conversations.history per channel and conversations.replies per (channel, thread ts), oldest first.
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    replies: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 2
    # method -> how many more calls answer 429 with Retry-After.
    rate_limited: dict[str, int] = field(default_factory=dict)
    retry_after: str = "0"  # the Retry-After of those 429s (the SDK waits it plus up to a second of jitter)
    # method -> the error code it answers with (``ok: false``), e.g. {"views.open": "expired_trigger_id"}.
    failing: dict[str, str] = field(default_factory=dict)
    # method -> an event its answers wait for: the answer is read when the call arrives and delivered
    # once the test sets the event, as a slow network delivers an answer older than what happened since.
    held: dict[str, asyncio.Event] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    # Socket Mode: the WebSockets apps.connections.open's URL accepted, and what came back on them (acks).
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    socket_messages: list[dict[str, Any]] = field(default_factory=list)
    server: TestServer | None = None
    _changed: asyncio.Condition | None = None

    @property
    def api_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/api/"))

    def response_url(self, name: str = "r1") -> str:
        assert self.server is not None
        return str(self.server.make_url(f"/respond/{name}"))

    def called(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The calls of ``method`` once there are ``count`` of them (fails after ``timeout`` seconds)."""
        return await self._wait(lambda: self.called(method), count, timeout, method)

    async def wait_for_responses(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        return await self._wait(lambda: self.responses, count, timeout, "response_url")

    async def wait_for_socket(self, timeout: float = 10.0) -> web.WebSocketResponse:
        """The Socket Mode connection Yorozu opened (after the hello Slack sends first)."""
        return (await self._wait(lambda: self.sockets, 1, timeout, "Socket Mode connection"))[-1]  # type: ignore[no-any-return]

    async def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Every message Yorozu sent back for ``envelope_id`` (its acknowledgement), once there is one."""
        return await self._wait(
            lambda: [m for m in self.socket_messages if m.get("envelope_id") == envelope_id], 1, timeout, "ack"
        )

    async def _wait(self, get: Any, count: int, timeout: float, label: str) -> list[dict[str, Any]]:
        assert self._changed is not None
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: len(get()) >= count), timeout)
            except TimeoutError:
                raise AssertionError(f"expected {count} {label} call(s), got {get()!r}") from None
        return list(get())

    def bind(self) -> None:
        """Create the loop-bound state; call inside the test's event loop, before serving."""
        self._changed = asyncio.Condition()

    # --- server ------------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_get("/link", self._link)
        return app

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        """The Socket Mode WebSocket: Slack says hello, sends envelopes, and reads the acknowledgements."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A111"}})
        await self._record(ws, self.sockets)
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                await self._record(json.loads(message.data), self.socket_messages)
        return ws

    async def _record(self, item: Any, into: list[Any]) -> None:
        assert self._changed is not None
        async with self._changed:
            into.append(item)
            self._changed.notify_all()

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._record({"name": request.match_info["name"], **body}, self.responses)
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
            params.update(request.query)
        params = {k: _maybe_json(v) for k, v in params.items()}
        if method == "apps.connections.open":
            # Opened with the app-level token, never the bot token; the URL is this server's /link.
            await self._record(Call(method, params), self.calls)
            if request.headers.get("Authorization") != f"Bearer {APP_TOKEN}":
                return web.json_response({"ok": False, "error": "invalid_auth"})
            assert self.server is not None
            url = str(self.server.make_url("/link")).replace("http://", "ws://", 1)
            return web.json_response({"ok": True, "url": url})
        if self.rate_limited.get(method):
            self.rate_limited[method] -= 1
            await self._record(Call(method + ":429", params), self.calls)
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": self.retry_after}
            )
        await self._record(Call(method, params), self.calls)
        if request.headers.get("Authorization") != "Bearer xoxb-test-token":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method in self.failing:
            return web.json_response({"ok": False, "error": self.failing[method]})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        answer = handler(params)
        if method in self.held:
            await self.held[method].wait()
        return web.json_response(answer)

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": TEAM_URL,
            "team": "青葉県 自治体IT",
            "team_id": "T111",
            "user": "yorozu",
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        found = self.users.get(str(params.get("user")))
        return {"ok": True, "user": found} if found else {"ok": False, "error": "user_not_found"}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        found = self.channels.get(str(params.get("channel")))
        return {"ok": True, "channel": found} if found else {"ok": False, "error": "channel_not_found"}

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        ts = f"1777000000.{len(self.calls):06d}"
        return {
            "ok": True,
            "channel": params.get("channel"),
            "ts": ts,
            "message": {"text": params.get("text"), "ts": ts},
        }

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        if not isinstance(view, dict) or not params.get("trigger_id"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {**view, "id": f"V{len(self.calls):06d}", "team_id": "T111"}}

    def _conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._page(list(self.channels.values()), params, "channels")

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        messages = self.history.get(str(params.get("channel")))
        if messages is None:
            return {"ok": False, "error": "channel_not_found"}
        # Newest first, as Slack returns them.
        return self._page(list(reversed(messages)), params, "messages")

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (str(params.get("channel")), str(params.get("ts")))
        return self._page(self.replies.get(key, []), params, "messages")

    def _page(self, items: list[dict[str, Any]], params: dict[str, Any], name: str) -> dict[str, Any]:
        start = int(params.get("cursor") or 0)
        limit = min(int(params.get("limit") or self.page_size), self.page_size)
        page = items[start : start + limit]
        more = start + limit < len(items)
        return {
            "ok": True,
            name: page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
