"""What each kind of durable job carries: one frozen dataclass per job kind.

A listener builds a spec and enqueues ``spec.job(key=...)``; a job handler reads its payload back with
``Spec.from_payload``. The stored payload is the JSON object ``to_payload`` returns, key for key what the
listeners stored before these classes existed, so jobs queued by an older version still run. Reading is
lenient where a value is optional (a wrong type reads as ``None``, extra keys are ignored) and strict where
the job cannot run without it (:class:`InvalidJobPayload`, retried like any failure).

Follow-up jobs (``<platform>.followup``) are enqueued by the knowledge base itself
(``knowledge.followup``), not here.

A request for the specialists' channel (:class:`~knowledge.model.ExpertRequest`) travels in a payload as
:func:`expert_request_json` writes it and :func:`expert_request_from_json` reads it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, Self

from bot.jobs import PermanentJobError
from knowledge.model import ExpertRequest, NewJob, Subscriber


class InvalidJobPayload(PermanentJobError):
    """A stored payload lacks a value its job cannot run without: running it again cannot help."""


def _required(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str):
        raise InvalidJobPayload(f"job payload without {name!r}: {sorted(payload)}")
    return value


def _optional(payload: Mapping[str, Any], name: str) -> str | None:
    value = payload.get(name)
    return value if isinstance(value, str) else None


def _object(payload: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = payload.get(name)
    if not isinstance(value, dict):
        raise InvalidJobPayload(f"job payload without {name!r}: {sorted(payload)}")
    return value


def expert_request_json(request: ExpertRequest) -> dict[str, Any]:
    """An :class:`~knowledge.model.ExpertRequest` as a job payload (the job renders and posts it)."""
    return {
        "question": request.question,
        "url": request.url,
        "asker": request.asker,
        "channel_name": request.channel_name,
        "private": request.private,
        "subscribers": [[s.person_id, s.name, s.topic] for s in request.subscribers],
    }


def expert_request_from_json(data: Mapping[str, Any], platform: str) -> ExpertRequest:
    """The request :func:`expert_request_json` wrote; its subscribers are people of ``platform``, where it
    is posted."""
    question, subscribers = data.get("question"), data.get("subscribers")
    if not isinstance(question, str) or not isinstance(subscribers, list):
        raise InvalidJobPayload(f"expert request without question or subscribers: {sorted(data)}")
    return ExpertRequest(
        question=question,
        url=_optional(data, "url"),
        asker=_optional(data, "asker"),
        channel_name=_optional(data, "channel_name"),
        private=bool(data.get("private")),
        subscribers=tuple(Subscriber(platform, str(i), str(name), str(topic)) for i, name, topic in subscribers),
    )


@dataclass(frozen=True)
class JobSpec:
    """The payload of one job kind. Fields are stored under their own names, in the order declared."""

    kind: ClassVar[str]

    def to_payload(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        raise NotImplementedError

    def job(self, *, key: str | None = None, run_after: datetime | None = None) -> NewJob:
        """This spec as a job to enqueue (with the request that asks for it, or through the service)."""
        return NewJob(self.kind, self.to_payload(), key=key, run_after=run_after)


# --- Teams ------------------------------------------------------------------------------------------
# ``reference`` is a serialized Bot Framework ConversationReference: how the job reaches the conversation.


@dataclass(frozen=True)
class TeamsSuggest(JobSpec):
    """Suggest past threads under a new channel question, in its thread."""

    kind: ClassVar[str] = "teams.suggest"
    reference: dict[str, Any]
    conversation_id: str | None
    channel_id: str
    message_id: str
    service_url: str | None
    tenant_id: str | None
    question: str
    locale: str | None

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        return cls(
            reference=_object(payload, "reference"),
            conversation_id=_optional(payload, "conversation_id"),
            channel_id=_required(payload, "channel_id"),
            message_id=_required(payload, "message_id"),
            service_url=_optional(payload, "service_url"),
            tenant_id=_optional(payload, "tenant_id"),
            question=_required(payload, "question"),
            locale=_optional(payload, "locale"),
        )


@dataclass(frozen=True)
class TeamsChannelInfo(JobSpec):
    """Ask Graph whether a channel is standard, private or shared (keyed per channel)."""

    kind: ClassVar[str] = "teams.channel_info"
    reference: dict[str, Any]
    team_id: str
    team_group_id: str | None
    tenant_id: str | None
    channel_id: str

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        return cls(
            reference=_object(payload, "reference"),
            team_id=_required(payload, "team_id"),
            team_group_id=_optional(payload, "team_group_id"),
            tenant_id=_optional(payload, "tenant_id"),
            channel_id=_required(payload, "channel_id"),
        )


@dataclass(frozen=True)
class TeamsSyncTeam(JobSpec):
    """Register a team's channels, or follow a team event (``reason``) to its channels."""

    kind: ClassVar[str] = "teams.sync_team"
    reference: dict[str, Any]
    team_id: str
    team_group_id: str | None
    tenant_id: str | None
    reason: str

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        return cls(
            reference=_object(payload, "reference"),
            team_id=_required(payload, "team_id"),
            team_group_id=_optional(payload, "team_group_id"),
            tenant_id=_optional(payload, "tenant_id"),
            reason=_optional(payload, "reason") or "",
        )

    def channel_info(self, channel_id: str) -> TeamsChannelInfo:
        """The Graph lookup of one of this team's channels."""
        return TeamsChannelInfo(self.reference, self.team_id, self.team_group_id, self.tenant_id, channel_id)


