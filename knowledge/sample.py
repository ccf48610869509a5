"""The sample community the demo and the tests import: a fictional Slack export shipped as package data.

The Slack export under ``knowledge/data/sample_community/`` is the data itself, not the output of a
generator (its README says why). So nothing re-derives the fields a Slack export repeats (a thread root's
``replies``, ``reply_users`` and ``latest_reply``, the day file a message sits in): :func:`load_sample_community`
reads the export into typed values and checks them on load (the repeated fields agree, a message's
rich_text blocks say what its text says), naming the file and the message of each problem, so a hand edit
that breaks the export fails the tests instead of the demo.

The held-out questions (``tests/data/sample_questions*.jsonl``) are read by :func:`read_held_out_questions`,
checked line by line.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

JST = timezone(timedelta(hours=9), "JST")
# The sample's story runs over these dates (Asia/Tokyo); a message outside them is a mistake.
PERIOD = (date(2025, 4, 1), date(2026, 10, 31))
TOMBSTONE_TEXT = "This message was deleted."

_TS_RE = re.compile(r"^\d{10}\.\d{6}$")


def sample_community_path() -> Path:
    """The sample community (Slack export layout) shipped inside the package."""
    return Path(str(resources.files("knowledge") / "data" / "sample_community"))


def sample_faq_path() -> Path:
    """The sample community's curated FAQ entries (published; some due for review)."""
    return Path(str(resources.files("knowledge") / "data" / "sample_faq.json"))


class SampleError(ValueError):
    """The sample data is inconsistent; the message names each file and entry at fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the sample community is inconsistent:\n" + "\n".join(f"  {p}" for p in problems))
        self.problems = problems


# ---------------------------------------------------------------------------------------------
# Held-out questions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldOutQuestion:
    """A question with the thread root expected to answer it, or none where a bot should abstain."""

    question: str
    expected_root_ts: str | None
    channel: str | None = None
    kind: str | None = None

    @property
    def abstains(self) -> bool:
        return self.expected_root_ts is None


def read_held_out_questions(path: Path) -> list[HeldOutQuestion]:
    """The questions of a JSON-lines file (one object a line); a :class:`SampleError` names each bad line."""
    questions: list[HeldOutQuestion] = []
    problems: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc.msg})")
            continue
        if not isinstance(entry, dict):
            problems.append(f"{where}: not an object")
            continue
        question, target = entry.get("question"), entry.get("expected_root_ts")
        channel, kind = entry.get("channel"), entry.get("kind")
        if not isinstance(question, str) or not question.strip():
            problems.append(f"{where}: no question")
        elif target is not None and not (isinstance(target, str) and _TS_RE.match(target)):
            problems.append(f"{where}: expected_root_ts must be a Slack ts or null, not {target!r}")
        elif target is not None and not isinstance(channel, str):
            problems.append(f"{where}: a question with an expected thread names its channel")
        elif not isinstance(kind, str | None) or not isinstance(channel, str | None):
            problems.append(f"{where}: channel and kind are strings")
        else:
            questions.append(HeldOutQuestion(question, target, channel, kind))
    duplicates = [q for q, n in Counter(q.question for q in questions).items() if n > 1]
    problems += [f"{path.name}: the question {q!r} appears twice" for q in duplicates]
    if problems:
        raise SampleError(problems)
    return questions


# ---------------------------------------------------------------------------------------------
# The community
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A user of users.json; the organisation and department come from ``profile.title``."""

    id: str
    name: str
    real_name: str
    organisation: str
    department: str
    email: str
    deleted: bool
    is_bot: bool
    bot_id: str | None = None


@dataclass(frozen=True)
class Channel:
    """A public (channels.json) or private (groups.json) channel."""

    id: str
    name: str
    private: bool
    general: bool
    members: frozenset[str]


@dataclass(frozen=True)
class Message:
    """One message of a day file, with the raw object for the fields a check needs."""

    channel: str
    ts: str
    user: str | None
    text: str
    subtype: str | None
    thread_ts: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def is_root(self) -> bool:
        return self.thread_ts is None or self.thread_ts == self.ts


@dataclass(frozen=True)
class Thread:
    """A root (a tombstone when deleted) and its replies in order."""

    channel: str
    root: Message
    replies: tuple[Message, ...]


