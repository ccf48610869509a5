"""The Slack bot: Bolt's ``AsyncApp`` with Yorozu's listeners, mounted on the project's aiohttp app.

The ack path only stores: a listener converts the event, hands it to the knowledge base (durably, in
the database), enqueues a job for whatever is slow (embedding, searching, replying) and returns, and
Bolt answers Slack. ``process_before_response=True`` makes Bolt send that answer only after the
listener has stored everything, so an acknowledged event is never lost; the job runner does the rest.

Retries and duplicate deliveries are recognised by ``event_id`` in the database, so they are dropped
across restarts and replicas too. The curation flows (FAQにする, 専門家に聞く, follow-ups) are in
:mod:`bot.slack.curation`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot import interactions
from bot.job_specs import SlackChannel, SlackCommand, SlackDirect, SlackFeedback, SlackPerson, SlackSuggest
from bot.jobs import JobHandler, PermanentJobError
from bot.logs import keep_text_out_of
from bot.service import KnowledgeService
from bot.settings import ConfigError, Settings
from bot.slack import blocks, convert, modals
from bot.slack.api import SlackApi, SlackCallFailed, as_job_error, build_client
from bot.slack.curation import Curation
from bot.slack.people import Directory
from bot.slack.replying import Replying
from bot.slack.scopes import COMMAND, SHORTCUTS, listener_event_types
from bot.slack.signing import check_shape, signed
from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.model import NewJob, Visibility
from knowledge.text import looks_like_question, storable_json

log = logging.getLogger(__name__)

PATH = "/slack/events"
PLATFORM = convert.PLATFORM

JOB_SUGGEST = SlackSuggest.kind
JOB_DIRECT = SlackDirect.kind
JOB_COMMAND = SlackCommand.kind
JOB_FEEDBACK = SlackFeedback.kind
JOB_PERSON = SlackPerson.kind
JOB_CHANNEL = SlackChannel.kind

Json = dict[str, Any]
Listener = Callable[..., Awaitable[None]]


class SlackBot:
    """Yorozu in one Slack workspace: the Bolt app, its listeners and the jobs that reply."""

    def __init__(self, *, settings: Settings, service: KnowledgeService) -> None:
        self.settings = settings
        self.service = service
        self.client = build_client(settings)
        self.api = SlackApi(self.client)
        self.directory = Directory(self.api, service)
        # Set by app_uninstalled / tokens_revoked: jobs stop sending instead of failing against Slack.
        self.revoked = False
        secret = settings.slack_signing_secret.reveal() if settings.slack_signing_secret else ""
        self._secret = secret.encode()
        self._requested_people: set[str] = set()
        self._requested_channels: set[str] = set()
        bolt_logger = logging.getLogger("bot.slack.bolt")
        # Bolt copies this logger's filters into each of its own: no body above DEBUG (bot.logs).
        keep_text_out_of(bolt_logger)
        self.bolt = AsyncApp(
            name="yorozu",
            logger=bolt_logger,
            # Credentials from settings only: the client carries the bot token, the secret is explicit.
            client=self.client,
            signing_secret=secret,
            process_before_response=True,
        )
        if self.bolt.oauth_flow is not None:
            # slack_bolt turns OAuth on by itself when SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are in the
            # environment, and then ignores the bot token. Yorozu is a single-workspace app: refuse.
            raise ConfigError("unset SLACK_CLIENT_ID/SLACK_CLIENT_SECRET: Yorozu uses SLACK_BOT_TOKEN only")
        self.curation = Curation(
            settings=settings,
            service=service,
            api=self.api,
            directory=self.directory,
            check_installed=self._check_installed,
            ensure_person=self._ensure_person,
        )
        self.replying = Replying(
            service=service, api=self.api, directory=self.directory, check_installed=self._check_installed
        )
        self._register()

    # --- wiring ------------------------------------------------------------------------------------

    def _register(self) -> None:
        handlers: dict[str, Listener] = {
            "message": self.on_message,
            "app_mention": self.on_app_mention,
            "reaction_added": self.on_reaction,
            "reaction_removed": self.on_reaction,
            "member_joined_channel": self.on_member_joined,
            "channel_rename": self.on_channel_changed,
            "group_rename": self.on_channel_changed,
            "channel_unarchive": self.on_channel_archive,
            "group_unarchive": self.on_channel_archive,
            "channel_archive": self.on_channel_archive,
            "group_archive": self.on_channel_archive,
            "channel_deleted": self.on_channel_deleted,
            "group_deleted": self.on_channel_deleted,
            "user_change": self.on_user_change,
            "app_uninstalled": self.on_revoked,
            "tokens_revoked": self.on_revoked,
        }
        # The registry in bot.slack.scopes is what the manifest is checked against: listen to exactly it.
        if set(handlers) != listener_event_types():
            raise AssertionError(
                f"listeners and bot.slack.scopes.EVENTS differ: {set(handlers) ^ listener_event_types()}"
            )
        self.bolt.middleware(self._storable_socket_text)
        for event_type, handler in handlers.items():
            self.bolt.event(event_type)(handler)
        self.bolt.command(COMMAND)(self.on_command)
        for action_id in blocks.FEEDBACK_ACTIONS:
            self.bolt.action(action_id)(self.on_feedback)
        self.bolt.action(blocks.ACTION_SHARE)(self.on_share)
        self.curation.register(self.bolt)
        # The manifest lists the shortcuts of bot.slack.scopes.SHORTCUTS: the curation listens to exactly them.
        if set(SHORTCUTS) != {modals.CALLBACK_SHORTCUT}:
            raise AssertionError(f"bot.slack.scopes.SHORTCUTS {set(SHORTCUTS)} differ from the listeners")

    async def _storable_socket_text(
        self, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        """Socket Mode envelopes do not pass :meth:`handle_http`: their unstorable text is cleaned here."""
        if req.mode == "socket_mode":
            try:
                req.body = storable_json(req.body)  # type: ignore[assignment]
            except ValueError:
                return BoltResponse(status=400, body="")
        return await next()

    def job_handlers(self) -> dict[str, JobHandler]:
        return {
            JOB_SUGGEST: self.replying.job_suggest,
            JOB_DIRECT: self.replying.job_direct,
            JOB_COMMAND: self.replying.job_command,
            JOB_FEEDBACK: self.replying.job_feedback,
            JOB_PERSON: self.job_person,
            JOB_CHANNEL: self.job_channel,
            **self.curation.job_handlers(),
        }

    # --- HTTP ----------------------------------------------------------------------------------------

    async def handle_http(self, request: web.Request) -> web.StreamResponse:
        """``POST /slack/events``: aiohttp request → Bolt request → ``async_dispatch`` → aiohttp response.

        The signature and its 5-minute window are checked over the raw bytes before anything reads the
        body: an unsigned request (a missing, malformed or stale timestamp included) is 401 and touches
        nothing, neither the store nor the receipts nor the logs. A signed body that cannot be parsed is
        400; Bolt checks the signature again as it always does. Text that no database can store (NUL,
        lone surrogates) is cleaned here, at the edge, so such an event is stored instead of failing on
        every retry.
        """
        raw = await request.read()
        if not signed(self._secret, raw, request.headers):
            log.info("Slack request refused: missing, stale or invalid signature (%d bytes)", len(raw))
            return web.json_response({"error": "invalid signature"}, status=401)
        try:
            bolt_request = AsyncBoltRequest(
                body=raw.decode("utf-8"), query=request.query_string, headers=dict(request.headers)
            )
            check_shape(bolt_request.body)
            bolt_request.body = storable_json(bolt_request.body)  # type: ignore[assignment]
            bolt_request.context = build_async_context(AsyncBoltContext({}), bolt_request.body)
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
            # RecursionError: JSON nested a thousand levels deep is no payload Slack sends.
            return web.json_response({"error": "malformed body"}, status=400)
        response: BoltResponse = await self.bolt.async_dispatch(bolt_request)
        if response.status == 404 and bolt_request.body.get("type") == "event_callback":
            # An event nobody listens to (member_left_channel, ...): a 404 would make Slack retry it.
            return web.Response(status=200)
        if response.status == 401:
            return web.json_response({"error": "invalid signature"}, status=401)
        if response.status >= 500:
            # Storing failed after the delivery was recorded (the database went away mid-event): forget
            # the receipt and ask Slack to retry, so the event is delayed, not lost. The request's
            # signature was verified above, so the event id is Slack's own.
            event_id = bolt_request.body.get("event_id")
            if isinstance(event_id, str) and event_id:
                with contextlib.suppress(Exception):
                    await self.service.run(KnowledgeBase.forget_delivery, f"slack:{event_id}")
            return web.json_response({"error": "temporarily unavailable, retry"}, status=503)
        return await to_aiohttp_response(response)

    # --- ack path: store, enqueue, return --------------------------------------------------------

    async def _first_delivery(self, body: Mapping[str, Any]) -> bool:
        """Record the delivery id alone, for events whose work is not stored with it; ``False`` for a
        retry or duplicate of an event already accepted (by any replica)."""
        return await self._accept(body, [], [])

    async def _accept(self, body: Mapping[str, Any], events: list[ev.Event], jobs: list[NewJob]) -> bool:
        """Store an event's delivery id, events and jobs in one transaction; ``False`` for a retry or
        duplicate of an event already accepted (by any replica)."""
        event_id = body.get("event_id")
        delivery = f"slack:{event_id}" if isinstance(event_id, str) and event_id else None
        if await self.service.accept(events, delivery=delivery, jobs=jobs) is None:
            log.info("event %s was already accepted (retry %s)", event_id, body.get("retry_attempt", "?"))
            return False
        return True

    def _channel_seen(self, channel_id: str, channel_type: str | None) -> ev.ChannelSeen | None:
        """A private channel's visibility, to store before its first message (which would create it as
        public), named by its id until ``conversations.info`` answers in the ``JOB_CHANNEL`` job."""
        visibility = convert.visibility_of(channel_type)
        if visibility is None or visibility == Visibility.PUBLIC:
            return None
        return ev.ChannelSeen(PLATFORM, channel_id, channel_id, visibility)

    def _channel_unknown(self, channel_id: str) -> bool:
        """Whether the channel's name and visibility are still to be asked of ``conversations.info``."""
        return not self.directory.knows_channel(channel_id) and channel_id not in self._requested_channels

    def _person_unknown(self, user_id: str | None) -> bool:
        """Whether the person's name and organisation are still to be asked of ``users.info``."""
        if not user_id:
            return False
        return not self.directory.knows_person(user_id) and user_id not in self._requested_people

    async def _ensure_channel(self, channel_id: str, channel_type: str | None) -> bool:
        """Register a channel's visibility (see :meth:`_channel_seen`); ``True`` when its name and
        visibility should be asked of ``conversations.info`` (:meth:`_learn_channel`)."""
        if not self._channel_unknown(channel_id):
            return False
        seen = self._channel_seen(channel_id, channel_type)
        if seen is not None:
            await self.service.ingest(seen)
        return True

    async def _learn_channel(self, channel_id: str) -> None:
        # Enqueued only once the channel row exists: the job's upsert must not race the row's creation.
        self._requested_channels.add(channel_id)
        await self.service.enqueue(JOB_CHANNEL, SlackChannel(channel_id).to_payload())

    async def _ensure_person(self, user_id: str | None) -> None:
        if user_id and self._person_unknown(user_id):
            self._requested_people.add(user_id)
            await self.service.enqueue(JOB_PERSON, SlackPerson(user_id).to_payload())

    async def on_message(self, body: Json, event: Json, context: AsyncBoltContext) -> None:
        """A message event, accepted in one transaction (receipt, events, jobs): the acknowledgement
        waits for one database round trip only."""
        subtype = event.get("subtype") or ""
        if subtype in ("message_changed", "message_deleted"):
            change = (
                convert.to_edit(event, names=self.directory.names)
                if subtype == "message_changed"
                else convert.to_delete(event)
            )
            await self._accept(body, [change] if change is not None else [], [])
            return
        channel = event.get("channel")
        if not isinstance(channel, str) or subtype not in convert.CONTENT_SUBTYPES or convert.is_from_bot(event):
            await self._accept(body, [], [])  # system messages and bots (other apps, Yorozu) are never answered
            return
        raw_text = str(event.get("text") or "")
        if event.get("channel_type") == "im":
            # A personal chat with Yorozu is a question to Yorozu, not community knowledge: answer only.
            direct = SlackDirect(
                channel=channel,
                ts=event.get("ts"),
                thread_ts=event.get("thread_ts"),
                text=raw_text,
                user=event.get("user"),
                dm=True,
            )
            await self._accept(body, [], [direct.job(key=f"direct:slack:{channel}:{event.get('ts')}")])
            return
        posted = convert.to_posted(
            event,
            channel,
            # auth.test's url, asked once per process (Bolt's own auth.test result does not keep it).
            workspace_url=(await self.directory.identity()).url,
            names=self.directory.names,
            channel_names=self.directory.channel_names,
        )
        if posted is None:
            await self._accept(body, [], [])
            return
        events: list[ev.Event] = []
        jobs: list[NewJob] = []
        learn = self._channel_unknown(channel)
        if learn:
            seen = self._channel_seen(channel, event.get("channel_type"))
            events.extend([seen] if seen is not None else [])
            jobs.append(SlackChannel(channel).job())
        events.append(posted)
        person = posted.author_id if self._person_unknown(posted.author_id) else None
        if person is not None:
            jobs.append(SlackPerson(person).job())
        if (
            posted.is_root
            and looks_like_question(posted.text)
            # A question that mentions Yorozu is answered directly by the app_mention event.
            and not convert.mentions(raw_text, context.bot_user_id)
        ):
            # Whether the channel wants suggestions is read when the job runs (one read less here).
            suggest = SlackSuggest(channel=channel, ts=posted.message_id, text=posted.text, user=posted.author_id)
            jobs.append(suggest.job(key=f"suggest:slack:{channel}:{posted.message_id}"))
        if await self._accept(body, events, jobs):
            if learn:
                self._requested_channels.add(channel)
            if person is not None:
                self._requested_people.add(person)

    async def on_app_mention(self, body: Json, event: Json, context: AsyncBoltContext) -> None:
        channel, ts = event.get("channel"), event.get("ts")
        if not isinstance(channel, str) or not isinstance(ts, str) or convert.is_from_bot(event):
            await self._accept(body, [], [])
            return
        direct = SlackDirect(
            channel=channel,
            ts=ts,
            thread_ts=event.get("thread_ts") or ts,
            text=event.get("text") or "",
            user=event.get("user"),
            dm=False,
        )
        await self._accept(body, [], [direct.job(key=f"direct:slack:{channel}:{ts}")])

    async def on_reaction(self, body: Json, event: Json) -> None:
        change = convert.to_reaction(event, added=event.get("type") == "reaction_added")
        await self._accept(body, [change] if change is not None else [], [])

    async def on_member_joined(self, body: Json, event: Json, context: AsyncBoltContext) -> None:
        if not await self._first_delivery(body):
            return
        channel = event.get("channel")
        if isinstance(channel, str) and event.get("user") == context.bot_user_id:
            # Yorozu was added to a channel: learn its name and whether it is private.
            self._requested_channels.discard(channel)
            await self._ensure_channel(channel, event.get("channel_type"))
            await self._learn_channel(channel)

    async def on_channel_changed(self, body: Json, event: Json) -> None:
        """channel_rename / group_rename: conversations.info (in a job) tells the name and visibility."""
        channel = event.get("channel")
        channel_id = channel.get("id") if isinstance(channel, dict) else channel
        jobs = [SlackChannel(channel_id).job()] if isinstance(channel_id, str) and channel_id else []
        await self._accept(body, [], jobs)

    async def on_channel_archive(self, body: Json, event: Json) -> None:
        channel = event.get("channel")
        events: list[ev.Event] = []
        if isinstance(channel, str) and channel:
            archived = event.get("type") in ("channel_archive", "group_archive")
            events.append(ev.ChannelArchived(PLATFORM, channel, archived=archived))
        await self._accept(body, events, [])

    async def on_channel_deleted(self, body: Json, event: Json) -> None:
        channel = event.get("channel")
        events: list[ev.Event] = [ev.ChannelDeleted(PLATFORM, channel)] if isinstance(channel, str) and channel else []
        await self._accept(body, events, [])

    async def on_user_change(self, body: Json, event: Json) -> None:
        if not await self._first_delivery(body):
            return
        user = event.get("user")
        if isinstance(user, dict) and user.get("id"):
            await self.directory.remember_user(user)

    async def on_revoked(self, body: Json, event: Json) -> None:
        if event.get("type") == "tokens_revoked":
            bots = (event.get("tokens") or {}).get("bot") if isinstance(event.get("tokens"), dict) else None
            if not bots:
                return  # only user tokens were revoked; the bot token still works
        self.revoked = True
        log.warning("Slack says the app was uninstalled or its bot token revoked (%s): replies stop", event.get("type"))

    async def on_command(self, ack: Callable[..., Awaitable[None]], command: Json) -> None:
        """``/yorozu ...``: stored as a job (search is slow), answered through the command's response_url."""
        await self.service.enqueue(
            JOB_COMMAND,
            SlackCommand(
                text=command.get("text") or "",
                user=command.get("user_id"),
                channel=command.get("channel_id"),
                response_url=command.get("response_url"),
                share=False,
            ).to_payload(),
        )
        await ack()

    async def on_feedback(self, ack: Callable[..., Awaitable[None]], body: Json, action: Json) -> None:
        """解決した / 役に立たなかった: record the verdict now; updating the message is a job."""
        await ack()
        value = blocks.parse_feedback_value(action.get("value"))
        user = (body.get("user") or {}).get("id")
        verdict = blocks.FEEDBACK_ACTIONS.get(str(action.get("action_id")))
        if value is None or not isinstance(user, str) or verdict is None:
            return
        await interactions.record_feedback(
            self.service,
            ref=value.ref,
            question=value.question,
            threads=[value.thread_id],
            person_id=user,
            verdict=verdict,
        )
        message = body.get("message")
        await self.service.enqueue(
            JOB_FEEDBACK,
            SlackFeedback(
                response_url=body.get("response_url"),
                blocks=message.get("blocks") if isinstance(message, dict) else None,
                block_id=action.get("block_id"),
                verdict=str(verdict),
                user=user,
            ).to_payload(),
        )

    async def on_share(self, ack: Callable[..., Awaitable[None]], body: Json, action: Json) -> None:
        """ "チャンネルに共有": run the command again and answer in the channel for everyone."""
        await ack()
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        await self.service.enqueue(
            JOB_COMMAND,
            SlackCommand(
                text=str(action.get("value") or ""),
                user=(body.get("user") or {}).get("id"),
                channel=channel,
                response_url=body.get("response_url"),
                share=True,
            ).to_payload(),
        )

    # --- jobs: the slow part ---------------------------------------------------------------------

    def _check_installed(self) -> None:
        if self.revoked:
            raise PermanentJobError("the Slack app was uninstalled or its bot token revoked")

    async def job_person(self, payload: Json) -> None:
        try:
            await self.directory.person(SlackPerson.from_payload(payload).user)
        except SlackCallFailed as exc:
            raise as_job_error(exc) from None

    async def job_channel(self, payload: Json) -> None:
        try:
            await self.directory.channel(SlackChannel.from_payload(payload).channel)
        except SlackCallFailed as exc:
            raise as_job_error(exc) from None
