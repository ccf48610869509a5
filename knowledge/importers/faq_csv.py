"""FAQ entries as CSV: the format ``yorozu faq export`` writes and ``yorozu faq import`` reads.

Header (the first row; columns in any order, only ``question`` and ``answer`` required)::

    id,question,answer,tags,status,review_interval_days,verified_by,verified_at,source_thread

- ``id``: empty for a new entry; the number of an existing entry to update it.
- ``tags``: separated by ``;`` (``,`` and ``、`` also work inside a quoted cell).
- ``status``: ``draft`` (default), ``published`` or ``retired``.
- ``review_interval_days``: 1-3650, default 180.
- ``verified_by``: a name; ``verified_at``: a date ``2026-09-30`` or an ISO date-time (UTC if no zone).
- ``source_thread``: ``platform:channel:root`` of the thread the entry came from.

Files are UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8" adds one; export writes one so
Excel opens the file correctly). Reading checks every row and reports every bad one with its line
number; nothing is imported unless the whole file is good.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from knowledge.errors import ImportFailed, InvalidInput
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
MAX_BYTES = 20 * 1024 * 1024


def read_faq_csv(path: Path) -> list[FaqInput]:
    """Read and check a whole file; raises :class:`ImportFailed` listing every bad row."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_BYTES:
        raise ImportFailed(f"{path} is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            f"{path} is not UTF-8 (byte {exc.start}): save it from Excel as 'CSV UTF-8 (comma delimited)'"
        ) from exc
    return parse_faq_csv(text, name=str(path))


def parse_faq_csv(text: str, *, name: str = "<csv>") -> list[FaqInput]:
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed(f"{name} is empty: the first line must be the header {','.join(HEADER)}") from None
    except csv.Error as exc:
        raise ImportFailed(f"{name}: line 1: {exc}") from exc
    columns = [h.strip().lower() for h in header]
    unknown = [c for c in columns if c not in HEADER]
    missing = [c for c in REQUIRED if c not in columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if unknown or missing or duplicated:
        problems = []
        if unknown:
            problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if duplicated:
            problems.append(f"repeated column(s) {', '.join(duplicated)}")
        raise ImportFailed(f"{name}: line 1: {'; '.join(problems)} (the header is {','.join(HEADER)})")
    items: list[FaqInput] = []
    errors: list[str] = []
    ids: dict[int, int] = {}
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"line {line}: {exc}")
            break
        start, line = line, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            errors.append(f"line {start}: {len(cells)} cells, the header has {len(columns)}")
            continue
        row = dict(zip(columns, (c.strip() for c in cells), strict=True))
        try:
            item = _item(start, row)
        except InvalidInput as exc:
            errors.append(f"line {start}: {exc}")
            continue
        if item.id is not None:
            if item.id in ids:
                errors.append(f"line {start}: id {item.id} already appears on line {ids[item.id]}")
                continue
            ids[item.id] = start
        items.append(item)
    if errors:
        shown = errors[:50] + ([f"… and {len(errors) - 50} more"] if len(errors) > 50 else [])
        raise ImportFailed(f"{name}: nothing imported, {len(errors)} bad row(s):\n" + "\n".join(shown))
    return items


def _item(line: int, row: dict[str, str]) -> FaqInput:
    if not row.get("question"):
        raise InvalidInput("question is empty")
    if not row.get("answer"):
        raise InvalidInput("answer is empty")
    faq_id = None
    if row.get("id"):
        try:
            faq_id = int(row["id"])
        except ValueError:
            raise InvalidInput(f"id must be a number or empty, not {row['id']!r}") from None
        if faq_id < 1:
            raise InvalidInput(f"id must be positive, not {faq_id}")
    status = FaqStatus.DRAFT
    if row.get("status"):
        try:
            status = FaqStatus(row["status"].lower())
        except ValueError:
            raise InvalidInput(f"status must be draft, published or retired, not {row['status']!r}") from None
    interval = DEFAULT_REVIEW_DAYS
    if row.get("review_interval_days"):
        try:
            interval = int(row["review_interval_days"])
        except ValueError:
            raise InvalidInput(
                f"review_interval_days must be a whole number, not {row['review_interval_days']!r}"
            ) from None
        if not 1 <= interval <= 3650:
            raise InvalidInput(f"review_interval_days must be between 1 and 3650, not {interval}")
    verified_at = None
    if row.get("verified_at"):
        try:
            verified_at = datetime.fromisoformat(row["verified_at"].replace("/", "-"))
        except ValueError:
            raise InvalidInput(f"verified_at must be a date like 2026-09-30, not {row['verified_at']!r}") from None
        verified_at = verified_at.replace(tzinfo=UTC) if verified_at.tzinfo is None else verified_at.astimezone(UTC)
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


def write_faq_csv(entries: Iterable[FaqEntry], out: TextIO) -> int:
    """Write entries with the header; returns how many. Opted-out verifiers are left empty."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    count = 0
    for e in entries:
        writer.writerow(
            [
                e.id,
                e.question,
                e.answer,
                "; ".join(e.tags),
                str(e.status),
                e.review_interval_days,
                e.verified_by or "",
                e.verified_at.isoformat() if e.verified_at else "",
                e.source_thread or "",
            ]
        )
        count += 1
    return count
