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


# --- sentences -------------------------------------------------------------------------------------

# A sentence ends after terminal punctuation (with the closing brackets that follow it), after an English
# full stop followed by the next sentence's capital, or at a line break (see `_continues`).
_BOUNDARY = re.compile(
    r"[。．！？!?]+[」』）)\]]*\s*"
    r"|[…‥]+[」』）)\]]*\s*(?![…‥とっのにをがでもは、。，,」』）)\]（(\s]|$)"  # 「…多くて…皆さんは」 but not 「…と」
    r"|(?<=[A-Za-z)\]\"'])\.[ \t\u3000]+(?=[A-Z\"'(\[])"
    r"|[ \t\u3000]*\n\s*"
)
_TERMINAL_END = re.compile(r"[。．！？!?…‥.:：]$")
# A line that stops on a comma or a particle goes on in the next line
# (「…年度が変わった途端に⏎「実行時エラー…」⏎で止まるようになりました」).
_OPEN_END = re.compile(
    r"(?:[、，,]|[がをにではへやとも]|から|ので|けど|けれど|のに|ため|より|して|って|いて|[^教助]えて|[「『（(\[])$"
)
_CLOSE_START = re.compile(r"^(?:[」』）)\]、，,]|[でにをがとはもへや](?=[\u3400-\u9fff\u30a0-\u30ffA-Za-z0-9「『]))")
_ITEM_START = re.compile(r"^(?:[・•\-*＊◆■□●○※>＞]|\d+[.)．、）]|[①-⑳])")
_ASCII_EDGE = re.compile(r"[\x21-\x7e]")


def _continues(before: str, after: str) -> bool:
    """Whether a line break between ``before`` and ``after`` falls inside one sentence."""
    before, after = before.rstrip(), after.lstrip()
    if not before or not after or _TERMINAL_END.search(before) or _ITEM_START.match(after):
        return False
    if before[-1].isascii() and after[0].isascii():  # English wrapped mid-sentence: "...we use\nthe same"
        return before[-1].isalnum() or before[-1] == "," if after[0].islower() else False
    return bool(_OPEN_END.search(before) or _CLOSE_START.match(after))


def _inside_brackets(piece: str) -> bool:
    """Whether ``piece`` leaves a bracket open (a short one: a bracket never closed ends nothing)."""
    if len(piece) > 200:
        return False
    return sum(piece.count(c) for c in "（(「『[") > sum(piece.count(c) for c in "）)」』]")


def _pieces(text: str) -> list[str]:
    """``text`` cut into sentences as written: ``"".join(_pieces(text)) == text``."""
    pieces: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.end() == len(text) or m.end() == start:
            continue
        blank_line = "\n\n" in m.group()
        if not blank_line and _inside_brackets(text[start : m.start()]):
            continue  # 「（システム単位？業務単位？）」 is inside one sentence
        if not m.group().strip() and not blank_line and _continues(text[start : m.start()], text[m.end() :]):
            continue
        pieces.append(text[start : m.end()])
        start = m.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _one_line(sentence: str) -> str:
    """A sentence written over several lines as one line: Japanese lines join without a space."""

    def join(m: re.Match[str]) -> str:
        left, right = sentence[m.start() - 1 : m.start()], sentence[m.end() : m.end() + 1]
        return " " if _ASCII_EDGE.match(left) and _ASCII_EDGE.match(right) else ""

    return _SPACE_RE.sub(" ", re.sub(r"[ \t\u3000]*\n\s*", join, sentence.strip()))


def sentences(text: str) -> list[str]:
    """The sentences of a message, each on one line.

    A sentence ends after 。！？!? (with its closing brackets), after an English full stop before a
    capital, and at a line break, unless the break falls inside a sentence: the line stops on a comma or
    a particle (が, に, を, ので…) or the next line starts with a particle or a closing bracket.
    A blank line and a list item always start a new sentence.
    """
    return [line for line in (_one_line(p) for p in _pieces(text)) if line]


# --- what a message opens with ----------------------------------------------------------------------

