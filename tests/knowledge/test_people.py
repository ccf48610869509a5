"""People: opting out (never named anywhere), ping subscriptions, organisation rules, expert ranking
with helpful feedback, and what feedback means (accepted answers, the review queue)."""

from __future__ import annotations

import json

import pytest

from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.errors import InvalidInput, NotAllowed, NotFound
from knowledge.model import Actor, Role, Scope, Verdict, Visibility
from tests.conftest import MACRO_THREAD, PRINTER_THREAD, community, post

ADMIN = Actor.operator()

ACCESS_THREAD = [
    post("C1", "400.0", "U4", "人事異動のときのフォルダのアクセス権、どう整理していますか？", 10),
    post(
        "C1",
        "400.1",
        "U1",
        "異動の内示が出たらアクセス権の棚卸し表を作って、発令日に一括で変更しています。",
        11,
        thread="400.0",
    ),
    post("C1", "400.2", "U2", "フォルダは課ごとにして、個人のアクセス権は付けない運用にしました。", 12, thread="400.0"),
]


@pytest.fixture
def filled(kb: KnowledgeBase) -> KnowledgeBase:
    kb.ingest_many(community() + MACRO_THREAD + PRINTER_THREAD + ACCESS_THREAD)
    return kb


def everything_shown(kb: KnowledgeBase, question: str) -> str:
    """Every output that could name a person, as one string."""
    outputs = [
        kb.suggest(question, abstain=False).to_json(),
        [e.to_json() for e in kb.experts(question)],
        [e.to_json() for e in kb.faq_list()],
        kb.insights().to_json(),
        [s.name for s in kb.subscribers_for(question)],
    ]
    followup = kb.followup_for("slack", "C1", "300.0")
    if followup is not None:
        outputs.append([e.to_json() for e in followup.experts])
    return json.dumps(outputs, ensure_ascii=False, default=str)


def test_an_opted_out_person_is_never_named_anywhere(filled: KnowledgeBase) -> None:
    question = "異動でマクロが保守できない、アクセス権も整理したい"
    entry = filled.faq_create(ADMIN, question="マクロの保守", answer="棚卸しします", publish=True)
    filled.grant_role(ADMIN, "slack", "U2", Role.SPECIALIST)
    filled.faq_verify(Actor("slack", "U2", "鈴木 花子"), entry.id)
    filled.subscribe("slack", "U2", "マクロ")
    # The printer thread got no answer: its follow-up would name people who answered similar questions.
    filled.ingest(post("C1", "300.9", "U2", "仕様書のマクロ", 1, thread="999"))  # unrelated noise
    assert "鈴木 花子" in everything_shown(filled, question)
    filled.set_opt_out("slack", "U2", True)
    assert filled.is_opted_out("slack", "U2")
    shown = everything_shown(filled, question)
    assert "鈴木" not in shown and "南川町" not in shown
    assert "佐藤 健" in shown or "高橋 誠" in shown  # others still are
    assert filled.subscribers_for("マクロの保守") == []  # and an opted-out person is never pinged
    filled.set_opt_out("slack", "U2", False)
    assert "鈴木 花子" in everything_shown(filled, question)


def test_opting_out_before_ever_posting_holds(kb: KnowledgeBase) -> None:
    kb.set_opt_out("slack", "U9", True)
    kb.ingest_many([*community(), ev.PersonSeen("slack", "U9", "新人 太郎", "西町 総務課"), *MACRO_THREAD])
    kb.ingest(post("C1", "100.9", "U9", "うちは外部委託で保守しています。", 5, thread="100.0"))
    assert kb.is_opted_out("slack", "U9")
    assert "新人" not in json.dumps(kb.suggest(MACRO_THREAD[0].text).to_json(), ensure_ascii=False)
    assert "新人" not in [e.name for e in kb.experts(MACRO_THREAD[0].text)]


