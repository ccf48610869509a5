"""POST /slack/events against the audit's attacks: unsigned requests, bodies Bolt cannot handle, text no
database stores, and logs that must not carry message text."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.logs import NoTextAboveDebug
from bot.slack import modals
from tests.bot.slack.conftest import SECRET, TOKEN, SlackClient, sign
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_direct import command
from tests.bot.slack.test_flow import MACRO_Q
from tests.bot.slack.test_roles import free_port, get_json, process, until

CONFIDENTIAL = "内部監査で見つかった未公開の脆弱性について相談です"


def envelope(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {
        "token": "verification_token",
        "team_id": "T111",
        "api_app_id": "A111",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
    }


def question(ts: str, text: str = MACRO_Q, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": "C1",
        "user": "U1",
        "text": text,
        "ts": ts,
        "channel_type": "channel",
        **extra,
    }


def receipts(slack: SlackClient) -> list[str]:
    with slack.kb.store.begin() as conn:
        return sorted(conn.exec_driver_sql("SELECT key FROM event_receipts").scalars().all())


@pytest.mark.parametrize("timestamp", ["abc", "", "1.5", "-1", "9" * 5000, "１７００"])
async def test_an_unsigned_request_cannot_forget_a_delivery(slack: SlackClient, timestamp: str) -> None:
    """The audit's attack: a signed event E, then an unsigned body with E's id and a bad timestamp used
    to get 503 and make Yorozu forget E's receipt, so that E would be accepted (stored) again."""
    assert await slack.envelope(envelope(question("1700000000.000100"), "EvE")) == 200
    assert receipts(slack) == ["slack:EvE"]
    forged = json.dumps(envelope(question("1700000000.000100"), "EvE")).encode()
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=0"}
    resp = await slack.post(forged, headers)
    assert resp.status == 401
    assert receipts(slack) == ["slack:EvE"]
    # Slack's retry of E is still recognised as a duplicate: nothing is stored twice.
    assert await slack.envelope(envelope(question("1700000000.000100"), "EvE")) == 200
    await slack.drain()
    with slack.kb.store.begin() as conn:
        suggest_jobs = conn.exec_driver_sql("SELECT count(*) FROM jobs WHERE kind = 'slack.suggest'").scalar()
    assert suggest_jobs == 1


async def test_a_signature_with_non_ascii_characters_is_401(slack: SlackClient) -> None:
    body = json.dumps(envelope(question("1700000000.000100"), "EvX")).encode()
    headers = {**sign(body), "Content-Type": "application/json"}
    headers["X-Slack-Signature"] = "v0=ü"
    resp = await slack.post(body, headers)
    assert resp.status == 401
    assert receipts(slack) == []


DEEP = b"[" * 1000 + b"]" * 1000


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(DEEP, "application/json", id="json"),
        pytest.param(b'{"a": ' * 1000 + b"1" + b"}" * 1000, "application/json", id="object"),
        pytest.param(
            b"payload=" + DEEP.replace(b"[", b"%5B").replace(b"]", b"%5D"), "application/x-www-form-urlencoded"
        ),
    ],
)
async def test_deeply_nested_json_is_400_signed_and_401_unsigned(
    slack: SlackClient, body: bytes, content_type: str
) -> None:
    assert (await slack.post(body, {"Content-Type": content_type})).status == 401
    assert (await slack.post(body, {"Content-Type": content_type, **sign(body)})).status == 400


async def test_a_modal_submission_whose_state_is_not_an_object_gets_the_form_errors(slack: SlackClient) -> None:
    payload = {
        "type": "view_submission",
        "team": {"id": "T111", "domain": "aoba-jichitai"},
        "user": {"id": "U3", "username": "u3", "team_id": "T111"},
        "api_app_id": "A111",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": modals.CALLBACK_SUBMIT,
            "state": "not an object",
            "private_metadata": 5,
        },
    }
    status, answer = await slack.interact(payload)
    assert status == 200
    assert answer["response_action"] == "errors"
    for state in ([], {"values": []}, {"values": {"q": "x"}}, {"values": {"q": {"x": []}}}):
        status, _ = await slack.interact({**payload, "view": {**payload["view"], "state": state}})
        assert status == 200
    for view in ({"callback_id": modals.CALLBACK_SUBMIT}, {"type": ["modal"]}):
        status, _ = await slack.interact({**payload, "view": view})
        assert status == 400


@pytest.mark.parametrize("channel_type", [["C"], {"a": 1}, 5, None])
async def test_member_joined_channel_with_a_strange_channel_type_is_acknowledged(
    slack: SlackClient, channel_type: Any
) -> None:
    event = {"type": "member_joined_channel", "user": "UBOT", "channel": "G9", "channel_type": channel_type}
    assert await slack.event(event) == 200


