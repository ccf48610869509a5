"""What a person typed to Yorozu: the commands, in Japanese and English, and the question otherwise."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class CommandKind(StrEnum):
    ASK = "ask"
    WHO = "who"
    HELP = "help"
    ON = "on"
    OFF = "off"
    OPTOUT = "optout"
    OPTIN = "optin"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"


@dataclass(frozen=True, slots=True)
class Command:
    kind: CommandKind
    text: str = ""


# Japanese and English words people use for each command; the first word decides.
_WORDS = {
    CommandKind.HELP: ("help", "ヘルプ", "使い方", "?", "？"),
    CommandKind.WHO: ("who", "誰", "だれ", "詳しい人"),
    CommandKind.ASK: ("ask", "質問"),
    CommandKind.ON: ("on", "オン"),
    CommandKind.OFF: ("off", "オフ"),
    CommandKind.OPTOUT: ("optout", "opt-out", "オプトアウト"),
    CommandKind.OPTIN: ("optin", "opt-in", "オプトイン"),
    CommandKind.SUBSCRIBE: ("subscribe", "通知", "購読"),
    CommandKind.UNSUBSCRIBE: ("unsubscribe", "通知解除", "購読解除"),
}
# Words that are commands only on their own: followed by more text they start a question.
_ALONE = {CommandKind.ON, CommandKind.OFF, CommandKind.OPTOUT, CommandKind.OPTIN, CommandKind.HELP}
_SPLIT = re.compile(r"[\s\u3000:：]+", re.UNICODE)


def parse_command(text: str) -> Command:
    """``who 権限管理`` → WHO, ``help`` → HELP, ``on``/``off`` → channel switch, ``optout``/``optin``,
    ``subscribe <topic>`` / ``unsubscribe [topic]`` (``subscribe`` alone lists), anything else → ASK.

    Mentions must already be stripped by the adapter.
    """
    stripped = text.strip()
    if not stripped:
        return Command(CommandKind.HELP)
    parts = _SPLIT.split(stripped, maxsplit=1)
    head = parts[0].lower()
    rest = parts[1].strip() if len(parts) > 1 else ""
    for kind, words in _WORDS.items():
        if head in words:
            if kind in _ALONE and rest:
                break  # "on premises backup?" is a question, not a switch
            if kind in (CommandKind.WHO, CommandKind.ASK) and not rest:
                return Command(CommandKind.HELP)
            return Command(kind, rest)
    return Command(CommandKind.ASK, stripped)
