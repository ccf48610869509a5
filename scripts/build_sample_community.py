#!/usr/bin/env python3
"""Build Yorozu's sample community (a fictional Slack export) from scripts/sample_community_content.py.

Writes, relative to the repository root:

* ``knowledge/data/sample_community/`` — a modern Slack export layout: ``users.json``,
  ``channels.json``, ``groups.json`` and one folder per channel with ``YYYY-MM-DD.json`` day files;
* ``tests/data/sample_questions.jsonl`` — held-out questions with the thread root expected to answer
  them (or ``null`` where a bot should abstain);
* ``knowledge/data/sample_faq.json`` — the curated FAQ entries the demo starts with, each naming the
  thread it was made from (``slack:<channel id>:<root ts>``).

Stdlib only and deterministic: every id, timestamp and jitter is derived from hashes of the content,
so running it twice gives byte-identical files. After writing, it re-reads everything, validates the
export and prints a summary. ``--check`` only validates what is on disk.

    python scripts/build_sample_community.py
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import uuid
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import sample_community_content as content  # noqa: E402

OUT_DIR = ROOT / "knowledge" / "data" / "sample_community"
QUESTIONS_FILE = ROOT / "tests" / "data" / "sample_questions.jsonl"
FAQ_FILE = ROOT / "knowledge" / "data" / "sample_faq.json"

JST = timezone(timedelta(hours=9), "JST")
PERIOD = (date(2025, 4, 1), date(2026, 10, 31))
OFFICE_START, OFFICE_END = time(9, 0), time(18, 45)
CHECK_EMOJI = {"white_check_mark", "heavy_check_mark"}

# Japanese public holidays (and the year-end closing) inside the period.
_HOLIDAY_DATES = """
    2025-04-29 2025-05-03 2025-05-04 2025-05-05 2025-05-06 2025-07-21 2025-08-11 2025-09-15
    2025-09-23 2025-10-13 2025-11-03 2025-11-24 2025-12-29 2025-12-30 2025-12-31 2026-01-01
    2026-01-02 2026-01-03 2026-01-12 2026-02-11 2026-02-23 2026-03-20 2026-04-29 2026-05-04
    2026-05-05 2026-05-06 2026-07-20 2026-08-11 2026-09-21 2026-09-22 2026-09-23 2026-10-12