@dataclass(frozen=True)
class TeamsAskExpert(JobSpec):
    """専門家に聞く: post the request (``expert_request_json``) in the specialists' channel."""

    kind: ClassVar[str] = "teams.ask_expert"
    reference: dict[str, Any]
    channel_id: str
    request: dict[str, Any]
    locale: str | None

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        return cls(
            reference=_object(payload, "reference"),
            channel_id=_required(payload, "channel_id"),
            request=_object(payload, "request"),
            locale=_optional(payload, "locale"),
        )


# --- Slack ------------------------------------------------------------------------------------------
# Values come from Slack's event JSON as they are; the job handlers check them when they run.


@dataclass(frozen=True)
class SlackSuggest(JobSpec):
    """Suggest past threads under a new channel question, in its thread."""

    kind: ClassVar[str] = "slack.suggest"
    channel: str
    ts: str
    text: str
    user: str | None

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        return cls(
            channel=_required(payload, "channel"),
            ts=_required(payload, "ts"),
            text=_required(payload, "text"),
            user=_optional(payload, "user"),
        )


@dataclass(frozen=True)
class SlackDirect(JobSpec):
    """A question asked of Yorozu: in a personal chat (``dm``) or by mentioning it in a channel."""

    kind: ClassVar[str] = "slack.direct"
    channel: str
    ts: str | None
    thread_ts: str | None
    text: str
    user: str | None
    dm: bool

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        return cls(
            channel=_required(payload, "channel"),
            ts=_optional(payload, "ts"),
            thread_ts=_optional(payload, "thread_ts"),
            text=_optional(payload, "text") or "",
            user=_optional(payload, "user"),
            dm=bool(payload.get("dm")),
        )


@dataclass(frozen=True)
class SlackCommand(JobSpec):
    """``/yorozu ...`` (or チャンネルに共有, ``share``), answered through the command's response_url."""

    kind: ClassVar[str] = "slack.command"
    text: str
    user: str | None
    channel: str | None
    response_url: str | None
    share: bool

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        return cls(
            text=_optional(payload, "text") or "",
            user=_optional(payload, "user"),
            channel=_optional(payload, "channel"),
            response_url=_optional(payload, "response_url"),
            share=bool(payload.get("share")),
        )


@dataclass(frozen=True)
class SlackFeedback(JobSpec):
    """Mark the suggestion message with the verdict a person gave (the verdict itself is stored already)."""

    kind: ClassVar[str] = "slack.feedback"
    response_url: str | None
    blocks: list[Any] | None
    block_id: str | None
    verdict: str
    user: str

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        blocks = payload.get("blocks")
        return cls(
            response_url=_optional(payload, "response_url"),
            blocks=blocks if isinstance(blocks, list) else None,
            block_id=_optional(payload, "block_id"),
            verdict=_required(payload, "verdict"),
            user=_required(payload, "user"),
        )


@dataclass(frozen=True)
class SlackPerson(JobSpec):
    """Learn a person's name, organisation and language (``users.info``)."""

    kind: ClassVar[str] = "slack.person"
    user: str

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        return cls(user=_required(payload, "user"))


@dataclass(frozen=True)
class SlackChannel(JobSpec):
    """Learn a channel's name and visibility (``conversations.info``)."""

    kind: ClassVar[str] = "slack.channel"
    channel: str

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        return cls(channel=_required(payload, "channel"))


@dataclass(frozen=True)
class SlackAskExpert(JobSpec):
    """専門家に聞く: post the question in the specialists' channel; ``repeat`` when it was asked before
    (stored only then, so the payload of a first request is what it always was)."""

    kind: ClassVar[str] = "slack.ask_expert"
    question: str
    channel: str | None
    message: str | None
    asker: str | None
    user: str
    response_url: str
    repeat: bool = False

    def to_payload(self) -> dict[str, Any]:
        payload = super().to_payload()
        if not self.repeat:
            del payload["repeat"]
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        return cls(
            question=_optional(payload, "question") or "",
            channel=_optional(payload, "channel"),
            message=_optional(payload, "message"),
            asker=_optional(payload, "asker"),
            user=_optional(payload, "user") or "",
            response_url=_optional(payload, "response_url") or "",
            repeat=bool(payload.get("repeat")),
        )


# --- the web chat ---------------------------------------------------------------------------------
# A web visitor has no platform identity: 専門家に聞く in the web chat is posted by each platform whose
# specialists' channel is configured, each through a job kind of its own (as follow-ups are).


@dataclass(frozen=True)
class WebAskExpert(JobSpec):
    """専門家に聞く from the web chat: post the request (``expert_request_json``, already checked and built
    by the web endpoint) in ``channel``, the specialists' channel of the platform this kind belongs to."""

    channel: str
    request: dict[str, Any]

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        return cls(channel=_required(payload, "channel"), request=_object(payload, "request"))

    @staticmethod
    def of(platform: str) -> type[WebAskExpert]:
        """The kind that posts in ``platform``'s specialists' channel."""
        kinds: dict[str, type[WebAskExpert]] = {"slack": SlackWebAskExpert, "teams": TeamsWebAskExpert}
        return kinds[platform]


@dataclass(frozen=True)
class SlackWebAskExpert(WebAskExpert):
    kind: ClassVar[str] = "slack.web_ask_expert"


@dataclass(frozen=True)
class TeamsWebAskExpert(WebAskExpert):
    kind: ClassVar[str] = "teams.web_ask_expert"


SPECS: tuple[type[JobSpec], ...] = (
    TeamsSuggest,
    TeamsChannelInfo,
    TeamsSyncTeam,
    TeamsAskExpert,
    SlackSuggest,
    SlackDirect,
    SlackCommand,
    SlackFeedback,
    SlackPerson,
    SlackChannel,
    SlackAskExpert,
    SlackWebAskExpert,
    TeamsWebAskExpert,
)
