"""Shared fixtures: databases (SQLite always, PostgreSQL when configured) and knowledge bases."""

from __future__ import annotations

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
POSTGRES_URL = os.environ.get("YOROZU_TEST_DATABASE_URL")


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared reference folder sits beside the repository)")
    return path


def reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(POSTGRES_URL is None, reason="YOROZU_TEST_DATABASE_URL is not set"),
            ],
        ),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database of each kind."""
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
    from bot.cli import main, sample_community_path

    data_dir = tmp_path_factory.mktemp("sample-template")
    assert main(["--data-dir", str(data_dir), "import", "slack-export", str(sample_community_path())], environ={}) == 0
    return data_dir


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
