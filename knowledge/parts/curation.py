"""The curated FAQ as the knowledge base offers it: every change checked against the actor's roles.

The entries' rules (versions, mirrors, import rows) are :mod:`knowledge.faq`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from knowledge import faq
from knowledge.errors import ImportFailed, InvalidInput, KnowledgeError, NotFound
from knowledge.model import Actor, FaqDraft, FaqEntry, FaqStatus, FaqVersion
from knowledge.parts.roles import Roles
from knowledge.store import repository as repo


class Curation(Roles):
    """Curated FAQ entries: drafts, edits, publishing, verification, import."""

    def _people(self, conn: Any) -> faq.PeopleLookup:
        return lambda platform, ids: repo.find_people(conn, platform, ids)

    def faq_draft(
        self, actor: Actor, platform: str, channel_id: str, root_id: str, *, answer_id: str | None = None
    ) -> FaqDraft:
        """What the FAQにする dialog opens with: the thread's question and its best answer (or the reply
        ``answer_id`` when the action was used on a reply). Raises :class:`NotAllowed`, :class:`NotFound`."""
        self._require(actor, "making FAQ entries")
        with self.store.begin() as conn:
            return faq.draft_from_thread(conn, platform, channel_id, root_id, answer_id=answer_id)

    def faq_create(
        self,
        actor: Actor,
        *,
        question: str,
        answer: str,
        tags: str | Iterable[str] = (),
        source_thread: str | None = None,
        review_interval_days: int = faq.DEFAULT_REVIEW_DAYS,
        publish: bool = False,
    ) -> FaqEntry:
        """A new entry owned by ``actor`` (a draft unless ``publish``)."""
        self._require(actor, "making FAQ entries")
        with self.store.begin() as conn:
            row = faq.create(
                conn,
                question=question,
                answer=answer,
                tags=tags,
                owner=actor,
                source_thread=source_thread,
                review_interval_days=review_interval_days,
                status=FaqStatus.PUBLISHED if publish else FaqStatus.DRAFT,
            )
            return faq.to_entry(row, self._people(conn))

    def faq_save(
        self,
        actor: Actor,
        *,
        question: str,
        answer: str,
        tags: str | Iterable[str] = (),
        source_thread: str | None = None,
        faq_id: int | None = None,
        publish: bool = False,
    ) -> FaqEntry:
        """What a curation dialog's submit does, in one transaction: create the entry (or edit ``faq_id``);
        with ``publish``, publish it and record ``actor`` as its verifier (curating it is checking it)."""
        self._require(actor, "making FAQ entries")
        with self.store.begin() as conn:
            if faq_id is None:
                row = faq.create(
                    conn, question=question, answer=answer, tags=tags, owner=actor, source_thread=source_thread
                )
            else:
                row = faq.edit(conn, faq_id, editor=actor, question=question, answer=answer, tags=tags)
            if publish:
                row = faq.set_status(conn, row.id, FaqStatus.PUBLISHED, editor=actor)
                row = faq.verify(conn, row.id, verifier=actor)
            return faq.to_entry(row, self._people(conn))

    def faq_edit(
        self,
        actor: Actor,
        faq_id: int,
        *,
        question: str | None = None,
        answer: str | None = None,
        tags: str | Iterable[str] | None = None,
        review_interval_days: int | None = None,
    ) -> FaqEntry:
        """Change an entry (a new version; a published entry is re-indexed)."""
        self._require(actor, "editing FAQ entries")
        with self.store.begin() as conn:
            row = faq.edit(
                conn,
                faq_id,
                editor=actor,
                question=question,
                answer=answer,
                tags=tags,
                review_interval_days=review_interval_days,
            )
            return faq.to_entry(row, self._people(conn))

    def faq_set_status(self, actor: Actor, faq_id: int, status: FaqStatus) -> FaqEntry:
        """Publish, retire (never suggested again, at once) or send back to draft."""
        self._require(actor, f"changing FAQ entries to {status}")
        with self.store.begin() as conn:
            row = faq.set_status(conn, faq_id, FaqStatus(status), editor=actor)
            return faq.to_entry(row, self._people(conn))

    def faq_publish(self, actor: Actor, faq_id: int) -> FaqEntry:
        return self.faq_set_status(actor, faq_id, FaqStatus.PUBLISHED)

    def faq_retire(self, actor: Actor, faq_id: int) -> FaqEntry:
        return self.faq_set_status(actor, faq_id, FaqStatus.RETIRED)

    def faq_verify(self, actor: Actor, faq_id: int, *, verified_at: datetime | None = None) -> FaqEntry:
        """``actor`` checked the entry: it shows their name and the date; its review clock restarts."""
        self._require(actor, "verifying FAQ entries")
        with self.store.begin() as conn:
            row = faq.verify(conn, faq_id, verifier=actor, verified_at=verified_at)
            return faq.to_entry(row, self._people(conn))

    def faq_get(self, faq_id: int) -> FaqEntry:
        with self.store.begin() as conn:
            return faq.to_entry(faq.get(conn, faq_id), self._people(conn))

    def faq_list(self, status: FaqStatus | None = None) -> list[FaqEntry]:
        with self.store.begin() as conn:
            people = self._people(conn)
            return [faq.to_entry(r, people) for r in repo.list_faq(conn, str(status) if status else None)]

    def faq_history(self, faq_id: int) -> list[FaqVersion]:
        """Every version of an entry, oldest first."""
        with self.store.begin() as conn:
            return faq.history(conn, faq_id)

    def faq_due_for_review(self, now: datetime | None = None) -> list[FaqEntry]:
        """Published entries whose verification is older than their review interval."""
        now = now or datetime.now(UTC)
        return [e for e in self.faq_list(FaqStatus.PUBLISHED) if e.review_due(now)]

    def faq_import(self, actor: Actor, rows: Sequence[faq.FaqInput]) -> faq.FaqImportCounts:
        """Create or update entries in one transaction (all or nothing); returns (created, updated, unchanged).

        A row naming an id this knowledge base does not have fails the import with a hint: such a file usually
        comes from another instance, and clearing its ``id`` column (``faq export --portable``) imports it.
        """
        self._require(actor, "importing FAQ entries")
        outcomes = {"created": 0, "updated": 0, "unchanged": 0}
        errors: list[tuple[int, KnowledgeError]] = []
        with self.store.begin() as conn:
            for item in rows:
                try:
                    outcomes[faq.apply_input(conn, item, actor=actor)] += 1
                except (InvalidInput, NotFound) as exc:
                    errors.append((item.line, exc))
            if errors:  # raising inside the transaction rolls every row back
                failed = ImportFailed.for_rows(errors)
                if any(isinstance(exc, NotFound) for _, exc in errors):
                    failed = ImportFailed(
                        f"{failed}\nno FAQ entry here has these ids: if the file comes from another Yorozu, clear "
                        "the id column (or export it with `yorozu faq export --portable`) to import the rows as new "
                        "entries",
                        key=failed.key,
                        params={**failed.params, "unknown_ids": True},
                        rows=failed.rows,
                    )
                raise failed
        return faq.FaqImportCounts(outcomes["created"], outcomes["updated"], outcomes["unchanged"])
