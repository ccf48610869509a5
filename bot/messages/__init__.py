"""What Yorozu says, in Japanese (the default) and English: the one catalogue for chat replies and the CLI.

Renderers, adapters and the command line take their texts from here; the texts themselves are in
``ja.py`` and ``en.py`` (the same keys in both). A text that counts something is a
:class:`Plural` in English ("1 answer", "2 answers"); Japanese needs no plural (「1件」「2件」).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from bot.messages.en import TEXTS_EN
from bot.messages.ja import TEXTS_JA
from bot.messages.plural import Plural

__all__ = ["TEXTS", "Locale", "Plural", "error_text", "locale_from", "locale_of_environ", "text"]


class Locale(StrEnum):
    JA = "ja"
    EN = "en"


def locale_from(tag: str | None) -> Locale:
    """``en-US``, ``en`` → English; anything else (``ja-JP``, unknown, none) → Japanese."""
    return Locale.EN if tag and tag.lower().replace("_", "-").split("-")[0] == "en" else Locale.JA


# POSIX order: LC_ALL overrides LC_MESSAGES, which overrides LANG.
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def locale_of_environ(environ: Mapping[str, str]) -> Locale:
    """The command line's language: ``YOROZU_LANG`` (ja, en) first, else the POSIX locale.

    ``LANG=ja_JP.UTF-8`` (or ``LC_ALL`` / ``LC_MESSAGES``) → Japanese; any other locale, or none
    (``C``, ``POSIX``, unset) → English, the language of a terminal nobody configured.
    """
    chosen = (environ.get("YOROZU_LANG") or "").strip()
    if chosen:
        return _locale_of_posix(chosen)
    for name in _LOCALE_VARIABLES:
        value = (environ.get(name) or "").strip()
        if value:
            return _locale_of_posix(value)
    return Locale.EN


def _locale_of_posix(value: str) -> Locale:
    return Locale.JA if value.lower().replace("-", "_").split("_")[0].split(".")[0] == "ja" else Locale.EN


if TEXTS_JA.keys() != TEXTS_EN.keys():  # a text said in one language only is a mistake: refuse to start
    raise AssertionError(f"message keys differ between ja and en: {sorted(TEXTS_JA.keys() ^ TEXTS_EN.keys())}")
# Every message key with its text in each language.
TEXTS: dict[str, dict[Locale, str | Plural]] = {
    key: {Locale.JA: TEXTS_JA[key], Locale.EN: TEXTS_EN[key]} for key in TEXTS_JA
}


def text(key: str, locale: Locale, **params: object) -> str:
    """The text ``key`` in ``locale`` with ``params`` filled in (a :class:`Plural` picks its form)."""
    entry = TEXTS[key][locale]
    if isinstance(entry, Plural):
        # Replies carry their parameters as text ({"count": "1"}), the CLI as numbers.
        entry = entry.one if str(params[entry.by]) == "1" else entry.other
    return entry.format(**params)


# Japanese for the words knowledge errors put into their messages (NotFound's ``what``, a field's name).
_WORDS_JA = {
    "FAQ entry": "FAQ",
    "thread": "スレッド",
    "open review item": "未処理の確認項目",
    "question": "質問",
    "answer": "回答",
}
# How many bad rows an error lists (it says how many more there are).
ROWS_SHOWN = 50


def error_text(exc: BaseException, locale: Locale) -> str:
    """An error for a person, in ``locale``: the catalogue's text when the error names one (a ``key``), else
    the error's own (English) message."""
    key: str | None = getattr(exc, "key", None)
    if not key or key not in TEXTS:
        return str(exc)
    params: dict[str, object] = dict(getattr(exc, "params", {}))
    rows: tuple[tuple[int, BaseException], ...] = getattr(exc, "rows", ())
    if key == "error_csv_rows":
        name = getattr(exc, "name", "") or params.get("name")
        head = (
            text("error_csv_rows", locale, name=name, count=len(rows))
            if name
            else text("error_rows", locale, count=len(rows))
        )
        lines = [head]
        lines += [
            text("error_csv_row", locale, line=line, problem=error_text(problem, locale))
            for line, problem in rows[:ROWS_SHOWN]
        ]
        if len(rows) > ROWS_SHOWN:
            lines.append(text("error_csv_more", locale, count=len(rows) - ROWS_SHOWN))
        if params.get("unknown_ids"):
            lines.append(text("error_csv_unknown_ids", locale))
        return "\n".join(lines)
    problems = params.get("problems")
    if isinstance(problems, list | tuple):  # an error made of several, each worded on its own
        params["problems"] = ("、" if locale == Locale.JA else "; ").join(error_text(p, locale) for p in problems)
    for word in ("what", "field"):
        if word in params:
            params[f"{word}_ja"] = _WORDS_JA.get(str(params[word]), params[word])
    try:
        return text(key, locale, **params)
    except (KeyError, IndexError, ValueError):  # an error raised without every parameter its text names
        return str(exc)
