"""HTTP load test: the real server, signed Slack events and Teams activities, on loopback only.

    python scripts/load_test.py [--rate 100] [--seconds 60] [--drain-timeout 1800] [--keep DIR] [--split]

1. Imports the bundled sample community into a fresh data directory (so suggestion jobs search a real
   index), then starts ``yorozu serve --local`` on a free loopback port with a Slack signing secret
   (Slack's ``/slack/events``) and Teams in local mode (``/api/messages`` without an app id: the Bot
   Framework Emulator's mode, loopback only). Slack's Web API and the Bot Connector are fake servers in
   this process, on loopback, so replies have somewhere to go.
2. Sends ``rate`` requests per second for ``seconds`` (open loop: a slow answer does not slow the
   sender), alternating Slack ``event_callback`` messages (HMAC-signed like Slack's) and Teams channel
   ``message`` activities: new questions and replies in their threads, texts recombined from the
   sample community (scripts/bench_scale.py).
3. Reports the rate held, status codes (5xx must be 0), acknowledgement latency p50/p95/p99 (Slack
   retries after 3 s), then polls ``/healthz`` until the indexing backlog is 0 and reports how long
   that took; finally counts the messages in the database: every acknowledged message must be there.
   Meanwhile a question goes to the local web chat (``/api/ask``) every 2 s, during the load and
   during the drain: how long a person asking while the backlog is embedded waits for the answer.

With ``--split`` the server is two processes on the one database, ``yorozu serve --role web`` (the
endpoints and the web chat; it embeds only questions) and ``--role worker`` (embedding and replies).

Everything is bounded: the sender stops after ``rate * seconds`` requests, the drain wait after
``--drain-timeout`` seconds, and the server is stopped with SIGINT (then SIGKILL) at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_scale import Generator  # noqa: E402

SECRET = "load-test-signing-secret"
YORozu = ROOT / ".venv" / "bin" / "yorozu"
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


async def send_all(base_url: str, service_url: str, rate: float, seconds: float) -> dict[str, Any]:
    total = int(rate * seconds)
    messages = plan(total, service_url)
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    timed: list[tuple[str, float, float]] = []  # (platform, sent at, seconds to the acknowledgement)
    acked: list[tuple[str, str]] = []
    errors: list[str] = []
    connector = aiohttp.TCPConnector(limit=256)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def one(n: int) -> None:
            platform, mid, root, text, user = messages[n]
            if platform == "slack":
                path, body, headers = slack_request(n, root, text, mid, user)
            else:
                path, body, headers = teams_request(service_url, mid, root, text, user)
            started = time.perf_counter()
            try:
                async with http.post(base_url + path, data=body, headers=headers) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                return
            latencies.append(time.perf_counter() - started)
            timed.append((platform, started - start, latencies[-1]))
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                acked.append((platform, mid))

        start = time.perf_counter()
        tasks = []
        for n in range(total):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        sent_for = time.perf_counter() - start
        await asyncio.gather(*tasks)
        finished = time.perf_counter() - start
    ms = np.asarray(latencies) * 1000
    return {
        "requests": total,
        "target_rate_per_s": rate,
        "sent_rate_per_s": round(total / sent_for, 1),
        "completed_rate_per_s": round(len(latencies) / finished, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "client_errors": len(errors),
        "first_errors": errors[:3],
        "ack_ms": percentiles(ms),
        "ack_ms_by_platform": {
            name: percentiles(np.asarray([t for p, _, t in timed if p == name]) * 1000) for name in ("slack", "teams")
        },
        "over_3s": sum(1 for t in latencies if t > 3.0),
        # p95 of the requests sent in each 5-second window: whether slowness is steady or a stall.
        "p95_ms_by_5s": [
            round(float(np.percentile(window, 95)) * 1000)
            for w in range(int(seconds // 5) + 1)
            if (window := [t for _, at, t in timed if w * 5 <= at < (w + 1) * 5])
        ],
        # When the slowest were sent (seconds into the run): a stall shows as a cluster.
        "slowest": [
            {"platform": p, "sent_at_s": round(at, 1), "ms": round(t * 1000)}
            for p, at, t in sorted(timed, key=lambda x: -x[2])[:5]
        ],
        "acked": acked,
    }


def percentiles(ms: np.ndarray) -> dict[str, float]:
    ms = ms if ms.size else np.zeros(1)
    return {f"p{p}": round(float(np.percentile(ms, p)), 1) for p in (50, 95, 99)} | {"max": round(float(ms.max()), 1)}


async def wait_drained(base_url: str, timeout: float) -> dict[str, Any]:
    start = time.perf_counter()
    samples = []
    async with aiohttp.ClientSession() as http:
        while True:
            async with http.get(base_url + "/healthz") as resp:
                health = await resp.json()
            elapsed = time.perf_counter() - start
            samples.append((round(elapsed, 1), health["pending"]))
            if health["pending"] == 0:
                return {"drained_s": round(elapsed, 1), "pending_at_end_of_load": samples[0][1], "health": health}
            if elapsed > timeout:
                return {"drained_s": None, "pending_after_timeout": health["pending"], "health": health}
            await asyncio.sleep(2.0)


def jobs_left(db: Path) -> int:
    """Jobs (replies, follow-ups) neither done nor failed for good, read from the database."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        (left,) = conn.execute(
            "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND run_after <= ?",
            (datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),),
        ).fetchone()
    finally:
        conn.close()
    return int(left)


