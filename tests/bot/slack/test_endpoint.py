"""POST /slack/events: signatures, url_verification, retries and malformed bodies.

The security tests carry their own minimal bodies (shaped like Slack's Events API payloads) so that they
run in every clone; a skipped ``security`` test fails in CI (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import sqlalchemy as sa
from slack_sdk.signature import SignatureVerifier

from knowledge.base import KnowledgeBase
from tests.bot.slack.conftest import SlackClient, sign
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_flow import MACRO_Q

# An Events API message envelope with the fields Bolt and Yorozu read.
MESSAGE_ENVELOPE: dict[str, Any] = {
    "token": "verification_token",
    "team_id": "T111",
    "api_app_id": "A111",
    "event": {
        "type": "message",
        "text": "庁内のWi-Fiのパスワードは何か月ごとに変えていますか？",
        "user": "W111",
        "ts": "1596183880.004200",
        "team": "T111",
        "channel": "C111",
        "event_ts": "1596183880.004200",
        "channel_type": "channel",
    },
    "type": "event_callback",
    "event_id": "Ev111",
    "event_time": 1596183880,
}
URL_VERIFICATION: dict[str, Any] = {
    "token": "verification_token",
    "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
    "type": "url_verification",
}
# The worked example of Slack's "Verifying requests from Slack" page (a slash command body).
SIGNING_VECTOR = {
    "signing_secret": "8f742231b10e8888abcd99yyyzzz85a5",
    "timestamp": "1531420618",
    "body": (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    ),
    "expected_signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
}


@pytest.mark.security
async def test_url_verification_answers_the_challenge(slack: SlackClient) -> None:
    envelope = URL_VERIFICATION
    body = json.dumps(envelope).encode()
    async with slack.http.post(
        slack.server.make_url("/slack/events"), data=body, headers={"Content-Type": "application/json", **sign(body)}
    ) as resp:
        assert resp.status == 200
        assert (await resp.json())["challenge"] == envelope["challenge"]


@pytest.mark.security
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no signature"),
        pytest.param({"X-Slack-Request-Timestamp": str(int(time.time()))}, id="timestamp only"),
        pytest.param("wrong secret", id="wrong secret"),
        pytest.param("stale", id="six minutes old"),
        pytest.param("future", id="six minutes ahead"),
        pytest.param("tampered", id="body changed after signing"),
    ],
)
async def test_bad_signatures_get_401_and_store_nothing(
    slack: SlackClient, fake_slack: FakeSlack, headers: Any
) -> None:
    body = json.dumps(MESSAGE_ENVELOPE, ensure_ascii=False).encode()
    sent = body
    if headers == "wrong secret":
        headers = sign(body, secret="not-the-secret")
    elif headers == "stale":
        headers = sign(body, timestamp=int(time.time()) - 360)
    elif headers == "future":
        headers = sign(body, timestamp=int(time.time()) + 360)
    elif headers == "tampered":
        headers = sign(body)
        sent = body.replace("何か月".encode(), "何年".encode())
    resp = await slack.post(sent, {"Content-Type": "application/json", **headers})
    assert resp.status == 401
    assert slack.kb.stats().messages == 0
    assert fake_slack.calls == []


@pytest.mark.security
async def test_a_signed_message_is_accepted(slack: SlackClient) -> None:
    assert await slack.envelope(MESSAGE_ENVELOPE) == 200
    assert slack.kb.stats().messages == 1


@pytest.mark.security
def test_the_published_signing_vector_verifies_with_the_sdk() -> None:
    """The vector from Slack's docs: the same algorithm Bolt runs in front of every request."""
    vector = SIGNING_VECTOR
    verifier = SignatureVerifier(vector["signing_secret"], clock=_Clock(int(vector["timestamp"])))
    assert verifier.is_valid(vector["body"], vector["timestamp"], vector["expected_signature"])
    assert not verifier.is_valid(vector["body"] + "------", vector["timestamp"], vector["expected_signature"])
    assert (
        sign(vector["body"].encode(), secret=vector["signing_secret"], timestamp=int(vector["timestamp"]))[
            "X-Slack-Signature"
        ]
        == vector["expected_signature"]
    )
    # The same vector, replayed today, is far outside the 5-minute window.
    assert not SignatureVerifier(vector["signing_secret"]).is_valid(
        vector["body"], vector["timestamp"], vector["expected_signature"]
    )


