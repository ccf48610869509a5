"""The FAQにする dialog (Teams task module, Slack modal): what it opens with, and saving what was sent.

Opening: the thread's question and best answer (or the picked reply), for admins and specialists only; a
message Yorozu never stored starts from the adapter's ``fallback`` (its own text). Saving: the form is
checked field by field, then saved (and published, verified by the curator, when asked); what is wrong
comes back per field, for the dialog to show beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.errors import chat_key, chat_message
from bot.messages import Locale, error_text, text
from bot.service import KnowledgeService
from knowledge.base import KnowledgeBase
from knowledge.errors import InvalidInput, NotAllowed, NotFound
from knowledge.model import Actor, FaqDraft, FaqEntry, FaqStatus

# The dialog's fields, as the use case names them (each adapter maps them to its inputs).
QUESTION = "question"
ANSWER = "answer"
TAGS = "tags"


@dataclass(frozen=True, slots=True)
class FaqSubmission:
    """What the dialog sent: the edited fields, and where the entry comes from (or which entry it edits)."""

    question: str
    answer: str
    tags: str
    publish: bool
    source_thread: str | None
    faq_id: int | None

    def draft(self) -> FaqDraft:
        """The submission as a draft again, to redraw the dialog with what the specialist typed."""
        return FaqDraft(
            question=self.question,
            answer=self.answer,
            source_thread=self.source_thread,
            tags=tuple(t.strip() for t in self.tags.split(";") if t.strip()),
            faq_id=self.faq_id,
            status=FaqStatus.PUBLISHED if self.publish else None,
        )


@dataclass(frozen=True, slots=True)
class FaqRejected:
    """Why a submission was not saved: a text per field (``question``, ``answer``, ``tags``), in the order
    the dialog shows them. ``allowed`` is false when the person may not curate at all (nothing to fix)."""

    errors: dict[str, str] = field(default_factory=dict)
    allowed: bool = True

    @property
    def first(self) -> str:
        """The first problem, for a dialog that shows one line above its inputs."""
        return next(iter(self.errors.values()))


async def open_faq_dialog(
    service: KnowledgeService,
    actor: Actor | None,
    thread: tuple[str, str, str] | None,
    *,
    answer_id: str | None = None,
    fallback: FaqDraft | None = None,
) -> FaqDraft | str:
    """The draft the dialog opens with for ``thread`` (platform, channel id, root id), or the key of the
    message shown instead: who is asking is unknown, they may not curate, or the thread is gone and the
    adapter has no text of the message to start from (``fallback``)."""
    if actor is None:
        return "person_unknown"
    try:
        if thread is None:  # a message that names no stored thread (a chat): the role is checked here
            if not await service.run(KnowledgeBase.is_curator, actor.platform, actor.person_id):
                return "faq_not_allowed"
            raise NotFound("thread", "-")
        return await service.run(KnowledgeBase.faq_draft, actor, *thread, answer_id=answer_id)
    except NotAllowed as exc:
        return chat_key(exc)
    except NotFound as exc:
        # faq_draft checks the role first: reaching here means the person may curate.
        return fallback if fallback is not None else chat_key(exc)


def form_problems(question: str, answer: str, locale: Locale) -> dict[str, str]:
    """The fields a form cannot be saved without, each with what to tell (empty when the form is complete)."""
    errors = {}
    if not question.strip():
        errors[QUESTION] = text("faq_question_required", locale)
    if not answer.strip():
        errors[ANSWER] = text("faq_answer_required", locale)
    return errors


def field_of(exc: InvalidInput | NotFound) -> str:
    """Which field a refusal from the knowledge base is about (an :class:`InvalidInput` names it in its
    message; an entry or source not found is shown at the question)."""
    if isinstance(exc, NotFound):
        return QUESTION
    message = str(exc).lower()
    if "tag" in message:
        return TAGS
    if "answer" in message:
        return ANSWER
    return QUESTION


async def save_faq(
    service: KnowledgeService, actor: Actor, form: FaqSubmission, locale: Locale
) -> FaqEntry | FaqRejected:
    """Save the dialog's submission: create or edit the entry, and publish it (verified by ``actor``) if
    asked; or say, field by field, why not, in the person's language (Teams' dialog and Slack's modal
    alike)."""
    errors = form_problems(form.question, form.answer, locale)
    if errors:
        return FaqRejected(errors)
    try:
        return await service.run(
            KnowledgeBase.faq_save,
            actor,
            question=form.question,
            answer=form.answer,
            tags=form.tags,
            source_thread=form.source_thread,
            faq_id=form.faq_id,
            publish=form.publish,
        )
    except NotAllowed as exc:
        return FaqRejected({QUESTION: chat_message(exc, locale)}, allowed=False)
    except (InvalidInput, NotFound) as exc:
        return FaqRejected({field_of(exc): text("faq_invalid", locale, reason=error_text(exc, locale))})
