"""The sample community holds together: the Slack export is the data, so its repeated fields are checked here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from knowledge.sample import SampleError, load_sample_community, read_held_out_questions, sample_community_path

DATA = Path(__file__).resolve().parents[1] / "data"


def test_the_sample_has_its_people_channels_and_threads() -> None:
    community = load_sample_community()
    humans = [p for p in community.people if not p.is_bot]
    assert (len(humans), len(community.people) - len(humans), len(community.organisations)) == (17, 1, 11)
    assert sorted((c.name, c.private) for c in community.channels) == [
        ("ciso-private", True),
        ("gen-ai", False),
        ("general", False),
        ("m365-teams", False),
        ("procurement", False),
        ("q-and-a", False),
        ("security", False),
        ("zatsudan", False),
    ]
    assert len(community.messages) == 388
    assert len(community.threads) == 110
    assert sum(len(t.replies) for t in community.threads) == 265


@pytest.mark.parametrize("name", ["sample_questions.jsonl", "sample_questions_hard.jsonl"])
def test_every_held_out_question_points_at_an_answered_thread(name: str) -> None:
    community = load_sample_community()
    questions = read_held_out_questions(DATA / name)
    for question in questions:
        if question.abstains:
            continue
        thread = community.thread(str(question.channel), str(question.expected_root_ts))
        assert thread is not None, question
        assert thread.replies and thread.root.subtype != "tombstone", question
    if name == "sample_questions.jsonl":
        assert (len(questions), sum(q.abstains for q in questions)) == (93, 15)


def test_a_broken_export_names_the_file_and_the_message(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(sample_community_path(), export)
    day = sorted((export / "q-and-a").glob("*.json"))[0]
    messages = json.loads(day.read_text(encoding="utf-8"))
    root = next(m for m in messages if m.get("reply_count"))
    root["latest_reply"] = root["ts"]
    day.write_text(json.dumps(messages), encoding="utf-8")

    with pytest.raises(SampleError) as caught:
        load_sample_community(export)
    assert caught.value.problems == [f"q-and-a: thread {root['ts']}: latest_reply is not its last reply"]


def test_a_bad_question_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text('{"question": "ok?", "expected_root_ts": null}\n{"question": ""}\n', encoding="utf-8")
    with pytest.raises(SampleError, match=r"questions.jsonl line 2: no question"):
        read_held_out_questions(path)


def test_a_text_edited_without_its_blocks_is_named(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(sample_community_path(), export)
    day = sorted((export / "general").glob("*.json"))[0]
    messages = json.loads(day.read_text(encoding="utf-8"))
    edited = next(m for m in messages if "blocks" in m)
    edited["text"] += "（追記）"
    day.write_text(json.dumps(messages), encoding="utf-8")

    with pytest.raises(SampleError) as caught:
        load_sample_community(export)
    assert caught.value.problems == [
        f"general/{day.name}: message {edited['ts']}: its rich_text blocks say something else than its text"
    ]
