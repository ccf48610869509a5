"""429 from Slack's chat.postMessage: the client waits Retry-After and retries; past its retries the job
keeps its place and posts once when it runs again (its run_after is set in the past: no test waits)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.app import RUNNER_KEY
from knowledge.store import tables
from tests.bot.slack.conftest import SlackClient
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_flow import NEW_Q, seed_macro_thread

QUESTION_TS = "1700100000.000100"


def post_attempts(fake: FakeSlack) -> list[str]:
    return [c.method for c in fake.calls if c.method.startswith("chat.postMessage")]


def suggest_job(slack: SlackClient) -> tuple[object, ...]:
    with slack.kb.store.begin() as conn:
        query = "SELECT attempts, last_error, done_at FROM jobs WHERE kind = 'slack.suggest' AND payload LIKE :ts"
        row = conn.execute(sa.text(query), {"ts": f"%{QUESTION_TS}%"}).one()
    return tuple(row)


async def test_a_rate_limited_reply_is_retried_after_retry_after_and_posted_once(
    slack: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(slack)
    fake_slack.rate_limited["chat.postMessage"] = 1
    assert await slack.message("C1", QUESTION_TS, "U2", NEW_Q) == 200
    (post,) = await fake_slack.wait_for("chat.postMessage")
    await slack.drain()
    assert post_attempts(fake_slack) == ["chat.postMessage:429", "chat.postMessage"]
    assert (post["channel"], post["thread_ts"]) == ("C1", QUESTION_TS)
    assert suggest_job(slack)[:2] == (1, None)


async def test_a_reply_still_rate_limited_after_the_retries_is_posted_later_not_lost(
    slack: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(slack)
    fake_slack.rate_limited["chat.postMessage"] = 4  # the first try and the client's 3 retries
    assert await slack.message("C1", QUESTION_TS, "U2", NEW_Q) == 200
    await slack.drain(strict=False)
    attempts, error, done = suggest_job(slack)
    assert (attempts, done) == (1, None) and "ratelimited" in str(error)
    assert fake_slack.called("chat.postMessage") == []
    with slack.kb.store.begin() as conn:
        conn.execute(tables.jobs.update().values(run_after=datetime.now(UTC) - timedelta(seconds=1)))
    slack.app[RUNNER_KEY].wake()
    (post,) = await fake_slack.wait_for("chat.postMessage")
    assert post["thread_ts"] == QUESTION_TS
    deadline = asyncio.get_running_loop().time() + 10
    while (job := suggest_job(slack))[2] is None:  # until the job is finished, not only failed
        assert asyncio.get_running_loop().time() < deadline, job
        await asyncio.sleep(0.02)
    assert job[0] == 2
    assert post_attempts(fake_slack) == ["chat.postMessage:429"] * 4 + ["chat.postMessage"]
