"""The files of a Slack export, read alike from a ZIP file or from its unzipped folder.

Names are relative to the export's root (the folder holding ``channels.json``, at the top or one folder
down when a folder was zipped), and Japanese names survive archivers that do not flag UTF-8. What cannot
be read is :class:`~knowledge.errors.ImportFailed` naming the file (:mod:`knowledge.importers.slack_export`).
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from knowledge.errors import ImportFailed


class SlackArchive:
    """The files of one export by path relative to its root (the folder holding ``channels.json``)."""

    def __init__(self, label: str, files: Mapping[str, Callable[[], bytes]], close: Callable[[], None]) -> None:
        self.label = label
        self._files = files
        self._close = close

    def __enter__(self) -> SlackArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def names(self) -> list[str]:
        return sorted(self._files)

    def has(self, name: str) -> bool:
        return name in self._files

    def load(self, name: str) -> Any:
        """The JSON in one file; ``ImportFailed`` naming the file when it cannot be read or parsed."""
        try:
            data = self._files[name]()
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ImportFailed(f"{name}: cannot be read from {self.label}: {exc}") from exc
        try:
            return json.loads(data)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise ImportFailed(f"{name}: not valid JSON ({exc})") from exc


def open_archive(path: Path) -> SlackArchive:
    path = Path(path)
    if path.is_dir():
        return _open_folder(path)
    if path.is_file():
        return _open_zip(path)
    raise ImportFailed(f"{path}: no such file or folder", key="error_no_such_path", params={"path": path})


def _open_folder(path: Path) -> SlackArchive:
    files = {p.relative_to(path).as_posix(): p for p in path.rglob("*.json") if p.is_file()}
    names = _rooted(str(path), list(files))
    return SlackArchive(str(path), {short: files[full].read_bytes for short, full in names.items()}, lambda: None)


def _open_zip(path: Path) -> SlackArchive:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFailed(
            f"{path}: not a readable ZIP file ({exc}); give a Slack export ZIP or its folder",
            key="error_not_a_zip",
            params={"path": path, "reason": exc},
        ) from exc
    try:
        infos = {_zip_name(i): i for i in archive.infolist() if not i.is_dir()}
        names = _rooted(str(path), list(infos))
    except BaseException:
        archive.close()
        raise

    def reader(info: zipfile.ZipInfo) -> Callable[[], bytes]:
        return lambda: archive.read(info)

    return SlackArchive(str(path), {short: reader(infos[full]) for short, full in names.items()}, archive.close)


def _zip_name(info: zipfile.ZipInfo) -> str:
    # Archivers that do not set the UTF-8 flag still write UTF-8 names; zipfile then decodes them as cp437
    # and Japanese channel names come out garbled.
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _rooted(label: str, names: list[str]) -> dict[str, str]:
    """Names relative to the export's root, which is the top or one folder down (a zipped folder)."""
    names = [n for n in names if not n.startswith("__MACOSX/")]
    roots = sorted((n.removesuffix("channels.json") for n in names if n.rsplit("/", 1)[-1] == "channels.json"), key=len)
    root = next((r for r in roots if r.count("/") <= 1), None)
    if root is None:
        raise ImportFailed(
            f"{label}: not a Slack export (no channels.json at its top)",
            key="error_not_slack_export",
            params={"path": label},
        )
    return {n[len(root) :]: n for n in names if n.startswith(root)}
