"""Follow-ups: one post in an unanswered question's thread, once — across a restart and with two replicas."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import RUNNER_KEY
from bot.service import open_knowledge_base
from knowledge.base import KnowledgeBase
from knowledge.store import tables
from tests.bot.slack.conftest import SlackClient, curation_settings, running_slack
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_direct import command
from tests.bot.slack.test_flow import NEW_Q, seed_macro_thread
from tests.fakes import FakeEmbedder

FOLLOWUP_MARK = "まだ返信がありません"


def followups(fake: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in fake.called("chat.postMessage") if FOLLOWUP_MARK in json.dumps(p, ensure_ascii=False)]


def now_ts() -> str:
    """A Slack ts for a message posted now (the follow-up is due ``YOROZU_FOLLOWUP_AFTER`` later)."""
    return f"{time.time():.6f}"


def make_followups_due(*clients: SlackClient) -> None:
    """The follow-up time has come: the jobs' ``run_after`` is set in the past (no clock is waited for),
    and each app's job runner is woken."""
    with clients[0].kb.store.begin() as conn:
        conn.execute(
            tables.jobs.update()
            .where(tables.jobs.c.kind == "slack.followup", tables.jobs.c.done_at.is_(None))
            .values(run_after=datetime.now(UTC) - timedelta(seconds=1))
        )
    for client in clients:
        client.app[RUNNER_KEY].wake()


def followup_jobs(kb: KnowledgeBase) -> list[tuple[Any, ...]]:
    with kb.store.begin() as conn:
        rows = conn.exec_driver_sql("SELECT key, done_at, last_error FROM jobs WHERE kind = 'slack.followup'").all()
    return [tuple(r) for r in rows]


async def settle(kb: KnowledgeBase, timeout: float = 10.0) -> None:
    """Wait for every job except follow-ups (which are not due yet) to finish."""
    deadline = time.monotonic() + timeout
    while True:
        with kb.store.begin() as conn:
            rows = conn.exec_driver_sql("SELECT done_at, last_error FROM jobs WHERE kind != 'slack.followup'").all()
        if all(done or error for done, error in rows):
            return
        assert time.monotonic() < deadline, rows
        await asyncio.sleep(0.02)


@pytest.fixture
async def later(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path, embedder: FakeEmbedder
) -> AsyncIterator[SlackClient]:
    """Follow-ups an hour after the question: a test makes them due with :func:`make_followups_due`."""
    settings = curation_settings(tmp_path, fake_slack, database_url, YOROZU_FOLLOWUP_AFTER="1h")
    kb = open_knowledge_base(settings, embedder=embedder)
    try:
        async with running_slack(settings, kb) as client:
            yield client
    finally:
        kb.close()


