"""Activities that fail authentication touch nothing: no stored event, no receipt, no job, and nothing of
them in the logs (one line says a request was refused and the kind of failure, for the operator)."""

from __future__ import annotations

import logging

import pytest

from knowledge.store import repository as repo
from tests.bot.teams.conftest import APP_ID, MACRO_QUESTION, TeamsHarness, channel_message

pytestmark = pytest.mark.security


@pytest.mark.parametrize("case", ["missing", "expired", "wrong-audience", "malformed"])
async def test_a_refused_activity_leaves_no_receipt_and_no_log_line(
    teams: TeamsHarness, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    activity = channel_message(teams.service_url, "1800000000990", MACRO_QUESTION)
    login, url = teams.login, teams.service_url
    token = {
        "missing": None,
        "expired": login.sign(audience=APP_ID, service_url=url, expires_in=-3600),
        "wrong-audience": login.sign(audience="another-bot-app-id", service_url=url),
        "malformed": "not.a.jwt",
    }[case]
    caplog.set_level(logging.DEBUG)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with teams.http.post(teams.server.make_url("/api/messages"), json=activity, headers=headers) as resp:
        assert resp.status == 401
    with teams.kb.store.begin() as conn:
        receipts = conn.exec_driver_sql("SELECT count(*) FROM event_receipts").scalar()
        jobs = repo.job_counts(conn)
    assert (receipts, jobs, teams.kb.stats().messages) == (0, {"pending": 0, "failed": 0}, 3)
    request = [activity["id"], activity["text"], activity["from"]["aadObjectId"], "another-bot-app-id"]
    request += [token] if token else []
    logged = [r.getMessage() for r in caplog.records]
    assert [line for line in logged if any(value in line for value in request)] == []
    assert len([line for line in logged if line.startswith("Teams request refused")]) <= 1
    assert [
        r.name
        for r in caplog.records
        if not r.name.startswith(("urllib3", "asyncio", "aiohttp.access", "bot.teams.auth"))
    ] == []
