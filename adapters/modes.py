"""What each part of `papers-bot run` needs from the settings, said as one sentence naming the missing variables."""

from __future__ import annotations

from pydantic import SecretStr

from bot.config import Settings

SOCKET_MODE = "SLACK_APP_TOKEN and SLACK_BOT_TOKEN (Socket Mode)"
HTTP_MODE = (
    "PORT, SLACK_SIGNING_SECRET and either SLACK_BOT_TOKEN or SLACK_CLIENT_ID with SLACK_CLIENT_SECRET (HTTP mode)"
)


def _set(value: SecretStr | str | int | None) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value())
    return value is not None and value != ""


def slack_mode(settings: Settings) -> str | None:
    """`socket`, `http`, or None when no Slack variable says which (the order `adapters.slack.server` starts them)."""
    if _set(settings.slack_app_token):
        return "socket"
    if (
        _set(settings.slack_signing_secret)
        or _set(settings.slack_client_id)
        or _set(settings.slack_client_secret)
        or (_set(settings.slack_bot_token) and settings.port is not None)
    ):
        return "http"
    return None


def slack_missing(settings: Settings) -> list[str]:
    """Sentences naming what Slack still needs in the mode its variables choose; empty when it can start."""
    mode = slack_mode(settings)
    if mode is None:
        return [f"`--only slack` needs {SOCKET_MODE}, or {HTTP_MODE}; none of them is set."]
    if mode == "socket":
        if _set(settings.slack_bot_token) or settings.slack_uses_oauth:
            return []
        return [
            "Slack Socket Mode needs SLACK_BOT_TOKEN (the xoxb- token, OAuth & Permissions) as well as SLACK_APP_TOKEN."
        ]
    from adapters.slack.server import NO_SIGNING_SECRET  # here: slack_bolt is not for every command to import

    problems = [] if _set(settings.slack_signing_secret) else [NO_SIGNING_SECRET]
    if _set(settings.slack_client_id) != _set(settings.slack_client_secret):
        have, need = (
            ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
            if _set(settings.slack_client_id)
            else ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID")
        )
        problems.append(
            f"Slack's OAuth install flow needs {need} as well as {have} (Basic Information > App Credentials)."
        )
    elif not (_set(settings.slack_bot_token) or settings.slack_uses_oauth):
        problems.append(
            "Slack HTTP mode needs SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET (the OAuth install flow, many workspaces); neither is set, so no "
            "command could be answered."
        )
    return problems


def discord_missing(settings: Settings) -> list[str]:
    if _set(settings.discord_token):
        return []
    return ["`--only discord` needs DISCORD_TOKEN (Bot > Token at discord.com/developers/applications)."]


def missing(settings: Settings, part: str) -> list[str]:
    """What `part` lacks to start: Slack and Discord need credentials; the scheduler needs none."""
    if part == "slack":
        return slack_missing(settings)
    if part == "discord":
        return discord_missing(settings)
    return []


def configured_parts(settings: Settings) -> list[str]:
    """The chat adapters whose variables are set: `papers-bot run` without --only starts these."""
    parts = ["slack"] if slack_mode(settings) else []
    return parts + (["discord"] if _set(settings.discord_token) else [])
