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

import aiohttp
from aiohttp import web
from botbuilder.core import InvokeResponse, MessageFactory, TurnContext, serializer_helper
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ConversationReference
from botframework.connector.auth import BotFrameworkAuthentication
from msrest.exceptions import DeserializationError, HttpOperationError

from bot import interactions
from bot.job_specs import (
    TeamsAskExpert,
    TeamsChannelInfo,
    TeamsSuggest,
    TeamsSyncTeam,
    TeamsWebAskExpert,
    expert_request_from_json,
)
from bot.jobs import JobHandler, PermanentJobError
from bot.messages import Locale, locale_from
from bot.replies import ExpertRequestReply, QuestionRef
from bot.service import KnowledgeService
from bot.settings import Secret, Settings
from bot.teams import cards, convert, msrest_retry
from bot.teams.auth import (
    LOGIN_HOST,
    AuthenticationUnavailable,
    Unauthorized,
    authenticate,
    build_authentication_with,
    build_credentials_factory,
    prefetch_token,
)
from bot.teams.clients import ReusingAuthentication
from bot.teams.graph import GraphClient, GraphError
from bot.teams.handler import (
    ASK_EXPERT_JOB,
    CHANNEL_INFO_JOB,
    FOLLOWUP_JOB,
    SUGGEST_JOB,
    SYNC_TEAM_JOB,
    YorozuTeamsBot,
    card_message,
    channel_info_key,
    thread_conversation_id,
)
from bot.teams.tokens import ClientCredentialsTokens
from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.model import Visibility
from knowledge.text import storable_json

log = logging.getLogger(__name__)

ROUTE = "/api/messages"
GRAPH_TIMEOUT = aiohttp.ClientTimeout(total=60)


