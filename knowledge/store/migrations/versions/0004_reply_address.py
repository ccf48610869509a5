"""Where to post in a channel (a Teams channel's Bot Connector address) and one follow-up job kind per platform.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_jobs = sa.table("jobs", sa.column("id", sa.Integer), sa.column("kind", sa.String), sa.column("payload", sa.Text))


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("reply_address", sa.Text, nullable=True))
    # Follow-ups were one kind for every platform; each platform's handler now claims its own
    # ("slack.followup", "teams.followup"), so a replica serving one platform never takes the other's.
    conn = op.get_bind()
    rows = conn.execute(sa.select(_jobs.c.id, _jobs.c.payload).where(_jobs.c.kind == "followup")).all()
    for job_id, payload in rows:
        try:
            platform = str(json.loads(payload)["platform"])
        except (ValueError, KeyError, TypeError):
            continue
        conn.execute(_jobs.update().where(_jobs.c.id == job_id).values(kind=f"{platform}.followup"))


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(_jobs.update().where(_jobs.c.kind.like("%.followup")).values(kind="followup"))
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("reply_address")
