"""The CLI speaks the user's language (Japanese or English) and never shows a traceback.

Settings are built from the environ mapping each test passes: nothing here touches ``os.environ``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import default_demo_dir, main
from bot.messages import TEXTS, Locale, Plural, locale_of_environ, text
from bot.settings import Settings
from knowledge.sample import sample_community_path

JA = {"LANG": "ja_JP.UTF-8"}
EN = {"LANG": "en_US.UTF-8"}
CSV = (
    "question,answer,tags,status\r\n"
    "VPNがつながらないときは？,まず再起動します,VPN,published\r\n"
    "LGWAN端末の更新時期は？,5年ごとです,LGWAN,draft\r\n"
)
REPO = Path(__file__).resolve().parents[2]


def run(
    capsys: pytest.CaptureFixture[str], data_dir: Path, environ: dict[str, str], *args: str
) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args], environ={"HOME": str(data_dir.parent), **environ})
    out, err = capsys.readouterr()
    return code, out, err


# --- which language -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, Locale.EN),
        ({"LANG": "C.UTF-8"}, Locale.EN),
        ({"LANG": "ja_JP.UTF-8"}, Locale.JA),
        ({"LANG": "ja_JP.eucJP"}, Locale.JA),
        ({"LANG": "ja"}, Locale.JA),
        ({"LANG": "ja_JP.UTF-8", "LC_ALL": "C"}, Locale.EN),  # LC_ALL overrides LANG
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "ja_JP.UTF-8"}, Locale.JA),
        ({"LC_ALL": "ja_JP.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, Locale.JA),
        ({"YOROZU_LANG": "ja"}, Locale.JA),
        ({"YOROZU_LANG": "en", "LANG": "ja_JP.UTF-8"}, Locale.EN),  # Yorozu's own setting wins
        ({"YOROZU_LANG": "ja", "LC_ALL": "en_US.UTF-8"}, Locale.JA),
    ],
)
def test_the_language_comes_from_yorozu_lang_then_the_posix_locale(environ: dict[str, str], expected: Locale) -> None:
    assert locale_of_environ(environ) == expected
    assert Settings.from_env({"HOME": "/nonexistent", **environ}).language == expected


def test_an_unknown_yorozu_lang_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, tmp_path / "data", {"YOROZU_LANG": "fr"}, "stats")
    assert code == 1 and "YOROZU_LANG must be ja or en" in err and len(err.strip().splitlines()) == 1


def test_every_catalogue_entry_speaks_both_languages_and_counts_right() -> None:
    for key, entry in TEXTS.items():
        assert set(entry) == {Locale.JA, Locale.EN}, key
    counted = [k for k, e in TEXTS.items() if isinstance(e[Locale.EN], Plural)]
    assert "expert_line" in counted and "cli_faq_imported" in counted
    line = text("expert_line", Locale.EN, answers=1, accepted="", latest="2026-04")
    assert line == "1 answer on this topic, latest 2026-04"
    assert text("expert_line", Locale.EN, answers=2, accepted="", latest="2026-04").startswith("2 answers on")
    assert text("expert_line", Locale.JA, answers=1, accepted="", latest="2026-04").startswith("このテーマで1件回答")
    assert text("unsubscribe_done", Locale.EN, count=1) == "Stopped notifications for 1 topic."
    assert text("unsubscribe_done", Locale.EN, count="1") == "Stopped notifications for 1 topic."  # as replies say it
    assert text("unsubscribe_done", Locale.EN, count="11") == "Stopped notifications for 11 topics."
    assert text("n_people", Locale.EN, count=1) == "1 person" and text("n_people", Locale.EN, count=0) == "0 people"
    assert text("n_replies", Locale.EN, count=1) == "1 reply" and text("n_replies", Locale.JA, count=3) == "うち返信3件"


# --- FAQ commands in both languages ---------------------------------------------------------------


def test_faq_import_list_show_in_japanese_and_english(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    csv_path = tmp_path / "faq.csv"
    csv_path.write_text(CSV, encoding="utf-8-sig")
    code, out, err = run(capsys, data, JA, "faq", "import", str(csv_path))
    assert code == 0, err
    assert out.strip() == "2行を取り込みました：新規 2件、更新 0件、変更なし 0件"
    assert "索引を作成しています" in err

    # A never-verified entry listed (it crashed with a TypeError before).
    code, out, err = run(capsys, data, JA, "faq", "list")
    assert code == 0 and "Traceback" not in err
    assert "公開" in out and "下書き" in out and "未確認" in out and "VPNがつながらないときは？" in out
    code, out_en, _ = run(capsys, data, EN, "faq", "list")
    assert code == 0 and "published" in out_en and "not verified" in out_en and "未確認" not in out_en

    code, out, _ = run(capsys, data, JA, "faq", "show", "1")
    assert code == 0 and "FAQ 1（公開、第1版）" in out and "質問：VPN" in out and "見直しの間隔：180日" in out
    code, out, _ = run(capsys, data, EN, "faq", "show", "1")
    assert code == 0 and "FAQ 1 (published, version 1)" in out and "review every 180 days" in out

    # Importing an unchanged export changes nothing, and says so; English counts a single row right.
    code, _, err = run(capsys, data, EN, "faq", "export", str(tmp_path / "out.csv"))
    assert code == 0 and "exported 2 FAQ entries" in err
    code, out, _ = run(capsys, data, EN, "faq", "import", str(tmp_path / "out.csv"))
    assert out.strip() == "imported 2 rows: 0 new, 0 updated, 2 unchanged"
    one = tmp_path / "one.csv"
    one.write_text("question,answer\r\n新しい質問,新しい答え\r\n", encoding="utf-8")
    code, out, _ = run(capsys, data, EN, "faq", "import", str(one))
    assert out.strip() == "imported 1 row: 1 new, 0 updated, 0 unchanged"
    code, _, err = run(capsys, data, EN, "faq", "export", str(tmp_path / "out.csv"))
    assert code == 0 and "exported 3 FAQ entries" in err
    code, _, err = run(capsys, data, JA, "faq", "export", "--portable", str(tmp_path / "portable.csv"))
    assert code == 0 and "FAQ 3件を、id なしで書き出しました" in err
    assert (tmp_path / "portable.csv").read_text(encoding="utf-8-sig").startswith("question,answer,")

    code, _, err = run(capsys, data, JA, "faq", "show", "99")
    assert code == 1 and err.strip() == "yorozu: FAQ 99 はありません"
    code, _, err = run(capsys, data, EN, "faq", "show", "99")
    assert code == 1 and err.strip() == "yorozu: no FAQ entry 99"


def test_json_output_is_the_same_in_every_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    csv_path = tmp_path / "faq.csv"
    csv_path.write_text(CSV, encoding="utf-8")
    assert run(capsys, data, EN, "faq", "import", str(csv_path))[0] == 0
    outputs = {}
    for name, environ in (("ja", JA), ("en", EN), ("yorozu_ja", {"YOROZU_LANG": "ja"})):
        listed = run(capsys, data, environ, "faq", "list", "--json")[1]
        shown = run(capsys, data, environ, "faq", "show", "1", "--json")[1]
        stats = run(capsys, data, environ, "stats", "--json")[1]
        outputs[name] = (listed, shown, stats)
    assert outputs["ja"] == outputs["en"] == outputs["yorozu_ja"]
    listed, shown, stats = outputs["en"]
    assert set(json.loads(listed)) == {"entries"} and json.loads(shown)["id"] == 1
    assert {"threads", "indexed", "embedder"} <= set(json.loads(stats))


def test_csv_problems_are_explained_in_japanese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    sjis = tmp_path / "sjis.csv"
    sjis.write_bytes(CSV.encode("cp932"))
    code, out, err = run(capsys, data, JA, "faq", "import", str(sjis))
    assert code == 1 and out == "" and "Traceback" not in err
    assert "Shift_JIS" in err and "「CSV UTF-8（コンマ区切り）」" in err and "［名前を付けて保存］" in err
    code, _, err_en = run(capsys, data, EN, "faq", "import", str(sjis))
    assert code == 1 and "'CSV UTF-8 (Comma delimited)'" in err_en and "「CSV UTF-8（コンマ区切り）」" in err_en

    quote = tmp_path / "quote.csv"
    quote.write_text('question,answer\r\n"閉じ忘れ,答え\r\n', encoding="utf-8")
    code, _, err = run(capsys, data, JA, "faq", "import", str(quote))
    assert code == 1 and "2行目：引用符の誤り" in err and "何も取り込んでいません" in err

    foreign = tmp_path / "foreign.csv"
    foreign.write_text("id,question,answer\r\n12,質問,答え\r\n", encoding="utf-8")
    code, _, err = run(capsys, data, JA, "faq", "import", str(foreign))
    assert code == 1 and "2行目：FAQ 12 はありません" in err and "--portable" in err and "id 列を空に" in err
    code, _, err = run(capsys, data, EN, "faq", "import", str(foreign))
    assert code == 1 and "line 2: no FAQ entry 12" in err and "clear the id column" in err
    assert json.loads(run(capsys, data, EN, "faq", "list", "--json")[1]) == {"entries": []}


# --- tracebacks a new user met: each is one line and a non-zero exit -------------------------------


@pytest.mark.parametrize("environ", [JA, EN], ids=["ja", "en"])
def test_a_data_dir_that_is_a_file_or_cannot_be_made_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], environ: dict[str, str]
) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    code, _, err = run(capsys, a_file, environ, "stats")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert str(a_file) in err
    assert ("フォルダーではなくファイル" in err) if environ is JA else ("is a file, not a folder" in err)

    under_a_file = a_file / "data"
    code, _, err = run(capsys, under_a_file, environ, "faq", "list")
    assert code == 1 and len(err.strip().splitlines()) == 1 and str(under_a_file) in err
    assert ("作れません" in err) if environ is JA else ("cannot create the data folder" in err)


@pytest.mark.parametrize("environ", [JA, EN], ids=["ja", "en"])
def test_a_file_that_is_not_a_database_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], environ: dict[str, str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "yorozu.sqlite3").write_text("これはデータベースではありません。" * 20, encoding="utf-8")
    code, _, err = run(capsys, data, environ, "faq", "list")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "yorozu.sqlite3" in err
    assert ("データベース（SQLite）ではない" in err) if environ is JA else ("is not a Yorozu database" in err)


def test_usage_errors_of_ask_in_japanese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, tmp_path / "data", JA, "ask")
    assert code == 2 and "質問（QUESTION）か --stdin" in err
    code, _, err = run(capsys, tmp_path / "data", {"YOROZU_LANG": "ja"}, "ask", "--limit", "0", "x")
    assert code == 2 and "--limit は1から20まで" in err
    code, _, err = run(capsys, tmp_path / "data", JA, "ask", "  ")
    assert code == 1 and "質問が空です" in err


# --- the demo's own data folder, and serve refusing the sample community ---------------------------


def test_the_demo_never_uses_the_real_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import cli

    seen: dict[str, Settings] = {}

    def capture(args: argparse.Namespace, settings: Settings) -> int:
        seen["demo"] = settings
        return 0

    monkeypatch.setitem(cli.COMMANDS, "demo", replace(cli.COMMANDS["demo"], run=capture))
    real = {
        "HOME": str(tmp_path),
        "YOROZU_DATA_DIR": str(tmp_path / "real"),
        "YOROZU_DATABASE_URL": "postgresql+psycopg://yorozu@db.example/yorozu",
    }
    assert main(["demo"], environ=real) == 0
    settings = seen["demo"]
    assert settings.data_dir == tmp_path / ".local" / "share" / "yorozu-demo"
    assert settings.database_url == f"sqlite:///{settings.data_dir / 'yorozu.sqlite3'}"
    assert default_demo_dir({"XDG_DATA_HOME": str(tmp_path / "xdg")}) == tmp_path / "xdg" / "yorozu-demo"
    assert main(["--data-dir", str(tmp_path / "mine"), "demo"], environ=real) == 0  # an explicit folder is kept
    assert seen["demo"].data_dir == tmp_path / "mine" and seen["demo"].database_url.endswith("mine/yorozu.sqlite3")


def _import_sample_channels(tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The sample community's channel list alone: enough for the store to hold the sample, nothing to embed."""
    export = tmp_path / "export"
    export.mkdir()
    for name in ("channels.json", "groups.json"):
        (export / name).write_bytes((sample_community_path() / name).read_bytes())
    code, _, err = run(capsys, data, EN, "import", "slack-export", str(export))
    assert code == 0, err


