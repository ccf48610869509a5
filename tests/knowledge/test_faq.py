"""Curated FAQ: roles, the workflow (draft, edit, publish, verify, retire), versions, and FAQ in search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.errors import InvalidInput, NotAllowed, NotFound
from knowledge.model import Actor, FaqStatus, Role, SuggestionKind
from tests.conftest import FAKE_ABSTAIN_BELOW, MACRO_THREAD, community, post
from tests.fakes import FakeEmbedder

ADMIN = Actor("slack", "U3", "高橋 誠")  # configured in settings (see the fixture)
SPECIALIST = Actor("slack", "U2", "鈴木 花子")
NOBODY = Actor("slack", "U4", "田中 亮")

FAQ_QUESTION = "Excelマクロを作った職員が異動して誰も直せないときはどうすればよいですか"
FAQ_ANSWER = "まずマクロを棚卸しして、不要なものは廃止、残すものは手順書と引継ぎ書を作ります。"
REWORDED = "異動でExcelマクロを直せる職員がいない、どうすればよい？"


@pytest.fixture
def curated(database_url: str, tmp_path: Path) -> KnowledgeBase:
    kb = KnowledgeBase.open(
        database_url=database_url,
        embedder=FakeEmbedder(),
        index_dir=tmp_path / "index",
        abstain_below=FAKE_ABSTAIN_BELOW,
        roles=[("slack", "U3", Role.ADMIN)],
    )
    kb.ingest_many([*community(), *MACRO_THREAD, ev.ReactionChanged("slack", "C1", "100.2", "U1", "white_check_mark")])
    kb.grant_role(ADMIN, "slack", "U2", Role.SPECIALIST)
    yield kb
    kb.close()


def test_only_admins_and_specialists_curate(curated: KnowledgeBase) -> None:
    with pytest.raises(NotAllowed, match="admin or specialist") as info:
        curated.faq_create(NOBODY, question=FAQ_QUESTION, answer=FAQ_ANSWER)
    assert info.value.actor == "slack:U4"
    with pytest.raises(NotAllowed):
        curated.faq_draft(NOBODY, "slack", "C1", "100.0")
    entry = curated.faq_create(SPECIALIST, question=FAQ_QUESTION, answer=FAQ_ANSWER)
    for call in (
        lambda: curated.faq_publish(NOBODY, entry.id),
        lambda: curated.faq_verify(NOBODY, entry.id),
        lambda: curated.faq_retire(NOBODY, entry.id),
        lambda: curated.faq_edit(NOBODY, entry.id, answer="x"),
    ):
        with pytest.raises(NotAllowed):
            call()
    # Granting roles is for admins only, not specialists.
    with pytest.raises(NotAllowed, match="needs the admin role"):
        curated.grant_role(SPECIALIST, "slack", "U4", Role.SPECIALIST)
    assert curated.is_curator("slack", "U2") and curated.is_curator("slack", "U3")
    assert not curated.is_curator("slack", "U4") and not curated.is_curator("teams", "U3")
    assert curated.grant_role(ADMIN, "slack", "U4", Role.SPECIALIST) is True
    assert curated.grant_role(ADMIN, "slack", "U4", Role.SPECIALIST) is False
    assert curated.faq_publish(NOBODY, entry.id).status == FaqStatus.PUBLISHED
    assert curated.revoke_role(ADMIN, "slack", "U4", Role.SPECIALIST) is True
    assert not curated.is_curator("slack", "U4")
    assert ("slack", "U3", Role.ADMIN, "settings") in curated.list_roles()
    assert ("slack", "U2", Role.SPECIALIST, "slack:U3") in curated.list_roles()
    # The command-line operator holds the database: an admin.
    assert curated.is_curator("cli", "operator")


def test_draft_from_a_thread_is_prefilled_with_the_question_and_best_answer(curated: KnowledgeBase) -> None:
    draft = curated.faq_draft(SPECIALIST, "slack", "C1", "100.0")
    assert draft.question == MACRO_THREAD[0].text
    assert draft.answer == MACRO_THREAD[2].text  # the asker's ✅ made it the accepted answer
    assert draft.source_thread == "slack:C1:100.0"
    with pytest.raises(NotFound, match="slack:C1:999"):
        curated.faq_draft(SPECIALIST, "slack", "C1", "999")


def test_every_change_is_a_new_version(curated: KnowledgeBase) -> None:
    entry = curated.faq_create(
        SPECIALIST, question=FAQ_QUESTION, answer=FAQ_ANSWER, tags="Excel; VBA, 異動", source_thread="slack:C1:100.0"
    )
    assert (entry.status, entry.version, entry.tags, entry.owner) == (
        FaqStatus.DRAFT,
        1,
        ("Excel", "VBA", "異動"),
        "鈴木 花子",
    )
    curated.faq_edit(SPECIALIST, entry.id, answer=FAQ_ANSWER + "RPAへの置き換えも検討します。")
    curated.faq_edit(SPECIALIST, entry.id, answer=FAQ_ANSWER + "RPAへの置き換えも検討します。")  # no change
    curated.faq_publish(ADMIN, entry.id)
    verified = curated.faq_verify(ADMIN, entry.id)
    retired = curated.faq_retire(SPECIALIST, entry.id)
    history = curated.faq_history(entry.id)
    assert [(v.version, v.change, v.status) for v in history] == [
        (1, "created", "draft"),
        (2, "edited", "draft"),
        (3, "published", "published"),
        (4, "verified", "published"),
        (5, "retired", "retired"),
    ]
    assert history[0].answer == FAQ_ANSWER and history[1].answer.endswith("検討します。")
    assert history[3].editor == "slack:U3"
    assert verified.verified_by == "高橋 誠" and verified.verified_at is not None
    assert retired.version == 5 and retired.verified_by == "高橋 誠"
    assert [e.id for e in curated.faq_list(FaqStatus.RETIRED)] == [entry.id]
    assert curated.faq_list(FaqStatus.PUBLISHED) == []


def test_bad_input_is_refused_clearly(curated: KnowledgeBase) -> None:
    with pytest.raises(InvalidInput, match="answer is empty"):
        curated.faq_create(SPECIALIST, question=FAQ_QUESTION, answer="  ")
    with pytest.raises(InvalidInput, match="review interval"):
        curated.faq_create(SPECIALIST, question=FAQ_QUESTION, answer=FAQ_ANSWER, review_interval_days=0)
    with pytest.raises(InvalidInput, match="thread reference"):
        curated.faq_create(SPECIALIST, question=FAQ_QUESTION, answer=FAQ_ANSWER, source_thread="nonsense")
    with pytest.raises(NotFound, match="no FAQ entry 42"):
        curated.faq_publish(SPECIALIST, 42)
    entry = curated.faq_create(SPECIALIST, question=FAQ_QUESTION, answer=FAQ_ANSWER)
    curated.faq_retire(SPECIALIST, entry.id)
    with pytest.raises(InvalidInput, match="retired"):
        curated.faq_verify(SPECIALIST, entry.id)


def test_published_entry_ranks_first_for_a_reworded_question(curated: KnowledgeBase) -> None:
    before = curated.suggest(REWORDED, abstain=False)
    assert [s.root_message_id for s in before.suggestions] == ["100.0"]
    entry = curated.faq_create(SPECIALIST, question=FAQ_QUESTION, answer=FAQ_ANSWER, source_thread="slack:C1:100.0")
    assert all(s.kind == SuggestionKind.THREAD for s in curated.suggest(REWORDED).suggestions)  # a draft is not shown
    curated.faq_publish(SPECIALIST, entry.id)
    curated.faq_verify(ADMIN, entry.id)
    result = curated.suggest(REWORDED)
    top = result.suggestions[0]
    assert top.kind == SuggestionKind.FAQ and top.faq_id == entry.id
    assert top.verified_by == "高橋 誠" and top.verified_at is not None and top.review_due is False
    assert top.answer_excerpt.startswith("まずマクロを棚卸し")
    assert top.url is None  # the source thread has no URL in this fixture; a private one would never be linked
    assert result.suggestions[1:] == () or result.suggestions[1].root_message_id == "100.0"
    # Relevant FAQ entries come before threads, even a thread that matches the question better.
    exact = curated.suggest(MACRO_THREAD[0].text).suggestions
    assert [s.kind for s in exact] == [SuggestionKind.FAQ, SuggestionKind.THREAD]
    assert exact[1].score > exact[0].score
    data = top.to_json()
    assert data["kind"] == "faq" and data["faq_id"] == entry.id and data["verified_by"] == "高橋 誠"
    assert data["review_due"] is False and data["verified_at"].startswith(str(datetime.now(UTC).year))
    assert "faq_id" not in exact[1].to_json()  # threads keep the documented shape
    # The FAQ mirror is not a chat thread.
    assert curated.stats().threads == 1 and curated.stats().channels == 2


def test_an_entry_past_its_review_date_is_still_shown_but_marked(curated: KnowledgeBase) -> None:
    entry = curated.faq_create(
        SPECIALIST, question=FAQ_QUESTION, answer=FAQ_ANSWER, review_interval_days=30, publish=True
    )
    curated.faq_verify(ADMIN, entry.id, verified_at=datetime.now(UTC) - timedelta(days=31))
    top = curated.suggest(REWORDED).suggestions[0]
    assert top.kind == SuggestionKind.FAQ and top.review_due is True
    assert [e.id for e in curated.faq_due_for_review()] == [entry.id]
    curated.faq_verify(ADMIN, entry.id)
    assert curated.suggest(REWORDED).suggestions[0].review_due is False
    assert curated.faq_due_for_review() == []
    # An entry nobody verified has no review date.
    other = curated.faq_create(SPECIALIST, question="LGWAN端末の更新時期", answer="5年です", publish=True)
    assert other.review_at is None and not other.review_due(datetime.now(UTC) + timedelta(days=9999))


def test_a_retired_entry_is_never_suggested_again_at_once(
    curated: KnowledgeBase, database_url: str, tmp_path: Path
) -> None:
    replica = KnowledgeBase.open(
        database_url=database_url, embedder=FakeEmbedder(), index_dir=None, abstain_below=FAKE_ABSTAIN_BELOW
    )
    try:
        entry = curated.faq_create(SPECIALIST, question=FAQ_QUESTION, answer=FAQ_ANSWER, publish=True)
        assert replica.suggest(REWORDED).suggestions[0].kind == SuggestionKind.FAQ  # the replica caught up
        curated.faq_retire(SPECIALIST, entry.id)
        assert all(s.kind == SuggestionKind.THREAD for s in replica.suggest(REWORDED).suggestions)
        assert all(s.kind == SuggestionKind.THREAD for s in curated.suggest(REWORDED).suggestions)
        # Publishing again brings it back; editing it re-indexes the new text.
        curated.faq_publish(SPECIALIST, entry.id)
        curated.faq_edit(SPECIALIST, entry.id, question="庁舎のWi-Fiのパスワード管理", answer="年1回変更します")
        assert all(s.kind == SuggestionKind.THREAD for s in curated.suggest(REWORDED).suggestions)
        assert curated.suggest("Wi-Fiのパスワード管理").suggestions[0].faq_id == entry.id
    finally:
        replica.close()


def test_faq_is_searched_from_private_channels_too_and_never_suggests_itself_as_a_thread(
    curated: KnowledgeBase,
) -> None:
    from knowledge.model import Scope

    entry = curated.faq_create(SPECIALIST, question=FAQ_QUESTION, answer=FAQ_ANSWER, publish=True)
    result = curated.suggest(REWORDED, scope=Scope("slack", "G1"))
    assert result.suggestions[0].faq_id == entry.id
    # FAQ mirrors carry no answers: experts come from the chat threads only.
    experts = curated.experts(MACRO_THREAD[0].text)
    assert sorted(e.person_id for e in experts) == ["U2", "U3"] and all(e.answers == 1 for e in experts)


def test_opted_out_curators_are_not_named(curated: KnowledgeBase) -> None:
    entry = curated.faq_create(SPECIALIST, question=FAQ_QUESTION, answer=FAQ_ANSWER, publish=True)
    curated.faq_verify(ADMIN, entry.id)
    curated.set_opt_out("slack", "U3", True)
    curated.set_opt_out("slack", "U2", True)
    shown = curated.faq_get(entry.id)
    assert shown.owner is None and shown.verified_by is None and shown.verified_at is not None
    top = curated.suggest(REWORDED).suggestions[0]
    assert top.kind == SuggestionKind.FAQ and top.verified_by is None
    assert "高橋" not in str(top.to_json()) and "鈴木" not in str(top.to_json())
    assert "高橋" not in str(shown.to_json()) and "鈴木" not in str(shown.to_json())
    curated.set_opt_out("slack", "U3", False)
    assert curated.faq_get(entry.id).verified_by == "高橋 誠"


def test_posting_a_new_message_never_touches_the_faq_channel(curated: KnowledgeBase) -> None:
    entry = curated.faq_create(SPECIALIST, question=FAQ_QUESTION, answer=FAQ_ANSWER, publish=True)
    curated.ingest(post("C1", "500.0", "U1", "VPNが遅いときどうしていますか？", 3))
    assert curated.suggest(REWORDED).suggestions[0].faq_id == entry.id