"""
HOLIDAYS = {date.fromisoformat(d) for d in _HOLIDAY_DATES.split()}

TEAM = content.WORKSPACE["team_id"]
DOMAIN = content.WORKSPACE["domain"]

# ---------------------------------------------------------------------------------------------
# Deterministic helpers
# ---------------------------------------------------------------------------------------------


def _h(*parts: object) -> int:
    return int(hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest(), 16)


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def slack_id(prefix: str, *parts: object, length: int = 8) -> str:
    n, out = _h(prefix, *parts), []
    for _ in range(length):
        n, r = divmod(n, len(_ALNUM))
        out.append(_ALNUM[r])
    return prefix + "".join(out)


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())


def is_business_day(d: date) -> bool:
    return d.weekday() < 5 and d not in HOLIDAYS


def parse_at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=JST)


def normalize(dt: datetime, salt: str) -> datetime:
    """Move a time into office hours on a business day (Asia/Tokyo)."""
    morning = timedelta(minutes=5 + _h("morning", salt) % 50)
    if dt.time() > OFFICE_END:
        dt = datetime.combine(dt.date() + timedelta(days=1), OFFICE_START, JST) + morning
    elif dt.time() < OFFICE_START:
        dt = datetime.combine(dt.date(), OFFICE_START, JST) + morning
    while not is_business_day(dt.date()):
        dt += timedelta(days=1)
    return dt


_AFTER = re.compile(r"^(!)?(\d+)([mhd])(?:@(\d{1,2}):(\d{2}))?$")


def schedule(prev: datetime, after: str, salt: str) -> datetime:
    m = _AFTER.match(after)
    if not m:
        raise ValueError(f"bad delay {after!r} ({salt})")
    exact, n, unit, hh, mm = m.group(1), int(m.group(2)), m.group(3), m.group(4), m.group(5)
    if unit == "m":
        dt = prev + timedelta(minutes=n + _h("j", salt) % max(2, n // 4 + 1))
    elif unit == "h":
        dt = prev + timedelta(hours=n, minutes=_h("j", salt) % 40)
    elif hh is not None:
        dt = datetime.combine(prev.date() + timedelta(days=n), time(int(hh), int(mm)), JST)
    else:
        dt = prev + timedelta(days=n, minutes=(_h("j", salt) % 150) - 75)
    dt = dt.replace(second=_h("s", salt) % 60)
    if not exact:
        dt = normalize(dt, salt)
    if dt <= prev:
        dt = prev + timedelta(minutes=1)
    return dt


def make_ts(dt: datetime, salt: str, used: set[str]) -> str:
    sec, frac = epoch(dt), _h("ts", salt) % 1_000_000
    ts = f"{sec}.{frac:06d}"
    while ts in used:
        frac = (frac + 1) % 1_000_000
        ts = f"{sec}.{frac:06d}"
    used.add(ts)
    return ts


def jst_date(ts: str) -> str:
    return datetime.fromtimestamp(float(ts), JST).strftime("%Y-%m-%d")


# ---------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------

PEOPLE = {p["key"]: p for p in content.PEOPLE}
BOT = content.BOT
UID = {key: slack_id("U01", "user", key) for key in PEOPLE}
UID[BOT["key"]] = slack_id("U01", "bot-user", BOT["key"])
BOT_ID = slack_id("B01", "bot", BOT["key"])
APP_ID = slack_id("A01", "app", BOT["key"])


def avatar(seed: str) -> dict:
    digest = hashlib.md5(seed.encode()).hexdigest()
    base = f"https://secure.gravatar.com/avatar/{digest}.jpg"
    fallback = "https%3A%2F%2Fa.slack-edge.com%2Fdf10d%2Fimg%2Favatars%2Fava_0010-{}.png"
    images = {f"image_{s}": f"{base}?s={s}&d={fallback.format(s)}" for s in (24, 32, 48, 72, 192, 512)}
    return {"avatar_hash": "g" + digest[:11], **images}


def user_object(p: dict) -> dict:
    last, _, first = p["real_name"].partition(" ")
    av = avatar(p["email"])
    profile = {
        "title": f"{p['org']} {p['dept']}",
        "phone": "",
        "skype": "",
        "real_name": p["real_name"],
        "real_name_normalized": p["real_name"],
        "display_name": p["display_name"],
        "display_name_normalized": p["display_name"],
        "fields": None,
        "status_text": "",
        "status_emoji": "",
        "status_expiration": 0,
        "avatar_hash": av["avatar_hash"],
        "email": p["email"],
        "first_name": first,
        "last_name": last,
        **{k: v for k, v in av.items() if k.startswith("image_")},
        "status_text_canonical": "",
        "team": TEAM,
    }
    return {
        "id": UID[p["key"]],
        "team_id": TEAM,
        "name": p["name"],
        "deleted": bool(p.get("deleted", False)),
        "color": f"{_h('color', p['key']) % 0xFFFFFF:06x}",
        "real_name": p["real_name"],
        "tz": "Asia/Tokyo",
        "tz_label": "Japan Standard Time",
        "tz_offset": 32400,
        "profile": profile,
        "is_admin": bool(p.get("is_admin", False)),
        "is_owner": bool(p.get("is_owner", False)),
        "is_primary_owner": bool(p.get("is_owner", False)),
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": False,
        "is_app_user": False,
        "updated": epoch(parse_at("2026-10-30 17:00")) - _h("updated", p["key"]) % 5_000_000,
        "is_email_confirmed": True,
        "who_can_share_contact_card": "EVERYONE",
    }


def bot_user_object() -> dict:
    av = avatar(BOT["name"])
    return {
        "id": UID[BOT["key"]],
        "team_id": TEAM,
        "name": BOT["name"],
        "deleted": False,
        "color": f"{_h('color', BOT['key']) % 0xFFFFFF:06x}",
        "real_name": BOT["real_name"],
        "tz": "Asia/Tokyo",
        "tz_label": "Japan Standard Time",
        "tz_offset": 32400,
        "profile": {
            "title": "",
            "phone": "",
            "skype": "",
            "real_name": BOT["real_name"],
            "real_name_normalized": BOT["real_name"],
            "display_name": BOT["display_name"],
            "display_name_normalized": BOT["display_name"],
            "fields": None,
            "status_text": "",
            "status_emoji": "",
            "status_expiration": 0,
            "avatar_hash": av["avatar_hash"],
            "api_app_id": APP_ID,
            "always_active": True,
            "bot_id": BOT_ID,
            "first_name": BOT["real_name"],
            "last_name": "",
            **{k: v for k, v in av.items() if k.startswith("image_")},
            "status_text_canonical": "",
            "team": TEAM,
        },
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": True,
        "is_app_user": False,
        "updated": epoch(parse_at("2025-05-01 12:00")),
        "is_email_confirmed": False,
        "who_can_share_contact_card": "EVERYONE",
    }


def user_profile(key: str) -> dict:
    p = PEOPLE[key]
    av = avatar(p["email"])
    return {
        "avatar_hash": av["avatar_hash"],
        "image_72": av["image_72"],
        "first_name": p["real_name"].partition(" ")[2],
        "real_name": p["real_name"],
        "display_name": p["display_name"],
        "team": TEAM,
        "name": p["name"],
        "is_restricted": False,
        "is_ultra_restricted": False,
    }


# ---------------------------------------------------------------------------------------------
# Text: Slack mrkdwn in "text", rich_text in "blocks"
# ---------------------------------------------------------------------------------------------

_MARKUP = re.compile(r"@\{(\w+)\}|\[\[([^|\]]+)\|([^\]]+)\]\]")


def slack_text(raw: str) -> str:
    """Escape like Slack does and turn @{key} / [[url|label]] into Slack markup."""
    out, pos = [], 0
    for m in _MARKUP.finditer(raw):
        out.append(_escape(raw[pos : m.start()]))
        if m.group(1):
            out.append(f"<@{UID[m.group(1)]}>")
        else:
            out.append(f"<{m.group(2)}|{_escape(m.group(3))}>")
        pos = m.end()
    out.append(_escape(raw[pos:]))
    return "".join(out)


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_EMOJI = re.compile(r":([a-z0-9_+\-]+):")


def _inline_elements(raw: str) -> list[dict]:
    elements: list[dict] = []

    def add_text(s: str) -> None:
        pos = 0
        for m in _EMOJI.finditer(s):
            if m.start() > pos:
                elements.append({"type": "text", "text": s[pos : m.start()]})
            elements.append({"type": "emoji", "name": m.group(1)})
            pos = m.end()
        if pos < len(s):
            elements.append({"type": "text", "text": s[pos:]})

    pos = 0
    for m in _MARKUP.finditer(raw):
        add_text(raw[pos : m.start()])
        if m.group(1):
            elements.append({"type": "user", "user_id": UID[m.group(1)]})
        else:
            elements.append({"type": "link", "url": m.group(2), "text": m.group(3)})
        pos = m.end()
    add_text(raw[pos:])
    return elements


_BLOCK_ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/="


def rich_text_blocks(raw: str, salt: str) -> list[dict]:
    parts = raw.split("```")
    elements = []
    for i, part in enumerate(parts):
        if i % 2 == 1:
            code = part.strip("\n")
            elements.append(
                {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": code}], "border": 0}
            )
        elif part:
            elements.append({"type": "rich_text_section", "elements": _inline_elements(part)})
    block_id = "".join(_BLOCK_ID_CHARS[(_h("b", salt) >> (6 * k)) % len(_BLOCK_ID_CHARS)] for k in range(5))
    return [{"type": "rich_text", "block_id": block_id, "elements": elements}]


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------

FILETYPES = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel Spreadsheet"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word Document"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint Presentation"),
    "pdf": ("application/pdf", "PDF"),
}


def file_object(f: dict, user_key: str, dt: datetime, salt: str) -> dict:
    ext = f["name"].rsplit(".", 1)[1].lower()
    mimetype, pretty = FILETYPES[ext]
    fid = slack_id("F0", "file", salt, f["name"], length=9)
    uid = UID[user_key]
    name_q = quote(f["name"])
    secret = f"{_h('pub', salt) % 16**10:010x}"
    return {
        "id": fid,
        "created": epoch(dt),
        "timestamp": epoch(dt),
        "name": f["name"],
        "title": f["title"],
        "mimetype": mimetype,
        "filetype": ext,
        "pretty_type": pretty,
        "user": uid,
        "user_team": TEAM,
        "editable": False,
        "size": f["size"],
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": True,
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": f"https://files.slack.com/files-pri/{TEAM}-{fid}/{name_q}",
        "url_private_download": f"https://files.slack.com/files-pri/{TEAM}-{fid}/download/{name_q}",
        "permalink": f"https://{DOMAIN}.slack.com/files/{uid}/{fid}/{name_q}",
        "permalink_public": f"https://slack-files.com/{TEAM}-{fid}-{secret}",
        "is_starred": False,
        "has_rich_preview": False,
        "file_access": "visible",
    }


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


def reactions(react: dict, where: str) -> list[dict]:
    out = []
    for name, users in react.items():
        for u in users:
            if u not in UID:
                raise ValueError(f"unknown reactor {u!r} in {where}")
        out.append({"name": name, "users": [UID[u] for u in users], "count": len(users)})
    return out


def user_message(key: str, by: str, raw: str, dt: datetime, ts: str, item: dict, salt: str) -> dict:
    msg = {
        "user": UID[by],
        "type": "message",
        "ts": ts,
        "client_msg_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"yorozu-sample:{salt}")),
        "text": slack_text(raw),
        "team": TEAM,
        "user_team": TEAM,
        "source_team": TEAM,
        "user_profile": user_profile(by),
    }
    if item.get("edited"):
        edit_dt = schedule(dt, "!" + item["edited"], salt + ":edit")
        msg["edited"] = {"user": UID[by], "ts": f"{epoch(edit_dt)}.000000"}
    if item.get("files"):
        msg["files"] = [file_object(f, by, dt, salt) for f in item["files"]]
        msg["upload"] = False
        msg["display_as_bot"] = False
    msg["blocks"] = rich_text_blocks(raw, salt)
    return msg


def build() -> tuple[dict[str, list[dict]], dict[str, str], list[dict]]:
    """Return messages per channel, the root ts of each thread key, and per-thread facts."""
    channels = {c["name"] for c in content.CHANNELS + content.PRIVATE_CHANNELS}
    by_channel: dict[str, list[dict]] = defaultdict(list)
    used: set[str] = set()
    root_ts: dict[str, str] = {}
    facts: list[dict] = []
    keys = Counter(t["key"] for t in content.THREADS)
    if dupes := [k for k, n in keys.items() if n > 1]:
        raise ValueError(f"duplicate thread keys: {dupes}")

    for t in content.THREADS:
        key, ch, by = t["key"], t["channel"], t["by"]
        if ch not in channels:
            raise ValueError(f"{key}: unknown channel {ch}")
        dt = parse_at(t["at"]).replace(second=_h("s", key) % 60)
        if not is_business_day(dt.date()) or not OFFICE_START <= dt.time() <= OFFICE_END:
            raise ValueError(f"{key}: root {t['at']} is not a business day in office hours")
        ts = make_ts(dt, key, used)
        root_ts[key] = ts
        root = (
            user_message(key, by, t["text"], dt, ts, t, key)
            if not t["deleted"]
            else {
                "user": "USLACKBOT",
                "type": "message",
                "subtype": "tombstone",
                "text": "This message was deleted.",
                "hidden": True,
                "ts": ts,
            }
        )
        replies, prev = [], dt
        solved = accepted_by_reaction = False
        for i, r in enumerate(t["replies"]):
            salt = f"{key}#{i}"
            rdt = schedule(prev, r["after"], salt)
            rts = make_ts(rdt, salt, used)
            msg = user_message(key, r["by"], r["text"], rdt, rts, r, salt)
            msg["thread_ts"] = ts
            msg["parent_user_id"] = UID[by]
            if r["react"]:
                msg["reactions"] = reactions(r["react"], salt)
                if r["by"] != by and any(by in r["react"].get(e, []) for e in CHECK_EMOJI):
                    accepted_by_reaction = True
            solved |= bool(r["solved"])
            replies.append((r["by"], msg))
            prev = rdt
        if replies:
            reply_users = list(dict.fromkeys(UID[b] for b, _ in replies))
            root.update(
                {
                    "thread_ts": ts,
                    "reply_count": len(replies),
                    "reply_users_count": len(reply_users),
                    "latest_reply": replies[-1][1]["ts"],
                    "reply_users": reply_users,
                    "replies": [{"user": m["user"], "ts": m["ts"]} for _, m in replies],
                    "is_locked": False,
                    "subscribed": False,
                }
            )
        if t["react"] and not t["deleted"]:
            root["reactions"] = reactions(t["react"], key)
        by_channel[ch].append(root)
        by_channel[ch].extend(m for _, m in replies)
        others = [b for b, _ in replies if b != by]
        facts.append(
            dict(
                key=key,
                channel=ch,
                ts=ts,
                kind=t["kind"],
                deleted=t["deleted"],
                by=by,
                replies=len(replies),
                answered=bool(others),
                self_answered=bool(replies) and not others,
                accepted=accepted_by_reaction or solved,
                accepted_by_reaction=accepted_by_reaction,
                solved_reply=solved,
                deleted_replies=t["deleted_replies"],
                edited=int(bool(t["edited"])) + sum(bool(r["edited"]) for r in t["replies"]),
                files=len(t["files"]) + sum(len(r["files"]) for r in t["replies"]),
            )
        )

    for ch, at, who in content.JOINS:
        dt = parse_at(at).replace(second=_h("s", "join", ch, who) % 60)
        ts = make_ts(dt, f"join:{ch}:{who}", used)
        by_channel[ch].append(
            {
                "user": UID[who],
                "type": "message",
                "subtype": "channel_join",
                "ts": ts,
                "text": f"<@{UID[who]}> has joined the channel",
            }
        )

    for i, (ch, at, text) in enumerate(content.BOT_POSTS):
        dt = parse_at(at).replace(second=_h("s", "bot", i) % 60)
        ts = make_ts(dt, f"bot:{i}", used)
        by_channel[ch].append(
            {
                "type": "message",
                "subtype": "bot_message",
                "text": slack_text(text),
                "ts": ts,
                "username": BOT["real_name"],
                "icons": {"emoji": BOT["icon_emoji"]},
                "bot_id": BOT_ID,
                "app_id": APP_ID,
                "user": UID[BOT["key"]],
                "bot_profile": {
                    "id": BOT_ID,
                    "deleted": False,
                    "name": BOT["real_name"],
                    "updated": epoch(parse_at("2025-05-01 12:00")),
                    "app_id": APP_ID,
                    "icons": {
                        k: avatar(BOT["name"])["image_72"].replace("s=72", f"s={s}")
                        for k, s in (("image_36", 36), ("image_48", 48), ("image_72", 72))
                    },
                    "team_id": TEAM,
                },
                "blocks": rich_text_blocks(text, f"bot:{i}"),
            }
        )

    for msgs in by_channel.values():
        msgs.sort(key=lambda m: float(m["ts"]))
    return by_channel, root_ts, facts


def channel_object(c: dict) -> dict:
    created = epoch(parse_at(c["created"]))
    members = [UID[k] for k in c["members"] if k not in content.LEFT]
    return {
        "id": slack_id("C0", "channel", c["name"]),
        "name": c["name"],
        "created": created,
        "creator": UID[c["creator"]],
        "is_archived": False,
        "is_general": bool(c.get("is_general", False)),
        "members": members,
        "topic": {"value": c["topic"], "creator": UID[c["creator"]], "last_set": created},
        "purpose": {"value": c["purpose"], "creator": UID[c["creator"]], "last_set": created},
    }


README = """\
# サンプルコミュニティ（架空データ）

