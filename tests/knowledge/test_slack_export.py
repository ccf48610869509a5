"""The Slack export importer: text conversion, both export layouts, ZIP or folder, bad input, the real engine."""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from knowledge import events as ev
from knowledge.base import KnowledgeBase
from knowledge.errors import ImportFailed
from knowledge.importers.slack_export import ImportReport, message_text, read_slack_export, to_plain_text
from knowledge.model import Visibility
from tests.fakes import FakeEmbedder

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared"
EXPORTS = SHARED / "reference" / "slack" / "exports"
HOUSTON = EXPORTS / "houstondatavis"
TESTARCHIVE = EXPORTS / "slack-export-viewer-testarchive" / "testarchive.zip"
SAMPLE_COMMUNITY = REPO / "knowledge" / "data" / "sample_community"

# Content subtypes of the 2016 reference exports; everything else there is a system message or a bot.
CONTENT_2016 = {None, "file_share", "file_comment"}


def read_all(path: Path, **kwargs: Any) -> tuple[list[ev.Event], ImportReport]:
    report = ImportReport()
    return list(read_slack_export(path, report=report, **kwargs)), report


def of_type(events: list[ev.Event], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def posted(events: list[ev.Event]) -> dict[str, ev.MessagePosted]:
    return {e.message_id: e for e in of_type(events, ev.MessagePosted)}


def needs_reference(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"reference export {path} is absent (the shared reference folder sits beside the repository)")


def zip_folder(folder: Path, target: Path, *, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, prefix + file.relative_to(folder).as_posix())
    return target


# --- a current-layout export, modelled on what Slack writes today --------------------------------

TEAM = "T01AOBA"
SATO, KATO, ITO, REMINDER, GUEST = "U01SATO", "U01KATO", "U01ITO", "U01REMIND", "U01GUEST"
PARENT_TS, REPLY_TS, THANKS_TS = "1744592400.123456", "1744593300.000200", "1744596000.000300"
BROADCAST_TS = "1744682400.000100"
TOMBSTONE_TS, ORPHAN_TS, FILE_TS = "1744686000.000400", "1744687800.000500", "1744690000.000600"


def user(uid: str, name: str, real: str, display: str, title: str = "", **extra: Any) -> dict[str, Any]:
    profile = {
        "title": title,
        "real_name": real,
        "real_name_normalized": real,
        "display_name": display,
        "display_name_normalized": display,
        "email": f"{name}@city.aoba.example.lg.jp",
        "team": TEAM,
    }
    return {
        "id": uid,
        "team_id": TEAM,
        "name": name,
        "deleted": extra.pop("deleted", False),
        "real_name": real,
        "tz": "Asia/Tokyo",
        "profile": profile,
        "is_bot": extra.pop("is_bot", False),
        "is_app_user": False,
        **extra,
    }


def msg(uid: str, ts: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "client_msg_id": f"msg-{ts}",
        "type": "message",
        "text": text,
        "user": uid,
        "ts": ts,
        "team": TEAM,
        "user_profile": {"real_name": "ignored", "display_name": "ignored", "name": "ignored", "team": TEAM},
        **extra,
    }


def conversation(cid: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "name": name,
        "created": 1743465600,
        "creator": SATO,
        "is_archived": False,
        "is_general": False,
        "members": [SATO, KATO, ITO],
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        **extra,
    }


def modern_export(root: Path, *, with_files: bool = True) -> Path:
    """A small current-layout export: threads, a tombstone, a private channel, a DM and a group DM."""
    spec = {
        "name": "端末更新_仕様書.xlsx",
        "title": "端末更新 仕様書",
        "mode": "hosted",
        "id": "F01SPEC",
        "permalink": "https://aoba-jichitai.slack.com/files/U01SATO/F01SPEC/端末更新_仕様書.xlsx",
    }
    q_and_a_day1 = [
        {
            "type": "message",
            "subtype": "channel_join",
            "ts": "1744590000.000100",
            "user": KATO,
            "text": f"<@{KATO}> さんがチャンネルに参加しました",
        },
        msg(
            KATO,
            PARENT_TS,
            f"西野村の加藤です。<@{SATO}> さん、人事異動のときの &lt;共有フォルダ&gt; の"
            "アクセス権はどう管理していますか？ 参考: <https://www.soumu.go.jp/|総務省ガイドライン>",
            thread_ts=PARENT_TS,
            reply_count=3,
            reply_users_count=2,
            latest_reply=BROADCAST_TS,
            reply_users=[SATO, ITO],
            replies=[
                {"user": SATO, "ts": REPLY_TS},
                {"user": KATO, "ts": THANKS_TS},
                {"user": ITO, "ts": BROADCAST_TS},
            ],
            edited={"user": KATO, "ts": "1744592700.000000"},
            blocks=[{"type": "rich_text", "block_id": "b1", "elements": []}],
        ),
        msg(
            SATO,
            REPLY_TS,
            "青葉市の佐藤です。ADのグループ単位で付与して、内示が出たらグループを入れ替えています。",
            thread_ts=PARENT_TS,
            parent_user_id=KATO,
            reactions=[
                {"name": "white_check_mark", "users": [KATO], "count": 1},
                {"name": "+1::skin-tone-2", "users": [ITO, KATO], "count": 2},
            ],
        ),
        msg(KATO, THANKS_TS, "ありがとうございます、解決しました！", thread_ts=PARENT_TS, parent_user_id=KATO),
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B01REMIND",
            "username": "定例リマインダー",
            "text": "【リマインド】情報交換会は明日です",
            "ts": "1744597000.000100",
        },
    ]
    q_and_a_day2 = [
        msg(
            ITO,
            BROADCAST_TS,
            "北山市も同じ運用です。",
            subtype="thread_broadcast",
            thread_ts=PARENT_TS,
            root={"text": "…", "user": KATO, "ts": PARENT_TS, "thread_ts": PARENT_TS},
        ),
        {
            "type": "message",
            "subtype": "tombstone",
            "text": "This message was deleted.",
            "user": "USLACKBOT",
            "hidden": True,
            "ts": TOMBSTONE_TS,
            "thread_ts": TOMBSTONE_TS,
            "reply_count": 1,
            "reply_users": [SATO],
            "replies": [{"user": SATO, "ts": ORPHAN_TS}],
            "latest_reply": ORPHAN_TS,
        },
        msg(SATO, ORPHAN_TS, "DHCPのスコープが枯渇していませんか？", thread_ts=TOMBSTONE_TS, parent_user_id=KATO),
        msg(SATO, FILE_TS, "", files=[spec] if with_files else [], upload=True, display_as_bot=False),
        msg(
            GUEST,
            "1744691000.000700",
            "県外から参加しています。<!here> よろしくお願いします",
            user_profile={"real_name": "山田 太郎", "display_name": "山田＠県外", "name": "yamada.taro"},
        ),
        msg(ITO, "1744692000.000800", "メモです", files=[{"id": "F01GONE", "mode": "hidden_by_limit"}]),
        msg(ITO, "1744693000.000900", "", attachments=[{"fallback": "link preview only"}]),
        {"type": "message", "user": "USLACKBOT", "text": "リマインダー: 棚卸し", "ts": "1744694000.001000"},
    ]
    files: dict[str, Any] = {
        "channels.json": [
            conversation("C01GENERAL", "general", is_general=True),
            conversation("C01QANDA", "q-and-a"),
            conversation("C01OLD", "old-project", is_archived=True),
        ],
        "groups.json": [conversation("C01CISO", "ciso-private")],
        "mpims.json": [conversation("G01MPDM", "mpdm-sato.kenichi--kato.masaki--ito.daisuke-1", is_mpim=True)],
        "dms.json": [{"id": "D01SATOKATO", "created": 1743465600, "members": [SATO, KATO]}],
        "users.json": [
            user(SATO, "sato.kenichi", "佐藤 健一", "佐藤健一_青葉市", "青葉市 情報政策課"),
            user(KATO, "kato.masaki", "加藤 正樹", "", "  "),
            user(ITO, "ito.daisuke", "伊藤 大輔", "伊藤 大輔／北山市", "北山市 情報管理課", deleted=True),
            user(REMINDER, "teirei-reminder", "定例リマインダー", "定例リマインダー", is_bot=True),
            user("USLACKBOT", "slackbot", "Slackbot", "Slackbot"),
        ],
        "integration_logs.json": [],
        "general/2025-04-14.json": [
            {
                "type": "message",
                "subtype": "channel_topic",
                "user": SATO,
                "ts": "1744588800.000100",
                "text": f"<@{SATO}> がチャンネルトピックを設定しました: お知らせ",
                "topic": "お知らせ",
            },
            {
                "type": "message",
                "subtype": "channel_purpose",
                "user": SATO,
                "ts": "1744588900.000100",
                "text": "目的を設定しました",
                "purpose": "全体",
            },
            msg(SATO, "1744589000.000100", "4月の情報交換会は <#C01QANDA|q-and-a> で議題を募集します &amp; 資料は後日"),
        ],
        "q-and-a/2025-04-14.json": q_and_a_day1,
        "q-and-a/2025-04-15.json": q_and_a_day2,
        "ciso-private/2025-06-02.json": [msg(SATO, "1748826000.000100", "監査指摘への対応を相談させてください。")],
        "mpdm-sato.kenichi--kato.masaki--ito.daisuke-1/2025-06-03.json": [msg(ITO, "1748912400.000100", "相談です")],
        "D01SATOKATO/2025-06-04.json": [msg(KATO, "1748998800.000100", "個別に質問させてください")],
    }
    for name, data in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return root


