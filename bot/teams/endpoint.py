"""``POST /api/messages``: parse, authenticate (401 on any failure), run the activity handler.

Requests are checked in this order: size (413, aiohttp's own limit), content type (415), JSON (400),
the ``Authorization`` header and token (401), the activity's shape (400). Conversion happens before
anything is stored, so a malformed activity leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from botbuilder.core import InvokeResponse, MessageFactory, TurnContext, serializer_helper
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ConversationReference
from botframework.connector.auth import BotFrameworkAuthentication
from msrest.exceptions import DeserializationError, HttpOperationError

from bot.jobs import JobHandler, PermanentJobError
from bot.messages import locale_from
from bot.replies import QuestionRef, SuggestionsReply
from bot.service import KnowledgeService
from bot.settings import Settings
from bot.teams import cards, convert
from bot.teams.auth import (
    Unauthorized,
    authenticate,
    build_authentication_with,
    build_credentials_factory,
    prefetch_token,
)
from bot.teams.handler import SUGGEST_JOB, SYNC_TEAM_JOB, YorozuTeamsBot, card_message, thread_conversation_id
from knowledge import events as ev
from knowledge.base import ExcludeThread
from knowledge.model import Scope

log = logging.getLogger(__name__)

ROUTE = "/api/messages"


class TeamsEndpoint:
    """The Bot Framework endpoint and the jobs that reply through the Bot Connector."""

    def __init__(self, settings: Settings, service: KnowledgeService) -> None:
        self.settings = settings
        self.service = service
        self.app_id = settings.microsoft_app_id or ""
        self.credentials = build_credentials_factory(settings)
        self.auth: BotFrameworkAuthentication = build_authentication_with(settings, self.credentials)
        self.adapter = CloudAdapter(self.auth)
        self.bot = YorozuTeamsBot(service)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(reason="send the activity as application/json")
        header = request.headers.get("Authorization")
        if self.app_id and not header:
            raise web.HTTPUnauthorized(reason="missing Authorization header")
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            raise web.HTTPBadRequest(reason="the body is not JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(reason="the body is not an activity object")
        try:
            activity = Activity().deserialize(body)
        except (DeserializationError, ValueError, TypeError, AttributeError):
            raise web.HTTPBadRequest(reason="the body is not a Bot Framework activity") from None
        try:
            auth = await authenticate(self.auth, activity, header, required=bool(self.app_id))
        except Unauthorized:
            raise web.HTTPUnauthorized(reason="not authenticated") from None
        problem = _shape_problem(activity)
        if problem:
            raise web.HTTPBadRequest(reason=problem)
        try:
            response = await self.adapter.process_activity(auth, activity, self.bot.on_turn)
        except convert.NotConvertible as exc:
            raise web.HTTPBadRequest(reason=f"malformed activity: {exc}") from None
        if isinstance(response, InvokeResponse):
            body = response.body
            # botbuilder hands back some invoke bodies already serialized (a dict), others as models.
            payload = body if body is None or isinstance(body, dict | list | str) else serializer_helper(body)
            return web.json_response(payload, status=response.status or 200)
        return web.Response(status=200)

    # --- jobs --------------------------------------------------------------------------------------

    async def suggest_job(self, payload: dict[str, Any]) -> None:
        """Suggest past threads under a new question, in its thread; silent when nothing is good enough."""
        channel_id, message_id, question = payload["channel_id"], payload["message_id"], payload["question"]
        await self.service.wait_indexed()
        result = await self.service.suggest(
            question,
            scope=Scope(convert.PLATFORM, channel_id),
            exclude=ExcludeThread(convert.PLATFORM, channel_id, message_id),
        )
        if result.abstained:
            log.debug("no confident suggestion for %s/%s", channel_id, message_id)
            return
        reply = SuggestionsReply(
            result,
            locale_from(payload.get("locale")),
            QuestionRef(convert.PLATFORM, channel_id, message_id),
            automatic=True,
        )
        card = cards.render_suggestions(reply)
        reference = _thread_reference(payload["reference"], message_id)

        async def send(turn_context: TurnContext) -> None:
            # The continuation activity has a made-up id; the reply must name the thread's root instead.
            turn_context.activity.id = message_id
            await turn_context.send_activity(card_message(card))

        await self._continue(reference, send)

    async def sync_team_job(self, payload: dict[str, Any]) -> None:
        """Register a team's channels (on install) or follow a team archive/unarchive/delete to each channel."""
        team_id, reason = payload["team_id"], payload.get("reason", "")
        reference = ConversationReference().deserialize(payload["reference"])
        channels: list[tuple[str, str | None]] = []

        async def list_channels(turn_context: TurnContext) -> None:
            client = await TeamsInfo.get_teams_connector_client(turn_context)
            # TeamsInfo.get_team_channels calls botbuilder's synchronous Teams client on the event loop
            # (botbuilder 4.17); the same call from a worker thread keeps the loop free.
            listing = await asyncio.to_thread(client.teams.get_teams_channels, team_id)
            for channel in listing.conversations or []:
                channels.append((channel.id, channel.name))

        try:
            await prefetch_token(self.credentials)
            await self._continue(reference, list_channels)
        except PermanentJobError:
            if reason != "teamDeleted":
                raise
            channels = [(team_id, None)]  # a deleted team cannot be listed; its General channel was handled
        for channel_id, name in channels:
            for event in _team_channel_events(channel_id, name, team_id, reason):
                await self.service.ingest(event)

    async def _continue(self, reference: ConversationReference, logic: Any) -> None:
        try:
            await self.adapter.continue_conversation(reference, logic, bot_app_id=self.app_id)
        except HttpOperationError as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (403, 404):
                # The bot was removed from the team or the conversation is gone: retrying cannot help.
                raise PermanentJobError(f"Bot Connector answered {status}") from exc
            raise

    def job_handlers(self) -> Mapping[str, JobHandler]:
        return {SUGGEST_JOB: self.suggest_job, SYNC_TEAM_JOB: self.sync_team_job}


