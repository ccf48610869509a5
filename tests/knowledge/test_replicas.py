"""Replicas sharing one database: two of them embedding the same thread at the same moment."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from knowledge.base import KnowledgeBase
from knowledge.store.tables import embeddings
from knowledge.vectors import vector_bytes
from tests.conftest import FAKE_ABSTAIN_BELOW, MACRO_THREAD, community
from tests.fakes import FakeEmbedder


def _open(url: str, index: Path) -> KnowledgeBase:
    return KnowledgeBase.open(
        database_url=url, embedder=FakeEmbedder(), index_dir=index, abstain_below=FAKE_ABSTAIN_BELOW
    )


def test_a_vector_stored_by_another_replica_meanwhile_is_no_error(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = _open(database_url, tmp_path / "a"), _open(database_url, tmp_path / "b")
    try:
        first.ingest_many(community() + MACRO_THREAD)
        fired: list[str] = []

        def other_replica_wins(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            """Between this replica's update (no row yet) and its insert, the other replica stores the vector."""
            if fired or not statement.lstrip().upper().startswith("INSERT INTO EMBEDDINGS"):
                return
            fired.append(statement)
            if conn.dialect.name == "postgresql":
                second.sync()  # a real second connection: it commits its row first
            else:
                # SQLite lets one writer in at a time, so the other replica's row can only come in the same
                # transaction; the conflict the insert meets is the same.
                row = dict(params) if isinstance(params, dict) else None
                thread_id = row["thread_id"] if row else params[0]
                dbapi = conn.connection.dbapi_connection
                dbapi.execute(
                    "INSERT INTO embeddings (thread_id, model_id, document_hash, vector) VALUES (?, ?, ?, ?)",
                    (thread_id, "fake:hashing-v1", "other", vector_bytes(FakeEmbedder().embed_documents(["x"])[0])),
                )

        sa.event.listen(first.store.engine, "before_cursor_execute", other_replica_wins)
        with caplog.at_level(logging.WARNING):
            first.sync()
        sa.event.remove(first.store.engine, "before_cursor_execute", other_replica_wins)
        assert fired, "the race was not staged"
        assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
        with first.store.begin() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(embeddings)).scalar_one() == 1
        # Whichever vector won, the thread is found (a vector of another document is re-embedded).
        assert first.suggest(MACRO_THREAD[0].text).suggestions[0].root_message_id == "100.0"
    finally:
        first.close()
        second.close()
