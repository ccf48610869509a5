"""`yorozu faq|insights|optout|optin|role` on the sample community, with the real default embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import copy_of_sample
from tests.conftest import run_cli as run

pytestmark = pytest.mark.model

QUESTION = "役場の中にマクロ入りのExcelが何本あるのか、まとめて調べる方法ってありますか"  # a held-out rewording
CSV = (
    "id,question,answer,tags,status,review_interval_days,verified_by,verified_at,source_thread\r\n"
    ",庁内にあるマクロ付きExcelファイルを一括で洗い出すには？,"
    "ファイルサーバーを拡張子 .xlsm と .xls で検索し、作成者と用途を棚卸し表にまとめます。,"
    "Excel; 棚卸し,published,180,高橋 誠,2026-11-01,\r\n"
)


@pytest.fixture(scope="module")
def sample_dir(imported_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_of_sample(imported_sample, tmp_path_factory, "curation")


def test_imported_faq_ranks_first_for_a_reworded_question(
    sample_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "faq.csv"
    path.write_bytes(CSV.encode("utf-8-sig"))  # as Excel saves "CSV UTF-8"
    code, out, _ = run(capsys, sample_dir, "faq", "import", str(path))
    assert code == 0 and "1 new, 0 updated" in out
    code, out, _ = run(capsys, sample_dir, "ask", "--json", QUESTION)
    top = json.loads(out)["suggestions"][0]
    assert top["kind"] == "faq" and top["verified_by"] == "高橋 誠" and top["review_due"] is False
    assert top["verified_at"].startswith("2026-11-01")
    code, out, _ = run(capsys, sample_dir, "ask", QUESTION)
    assert out.startswith("1. [FAQ] 庁内にあるマクロ付きExcel")

    code, out, _ = run(capsys, sample_dir, "faq", "list", "--json")
    (entry,) = json.loads(out)["entries"]
    assert entry["status"] == "published" and entry["tags"] == ["Excel", "棚卸し"]
    code, out, _ = run(capsys, sample_dir, "faq", "show", str(entry["id"]))
    assert "verified: 2026-11-01 by 高橋 誠" in out and "v1" in out and "imported" not in out
    export = tmp_path / "out.csv"
    assert run(capsys, sample_dir, "faq", "export", str(export))[0] == 0
    raw = export.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "庁内にあるマクロ付きExcel".encode() in raw

    # A bad file changes nothing and says which lines are wrong.
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV.replace(",published,", ",live,") + ",,答え,,,,,,\r\n", encoding="utf-8")
    code, _, err = run(capsys, sample_dir, "faq", "import", str(bad))
    assert code == 1 and "line 2: status must be" in err and "line 3: question is empty" in err
    assert len(json.loads(run(capsys, sample_dir, "faq", "list", "--json")[1])["entries"]) == 1
    code, _, err = run(capsys, sample_dir, "faq", "show", "999")
    assert code == 1 and "no FAQ entry 999" in err


def test_optout_removes_a_person_from_every_output(sample_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, sample_dir, "who", "--json", "マクロ")
    expert = json.loads(out)["experts"][0]
    name, person = expert["name"], f"{expert['platform']}:{expert['person_id']}"
    assert run(capsys, sample_dir, "optout", person)[0] == 0
    shown = "".join(
        run(capsys, sample_dir, *args)[1]
        for args in (
            ("who", "--json", "マクロ"),
            ("ask", "--json", QUESTION),
            ("insights", "--json", "--days", "3650"),
            ("faq", "list", "--json"),
        )
    )
    assert name not in shown
    assert run(capsys, sample_dir, "optin", person)[0] == 0
    assert name in run(capsys, sample_dir, "who", "--json", "マクロ")[1]
    with pytest.raises(SystemExit):
        main(["--data-dir", str(sample_dir), "optout", "U123"], environ={})


def test_insights_and_roles(sample_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, sample_dir, "insights", "--json", "--days", "3650")
    data = json.loads(out)
    assert code == 0 and data["unanswered"]["total"] >= 0 and data["helpfulness"]["rate"] is None
    code, out, _ = run(capsys, sample_dir, "insights", "--days", "3650")
    assert "Unanswered questions" in out and "Helpfulness: —" in out
    assert run(capsys, sample_dir, "role", "add", "specialist", "slack:U42")[0] == 0
    code, out, _ = run(capsys, sample_dir, "role", "list", "--json")
    assert {"platform": "slack", "person_id": "U42", "role": "specialist", "source": "cli:operator"} in json.loads(out)[
        "roles"
    ]
    code, out, _ = run(capsys, sample_dir, "role", "remove", "specialist", "slack:U42")
    assert "no longer has the specialist role" in out