_ADDRESS = r"(?:(?:皆|みな)(?:さま|様|さん)|各位|(?:hi|hello|hey|dear) (?:all|everyone|team|folks))"
_GREETING = re.compile(
    rf"(?:{_ADDRESS}[、,!！\s]*)?"
    r"(?:お疲れ様|お疲れさま|おつかれさま|お疲れです|こんにちは|こんばんは|おはようございます|いつもお世話に|"
    r"お世話になっております|お世話になります|お世話になりました|はじめまして|初めまして|あけましておめでとう|明けましておめでとう)"
    r".{0,20}"
    r"|(?:hi|hello|hey|good (?:morning|afternoon|evening)|greetings|dear)\b.{0,30}"
    rf"|{_ADDRESS}[、,!！.。\s]*"
    r"|(?:i )?hope (?:you|everyone|all|this).{0,40}"
)
# 「青葉市の佐藤です」, 「川端町総務課の山口と申します」, 「同じく東浜市です」,
# 「北山市情報管理課で一人情シスをしている伊藤です」
_ORGANISATION = (
    r"[^\s、。,はがをにもとへ「」]{0,14}?"
    r"(?:市|町|村|県|区|都|府|道|課|係|室|部|局|庁|役場|役所|センター|組合|担当|班|チーム|グループ|会社)"
)
_SELF_INTRODUCTION = re.compile(
    rf"(?:同じく|こちら|私は|わたしは)?[、,\s]*{_ORGANISATION}"
    r"(?:[のでは]|で[^。]{0,20}?(?:している|しています|しております))?\s*[^\s、。,「」]{0,6}"
    r"(?:です|と申します|といいます|でございます)[。．!！]*"
    r"|(?:i'm|i am|this is|my name is|it's)\b.{0,50}\b(?:from|at|in|with|of)\b.{0,40}"
)
_APOLOGY = re.compile(r"すみません|すいません|申し訳|恐縮|失礼します|失礼いたします|失礼致します|ご容赦|sorry|apolog")
_CLOSING = re.compile(
    r"(?:以上、?)?(?:どうぞ|何卒|なにとぞ)?(?:よろしく|宜しく)(?:お願い|おねがい).{0,12}"
    r"|(?:thanks|thank you)(?: (?:in advance|all|everyone|so much))?[.!]*|cheers.{0,10}"
    r"|(?:any|all) help (?:is|would be) (?:much |greatly )?appreciated.{0,10}"
)


def _is_preamble(sentence: str) -> bool:
    """A greeting, self-introduction, apology or sign-off that asks nothing."""
    norm = normalize(sentence)
    if _asks(norm) and _content(norm) >= TITLE_CONTENT_MIN:
        return False
    if any(p.fullmatch(norm) for p in (_GREETING, _SELF_INTRODUCTION, _CLOSING)):
        return True
    return bool(_APOLOGY.search(norm)) and len(norm) <= 60 and not _asks(norm)


def _without_opening_clause(sentence: str) -> str:
    """Drop a greeting, self-introduction or apology that opens a sentence before its comma
    (「お疲れさまです、来週の…」, 「皆さん、異動のときの…」, 「突然すみません、…」, "Hi all, how do you…")."""
    while True:
        m = re.match(r"([^、,]{1,30}?)[、,]\s*", sentence)
        if m is None or m.end() >= len(sentence):
            return sentence
        head = normalize(m.group(1))
        apology = bool(_APOLOGY.search(head)) and len(head) <= 20  # 「突然すみません、…」
        if not apology and not any(p.fullmatch(head) for p in (_GREETING, _SELF_INTRODUCTION)):
            return sentence
        rest = sentence[m.end() :]
        sentence = rest[0].upper() + rest[1:] if rest[0].isascii() else rest


# --- titles -----------------------------------------------------------------------------------------

