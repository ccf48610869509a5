"""People and curated FAQ: FAQ entries with their versions, roles, ping subscriptions, organisation
rules, the log of questions asked (knowledge gaps, helpfulness), feedback answers and review state.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("tenant_id", sa.String(255), nullable=True))
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("answer_external_id", sa.String(255), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.String(300), nullable=True))
    op.create_table(
        "faq_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner_platform", sa.String(16), nullable=True),
        sa.Column("owner_id", sa.String(255), nullable=True),
        sa.Column("verified_by_platform", sa.String(16), nullable=True),
        sa.Column("verified_by_id", sa.String(255), nullable=True),
        sa.Column("verified_by_name", sa.String(255), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_interval_days", sa.Integer, nullable=False, server_default="180"),
        sa.Column("source_thread", sa.String(600), nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("thread_id", sa.Integer, sa.ForeignKey("threads.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_faq_entries_status", "faq_entries", ["status"])
    op.create_table(
        "faq_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("faq_id", sa.Integer, sa.ForeignKey("faq_entries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("change", sa.String(32), nullable=False),
        sa.Column("editor", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("faq_id", "version", name="uq_faq_versions_faq_id"),
    )
    op.create_table(
        "roles",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("person_external_id", sa.String(255), primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
        sa.Column("granted_by", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "subscriptions",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("person_external_id", sa.String(255), primary_key=True),
        sa.Column("topic", sa.String(200), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "organization_rules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("organization", sa.String(255), nullable=False),
        sa.UniqueConstraint("kind", "value", name="uq_organization_rules_kind"),
    )
    op.create_table(
        "queries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=True),
        sa.Column("channel_external_id", sa.String(255), nullable=True),
        sa.Column("question_message_id", sa.String(255), nullable=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("abstained", sa.Boolean, nullable=False),
        sa.Column("suggested", sa.Text, nullable=False, server_default=""),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_queries_asked_at", "queries", ["asked_at"])


def downgrade() -> None:
    op.drop_index("ix_queries_asked_at", "queries")
    op.drop_table("queries")
    op.drop_table("organization_rules")
    op.drop_table("subscriptions")
    op.drop_table("roles")
    op.drop_table("faq_versions")
    op.drop_index("ix_faq_entries_status", "faq_entries")
    op.drop_table("faq_entries")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("resolved_by")
        batch.drop_column("resolved_at")
        batch.drop_column("answer_external_id")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("tenant_id")
