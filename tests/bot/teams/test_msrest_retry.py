"""The msrest retry fix keeps msrest's retry codes and is in place once Teams is mounted."""

from __future__ import annotations

from msrest.universal_http.requests import ClientRetryPolicy

from bot.teams import msrest_retry
from tests.bot.teams.conftest import TeamsHarness

# msrest's own definition: every code below 500 but 408 is safe, and 501 and 505.
RETRIED = [408, 500, 502, 503, 504, *range(506, 999)]


async def test_mounting_teams_applies_the_fix(teams: TeamsHarness) -> None:
    assert isinstance(ClientRetryPolicy.safe_codes, frozenset)


def test_the_retry_codes_are_msrest_s_own() -> None:
    msrest_retry.apply()
    msrest_retry.apply()  # idempotent
    policy = ClientRetryPolicy().policy
    assert policy.status_forcelist == RETRIED
    assert (policy.total, policy.connect, policy.read) == (3, 3, 3)
