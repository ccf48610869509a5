"""The `yorozu` CLI contract, on the sample community with the real default embedder."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.settings import Settings
from knowledge.sample import sample_community_path
from tests.conftest import copy_of_sample
from tests.conftest import run_cli as run

# These tests load the real embedding model (the bundled e5, or the sample imported with it).
pytestmark = pytest.mark.model

QUESTIONS = Path(__file__).resolve().parents[1] / "data" / "sample_questions.jsonl"


@pytest.fixture(scope="module")
def sample_dir(imported_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample community, imported once per run, copied for this module."""
    return copy_of_sample(imported_sample, tmp_path_factory, "cli")


def questions() -> list[dict[str, str | None]]:
    return [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_import_twice_adds_nothing(sample_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, before, _ = run(capsys, sample_dir, "stats", "--json")
    assert code == 0
    code, out, _ = run(capsys, sample_dir, "import", "slack-export", str(sample_community_path()))
    assert code == 0
    assert "stored: 0 new or changed" in out
    assert "channels," in out and "skipped" in out and "channel_join" in out  # what was read and left out
    assert run(capsys, sample_dir, "stats", "--json")[1] == before
    stats = json.loads(before)
    assert stats["threads"] >= 90 and stats["people"] >= 15 and stats["pending"] == 0


def test_ask_json_shape_and_the_right_thread_first(sample_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    q = next(q for q in questions() if q["expected_root_ts"] and q["channel"] == "q-and-a")
    code, out, _ = run(capsys, sample_dir, "ask", "--json", str(q["question"]))
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"question", "abstained", "auto_suggest", "suggestions"}
    assert data["abstained"] is False
    assert data["auto_suggest"] is True  # a reworded question of the sample: confidently its thread
    top = data["suggestions"][0]
    assert set(top) == {
        "kind",
        "thread_id",
        "platform",
        "channel_id",
        "root_message_id",
        "title",
        "answer_excerpt",
        "answerers",
        "url",
        "asked_at",
        "answered_at",
        "score",
        "confidence",
    }
    assert top["kind"] == "thread" and top["platform"] == "slack"
    assert top["root_message_id"] == q["expected_root_ts"]
    assert top["answerers"] and all(set(a) == {"name", "organization"} for a in top["answerers"])
    assert all(a["organization"] for a in top["answerers"])  # the sample names every organisation
    assert isinstance(top["score"], float)
    assert 0.0 <= top["confidence"] <= 1.0


def test_reworded_questions_find_their_thread_and_off_topic_ones_abstain(
    sample_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    public = [q for q in questions() if q["expected_root_ts"] is None or q["channel"] != "ciso-private"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(str(q["question"]) for q in public) + "\n"))
    code, out, _ = run(capsys, sample_dir, "ask", "--json", "--stdin")
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == len(public)
    answerable = [(q, r) for q, r in zip(public, results, strict=True) if q["expected_root_ts"]]
    first = sum(
        bool(r["suggestions"]) and r["suggestions"][0]["root_message_id"] == q["expected_root_ts"]
        for q, r in answerable
    )
    assert first / len(answerable) >= 0.9
    # Asked directly, a reworded question is never left empty-handed.
    assert all(r["suggestions"] for _, r in answerable)
    # Questions on municipal topics the sample never discussed (空調, 議会, 給食...) may be shown related
    # threads when asked directly, but none would be posted unasked in a channel.
    unanswerable = [r for q, r in zip(public, results, strict=True) if not q["expected_root_ts"]]
    assert not any(r["auto_suggest"] for r in unanswerable)
    assert sum(r["auto_suggest"] for _, r in answerable) / len(answerable) >= 0.5


# Small talk that relates to no thread, written for this test (not the calibration's off-topic list).
CHATTER = [
    "今夜の夕飯は何にしますか",
    "週末の天気はどうでしょう",
    "お先に失礼します",
    "いつもありがとうございます",
    "明けましておめでとうございます",
    "Nice weather today",
]


def test_small_talk_gets_nothing(
    sample_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(CHATTER) + "\n"))
    code, out, _ = run(capsys, sample_dir, "ask", "--json", "--stdin")
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["question"] for r in results if r["suggestions"]] == []
    assert all(r["abstained"] and not r["auto_suggest"] for r in results)


