"""What a Slack request means to the core: the text as typed, who may change a channel, the command and its reply."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.app import App
from bot.chat import commands as c
from bot.chat.replies import Reply
from bot.chat.service import CHANGING
from bot.config import Settings
from bot.domain import Actor, ChannelRef
from bot.errors import PapersError

log = logging.getLogger(__name__)

# Commands whose answer may take longer than Slack's 3 seconds: a dry run, a search, a digest, and
# an upload, and the changing ones, whose permission check may call users.info.
SLOW = (c.Find, c.PreviewDigest, c.Export, c.Club, *CHANGING)
ADMIN_TTL_SECONDS = 300.0
SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>]*)(?:\|[^>]*)?>")


def typed_text(text: str) -> str:
    """What the person typed: Slack wraps URLs as `<url|label>` and escapes `&`, `<`, `>` in what it sends."""
    text = SLACK_LINK.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class Permissions:
    """Who may change a channel's subscriptions and schedule: anyone, or admins, owners and a list."""

    def __init__(
        self,
        changes_by: str,
        admins: Iterable[str],
        ttl: float = ADMIN_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if changes_by not in ("anyone", "admins"):
            log.warning("SLACK_CHANGES_BY=%r is neither anyone nor admins; treating it as admins", changes_by)
        self.anyone = changes_by == "anyone"
        self.admins = frozenset(a.strip() for a in admins if a.strip())
        self.ttl, self.clock = ttl, clock
        self._cache: dict[tuple[str, str], tuple[float, bool]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Permissions:
        return cls(settings.slack_changes_by.strip().lower(), settings.slack_admins.split(","))

    def may_change(self, client: WebClient, team_id: str, user_id: str) -> bool:
        if self.anyone or user_id in self.admins:
            return True
        key = (team_id, user_id)
        with self._lock:
            cached = self._cache.get(key)
        if cached and cached[0] > self.clock():
            return cached[1]
        if not client.token:
            return False  # no bot token (response_url-only mode): only the configured list may change
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            # Not cached: a transient failure should not lock an admin out for the whole TTL.
            log.warning("users.info failed for %s in %s: %s", user_id, team_id, error.response.get("error"))
            return False
        allowed = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        with self._lock:
            self._cache[key] = (self.clock() + self.ttl, allowed)
        return allowed


def user_tz(client: WebClient, user_id: str) -> str | None:
    """The person's time zone as their Slack profile has it (users.info `tz`), or None when it cannot be read."""
    if not client.token:
        return None
    try:
        tz = client.users_info(user=user_id)["user"].get("tz")
    except SlackApiError as error:
        log.info("users.info failed for %s: %s", user_id, error.response.get("error"))
        return None
    return str(tz) if tz else None


def parsed(text: str) -> c.Command | None:
    try:
        return c.parse_command(text)
    except PapersError:
        return None  # the service answers the same text again and explains the problem


def is_slow(text: str) -> bool:
    return isinstance(parsed(typed_text(text)), SLOW)


class Translator:
    """Platform request in, core Reply out: the only place that knows both."""

    def __init__(self, app: App, permissions: Permissions) -> None:
        self.app, self.permissions = app, permissions

    def answer(
        self, client: WebClient, team_id: str, channel_id: str, user_id: str, user_name: str, text: str
    ) -> Reply:
        text = typed_text(text)
        command = parsed(text)
        personal = bool(getattr(command, "personal", False))  # anyone changes their own feed: no check to make
        allowed = (
            isinstance(command, CHANGING) and not personal and self.permissions.may_change(client, team_id, user_id)
        )
        # A person's feed starts in their own time zone: asked only when they make or schedule it.
        tz = user_tz(client, user_id) if personal and isinstance(command, (c.Subscribe, c.SetSchedule)) else None
        actor = Actor(id=user_id, name=user_name or user_id, is_admin=allowed, tz=tz)
        if isinstance(command, c.Club) and channel_id.startswith("D"):  # Slack's direct message ids: no club there
            return self.app.service.run(ChannelRef("slack", team_id, channel_id), actor, replace(command, direct=True))
        return self.app.service.answer(ChannelRef("slack", team_id, channel_id), actor, text)

    def run(
        self, client: WebClient, team_id: str, channel_id: str, user_id: str, user_name: str, command: c.Command
    ) -> Reply:
        """A command the adapter built itself (an import from an attached file), checked as typed ones are."""
        allowed = isinstance(command, CHANGING) and self.permissions.may_change(client, team_id, user_id)
        actor = Actor(id=user_id, name=user_name or user_id, is_admin=allowed)
        return self.app.service.run(ChannelRef("slack", team_id, channel_id), actor, command)

    def from_button(self, body: dict[str, Any], kind: str, key: str) -> Reply:
        """A click on a paper's feedback button: the same as `/papers <kind> <key>` typed by that person."""
        user = body.get("user") or {}
        team = (body.get("team") or {}).get("id") or user.get("team_id", "")
        channel = ChannelRef("slack", team, (body.get("channel") or {}).get("id", ""))
        actor = Actor(id=user.get("id", ""), name=user.get("username") or user.get("name") or user.get("id", ""))
        return self.app.service.click(channel, actor, c.Feedback(kind, key))

    def from_command(self, body: dict[str, Any], client: WebClient) -> Reply:
        return self.answer(
            client,
            body.get("team_id", ""),
            body.get("channel_id", ""),
            body.get("user_id", ""),
            body.get("user_name", ""),
            body.get("text", ""),
        )