async def wait_jobs(db: Path, started: float, timeout: float) -> dict[str, Any]:
    """After the drain: how long until every reply due was posted (seconds since the load ended)."""
    while True:
        left = await asyncio.to_thread(jobs_left, db)
        elapsed = time.perf_counter() - started
        if left == 0:
            return {"jobs_done_s": round(elapsed, 1)}
        if elapsed > timeout:
            return {"jobs_done_s": None, "jobs_left_after_timeout": left}
        await asyncio.sleep(1.0)


class Asker:
    """Asks the local web chat (``/api/ask``) a question every ``every`` seconds, as a person would
    during the load and during the drain: how long a question waits while the backlog is embedded."""

    QUESTIONS = (
        "Excelマクロを作った人が異動して保守できません",
        "人事異動のときのフォルダ権限の棚卸しはどうしていますか",
        "新人向けのセキュリティ研修では何を教えていますか",
        "LGWAN端末のWindows更新はどう配信していますか",
    )

    def __init__(self, base_url: str, every: float = 2.0) -> None:
        self.base_url = base_url
        self.every = every
        self.phase = "load"
        self.samples: dict[str, list[float]] = {"load": [], "drain": []}
        self.failed = 0

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            n = 0
            while True:
                question = self.QUESTIONS[n % len(self.QUESTIONS)]
                n += 1
                phase = self.phase
                started = time.perf_counter()
                try:
                    async with http.post(self.base_url + "/api/ask", json={"question": question}) as resp:
                        await resp.read()
                        ok = resp.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                took = time.perf_counter() - started
                if ok:
                    self.samples[phase].append(took)
                else:
                    self.failed += 1
                await asyncio.sleep(max(0.0, self.every - took))

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {"failed": self.failed}
        for phase, samples in self.samples.items():
            if samples:
                ms = np.asarray(samples) * 1000
                out[phase] = (
                    {"questions": len(samples)}
                    | {f"p{p}": round(float(np.percentile(ms, p)), 1) for p in (50, 95)}
                    | {"max": round(float(ms.max()), 1)}
                )
        return out


