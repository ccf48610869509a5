"""The edge of ``POST /slack/events``: Slack's request signature, and the payload shapes Bolt assumes.

Both are checked before anything reads a request into the store, the receipts or the logs.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

# Slack signs each request with its time; older or newer than 5 minutes is a replay.
SIGNATURE_WINDOW = 5 * 60


def signed(secret: bytes, raw: bytes, headers: Mapping[str, str]) -> bool:
    """Slack's signature over the raw bytes (slack_sdk's verifier wants UTF-8 text; these may not be)
    and a timestamp inside the window. A timestamp that is not a plain number of seconds (``abc``,
    ``1.5``, ``""``, thousands of digits) is no signature."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not secret or not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    if abs(time.time() - int(timestamp)) > SIGNATURE_WINDOW:
        return False
    expected = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    # As bytes: compare_digest refuses str with non-ASCII characters, which a forged header may hold.
    return hmac.compare_digest(("v0=" + expected).encode(), signature.encode("utf-8", "surrogateescape"))


def check_shape(body: object) -> None:
    """Bolt's middleware assumes these shapes and fails with a 500 on anything else: refuse them first."""
    if not isinstance(body, dict):
        raise ValueError("the body is not an object")
    if "event" in body and not isinstance(body["event"], dict):
        raise ValueError("event is not an object")
    authorizations = body.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)
    ):
        raise ValueError("authorizations is not a list of objects")
    # Interactive payloads (buttons, shortcuts, modal submits): Bolt reads these as objects (or ids).
    for key in ("user", "channel", "team"):
        if body.get(key) is not None and not isinstance(body[key], dict | str):
            raise ValueError(f"{key} is neither an object nor an id")
    for key in ("view", "message", "container"):
        if body.get(key) is not None and not isinstance(body[key], dict):
            raise ValueError(f"{key} is not an object")
    if isinstance(body.get("view"), dict) and not isinstance(body["view"].get("type"), str):
        raise ValueError("view has no type")  # Bolt reads view.type of every view payload
    actions = body.get("actions")
    if actions is not None and not (
        isinstance(actions, list) and actions and all(isinstance(a, dict) for a in actions)
    ):
        raise ValueError("actions is not a list of objects")