class TeamsEndpoint:
    """The Bot Framework endpoint and the jobs that reply through the Bot Connector."""

    def __init__(self, settings: Settings, service: KnowledgeService) -> None:
        self.settings = settings
        self.service = service
        self.app_id = settings.microsoft_app_id or ""
        self.credentials = build_credentials_factory(settings)
        # Connector and user-token clients made once, not twice per activity (bot/teams/clients.py).
        self.auth: BotFrameworkAuthentication = ReusingAuthentication(
            build_authentication_with(settings, self.credentials)
        )
        self.adapter = CloudAdapter(self.auth)
        # Graph lookups need the app's own secret (client credentials); a managed identity or local mode
        # has none, and its channels of unknown membership simply stay private.
        self.graph_credentials = bool(
            settings.microsoft_app_id
            and settings.microsoft_app_password
            and settings.microsoft_app_type != "UserAssignedMSI"
        )
        self._graph_tokens: dict[str, ClientCredentialsTokens] = {}
        self.bot = YorozuTeamsBot(
            service, look_up_channels=self.graph_credentials, specialists_channel=settings.teams_specialists_channel
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(reason="send the activity as application/json")
        header = request.headers.get("Authorization")
        if self.app_id and not header:
            raise web.HTTPUnauthorized(reason="missing Authorization header")
        raw = await request.read()
        try:
            # Text no database stores (NUL, lone surrogates) is cleaned here, before anything reads it.
            body = storable_json(json.loads(raw))
        except (ValueError, RecursionError):  # RecursionError, ValueError: nested deeper than any activity
            raise web.HTTPBadRequest(reason="the body is not JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(reason="the body is not an activity object")
        try:
            activity = Activity().deserialize(body)
        except (DeserializationError, ValueError, TypeError, AttributeError, RecursionError):
            raise web.HTTPBadRequest(reason="the body is not a Bot Framework activity") from None
        try:
            auth = await authenticate(
                self.auth,
                activity,
                header,
                required=bool(self.app_id),
                timeout=self.settings.teams_auth_timeout.total_seconds(),
            )
        except Unauthorized:
            raise web.HTTPUnauthorized(reason="not authenticated") from None
        except AuthenticationUnavailable:
            raise web.HTTPServiceUnavailable(
                reason="the request could not be authenticated now, retry", headers={"Retry-After": "30"}
            ) from None
        problem = _shape_problem(activity)
        if problem:
            raise web.HTTPBadRequest(reason=problem)
        try:
            response = await self.adapter.process_activity(auth, activity, self.bot.on_turn)
        except convert.NotConvertible as exc:
            raise web.HTTPBadRequest(reason=f"malformed activity: {exc}") from None
        except (DeserializationError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            if activity.type != "invoke":
                raise
            # botbuilder reads an invoke's value into its models and fails on any other shape: that is
            # the sender's mistake (Teams never sends such a value), not the server's.
            log.info("malformed %s invoke refused: %s", activity.name, type(exc).__name__)
            raise web.HTTPBadRequest(reason="the invoke's value is malformed") from None
        if isinstance(response, InvokeResponse) and response.status == 501:
            # botbuilder's answer to an invoke no handler takes (an unknown name): the sender's mistake too.
            raise web.HTTPBadRequest(reason=f"unsupported invoke {activity.name!r}")
        if isinstance(response, InvokeResponse):
            body = response.body
            # botbuilder hands back some invoke bodies already serialized (a dict), others as models.
            status = int(response.status or 200)
            try:
                payload = body if body is None or isinstance(body, dict | list | str) else serializer_helper(body)
            except Exception:
                if status < 400:
                    raise
                # botbuilder's own refusal of a malformed Adaptive Card action carries a Python exception
                # as its value, which its serializer cannot write (botbuilder 4.17): say it plainly.
                payload = {"error": "the invoke's value is malformed"}
            return web.json_response(payload, status=status)
        return web.Response(status=200)

    # --- jobs --------------------------------------------------------------------------------------

    async def suggest_job(self, payload: dict[str, Any]) -> None:
        """Suggest past threads under a new question, in its thread; silent when nothing is good enough."""
        job = TeamsSuggest.from_payload(payload)
        channel_id, message_id, question = job.channel_id, job.message_id, job.question
        ref = QuestionRef(convert.PLATFORM, channel_id, message_id)

        async def locale() -> Locale:
            return locale_from(job.locale)

        reply = await interactions.automatic_suggestions(self.service, question, ref, locale)
        if reply is None:
            log.debug("no suggestion for %s/%s (switched off, or nothing confident)", channel_id, message_id)
            return
        card = cards.render_suggestions(reply)
        reference = _thread_reference(job.reference, message_id)

        async def send(turn_context: TurnContext) -> None:
            # The continuation activity has a made-up id; the reply must name the thread's root instead.
            turn_context.activity.id = message_id
            await turn_context.send_activity(card_message(card))

        await self._continue(reference, send)

    async def followup_job(self, payload: dict[str, Any]) -> None:
        """A question nobody answered for a day: one post in its thread naming people who answered similar
        ones (only subscribers are pinged); nothing when it was answered, deleted, or nobody is known."""
        reply = await interactions.followup_reply(
            self.service, convert.PLATFORM, str(payload["channel_id"]), str(payload["root_id"]), Locale.JA
        )
        if reply is None:
            return
        channel_id, root_id = str(payload["channel_id"]), str(payload["root_id"])
        reference = await self._stored_reference(channel_id, root_id)
        card = cards.render_followup(reply)

        async def send(turn_context: TurnContext) -> None:
            turn_context.activity.id = root_id  # the reply names the thread's root (see suggest_job)
            await turn_context.send_activity(card_message(card))

        await prefetch_token(self.credentials)
        await self._continue(reference, send)

    async def ask_expert_job(self, payload: dict[str, Any]) -> None:
        """専門家に聞く: post the question as a new thread in the specialists' channel, pinging subscribers."""
        job = TeamsAskExpert.from_payload(payload)
        request = expert_request_from_json(job.request, convert.PLATFORM)
        card = cards.render_expert_request(ExpertRequestReply(request, locale_from(job.locale)))
        reference = ConversationReference().deserialize(job.reference)
        if reference.conversation is None:
            raise PermanentJobError("the stored conversation reference has no conversation")
        # A message to a channel's own conversation id starts a new thread there.
        reference.conversation.id = job.channel_id
        reference.conversation.conversation_type = "channel"
        reference.activity_id = None

        async def send(turn_context: TurnContext) -> None:
            # No activity to reply to: without an id the card is sent to the conversation, a new post.
            turn_context.activity.id = None
            await turn_context.send_activity(card_message(card))

        await prefetch_token(self.credentials)
        await self._continue(reference, send)

    async def web_ask_expert_job(self, payload: dict[str, Any]) -> None:
        """専門家に聞く from the web chat: the request as a new thread in the specialists' channel, reached
        through the address stored from the channel's own activities (there is no press to answer)."""
        job = TeamsWebAskExpert.from_payload(payload)
        request = expert_request_from_json(job.request, convert.PLATFORM)
        # The specialists' channel reads the community's language.
        card = cards.render_expert_request(ExpertRequestReply(request, Locale.JA))
        reference = await self._stored_reference(job.channel, None)

        async def send(turn_context: TurnContext) -> None:
            turn_context.activity.id = None  # a new post, not a reply (see ask_expert_job)
            await turn_context.send_activity(card_message(card))

        await prefetch_token(self.credentials)
        await self._continue(reference, send)

    async def _stored_reference(self, channel_id: str, root_id: str | None) -> ConversationReference:
        """How to post in a channel without an activity to answer: a reply in thread ``root_id``, or a new
        post (``None``), through the Bot Connector address kept from the channel's latest activity."""
        channel = await self.service.run(KnowledgeBase.channel, convert.PLATFORM, channel_id)
        address = _address(channel.reply_address if channel else None)
        if address is None:
            raise PermanentJobError(f"no Bot Connector address is known for channel {channel_id}")
        conversation_id = address.get("conversation_id") or channel_id
        return ConversationReference(
            activity_id=root_id,
            bot=ChannelAccount(id=f"28:{self.app_id}", name="Yorozu"),
            channel_id="msteams",
            conversation=ConversationAccount(
                id=thread_conversation_id(conversation_id, root_id) if root_id else conversation_id,
                conversation_type="channel",
                is_group=True,
                tenant_id=address.get("tenant_id"),
            ),
            service_url=address["service_url"],
        )

    async def sync_team_job(self, payload: dict[str, Any]) -> None:
        """Register a team's channels (on install), or follow a team archive/unarchive/delete to channels
        the Bot Connector lists that the store did not know under the team (the handler did the rest)."""
        job = TeamsSyncTeam.from_payload(payload)
        team_id, reason = job.team_id, job.reason
        reference = ConversationReference().deserialize(job.reference)
        channels: list[tuple[str, str | None, str | None]] = []

        async def list_channels(turn_context: TurnContext) -> None:
            client = await TeamsInfo.get_teams_connector_client(turn_context)
            # TeamsInfo.get_team_channels calls botbuilder's synchronous Teams client on the event loop
            # (botbuilder 4.17); the same call from a worker thread keeps the loop free.
            listing = await asyncio.to_thread(client.teams.get_teams_channels, team_id)
            for channel in listing.conversations or []:
                channels.append((channel.id, channel.name, getattr(channel, "type", None)))

        try:
            await prefetch_token(self.credentials)
            await self._continue(reference, list_channels)
        except PermanentJobError:
            if reason not in convert.TEAM_EVENTS:
                raise
            return  # a deleted team (or one the bot left) cannot be listed; its stored channels were handled
        for channel_id, name, membership in channels:
            team_event = convert.team_channel_event(reason, channel_id)
            if team_event is not None:
                await self.service.ingest(team_event)
                continue
            visibility = convert.membership_visibility(membership)
            if channel_id == team_id:
                visibility = Visibility.PUBLIC  # General: always standard
            known = await self.service.run(KnowledgeBase.channel, convert.PLATFORM, channel_id)
            # As of 2025 the Bot Connector names every channel but General, whose id is the team's.
            place = convert.Where(
                kind="channel",
                channel_id=channel_id,
                conversation_id=channel_id,
                thread_root=None,
                team_id=team_id,
                team_group_id=job.team_group_id,
                tenant_id=job.tenant_id,
                channel_name=name or ("General" if channel_id == team_id else None),
                visibility=visibility,
            )
            seen = convert.channel_seen(place, known)
            if seen is not None:
                await self.service.ingest(seen)
            if visibility is None and self.graph_credentials:
                lookup = job.channel_info(channel_id).job(key=channel_info_key(channel_id))
                await self.service.enqueue(lookup.kind, lookup.payload, key=lookup.key)

    async def channel_info_job(self, payload: dict[str, Any]) -> None:
        """Ask Graph whether a channel is standard, private or shared, and store the answer.

        Until it answers, the channel is stored private (only suggested inside itself). Graph names a team
        by its Entra group id; channel activities carry only the team's thread id, so the group id comes
        from the Bot Connector's team details when the activity did not name it.
        """
        job = TeamsChannelInfo.from_payload(payload)
        channel_id, team_id = job.channel_id, job.team_id
        group_id = job.team_group_id or await self._team_group_id(job)
        tokens = self._graph_tokens_for(job.tenant_id)
        async with aiohttp.ClientSession(timeout=GRAPH_TIMEOUT) as session:
            client = GraphClient(session, tokens, base_url=self.settings.graph_url)
            try:
                channel = await client.channel(group_id, channel_id)
            except GraphError as exc:
                if exc.status in (403, 404):
                    # No consent to ChannelSettings.Read.Group, or the channel is gone: it stays private.
                    raise PermanentJobError(str(exc)) from exc
                raise
        visibility = convert.membership_visibility(channel.membership)
        if visibility is None:
            raise PermanentJobError(f"Graph names channel {channel_id} {channel.membership!r}: kept private")
        known = await self.service.run(KnowledgeBase.channel, convert.PLATFORM, channel_id)
        await self.service.ingest(
            ev.ChannelSeen(
                convert.PLATFORM,
                channel_id,
                channel.name,
                visibility,
                workspace_id=team_id,
                archived=known.archived if known else False,
            )
        )

    async def _team_group_id(self, job: TeamsChannelInfo) -> str:
        team_id = job.team_id
        reference = ConversationReference().deserialize(job.reference)
        found: list[str] = []

        async def team_details(turn_context: TurnContext) -> None:
            client = await TeamsInfo.get_teams_connector_client(turn_context)
            details = await asyncio.to_thread(client.teams.get_team_details, team_id)
            if details is not None and details.aad_group_id:
                found.append(str(details.aad_group_id))

        await prefetch_token(self.credentials)
        await self._continue(reference, team_details)
        if not found:
            raise PermanentJobError(f"the Bot Connector did not name the Entra group of team {team_id}")
        return found[0]

    def _graph_tokens_for(self, tenant_id: str | None) -> ClientCredentialsTokens:
        """App-only Graph tokens from the tenant the team lives in (a multi-tenant bot serves several)."""
        url = self.settings.graph_token_url
        if not url:
            tenant = tenant_id or self.settings.microsoft_app_tenant_id
            if not tenant:
                raise PermanentJobError("no tenant id to get a Graph token from")
            url = f"{LOGIN_HOST}/{tenant}/oauth2/v2.0/token"
        if url not in self._graph_tokens:
            self._graph_tokens[url] = ClientCredentialsTokens(
                token_url=url,
                client_id=self.settings.microsoft_app_id or "",
                client_secret=self.settings.microsoft_app_password or Secret(""),
            )
        return self._graph_tokens[url]

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
        return {
            SUGGEST_JOB: self.suggest_job,
            SYNC_TEAM_JOB: self.sync_team_job,
            CHANNEL_INFO_JOB: self.channel_info_job,
            FOLLOWUP_JOB: self.followup_job,
            ASK_EXPERT_JOB: self.ask_expert_job,
            TeamsWebAskExpert.kind: self.web_ask_expert_job,
        }


def _address(raw: str | None) -> dict[str, Any] | None:
    """A channel's stored reply address (``convert.reply_address``), or ``None`` when unknown or unusable."""
    try:
        address = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(address, dict) or not isinstance(address.get("service_url"), str):
        return None
    return address


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
    if activity.type == "invoke" and not (isinstance(activity.name, str) and activity.name):
        return "invoke without a name"
    if activity.type in ("message", "messageUpdate", "messageDelete", "messageReaction", "conversationUpdate"):
        if activity.conversation is None or not activity.conversation.id:
            return "activity without a conversation"
        if activity.type != "conversationUpdate" and not activity.id:
            return "activity without an id"
    return None


def mount(app: web.Application, settings: Settings, service: KnowledgeService) -> Mapping[str, JobHandler]:
    """Add ``POST /api/messages``; returns the Teams job handlers."""
    msrest_retry.apply()
    endpoint = TeamsEndpoint(settings, service)
    app.router.add_post(ROUTE, endpoint.handle)
    return endpoint.job_handlers()


__all__ = ["ROUTE", "MessageFactory", "TeamsEndpoint", "mount"]
