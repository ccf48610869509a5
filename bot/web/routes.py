"""The local web chat: a page where a person types a question and sees the suggestions.

Served only on loopback (``yorozu demo``, ``yorozu serve --local``): it has no login, so it answers with
public threads only. The page runs only its own inline script and style (a Content-Security-Policy
naming their hashes), and every link it is given is http(s).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.service import KnowledgeService
from knowledge.errors import InvalidQuestion
from knowledge.search import MAX_QUESTION_CHARS
from knowledge.text import safe_link, storable

STATIC = Path(__file__).with_name("static")
SERVICE = web.AppKey("web_service", KnowledgeService)
_INLINE = {kind: re.compile(rf"<{kind}>(.*?)</{kind}>", re.DOTALL) for kind in ("script", "style")}


@functools.cache
def page_headers() -> dict[str, str]:
    """The page's headers: its inline ``<script>`` and ``<style>`` may run, nothing else (no other origin,
    no inline handler or ``javascript:`` link, no framing)."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")

    def hashes(kind: str) -> str:
        digests = (hashlib.sha256(block.encode("utf-8")).digest() for block in _INLINE[kind].findall(html))
        return " ".join(f"'sha256-{base64.b64encode(d).decode()}'" for d in digests)

    policy = (
        f"default-src 'none'; script-src 'self' {hashes('script')}; style-src 'self' {hashes('style')}; "
        "connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return {
        "Cache-Control": "no-store",
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


def mount(app: web.Application, service: KnowledgeService) -> None:
    app[SERVICE] = service
    app.router.add_get("/", _index)
    app.router.add_post("/api/ask", _ask)
    app.router.add_post("/api/who", _who)


async def _index(_: web.Request) -> web.FileResponse:
    return web.FileResponse(
        STATIC / "index.html", headers={**page_headers(), "Content-Type": "text/html; charset=utf-8"}
    )


async def _read_text(request: web.Request, field: str) -> str:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(reason="send JSON (Content-Type: application/json)")
    try:
        body = json.loads(await request.read())
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested deeper than any question is
        raise web.HTTPBadRequest(reason="the body is not valid JSON") from None
    value = body.get(field) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise web.HTTPBadRequest(reason=f"'{field}' must be a non-empty string")
    if len(value) > MAX_QUESTION_CHARS * 4:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_QUESTION_CHARS * 4, actual_size=len(value))
    return storable(value)  # a lone surrogate would fail the encoder; NUL means nothing in a question


async def _ask(request: web.Request) -> web.Response:
    question = await _read_text(request, "question")
    try:
        result = await request.app[SERVICE].suggest(question)
    except InvalidQuestion as exc:
        raise web.HTTPBadRequest(reason=str(exc)) from None
    return web.json_response(_safe_links(result.to_json()), dumps=_dumps)


def _safe_links(data: dict[str, Any]) -> dict[str, Any]:
    """Each suggestion's link only when it is http(s): the page sets it as ``href``."""
    for suggestion in data.get("suggestions", []):
        if isinstance(suggestion, dict) and "url" in suggestion:
            suggestion["url"] = safe_link(suggestion["url"])
    return data


async def _who(request: web.Request) -> web.Response:
    topic = await _read_text(request, "topic")
    try:
        experts = await request.app[SERVICE].experts(topic)
    except InvalidQuestion as exc:
        raise web.HTTPBadRequest(reason=str(exc)) from None
    return web.json_response({"topic": topic, "experts": [e.to_json() for e in experts]}, dumps=_dumps)


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)
