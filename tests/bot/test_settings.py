"""Settings from an environ mapping: defaults, overrides, secrets, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ROLES, ConfigError, Secret, Settings


def test_defaults_use_a_sqlite_file_in_the_data_directory() -> None:
    settings = Settings.from_env({"HOME": "/home/kazu"})
    assert settings.data_dir == Path("/home/kazu/.local/share/yorozu")
    assert settings.database_url == "sqlite:////home/kazu/.local/share/yorozu/yorozu.sqlite3"
    assert (settings.host, settings.port, settings.local, settings.embedder) == (
        "127.0.0.1",
        3978,
        False,
        "e5-small-q4",
    )
    assert settings.abstain_below is None


def test_environment_and_overrides() -> None:
    env = {
        "YOROZU_DATA_DIR": "/srv/yorozu",
        "YOROZU_DATABASE_URL": "postgresql+psycopg://yorozu@db/yorozu",
        "YOROZU_PORT": "8080",
        "YOROZU_LOCAL": "yes",
        "YOROZU_ABSTAIN_BELOW": "0.8",
        "MicrosoftAppId": "00000000-0000-0000-0000-000000000001",
        "MicrosoftAppType": "SingleTenant",
    }
    settings = Settings.from_env(env, data_dir=Path("/tmp/other"), port=9000)
    assert settings.data_dir == Path("/tmp/other")
    assert settings.database_url == "postgresql+psycopg://yorozu@db/yorozu"
    assert (settings.port, settings.local, settings.abstain_below) == (9000, True, 0.8)
    assert settings.microsoft_app_type == "SingleTenant"


def test_secrets_never_show() -> None:
    settings = Settings.from_env({"HOME": "/h", "SLACK_SIGNING_SECRET": "s3cr3t", "MicrosoftAppPassword": "p4ss"})
    assert "s3cr3t" not in repr(settings) and "p4ss" not in repr(settings)
    assert repr(Secret("x")) == "Secret('**********')" and str(Secret("x")) == "Secret('**********')"
    assert settings.slack_signing_secret is not None and settings.slack_signing_secret.reveal() == "s3cr3t"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"YOROZU_PORT": "http"}, "YOROZU_PORT"),
        ({"YOROZU_PORT": "70000"}, "YOROZU_PORT"),
        ({"YOROZU_LOCAL": "maybe"}, "YOROZU_LOCAL"),
        ({"YOROZU_LOG_LEVEL": "loud"}, "YOROZU_LOG_LEVEL"),
        ({"YOROZU_ABSTAIN_BELOW": "high"}, "YOROZU_ABSTAIN_BELOW"),
        ({"YOROZU_ABSTAIN_BELOW": "-1"}, "YOROZU_ABSTAIN_BELOW"),
        ({"MicrosoftAppType": "Personal"}, "MicrosoftAppType"),
    ],
)
def test_malformed_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"HOME": "/h", **env})


def test_the_role_says_what_this_process_does(tmp_path: Path) -> None:
    does = {
        role: (s.accepts_requests, s.does_background_work, s.index_dir.name)
        for role in ROLES
        for s in [Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path), "YOROZU_ROLE": f" {role.upper()} "})]
    }
    assert does == {"all": (True, True, "index"), "web": (True, False, "index-web"), "worker": (False, True, "index")}
    with pytest.raises(ConfigError, match="YOROZU_ROLE"):
        Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path), "YOROZU_ROLE": "both"})
