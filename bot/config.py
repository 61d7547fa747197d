"""Settings from the environment (and a `.env` file): every knob the README lists, checked at start."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Annotated, Literal, get_args

from cryptography.fernet import Fernet
from platformdirs import user_data_dir
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config_values import (
    KIND,
    SAID,
    ArxivCategories,
    Cadence,
    ClockTime,
    DatabaseUrl,
    Email,
    Host,
    HttpUrl,
    Lower,
    SlackApiUrl,
    SlackUsers,
    TimeZone,
    Upper,
    items,
    problem,
)
from bot.errors import PapersError


def default_database_url() -> str:
    folder = Path(user_data_dir("papers-bot", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'papers.db'}"


def default_runtime_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"papers-bot-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


class BadSettings(PapersError):
    """Settings that cannot be used: one sentence per bad variable, each naming it and a good value."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    """Configuration; secrets are `SecretStr` so that they never print by accident.

    A new setting is one field here (with an example when a value can be wrong), one line in
    `.env.example` and one row in the README's table; tests check the last two.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    database_url: DatabaseUrl = Field(
        default_factory=default_database_url, examples=["postgresql+psycopg://papers@db:5432/papers"]
    )
    db_auto_upgrade: bool = Field(True, examples=["false"])

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_client_id: str | None = Field(None, examples=["1234567890.1234567890"])
    slack_client_secret: SecretStr | None = None
    slack_token_key: SecretStr | None = None  # a Fernet key: Slack installation tokens encrypted at rest
    slack_api_url: SlackApiUrl = Field("https://slack.com/api/", examples=["https://slack.com/api/"])
    slack_admins: SlackUsers = Field("", examples=["U012AB3CD,U045EF6GH"])  # who may always change subscriptions
    slack_changes_by: Annotated[Literal["anyone", "admins"], Lower] = Field("anyone", examples=["admins"])

    discord_token: SecretStr | None = None
    discord_guild_id: int | None = Field(None, examples=["123456789012345678"])
    # the application's id: the landing page's Add to Discord link (its install URL) needs it
    discord_client_id: int | None = Field(None, examples=["123456789012345678"])
    discord_shard_above: int = Field(1000, ge=1, examples=["1000"])
    # shared by every delivery worker: Discord allows a bot about 50 requests a second in all
    discord_requests_per_second: float = Field(40.0, gt=0, le=50, examples=["40"])

    # where every server the bot starts listens (Slack HTTP mode: events, OAuth, /healthz, feeds)
    host: Host = Field("0.0.0.0", examples=["127.0.0.1"])
    port: int | None = Field(None, ge=0, le=65535, examples=["3000"])
    # Slack HTTP mode's web process (uvicorn): threads that run bolt's handlers (a slow client holds none)
    web_threads: int = Field(16, ge=1, le=256, examples=["16"])
    # worker processes, each with its own find index; 1 serves in the process itself
    web_concurrency: int = Field(1, ge=1, le=64, examples=["2"])
    # seconds a request's headers may take from the connection (or the previous answer) before it is closed
    web_header_timeout: float = Field(5.0, gt=0, le=300, examples=["5"])
    # seconds a request's whole body may take (Slack sends a few KB at once): then 408 and the connection closed
    web_body_timeout: float = Field(10.0, gt=0, le=300, examples=["10"])
    # open connections a web process holds at most; past it a new request gets 503 (slow clients count too)
    web_max_connections: int = Field(4000, ge=10, le=100_000, examples=["4000"])
    # the address people reach the web pages at (landing page, private feeds): `/papers feed` links there
    public_url: HttpUrl | None = Field(None, examples=["https://papers.example.org"])

    default_schedule_time: ClockTime = Field("09:00", examples=["09:00"])
    default_schedule_tz: TimeZone = Field("UTC", examples=["Europe/Paris"])
    default_schedule_cadence: Cadence = Field("weekdays", examples=["weekly friday"])
    digest_cap: int = Field(10, ge=1, examples=["10"])
    # the most recent likes and dislikes a channel's model learns from: its cost grows with them (5 = MIN_SIGNALS)
    feedback_signals_kept: int = Field(500, ge=5, le=100_000, examples=["500"])
    scheduler_tick_minutes: int = Field(5, ge=1, le=59, examples=["5"])

    hf_api_url: HttpUrl = Field("https://huggingface.co", examples=["https://huggingface.co"])
    arxiv_api_url: HttpUrl = Field(
        "https://export.arxiv.org/api/query", examples=["https://export.arxiv.org/api/query"]
    )
    arxiv_rss_url: HttpUrl = Field("https://rss.arxiv.org/rss", examples=["https://rss.arxiv.org/rss"])
    arxiv_categories: ArxivCategories = Field("cs.LG,cs.AI,cs.CL,cs.CV,cs.RO", examples=["cs.LG,cs.AI,stat.ML"])
    contact_email: Email = Field("papers-bot@example.org", examples=["you@your-lab.org"])
    ingest_hf_at: ClockTime = Field("06:30", examples=["06:30"])  # UTC
    ingest_arxiv_at: ClockTime = Field("05:30", examples=["05:30"])  # UTC, after the feeds are rebuilt at midnight ET

    topics_file: Path | None = Field(None, examples=["/etc/papers-bot/topics.toml"])  # merged over the bundled ones

    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], Upper] | None = Field(None, examples=["INFO"])
    log_format: Annotated[Literal["text", "json"], Lower] = Field("text", examples=["json"])
    runtime_dir: Path = Field(default_factory=default_runtime_dir, examples=["/run/papers-bot"])  # heartbeats

    @field_validator("slack_token_key")
    @classmethod
    def _fernet_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and key.get_secret_value():
            try:
                Fernet(key.get_secret_value())
            except (ValueError, TypeError):
                raise problem(
                    "a Fernet key; make one with `python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'`"
                ) from None
        return key

    @field_validator("topics_file")
    @classmethod
    def _existing_file(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_file():
            raise problem("a file that exists")
        return path

    @property
    def slack_uses_oauth(self) -> bool:
        """Many workspaces: tokens come from stored installations, not from SLACK_BOT_TOKEN."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def local_host(self) -> str:
        """Where this machine reaches the servers that listen on HOST (every interface: the loopback)."""
        return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def slack_admin_ids(self) -> list[str]:
        return items(self.slack_admins)

    @property
    def arxiv_category_list(self) -> list[str]:
        return items(self.arxiv_categories)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, or `BadSettings` with one sentence per variable that is wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise BadSettings([sentence(detail) for detail in error.errors()]) from None


def sentence(detail: ErrorDetails) -> str:
    """`DEFAULT_SCHEDULE_TZ=Mars/Olympus is not an IANA time zone name; for example DEFAULT_SCHEDULE_TZ=Europe/Paris.`"""
    field = str(detail["loc"][0]) if detail["loc"] else ""
    info = Settings.model_fields.get(field)
    name = field.upper()
    secret = info is not None and SecretStr in (info.annotation, *get_args(info.annotation))
    shown = "(the value set)" if secret else _shown(detail.get("input"))
    if detail["type"] == SAID:
        return f"{name}={shown} {detail['msg']}."
    if detail["type"] == KIND:
        said = f"{name}={shown} is not {detail['msg']}"
    else:  # pydantic's own checks: numbers, booleans, choices, ranges
        said = f"{name}={shown} is not valid ({detail['msg'][:1].lower()}{detail['msg'][1:]})"
    example = (info.examples or [None])[0] if info is not None else None
    return f"{said}; for example {name}={example}." if example else f"{said}."


def _shown(value: object) -> str:
    text = PASSWORD_IN_URL.sub(r"\1***@", " ".join(str(value).split()))  # DATABASE_URL may carry one
    return text if len(text) <= 120 else text[:119] + "…"
