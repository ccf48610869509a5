"""Block Kit rendering: FAQ facts, 専門家に聞く, follow-ups and expert requests (pure functions)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime

from bot.messages import Locale
from bot.replies import ExpertRequestReply, ExpertsReply, FollowupReply, QuestionRef, SuggestionsReply
from bot.slack import blocks
from knowledge.model import (
    Answerer,
    Expert,
    ExpertRequest,
    Followup,
    SearchResult,
    Subscriber,
    Suggestion,
    SuggestionKind,
)

ASKED = datetime(2026, 3, 1, tzinfo=UTC)


def faq(*, verified_by: str | None, verified_at: datetime | None, due: bool = False) -> Suggestion:
    return Suggestion(
        kind=SuggestionKind.FAQ,
        thread_id="faq:faq:7",
        platform="faq",
        channel_id="faq",
        channel_name="FAQ",
        root_message_id="7",
        title="異動時のフォルダ権限",
        answer_excerpt="申請をまとめて一括反映します。",
        answerers=(),
        url=None,
        asked_at=ASKED,
        score=0.9,
        accepted=True,
        faq_id=7,
        verified_by=verified_by,
        verified_at=verified_at,
        review_due=due,
    )


def thread(thread_id: str = "slack:C1:100.0") -> Suggestion:
    return Suggestion(
        kind=SuggestionKind.THREAD,
        thread_id=thread_id,
        platform=thread_id.split(":")[0],
        channel_id="C1",
        channel_name="q-and-a",
        root_message_id="100.0",
        title="Excelマクロの保守",
        answer_excerpt="棚卸ししました。",
        answerers=(Answerer("鈴木 花子", "南川町 総務課"),),
        url="https://aoba-jichitai.slack.com/archives/C1/p1000",
        asked_at=ASKED,
        score=0.8,
    )


def text_of(block: dict) -> str:  # type: ignore[type-arg]
    return str(block["text"]["text"])


def test_an_faq_suggestion_says_who_verified_it_and_when() -> None:
    block = blocks.render_suggestion(
        faq(verified_by="高橋 誠", verified_at=datetime(2026, 9, 30, tzinfo=UTC)), Locale.JA
    )
    lines = text_of(block).split("\n")
    assert lines[0] == "*異動時のフォルダ権限* `FAQ`"  # no "solved" mark: an entry is curated, not accepted
    assert lines[-1] == "確認：高橋 誠（2026-09-30）"
    assert "質問日" not in text_of(block) and "#FAQ" not in text_of(block)
    english = blocks.render_suggestion(
        faq(verified_by="Tom Baker", verified_at=datetime(2026, 9, 30, tzinfo=UTC)), Locale.EN
    )
    assert text_of(english).endswith("Verified by Tom Baker on 2026-09-30")


def test_an_faq_suggestion_due_for_review_unverified_or_verified_by_someone_unnamed() -> None:
    due = blocks.render_suggestion(
        faq(verified_by="高橋 誠", verified_at=datetime(2025, 1, 5, tzinfo=UTC), due=True), Locale.JA
    )
    assert text_of(due).split("\n")[-1] == "確認：高橋 誠（2025-01-05） · ⚠ 見直しの時期を過ぎています"
    unverified = blocks.render_suggestion(faq(verified_by=None, verified_at=None), Locale.JA)
    assert text_of(unverified).split("\n")[-1] == "未確認"
    # The verifier opted out of being named: the date still shows.
    unnamed = blocks.render_suggestion(faq(verified_by=None, verified_at=datetime(2026, 9, 30, tzinfo=UTC)), Locale.EN)
    assert text_of(unnamed).split("\n")[-1] == "Verified on 2026-09-30"


def suggestions(*items: Suggestion, curator: bool = False, automatic: bool = False) -> SuggestionsReply:
    result = SearchResult("Excelマクロの保守は？", tuple(items), abstained=not items)
    return SuggestionsReply(
        result, Locale.JA, QuestionRef("slack", "C1", "200.0"), automatic=automatic, curator=curator
    )


def buttons(rendered: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    return [e for b in rendered if b["type"] == "actions" for e in b["elements"]]


def test_ask_expert_once_per_message_carrying_the_question_and_who_asked() -> None:
    rendered = blocks.render(suggestions(thread(), faq(verified_by=None, verified_at=None)), asker_id="U1")
    ask = [b for b in buttons(rendered) if b["action_id"] == blocks.ACTION_ASK_EXPERT]
    assert len(ask) == 1 and ask[0]["text"]["text"] == "専門家に聞く"
    assert json.loads(ask[0]["value"]) == {"q": "Excelマクロの保守は？", "c": "C1", "m": "200.0", "a": "U1"}
    value = blocks.parse_ask_expert_value(ask[0]["value"])
    assert value == blocks.AskExpertValue("Excelマクロの保守は？", "C1", "200.0", "U1")
    for forged in ("not json", json.dumps({"q": ""}), json.dumps(["q"]), None, 7):
        assert blocks.parse_ask_expert_value(forged) is None


def test_nothing_found_offers_ask_expert_when_asked_directly_only() -> None:
    direct = blocks.render(suggestions(), asker_id="U1")
    assert text_of(direct[0]).startswith("関連する過去のスレッドは見つかりませんでした")
    assert [b["action_id"] for b in buttons(direct)] == [blocks.ACTION_ASK_EXPERT]
    assert buttons(blocks.render(suggestions(automatic=True))) == []


def test_make_faq_only_for_a_curator_and_only_on_slack_threads() -> None:
    plain = buttons(blocks.render(suggestions(thread())))
    assert blocks.ACTION_MAKE_FAQ not in {b["action_id"] for b in plain}
    curator = blocks.render(
        suggestions(
            thread(), thread("teams:19:x@thread.tacv2:1"), faq(verified_by=None, verified_at=None), curator=True
        )
    )
    make = [b for b in buttons(curator) if b["action_id"] == blocks.ACTION_MAKE_FAQ]
    assert [b["value"] for b in make] == ["slack:C1:100.0"]
    assert make[0]["text"]["text"] == "FAQにする"


def expert(name: str, person_id: str, org: str | None = None) -> Expert:
    return Expert(
        name,
        org,
        answers=3,
        accepted=1,
        latest=datetime(2026, 9, 1, tzinfo=UTC),
        score=1.0,
        platform="slack",
        person_id=person_id,
    )


def mentions(rendered: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return re.findall(r"<@([A-Z0-9]+)>", json.dumps(rendered, ensure_ascii=False))


def test_a_followup_names_people_in_plain_text_and_mentions_only_subscribers() -> None:
    followup = Followup(
        "slack",
        "C1",
        "200.0",
        "マクロの保守は？",
        experts=(expert("鈴木 花子", "U2", "南川町 総務課"), expert("<!channel> 悪戯", "U9")),
        subscribers=(
            Subscriber("slack", "U4", "Tom Baker", "Excelマクロ"),
            Subscriber("teams", "29:x", "Teams person", "Excel"),
        ),
    )
    rendered = blocks.render_followup(FollowupReply(followup, Locale.JA))
    text = json.dumps(rendered, ensure_ascii=False)
    assert "似た質問に答えたことのある方" in text
    assert "*鈴木 花子*（南川町 総務課） — このテーマで3件回答（うち解決1件）、最新 2026-09" in text
    assert "&lt;!channel&gt; 悪戯" in text and "<!channel>" not in text  # a name can never ping anybody
    assert "お名前を紹介しているだけで、通知はしていません" in text
    assert mentions(rendered) == ["U4"]  # the Slack subscriber; never an answerer, never a Teams id
    assert "<@" not in blocks.followup_text(FollowupReply(followup, Locale.JA))


def test_an_expert_request_quotes_the_question_and_pings_subscribers_only() -> None:
    request = ExpertRequest(
        "フォルダ権限の棚卸し、\nどうしていますか？",
        "https://aoba-jichitai.slack.com/archives/C1/p2000",
        "佐藤 健",
        "q-and-a",
        False,
        (Subscriber("slack", "U4", "Tom Baker", "権限"),),
    )
    rendered = blocks.render_expert_request(ExpertRequestReply(request, Locale.JA))
    first = text_of(rendered[0])
    assert first == "専門家の皆さん、佐藤 健さんからの質問です。\n> フォルダ権限の棚卸し、\n> どうしていますか？"
    context = rendered[1]["elements"][0]["text"]
    assert context == "<https://aoba-jichitai.slack.com/archives/C1/p2000|元のスレッドを開く> · #q-and-a での質問"
    assert mentions(rendered) == ["U4"]
    unnamed = ExpertRequest("質問？", None, None, None, True, ())
    rendered = blocks.render_expert_request(ExpertRequestReply(unnamed, Locale.JA))
    assert [text_of(b) for b in rendered] == ["専門家の皆さん、次の質問に答えていただけませんか。\n> 質問？"]


def test_a_followup_with_subscribers_only_pings_them_without_naming_anybody() -> None:
    followup = Followup(
        "slack", "C1", "200.0", "質問？", experts=(), subscribers=(Subscriber("slack", "U4", "Tom", "x"),)
    )
    rendered = blocks.render_followup(FollowupReply(followup, Locale.EN))
    assert [text_of(b) for b in rendered] == [
        "Nobody has replied to this question yet.",
        "Subscribed to this topic: <@U4>",
    ]


# Text people typed, as it must read in Slack: every one of these once came out formatted or swallowed.
TRICKY = ["*.xlsm,*.xls,*.xlam", "\\\\fs01\\share", "```", "<@U123>", "a & b", "_下書き_ と ~取消~ と `code`"]
ZWSP = "\u200b"


def _shown(mrkdwn: str) -> str:
    """What Slack shows of escaped mrkdwn: its three entities decoded, the zero-width spaces invisible."""
    return mrkdwn.replace(ZWSP, "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _formatting_runs(mrkdwn: str) -> list[str]:
    """Spans Slack would format: a marker with no zero-width space on either side, up to the next such one."""
    return re.findall(r"(?<![\u200b])([*_~`])(?![\u200b]).*?(?<![\u200b])\1(?![\u200b])", mrkdwn)


def test_user_text_is_shown_as_typed_in_mrkdwn() -> None:
    for value in TRICKY:
        escaped = blocks.escape(value)
        assert _shown(escaped) == value
        assert "<" not in escaped and ">" not in escaped  # no mention, link or channel can be made
        assert "&" not in escaped.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
        assert _formatting_runs(escaped) == []
        for marker in "*_~`":  # every formatting character is fenced off on both sides
            assert escaped.count(marker) == escaped.count(f"{ZWSP}{marker}{ZWSP}")


def test_suggestions_experts_and_requests_escape_what_people_wrote() -> None:
    tricky = replace(
        thread(),
        title="*.xlsm,*.xls,*.xlam を開けない",
        answer_excerpt="\\\\fs01\\share に置いて ``` を使う",
        answerers=(Answerer("a & b", "<@U123>"),),
    )
    text = text_of(blocks.render_suggestion(tricky, Locale.JA))
    assert _shown(text).startswith(
        "*<https://aoba-jichitai.slack.com/archives/C1/p1000|*.xlsm,*.xls,*.xlam を開けない>*"
    )
    assert "> \\\\fs01\\share に置いて ``` を使う" in _shown(text)
    assert "回答: a & b（<@U123>）" in _shown(text)
    assert "<@U123>" not in text and "a & b" not in text
    title = text.split("|", 1)[1].split(">", 1)[0]
    assert _formatting_runs(title) == [] and _formatting_runs(text.split("\n", 1)[1]) == []
    expert = Expert("*佐藤*", "_北山市_", 2, 1, ASKED, 1.0, ("`VBA` の保守",))
    (section,) = blocks.render_experts(ExpertsReply("*.xlsm", (expert,), Locale.JA))
    shown = text_of(section)
    assert "「*.xlsm」" in _shown(shown) and "*" + ZWSP + "*" + ZWSP + "佐藤" in shown
    assert "· `VBA` の保守" in _shown(shown) and "`VBA`" not in shown
    request = ExpertRequest("<@U123> *.xls を ~消す~ には？", None, "a & b", "q", private=False, subscribers=())
    posted = text_of(blocks.render_expert_request(ExpertRequestReply(request, Locale.JA))[0])
    assert "<@U123>" not in posted and _formatting_runs(posted) == []
    assert "> <@U123> *.xls を ~消す~ には？" in _shown(posted)
