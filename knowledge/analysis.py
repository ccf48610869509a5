"""Word analysis for the lexical half: Sudachi's normalised content words, ASCII terms kept whole.

Japanese has no spaces, so the lexical index needs a word analyser. Sudachi (SudachiPy with the
``sudachidict-core`` dictionary, offline) splits text into words and gives each its normalised form, so
「ユーザ」 and 「ユーザー」, 「フォルダ」 and 「フォルダー」, 「とき」 and 「時」 meet. Only content words are kept
(nouns, verbs, adjectives, adverbs; not particles, auxiliaries, punctuation, nor light verbs such as
する・ある・いる), and English function words are left out of ASCII runs.

ASCII runs never reach Sudachi: it reads 「M365」 as 立方メートル + 65 and drops 「C#」's sign. They are kept
whole and lower-cased (``m365``, ``c#``, ``lgwan``, ``excel2016``), and a run that mixes letters and digits
or joins parts with ``-`` ``.`` ``/`` ``_`` also yields its parts and its joined form (``excel2016`` →
``excel``, ``2016``; ``wi-fi`` → ``wifi``), so 「Excel 2016」 and 「Excel2016」 meet.

:data:`ANALYZER` names the analysis, the dictionary and their versions; an index records it, and a
change means a rebuild (``yorozu reindex``), not silent drift.
"""

from __future__ import annotations

import importlib.metadata
import re
import threading
import unicodedata

from sudachipy import Dictionary, SplitMode, Tokenizer

# Bump when the analysis below changes what terms a text yields.
ANALYSIS_VERSION = 2
# Sudachi refuses inputs over about 49 KB; texts are analysed in pieces well under that.
_MAX_PIECE_CHARS = 4000

_KEPT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "代名詞", "接頭辞", "接尾辞"})
# Words that carry no topic however often they appear (normalised forms).
_STOP_TEXT = """為る 居る 有る 成る 出来る 言う 思う 御座る 致す 頂く 下さる 呉れる 貰う 遣る 行く 来る 見る 置く 仕舞う
    こと 事 もの 物 よう 様 ため 為 時 ところ 所 方 など 等 これ それ あれ どれ この その あの ここ そこ 此処
    私 僕 皆さん 皆様 皆 方々 さん 様 氏 殿 達 等 的 化 性 感 中 内 上 下 前 後 際 度 件 点 場合 今回 今 現在
    御 お ご 何 なに 何か どう どの どんな 如何 いつ 誰 どこ どちら 此の 其の 彼の 大 小 超 非 未 不
    よろしい 宜しい 良い いい 無い ない 分かる 分る 判る 知る 教える 聞く 伺う 困る 願う 申す 存ずる
    有り難う 済む 失礼 お疲れ 疲れる 様子 感じ 辺り 以前 以上 以下 以外 関係 関する 付く 付ける
    こう そう ああ こんな そんな あんな 先 失礼 お先"""
_STOP = frozenset(_STOP_TEXT.split())
_ENGLISH_STOP_TEXT = """
    a an the is are was were be been am do does did i me my we our you your it its this that these those
    to of in on at for from with by and or but not no so if as can could should would will how what why
    when where who which please thanks thank hi hello there any anyone someone have has had get got"""
_ENGLISH_STOP = frozenset(_ENGLISH_STOP_TEXT.split())
_ASCII_RUN = re.compile(r"[a-z0-9][a-z0-9#+._/\-]*[a-z0-9#+]|[a-z0-9]")
_ASCII_PART = re.compile(r"[a-z]+|[0-9]+")
_SPACE = re.compile(r"\s+")


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


ANALYZER = (
    f"sudachi-b-content-v{ANALYSIS_VERSION};sudachipy={_version('sudachipy')};"
    f"sudachidict-core={_version('sudachidict-core')}"
)

_dictionary: Dictionary | None = None
_dictionary_lock = threading.Lock()
_local = threading.local()


def _tokenizer() -> Tokenizer:
    """This thread's Sudachi tokenizer (a tokenizer is not shared between threads; the dictionary is)."""
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        global _dictionary
        with _dictionary_lock:
            if _dictionary is None:
                _dictionary = Dictionary(dict="core")
        tok = _dictionary.tokenizer(SplitMode.B)
        _local.tokenizer = tok
    return tok


def _prepare(text: str) -> str:
    # A lone surrogate (broken UTF-16 from a client) cannot reach Sudachi; it is no word anyway.
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACE.sub(" ", text).strip()


def _ascii_terms(run: str) -> list[str]:
    if run in _ENGLISH_STOP:
        return []
    out = [run]
    parts = _ASCII_PART.findall(run)
    if len(parts) > 1:
        joined = "".join(parts)
        if joined != run:
            out.append(joined)
        out.extend(p for p in parts if len(p) > 1 or p.isdigit())
    return out


def _japanese_terms(piece: str) -> list[str]:
    out: list[str] = []
    tok = _tokenizer()
    for start in range(0, len(piece), _MAX_PIECE_CHARS):
        for m in tok.tokenize(piece[start : start + _MAX_PIECE_CHARS]):
            pos = m.part_of_speech()
            if pos[0] not in _KEPT_POS:
                continue
            word = m.normalized_form()
            # Numerals count (「二人」「三台」: JSTS lexical mrr@10 0.535 -> 0.545, the IT set unchanged).
            if pos[1] != "数詞" and (word in _STOP or (pos[1] == "非自立可能" and pos[0] == "動詞")):
                continue
            if len(word) == 1 and pos[0] in ("接頭辞", "接尾辞"):
                continue
            out.append(word)
    return out


def words(text: str) -> list[str]:
    """The terms of ``text`` for the lexical index, in order, repeats kept (term frequency counts)."""
    text = _prepare(text)
    out: list[str] = []
    pos = 0
    for match in _ASCII_RUN.finditer(text):
        if match.start() > pos:
            out.extend(_japanese_terms(text[pos : match.start()]))
        out.extend(_ascii_terms(match.group()))
        pos = match.end()
    if pos < len(text):
        out.extend(_japanese_terms(text[pos:]))
    return [w for w in out if w.strip()]
