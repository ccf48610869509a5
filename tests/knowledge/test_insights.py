"""Insights: unanswered questions, repeated questions, knowledge gaps, helpfulness, FAQ due for review."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np

from knowledge import events as ev
from knowledge import insights
from knowledge.base import ExcludeThread, KnowledgeBase
from knowledge.model import Actor, Scope, Verdict, Visibility
from knowledge.store import repository as repo
from tests.conftest import MACRO_THREAD, PRINTER_THREAD, community, post

VPN = [
    post("C1", "600.0", "U1", "VPNが遅いです、皆さんどうしていますか？", 20),
    post("C1", "601.0", "U2", "VPNが遅いです、皆さんどうしていますか", 21),
    post("C1", "602.0", "U3", "VPNが遅いです、皆さんはどうしていますか？", 22),
]


def test_the_report(kb: KnowledgeBase) -> None:
    # Questions are recorded where Yorozu stores the channel (C2, C3 and C9 are public channels it is in).
    places = [ev.ChannelSeen("slack", c, c.lower(), Visibility.PUBLIC) for c in ("C2", "C3", "C9")]
    kb.ingest_many(community() + places + MACRO_THREAD + PRINTER_THREAD + VPN)
    # Questions asked to Yorozu in chat: one answered (then solved), one answered (no press), one gap.
    asked = kb.suggest(
        MACRO_THREAD[0].text, scope=Scope("slack", "C2"), exclude=ExcludeThread("slack", "C2", "1.0"), record=True
    )
    assert not asked.abstained
    kb.suggest(
        MACRO_THREAD[0].text, scope=Scope("slack", "C2"), exclude=ExcludeThread("slack", "C2", "1.0"), record=True
    )
    kb.suggest(MACRO_THREAD[0].text, scope=Scope("slack", "C3"), record=True)
    gap = kb.suggest("庁舎の空調が故障した時の連絡先", scope=Scope("slack", "C2"), record=True)
    assert gap.abstained
    kb.record_feedback(
        platform="slack",
        channel_id="C2",
        question_message_id="1.0",
        question=MACRO_THREAD[0].text,
        suggested_thread=asked.suggestions[0].thread_id,
        person_id="U4",
        verdict=Verdict.SOLVED,
    )
    kb.record_feedback(
        platform="slack",
        channel_id="C9",
        question_message_id="2.0",
        question="別の質問",
        suggested_thread="slack:C1:100.0",
        person_id="U4",
        verdict=Verdict.UNHELPFUL,
    )
    due = kb.faq_create(Actor.operator(), question="古いFAQ", answer="古い答え", review_interval_days=30, publish=True)
    kb.faq_verify(Actor.operator(), due.id, verified_at=datetime.now(UTC) - timedelta(days=40))
    report = kb.insights(days=365)
    assert [u.root_message_id for u in report.unanswered] == ["602.0", "601.0", "600.0", "300.0"]
    assert report.unanswered_total == 4
    assert len(report.repeated) == 1 and report.repeated[0].count == 3
    assert report.repeated[0].title.startswith("VPNが遅いです")
    assert [g.question for g in report.gaps] == ["庁舎の空調が故障した時の連絡先"] and report.gaps_total == 1
    assert (report.gaps[0].platform, report.gaps[0].channel_id) == ("slack", "C2")
    # 1 solved, 1 unhelpful (feedback on a question not logged here), 1 answered without any press.
    assert report.helpfulness.to_json() == {"solved": 1, "unhelpful": 1, "unknown": 1, "rate": 0.5}
    assert [e.id for e in report.review_due] == [due.id]
    assert [r.question for r in report.review_queue] == ["別の質問"]
    data = report.to_json()
    assert set(data) == {"since", "unanswered", "repeated", "gaps", "helpfulness", "faq_review_due", "review_queue"}
    names = json.dumps(data, ensure_ascii=False)
    assert not any(name in names for name in ("佐藤", "鈴木", "高橋", "田中"))  # insights never name people
    # The window: nothing from April is in a report for the last week of November.
    late = kb.insights(days=7, now=datetime(2026, 11, 30, tzinfo=UTC))
    assert late.unanswered_total == 0


def test_no_feedback_is_unknown_not_success() -> None:
    assert insights.Helpfulness(solved=0, unhelpful=0, unknown=5).rate is None
    assert insights.Helpfulness(solved=1, unhelpful=3, unknown=50).rate == 0.25


def test_clusters_do_not_chain_through_neighbours() -> None:
    # a~b and b~c are close, a and c are not: leader clustering keeps c apart.
    a = np.array([1.0, 0.0], dtype=np.float32)
    b = np.array([np.cos(0.3), np.sin(0.3)], dtype=np.float32)
    c = np.array([np.cos(0.6), np.sin(0.6)], dtype=np.float32)
    groups = insights.cluster(np.vstack([a, b, c]), threshold=float(np.cos(0.35)))
    assert groups == [[0, 1], [2]]


PRIVATE_QUESTION = post("G1", "700.0", "U3", "機密区分ごとの暗号化鍵の保管場所はどうしていますか？", 30)
DM_QUESTION = "個人的な相談ですが、上司の端末の管理者権限はどうすべき？"


def test_private_places_are_counted_never_shown(kb: KnowledgeBase) -> None:
    """The rule of knowledge.insights.disclosed: public text only; private counted (shown only with the
    admin's flag); DMs and places Yorozu does not store are not recorded at all."""
    dm = ev.ChannelSeen("slack", "D1", "dm", Visibility.DM)
    kb.ingest_many([*community(), dm, PRIVATE_QUESTION, *PRINTER_THREAD])
    kb.suggest("議会答弁の想定問答はどう作る？", scope=Scope("slack", "G1"), record=True)  # a gap, in private
    kb.suggest(DM_QUESTION, scope=Scope("slack", "D1"), record=True)  # a stored DM
    kb.suggest(DM_QUESTION, scope=Scope("slack", "D9"), record=True)  # a personal chat Yorozu never stored
    kb.suggest(DM_QUESTION, record=True)  # the local web chat: no place at all
    for channel, message in (("G1", "701.0"), ("D9", "702.0")):
        kb.record_feedback(
            platform="slack",
            channel_id=channel,
            question_message_id=message,
            question=f"{channel}での質問",
            suggested_thread="slack:C1:300.0",
            person_id="U1",
            verdict=Verdict.UNHELPFUL,
        )

    report = kb.insights(days=365, now=datetime(2026, 5, 1, tzinfo=UTC))
    shown = json.dumps(report.to_json(), ensure_ascii=False)
    assert report.unanswered_total == 2 and [u.root_message_id for u in report.unanswered] == ["300.0"]
    assert report.gaps_total == 1 and report.gaps == ()  # the private gap is counted, not shown
    assert "暗号化鍵" not in shown and "議会答弁" not in shown and "ciso-private" not in shown and "G1" not in shown
    assert "上司の端末" not in shown and "での質問" not in shown
    assert [(r.private, r.question, r.channel_id, r.suggested_thread) for r in report.review_queue] == [
        (True, "", None, ""),
        (True, "", None, ""),
    ]
    assert [r.private for r in kb.review_queue()] == [True, True]  # the console's queue: the same rule

    # The DM question was never recorded; a press in an unknown place kept no question text.
    with kb.store.begin() as conn:
        texts = [q.question for q in repo.recent_queries(conn, since=datetime(2000, 1, 1, tzinfo=UTC))]
        assert texts == ["議会答弁の想定問答はどう作る？"]
        assert {f.channel_external_id: f.question for f in repo.all_feedback(conn)} == {"G1": "G1での質問", "D9": ""}

    # An admin's explicit flag shows private channels; DMs and unknown places stay hidden.
    full = kb.insights(days=365, now=datetime(2026, 5, 1, tzinfo=UTC), include_private=True)
    assert [u.root_message_id for u in full.unanswered] == ["700.0", "300.0"]
    assert [g.question for g in full.gaps] == ["議会答弁の想定問答はどう作る？"]
    assert [r.question for r in full.review_queue] == ["G1での質問", ""]
    assert "上司の端末" not in json.dumps(full.to_json(), ensure_ascii=False)


def test_gaps_are_grouped_by_meaning_and_chatter_stays_out(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    for question in (
        "庁舎の空調が故障した時の連絡先",
        "庁舎の空調が故障した時の連絡先は？",
        "庁舎の空調が故障した時の連絡先？",
        "ありがとうございます",
        "テスト",
        "了解です",
    ):
        assert kb.suggest(question, scope=Scope("slack", "C1"), record=True).abstained
    report = kb.insights(days=30)
    # The same question asked three ways is one row with a count; thanks and one-word chatter are left out.
    (group,) = report.gap_groups
    assert group.count == 3 and group.question.startswith("庁舎の空調が故障した時の連絡先")
    assert len(group.examples) == 3
    assert report.gaps_total == 3 and report.off_topic == 3
    data = report.to_json()["gaps"]
    assert data["groups"][0]["count"] == 3 and data["off_topic"] == 3


def test_chatter() -> None:
    for text in ("ありがとうございます！", "テスト", "了解です", "お疲れさまです"):
        assert insights.is_chatter(text), text
    for text in ("VPNが遅いです", "庁舎の空調が故障した時の連絡先", "ありがとうございます。ところでVPNの設定方法は？"):
        assert not insights.is_chatter(text), text
