"""The FAQにする modal: pure functions from a draft to a Block Kit view, and from a submitted view back.

The view carries everything the submit needs in ``private_metadata`` (the source thread, the FAQ entry
being edited, the person's language), so a submission needs no server-side state. Initial values are
clipped to Block Kit's limits; Slack refuses a whole view when one value is too long.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.interactions.faq_dialog import ANSWER, QUESTION, TAGS, FaqSubmission
from bot.messages import Locale, locale_from, text
from knowledge.faq import MAX_QUESTION_CHARS, join_tags
from knowledge.model import FaqDraft, FaqEntry, FaqStatus

View = dict[str, Any]

CALLBACK_SHORTCUT = "yorozu_faq"
CALLBACK_SUBMIT = "yorozu_faq_submit"
CALLBACK_NOTICE = "yorozu_faq_notice"

BLOCK_QUESTION = "yorozu.faq.question"
BLOCK_ANSWER = "yorozu.faq.answer"
BLOCK_TAGS = "yorozu.faq.tags"
BLOCK_PUBLISH = "yorozu.faq.publish"
ELEMENT = "value"
PUBLISH = "publish"

# Block Kit's limits: a modal's title and buttons 24 characters, a plain-text input 3000, a checkbox
# option's text 75, private_metadata 3000.
TITLE_CHARS = 24
INPUT_CHARS = 3000
OPTION_CHARS = 75
METADATA_CHARS = 3000
# The knowledge base refuses longer questions; the input says so before the submit does.
QUESTION_CHARS = min(INPUT_CHARS, MAX_QUESTION_CHARS)
TAGS_CHARS = 500


def _plain(value: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _clip(value, limit), "emoji": True}


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _cut(value: str, limit: int) -> str:
    """An initial value cut to fit (no ellipsis: the text is edited and saved as it stands)."""
    return value[:limit]


@dataclass(frozen=True, slots=True)
class FaqMetadata:
    """What the modal remembers between opening and submitting."""

    source_thread: str | None
    faq_id: int | None
    locale: Locale


def write_metadata(meta: FaqMetadata) -> str:
    data = {"s": meta.source_thread, "f": meta.faq_id, "l": str(meta.locale)}
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if len(raw) > METADATA_CHARS:  # a source key is short; never send a view Slack would refuse
        raw = json.dumps({"f": meta.faq_id, "l": str(meta.locale)}, separators=(",", ":"))
    return raw


def read_metadata(raw: object) -> FaqMetadata:
    """The modal's metadata; anything unreadable means a new entry without a source, in Japanese."""
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    source = data.get("s")
    faq_id = data.get("f")
    return FaqMetadata(
        source_thread=source if isinstance(source, str) and source else None,
        # bool is an int in Python: a forged true must not edit entry 1.
        faq_id=faq_id if isinstance(faq_id, int) and not isinstance(faq_id, bool) and faq_id > 0 else None,
        locale=locale_from(data.get("l") if isinstance(data.get("l"), str) else None),
    )


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": _plain(label, 2000),
        "element": element,
    }


def _text_input(initial: str, limit: int, *, multiline: bool) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ELEMENT,
        "multiline": multiline,
        "max_length": limit,
    }
    initial = _cut(initial.strip(), limit)
    if initial:  # Slack refuses an empty initial_value
        element["initial_value"] = initial
    return element


def faq_modal(draft: FaqDraft, locale: Locale) -> View:
    """The editable dialog: question, answer, tags and "publish now", prefilled from ``draft``."""
    publish_option = {"text": _plain(text("faq_field_publish", locale), OPTION_CHARS), "value": PUBLISH}
    blocks: list[dict[str, Any]] = []
    if draft.faq_id is not None:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "plain_text", "text": text("faq_editing", locale, id=draft.faq_id), "emoji": True}
                ],
            }
        )
    blocks += [
        _input(
            BLOCK_QUESTION,
            text("faq_field_question", locale),
            _text_input(draft.question, QUESTION_CHARS, multiline=True),
        ),
        _input(BLOCK_ANSWER, text("faq_field_answer", locale), _text_input(draft.answer, INPUT_CHARS, multiline=True)),
        _input(
            BLOCK_TAGS,
            text("faq_field_tags", locale),
            _text_input(join_tags(draft.tags), TAGS_CHARS, multiline=False),
            optional=True,
        ),
        _input(
            BLOCK_PUBLISH,
            text("faq_field_status", locale),
            {"type": "checkboxes", "action_id": ELEMENT, "options": [publish_option]},
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK_SUBMIT,
        "title": _plain(text("faq_dialog_title", locale), TITLE_CHARS),
        "submit": _plain(text("faq_submit", locale), TITLE_CHARS),
        "close": _plain(text("faq_cancel", locale), TITLE_CHARS),
        "private_metadata": write_metadata(FaqMetadata(draft.source_thread, draft.faq_id, locale)),
        "blocks": blocks,
    }


def notice_modal(key: str, locale: Locale, **params: object) -> View:
    """A modal that only says something (not allowed, saved, thread gone), with a close button."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_NOTICE,
        "title": _plain(text("faq_dialog_title", locale), TITLE_CHARS),
        "close": _plain(text("close", locale), TITLE_CHARS),
        "blocks": [
            {"type": "section", "text": {"type": "plain_text", "text": _clip(text(key, locale, **params), 3000)}}
        ],
    }


def saved_modal(entry: FaqEntry, locale: Locale) -> View:
    """The confirmation that replaces the dialog after a successful save."""
    key = "faq_saved_published" if entry.status == FaqStatus.PUBLISHED else "faq_saved_draft"
    return notice_modal(key, locale, id=entry.id)


def read_form(view: object, meta: FaqMetadata) -> FaqSubmission:
    """The submitted values with where the entry comes from (the modal's metadata); a missing or
    malformed field reads as empty (and is then refused kindly)."""
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    values = values if isinstance(values, dict) else {}

    def element(block_id: str) -> dict[str, Any]:
        block = values.get(block_id)
        found = block.get(ELEMENT) if isinstance(block, dict) else None
        return found if isinstance(found, dict) else {}

    def value(block_id: str) -> str:
        raw = element(block_id).get("value")
        return raw.strip() if isinstance(raw, str) else ""

    selected = element(BLOCK_PUBLISH).get("selected_options")
    publish = isinstance(selected, list) and any(isinstance(o, dict) and o.get("value") == PUBLISH for o in selected)
    return FaqSubmission(
        question=value(BLOCK_QUESTION),
        answer=value(BLOCK_ANSWER),
        tags=value(BLOCK_TAGS),
        publish=publish,
        source_thread=meta.source_thread,
        faq_id=meta.faq_id,
    )


# The dialog's fields (bot.interactions.faq_dialog) as the modal's blocks.
FIELD_BLOCKS = {QUESTION: BLOCK_QUESTION, ANSWER: BLOCK_ANSWER, TAGS: BLOCK_TAGS}


def field_errors(errors: dict[str, str]) -> dict[str, str]:
    """What is wrong with a submit, field by field, as Slack shows it under the inputs
    (``response_action: errors``, keyed by block id)."""
    return {FIELD_BLOCKS[name]: message for name, message in errors.items()}
