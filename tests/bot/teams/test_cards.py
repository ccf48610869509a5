"""The Adaptive Card renderers are pure: schema-level checks, texts and action data."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.messages import Locale
from bot.replies import ExpertRequestReply, ExpertsReply, FollowupReply, QuestionRef, SuggestionsReply
from bot.teams.cards import (
    ACTION_KIND,
    ASK_EXPERT_KIND,
    ExpertNote,
    card_state,
    parse_card_state,
    render_expert_request,
    render_experts,
    render_followup,
    render_suggestions,
)
from knowledge.model import (
    Answerer,
    Expert,
    ExpertRequest,
    Followup,
    SearchResult,
    Subscriber,
    Suggestion,
    SuggestionKind,
    Verdict,
)


def _suggestion(n: int, *, kind: SuggestionKind = SuggestionKind.THREAD, accepted: bool = False) -> Suggestion:
    return Suggestion(
        kind=kind,
        thread_id=f"teams:C:{n}",
        platform="teams",
        channel_id="C",
        channel_name="質問箱",
        root_message_id=str(n),
        title=f"題名{n}",
        answer_excerpt=f"回答{n}",
        answerers=(Answerer("鈴木 花子", "南川町 総務課"), Answerer("高橋 誠", "青葉県庁", accepted=accepted)),
        url=f"https://teams.microsoft.com/l/message/C/{n}" if n != 2 else None,
        asked_at=datetime(2026, 4, 1, tzinfo=UTC),
        score=0.9,
        accepted=accepted,
    )


def _reply(locale: Locale = Locale.JA) -> SuggestionsReply:
    suggestions = (
        _suggestion(1, accepted=True),
        _suggestion(2),
        _suggestion(3, kind=SuggestionKind.FAQ),
        _suggestion(4),
    )
    return SuggestionsReply(SearchResult("VBAの保守は？", suggestions, False), locale, QuestionRef("teams", "C", "99"))


def _all(node: object, key: str) -> list[object]:
    found: list[object] = []
    if isinstance(node, dict):
        if key in node:
            found.append(node[key])
        for value in node.values():
            found.extend(_all(value, key))
    elif isinstance(node, list):
        for item in node:
            found.extend(_all(item, key))
    return found


def test_suggestion_card() -> None:
    card = render_suggestions(_reply())
    assert card["type"] == "AdaptiveCard" and card["version"] in {"1.4", "1.5"}
    texts = [t for t in _all(card["body"], "text") if isinstance(t, str)]
    assert any(t.startswith("1. ✅ 解決済み **題名1**") for t in texts)
    assert any(t.startswith("3. [FAQ] **題名3**") for t in texts)
    assert not any("題名4" in t for t in texts)  # at most three
    # The accepted answerer first, with organisations.
    assert any(t.startswith("回答: 高橋 誠（青葉県庁）、鈴木 花子（南川町 総務課）") for t in texts)
    urls = _all(card, "url")
    assert urls == ["https://teams.microsoft.com/l/message/C/1", "https://teams.microsoft.com/l/message/C/3"]
    datas = [d for d in _all(card, "data") if isinstance(d, dict) and d.get("kind") == ACTION_KIND]
    solved = [d for d in datas if d["verdict"] == "solved"]
    assert {d["threads"][0] for d in solved} == {"teams:C:1", "teams:C:2", "teams:C:3"}
    unhelpful = next(d for d in datas if d["verdict"] == "unhelpful")
    assert unhelpful == {
        "kind": ACTION_KIND,
        "verdict": "unhelpful",
        "threads": ["teams:C:1", "teams:C:2", "teams:C:3"],
        "question": "VBAの保守は？",
        "channel": "C",
        "message": "99",
        "locale": "ja",
    }
    ask = [d for d in _all(card, "data") if isinstance(d, dict) and d.get("kind") == ASK_EXPERT_KIND]
    assert (
        ask
        == [{"kind": ASK_EXPERT_KIND, "question": "VBAの保守は？", "channel": "C", "message": "99", "locale": "ja"}] * 2
    )  # the Action.Execute and its Action.Submit fallback


def test_faq_suggestions_say_who_verified_them_and_when_they_are_due() -> None:
    verified = replace(
        _suggestion(1, kind=SuggestionKind.FAQ),
        answerers=(),
        verified_by="高橋 誠",
        verified_at=datetime(2026, 5, 1, tzinfo=UTC),
        review_due=True,
    )
    unnamed = replace(
        _suggestion(2, kind=SuggestionKind.FAQ), answerers=(), verified_at=datetime(2026, 6, 1, tzinfo=UTC)
    )
    unverified = replace(_suggestion(3, kind=SuggestionKind.FAQ), answerers=())
    reply = SuggestionsReply(SearchResult("VBA?", (verified, unnamed, unverified), False), Locale.JA)
    texts = [t for t in _all(render_suggestions(reply), "text") if isinstance(t, str)]
    assert "確認：高橋 誠（2026-05-01） · ⚠ 見直しの時期を過ぎています" in texts
    assert "確認済み（2026-06-01）" in texts and "未確認" in texts
    english = render_suggestions(replace(reply, locale=Locale.EN))
    assert "Verified by 高橋 誠 on 2026-05-01 · ⚠ Due for review" in _all(english, "text")


def test_nothing_found_offers_the_specialists_only_when_asked_directly() -> None:
    empty = SearchResult("防災無線の更新は？", (), True)
    asked = render_suggestions(SuggestionsReply(empty, Locale.JA, QuestionRef("teams", "C", "7")))
    assert [a["title"] for a in asked["actions"]] == ["専門家に聞く"]
    automatic = render_suggestions(SuggestionsReply(empty, Locale.JA, automatic=True))
    assert "actions" not in automatic


def test_card_after_feedback_has_no_buttons_and_says_who() -> None:
    card = render_suggestions(_reply(Locale.EN), feedback=(Verdict.SOLVED, "Sato", "teams:C:2"))
    assert not [a for a in _all(card, "type") if a in ("Action.Execute", "Action.Submit")]
    assert "Sato marked this as solved. Thank you!" in _all(card, "text")


def test_experts_card() -> None:
    latest = datetime(2026, 3, 1, tzinfo=UTC)
    reply = ExpertsReply(
        "VBA", (Expert("鈴木 花子", "南川町 総務課", 3, 1, latest, 1.0, ("マクロの保守",)),), Locale.JA
    )
    texts = _all(render_experts(reply), "text")
    assert "**鈴木 花子**（南川町 総務課）" in texts
    assert "このテーマで3件回答（うち解決1件）、最新 2026-03" in texts


def test_followups_and_expert_requests_escape_names_and_questions_but_not_mentions() -> None:
    latest = datetime(2026, 3, 1, tzinfo=UTC)
    expert = Expert("山田 *太郎*", "北山市_情報課", 2, 0, latest, 1.0, ())
    subscriber = Subscriber("teams", "aad-1", "田中 亮", "VBA")
    followup = render_followup(FollowupReply(Followup("teams", "C", "1", "VBA?", (expert,), (subscriber,)), Locale.JA))
    words = "\n".join(str(t) for t in _all(followup["body"], "text"))
    assert "**山田 \\*太郎\\***（北山市\\_情報課）" in words
    assert "<at>田中 亮</at>" in words  # the mention stays as Teams matches it with its entity
    request = ExpertRequest("\\\\fs01\\share の *.xls を <@U123> に？", None, "a & b", "q_a", False, (subscriber,))
    posted = _all(render_expert_request(ExpertRequestReply(request, Locale.JA))["body"], "text")
    assert "\\\\\\\\fs01\\\\share の \\*.xls を &lt;@U123&gt; に？" in posted
    assert "専門家の皆さん、a &amp; bさんからの質問です。" in posted and "#q\\_a での質問" in posted
    assert any("<at>田中 亮</at>" in str(t) for t in posted)


def test_a_card_state_carries_only_what_yorozu_recorded() -> None:
    state = card_state((Verdict.UNHELPFUL, "佐藤", None), ExpertNote("ask_expert_sent", "x" * 300))
    assert state == {"verdict": "unhelpful", "by": "佐藤", "expert": "ask_expert_sent", "asker": "x" * 100}
    assert parse_card_state({"state": state}) == (
        (Verdict.UNHELPFUL, "佐藤", None),
        ExpertNote("ask_expert_sent", "x" * 100),
    )
    forged = {"state": {"verdict": "great", "expert": "help", "by": 3}}
    assert parse_card_state(forged) == (None, None) and parse_card_state({"state": "x"}) == (None, None)
