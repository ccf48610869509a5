"""Platform-neutral inputs to the knowledge base.

Adapters (Slack, Teams, importers) turn what a platform sends into these events and hand them to
:meth:`knowledge.base.KnowledgeBase.ingest`. Every event names its platform and the platform's own ids,
so applying the same event twice (a retry, a re-import) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from knowledge.model import Visibility


@dataclass(frozen=True, slots=True)
class ChannelSeen:
    """A channel exists (created, renamed, or discovered while importing).

    ``visibility=None`` means the platform did not say: a known channel keeps its visibility, a new one
    is private until an event says otherwise (nothing private may leak while it is unknown).
    ``archived`` applies to a new channel only: a known one changes with :class:`ChannelArchived`.
    """

    platform: str
    channel_id: str
    name: str
    visibility: Visibility | None = Visibility.PUBLIC
    workspace_id: str | None = None
    archived: bool = False


@dataclass(frozen=True, slots=True)
class ChannelArchived:
    """A channel was archived (``archived=True``) or unarchived."""

    platform: str
    channel_id: str
    archived: bool = True


@dataclass(frozen=True, slots=True)
class ChannelDeleted:
    """A channel was deleted: its threads are never suggested again."""

    platform: str
    channel_id: str


@dataclass(frozen=True, slots=True)
class PersonSeen:
    """A person's display name and organisation as the platform knows them."""

    platform: str
    person_id: str
    display_name: str
    organization: str | None = None
    email: str | None = None
    is_bot: bool = False
    # The Teams tenant the person belongs to; organisation rules can map it when ``organization`` is None.
    tenant_id: str | None = None


@dataclass(frozen=True, slots=True)
class MessagePosted:
    """A message was posted.

    ``thread_id`` is the platform id of the thread's root message; ``None`` (or the message's own id)
    makes the message a thread root.
    """

    platform: str
    channel_id: str
    message_id: str
    author_id: str | None
    text: str
    posted_at: datetime
    thread_id: str | None = None
    url: str | None = None
    is_bot: bool = False
    edited_at: datetime | None = None

    @property
    def is_root(self) -> bool:
        return self.thread_id is None or self.thread_id == self.message_id


@dataclass(frozen=True, slots=True)
class MessageEdited:
    """A message's text changed; its thread is re-indexed."""

    platform: str
    channel_id: str
    message_id: str
    text: str
    edited_at: datetime


@dataclass(frozen=True, slots=True)
class MessageDeleted:
    """A message was deleted; its text leaves every index at once (a deleted root hides its thread)."""

    platform: str
    channel_id: str
    message_id: str


@dataclass(frozen=True, slots=True)
class MessageRestored:
    """A deleted message came back (Teams "undelete"), with its text."""

    platform: str
    channel_id: str
    message_id: str
    text: str


@dataclass(frozen=True, slots=True)
class ReactionChanged:
    """A person added (``added=True``) or removed a reaction on a message."""

    platform: str
    channel_id: str
    message_id: str
    person_id: str
    reaction: str
    added: bool = True


Event = (
    ChannelSeen
    | ChannelArchived
    | ChannelDeleted
    | PersonSeen
    | MessagePosted
    | MessageEdited
    | MessageDeleted
    | MessageRestored
    | ReactionChanged
)
