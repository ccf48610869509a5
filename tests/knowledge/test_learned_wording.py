"""Learning from use: a question marked 解決した under a suggested thread joins that thread's document as
another wording of its question, and leaves it again when the verdict changes, the thread goes or the
asker is forgotten. A question asked where Yorozu does not record it never does."""

from __future__ import annotations

import sqlalchemy as sa

from knowledge import events as ev
from knowledge import ingest
from knowledge.base import ExcludeThread, KnowledgeBase
from knowledge.model import Actor, Scope, Verdict, Visibility
from knowledge.store import repository as repo
from knowledge.store.tables import feedback, threads
from tests.conftest import MACRO_THREAD, at, community, post

MACRO = "slack:C1:100.0"
# Worded without one content word of the thread (Excel, マクロ, VBA, 保守, 異動 ...).
WORDING = "表計算の自動処理を引き継いだ担当者がいなくなり手が付けられません"
AGAIN = "表計算の自動処理を引き継げる担当者がいません"


def _document(kb: KnowledgeBase, root: str = "100.0") -> str:
    with kb.store.begin() as conn:
        return str(conn.execute(sa.select(threads.c.document).where(threads.c.root_external_id == root)).scalar_one())


def _solve(
    kb: KnowledgeBase,
    *,
    question: str = WORDING,
    channel: str | None = "C1",
    person: str = "U4",
    message: str = "900.0",
    verdict: Verdict = Verdict.SOLVED,
) -> None:
    kb.record_feedback(
        platform="slack",
        channel_id=channel,
        question_message_id=message,
        question=question,
        suggested_thread=MACRO,
        person_id=person,
        verdict=verdict,
    )


def _found(kb: KnowledgeBase, question: str, scope: Scope | None = None) -> list[str]:
    return [s.thread_id for s in kb.suggest(question, scope=scope).suggestions]


def _community(kb: KnowledgeBase) -> None:
    kb.ingest_many([*community(), *MACRO_THREAD])
    kb.sync()


def test_a_solved_question_becomes_another_wording_that_finds_the_thread(kb: KnowledgeBase) -> None:
    _community(kb)
    assert MACRO not in _found(kb, AGAIN)  # nothing in common with the thread's words yet
    _solve(kb)
    assert WORDING in _document(kb)
    kb.sync()
    assert _found(kb, AGAIN)[:1] == [MACRO]


def test_the_wording_goes_when_the_verdict_is_changed(kb: KnowledgeBase) -> None:
    _community(kb)
    before = _document(kb)
    _solve(kb)
    kb.sync()
    _solve(kb, verdict=Verdict.UNHELPFUL)  # the same press changed: the row is replaced
    assert _document(kb) == before
    kb.sync()
    assert MACRO not in _found(kb, AGAIN)


def test_the_thread_deleted_is_not_found_by_its_learned_wording(kb: KnowledgeBase) -> None:
    _community(kb)
    _solve(kb)
    kb.sync()
    kb.ingest(ev.MessageDeleted("slack", "C1", "100.0"))
    kb.sync()
    assert MACRO not in _found(kb, AGAIN)
    assert _document(kb) == ""


def test_a_question_from_a_place_yorozu_does_not_record_is_not_learned(kb: KnowledgeBase) -> None:
    _community(kb)
    before = _document(kb)
    _solve(kb, channel=None)  # a personal chat
    _solve(kb, channel="G1", message="901.0")  # a private channel
    assert _document(kb) == before


def test_a_learned_wording_never_opens_a_private_thread_to_others(kb: KnowledgeBase) -> None:
    """A thread in a private channel that learned a wording is still found by members only."""
    _community(kb)
    kb.ingest_many(
        [
            post("G1", "300.0", "U3", "庁舎の入退室カードを紛失した職員への対応手順は？", 0),
            post("G1", "300.1", "U4", "まず総務課に連絡してカードを無効化します。", 1, thread="300.0"),
        ]
    )
    kb.record_feedback(
        platform="slack",
        channel_id="C1",  # asked in public, solved by a private thread its asker can read
        question_message_id="902.0",
        question="表計算の自動処理を引き継いだ担当者がいない件",
        suggested_thread="slack:G1:300.0",
        person_id="U4",
        verdict=Verdict.SOLVED,
    )
    kb.sync()
    assert "slack:G1:300.0" not in _found(kb, AGAIN)  # public scope
    member = Scope("slack", "G1")  # asked inside the private channel
    assert "slack:G1:300.0" in _found(kb, "表計算の自動処理を引き継いだ担当者がいない", member)