async def test_an_unanswered_question_gets_one_followup_naming_people_and_pinging_subscribers(
    later: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(later)  # history: long past its follow-up time, so it gets none
    assert followup_jobs(later.kb) == []
    await later.message("DU4", "1700050000.000100", "U4", "subscribe Excelマクロ", channel_type="im")
    await later.drain()
    ts = now_ts()
    assert await later.message("C1", ts, "U1", NEW_Q) == 200
    await settle(later.kb)
    assert followups(fake_slack) == []  # not due yet
    make_followups_due(later)
    await later.drain()
    (post,) = followups(fake_slack)
    assert (post["channel"], post["thread_ts"]) == ("C1", ts)
    text = json.dumps(post["blocks"], ensure_ascii=False)
    # The people who answered the similar thread, by name and organisation, with why: plain text.
    assert "*鈴木 花子*（南川町 総務課） — このテーマで1件回答" in text
    assert "*高橋 誠*（青葉県庁 情報政策課） — このテーマで1件回答" in text
    assert "お名前を紹介しているだけで、通知はしていません" in text
    assert "佐藤 健" not in text  # the asker is never suggested to themselves
    # Only the subscriber is pinged; the named people are not.
    assert re.findall(r"<@([A-Z0-9]+)>", json.dumps(post, ensure_ascii=False)) == ["U4"]
    assert "<@" not in post["text"]
    ((_, done, error),) = followup_jobs(later.kb)
    assert done is not None and error is None


async def test_a_question_that_got_a_human_reply_gets_no_followup(later: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(later)
    ts = now_ts()
    await later.message("C1", ts, "U1", NEW_Q)
    await later.message("C1", now_ts(), "U2", "うちは棚卸しから始めました。", thread_ts=ts)
    await settle(later.kb)
    make_followups_due(later)
    await later.drain()
    ((_, done, error),) = followup_jobs(later.kb)  # it ran, and decided there was nothing to post
    assert done is not None and error is None
    assert followups(fake_slack) == []


async def test_no_followup_in_a_channel_switched_off(later: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(later)
    await later.form(command(fake_slack, "off", user="U1"))
    await fake_slack.wait_for_responses()  # switched off (the command runs as a job) before the question
    await later.message("C1", now_ts(), "U1", NEW_Q)
    await settle(later.kb)
    make_followups_due(later)
    await later.drain()
    ((_, done, error),) = followup_jobs(later.kb)
    assert done is not None and error is None
    assert followups(fake_slack) == [] and fake_slack.called("chat.postMessage") == []


async def test_an_opted_out_person_is_never_named_in_a_followup(later: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(later)
    await later.message("DU2", "1700050000.000100", "U2", "optout", channel_type="im")
    await later.drain()
    await later.message("C1", now_ts(), "U1", NEW_Q)
    await settle(later.kb)
    make_followups_due(later)
    await later.drain()
    (post,) = followups(fake_slack)
    text = json.dumps(post, ensure_ascii=False)
    assert "高橋 誠" in text and "鈴木" not in text and "南川町" not in text


async def test_a_followup_fires_once_across_a_restart(database_url: str, fake_slack: FakeSlack, tmp_path: Path) -> None:
    settings = curation_settings(tmp_path, fake_slack, database_url, YOROZU_FOLLOWUP_AFTER="1h")
    first = open_knowledge_base(settings, embedder=FakeEmbedder())
    try:
        async with running_slack(settings, first, drain=False) as slack:
            await seed_macro_thread(slack)
            ts = now_ts()
            await slack.message("C1", ts, "U1", NEW_Q)
            await settle(first)
            assert await slack.app[RUNNER_KEY].run_once() == 0  # a poll finds nothing due
        # Stopped before the follow-up was due: nothing posted, the job waits in the database.
        assert followups(fake_slack) == []
        ((key, done, _),) = followup_jobs(first)
        assert key == f"followup:slack:C1:{ts}" and done is None
    finally:
        first.close()
    # A new process: a new knowledge base on the same data directory and database, once the time has come.
    second = open_knowledge_base(settings, embedder=FakeEmbedder())
    try:
        async with running_slack(settings, second) as slack:
            make_followups_due(slack)
            await slack.drain()
            (post,) = followups(fake_slack)
            assert post["thread_ts"] == ts
            assert await slack.app[RUNNER_KEY].run_once() == 0  # a poll later: nothing left to post
            assert len(followups(fake_slack)) == 1
            ((_, done, error),) = followup_jobs(second)
            assert done is not None and error is None
    finally:
        second.close()


async def test_two_replicas_on_one_database_post_a_followup_once(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    # Each replica has its own data directory (its own index files); they share the database.
    one = curation_settings(tmp_path / "one", fake_slack, database_url, YOROZU_FOLLOWUP_AFTER="1h")
    two = curation_settings(tmp_path / "two", fake_slack, database_url, YOROZU_FOLLOWUP_AFTER="1h")
    kb_one = open_knowledge_base(one, embedder=FakeEmbedder())
    kb_two = open_knowledge_base(two, embedder=FakeEmbedder())
    try:
        async with running_slack(one, kb_one) as a, running_slack(two, kb_two) as b:
            await seed_macro_thread(a)
            ts = now_ts()
            await a.message("C1", ts, "U1", NEW_Q)
            await settle(kb_one)
            make_followups_due(a, b)
            # Both job runners look for due jobs at the same moment (besides their own polls): one claims it.
            await asyncio.gather(a.app[RUNNER_KEY].run_once(), b.app[RUNNER_KEY].run_once())
            await a.drain()
            await b.drain()
            assert [await a.app[RUNNER_KEY].run_once(), await b.app[RUNNER_KEY].run_once()] == [0, 0]
            (post,) = followups(fake_slack)
            assert post["thread_ts"] == ts
    finally:
        kb_one.close()
        kb_two.close()
