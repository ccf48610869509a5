"""Durable jobs (replies, follow-ups), feedback on suggestions, per-channel automatic suggestions.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("auto_suggest", sa.Boolean, nullable=False, server_default=sa.true()))
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("key", name="uq_jobs_key"),
    )
    op.create_index("ix_jobs_due", "jobs", ["done_at", "run_after"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("channel_external_id", sa.String(255), nullable=True),
        sa.Column("question_message_id", sa.String(255), nullable=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("suggested_thread", sa.String(600), nullable=False),
        sa.Column("person_external_id", sa.String(255), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "platform", "question_message_id", "suggested_thread", "person_external_id", name="uq_feedback_platform"
        ),
    )


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_index("ix_jobs_due", "jobs")
    op.drop_table("jobs")
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("auto_suggest")
