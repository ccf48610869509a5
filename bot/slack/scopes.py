"""The one registry of what Yorozu asks of Slack: events it subscribes to, Web API methods it calls, scopes.

The listeners are registered from :data:`EVENTS`, every Web API call goes through
:class:`bot.slack.api.SlackApi`, which refuses a method missing from :data:`METHODS`, and the manifest test
checks ``manifest/slack/manifest.json`` against :func:`required_scopes` and :func:`subscribed_events`. So
the manifest asks for exactly what the code uses.
"""

from __future__ import annotations

# Event subscriptions (the names the manifest uses) and the bot scopes each needs.
EVENTS: dict[str, tuple[str, ...]] = {
    "message.channels": ("channels:history",),
    "message.groups": ("groups:history",),
    "message.im": ("im:history",),
    "app_mention": ("app_mentions:read",),
    "reaction_added": ("reactions:read",),
    "reaction_removed": ("reactions:read",),
    "member_joined_channel": ("channels:read", "groups:read"),
    "channel_rename": ("channels:read",),
    "channel_archive": ("channels:read",),
    "channel_unarchive": ("channels:read",),
    "channel_deleted": ("channels:read",),
    "group_rename": ("groups:read",),
    "group_archive": ("groups:read",),
    "group_unarchive": ("groups:read",),
    "group_deleted": ("groups:read",),
    "user_change": ("users:read",),
    "app_uninstalled": (),
    "tokens_revoked": (),
}

# Web API methods called with the bot token, and the scopes they need.
METHODS: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "users.info": ("users:read",),
    "conversations.info": ("channels:read", "groups:read"),
    "conversations.list": ("channels:read", "groups:read"),
    "conversations.history": ("channels:history", "groups:history"),
    "conversations.replies": ("channels:history", "groups:history"),
    "chat.postMessage": ("chat:write",),
    # Opening a modal needs no scope: the trigger_id of the user's own interaction authorises it.
    "views.open": (),
}

# Slash commands; answering them needs the ``commands`` scope. Replies go to the command's response_url.
COMMAND = "/yorozu"
COMMAND_SCOPES: tuple[str, ...] = ("commands",)

# Shortcuts by callback id and type (``message``: in a message's context menu). They need ``commands``.
SHORTCUTS: dict[str, str] = {"yorozu_faq": "message"}


def listener_event_types() -> set[str]:
    """The Bolt event types to listen to: ``message.channels`` and ``message.im`` are both ``message``."""
    return {name.split(".", 1)[0] for name in EVENTS}


def subscribed_events() -> set[str]:
    return set(EVENTS)


def required_scopes() -> set[str]:
    """Every bot scope the code needs, and nothing else."""
    scopes = {s for needed in EVENTS.values() for s in needed}
    scopes.update(s for needed in METHODS.values() for s in needed)
    scopes.update(COMMAND_SCOPES)  # the slash command and the shortcuts
    return scopes
