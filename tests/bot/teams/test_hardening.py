"""POST /api/messages against the audit's attacks: bodies nested too deep, invokes Yorozu cannot read, and
text no database stores. Each is a 4xx or a polite answer, never a 5xx."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.bot.teams.conftest import APP_ID, MACRO_QUESTION, TeamsHarness, channel_message
from tests.bot.teams.test_curation import invoke

DEEP = b"[" * 1000 + b"]" * 1000


async def post_raw(teams: TeamsHarness, body: bytes, *, signed: bool = True) -> int:
    headers = {"Content-Type": "application/json"}
    if signed:
        headers["Authorization"] = f"Bearer {teams.login.sign(audience=APP_ID, service_url=teams.service_url)}"
    else:
        headers["Authorization"] = "Bearer not.a.token"
    async with teams.http.post(teams.server.make_url("/api/messages"), data=body, headers=headers) as resp:
        await resp.read()
        return resp.status


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "any bearer"])
async def test_deeply_nested_json_is_400(teams: TeamsHarness, signed: bool) -> None:
    assert await post_raw(teams, DEEP, signed=signed) == 400
    nested = json.dumps(channel_message(teams.service_url, "1800000000001", "x"))[:-1].encode()
    nested += b', "channelData2": ' + b'{"a": ' * 990 + b"1" + b"}" * 990 + b"}"
    assert await post_raw(teams, nested, signed=signed) == 400
    assert teams.kb.stats().messages == 3


def _base(teams: TeamsHarness) -> dict[str, Any]:
    return channel_message(teams.service_url, "f:invoke", "", root="1700000000001")


BAD_INVOKES: list[tuple[str | None, Any]] = [
    (None, {}),
    ("", {}),
    ("no/such/invoke", {}),
    ("adaptiveCard/action", "a string"),
    ("adaptiveCard/action", []),
    ("adaptiveCard/action", {"action": "x"}),
    ("adaptiveCard/action", {"action": {"type": "Action.Execute", "verb": 5, "data": "x"}}),
    ("adaptiveCard/action", {"action": {"type": "Action.Execute", "data": {"kind": "feedback", "thread": 5}}}),
    ("adaptiveCard/action", None),
    ("composeExtension/fetchTask", "x"),
    ("composeExtension/fetchTask", []),
    ("composeExtension/fetchTask", {"commandId": "makeFaq", "messagePayload": "x"}),
    ("composeExtension/fetchTask", {"commandId": "makeFaq", "messagePayload": {"body": "x", "from": 5}}),
    ("composeExtension/submitAction", {"commandId": "makeFaq", "data": "x"}),
    ("composeExtension/submitAction", {"commandId": "makeFaq", "data": [1, 2]}),
    ("composeExtension/submitAction", {"commandId": 5}),
    ("composeExtension/query", {"parameters": "x"}),
    ("task/fetch", {"data": []}),
    ("task/fetch", "x"),
    ("task/submit", {"data": "x"}),
    ("task/submit", {"data": {"kind": "faq", "question": 5, "answer": [], "tags": {}}}),
]


@pytest.mark.parametrize(("name", "value"), BAD_INVOKES)
async def test_invokes_yorozu_cannot_read_are_4xx_or_polite(teams: TeamsHarness, name: str | None, value: Any) -> None:
    activity = invoke(_base(teams), name or "", value)
    if name is None:
        del activity["name"]
    status, body = await teams.post_json(activity)
    assert status < 500, (status, body)
    await teams.idle()
    assert teams.kb.stats().messages == 3


async def test_text_no_database_stores_is_cleaned_and_stored(teams: TeamsHarness) -> None:
    activity = channel_message(teams.service_url, "1800000000020", "NUL\u0000とサロゲート\udbffの" + MACRO_QUESTION)
    activity["from"]["name"] = "名前\u0000"
    body = json.dumps(activity).encode()  # ASCII escapes, as JSON carries them
    assert await post_raw(teams, body) == 200
    await teams.idle()
    with teams.kb.store.begin() as conn:
        texts = conn.exec_driver_sql("SELECT text FROM messages WHERE external_id = '1800000000020'").scalars().all()
    assert texts == ["NULとサロゲート\ufffdの" + MACRO_QUESTION]
