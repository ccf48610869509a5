"""FAQ CSV for people who edit it in Excel: formulas, 和暦 dates, quote errors, Shift_JIS, another instance."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.messages import Locale, error_text
from knowledge.base import KnowledgeBase
from knowledge.errors import ImportFailed, InvalidInput
from knowledge.importers.faq_csv import (
    HEADER,
    PORTABLE_HEADER,
    escape_cell,
    parse_date,
    parse_faq_csv,
    read_faq_csv,
    unescape_cell,
    write_faq_csv,
)
from knowledge.model import Actor, FaqStatus
from tests.fakes import FakeEmbedder

OPERATOR = Actor.operator()
ROWS = (
    "question,answer,tags,status,verified_by,verified_at\r\n"
    "VPNがつながらないときは？,まず再起動します,VPN,published,高橋 誠,2026-04-01\r\n"
    "LGWAN端末の更新時期は？,5年ごとです,LGWAN,draft,,\r\n"
)


# --- formulas (CSV injection) -------------------------------------------------------------------

DANGEROUS = [
    '=HYPERLINK("https://evil.example/","詳しくはこちら")',
    "+81-3-1234-5678 に電話",
    "-1 で止まる",
    "@SUM(A1:A9)",
    "'=既にアポストロフィ付き",  # a cell that looks escaped already must survive the round trip too
    "''+2",
]


@pytest.mark.parametrize("cell", [*DANGEROUS, "普通の文", "'普通の引用", "a=b", ""])
def test_escaping_is_exactly_reversible(cell: str) -> None:
    escaped = escape_cell(cell)
    assert unescape_cell(escaped) == cell
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_export_never_starts_a_cell_with_a_formula_and_imports_back_exactly(kb: KnowledgeBase) -> None:
    for n, text in enumerate(DANGEROUS):
        kb.faq_create(OPERATOR, question=f"{text} 質問{n}", answer=text, tags=[f"-tag{n}"])
    kb.faq_create(OPERATOR, question="=1+1 は？", answer="@here\t注意")
    before = kb.faq_list()
    out = io.StringIO()
    write_faq_csv(before, out)
    cells = [cell for row in parse_rows(out.getvalue()) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert "'=1+1 は？" in cells and "'@here\t注意" in cells
    items = parse_faq_csv(out.getvalue())
    assert [(i.question, i.answer, i.tags) for i in items] == [(e.question, e.answer, e.tags) for e in before]
    assert kb.faq_import(OPERATOR, items) == (0, 0, len(before))  # nothing changed, and it says so
    assert kb.faq_list() == before


def parse_rows(text: str) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(text, newline="")))


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2026-09-30", datetime(2026, 9, 30, tzinfo=UTC)),
        ("2026/9/30", datetime(2026, 9, 30, tzinfo=UTC)),
        ("2026/9/30 9:15", datetime(2026, 9, 30, 9, 15, tzinfo=UTC)),
        ("2026年9月30日", datetime(2026, 9, 30, tzinfo=UTC)),
        ("R8.9.30", datetime(2026, 9, 30, tzinfo=UTC)),
        ("r8/9/30", datetime(2026, 9, 30, tzinfo=UTC)),
        ("Ｒ８．９．３０", datetime(2026, 9, 30, tzinfo=UTC)),  # full-width, as typed with the IME on
        ("令和8年9月30日", datetime(2026, 9, 30, tzinfo=UTC)),
        ("令和元年5月1日", datetime(2019, 5, 1, tzinfo=UTC)),
        ("H31.4.30", datetime(2019, 4, 30, tzinfo=UTC)),
        ("平成31年4月30日", datetime(2019, 4, 30, tzinfo=UTC)),
        ("2026-09-30T09:00:00+09:00", datetime(2026, 9, 30, 0, 0, tzinfo=UTC)),
    ],
)
def test_dates_as_people_write_them(written: str, expected: datetime) -> None:
    assert parse_date(written, field="verified_at") == expected


@pytest.mark.parametrize("written", ["30/9/2026", "R8.13.1", "令和0年1月1日", "X8.9.30", "令和8年2月30日", "来週"])
def test_a_wrong_date_is_named_with_the_forms_accepted(written: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_date(written, field="verified_at")
    assert "R8.9.30" in str(info.value) and repr(written) in str(info.value)
    assert "令和8年9月30日" in error_text(info.value, Locale.JA) and "ではありません" in error_text(
        info.value, Locale.JA
    )


def test_a_wareki_date_in_a_file_is_the_verification_date(kb: KnowledgeBase) -> None:
    items = parse_faq_csv(ROWS.replace("2026-04-01", "令和8年4月1日"))
    kb.faq_import(OPERATOR, items)
    first = kb.faq_list()[0]
    assert first.verified_at == datetime(2026, 4, 1, tzinfo=UTC) and first.verified_by == "高橋 誠"


# --- quotes and cells ----------------------------------------------------------------------------


def test_an_unclosed_quote_is_named_as_a_quote_error_on_the_line_it_opens() -> None:
    broken = ROWS + ',"閉じていない引用,答え\r\n' + "次の質問,次の答え,,,,\r\n"
    with pytest.raises(ImportFailed) as info:
        parse_faq_csv(broken)
    assert "line 4: quote error" in str(info.value) and "never closed" in str(info.value)
    ja = error_text(info.value, Locale.JA)
    assert "4行目：引用符の誤り" in ja and '""' in ja and "問題のある行が1行あります" in ja


def test_text_after_a_closing_quote_is_a_quote_error() -> None:
    with pytest.raises(ImportFailed, match=r"line 2: quote error: text after a closing"):
        parse_faq_csv('question,answer\r\n"質問"です,答え\r\n')


def test_a_missing_cell_says_how_many_in_the_right_number() -> None:
    with pytest.raises(ImportFailed) as info:
        parse_faq_csv("question,answer\r\n質問だけ\r\n")
    assert "line 2: 1 cell, the header has 2" in str(info.value) and "nothing imported, 1 bad row:" in str(info.value)
    assert "2行目：セルが1個ありますが、見出しは2列です" in error_text(info.value, Locale.JA)


# --- encodings ------------------------------------------------------------------------------------


def test_a_shift_jis_file_is_recognised_and_the_excel_menu_is_named(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_bytes(ROWS.encode("cp932"))
    with pytest.raises(ImportFailed) as info:
        read_faq_csv(path)
    assert "Shift_JIS" in str(info.value) and "CSV UTF-8 (Comma delimited)" in str(info.value)
    ja = error_text(info.value, Locale.JA)
    assert "Shift_JIS" in ja and "「CSV UTF-8（コンマ区切り）」" in ja and "名前を付けて保存" in ja
    path.write_bytes(b"question,answer\r\n\xff\xfe\xfa,x\r\n")  # neither UTF-8 nor Shift_JIS text
    with pytest.raises(ImportFailed, match="is not UTF-8"):
        read_faq_csv(path)


# --- another instance -----------------------------------------------------------------------------


@pytest.fixture
def other_kb(tmp_path: Path) -> KnowledgeBase:
    base = KnowledgeBase.open(
        database_url=f"sqlite:///{tmp_path / 'other.sqlite3'}", embedder=FakeEmbedder(), index_dir=tmp_path / "other"
    )
    yield base  # type: ignore[misc]
    base.close()


def test_a_portable_export_seeds_another_instance(kb: KnowledgeBase, other_kb: KnowledgeBase) -> None:
    other_kb.faq_create(OPERATOR, question="先にある FAQ", answer="これは先にあります")
    kb.faq_import(OPERATOR, parse_faq_csv(ROWS))
    out = io.StringIO()
    assert write_faq_csv(kb.faq_list(), out, portable=True) == 2
    header = out.getvalue().splitlines()[0]
    assert header == ",".join(PORTABLE_HEADER) and "id" not in header.split(",") and "source_thread" not in header
    assert other_kb.faq_import(OPERATOR, parse_faq_csv(out.getvalue())) == (2, 0, 0)
    seeded = {e.question: e for e in other_kb.faq_list()}
    assert seeded["VPNがつながらないときは？"].status == FaqStatus.PUBLISHED
    assert seeded["VPNがつながらないときは？"].verified_by == "高橋 誠"
    assert len(seeded) == 3


def test_ids_from_another_instance_get_a_hint_and_nothing_is_imported(
    kb: KnowledgeBase, other_kb: KnowledgeBase
) -> None:
    kb.faq_import(OPERATOR, parse_faq_csv(ROWS))
    out = io.StringIO()
    write_faq_csv(kb.faq_list(), out)
    assert out.getvalue().splitlines()[0] == ",".join(HEADER)
    with pytest.raises(ImportFailed) as info:
        other_kb.faq_import(OPERATOR, parse_faq_csv(out.getvalue()))
    message = str(info.value)
    assert "line 2: no FAQ entry 1" in message and "line 3: no FAQ entry 2" in message
    assert "clear the id column" in message and "--portable" in message
    ja = error_text(info.value, Locale.JA)
    assert "2行目：FAQ 1 はありません" in ja and "id 列を空にする" in ja and "--portable" in ja
    assert other_kb.faq_list() == []


# --- one wording: the catalogue's English is the knowledge base's own message ----------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "question,answre,tgs\r\n",
        "id,answer,answer\r\n",
        'question,answer\r\n"閉じ忘れ,答え\r\n',
        'question,answer\r\n"質問"です,答え\r\n',
        "question,answer\r\n質問だけ\r\n",
        "id,question,answer,status,review_interval_days,verified_at,source_thread\r\n"
        "x,q,a,,,,\r\n0,q,a,,,,\r\n,,a,,,,\r\n,q,,,,,\r\n,q,a,maybe,,,\r\n,q,a,,x,,\r\n,q,a,,0,,\r\n"
        ",q,a,,,来週,\r\n,q,a,,,,nope\r\n3,q,a,,,,\r\n3,q,a,,,,\r\n",
    ],
)
def test_english_from_the_catalogue_is_the_errors_own_message(text: str) -> None:
    with pytest.raises(ImportFailed) as info:
        parse_faq_csv(text, name="faq.csv")
    assert error_text(info.value, Locale.EN) == str(info.value)
    japanese = error_text(info.value, Locale.JA)
    assert japanese != str(info.value) and "faq.csv" in japanese


def test_english_and_japanese_for_files_and_foreign_ids(
    kb: KnowledgeBase, other_kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = tmp_path / "faq.csv"
    for raw in (ROWS.encode("cp932"), b"question,answer\r\n\xff\xfe\xfa,x\r\n"):
        path.write_bytes(raw)
        with pytest.raises(ImportFailed) as info:
            read_faq_csv(path)
        assert error_text(info.value, Locale.EN) == str(info.value)
    with pytest.raises(ImportFailed) as info:
        read_faq_csv(tmp_path / "missing.csv")
    assert error_text(info.value, Locale.EN) == str(info.value) and "を読めません" in error_text(info.value, Locale.JA)
    kb.faq_import(OPERATOR, parse_faq_csv(ROWS))
    out = io.StringIO()
    write_faq_csv(kb.faq_list(), out)
    with pytest.raises(ImportFailed) as info:
        other_kb.faq_import(OPERATOR, parse_faq_csv(out.getvalue()))
    assert error_text(info.value, Locale.EN) == str(info.value)
