"""Mentions of people in message text: stored as references, named only when shown.

A message stores a mention of a person as ``<@person id>`` (the id the platform gives the person, as in
the people table), never as the name it showed: the name is looked up when the text is shown and passes
the opt-out rule then, so a person who opts out (or is forgotten) stops being named in every excerpt,
title and draft at once. The indexes hold no mention at all (:func:`plain`): a name in a mention is not
what a thread is about, and an id is no word anyone searches for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# What a mention of a person becomes when it cannot be named: opted out, forgotten, or never seen.
UNNAMED = "@***"

_REFERENCE_RE = re.compile(r"<@([^<>|\s]{1,255})>")
# Teams splits a mention of "鈴木 花子" into one mention per word, all of the same person.
_REPEATED_RE = re.compile(r"<@([^<>|\s]{1,255})>(?:\s*<@\1>)+")


def reference(person_id: str) -> str:
    """How a message stores a mention of ``person_id``."""
    return f"<@{person_id}>"


def collapse(text: str) -> str:
    """One reference where a platform wrote several in a row for one person."""
    return _REPEATED_RE.sub(lambda m: reference(m.group(1)), text)


def mentioned(texts: Iterable[str]) -> set[str]:
    """The ids of the people mentioned in ``texts``."""
    return {m.group(1) for text in texts if "<@" in text for m in _REFERENCE_RE.finditer(text)}


def render(text: str, names: Mapping[str, str]) -> str:
    """The text as shown: a mention of a person in ``names`` is ``@name``, any other is :data:`UNNAMED`.

    ``names`` must hold only people who may be named (see :func:`knowledge.people.mention_names`).
    """
    if "<@" not in text:
        return text
    return _REFERENCE_RE.sub(lambda m: f"@{names[m.group(1)]}" if m.group(1) in names else UNNAMED, text)


def plain(text: str) -> str:
    """The text with every mention reduced to ``@``: what the indexes and a question's search see."""
    if "<@" not in text:
        return text
    return _REFERENCE_RE.sub("@", text)
