"""Job specs: the payload each job kind stores stays what it was, so jobs queued before still run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.job_specs import (
    SPECS,
    InvalidJobPayload,
    JobSpec,
    SlackAskExpert,
    SlackChannel,
    SlackCommand,
    SlackDirect,
    SlackFeedback,
    SlackPerson,
    SlackSuggest,
    SlackWebAskExpert,
    TeamsAskExpert,
    TeamsChannelInfo,
    TeamsSuggest,
    TeamsSyncTeam,
    TeamsWebAskExpert,
    WebAskExpert,
    expert_request_from_json,
    expert_request_json,
)
from knowledge.model import ExpertRequest, Subscriber

REFERENCE: dict[str, Any] = {"conversation": {"id": "19:general@thread.tacv2"}, "serviceUrl": "https://smba.example/"}

# Each kind with the payload its listener stored before the specs existed, keys in the same order.
STORED: list[tuple[JobSpec, dict[str, Any]]] = [
    (
        TeamsSuggest(REFERENCE, "19:c;messageid=1", "19:c", "1", "https://smba.example/", "t1", "VPN は？", "ja"),
        {
            "reference": REFERENCE,
            "conversation_id": "19:c;messageid=1",
            "channel_id": "19:c",
            "message_id": "1",
            "service_url": "https://smba.example/",
            "tenant_id": "t1",
            "question": "VPN は？",
            "locale": "ja",
        },
    ),
    (
        TeamsChannelInfo(REFERENCE, "19:team", None, "t1", "19:c"),
        {"reference": REFERENCE, "team_id": "19:team", "team_group_id": None, "tenant_id": "t1", "channel_id": "19:c"},
    ),
    (
        TeamsSyncTeam(REFERENCE, "19:team", "g1", None, "teamArchived"),
        {
            "reference": REFERENCE,
            "team_id": "19:team",
            "team_group_id": "g1",
            "tenant_id": None,
            "reason": "teamArchived",
        },
    ),
    (
        TeamsAskExpert(REFERENCE, "19:experts", {"question": "VPN は？", "subscribers": []}, "en"),
        {
            "reference": REFERENCE,
            "channel_id": "19:experts",
            "request": {"question": "VPN は？", "subscribers": []},
            "locale": "en",
        },
    ),
    (
        SlackSuggest("C1", "100.0", "VPN は？", "U1"),
        {"channel": "C1", "ts": "100.0", "text": "VPN は？", "user": "U1"},
    ),
    (
        SlackDirect("D1", "100.0", None, "VPN は？", "U1", True),
        {"channel": "D1", "ts": "100.0", "thread_ts": None, "text": "VPN は？", "user": "U1", "dm": True},
    ),
    (
        SlackCommand("who VBA", "U1", "C1", "https://hooks.example/1", False),
        {"text": "who VBA", "user": "U1", "channel": "C1", "response_url": "https://hooks.example/1", "share": False},
    ),
    (
        SlackFeedback("https://hooks.example/1", [{"type": "section"}], "b1", "solved", "U1"),
        {
            "response_url": "https://hooks.example/1",
            "blocks": [{"type": "section"}],
            "block_id": "b1",
            "verdict": "solved",
            "user": "U1",
        },
    ),
    (SlackPerson("U1"), {"user": "U1"}),
    (SlackChannel("C1"), {"channel": "C1"}),
    (
        SlackAskExpert("VPN は？", "C1", "100.0", "U2", "U1", "https://hooks.example/1"),
        {
            "question": "VPN は？",
            "channel": "C1",
            "message": "100.0",
            "asker": "U2",
            "user": "U1",
            "response_url": "https://hooks.example/1",
        },
    ),
    (
        SlackWebAskExpert("CSPEC", {"question": "VPN は？", "subscribers": [["U4", "Tom", "VPN"]]}),
        {"channel": "CSPEC", "request": {"question": "VPN は？", "subscribers": [["U4", "Tom", "VPN"]]}},
    ),
    (
        TeamsWebAskExpert("19:experts", {"question": "VPN は？", "subscribers": []}),
        {"channel": "19:experts", "request": {"question": "VPN は？", "subscribers": []}},
    ),
]


@pytest.mark.parametrize(("spec", "stored"), STORED, ids=[type(s).__name__ for s, _ in STORED])
def test_a_spec_stores_the_payload_it_always_stored_and_reads_it_back(spec: JobSpec, stored: dict[str, Any]) -> None:
    assert json.dumps(spec.to_payload(), ensure_ascii=False) == json.dumps(stored, ensure_ascii=False)
    assert type(spec).from_payload(json.loads(json.dumps(stored))) == spec
    job = spec.job(key="k")
    assert (job.kind, job.payload, job.key, job.run_after) == (type(spec).kind, stored, "k", None)


def test_every_kind_has_one_spec() -> None:
    assert [type(spec) for spec, _ in STORED] == list(SPECS)
    kinds = [spec.kind for spec in SPECS]
    assert len(set(kinds)) == len(kinds)


def test_the_listeners_and_handlers_use_the_spec_kinds() -> None:
    from bot.slack import app, curation
    from bot.teams import handler

    assert (handler.SUGGEST_JOB, handler.SYNC_TEAM_JOB, handler.CHANNEL_INFO_JOB, handler.ASK_EXPERT_JOB) == (
        "teams.suggest",
        "teams.sync_team",
        "teams.channel_info",
        "teams.ask_expert",
    )
    assert (app.JOB_SUGGEST, app.JOB_DIRECT, app.JOB_COMMAND, app.JOB_FEEDBACK, app.JOB_PERSON, app.JOB_CHANNEL) == (
        "slack.suggest",
        "slack.direct",
        "slack.command",
        "slack.feedback",
        "slack.person",
        "slack.channel",
    )
    assert curation.JOB_ASK_EXPERT == "slack.ask_expert"
    assert curation.JOB_WEB_ASK_EXPERT == WebAskExpert.of("slack").kind == "slack.web_ask_expert"
    assert WebAskExpert.of("teams").kind == "teams.web_ask_expert"


def test_a_repeated_request_adds_repeat_and_only_then() -> None:
    first = SlackAskExpert("VPN は？", None, None, None, "U1", "https://hooks.example/1")
    assert "repeat" not in first.to_payload()
    again = SlackAskExpert.from_payload({**first.to_payload(), "repeat": True})
    assert again.repeat and list(again.to_payload())[-1] == "repeat"


def test_payloads_queued_by_older_versions_still_read() -> None:
    # A channel lookup enqueued while syncing a team carried the sync's own keys too (its reason).
    lookup = {"reference": REFERENCE, "team_id": "19:team", "team_group_id": None, "tenant_id": None}
    assert TeamsChannelInfo.from_payload({**lookup, "reason": "install", "channel_id": "19:c"}) == TeamsChannelInfo(
        REFERENCE, "19:team", None, None, "19:c"
    )
    sync = TeamsSyncTeam.from_payload({"reference": REFERENCE, "team_id": "19:team"})
    assert sync.reason == "" and sync.team_group_id is None
    assert sync.channel_info("19:c") == TeamsChannelInfo(REFERENCE, "19:team", None, None, "19:c")
    # Slack's own values pass through as Slack sent them; a wrong type reads as absent.
    assert SlackDirect.from_payload({"channel": "C1", "ts": None, "text": None, "user": 7}) == SlackDirect(
        "C1", None, None, "", None, False
    )


@pytest.mark.parametrize(
    ("spec", "payload"),
    [
        (TeamsSuggest, {"reference": REFERENCE, "channel_id": "19:c", "message_id": "1"}),
        (TeamsAskExpert, {"channel_id": "19:experts", "request": {}}),
        (SlackWebAskExpert, {"request": {"question": "VPN は？", "subscribers": []}}),
        (TeamsWebAskExpert, {"channel": "19:experts", "request": "VPN は？"}),
        (SlackSuggest, {"channel": "C1", "text": "x"}),
        (SlackPerson, {"user": None}),
        (SlackChannel, {}),
    ],
)
def test_a_payload_without_what_its_job_needs_is_refused(spec: type[JobSpec], payload: dict[str, Any]) -> None:
    with pytest.raises(InvalidJobPayload):
        spec.from_payload(payload)


def test_an_expert_request_travels_whole_and_names_its_subscribers_where_it_is_posted() -> None:
    request = ExpertRequest(
        "VPN が遅いときは？", None, None, "ウェブチャット", False, (Subscriber("slack", "U4", "Tom Baker", "VPN"),)
    )
    data = json.loads(json.dumps(expert_request_json(request)))
    assert expert_request_from_json(data, "slack") == request
    assert expert_request_from_json(data, "teams").subscribers == (Subscriber("teams", "U4", "Tom Baker", "VPN"),)
    for broken in ({}, {"question": "VPN は？"}, {"question": 7, "subscribers": []}):
        with pytest.raises(InvalidJobPayload):
            expert_request_from_json(broken, "slack")
