"""Starting the server: open the knowledge base, mount what is configured, run until interrupted."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import sys
from pathlib import Path

from aiohttp import web

from bot.app import LOOPBACK_HOSTS, configured_platforms, create_app
from bot.logs import keep_text_out_of
from bot.messages import text
from bot.service import WORKER_NICENESS, KnowledgeService, lower_thread_priority, open_knowledge_base, run_blocking
from bot.settings import ConfigError, Settings
from bot.web.console import console_enabled
from knowledge.base import KnowledgeBase
from knowledge.model import Actor
from knowledge.sample import sample_community_path, sample_faq_path

log = logging.getLogger(__name__)


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def check_platforms(settings: Settings) -> list[str]:
    """Refuse (:class:`ConfigError`) platform settings that would start a server nobody can reach or
    that fails at the first message; return warnings for settings that are ignored."""
    warnings: list[str] = []
    app_id = settings.microsoft_app_id
    if app_id:
        if not _GUID.match(app_id):
            raise ConfigError(
                f"MicrosoftAppId must be the bot's Microsoft App ID, a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), "
                f"not {app_id!r}"
            )
        if settings.microsoft_app_type != "UserAssignedMSI" and not settings.microsoft_app_password:
            raise ConfigError(
                "MicrosoftAppId is set but MicrosoftAppPassword is not: Yorozu could not answer Teams "
                "(set the client secret of the app registration, or MicrosoftAppType=UserAssignedMSI)"
            )
        if settings.microsoft_app_type == "SingleTenant" and not settings.microsoft_app_tenant_id:
            raise ConfigError(
                "MicrosoftAppType is SingleTenant but MicrosoftAppTenantId is not set "
                "(the Directory (tenant) ID of the app registration)"
            )
    elif settings.microsoft_app_password or settings.microsoft_app_tenant_id:
        warnings.append("MicrosoftAppPassword/MicrosoftAppTenantId are set without MicrosoftAppId: Teams stays off")
    if settings.slack_bot_token and not (settings.slack_signing_secret or settings.slack_socket_mode):
        raise ConfigError(
            "SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not: Yorozu cannot verify that requests come "
            "from Slack. Set SLACK_SIGNING_SECRET (the app's Basic Information page), or use "
            "--slack-socket-mode with SLACK_APP_TOKEN"
        )
    token = settings.slack_bot_token.reveal() if settings.slack_bot_token else ""
    if token and not token.startswith("xoxb-"):
        warnings.append("SLACK_BOT_TOKEN does not start with xoxb-: Yorozu needs the bot token, not a user token")
    return warnings


def endpoints(settings: Settings) -> list[str]:
    """What the server answers, for the ready line."""
    on = ["GET /healthz"]
    if settings.microsoft_app_id:
        on.append("Teams POST /api/messages")
    elif settings.local:
        on.append("Teams POST /api/messages (Bot Framework Emulator, no authentication)")
    if settings.slack_signing_secret:
        on.append("Slack POST /slack/events")
    if settings.slack_socket_mode:
        on.append("Slack Socket Mode")
    if settings.local:
        on.append("web chat /")
    if console_enabled(settings):
        on.append("console /console")
    return on


def check_bind(settings: Settings) -> None:
    """Local mode binds loopback only: it has no platform authentication in front of the web chat."""
    if settings.local and settings.host not in LOOPBACK_HOSTS:
        raise ConfigError(
            f"local mode binds loopback only (127.0.0.1, ::1), not {settings.host!r}",
            key="error_local_bind",
            params={"host": settings.host},
        )


class SampleInStore(ConfigError):
    """``serve`` was pointed at a database holding the demo's fictional community."""

    def __init__(self) -> None:
        super().__init__(
            "this database holds the demo's sample community (the fictional 青葉県): serve refuses it so that "
            "fictional threads never mix into real suggestions; use another --data-dir, or pass --allow-sample "
            "if you mean it",
            key="error_sample_in_store",
        )


def sample_channel_ids(sample: Path | None = None) -> list[str]:
    """The channel ids of the bundled sample community (its channels.json and groups.json)."""
    folder = sample or sample_community_path()
    ids = []
    for name in ("channels.json", "groups.json"):
        path = folder / name
        if path.is_file():
            ids += [c["id"] for c in json.loads(path.read_text(encoding="utf-8")) if isinstance(c, dict) and "id" in c]
    return ids


