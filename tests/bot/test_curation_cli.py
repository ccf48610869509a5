"""`yorozu faq|insights|optout|optin|role|org`, with the real default embedder (mostly on the sample community)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.service import open_knowledge_base
from bot.settings import Settings
from knowledge import events as ev
from tests.conftest import copy_of_sample, post
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


TENANT = "6F1C2A3B-0D4E-4F5A-8B6C-7D8E9F0A1B2C"  # as Azure shows it; stored lower-cased


def test_org_rules_name_people_whose_platform_gives_no_organisation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    with open_knowledge_base(Settings.from_env({"YOROZU_DATA_DIR": str(data_dir)})) as kb:
        kb.ingest_many(
            [
                ev.ChannelSeen("slack", "C1", "q-and-a"),
                ev.PersonSeen("slack", "U1", "佐藤 健", "青葉県庁"),
                ev.PersonSeen("slack", "U9", "山田 太郎", None, email="taro@soumu.city.kitayama.lg.jp"),
                post("C1", "100.0", "U1", "Excelマクロを作った職員が異動して誰も保守できません。どうしていますか？", 0),
                post("C1", "100.1", "U9", "マクロを棚卸しして、残すものは手順書を作りました。", 1, thread="100.0"),
            ]
        )
        kb.sync()

    def organisation_of_the_answerer() -> str | None:
        code, out, _ = run(capsys, data_dir, "who", "--json", "Excelマクロの保守")
        assert code == 0
        (expert,) = json.loads(out)["experts"]
        assert expert["name"] == "山田 太郎"
        return expert["organization"]

    assert organisation_of_the_answerer() is None
    assert run(capsys, data_dir, "org", "list")[1].startswith("No organisation rules yet")
    code, out, _ = run(capsys, data_dir, "org", "add", "email_domain", "@City.Kitayama.lg.jp", "北山市")
    assert (code, out) == (0, "email_domain city.kitayama.lg.jp → 北山市\n")
    assert organisation_of_the_answerer() == "北山市"  # a sub-domain's address matches, at once
    code, out, _ = run(capsys, data_dir, "org", "add", "email_domain", "city.kitayama.lg.jp", "北山市 総務課")
    assert code == 0 and "(was 北山市)" in out
    assert organisation_of_the_answerer() == "北山市 総務課"
    assert run(capsys, data_dir, "org", "add", "teams_tenant", TENANT, "青葉県庁")[0] == 0

    code, out, _ = run(capsys, data_dir, "org", "list", "--json")
    assert code == 0 and json.loads(out) == {
        "rules": [
            {"kind": "email_domain", "value": "city.kitayama.lg.jp", "organization": "北山市 総務課"},
            {"kind": "teams_tenant", "value": TENANT.lower(), "organization": "青葉県庁"},
        ]
    }
    code, out, _ = run(capsys, data_dir, "org", "list")
    assert out.splitlines() == [
        "email_domain  city.kitayama.lg.jp  → 北山市 総務課",
        f"teams_tenant  {TENANT.lower()}  → 青葉県庁",
    ]
    code, out, _ = run(capsys, data_dir, "org", "remove", "email_domain", "city.kitayama.lg.jp")
    assert code == 0 and "removed" in out
    assert organisation_of_the_answerer() is None
    code, _, err = run(capsys, data_dir, "org", "remove", "email_domain", "city.kitayama.lg.jp")
    assert code == 1 and err == "yorozu org: no email_domain rule for 'city.kitayama.lg.jp' (see `yorozu org list`)\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "slack_field", "x.jp", "北山市"), "KIND is email_domain or teams_tenant, not 'slack_field'"),
        (("add", "email_domain", " ", "北山市"), "VALUE is empty"),
        (("add", "email_domain", "city.kitayama.lg.jp", " "), "ORGANIZATION is empty"),
        (("add", "email_domain", "taro@city.kitayama.lg.jp", "北山市"), "an e-mail domain looks like"),
        (("add", "email_domain", "kitayama", "北山市"), "an e-mail domain looks like"),
        (("add", "teams_tenant", "aaaa-1111", "青葉県庁"), "a Teams tenant id is a GUID"),
        (("remove", "tenant", TENANT), "KIND is email_domain or teams_tenant, not 'tenant'"),
        (("remove", "teams_tenant", ""), "VALUE is empty"),
    ],
)
def test_org_bad_input_is_one_line_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, tmp_path, "org", *args)
    assert code == 1 and out == ""
    assert err.startswith(f"yorozu org: {message}") and err.count("\n") == 1
    assert json.loads(run(capsys, tmp_path, "org", "list", "--json")[1]) == {"rules": []}
