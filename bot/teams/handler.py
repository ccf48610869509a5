"""The Teams activity handler: converts each activity and hands it to the knowledge service.

What it decides is only which neutral step an activity leads to: store a channel message (and queue an
automatic suggestion for a new question), answer a message addressed to Yorozu, record a button press,
apply an edit, delete, undelete or reaction, follow channels and teams. Every reply goes into the thread
it answers.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue, Attachment
from botbuilder.schema.teams import (
    MessagingExtensionAction,
    MessagingExtensionActionResponse,
    TaskModuleRequest,
    TaskModuleResponse,
)

from bot import interactions
from bot.interactions import CommandKind, parse_command
from bot.job_specs import TeamsAskExpert, TeamsChannelInfo, TeamsSuggest, TeamsSyncTeam, expert_request_json
from bot.messages import locale_from, text
from bot.replies import ExpertsReply, QuestionRef, Reply, SuggestionsReply, TextReply
from bot.service import KnowledgeService
from bot.teams import cards, convert, dialogs
from bot.teams.curation import FaqDialogs
from bot.teams.presses import AskExpertPress, actor_of, feedback_press
from knowledge import events as ev
from knowledge import followup
from knowledge.base import KnowledgeBase
from knowledge.errors import InvalidInput
from knowledge.faq import parse_thread_key
from knowledge.model import Actor, NewJob, Scope
from knowledge.store.repository import ChannelRow
from knowledge.text import looks_like_question

log = logging.getLogger(__name__)

SUGGEST_JOB = TeamsSuggest.kind
SYNC_TEAM_JOB = TeamsSyncTeam.kind
CHANNEL_INFO_JOB = TeamsChannelInfo.kind
ASK_EXPERT_JOB = TeamsAskExpert.kind
FOLLOWUP_JOB = followup.job_kind(convert.PLATFORM)


def channel_info_key(channel_id: str) -> str:
    """One membership lookup per channel, ever: a Teams channel's membership type never changes."""
    return f"channel_info:teams:{channel_id}"


def thread_conversation_id(conversation_id: str, root_id: str) -> str:
    """Teams addresses a channel thread as ``<channel conversation id>;messageid=<root message id>``."""
    return f"{conversation_id.partition(';')[0]};messageid={root_id}"


def reply_activity(reply: Reply) -> Activity:
    """A platform-neutral reply as a Teams message (cards for suggestions and people, text otherwise)."""
    match reply:
        case SuggestionsReply():
            # Nothing found still comes as a card: it offers 専門家に聞く.
            return card_message(cards.render_suggestions(reply))
        case ExpertsReply():
            return card_message(cards.render_experts(reply))
        case TextReply(key="help"):
            # Several lines: a chat message would run them together into one paragraph.
            return card_message(cards.render_lines(text(reply.key, reply.locale)))
        case TextReply():
            # Teams reads a message's text as Markdown (its default, said here): "*.xlsm" must stay as typed.
            message = MessageFactory.text(cards.escape_markdown(text(reply.key, reply.locale, **reply.params)))
            message.text_format = "markdown"
            return message
    raise AssertionError(reply)  # pragma: no cover


