"""The knowledge base's errors: few, carrying data, translated at each boundary (CLI, chat, HTTP)."""

from __future__ import annotations


class KnowledgeError(Exception):
    """Base of every error the knowledge base raises on purpose."""


class StorageError(KnowledgeError):
    """The database cannot be opened or used."""


class EmbedderMismatch(KnowledgeError):
    """The stored vectors were made by another embedder than the one configured."""

    def __init__(self, stored: str, configured: str) -> None:
        self.stored = stored
        self.configured = configured
        super().__init__(
            f"the knowledge base was indexed with embedder {stored!r} but {configured!r} is configured; "
            "run `yorozu reindex` to re-embed every thread with the configured embedder "
            "(or configure the original embedder again)"
        )


class EmbedderUnavailable(KnowledgeError):
    """The configured embedder cannot be loaded."""


class ImportFailed(KnowledgeError):
    """An export or CSV cannot be read; says where and why."""


class InvalidQuestion(KnowledgeError):
    """A question that cannot be searched (empty, or far too long)."""


class NotAllowed(KnowledgeError):
    """The person may not do this (curating needs the admin or specialist role); the shell says so kindly."""

    def __init__(self, actor: str, action: str, needs: str = "admin or specialist") -> None:
        self.actor = actor
        self.action = action
        self.needs = needs
        super().__init__(f"{action} needs the {needs} role ({actor} does not have it)")


class NotFound(KnowledgeError):
    """A thing named by id (an FAQ entry, a thread, a review item) does not exist."""

    def __init__(self, what: str, key: object) -> None:
        self.what = what
        self.key = key
        super().__init__(f"no {what} {key}")


class InvalidInput(KnowledgeError):
    """A value cannot be accepted (an empty FAQ answer, an unknown status, a malformed person id)."""


class NotShareable(KnowledgeError):
    """A question from a private channel or a DM may leave it only when the person who asked sends it."""
