"""The web chat: a page where a person asks as in chat and reads the answers in full.

Served in local mode (``yorozu demo``, ``yorozu serve --local``) on loopback without a login, and on a
deployment that sets ``YOROZU_WEB_CHAT`` for members behind the console's guard (the console's token or
the session its login form sets; :mod:`bot.web.console_auth`). Either way it shows public threads only.

Typed text is understood as in chat (``bot.interactions.parse_command``): a question, ``who <テーマ>``,
``help``; only questions are searched and logged (so ``help`` is never a knowledge gap). The
buttons feed the same records as the chat platforms' buttons: 解決した and 役に立たなかった are feedback
on a suggestion (platform ``web``; 役に立たなかった puts it in the specialists' review queue), and the
question they judge is the one logged when it was asked (the page carries its id). 専門家に聞く goes through
the chat platforms' use case (:func:`bot.interactions.ask_expert`) and is posted, by a job, in the
specialists' channel of each platform that has one configured: a web visitor has no platform of their own.

The page loads its script and style from files (no inline code): it works under a strict
Content-Security-Policy.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.errors import chat_message, http_status
from bot.interactions import CommandKind, ask_expert, parse_command
from bot.job_specs import WebAskExpert, expert_request_json
from bot.messages import Locale, text
from bot.replies import QuestionRef
from bot.service import KnowledgeService
from bot.settings import ConfigError, Settings
from bot.web.console_auth import HTTP_ERRORS, ConsoleAuth
from knowledge.base import KnowledgeBase
from knowledge.errors import InvalidInput, InvalidQuestion, KnowledgeError, NotFound
from knowledge.events import ChannelSeen
from knowledge.faq import parse_thread_key
from knowledge.model import Actor, ExpertRequest, FaqStatus, Scope, Verdict, Visibility
from knowledge.search import MAX_QUESTION_CHARS
from knowledge.text import normalize, safe_link, storable_json

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
SERVICE = web.AppKey("web_service", KnowledgeService)
# Where 専門家に聞く posts: (platform, channel id) of each specialists' channel a mounted platform can post in.
SPECIALISTS: web.AppKey[tuple[tuple[str, str], ...]] = web.AppKey("web_specialists")
# Platforms that post in a channel through the address kept from that channel's own activities (Teams'
# Bot Connector service URL): until Yorozu has received one there, it cannot post there.
POSTS_THROUGH_STORED_ADDRESS = frozenset({"teams"})
PLATFORM_NAMES = {"slack": "Slack", "teams": "Teams"}
# What the web chat records as the platform of its questions and feedback.
PLATFORM = "web"
# The web chat is one place of the community, public like its open channels: its questions and feedback
# are recorded (knowledge gaps, the review queue) as a public channel's would be.
WEB_CHANNEL = "chat"
WEB_CHANNEL_NAME = "ウェブチャット"
# The browser's own random id (kept in its local storage): one press per person and suggestion, as in chat.
VISITOR = re.compile(r"[A-Za-z0-9_-]{8,64}")
QUESTION_ID = re.compile(r"[0-9a-f]{32}")
MAX_KEY_CHARS = 600
ASSETS = {
    "dom.js": "text/javascript; charset=utf-8",
    "chat.js": "text/javascript; charset=utf-8",
    "chat.css": "text/css; charset=utf-8",
}
ASSET_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
# The page loads only its own script and style: no inline code, no other origin, never framed. With this,
# a stored link that is not http(s) could not run script even if the page set it as href.
PAGE_HEADERS = {
    **ASSET_HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def mount(app: web.Application, service: KnowledgeService, settings: Settings | None = None) -> None:
    """Add the page and its API; outside local mode every API request must pass the console's gate."""
    guard: ConsoleAuth | None = None
    if settings is not None and not settings.local:
        if not settings.console_token:
            raise ConfigError("the web chat outside local mode needs YOROZU_CONSOLE_TOKEN")
        guard = ConsoleAuth(settings.console_token)
    app[SERVICE] = service
    app[SPECIALISTS] = settings.specialists_channels if settings is not None else ()
    app.on_startup.append(_register_place)
    app.router.add_get("/", _index)
    for name in ASSETS:
        app.router.add_get(f"/static/{name}", _asset)
    app.router.add_post("/api/ask", _guarded(_ask, guard))
    app.router.add_post("/api/who", _guarded(_who, guard))
    app.router.add_get("/api/thread", _guarded(_thread, guard))
    app.router.add_get(r"/api/faq/{id:\d{1,18}}", _guarded(_faq, guard))
    app.router.add_post("/api/feedback", _guarded(_feedback, guard))
    app.router.add_post("/api/ask-expert", _guarded(_ask_expert, guard))


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _register_place(app: web.Application) -> None:
    await app[SERVICE].ingest(ChannelSeen(PLATFORM, WEB_CHANNEL, WEB_CHANNEL_NAME, Visibility.PUBLIC))