def test_private_channel_questions_need_the_channel(sample_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    groups = json.loads((sample_community_path() / "groups.json").read_text(encoding="utf-8"))
    private_id = groups[0]["id"]
    q = next(q for q in questions() if q["channel"] == "ciso-private")
    _, out, _ = run(capsys, sample_dir, "ask", "--json", str(q["question"]))
    assert q["expected_root_ts"] not in [s["root_message_id"] for s in json.loads(out)["suggestions"]]
    _, out, _ = run(capsys, sample_dir, "ask", "--json", "--channel", private_id, str(q["question"]))
    assert json.loads(out)["suggestions"][0]["root_message_id"] == q["expected_root_ts"]


def test_who_lists_people_with_evidence(sample_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, sample_dir, "who", "--json", "Excelマクロ")
    assert code == 0
    experts = json.loads(out)["experts"]
    assert experts and all(e["answers"] >= 1 and e["organization"] for e in experts)
    assert experts == sorted(experts, key=lambda e: e["score"], reverse=True)
    code, out, _ = run(capsys, sample_dir, "who", "Excelマクロ")
    assert "answers on this topic" in out


def test_human_readable_ask(sample_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, sample_dir, "ask", "今夜の夕飯は何にしますか")
    assert code == 0 and "No past thread relates to this" in out
    q = next(q for q in questions() if q["expected_root_ts"] and q["channel"] == "q-and-a")
    code, out, _ = run(capsys, sample_dir, "ask", str(q["question"]))
    assert code == 0 and "[looks like the same question]" in out.splitlines()[0]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["ask"], 2, "give a QUESTION or --stdin"),
        (["ask", "  "], 1, "the question is empty"),
        (["ask", "--limit", "0", "x"], 2, "--limit"),
        (["import", "slack-export", "/nonexistent/export.zip"], 1, "yorozu:"),
        (["evaluate", "/nonexistent"], 1, "BEIR"),
    ],
)
def test_errors_are_one_line_and_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    got, _, err = run(capsys, tmp_path, *args)
    assert got == code
    assert message in err
    assert "Traceback" not in err


def test_bad_environment_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--data-dir", str(tmp_path), "stats"], environ={"YOROZU_LOCAL": "maybe"})
    assert code == 1
    assert "YOROZU_LOCAL" in capsys.readouterr().err


def test_embedder_mismatch_names_reindex(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, tmp_path, "stats")[0] == 0  # records the default embedder
    code, _, err = run(capsys, tmp_path, "--embedder", "minilm", "stats")
    assert code == 1 and "yorozu reindex" in err
    code, out, _ = run(capsys, tmp_path, "--embedder", "minilm", "reindex")
    assert code == 0 and "all-MiniLM-L6-v2" in out
    assert json.loads(run(capsys, tmp_path, "--embedder", "minilm", "stats", "--json")[1])["embedder"] == (
        "sentence-transformers:all-MiniLM-L6-v2"
    )


def test_console_script_runs(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("yorozu")
    if not exe.exists():
        pytest.skip("the yorozu console script is not installed in this environment")
    proc = subprocess.run(
        [str(exe), "--data-dir", str(tmp_path), "stats", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["threads"] == 0


def test_the_serve_role_option_does_not_touch_the_role_command(tmp_path: Path) -> None:
    """`serve --role` sets the process's role; `yorozu role add specialist ...` is about people."""
    parser = build_parser()
    assert parser.parse_args(["serve", "--role", "worker"]).serve_role == "worker"
    assert main(["--data-dir", str(tmp_path), "role", "add", "specialist", "slack:U42"], environ={}) == 0
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--role", "everything"])


def test_commands_other_than_serve_ignore_the_web_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """YOROZU_ROLE=web in the shell of a web server must not stop `import` or `reindex` from embedding."""
    from bot import cli

    seen: dict[str, Settings] = {}

    def capture(name: str) -> Callable[[argparse.Namespace, Settings], int]:
        def handler(args: argparse.Namespace, settings: Settings) -> int:
            seen[name] = settings
            return 0

        return handler

    for name in ("reindex", "import", "serve"):
        monkeypatch.setitem(cli.COMMANDS, name, replace(cli.COMMANDS[name], run=capture(name)))
    env = {"YOROZU_ROLE": "web"}
    assert main(["--data-dir", str(tmp_path), "reindex"], environ=env) == 0
    assert main(["--data-dir", str(tmp_path), "import", "slack-export", str(tmp_path)], environ=env) == 0
    assert main(["--data-dir", str(tmp_path), "serve"], environ=env) == 0
    assert {name: s.role for name, s in seen.items()} == {"reindex": "all", "import": "all", "serve": "web"}
    assert seen["reindex"].index_dir == tmp_path / "index" and seen["serve"].index_dir == tmp_path / "index-web"
