"""FAQ entries as CSV: the format ``yorozu faq export`` writes and ``yorozu faq import`` reads.

Header (the first row; columns in any order, only ``question`` and ``answer`` required)::

    id,question,answer,tags,status,review_interval_days,verified_by,verified_at,source_thread

- ``id``: empty for a new entry; the number of an existing entry to update it. ``export --portable``
  leaves out ``id`` and ``source_thread`` (both name things of this instance only), so another instance
  imports the rows as new entries.
- ``tags``: separated by ``;`` (``,`` and ``、`` also work inside a quoted cell).
- ``status``: ``draft`` (default), ``published`` or ``retired``.
- ``review_interval_days``: 1-3650, default 180.
- ``verified_by``: a name; ``verified_at``: a date ``2026-09-30``, ``2026/9/30``, ``2026年9月30日``,
  a 和暦 date ``R8.9.30`` / ``令和8年9月30日`` / ``H31.4.30`` / ``平成31年4月30日`` (元年 too), or an ISO
  date-time (UTC if no zone).
- ``source_thread``: ``platform:channel:root`` of the thread the entry came from.

Files are UTF-8, with or without a byte-order mark (Excel's 「CSV UTF-8（コンマ区切り）」 adds one; export
writes one so Excel opens the file correctly). Reading checks every row and reports every bad row with its
line number; nothing is imported unless the whole file is good.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run as a formula by
Excel, so export writes it with a leading ``'`` and import takes that ``'`` off again: an export imports
back exactly.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from knowledge.errors import ImportFailed, InvalidInput, KnowledgeError
from knowledge.faq import DEFAULT_REVIEW_DAYS, FaqInput, parse_tags, parse_thread_key
from knowledge.model import FaqEntry, FaqStatus

HEADER = (
    "id",
    "question",
    "answer",
    "tags",
    "status",
    "review_interval_days",
    "verified_by",
    "verified_at",
    "source_thread",
)
REQUIRED = ("question", "answer")
# What `export --portable` leaves out: ids and thread references name things of this instance only.
PORTABLE_HEADER = tuple(c for c in HEADER if c not in {"id", "source_thread"})
MAX_BYTES = 20 * 1024 * 1024


def read_faq_csv(path: Path) -> list[FaqInput]:
    """Read and check a whole file; raises :class:`ImportFailed` listing every bad row."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ImportFailed(
            f"cannot read {path}: {reason}", key="error_csv_unreadable", params={"path": path, "reason": reason}
        ) from exc
    if len(raw) > MAX_BYTES:
        mb = MAX_BYTES // (1024 * 1024)
        raise ImportFailed(f"{path} is larger than {mb} MB", key="error_csv_too_large", params={"path": path, "mb": mb})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if _is_shift_jis(raw):
            raise ImportFailed(
                f"{path} is saved as Shift_JIS (Excel's plain 'CSV (Comma delimited)'): in Excel, File → Save As, "
                "file type 'CSV UTF-8 (Comma delimited)' (Japanese Excel: 「CSV UTF-8（コンマ区切り）」), "
                "then import again",
                key="error_csv_shift_jis",
                params={"path": path},
            ) from exc
        raise ImportFailed(
            f"{path} is not UTF-8 (byte {exc.start}): in Excel, File → Save As, file type "
            "'CSV UTF-8 (Comma delimited)' (Japanese Excel: 「CSV UTF-8（コンマ区切り）」), then import again",
            key="error_csv_not_utf8",
            params={"path": path, "byte": exc.start},
        ) from exc
    return parse_faq_csv(text, name=str(path))


def _is_shift_jis(raw: bytes) -> bool:
    """Whether bytes that are not UTF-8 read as Japanese Shift_JIS (Windows code page 932)."""
    try:
        decoded = raw.decode("cp932")
    except UnicodeDecodeError:
        return False
    return any(unicodedata.east_asian_width(ch) in {"W", "F"} for ch in decoded)


