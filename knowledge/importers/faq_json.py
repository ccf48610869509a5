"""FAQ entries from a JSON file: a list of objects with the :class:`~knowledge.faq.FaqInput` fields.

The sample community ships its curated entries this way (``knowledge/data/sample_faq.json``, each naming
the sample thread it was made from); every entry is published, and verified when it says by whom and
when. Spreadsheet users import CSV instead (:mod:`knowledge.importers.faq_csv`).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from knowledge.errors import InvalidInput
from knowledge.faq import DEFAULT_REVIEW_DAYS, FaqInput, parse_tags
from knowledge.model import FaqStatus


def read_faq_json(path: Path) -> list[FaqInput]:
    """The entries in ``path``; :class:`InvalidInput` naming the entry and field that is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, list):
        raise InvalidInput(f"{path}: expected a list of FAQ entries")
    return [_entry(path, number, item) for number, item in enumerate(data, start=1)]


def _entry(path: Path, number: int, item: Any) -> FaqInput:
    where = f"{path} entry {number}"
    if not isinstance(item, dict):
        raise InvalidInput(f"{where}: expected an object")

    def text(name: str, *, required: bool = True) -> str | None:
        value = item.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(f"{where}: '{name}' must be a non-empty string")
        return value

    verified_at = None
    if (raw := text("verified_at", required=False)) is not None:
        try:
            verified_at = datetime.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(f"{where}: 'verified_at' is not an ISO date and time: {raw!r}") from None
        if verified_at.tzinfo is None:
            raise InvalidInput(f"{where}: 'verified_at' needs a time zone, e.g. 2026-04-01T10:00:00+09:00")
    days = item.get("review_interval_days", DEFAULT_REVIEW_DAYS)
    if isinstance(days, bool) or not isinstance(days, int):
        raise InvalidInput(f"{where}: 'review_interval_days' must be a whole number")
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInput(f"{where}: 'tags' must be a list of strings")
    question, answer = text("question"), text("answer")
    assert question is not None and answer is not None
    return FaqInput(
        line=number,
        id=None,
        question=question,
        answer=answer,
        tags=parse_tags(tags),
        status=FaqStatus.PUBLISHED,
        review_interval_days=days,
        verified_by=text("verified_by", required=False),
        verified_at=verified_at,
        source_thread=text("source_thread", required=False),
    )
