"""Read a Slack workspace export (a ZIP file or its unzipped folder) as knowledge events.

Two layouts are understood by the same code:

* The current one: ``channels.json``, ``users.json`` and, in exports that include them, ``groups.json``
  (private channels), ``mpims.json`` (group DMs) and ``dms.json`` (DMs). Each conversation has a folder of
  ``YYYY-MM-DD.json`` day files; channels, private channels and group DMs are named by their name, DMs by
  their id. A thread parent has ``thread_ts == ts``; a reply has ``thread_ts != ts`` and sits in the day
  file of its own date. A deleted parent that still has replies remains as ``subtype: "tombstone"``.
* The 2016 one: ``channels.json``, ``users.json`` and ``integration_logs.json`` (ignored: it lists
  integrations, not messages), no ``thread_ts`` (threads came in 2017), a single ``file`` per message
  instead of ``files[]``, and file comments as messages of their own.

An export holds every message once, with its latest text, so the events are ``ChannelSeen`` and
``PersonSeen`` first, then ``MessagePosted`` (edited ones carry ``edited_at``) each followed by one
``ReactionChanged`` per person and reaction. The events depend only on the export, so importing it twice
changes nothing.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from knowledge import events as ev
from knowledge import mentions
from knowledge.errors import ImportFailed
from knowledge.importers.slack_archive import SlackArchive, open_archive
from knowledge.model import Visibility

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]
ProgressCallback = Callable[[int, int], None]

# Subtypes that carry what a person wrote. Everything else (joins, leaves, topic/purpose/name changes,
# archive notices, pins, bot_add, huddles, ...) is the platform talking and is skipped by its subtype name.
CONTENT_SUBTYPES = frozenset({"", "thread_broadcast", "file_share", "me_message", "file_comment"})
SLACKBOT = "USLACKBOT"
ATTACHMENT_LABEL = "添付"

_DAY_FILE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
_TOKEN_RE = re.compile(r"<([^<>]*)>")
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# As of 2016 exports, a file_share's text is a system line around the uploader's comment:
# "<@U061A3E0G|javier> uploaded a file: <https://…/files/…|Fritz.jpg> and commented: …".
_LEGACY_FILE_SHARE_RE = re.compile(r"^<@[^>]+> (?:uploaded|shared) a file: <[^>]*>(?: and commented: )?")
# A file's permalink names the workspace's own host; message permalinks live on the same host.
_FILE_PERMALINK_RE = re.compile(r"^https://([a-z0-9][a-z0-9-]*(?:\.enterprise)?\.slack\.com)/files/")


@dataclass
class ImportReport:
    """What an import read.

    ``people`` counts users.json's people plus those known only from a profile embedded in their message;
    ``messages`` counts every ``MessagePosted`` yielded, ``replies`` the thread replies among them;
    ``skipped`` counts messages left out by reason (a system subtype's name, ``"bot"``, ``"tombstone"``,
    ``"empty"``, ``"bad-ts"``); ``files_seen`` counts file references on imported messages; ``days`` the
    day files read.
    """

    channels: int = 0
    people: int = 0
    messages: int = 0
    replies: int = 0
    reactions: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    files_seen: int = 0
    days: int = 0
    workspace_host: str | None = None
    unlisted_folders: list[str] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def read_slack_export(
    path: Path,
    *,
    platform: str = "slack",
    workspace_domain: str | None = None,
    on_progress: ProgressCallback | None = None,
    report: ImportReport | None = None,
) -> Iterator[ev.Event]:
    """Events for everything in the Slack export at ``path`` (a ZIP file or an unzipped folder).

    The export's shape is checked at once: a path that is not a readable export raises
    :class:`~knowledge.errors.ImportFailed` before anything is yielded. A malformed day file raises
    ``ImportFailed`` naming the file when it is reached (events before it were already yielded; importing
    again after fixing it is safe).

    ``workspace_domain`` (``"aoba-jichitai"`` or ``"aoba-jichitai.slack.com"``) gives messages a permalink;
    without it the host is taken from the export's own file permalinks (day files are read ahead up to the
    first file), and messages get no URL when the export has none. ``on_progress(done, total)`` is called
    after each day file. ``report``, when given, is filled in while the events are consumed.
    """
    with open_archive(path) as export:
        meta = _read_metadata(export)
    return _events(
        path,
        meta,
        platform=platform,
        workspace_domain=workspace_domain,
        on_progress=on_progress,
        report=report if report is not None else ImportReport(),
    )


# --- text ----------------------------------------------------------------------------------------


def to_plain_text(text: str, users: Mapping[str, str], channels: Mapping[str, str] | None = None) -> str:
    """Slack's message markup as plain text people would search for.

    A mention of a person (``<@U123>``, ``<@U123|name>``) stays a reference, ``<@U123>``: the name is
    read when the text is shown, through the opt-out rule (:mod:`knowledge.mentions`); ``users`` is
    not used for it. ``<#C123|general>`` becomes ``#general``, ``<!here>`` ``@here``, ``<http://x|label>`` ``label (http://x)``,
    ``<http://x>`` ``http://x``; ``&lt; &gt; &amp;`` are unescaped (Slack escapes only these three).
    """
    out: list[str] = []
    end = 0
    for match in _TOKEN_RE.finditer(text):
        out.append(_unescape(text[end : match.start()]))
        out.append(_render_token(match.group(1), users, channels or {}))
        end = match.end()
    out.append(_unescape(text[end:]))
    return "".join(out)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _render_token(token: str, users: Mapping[str, str], channels: Mapping[str, str]) -> str:
    target, _, label = token.partition("|")
    target, label = _unescape(target), _unescape(label)
    if target.startswith("@"):
        person = target[1:].strip()
        return mentions.reference(person) if person else "@" + label
    if target.startswith("#"):
        return "#" + (label or channels.get(target[1:], target[1:]))
    if target.startswith("!"):
        return _render_special(target[1:], label)
    if _SCHEME_RE.match(target):
        return _render_link(target, label)
    # Not markup Slack writes: keep what the person typed.
    return f"<{token}>"


def _render_special(command: str, label: str) -> str:
    """``<!here>``, ``<!channel>``, ``<!everyone>``, ``<!subteam^S1|@team>``, ``<!date^…|fallback>``."""
    if label:
        return label if label.startswith("@") or command.startswith("date") else "@" + label
    return "@" + command.split("^", 1)[0]


def _render_link(url: str, label: str) -> str:
    bare = url.split(":", 1)[1].lstrip("/")
    shown = bare if url.startswith(("mailto:", "tel:")) else url
    # Slack links bare addresses itself ("example.com" -> <http://example.com|example.com>): say it once.
    if not label or label in (url, bare):
        return shown
    return f"{label} ({shown})"


def message_text(message: JsonObject, users: Mapping[str, str], channels: Mapping[str, str]) -> str:
    """The searchable text of an export message: its text as plain text plus a line naming its files."""
    body = _string(message.get("text"))
    if message.get("subtype") == "file_comment":
        # As of 2016 exports, a comment on a file is a message of its own; its words are in comment.comment.
        body = _string(_object(message.get("comment")).get("comment"))
    elif message.get("subtype") == "file_share":
        body = _LEGACY_FILE_SHARE_RE.sub("", body, count=1)
    plain = to_plain_text(body, users, channels).strip()
    names = [name for name in (_file_name(f) for f in _files(message)) if name]
    if names:
        plain = f"{plain}\n[{ATTACHMENT_LABEL}: {', '.join(names)}]".lstrip("\n")
    return plain


def _files(message: JsonObject) -> list[JsonObject]:
    # As of 2016 exports a message has one "file"; current exports have "files": [...].
    files = message.get("files")
    if isinstance(files, list):
        return [f for f in files if isinstance(f, dict)]
    single = message.get("file")
    return [single] if isinstance(single, dict) else []


def _file_name(file: JsonObject) -> str:
    # Files deleted since, or beyond a free plan's limit, stay as {"id", "mode": "tombstone"/"hidden_by_limit"}.
    return _string(file.get("name")).strip() or _string(file.get("title")).strip()


# --- people and conversations ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Conversation:
    id: str
    name: str
    visibility: Visibility
    archived: bool
    folder: str | None


@dataclass(frozen=True, slots=True)
class _Metadata:
    conversations: tuple[_Conversation, ...]
    users: tuple[JsonObject, ...]
    day_files: Mapping[str, tuple[str, ...]]
    unlisted_folders: tuple[str, ...]


# Which file lists which conversations, in the order they are imported.
_CONVERSATION_FILES = (
    ("channels.json", Visibility.PUBLIC),
    ("groups.json", Visibility.PRIVATE),
    ("mpims.json", Visibility.DM),
    ("dms.json", Visibility.DM),
)


def display_name(user: JsonObject) -> str:
    """The name Slack shows for a user: display name, else real name, else the account name."""
    profile = _object(user.get("profile"))
    for value in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return _string(user.get("id"))


def _person_seen(platform: str, user: JsonObject) -> ev.PersonSeen:
    profile = _object(user.get("profile"))
    title = _string(profile.get("title")).strip()
    email = _string(profile.get("email")).strip()
    return ev.PersonSeen(
        platform=platform,
        person_id=user["id"],
        display_name=display_name(user),
        # Communities put their organisation in the profile's title ("青葉市 情報政策課").
        organization=title or None,
        email=email or None,
        is_bot=bool(user.get("is_bot")) or user["id"] == SLACKBOT,
    )


def _read_metadata(export: SlackArchive) -> _Metadata:
    conversations: list[_Conversation] = []
    seen: set[str] = set()
    folders = _day_files_by_folder(export)
    for file_name, visibility in _CONVERSATION_FILES:
        if not export.has(file_name):
            continue
        for entry in _entries(export, file_name):
            if entry["id"] in seen:
                continue
            seen.add(entry["id"])
            conversations.append(_conversation(entry, visibility, folders))
    users = tuple(_entries(export, "users.json")) if export.has("users.json") else ()
    used = {c.folder for c in conversations}
    unlisted = tuple(sorted(f for f in folders if f not in used))
    return _Metadata(tuple(conversations), users, folders, unlisted)


def _conversation(entry: JsonObject, visibility: Visibility, folders: Mapping[str, tuple[str, ...]]) -> _Conversation:
    name = _string(entry.get("name")).strip()
    # Channels, private channels and group DMs have a folder named by their name, DMs by their id.
    candidates = [_nfc(c) for c in (name, entry["id"]) if c]
    folder = next((c for c in candidates if c in folders), None)
    return _Conversation(
        id=entry["id"],
        name=name or entry["id"],
        visibility=visibility,
        archived=bool(entry.get("is_archived")),
        folder=folder,
    )


def _entries(export: SlackArchive, name: str) -> list[JsonObject]:
    data = export.load(name)
    if not isinstance(data, list):
        raise ImportFailed(f"{name}: expected a list, found {_kind(data)}")
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            raise ImportFailed(f"{name}: entry {i + 1} has no id")
    return data


def _day_files_by_folder(export: SlackArchive) -> dict[str, tuple[str, ...]]:
    folders: dict[str, list[str]] = {}
    for name in export.names():
        parts = PurePosixPath(name).parts
        if len(parts) == 2 and _DAY_FILE_RE.match(parts[1]):
            folders.setdefault(_nfc(parts[0]), []).append(name)
    return {folder: tuple(sorted(names)) for folder, names in sorted(folders.items())}


# --- messages --------------------------------------------------------------------------------------


@dataclass
class _Context:
    """What converting one message needs to know about the rest of the export."""

    platform: str
    report: ImportReport
    names: dict[str, str]
    bots: set[str]
    channel_names: dict[str, str]
    host: str | None


def _events(
    path: Path,
    meta: _Metadata,
    *,
    platform: str,
    workspace_domain: str | None,
    on_progress: ProgressCallback | None,
    report: ImportReport,
) -> Iterator[ev.Event]:
    report.unlisted_folders = list(meta.unlisted_folders)
    for folder in meta.unlisted_folders:
        log.warning("folder %s is not listed in the export's channel files: its messages are not imported", folder)
    ctx = _Context(
        platform=platform,
        report=report,
        names={u["id"]: display_name(u) for u in meta.users},
        bots={u["id"] for u in meta.users if u.get("is_bot")} | {SLACKBOT},
        channel_names={c.id: c.name for c in meta.conversations},
        host=None,
    )
    for conversation in meta.conversations:
        report.channels += 1
        yield ev.ChannelSeen(
            platform=platform,
            channel_id=conversation.id,
            name=conversation.name,
            visibility=conversation.visibility,
            archived=conversation.archived,
        )
    for user in meta.users:
        report.people += 1
        yield _person_seen(platform, user)
    work = [(c, name) for c in meta.conversations if c.folder for name in meta.day_files[c.folder]]
    with open_archive(path) as export:
        ctx.host = _host(workspace_domain) if workspace_domain else _find_host(export, [n for _, n in work])
        report.workspace_host = ctx.host
        for done, (conversation, name) in enumerate(work, start=1):
            for message in _day_messages(export, name):
                yield from _message_events(message, conversation, ctx)
            report.days += 1
            if on_progress is not None:
                on_progress(done, len(work))


def _day_messages(export: SlackArchive, name: str) -> list[JsonObject]:
    data = export.load(name)
    if not isinstance(data, list):
        raise ImportFailed(f"{name}: expected a list of messages, found {_kind(data)}")
    for i, message in enumerate(data):
        if not isinstance(message, dict):
            raise ImportFailed(f"{name}: message {i + 1} is {_kind(message)}, not an object")
    return data


def _message_events(message: JsonObject, conversation: _Conversation, ctx: _Context) -> Iterator[ev.Event]:
    ts = _string(message.get("ts"))
    posted_at = _ts_datetime(ts)
    if posted_at is None:
        ctx.report.skip("bad-ts")
        return
    author = _author(message)
    reason = _skip_reason(message, author, ctx.bots)
    text = "" if reason else message_text(message, ctx.names, ctx.channel_names)
    reason = reason or ("" if text else "empty")
    if reason:
        ctx.report.skip(reason)
        return
    if author and author not in ctx.names:
        yield from _person_from_message(message, author, ctx)
    thread_ts = _string(message.get("thread_ts"))
    thread_id = thread_ts if thread_ts and thread_ts != ts else None
    ctx.report.messages += 1
    if thread_id is not None:
        ctx.report.replies += 1
    ctx.report.files_seen += len(_files(message))
    yield ev.MessagePosted(
        platform=ctx.platform,
        channel_id=conversation.id,
        message_id=ts,
        author_id=author,
        text=text,
        posted_at=posted_at,
        thread_id=thread_id,
        url=_permalink(ctx.host, conversation.id, ts, thread_id),
        edited_at=_ts_datetime(_string(_object(message.get("edited")).get("ts"))),
    )
    yield from _reactions(message, conversation.id, ts, ctx)


def _author(message: JsonObject) -> str | None:
    user = message.get("user")
    if message.get("subtype") == "file_comment":
        # As of 2016 exports, a file comment has no "user"; the commenter is comment.user.
        user = _object(message.get("comment")).get("user") or user
    return user if isinstance(user, str) and user else None


def _skip_reason(message: JsonObject, author: str | None, bots: set[str]) -> str | None:
    subtype = _string(message.get("subtype"))
    if subtype == "tombstone":
        # A deleted parent that still has replies: not yielded, so its thread stays hidden.
        return "tombstone"
    if subtype == "bot_message":
        return "bot"
    if subtype not in CONTENT_SUBTYPES:
        return subtype
    # As of 2016 exports, file_share messages carry "bot_id": null, so only a real id means a bot.
    if message.get("bot_id") or (author is not None and author in bots):
        return "bot"
    return None


def _person_from_message(message: JsonObject, author: str, ctx: _Context) -> Iterator[ev.PersonSeen]:
    """A person missing from users.json (left the workspace, another org's guest), from the message itself."""
    profile = message.get("user_profile")
    if not isinstance(profile, dict):
        return
    user = {"id": author, "name": profile.get("name"), "real_name": profile.get("real_name"), "profile": profile}
    person = _person_seen(ctx.platform, user)
    ctx.names[author] = person.display_name
    ctx.report.people += 1
    yield person


def _reactions(message: JsonObject, channel_id: str, ts: str, ctx: _Context) -> Iterator[ev.ReactionChanged]:
    for reaction in _list(message.get("reactions")):
        name = _string(_object(reaction).get("name"))
        for person in _list(_object(reaction).get("users")):
            if name and isinstance(person, str) and person:
                ctx.report.reactions += 1
                yield ev.ReactionChanged(
                    platform=ctx.platform, channel_id=channel_id, message_id=ts, person_id=person, reaction=name
                )


# --- workspace host and permalinks -------------------------------------------------------------


def _host(domain: str) -> str:
    domain = domain.strip().lower().removeprefix("https://").rstrip("/")
    return domain if "." in domain else f"{domain}.slack.com"


def _find_host(export: SlackArchive, day_files: list[str]) -> str | None:
    """The workspace host from the first file permalink in the export (``None`` when it has no files)."""
    for name in day_files:
        for message in _day_messages(export, name):
            for file in _files(message):
                match = _FILE_PERMALINK_RE.match(_string(file.get("permalink")))
                if match:
                    return match.group(1)
    return None


def _permalink(host: str | None, channel_id: str, ts: str, thread_id: str | None) -> str | None:
    if host is None:
        return None
    url = f"https://{host}/archives/{channel_id}/p{ts.replace('.', '')}"
    return f"{url}?thread_ts={thread_id}&cid={channel_id}" if thread_id else url


# --- small helpers ---------------------------------------------------------------------------------


def _ts_datetime(ts: str) -> datetime | None:
    """A Slack ``ts`` ("1437705127.000003") as an aware UTC datetime; ``None`` when it is not one."""
    seconds, _, fraction = ts.partition(".")
    if not seconds.isdigit() or not (fraction.isdigit() or fraction == ""):
        return None
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    return datetime.fromtimestamp(int(seconds), UTC).replace(microsecond=micro)


def _nfc(name: str) -> str:
    # macOS stores decomposed file names; channels.json has composed ones.
    return unicodedata.normalize("NFC", name)


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _object(value: object) -> JsonObject:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", type(None): "null"}
    return names.get(type(value), type(value).__name__)
