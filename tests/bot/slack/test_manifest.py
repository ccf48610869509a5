"""The Slack app manifest asks for exactly what the code uses: events, scopes, the command, interactivity."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.slack import scopes
from tests.conftest import REPO_ROOT

MANIFEST = REPO_ROOT / "manifest" / "slack" / "manifest.json"
SOURCES = sorted((REPO_ROOT / "bot" / "slack").glob("*.py"))


def load() -> dict:  # type: ignore[type-arg]
    data: dict = json.loads(MANIFEST.read_text())  # type: ignore[type-arg]
    return data


def test_scopes_and_events_match_the_registry_exactly() -> None:
    manifest = load()
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == scopes.required_scopes()
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == scopes.subscribed_events()
    assert "user" not in manifest["oauth_config"]["scopes"]  # no user token is used


def test_command_interactivity_and_socket_mode_toggle() -> None:
    manifest = load()
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == scopes.COMMAND
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is False  # HTTP by default; docs/slack.md says how to flip
    endpoints = {
        command["url"],
        manifest["settings"]["interactivity"]["request_url"],
        manifest["settings"]["event_subscriptions"]["request_url"],
    }
    assert {Path(url.split("://", 1)[1].split("/", 1)[1]).as_posix() for url in endpoints} == {"slack/events"}
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True  # personal chats with Yorozu
    assert len(manifest["display_information"]["description"]) <= 140
    assert 175 <= len(manifest["display_information"]["long_description"]) <= 4000


def test_the_faq_shortcut_is_a_message_shortcut_the_code_listens_to() -> None:
    from bot.slack import modals

    manifest = load()
    shortcuts = {s["callback_id"]: s for s in manifest["features"]["shortcuts"]}
    assert {cid: s["type"] for cid, s in shortcuts.items()} == scopes.SHORTCUTS == {modals.CALLBACK_SHORTCUT: "message"}
    faq = shortcuts[modals.CALLBACK_SHORTCUT]
    assert faq["name"] == "FAQにする"
    # Slack allows a shortcut name of 24 characters; the description is kept short for the menu.
    assert len(faq["name"]) <= 24 and 0 < len(faq["description"]) <= 80
    # Shortcuts arrive at the interactivity URL and need the commands scope (opening a modal needs none).
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]
    assert scopes.METHODS["views.open"] == ()


def test_every_web_api_method_the_code_calls_is_registered() -> None:
    called: set[str] = set()
    for source in SOURCES:
        text = source.read_text()
        called.update(re.findall(r'\.call\(\s*"([a-z]+\.[A-Za-z.]+)"', text))
        called.update(re.findall(r'_pages\(\s*api,\s*"([a-z]+\.[A-Za-z.]+)"', text))
        # The SDK's own method helpers (client.chat_postMessage(...)) would bypass the registry.
        assert not re.search(r"client\.(chat|conversations|users|reactions|team|auth)_", text), source
    assert called, "the pattern found no calls: the check itself is broken"
    assert called == set(scopes.METHODS)


def test_every_registered_event_has_a_listener() -> None:
    from bot.slack.app import SlackBot

    source = Path(SlackBot.__module__.replace(".", "/") + ".py")
    text = (REPO_ROOT / source).read_text()
    for event_type in scopes.listener_event_types():
        assert f'"{event_type}": self.on_' in text