def _team_channel_events(channel_id: str, name: str | None, team_id: str, reason: str) -> list[ev.Event]:
    if reason == "teamDeleted":
        return [ev.ChannelDeleted(convert.PLATFORM, channel_id)]
    if reason in ("teamArchived", "teamUnarchived"):
        return [ev.ChannelArchived(convert.PLATFORM, channel_id, reason == "teamArchived")]
    # As of 2025 the Bot Connector names every channel but General, whose id is the team's.
    return [ev.ChannelSeen(convert.PLATFORM, channel_id, name or "General", workspace_id=team_id)]


def _thread_reference(serialized: dict[str, Any], root_id: str) -> ConversationReference:
    reference = ConversationReference().deserialize(serialized)
    if reference.conversation is None or not reference.conversation.id:
        raise PermanentJobError("the stored conversation reference has no conversation")
    reference.conversation.id = thread_conversation_id(reference.conversation.id, root_id)
    reference.activity_id = root_id
    return reference


def _shape_problem(activity: Activity) -> str | None:
    """What makes an authenticated activity unusable, or ``None``."""
    if not activity.type:
        return "activity without a type"
    if activity.type in ("message", "messageUpdate", "messageDelete", "messageReaction", "conversationUpdate"):
        if activity.conversation is None or not activity.conversation.id:
            return "activity without a conversation"
        if activity.type != "conversationUpdate" and not activity.id:
            return "activity without an id"
    return None


def mount(app: web.Application, settings: Settings, service: KnowledgeService) -> Mapping[str, JobHandler]:
    """Add ``POST /api/messages``; returns the Teams job handlers."""
    endpoint = TeamsEndpoint(settings, service)
    app.router.add_post(ROUTE, endpoint.handle)
    return endpoint.job_handlers()


__all__ = ["ROUTE", "MessageFactory", "TeamsEndpoint", "mount"]
