"""The specialist console: a page at ``/console`` over a JSON API under ``/api/console/``.

Specialists see the review queue (questions whose suggestion someone found 役に立たなかった, beside what
was suggested), the FAQ entries (create and edit with a preview, publish, retire, back to draft, verify,
history with what changed), any public thread in full (and an FAQ entry drafted from it), the insights
(unanswered and repeated questions and knowledge gaps, each linking to its thread or to a new FAQ entry)
and the same counts as ``yorozu stats`` and ``/healthz``. Who may use it is
decided in :mod:`bot.web.console_auth`: local mode (loopback only) or ``YOROZU_CONSOLE_TOKEN``.
Without either the routes are never added, so they do not exist (404).

Whoever holds the token (or the loopback machine) holds the console, as the person at the command
line holds the database: the console acts as an admin, :func:`console_actor`, recorded in FAQ history
as ``cli:console``. Nobody who opted out is named here: FAQ owners and verifiers come from the
knowledge base already without them, history editors are hidden here, and insights name nobody.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from aiohttp import web

from bot.service import KnowledgeService
from bot.settings import ConfigError, Settings
from bot.web.console_auth import COOKIE, SESSION_SECONDS, ConsoleAuth, json_error, knowledge_http_error
from bot.web.console_review import review_items
from knowledge.base import KnowledgeBase
from knowledge.errors import InvalidInput, KnowledgeError
from knowledge.faq import DEFAULT_REVIEW_DAYS, parse_thread_key
from knowledge.model import Actor, FaqEntry, FaqStatus, Scope, Stats
from knowledge.text import storable_json

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
# Console requests are a few fields; anything bigger is refused before it is read.
MAX_BODY_BYTES = 16 * 1024
MAX_VERIFIER_CHARS = 100
MAX_DAYS = 3650
MAX_KEY_CHARS = 600
# Ids are SQL integers: a longer number is no id (and would overflow the database's integer).
ID = r"{id:\d{1,18}}"

# The page loads only its own script and style: no inline code, no other origin, never framed.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
ASSETS = {
    "dom.js": "text/javascript; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
}

T = TypeVar("T")
P = ParamSpec("P")
ApiHandler = Callable[["Console", web.Request], Awaitable[web.StreamResponse]]


def console_enabled(settings: Settings) -> bool:
    """The console exists in local mode (loopback only) and wherever ``YOROZU_CONSOLE_TOKEN`` is set."""
    return settings.local or bool(settings.console_token)


def console_actor(name: str | None = None) -> Actor:
    """The console's operator: an admin like the CLI operator (same platform), told apart in history.

    ``name`` is who the verifier says they are; it is shown as the entry's verifier, as a CSV import's
    ``verified_by`` is, and is not tied to any platform person. Without it only the date shows.
    """
    return Actor(Actor.operator().platform, "console", name)


class Console:
    """The console's state for its handlers: the knowledge service and the gate."""

    def __init__(self, service: KnowledgeService, auth: ConsoleAuth) -> None:
        self.service = service
        self.auth = auth

    async def call(self, work: Callable[Concatenate[KnowledgeBase, P], T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run knowledge-base work through the service (a worker thread), its errors as 4xx JSON."""
        try:
            return await self.service.run(work, *args, **kwargs)
        except KnowledgeError as exc:  # NotAllowed means a bug here (the console acts as an admin); still no 500
            raise knowledge_http_error(exc) from None


CONSOLE_KEY = web.AppKey("console", Console)


def mount(app: web.Application, service: KnowledgeService, settings: Settings) -> None:
    """Add the console's page and API; refuses to open a console nobody guards."""
    if not console_enabled(settings):
        raise ConfigError("the specialist console needs YOROZU_CONSOLE_TOKEN outside local mode")
    app[CONSOLE_KEY] = Console(service, ConsoleAuth(settings.console_token))
    app.router.add_get("/console", _page)
    for name in ASSETS:
        app.router.add_get(f"/console/{name}", _asset)
    api = "/api/console"
    app.router.add_get(f"{api}/session", _api(_session))
    app.router.add_post(f"{api}/login", _api(_login, authorized=False, unsafe=True))
    app.router.add_post(f"{api}/logout", _api(_logout, authorized=False, unsafe=True))
    app.router.add_get(f"{api}/review", _api(_review))
    app.router.add_post(f"{api}/review/{ID}/resolve", _api(_resolve, unsafe=True))
    app.router.add_get(f"{api}/faq", _api(_faq_list))
    app.router.add_post(f"{api}/faq", _api(_faq_create, unsafe=True))
    app.router.add_get(f"{api}/faq/{ID}", _api(_faq_show))
    app.router.add_post(f"{api}/faq/{ID}", _api(_faq_edit, unsafe=True))
    app.router.add_post(f"{api}/faq/{ID}/status", _api(_faq_status, unsafe=True))
    app.router.add_post(f"{api}/faq/{ID}/verify", _api(_faq_verify, unsafe=True))
    app.router.add_get(f"{api}/insights", _api(_insights))
    app.router.add_get(f"{api}/thread", _api(_thread))
    app.router.add_get(f"{api}/thread/draft", _api(_thread_draft))
    app.router.add_get(f"{api}/stats", _api(_stats))


def _api(
    handler: ApiHandler, *, authorized: bool = True, unsafe: bool = False
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap an API handler: the gate first (``authorized``), the forgery checks for ``unsafe`` methods."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        console = request.app[CONSOLE_KEY]
        if authorized:
            console.auth.authorize(request)
        if unsafe:
            console.auth.check_not_forged(request)
        response = await handler(console, request)
        response.headers.update(API_HEADERS)
        return response

    return wrapped


# --- the page ------------------------------------------------------------------------------------


async def _page(_: web.Request) -> web.FileResponse:
    # The page holds no data; everything it shows comes from the API, behind the gate.
    return web.FileResponse(
        STATIC / "console.html", headers={**PAGE_HEADERS, "Content-Type": "text/html; charset=utf-8"}
    )


async def _asset(request: web.Request) -> web.FileResponse:
    name = request.path.rsplit("/", 1)[1]
    return web.FileResponse(STATIC / name, headers={**PAGE_HEADERS, "Content-Type": ASSETS[name]})


# --- request parsing -----------------------------------------------------------------------------


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON object sent (``{}`` for an empty body); 400 for anything else, 413 when too big."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _too_large(request.content_length)
    raw = await request.read()  # bounded by the application's client_max_size as well (chunked bodies)
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large(len(raw))
    if not raw.strip():
        return {}
    try:
        # NUL and lone surrogates cannot be stored: cleaned here. Too deep a body is refused.
        body = storable_json(json.loads(raw.decode("utf-8")))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested too deep
        raise json_error(web.HTTPBadRequest, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise json_error(web.HTTPBadRequest, "the body must be a JSON object")
    return body


def _too_large(size: int) -> web.HTTPRequestEntityTooLarge:
    message = json.dumps({"error": f"a console request body is at most {MAX_BODY_BYTES} bytes"})
    return web.HTTPRequestEntityTooLarge(
        max_size=MAX_BODY_BYTES, actual_size=size, text=message, content_type="application/json"
    )


def _id(request: web.Request) -> int:
    return int(request.match_info["id"])


def _int_query(request: web.Request, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise json_error(web.HTTPBadRequest, f"'{name}' must be a whole number from {low} to {high}")
    return int(raw)


# --- session -------------------------------------------------------------------------------------


async def _session(console: Console, _: web.Request) -> web.Response:
    return _json({"authenticated": True, "token_required": console.auth.token is not None})


async def _login(console: Console, request: web.Request) -> web.Response:
    if console.auth.token is None:
        raise json_error(web.HTTPBadRequest, "this console has no token (local mode): no login is needed")
    token = (await _body(request)).get("token")
    if not isinstance(token, str) or not token:
        raise json_error(web.HTTPBadRequest, "'token' must be a non-empty string")
    if not console.auth.check_token(request, token):  # throttled per client, logged once per burst
        raise json_error(web.HTTPUnauthorized, "wrong console token")
    response = _json({"authenticated": True, "token_required": True})
    # Behind a TLS proxy the app sees plain HTTP; the proxy's header says what the browser used.
    secure = request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"
    response.set_cookie(
        COOKIE,
        console.auth.session_value(),
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=secure,
    )
    return response


async def _logout(_: Console, __: web.Request) -> web.Response:
    response = _json({"authenticated": False})
    response.del_cookie(COOKIE, path="/")
    return response


# --- review queue --------------------------------------------------------------------------------


async def _review(console: Console, _: web.Request) -> web.Response:
    return _json({"items": await console.call(review_items)})


async def _resolve(console: Console, request: web.Request) -> web.Response:
    await _body(request)  # a malformed body is refused even where no field is read
    item_id = _id(request)
    await console.call(KnowledgeBase.resolve_review, console_actor(), item_id)
    return _json({"resolved": item_id})


# --- FAQ entries ---------------------------------------------------------------------------------


def _entry_json(entry: FaqEntry, now: datetime) -> dict[str, Any]:
    data = entry.to_json(now)
    # Only a published entry is suggested, so only there does a stale verification matter.
    data["review_due"] = entry.status == FaqStatus.PUBLISHED and entry.review_due(now)
    return data


def _editor(kb: KnowledgeBase, editor: str | None) -> str | None:
    """A history line's editor (``platform:id``), hidden when that person opted out of being named."""
    if editor is None:
        return None
    platform, sep, person_id = editor.partition(":")
    if sep and platform in {"slack", "teams"} and kb.is_opted_out(platform, person_id):
        return None
    return editor


def _editor_name(kb: KnowledgeBase, editor: str | None) -> str | None:
    """Who made a change, as a reader names them: the person (and organisation) for a chat platform's
    member, the console or the command line for the operators; ``None`` when hidden or unknown."""
    if editor is None:
        return None
    platform, _, person_id = editor.partition(":")
    if platform in {"slack", "teams"}:
        return kb.person_name(platform, person_id)
    return {"cli:console": "console", "cli:operator": "command line"}.get(editor, editor)


def _faq_detail(kb: KnowledgeBase, faq_id: int, now: datetime) -> dict[str, Any]:
    data = _entry_json(kb.faq_get(faq_id), now)
    history = []
    for version in kb.faq_history(faq_id):
        line = version.to_json()
        line["editor"] = _editor(kb, version.editor)
        line["editor_name"] = _editor_name(kb, line["editor"])
        history.append(line)
    data["history"] = history
    return data


def _faq_entries(kb: KnowledgeBase, status: FaqStatus | None, due: bool, now: datetime) -> list[dict[str, Any]]:
    entries = kb.faq_due_for_review(now) if due else kb.faq_list(status)
    return [_entry_json(e, now) for e in entries]


async def _faq_list(console: Console, request: web.Request) -> web.Response:
    raw = request.query.get("status") or None
    if raw is not None and raw not in {str(s) for s in FaqStatus}:
        raise json_error(web.HTTPBadRequest, f"'status' is one of {', '.join(FaqStatus)}, not {raw!r}")
    due = request.query.get("due", "") in {"1", "true", "yes"}
    now = datetime.now(UTC)
    entries = await console.call(_faq_entries, FaqStatus(raw) if raw else None, due, now)
    return _json({"entries": entries})


def _fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The entry's editable fields from a request body; 400 with the field's name when one is wrong."""
    out: dict[str, Any] = {}
    for name in ("question", "answer"):
        value = body.get(name)
        if value is None and not creating:
            continue
        if not isinstance(value, str) or not value.strip():
            raise json_error(web.HTTPBadRequest, f"'{name}' must be a non-empty string")
        out[name] = value
    tags = body.get("tags")
    if tags is not None or creating:
        if tags is None:
            tags = []
        if isinstance(tags, str):
            tags = [tags]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise json_error(web.HTTPBadRequest, "'tags' must be a list of strings (or one string, split at ;)")
        out["tags"] = tags
    days = body.get("review_interval_days")
    if days is not None or creating:
        days = DEFAULT_REVIEW_DAYS if days is None else days
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            raise json_error(web.HTTPBadRequest, f"'review_interval_days' must be a whole number from 1 to {MAX_DAYS}")
        out["review_interval_days"] = days
    return out


def _verifier(body: dict[str, Any]) -> str | None:
    name = body.get("verified_by")
    if name is None or name == "":
        return None
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_VERIFIER_CHARS:
        raise json_error(web.HTTPBadRequest, f"'verified_by' must be a name of 1 to {MAX_VERIFIER_CHARS} characters")
    return name.strip()


def _create_entry(
    kb: KnowledgeBase, fields: dict[str, Any], source: str | None, publish: bool, verifier: str | None
) -> FaqEntry:
    entry = kb.faq_create(console_actor(), source_thread=source, publish=publish, **fields)
    if publish:  # publishing from the console is checking it, as in the chat dialogs
        entry = kb.faq_verify(console_actor(verifier), entry.id)
    return entry


async def _faq_create(console: Console, request: web.Request) -> web.Response:
    """A new entry (a draft, or published and verified with ``publish``), perhaps from a thread."""
    body = await _body(request)
    fields = _fields(body, creating=True)
    source = body.get("source_thread")
    if source is not None and (not isinstance(source, str) or len(source) > MAX_KEY_CHARS):
        raise json_error(web.HTTPBadRequest, "'source_thread' must name a thread as platform:channel:root")
    publish = body.get("publish", False)
    if not isinstance(publish, bool):
        raise json_error(web.HTTPBadRequest, "'publish' must be true or false")
    entry = await console.call(_create_entry, fields, source or None, publish, _verifier(body))
    return _json(_entry_json(entry, datetime.now(UTC)), status=201)


async def _faq_edit(console: Console, request: web.Request) -> web.Response:
    """Change an entry's question, answer, tags or review interval (a new version; nothing when unchanged)."""
    fields = _fields(await _body(request), creating=False)
    if not fields:
        raise json_error(web.HTTPBadRequest, "send at least one of question, answer, tags, review_interval_days")
    entry = await console.call(KnowledgeBase.faq_edit, console_actor(), _id(request), **fields)
    return _json(_entry_json(entry, datetime.now(UTC)))


async def _faq_show(console: Console, request: web.Request) -> web.Response:
    return _json(await console.call(_faq_detail, _id(request), datetime.now(UTC)))


async def _faq_status(console: Console, request: web.Request) -> web.Response:
    body = await _body(request)
    raw = body.get("status")
    if raw not in {str(s) for s in FaqStatus}:
        raise json_error(web.HTTPBadRequest, f"'status' must be one of {', '.join(FaqStatus)}")
    # A retired entry is hidden from suggestions at once; a published one is embedded by the background
    # indexer (or the next question's catch-up), as entries published from Teams or Slack are.
    entry = await console.call(KnowledgeBase.faq_set_status, console_actor(), _id(request), FaqStatus(raw))
    return _json(_entry_json(entry, datetime.now(UTC)))


async def _faq_verify(console: Console, request: web.Request) -> web.Response:
    actor = console_actor(_verifier(await _body(request)))
    entry = await console.call(KnowledgeBase.faq_verify, actor, _id(request))
    return _json(_entry_json(entry, datetime.now(UTC)))


# --- insights ------------------------------------------------------------------------------------


async def _insights(console: Console, request: web.Request) -> web.Response:
    days = _int_query(request, "days", 90, low=1, high=MAX_DAYS)
    report = await console.call(KnowledgeBase.insights, days=days)
    return _json(report.to_json())


# --- whole threads, counts -------------------------------------------------------------------------


def _thread_key(request: web.Request) -> tuple[str, str, str]:
    key = request.query.get("key", "")
    if not key or len(key) > MAX_KEY_CHARS:
        raise json_error(web.HTTPBadRequest, "'key' must name a thread as platform:channel:root")
    try:
        return parse_thread_key(key)
    except InvalidInput as exc:
        raise json_error(web.HTTPBadRequest, str(exc)) from None


async def _thread(console: Console, request: web.Request) -> web.Response:
    """A whole thread: the question, every reply with author and organisation, reactions, the accepted mark.

    Public threads only: what the console may show of private channels is decided with the knowledge
    base's access rule (the same :class:`Scope` check as suggestions), not here."""
    platform, channel_id, root_id = _thread_key(request)
    detail = await console.call(KnowledgeBase.thread, platform, channel_id, root_id, scope=Scope.public())
    return _json(detail.to_json())


async def _thread_draft(console: Console, request: web.Request) -> web.Response:
    """An FAQ entry drafted from a thread: its question and best answer (or the entry made from it already)."""
    platform, channel_id, root_id = _thread_key(request)
    # Only what the console may read becomes a draft.
    await console.call(KnowledgeBase.thread, platform, channel_id, root_id, scope=Scope.public())
    draft = await console.call(KnowledgeBase.faq_draft, console_actor(), platform, channel_id, root_id)
    return _json(
        {
            "question": draft.question,
            "answer": draft.answer,
            "tags": list(draft.tags),
            "source_thread": draft.source_thread,
            "faq_id": draft.faq_id,
            "status": str(draft.status) if draft.status else None,
        }
    )


async def _stats(console: Console, _: web.Request) -> web.Response:
    """The same counts as ``yorozu stats`` and ``/healthz``, each with what it counts."""
    stats = await console.call(KnowledgeBase.stats)
    return _json({"stats": stats.to_json(), "meaning": {"ja": Stats.meanings("ja"), "en": Stats.meanings("en")}})
