"""Japanese-first text handling: normalisation, question and thanks detection, lexical tokens."""

from __future__ import annotations

import re
import unicodedata

# NFKC leaves these apart; people type all of them for the same thing ("10〜12時", "10～12時", "A-B", "A−B").
_WAVE_DASHES = "\u301c\uff5e\u223c\u223e\u2053"  # 〜 ～ ∼ ∾ ⁓
_HYPHENS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe63\uff0d\u30fc\u2500"
_HYPHEN_TABLE = {ord(c): "-" for c in _HYPHENS.replace("\u30fc", "")}
_WAVE_TABLE = {ord(c): "~" for c in _WAVE_DASHES}
_SPACE_RE = re.compile(r"\s+")
# Long vowel mark ー is a letter in katakana words (サーバー) but a dash between digits or Latin letters.
_CHOONPU_AS_DASH_RE = re.compile(r"(?<=[0-9A-Za-z])\u30fc(?=[0-9A-Za-z])")


def normalize(text: str) -> str:
    """NFKC, unified wave dashes and hyphens, lower case, collapsed whitespace."""
    text = unicodedata.normalize("NFKC", text)
    text = _CHOONPU_AS_DASH_RE.sub("-", text)
    text = text.translate(_HYPHEN_TABLE).translate(_WAVE_TABLE)
    return _SPACE_RE.sub(" ", text).strip().lower()


_QUESTION_ENDINGS = re.compile(
    r"(\?|ますか|ですか|でしょうか|ませんか|ないか|のか|かな|かね|だろうか|"
    r"教えて|おしえて|ください|下さい|頂けますか|いただけ|知りたい|聞きたい|伺いたい|"
    r"困って|悩んで|迷って|"
    # A problem stated in a help channel is a question too: 「VBAを保守できない」「印刷できません」.
    r"できない|できません|出来ない|出来ません|動かない|動きません|つながらない|繋がらない|つながりません|"
    r"開けない|開けません|表示されない|表示されません|わからない|分からない|わかりません|分かりません|"
    r"エラーが出|エラーになり|失敗する|失敗します|どうすれば|どうしたら|どうして|どのように|どうやって|どう(?:なって|して|され)|"
    r"方法|やり方|ご存知|ご存じ|ありますか|いますか|おられ|されていますか|でしょう)"
)
_QUESTION_WORDS = re.compile(
    r"(どう|どの|どんな|何|なに|なぜ|なんで|いつ|どこ|誰|だれ|いくら|どれ|どちら|"
    r"ご教示|ご助言|アドバイス|知見|事例|情報提供|相談|how |what |why |which |where |when |who |any (?:idea|tips))"
)
_ENGLISH_QUESTION = re.compile(r"^(how|what|why|which|where|when|who|is|are|do|does|can|could|should|anyone)\b")
_NOT_QUESTION = re.compile(r"^(お知らせ|【?(お知らせ|共有|周知|連絡|報告|資料)】?)")


def looks_like_question(text: str) -> bool:
    """Whether a thread root reads as a question (Japanese first, English too).

    Signals: a question mark anywhere, question endings (ますか, でしょうか), requests (教えてください),
    trouble (困っています), and asking words near a request (どのように…運用, 方法, 事例).
    """
    norm = normalize(text)
    if not norm:
        return False
    if _NOT_QUESTION.match(norm) and "?" not in norm:
        return False
    if "?" in norm:
        return True
    if _QUESTION_ENDINGS.search(norm):
        return True
    if _ENGLISH_QUESTION.match(norm):
        return True
    # "皆さんの団体での事例があれば" without an ending: an asking word plus a hedge.
    return bool(_QUESTION_WORDS.search(norm) and re.search(r"(あれば|たら|れば|たい|ほしい|欲しい)", norm))


_THANKS = re.compile(
    r"(ありがとう|有難う|有り難う|感謝|助かりました|助かります|解決しました|解決できました|解消しました|"
    r"うまくいきました|上手くいきました|いけました|できました|参考になりました|thank|solved|that worked|works now)"
)


