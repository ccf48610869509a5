"""Feedback given by the asker's thanks (feedback.source) and questions found by their message.

Revision ID: 0007
Revises: 0006

``feedback.source`` says where a verdict came from: NULL for a button (解決した / 役に立たなかった), ``thanks``
for the asker thanking in a thread Yorozu answered, which the application keeps in step with the thread
(``knowledge.learning``). Such a verdict is found by the question's message id and a thread's question
log row by its message (ix_queries_message), once per stored reply of an asker.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("source", sa.String(16), nullable=True))
    op.create_index("ix_queries_message", "queries", ["platform", "channel_external_id", "question_message_id"])


def downgrade() -> None:
    op.drop_index("ix_queries_message", table_name="queries")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("source")
