"""What Yorozu does when a person talks to it, the same on every platform.

Each use case takes plain inputs (who, where, what) and returns a reply value (:mod:`bot.replies`) or a
message key; the Teams and Slack adapters only convert their payloads into these inputs and render what
comes back (cards, Block Kit, modals). A decision both platforms need lives here, and the contract tests
(``tests/bot/test_contract.py``) run each use case through both adapters.

- :mod:`.commands`: what a person typed (a question, ``who``, ``help``, ``on``/``off``, ``subscribe`` ...)
- :mod:`.direct`: answering a message addressed to Yorozu, automatic suggestions, FAQにする for curators
- :mod:`.feedback`: 解決した / 役に立たなかった
- :mod:`.experts`: 専門家に聞く
- :mod:`.faq_dialog`: the FAQにする dialog: open, validate, save
- :mod:`.followups`: the one follow-up under an unanswered question
"""

from __future__ import annotations

from bot.interactions.commands import Command, CommandKind, parse_command
from bot.interactions.direct import automatic_suggestions, for_curator, handle_direct
from bot.interactions.experts import ask_expert
from bot.interactions.faq_dialog import FaqRejected, FaqSubmission, open_faq_dialog, save_faq
from bot.interactions.feedback import presser_name, record_feedback, suggestions_again
from bot.interactions.followups import followup_reply

__all__ = [
    "Command",
    "CommandKind",
    "FaqRejected",
    "FaqSubmission",
    "ask_expert",
    "automatic_suggestions",
    "followup_reply",
    "for_curator",
    "handle_direct",
    "open_faq_dialog",
    "parse_command",
    "presser_name",
    "record_feedback",
    "save_faq",
    "suggestions_again",
]