async def test_text_no_database_stores_is_cleaned_and_stored(slack: SlackClient, fake_slack: FakeSlack) -> None:
    """NUL (refused by PostgreSQL) and lone surrogates (refused by every UTF-8 encoder) used to make each
    retry fail: the event is stored with them cleaned, once."""
    text = "NULが\u0000入り、サロゲート\ud800も入ったExcelマクロの保守の質問ですか？"
    body = json.dumps(envelope(question("1700000000.000100", text), "EvNUL")).encode()
    assert "\\u0000" in body.decode() and "\\ud800" in body.decode()
    assert (await slack.post(body, {"Content-Type": "application/json", **sign(body)})).status == 200
    with slack.kb.store.begin() as conn:
        (stored,) = conn.exec_driver_sql("SELECT text FROM messages").scalars().all()
    assert "\x00" not in stored and "\ud800" not in stored
    assert stored.startswith("NULが入り、サロゲート\ufffdも入った")
    profile = {"id": "U9", "name": "u9", "real_name": "名前\u0000\udc80", "profile": {"display_name": "表示\u0000名"}}
    body = json.dumps(envelope({"type": "user_change", "user": profile}, "EvPROFILE")).encode()
    assert (await slack.post(body, {"Content-Type": "application/json", **sign(body)})).status == 200
    # A form body is percent-encoded UTF-8: NUL is %00, and a surrogate's bytes decode as U+FFFD.
    resp = await slack.form(command(fake_slack, "ask VBAの\u0000マクロを誰も保守できない"))
    assert resp.status == 200
    await slack.drain()  # strict: a job that fails (on PostgreSQL, or encoding the question) fails the test
    assert len(await fake_slack.wait_for_responses()) == 1
    with slack.kb.store.begin() as conn:
        names = conn.exec_driver_sql("SELECT display_name FROM people WHERE external_id = 'U9'").scalars().all()
    assert names and all("\x00" not in n and "\udc80" not in n for n in names)


async def test_a_bad_signature_logs_no_body(slack: SlackClient, caplog: pytest.LogCaptureFixture) -> None:
    """slack_bolt logged the whole body (a confidential question) at INFO for a wrong signing secret."""
    body = json.dumps(envelope(question("1700000000.000100", CONFIDENTIAL), "EvLOG")).encode()
    caplog.set_level(logging.DEBUG)
    for headers in (sign(body, secret="wrong-secret"), {}, {"X-Slack-Request-Timestamp": "abc"}):
        assert (await slack.post(body, {"Content-Type": "application/json", **headers})).status == 401
    assert caplog.records, "the refusals are logged"
    for record in caplog.records:
        assert CONFIDENTIAL not in record.getMessage()
        assert "EvLOG" not in record.getMessage()


def test_library_records_above_debug_lose_their_details() -> None:
    """Whatever slack_bolt logs above DEBUG keeps its head only; the details (a body) go to DEBUG."""
    redact = NoTextAboveDebug()
    record = logging.LogRecord(
        "slack_bolt.AsyncRequestVerification",
        logging.INFO,
        __file__,
        1,
        "Invalid request signature detected (signature: v0=1, timestamp: 1, body: %s)",
        (CONFIDENTIAL,),
        None,
    )
    assert redact.filter(record)
    assert record.getMessage() == "Invalid request signature detected (details at DEBUG)"
    debug = logging.LogRecord("slack_bolt.X", logging.DEBUG, __file__, 1, "body: %s", (CONFIDENTIAL,), None)
    assert redact.filter(debug)
    assert CONFIDENTIAL in debug.getMessage()


async def test_end_to_end_a_served_process_keeps_the_receipt_of_a_signed_event(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    """Item 1 against ``yorozu serve`` as the operator starts it (the web role: it stores and acknowledges)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "Microsoft", "YOROZU_"))}
    env |= {
        "YOROZU_DATA_DIR": str(tmp_path),
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": TOKEN,
        "YOROZU_SLACK_API_URL": fake_slack.api_url,
    }
    base = f"http://127.0.0.1:{port}"
    args = ["serve", "--role", "web", "--host", "127.0.0.1", "--port", str(port)]
    signed = json.dumps(envelope(question("1700000000.000100"), "EvE2E")).encode()

    async def post(http: aiohttp.ClientSession, body: bytes, headers: dict[str, str]) -> int:
        async with http.post(
            base + "/slack/events", data=body, headers={"Content-Type": "application/json", **headers}
        ) as r:
            return r.status

    def stored() -> tuple[list[str], int]:
        db = sqlite3.connect(tmp_path / "yorozu.sqlite3")
        try:
            keys = [row[0] for row in db.execute("SELECT key FROM event_receipts")]
            (messages,) = db.execute("SELECT count(*) FROM messages").fetchone()
        finally:
            db.close()
        return keys, messages

    async with aiohttp.ClientSession() as http, process(args, env, tmp_path / "serve.log") as served:
        await until(lambda: get_json(http, base + "/healthz"), "the server")
        assert await post(http, signed, sign(signed)) == 200
        assert stored() == (["slack:EvE2E"], 1)
        for timestamp in ("abc", "", "1.5"):
            forged = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=00"}
            assert await post(http, signed, forged) == 401
        assert stored() == (["slack:EvE2E"], 1)
        assert await post(http, signed, {**sign(signed), "X-Slack-Retry-Num": "1"}) == 200  # Slack's retry
        assert stored() == (["slack:EvE2E"], 1)
        assert served.poll() is None
    log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in log and MACRO_Q not in log


async def test_socket_mode_envelopes_are_cleaned_too(slack: SlackClient) -> None:
    """Socket Mode hands Bolt parsed envelopes, bypassing the HTTP endpoint: the same cleaning applies."""
    from slack_bolt.request.async_request import AsyncBoltRequest

    from bot.slack import SLACK_BOT_KEY

    bot = slack.app[SLACK_BOT_KEY]
    body = envelope(question("1700000000.000300", "ソケット\u0000経由\udc00の質問ですか？"), "EvSOCKET")
    response = await bot.bolt.async_dispatch(AsyncBoltRequest(body=body, mode="socket_mode"))
    assert response.status == 200
    with slack.kb.store.begin() as conn:
        (stored,) = conn.exec_driver_sql("SELECT text FROM messages").scalars().all()
    assert stored == "ソケット経由\ufffdの質問ですか？"
