"""Ingest: idempotency, edits, deletes, accepted answers, noise — on SQLite and PostgreSQL."""

from __future__ import annotations

from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.model import Scope, Visibility
from tests.conftest import BACKUP_THREAD, MACRO_THREAD, PRINTER_THREAD, at, community, post


def titles(kb: KnowledgeBase, question: str, **kwargs: object) -> list[str]:
    result = kb.suggest(question, abstain=False, require_answer=False, **kwargs)  # type: ignore[arg-type]
    return [s.title for s in result.suggestions]


def test_applying_the_same_events_twice_changes_nothing(kb: KnowledgeBase) -> None:
    events = community() + MACRO_THREAD + BACKUP_THREAD + PRINTER_THREAD
    changed, unchanged = kb.ingest_many(events)
    assert (changed, unchanged) == (len(events), 0)
    kb.sync()
    before = kb.stats()
    assert kb.ingest_many(events) == (0, len(events))
    assert kb.sync() == 0
    assert kb.stats() == before
    assert (before.threads, before.questions, before.answered, before.messages) == (3, 3, 2, 6)


def test_reply_before_its_root_is_kept_and_the_thread_appears_with_the_root(kb: KnowledgeBase) -> None:
    kb.ingest_many(community())
    kb.ingest(MACRO_THREAD[1])
    kb.sync()
    assert kb.stats().threads == 0  # no root yet: nothing to suggest
    kb.ingest(MACRO_THREAD[0])
    result = kb.suggest("VBAのマクロを保守できる人がいない", abstain=False)
    assert result.suggestions[0].root_message_id == "100.0"
    assert [a.name for a in result.suggestions[0].answerers] == ["鈴木 花子"]


def test_edit_reindexes_the_thread(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + PRINTER_THREAD + [post("C1", "300.1", "U1", "型番と台数だけです", 1, thread="300.0")])
    assert titles(kb, "複合機のリース")[0].startswith("複合機")
    kb.ingest(
        ev.MessageEdited(
            "slack",
            "C1",
            "300.0",
            "庁内ネットワークのIPアドレス設計はどうしていますか？",
            post("C1", "x", "U4", "", 2).posted_at,
        )
    )
    found = titles(kb, "IPアドレス設計")
    assert found[0].startswith("庁内ネットワークのIPアドレス設計")
    assert not any("複合機" in t for t in titles(kb, "複合機のリース"))