このフォルダは、Yorozu のデモとテストに使う**架空の**サンプルデータです。
架空の「青葉県」と県内の市町村（青葉市、北山市、東浜市、白石市、南川町、緑ヶ丘町、桜台町、川端町、西野村、森崎村）の
情報担当者が、Slack のワークスペースで IT の質問や情報交換をしている、という設定です。
登場する団体・人物・メールアドレス（`*.example.lg.jp`）・出来事はすべて架空で、実在のものとは関係ありません。

形式は Slack のエクスポート（現行のレイアウト）と同じです。

- `users.json` … ユーザー（所属は `profile.title` に「団体名 部署名」で入っています）。
  リマインダーのボット 1 件を含みます
- `channels.json` … 公開チャンネル、`groups.json` … プライベートチャンネル（`ciso-private`）
- `<チャンネル名>/YYYY-MM-DD.json` … 日ごとのメッセージ（スレッドの返信は投稿した日のファイルに入ります）

評価用の質問セットは `tests/data/sample_questions.jsonl` にあります。

## 再生成

内容は `scripts/sample_community_content.py` に Python のデータとして書かれています。編集したら、リポジトリのルートで

```
python scripts/build_sample_community.py
```

を実行すると、このフォルダと `tests/data/sample_questions.jsonl` が作り直され、検証結果の要約が表示されます
（標準ライブラリのみ・決定的で、何度実行しても同じバイト列になります。`--check` で検証だけ行えます）。