def _serve(data: Path, *options: str, environ: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "--data-dir", str(data), "serve", "--local", "--port", "0", *options],
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "HOME": str(data.parent), **environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_refuses_the_sample_community_unless_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    _import_sample_channels(tmp_path, data, capsys)
    refused = _serve(data, environ=JA)
    _, err = refused.communicate(timeout=120)
    assert refused.returncode == 1 and "Traceback" not in err
    assert "サンプル" in err and "--allow-sample" in err
    assert len([line for line in err.splitlines() if line.startswith("yorozu:")]) == 1

    allowed = _serve(data, "--allow-sample", environ=EN)
    try:
        assert allowed.stderr is not None
        for line in allowed.stderr:  # the ready line comes once it listens
            if "Yorozu is ready" in line:
                break
        else:
            pytest.fail("serve --allow-sample never said it was ready")
    finally:
        allowed.send_signal(signal.SIGTERM)
        allowed.communicate(timeout=60)


def test_serve_still_runs_a_store_without_the_sample(tmp_path: Path) -> None:
    proc = _serve(tmp_path / "data", environ=JA)
    try:
        assert proc.stderr is not None
        ready: Callable[[str], bool] = lambda line: "Yorozu の準備ができました" in line  # noqa: E731
        assert any(ready(line) for line in proc.stderr)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)


