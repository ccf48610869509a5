"""The schema, as SQLAlchemy Core tables. Migrations in ``migrations/`` create it; keep both in step."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Small settings of the knowledge base itself, e.g. which embedder made the stored vectors.
meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# Monotonic counters. "change_seq" orders thread changes so every index (in this process or another
# replica) can catch up with exactly what changed since it last looked.
counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

channels = Table(
    "channels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("name", String(255), nullable=True),
    Column("visibility", String(16), nullable=False, default="public"),
    Column("workspace_id", String(255), nullable=True),
    Column("archived", Boolean, nullable=False, default=False),
    Column("deleted", Boolean, nullable=False, default=False),
    # Whether Yorozu answers new questions in this channel by itself (a command switches it).
    Column("auto_suggest", Boolean, nullable=False, default=True, server_default=sa.true()),
    UniqueConstraint("platform", "external_id"),
)

people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("display_name", String(255), nullable=False),
    Column("organization", String(255), nullable=True),
    Column("email", String(320), nullable=True),
    Column("is_bot", Boolean, nullable=False, default=False),
    Column("opted_out", Boolean, nullable=False, default=False),
    UniqueConstraint("platform", "external_id"),
)

threads = Table(
    "threads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel_id", Integer, ForeignKey("channels.id", ondelete="CASCADE"), nullable=False),
    Column("root_external_id", String(255), nullable=False),
    Column("asker_external_id", String(255), nullable=True),
    Column("title", Text, nullable=False, default=""),
    Column("is_question", Boolean, nullable=False, default=False),
    Column("answer_count", Integer, nullable=False, default=0),
    Column("accepted_message_id", Integer, nullable=True),
    Column("asked_at", DateTime(timezone=True), nullable=True),
    Column("last_activity_at", DateTime(timezone=True), nullable=True),
    # A thread is hidden while its root is missing or deleted, or its channel is deleted.
    Column("hidden", Boolean, nullable=False, default=True),
    Column("url", Text, nullable=True),
    # The text the indexes hold for this thread, and its hash (embeddings are keyed by it).
    Column("document", Text, nullable=False, default=""),
    Column("document_hash", String(64), nullable=False, default=""),
    Column("change_seq", BigInteger, nullable=False, default=0),
    UniqueConstraint("channel_id", "root_external_id"),
    Index("ix_threads_change_seq", "change_seq"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel_id", Integer, ForeignKey("channels.id", ondelete="CASCADE"), nullable=False),
    Column("thread_id", Integer, ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("author_external_id", String(255), nullable=True),
    Column("text", Text, nullable=False, default=""),
    Column("posted_at", DateTime(timezone=True), nullable=False),
    Column("edited_at", DateTime(timezone=True), nullable=True),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("is_bot", Boolean, nullable=False, default=False),
    Column("url", Text, nullable=True),
    UniqueConstraint("channel_id", "external_id"),
    Index("ix_messages_thread_id", "thread_id"),
)

reactions = Table(
    "reactions",
    metadata,
    Column("message_id", Integer, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("person_external_id", String(255), primary_key=True),
    Column("name", String(100), primary_key=True),
)

embeddings = Table(
    "embeddings",
    metadata,
    Column("thread_id", Integer, ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True),
    Column("model_id", String(255), nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("vector", LargeBinary, nullable=False),
)

# Platform deliveries already accepted (Slack event_id, Teams activity id): a retry is stored once.
event_receipts = Table(
    "event_receipts",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

# Work that must survive a crash or restart: replying with suggestions, follow-ups. Claimed with a
# lease so that several processes on one database run each job once; `key` makes enqueueing idempotent.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("key", String(255), nullable=True),
    Column("payload", Text, nullable=False),
    Column("run_after", DateTime(timezone=True), nullable=False),
    Column("claimed_by", String(128), nullable=True),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("last_error", Text, nullable=True),
    Column("done_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("key", name="uq_jobs_key"),
    Index("ix_jobs_due", "done_at", "run_after"),
)

# What people said about a suggestion (解決した / 役に立たなかった). One verdict per person, question
# and suggested thread: pressing again changes the verdict.
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("channel_external_id", String(255), nullable=True),
    Column("question_message_id", String(255), nullable=True),
    Column("question", Text, nullable=False),
    Column("suggested_thread", String(600), nullable=False),
    Column("person_external_id", String(255), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "platform", "question_message_id", "suggested_thread", "person_external_id", name="uq_feedback_platform"
    ),
)
