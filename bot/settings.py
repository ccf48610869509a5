"""Configuration: one frozen ``Settings`` built from an environ mapping.

Yorozu's own variables start with ``YOROZU_``; the chat platforms' credentials keep the names their
own documentation uses (``MicrosoftAppId``, ``SLACK_BOT_TOKEN``, ...). Tests build settings from a plain
dict; nothing reads ``os.environ`` behind the caller's back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from bot.messages import Locale, locale_of_environ
from knowledge.embedding import DEFAULT_EMBEDDER
from knowledge.store import sqlite_url


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable.

    ``key`` and ``params``, when given, name the message in ``bot.messages`` for the user's language.
    """

    def __init__(self, message: str, *, key: str | None = None, params: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.params: dict[str, object] = dict(params or {})


class Secret:
    """A credential that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/yorozu`` (``~/.local/share/yorozu``) unless ``YOROZU_DATA_DIR`` says otherwise."""
    base = environ.get("XDG_DATA_HOME") or str(Path(environ.get("HOME", str(Path.home()))) / ".local" / "share")
    return Path(base) / "yorozu"


MIN_CONSOLE_TOKEN_CHARS = 16

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(environ: Mapping[str, str], name: str) -> bool:
    raw = environ.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(
        f"{name} must be 1/0, true/false, yes/no or on/off, not {raw!r}",
        key="error_setting_flag",
        params={"name": name, "value": raw},
    )


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a port number, not {raw!r}") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"{name} must be between 0 and 65535, not {port}")
    return port


def _slash_terminated(url: str) -> str:
    """slack_sdk joins method names onto its base URL, which must end with a slash."""
    return url if url.endswith("/") else url + "/"


def _fraction(environ: Mapping[str, str], name: str) -> float | None:
    raw = environ.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number between 0 and 2, not {raw!r}") from None
    if not 0.0 <= value <= 2.0:
        raise ConfigError(f"{name} must be a number between 0 and 2, not {raw!r}")
    return value


def _people(environ: Mapping[str, str], name: str) -> tuple[tuple[str, str], ...]:
    """``slack:U123,teams:29:abc`` → ((slack, U123), (teams, 29:abc)): platform, then the platform's id."""
    out = []
    for item in (environ.get(name) or "").split(","):
        item = item.strip()
        if not item:
            continue
        platform, sep, person = item.partition(":")
        if not sep or platform not in {"slack", "teams"} or not person:
            raise ConfigError(f"{name} lists people as platform:id (slack:U123,teams:29:abc), not {item!r}")
        out.append((platform, person))
    return tuple(out)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 3600}


