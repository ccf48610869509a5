"""Mentions of people are stored as references and named only when shown, through the opt-out rule."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, Entity

from bot.slack import convert as slack
from bot.teams import convert as teams
from knowledge import events as ev
from knowledge import mentions
from knowledge.base import KnowledgeBase
from knowledge.importers.slack_export import to_plain_text
from knowledge.importers.teams_graph import body_text
from knowledge.model import Actor, Scope, Verdict
from tests.conftest import T0, community

NAMES = {"U2": "鈴木 花子"}  # what the Slack shell knows of its users when a message arrives


def _slack(ts: str, user: str, text: str, hours: float, thread: str | None = None) -> ev.MessagePosted:
    message = {"type": "message", "user": user, "text": text, "ts": ts, **({"thread_ts": thread} if thread else {})}
    posted = slack.to_posted(message, "C1", names=NAMES)
    assert posted is not None
    return replace(posted, posted_at=T0 + timedelta(hours=hours))


QUESTION = _slack("900.0", "U1", "<@U2> さん、庁内VPNの多要素認証はどう設定していますか？", 0)
ANSWER = _slack(
    "900.1", "U3", "<@U2> さんの手順書どおり、VPNはワンタイムパスワードで多要素認証にしました。", 1, "900.0"
)


def _everything_shown(kb: KnowledgeBase) -> str:
    question = "VPNの多要素認証の設定"
    outputs: list[object] = [
        [s.to_json() for s in kb.suggest(question, scope=Scope("slack", "C1")).suggestions],
        [e.to_json() for e in kb.experts(question)],
        kb.insights(days=3650, now=T0 + timedelta(days=1)).to_json(),
        kb.faq_draft(Actor.operator(), "slack", "C1", "900.0").__repr__(),
    ]
    followup = kb.followup_for("slack", "C1", "900.0", now=T0)
    outputs.append(followup.question if followup is not None else None)
    return json.dumps(outputs, ensure_ascii=False)


def test_an_opted_out_person_mentioned_in_a_message_is_not_named_once_opted_out(kb: KnowledgeBase) -> None:
    kb.ingest_many([*community(), QUESTION, ANSWER])
    assert QUESTION.text.startswith("<@U2> さん")  # stored as a reference, not as her name
    shown = _everything_shown(kb)
    assert "@鈴木 花子 さんの手順書どおり" in shown and "@鈴木 花子 さん、庁内VPN" in shown
    assert "<@U2>" not in shown

    kb.set_opt_out("slack", "U2", True)
    shown = _everything_shown(kb)  # at once: nothing was re-indexed
    assert "鈴木" not in shown and "花子" not in shown and "<@U2>" not in shown
    assert f"{mentions.UNNAMED} さんの手順書どおり" in shown

    kb.set_opt_out("slack", "U2", False)
    assert "@鈴木 花子 さんの手順書どおり" in _everything_shown(kb)


def test_insights_never_name_a_mentioned_person(kb: KnowledgeBase) -> None:
    kb.ingest_many([*community(), QUESTION])
    kb.record_feedback(  # the question as a platform's button sends it back: with its reference
        platform="slack",
        channel_id="C1",
        question_message_id="900.0",
        question=QUESTION.text,
        suggested_thread="slack:C1:100.0",
        person_id="U4",
        verdict=Verdict.UNHELPFUL,
    )
    report = json.dumps(kb.insights(days=3650, now=T0 + timedelta(days=1)).to_json(), ensure_ascii=False)
    assert "庁内VPN" in report and "鈴木" not in report and "<@" not in report
    assert kb.review_queue()[0].question.startswith(f"{mentions.UNNAMED} さん、庁内VPN")


def test_the_indexes_hold_no_mentions() -> None:
    assert mentions.plain("<@U2> さん、<@29:abc> さんへ") == "@ さん、@ さんへ"
    assert mentions.render("<@U2> と <@U9>", {"U2": "鈴木 花子"}) == f"@鈴木 花子 と {mentions.UNNAMED}"
    assert mentions.collapse("<@A> <@A> さん <@B>") == "<@A> さん <@B>"


def test_every_source_stores_a_reference() -> None:
    # A Slack export, or a live event: the label of an old-style mention is dropped with the name.
    assert to_plain_text("<@U123|sato> さん、<@U9> さん", {"U123": "佐藤"}) == "<@U123> さん、<@U9> さん"
    # Microsoft Graph: <at id> points into mentions[], whose user id is the person's (as people are stored).
    graph = {
        "body": {
            "contentType": "html",
            "content": '<p><at id="0">鈴木</at>&nbsp;<at id="1">花子</at> さん、<at id="2">総務課</at></p>',
        },
        "mentions": [
            {"id": 0, "mentionText": "鈴木", "mentioned": {"user": {"id": "aad-suzuki", "displayName": "鈴木 花子"}}},
            {"id": 1, "mentionText": "花子", "mentioned": {"user": {"id": "aad-suzuki", "displayName": "鈴木 花子"}}},
            {"id": 2, "mentionText": "総務課", "mentioned": {"conversation": {"id": "19:x", "displayName": "総務課"}}},
        ],
    }
    assert body_text(graph) == "<@aad-suzuki> さん、@総務課"
    # A Teams activity: a person's mention is a reference; the bot's own is removed when asked, another
    # bot is named.
    activity = Activity(
        type="message",
        text="<at>Yorozu</at> <at>鈴木 花子</at> さんと <at>Reminder</at> の件",
        recipient=ChannelAccount(id="28:yorozu"),
        from_property=ChannelAccount(id="29:sato"),
        conversation=ConversationAccount(id="19:c@thread.tacv2"),
        timestamp=datetime(2026, 4, 1, tzinfo=UTC),
        entities=[
            Entity().deserialize(
                {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": person, "name": name}}
            )
            for person, name in (("28:yorozu", "Yorozu"), ("29:suzuki", "鈴木 花子"), ("28:reminder", "Reminder"))
        ],
    )
    assert teams.plain_text(activity, strip_recipient=True) == "<@29:suzuki> さんと @Reminder の件"
