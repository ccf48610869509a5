"""Follow-ups: one post in an unanswered question's thread, once — across a restart and with two replicas."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.service import open_knowledge_base
from knowledge.base import KnowledgeBase
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
async def soon(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path, embedder: FakeEmbedder
) -> AsyncIterator[SlackClient]:
    """Follow-ups one second after the question (the settings accept ``1s``)."""
    settings = curation_settings(tmp_path, fake_slack, database_url, YOROZU_FOLLOWUP_AFTER="1s")
    kb = open_knowledge_base(settings, embedder=embedder)
    try:
        async with running_slack(settings, kb) as client:
            yield client
    finally:
        kb.close()


async def test_an_unanswered_question_gets_one_followup_naming_people_and_pinging_subscribers(
    soon: SlackClient, fake_slack: FakeSlack
) -> None:
    await seed_macro_thread(soon)  # history: long past its follow-up time, so it gets none
    assert followup_jobs(soon.kb) == []
    await soon.message("DU4", "1700050000.000100", "U4", "subscribe Excelマクロ", channel_type="im")
    await soon.drain()
    ts = now_ts()
    assert await soon.message("C1", ts, "U1", NEW_Q) == 200
    await soon.drain()  # waits for the follow-up too: it is due a second after the question
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
    ((_, done, error),) = followup_jobs(soon.kb)
    assert done is not None and error is None


async def test_a_question_that_got_a_human_reply_gets_no_followup(soon: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(soon)
    ts = now_ts()
    await soon.message("C1", ts, "U1", NEW_Q)
    await soon.message("C1", now_ts(), "U2", "うちは棚卸しから始めました。", thread_ts=ts)
    await soon.drain()
    ((_, done, error),) = followup_jobs(soon.kb)  # it ran, and decided there was nothing to post
    assert done is not None and error is None
    assert followups(fake_slack) == []


async def test_no_followup_in_a_channel_switched_off(soon: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(soon)
    await soon.form(command(fake_slack, "off", user="U1"))
    await fake_slack.wait_for_responses()  # switched off (the command runs as a job) before the question
    await soon.message("C1", now_ts(), "U1", NEW_Q)
    await soon.drain()
    ((_, done, error),) = followup_jobs(soon.kb)
    assert done is not None and error is None
    assert followups(fake_slack) == [] and fake_slack.called("chat.postMessage") == []


async def test_an_opted_out_person_is_never_named_in_a_followup(soon: SlackClient, fake_slack: FakeSlack) -> None:
    await seed_macro_thread(soon)
    await soon.message("DU2", "1700050000.000100", "U2", "optout", channel_type="im")
    await soon.drain()
    await soon.message("C1", now_ts(), "U1", NEW_Q)
    await soon.drain()
    (post,) = followups(fake_slack)
    text = json.dumps(post, ensure_ascii=False)
    assert "高橋 誠" in text and "鈴木" not in text and "南川町" not in text


async def test_a_followup_fires_once_across_a_restart(database_url: str, fake_slack: FakeSlack, tmp_path: Path) -> None:
    settings = curation_settings(tmp_path, fake_slack, database_url, YOROZU_FOLLOWUP_AFTER="6s")
    first = open_knowledge_base(settings, embedder=FakeEmbedder())
    try:
        async with running_slack(settings, first, drain=False) as slack:
            await seed_macro_thread(slack)
            asked = time.time()
            ts = f"{asked:.6f}"
            await slack.message("C1", ts, "U1", NEW_Q)
            await settle(first)
        # Stopped before the follow-up was due: nothing posted, the job waits in the database.
        assert time.time() < asked + 6, "the first app took too long to stop for this test to mean anything"
        assert followups(fake_slack) == []
        ((key, done, _),) = followup_jobs(first)
        assert key == f"followup:slack:C1:{ts}" and done is None
    finally:
        first.close()
    # A new process: a new knowledge base on the same data directory and database.
    second = open_knowledge_base(settings, embedder=FakeEmbedder())
    try:
        async with running_slack(settings, second) as slack:
            await slack.drain(timeout=15)
            (post,) = followups(fake_slack)
            assert post["thread_ts"] == ts
            await asyncio.sleep(2.5)  # a poll of the job runner later: still one
            assert len(followups(fake_slack)) == 1
    finally:
        second.close()


async def test_two_replicas_on_one_database_post_a_followup_once(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    # Each replica has its own data directory (its own index files); they share the database.
    one = curation_settings(tmp_path / "one", fake_slack, database_url, YOROZU_FOLLOWUP_AFTER="1s")
    two = curation_settings(tmp_path / "two", fake_slack, database_url, YOROZU_FOLLOWUP_AFTER="1s")
    kb_one = open_knowledge_base(one, embedder=FakeEmbedder())
    kb_two = open_knowledge_base(two, embedder=FakeEmbedder())
    try:
        async with running_slack(one, kb_one) as a, running_slack(two, kb_two) as b:
            await seed_macro_thread(a)
            ts = now_ts()
            await a.message("C1", ts, "U1", NEW_Q)
            await a.drain()
            await b.drain()
            await asyncio.sleep(2.5)  # both job runners have polled since the follow-up was due
            (post,) = followups(fake_slack)
            assert post["thread_ts"] == ts
    finally:
        kb_one.close()
        kb_two.close()
