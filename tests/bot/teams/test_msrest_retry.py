"""The msrest retry fix keeps msrest's retry codes and is in place once Teams is mounted."""

from __future__ import annotations

from pathlib import Path

import pytest
from msrest.universal_http.requests import ClientRetryPolicy

from bot.app import create_app
from bot.service import KnowledgeService
from bot.teams import mount, msrest_retry
from knowledge.base import KnowledgeBase
from tests.bot.teams.conftest import teams_settings
from tests.bot.teams.fakes import FakeMicrosoftLogin

# msrest's own definition: every code below 500 but 408 is safe, and 501 and 505.
RETRIED = [408, 500, 502, 503, 504, *range(506, 999)]


def test_mounting_teams_applies_the_fix(
    kb: KnowledgeBase, tmp_path: Path, login: FakeMicrosoftLogin, monkeypatch: pytest.MonkeyPatch
) -> None:
    # msrest's own list, as before any mount in this process (the fix is process-wide: put it back after).
    monkeypatch.setattr(ClientRetryPolicy, "safe_codes", [i for i in range(999) if i not in RETRIED])
    assert not isinstance(ClientRetryPolicy.safe_codes, frozenset)
    create_app(teams_settings(tmp_path, login), service=KnowledgeService(kb), platforms=[mount])
    assert isinstance(ClientRetryPolicy.safe_codes, frozenset)
    assert ClientRetryPolicy().policy.status_forcelist == RETRIED


def test_the_retry_codes_are_msrest_s_own() -> None:
    msrest_retry.apply()
    msrest_retry.apply()  # idempotent
    policy = ClientRetryPolicy().policy
    assert policy.status_forcelist == RETRIED
    assert (policy.total, policy.connect, policy.read) == (3, 3, 3)