English: fictional sample data (a Slack export of an imaginary prefecture's municipal IT staff)
for Yorozu's demo and tests; regenerate with `python scripts/build_sample_community.py`.
"""


def dump(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=4) + "\n", encoding="utf-8")


def write(by_channel: dict[str, list[dict]], root_ts: dict[str, str]) -> None:
    # Remove what a previous run wrote (and nothing else).
    if OUT_DIR.exists():
        for child in OUT_DIR.iterdir():
            if child.is_dir() and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}\.json", f.name) for f in child.iterdir()):
                shutil.rmtree(child)
            elif child.name in {"users.json", "channels.json", "groups.json", "README.md"}:
                child.unlink()
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    dump(OUT_DIR / "users.json", [user_object(p) for p in content.PEOPLE] + [bot_user_object()])
    dump(OUT_DIR / "channels.json", [channel_object(c) for c in content.CHANNELS])
    dump(OUT_DIR / "groups.json", [channel_object(c) for c in content.PRIVATE_CHANNELS])
    (OUT_DIR / "README.md").write_text(README, encoding="utf-8")

    for ch, msgs in sorted(by_channel.items()):
        days: dict[str, list[dict]] = defaultdict(list)
        for m in msgs:
            days[jst_date(m["ts"])].append(m)
        (OUT_DIR / ch).mkdir(exist_ok=True)
        for day, day_msgs in sorted(days.items()):
            dump(OUT_DIR / ch / f"{day}.json", day_msgs)

    QUESTIONS_FILE.parent.mkdir(parents=True, exist_ok=True)
    threads = {t["key"]: t for t in content.THREADS}
    lines = [
        {"question": q, "channel": threads[k]["channel"], "expected_root_ts": root_ts[k]}
        for k, q in content.EVAL_QUESTIONS
    ]
    lines += [{"question": q, "expected_root_ts": None} for q in content.ABSTAIN_QUESTIONS]
    QUESTIONS_FILE.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")

    entries = []
    for f in content.SAMPLE_FAQ:
        thread = threads[f["thread"]]
        channel_id = slack_id("C0", "channel", thread["channel"])
        entries.append(
            {
                "question": f["question"],
                "answer": f["answer"],
                "tags": f["tags"],
                "source_thread": f"slack:{channel_id}:{root_ts[f['thread']]}",
                "verified_by": f["verified_by"],
                "verified_at": f"{f['verified_at']}T10:00:00+09:00",
                "review_interval_days": f["review_interval_days"],
            }
        )
    dump(FAQ_FILE, entries)


# ---------------------------------------------------------------------------------------------
# Validation (reads back what is on disk)
# ---------------------------------------------------------------------------------------------


def validate(facts: list[dict] | None) -> dict:
    errors: list[str] = []

    def err(msg: str) -> None:
        errors.append(msg)

    users = json.loads((OUT_DIR / "users.json").read_text(encoding="utf-8"))
    public = json.loads((OUT_DIR / "channels.json").read_text(encoding="utf-8"))
    private = json.loads((OUT_DIR / "groups.json").read_text(encoding="utf-8"))
    by_id = {u["id"]: u for u in users}
    humans = [u for u in users if not u["is_bot"]]
    bots = [u for u in users if u["is_bot"]]
    orgs = {u["profile"]["title"].split(" ", 1)[0] for u in humans}
    for u in humans:
        if " " not in u["profile"]["title"] or "@" not in u["profile"].get("email", ""):
            err(f"user {u['name']}: title/email missing")
    bot_ids = {u["profile"]["bot_id"] for u in bots}

    all_ts: Counter[str] = Counter()
    roots: dict[tuple[str, str], dict] = {}
    replies_seen: dict[tuple[str, str], list[dict]] = defaultdict(list)
    stats: Counter[str] = Counter()
    channels = {c["name"]: c for c in public + private}
    if not any(c["is_general"] for c in public):
        err("no general channel")
    for name, c in channels.items():
        folder = OUT_DIR / name
        if not folder.is_dir():
            err(f"channel folder missing: {name}")
            continue
        members = set(c["members"])
        for f in sorted(folder.iterdir()):
            try:
                msgs = json.loads(f.read_text(encoding="utf-8"))
            except json.JSONDecodeError as e:
                err(f"{f}: {e}")
                continue
            for m in msgs:
                ts = m["ts"]
                all_ts[ts] += 1
                stats["messages"] += 1
                if not re.fullmatch(r"\d{10}\.\d{6}", ts):
                    err(f"{name}: bad ts {ts}")
                if jst_date(ts) != f.stem:
                    err(f"{name}: {ts} in day file {f.name}")
                d = datetime.fromtimestamp(float(ts), JST).date()
                if not PERIOD[0] <= d <= PERIOD[1]:
                    err(f"{name}: {ts} outside the period")
                sub = m.get("subtype")
                user = m.get("user")
                if sub == "bot_message":
                    stats["bot_messages"] += 1
                    if m.get("bot_id") not in bot_ids or not by_id.get(user, {}).get("is_bot"):
                        err(f"{name}: bot message {ts} not linked to the bot user")
                    continue
                if sub == "channel_join":
                    stats["channel_joins"] += 1
                    continue
                if sub == "tombstone":
                    if user != "USLACKBOT" or m["text"] != "This message was deleted.":
                        err(f"{name}: bad tombstone {ts}")
                elif user not in by_id or by_id[user]["is_bot"]:
                    err(f"{name}: unknown or bot author {user} at {ts}")
                elif user not in members and not by_id[user]["deleted"]:
                    err(f"{name}: {by_id[user]['name']} posts but is not a member")
                for r in m.get("reactions", []):
                    if r["count"] != len(r["users"]) or any(u not in by_id for u in r["users"]):
                        err(f"{name}: bad reaction on {ts}")
                if "edited" in m:
                    stats["edited"] += 1
                    if float(m["edited"]["ts"]) <= float(ts):
                        err(f"{name}: edit before post at {ts}")
                stats["files"] += len(m.get("files", []))
                thread_ts = m.get("thread_ts")
                if thread_ts is None or thread_ts == ts:
                    roots[(name, ts)] = m
                    if sub == "tombstone" and not m.get("replies"):
                        err(f"{name}: tombstone without replies {ts}")
                else:
                    if "parent_user_id" not in m:
                        err(f"{name}: reply {ts} without parent_user_id")
                    replies_seen[(name, thread_ts)].append(m)

    for ts, n in all_ts.items():
        if n > 1:
            err(f"duplicate ts {ts}")
    for (name, thread_ts), reps in replies_seen.items():
        parent = roots.get((name, thread_ts))
        if parent is None:
            err(f"{name}: reply to missing parent {thread_ts}")
            continue
        reps.sort(key=lambda m: float(m["ts"]))
        expect = [{"user": m["user"], "ts": m["ts"]} for m in reps]
        if parent.get("replies") != expect or parent.get("reply_count") != len(reps):
            err(f"{name}: replies list of {thread_ts} does not match")
        if parent.get("latest_reply") != reps[-1]["ts"]:
            err(f"{name}: latest_reply of {thread_ts}")
        users_order = list(dict.fromkeys(m["user"] for m in reps))
        if parent.get("reply_users") != users_order or parent.get("reply_users_count") != len(users_order):
            err(f"{name}: reply_users of {thread_ts}")
        if parent.get("subtype") != "tombstone" and any(m["parent_user_id"] != parent["user"] for m in reps):
            err(f"{name}: parent_user_id of replies to {thread_ts}")
        if any(float(m["ts"]) <= float(thread_ts) for m in reps):
            err(f"{name}: reply before its parent {thread_ts}")
    for (name, ts), m in roots.items():
        if m.get("reply_count") and (name, ts) not in replies_seen:
            err(f"{name}: {ts} claims replies but none found")

    # Held-out questions.
    lines = [json.loads(x) for x in QUESTIONS_FILE.read_text(encoding="utf-8").splitlines() if x.strip()]
    targeted = [x for x in lines if x["expected_root_ts"] is not None]
    abstain = [x for x in lines if x["expected_root_ts"] is None]
    for x in targeted:
        root = roots.get((x.get("channel"), x["expected_root_ts"]))
        if root is None:
            err(f"question target not a thread root in #{x.get('channel')}: {x['question']}")
        elif not root.get("reply_count") or root.get("subtype") == "tombstone":
            err(f"question target has no answer: {x['question']}")
    if len({x["question"] for x in lines}) != len(lines):
        err("duplicate questions in sample_questions.jsonl")

    summary = {
        "people": len(humans),
        "bots": len(bots),
        "organisations": len(orgs),
        "channels": f"{len(public)} public + {len(private)} private",
        "messages": stats["messages"],
        "bot_messages": stats["bot_messages"],
        "channel_joins": stats["channel_joins"],
        "thread_roots": sum(1 for m in roots.values() if m.get("subtype") not in {"bot_message", "channel_join"}),
        "edited_messages": stats["edited"],
        "files": stats["files"],
        "eval_questions": len(targeted),
        "abstain_questions": len(abstain),
    }
    if facts is not None:
        q = [f for f in facts if f["kind"] == "question" and not f["deleted"]]
        summary.update(
            {
                "threads": len(facts),
                "questions": len(q),
                "answered": sum(f["answered"] for f in q),
                "accepted": sum(f["accepted"] for f in q),
                "accepted_by_reaction": sum(f["accepted_by_reaction"] for f in q),
                "accepted_by_reply": sum(f["solved_reply"] for f in q),
                "self_answered": sum(f["self_answered"] for f in q),
                "unanswered": sum(f["replies"] == 0 for f in q),
                "non_question_roots": sum(f["kind"] != "question" for f in facts),
                "deleted": sum(f["deleted"] for f in facts) + sum(f["deleted_replies"] for f in facts),
                "tombstones": sum(f["deleted"] for f in facts),
            }
        )
        if summary["questions"] < 80:
            err("fewer than 80 question threads")
        if summary["threads"] < 90:
            err("fewer than 90 threads")
    if summary["people"] < 15:
        err("fewer than 15 people")
    if summary["organisations"] < 8:
        err("fewer than 8 organisations")
    if len(targeted) < 40 or len(abstain) < 12:
        err("not enough held-out questions")
    if not private:
        err("no private channel")

    if errors:
        print("\n".join(f"ERROR: {e}" for e in errors), file=sys.stderr)
        raise SystemExit(1)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only validate the files on disk")
    args = parser.parse_args(argv)
    facts = None
    if not args.check:
        by_channel, root_ts, facts = build()
        write(by_channel, root_ts)
    summary = validate(facts)
    print(f"sample community: {OUT_DIR.relative_to(ROOT)}  questions: {QUESTIONS_FILE.relative_to(ROOT)}")
    for k, v in summary.items():
        print(f"  {k:22} {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