def _duration(environ: Mapping[str, str], name: str, default: timedelta) -> timedelta:
    """``90m``, ``24h``, ``2d``, ``3600s``; a bare number is hours."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    match = _DURATION.match(raw.lower())
    if match is None or float(match.group(1)) <= 0:
        raise ConfigError(f"{name} must be a positive duration such as 24h, 90m or 2d, not {raw!r}")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


# all: one process does everything. web: the HTTP endpoints (stores, acknowledges, answers the web chat
# and commands), embedding only questions. worker: no HTTP; embeds threads and runs the jobs (replies).
ROLES = ("all", "web", "worker")


@dataclass(frozen=True)
class Settings:
    """Everything Yorozu is configured with."""

    data_dir: Path
    database_url: str
    embedder: str = DEFAULT_EMBEDDER
    host: str = "127.0.0.1"
    port: int = 3978
    # Local mode: try the bot without Azure or Slack credentials; loopback only.
    local: bool = False
    # What `yorozu serve` runs (ROLES): everything in one process, or the two halves in two processes on
    # one database, so that embedding and replying never hold the interpreter while requests are acknowledged.
    role: str = "all"
    log_level: str = "INFO"
    # Relevance below which Yorozu stays silent; None: the embedder's calibrated default.
    abstain_below: float | None = None
    # exact | ivf | auto (exact until the corpus is large): knowledge.vectors.
    vector_index: str = "auto"
    microsoft_app_id: str | None = None
    microsoft_app_password: Secret | None = field(default=None, repr=False)
    microsoft_app_type: str = "MultiTenant"
    microsoft_app_tenant_id: str | None = None
    # Test and sovereign-cloud overrides for Microsoft's endpoints (the public cloud's when unset).
    teams_openid_metadata_url: str | None = None
    teams_token_url: str | None = None
    # How long a Teams request may wait for its token to be checked (Microsoft's signing keys fetched):
    # past it the request is 503 and the platform retries; the rest of the server never waits.
    teams_auth_timeout: timedelta = timedelta(seconds=10)
    graph_url: str = "https://graph.microsoft.com/v1.0"
    graph_token_url: str | None = None
    slack_bot_token: Secret | None = field(default=None, repr=False)
    slack_signing_secret: Secret | None = field(default=None, repr=False)
    slack_app_token: Secret | None = field(default=None, repr=False)
    # Slack's Web API; tests point it at a fake server on localhost.
    slack_api_url: str = "https://slack.com/api/"
    # Receive events over Socket Mode (SLACK_APP_TOKEN) instead of the HTTP endpoint.
    slack_socket_mode: bool = False
    # People with a role from configuration, as (platform, person id); admins may also grant roles by command.
    admins: tuple[tuple[str, str], ...] = ()
    specialists: tuple[tuple[str, str], ...] = ()
    # How long a question thread may stay without a human reply before its one follow-up.
    followup_after: timedelta = timedelta(hours=24)
    # Where 専門家に聞く posts a question, per platform: a Slack channel id (C…) or a Teams channel id
    # (19:…@thread.tacv2). Unset: the button explains that no specialists' channel is configured.
    slack_specialists_channel: str | None = None
    teams_specialists_channel: str | None = None
    # The specialist console's shared secret (bot.web.console): outside local mode the console exists
    # only when it is set, and with it every console request must present it.
    console_token: Secret | None = field(default=None, repr=False)
    # The command line's language: YOROZU_LANG (ja, en), else the POSIX locale (LANG=ja_JP.UTF-8 → Japanese).
    language: Locale = Locale.EN
    # What the Teams app package names as its developer (`yorozu manifest teams`; options override them).
    teams_developer_name: str | None = None
    teams_website_url: str | None = None
    teams_privacy_url: str | None = None
    teams_terms_url: str | None = None
    # The web chat outside local mode, for members, behind the console's guard (YOROZU_CONSOLE_TOKEN:
    # the same login). Local mode always has it, on loopback.
    web_chat: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``environ`` (``os.environ`` when omitted); ``overrides`` win (CLI options)."""
        env = dict(os.environ if environ is None else environ)
        data_dir = Path(env.get("YOROZU_DATA_DIR") or default_data_dir(env)).expanduser()
        if overrides.get("data_dir") is not None:
            data_dir = Path(str(overrides["data_dir"])).expanduser()
        secret = lambda name: Secret(env[name]) if env.get(name) else None  # noqa: E731
        settings = cls(
            data_dir=data_dir,
            database_url=env.get("YOROZU_DATABASE_URL") or "",
            embedder=env.get("YOROZU_EMBEDDER") or DEFAULT_EMBEDDER,
            host=env.get("YOROZU_HOST") or "127.0.0.1",
            port=_port(env, "YOROZU_PORT", 3978),
            local=_flag(env, "YOROZU_LOCAL"),
            role=(env.get("YOROZU_ROLE") or "all").strip().lower(),
            log_level=(env.get("YOROZU_LOG_LEVEL") or "INFO").upper(),
            abstain_below=_fraction(env, "YOROZU_ABSTAIN_BELOW"),
            vector_index=(env.get("YOROZU_VECTOR_INDEX") or "auto").strip().lower(),
            microsoft_app_id=env.get("MicrosoftAppId") or None,
            microsoft_app_password=secret("MicrosoftAppPassword"),
            microsoft_app_type=env.get("MicrosoftAppType") or "MultiTenant",
            microsoft_app_tenant_id=env.get("MicrosoftAppTenantId") or None,
            teams_openid_metadata_url=env.get("YOROZU_TEAMS_OPENID_METADATA_URL") or None,
            teams_token_url=env.get("YOROZU_TEAMS_TOKEN_URL") or None,
            teams_auth_timeout=_duration(env, "YOROZU_TEAMS_AUTH_TIMEOUT", timedelta(seconds=10)),
            graph_url=(env.get("YOROZU_GRAPH_URL") or "https://graph.microsoft.com/v1.0").rstrip("/"),
            graph_token_url=env.get("YOROZU_GRAPH_TOKEN_URL") or None,
            slack_bot_token=secret("SLACK_BOT_TOKEN"),
            slack_signing_secret=secret("SLACK_SIGNING_SECRET"),
            slack_app_token=secret("SLACK_APP_TOKEN"),
            slack_api_url=_slash_terminated(env.get("YOROZU_SLACK_API_URL") or "https://slack.com/api/"),
            slack_socket_mode=_flag(env, "YOROZU_SLACK_SOCKET_MODE"),
            admins=_people(env, "YOROZU_ADMINS"),
            specialists=_people(env, "YOROZU_SPECIALISTS"),
            followup_after=_duration(env, "YOROZU_FOLLOWUP_AFTER", timedelta(hours=24)),
            slack_specialists_channel=(env.get("YOROZU_SLACK_SPECIALISTS_CHANNEL") or "").strip() or None,
            teams_specialists_channel=(env.get("YOROZU_TEAMS_SPECIALISTS_CHANNEL") or "").strip() or None,
            console_token=secret("YOROZU_CONSOLE_TOKEN"),
            language=locale_of_environ(env),
            teams_developer_name=(env.get("YOROZU_TEAMS_DEVELOPER_NAME") or "").strip() or None,
            teams_website_url=(env.get("YOROZU_TEAMS_WEBSITE_URL") or "").strip() or None,
            teams_privacy_url=(env.get("YOROZU_TEAMS_PRIVACY_URL") or "").strip() or None,
            teams_terms_url=(env.get("YOROZU_TEAMS_TERMS_URL") or "").strip() or None,
            web_chat=_flag(env, "YOROZU_WEB_CHAT"),
        )
        changes = {k: v for k, v in overrides.items() if v is not None and k != "data_dir"}
        settings = replace(settings, data_dir=data_dir, **changes)  # type: ignore[arg-type]
        if not settings.database_url:
            settings = replace(settings, database_url=sqlite_url(settings.data_dir))
        chosen_language = (env.get("YOROZU_LANG") or "").strip().lower()
        if chosen_language and chosen_language.split("_")[0].split("-")[0] not in {"ja", "en"}:
            raise ConfigError(
                f"YOROZU_LANG must be ja or en, not {env['YOROZU_LANG']!r}",
                key="error_setting_lang",
                params={"value": env["YOROZU_LANG"]},
            )
        if settings.log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError(f"YOROZU_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {settings.log_level!r}")
        if settings.role not in ROLES:
            raise ConfigError(f"YOROZU_ROLE (--role) must be one of {', '.join(ROLES)}, not {settings.role!r}")
        if settings.web_chat and not settings.local and not settings.console_token:
            raise ConfigError(
                "YOROZU_WEB_CHAT outside local mode needs YOROZU_CONSOLE_TOKEN: members log in as at /console"
            )
        if settings.vector_index not in {"exact", "ivf", "auto"}:
            raise ConfigError(f"YOROZU_VECTOR_INDEX must be exact, ivf or auto, not {settings.vector_index!r}")
        slack_channel = settings.slack_specialists_channel
        if slack_channel and not re.fullmatch(r"[CG][A-Z0-9]{2,}", slack_channel):
            raise ConfigError(
                f"YOROZU_SLACK_SPECIALISTS_CHANNEL must be a channel id such as C0123ABCD, not {slack_channel!r}"
            )
        teams_channel = settings.teams_specialists_channel
        if teams_channel and not re.fullmatch(r"19:\S+@thread\.(tacv2|skype)", teams_channel):
            raise ConfigError(
                "YOROZU_TEAMS_SPECIALISTS_CHANNEL must be a channel id such as 19:…@thread.tacv2, "
                f"not {teams_channel!r}"
            )
        token = settings.console_token.reveal() if settings.console_token else ""
        # The token is the console's only login: a short one could be guessed by trying.
        if token and (len(token) < MIN_CONSOLE_TOKEN_CHARS or token != token.strip()):
            raise ConfigError(
                f"YOROZU_CONSOLE_TOKEN must be at least {MIN_CONSOLE_TOKEN_CHARS} characters without surrounding "
                "spaces (for example the output of `openssl rand -hex 32`)"
            )
        if settings.microsoft_app_type not in {"MultiTenant", "SingleTenant", "UserAssignedMSI"}:
            raise ConfigError("MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMSI")
        return settings

    @property
    def teams_enabled(self) -> bool:
        """Whether Teams is mounted: an app id, or local mode (the Bot Framework Emulator, loopback only:
        botbuilder accepts unauthenticated requests without an app id, so never so outside local mode)."""
        return bool(self.microsoft_app_id) or self.local

    @property
    def slack_enabled(self) -> bool:
        """Whether Slack is mounted: its signing secret (HTTP) or Socket Mode."""
        return bool(self.slack_signing_secret) or self.slack_socket_mode

    @property
    def specialists_channels(self) -> tuple[tuple[str, str], ...]:
        """(platform, channel id) of each specialists' channel a mounted platform can post in: where
        専門家に聞く from the web chat goes, since a web visitor has no platform of their own."""
        channels = []
        if self.slack_specialists_channel and self.slack_enabled:
            channels.append(("slack", self.slack_specialists_channel))
        if self.teams_specialists_channel and self.teams_enabled:
            channels.append(("teams", self.teams_specialists_channel))
        return tuple(channels)

    @property
    def accepts_requests(self) -> bool:
        """Whether this process receives the platforms' events and serves HTTP (all roles but the worker)."""
        return self.role != "worker"

    @property
    def does_background_work(self) -> bool:
        """Whether this process embeds threads and runs the jobs (all roles but the web role)."""
        return self.role != "web"

    @property
    def index_dir(self) -> Path:
        """Where this process keeps its index files: the web role its own (it holds only what the worker
        has embedded, and two processes must not write one file pair)."""
        return self.data_dir / ("index" if self.does_background_work else "index-web")