def test_a_forgotten_askers_wording_is_forgotten_with_them(kb: KnowledgeBase) -> None:
    _community(kb)
    _solve(kb, person="U4")
    kb.sync()
    kb.forget_person(Actor.operator(), "slack", "U4")
    assert WORDING not in _document(kb)
    kb.sync()
    assert MACRO not in _found(kb, AGAIN)


def test_wordings_kept_are_distinct_newest_first_bounded_and_cut() -> None:
    question = "Excelマクロを誰も保守できません"
    solved = [
        "Ｅｘｃｅｌマクロを 誰も保守できません",  # the question again, only wider
        "<@U2> 表計算の自動処理は？",
        "<@U3> 表計算の自動処理は？",  # the same once mentions are reduced to @
        *[f"別の言い方{i}" for i in range(10)],
        "長" * 500,
    ]
    kept = ingest.learned_wordings(question, solved)
    assert kept[0] == "@ 表計算の自動処理は？"
    assert len(kept) == ingest.MAX_PHRASINGS
    assert kept[1:] == [f"別の言い方{i}" for i in range(ingest.MAX_PHRASINGS - 1)]
    assert ingest.learned_wordings(question, ["長" * 500])[0].endswith("…")
    assert len(ingest.learned_wordings(question, ["長" * 500])[0]) == ingest.PHRASING_CHARS
    assert ingest.thread_document("質問", ["回答"], phrasings=["言い換え"]) == "質問\n言い換え\n回答"
    assert ingest.thread_document("質問", ["回答"]) == "質問\n回答"  # nothing learned: the document as before


# --- 解決 said in words: the asker thanking under Yorozu's answer (knowledge.learning) ---------------

ASKED = "900.0"  # the new question's root in C1, asked by U7


def _asked(
    kb: KnowledgeBase, *, channel: str = "C1", text: str = WORDING, suggested: tuple[str, ...] = (MACRO,)
) -> None:
    """U7 asks in ``channel``; Yorozu answers it with ``suggested`` (what it logs when it posts them)."""
    kb.ingest(post(channel, ASKED, "U7", text, 10))
    with kb.store.begin() as conn:
        repo.record_query(
            conn,
            platform="slack",
            channel_external_id=channel,
            question_message_id=ASKED,
            question=text,
            abstained=not suggested,
            suggested=suggested,
        )


def _reply(kb: KnowledgeBase, ts: str, author: str, text: str, *, channel: str = "C1", hours: float = 11) -> None:
    kb.ingest(post(channel, ts, author, text, hours, thread=ASKED))


