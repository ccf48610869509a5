"""Read Microsoft Teams channel history saved as Microsoft Graph ``chatMessage`` JSON.

Understood shapes (each file may hold any of them; a folder is read file by file in name order):

* a list-messages page ``{"value": [chatMessage, ...], "@odata.nextLink": ...}`` from
  ``GET /teams/{team}/channels/{channel}/messages`` — with ``$expand=replies`` each root carries
  ``replies: [...]``;
* a replies page from ``.../messages/{id}/replies`` (each reply has ``replyToId``);
* a delta page from ``.../messages/delta`` (``@odata.deltaLink`` on the last page), where a message
  deleted since appears with ``deletedDateTime`` set;
* a single ``chatMessage`` object, or a plain list of them.

Bodies are HTML (``contentType: html``) or text; HTML is turned into the text people read, mentions
(``<at id="0">名前</at>``) become ``@名前``. System messages (``messageType`` other than ``message``:
``systemEventMessage``, ``chatEvent``, ``unknownFutureValue``) are skipped. Importing the same pages twice
changes nothing: posts are keyed by their Graph ids, edits compare text, reactions are set-like.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from knowledge import events as ev
from knowledge import mentions
from knowledge.errors import ImportFailed
from knowledge.model import Visibility
from knowledge.text import safe_link

JsonObject = dict[str, Any]
PLATFORM = "teams"

# Graph's reactionType: the classic six by name; since 2024 any emoji, sent as the emoji itself.
_REACTION_NAMES = {"like", "heart", "laugh", "surprised", "sad", "angry"}


@dataclass
class GraphImportReport:
    """What an import read; ``skipped`` counts messages left out by reason (a messageType, ``"deleted"``, ...)."""

    files: int = 0
    messages: int = 0
    replies: int = 0
    deleted: int = 0
    reactions: int = 0
    people: int = 0
    channels: set[str] = field(default_factory=set)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


# --- HTML ----------------------------------------------------------------------------------------

_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
_SKIP_TAGS = {"script", "style", "systemeventmessage"}


class _TextParser(HTMLParser):
    def __init__(self, people: Mapping[str, str] | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._in_mention = False
        # <at id="0"> -> the mentioned person's id (Graph's mentions[].mentioned.user.id).
        self._people = people or {}
        self._person_mention = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag == "at":
            self._in_mention = True
            person = self._people.get(str(dict(attrs).get("id") or ""))
            # A person stays a reference, named when shown (knowledge.mentions); a channel, team or app by name.
            self._person_mention = person is not None
            self.parts.append(mentions.reference(person) if person is not None else "@")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            # Teams writes emoji as <img alt="😀" itemtype="http://schema.skype.com/Emoji">.
            if alt and len(alt) <= 4:
                self.parts.append(alt)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            return
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag == "at":
            self._in_mention = False
            self._person_mention = False
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip and not self._person_mention:
            self.parts.append(data)


_BLANKS_RE = re.compile(r"\n\s*\n+")
_SPACES_RE = re.compile(r"[ \t\u00a0]+")


def html_to_text(content: str, people: Mapping[str, str] | None = None) -> str:
    """The text a person reads in a Teams HTML body: tags dropped, blocks as lines, mentions as ``@名前``.

    ``people`` maps a mention's ``<at id>`` to the person's id: such a mention is kept as a reference,
    ``<@id>``, and named only when shown (:mod:`knowledge.mentions`).
    """
    parser = _TextParser(people)
    parser.feed(content)
    parser.close()
    text = html.unescape("".join(parser.parts)).replace("\u00a0", " ")
    lines = [_SPACES_RE.sub(" ", line).strip() for line in text.split("\n")]
    return mentions.collapse(_BLANKS_RE.sub("\n", "\n".join(lines)).strip())


def mentioned_people(message: Mapping[str, Any]) -> dict[str, str]:
    """Graph's ``mentions``: ``<at id>`` -> the mentioned user's id (channels, teams and apps left out)."""
    out: dict[str, str] = {}
    for mention in message.get("mentions") or []:
        if not isinstance(mention, dict):
            continue
        user = _object(_object(mention.get("mentioned")).get("user"))
        person = _string(user.get("id")).strip()
        if person and mention.get("id") is not None:
            out[str(mention.get("id"))] = person
    return out


def body_text(message: Mapping[str, Any]) -> str:
    body = _object(message.get("body"))
    content = _string(body.get("content"))
    if _string(body.get("contentType")).lower() == "html":
        return html_to_text(content, mentioned_people(message))
    return content.strip()


def reaction_name(reaction_type: str) -> str:
    """A reaction as the knowledge base names it: the classic names as they are, emoji as the emoji.

    The bot's ``messageReaction`` activities name new-style reactions by code point and name
    (``"2705_whiteheavycheckmark"``); that becomes the emoji (``"✅"``) so both sources agree.
    """
    name = reaction_type.strip()
    match = re.match(r"^([0-9a-fA-F]{4,6})(?:-[0-9a-fA-F]{4,6})*_", name)
    if match:
        codes = name.split("_", 1)[0].split("-")
        try:
            return "".join(chr(int(code, 16)) for code in codes)
        except ValueError:
            return name
    return name.lower() if name.lower() in _REACTION_NAMES else name


# --- events ------------------------------------------------------------------------------------


def read_teams_graph(
    path: Path,
    *,
    channel_names: Mapping[str, str] | None = None,
    channel_visibility: Mapping[str, Visibility] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    report: GraphImportReport | None = None,
) -> Iterator[ev.Event]:
    """Events for the Graph JSON file, or folder of files, at ``path``.

    ``channel_names`` / ``channel_visibility`` (by channel id) name channels and say who may see them.
    Saved chatMessage JSON does not say whether a channel is standard or private, so a channel missing
    from ``channel_visibility`` has unknown visibility: a new one is stored private (never suggested
    elsewhere) until the bot or ``yorozu backfill teams`` learns its membership type from Teams.
    A path that is neither a file nor a folder of ``.json`` files raises
    :class:`~knowledge.errors.ImportFailed` at once; a file that is not Graph JSON when it is reached.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if p.is_file())
        if not files:
            raise ImportFailed(f"{path}: no .json files")
    elif path.is_file():
        files = [path]
    else:
        raise ImportFailed(f"{path}: no such file or folder", key="error_no_such_path", params={"path": path})
    return _files_events(
        files, channel_names or {}, channel_visibility or {}, on_progress, report or GraphImportReport()
    )


