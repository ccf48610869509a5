"""HTTP load test: the real server, signed Slack events and Teams activities, on loopback only.

``scripts/load_test.py`` is its command line; its docstring says what is measured. :func:`run` imports the
sample community into a fresh data directory, starts the server (``yorozu serve --local``, or a web and a
worker process with ``split``), sends the load open-loop while a person asks the web chat every 2 s, waits
for the backlog and the jobs to drain and counts that every acknowledged message was stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from aiohttp import web

from knowledge.bench.load_fakes import (
    SECRET,
    SLACK_CHANNEL,
    TEAMS_CHANNEL,
    Fakes,
    free_port,
    plan,
    slack_request,
    teams_request,
)
from knowledge.sample import sample_community_path


@dataclass(frozen=True)
class LoadOptions:
    rate: float = 100.0
    seconds: float = 60.0
    drain_timeout: float = 1800.0
    keep: str | None = None  # use and keep this data directory (default: a temporary one)
    split: bool = False  # the server as two processes: --role web and --role worker


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


async def run(args: LoadOptions, yorozu: list[str]) -> dict[str, Any]:
    """Run the load test; ``yorozu`` is the command that runs Yorozu's command line."""
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
                [*yorozu, "import", "slack-export", str(sample_community_path())],
                env=env,
                check=True,
                capture_output=True,
            )
        log = log_path.open("wb")
        started = time.perf_counter()
        role = ["--role", "web"] if args.split else []
        server = subprocess.Popen(
            # The sample community on purpose: serve refuses it otherwise.
            [*yorozu, "serve", "--local", "--allow-sample", "--host", "127.0.0.1", "--port", str(port), *role],
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
                [*yorozu, "serve", "--local", "--allow-sample", "--role", "worker"],
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