@pytest.fixture
def modern(tmp_path: Path) -> Path:
    return modern_export(tmp_path / "export")


# --- text conversion ---------------------------------------------------------------------------------

USERS = {"U123": "佐藤健一_青葉市"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A person stays a reference, named when shown through the opt-out rule (knowledge.mentions).
        ("<@U123> さん", "<@U123> さん"),
        ("<@U999> さん", "<@U999> さん"),
        ("<@U999|kato> さん", "<@U999> さん"),
        ("<#C123|general> へ", "#general へ"),
        ("<#C777> へ", "#q-and-a へ"),
        ("<#C888> へ", "#C888 へ"),
        ("<!here> 集合", "@here 集合"),
        ("<!channel>", "@channel"),
        ("<!everyone>", "@everyone"),
        ("<!here|@here>", "@here"),
        ("<!subteam^S01|@jyoho-tanto> 各位", "@jyoho-tanto 各位"),
        ("<!date^1392734382^{date_short}|2014年2月18日> 締切", "2014年2月18日 締切"),
        ("<https://www.soumu.go.jp/|総務省>", "総務省 (https://www.soumu.go.jp/)"),
        ("<https://www.soumu.go.jp/>", "https://www.soumu.go.jp/"),
        ("<http://example.jp|example.jp>", "http://example.jp"),
        ("<mailto:sato@city.aoba.example.lg.jp|sato@city.aoba.example.lg.jp>", "sato@city.aoba.example.lg.jp"),
        ("<https://x.example/?a=1&amp;b=2|A &amp; B>", "A & B (https://x.example/?a=1&b=2)"),
        ("a &lt; b &gt; c &amp; d &amp;lt;", "a < b > c & d &lt;"),
        ("普通の文章です。", "普通の文章です。"),
        ("", ""),
    ],
)
def test_to_plain_text(text: str, expected: str) -> None:
    assert to_plain_text(text, USERS, {"C777": "q-and-a"}) == expected