_ASKS = re.compile(
    r"[?？]"
    r"|(?:ますか|ですか|でしょうか|ませんか|ないか|のか|かな|かね|だろうか|ものか|べきか|いいか|よいか)[ねな]?[。．!！…‥]*$"
    r"|教えて|おしえて|ご教示|ご助言|ご教授|アドバイス|お知恵|知恵を|知見を|伺いたい|聞きたい|知りたい|お聞かせ|ご存[知じ]"
    r"|(?:いただけ|頂け)(?:ると(?:助か|幸い|嬉し|うれし|ありがた)|れば(?:助か|幸い|ありがた)|ませんか|ないでしょうか)"
    r"|どうすれば|どうしたら|どうやって|どのように"
    r"|^(?:how|what|why|which|where|when|who|is|are|do|does|did|can|could|should|would|will|has|have|anyone|any)\b"
    r"|\b(?:any (?:advice|tips|ideas|pointers|experience)|wondering|would like to know|looking for (?:advice|tips)|"
    r"appreciate (?:any|your) (?:advice|help|input))"
)
# A problem stated asks too, when no sentence asks outright: 「困っています」, 「何から手を付ければいいか分かりません」.
_TROUBLE = re.compile(
    r"(?:困って|悩んで|迷って)(?:い|お)?(?:ます|る|ります|ました)?(?:が|けど|ので)?[。．!！…‥、,]*$"
    r"|(?<!し)か(?:が|も|は)?(?:よく)?(?:分かりません|わかりません|分からず|わからず|分からない|わからない)"
    r"|\b(?:(?:does|do|can|could)n't|(?:does|do|can|could) not|won't|fails?|failing) (?:\w+ )?"
    r"(?:connect|work|open|print|sync|start|load)"
)
# A wish states what the asker is after (「棚卸しをしたいと考えています」): a question when nothing else asks.
_WISHES = re.compile(r"たい(?:のですが|んですが|んだけど|と考えて|と思って|です)")
# Words that any question has: a sentence made of these and endings says *that* someone asks, not *what*.
_GENERIC = re.compile(
    r"皆さん|皆様|皆さま|みなさん|みなさま|他団体|各団体|団体|自治体|状況|同じ|同様|方法|やり方|事例|対処|対応|予定|"
    r"場合|質問|相談|ご教示|ご助言|アドバイス|知見|参考|具体的|実際|気をつけ|気を付け|注意点|注意|ポイント|コツ|"
    r"教え|困|悩|迷|知|伺|聞|分から|何|他|各|皆"
)
_CONTENT_CHAR = re.compile(r"[\u3400-\u9fff々〆ヶ\u30a1-\u30fa\u30fc]")
_WORD = re.compile(r"[a-z0-9][a-z0-9#+.\-_]*")
_ENGLISH_GENERIC = frozenset(
    re.findall(
        r"\w+",
        "how what why which where when who whom is are was were do does did can could should would will has have had "
        "anyone any you your yours all everyone else other others the a an this that these those it its of to in on "
        "for with and or but about there their they them we our us me my i handle deal manage way ways best practice "
        "practices approach tips advice idea ideas experience thanks please know anybody somebody people",
    )
)
# A question that names less than this (kanji and katakana characters, two per English word) is generic.
TITLE_CONTENT_MIN = 5


def _asks(norm: str) -> bool:
    return bool(_ASKS.search(norm) or _TROUBLE.search(norm))


def _content(norm: str) -> int:
    """How much a normalised sentence names: its kanji and katakana outside generic words, 2 per English word."""
    cjk = len(_CONTENT_CHAR.findall(_GENERIC.sub("", norm)))
    words = sum(2 for w in _WORD.findall(norm) if w not in _ENGLISH_GENERIC and not w.isdigit())
    return cjk + words


def title_of(text: str, limit: int = 60) -> str:
    """A thread's title: the sentence of its root that asks, shortened to ``limit`` characters with 「…」.

    Greetings, apologies (「以前に話題になっていたらすみません。」), self-introductions and sign-offs are
    skipped; of the rest, the first sentence that asks and names what it asks about wins over the
    context before it (「初めての年度末の人事異動を迎えます。」). A question that names nothing
    (「皆さんどうしていますか？」) gives way to the first sentence that does. A root that asks nothing
    (an announcement) is titled by its first sentence. A sentence written over several lines is one
    sentence, so a cut there ends in 「…」 like any other.
    """
    parts = [_without_opening_clause(s) for s in sentences(text)]
    kept = [s for s in parts if not _is_preamble(s)]
    if not kept:
        return shorten(parts[0] if parts else text, limit)
    named = [(s, normalize(s)) for s in kept if _content(normalize(s)) >= TITLE_CONTENT_MIN]
    for kind in (_ASKS, _TROUBLE, _WISHES):
        best = next((s for s, n in named if kind.search(n)), None)
        if best is not None:
            return shorten(best, limit)
    return shorten(named[0][0] if named else kept[0], limit)


