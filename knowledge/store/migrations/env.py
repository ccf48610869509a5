"""Alembic environment: runs on the connection that :func:`knowledge.store.schema.migrate` passes in."""

from __future__ import annotations

from alembic import context

from knowledge.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when someone runs the alembic CLI by hand
    raise RuntimeError("Run migrations through `yorozu` (knowledge.store.schema.migrate), not the alembic CLI.")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
