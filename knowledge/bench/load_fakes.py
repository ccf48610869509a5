"""The load test's counterparts on loopback: a fake Slack Web API and Bot Connector, and the requests sent.

Slack events are HMAC-signed like Slack's; Teams activities go to ``/api/messages`` in local mode (no app id:
the Bot Framework Emulator's mode, loopback only). Texts are recombined from the sample community
(:class:`knowledge.bench.synthetic.Generator`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from typing import Any

from aiohttp import web

from knowledge.bench.synthetic import Generator

SECRET = "load-test-signing-secret"
SLACK_CHANNEL = "CLOAD01"
TEAMS_CHANNEL = "19:load-test@thread.tacv2"
TEAM = "19:load-team@thread.tacv2"
TENANT = "00000000-0000-0000-0000-00000000load"
BOT_ID = "28:yorozu-load-test"
BOT_USER = "UYOROZU"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- fake Slack Web API and Bot Connector (loopback) ----------------------------------------------


class Fakes:
    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/{method}", self.slack)
        app.router.add_route("*", "/teams/{tail:.*}", self.connector)
        return app

    async def slack(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls[method] = self.calls.get(method, 0) + 1
        form: dict[str, Any] = dict(await request.post()) if request.content_type != "application/json" else {}
        if request.content_type == "application/json":
            form = await request.json()
        if method == "auth.test":
            body = {
                "ok": True,
                "url": "https://load.slack.com/",
                "team_id": "TLOAD",
                "user_id": BOT_USER,
                "bot_id": "BLOAD",
            }
        elif method == "users.info":
            uid = str(form.get("user"))
            name = f"職員{uid[-3:]}"
            body = {
                "ok": True,
                "user": {
                    "id": uid,
                    "name": uid.lower(),
                    "real_name": name,
                    "is_bot": False,
                    "locale": "ja-JP",
                    "profile": {"title": "情報政策課", "display_name": name, "real_name": name},
                },
            }
        elif method == "conversations.info":
            cid = str(form.get("channel"))
            body = {
                "ok": True,
                "channel": {"id": cid, "name": "q-and-a", "is_channel": True, "is_private": False, "is_member": True},
            }
        elif method == "chat.postMessage":
            body = {"ok": True, "channel": form.get("channel"), "ts": f"{time.time():.6f}"}
        else:
            body = {"ok": True}
        return web.json_response(body)

    async def connector(self, request: web.Request) -> web.Response:
        self.calls["connector"] = self.calls.get("connector", 0) + 1
        await request.read()
        return web.json_response({"id": f"1:{time.time_ns()}"})


# --- requests -----------------------------------------------------------------------------------


def slack_request(n: int, root: str | None, text: str, ts: str, user: str) -> tuple[str, bytes, dict[str, str]]:
    event: dict[str, Any] = {
        "type": "message",
        "channel": SLACK_CHANNEL,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
    }
    if root is not None:
        event["thread_ts"] = root
    body = json.dumps(
        {
            "token": "unused",
            "team_id": "TLOAD",
            "api_app_id": "ALOAD",
            "event": event,
            "type": "event_callback",
            "event_id": f"EvLOAD{n:08d}",
            "event_time": int(time.time()),
        },
        ensure_ascii=False,
    ).encode()
    stamp = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }
    return "/slack/events", body, headers


def teams_request(
    service_url: str, message_id: str, root: str | None, text: str, user: str
) -> tuple[str, bytes, dict[str, str]]:
    activity = {
        "type": "message",
        "channelId": "msteams",
        "text": text,
        "id": message_id,
        "serviceUrl": service_url,
        "channelData": {
            "teamsChannelId": TEAMS_CHANNEL,
            "teamsTeamId": TEAM,
            "channel": {"id": TEAMS_CHANNEL},
            "team": {"id": TEAM},
            "tenant": {"id": TENANT},
        },
        "from": {"id": f"29:{user}", "name": f"職員{user[-3:]}", "aadObjectId": f"aad-{user}"},
        "recipient": {"id": BOT_ID, "name": "Yorozu"},
        "conversation": {
            "id": f"{TEAMS_CHANNEL};messageid={root or message_id}",
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": TENANT,
        },
        "entities": [{"locale": "ja-JP", "country": "JP", "platform": "Web", "type": "clientInfo"}],
        "textFormat": "plain",
        "timestamp": "2026-05-01T01:02:03.4953744Z",
        "locale": "ja-JP",
    }
    return "/api/messages", json.dumps(activity, ensure_ascii=False).encode(), {"Content-Type": "application/json"}


def plan(total: int, service_url: str) -> list[tuple[str, str, str | None, str, str]]:
    """(platform, message id, thread root or None, text, user) in sending order: questions and replies."""
    gen = Generator(seed=11)
    base = int(time.time())
    out: list[tuple[str, str, str | None, str, str]] = []
    open_threads: dict[str, list[tuple[str, list[str]]]] = {"slack": [], "teams": []}
    for n in range(total):
        platform = "slack" if n % 2 == 0 else "teams"
        threads = open_threads[platform]
        mid = f"{base}.{n:06d}" if platform == "slack" else f"{base}{n:07d}"
        user = f"ULOAD{n % 97:03d}"
        if not threads or gen.rng.random() < 0.4:
            _, question, answers = gen.thread()
            out.append((platform, mid, None, question, user))
            threads.append((mid, answers))
            if len(threads) > 50:
                threads.pop(0)
        else:
            k = gen.rng.randrange(len(threads))
            root, answers = threads[k]
            out.append((platform, mid, root, answers.pop(0), user))
            if not answers:
                threads.pop(k)
    return out
