"""A text whose wording depends on a number (English only: Japanese needs no plural, 「1件」「2件」)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plural:
    """A text whose wording depends on a number: ``one`` when the ``by`` parameter is 1, else ``other``."""

    one: str
    other: str
    by: str = "count"
