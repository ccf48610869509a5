"""`yorozu serve` says what it serves, and refuses (or warns about) platform settings that would fail
silently: Teams without a password or a tenant, an app id that is no GUID, Slack without its secret."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.server import check_platforms
from bot.settings import ConfigError, Settings

START = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
APP_ID = "0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"
TENANT = "50612dbb-0237-4969-b378-8d42590f9c00"


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"YOROZU_DATA_DIR": str(tmp_path), **env})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"MicrosoftAppId": "yorozu-bot", "MicrosoftAppPassword": "p"},
            "MicrosoftAppId must be the bot's Microsoft App ID, a GUID",
        ),
        ({"MicrosoftAppId": APP_ID}, "MicrosoftAppId is set but MicrosoftAppPassword is not"),
        (
            {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "p", "MicrosoftAppType": "SingleTenant"},
            "MicrosoftAppType is SingleTenant but MicrosoftAppTenantId is not set",
        ),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not"),
    ],
)
def test_settings_that_would_fail_silently_are_refused(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        check_platforms(settings(tmp_path, **env))


def test_settings_that_work_pass_and_ignored_ones_are_warned_about(tmp_path: Path) -> None:
    good = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "p", "MicrosoftAppType": "SingleTenant"}
    assert check_platforms(settings(tmp_path, **good, MicrosoftAppTenantId=TENANT)) == []
    assert check_platforms(settings(tmp_path, MicrosoftAppId=APP_ID, MicrosoftAppType="UserAssignedMSI")) == []
    assert check_platforms(settings(tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")) == []
    (warning,) = check_platforms(settings(tmp_path, MicrosoftAppPassword="p", YOROZU_LOCAL="1"))
    assert "without MicrosoftAppId" in warning
    (warning,) = check_platforms(settings(tmp_path, SLACK_BOT_TOKEN="xoxp-user", SLACK_SIGNING_SECRET="s"))
    assert "xoxb-" in warning


def clean_env(tmp_path: Path, **env: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "Microsoft", "YOROZU_"))}
    return {**base, "YOROZU_DATA_DIR": str(tmp_path), **env}


def test_serve_refuses_a_bot_token_without_signing_secret_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*START, "serve", "--port", "0"],
        env=clean_env(tmp_path, SLACK_BOT_TOKEN="xoxb-1"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0
    assert "SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_serve_prints_a_ready_line_naming_the_endpoints(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    env = clean_env(
        tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", YOROZU_SLACK_API_URL="http://127.0.0.1:9/"
    )
    with log.open("wb") as out:
        proc = subprocess.Popen([*START, "serve", "--port", "0"], env=env, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 120
            while "Yorozu is ready on" not in log.read_text() and proc.poll() is None:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
    (ready,) = [line for line in log.read_text().splitlines() if "Yorozu is ready on" in line]
    assert "http://127.0.0.1:" in ready and ":0:" not in ready  # the port really listened on
    assert "Slack POST /slack/events" in ready and "GET /healthz" in ready
    assert "Teams" not in ready and "web chat" not in ready