@pytest.mark.security
async def test_the_published_vector_replayed_against_the_app_gets_401(slack: SlackClient) -> None:
    vector = SIGNING_VECTOR
    headers = {"X-Slack-Request-Timestamp": vector["timestamp"], "X-Slack-Signature": vector["expected_signature"]}
    resp = await slack.post(vector["body"].encode(), {"Content-Type": "application/x-www-form-urlencoded", **headers})
    assert resp.status == 401


class _Clock:
    def __init__(self, now: int) -> None:
        self._now = now

    def now(self) -> float:
        return float(self._now)


@pytest.mark.security
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"{not json", "application/json", id="broken json"),
        pytest.param(b"\xff\xfe\x00", "application/json", id="not utf-8"),
        pytest.param(b"payload=%7Bnot+json", "application/x-www-form-urlencoded", id="form payload not json"),
        pytest.param(b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded", id="form payload a list"),
        pytest.param(b'{"type": "event_callback", "event": "a string"}', "application/json", id="event not an object"),
        pytest.param(
            b'{"type": "event_callback", "event": {"type": "message"}}', "application/json", id="empty message"
        ),
        pytest.param(b"", "application/json", id="empty body"),
    ],
)
async def test_malformed_bodies_get_a_4xx_or_an_empty_ack_never_500(
    slack: SlackClient, body: bytes, content_type: str
) -> None:
    signed = await slack.post(body, {"Content-Type": content_type, **sign(body)})
    assert signed.status < 500
    assert signed.status in (200, 400, 404)
    unsigned = await slack.post(body, {"Content-Type": content_type})
    assert unsigned.status == 401


@pytest.mark.security
@pytest.mark.parametrize(
    ("age", "status"),
    [
        pytest.param(360, 401, id="six minutes old"),
        pytest.param(-360, 401, id="six minutes ahead"),
        pytest.param(240, 400, id="four minutes old"),
    ],
)
async def test_a_malformed_body_is_signed_only_within_slacks_five_minutes(
    slack: SlackClient, age: int, status: int
) -> None:
    """Bodies Bolt cannot parse are checked here, with the same 5-minute window Slack documents (300 s):
    an old signature on a broken body is a 401 like any other, a fresh one a 400."""
    body = b"{not json"
    resp = await slack.post(body, {"Content-Type": "application/json", **sign(body, timestamp=int(time.time()) - age)})
    assert resp.status == status


async def test_retries_and_duplicates_are_processed_once(slack: SlackClient, fake_slack: FakeSlack) -> None:
    event = {
        "type": "message",
        "channel": "C1",
        "user": "U1",
        "ts": "1700000000.000100",
        "channel_type": "channel",
        "text": "ファイルサーバーのアクセス権は異動のときどう整理していますか？",
    }
    assert await slack.event(event, event_id="EvSAME") == 200
    # Slack's retry of the same delivery, and a duplicate without the retry headers.
    assert (
        await slack.event(
            event, event_id="EvSAME", **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        )
        == 200
    )
    assert await slack.event(event, event_id="EvSAME") == 200
    await slack.drain()
    with slack.kb.store.begin() as conn:
        receipts = conn.exec_driver_sql("SELECT count(*) FROM event_receipts WHERE key = 'slack:EvSAME'").scalar()
        jobs = conn.exec_driver_sql("SELECT kind FROM jobs").scalars().all()
    assert receipts == 1
    assert sorted(jobs) == ["slack.channel", "slack.person", "slack.suggest"]


async def test_events_nobody_listens_to_are_acknowledged(slack: SlackClient) -> None:
    left = {
        **MESSAGE_ENVELOPE,
        "event": {"type": "member_left_channel", "user": "W23456789", "channel": "C111", "channel_type": "C"},
    }
    assert await slack.envelope(left) == 200


