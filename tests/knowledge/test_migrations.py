"""Migrations: a knowledge base made by the first release upgrades with its data, and the tables the code
declares (knowledge/store/tables.py) are exactly what the migrations build — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.store import MIGRATIONS, create_engine, migrate
from knowledge.store.tables import metadata
from tests.conftest import FAKE_ABSTAIN_BELOW
from tests.fakes import FakeEmbedder

WHEN = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
QUESTION = "Excelマクロを作った職員が異動して、誰もVBAを保守できません。皆さんどうしていますか？"
ANSWER = "うちはマクロを棚卸しして、使っていないものは廃止、残すものは手順書を作りました。"


def upgrade_to(engine: sa.Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def first_release_rows(conn: sa.Connection) -> None:
    """What 0001's schema held after a question thread with one answer and a reaction were stored."""

    def insert(table: str, **values: Any) -> None:
        names = ", ".join(values)
        conn.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)})"), values)

    insert("channels", id=1, platform="slack", external_id="C1", name="q-and-a", visibility="public", archived=False,
           deleted=False)  # fmt: skip
    for pid, (person, name) in enumerate([("U1", "佐藤 健"), ("U2", "鈴木 花子")], start=1):
        insert("people", id=pid, platform="slack", external_id=person, display_name=name, organization="北山市",
               is_bot=False, opted_out=False)  # fmt: skip
    insert("threads", id=1, channel_id=1, root_external_id="100.0", asker_external_id="U1", title="Excelマクロ",
           is_question=True, answer_count=1, accepted_message_id=2, asked_at=WHEN, last_activity_at=WHEN, hidden=False,
           document=QUESTION + "\n" + ANSWER, document_hash="h", change_seq=1)  # fmt: skip
    insert("messages", id=1, channel_id=1, thread_id=1, external_id="100.0", author_external_id="U1", text=QUESTION,
           posted_at=WHEN, deleted=False, is_bot=False)  # fmt: skip
    insert("messages", id=2, channel_id=1, thread_id=1, external_id="100.1", author_external_id="U2", text=ANSWER,
           posted_at=WHEN, deleted=False, is_bot=False)  # fmt: skip
    insert("reactions", message_id=2, person_external_id="U1", name="white_check_mark")
    insert("event_receipts", key="slack:Ev1", received_at=WHEN)
    conn.execute(sa.text("UPDATE counters SET value = 1 WHERE name = 'change_seq'"))


def test_a_first_release_database_upgrades_with_its_data(empty_database_url: str, tmp_path: Path) -> None:
    engine = create_engine(empty_database_url)
    upgrade_to(engine, "0001")
    with engine.begin() as conn:
        first_release_rows(conn)
    if engine.dialect.name == "postgresql":
        # Rows inserted with explicit ids: the sequences must move past them, as after real inserts.
        with engine.begin() as conn:
            for table in ("channels", "people", "threads", "messages"):
                conn.execute(sa.text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
    migrate(engine)
    with engine.begin() as conn:
        channel = conn.execute(sa.text("SELECT name, auto_suggest, reply_address FROM channels")).one()
        receipts = conn.execute(sa.text("SELECT key FROM event_receipts")).scalars().all()
    engine.dispose()
    assert (channel[0], bool(channel[1]), channel[2]) == ("q-and-a", True, None)
    assert receipts == ["slack:Ev1"]
    kb = KnowledgeBase.open(
        database_url=empty_database_url,
        embedder=FakeEmbedder(),
        index_dir=tmp_path / "index",
        abstain_below=FAKE_ABSTAIN_BELOW,
    )
    try:
        # The old thread is found, with its accepted answer, and the knowledge base goes on storing.
        found = kb.suggest("VBAマクロを保守できる人がいません", abstain=False).suggestions
        assert [s.root_message_id for s in found] == ["100.0"]
        assert found[0].accepted and [a.name for a in found[0].answerers] == ["鈴木 花子"]
        assert kb.record_delivery("slack:Ev1") is False  # a receipt from before the upgrade still counts
        reply = ev.MessagePosted("slack", "C1", "100.2", "U2", "手順書のひな形も共有します。", WHEN, thread_id="100.0")
        kb.ingest(reply)
        assert kb.stats().messages == 3
    finally:
        kb.close()


def _same_default(
    context: Any,
    inspected: Any,
    declared: Any,
    inspected_default: str | None,
    declared_default: Any,
    rendered: str | None,
) -> bool | None:
    """Whether two server defaults differ, read the way each database writes them back: SQLite as
    ``('')`` and ``'180'``, PostgreSQL as ``''::text``; the declared one as ``''`` and ``180``."""
    if inspected_default is None or rendered is None:
        return None
    return _plain(inspected_default) != _plain(rendered)


def _plain(default: str) -> str:
    return default.split("::")[0].strip().strip("()").strip("'\"")


def test_the_declared_tables_match_what_the_migrations_build(empty_database_url: str) -> None:
    """Alembic's autogenerate finds nothing to add: a column, index or constraint declared in tables.py
    without its migration (or the reverse) fails here."""
    engine = create_engine(empty_database_url)
    migrate(engine)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": _same_default}
            )
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []
