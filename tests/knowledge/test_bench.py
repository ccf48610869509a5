"""The benchmarks' library: a tiny synthetic community builds, and results are written as the scripts name them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from knowledge.bench.results import size_label, write_result
from knowledge.bench.scale import build
from knowledge.bench.synthetic import Generator


def test_size_labels() -> None:
    assert [size_label(n) for n in (250, 10_000, 100_000, 1_000_000, 1_500)] == ["250", "10k", "100k", "1m", "1500"]


def test_the_generator_is_deterministic() -> None:
    first, second = Generator(seed=3), Generator(seed=3)
    assert [first.thread() for _ in range(5)] == [second.thread() for _ in range(5)]


def test_a_tiny_community_builds(tmp_path: Path) -> None:
    result = build(tmp_path / "c", 30)
    assert result["threads"] == 30 and result["messages"] > 30
    conn = sqlite3.connect(tmp_path / "c" / "yorozu.sqlite3")
    try:
        assert conn.execute("SELECT COUNT(*) FROM threads").fetchone() == (30,)
        assert conn.execute("SELECT COUNT(*) FROM embeddings").fetchone() == (30,)
    finally:
        conn.close()


def test_a_result_is_written_with_its_command(tmp_path: Path) -> None:
    path = write_result(tmp_path, "bench_scale-build-30", {"threads": 30}, ["scripts/bench_scale.py", "build"])
    record = json.loads(path.read_text(encoding="utf-8"))
    assert path.name == "bench_scale-build-30.json"
    assert record["command"] == "python scripts/bench_scale.py build" and record["result"] == {"threads": 30}
    assert record["kind"] == "bench_scale-build-30" and record["date"] and record["machine"]["cpus"]
