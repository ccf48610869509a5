"""The knowledge base's lifecycle: index files, catch-up, replicas, embedder identity, migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowledge import events as ev
from knowledge.base import INDEX_FILE, KnowledgeBase
from knowledge.errors import EmbedderMismatch, StorageError
from knowledge.store import Store
from tests.conftest import FAKE_ABSTAIN_BELOW, MACRO_THREAD, PRINTER_THREAD, community, post
from tests.fakes import FakeEmbedder


def open_kb(url: str, index_dir: Path | None, embedder: FakeEmbedder | None = None, **kwargs: object) -> KnowledgeBase:
    return KnowledgeBase.open(
        database_url=url,
        embedder=embedder or FakeEmbedder(),
        index_dir=index_dir,
        abstain_below=FAKE_ABSTAIN_BELOW,
        **kwargs,  # type: ignore[arg-type]
    )


def test_migrations_create_the_schema(empty_database_url: str) -> None:
    store = Store.open(empty_database_url)
    try:
        names = set(sa.inspect(store.engine).get_table_names())
        assert {
            "channels",
            "people",
            "threads",
            "messages",
            "reactions",
            "embeddings",
            "event_receipts",
            "faq_entries",
            "faq_versions",
            "roles",
            "subscriptions",
            "organization_rules",
            "queries",
            "alembic_version",
        } <= names
        with store.begin() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0007"
    finally:
        store.close()
    Store.open(empty_database_url).close()  # a second open finds the schema current and changes nothing


def test_migration_0004_gives_each_platform_its_follow_up_jobs(empty_database_url: str) -> None:
    """Follow-up jobs enqueued before 0004 (one kind for every platform) are claimed by their platform's handler."""
    from alembic import command
    from alembic.config import Config

    from knowledge.store import MIGRATIONS, create_engine, migrate

    engine = create_engine(empty_database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        for n, platform in enumerate(("slack", "teams", "slack")):
            conn.execute(
                sa.text("INSERT INTO jobs (kind, key, payload, run_after, attempts) VALUES (:k, :key, :p, :r, 0)"),
                {
                    "k": "followup",
                    "key": f"followup:{platform}:C:{n}",
                    "p": f'{{"platform": "{platform}", "channel_id": "C", "root_id": "{n}"}}',
                    "r": datetime(2026, 12, 1, tzinfo=UTC),
                },
            )
    migrate(engine)
    with engine.begin() as conn:
        kinds = [r[0] for r in conn.execute(sa.text("SELECT kind FROM jobs ORDER BY id"))]
        assert "reply_address" in {c["name"] for c in sa.inspect(conn).get_columns("channels")}
    engine.dispose()
    assert kinds == ["slack.followup", "teams.followup", "slack.followup"]


def test_unusable_database_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="cannot use database URL"):
        Store.open("nosuchdb://x")
    with pytest.raises(StorageError, match="cannot open the database"):
        Store.open(f"sqlite:///{tmp_path}/missing/dir/kb.sqlite3")


def test_index_is_saved_and_loaded_without_embedding_again(database_url: str, tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    with open_kb(database_url, tmp_path, embedder) as kb:
        kb.ingest_many(community() + MACRO_THREAD)
        kb.sync()
    assert (tmp_path / INDEX_FILE).exists()
    again = FakeEmbedder()
    with open_kb(database_url, tmp_path, again) as kb:
        assert kb.indexed == 1
        assert again.calls == 0  # loaded, not rebuilt
        assert kb.suggest("Excelマクロ", abstain=False).suggestions[0].root_message_id == "100.0"


def test_missing_or_damaged_index_is_rebuilt_from_stored_vectors(database_url: str, tmp_path: Path) -> None:
    with open_kb(database_url, tmp_path) as kb:
        kb.ingest_many(community() + MACRO_THREAD)
        kb.sync()
    (tmp_path / INDEX_FILE).write_bytes(b"not a faiss index")
    again = FakeEmbedder()
    with open_kb(database_url, tmp_path, again) as kb:
        assert kb.indexed == 1
        assert again.calls == 0  # vectors come from the store: rebuilding does not re-embed
    (tmp_path / INDEX_FILE).unlink()
    with open_kb(database_url, tmp_path) as kb:
        assert kb.indexed == 1


def test_changes_made_while_the_index_file_was_old_are_caught_up(database_url: str, tmp_path: Path) -> None:
    with open_kb(database_url, tmp_path) as kb:
        kb.ingest_many(community() + MACRO_THREAD)
    # Another process (no index dir of its own) changes the database meanwhile.
    with open_kb(database_url, None) as other:
        other.ingest(ev.MessageDeleted("slack", "C1", "100.0"))
        other.ingest_many([*PRINTER_THREAD, post("C1", "300.1", "U1", "型番と台数だけです", 1, thread="300.0")])
    with open_kb(database_url, tmp_path) as kb:
        found = [s.root_message_id for s in kb.suggest("Excelマクロ 複合機", abstain=False).suggestions]
        assert found == ["300.0"]


def test_two_replicas_on_one_database_see_each_others_changes(database_url: str, tmp_path: Path) -> None:
    a = open_kb(database_url, tmp_path / "a")
    b = open_kb(database_url, tmp_path / "b")
    try:
        a.ingest_many(community() + MACRO_THREAD)
        assert [s.root_message_id for s in b.suggest("Excelマクロ", abstain=False).suggestions] == ["100.0"]
        b.ingest(ev.MessageDeleted("slack", "C1", "100.0"))
        assert a.suggest("Excelマクロ", abstain=False).suggestions == ()
    finally:
        a.close()
        b.close()


def test_another_embedder_is_refused_with_a_hint_to_reindex(database_url: str, tmp_path: Path) -> None:
    with open_kb(database_url, tmp_path) as kb:
        kb.ingest_many(community() + MACRO_THREAD)
    other = FakeEmbedder(model_id="fake:other-v2", dimension=32)
    with pytest.raises(EmbedderMismatch, match="yorozu reindex") as info:
        open_kb(database_url, tmp_path, other)
    assert (info.value.stored, info.value.configured) == ("fake:hashing-v1", "fake:other-v2")
    with open_kb(database_url, tmp_path, other, adopt_embedder=True) as kb:
        assert kb.reindex() == 1
        assert kb.stats().embedder == "fake:other-v2"
        assert kb.suggest("Excelマクロ", abstain=False).suggestions[0].root_message_id == "100.0"
    with open_kb(database_url, tmp_path, FakeEmbedder(model_id="fake:other-v2", dimension=32)) as kb:
        assert kb.indexed == 1


def test_unchanged_text_is_not_embedded_twice(database_url: str, tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    with open_kb(database_url, tmp_path, embedder) as kb:
        kb.ingest_many(community() + MACRO_THREAD)
        kb.sync()
        calls = embedder.calls
        kb.ingest(ev.ReactionChanged("slack", "C1", "100.1", "U4", "thumbsup"))  # changes no indexed text
        kb.sync()
        assert embedder.calls == calls


def test_delivery_ids_are_remembered(kb: KnowledgeBase) -> None:
    assert kb.record_delivery("slack:Ev123") is True
    assert kb.record_delivery("slack:Ev123") is False
    kb.forget_delivery("slack:Ev123")  # processing failed: the retry must be processed
    assert kb.record_delivery("slack:Ev123") is True
