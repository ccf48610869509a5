"""Teams history as Microsoft Graph chatMessage JSON: the reference pages, HTML, idempotence, deletes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.errors import ImportFailed
from knowledge.importers.teams_graph import GraphImportReport, html_to_text, reaction_name, read_teams_graph
from knowledge.model import Scope, Visibility
from tests.conftest import shared_path

CHANNEL = "19:4a95f7d8db4c4e7fae857bcebe0623e6@thread.tacv2"


def test_reference_pages_convert_and_skip_system_messages() -> None:
    folder = shared_path("reference", "teams", "graph")
    report = GraphImportReport()
    events = list(read_teams_graph(folder, report=report))
    posted = [e for e in events if isinstance(e, ev.MessagePosted)]
    by_id = {e.message_id: e for e in posted}
    # <at id="0">Jane Smith</at>: a reference to her user id, named when shown (knowledge.mentions).
    assert by_id["1616965872395"].text == "Hello World <@ef1c916a-3135-4417-ba27-8eb7bd084193>"
    assert by_id["1616965872395"].url.startswith("https://teams.microsoft.com/l/message/")
    assert by_id["1616989753153"].thread_id == "1616989510408"  # a reply names its root
    assert by_id["1622071758431"].text == "reply 9 to new conv"  # <div itemprop="copy-paste-block">…&nbsp;…
    assert "1616883610266" not in by_id  # systemEventMessage / unknownFutureValue
    assert report.skipped["systemEventMessage"] == 1 and report.skipped["unknownFutureValue"] == 1
    people = {e.person_id: e.display_name for e in events if isinstance(e, ev.PersonSeen)}
    assert people["8ea0e38b-efb3-4757-924a-5f94061cf8c2"] == "Robin Kline"


def test_html_to_text() -> None:
    html = (
        "<div><p>VBAの&nbsp;<strong>保守</strong>は？</p>"
        "<p>よろしく&amp;お願いします<br>佐藤</p><systemEventMessage/></div>"
    )
    assert html_to_text(html) == "VBAの 保守は？\nよろしく&お願いします\n佐藤"


def test_reaction_names() -> None:
    assert reaction_name("like") == "like"
    assert reaction_name("2705_whiteheavycheckmark") == "✅"
    assert reaction_name("✅") == "✅"


def _page(tmp_path: Path, name: str, messages: list[dict[str, object]]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"@odata.context": "x", "value": messages}, ensure_ascii=False))
    return path


def _message(mid: str, text: str, *, user: str, reply_to: str | None = None, **extra: object) -> dict[str, object]:
    return {
        "id": mid,
        "replyToId": reply_to,
        "messageType": "message",
        "createdDateTime": "2026-04-01T01:00:00.123Z",
        "lastEditedDateTime": None,
        "deletedDateTime": None,
        "webUrl": f"https://teams.microsoft.com/l/message/{CHANNEL}/{mid}",
        "from": {"application": None, "device": None, "user": {"id": user, "displayName": user.upper()}},
        "body": {"contentType": "html", "content": f"<div>{text}</div>"},
        "channelIdentity": {"teamId": "team-1", "channelId": CHANNEL},
        "reactions": [],
        **extra,
    }


def test_import_is_idempotent_and_follows_edits_and_deletes(kb: KnowledgeBase, tmp_path: Path) -> None:
    question = "Excelマクロを作った職員が異動して、誰もVBAを保守できません。どうしていますか？"
    answer = "マクロを棚卸しして、残すものは手順書を作りました。"
    root = _message(
        "1",
        question,
        user="u1",
        replies=[
            _message(
                "2",
                answer,
                user="u2",
                reply_to="1",
                reactions=[
                    {"reactionType": "✅", "createdDateTime": "2026-04-01T02:00:00Z", "user": {"user": {"id": "u1"}}}
                ],
            )
        ],
    )
    page = _page(tmp_path, "page1.json", [root])
    first = kb.ingest_many(read_teams_graph(page))
    again = kb.ingest_many(read_teams_graph(page))
    assert first[0] > 0 and again[0] == 0
    top = kb.suggest(question, scope=Scope("teams", CHANNEL)).suggestions[0]
    assert top.root_message_id == "1" and top.accepted and top.answerers[0].name == "U2"
    # A delta page later: the answer was edited, then the root deleted.
    edited = _message(
        "2", "全部Power Automateに移しました。", user="u2", reply_to="1", lastEditedDateTime="2026-04-02T00:00:00Z"
    )
    kb.ingest_many(read_teams_graph(_page(tmp_path, "delta1.json", [edited])))
    assert "Power Automate" in kb.suggest(question, scope=Scope("teams", CHANNEL)).suggestions[0].answer_excerpt
    kb.ingest_many(
        read_teams_graph(_page(tmp_path, "delta2.json", [dict(root, deletedDateTime="2026-04-03T00:00:00Z")]))
    )
    assert kb.suggest(question, scope=Scope("teams", CHANNEL)).abstained


def test_not_graph_json_fails_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(ImportFailed, match="not Microsoft Graph"):
        list(read_teams_graph(bad))
    with pytest.raises(ImportFailed, match="no such file"):
        read_teams_graph(tmp_path / "missing")


def test_saved_channels_of_unknown_type_stay_private_until_known(kb: KnowledgeBase, tmp_path: Path) -> None:
    question = "Excelマクロを作った職員が異動して、誰もVBAを保守できません。どうしていますか？"
    root = _message("1", question, user="u1", replies=[_message("2", "棚卸ししました。", user="u2", reply_to="1")])
    kb.ingest_many(read_teams_graph(_page(tmp_path, "page.json", [root])))
    # chatMessage JSON does not say whether the channel is private: nowhere else sees it.
    assert kb.suggest(question, scope=Scope("teams", "19:other@thread.tacv2")).suggestions == ()
    assert kb.suggest(question, scope=Scope("teams", CHANNEL)).suggestions[0].root_message_id == "1"
    # Told it is a standard channel (as `yorozu backfill teams` learns from Graph), it is shared.
    kb.ingest_many(
        read_teams_graph(_page(tmp_path, "page.json", [root]), channel_visibility={CHANNEL: Visibility.PUBLIC})
    )
    assert kb.suggest(question).suggestions[0].root_message_id == "1"
