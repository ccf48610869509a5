"""FAQ CSV: the documented header, Excel's byte-order mark, every bad row reported, all or nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from knowledge.errors import ImportFailed
from knowledge.importers.faq_csv import HEADER, parse_faq_csv, read_faq_csv, write_faq_csv
from knowledge.model import Actor, FaqStatus

OPERATOR = Actor.operator()
GOOD = (
    "id,question,answer,tags,status,review_interval_days,verified_by,verified_at,source_thread\r\n"
    ',Excelマクロの保守は？,"棚卸しして手順書を作ります。\n改行も入ります",'
    "Excel; VBA,published,90,高橋 誠,2026-09-30,slack:C1:100.0\r\n"
    ",LGWAN端末の更新時期は？,5年ごとです,,draft,,,,\r\n"
)


def test_the_header_is_documented_in_order() -> None:
    assert (
        ",".join(HEADER) == "id,question,answer,tags,status,review_interval_days,verified_by,verified_at,source_thread"
    )


def test_a_file_from_excel_with_a_byte_order_mark_imports(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_bytes(GOOD.encode("utf-8-sig"))
    items = read_faq_csv(path)
    assert [i.line for i in items] == [2, 4]  # the first record spans two lines
    assert kb.faq_import(OPERATOR, items) == (2, 0, 0)
    first, second = kb.faq_list()
    assert first.status == FaqStatus.PUBLISHED and first.tags == ("Excel", "VBA") and first.review_interval_days == 90
    assert first.answer.endswith("改行も入ります") and first.verified_by == "高橋 誠"
    assert first.verified_at is not None and first.verified_at.isoformat().startswith("2026-09-30T00:00:00+00:00")
    assert first.source_thread == "slack:C1:100.0" and first.owner is None
    assert second.status == FaqStatus.DRAFT and second.review_interval_days == 180


def test_export_then_import_updates_in_place(kb: KnowledgeBase, tmp_path: Path) -> None:
    kb.faq_import(OPERATOR, parse_faq_csv(GOOD))
    out = io.StringIO()
    assert write_faq_csv(kb.faq_list(), out) == 2
    edited = out.getvalue().replace("5年ごとです", "6年ごとです").replace(",draft,", ",published,")
    assert kb.faq_import(OPERATOR, parse_faq_csv(edited)) == (0, 1, 1)  # only the second row changed
    entries = kb.faq_list()
    assert len(entries) == 2 and entries[1].answer == "6年ごとです" and entries[1].status == FaqStatus.PUBLISHED
    assert [v.change for v in kb.faq_history(entries[1].id)] == ["created", "imported"]
    assert [v.change for v in kb.faq_history(entries[0].id)] == ["created", "verified"]  # nothing else changed
    assert kb.suggest("LGWAN端末の更新時期").suggestions[0].faq_id == entries[1].id


def test_bad_rows_are_reported_with_line_numbers_and_nothing_is_imported(kb: KnowledgeBase) -> None:
    bad = GOOD + (
        ",,答えだけ,,,,,,\r\n"  # line 5: no question
        "x,質問,答え,,,,,,\r\n"  # line 6: id not a number
        ",質問,答え,,maybe,,,,\r\n"  # line 7: unknown status
        ",質問,答え,,,0,,,\r\n"  # line 8: bad interval
        ",質問,答え,,,,,30/9/2026,\r\n"  # line 9: bad date
        ",質問,答え\r\n"  # line 10: too few cells
    )
    with pytest.raises(ImportFailed) as info:
        parse_faq_csv(bad)
    message = str(info.value)
    assert "nothing imported, 6 bad rows" in message
    for line, what in [
        (5, "question is empty"),
        (6, "id must be a number"),
        (7, "status must be"),
        (8, "review_interval_days must be between 1 and 3650"),
        (9, "verified_at"),
        (10, "3 cells"),
    ]:
        assert f"line {line}: {what}" in message
    assert kb.faq_list() == []


def test_a_row_naming_a_missing_entry_rolls_back_the_whole_import(kb: KnowledgeBase) -> None:
    rows = parse_faq_csv(GOOD + "77,存在しない,更新,,,,,,\r\n")
    with pytest.raises(ImportFailed, match="line 5: no FAQ entry 77"):
        kb.faq_import(OPERATOR, rows)
    assert kb.faq_list() == []
    assert kb.suggest("Excelマクロの保守", abstain=False).suggestions == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("question,answre\r\n", "unknown column 'answre'"),
        ("question,answre,tgs\r\n", "unknown columns 'answre', 'tgs'"),
        ("id,answer\r\n", "missing column question"),
        ("question,answer,question\r\n", "repeated column question"),
    ],
)
def test_a_bad_header_is_explained(text: str, message: str) -> None:
    with pytest.raises(ImportFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_faq_csv(text)


def test_a_file_that_is_not_utf8_says_how_to_save_it(tmp_path: Path) -> None:
    path = tmp_path / "sjis.csv"
    path.write_bytes("question,answer\r\n質問,答え\r\n".encode("cp932"))
    with pytest.raises(ImportFailed, match="CSV UTF-8"):
        read_faq_csv(path)
    with pytest.raises(ImportFailed, match="cannot read"):
        read_faq_csv(tmp_path / "missing.csv")
