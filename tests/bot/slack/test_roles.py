"""`yorozu serve --role web` and `--role worker`: two real processes on one database.

The web process stores and acknowledges Slack's deliveries and embeds no thread; the worker embeds the
threads and posts the replies. Both are started as the operator would start them, with the default
(real) embedder; Slack's Web API is the fake server on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa

from bot.service import WORKER_NICENESS
from tests.bot.slack.conftest import SECRET, TOKEN, sign
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_flow import MACRO_A1, MACRO_A2, MACRO_Q, NEW_Q

# These tests load the real embedding model (the bundled e5, or the sample imported with it).
pytestmark = pytest.mark.model

START = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]


def nice(pid: int) -> int:
    """A process's nice value, from /proc (the 19th field of its stat line)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def process(args: list[str], env: dict[str, str], log: Path) -> AsyncIterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen([*START, *args], env=env, stdout=out, stderr=out)
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                # Off the event loop: the fake Slack server must keep answering while the process stops.
                await asyncio.to_thread(proc.wait, 30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def get_json(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with http.get(url) as resp:
        assert resp.status == 200
        data: dict[str, Any] = await resp.json()
        return data


async def until(check: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(aiohttp.ClientError):
            found = await check()
            if found:
                return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_a_web_process_and_a_worker_on_one_database_answer_a_question(
    tmp_path: Path, fake_slack: FakeSlack, database_url: str
) -> None:
    """On SQLite and on PostgreSQL (where replicas of both roles share one server)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "Microsoft", "YOROZU_"))}
    env |= {
        "YOROZU_DATA_DIR": str(tmp_path),
        "YOROZU_DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": TOKEN,
        "YOROZU_SLACK_API_URL": fake_slack.api_url,
        "YOROZU_ABSTAIN_BELOW": "0.5",
    }
    base = f"http://127.0.0.1:{port}"
    web_args = ["serve", "--role", "web", "--host", "127.0.0.1", "--port", str(port)]
    n = 0

    async def message(http: aiohttp.ClientSession, ts: str, user: str, text: str, thread: str | None = None) -> int:
        nonlocal n
        n += 1
        event = {"type": "message", "channel": "C1", "user": user, "text": text, "ts": ts, "channel_type": "channel"}
        if thread:
            event["thread_ts"] = thread
        body = json.dumps(
            {"type": "event_callback", "team_id": "T111", "event": event, "event_id": f"Ev{n}", "event_time": 1},
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json", **sign(body)}
        async with http.post(base + "/slack/events", data=body, headers=headers) as resp:
            return resp.status

    async with aiohttp.ClientSession() as http, process(web_args, env, tmp_path / "web.log") as web:
        await until(lambda: get_json(http, base + "/healthz"), "the web process")  # migrated the new database
        async with process(["serve", "--role", "worker"], env, tmp_path / "worker.log") as worker:
            assert await message(http, "1700000000.000100", "U1", MACRO_Q) == 200
            assert await message(http, "1700000100.000200", "U2", MACRO_A1, "1700000000.000100") == 200
            assert await message(http, "1700000200.000300", "U3", MACRO_A2, "1700000000.000100") == 200

            async def indexed() -> bool:
                health = await get_json(http, base + "/healthz")
                return bool(health["indexed"] == 1 and health["pending"] == 0)

            await until(indexed, "the worker's vector, indexed by the web process")
            assert await message(http, "1700100000.000100", "U4", NEW_Q) == 200
            (post,) = await fake_slack.wait_for("chat.postMessage", timeout=60)
            assert post["thread_ts"] == "1700100000.000100"
            assert "1700000000000100" in json.dumps(post["blocks"])  # the macro thread's permalink
            assert web.poll() is None and worker.poll() is None
            if sys.platform == "linux":  # the worker yields the CPU to the web process
                assert nice(worker.pid) == min(19, nice(os.getpid()) + WORKER_NICENESS)
                assert nice(web.pid) == nice(os.getpid())
        assert worker.returncode == 0
    assert web.returncode == 0
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            claimed = set(conn.execute(sa.text("SELECT claimed_by FROM jobs WHERE done_at IS NOT NULL")).scalars())
    finally:
        engine.dispose()
    assert claimed == {f"{socket.gethostname()}:{worker.pid}"}  # every job ran in the worker
    assert (tmp_path / "index" / "threads.faiss").exists() and (tmp_path / "index-web" / "threads.faiss").exists()
    web_log = (tmp_path / "web.log").read_text()
    assert "Traceback" not in web_log and "Traceback" not in (tmp_path / "worker.log").read_text()


@pytest.mark.parametrize("role", ["both", "workers"])
def test_an_unknown_role_is_refused(tmp_path: Path, role: str) -> None:
    env = {**os.environ, "YOROZU_DATA_DIR": str(tmp_path), "YOROZU_ROLE": role}
    proc = subprocess.run([*START, "stats"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode != 0
    assert "YOROZU_ROLE (--role) must be one of all, web, worker" in proc.stderr
