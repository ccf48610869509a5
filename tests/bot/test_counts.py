"""One count everywhere: ``yorozu stats`` says what each number counts, as /healthz and the console do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.model import STAT_MEANINGS, Stats
from tests.conftest import run_cli


def test_stats_says_what_each_number_counts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, tmp_path, "stats")
    assert code == 0
    lines = {line.split(":", 1)[0].strip(): line for line in out.splitlines()}
    assert set(lines) == set(STAT_MEANINGS)
    assert lines["threads"].split(":", 1)[1].split()[0] == "0"
    assert Stats.meanings("en")["threads"] in lines["threads"]
    assert Stats.meanings("en")["indexed"] in lines["indexed"]
    code, out, _ = run_cli(capsys, tmp_path, "stats", "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == set(STAT_MEANINGS) and data["faq_published"] == 0


def test_every_number_is_explained_in_both_languages() -> None:
    for key, (ja, en) in STAT_MEANINGS.items():
        assert ja and en and ja != en, key
    assert "FAQ" in Stats.meanings("ja")["threads"] and "FAQ" in Stats.meanings("en")["threads"]