def excerpt_of(text: str, limit: int) -> str:
    """The start of an answer without its greeting, self-introduction or apology
    (「青葉市の佐藤です。横から失礼します。」), cut to ``limit`` characters with 「…」."""
    pieces = [p for p in _pieces(text.strip()) if p.strip()]
    while len(pieces) > 1 and _is_preamble(_without_opening_clause(_one_line(pieces[0]))):
        pieces.pop(0)
    out = ""
    for n, piece in enumerate(pieces):
        line = _one_line(piece)
        if n == 0:
            line = _without_opening_clause(line)
        # Sentences follow each other as written, except that 「…です。⏎1. …」 reads 「…です。1. …」
        # while a line without closing punctuation keeps a space before the next.
        spaced = n > 0 and pieces[n - 1] != pieces[n - 1].rstrip() and out[-1:] not in ("。", "．", "！", "？")
        out += (" " if spaced else "") + line
    return shorten(out, limit)


# --- replies: what they say and how they relate to the question ----------------------------------

_HIRAGANA_ONLY = re.compile(r"^[\u3040-\u309f]+$")
_SCRIPT_RUN = re.compile(r"[a-z0-9][a-z0-9#+.\-_]*[a-z0-9#+]|[a-z0-9]|[\u3040-\u30ff\u3400-\u9fff々〆ヶ]+")


def content_terms(text: str) -> set[str]:
    """The distinct terms :func:`overlap` compares: the normalised character bigrams of
    :func:`tokens` that hold a kanji, katakana or digit (hiragana-only bigrams are endings and
    particles), a one-character kanji or katakana run, and ASCII words whole (「VPN」, "intune")
    except a few English function words."""
    terms: set[str] = set()
    for run in _SCRIPT_RUN.findall(normalize(text)):
        if run.isascii():
            if len(run) >= 2 and run not in _ENGLISH_GENERIC:
                terms.add(run)
        elif len(run) == 1:
            if not _HIRAGANA_ONLY.match(run):
                terms.add(run)
        else:
            terms.update(b for b in (run[i : i + 2] for i in range(len(run) - 1)) if not _HIRAGANA_ONLY.match(b))
    return terms


def overlap(question: str, reply: str) -> float:
    """How much of the question a reply speaks to: the share of the question's content terms
    (:func:`content_terms`) that occur in the reply, in [0, 1]; 0 when the question has none.

    Asymmetric on purpose (a long reply is not penalised for saying more) and cheap (no model).
    """
    asked = content_terms(question)
    if not asked:
        return 0.0
    return len(asked & content_terms(reply)) / len(asked)


_PROCEDURE = re.compile(
    r"(?:^|\n)\s*(?:\d+[.)．、）]|[①-⑳]|[・•*＊]|- )\s*\S"  # numbered steps, bullets
    r"|```|https?://|\\\\[\w$.-]+|[A-Z][a-z]+-[A-Z][A-Za-z]+"  # code, links, UNC paths, cmdlets (Get-ADUser)
    r"|\S ?[>＞] ?\S.{0,30}[>＞]"  # a settings path (コンピューターの構成 > 管理用テンプレート > …)
)
# Words of instructions: a little more substance, not a procedure by themselves (「申請いただければ使えます」).
_HOW_TO_WORDS = re.compile(
    r"手順|設定|インストール|有効に|無効に|コマンド|ポリシー|\bsteps?\b|setting|enable|disable|configure|install"
)
_ACKNOWLEDGEMENT = re.compile(
    r"(?:\+ ?1|👍|同じく|同感|私も|わたしも|うちも|当方も|こちらも|me too|same here|same|agreed|ありがとう|有難う|"
    r"thanks|thank you|了解|承知|なるほど|確かに|たしかに|参考になり|勉強になり|知りたい|気になり|賛成|いいですね|"
    r"助かり|おめでとう|お疲れ|よろしく|ようこそ|welcome|nice|great|cool)"
)
_REFERS_BACK = re.compile(
    r"とおり|通り|おっしゃる|仰る|書かれ|書いて|書いた|言われ|上記|上の|先ほど|前述|同じです|同様です|同じく|\+ ?1|"
    r"\babove\b|as .{1,30} (?:said|mentioned|wrote|suggested)|what .{1,30} said|agree with"
)
# Replies shorter than this (in Japanese characters; English counts ~2.5 letters a character) are short.
SUBSTANTIAL_CHARS = 200


