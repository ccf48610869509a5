"""History backfill against the fake Slack Web API: pagination, 429 Retry-After, progress, run twice."""

from __future__ import annotations

from pathlib import Path

from bot.service import KnowledgeService
from bot.slack.api import SlackApi, build_client
from bot.slack.backfill import backfill
from knowledge.base import KnowledgeBase
from knowledge.model import Scope
from tests.bot.slack.conftest import slack_settings
from tests.bot.slack.fake_slack import FakeSlack, channel
from tests.bot.slack.test_flow import BACKUP_A, BACKUP_Q, MACRO_A1, MACRO_A2, MACRO_Q, NEW_Q


def seed_history(fake: FakeSlack) -> None:
    fake.channels["C2"] = {**channel("C2", "random"), "is_member": False}
    root = {
        "type": "message",
        "user": "U1",
        "text": MACRO_Q,
        "ts": "1700000000.000100",
        "thread_ts": "1700000000.000100",
        "reply_count": 2,
    }
    replies = [
        {
            "type": "message",
            "user": "U2",
            "text": MACRO_A1,
            "ts": "1700000100.000200",
            "thread_ts": "1700000000.000100",
            "reactions": [{"name": "white_check_mark", "users": ["U1"], "count": 1}],
        },
        {
            "type": "message",
            "user": "U3",
            "text": MACRO_A2,
            "ts": "1700000200.000300",
            "thread_ts": "1700000000.000100",
        },
    ]
    fake.history["C1"] = [
        root,
        {"type": "message", "subtype": "channel_join", "user": "U4", "text": "<@U4> has joined", "ts": "1700000300.1"},
        {"type": "message", "subtype": "bot_message", "bot_id": "BOTHER", "text": "reminder", "ts": "1700000400.1"},
        {"type": "message", "user": "U4", "text": "よろしくお願いします", "ts": "1700000500.1"},
    ]
    fake.replies[("C1", "1700000000.000100")] = [root, *replies]
    fake.history["G1"] = [
        {
            "type": "message",
            "user": "U3",
            "text": BACKUP_Q,
            "ts": "1700001000.000100",
            "thread_ts": "1700001000.000100",
            "reply_count": 1,
        }
    ]
    fake.replies[("G1", "1700001000.000100")] = [
        fake.history["G1"][0],
        {
            "type": "message",
            "user": "U4",
            "text": BACKUP_A,
            "ts": "1700001100.000100",
            "thread_ts": "1700001000.000100",
        },
    ]
    fake.history["C2"] = [{"type": "message", "user": "U1", "text": "not a member here", "ts": "1700002000.1"}]


async def test_backfill_reads_history_with_pagination_and_retry_after(
    kb: KnowledgeBase, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    seed_history(fake_slack)
    fake_slack.rate_limited["conversations.history"] = 1
    api = SlackApi(build_client(slack_settings(tmp_path, fake_slack)))
    service = KnowledgeService(kb)
    lines: list[str] = []
    report = await backfill(api, service, progress=lines.append)
    assert report.channels == 2  # C2: the bot is not a member
    assert report.messages == 6 and report.changed == 6 and report.skipped == 2
    assert lines == ["[1/2] #q-and-a: 4 messages", "[2/2] #ciso-private: 2 messages"]
    # Pages of two: conversations.list and history needed cursors; the 429 was waited out and retried.
    assert len(fake_slack.called("conversations.list")) == 2
    assert [c.method for c in fake_slack.calls].count("conversations.history:429") == 1
    assert any(p.get("cursor") for p in fake_slack.called("conversations.history"))
    assert any(p.get("cursor") for p in fake_slack.called("conversations.replies"))

    result = await service.suggest(NEW_Q, scope=Scope("slack", "C1"))
    top = result.suggestions[0]
    assert top.url == "https://aoba-jichitai.slack.com/archives/C1/p1700000000000100"
    assert top.accepted and [a.name for a in top.answerers] == ["鈴木 花子", "高橋 誠"]
    assert top.answerers[0].organization == "南川町 総務課"
    # The private channel's thread stays private.
    public = await service.suggest(BACKUP_Q, scope=Scope("slack", "C1"))
    assert all(s.channel_id != "G1" for s in public.suggestions)
    private = await service.suggest(BACKUP_Q, scope=Scope("slack", "G1"))
    assert private.suggestions[0].channel_id == "G1"

    again = await backfill(api, service)
    assert (again.messages, again.changed) == (6, 0)
    assert kb.stats().messages == 6


async def test_backfill_of_named_channels(kb: KnowledgeBase, fake_slack: FakeSlack, tmp_path: Path) -> None:
    seed_history(fake_slack)
    api = SlackApi(build_client(slack_settings(tmp_path, fake_slack)))
    report = await backfill(api, KnowledgeService(kb), channels=["G1"])
    assert (report.channels, report.messages) == (1, 2)
    assert fake_slack.called("conversations.list") == []