def is_thanks(text: str) -> bool:
    """Whether a reply from the asker says the problem is solved or the answer helped."""
    return bool(_THANKS.search(normalize(text)))


def _runs(text: str) -> list[str]:
    runs = []
    for run in normalize(text).split(" "):
        run = "".join(ch for ch in run if ch.isalnum() or ch in "-~#+.@_")
        if run:
            runs.append(run)
    return runs


def tokens(text: str) -> list[str]:
    """Lexical terms of a query: character bigrams of each run of the normalised text.

    A run of one character yields that character, so one-character queries ("研", "AD" split apart)
    still match; documents carry those unigrams too (:func:`document_tokens`).
    """
    out: list[str] = []
    for run in _runs(text):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def document_tokens(text: str) -> tuple[list[str], list[str]]:
    """A document's bigrams (scored by BM25) and its distinct single characters (for one-character queries)."""
    bigrams = tokens(text)
    unigrams = sorted({ch for run in _runs(text) for ch in run})
    return bigrams, unigrams


_GREETING = re.compile(
    r"(お疲れ様|お疲れさま|おつかれさま|こんにちは|こんばんは|いつもお世話に|はじめまして|初めまして).{0,20}"
    r"|.{1,16}の.{1,8}(です|と申します)[。!！]?"
)
_SENTENCE_END = re.compile(r"(?<=[。！？!?\n])")


def title_of(text: str, limit: int = 60) -> str:
    """A thread's title: the first sentence (or line) of its root, shortened to ``limit`` characters."""
    flat = text.strip()
    for part in _SENTENCE_END.split(flat):
        part = part.strip()
        # Skip greetings and self-introductions ("お疲れさまです。北山市の佐藤です。") when more follows.
        if part and not _GREETING.fullmatch(part):
            return shorten(part, limit)
    return shorten(flat, limit)


def excerpt_of(text: str, limit: int) -> str:
    """The start of an answer without its greeting or self-introduction ("青葉市の佐藤です。")."""
    parts = [p for p in _SENTENCE_END.split(text.strip()) if p.strip()]
    while len(parts) > 1 and _GREETING.fullmatch(parts[0].strip()):
        parts.pop(0)
    return shorten("".join(parts), limit)


def shorten(text: str, limit: int) -> str:
    """Collapse whitespace and cut to ``limit`` characters with an ellipsis."""
    flat = _SPACE_RE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# What no database can store as text: NUL (PostgreSQL refuses it) and UTF-16 surrogates without their
# pair (no UTF-8 encoding exists for them). JSON can carry both as \u escapes.
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` without NUL characters and with each lone surrogate replaced by U+FFFD, so that every
    backend stores it and every encoder accepts it (the rest of the text is kept as sent)."""
    if not _UNSTORABLE_RE.search(text):
        return text
    return _UNSTORABLE_RE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


# No payload a platform sends nests deeper than this; deeper JSON is refused as malformed.
MAX_JSON_DEPTH = 64


def storable_json(value: object, *, _depth: int = 0) -> object:
    """A parsed JSON value with :func:`storable` applied to every string in it, keys included.

    Raises ``ValueError`` for a value nested deeper than ``MAX_JSON_DEPTH``.
    """
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict | list) and _depth >= MAX_JSON_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, dict):
        return {storable(k) if isinstance(k, str) else k: storable_json(v, _depth=_depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [storable_json(v, _depth=_depth + 1) for v in value]
    return value


_SAFE_LINK_RE = re.compile(r"^https?://[^\s/?#]+", re.IGNORECASE)


def safe_link(url: object) -> str | None:
    """``url`` when it is an absolute http(s) link, else ``None``: a ``javascript:`` or ``data:`` link
    stored from an import would run script in a page that shows it as ``href``."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    return url if _SAFE_LINK_RE.match(url) and not any(c in url for c in "\x00\r\n\t") else None