def _guarded(handler: Handler, guard: ConsoleAuth | None) -> Handler:
    """The handler behind the console's gate (401 without its token or session), when there is one."""
    if guard is None:
        return handler

    async def wrapped(request: web.Request) -> web.StreamResponse:
        guard.authorize(request)
        return await handler(request)

    return wrapped


async def _index(_: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={**PAGE_HEADERS, "Content-Type": "text/html; charset=utf-8"})


async def _asset(request: web.Request) -> web.FileResponse:
    name = request.path.rsplit("/", 1)[1]
    return web.FileResponse(STATIC / name, headers={**ASSET_HEADERS, "Content-Type": ASSETS[name]})


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise _refused(web.HTTPUnsupportedMediaType, "web_send_json")
    try:
        # A lone surrogate would fail the encoder and NUL the database: cleaned here, at the edge.
        body = storable_json(json.loads(await request.read()))
    except web.HTTPRequestEntityTooLarge:  # the application's client_max_size
        raise _refused(web.HTTPRequestEntityTooLarge, "web_question_too_long", max=MAX_QUESTION_CHARS * 4) from None
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested deeper than any request is
        raise _refused(web.HTTPBadRequest, "web_bad_json") from None
    if not isinstance(body, dict):
        raise _refused(web.HTTPBadRequest, "web_bad_json")
    return body