def _files_events(
    files: list[Path],
    names: Mapping[str, str],
    visibility: Mapping[str, Visibility],
    on_progress: Callable[[int, int], None] | None,
    report: GraphImportReport,
) -> Iterator[ev.Event]:
    converter = GraphConverter(report=report, channel_names=names, channel_visibility=visibility)
    for done, file in enumerate(files, start=1):
        try:
            data = json.loads(file.read_bytes())
        except (OSError, ValueError) as exc:
            raise ImportFailed(f"{file}: not readable JSON ({exc})") from exc
        messages = page_messages(data)
        if messages is None:
            if len(files) == 1:
                raise ImportFailed(f"{file}: not Microsoft Graph chatMessage JSON (no 'value' list or message)")
            report.skip("not-graph-file")  # an index or notes beside the pages
            continue
        report.files += 1
        yield from converter.events(messages)
        if on_progress is not None:
            on_progress(done, len(files))


def page_messages(data: Any) -> list[JsonObject] | None:
    """The chatMessages of one page, one message or a list of them; ``None`` when it is none of these."""
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        return [m for m in data["value"] if isinstance(m, dict)]
    if isinstance(data, dict) and "messageType" in data and "id" in data:
        return [data]
    if isinstance(data, list) and all(isinstance(m, dict) and "id" in m for m in data):
        return list(data)
    return None


