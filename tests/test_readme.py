"""README.md (Japanese) and README.en.md (English) stay in step with each other and with the code."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JA = (ROOT / "README.md").read_text(encoding="utf-8")
EN = (ROOT / "README.en.md").read_text(encoding="utf-8")

_VARIABLE = re.compile(r"`((?:YOROZU_|Microsoft|SLACK_)[A-Za-z_]+)`")
_LINK = re.compile(r"\]\(([^)#]+)\)")


def _settings_variables() -> set[str]:
    """Every variable ``Settings.from_env`` reads, from its source."""
    source = (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'"((?:YOROZU_|Microsoft|SLACK_)[A-Za-z_]+)"', source))
    return names - {"SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"}  # refused, not configured


def test_both_readmes_document_the_same_settings_and_every_one_the_code_reads() -> None:
    ja, en = set(_VARIABLE.findall(JA)), set(_VARIABLE.findall(EN))
    assert ja == en
    missing = _settings_variables() - ja
    assert not missing, f"settings not in the READMEs: {sorted(missing)}"


def test_both_readmes_link_the_same_pages_and_the_pages_exist() -> None:
    ja, en = set(_LINK.findall(JA)), set(_LINK.findall(EN))
    assert ja - {"README.en.md"} == en - {"README.md"}
    for target in ja | en:
        assert (ROOT / target).is_file(), target


def test_the_two_commands_are_there_and_in_the_makefile() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for command in ("make demo", "make test"):
        assert command in JA and command in EN
        assert re.search(rf"^{command.split()[1]}:", makefile, re.MULTILINE)
    assert "$(BIN)/yorozu demo" in makefile
