"""Build the Teams app package: the manifest with the bot's app id, its Japanese localisation and icons."""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Package data (pyproject's [tool.setuptools.package-data]): an installed wheel carries the manifest,
# its localisation and icons next to this module, so the package builds without the repository. They stay
# here rather than beside manifest/slack/: `yorozu manifest teams` reads them at run time, and a wheel only
# carries files that belong to a package (mapping a folder outside bot/ into one would trade pyproject's
# package discovery for a hand-kept list, and need a second lookup for source checkouts). The Slack manifest
# is a document pasted into Slack's settings, read by no code but a test, so it can live outside.
SOURCE = Path(__file__).resolve().parent / "manifest"
FILES = ("color.png", "outline.png", "ja-jp.json")
PLACEHOLDER = "{{APP_ID}}"
_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


# Teams accepts only a semantic version of three numbers (manifest schema: "^([0-9]|[1-9][0-9]*)(\.(...)){2}$").
_VERSION_RE = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
# The manifest schema's limits for the developer fields.
MAX_DEVELOPER_NAME = 32
MAX_URL = 2048


class PackageError(ValueError):
    """The package cannot be built (a bad app id or a missing file); the message says which.

    ``key`` and ``params`` name the message in ``bot.messages`` for the user's language.
    """

    def __init__(self, message: str, *, key: str | None = None, params: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.params: dict[str, object] = dict(params or {})


@dataclass(frozen=True, kw_only=True)
class Developer:
    """Who publishes the app in this organisation: shown on the app's page in Teams, required by Teams.

    Each field names the option and the variable it comes from, so an error can say which one to fix.
    """

    name: str
    website_url: str
    privacy_url: str
    terms_url: str

    # (field, command-line option, environment variable)
    SOURCES = (
        ("name", "--developer-name", "YOROZU_TEAMS_DEVELOPER_NAME"),
        ("website_url", "--website-url", "YOROZU_TEAMS_WEBSITE_URL"),
        ("privacy_url", "--privacy-url", "YOROZU_TEAMS_PRIVACY_URL"),
        ("terms_url", "--terms-url", "YOROZU_TEAMS_TERMS_URL"),
    )

    @classmethod
    def checked(cls, **values: str | None) -> Developer:
        """The developer from the given values; a :class:`PackageError` names every missing or bad one."""
        problems: list[PackageError] = []
        for name, option, variable in cls.SOURCES:
            value = (values.get(name) or "").strip()
            where = f"{option} (or {variable})"
            if not value:
                problems.append(
                    PackageError(f"{where} is missing", key="error_package_missing", params={"where": where})
                )
            elif name == "name":
                if len(value) > MAX_DEVELOPER_NAME:
                    problems.append(
                        PackageError(
                            f"{where} has at most {MAX_DEVELOPER_NAME} characters, not {len(value)}",
                            key="error_package_too_long",
                            params={"where": where, "limit": MAX_DEVELOPER_NAME, "count": len(value)},
                        )
                    )
            elif not _is_https_url(value):
                problems.append(
                    PackageError(
                        f"{where} must be an https:// URL, not {value!r}",
                        key="error_package_not_https",
                        params={"where": where, "value": value},
                    )
                )
        if problems:
            raise PackageError(
                "the Teams app package needs its publisher: " + "; ".join(map(str, problems)),
                key="error_package_publisher",
                params={"problems": problems},
            )
        return cls(**{name: (values.get(name) or "").strip() for name, _, _ in cls.SOURCES})


def _is_https_url(value: str) -> bool:
    if len(value) > MAX_URL or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and "." in (parts.hostname or "")


def render_manifest(
    app_id: str, *, source: Path = SOURCE, version: str | None = None, developer: Developer | None = None
) -> dict[str, Any]:
    """The manifest with ``app_id`` in place of ``{{APP_ID}}`` (bot id, app id, webApplicationInfo).

    ``version`` must be x.y.z; ``developer`` replaces the shipped placeholder publisher.
    """
    if not _GUID_RE.match(app_id):
        raise PackageError(
            f"the app id must be the bot's Microsoft App ID (a GUID), not {app_id!r}",
            key="error_package_app_id",
            params={"value": app_id},
        )
    if version is not None and not _VERSION_RE.match(version):
        raise PackageError(
            f"--version must be three numbers x.y.z such as 1.0.0 (Teams refuses others), not {version!r}",
            key="error_package_version",
            params={"value": version},
        )
    try:
        text = (source / "manifest.json").read_text(encoding="utf-8")
    except OSError as exc:
        raise PackageError(f"cannot read {source / 'manifest.json'}: {exc.strerror}") from None
    manifest: dict[str, Any] = json.loads(text.replace(PLACEHOLDER, app_id.lower()))
    if version:
        manifest["version"] = version
    if developer is not None:
        manifest["developer"] = {
            "name": developer.name,
            "websiteUrl": developer.website_url,
            "privacyUrl": developer.privacy_url,
            "termsOfUseUrl": developer.terms_url,
        }
    return manifest


def build_package(
    app_id: str, out: Path, *, developer: Developer, source: Path = SOURCE, version: str | None = None
) -> Path:
    """Write the installable ZIP (manifest.json, icons, ja-jp.json at its top) to ``out``."""
    manifest = render_manifest(app_id, source=source, version=version, developer=developer)
    missing = [name for name in FILES if not (source / name).is_file()]
    if missing:
        raise PackageError(f"{source} lacks {', '.join(missing)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        for name in FILES:
            archive.write(source / name, name)
    return out