def _verdicts(kb: KnowledgeBase) -> list[tuple[str, str, str, str | None]]:
    with kb.store.begin() as conn:
        rows = conn.execute(
            sa.select(feedback.c.suggested_thread, feedback.c.verdict, feedback.c.person_external_id, feedback.c.source)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_thanks_under_yorozus_answer_teaches_the_suggested_thread(kb: KnowledgeBase) -> None:
    _community(kb)
    _asked(kb)
    _reply(kb, "900.1", "U7", "ありがとうございます、棚卸しから始めてみます。")
    assert _verdicts(kb) == [(MACRO, "solved", "U7", "thanks")]
    assert WORDING in _document(kb)
    with kb.store.begin() as conn:  # the shown answer's author is credited, as with the button
        credited = repo.helpful_answers(conn, [MACRO])[MACRO]
    assert credited == {"100.1"}
    kb.sync()
    assert _found(kb, AGAIN)[:1] == [MACRO]


def test_yorozus_real_answer_is_what_the_thanks_credits(kb: KnowledgeBase) -> None:
    """Through suggest itself: what it logs for a channel question names the thread the thanks teaches."""
    _community(kb)
    question = "Excelマクロを作った職員が異動してしまい、VBAを誰も保守できない状態です"
    kb.ingest(post("C1", ASKED, "U7", question, 10))
    kb.sync()
    result = kb.suggest(question, scope=Scope("slack", "C1"), exclude=ExcludeThread("slack", "C1", ASKED), record=True)
    assert result.suggestions[0].thread_id == MACRO
    _reply(kb, "900.1", "U7", "解決しました！")
    assert _verdicts(kb) == [(MACRO, "solved", "U7", "thanks")]
    assert question in _document(kb)


def test_the_learned_thanks_follows_its_message(kb: KnowledgeBase) -> None:
    _community(kb)
    before = _document(kb)
    _asked(kb)
    _reply(kb, "900.1", "U7", "ありがとうございます！")
    assert WORDING in _document(kb)
    kb.ingest(ev.MessageEdited("slack", "C1", "900.1", "すみません、まだ分からないです", at(12)))
    assert _verdicts(kb) == [] and _document(kb) == before
    kb.ingest(ev.MessageEdited("slack", "C1", "900.1", "ありがとうございました、助かりました", at(13)))
    assert WORDING in _document(kb)
    kb.ingest(ev.MessageDeleted("slack", "C1", "900.1"))
    assert _verdicts(kb) == [] and _document(kb) == before


def test_an_edited_question_is_learned_as_edited_and_a_deleted_one_not_at_all(kb: KnowledgeBase) -> None:
    _community(kb)
    before = _document(kb)
    _asked(kb)
    _reply(kb, "900.1", "U7", "ありがとうございます！")
    edited = "表計算の自動処理を作った担当者が転出して、直せる人がいません"
    kb.ingest(ev.MessageEdited("slack", "C1", ASKED, edited, at(12)))
    assert edited in _document(kb) and WORDING not in _document(kb)
    kb.ingest(ev.MessageDeleted("slack", "C1", ASKED))
    assert _verdicts(kb) == [] and _document(kb) == before


def test_a_thanks_that_is_not_for_yorozu_teaches_nothing(kb: KnowledgeBase) -> None:
    _community(kb)
    before = _document(kb)
    _asked(kb)
    _reply(kb, "900.1", "U8", "うちでは外部委託して作り直しました。", hours=10.5)  # a colleague answered first
    _reply(kb, "900.2", "U7", "ありがとうございます！")
    assert _verdicts(kb) == [] and _document(kb) == before


def test_a_thanks_that_asks_again_or_a_silent_yorozu_teaches_nothing(kb: KnowledgeBase) -> None:
    _community(kb)
    before = _document(kb)
    _asked(kb)
    _reply(kb, "900.1", "U7", "ありがとうございます。ほかの方法はありますか？")
    assert _verdicts(kb) == [] and _document(kb) == before
    _asked(kb, suggested=())  # Yorozu stayed silent on it (logged as abstained)
    _reply(kb, "900.2", "U7", "自己解決しました、ありがとうございました")
    assert _verdicts(kb) == [] and _document(kb) == before


def test_the_askers_button_wins_over_their_thanks(kb: KnowledgeBase) -> None:
    _community(kb)
    before = _document(kb)
    _asked(kb)
    _reply(kb, "900.1", "U7", "ありがとうございます！")
    _solve(kb, person="U7", message=ASKED, verdict=Verdict.UNHELPFUL)  # then they said it did not help
    assert _verdicts(kb) == [(MACRO, "unhelpful", "U7", None)]
    _reply(kb, "900.2", "U7", "助かりました")  # another thanks: the press stands, no second row
    assert _verdicts(kb) == [(MACRO, "unhelpful", "U7", None)]
    assert _document(kb) == before


def test_a_thanks_in_a_private_channel_never_enters_a_public_thread(kb: KnowledgeBase) -> None:
    _community(kb)
    before = _document(kb)
    kb.ingest(ev.ChannelSeen("slack", "G1", "総務限定", Visibility.PRIVATE))
    _asked(kb, channel="G1")
    _reply(kb, "900.1", "U7", "ありがとうございます！", channel="G1")
    assert _verdicts(kb) == [(MACRO, "solved", "U7", "thanks")]  # their verdict counts ...
    assert _document(kb) == before  # ... but their words stay in their channel


def test_a_forgotten_askers_thanks_is_forgotten_with_them(kb: KnowledgeBase) -> None:
    _community(kb)
    before = _document(kb)
    _asked(kb)
    _reply(kb, "900.1", "U7", "ありがとうございます！")
    kb.forget_person(Actor.operator(), "slack", "U7")
    assert _verdicts(kb) == [] and _document(kb) == before


def test_deriving_again_learns_thanks_given_before_the_rule(kb: KnowledgeBase) -> None:
    """Opening a store derived under an older DERIVATION_VERSION derives every thread again
    (KnowledgeBase.rederive): a thanks stored before this rule existed is learned then."""
    _community(kb)
    before = _document(kb)
    _asked(kb)
    _reply(kb, "900.1", "U7", "ありがとうございます！")
    with kb.store.begin() as conn:  # as a store from before the rule: the thanks taught nothing
        conn.execute(feedback.delete())
        ingest.refresh_thread(conn, repo.find_thread_by_key(conn, MACRO) or 0)
    assert _document(kb) == before
    kb.rederive()
    assert _verdicts(kb) == [(MACRO, "solved", "U7", "thanks")]
    assert WORDING in _document(kb)
