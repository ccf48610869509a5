"""The aiohttp application: one server for the local web chat and the chat platforms' endpoints."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.jobs import POLL_SECONDS, JobHandler, JobRunner
from bot.service import KnowledgeService
from bot.settings import Settings
from bot.web import console as web_console
from bot.web import routes as web_routes
from bot.web.console_auth import is_loopback
from knowledge.base import KnowledgeBase
from knowledge.model import Stats

log = logging.getLogger(__name__)

SETTINGS_KEY = web.AppKey("settings", Settings)
SERVICE_KEY = web.AppKey("service", KnowledgeService)
RUNNER_KEY = web.AppKey("runner", JobRunner)

# Chat messages are small; anything bigger than this is not a message and is refused with 413.
MAX_BODY_BYTES = 1024 * 1024

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
# How often a worker looks for jobs that the web process enqueued.
WORKER_POLL_SECONDS = 0.5


class PlatformMount(Protocol):
    """A chat platform's ``mount``: adds its routes and returns its job handlers by job kind."""

    def __call__(
        self, app: web.Application, settings: Settings, service: KnowledgeService
    ) -> Mapping[str, JobHandler]: ...


def create_app(
    settings: Settings,
    *,
    service: KnowledgeService,
    web_chat: bool = False,
    console: bool = False,
    platforms: Sequence[PlatformMount] = (),
) -> web.Application:
    """The application: health check, each platform's endpoint, and the local web chat if asked.

    ``web_chat`` mounts the web chat: open on loopback in local mode, elsewhere behind the console's token
    (``YOROZU_WEB_CHAT``). ``console`` mounts the specialist console (``/console``, ``/api/console/...``); it is refused
    (:class:`ConfigError`) outside local mode unless ``YOROZU_CONSOLE_TOKEN`` is set
    (``bot.web.console.console_enabled``).

    Each platform mounts itself (``bot.teams.mount``, ``bot.slack.mount``) and hands back the job
    handlers that send its replies; one job runner serves them all.
    """
    middlewares = [_errors_as_json, _loopback_only] if settings.local else [_errors_as_json]
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=middlewares)
    app[SETTINGS_KEY] = settings
    app[SERVICE_KEY] = service
    app.router.add_get("/healthz", _health)
    handlers: dict[str, JobHandler] = {}
    for mount in platforms:
        handlers.update(mount(app, settings, service))
    if web_chat:
        web_routes.mount(app, service, settings)
    if console:
        web_console.mount(app, service, settings)
    # In the web role the worker runs the jobs; it polls more often, since an enqueue in another process
    # does not wake it.
    runner = JobRunner(
        service, handlers, poll_seconds=POLL_SECONDS if settings.accepts_requests else WORKER_POLL_SECONDS
    )
    if settings.does_background_work:
        service.on_enqueue = runner.wake
    app[RUNNER_KEY] = runner
    app.cleanup_ctx.append(_background)
    return app


def configured_platforms(settings: Settings) -> list[PlatformMount]:
    """The platforms whose credentials are configured."""
    mounts: list[PlatformMount] = []
    if settings.teams_enabled:
        from bot.teams import mount as mount_teams

        mounts.append(mount_teams)
    if settings.slack_enabled:
        from bot.slack import mount as mount_slack

        mounts.append(mount_slack)
    return mounts


async def _background(app: web.Application) -> AsyncIterator[None]:
    """The indexer and the job runner live as long as the app (the web role runs no jobs)."""
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(app[SERVICE_KEY].running())
        if app[SETTINGS_KEY].does_background_work:
            await stack.enter_async_context(app[RUNNER_KEY].running())
        yield


# The numbers /healthz reports: the same counts as `yorozu stats` and the console, said what they count.
HEALTH_COUNTS = ("threads", "indexed", "faq_published", "pending")


async def _health(request: web.Request) -> web.Response:
    stats = (await request.app[SERVICE_KEY].run(KnowledgeBase.stats)).to_json()
    meanings = Stats.meanings("en")
    body: dict[str, object] = {"status": "ok", **{key: stats[key] for key in HEALTH_COUNTS}}
    body["meaning"] = {key: meanings[key] for key in HEALTH_COUNTS}
    return web.json_response(body)


@web.middleware
async def _errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """HTTP errors as small JSON bodies; an unexpected failure is logged, never shown as a traceback."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        return web.json_response({"error": exc.reason}, status=exc.status, headers=_allowed(exc))
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return web.json_response({"error": "internal error"}, status=500)


@web.middleware
async def _loopback_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Local mode has no login in front of the web chat, the console or the Emulator's endpoint: every
    request must come from loopback *and* name a loopback host. The second check stops a web page whose
    name an attacker pointed at 127.0.0.1 (DNS rebinding) from using them from the victim's browser."""
    try:
        host = request.url.host
    except ValueError:  # a Host header that is no host name at all
        host = None
    if not (is_loopback(request.remote) and is_loopback(host)):
        raise web.HTTPForbidden(reason="local mode answers requests to localhost (127.0.0.1, ::1) only")
    return await handler(request)


def _allowed(exc: web.HTTPException) -> dict[str, str]:
    """The headers of an HTTP error that tell the client what to do next."""
    return {name: exc.headers[name] for name in ("Allow", "Retry-After", "WWW-Authenticate") if name in exc.headers}