def _text(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise _refused(web.HTTPBadRequest, "web_empty_field", field=field)
    if len(value) > MAX_QUESTION_CHARS * 4:
        raise _refused(web.HTTPRequestEntityTooLarge, "web_question_too_long", max=MAX_QUESTION_CHARS * 4)
    return value


def _knowledge_refusal(exc: KnowledgeError) -> web.HTTPException:
    """A knowledge error as the HTTP error :mod:`bot.errors` names for it, said as a chat reply says it."""
    return HTTP_ERRORS[http_status(exc)](reason=chat_message(exc, Locale.JA))


async def _ask(request: web.Request) -> web.Response:
    """A message typed in the page, understood as in chat: a question, ``who <テーマ>`` or ``help``."""
    question = _text(await _body(request), "question")
    command = parse_command(question)
    service = request.app[SERVICE]
    try:
        if command.kind == CommandKind.WHO:
            experts = await service.run(KnowledgeBase.experts, command.text)
            return _json({"kind": "who", "topic": command.text, "experts": [e.to_json() for e in experts]})
        if command.kind != CommandKind.ASK:
            # help, and the commands that need a chat platform (on/off, optout, subscribe): the usage text.
            return _json({"kind": "help", "text": text("help", Locale.JA)})
        question_id = uuid.uuid4().hex
        result = await service.run(
            KnowledgeBase.suggest,
            command.text,
            scope=Scope(PLATFORM, WEB_CHANNEL),
            record=True,
            record_as=(PLATFORM, question_id),
        )
    except InvalidQuestion as exc:
        raise _knowledge_refusal(exc) from None
    return _json({"kind": "answer", "question_id": question_id, **result.to_json()})


async def _who(request: web.Request) -> web.Response:
    topic = _text(await _body(request), "topic")
    try:
        experts = await request.app[SERVICE].run(KnowledgeBase.experts, topic)
    except InvalidQuestion as exc:
        raise _knowledge_refusal(exc) from None
    return _json({"kind": "who", "topic": topic, "experts": [e.to_json() for e in experts]})


async def _thread(request: web.Request) -> web.Response:
    """A whole public thread (``?key=platform:channel:root``)."""
    key = request.query.get("key", "")
    if not key or len(key) > MAX_KEY_CHARS:
        raise _refused(web.HTTPBadRequest, "web_bad_thread_key")
    try:
        platform, channel_id, root_id = parse_thread_key(key)
        detail = await request.app[SERVICE].run(
            KnowledgeBase.thread, platform, channel_id, root_id, scope=Scope.public()
        )
    except InvalidInput as exc:
        raise _knowledge_refusal(exc) from None
    except NotFound:
        raise _refused(web.HTTPNotFound, "web_no_thread") from None
    return _json(detail.to_json())


async def _faq(request: web.Request) -> web.Response:
    """A published FAQ entry in full (drafts and retired entries are nobody's business here)."""
    faq_id = int(request.match_info["id"])
    try:
        entry = await request.app[SERVICE].run(KnowledgeBase.faq_get, faq_id)
    except NotFound:
        entry = None
    if entry is None or entry.status != FaqStatus.PUBLISHED:
        raise _refused(web.HTTPNotFound, "web_no_faq", id=faq_id)
    now = datetime.now(UTC)
    return _json(
        {
            "id": entry.id,
            "question": entry.question,
            "answer": entry.answer,
            "tags": list(entry.tags),
            "verified_by": entry.verified_by,
            "verified_at": entry.verified_at.isoformat() if entry.verified_at else None,
            "review_due": entry.review_due(now),
            "source_thread": entry.source_thread,
            "updated_at": entry.updated_at.isoformat(),
        }
    )


async def _feedback(request: web.Request) -> web.Response:
    """解決した / 役に立たなかった on one suggestion, as the chat platforms' buttons record it."""
    body = await _body(request)
    verdict_raw = body.get("verdict")
    if verdict_raw not in {str(v) for v in Verdict}:
        raise _refused(web.HTTPBadRequest, "web_bad_verdict", verdicts=", ".join(Verdict))
    visitor = body.get("visitor")
    if not isinstance(visitor, str) or not VISITOR.fullmatch(visitor):
        raise _refused(web.HTTPBadRequest, "web_bad_visitor")
    question_id = body.get("question_id")
    if not isinstance(question_id, str) or not QUESTION_ID.fullmatch(question_id):
        raise _refused(web.HTTPBadRequest, "web_bad_question_id")
    question = _text(body, "question")
    suggested = _text(body, "suggested_thread")
    try:
        parse_thread_key(suggested)
    except InvalidInput as exc:
        raise _knowledge_refusal(exc) from None
    await request.app[SERVICE].run(
        KnowledgeBase.record_feedback,
        platform=PLATFORM,
        channel_id=WEB_CHANNEL,
        question_message_id=question_id,
        question=question.strip()[:MAX_QUESTION_CHARS],
        suggested_thread=suggested,
        person_id=visitor,
        verdict=Verdict(verdict_raw),
    )
    return _json({"recorded": verdict_raw})


async def _ask_expert(request: web.Request) -> web.Response:
    """専門家に聞く: the question to the specialists' channel, by the rules, request and one post per question
    of a press in Slack or Teams; and, as before, the people who answered similar questions.

    The web chat is a public place (``web:chat``) and the visitor is its asker. One job per specialists'
    channel posts it; its key (the question, normalised) makes a repeat, by anyone, say it was already sent.
    Refusals are said in Japanese, the page's language.
    """
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        raise _refused(web.HTTPForbidden, "web_cross_site")
    body = await _body(request)
    question = body.get("question")
    if not isinstance(question, str) or not question.strip():
        raise _refused(web.HTTPBadRequest, "ask_expert_empty")
    if len(question) > MAX_QUESTION_CHARS * 4:
        raise _refused(web.HTTPRequestEntityTooLarge, "web_question_too_long", max=MAX_QUESTION_CHARS * 4)
    visitor = body.get("visitor")
    if visitor is not None and not (isinstance(visitor, str) and VISITOR.fullmatch(visitor)):
        raise _refused(web.HTTPBadRequest, "web_bad_visitor")
    question_id = body.get("question_id")
    if question_id is not None and not (isinstance(question_id, str) and QUESTION_ID.fullmatch(question_id)):
        raise _refused(web.HTTPBadRequest, "web_bad_question_id")
    service = request.app[SERVICE]
    configured = request.app[SPECIALISTS]
    targets = [(platform, channel) for platform, channel in configured if await _can_post(service, platform, channel)]
    outcome = await ask_expert(
        service,
        requester=Actor(PLATFORM, visitor or "anonymous"),
        question=question,
        ref=QuestionRef(PLATFORM, WEB_CHANNEL, question_id),
        specialists_channel=targets[0][1] if targets else None,
        ping_on={platform for platform, _ in targets},
    )
    sent: list[str] = []
    if isinstance(outcome, ExpertRequest):
        for platform, channel in targets:
            if await _enqueue_request(service, platform, channel, outcome):
                sent.append(platform)
        note = "ask_expert_web_sent" if sent else "ask_expert_already"
    elif outcome == "ask_expert_not_configured" and configured:
        note = "ask_expert_web_unreachable"
    elif outcome == "ask_expert_empty":
        raise _refused(web.HTTPBadRequest, outcome)
    else:
        note = outcome
    if sent:
        log.info("a web chat question was sent to the specialists' channel on %s", ", ".join(sent))
    try:
        experts = await service.run(KnowledgeBase.experts, question)
    except InvalidQuestion:
        raise _refused(web.HTTPBadRequest, "ask_expert_empty") from None
    named = sent or [platform for platform, _ in configured]
    message = text(note, Locale.JA, platforms="、".join(PLATFORM_NAMES.get(p, p) for p in named))
    return _json(
        {
            "kind": "ask_expert",
            "note": note,
            "message": message,
            "sent_to": sent,
            "topic": question,
            "experts": [e.to_json() for e in experts],
        }
    )


async def _can_post(service: KnowledgeService, platform: str, channel_id: str) -> bool:
    """Whether a job could post in this specialists' channel now."""
    if platform not in POSTS_THROUGH_STORED_ADDRESS:
        return True
    row = await service.run(KnowledgeBase.channel, platform, channel_id)
    if row is None or not row.reply_address:
        log.warning("the web chat cannot post in %s:%s yet: no activity was received there", platform, channel_id)
        return False
    return True


async def _enqueue_request(service: KnowledgeService, platform: str, channel: str, request: ExpertRequest) -> bool:
    """The job that posts ``request`` in ``platform``'s specialists' channel, pinging that platform's
    subscribers; ``False`` when this question was sent there already."""
    own = dataclasses.replace(request, subscribers=tuple(s for s in request.subscribers if s.platform == platform))
    spec = WebAskExpert.of(platform)(channel, expert_request_json(own))
    digest = hashlib.sha256(normalize(request.question).encode()).hexdigest()[:24]
    key = f"ask_expert:{PLATFORM}:{WEB_CHANNEL}:{platform}:{channel}:{digest}"
    return await service.enqueue(spec.kind, spec.to_payload(), key=key)


def _refused(cls: type[web.HTTPException], key: str, **params: object) -> web.HTTPException:
    """An HTTP error whose message (the JSON body's ``error``) is the Japanese text ``key``."""
    reason = text(key, Locale.JA, **params)
    if cls is web.HTTPRequestEntityTooLarge:
        return web.HTTPRequestEntityTooLarge(max_size=MAX_QUESTION_CHARS * 4, actual_size=0, reason=reason)
    return cls(reason=reason)


def _json(data: object) -> web.Response:
    return web.json_response(_safe_links(data), dumps=lambda d: json.dumps(d, ensure_ascii=False))


def _safe_links(data: object) -> object:
    """Every link the page is given (``url``, ``contact_url``, ...) only when it is http(s), else ``None``:
    the page sets them as ``href``, where a stored ``javascript:`` link would run."""
    if isinstance(data, dict):
        return {k: safe_link(v) if k.endswith("url") and v is not None else _safe_links(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_safe_links(v) for v in data]
    return data
