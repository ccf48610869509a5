"""CLI commands for Slack (``yorozu backfill slack``); imported only when used."""

from __future__ import annotations

import argparse
import asyncio
import sys

import aiohttp

from bot.messages import text
from bot.service import KnowledgeService, open_knowledge_base, run_blocking
from bot.settings import ConfigError, Settings
from bot.slack.api import SlackApi, SlackCallFailed, build_client
from bot.slack.backfill import backfill

EXIT_OK = 0
EXIT_FAILED = 1

# Slack's history methods allow about 50 calls a minute for most apps: wait out 429s patiently.
BACKFILL_RATE_LIMIT_RETRIES = 10


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    """Read the history of every channel the bot is in (or ``--channel-id`` ones); safe to run again."""
    return asyncio.run(_backfill(settings, list(getattr(args, "channel_id", None) or [])))


async def _backfill(settings: Settings, channels: list[str]) -> int:
    api = SlackApi(build_client(settings, rate_limit_retries=BACKFILL_RATE_LIMIT_RETRIES))
    kb = await run_blocking(open_knowledge_base, settings)
    try:
        report = await backfill(
            api,
            KnowledgeService(kb),
            channels=channels,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
            lang=settings.language,
        )
        await run_blocking(kb.save_index)
    except SlackCallFailed as exc:
        raise ConfigError(f"Slack refused {exc.method}: {exc.error}") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise ConfigError(f"cannot reach Slack at {settings.slack_api_url}: {exc}") from None
    finally:
        await run_blocking(kb.close)
    lang = settings.language
    print(
        text(
            "cli_backfill_slack",
            lang,
            channels=text("n_channels", lang, count=report.channels),
            messages=text("n_messages", lang, count=report.messages),
            changed=report.changed,
            known=report.messages - report.changed,
            people=text("n_people", lang, count=report.people),
            skipped=report.skipped,
        )
    )
    print(text("cli_backfill_again", lang))
    return EXIT_OK
