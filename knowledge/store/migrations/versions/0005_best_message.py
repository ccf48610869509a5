"""The reply a suggestion shows, derived per thread (threads.best_message_id).

Revision ID: 0005
Revises: 0004

Only the column is added here: its values, like every derived field of a thread, are computed by the
application (``KnowledgeBase.open`` re-derives every thread once when ``ingest.DERIVATION_VERSION``
changes), so this migration never needs the derivation code of its time. Until then a suggestion shows
the accepted answer, else the first, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("threads") as batch:
        batch.add_column(sa.Column("best_message_id", sa.Integer, nullable=True))


def downgrade() -> None:
    # On SQLite this rebuilds the threads table: run it with foreign keys off, or the rebuild's
    # DROP TABLE cascades to the messages (their rows reference threads ON DELETE CASCADE).
    with op.batch_alter_table("threads") as batch:
        batch.drop_column("best_message_id")
