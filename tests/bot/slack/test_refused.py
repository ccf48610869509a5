"""Requests that fail verification touch nothing: no stored event, no receipt, no job, no log line.

Bolt's own signature check logs the unverified body at INFO; Yorozu refuses such requests before Bolt
reads them. What is logged says that a request was refused and its size (for the operator), and aiohttp's
access line its method, path and status: nothing of the body.
"""

from __future__ import annotations

import json
import logging
import time

import pytest

from knowledge.store import repository as repo
from tests.bot.slack.conftest import SlackClient, sign
from tests.bot.slack.test_endpoint import MESSAGE_ENVELOPE

pytestmark = pytest.mark.security


def body_values() -> list[str]:
    event = MESSAGE_ENVELOPE["event"]
    return [MESSAGE_ENVELOPE["event_id"], event["user"], event["text"], event["ts"], "verification_token"]


@pytest.mark.parametrize("case", ["unsigned", "wrong secret", "stale", "tampered", "unsigned broken json"])
async def test_a_refused_request_leaves_no_receipt_and_no_log_line(
    slack: SlackClient, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    caplog.set_level(logging.DEBUG)
    body = json.dumps(MESSAGE_ENVELOPE, ensure_ascii=False).encode()
    headers = {
        "unsigned": {},
        "wrong secret": sign(body, secret="not-the-secret"),
        "stale": sign(body, timestamp=int(time.time()) - 400),
        "tampered": sign(body.replace(b"T111", b"T999")),
        "unsigned broken json": {},
    }[case]
    if case == "unsigned broken json":
        body = body[:-7]
    resp = await slack.post(body, {"Content-Type": "application/json", **headers})
    assert resp.status == 401
    with slack.kb.store.begin() as conn:
        receipts = conn.exec_driver_sql("SELECT count(*) FROM event_receipts").scalar()
        jobs = repo.job_counts(conn)
    assert (receipts, jobs, slack.kb.stats().messages) == (0, {"pending": 0, "failed": 0}, 0)
    logged = [(r.name, r.getMessage()) for r in caplog.records]
    assert [line for _, line in logged if any(value in line for value in body_values())] == []
    assert [name for name, _ in logged if name != "aiohttp.access"] == ["bot.slack.app"]  # no Bolt, no slack_bolt
    assert logged[0][1].startswith("Slack request refused")
    assert '"POST /slack/events HTTP/1.1" 401' in logged[1][1]
