"""FAQにする in Teams: the dialog behind the message action and the button on curators' replies.

The handler's task-module hooks come here with the activity and what was picked or submitted; the
decisions (who may curate, what the dialog opens with, what is wrong with a submit) are
:mod:`bot.interactions.faq_dialog`'s. Whatever fails, the specialist gets a message rather than a broken
dialog, and the log the cause.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.schema import Activity

from bot import interactions
from bot.interactions import FaqRejected
from bot.messages import Locale, text
from bot.service import KnowledgeService
from bot.teams import convert, dialogs
from bot.teams.presses import actor_of
from knowledge.model import FaqDraft, FaqStatus

log = logging.getLogger(__name__)


class FaqDialogs:
    """Opens and saves the FAQにする dialog for the Teams handler."""

    def __init__(self, service: KnowledgeService) -> None:
        self.service = service

    async def open(
        self,
        activity: Activity,
        locale: Locale,
        thread: tuple[str, str, str] | None,
        answer_id: str | None,
        fallback_text: str,
    ) -> dict[str, Any]:
        """The dialog for a thread (platform, channel id, root id), or a message saying why there is none."""
        try:
            return await self._dialog_for(activity, locale, thread, answer_id, fallback_text)
        except Exception:
            # Whatever it was, the specialist gets a message rather than a broken dialog, and the log the cause.
            log.exception("FAQにする could not open the dialog for %s", ":".join(thread) if thread else "a message")
            return dialogs.message_response(text("error", locale))

    async def _dialog_for(
        self,
        activity: Activity,
        locale: Locale,
        thread: tuple[str, str, str] | None,
        answer_id: str | None,
        fallback_text: str,
    ) -> dict[str, Any]:
        # A message Yorozu never stored (a chat, or before it was installed) starts from its text.
        fallback = FaqDraft(question=fallback_text, answer="", source_thread=None) if fallback_text else None
        draft = await interactions.open_faq_dialog(
            self.service, actor_of(activity), thread, answer_id=answer_id, fallback=fallback
        )
        if isinstance(draft, str):
            if draft == "faq_thread_missing":
                # A suggested thread deleted since (the button has no text of its own to start from).
                log.info("FAQにする on a thread no longer stored: %s", ":".join(thread) if thread else "-")
            return dialogs.message_response(text(draft, locale))
        return dialogs.continue_response(dialogs.render_faq_dialog(draft, locale), locale)

    async def save(self, activity: Activity, data: object) -> dict[str, Any]:
        """Save what the dialog sent; the answer closes it with a message, or redraws it saying what is wrong."""
        form = dialogs.parse_form(data)
        if form is None:
            log.warning("a dialog submit that is not Yorozu's FAQ form: answered with an error message")
            return dialogs.message_response(text("error", convert.locale_of(activity)))
        try:
            return await self._save_form(activity, form)
        except Exception:
            log.exception("FAQにする could not save the dialog (source %s)", form.submission.source_thread or "-")
            return dialogs.message_response(text("error", form.locale))

    async def _save_form(self, activity: Activity, form: dialogs.FaqForm) -> dict[str, Any]:
        locale = form.locale
        actor = actor_of(activity)
        if actor is None:
            return dialogs.message_response(text("person_unknown", locale))
        saved = await interactions.save_faq(self.service, actor, form.submission, locale)
        if isinstance(saved, FaqRejected):
            if not saved.allowed:
                return dialogs.message_response(saved.first)
            card = dialogs.render_faq_dialog(form.submission.draft(), locale, error=saved.first)
            return dialogs.continue_response(card, locale)
        key = "faq_saved_published" if saved.status == FaqStatus.PUBLISHED else "faq_saved_draft"
        return dialogs.message_response(text(key, locale, id=saved.id))