def _weighted_length(norm: str) -> float:
    ascii_chars = sum(1 for ch in norm if ch.isascii() and not ch.isspace())
    other = sum(1 for ch in norm if not ch.isascii())
    return other + ascii_chars / 2.5


def body_length(text: str) -> float:
    """A reply's length without its greeting and self-introduction, in Japanese characters
    (an ASCII character counts 0.4: English takes about 2.5 letters for what Japanese says in one)."""
    return _weighted_length(normalize(_body(text)))


def _body(text: str) -> str:
    """A reply without its opening greeting, self-introduction or apology."""
    return excerpt_of(text, 10_000)


def is_procedure(text: str) -> bool:
    """Whether a reply reads like instructions: steps, bullets, commands, links, settings."""
    return bool(_PROCEDURE.search(text)) or bool(_PROCEDURE.search(normalize(text)))


def is_acknowledgement(text: str) -> bool:
    """A short reply that adds nothing to the answer: thanks, "+1", 「うちも同じです」, 「私も知りたいです」."""
    norm = normalize(_body(text))
    return _weighted_length(norm) <= 40 and bool(_ACKNOWLEDGEMENT.search(norm)) and not is_procedure(text)


def refers_back(text: str) -> bool:
    """Whether a reply points to an answer above it (「田中さんの書いてくれたとおりです」, "+1", "as Sato said")."""
    return bool(_REFERS_BACK.search(normalize(text)))


_AFFIRMATION = re.compile(r"(?:はい|ええ|そうです|そのとおり|その通り|yes|yep|right|correct)(?:[、,!！。.\s]|$)")


def after_pointer(text: str) -> str | None:
    """The rest of a reply that opens by pointing to an answer above it, else ``None``.

    「田中さんの書いてくれたとおりです。4/1の朝は…」 → 「4/1の朝は…」; 「はい、西野村さんも利用申請いただければ
    使えます。様式をお送りしますね。」 → 「様式をお送りしますね。」 (a yes confirms what was said above).
    """
    parts = sentences(_body(text))
    if not parts:
        return None
    first = normalize(parts[0])
    if len(first) <= 40 and (_AFFIRMATION.match(first) or _REFERS_BACK.search(first)):
        return " ".join(parts[1:])
    return None


def asks_back(text: str) -> bool:
    """A short reply that is itself a question (a question back to the asker), not an answer."""
    norm = normalize(_body(text))
    return _weighted_length(norm) <= 80 and _asks(norm) and not is_procedure(text)


def substance(text: str) -> float:
    """How much a reply says, in [0, 1]: its length without greeting and self-introduction (a full
    answer is about ``SUBSTANTIAL_CHARS`` Japanese characters), plus 0.3 for procedure-like content
    (:func:`is_procedure`) or 0.1 for words of instructions (設定, 手順, install); 0 for an acknowledgement."""
    if is_acknowledgement(text):
        return 0.0
    score = min(1.0, body_length(text) / SUBSTANTIAL_CHARS)
    if is_procedure(text):
        score += 0.3
    elif _HOW_TO_WORDS.search(normalize(text)):
        score += 0.1
    return min(1.0, score)


_WORD_CHAR = re.compile(r"[A-Za-z0-9'_\-]")


def shorten(text: str, limit: int) -> str:
    """Collapse whitespace and cut to ``limit`` characters with 「…」 (English between words)."""
    flat = _SPACE_RE.sub(" ", text).strip()
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if _WORD_CHAR.match(flat[limit - 1]) and _WORD_CHAR.match(cut[-1]):
        space = cut.rfind(" ")
        if space >= limit // 2:  # inside an English word: end at the space before it
            cut = cut[:space]
    return cut.rstrip() + "…"


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
