"""FAQ entries from JSON (the sample community's curated entries)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from knowledge.errors import InvalidInput
from knowledge.faq import parse_thread_key
from knowledge.importers.faq_json import read_faq_json
from knowledge.model import Actor, FaqStatus
from knowledge.sample import sample_faq_path

SAMPLE = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "sample_community"
# The sample's "now" (its threads end in October 2026): which entries are due for review then.
SAMPLE_NOW = datetime(2026, 12, 3, tzinfo=UTC)


def test_the_sample_ships_published_entries_made_from_its_threads() -> None:
    entries = read_faq_json(sample_faq_path())
    assert 3 <= len(entries) <= 10
    roots = {
        (channel["id"], message["ts"])
        for listing in ("channels.json", "groups.json")
        for channel in json.loads((SAMPLE / listing).read_text(encoding="utf-8"))
        for day in sorted((SAMPLE / channel["name"]).glob("*.json"))
        for message in json.loads(day.read_text(encoding="utf-8"))
        if message.get("thread_ts", message["ts"]) == message["ts"]
    }
    for entry in entries:
        assert entry.status == FaqStatus.PUBLISHED and entry.verified_by and entry.verified_at
        assert entry.source_thread is not None
        platform, channel, root = parse_thread_key(entry.source_thread)
        assert platform == "slack" and (channel, root) in roots, entry.source_thread


def test_imported_the_sample_entries_are_published_verified_and_some_due(kb: KnowledgeBase) -> None:
    created, updated, unchanged = kb.faq_import(Actor.operator(), read_faq_json(sample_faq_path()))
    assert (created, updated, unchanged) == (5, 0, 0)
    entries = kb.faq_list(FaqStatus.PUBLISHED)
    assert {e.verified_by for e in entries} >= {"佐藤 健一", "高橋 誠"}
    due = kb.faq_due_for_review(SAMPLE_NOW)
    assert 1 <= len(due) < len(entries)
    sato = next(e for e in entries if e.verified_by == "佐藤 健一")
    assert sato.verified_at is not None and sato.verified_at.astimezone(UTC).date().isoformat() == "2026-04-01"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{}", "expected a list"),
        ("[1]", "expected an object"),
        ('[{"question": "Q"}]', "'answer'"),
        ('[{"question": "Q", "answer": "A", "verified_at": "yesterday"}]', "not an ISO date"),
        ('[{"question": "Q", "answer": "A", "verified_at": "2026-04-01T10:00:00"}]', "time zone"),
        ('[{"question": "Q", "answer": "A", "tags": "x"}]', "'tags'"),
        ('[{"question": "Q", "answer": "A", "review_interval_days": "180"}]', "review_interval_days"),
        ("not json", "not a readable JSON file"),
    ],
)
def test_bad_files_name_the_entry_and_field(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "faq.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        read_faq_json(path)
