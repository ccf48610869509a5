"""The knowledge base's errors: few, carrying data, translated at each boundary (CLI, chat, HTTP)."""

from __future__ import annotations


class KnowledgeError(Exception):
    """Base of every error the knowledge base raises on purpose.

    ``str()`` is the English message. ``key`` and ``params``, when given, name the same message for a shell
    that speaks the user's language (``bot.messages``): the knowledge base itself speaks no language but English.
    """

    def __init__(self, message: str = "", *, key: str | None = None, params: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.params: dict[str, object] = dict(params or {})


class StorageError(KnowledgeError):
    """The database cannot be opened or used."""


class EmbedderMismatch(KnowledgeError):
    """The stored vectors were made by another embedder than the one configured."""

    def __init__(self, stored: str, configured: str) -> None:
        super().__init__(
            f"the knowledge base was indexed with embedder {stored!r} but {configured!r} is configured; "
            "run `yorozu reindex` to re-embed every thread with the configured embedder "
            "(or configure the original embedder again)",
            key="error_embedder_mismatch",
            params={"stored": stored, "configured": configured},
        )
        self.stored = stored
        self.configured = configured


class EmbedderUnavailable(KnowledgeError):
    """The configured embedder cannot be loaded."""


# How many bad rows an import error lists in its message (it holds them all in ``rows``).
MAX_ROWS_SHOWN = 50


class ImportFailed(KnowledgeError):
    """An export or CSV cannot be read; says where and why.

    A file checked row by row names every bad row in ``rows`` (line number, what is wrong), and ``name`` the file.
    """

    def __init__(
        self,
        message: str = "",
        *,
        key: str | None = None,
        params: dict[str, object] | None = None,
        rows: tuple[tuple[int, KnowledgeError], ...] = (),
        name: str = "",
    ) -> None:
        super().__init__(message, key=key, params=params)
        self.rows = rows
        self.name = name

    @classmethod
    def for_rows(cls, errors: list[tuple[int, KnowledgeError]], *, name: str = "") -> ImportFailed:
        """One error naming every bad row (the first ``MAX_ROWS_SHOWN`` in its message)."""
        count = len(errors)
        lines = [f"line {line}: {exc}" for line, exc in errors[:MAX_ROWS_SHOWN]]
        if count > MAX_ROWS_SHOWN:
            lines.append(f"… and {count - MAX_ROWS_SHOWN} more")
        where = f"{name}: " if name else ""
        return cls(
            f"{where}nothing imported, {count} bad {'row' if count == 1 else 'rows'}:\n" + "\n".join(lines),
            key="error_csv_rows",
            params={"name": name},
            rows=tuple(errors),
            name=name,
        )


class InvalidQuestion(KnowledgeError):
    """A question that cannot be searched (empty, or far too long)."""


class NotAllowed(KnowledgeError):
    """The person may not do this (curating needs the admin or specialist role); the shell says so kindly."""

    def __init__(self, actor: str, action: str, needs: str = "admin or specialist") -> None:
        super().__init__(f"{action} needs the {needs} role ({actor} does not have it)")
        self.actor = actor
        self.action = action
        self.needs = needs


class NotFound(KnowledgeError):
    """A thing named by id (an FAQ entry, a thread, a review item) does not exist."""

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"no {what} {key}", key="error_not_found", params={"what": what, "id": key})
        self.what = what
        self.id = key


class InvalidInput(KnowledgeError):
    """A value cannot be accepted (an empty FAQ answer, an unknown status, a malformed person id)."""


class NotShareable(KnowledgeError):
    """A question from a private channel or a DM may leave it only when the person who asked sends it."""
