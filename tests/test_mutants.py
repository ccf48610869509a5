"""scripts/mutants.py names exact lines of the code; a move that leaves one behind would make its mutant
fail to apply instead of testing the tests, so every one is checked against the tree here."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.mutants import MUTANTS, Mutant

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_each_mutant_names_a_line_that_is_there_once(mutant: Mutant) -> None:
    path = ROOT / mutant.path
    assert path.is_file(), mutant.path
    source = path.read_text(encoding="utf-8")
    for old in (mutant.old, *(o for o, _ in mutant.more)):
        assert source.count(old) == 1, old
    for argument in mutant.tests:
        if argument.startswith("tests/"):
            assert (ROOT / argument.split("::")[0]).is_file(), argument
