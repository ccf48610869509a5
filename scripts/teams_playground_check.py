"""Scripted activities through Microsoft 365 Agents Playground to a running ``yorozu demo``.

Run by ``scripts/teams-playground.sh`` (``make playground``), which starts both. Every activity goes
through the Playground's own custom-activity endpoint (``POST /_internal/v1/customActivities``); the
Playground forwards it to Yorozu as Teams would, receives Yorozu's replies on its mock Bot Connector and
records both directions in its events recording (``--enable-events-recording``), which this script
reads to check each reply. Standard library only.

    python scripts/teams_playground_check.py --playground http://127.0.0.1:PORT --recording FILE
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

Record = dict[str, Any]
TO_YOROZU = "Microsoft 365 Agents Playground -> User Application"
FROM_YOROZU = "User Application -> Microsoft 365 Agents Playground"
WAIT_SECONDS = 120.0  # the demo answers channel questions from its job runner; a busy machine is slow

# A question the sample community answers (a channel post without a mention gets an automatic suggestion
# only when Yorozu is confident), and one for the personal chat.
CHANNEL_QUESTION = "Excelのマクロを作った職員が異動して、誰もVBAを保守できません。皆さんどうしていますか？"
EDITED_QUESTION = "Excelのマクロを作った職員が異動して、VBAを保守できる人がいません。どうしていますか？"
PERSONAL_QUESTION = "人事異動のときフォルダのアクセス権はどう管理していますか？"


class CheckFailed(Exception):
    pass


class Playground:
    """The Playground's HTTP API and its events recording."""

    def __init__(self, base_url: str, recording: Path) -> None:
        self.base_url = base_url.rstrip("/")
        self.recording = recording

    def call(self, method: str, path: str, body: object | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def send(self, activity: dict[str, Any]) -> None:
        """The custom-activity endpoint: answers 200 at once and forwards the activity to Yorozu."""
        self.call("POST", "/_internal/v1/customActivities", activity)

    def template(self, conversation_id: str, kind: str | None = None) -> dict[str, Any]:
        query = f"conversationId={quote(conversation_id)}" + (f"&type={kind}" if kind else "")
        template: dict[str, Any] = self.call("GET", f"/_internal/v1/customActivities/template?{query}")
        return template

    def records(self) -> list[Record]:
        if not self.recording.exists():
            return []
        chunks = self.recording.read_text(encoding="utf-8").split("\n---\n")
        return [json.loads(chunk) for chunk in chunks if chunk.strip()]

    def wait_for(self, what: str, match: Callable[[Record], bool], after: int = 0) -> Record:
        """The first recorded exchange from index ``after`` on that ``match`` accepts."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            for record in self.records()[after:]:
                if match(record):
                    return record
            time.sleep(0.5)
        raise CheckFailed(f"timed out waiting for {what}")


def cards(record: Record) -> list[dict[str, Any]]:
    body = record["request"].get("body") or {}
    return [a["content"] for a in body.get("attachments") or [] if isinstance(a, dict) and "content" in a]


def card_texts(card: Any) -> list[str]:
    found: list[str] = []
    if isinstance(card, dict):
        if card.get("type") == "TextBlock" and isinstance(card.get("text"), str):
            found.append(card["text"])
        for value in card.values():
            found.extend(card_texts(value))
    elif isinstance(card, list):
        for item in card:
            found.extend(card_texts(item))
    return found


def card_actions(card: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(card, dict):
        if str(card.get("type", "")).startswith("Action."):
            found.append(card)
        for key, value in card.items():
            if key != "fallback":
                found.extend(card_actions(value))
    elif isinstance(card, list):
        for item in card:
            found.extend(card_actions(item))
    return found


def posted_to(conversation_id: str) -> Callable[[Record], bool]:
    """Yorozu posting into a conversation (a new post, or a reply in a thread), accepted by the Playground."""

    def match(record: Record) -> bool:
        url = unquote(record["request"].get("url") or "")
        return (
            record["direction"] == FROM_YOROZU
            and record["request"].get("method") == "POST"
            and f"/v3/conversations/{conversation_id}/activities" in url
        )

    return match


def forwarded(activity_id: str) -> Callable[[Record], bool]:
    """The Playground forwarding one of our activities to Yorozu (with Yorozu's answer)."""
    return lambda r: r["direction"] == TO_YOROZU and (r["request"].get("body") or {}).get("id") == activity_id


def delivered(activity_type: str) -> Callable[[Record], bool]:
    """The Playground forwarding an activity of this type to Yorozu (with Yorozu's answer)."""
    return lambda r: r["direction"] == TO_YOROZU and (r["request"].get("body") or {}).get("type") == activity_type


def ok(message: str) -> None:
    print(f"ok   {message}", flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def run(pg: Playground) -> None:
    config = pg.call("GET", "/_internal/v1/config")["config"]
    me, bot, tenant = config["currentUser"], config["bot"], config["tenantId"]
    team = config["teams"][0]
    general = next(c for c in team["channels"] if c["id"] == team["id"])
    channel = next(c for c in team["channels"] if c["id"] != team["id"])
    personal = config["personalChat"]["id"]
    sender = {"id": me["id"], "name": me["name"], "aadObjectId": me["aadObjectId"]}
    print(f"Playground: team {team['name']!r} ({team['id']}), channel {channel['name']!r}, personal chat {personal}")

    # 1. Yorozu is added to the team: a welcome in General, and the team's channels listed once.
    start = len(pg.records())
    install = pg.template(general["id"], "botAdded")
    pg.send(install)
    welcome = pg.wait_for("the welcome in General", posted_to(general["id"]), start)
    lines = card_texts(cards(welcome))
    check(welcome["response"]["statusCode"] in (200, 201), f"welcome refused: {welcome['response']}")
    check(bool(lines) and lines[0].startswith("Yorozu（よろず）です。"), f"welcome reads {lines}")
    pg.wait_for("the team's channel listing", lambda r: "/teams/" in (r["request"].get("url") or ""), start)
    time.sleep(2)
    listings = [r for r in pg.records()[start:] if "/conversations" in unquote(r["request"].get("url") or "")]
    listings = [r for r in listings if r["request"].get("method") == "GET" and "/teams/" in r["request"]["url"]]
    check(len(listings) == 1, f"the channels were listed {len(listings)} times")
    ok(f"install in a team: welcome in General ({len(lines)} lines), channels listed once")

    # 2. A question in a channel, without a mention, in Japanese. The Playground's own UI forwards
    # channel posts only when they mention the bot, so the post is made in the Playground first (not
    # forwarded), then delivered to Yorozu as Teams delivers every channel message under RSC.
    start = len(pg.records())
    post = pg.call(
        "POST",
        f"/_conversation/v1/conversations/{quote(channel['id'])}/messages",
        {"from": {"id": me["id"]}, "text": CHANNEL_QUESTION, "textFormat": "plain"},
    )
    message_id, thread = post["messageId"], post["postConversationId"]
    question = {
        "type": "message",
        "id": message_id,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "channelId": "msteams",
        "serviceUrl": install["serviceUrl"],
        "from": sender,
        "recipient": {"id": bot["id"], "name": bot["name"]},
        "conversation": {"id": thread, "isGroup": True, "conversationType": "channel", "tenantId": tenant},
        "channelData": {
            "teamsChannelId": channel["id"],
            "teamsTeamId": team["id"],
            "tenant": {"id": tenant},
            "team": {"id": team["id"], "name": team["name"], "aadGroupId": team.get("aadGroupId")},
            "channel": {"id": channel["id"], "name": channel["name"]},
        },
        "text": CHANNEL_QUESTION,
        "textFormat": "plain",
        "locale": "ja-JP",
        "entities": [{"type": "clientInfo", "locale": "ja-JP", "country": "JP", "platform": "Web"}],
    }
    pg.send(question)
    answer = pg.wait_for("the automatic suggestion in the question's thread", posted_to(thread), start)
    (card,) = cards(answer)
    texts = card_texts(card)
    check(texts[0] == "過去のスレッドに、この質問の答えがあるかもしれません。", f"suggestion reads {texts[:1]}")
    check(f"/activities/{message_id}" in unquote(answer["request"]["url"]), "the suggestion is not a reply")
    check(answer["response"]["statusCode"] in (200, 201), f"the Playground refused it: {answer['response']}")
    card_id = answer["response"]["body"]["id"]
    titles = [t for t in texts if t[:2] in {"1.", "2.", "3."}]
    ok(f"channel question without mention (ja-JP): suggestion in its thread, {len(titles)} threads: {titles[0]}")

    # 3. A personal question, as the Playground's own UI sends it (locale en-US): an English card.
    start = len(pg.records())
    personal_template = pg.template(personal)
    asked = {**personal_template, "type": "message", "from": sender, "text": PERSONAL_QUESTION, "locale": "en-US"}
    pg.send(asked)
    reply = pg.wait_for("the answer in the personal chat", posted_to(personal), start)
    texts = card_texts(cards(reply))
    check(texts[:1] == ["These past threads may answer this question."], f"personal answer reads {texts[:1]}")
    ok(f"personal question (en-US): {len([t for t in texts if t[:2] in {'1.', '2.', '3.'}])} threads, in English")

    # 3b. The Playground's user is a specialist (the script sets YOROZU_SPECIALISTS): each suggested thread
    # offers FAQにする, and the dialog opens prefilled from it, though the sample threads come from Slack.
    (personal_card,) = cards(reply)
    make_faq = [a for a in card_actions(personal_card) if (a.get("data") or {}).get("kind") == "yorozu.make_faq"]
    check(bool(make_faq), "a specialist's answer offers no FAQにする")
    data = make_faq[0]["data"]
    start = len(pg.records())
    fetch_id = f"fetch-{message_id}"
    fetch = {**personal_template, "type": "invoke", "name": "task/fetch", "id": fetch_id, "from": sender}
    fetch["value"] = {"data": data, "context": {"theme": "default"}}
    pg.send(fetch)
    opened = pg.wait_for("the FAQ dialog", forwarded(fetch_id), start)
    task = (opened["response"]["body"] or {}).get("task") or {}
    check(task.get("type") == "continue", f"FAQにする did not open the dialog: {opened['response']}")
    inputs = {i["id"]: i for i in task["value"]["card"]["content"]["body"] if i["type"].startswith("Input.")}
    check(bool(inputs["question"]["value"]) and bool(inputs["answer"]["value"]), "the dialog is not prefilled")
    (submit,) = task["value"]["card"]["content"]["actions"]
    form = {**submit["data"], "question": inputs["question"]["value"], "answer": inputs["answer"]["value"]}
    save_id = f"save-{message_id}"
    save = {**fetch, "name": "task/submit", "id": save_id, "value": {"data": form, "context": {"theme": "default"}}}
    pg.send(save)
    saved = pg.wait_for("the saved FAQ entry", forwarded(save_id), start)
    said = ((saved["response"]["body"] or {}).get("task") or {}).get("value")
    check(isinstance(said, str) and "draft" in said, f"the dialog did not save: {saved['response']}")
    platform, root = data["thread"].split(":")[0], data["thread"].rsplit(":", 1)[-1]
    ok(f"FAQにする on {platform} thread {root}: dialog prefilled; {said}")

    # 4. who, in Japanese.
    start = len(pg.records())
    pg.send({**pg.template(personal), "type": "message", "from": sender, "text": "who VBA", "locale": "ja-JP"})
    reply = pg.wait_for("the answer to who", posted_to(personal), start)
    texts = card_texts(cards(reply))
    check(texts[:1] == ["「VBA」について答えたことのある人："], f"who reads {texts[:1]}")
    people = [t for t in texts if t.startswith("**")]
    check(bool(people), "who names nobody")
    ok(f"who VBA: {len(people)} people, first {people[0]}")

    # 5. A button press on the channel suggestion (Action.Execute): the card comes back redrawn.
    solved = next(a for a in card_actions(card) if a["type"] == "Action.Execute" and a["title"] == "解決した")
    start = len(pg.records())
    press_id = f"press-{message_id}"
    press = {
        **question,
        "type": "invoke",
        "name": "adaptiveCard/action",
        "id": press_id,
        "replyToId": card_id,
        "value": {"action": {"type": "Action.Execute", "verb": solved["verb"], "data": solved["data"]}},
    }
    press.pop("text")
    pg.send(press)
    pressed = pg.wait_for("Yorozu's answer to the press", forwarded(press_id), start)
    body = pressed["response"]["body"] or {}
    check(pressed["response"]["statusCode"] == 200 and body.get("statusCode") == 200, f"press: {pressed['response']}")
    texts = card_texts(body.get("value"))
    said = f"{me['name']}さんが「解決した」と記録しました。ありがとうございます！"
    check(said in texts, f"the redrawn card does not say {said!r}: {texts}")
    check(not [a for a in card_actions(body.get("value")) if a["type"] == "Action.Execute"], "buttons remain")
    ok(f"button press 解決した: card redrawn in place: {said}")

    # 6. The question is edited, then deleted: Yorozu applies both (and says nothing in the channel).
    start = len(pg.records())
    edit = {**question, "type": "messageUpdate", "text": EDITED_QUESTION}
    edit["channelData"] = {**question["channelData"], "eventType": "editMessage"}
    pg.send(edit)
    edited = pg.wait_for("the edit delivered", delivered("messageUpdate"), start)
    check(edited["response"]["statusCode"] == 200, f"edit: {edited['response']}")
    delete = {**question, "type": "messageDelete"}
    delete.pop("text")
    delete["channelData"] = {**question["channelData"], "eventType": "softDeleteMessage"}
    pg.send(delete)
    deleted = pg.wait_for("the delete delivered", delivered("messageDelete"), start)
    check(deleted["response"]["statusCode"] == 200, f"delete: {deleted['response']}")
    time.sleep(3)
    spoke = [r for r in pg.records()[start:] if r["direction"] == FROM_YOROZU and r["request"].get("method") == "POST"]
    check(spoke == [], f"Yorozu posted after the edit or delete: {spoke}")
    ok("edit and delete of the question: both accepted (200), nothing posted")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--playground", required=True, help="the Playground's URL, http://127.0.0.1:PORT")
    parser.add_argument("--recording", required=True, type=Path, help="its events recording file")
    args = parser.parse_args(argv)
    try:
        run(Playground(args.playground, args.recording))
    except CheckFailed as exc:
        print(f"FAIL {exc}", file=sys.stderr)
        return 1
    print("all Playground checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
