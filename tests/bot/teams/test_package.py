"""The Teams app package builds and its manifest validates against the official schemas, offline."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.cli import main
from bot.teams.dialogs import MAKE_FAQ_COMMAND
from bot.teams.package import SOURCE, Developer, PackageError, render_manifest
from tests.conftest import shared_path

APP_ID = "0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"
# Who publishes the app, as an operator configures it (settings from the environment).
PUBLISHER = {
    "YOROZU_TEAMS_DEVELOPER_NAME": "青葉県 情報政策課",
    "YOROZU_TEAMS_WEBSITE_URL": "https://www.pref.aoba.example.jp/joho/",
    "YOROZU_TEAMS_PRIVACY_URL": "https://www.pref.aoba.example.jp/joho/yorozu-privacy.html",
    "YOROZU_TEAMS_TERMS_URL": "https://www.pref.aoba.example.jp/joho/yorozu-terms.html",
}
DEVELOPER = Developer.checked(
    name=PUBLISHER["YOROZU_TEAMS_DEVELOPER_NAME"],
    website_url=PUBLISHER["YOROZU_TEAMS_WEBSITE_URL"],
    privacy_url=PUBLISHER["YOROZU_TEAMS_PRIVACY_URL"],
    terms_url=PUBLISHER["YOROZU_TEAMS_TERMS_URL"],
)


def _validator(version: str) -> jsonschema.Draft4Validator:
    # The schemas only reference themselves ("#/definitions/..."), so nothing is fetched.
    path = shared_path("reference", "teams", "manifest-schema", version, "MicrosoftTeams.schema.json")
    schema = json.loads(path.read_text())
    return jsonschema.Draft4Validator(schema)


def _png_size(data: bytes) -> tuple[int, int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, _, color_type = struct.unpack(">IIBB", data[16:26])
    return width, height, color_type


def test_cli_builds_a_package_that_validates(tmp_path: Path) -> None:
    out = tmp_path / "yorozu.zip"
    assert (
        main(
            ["--data-dir", str(tmp_path), "manifest", "teams", "--app-id", APP_ID, "--out", str(out)], environ=PUBLISHER
        )
        == 0
    )
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "ja-jp.json", "manifest.json", "outline.png"]
        manifest: dict[str, Any] = json.loads(archive.read("manifest.json"))
        localisation = json.loads(archive.read("ja-jp.json"))
        color = _png_size(archive.read("color.png"))
        outline = _png_size(archive.read("outline.png"))
    errors = [e.message for e in _validator("v1.17").iter_errors(manifest)]
    assert errors == []
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert manifest["developer"] == {
        "name": "青葉県 情報政策課",
        "websiteUrl": "https://www.pref.aoba.example.jp/joho/",
        "privacyUrl": "https://www.pref.aoba.example.jp/joho/yorozu-privacy.html",
        "termsOfUseUrl": "https://www.pref.aoba.example.jp/joho/yorozu-terms.html",
    }
    assert manifest["webApplicationInfo"]["id"] == APP_ID
    assert set(manifest["bots"][0]["scopes"]) == {"team", "personal", "groupChat"}
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in manifest["authorization"]["permissions"][
        "resourceSpecific"
    ]
    assert {"name": "ChannelSettings.Read.Group", "type": "Application"} in manifest["authorization"]["permissions"][
        "resourceSpecific"
    ]
    for permission in ("ChannelMessage.Read.Group", "ChannelSettings.Read.Group"):
        assert permission in manifest["description"]["full"] and permission in localisation["description.full"]
    assert manifest["localizationInfo"]["additionalLanguages"] == [{"languageTag": "ja-jp", "file": "ja-jp.json"}]
    assert localisation["name.short"] == "よろず"
    # FAQにする: a message action (the message's "More actions" menu) that opens a dialog fetched from the bot.
    (extension,) = manifest["composeExtensions"]
    (command,) = extension["commands"]
    assert extension["botId"] == APP_ID
    assert command["id"] == MAKE_FAQ_COMMAND and command["type"] == "action"
    assert command["context"] == ["message"] and command["fetchTask"] is True
    assert localisation["composeExtensions[0].commands[0].title"] == "FAQにする"
    assert color == (192, 192, 6) and outline == (32, 32, 6)  # RGBA; the outline needs transparency


def test_manifest_also_validates_against_the_newest_schema() -> None:
    manifest = render_manifest(APP_ID, developer=DEVELOPER, version="1.2.3")
    manifest["manifestVersion"] = "1.30"
    manifest["$schema"] = manifest["$schema"].replace("v1.17", "v1.30")
    assert [e.message for e in _validator("v1.30").iter_errors(manifest)] == []


def test_schema_catches_a_broken_manifest() -> None:
    manifest = render_manifest(APP_ID)
    manifest["bots"][0]["scopes"] = ["groupchat"]
    assert list(_validator("v1.17").iter_errors(manifest))


def test_app_id_must_be_a_guid(tmp_path: Path) -> None:
    with pytest.raises(PackageError):
        render_manifest("my-bot")
    argv = ["--data-dir", str(tmp_path), "manifest", "teams", "--app-id", "x", "--out", str(tmp_path / "a.zip")]
    assert main(argv, environ=PUBLISHER) == 1 and not (tmp_path / "a.zip").exists()


def _manifest_cli(tmp_path: Path, *options: str, environ: dict[str, str]) -> tuple[int, Path]:
    out = tmp_path / "a.zip"
    argv = ["--data-dir", str(tmp_path), "manifest", "teams", "--app-id", APP_ID, "--out", str(out), *options]
    return main(argv, environ=environ), out


@pytest.mark.parametrize("version", ["1.0", "1", "1.0.0.0", "v1.0.0", "01.0.0", "1.0.0-beta"])
def test_the_version_must_be_x_y_z(tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str) -> None:
    code, out = _manifest_cli(tmp_path, "--version", version, environ=PUBLISHER)
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "x.y.z" in err and repr(version) in err and len(err.strip().splitlines()) == 1


def test_a_good_version_and_options_override_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _manifest_cli(
        tmp_path,
        "--version",
        "2.10.0",
        "--developer-name",
        "北山市 情報政策課",
        "--privacy-url",
        "https://www.city.kitayama.example.jp/privacy",
        environ=PUBLISHER,
    )
    assert code == 0, capsys.readouterr().err
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["version"] == "2.10.0"
    assert manifest["developer"]["name"] == "北山市 情報政策課"
    assert manifest["developer"]["privacyUrl"] == "https://www.city.kitayama.example.jp/privacy"
    assert manifest["developer"]["termsOfUseUrl"] == PUBLISHER["YOROZU_TEAMS_TERMS_URL"]  # from the settings
    assert [e.message for e in _validator("v1.17").iter_errors(manifest)] == []


def test_the_publisher_is_required_and_its_urls_must_be_https(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _manifest_cli(tmp_path, environ={})
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    for option in ("--developer-name", "--website-url", "--privacy-url", "--terms-url"):
        assert option in err
    assert "YOROZU_TEAMS_PRIVACY_URL" in err and "Traceback" not in err
    bad = {
        **PUBLISHER,
        "YOROZU_TEAMS_WEBSITE_URL": "http://www.pref.aoba.example.jp/",  # not https
        "YOROZU_TEAMS_PRIVACY_URL": "privacy.html",
        "YOROZU_TEAMS_TERMS_URL": "https://",
    }
    code, out = _manifest_cli(tmp_path, environ=bad)
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "'http://www.pref.aoba.example.jp/'" in err and "'privacy.html'" in err and "'https://'" in err
    assert "--developer-name" not in err  # the good value is not reported
    with pytest.raises(PackageError, match="at most 32"):
        Developer.checked(**{**DEVELOPER.__dict__, "name": "あ" * 33})


def test_outline_icon_is_white_on_transparent() -> None:
    import zlib

    data = (SOURCE / "outline.png").read_bytes()
    idat = data[data.index(b"IDAT") + 4 :]
    raw = zlib.decompress(idat[: struct.unpack(">I", data[data.index(b"IDAT") - 4 : data.index(b"IDAT")])[0]])
    pixels = {tuple(raw[r * 129 + 1 + c * 4 : r * 129 + 5 + c * 4]) for r in range(32) for c in range(32)}
    assert pixels <= {(255, 255, 255, 255), (0, 0, 0, 0)} and len(pixels) == 2


def test_an_installed_wheel_builds_the_package(tmp_path: Path) -> None:
    """``yorozu manifest teams`` from a wheel installed away from the repository: the files are package data."""
    root = Path(__file__).resolve().parents[3]
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, src / name)
    for package in ("bot", "knowledge"):
        shutil.copytree(root / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    dist, site = tmp_path / "dist", tmp_path / "site"
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", dist, src], check=True)
    (wheel,) = dist.glob("yorozu-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {n for n in archive.namelist() if n.startswith("bot/teams/manifest/")}
    assert shipped == {f"bot/teams/manifest/{n}" for n in ("manifest.json", "ja-jp.json", "color.png", "outline.png")}
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", site, wheel], check=True)
    out = tmp_path / "yorozu.zip"
    script = (
        "import sys; from bot.cli import main; from bot.teams.package import SOURCE; print(SOURCE);"
        " sys.exit(main(['--data-dir', sys.argv[1], 'manifest', 'teams',"
        " '--app-id', sys.argv[2], '--out', sys.argv[3]]))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, tmp_path / "data", APP_ID, out],
        cwd=tmp_path,  # not the repository: only the installed copy can be imported
        env={**os.environ, **PUBLISHER, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(run.stdout.splitlines()[0]).is_relative_to(site)
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "ja-jp.json", "manifest.json", "outline.png"]
        assert json.loads(archive.read("manifest.json"))["id"] == APP_ID


def test_package_errors_in_japanese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    japanese = {"LANG": "ja_JP.UTF-8"}
    bad = {**PUBLISHER, **japanese, "YOROZU_TEAMS_PRIVACY_URL": "http://www.pref.aoba.example.jp/privacy"}
    del bad["YOROZU_TEAMS_TERMS_URL"]
    code, out = _manifest_cli(tmp_path, environ=bad)
    err = capsys.readouterr().err
    assert code == 1 and not out.exists() and len(err.strip().splitlines()) == 1
    assert "Teams のアプリパッケージには発行者の情報が必要です" in err
    assert "--terms-url (or YOROZU_TEAMS_TERMS_URL) がありません" in err
    assert "https:// で始まる URL にしてください" in err and "'http://www.pref.aoba.example.jp/privacy'" in err
    code, out = _manifest_cli(tmp_path, "--version", "1.0", environ={**PUBLISHER, **japanese})
    assert code == 1 and "3つの数字 x.y.z" in capsys.readouterr().err