class GraphConverter:
    """Turns chatMessages into events, remembering which channels and people were announced already."""

    def __init__(
        self,
        *,
        report: GraphImportReport | None = None,
        channel_names: Mapping[str, str] | None = None,
        channel_visibility: Mapping[str, Visibility] | None = None,
    ) -> None:
        self.report = report or GraphImportReport()
        self._names = dict(channel_names or {})
        self._visibility = dict(channel_visibility or {})
        self._channels: set[str] = set()
        self._people: dict[str, str] = {}

    def events(self, messages: Iterable[JsonObject], *, thread_id: str | None = None) -> Iterator[ev.Event]:
        for message in messages:
            yield from self._message(message, thread_id)

    def _message(self, message: JsonObject, parent: str | None) -> Iterator[ev.Event]:
        message_id = _string(message.get("id"))
        if not message_id:
            self.report.skip("no-id")
            return
        channel_id, team_id, visibility = _where(message)
        if channel_id is None:
            self.report.skip("no-channel")
            return
        thread_id = _string(message.get("replyToId")) or parent
        if thread_id == message_id:
            thread_id = None
        kind = _string(message.get("messageType")) or "message"
        if kind != "message":
            self.report.skip(kind)
        elif message.get("deletedDateTime"):
            # A deleted message (delta pages keep it with its deletion time): apply the delete.
            self.report.deleted += 1
            yield from self._channel(channel_id, team_id, visibility)
            yield ev.MessageDeleted(PLATFORM, channel_id, message_id)
        else:
            yield from self._posted(message, message_id, channel_id, team_id, visibility, thread_id)
        replies = message.get("replies")
        if isinstance(replies, list):
            yield from self.events([r for r in replies if isinstance(r, dict)], thread_id=thread_id or message_id)

    def _posted(
        self,
        message: JsonObject,
        message_id: str,
        channel_id: str,
        team_id: str | None,
        visibility: Visibility | None,
        thread_id: str | None,
    ) -> Iterator[ev.Event]:
        posted_at = _datetime(message.get("createdDateTime"))
        if posted_at is None:
            self.report.skip("bad-date")
            return
        text = body_text(message)
        if not text:
            self.report.skip("empty")
            return
        yield from self._channel(channel_id, team_id, visibility)
        author, is_bot, seen = self._author(message)
        if seen is not None:
            yield seen
        edited_at = _datetime(message.get("lastEditedDateTime"))
        self.report.messages += 1
        if thread_id is not None:
            self.report.replies += 1
        yield ev.MessagePosted(
            platform=PLATFORM,
            channel_id=channel_id,
            message_id=message_id,
            author_id=author,
            text=text,
            posted_at=posted_at,
            thread_id=thread_id,
            # Only an http(s) link is kept: a page shows it as href, where javascript: would run.
            url=safe_link(_string(message.get("webUrl"))),
            is_bot=is_bot,
            edited_at=edited_at,
        )
        if edited_at is not None:
            # A post already stored with older text (the bot saw it first): the edit brings it up to date.
            yield ev.MessageEdited(PLATFORM, channel_id, message_id, text, edited_at)
        for reaction in message.get("reactions") or []:
            person = _string(_object(_object(_object(reaction).get("user")).get("user")).get("id"))
            kind = _string(_object(reaction).get("reactionType"))
            if person and kind:
                self.report.reactions += 1
                yield ev.ReactionChanged(PLATFORM, channel_id, message_id, person, reaction_name(kind))

    def _channel(self, channel_id: str, team_id: str | None, visibility: Visibility | None) -> Iterator[ev.Event]:
        if channel_id in self._channels:
            return
        self._channels.add(channel_id)
        self.report.channels.add(channel_id)
        known = self._visibility.get(channel_id, visibility)
        yield ev.ChannelSeen(
            PLATFORM, channel_id, self._names.get(channel_id) or channel_id, known, workspace_id=team_id
        )

    def _author(self, message: JsonObject) -> tuple[str | None, bool, ev.PersonSeen | None]:
        """The author's id, whether it is an app, and a ``PersonSeen`` the first time a name is seen."""
        source = _object(message.get("from"))
        user = _object(source.get("user"))
        app = _object(source.get("application"))
        identity, is_bot = (user, False) if user.get("id") else (app, bool(app.get("id")))
        person = _string(identity.get("id")) or None
        name = _string(identity.get("displayName")).strip()
        if person and name and self._people.get(person) != name:
            self._people[person] = name
            self.report.people += 1
            return person, is_bot, ev.PersonSeen(PLATFORM, person, name, is_bot=is_bot)
        return person, is_bot, None


def _where(message: JsonObject) -> tuple[str | None, str | None, Visibility | None]:
    channel = _object(message.get("channelIdentity"))
    if channel.get("channelId"):
        # A chatMessage does not say whether its channel is standard or private: unknown.
        return _string(channel["channelId"]), _string(channel.get("teamId")) or None, None
    chat = _string(message.get("chatId"))
    if chat:
        return chat, None, Visibility.DM
    return None, None, Visibility.PUBLIC


def _datetime(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    # Graph writes up to 7 fractional digits; fromisoformat takes at most 6.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _object(value: object) -> JsonObject:
    return value if isinstance(value, dict) else {}