def count_stored(db: Path, acked: list[tuple[str, str]]) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT c.platform, m.external_id FROM messages m JOIN channels c ON c.id = m.channel_id "
            "WHERE c.external_id IN (?, ?)",
            (SLACK_CHANNEL, TEAMS_CHANNEL),
        ).fetchall()
    finally:
        conn.close()
    stored = {(p, e) for p, e in rows}
    missing = [a for a in acked if a not in stored]
    return {"acknowledged": len(acked), "stored": len(stored), "lost": len(missing), "first_lost": missing[:5]}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="yorozu-load-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    fakes = Fakes()
    fake_runner = web.AppRunner(fakes.app(), access_log=None)
    await fake_runner.setup()
    fake_port = free_port()
    await web.TCPSite(fake_runner, "127.0.0.1", fake_port).start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "Microsoft", "YOROZU_"))}
    env |= {
        "YOROZU_DATA_DIR": str(data_dir),
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-load-test",
        "YOROZU_SLACK_API_URL": f"http://127.0.0.1:{fake_port}/api/",
        "YOROZU_LOG_LEVEL": "WARNING",
    }
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    log_path = data_dir / "server.log"
    try:
        if not (data_dir / "yorozu.sqlite3").exists():
            print("importing the sample community…", file=sys.stderr, flush=True)
            subprocess.run(
                [str(YORozu), "import", "slack-export", str(ROOT / "knowledge" / "data" / "sample_community")],
                env=env,
                check=True,
                capture_output=True,
            )
        log = log_path.open("wb")
        started = time.perf_counter()
        role = ["--role", "web"] if args.split else []
        server = subprocess.Popen(
            # The sample community on purpose: serve refuses it otherwise.
            [str(YORozu), "serve", "--local", "--allow-sample", "--host", "127.0.0.1", "--port", str(port), *role],
            env=env,
            stdout=log,
            stderr=log,
        )
        base_url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(base_url + "/healthz") as resp:
                        if resp.status == 200:
                            break
                if server.poll() is not None:
                    raise SystemExit(f"the server exited: see {log_path}")
                await asyncio.sleep(0.1)
            else:
                raise SystemExit("the server did not start within 60 s")
        if args.split:  # started once the web process has migrated the database
            worker_log = (data_dir / "worker.log").open("wb")
            worker = subprocess.Popen(
                [str(YORozu), "serve", "--local", "--allow-sample", "--role", "worker"],
                env=env,
                stdout=worker_log,
                stderr=worker_log,
            )
        ready_s = time.perf_counter() - started
        print(f"server ready in {ready_s:.1f}s; sending…", file=sys.stderr, flush=True)
        asker = Asker(base_url)
        asking = asyncio.create_task(asker.run())
        load = await send_all(base_url, f"http://127.0.0.1:{fake_port}/teams/", args.rate, args.seconds)
        print(f"sent: {load['statuses']}; waiting for the backlog to drain…", file=sys.stderr, flush=True)
        asker.phase = "drain"
        load_ended = time.perf_counter()
        drain = await wait_drained(base_url, args.drain_timeout)
        drain |= await wait_jobs(data_dir / "yorozu.sqlite3", load_ended, args.drain_timeout)
        asking.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asking
        acked = load.pop("acked")
        result = {
            "server_ready_s": round(ready_s, 1),
            "load": load,
            "drain": drain,
            "web_chat_questions_ms": asker.report(),
            "fake_api_calls": fakes.calls,
        }
    finally:
        for proc in (server, worker):
            if proc is None:
                continue
            proc.send_signal(signal.SIGINT)
            # Waited for off the event loop: the fakes must keep answering while the server finishes.
            try:
                await asyncio.to_thread(proc.wait, 60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        await fake_runner.cleanup()
    result["stored"] = count_stored(data_dir / "yorozu.sqlite3", acked)
    result["server_exit_code"] = server.returncode if server else None
    if args.split:
        result["worker_exit_code"] = worker.returncode if worker else None
    if not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second (default 100)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to send (default 60)")
    parser.add_argument("--drain-timeout", type=float, default=1800.0, help="give up waiting for the backlog")
    parser.add_argument("--keep", help="use and keep this data directory (default: a temporary one)")
    parser.add_argument(
        "--split", action="store_true", help="run the server as two processes: --role web and --role worker"
    )
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or args.rate * args.seconds > 100_000:
        parser.error("rate and seconds must be positive and send at most 100,000 requests")
    result = asyncio.run(run(args))
    result["load_average"] = os.getloadavg()
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
