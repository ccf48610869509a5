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
    # How to post into the channel later (jobs, follow-ups), as the platform needs it: for Teams the Bot
    # Connector's service URL and tenant (JSON). Slack needs nothing beyond the channel id.
    Column("reply_address", Text, nullable=True),
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
    # The Teams tenant the person signs in from: organisation rules may map it to an organisation.
    Column("tenant_id", String(255), nullable=True),
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
    # The reply a suggestion shows: the accepted answer, else the reply most related to the question.
    Column("best_message_id", Integer, nullable=True),
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
    # 解決した: the answer of the suggested thread that solved the question (its platform message id).
    Column("answer_external_id", String(255), nullable=True),
    # 役に立たなかった puts the press in the specialists' review queue until someone resolves it.
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("resolved_by", String(300), nullable=True),
    # Where the verdict came from: NULL for a button, "thanks" for the asker thanking in a thread
    # Yorozu answered (knowledge.learning keeps such a row in step with that thread).
    Column("source", String(16), nullable=True),
    UniqueConstraint(
        "platform", "question_message_id", "suggested_thread", "person_external_id", name="uq_feedback_platform"
    ),
    Index("ix_feedback_suggested_thread", "suggested_thread"),
)

# Curated FAQ entries. A published entry is mirrored into `threads` (pseudo-channel "faq"/"faq",
# root = the entry id) so every index indexes it like a thread; `thread_id` points at that mirror.
faq_entries = Table(
    "faq_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("tags", Text, nullable=False, default="", server_default=""),  # "; "-separated
    Column("status", String(16), nullable=False),  # draft | published | retired
    Column("owner_platform", String(16), nullable=True),
    Column("owner_id", String(255), nullable=True),
    Column("verified_by_platform", String(16), nullable=True),
    Column("verified_by_id", String(255), nullable=True),
    Column("verified_by_name", String(255), nullable=True),
    Column("verified_at", DateTime(timezone=True), nullable=True),
    Column("review_interval_days", Integer, nullable=False, default=180, server_default="180"),
    Column("source_thread", String(600), nullable=True),  # "platform:channel:root" it was made from
    Column("version", Integer, nullable=False, default=1, server_default="1"),
    Column("thread_id", Integer, ForeignKey("threads.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_faq_entries_status", "status"),
)

# Every state an FAQ entry has been in, one row per change (edit, publish, verify, retire, import).
faq_versions = Table(
    "faq_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("faq_id", Integer, ForeignKey("faq_entries.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("tags", Text, nullable=False, default="", server_default=""),
    Column("status", String(16), nullable=False),
    Column("change", String(32), nullable=False),
    Column("editor", String(300), nullable=True),  # "platform:person id"
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("faq_id", "version", name="uq_faq_versions_faq_id"),
)

# Roles granted by an admin command (roles from settings are not stored: removing them there removes them).
roles = Table(
    "roles",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("person_external_id", String(255), primary_key=True),
    Column("role", String(16), primary_key=True),  # admin | specialist
    Column("granted_by", String(300), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Topics a person asked to be pinged about; nobody without a subscription is ever pinged.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("person_external_id", String(255), primary_key=True),
    Column("topic", String(200), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Admin-editable rules giving a person an organisation when the platform gives none.
organization_rules = Table(
    "organization_rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # email_domain | teams_tenant
    Column("value", String(255), nullable=False),
    Column("organization", String(255), nullable=False),
    UniqueConstraint("kind", "value", name="uq_organization_rules_kind"),
)

# Questions people asked Yorozu in chat, with whether it abstained (knowledge gaps) and what it
# suggested (helpfulness: a suggestion nobody pressed a button on counts as unknown).
queries = Table(
    "queries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=True),
    Column("channel_external_id", String(255), nullable=True),
    Column("question_message_id", String(255), nullable=True),
    Column("question", Text, nullable=False),
    Column("abstained", Boolean, nullable=False),
    Column("suggested", Text, nullable=False, default="", server_default=""),  # JSON list of thread ids
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Index("ix_queries_asked_at", "asked_at"),
    Index("ix_queries_message", "platform", "channel_external_id", "question_message_id"),
)
