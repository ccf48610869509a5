"""Who and where: the bot's own identity, people (``users.info``) and channels (``conversations.info``).

Answers are cached for the life of the process and handed to the knowledge base as ``PersonSeen`` /
``ChannelSeen``. A ``user_change`` event replaces a cached person, so a new title (organisation) or
display name shows in the next suggestion.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.messages import Locale, locale_from
from bot.service import KnowledgeService
from bot.slack import convert
from bot.slack.api import SlackApi
from knowledge.model import Actor

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who Yorozu is in this workspace (from ``auth.test``)."""

    bot_user_id: str | None
    bot_id: str | None
    team_id: str | None
    url: str | None  # https://<team>.slack.com/, for permalinks


@dataclass(frozen=True, slots=True)
class Person:
    user_id: str
    name: str
    organization: str | None
    locale: Locale
    is_bot: bool


class Directory:
    """Caches over ``auth.test``, ``users.info`` and ``conversations.info``."""

    def __init__(self, api: SlackApi, service: KnowledgeService) -> None:
        self.api = api
        self.service = service
        self._identity: Identity | None = None
        self._people: dict[str, Person] = {}
        self._channels: dict[str, str] = {}

    async def identity(self) -> Identity:
        if self._identity is None:
            data = await self.api.call("auth.test")
            self._identity = Identity(
                bot_user_id=data.get("user_id"),
                bot_id=data.get("bot_id"),
                team_id=data.get("team_id"),
                url=data.get("url"),
            )
        return self._identity

    @property
    def names(self) -> Mapping[str, str]:
        """Known display names by user id (for ``<@U123>`` in message text)."""
        return {user_id: person.name for user_id, person in self._people.items()}

    @property
    def channel_names(self) -> Mapping[str, str]:
        return self._channels

    def knows_person(self, user_id: str) -> bool:
        return user_id in self._people

    def knows_channel(self, channel_id: str) -> bool:
        return channel_id in self._channels

    async def person(self, user_id: str) -> Person:
        """The person, asking ``users.info`` (with the locale) the first time and storing ``PersonSeen``."""
        cached = self._people.get(user_id)
        if cached is not None:
            return cached
        data = await self.api.call("users.info", user=user_id, include_locale=True)
        user = data.get("user")
        return await self.remember_user(user if isinstance(user, dict) else {"id": user_id})

    async def remember_user(self, user: Mapping[str, Any]) -> Person:
        """Store and cache a user object (``users.info``, ``user_change``)."""
        seen = convert.to_person(user)
        if seen is None:
            raise ValueError("a user object without an id")
        previous = self._people.get(seen.person_id)
        locale_tag = user.get("locale")
        person = Person(
            user_id=seen.person_id,
            name=seen.display_name,
            organization=seen.organization,
            # user_change carries no locale: keep the one users.info told us.
            locale=locale_from(locale_tag)
            if isinstance(locale_tag, str)
            else (previous.locale if previous else Locale.JA),
            is_bot=seen.is_bot,
        )
        await self.service.ingest(seen)
        self._people[person.user_id] = person
        return person

    async def locale(self, user_id: str | None) -> Locale:
        """The person's language; Japanese when unknown or when Slack cannot tell."""
        if not user_id:
            return Locale.JA
        try:
            return (await self.person(user_id)).locale
        except Exception:  # a reply in Japanese beats no reply
            log.warning("could not look up %s's locale", user_id, exc_info=True)
            return Locale.JA

    async def speaker(self, user_id: str | None) -> tuple[Actor | None, Locale]:
        """Who wrote to Yorozu, as the actor personal commands apply to, and their language.

        When ``users.info`` fails the person is still known by id (their commands still work, the name
        is only missing) and the reply is in Japanese.
        """
        if not user_id:
            return None, Locale.JA
        try:
            person = await self.person(user_id)
        except Exception:  # a reply without a name beats no reply
            log.warning("could not look up %s", user_id, exc_info=True)
            return Actor(convert.PLATFORM, user_id), Locale.JA
        return Actor(convert.PLATFORM, user_id, person.name), person.locale

    async def channel(self, channel_id: str) -> None:
        """Ask ``conversations.info`` and store the channel's name and visibility."""
        data = await self.api.call("conversations.info", channel=channel_id)
        channel = data.get("channel")
        identity = await self.identity()
        seen = convert.to_channel(channel if isinstance(channel, dict) else {}, workspace_id=identity.team_id)
        if seen is not None:
            await self.remember_channel(seen)

    async def remember_channel(self, seen: Any) -> None:
        await self.service.ingest(seen)
        self._channels[seen.channel_id] = seen.name
