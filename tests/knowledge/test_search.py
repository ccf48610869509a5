"""Search: access scope, abstain, never the asking thread, answerers, ranking, experts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from knowledge import events as ev
from knowledge import search
from knowledge.base import ExcludeThread, KnowledgeBase
from knowledge.errors import InvalidQuestion
from knowledge.model import Scope
from knowledge.store import repository as repo
from knowledge.store.repository import people as people_rows
from knowledge.store.repository import threads as thread_rows
from knowledge.store.tables import people, threads
from tests.conftest import BACKUP_THREAD, MACRO_THREAD, PRINTER_THREAD, at, community, post


@pytest.fixture
def filled(kb: KnowledgeBase) -> KnowledgeBase:
    kb.ingest_many(community() + MACRO_THREAD + BACKUP_THREAD + PRINTER_THREAD)
    return kb


def roots(result: object) -> list[str]:
    return [s.root_message_id for s in result.suggestions]  # type: ignore[attr-defined]


def test_private_thread_is_never_suggested_outside_its_channel(filled: KnowledgeBase) -> None:
    question = "ランサムウェア対策のオフラインバックアップはどの頻度で取っていますか？"
    assert "200.0" not in roots(filled.suggest(question, abstain=False))
    assert "200.0" not in roots(filled.suggest(question, abstain=False, scope=Scope("slack", "C1")))
    assert "200.0" not in roots(filled.suggest(question, abstain=False, scope=Scope("teams", "G1")))
    assert roots(filled.suggest(question, abstain=False, scope=Scope("slack", "G1")))[0] == "200.0"
    # Not through `who` either.
    assert "田中 亮" not in [e.name for e in filled.experts("オフラインバックアップ")]
    assert [e.name for e in filled.experts("オフラインバックアップ", scope=Scope("slack", "G1"))] == ["田中 亮"]


def test_public_thread_is_suggested_in_a_private_channel_too(filled: KnowledgeBase) -> None:
    assert "100.0" in roots(filled.suggest("Excelマクロ VBA 保守", abstain=False, scope=Scope("slack", "G1")))


def test_question_is_never_answered_with_its_own_thread(filled: KnowledgeBase) -> None:
    question = MACRO_THREAD[0].text
    assert roots(filled.suggest(question, abstain=False))[0] == "100.0"
    excluded = filled.suggest(question, abstain=False, exclude=ExcludeThread("slack", "C1", "100.0"))
    assert "100.0" not in roots(excluded)


def test_unanswered_threads_are_not_suggested_by_default(filled: KnowledgeBase) -> None:
    question = PRINTER_THREAD[0].text
    assert "300.0" not in roots(filled.suggest(question, abstain=False))
    assert roots(filled.suggest(question, abstain=False, require_answer=False))[0] == "300.0"


def test_abstains_when_nothing_is_close_enough(filled: KnowledgeBase) -> None:
    confident = filled.suggest(MACRO_THREAD[0].text)
    assert not confident.abstained and roots(confident) == ["100.0"]
    silent = filled.suggest("庁舎の空調が故障した時の連絡先")
    assert silent.abstained and silent.suggestions == ()


def test_suggestion_carries_title_excerpt_people_date_and_link(kb: KnowledgeBase) -> None:
    kb.ingest_many(community())
    root = ev.MessagePosted(
        "slack",
        "C1",
        "500.0",
        "U1",
        "お疲れさまです。北山市の佐藤です。\nTeamsのゲストアクセスは許可していますか？",
        at(0),
        url="https://aoba.slack.com/archives/C1/p5000",
    )
    kb.ingest_many(
        [root, post("C1", "500.1", "U3", "県では原則禁止、申請制で期間限定にしています。" * 10, 1, thread="500.0")]
    )
    s = kb.suggest("Teams ゲスト 許可", abstain=False).suggestions[0]
    assert s.title == "Teamsのゲストアクセスは許可していますか？"
    assert s.answer_excerpt.startswith("県では原則禁止") and len(s.answer_excerpt) <= search.EXCERPT_CHARS
    assert [(a.name, a.organization) for a in s.answerers] == [("高橋 誠", "青葉県庁 情報政策課")]
    assert s.asked_at == at(0)
    assert s.url == "https://aoba.slack.com/archives/C1/p5000"
    assert s.to_json()["thread_id"] == "slack:C1:500.0"
    assert s.to_json()["channel_id"] == "C1"


def test_accepted_and_recent_threads_rank_higher_among_equals(kb: KnowledgeBase) -> None:
    kb.ingest_many(community())
    text = "PCの更新時期は何年ごとにしていますか？"
    kb.ingest_many(
        [
            post("C1", "600.0", "U1", text, 0),
            post("C1", "600.1", "U2", "5年です", 1, thread="600.0"),
            post("C1", "700.0", "U4", text, 24 * 300),
            post("C1", "700.1", "U3", "6年です", 24 * 300 + 1, thread="700.0"),
        ]
    )
    now = at(24 * 301)
    assert roots(kb.suggest(text, abstain=False, now=now))[:2] == ["700.0", "600.0"]  # recency breaks the tie
    kb.ingest(ev.ReactionChanged("slack", "C1", "600.1", "U1", "heavy_check_mark"))
    assert roots(kb.suggest(text, abstain=False, now=now))[:2] == ["600.0", "700.0"]  # accepted beats 300 days


def test_empty_question_is_refused(filled: KnowledgeBase) -> None:
    with pytest.raises(InvalidQuestion):
        filled.suggest("   ")


def test_huge_question_is_bounded_not_refused(filled: KnowledgeBase) -> None:
    result = filled.suggest("Excelマクロ " + "あ" * 100_000, abstain=False)
    assert len(result.question) == search.MAX_QUESTION_CHARS


def test_who_ranks_people_by_answers_on_similar_threads(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    kb.ingest_many(
        [
            post("C1", "800.0", "U4", "Excelのマクロが動かなくなりました。VBAのエラーの調べ方は？", 10),
            post("C1", "800.1", "U3", "VBAエディタでステップ実行してみてください", 11, thread="800.0"),
            post("C1", "800.2", "U3", "参照設定が外れていることも多いです", 12, thread="800.0"),
        ]
    )
    kb.ingest(ev.ReactionChanged("slack", "C1", "800.2", "U4", "white_check_mark"))
    experts = kb.experts("Excel VBA マクロ", now=at(24 * 30))
    assert [e.name for e in experts][:2] == ["高橋 誠", "鈴木 花子"]
    top = experts[0]
    assert (top.answers, top.accepted) == (2, 1)  # two threads, several replies in one count once
    assert top.organization == "青葉県庁 情報政策課"
    assert top.explanation == f"2 answers on this topic, 1 accepted, latest {top.latest:%Y-%m}"
    assert top.latest == at(12)


def test_opted_out_people_are_never_named(filled: KnowledgeBase) -> None:
    with filled.store.begin() as conn:
        conn.execute(people.update().where(people.c.external_id == "U2").values(opted_out=True))
    s = filled.suggest("Excelマクロ VBA 保守", abstain=False).suggestions[0]
    assert "鈴木 花子" not in [a.name for a in s.answerers]
    assert "鈴木 花子" not in [e.name for e in filled.experts("Excelマクロ VBA 保守")]


def test_recency_bonus_fades_and_does_not_change_the_shown_relevance(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD + BACKUP_THREAD)
    kb.sync()
    with kb.store.begin() as conn:
        thread = repo.thread_views(conn, [1])[1]
    fresh = search.rank_score(0.5, thread, at(1))
    old = search.rank_score(0.5, thread, at(1) + timedelta(days=3650))
    assert fresh - old == pytest.approx(search.RECENCY_BONUS, abs=0.001)
    shown = [kb.suggest("Excelマクロ", abstain=False, now=t).suggestions[0].score for t in (at(1), at(24 * 3650))]
    assert shown[0] == shown[1]


def test_ranking_rows_agree_with_the_full_views(filled: KnowledgeBase) -> None:
    filled.ingest_many(
        [
            post("C1", "900.0", "U4", "庁内LANの無線化はどう進めましたか？", 30),
            post("C1", "900.1", "U4", "ありがとうございます", 31, thread="900.0"),  # the asker's own: no answer
            post("C1", "900.2", "U2", "   ", 32, thread="900.0"),  # blank: no answer either
            post("C1", "901.0", "U4", "ファイルサーバの容量が足りません", 33),
            post("C1", "901.1", "U2", "　", 34, thread="901.0"),  # a full-width space only
            post("C1", "901.2", "U3", "古いファイルを外部ディスクへ移しました", 35, thread="901.0"),
        ]
    )
    filled.ingest(ev.MessageDeleted("slack", "C1", "300.0"))  # a deleted root hides its thread
    with filled.store.begin() as conn:
        ids = [int(i) for i in conn.execute(sa.select(threads.c.id)).scalars()]
        ranks = repo.thread_ranks(conn, ids)
        views = repo.thread_views(conn, ids)
    assert set(ranks) == set(views) and len(ranks) == len(ids) - 1
    for thread_id, rank in ranks.items():
        view = views[thread_id]
        assert (rank.platform, rank.channel_external_id, rank.visibility, rank.root_external_id) == (
            view.platform,
            view.channel_external_id,
            view.visibility,
            view.root_external_id,
        )
        assert (rank.accepted_message_id, rank.last_activity_at) == (view.accepted_message_id, view.last_activity_at)
        assert (rank.answer_count > 0) == bool(view.answers)
        assert search.rank_score(0.5, rank, at(100)) == search.rank_score(0.5, view, at(100))
    by_root = {r.root_external_id: r for r in ranks.values()}
    assert by_root["900.0"].answer_count == 0
    assert by_root["901.0"].answer_count == 1
    assert [a.text for a in views[by_root["901.0"].thread_id].answers] == ["古いファイルを外部ディスクへ移しました"]


def test_a_question_reads_in_full_only_the_threads_it_suggests(
    filled: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[int] = []
    people_reads: list[str] = []
    views, find_people = repo.thread_views, repo.find_people

    def counting_views(conn: Connection, thread_ids: Sequence[int]) -> dict[int, repo.ThreadView]:
        read.extend(thread_ids)
        return views(conn, thread_ids)

    def counting_people(conn: Connection, platform: str, ids: Iterable[str]) -> dict[str, repo.PersonRow]:
        people_reads.append(platform)
        return find_people(conn, platform, ids)

    filled.ingest_many(
        [
            post("C1", "600.0", "U4", "Accessのデータベースを作った担当者が退職しました。保守はどうしていますか？", 40),
            post("C1", "600.1", "U2", "業者に保守を頼んでいます", 41, thread="600.0"),
            post("C1", "600.2", "U3", "Excelに移しました", 42, thread="600.0"),
        ]
    )
    monkeypatch.setattr(repo, "thread_views", counting_views)
    # Every module that reads people: the callers through the package, the cache and the mentions beside them.
    for module in (repo, people_rows, thread_rows):
        monkeypatch.setattr(module, "find_people", counting_people)
    result = filled.suggest("Excelマクロ VBA 保守", abstain=False, limit=2)
    assert len(result.suggestions) == 2
    with filled.store.begin() as conn:
        suggested = [repo.find_thread_id(conn, s.platform, s.channel_id, s.root_message_id) for s in result.suggestions]
    assert sorted(read) == sorted(suggested)  # the other candidates were ranked on their light rows
    assert people_reads == ["slack"]  # every answerer of both suggestions in one read
