"""What libraries may log: message text only at DEBUG.

slack_bolt logs whole request bodies at INFO and WARNING (an invalid signature, an unhandled request, a
middleware that skipped ``next()``); such a body holds whatever a person wrote, a confidential question
included. :class:`NoTextAboveDebug` keeps the head of a library's record at its level ("Invalid request
signature detected") and moves the rest (the body) to a DEBUG record of the same logger.
"""

from __future__ import annotations

import logging
import re

# The libraries whose records may carry request or message bodies.
LIBRARIES = ("slack_bolt", "slack_sdk", "bot.slack.bolt", "botbuilder", "botframework", "msrest")

_HEAD_END = re.compile(r"\s*[(:{\[]")


class NoTextAboveDebug(logging.Filter):
    """On a logger or a handler: a library record above DEBUG is cut to its head; its full text is logged
    again at DEBUG (shown only when DEBUG is on)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG or not record.name.startswith(LIBRARIES):
            return True
        if getattr(record, "yorozu_detail", False):
            return True
        full = record.getMessage()
        head = _HEAD_END.split(full, maxsplit=1)[0].strip() or record.name
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(logging.DEBUG):
            detail = logging.makeLogRecord(
                {**record.__dict__, "levelno": logging.DEBUG, "levelname": "DEBUG", "msg": full, "args": None}
            )
            detail.yorozu_detail = True
            detail.exc_info, detail.exc_text = None, None
            logger.handle(detail)
        record.msg, record.args = f"{head} (details at DEBUG)", None
        return True


def keep_text_out_of(logger: logging.Logger | logging.Handler) -> None:
    """Install :class:`NoTextAboveDebug` on ``logger`` (or a handler) once."""
    if not any(isinstance(f, NoTextAboveDebug) for f in logger.filters):
        logger.addFilter(NoTextAboveDebug())