@dataclass(frozen=True)
class SampleCommunity:
    """What the sample export holds, checked."""

    people: tuple[Person, ...]
    channels: tuple[Channel, ...]
    messages: tuple[Message, ...]
    threads: tuple[Thread, ...]

    @property
    def organisations(self) -> set[str]:
        return {p.organisation for p in self.people if not p.is_bot}

    def thread(self, channel: str, root_ts: str) -> Thread | None:
        return next((t for t in self.threads if t.channel == channel and t.root.ts == root_ts), None)


def load_sample_community(path: Path | None = None) -> SampleCommunity:
    """Read the sample export at ``path`` (default: the shipped one) and check that it holds together."""
    folder = path or sample_community_path()
    problems: list[str] = []
    people = _people(folder, problems)
    channels = _channels(folder, "channels.json", False, problems) + _channels(folder, "groups.json", True, problems)
    if not any(c.general for c in channels):
        problems.append("channels.json: no general channel")
    by_id = {p.id: p for p in people}
    messages: list[Message] = []
    for channel in channels:
        messages += _channel_messages(folder, channel, by_id, problems)
    for ts, n in Counter(m.ts for m in messages).items():
        if n > 1:
            problems.append(f"ts {ts} is used {n} times")
    threads = _threads(messages, problems)
    if problems:
        raise SampleError(problems)
    return SampleCommunity(tuple(people), tuple(channels), tuple(messages), tuple(threads))


def _read_list(path: Path, problems: list[str]) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        problems.append(f"{path.name}: cannot be read ({exc})")
        return []
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        problems.append(f"{path.name}: not a list of objects")
        return []
    return data


def _people(folder: Path, problems: list[str]) -> list[Person]:
    people = []
    for entry in _read_list(folder / "users.json", problems):
        profile = entry.get("profile") or {}
        organisation, _, department = str(profile.get("title", "")).partition(" ")
        person = Person(
            id=str(entry.get("id", "")),
            name=str(entry.get("name", "")),
            real_name=str(entry.get("real_name", "")),
            organisation=organisation,
            department=department,
            email=str(profile.get("email", "")),
            deleted=bool(entry.get("deleted", False)),
            is_bot=bool(entry.get("is_bot", False)),
            bot_id=profile.get("bot_id"),
        )
        if not person.is_bot and (not department or "@" not in person.email):
            problems.append(f"users.json: {person.name or person.id}: profile.title (団体名 部署名) or email missing")
        people.append(person)
    return people


def _channels(folder: Path, name: str, private: bool, problems: list[str]) -> list[Channel]:
    return [
        Channel(
            id=str(c.get("id", "")),
            name=str(c.get("name", "")),
            private=private,
            general=bool(c.get("is_general", False)),
            members=frozenset(c.get("members") or ()),
        )
        for c in _read_list(folder / name, problems)
    ]


def _channel_messages(folder: Path, channel: Channel, by_id: dict[str, Person], problems: list[str]) -> list[Message]:
    if not (folder / channel.name).is_dir():
        problems.append(f"{channel.name}/: the channel's folder is missing")
        return []
    bot_ids = {p.bot_id for p in by_id.values() if p.is_bot}
    messages = []
    for day_file in sorted((folder / channel.name).iterdir()):
        for raw in _read_list(day_file, problems):
            ts, user, subtype = str(raw.get("ts", "")), raw.get("user"), raw.get("subtype")
            where = f"{channel.name}/{day_file.name}: message {ts}"
            message = Message(channel.name, ts, user, str(raw.get("text", "")), subtype, raw.get("thread_ts"), raw)
            messages.append(message)
            if not _TS_RE.match(ts):
                problems.append(f"{where}: bad ts")
                continue
            day = datetime.fromtimestamp(float(ts), JST).date()
            if day.isoformat() != day_file.stem:
                problems.append(f"{where}: belongs in {day.isoformat()}.json (Asia/Tokyo)")
            if not PERIOD[0] <= day <= PERIOD[1]:
                problems.append(f"{where}: outside the sample's period {PERIOD[0]}..{PERIOD[1]}")
            if subtype == "bot_message":
                if raw.get("bot_id") not in bot_ids or not (user in by_id and by_id[user].is_bot):
                    problems.append(f"{where}: bot message not linked to the bot user")
                continue
            if subtype == "channel_join":
                continue
            if subtype == "tombstone":
                if user != "USLACKBOT" or message.text != TOMBSTONE_TEXT or not raw.get("replies"):
                    problems.append(f"{where}: a tombstone is Slackbot's, says {TOMBSTONE_TEXT!r} and has replies")
            elif user not in by_id or by_id[user].is_bot:
                problems.append(f"{where}: unknown or bot author {user}")
            elif user not in channel.members and not by_id[user].deleted:
                problems.append(f"{where}: {by_id[user].name} posts but is not a member")
            for reaction in raw.get("reactions", []):
                users = reaction.get("users", [])
                if reaction.get("count") != len(users) or any(u not in by_id for u in users):
                    problems.append(f"{where}: reaction {reaction.get('name')} lists unknown users or a wrong count")
            if "edited" in raw and float(raw["edited"]["ts"]) <= float(ts):
                problems.append(f"{where}: edited before it was posted")
            if not message.is_root and "parent_user_id" not in raw:
                problems.append(f"{where}: a reply without parent_user_id")
            if "blocks" in raw and _squeezed(_blocks_text(raw["blocks"])) != _squeezed(message.text):
                problems.append(f"{where}: its rich_text blocks say something else than its text")
    return messages


