"""Settings for people and follow-ups: YOROZU_ADMINS, YOROZU_SPECIALISTS, YOROZU_FOLLOWUP_AFTER."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.settings import ConfigError, Settings


def test_roles_and_follow_up_delay_are_read() -> None:
    s = Settings.from_env(
        {
            "HOME": "/tmp",
            "YOROZU_ADMINS": "slack:U123, teams:29:abc",
            "YOROZU_SPECIALISTS": "slack:U9",
            "YOROZU_FOLLOWUP_AFTER": "90m",
        }
    )
    assert s.admins == (("slack", "U123"), ("teams", "29:abc")) and s.specialists == (("slack", "U9"),)
    assert s.followup_after == timedelta(minutes=90)
    assert Settings.from_env({"HOME": "/tmp"}).followup_after == timedelta(hours=24)
    assert Settings.from_env({"HOME": "/tmp", "YOROZU_FOLLOWUP_AFTER": "2"}).followup_after == timedelta(hours=2)
    assert Settings.from_env({"HOME": "/tmp", "YOROZU_FOLLOWUP_AFTER": "1d"}).followup_after == timedelta(days=1)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("YOROZU_ADMINS", "U123"),
        ("YOROZU_ADMINS", "mail:U1"),
        ("YOROZU_SPECIALISTS", "slack:"),
        ("YOROZU_FOLLOWUP_AFTER", "soon"),
        ("YOROZU_FOLLOWUP_AFTER", "0h"),
    ],
)
def test_malformed_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({"HOME": "/tmp", name: value})
