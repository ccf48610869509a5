"""``yorozu reindex`` and ``yorozu stats``: the search index and what the knowledge base holds."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from bot.cli.common import EXIT_OK, Command, open_kb
from bot.messages import TEXTS, text

if TYPE_CHECKING:
    from bot.settings import Settings


def add_reindex_arguments(reindex: argparse.ArgumentParser) -> None:
    """``reindex`` takes no arguments of its own."""


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    # Reindexing is how one changes embedders, so a mismatch is expected here rather than refused.
    with open_kb(settings, adopt_embedder=True) as kb:
        count = kb.reindex()
        model = kb.embedder.model_id
    print(text("cli_reindexed", settings.language, count=count, model=model))
    return EXIT_OK


def add_stats_arguments(stats: argparse.ArgumentParser) -> None:
    stats.add_argument("--json", action="store_true")


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    with open_kb(settings) as kb:
        stats = kb.stats()
    if args.json:
        print(json.dumps(stats.to_json(), ensure_ascii=False))
    else:
        # The same numbers as /healthz and the console, each said what it counts.
        meanings = stats.meanings(str(settings.language))
        for key, value in stats.to_json().items():
            label = text(f"cli_stats_{key}", settings.language) if f"cli_stats_{key}" in TEXTS else key
            print(f"{label}: {value}  ({meanings.get(key, key)})")
    return EXIT_OK


REINDEX = Command("reindex", "re-embed every thread with the configured embedder", add_reindex_arguments, cmd_reindex)
STATS = Command("stats", "what the knowledge base holds", add_stats_arguments, cmd_stats)
