"""Microsoft Teams: the only package that imports botbuilder (the Bot Framework SDK).

``mount`` adds ``POST /api/messages`` to the app and returns the job handlers that reply later.
"""

from bot.teams.endpoint import mount

__all__ = ["mount"]