def test_message_text_names_files_and_keeps_file_only_messages() -> None:
    files = [{"name": "spec.xlsx", "title": "仕様書"}, {"title": "議事録"}, {"id": "F1", "mode": "tombstone"}]
    assert message_text({"text": "仕様書です", "files": files}, {}, {}) == "仕様書です\n[添付: spec.xlsx, 議事録]"
    assert message_text({"text": "", "files": files[:1]}, {}, {}) == "[添付: spec.xlsx]"


def test_message_text_2016_file_share_keeps_only_the_comment() -> None:
    message = {
        "subtype": "file_share",
        "text": "<@U1|javier> uploaded a file: <https://x.slack.com/files/F1/a.png|Map> and commented: nice &amp; big",
        "file": {"name": "a.png", "title": "Map"},
    }
    assert message_text(message, {}, {}) == "nice & big\n[添付: a.png]"


# --- the current layout ----------------------------------------------------------------------------


def test_modern_export_channels_people_and_visibility(modern: Path) -> None:
    events, report = read_all(modern)
    channels = {e.channel_id: e for e in of_type(events, ev.ChannelSeen)}
    assert {cid: (c.name, c.visibility, c.archived) for cid, c in channels.items()} == {
        "C01GENERAL": ("general", Visibility.PUBLIC, False),
        "C01QANDA": ("q-and-a", Visibility.PUBLIC, False),
        "C01OLD": ("old-project", Visibility.PUBLIC, True),
        "C01CISO": ("ciso-private", Visibility.PRIVATE, False),
        "G01MPDM": ("mpdm-sato.kenichi--kato.masaki--ito.daisuke-1", Visibility.DM, False),
        "D01SATOKATO": ("D01SATOKATO", Visibility.DM, False),
    }
    people = {e.person_id: e for e in of_type(events, ev.PersonSeen)}
    assert people[SATO] == ev.PersonSeen(
        "slack", SATO, "佐藤健一_青葉市", "青葉市 情報政策課", "sato.kenichi@city.aoba.example.lg.jp", False
    )
    assert (people[KATO].display_name, people[KATO].organization) == ("加藤 正樹", None)
    assert people[REMINDER].is_bot and people["USLACKBOT"].is_bot and not people[ITO].is_bot
    # Someone missing from users.json is known from the profile Slack embeds in their message.
    assert (people[GUEST].display_name, people[GUEST].organization, people[GUEST].email) == ("山田＠県外", None, None)
    assert (report.channels, report.people) == (6, 6)
    # Channels and the people of users.json come before any message.
    first_message = next(i for i, e in enumerate(events) if isinstance(e, ev.MessagePosted))
    assert {type(e) for e in events[:first_message]} == {ev.ChannelSeen, ev.PersonSeen}
    assert len(events[:first_message]) == 6 + 5


