"""Storage: SQLAlchemy 2 Core tables, Alembic migrations and repository functions.

This package is the only part of Yorozu that speaks SQL. SQLite (a file in the data directory) is the
default; PostgreSQL is used through a ``postgresql+psycopg://`` URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

from knowledge.errors import StorageError

MIGRATIONS = Path(__file__).with_name("migrations")


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'yorozu.sqlite3').resolve()}"


def create_engine(url: str) -> Engine:
    """An engine with the settings Yorozu relies on (foreign keys and WAL on SQLite)."""
    try:
        if url.startswith("sqlite"):
            engine = sa.create_engine(url, connect_args={"timeout": 30})

            @sa.event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()

            return engine
        return sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise StorageError(f"cannot use database URL {_redact(url)}: {exc}") from exc


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (creating it on an empty database)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except sa.exc.DatabaseError as exc:  # OperationalError too
        if engine.url.get_backend_name() == "sqlite" and "not a database" in str(exc.orig):
            path = engine.url.database
            raise StorageError(
                f"{path} is not a Yorozu database (SQLite) or is damaged: move it away if it is another file, "
                "or give another --data-dir",
                key="error_not_a_database",
                params={"path": path},
            ) from exc
        raise StorageError(f"cannot open the database {_redact(str(engine.url))}: {exc.orig}") from exc


class Store:
    """The database of one knowledge base: an engine plus transactions over it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        engine = create_engine(url)
        migrate(engine)
        return cls(engine)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on an exception."""
        with self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()


def _redact(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable URL>"