def test_people_are_pinged_only_for_topics_they_chose(filled: KnowledgeBase) -> None:
    assert filled.subscribers_for("マクロの保守どうしてる？") == []
    assert filled.subscribe("slack", "U1", "マクロ 保守") is True
    assert filled.subscribe("slack", "U1", "マクロ  保守") is False  # the same topic
    filled.subscribe("slack", "U3", "アクセス権")
    filled.subscribe("teams", "29:abc", "マクロ")
    filled.ingest(ev.PersonSeen("teams", "29:abc", "Teams 利用者", None))
    found = filled.subscribers_for("Excelのマクロの保守はどうしていますか", platform="slack")
    assert [(s.person_id, s.topic) for s in found] == [("U1", "マクロ 保守")]
    assert {s.platform for s in filled.subscribers_for("マクロの保守はどうしていますか")} == {"slack", "teams"}
    # Similar in meaning counts too (the fake embedder's similarity: shared character bigrams).
    assert [s.person_id for s in filled.subscribers_for("アクセス権の整理")] == ["U3"]
    assert filled.subscribers_for("複合機のリース") == []
    assert filled.subscriptions("slack", "U1") == ["マクロ 保守"]
    assert filled.unsubscribe("slack", "U1", "マクロ 保守") == 1
    assert filled.subscribers_for("Excelのマクロの保守", platform="slack") == []
    assert filled.unsubscribe("slack", "U3") == 1
    with pytest.raises(InvalidInput):
        filled.subscribe("slack", "U1", "   ")


def test_a_web_chat_request_pings_the_subscribers_where_it_is_posted(filled: KnowledgeBase) -> None:
    filled.ingest_many(
        [ev.ChannelSeen("web", "chat", "ウェブチャット"), ev.PersonSeen("teams", "29:abc", "Teams 利用者", None)]
    )
    filled.subscribe("slack", "U1", "マクロ")
    filled.subscribe("teams", "29:abc", "マクロ")
    visitor = Actor("web", "v0123456789abcdef")
    question = "Excelのマクロの保守はどうしていますか"

    def pinged(ping_on: set[str] | None = None) -> set[tuple[str, str]]:
        request = filled.expert_request(
            visitor, question, platform="web", channel_id="chat", message_id=None, ping_on=ping_on
        )
        # The web chat is a public place; its visitor has no name to show.
        assert (request.asker, request.channel_name, request.private) == (None, "ウェブチャット", False)
        return {(s.platform, s.person_id) for s in request.subscribers}

    assert pinged() == set()  # nobody subscribes on the web chat itself
    assert pinged({"slack"}) == {("slack", "U1")}
    assert pinged({"slack", "teams"}) == {("slack", "U1"), ("teams", "29:abc")}
    assert pinged(set()) == set()


def test_organisation_comes_from_admin_rules_when_the_platform_gives_none(kb: KnowledgeBase) -> None:
    kb.ingest_many(
        [
            *community(),
            ev.PersonSeen("slack", "U7", "山田 一郎", None, email="yamada@soumu.city.kitayama.lg.jp"),
            ev.PersonSeen("teams", "29:t1", "森 二郎", None, tenant_id="AAAA-1111"),
            *MACRO_THREAD,
            post("C1", "100.7", "U7", "マクロは全部RPAに置き換えました。", 4, thread="100.0"),
            ev.MessagePosted(
                "teams",
                "19:x@thread.tacv2",
                "1",
                "29:t2",
                "Excelマクロの保守どうしてますか？",
                MACRO_THREAD[0].posted_at,
            ),
            ev.MessagePosted(
                "teams",
                "19:x@thread.tacv2",
                "2",
                "29:t1",
                "マクロは手順書を作って引き継いでいます。",
                MACRO_THREAD[1].posted_at,
                thread_id="1",
            ),
        ]
    )

    def orgs() -> dict[str, str | None]:
        return {e.name: e.organization for e in kb.experts(MACRO_THREAD[0].text)}

    assert orgs()["山田 一郎"] is None
    kb.set_organization_rule(ADMIN, "email_domain", "@city.kitayama.lg.jp", "北山市")
    kb.set_organization_rule(ADMIN, "teams_tenant", "aaaa-1111", "南川町")
    assert orgs()["山田 一郎"] == "北山市" and orgs()["森 二郎"] == "南川町"
    assert orgs()["鈴木 花子"] == "南川町 総務課"  # the platform's own organisation wins
    assert ("email_domain", "city.kitayama.lg.jp", "北山市") in kb.organization_rules()
    assert kb.remove_organization_rule(ADMIN, "email_domain", "city.kitayama.lg.jp") is True
    assert orgs()["山田 一郎"] is None
    with pytest.raises(InvalidInput, match="email_domain, teams_tenant"):
        kb.set_organization_rule(ADMIN, "slack_field", "x", "y")
    with pytest.raises(NotAllowed, match="admin"):
        kb.set_organization_rule(Actor("slack", "U1"), "email_domain", "x.jp", "y")


def test_solved_feedback_marks_the_answer_and_counts_as_helpful(filled: KnowledgeBase) -> None:
    before = {e.person_id: e for e in filled.experts(ACCESS_THREAD[0].text)}
    assert before["U2"].helpful == 0 and "found helpful" not in before["U2"].explanation
    filled.record_feedback(
        platform="slack",
        channel_id="C2",
        question_message_id="900.0",
        question="異動のときのアクセス権",
        suggested_thread="slack:C1:400.0",
        person_id="U3",
        verdict=Verdict.SOLVED,
    )
    after = {e.person_id: e for e in filled.experts(ACCESS_THREAD[0].text)}
    # The answer shown with the suggestion is the one that helped: nobody accepted one, so the reply
    # most related to the question (U2's names both フォルダ and アクセス権), not merely the first.
    assert after["U2"].helpful == 1 and after["U1"].helpful == 0
    assert after["U2"].score > before["U2"].score
    assert after["U2"].explanation.startswith("2 answers on this topic, 1 found helpful, latest 2026-04")
    # Feedback on an FAQ entry or an unknown thread is stored without an answer, and credits nobody.
    filled.record_feedback(
        platform="slack",
        channel_id="C2",
        question_message_id="900.0",
        question="異動のときのアクセス権",
        suggested_thread="faq:faq:1",
        person_id="U3",
        verdict=Verdict.SOLVED,
    )
    with filled.store.begin() as conn:
        stored = conn.exec_driver_sql("SELECT suggested_thread, answer_external_id FROM feedback ORDER BY id").all()
    assert [tuple(row) for row in stored] == [("slack:C1:400.0", stored[0][1]), ("faq:faq:1", None)]
    assert stored[0][1] is not None  # the first press named the answer shown
    last = {e.person_id: e for e in filled.experts(ACCESS_THREAD[0].text)}
    assert {p: e.helpful for p, e in last.items()} == {p: e.helpful for p, e in after.items()}
    # Scores decay with the time they are computed at: equal up to the microseconds between the two calls.
    assert {p: e.score for p, e in last.items()} == pytest.approx({p: e.score for p, e in after.items()}, rel=1e-6)


def test_unhelpful_feedback_goes_to_the_review_queue(filled: KnowledgeBase) -> None:
    filled.ingest(ev.ChannelSeen("slack", "C2", "general", Visibility.PUBLIC))
    press = dict(platform="slack", channel_id="C2", question_message_id="901.0", question="VPNが遅い", person_id="U4")
    filled.record_feedback(**press, suggested_thread="slack:C1:100.0", verdict=Verdict.UNHELPFUL)  # type: ignore[arg-type]
    filled.record_feedback(**press, suggested_thread="slack:C1:400.0", verdict=Verdict.SOLVED)  # type: ignore[arg-type]
    queue = filled.review_queue()
    assert [(q.question, q.suggested_thread, q.channel_id) for q in queue] == [("VPNが遅い", "slack:C1:100.0", "C2")]
    with pytest.raises(NotAllowed):
        filled.resolve_review(Actor("slack", "U4"), queue[0].id)
    filled.resolve_review(ADMIN, queue[0].id)
    assert filled.review_queue() == []
    with pytest.raises(NotFound):
        filled.resolve_review(ADMIN, queue[0].id)
    # Pressing 役に立たなかった again (or changing one's mind back) puts it back in the queue.
    filled.record_feedback(**press, suggested_thread="slack:C1:100.0", verdict=Verdict.UNHELPFUL)  # type: ignore[arg-type]
    assert len(filled.review_queue()) == 1


def test_who_explains_itself_with_counts_and_the_latest_month(filled: KnowledgeBase) -> None:
    experts = filled.experts(ACCESS_THREAD[0].text, scope=Scope.public())
    assert experts[0].explanation.endswith("latest 2026-04")
    assert all(e.person_id and e.platform == "slack" for e in experts)