async def test_an_event_whose_storing_failed_is_processed_when_slack_retries(
    slack: SlackClient, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_accept = kb.accept
    failures = []

    def flaky_accept(events: list[Any], **kwargs: Any) -> bool | None:
        if not failures:
            failures.append(events)
            raise sa.exc.OperationalError("INSERT", {}, Exception("database is restarting"))
        return real_accept(events, **kwargs)

    monkeypatch.setattr(kb, "accept", flaky_accept)
    event = {
        "type": "message",
        "channel": "C1",
        "user": "U1",
        "text": MACRO_Q,
        "ts": "1700000000.000300",
        "event_ts": "1700000000.000300",
        "channel_type": "channel",
    }
    assert await slack.event(event, event_id="EvFLAKY") == 503  # not acknowledged: Slack will retry
    assert kb.stats().messages == 0
    assert await slack.event(event, event_id="EvFLAKY", **{"X-Slack-Retry-Num": "1"}) == 200
    assert kb.stats().messages == 1  # delayed, not lost
    assert await slack.event(event, event_id="EvFLAKY", **{"X-Slack-Retry-Num": "2"}) == 200
    assert kb.stats().messages == 1


async def test_channel_lifecycle_events_are_stored_once_with_their_receipt(slack: SlackClient) -> None:
    assert await slack.message("C1", "1700000000.000500", "U1", "お知らせです") == 200
    assert await slack.event({"type": "channel_archive", "channel": "C1", "user": "U1"}, event_id="EvARCH") == 200
    assert slack.kb.channel("slack", "C1").archived  # type: ignore[union-attr]
    assert await slack.event({"type": "channel_unarchive", "channel": "C1", "user": "U1"}, event_id="EvUNARCH") == 200
    assert not slack.kb.channel("slack", "C1").archived  # type: ignore[union-attr]
    # Slack's retry of the archive arrives late: it was accepted once already and changes nothing now.
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (
        await slack.event({"type": "channel_archive", "channel": "C1", "user": "U1"}, event_id="EvARCH", **retry) == 200
    )
    assert not slack.kb.channel("slack", "C1").archived  # type: ignore[union-attr]
    rename = {"type": "channel_rename", "channel": {"id": "C1", "name": "q-and-a-2", "created": 1700000000}}
    assert await slack.event(rename, event_id="EvRENAME") == 200
    assert await slack.event({"type": "channel_deleted", "channel": "C1"}, event_id="EvDEL") == 200
    assert slack.kb.channel("slack", "C1").deleted  # type: ignore[union-attr]
    # Events without a usable channel are acknowledged and store nothing but their receipt.
    assert await slack.event({"type": "channel_deleted"}, event_id="EvNOCHANNEL") == 200
    with slack.kb.store.begin() as conn:
        receipts = conn.exec_driver_sql("SELECT key FROM event_receipts").scalars().all()
        channel_jobs = conn.exec_driver_sql("SELECT payload FROM jobs WHERE kind = 'slack.channel'").scalars().all()
    assert sorted(receipts) == sorted(
        f"slack:{key}" for key in ["Ev000001", "EvARCH", "EvUNARCH", "EvRENAME", "EvDEL", "EvNOCHANNEL"]
    )  # the retry of EvARCH left no second receipt
    assert channel_jobs == ['{"channel": "C1"}', '{"channel": "C1"}']  # the first message's lookup, the rename's


async def test_a_channel_lookup_answered_before_an_archive_event_does_not_undo_it(
    slack: SlackClient, fake_slack: FakeSlack
) -> None:
    """conversations.info answers "not archived", the archive event is stored, then the answer arrives:
    the newer fact from the event stays, and the lookup's name is still learned."""
    fake_slack.held["conversations.info"] = release = asyncio.Event()
    assert await slack.message("C1", "1700000000.000600", "U1", "お知らせです") == 200
    await fake_slack.wait_for("conversations.info")  # answered "is_archived: false", not yet delivered
    assert await slack.event({"type": "channel_archive", "channel": "C1", "user": "U1"}, event_id="EvARCH2") == 200
    assert slack.kb.channel("slack", "C1").archived  # type: ignore[union-attr]
    release.set()
    await slack.drain()
    channel = slack.kb.channel("slack", "C1")
    assert channel is not None and channel.archived
    assert channel.name == "q-and-a"  # what the lookup is for still arrives