def test_modern_export_messages_threads_and_skips(modern: Path) -> None:
    events, report = read_all(modern)
    messages = posted(events)
    parent = messages[PARENT_TS]
    assert parent.is_root and parent.channel_id == "C01QANDA" and parent.author_id == KATO
    assert parent.text == (
        f"西野村の加藤です。<@{SATO}> さん、人事異動のときの <共有フォルダ> の"
        "アクセス権はどう管理していますか？ 参考: 総務省ガイドライン (https://www.soumu.go.jp/)"
    )
    assert parent.posted_at == datetime(2025, 4, 14, 1, 0, 0, 123456, tzinfo=UTC)
    assert parent.edited_at == datetime(2025, 4, 14, 1, 5, tzinfo=UTC)
    for ts in (REPLY_TS, THANKS_TS, BROADCAST_TS):
        assert messages[ts].thread_id == PARENT_TS
    assert messages[REPLY_TS].edited_at is None
    # A deleted parent is not yielded; its reply is, so the engine keeps the thread hidden.
    assert TOMBSTONE_TS not in messages and messages[ORPHAN_TS].thread_id == TOMBSTONE_TS
    assert messages[FILE_TS].text == "[添付: 端末更新_仕様書.xlsx]"
    assert messages["1744692000.000800"].text == "メモです"
    assert messages["1744691000.000700"].text == "県外から参加しています。@here よろしくお願いします"
    assert messages["1744589000.000100"].text == "4月の情報交換会は #q-and-a で議題を募集します & 資料は後日"
    assert {m.channel_id for m in messages.values()} >= {"C01CISO", "G01MPDM", "D01SATOKATO"}
    assert not any(m.is_bot for m in messages.values())
    assert report.skipped == {
        "channel_join": 1,
        "channel_topic": 1,
        "channel_purpose": 1,
        "bot": 2,
        "tombstone": 1,
        "empty": 1,
    }
    assert (report.messages, report.replies, report.files_seen, report.days) == (12, 4, 2, 6)
    assert report.unlisted_folders == []