def test_deleted_reply_leaves_every_index_and_its_author_is_no_longer_named(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    kb.ingest(ev.MessageDeleted("slack", "C1", "100.2"))
    kb.ingest(ev.ReactionChanged("slack", "C1", "100.2", "U1", "white_check_mark"))  # on a deleted reply
    result = kb.suggest("VBAマクロ 保守", abstain=False)
    assert [a.name for a in result.suggestions[0].answerers] == ["鈴木 花子"]
    assert not result.suggestions[0].accepted
    assert "RPA" not in result.suggestions[0].answer_excerpt
    assert kb.stats().messages == 2


def test_deleted_root_hides_the_whole_thread_and_a_late_retry_does_not_bring_it_back(kb: KnowledgeBase) -> None:
    kb.ingest_many(
        community() + MACRO_THREAD + PRINTER_THREAD + [post("C1", "300.1", "U1", "型番と台数です", 1, thread="300.0")]
    )
    assert "100.0" in [s.root_message_id for s in kb.suggest("Excelマクロ", abstain=False).suggestions]
    kb.ingest(ev.MessageDeleted("slack", "C1", "100.0"))
    assert "100.0" not in [s.root_message_id for s in kb.suggest("Excelマクロ", abstain=False).suggestions]
    # Gone from both indexes, not only filtered: "VBA" appears in no other thread.
    assert kb.nearest("VBA", mode="lexical", k=10) == []
    assert len(kb.nearest("VBA", mode="dense", k=10)) == 1  # only the printer thread is left
    kb.ingest(MACRO_THREAD[0])  # a retried delivery of the original post
    assert "100.0" not in [s.root_message_id for s in kb.suggest("Excelマクロ", abstain=False).suggestions]
    assert kb.stats().threads == 1


def test_a_deleted_message_keeps_no_text_in_the_store(kb: KnowledgeBase) -> None:
    """The docs promise that a deleted message's text is erased, not only hidden: only its row stays
    (so a late retry of the post cannot bring it back)."""
    kb.ingest_many(community() + MACRO_THREAD)
    kb.ingest(ev.MessageDeleted("slack", "C1", "100.2"))  # a reply
    kb.ingest(ev.MessageDeleted("slack", "C1", "100.0"))  # the root
    with kb.store.begin() as conn:
        rows = conn.exec_driver_sql("SELECT external_id, text, deleted FROM messages ORDER BY external_id").all()
        threads = conn.exec_driver_sql("SELECT title, document FROM threads").all()
    assert [(r[0], r[1], bool(r[2])) for r in rows] == [
        ("100.0", "", True),
        ("100.1", MACRO_THREAD[1].text, False),
        ("100.2", "", True),
    ]
    assert threads == [("", "")]
    # The erased words are not found in any way either.
    assert kb.nearest("RPA", mode="lexical", k=10) == []


def test_restored_message_comes_back(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    kb.ingest(ev.MessageDeleted("slack", "C1", "100.0"))
    kb.ingest(ev.MessageRestored("slack", "C1", "100.0", MACRO_THREAD[0].text))
    assert kb.suggest("Excelマクロ 保守", abstain=False).suggestions[0].root_message_id == "100.0"


def test_askers_check_reaction_marks_the_accepted_answer_and_removing_it_unmarks(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    kb.ingest(ev.ReactionChanged("slack", "C1", "100.2", "U1", "white_check_mark"))
    best = kb.suggest("Excelマクロ 保守", abstain=False).suggestions[0]
    assert best.accepted
    assert [a.name for a in best.answerers] == ["高橋 誠", "鈴木 花子"]  # accepted answerer first
    assert best.answer_excerpt.startswith("県ではRPA")
    kb.ingest(ev.ReactionChanged("slack", "C1", "100.2", "U1", "white_check_mark", added=False))
    best = kb.suggest("Excelマクロ 保守", abstain=False).suggestions[0]
    assert not best.accepted
    assert [a.name for a in best.answerers] == ["鈴木 花子", "高橋 誠"]


def test_someone_elses_check_reaction_is_not_acceptance(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    kb.ingest(ev.ReactionChanged("slack", "C1", "100.2", "U4", "white_check_mark"))
    assert not kb.suggest("Excelマクロ 保守", abstain=False).suggestions[0].accepted


def test_askers_thanks_accepts_the_answer_just_before_it(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD[:2])
    kb.ingest(post("C1", "100.5", "U1", "ありがとうございます、棚卸から始めて解決しました！", 1.5, thread="100.0"))
    kb.ingest(MACRO_THREAD[2])  # a later answer does not take the credit
    best = kb.suggest("Excelマクロ 保守", abstain=False).suggestions[0]
    assert best.accepted
    assert best.answerers[0].name == "鈴木 花子"
    assert best.answer_excerpt.startswith("うちはマクロを棚卸し")


def test_askers_follow_up_question_is_not_acceptance(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD[:2])
    kb.ingest(post("C1", "100.5", "U1", "手順書はどんな形式で作っていますか？", 1.5, thread="100.0"))
    assert not kb.suggest("Excelマクロ 保守", abstain=False).suggestions[0].accepted


def test_bot_messages_are_not_indexed_and_bots_are_not_answerers(kb: KnowledgeBase) -> None:
    kb.ingest_many(community())
    kb.ingest(
        post(
            "C1",
            "400.0",
            "B1",
            "【リマインド】パスワードの定期変更は必要ですか？アンケートにご回答ください",
            0,
            bot=True,
        )
    )
    kb.ingest_many(MACRO_THREAD)
    kb.ingest(post("C1", "100.9", "B1", "このスレッドは保存されました", 3, thread="100.0", bot=True))
    assert kb.stats().threads == 1
    best = kb.suggest("Excelマクロ 保守", abstain=False).suggestions[0]
    assert "リマインダー" not in [a.name for a in best.answerers]


def test_channel_deleted_hides_its_threads(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    kb.ingest(ev.ChannelDeleted("slack", "C1"))
    assert kb.suggest("Excelマクロ", abstain=False).suggestions == ()
    assert kb.stats().threads == 0


def test_channel_turning_private_hides_its_threads_elsewhere_at_once(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)

    kb.ingest(ev.ChannelSeen("slack", "C1", "q-and-a", Visibility.PRIVATE))
    assert kb.suggest("Excelマクロ", abstain=False).suggestions == ()
    inside = kb.suggest("Excelマクロ", abstain=False, scope=Scope("slack", "C1"))
    assert [s.root_message_id for s in inside.suggestions] == ["100.0"]


def test_unknown_visibility_is_private_for_a_new_channel_and_kept_for_a_known_one(kb: KnowledgeBase) -> None:
    kb.ingest_many([*community(), ev.ChannelSeen("teams", "19:new", "new", None), *MACRO_THREAD])
    kb.ingest(ev.MessagePosted("teams", "19:new", "1", "U1", "Excelマクロの保守、VBAはどうしていますか？", at(0)))
    kb.ingest(ev.MessagePosted("teams", "19:new", "2", "U2", "棚卸しから始めました", at(1), thread_id="1"))
    assert "1" not in [s.root_message_id for s in kb.suggest("Excelマクロ VBA", abstain=False).suggestions]
    kb.ingest(ev.ChannelSeen("teams", "19:new", "new", Visibility.PUBLIC))
    kb.ingest(ev.ChannelSeen("teams", "19:new", "renamed", None))  # a later event that does not say
    assert "1" in [s.root_message_id for s in kb.suggest("Excelマクロ VBA", abstain=False).suggestions]


def test_person_rename_shows_at_once(kb: KnowledgeBase) -> None:
    kb.ingest_many(community() + MACRO_THREAD)
    kb.ingest(ev.PersonSeen("slack", "U2", "鈴木 花子", "白石市 情報システム課"))
    best = kb.suggest("Excelマクロ 保守", abstain=False).suggestions[0]
    assert best.answerers[0].organization == "白石市 情報システム課"


def test_workspace_channels_lists_a_teams_channels_and_no_others(kb: KnowledgeBase) -> None:
    kb.ingest_many(
        [
            ev.ChannelSeen("teams", "19:general", "General", workspace_id="19:general"),
            ev.ChannelSeen("teams", "19:secret", "CSIRT", Visibility.PRIVATE, workspace_id="19:general"),
            ev.ChannelSeen("teams", "19:other", "他チーム", workspace_id="19:otherteam"),
            ev.ChannelSeen("slack", "C9", "general", workspace_id="19:general"),  # same id, another platform
        ]
    )
    kb.ingest(ev.ChannelDeleted("teams", "19:secret"))
    listed = kb.workspace_channels("teams", "19:general")
    # Deleted channels are listed too: a team event must reach every channel it ever had.
    assert [(c.external_id, c.visibility, c.deleted) for c in listed] == [
        ("19:general", Visibility.PUBLIC, False),
        ("19:secret", Visibility.PRIVATE, True),
    ]
    assert all(c.workspace_id == "19:general" for c in listed)
    assert kb.workspace_channels("teams", "19:nothing") == []
    assert kb.channel("teams", "19:other") is not None and kb.channel("teams", "19:missing") is None
