"""The FAQにする dialog (a Teams message action opening a task module): pure functions to card JSON.

The manifest declares a message-extension action command (``MAKE_FAQ_COMMAND``, context ``message``,
``fetchTask``): Teams sends ``composeExtension/fetchTask`` with the message the specialist picked, Yorozu
answers with this dialog prefilled with the thread's question and best answer, and the dialog's submit
comes back as ``composeExtension/submitAction`` carrying the inputs and :func:`submit_data`. The JSON
becomes botbuilder's response models last (:func:`action_response`, :func:`module_response`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.schema import Attachment
from botbuilder.schema.teams import (
    MessagingExtensionActionResponse,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleResponse,
    TaskModuleTaskInfo,
)

from bot.interactions.faq_dialog import FaqSubmission
from bot.messages import Locale, locale_from, text
from bot.teams.cards import CARD_CONTENT_TYPE, CARD_VERSION, SCHEMA, Card, escape_markdown
from knowledge.faq import MAX_ANSWER_CHARS, MAX_QUESTION_CHARS
from knowledge.model import FaqDraft, FaqStatus

MAKE_FAQ_COMMAND = "makeFaq"
SUBMIT_KIND = "yorozu.faq"
TAGS_CHARS = 500


@dataclass(frozen=True, slots=True)
class FaqForm:
    """What the dialog's submit carries: the submission, and the language the dialog was opened in."""

    submission: FaqSubmission
    locale: Locale


def submit_data(draft: FaqDraft, locale: Locale) -> dict[str, Any]:
    """The hidden data the dialog's submit button sends back beside the inputs."""
    return {"kind": SUBMIT_KIND, "source": draft.source_thread, "faq": draft.faq_id, "locale": str(locale)}


def render_faq_dialog(draft: FaqDraft, locale: Locale, *, error: str | None = None) -> Card:
    """The editable entry: question, answer, tags, "publish now"; ``error`` says why the last submit failed."""
    body: list[dict[str, Any]] = []
    if error:
        # It may quote what the specialist typed (a tag, say): shown as typed, not as Markdown.
        text_block = {"type": "TextBlock", "text": escape_markdown(error), "wrap": True}
        body.append(text_block | {"color": "Attention", "weight": "Bolder"})
    published = draft.status == FaqStatus.PUBLISHED
    body += [
        {
            "type": "Input.Text",
            "id": "question",
            "label": text("faq_field_question", locale),
            "value": draft.question[:MAX_QUESTION_CHARS],
            "isMultiline": True,
            "maxLength": MAX_QUESTION_CHARS,
            "isRequired": True,
            "errorMessage": text("faq_question_required", locale),
        },
        {
            "type": "Input.Text",
            "id": "answer",
            "label": text("faq_field_answer", locale),
            "value": draft.answer[:MAX_ANSWER_CHARS],
            "isMultiline": True,
            "maxLength": MAX_ANSWER_CHARS,
            "isRequired": True,
            "errorMessage": text("faq_answer_required", locale),
        },
        {
            "type": "Input.Text",
            "id": "tags",
            "label": text("faq_field_tags", locale),
            "value": "; ".join(draft.tags),
            "maxLength": TAGS_CHARS,
        },
        {
            "type": "Input.Toggle",
            "id": "publish",
            "title": text("faq_field_publish", locale),
            "value": "true" if published else "false",
            "valueOn": "true",
            "valueOff": "false",
        },
    ]
    submit = {
        "type": "Action.Submit",
        "title": text("faq_submit", locale),
        "style": "positive",
        "data": submit_data(draft, locale),
    }
    return {"type": "AdaptiveCard", "$schema": SCHEMA, "version": CARD_VERSION, "body": body, "actions": [submit]}


def continue_response(card: Card, locale: Locale) -> dict[str, Any]:
    """A task-module response that shows ``card`` in the dialog."""
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": text("faq_dialog_title", locale),
                "height": "large",
                "width": "large",
                "card": {"contentType": CARD_CONTENT_TYPE, "content": card},
            },
        }
    }


def message_response(message: str) -> dict[str, Any]:
    """A task-module response that closes the form and shows ``message`` in a small dialog."""
    return {"task": {"type": "message", "value": message}}


def parse_form(data: object) -> FaqForm | None:
    """The submit's data (inputs merged with :func:`submit_data`), or ``None`` when it is not Yorozu's form."""
    if not isinstance(data, dict) or data.get("kind") != SUBMIT_KIND:
        return None
    source = data.get("source")
    faq_id = data.get("faq")
    submission = FaqSubmission(
        question=_string(data.get("question")),
        answer=_string(data.get("answer")),
        tags=_string(data.get("tags"))[:TAGS_CHARS],
        publish=_string(data.get("publish")).lower() == "true" or data.get("publish") is True,
        source_thread=source if isinstance(source, str) and source else None,
        faq_id=faq_id if isinstance(faq_id, int) and not isinstance(faq_id, bool) and faq_id > 0 else None,
    )
    return FaqForm(submission, locale_from(_string(data.get("locale")) or "ja"))


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _task(body: dict[str, Any]) -> TaskModuleContinueResponse | TaskModuleMessageResponse:
    """A task-module answer (this module's JSON) as botbuilder's model.

    Built field by field: botbuilder's ``deserialize`` drops the polymorphic ``task.value``."""
    task = body["task"]
    if task["type"] == "message":
        return TaskModuleMessageResponse(value=task["value"])
    value = task["value"]
    card = Attachment(content_type=value["card"]["contentType"], content=value["card"]["content"])
    info = TaskModuleTaskInfo(title=value["title"], height=value["height"], width=value["width"], card=card)
    return TaskModuleContinueResponse(value=info)


def action_response(body: dict[str, Any]) -> MessagingExtensionActionResponse:
    """The answer to a message action (``composeExtension/fetchTask`` or ``submitAction``)."""
    return MessagingExtensionActionResponse(task=_task(body))


def module_response(body: dict[str, Any]) -> TaskModuleResponse:
    """The answer to a task module's ``task/fetch`` or ``task/submit``."""
    return TaskModuleResponse(task=_task(body))
