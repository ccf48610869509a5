"""Feedback found by the thread it names (ix_feedback_suggested_thread).

Revision ID: 0006
Revises: 0005

Deriving a thread reads the questions it solved (解決した) as other wordings of its question, once per
stored message: without this index that read scans every feedback row.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_feedback_suggested_thread", "feedback", ["suggested_thread"])


def downgrade() -> None:
    op.drop_index("ix_feedback_suggested_thread", table_name="feedback")
