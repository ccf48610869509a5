"""What every ``yorozu`` command shares: exit codes, how a command is declared, opening the knowledge base,
and how an error becomes a message and an exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, exit_code
from bot.messages import Locale, error_text

# Imported when the command line starts, before logging is set up: loading it (and faiss) later would put
# faiss's INFO lines about the CPU features it probes on every command's stderr.
from knowledge.base import KnowledgeBase

if TYPE_CHECKING:
    from bot.settings import ConfigError, Settings
    from knowledge.errors import KnowledgeError

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "Command", "failed", "open_kb"]

Handler = Callable[[argparse.Namespace, "Settings"], int]


@dataclass(frozen=True)
class Command:
    """One ``yorozu`` command, declared once: its name and summary in ``yorozu --help``, the arguments it
    takes and what it runs. ``bot.cli.COMMANDS`` lists them all; nothing else registers or dispatches."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Handler


def open_kb(settings: Settings, *, adopt_embedder: bool = False) -> KnowledgeBase:
    """The knowledge base ``settings`` describe; ``bot.service`` (and the embedder) loads only when used."""
    from bot.service import open_knowledge_base

    return open_knowledge_base(settings, adopt_embedder=adopt_embedder)


def failed(exc: KnowledgeError | ConfigError, lang: Locale) -> int:
    """The command line's one translation of an error: a one-line message on stderr, then the exit code."""
    print(f"yorozu: {error_text(exc, lang)}", file=sys.stderr)
    return exit_code(exc)