@pytest.mark.parametrize(
    ("args", "environ", "japanese", "english"),
    [
        (["serve"], {}, "チャットのプラットフォームが設定されていません", "no chat platform is configured"),
        (
            ["import", "slack-export", "/nonexistent/export.zip"],
            {},
            "そのファイルもフォルダーもありません",
            "no such file",
        ),
        (["stats"], {"YOROZU_LOCAL": "maybe"}, "YOROZU_LOCAL は 1/0", "YOROZU_LOCAL must be 1/0"),
        (["serve", "--local", "--host", "0.0.0.0"], {}, "ループバック", "local mode binds loopback only"),
    ],
)
def test_a_new_users_first_errors_in_both_languages(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    environ: dict[str, str],
    japanese: str,
    english: str,
) -> None:
    for language, expected in ((JA, japanese), (EN, english)):
        code, _, err = run(capsys, tmp_path / "data", {**language, **environ}, *args)
        assert code == 1 and expected in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1 and err.startswith("yorozu: ")


def test_ask_who_and_stats_speak_japanese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    code, out, _ = run(capsys, data, JA, "ask", "VPN がつながらないときは？")
    assert code == 0 and out.strip() == "関連する過去のスレッドは見つかりませんでした。"
    code, out, _ = run(capsys, data, JA, "who", "VPN")
    assert code == 0 and out.strip() == "「VPN」に答えた人はまだ見つかりません。"
    code, out, _ = run(capsys, data, JA, "stats")
    assert code == 0 and "スレッド: 0" in out and "索引待ち: 0" in out
    code, out, _ = run(capsys, data, EN, "stats")
    assert code == 0 and "threads: 0" in out and "pending: 0" in out
