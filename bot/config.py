"""Settings from the environment (and a `.env` file): every knob the README lists."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    folder = Path(user_data_dir("papers-bot", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'papers.db'}"


class Settings(BaseSettings):
    """Configuration; secrets are `SecretStr` so that they never print by accident."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    db_auto_upgrade: bool = True

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_token_key: SecretStr | None = None  # a Fernet key: Slack installation tokens encrypted at rest
    slack_api_url: str = "https://slack.com/api/"
    slack_admins: str = ""  # comma-separated user ids who may always change subscriptions
    slack_changes_by: str = "anyone"  # anyone | admins

    discord_token: SecretStr | None = None
    discord_guild_id: int | None = None
    discord_api_url: str | None = None
    discord_shard_above: int = 1000
    discord_requests_per_second: float = 40.0  # shared by every delivery worker (Discord allows ~50 in all)

    port: int | None = None
    web_threads: int = 16  # threads of each web process (gunicorn's gthread worker) in Slack HTTP mode

    default_schedule_time: str = "09:00"
    default_schedule_tz: str = "UTC"
    default_schedule_cadence: str = "weekdays"
    digest_cap: int = 10
    scheduler_tick_minutes: int = 5

    hf_api_url: str = "https://huggingface.co"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_rss_url: str = "https://rss.arxiv.org/rss"
    arxiv_categories: str = "cs.LG,cs.AI,cs.CL,cs.CV,cs.RO"
    contact_email: str = "papers-bot@example.org"
    ingest_hf_at: str = "06:30"  # UTC
    ingest_arxiv_at: str = "05:30"  # UTC, after the RSS feeds are rebuilt at midnight US Eastern

    topics_file: Path | None = None  # a deployment's extra topics (TOML), merged over the bundled ones

    @property
    def slack_uses_oauth(self) -> bool:
        """Many workspaces: tokens come from stored installations, not from SLACK_BOT_TOKEN."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
