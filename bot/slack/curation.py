"""Curation in Slack: FAQにする (message shortcut and button → modal → FAQ entry), 専門家に聞く, follow-ups.

FAQにする opens its modal inside the listener: a ``trigger_id`` lives 3 seconds, so ``views.open``
cannot wait for a durable job (``process_before_response`` keeps the request open until the listener
returns). The modal's submit is answered inline too (``response_action``), as Slack requires.
専門家に聞く and follow-ups post to channels, which can wait: they are durable jobs, keyed so that a
second press or a second replica posts nothing more.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import interactions
from bot.interactions import FaqRejected
from bot.interactions.experts import channel_is_public
from bot.job_specs import SlackAskExpert, SlackWebAskExpert, expert_request_from_json
from bot.jobs import JobHandler, PermanentJobError
from bot.messages import Locale, text
from bot.replies import ExpertRequestReply, QuestionRef
from bot.service import KnowledgeService
from bot.settings import Settings
from bot.slack import blocks, convert, modals
from bot.slack.api import PERMANENT_ERRORS, SlackApi, SlackCallFailed, as_job_error, check_webhook
from bot.slack.people import Directory
from knowledge import followup
from knowledge.base import KnowledgeBase
from knowledge.errors import InvalidInput
from knowledge.faq import parse_thread_key, thread_key
from knowledge.importers.slack_export import to_plain_text
from knowledge.model import Actor, ExpertRequest, FaqDraft

log = logging.getLogger(__name__)

PLATFORM = convert.PLATFORM
JOB_ASK_EXPERT = SlackAskExpert.kind
JOB_WEB_ASK_EXPERT = SlackWebAskExpert.kind
JOB_FOLLOWUP = followup.job_kind(PLATFORM)

# The modal must be open within the trigger's 3 seconds: the language lookup gets one of them at most.
LOCALE_SECONDS = 1.0
VIEWS_OPEN_SECONDS = 2.0

Json = dict[str, Any]
Ack = Callable[..., Awaitable[Any]]


def _id(value: object) -> str | None:
    """``{"id": "U1"}`` → ``"U1"`` (Slack nests user and channel objects); anything else → ``None``."""
    found = value.get("id") if isinstance(value, dict) else None
    return found if isinstance(found, str) and found else None


class Curation:
    """The listeners and jobs of FAQにする, 専門家に聞く and follow-ups."""

    def __init__(
        self,
        *,
        settings: Settings,
        service: KnowledgeService,
        api: SlackApi,
        directory: Directory,
        check_installed: Callable[[], None],
        ensure_person: Callable[[str | None], Awaitable[None]],
    ) -> None:
        self.settings = settings
        self.service = service
        self.api = api
        self.directory = directory
        self._check_installed = check_installed
        self._ensure_person = ensure_person

    def register(self, bolt: AsyncApp) -> None:
        """Add the listeners to the Bolt app."""
        bolt.message_shortcut(modals.CALLBACK_SHORTCUT)(self.on_faq_shortcut)
        bolt.view_submission(modals.CALLBACK_SUBMIT)(self.on_faq_submit)
        bolt.action(blocks.ACTION_MAKE_FAQ)(self.on_make_faq)
        bolt.action(blocks.ACTION_ASK_EXPERT)(self.on_ask_expert)

    def job_handlers(self) -> dict[str, JobHandler]:
        return {
            JOB_ASK_EXPERT: self.job_ask_expert,
            JOB_WEB_ASK_EXPERT: self.job_web_ask_expert,
            JOB_FOLLOWUP: self.job_followup,
        }

    # --- FAQにする ---------------------------------------------------------------------------------

    async def on_faq_shortcut(self, ack: Ack, body: Json) -> None:
        """The message shortcut: open the modal prefilled with the thread's question and best answer
        (the picked reply when used on a reply); a message Yorozu never stored prefills from its text."""
        await ack()
        user, trigger, channel = _id(body.get("user")), body.get("trigger_id"), _id(body.get("channel"))
        message = body.get("message")
        ts = message.get("ts") if isinstance(message, dict) else None
        if not (user and isinstance(trigger, str) and trigger and channel and isinstance(ts, str) and ts):
            log.info("a FAQ shortcut without user, trigger, channel or message: ignored")
            return
        assert isinstance(message, dict)
        thread_ts = message.get("thread_ts")
        root = thread_ts if isinstance(thread_ts, str) and thread_ts else ts
        picked = ts if ts != root else None
        raw = to_plain_text(str(message.get("text") or ""), self.directory.names, self.directory.channel_names).strip()
        raw = await self.service.run(KnowledgeBase.render_mentions, PLATFORM, raw)  # named as the opt-out rule allows
        # Not stored (before Yorozu joined, a DM, a bot's message): the message itself is the material,
        # as the question when it starts a thread, as the answer when it is a reply.
        fallback = FaqDraft(
            question="" if picked else raw,
            answer=raw if picked else "",
            source_thread=None if channel.startswith("D") else thread_key(PLATFORM, channel, root),
        )
        await self._open_faq(trigger, user, channel, root, picked=picked, fallback=fallback)

    async def on_make_faq(self, ack: Ack, body: Json, action: Json) -> None:
        """FAQにする on a suggested thread (in a reply only a curator sees): the same modal."""
        await ack()
        user, trigger = _id(body.get("user")), body.get("trigger_id")
        value = action.get("value")
        if not (user and isinstance(trigger, str) and trigger and isinstance(value, str)):
            return
        try:
            platform, channel, root = parse_thread_key(value)
        except InvalidInput:
            log.info("a FAQ button with a value Yorozu did not write: ignored")
            return
        if platform != PLATFORM:
            return
        await self._open_faq(trigger, user, channel, root, picked=None, fallback=None)

    async def _open_faq(
        self, trigger: str, user: str, channel: str, root: str, *, picked: str | None, fallback: FaqDraft | None
    ) -> None:
        locale = await self._quick_locale(user)
        actor = Actor(PLATFORM, user, self.directory.names.get(user))
        draft = await interactions.open_faq_dialog(
            self.service, actor, (PLATFORM, channel, root), answer_id=picked, fallback=fallback
        )
        view = modals.notice_modal(draft, locale) if isinstance(draft, str) else modals.faq_modal(draft, locale)
        try:
            await asyncio.wait_for(self.api.call("views.open", trigger_id=trigger, view=view), VIEWS_OPEN_SECONDS)
        except (SlackCallFailed, aiohttp.ClientError, TimeoutError) as exc:
            # The trigger expired or Slack refused the view: nothing to retry, Slack shows its own error.
            log.warning("views.open failed: %s", exc)

    async def _quick_locale(self, user: str) -> Locale:
        try:
            return await asyncio.wait_for(self.directory.locale(user), LOCALE_SECONDS)
        except TimeoutError:
            return Locale.JA

    async def on_faq_submit(self, ack: Ack, body: Json, view: Json) -> None:
        """The modal's submit: field errors in the modal, or save and show the confirmation."""
        meta = modals.read_metadata(view.get("private_metadata"))
        submission = modals.read_form(view, meta)
        user = _id(body.get("user"))
        if user is None:
            await ack(response_action="errors", errors={modals.BLOCK_QUESTION: text("faq_not_allowed", meta.locale)})
            return
        actor = Actor(PLATFORM, user, self.directory.names.get(user))
        entry = await interactions.save_faq(self.service, actor, submission, meta.locale)
        if isinstance(entry, FaqRejected):
            await ack(response_action="errors", errors=modals.field_errors(entry.errors))
            return
        log.info("FAQ entry %s saved by %s (%s)", entry.id, actor, entry.status)
        # The verifier is named when the entry is shown, from the people Yorozu knows: a curator who
        # never posted where Yorozu listens is looked up (users.info, in a job) so the name appears.
        await self._ensure_person(user)
        await ack(response_action="update", view=modals.saved_modal(entry, meta.locale))

    # --- 専門家に聞く ------------------------------------------------------------------------------

    async def on_ask_expert(self, ack: Ack, body: Json, action: Json) -> None:
        """Store the request as a job keyed per question: pressing twice posts once."""
        await ack()
        value = blocks.parse_ask_expert_value(action.get("value"))
        user, url = _id(body.get("user")), body.get("response_url")
        if value is None or user is None or not isinstance(url, str) or not url:
            log.info("a 専門家に聞く press without a value Yorozu wrote, a user or a response_url: ignored")
            return
        request = SlackAskExpert(
            question=value.question,
            channel=value.channel_id,
            message=value.message_id,
            asker=value.asker_id,
            user=user,
            response_url=url,
        )
        key = await self._ask_key(value, user)
        if not await self.service.enqueue(JOB_ASK_EXPERT, request.to_payload(), key=key):
            await self.service.enqueue(JOB_ASK_EXPERT, replace(request, repeat=True).to_payload())

    async def _ask_key(self, value: blocks.AskExpertValue, user: str) -> str | None:
        """One post per question in the specialists' channel (per person outside public channels,
        where only the asker may send it); no key while no channel is configured, so a press after
        an administrator configures one still posts."""
        target = self.settings.slack_specialists_channel
        if not target:
            return None
        public = await channel_is_public(self.service, PLATFORM, value.channel_id)
        where = value.channel_id or "-"
        what = value.message_id or hashlib.sha256(value.question.encode()).hexdigest()[:24]
        return f"ask_expert:{PLATFORM}:{target}:{where}:{what}" + ("" if public else f":{user}")

    async def job_ask_expert(self, payload: Json) -> None:
        """Post the question in the specialists' channel, pinging only its subscribers; tell the presser."""
        self._check_installed()
        job = SlackAskExpert.from_payload(payload)
        url, user = job.response_url, job.user
        if not url or not user:
            raise PermanentJobError("a 専門家に聞く job without response_url or user")
        actor, locale = await self.directory.speaker(user)
        assert actor is not None
        if job.repeat:
            await _ephemeral(url, "ask_expert_already", locale)
            return
        target = self.settings.slack_specialists_channel
        if not target:
            await _ephemeral(url, "ask_expert_not_configured", locale)
            return
        request = await interactions.ask_expert(
            self.service,
            requester=actor,
            question=job.question,
            ref=QuestionRef(PLATFORM, job.channel, job.message, asker_id=job.asker),
            specialists_channel=target,
        )
        if isinstance(request, str):
            await _ephemeral(url, request, locale)
            return
        try:
            await self._post_request(target, request)
        except SlackCallFailed as exc:
            if exc.error in PERMANENT_ERRORS:
                await _ephemeral(url, "ask_expert_failed", locale)
            raise as_job_error(exc) from None
        try:
            await _ephemeral(url, "ask_expert_done", locale)
        except Exception:  # the question is posted: retrying the job would post it twice
            log.warning("could not confirm a 専門家に聞く press to %s", user, exc_info=True)

    async def job_web_ask_expert(self, payload: Json) -> None:
        """専門家に聞く from the web chat: post the request the web endpoint built (its rules already
        applied, its repeats already refused) in the specialists' channel."""
        self._check_installed()
        job = SlackWebAskExpert.from_payload(payload)
        try:
            await self._post_request(job.channel, expert_request_from_json(job.request, PLATFORM))
        except SlackCallFailed as exc:
            raise as_job_error(exc) from None

    async def _post_request(self, target: str, request: ExpertRequest) -> None:
        # The specialists' channel reads the community's language.
        reply = ExpertRequestReply(request, Locale.JA)
        await self.api.call(
            "chat.postMessage",
            channel=target,
            blocks=blocks.render_expert_request(reply),
            text=blocks.expert_request_text(reply),
            unfurl_links=False,
            unfurl_media=False,
        )

    # --- follow-ups --------------------------------------------------------------------------------

    async def job_followup(self, payload: Json) -> None:
        """A question nobody answered: once, in its thread, name people who answered similar questions
        (plain text, never pinged) and mention only the subscribers; nothing when it was answered."""
        self._check_installed()
        if payload.get("platform") != PLATFORM or not payload.get("channel_id") or not payload.get("root_id"):
            raise PermanentJobError(f"not a Slack follow-up: {sorted(payload)}")
        # The engine keeps no asker language for a follow-up: the community's language.
        reply = await interactions.followup_reply(
            self.service, PLATFORM, str(payload["channel_id"]), str(payload["root_id"]), Locale.JA
        )
        if reply is None:
            return
        try:
            await self.api.call(
                "chat.postMessage",
                channel=str(payload["channel_id"]),
                thread_ts=str(payload["root_id"]),
                blocks=blocks.render_followup(reply),
                text=blocks.followup_text(reply),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackCallFailed as exc:
            raise as_job_error(exc) from None


async def _ephemeral(url: str, key: str, locale: Locale) -> None:
    """A note only the presser sees, through the press's response_url."""
    note = text(key, locale)
    response = await AsyncWebhookClient(url).send(
        text=note,
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": blocks.escape(note)}}],
        response_type="ephemeral",
        replace_original=False,
    )
    check_webhook(response.status_code, response.body)
