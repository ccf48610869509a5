"""How each knowledge error is told at each boundary: one table, read by the web, the chat and the CLI.

The knowledge base raises a few kinds of :class:`~knowledge.errors.KnowledgeError`, carrying data; the
shell translates them to an HTTP status (console, web chat), a chat message (Teams, Slack) or an exit code
(the command line). Each kind is translated here once, so a new kind is added in one row, and the
platforms cannot tell the same error two ways.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import Locale, error_text, text
from knowledge.errors import (
    InvalidInput,
    InvalidQuestion,
    KnowledgeError,
    NotAllowed,
    NotFound,
    NotShareable,
)

# The command line's exit codes: done, failed (a one-line message on stderr), wrong arguments.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


@dataclass(frozen=True, slots=True)
class Translation:
    """One kind of error as each boundary tells it: an HTTP status, a chat message key, an exit code."""

    http_status: int
    chat_key: str
    exit_code: int = EXIT_FAILED


# Most specific first does not matter: an error is looked up by its class, then by its bases.
TABLE: dict[type[KnowledgeError], Translation] = {
    # Curating needs the admin or specialist role (the console acts as an admin: there it means a bug).
    NotAllowed: Translation(403, "faq_not_allowed"),
    # A private question sent to the specialists by someone other than its asker.
    NotShareable: Translation(403, "ask_expert_private"),
    # A thing named by id that is not there (a thread deleted since the button was drawn).
    NotFound: Translation(404, "faq_thread_missing"),
    # Nothing to search or to send: empty, or far too long.
    InvalidQuestion: Translation(400, "ask_expert_empty"),
    # A value that cannot be accepted; the chat says which and why (``{reason}``).
    InvalidInput: Translation(400, "faq_invalid"),
    # Anything else the knowledge base raises on purpose (storage, embedder, import): a bad request
    # for HTTP, an apology in chat.
    KnowledgeError: Translation(400, "error"),
}


def translation(err: KnowledgeError) -> Translation:
    """The row for ``err``: its own class's, else its nearest base's."""
    for cls in type(err).__mro__:
        found = TABLE.get(cls)
        if found is not None:
            return found
    raise AssertionError(type(err))  # pragma: no cover - KnowledgeError is in the table


def http_status(err: KnowledgeError) -> int:
    """The HTTP status of a response refusing the request because of ``err`` (always a 4xx)."""
    return translation(err).http_status


def chat_key(err: KnowledgeError) -> str:
    """The message key a chat reply shows for ``err`` (``bot.messages``)."""
    return translation(err).chat_key


def chat_message(err: KnowledgeError, lang: Locale) -> str:
    """What a chat reply says about ``err`` in ``lang``; a text with ``{reason}`` names the error itself."""
    return text(chat_key(err), lang, reason=error_text(err, lang))


def chat_params(err: KnowledgeError, lang: Locale) -> dict[str, str]:
    """The parameters :func:`chat_key`'s text takes for ``err`` (for a reply value rendered later)."""
    return {"reason": error_text(err, lang)}


def exit_code(err: BaseException) -> int:
    """The command line's exit code for an error it reports in one line (every kind: ``EXIT_FAILED``)."""
    if isinstance(err, KnowledgeError):
        return translation(err).exit_code
    return EXIT_FAILED
