"""Build the Teams app package: the manifest with the bot's app id, its Japanese localisation and icons."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

# Package data (pyproject's [tool.setuptools.package-data]): an installed wheel carries the manifest,
# its localisation and icons next to this module, so the package builds without the repository.
SOURCE = Path(__file__).resolve().parent / "manifest"
FILES = ("color.png", "outline.png", "ja-jp.json")
PLACEHOLDER = "{{APP_ID}}"
_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class PackageError(ValueError):
    """The package cannot be built (a bad app id or a missing file); the message says which."""


def render_manifest(app_id: str, *, source: Path = SOURCE, version: str | None = None) -> dict[str, Any]:
    """The manifest with ``app_id`` in place of ``{{APP_ID}}`` (bot id, app id, webApplicationInfo)."""
    if not _GUID_RE.match(app_id):
        raise PackageError(f"the app id must be the bot's Microsoft App ID (a GUID), not {app_id!r}")
    try:
        text = (source / "manifest.json").read_text(encoding="utf-8")
    except OSError as exc:
        raise PackageError(f"cannot read {source / 'manifest.json'}: {exc.strerror}") from None
    manifest: dict[str, Any] = json.loads(text.replace(PLACEHOLDER, app_id.lower()))
    if version:
        manifest["version"] = version
    return manifest


def build_package(app_id: str, out: Path, *, source: Path = SOURCE, version: str | None = None) -> Path:
    """Write the installable ZIP (manifest.json, icons, ja-jp.json at its top) to ``out``."""
    manifest = render_manifest(app_id, source=source, version=version)
    missing = [name for name in FILES if not (source / name).is_file()]
    if missing:
        raise PackageError(f"{source} lacks {', '.join(missing)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        for name in FILES:
            archive.write(source / name, name)
    return out
