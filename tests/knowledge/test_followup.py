"""Follow-ups: one job per new question thread, persisted, run once by one of several processes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowledge import events as ev
from knowledge import followup
from knowledge.base import KnowledgeBase
from knowledge.model import Scope
from knowledge.store.tables import jobs
from tests.conftest import FAKE_ABSTAIN_BELOW, MACRO_THREAD, community
from tests.fakes import FakeEmbedder

QUESTION = "Excelのマクロを作った人が異動して、VBAを誰も保守できません。どうしていますか？"


def open_kb(url: str, index_dir: Path | None, **kwargs: object) -> KnowledgeBase:
    return KnowledgeBase.open(
        database_url=url,
        embedder=FakeEmbedder(),
        index_dir=index_dir,
        abstain_below=FAKE_ABSTAIN_BELOW,
        **kwargs,  # type: ignore[arg-type]
    )


def fresh(ts: str, author: str, text: str, *, minutes_ago: float = 1, thread: str | None = None) -> ev.MessagePosted:
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return ev.MessagePosted("slack", "C1", ts, author, text, when, thread_id=thread)


def followup_jobs(kb: KnowledgeBase) -> list[sa.Row]:
    with kb.store.begin() as conn:
        return conn.execute(sa.select(jobs).where(jobs.c.kind == followup.job_kind("slack"))).all()


def test_a_new_question_gets_exactly_one_follow_up_job(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)  # history from April: no follow-ups months late
    assert followup_jobs(kb) == []
    root = fresh("900.0", "U4", QUESTION)
    assert kb.ingest(root) is True
    assert kb.ingest(root) is False  # a retry
    kb.ingest_many([root])  # a re-import
    kb.ingest(fresh("900.1", "U4", "補足です。Excel 2016です。", thread="900.0"))  # the asker's own reply
    kb.ingest(fresh("901.0", "U4", "【お知らせ】来週の研修資料を共有します"))  # not a question
    kb.ingest(fresh("902.0", "B1", "リマインダー：今日は棚卸しの日です？", thread=None))
    kb.ingest(ev.MessagePosted("slack", "C1", "903.0", "B1", "どうしますか？", datetime.now(UTC), is_bot=True))
    rows = followup_jobs(kb)
    assert len(rows) == 1
    job = rows[0]
    assert job.key == "followup:slack:C1:900.0"
    assert json.loads(job.payload) == {"platform": "slack", "channel_id": "C1", "root_id": "900.0"}
    run_after = job.run_after.replace(tzinfo=UTC) if job.run_after.tzinfo is None else job.run_after
    assert abs(run_after - (root.posted_at + timedelta(hours=24))) < timedelta(seconds=1)


def test_the_delay_is_configurable_and_dms_get_none(database_url: str, tmp_path: Path) -> None:
    with open_kb(database_url, tmp_path, followup_after=timedelta(minutes=30)) as kb:
        kb.ingest(ev.ChannelSeen("slack", "D1", "dm", visibility="dm"))  # type: ignore[arg-type]
        kb.ingest(ev.MessagePosted("slack", "D1", "1.0", "U1", QUESTION, datetime.now(UTC)))
        assert followup_jobs(kb) == []
        kb.ingest(fresh("900.0", "U4", QUESTION, minutes_ago=40))  # already due: posted before a restart
        assert followup_jobs(kb) == []
        kb.ingest(fresh("901.0", "U4", QUESTION, minutes_ago=10))
        (job,) = followup_jobs(kb)
        run_after = job.run_after.replace(tzinfo=UTC) if job.run_after.tzinfo is None else job.run_after
        assert timedelta(minutes=19) < run_after - datetime.now(UTC) < timedelta(minutes=21)


def test_the_schedule_survives_a_restart_and_fires_once_with_two_processes(database_url: str, tmp_path: Path) -> None:
    # Posted almost 24 hours ago: due in a moment.
    with open_kb(database_url, tmp_path / "a") as kb:
        kb.ingest_many(community())
        kb.ingest(fresh("900.0", "U4", QUESTION, minutes_ago=24 * 60 - 0.02))
        assert kb.claim_jobs("a", [followup.job_kind("slack")]) == []  # not due yet
    # Restart: two processes on one database.
    a = open_kb(database_url, tmp_path / "a")
    b = open_kb(database_url, tmp_path / "b")
    try:
        a.ingest(fresh("900.0", "U4", QUESTION, minutes_ago=24 * 60 - 0.02))  # a redelivery after the restart
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        claimed: list[tuple[str, int]] = []
        while not claimed and datetime.now(UTC) < deadline:
            claimed += [("a", j.id) for j in a.claim_jobs("a", [followup.job_kind("slack")])]
            claimed += [("b", j.id) for j in b.claim_jobs("b", [followup.job_kind("slack")])]
        assert len(claimed) == 1
        worker, job_id = claimed[0]
        (a if worker == "a" else b).finish_job(job_id)
        assert a.claim_jobs("a", [followup.job_kind("slack")], lease_seconds=0) == []
        assert b.claim_jobs("b", [followup.job_kind("slack")], lease_seconds=0) == []
        assert len(followup_jobs(a)) == 1
    finally:
        a.close()
        b.close()


def test_follow_up_names_people_who_answered_similar_questions(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    kb.ingest(fresh("900.0", "U4", QUESTION))
    found = kb.followup_for("slack", "C1", "900.0")
    assert found is not None and found.question.startswith("Excelのマクロを作った人が異動して")
    assert {e.person_id for e in found.experts} == {"U2", "U3"}
    assert {e.name for e in found.experts} == {"鈴木 花子", "高橋 誠"}
    kb.set_opt_out("slack", "U2", True)
    found = kb.followup_for("slack", "C1", "900.0")
    assert found is not None and [e.name for e in found.experts] == ["高橋 誠"]
    # The asker is never suggested to themselves.
    kb.ingest(fresh("901.0", "U3", "VBAのマクロを誰も保守できません。どうしていますか？"))
    found = kb.followup_for("slack", "C1", "901.0")
    assert found is not None and "U3" not in [e.person_id for e in found.experts]


def test_a_follow_up_days_late_is_dropped(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    kb.ingest(fresh("900.0", "U4", QUESTION))
    due = datetime.now(UTC) + kb.followup_after
    assert kb.followup_for("slack", "C1", "900.0", now=due) is not None
    assert kb.followup_for("slack", "C1", "900.0", now=due + followup.LATE_AFTER + timedelta(minutes=5)) is None


def test_no_follow_up_after_a_human_reply_or_a_delete(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    kb.ingest(fresh("900.0", "U4", QUESTION))
    kb.ingest(fresh("901.0", "U4", QUESTION))
    kb.ingest(fresh("900.1", "U1", "うちは手順書を作りました。", thread="900.0"))
    assert kb.followup_for("slack", "C1", "900.0") is None
    kb.ingest(ev.MessageDeleted("slack", "C1", "901.0"))
    assert kb.followup_for("slack", "C1", "901.0") is None
    assert kb.followup_for("slack", "C1", "nope") is None
    # A bot's reply is not a human reply.
    kb.ingest(fresh("902.0", "U4", QUESTION))
    kb.ingest(
        ev.MessagePosted(
            "slack", "C1", "902.1", "B1", "過去のスレッド…", datetime.now(UTC), thread_id="902.0", is_bot=True
        )
    )
    assert kb.followup_for("slack", "C1", "902.0") is not None


def test_private_channel_follow_ups_only_draw_on_what_that_channel_may_see(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    kb.ingest(ev.MessagePosted("slack", "G1", "1.0", "U1", QUESTION, datetime.now(UTC)))
    found = kb.followup_for("slack", "G1", "1.0")
    assert found is not None and {e.person_id for e in found.experts} == {"U2", "U3"}  # public threads: anywhere
    assert kb.experts(QUESTION, scope=Scope("slack", "G1"))


@pytest.mark.parametrize("hours", [0.5])
def test_followup_after_is_stored_on_the_knowledge_base(database_url: str, tmp_path: Path, hours: float) -> None:
    with open_kb(database_url, None, followup_after=timedelta(hours=hours)) as kb:
        assert kb.followup_after == timedelta(hours=hours)
