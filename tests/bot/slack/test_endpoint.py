"""POST /slack/events: signatures, url_verification, retries and malformed bodies."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import sqlalchemy as sa
from slack_sdk.signature import SignatureVerifier

from knowledge.base import KnowledgeBase
from tests.bot.slack.conftest import SlackClient, reference_event, sign
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_flow import MACRO_Q
from tests.conftest import shared_path


async def test_url_verification_answers_the_challenge(slack: SlackClient) -> None:
    envelope = reference_event("test_events_url_verification__L69__url_verification.json")
    body = json.dumps(envelope).encode()
    async with slack.http.post(
        slack.server.make_url("/slack/events"), data=body, headers={"Content-Type": "application/json", **sign(body)}
    ) as resp:
        assert resp.status == 200
        assert (await resp.json())["challenge"] == envelope["challenge"]


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
    body = json.dumps(reference_event("test_message__L208__event_callback-message.json")).encode()
    sent = body
    if headers == "wrong secret":
        headers = sign(body, secret="not-the-secret")
    elif headers == "stale":
        headers = sign(body, timestamp=int(time.time()) - 360)
    elif headers == "future":
        headers = sign(body, timestamp=int(time.time()) + 360)
    elif headers == "tampered":
        headers = sign(body)
        sent = body.replace(b"second listener", b"first listener")
    resp = await slack.post(sent, {"Content-Type": "application/json", **headers})
    assert resp.status == 401
    assert slack.kb.stats().messages == 0
    assert fake_slack.calls == []


async def test_a_signed_message_is_accepted(slack: SlackClient) -> None:
    assert await slack.envelope(reference_event("test_message__L208__event_callback-message.json")) == 200
    assert slack.kb.stats().messages == 1


def test_the_published_signing_vector_verifies_with_the_sdk() -> None:
    """The vector from Slack's docs: the same algorithm Bolt runs in front of every request."""
    vector = json.loads(shared_path("reference", "slack", "signing", "slack_signature_vectors.json").read_text())
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


async def test_the_published_vector_replayed_against_the_app_gets_401(slack: SlackClient) -> None:
    vector = json.loads(shared_path("reference", "slack", "signing", "slack_signature_vectors.json").read_text())
    resp = await slack.post(
        vector["body"].encode(), {"Content-Type": "application/x-www-form-urlencoded", **vector["headers"]}
    )
    assert resp.status == 401


class _Clock:
    def __init__(self, now: int) -> None:
        self._now = now

    def now(self) -> float:
        return float(self._now)


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
    assert await slack.envelope(reference_event("test_events__L186__event_callback-member_left_channel.json")) == 200


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