def test_modern_export_reactions_follow_their_message(modern: Path) -> None:
    events, report = read_all(modern)
    reactions = of_type(events, ev.ReactionChanged)
    assert [(r.message_id, r.person_id, r.reaction, r.added) for r in reactions] == [
        (REPLY_TS, KATO, "white_check_mark", True),
        (REPLY_TS, ITO, "+1::skin-tone-2", True),
        (REPLY_TS, KATO, "+1::skin-tone-2", True),
    ]
    index = events.index(posted(events)[REPLY_TS])
    assert events[index + 1 : index + 4] == reactions
    assert report.reactions == 3


def test_permalinks_come_from_the_exports_own_host_or_the_callers_domain(modern: Path, tmp_path: Path) -> None:
    messages = posted(read_all(modern)[0])
    assert messages[PARENT_TS].url == "https://aoba-jichitai.slack.com/archives/C01QANDA/p1744592400123456"
    assert messages[REPLY_TS].url == (
        "https://aoba-jichitai.slack.com/archives/C01QANDA/p1744593300000200?thread_ts=1744592400.123456&cid=C01QANDA"
    )
    plain = modern_export(tmp_path / "no-files", with_files=False)
    events, report = read_all(plain)
    assert report.workspace_host is None
    assert all(m.url is None for m in posted(events).values())
    given = posted(read_all(plain, workspace_domain="aoba-jichitai")[0])
    assert given[PARENT_TS].url == "https://aoba-jichitai.slack.com/archives/C01QANDA/p1744592400123456"


def test_progress_is_reported_per_day_file(modern: Path) -> None:
    calls: list[tuple[int, int]] = []
    list(read_slack_export(modern, on_progress=lambda done, total: calls.append((done, total))))
    assert calls == [(i, 6) for i in range(1, 7)]


def test_zip_and_folder_give_identical_events(modern: Path, tmp_path: Path) -> None:
    from_folder = read_all(modern)[0]
    assert read_all(zip_folder(modern, tmp_path / "export.zip"))[0] == from_folder
    # A zipped folder (what "compress" does on a desktop) has the export one level down.
    assert read_all(zip_folder(modern, tmp_path / "nested.zip", prefix="Aoba export/"))[0] == from_folder


def test_zip_without_utf8_flag_keeps_japanese_folder_names(tmp_path: Path) -> None:
    class LegacyNameInfo(zipfile.ZipInfo):
        """An archiver that writes UTF-8 names without setting the UTF-8 flag."""

        def _encodeFilenameFlags(self) -> tuple[bytes, int]:
            return self.filename.encode("utf-8"), self.flag_bits & ~0x800

    channels = [{"id": "C01SHITSUMON", "name": "質問箱"}]
    day = [{"type": "message", "user": SATO, "text": "質問です", "ts": "1744592400.000100"}]
    target = tmp_path / "legacy.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in (("channels.json", channels), ("質問箱/2025-04-14.json", day)):
            archive.writestr(LegacyNameInfo(name), json.dumps(data, ensure_ascii=False))
    events, report = read_all(target)
    assert [m.text for m in of_type(events, ev.MessagePosted)] == ["質問です"]
    assert report.unlisted_folders == []


