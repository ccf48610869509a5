"""Initial schema: channels, people, threads, messages, reactions, embeddings, receipts.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("workspace_id", sa.String(255), nullable=True),
        sa.Column("archived", sa.Boolean, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.UniqueConstraint("platform", "external_id", name="uq_channels_platform"),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("organization", sa.String(255), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("is_bot", sa.Boolean, nullable=False),
        sa.Column("opted_out", sa.Boolean, nullable=False),
        sa.UniqueConstraint("platform", "external_id", name="uq_people_platform"),
    )
    op.create_table(
        "threads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "channel_id",
            sa.Integer,
            sa.ForeignKey("channels.id", ondelete="CASCADE", name="fk_threads_channel_id_channels"),
            nullable=False,
        ),
        sa.Column("root_external_id", sa.String(255), nullable=False),
        sa.Column("asker_external_id", sa.String(255), nullable=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("is_question", sa.Boolean, nullable=False),
        sa.Column("answer_count", sa.Integer, nullable=False),
        sa.Column("accepted_message_id", sa.Integer, nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sa.Column("url", sa.Text, nullable=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("document_hash", sa.String(64), nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("channel_id", "root_external_id", name="uq_threads_channel_id"),
    )
    op.create_index("ix_threads_change_seq", "threads", ["change_seq"])
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "channel_id",
            sa.Integer,
            sa.ForeignKey("channels.id", ondelete="CASCADE", name="fk_messages_channel_id_channels"),
            nullable=False,
        ),
        sa.Column(
            "thread_id",
            sa.Integer,
            sa.ForeignKey("threads.id", ondelete="CASCADE", name="fk_messages_thread_id_threads"),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("author_external_id", sa.String(255), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("is_bot", sa.Boolean, nullable=False),
        sa.Column("url", sa.Text, nullable=True),
        sa.UniqueConstraint("channel_id", "external_id", name="uq_messages_channel_id"),
    )
    op.create_index("ix_messages_thread_id", "messages", ["thread_id"])
    op.create_table(
        "reactions",
        sa.Column(
            "message_id",
            sa.Integer,
            sa.ForeignKey("messages.id", ondelete="CASCADE", name="fk_reactions_message_id_messages"),
            primary_key=True,
        ),
        sa.Column("person_external_id", sa.String(255), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
    )
    op.create_table(
        "embeddings",
        sa.Column(
            "thread_id",
            sa.Integer,
            sa.ForeignKey("threads.id", ondelete="CASCADE", name="fk_embeddings_thread_id_threads"),
            primary_key=True,
        ),
        sa.Column("model_id", sa.String(255), nullable=False),
        sa.Column("document_hash", sa.String(64), nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "event_receipts",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.bulk_insert(
        sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger)),
        [{"name": "change_seq", "value": 0}],
    )


def downgrade() -> None:
    for table in (
        "event_receipts",
        "embeddings",
        "reactions",
        "messages",
        "threads",
        "people",
        "channels",
        "counters",
        "meta",
    ):
        op.drop_table(table)