def holds_sample(kb: KnowledgeBase) -> bool:
    """Whether the sample community was imported into this knowledge base (by the demo or by hand)."""
    return any(kb.channel("slack", channel_id) is not None for channel_id in sample_channel_ids())


def load_sample_if_empty(kb: KnowledgeBase) -> bool:
    """Import the bundled sample community and its FAQ entries into an empty knowledge base; ``True``
    when it did."""
    if kb.stats().threads:
        return False
    from knowledge.importers.faq_json import read_faq_json
    from knowledge.importers.slack_export import read_slack_export

    log.info("empty knowledge base: importing the sample community (about a minute the first time)")
    kb.ingest_many(read_slack_export(sample_community_path()))
    if not kb.faq_list():
        kb.faq_import(Actor.operator(), read_faq_json(sample_faq_path()))
    kb.sync()
    kb.save_index()
    return True


async def serve(settings: Settings, *, load_sample: bool, allow_sample: bool = False) -> int:
    """Run until Ctrl-C or SIGTERM. ``load_sample`` is the demo: sample data and the web chat.

    Without ``load_sample`` a database holding the sample community is refused unless ``allow_sample``.
    """
    check_bind(settings)
    for warning in check_platforms(settings):
        log.warning("%s", warning)
    for handler in logging.getLogger().handlers:
        keep_text_out_of(handler)  # no library logs message text above DEBUG (bot.logs)
    platforms = [
        name
        for name, on in (
            ("teams", settings.microsoft_app_id),
            ("slack", settings.slack_signing_secret or settings.slack_socket_mode),
        )
        if on
    ]
    if not platforms and not settings.local:
        raise ConfigError(
            "no chat platform is configured: set MicrosoftAppId/MicrosoftAppPassword (Teams) or "
            "SLACK_BOT_TOKEN/SLACK_SIGNING_SECRET (Slack), or run `yorozu serve --local` to try the web chat",
            key="error_no_platform",
        )
    if not settings.accepts_requests:
        # Before any thread starts: the worker's threads (and the embedder's) inherit the lower priority.
        lower_thread_priority(WORKER_NICENESS)
    kb = await run_blocking(open_knowledge_base, settings)
    try:
        if load_sample:
            await run_blocking(load_sample_if_empty, kb)
        elif not allow_sample and await run_blocking(holds_sample, kb):
            raise SampleInStore()
        serving = settings.accepts_requests
        app = create_app(
            settings,
            service=KnowledgeService(kb),
            web_chat=(settings.local or settings.web_chat) and serving,
            console=console_enabled(settings) and serving,
            platforms=configured_platforms(settings),
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()  # starts the indexer and, but in the web role, the job runner
        if not serving:
            log.info("worker: embedding threads and running replies for the web process (no HTTP)")
            print(text("cli_worker_running", settings.language), file=sys.stderr)
        else:
            site = web.TCPSite(runner, settings.host, settings.port)
            try:
                await site.start()
            except OSError as exc:
                await runner.cleanup()
                raise ConfigError(
                    f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}",
                    key="error_cannot_listen",
                    params={"host": settings.host, "port": settings.port, "reason": exc.strerror},
                ) from None
        if not settings.does_background_work:
            log.info("web role: a `yorozu serve --role worker` on the same database embeds threads and replies")
        if serving:
            port = runner.addresses[0][1] if runner.addresses else settings.port  # the real one for --port 0
            on = ", ".join(endpoints(settings))
            print(
                text("cli_ready_endpoints", settings.language, host=settings.host, port=port, endpoints=on),
                file=sys.stderr,
                flush=True,
            )
        if settings.local and serving:
            log.warning(
                "local mode: loopback only, no platform credentials; web chat at http://%s:%d/",
                settings.host,
                settings.port,
            )
            print(text("cli_ready", settings.language, host=settings.host, port=settings.port), file=sys.stderr)
        if console_enabled(settings) and serving:
            log.info("specialist console at /console (%s)", "token required" if settings.console_token else "local")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await runner.cleanup()
    finally:
        await run_blocking(kb.close)
    return 0
