"""The one table of how knowledge errors are told: HTTP status, chat message, exit code."""

from __future__ import annotations

import pytest

from bot import cli
from bot.errors import EXIT_FAILED, chat_key, chat_message, exit_code, http_status
from bot.messages import TEXTS, Locale
from bot.settings import ConfigError
from knowledge import errors as kerr

KINDS = [
    kerr.KnowledgeError("x"),
    kerr.StorageError("x"),
    kerr.EmbedderMismatch("a", "b"),
    kerr.EmbedderUnavailable("x"),
    kerr.ImportFailed("x"),
    kerr.InvalidQuestion("x"),
    kerr.NotAllowed("slack:U1", "faq"),
    kerr.NotFound("thread", "k"),
    kerr.InvalidInput("x"),
    kerr.NotShareable("x"),
]


@pytest.mark.parametrize("err", KINDS, ids=lambda e: type(e).__name__)
def test_every_kind_has_a_status_a_message_and_the_cli_exit_code(err: kerr.KnowledgeError) -> None:
    assert 400 <= http_status(err) < 500
    assert chat_key(err) in TEXTS
    assert chat_message(err, Locale.JA) and chat_message(err, Locale.EN)
    # What `yorozu` exits with today for every error it reports in one line.
    assert exit_code(err) == cli.EXIT_FAILED == EXIT_FAILED


def test_statuses_are_the_consoles() -> None:
    assert http_status(kerr.NotFound("FAQ entry", 1)) == 404
    assert http_status(kerr.InvalidInput("x")) == 400
    assert http_status(kerr.InvalidQuestion("x")) == 400
    assert http_status(kerr.NotAllowed("cli:console", "faq")) == 403
    assert http_status(kerr.StorageError("x")) == 400


def test_chat_keys() -> None:
    assert chat_key(kerr.NotShareable("x")) == "ask_expert_private"
    assert chat_key(kerr.InvalidQuestion("x")) == "ask_expert_empty"
    assert chat_key(kerr.NotAllowed("teams:x", "faq")) == "faq_not_allowed"
    assert chat_message(kerr.InvalidInput("bad tag"), Locale.EN).endswith("bad tag")


def test_a_configuration_error_exits_as_the_cli_does() -> None:
    assert exit_code(ConfigError("x")) == cli.EXIT_FAILED
