"""Shared fixtures: databases (SQLite always, PostgreSQL when configured) and knowledge bases."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.model import Visibility
from tests.fakes import FakeEmbedder

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


def worker_postgres_url(base: str | None) -> str | None:
    """The PostgreSQL database of this test process: each pytest-xdist worker (``gw0``, ``gw1``, ...)
    works in its own database beside the configured one (``test_gw0``, ...), created when missing, so
    workers that reset their schema never touch each other's tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if base is None or not worker:
        return base
    url = sa.engine.make_url(base)
    name = f"{url.database}_{worker}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            found = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first()
            if found is None:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


POSTGRES_URL = worker_postgres_url(os.environ.get("YOROZU_TEST_DATABASE_URL"))


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared reference folder sits beside the repository)")
    return path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """In CI (``CI=true``) a skipped ``security`` test is a failure: a check that did not run proves nothing."""
    report: pytest.TestReport = yield
    if report.skipped and item.get_closest_marker("security") is not None and os.environ.get("CI") == "true":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"security test skipped in CI: {reason}"
    return report


def reset_postgres(url: str, *, empty: bool = True) -> None:
    """Drop every table (``empty``), or keep the schema when it is already at the newest migration and
    only delete the rows: a test's knowledge base then opens without migrating (about 0.5 s less each)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            if not empty and _at_head(conn):
                names = [n for n in sa.inspect(conn).get_table_names() if n not in ("alembic_version", "counters")]
                conn.execute(sa.text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
                conn.execute(sa.text("UPDATE counters SET value = 0"))  # the rows 0001 inserted stay
                return
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def _at_head(conn: sa.Connection) -> bool:
    from alembic.script import ScriptDirectory

    from knowledge.store import MIGRATIONS

    if "alembic_version" not in sa.inspect(conn).get_table_names():
        return False
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == head


DATABASE_KINDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(POSTGRES_URL is None, reason="YOROZU_TEST_DATABASE_URL is not set"),
        ],
    ),
]


@pytest.fixture(params=DATABASE_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of each kind with no rows (PostgreSQL's may already hold the current schema)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    assert POSTGRES_URL is not None
    reset_postgres(POSTGRES_URL, empty=False)
    return POSTGRES_URL


@pytest.fixture(params=DATABASE_KINDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each kind without any table, for the migrations' own tests."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    assert POSTGRES_URL is not None
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(scope="session")
def imported_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the sample community imported (real e5), made once per test run.

    Tests must not change it: take a copy with :func:`copy_of_sample`.
    """
    from bot.cli import main
    from knowledge.sample import sample_community_path

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        data_dir = tmp_path_factory.mktemp("sample-template")
        command = ["--data-dir", str(data_dir), "import", "slack-export", str(sample_community_path())]
        assert main(command, environ={}) == 0
        return data_dir
    # Under pytest-xdist the first worker to need it imports it once, beside every worker's temporary
    # folder; the others wait for it under the lock and use the same copy.
    shared = tmp_path_factory.getbasetemp().parent / "sample-template"
    with open(shared.parent / "sample-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared.parent / "sample-template.done"
        if not done.exists():
            shutil.rmtree(shared, ignore_errors=True)
            shared.mkdir()
            command = ["--data-dir", str(shared), "import", "slack-export", str(sample_community_path())]
            assert main(command, environ={}) == 0
            done.touch()
    return shared


def run_cli(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    """Run ``yorozu --data-dir DATA_DIR ARGS`` in this process; (exit code, stdout, stderr)."""
    from bot.cli import main

    code = main(["--data-dir", str(data_dir), *args], environ={"HOME": str(data_dir)})
    out, err = capsys.readouterr()
    return code, out, err


def copy_of_sample(template: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A private copy of the imported sample community's data directory."""
    target = tmp_path_factory.mktemp(name) / "data"
    shutil.copytree(template, target)
    return target


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def kb(database_url: str, embedder: FakeEmbedder, tmp_path: Path) -> Iterator[KnowledgeBase]:
    base = KnowledgeBase.open(
        database_url=database_url, embedder=embedder, index_dir=tmp_path / "index", abstain_below=FAKE_ABSTAIN_BELOW
    )
    yield base
    base.close()


# The fake embedder's cosine scale is its own: texts sharing a few bigrams score about 0.3-0.6.
FAKE_ABSTAIN_BELOW = 0.5

T0 = datetime(2026, 4, 1, 0, 30, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def community() -> list[ev.Event]:
    """A small community: a public Q&A channel, a private channel and four people."""
    return [
        ev.ChannelSeen("slack", "C1", "q-and-a"),
        ev.ChannelSeen("slack", "G1", "ciso-private", Visibility.PRIVATE),
        ev.PersonSeen("slack", "U1", "佐藤 健", "北山市 情報政策課"),
        ev.PersonSeen("slack", "U2", "鈴木 花子", "南川町 総務課"),
        ev.PersonSeen("slack", "U3", "高橋 誠", "青葉県庁 情報政策課"),
        ev.PersonSeen("slack", "U4", "田中 亮", "東浜市 デジタル推進課"),
        ev.PersonSeen("slack", "B1", "リマインダー", None, is_bot=True),
    ]


def post(
    channel: str, ts: str, author: str, text: str, hours: float, *, thread: str | None = None, bot: bool = False
) -> ev.MessagePosted:
    return ev.MessagePosted("slack", channel, ts, author, text, at(hours), thread_id=thread, is_bot=bot)


MACRO_THREAD = [
    post(
        "C1", "100.0", "U1", "Excelマクロを作った職員が異動して、誰もVBAを保守できません。皆さんどうしていますか？", 0
    ),
    post(
        "C1",
        "100.1",
        "U2",
        "うちはマクロを棚卸しして、使っていないものは廃止、残すものは手順書を作りました。",
        1,
        thread="100.0",
    ),
    post(
        "C1",
        "100.2",
        "U3",
        "県ではRPAや標準機能への置き換えを進めています。VBAは原則新規作成禁止です。",
        2,
        thread="100.0",
    ),
]
BACKUP_THREAD = [
    post("G1", "200.0", "U3", "ランサムウェア対策のオフラインバックアップはどの頻度で取っていますか？", 0),
    post(
        "G1", "200.1", "U4", "週次でテープにオフライン保管しています。復旧訓練も年1回やっています。", 1, thread="200.0"
    ),
]
PRINTER_THREAD = [
    post("C1", "300.0", "U4", "複合機のリース更新の仕様書、どこまで細かく書いていますか？", 0),
]