def parse_faq_csv(text: str, *, name: str = "<csv>") -> list[FaqInput]:
    """Check every row of a CSV text; raises :class:`ImportFailed` naming every bad row (``rows``)."""
    text = text.removeprefix("\ufeff")
    header_text = ",".join(HEADER)
    # strict: a quote left open or text after a closing quote is an error to name, not a silently merged cell.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed(
            f"{name} is empty: the first line must be the header {header_text}",
            key="error_csv_empty",
            params={"name": name, "header": header_text},
        ) from None
    except csv.Error as exc:
        problem = _quote_error(exc)
        raise ImportFailed(
            f"{name}: nothing imported, 1 bad row:\nline 1: {problem}",
            key="error_csv_rows",
            params={"name": name},
            rows=((1, problem),),
            name=name,
        ) from exc
    columns = [h.strip().lower() for h in header]
    unknown = [c for c in columns if c not in HEADER]
    missing = [c for c in REQUIRED if c not in columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if unknown or missing or duplicated:
        problems: list[InvalidInput] = []
        for found, key, what, shown in (
            (unknown, "error_csv_unknown_columns", "unknown", ", ".join(map(repr, unknown))),
            (missing, "error_csv_missing_columns", "missing", ", ".join(missing)),
            (duplicated, "error_csv_repeated_columns", "repeated", ", ".join(duplicated)),
        ):
            if found:
                plural = "column" if len(found) == 1 else "columns"
                params: dict[str, object] = {"columns": shown, "count": len(found)}
                problems.append(InvalidInput(f"{what} {plural} {shown}", key=key, params=params))
        raise ImportFailed(
            f"{name}: line 1: {'; '.join(map(str, problems))} (the header is {header_text})",
            key="error_csv_header",
            params={"name": name, "problems": problems, "header": header_text},
        )
    items: list[FaqInput] = []
    errors: list[tuple[int, KnowledgeError]] = []
    ids: dict[int, int] = {}
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The reader cannot go on after a quote error: report it where the record began.
            errors.append((line, _quote_error(exc)))
            break
        start, line = line, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            quoted = any('"' in c for c in cells)
            errors.append(
                (
                    start,
                    InvalidInput(
                        f"{len(cells)} {'cell' if len(cells) == 1 else 'cells'}, the header has {len(columns)}"
                        + (' (perhaps a quote " is not closed)' if quoted else ""),
                        key="error_csv_cells_quote" if quoted else "error_csv_cells",
                        params={"cells": len(cells), "columns": len(columns)},
                    ),
                )
            )
            continue
        row = dict(zip(columns, (unescape_cell(c.strip()) for c in cells), strict=True))
        try:
            item = _item(start, row)
        except InvalidInput as exc:
            errors.append((start, exc))
            continue
        if item.id is not None:
            if item.id in ids:
                errors.append(
                    (
                        start,
                        InvalidInput(
                            f"id {item.id} already appears on line {ids[item.id]}",
                            key="error_csv_duplicate_id",
                            params={"id": item.id, "first": ids[item.id]},
                        ),
                    )
                )
                continue
            ids[item.id] = start
        items.append(item)
    if errors:
        raise ImportFailed.for_rows(errors, name=name)
    return items


def _quote_error(exc: csv.Error) -> InvalidInput:
    """A csv module error in words a person who edited the file in Excel or a text editor understands."""
    detail = str(exc)
    if "unexpected end of data" in detail or "EOF" in detail:
        return InvalidInput(
            'quote error: a " opened on this line is never closed (the rest of the file would be one cell); '
            'write a " inside a cell as ""',
            key="error_csv_quote_unclosed",
        )
    return InvalidInput(
        f'quote error: text after a closing " ({detail}); write a " inside a cell as ""',
        key="error_csv_quote_stray",
        params={"detail": detail},
    )


def _item(line: int, row: dict[str, str]) -> FaqInput:
    for field in ("question", "answer"):
        if not row.get(field):
            raise InvalidInput(f"{field} is empty", key="error_field_empty", params={"field": field})
    faq_id = None
    if row.get("id"):
        try:
            faq_id = int(row["id"])
        except ValueError:
            raise InvalidInput(
                f"id must be a number or empty, not {row['id']!r}", key="error_id_number", params={"value": row["id"]}
            ) from None
        if faq_id < 1:
            raise InvalidInput(f"id must be positive, not {faq_id}", key="error_id_positive", params={"value": faq_id})
    status = FaqStatus.DRAFT
    if row.get("status"):
        try:
            status = FaqStatus(row["status"].lower())
        except ValueError:
            raise InvalidInput(
                f"status must be draft, published or retired, not {row['status']!r}",
                key="error_status",
                params={"value": row["status"]},
            ) from None
    interval = DEFAULT_REVIEW_DAYS
    if row.get("review_interval_days"):
        raw = row["review_interval_days"]
        try:
            interval = int(unicodedata.normalize("NFKC", raw))
        except ValueError:
            raise InvalidInput(
                f"review_interval_days must be a whole number, not {raw!r}",
                key="error_interval_number",
                params={"value": raw},
            ) from None
        if not 1 <= interval <= 3650:
            raise InvalidInput(
                f"review_interval_days must be between 1 and 3650, not {interval}",
                key="error_interval_range",
                params={"value": interval},
            )
    verified_at = None
    if row.get("verified_at"):
        verified_at = parse_date(row["verified_at"], field="verified_at")
    source = row.get("source_thread") or None
    if source is not None:
        parse_thread_key(source)
    return FaqInput(
        line=line,
        id=faq_id,
        question=row["question"],
        answer=row["answer"],
        tags=parse_tags(row.get("tags", "")),
        status=status,
        review_interval_days=interval,
        verified_by=row.get("verified_by") or None,
        verified_at=verified_at,
        source_thread=source,
    )


# 和暦: the era's first year (元年 = 1). Only the eras a verification date can fall in, and Shōwa for old records.
_ERAS = {"r": 2019, "令和": 2019, "h": 1989, "平成": 1989, "s": 1926, "昭和": 1926}
_ERA_DATE = re.compile(r"(令和|平成|昭和|[rhs])\s*(\d{1,2}|元)\s*[./\-年]\s*(\d{1,2})\s*[./\-月]\s*(\d{1,2})\s*日?")
_DATE = re.compile(
    r"(\d{4})\s*[./\-年]\s*(\d{1,2})\s*[./\-月]\s*(\d{1,2})\s*日?(?:[ t](\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)


def parse_date(value: str, *, field: str) -> datetime:
    """A date as people write it in Excel: ISO, ``2026/9/30``, ``2026年9月30日``, ``R8.9.30``, ``令和8年9月30日``.

    Full-width digits and letters are read as ASCII. Without a zone the value is taken as UTC.
    """
    raw = value
    value = unicodedata.normalize("NFKC", value).strip()
    parsed: datetime | None = None
    era = _ERA_DATE.fullmatch(value.lower())
    plain = _DATE.fullmatch(value.lower())
    try:
        if era:
            year = _ERAS[era.group(1)] + (1 if era.group(2) == "元" else int(era.group(2))) - 1
            parsed = datetime.combine(date(year, int(era.group(3)), int(era.group(4))), datetime.min.time())
        elif plain:
            y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in plain.groups())
            parsed = datetime(y, mo, d, hh, mm, ss)
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if era and era.group(2) != "元" and int(era.group(2)) < 1:
        parsed = None
    if parsed is None:
        raise InvalidInput(
            f"{field} must be a date like 2026-09-30, 2026/9/30, R8.9.30 or 令和8年9月30日, not {raw!r}",
            key="error_date",
            params={"field": field, "value": raw},
        )
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# Excel runs a cell beginning with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _looks_like_formula(cell: str) -> bool:
    """Whether Excel would run the cell, or it is such a cell already escaped (so escaping stays reversible)."""
    return cell.startswith(FORMULA_STARTS) or (cell.startswith("'") and _looks_like_formula(cell[1:]))


def escape_cell(cell: str) -> str:
    """A cell Excel shows as text: a leading ``'`` before anything Excel would run as a formula."""
    return "'" + cell if _looks_like_formula(cell) else cell


def unescape_cell(cell: str) -> str:
    """Inverse of :func:`escape_cell`."""
    return cell[1:] if cell.startswith("'") and _looks_like_formula(cell[1:]) else cell


def write_faq_csv(entries: Iterable[FaqEntry], out: TextIO, *, portable: bool = False) -> int:
    """Write entries with the header; returns how many. Opted-out verifiers are left empty.

    ``portable`` leaves out ``id`` and ``source_thread``: the file seeds another instance with new entries.
    """
    writer = csv.writer(out, lineterminator="\r\n")
    header = PORTABLE_HEADER if portable else HEADER
    writer.writerow(header)
    count = 0
    for e in entries:
        cells = {
            "id": str(e.id),
            "question": e.question,
            "answer": e.answer,
            "tags": "; ".join(e.tags),
            "status": str(e.status),
            "review_interval_days": str(e.review_interval_days),
            "verified_by": e.verified_by or "",
            "verified_at": e.verified_at.isoformat() if e.verified_at else "",
            "source_thread": e.source_thread or "",
        }
        writer.writerow([escape_cell(cells[c]) for c in header])
        count += 1
    return count
