"""The Slack jobs that answer: suggestions under a new question, answers to mentions, personal chats and
``/yorozu``, and the note a feedback press leaves in the message.

They run from the durable job queue after the listener acknowledged Slack (:mod:`bot.slack.app`); what
to answer is decided in :mod:`bot.interactions`, and the answer is rendered with :mod:`bot.slack.blocks`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import interactions
from bot.job_specs import SlackCommand, SlackDirect, SlackFeedback, SlackSuggest
from bot.jobs import PermanentJobError
from bot.messages import Locale, text
from bot.replies import ExpertsReply, QuestionRef, Reply, SuggestionsReply
from bot.service import KnowledgeService
from bot.slack import blocks, convert
from bot.slack.api import SlackApi, SlackCallFailed, as_job_error, check_webhook
from bot.slack.people import Directory
from knowledge.importers.slack_export import to_plain_text
from knowledge.model import Scope

PLATFORM = convert.PLATFORM

Json = dict[str, Any]


class Replying:
    """The jobs that post Yorozu's answers in Slack."""

    def __init__(
        self, *, service: KnowledgeService, api: SlackApi, directory: Directory, check_installed: Callable[[], None]
    ) -> None:
        self.service = service
        self.api = api
        self.directory = directory
        self._check_installed = check_installed

    async def job_suggest(self, payload: Json) -> None:
        """A new question in a channel: reply in its thread when past threads answer it, else stay silent."""
        self._check_installed()
        job = SlackSuggest.from_payload(payload)
        ref = QuestionRef(PLATFORM, job.channel, job.ts)

        async def locale() -> Locale:
            return await self.directory.locale(job.user)

        reply = await interactions.automatic_suggestions(self.service, job.text, ref, locale)
        if reply is None:
            return  # switched off in this channel (before or after the question), or nothing confident
        await self._post(job.channel, reply, thread_ts=job.ts, asker_id=job.user)

    async def job_direct(self, payload: Json) -> None:
        """A mention or a personal-chat message: answer it (in the mention's thread)."""
        self._check_installed()
        job = SlackDirect.from_payload(payload)
        channel, ts, user = job.channel, job.ts, job.user
        identity = await self.directory.identity()
        question = to_plain_text(
            convert.strip_mentions(job.text, identity.bot_user_id),
            self.directory.names,
            self.directory.channel_names,
        ).strip()
        person, locale = await self.directory.speaker(user)
        reply = await interactions.handle_direct(
            self.service,
            question,
            scope=Scope(PLATFORM, channel),
            locale=locale,
            question_ref=QuestionRef(PLATFORM, channel, ts),
            channel=None if job.dm else (PLATFORM, channel),
            person=person,
        )
        if job.dm:
            # A personal chat is seen by that person only: a curator gets FAQにする there.
            reply = await interactions.for_curator(self.service, reply, person)
        await self._post(channel, reply, thread_ts=job.thread_ts or None, asker_id=user)

    async def job_command(self, payload: Json) -> None:
        """``/yorozu`` (or its share button): ephemeral unless shared (``/yorozu share ...``)."""
        self._check_installed()
        job = SlackCommand.from_payload(payload)
        url = job.response_url
        if not url:
            raise PermanentJobError("the command has no response_url")
        raw = job.text.strip()
        share = job.share
        head, _, rest = raw.partition(" ")
        if head.lower() in ("share", "共有"):
            share, raw = True, rest.strip()
        channel, user = job.channel, job.user
        person, locale = await self.directory.speaker(user)
        reply = await interactions.handle_direct(
            self.service,
            to_plain_text(raw, self.directory.names, self.directory.channel_names),
            scope=Scope(PLATFORM, channel),
            locale=locale,
            question_ref=QuestionRef(PLATFORM, channel, None),
            # Direct-message conversation ids start with D: there is no channel to switch there.
            channel=(PLATFORM, channel) if channel and not channel.startswith("D") else None,
            person=person,
        )
        if not share:
            # An ephemeral answer is seen by the person who asked only: a curator gets FAQにする there.
            reply = await interactions.for_curator(self.service, reply, person)
        shareable = not share and isinstance(reply, SuggestionsReply | ExpertsReply)
        await self._respond(
            url,
            reply,
            response_type="in_channel" if share else "ephemeral",
            share_value=raw if shareable else None,
            asker_id=user,
        )

    async def job_feedback(self, payload: Json) -> None:
        """Show in the message that the verdict was recorded (the pressed buttons give way to a note)."""
        self._check_installed()
        job = SlackFeedback.from_payload(payload)
        url = job.response_url
        if not url:
            return
        person = await self.directory.person(job.user)
        # The note replaces buttons everyone in the channel sees: an opted-out person is not named there.
        name = await interactions.presser_name(self.service, PLATFORM, person.user_id, person.name)
        if name is None:
            note = text(f"feedback_{job.verdict}_unnamed", person.locale)
        else:
            note = text(f"feedback_{job.verdict}", person.locale, name=name)
        webhook = AsyncWebhookClient(url)
        if job.blocks is not None and job.block_id:
            response = await webhook.send(
                text=note, blocks=blocks.mark_feedback(job.blocks, job.block_id, note), replace_original=True
            )
        else:
            response = await webhook.send(text=note, response_type="ephemeral", replace_original=False)
        check_webhook(response.status_code, response.body)

    async def _post(self, channel: str, reply: Reply, *, thread_ts: str | None, asker_id: str | None = None) -> None:
        try:
            await self.api.call(
                "chat.postMessage",
                channel=channel,
                thread_ts=thread_ts,
                blocks=blocks.render(reply, asker_id=asker_id),
                text=blocks.fallback_text(reply),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackCallFailed as exc:
            raise as_job_error(exc) from None

    async def _respond(
        self, url: str, reply: Reply, *, response_type: str, share_value: str | None, asker_id: str | None = None
    ) -> None:
        response = await AsyncWebhookClient(url).send(
            text=blocks.fallback_text(reply),
            blocks=blocks.render(reply, share_value=share_value, asker_id=asker_id),
            response_type=response_type,
            replace_original=False,
        )
        check_webhook(response.status_code, response.body)