def test_reading_twice_gives_the_same_events(modern: Path) -> None:
    assert read_all(modern)[0] == read_all(modern)[0]


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('[{"type": "message", ', "q-and-a/2025-04-14.json: not valid JSON"),
        ('{"messages": []}', "q-and-a/2025-04-14.json: expected a list of messages, found an object"),
        ('["hello"]', "q-and-a/2025-04-14.json: message 1 is a string, not an object"),
        (b"\xff\xfe\x00[", "q-and-a/2025-04-14.json: not valid JSON"),
    ],
)
def test_malformed_day_file_names_the_file(modern: Path, tmp_path: Path, content: str | bytes, expected: str) -> None:
    day = modern / "q-and-a" / "2025-04-14.json"
    day.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ImportFailed, match=expected.replace(".", r"\.")):
        list(read_slack_export(modern))
    with pytest.raises(ImportFailed, match=r"q-and-a/2025-04-14\.json"):
        list(read_slack_export(zip_folder(modern, tmp_path / "bad.zip")))


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("channels.json", "{}", "channels.json: expected a list, found an object"),
        ("channels.json", '[{"name": "general"}]', "channels.json: entry 1 has no id"),
        ("users.json", "[1]", "users.json: entry 1 has no id"),
        ("groups.json", "not json", "groups.json: not valid JSON"),
    ],
)
def test_malformed_listing_fails_before_any_event(modern: Path, name: str, content: str, expected: str) -> None:
    (modern / name).write_text(content)
    with pytest.raises(ImportFailed, match=expected.replace(".", r"\.")):
        read_slack_export(modern)


def test_paths_that_are_not_exports(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="no such file or folder"):
        read_slack_export(tmp_path / "missing.zip")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImportFailed, match=r"not a Slack export \(no channels\.json"):
        read_slack_export(tmp_path / "empty")
    garbage = tmp_path / "export.zip"
    garbage.write_bytes(b"this is not a zip file at all")
    with pytest.raises(ImportFailed, match="not a readable ZIP file"):
        read_slack_export(garbage)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("report.csv", "a,b\n")
    with pytest.raises(ImportFailed, match="not a Slack export"):
        read_slack_export(other)


