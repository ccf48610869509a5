"""The local web chat: a page where a person types a question and sees the suggestions.

Served only on loopback (``yorozu demo``, ``yorozu serve --local``): it has no login, so it answers with
public threads only.
"""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from bot.service import KnowledgeService
from knowledge.errors import InvalidQuestion
from knowledge.search import MAX_QUESTION_CHARS

STATIC = Path(__file__).with_name("static")
SERVICE = web.AppKey("web_service", KnowledgeService)


def mount(app: web.Application, service: KnowledgeService) -> None:
    app[SERVICE] = service
    app.router.add_get("/", _index)
    app.router.add_post("/api/ask", _ask)
    app.router.add_post("/api/who", _who)


async def _index(_: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def _read_text(request: web.Request, field: str) -> str:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(reason="send JSON (Content-Type: application/json)")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(reason="the body is not valid JSON") from None
    value = body.get(field) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise web.HTTPBadRequest(reason=f"'{field}' must be a non-empty string")
    if len(value) > MAX_QUESTION_CHARS * 4:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_QUESTION_CHARS * 4, actual_size=len(value))
    return value


async def _ask(request: web.Request) -> web.Response:
    question = await _read_text(request, "question")
    try:
        result = await request.app[SERVICE].suggest(question)
    except InvalidQuestion as exc:
        raise web.HTTPBadRequest(reason=str(exc)) from None
    return web.json_response(result.to_json(), dumps=_dumps)


async def _who(request: web.Request) -> web.Response:
    topic = await _read_text(request, "topic")
    try:
        experts = await request.app[SERVICE].experts(topic)
    except InvalidQuestion as exc:
        raise web.HTTPBadRequest(reason=str(exc)) from None
    return web.json_response({"topic": topic, "experts": [e.to_json() for e in experts]}, dumps=_dumps)


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)