def _blocks_text(blocks: list[dict[str, Any]]) -> str:
    """The mrkdwn a message's rich_text blocks show: Slack clients show the blocks, Yorozu reads ``text``,
    so an edit of one must be made in the other too."""
    out = []
    for block in blocks:
        for section in block.get("elements", []):
            for element in section.get("elements", []):
                kind = element.get("type")
                if kind == "text":
                    out.append(_escape(element.get("text", "")))
                elif kind == "emoji":
                    out.append(f":{element.get('name')}:")
                elif kind == "user":
                    out.append(f"<@{element.get('user_id')}>")
                elif kind == "link":
                    out.append(f"<{element.get('url')}|{_escape(element.get('text', ''))}>")
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _squeezed(text: str) -> str:
    """Text without whitespace and code fences (blocks keep code apart, ``text`` fences it)."""
    return re.sub(r"\s+", "", text.replace("```", ""))


def _threads(messages: list[Message], problems: list[str]) -> list[Thread]:
    """Thread roots with their replies; each root's reply summary must match the replies found."""
    content = [m for m in messages if m.subtype not in {"bot_message", "channel_join"} and _TS_RE.match(m.ts)]
    roots = {(m.channel, m.ts): m for m in content if m.is_root}
    replies: dict[tuple[str, str], list[Message]] = {key: [] for key in roots}
    for m in content:
        if not m.is_root:
            if (m.channel, str(m.thread_ts)) not in roots:
                problems.append(f"{m.channel}: reply {m.ts} to a missing root {m.thread_ts}")
                continue
            replies[(m.channel, str(m.thread_ts))].append(m)
    threads = []
    for (channel, ts), root in sorted(roots.items(), key=lambda item: float(item[0][1])):
        found = sorted(replies[(channel, ts)], key=lambda m: float(m.ts))
        where = f"{channel}: thread {ts}"
        raw = root.raw
        if found:
            users = list(dict.fromkeys(m.user for m in found))
            if raw.get("replies") != [{"user": m.user, "ts": m.ts} for m in found] or raw.get("reply_count") != len(
                found
            ):
                problems.append(f"{where}: replies/reply_count do not match the replies in the day files")
            if raw.get("latest_reply") != found[-1].ts:
                problems.append(f"{where}: latest_reply is not its last reply")
            if raw.get("reply_users") != users or raw.get("reply_users_count") != len(users):
                problems.append(f"{where}: reply_users do not match the replies")
            if root.subtype != "tombstone" and any(m.raw.get("parent_user_id") != root.user for m in found):
                problems.append(f"{where}: a reply's parent_user_id is not the root's author")
            if any(float(m.ts) <= float(ts) for m in found):
                problems.append(f"{where}: a reply comes before its root")
        elif raw.get("reply_count"):
            problems.append(f"{where}: claims replies but none are in the day files")
        threads.append(Thread(channel, root, tuple(found)))
    return threads