def test_truncated_and_corrupted_zips(modern: Path, tmp_path: Path) -> None:
    whole = zip_folder(modern, tmp_path / "export.zip").read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ImportFailed, match="not a readable ZIP file"):
        read_slack_export(truncated)
    corrupted = tmp_path / "corrupted.zip"
    with zipfile.ZipFile(corrupted, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("channels.json", json.dumps([{"id": "C1", "name": "general"}]))
        archive.writestr("general/2025-04-14.json", json.dumps([{"type": "message", "text": "CORRUPT ME"}]))
    data = corrupted.read_bytes()
    corrupted.write_bytes(data.replace(b"CORRUPT ME", b"CORRUPT MX"))
    with pytest.raises(ImportFailed, match=r"general/2025-04-14\.json: cannot be read"):
        list(read_slack_export(corrupted))


def test_odd_messages_are_skipped_not_fatal(tmp_path: Path) -> None:
    root = tmp_path / "odd"
    (root / "general").mkdir(parents=True)
    (root / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general"}]))
    day = [
        {"type": "message", "text": "no ts"},
        {"type": "message", "text": "number ts", "ts": 1744592400.0001},
        {"type": "message", "text": "bad ts", "ts": "yesterday"},
        {"type": "message", "text": None, "ts": "1744592400.000100", "reactions": "lots", "edited": "yes"},
        {"type": "message", "text": "ok", "ts": "1744592401.000100", "thread_ts": 5, "reactions": [{"users": None}]},
    ]
    (root / "general" / "2025-04-14.json").write_text(json.dumps(day))
    (root / "stray").mkdir()
    (root / "stray" / "2025-04-14.json").write_text("[]")
    events, report = read_all(root)
    assert [(m.message_id, m.text, m.author_id, m.thread_id) for m in of_type(events, ev.MessagePosted)] == [
        ("1744592401.000100", "ok", None, None)
    ]
    assert report.skipped == {"bad-ts": 3, "empty": 1}
    assert report.unlisted_folders == ["stray"]


# --- the reference exports (2016 layout) -----------------------------------------------------------


def independent_counts(root: Path) -> dict[str, Any]:
    """What an import of a 2016 export should yield, counted straight from its files."""
    content = edited = reactions = files = 0
    skipped: Counter[str] = Counter()
    for day in sorted(root.glob("*/*.json")):
        for m in json.loads(day.read_text(encoding="utf-8")):
            subtype = m.get("subtype")
            if subtype == "bot_message" or (subtype in CONTENT_2016 and m.get("bot_id")):
                skipped["bot"] += 1
            elif subtype not in CONTENT_2016:
                skipped[subtype] += 1
            else:
                content += 1
                edited += "edited" in m
                files += "file" in m
                reactions += sum(len(r["users"]) for r in m.get("reactions", []))
    return {
        "channels": len(json.loads((root / "channels.json").read_text())),
        "people": len(json.loads((root / "users.json").read_text())),
        "messages": content,
        "edited": edited,
        "reactions": reactions,
        "files": files,
        "skipped": dict(skipped),
        "days": len(list(root.glob("*/*.json"))),
    }


def check_2016_import(root: Path, events: list[ev.Event], report: ImportReport, total_messages: int) -> None:
    expected = independent_counts(root)
    messages = of_type(events, ev.MessagePosted)
    assert report.channels == len(of_type(events, ev.ChannelSeen)) == expected["channels"]
    assert report.people == len(of_type(events, ev.PersonSeen)) == expected["people"]
    assert report.messages == len(messages) == expected["messages"]
    assert report.skipped == expected["skipped"]
    assert report.messages + sum(report.skipped.values()) == total_messages
    assert report.replies == 0 and all(m.is_root for m in messages)
    assert sum(m.edited_at is not None for m in messages) == expected["edited"]
    assert report.reactions == len(of_type(events, ev.ReactionChanged)) == expected["reactions"]
    assert report.files_seen == expected["files"]
    assert report.days == expected["days"]
    assert all(m.posted_at.tzinfo is UTC and m.text for m in messages)


def test_houstondatavis_export(tmp_path: Path) -> None:
    needs_reference(HOUSTON)
    events, report = read_all(HOUSTON)
    # SOURCE.txt: 16 channels, 1,382 messages.
    check_2016_import(HOUSTON, events, report, total_messages=1382)
    assert report.skipped["channel_join"] == 320 and report.skipped["pinned_item"] == 1
    messages = posted(events)
    names = {p.person_id: p.display_name for p in of_type(events, ev.PersonSeen)}
    edited = messages["1437705127.000003"]
    assert edited.text == "keep us posted <@U061A5N1G> :-)"  # a reference, named when shown
    assert names["U061A5N1G"] == "Neeraj Tandon"  # whom the export's users.json lets Yorozu name
    assert edited.edited_at == datetime(2015, 7, 24, 2, 32, 18, tzinfo=UTC)
    assert ev.ReactionChanged("slack", "C061A0WJG", "1446567461.000002", "U061A1R2R", "clap::skin-tone-3") in events
    # As of 2016, a file comment has no "user": the commenter is comment.user.
    comments = [m for m in messages.values() if m.text.startswith("Tim, this looks fantastic")]
    assert [(c.author_id, c.text) for c in comments] == [
        ("U061A5N1G", "Tim, this looks fantastic\n[添付: avg_price_by_county_NY-region.png]")
    ]
    assert {c.archived for c in of_type(events, ev.ChannelSeen)} == {True, False}
    assert report.workspace_host == "houstondatavis.slack.com"
    assert edited.url == "https://houstondatavis.slack.com/archives/C061A0WJG/p1437705127000003"


def test_testarchive_zip_matches_its_folder(tmp_path: Path) -> None:
    needs_reference(TESTARCHIVE)
    folder = tmp_path / "testarchive"
    with zipfile.ZipFile(TESTARCHIVE) as archive:
        archive.extractall(folder)
    events, report = read_all(TESTARCHIVE)
    # SOURCE.txt: 158 messages, 94 of them from integrations (bot_message).
    check_2016_import(folder, events, report, total_messages=158)
    assert report.skipped["bot"] == 94
    assert read_all(folder)[0] == events
    people = {p.person_id: p for p in of_type(events, ev.PersonSeen)}
    assert people["U0BMS113R"].organization == "Eat Monkeys"


# --- the sample community ------------------------------------------------------------------------------


def test_sample_community_imports(tmp_path: Path) -> None:
    if not (SAMPLE_COMMUNITY / "channels.json").is_file():
        pytest.skip(f"the sample community export is not built yet ({SAMPLE_COMMUNITY}/channels.json is absent)")
    events, report = read_all(SAMPLE_COMMUNITY)
    private_ids = {g["id"] for g in json.loads((SAMPLE_COMMUNITY / "groups.json").read_text(encoding="utf-8"))}
    assert private_ids, "the sample community has a private channel"
    channels = {c.channel_id: c for c in of_type(events, ev.ChannelSeen)}
    assert all(channels[cid].visibility is Visibility.PRIVATE for cid in private_ids)
    raw = [m for day in sorted(SAMPLE_COMMUNITY.glob("*/*.json")) for m in json.loads(day.read_text(encoding="utf-8"))]
    tombstones = {m["ts"] for m in raw if m.get("subtype") == "tombstone"}
    messages = posted(events)
    assert tombstones and not tombstones & set(messages)
    assert any(m.thread_id in tombstones for m in messages.values()), "replies to deleted roots are kept"
    assert report.replies > 0 and any(m.channel_id in private_ids for m in messages.values())
    assert report.skipped.get("tombstone") == len(tombstones)
    _, stats = ingest_twice(SAMPLE_COMMUNITY, tmp_path)
    assert stats.channels == len(channels) and stats.messages == report.messages


# --- through the real engine -----------------------------------------------------------------------


def ingest_twice(path: Path, tmp_path: Path) -> tuple[ImportReport, Any]:
    url = f"sqlite:///{tmp_path}/kb.sqlite3"
    kb = KnowledgeBase.open(database_url=url, embedder=FakeEmbedder(), index_dir=tmp_path)
    try:
        report = ImportReport()
        changed, unchanged = kb.ingest_many(read_slack_export(path, report=report))
        assert changed > 0
        first = kb.stats()
        assert kb.ingest_many(read_slack_export(path)) == (0, changed + unchanged)
        assert kb.stats() == first
        return report, first
    finally:
        kb.close()


def test_importing_twice_changes_nothing(modern: Path, tmp_path: Path) -> None:
    report, stats = ingest_twice(modern, tmp_path)
    assert stats.channels == report.channels == 6
    assert stats.messages == report.messages
    assert stats.people == 4  # the bot user and Slackbot are not counted
    # Roots: the parent, the general post, the file, the guest, the memo, one each in private, group DM and DM.
    # The tombstone's thread stays hidden.
    assert stats.threads == 8
    assert stats.accepted == 1


def test_reference_export_through_the_engine(tmp_path: Path) -> None:
    needs_reference(TESTARCHIVE)
    _, stats = ingest_twice(TESTARCHIVE, tmp_path)
    assert (stats.channels, stats.people, stats.messages, stats.threads) == (2, 4, 53, 53)