def card_message(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(Attachment(content_type=cards.CARD_CONTENT_TYPE, content=card))


class YorozuTeamsBot(TeamsActivityHandler):
    """Yorozu in Teams: converts each activity and delegates to the knowledge service and the replies."""

    def __init__(
        self, service: KnowledgeService, *, look_up_channels: bool = False, specialists_channel: str | None = None
    ) -> None:
        self.service = service
        # Whether app credentials can ask Graph for a channel's membership type (not in local mode).
        self.look_up_channels = look_up_channels
        # Where 専門家に聞く posts (YOROZU_TEAMS_SPECIALISTS_CHANNEL); None: the button says it is not set up.
        self.specialists_channel = specialists_channel
        self.faq = FaqDialogs(service)

    # --- messages ----------------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if isinstance(activity.value, dict) and activity.value.get("kind") == cards.ACTION_KIND:
            # Action.Submit fallback: the press arrives as a message carrying the button's data.
            await self._feedback(turn_context, activity.value, update_card_id=activity.reply_to_id)
            return
        if isinstance(activity.value, dict) and activity.value.get("kind") == cards.ASK_EXPERT_KIND:
            await self._ask_expert(turn_context, activity.value, update_card_id=activity.reply_to_id)
            return
        place = convert.where(activity)
        if place.kind == "channel":
            await self._channel_message(turn_context, place)
        elif place.kind == "personal" or convert.mentions_recipient(activity):
            await self._direct(turn_context, place)

    async def _channel_message(self, turn_context: TurnContext, place: convert.Where) -> None:
        """A channel message: what it tells about its channel, its events, its delivery id and its jobs
        are stored in one transaction, after one read of the channel (two worker hops in all)."""
        activity = turn_context.activity
        addressed = convert.mentions_recipient(activity)
        message_text = convert.plain_text(activity, strip_recipient=addressed)
        command = parse_command(message_text) if addressed else None
        known = await self.service.run(KnowledgeBase.channel, convert.PLATFORM, place.channel_id)
        # The channel first: a new one must exist (private unless the activity says otherwise) before a
        # message could create it as public.
        events, jobs = self._channel_notes(activity, place, known)
        # A command to Yorozu ("@Yorozu who VBA") is not community knowledge; a question asked of it is.
        if message_text and (command is None or command.kind == CommandKind.ASK):
            events.extend(convert.message_events(activity, message_text))
        from_bot = convert.is_from_bot(activity)  # never answer a bot, this one included
        root = place.thread_root or activity.id
        if not from_bot and not addressed and root == activity.id and looks_like_question(message_text):
            # Whether the channel wants suggestions is read when the job runs.
            key = f"suggest:teams:{place.channel_id}:{activity.id}"
            jobs.append(suggest_spec(activity, place, message_text).job(key=key))
        # A redelivery of an activity already accepted stores nothing again and answers nothing.
        if await self.service.accept(events, delivery=f"teams:{activity.id}", jobs=jobs) is None:
            return
        await self._keep_reply_address(activity, place, known)
        if addressed and not from_bot:
            await self._direct(turn_context, place, already_recorded=True)

    async def _direct(self, turn_context: TurnContext, place: convert.Where, *, already_recorded: bool = False) -> None:
        """A message addressed to Yorozu: @mention in a channel or group chat, or a personal chat."""
        activity = turn_context.activity
        if convert.is_from_bot(activity):
            return
        if not already_recorded and not await self.service.run(KnowledgeBase.record_delivery, f"teams:{activity.id}"):
            return
        if place.kind != "personal" and not already_recorded:
            await self._note_channel(activity, place)
        question = convert.plain_text(activity, strip_recipient=True)
        locale = convert.locale_of(activity)
        in_channel = place.kind == "channel"
        root = place.thread_root or activity.id
        person = actor_of(activity)
        ref = QuestionRef(
            convert.PLATFORM,
            place.channel_id,
            root if in_channel else activity.id,
            asker_id=person.person_id if person else None,
        )
        reply = await interactions.handle_direct(
            self.service,
            question,
            scope=Scope(convert.PLATFORM, place.channel_id),
            locale=locale,
            question_ref=ref,
            channel=(convert.PLATFORM, place.channel_id) if in_channel else None,
            person=person,
        )
        if place.kind == "personal":
            # Only the curator sees a personal chat: their suggestions offer FAQにする on each thread.
            reply = await interactions.for_curator(self.service, reply, person)
        if in_channel and activity.conversation is not None:
            # Answer in the thread the question is in (a new post starts one).
            activity.conversation.id = thread_conversation_id(activity.conversation.id, root)
        await turn_context.send_activity(reply_activity(reply))

    async def _note_channel(self, activity: Activity, place: convert.Where) -> None:
        """Store what the activity tells about its channel; ask Graph when it does not say who may read it."""
        known = await self.service.run(KnowledgeBase.channel, convert.PLATFORM, place.channel_id)
        events, jobs = self._channel_notes(activity, place, known)
        if events or jobs:
            await self.service.accept(events, jobs=jobs)
        await self._keep_reply_address(activity, place, known)

    def _channel_notes(
        self, activity: Activity, place: convert.Where, known: ChannelRow | None
    ) -> tuple[list[ev.Event], list[NewJob]]:
        """The channel's name and visibility as this activity tells them (when they changed), and the
        Graph lookup of its membership type when the activity does not say it."""
        seen = convert.channel_seen(place, known)
        events: list[ev.Event] = [seen] if seen is not None else []
        jobs: list[NewJob] = []
        if place.kind == "channel" and place.visibility is None and place.team_id:
            lookup = self._channel_lookup(activity, place.channel_id, place.team_id)
            jobs.extend([lookup] if lookup is not None else [])
        return events, jobs

    async def _keep_reply_address(self, activity: Activity, place: convert.Where, known: ChannelRow | None) -> None:
        """Follow-ups post into a channel a day later, with no activity to answer: keep its address."""
        address = convert.reply_address(activity, place)
        if place.kind == "channel" and address is not None and (known is None or known.reply_address != address):
            await self.service.run(KnowledgeBase.set_reply_address, convert.PLATFORM, place.channel_id, address)

    def _channel_lookup(self, activity: Activity, channel_id: str, team_id: str) -> NewJob | None:
        """The Graph lookup of a channel's membership type (keyed per channel, so asked once)."""
        if not self.look_up_channels:
            return None  # without app credentials the channel stays private: safe, only less useful
        data = convert.channel_data(activity)
        team, tenant = convert.obj(data, "team"), convert.obj(data, "tenant")
        lookup = TeamsChannelInfo(
            reference=TurnContext.get_conversation_reference(activity).serialize(),
            team_id=team_id,
            team_group_id=team.get("aadGroupId"),
            tenant_id=tenant.get("id") or (activity.conversation.tenant_id if activity.conversation else None),
            channel_id=channel_id,
        )
        return lookup.job(key=channel_info_key(channel_id))

    async def _look_up_channel(self, activity: Activity, channel_id: str, team_id: str) -> None:
        lookup = self._channel_lookup(activity, channel_id, team_id)
        if lookup is not None:
            await self.service.enqueue(lookup.kind, lookup.payload, key=lookup.key)

    # --- buttons -----------------------------------------------------------------------------------

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        data = (invoke_value.action or {}).get("data")
        if isinstance(data, dict) and data.get("kind") == cards.ASK_EXPERT_KIND:
            card = await self._ask_expert(turn_context, data, update_card_id=None)
        elif isinstance(data, dict) and data.get("kind") == cards.ACTION_KIND:
            card = await self._feedback(turn_context, data, update_card_id=None)
        else:
            return AdaptiveCardInvokeResponse(
                status_code=400, type="application/vnd.microsoft.error", value={"code": "BadRequest"}
            )
        return AdaptiveCardInvokeResponse(status_code=200, type=cards.CARD_CONTENT_TYPE, value=card)

    async def _feedback(
        self, turn_context: TurnContext, data: dict[str, Any], *, update_card_id: str | None
    ) -> dict[str, Any]:
        """Record a press and redraw the card saying so (in place: the invoke's answer or an update)."""
        activity = turn_context.activity
        press = feedback_press(data)
        person = convert.person_id(activity) or "unknown"
        shown = (activity.from_property.name if activity.from_property else None) or person
        name = await interactions.presser_name(self.service, convert.PLATFORM, person, shown)
        ref = QuestionRef(convert.PLATFORM, press.channel_id, press.message_id, asker_id=press.asker_id)
        await interactions.record_feedback(
            self.service,
            ref=ref,
            question=press.question,
            threads=press.threads,
            person_id=person,
            verdict=press.verdict,
        )
        again = await interactions.suggestions_again(self.service, press.question, ref, press.locale)
        _, expert = cards.parse_card_state(data)  # what 専門家に聞く said before stays on the card
        card = cards.render_suggestions(
            again, feedback=(press.verdict, name, press.threads[0] if press.threads else None), expert=expert
        )
        if update_card_id:
            updated = card_message(card)
            updated.id = update_card_id
            await turn_context.update_activity(updated)
        return card

    async def _ask_expert(
        self, turn_context: TurnContext, data: dict[str, Any], *, update_card_id: str | None
    ) -> dict[str, Any]:
        """専門家に聞く: queue the post in the specialists' channel, and redraw the card saying so (or why not)."""
        activity = turn_context.activity
        press = AskExpertPress(data)
        requester = actor_of(activity) or Actor(convert.PLATFORM, "unknown")
        ref = QuestionRef(convert.PLATFORM, press.channel_id, press.message_id, asker_id=press.asker_id)
        request = await interactions.ask_expert(
            self.service,
            requester=requester,
            question=press.question,
            ref=ref,
            specialists_channel=self.specialists_channel,
        )
        note: cards.ExpertNote
        if isinstance(request, str):
            note = cards.ExpertNote(request)
        else:
            assert self.specialists_channel is not None  # a request is made only when one is set
            payload = TeamsAskExpert(
                # The press's own address: the specialists' channel is reached through the same service.
                reference=TurnContext.get_conversation_reference(activity).serialize(),
                channel_id=self.specialists_channel,
                request=expert_request_json(request),
                locale=str(press.locale),
            ).to_payload()
            key = (
                f"ask_expert:teams:{press.channel_id}:{press.message_id}"
                if press.channel_id and press.message_id
                else None
            )
            name = await interactions.presser_name(
                self.service, requester.platform, requester.person_id, requester.name or requester.person_id
            )
            if not await self.service.enqueue(ASK_EXPERT_JOB, payload, key=key):
                note = cards.ExpertNote("ask_expert_already")
            elif name is None:
                note = cards.ExpertNote("ask_expert_done")
            else:
                note = cards.ExpertNote("ask_expert_sent", name)
        again = await interactions.suggestions_again(self.service, press.question, ref, press.locale, record=False)
        feedback, _ = cards.parse_card_state(data)  # a "not helpful" recorded before stays on the card
        card = cards.render_suggestions(again, feedback=feedback, expert=note)
        if update_card_id:
            updated = card_message(card)
            updated.id = update_card_id
            await turn_context.update_activity(updated)
        return card

    # --- FAQにする: the message action, the button on curators' replies, and their dialog ------------

    async def on_teams_messaging_extension_fetch_task(
        self, turn_context: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        """The specialist picked FAQにする on a message: open the dialog prefilled from its thread."""
        activity = turn_context.activity
        locale = convert.locale_of(activity)
        if action.command_id != dialogs.MAKE_FAQ_COMMAND:
            log.warning("message action %r is not one of Yorozu's", action.command_id)
            return dialogs.action_response(dialogs.message_response(text("error", locale)))
        picked = convert.picked_message(activity, action)
        root = (convert.PLATFORM, picked.channel_id, picked.root_id) if picked.channel_id and picked.root_id else None
        return dialogs.action_response(await self.faq.open(activity, locale, root, picked.answer_id, picked.text))

    async def on_teams_messaging_extension_submit_action(
        self, turn_context: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        """The dialog's submit: save the entry (and publish it, verified by the specialist), or redraw with why not."""
        if action.command_id != dialogs.MAKE_FAQ_COMMAND:
            log.warning("message action submit %r is not one of Yorozu's", action.command_id)
            return dialogs.action_response(
                dialogs.message_response(text("error", convert.locale_of(turn_context.activity)))
            )
        return dialogs.action_response(await self.faq.save(turn_context.activity, action.data))

    async def on_teams_task_module_fetch(
        self, turn_context: TurnContext, task_module_request: TaskModuleRequest
    ) -> TaskModuleResponse:
        """FAQにする pressed on a suggested thread (a button only curators' own replies carry).

        The thread may be from any platform the knowledge base holds (a Teams curator curates the whole
        community: the demo's threads, for one, come from Slack): the dialog opens prefilled from it."""
        activity = turn_context.activity
        data = task_module_request.data
        locale = locale_from(str(data.get("locale") or "ja")) if isinstance(data, dict) else convert.locale_of(activity)
        if not isinstance(data, dict) or data.get("kind") != cards.MAKE_FAQ_KIND:
            kind = data.get("kind") if isinstance(data, dict) else type(data).__name__
            log.warning("task/fetch is not Yorozu's FAQにする (kind %r): answered with an error message", kind)
            return dialogs.module_response(dialogs.message_response(text("error", locale)))
        try:
            thread = parse_thread_key(str(data.get("thread") or ""))
        except InvalidInput:
            log.exception("FAQにする names no thread: answered with an error message")
            return dialogs.module_response(dialogs.message_response(text("error", locale)))
        return dialogs.module_response(await self.faq.open(activity, locale, thread, None, ""))

    async def on_teams_task_module_submit(
        self, turn_context: TurnContext, task_module_request: TaskModuleRequest
    ) -> TaskModuleResponse:
        return dialogs.module_response(await self.faq.save(turn_context.activity, task_module_request.data))

    # --- edits, deletes, reactions -----------------------------------------------------------------

    async def on_teams_message_edit(self, turn_context: TurnContext) -> None:
        await self.service.ingest(convert.edit_event(turn_context.activity))

    async def on_teams_message_soft_delete(self, turn_context: TurnContext) -> None:
        await self.service.ingest(convert.delete_event(turn_context.activity))

    async def on_teams_message_undelete(self, turn_context: TurnContext) -> None:
        await self.service.ingest(convert.restore_event(turn_context.activity))

    async def on_message_reaction_activity(self, turn_context: TurnContext) -> None:
        for event in convert.reaction_events(turn_context.activity):
            await self.service.ingest(event)

    # --- channels and teams ------------------------------------------------------------------------

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        for event in convert.conversation_update_events(activity):
            await self.service.ingest(event)
        data = convert.channel_data(activity)
        event_type = str(data.get("eventType") or "")
        channel = convert.obj(data, "channel")
        if event_type in {"channelCreated", "channelRenamed", "channelRestored"} and channel.get("id"):
            place = convert.where(activity)
            if place.visibility is None and place.team_id:
                await self._look_up_channel(activity, str(channel["id"]), place.team_id)
        if event_type in convert.TEAM_EVENTS:
            await self._apply_to_team(activity, event_type)
        if convert.is_install(activity) or event_type in convert.TEAM_EVENTS:
            await self._sync_team(activity, event_type)
        if convert.is_install(activity):
            await self._welcome(turn_context)

    async def _welcome(self, turn_context: TurnContext) -> None:
        """Yorozu was added to a team, a group chat or a personal chat: say once what it does and how.

        In a team the welcome goes to the General channel (the conversation the install arrives in)."""
        activity = turn_context.activity
        if not await self.service.run(KnowledgeBase.record_delivery, f"teams:welcome:{activity.id}"):
            return  # a redelivered install
        try:
            await turn_context.send_activity(
                card_message(cards.render_lines(text("welcome", convert.locale_of(activity))))
            )
        except Exception:
            # The install itself is recorded and the channels listed: a welcome that could not be sent is only logged.
            log.exception(
                "could not post the welcome in %s", activity.conversation.id if activity.conversation else "-"
            )

    async def _apply_to_team(self, activity: Activity, event_type: str) -> None:
        """A team archive, unarchive or delete reaches every channel stored for the team, at once.

        Nothing is listed from Teams (a deleted team cannot be listed): the store knows the team's
        channels by the team's thread id (live activities) and by its Entra group id (Graph imports).
        """
        team = convert.obj(convert.channel_data(activity), "team")
        for workspace in {team.get("id"), team.get("aadGroupId")} - {None, ""}:
            for channel in await self.service.run(KnowledgeBase.workspace_channels, convert.PLATFORM, str(workspace)):
                event = convert.team_channel_event(event_type, channel.external_id)
                if event is not None:
                    await self.service.ingest(event)

    async def on_installation_update(self, turn_context: TurnContext) -> None:
        """Nothing: Teams announces every install twice, as ``installationUpdate`` and as a ``conversationUpdate``
        whose ``membersAdded`` names the bot (as of 2026, in teams, group chats and personal chats alike).
        The second one registers the team's channels and says welcome, so both happen once."""

    async def _sync_team(self, activity: Activity, reason: str) -> None:
        place = convert.where(activity)
        if place.kind != "channel" or not place.team_id:
            return
        payload = TeamsSyncTeam(
            reference=TurnContext.get_conversation_reference(activity).serialize(),
            team_id=place.team_id,
            team_group_id=place.team_group_id,
            tenant_id=place.tenant_id,
            reason=reason,
        ).to_payload()
        await self.service.enqueue(SYNC_TEAM_JOB, payload, key=f"sync:teams:{place.team_id}:{activity.id}")


# --- what jobs and presses carry ----------------------------------------------------------------------


def suggest_spec(activity: Activity, place: convert.Where, question: str) -> TeamsSuggest:
    """What the suggestion job needs to answer later, in the question's thread."""
    reference = TurnContext.get_conversation_reference(activity)
    return TeamsSuggest(
        reference=reference.serialize(),
        conversation_id=place.conversation_id,
        channel_id=place.channel_id,
        message_id=activity.id,
        service_url=activity.service_url,
        tenant_id=place.tenant_id,
        question=question,
        locale=str(convert.locale_of(activity)),
    )
