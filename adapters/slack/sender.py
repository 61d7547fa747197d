"""Posting digests to Slack with slack_sdk: rate limits waited out, 5xx retried safely, marks in metadata."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlalchemy import Engine

from adapters.slack.app import installation_store
from adapters.slack.render import render_part
from bot.config import Settings
from bot.delivery.senders import MARK_EVENT, Part, mark_payload, parts
from bot.domain import ChannelRef, Digest
from bot.errors import SendFailed

log = logging.getLogger(__name__)

# The channel is gone or the bot may not post there: pause, do not retry.
PERMANENT = {"channel_not_found", "not_in_channel", "is_archived", "account_inactive", "invalid_auth",
             "missing_scope", "token_revoked", "no_permission", "restricted_action", "team_not_found"}
HISTORY_PAGES = 3  # "recent history": 3 pages of 200 messages is far more than a day of posts


def _retry_after(response: HttpResponse | None) -> float:
    for name, values in (response.headers if response else {}).items():
        if name.lower() == "retry-after" and values:
            try:
                return float(values[0])
            except ValueError:
                break
    return 1.0


class BoundedRateLimitHandler(RateLimitErrorRetryHandler):
    """Waits out 429s like slack_sdk's handler, but never longer than `max_wait` at a time.

    A longer Retry-After ends the attempt (SendFailed with retry_after) so that the outbox
    keeps the digest for a later pass instead of holding a worker for minutes.
    """

    def __init__(self, max_retry_count: int = 5, max_wait: float = 30.0) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return super()._can_retry(state=state, request=request, response=response, error=error) and \
            _retry_after(response) <= self.max_wait

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                                 error: Exception | None = None) -> None:
        state.next_attempt_requested = True
        time.sleep(_retry_after(response) + random.random() * 0.2)
        state.increment_current_attempt()


def make_client(token: str, api_url: str, timeout: int = 15) -> WebClient:
    """No connection-error retry handler on purpose: a post retried blindly can appear twice; we check first."""
    base_url = api_url if api_url.endswith("/") else api_url + "/"  # WebClient joins with urljoin
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[BoundedRateLimitHandler()])


class SlackSender:
    """The Sender for `slack:TEAM:CHANNEL`: one client per workspace token."""

    def __init__(self, client_for: Callable[[str], WebClient], attempts: int = 6, backoff: float = 0.5) -> None:
        self.client_for = client_for
        self.attempts = attempts
        self.backoff = backoff

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None = None) -> SlackSender:
        """Each workspace's installation when the Slack app runs OAuth, else the one SLACK_BOT_TOKEN.

        With a client id and secret, adapters.slack.app answers commands with installations even if
        SLACK_BOT_TOKEN is set; posts use them too, so that both speak as the same bot in each workspace.
        A client id alone (no secret, no token: a worker that only posts) also reads installations.
        """
        oauth = settings.slack_uses_oauth
        if settings.slack_bot_token is not None and not oauth:
            client = make_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
            return cls(lambda _team: client)
        if engine is None:
            raise ValueError("Slack installations live in the database: from_settings needs its engine")
        store = installation_store(settings, engine)

        def client_for(team: str) -> WebClient:
            bot = store.find_bot(enterprise_id=None, team_id=team)
            if bot is None or not bot.bot_token:
                raise SendFailed(f"no installation for workspace {team}", permanent=True)
            return make_client(bot.bot_token, settings.slack_api_url)

        return cls(client_for)

    # --- the Sender protocol ------------------------------------------------------------

    def send(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        return self._post_parts(channel, digest, mark, found={})

    def resume(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        return self._post_parts(channel, digest, mark, found=self._find_parts(channel, mark))

    def find_sent(self, channel: ChannelRef, mark: str) -> list[str] | None:
        found = self._find_parts(channel, mark)
        if not found:
            return None
        count = next(iter(found.values()))[1]
        if len(found) < count:
            return None
        return [found[i][0] for i in range(count)]

    # --- posting ------------------------------------------------------------------------

    def _post_parts(self, channel: ChannelRef, digest: Digest, mark: str, found: dict[int, tuple[str, int]]) -> list[str]:
        client = self.client_for(channel.workspace)
        ids: list[str] = []
        parent: str | None = None
        for part in parts(digest):
            ts = found[part.index][0] if part.index in found else self._post(client, channel, digest, mark, part, parent)
            ids.append(ts)
            if part.is_parent:
                parent = ts
        return ids

    def _post(self, client: WebClient, channel: ChannelRef, digest: Digest, mark: str, part: Part, parent: str | None) -> str:
        text, blocks = render_part(digest, part)
        metadata = {"event_type": MARK_EVENT, "event_payload": mark_payload(mark, part)}
        joined, problem, unsure = False, "no attempt", False
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(min(8.0, self.backoff * 2 ** (attempt - 1)) * (0.5 + random.random()))
            if unsure:  # a 5xx or a timeout does not prove that nothing was posted: look before posting again
                try:
                    landed = self._find_parts(channel, mark).get(part.index)
                except SendFailed as exc:
                    if exc.permanent:
                        raise
                    problem = exc.message
                    continue
                if landed:
                    return landed[0]
                unsure = False
            try:
                answer = client.chat_postMessage(channel=channel.channel, text=text, blocks=blocks, metadata=metadata,
                                                 thread_ts=parent, unfurl_links=False, unfurl_media=False)
                return str(answer["ts"])
            except SlackApiError as exc:
                status, error = exc.response.status_code, _error(exc)
                if error == "not_in_channel" and not joined:
                    joined = self._join(client, channel)
                    if joined:
                        continue
                if error in PERMANENT:
                    raise SendFailed(error, permanent=True) from exc
                if status == 429:
                    raise SendFailed("ratelimited", retry_after=_retry_after_of(exc)) from exc
                if status < 500 and error not in ("internal_error", "fatal_error", "service_unavailable", "request_timeout"):
                    raise SendFailed(f"chat.postMessage: {error}") from exc
                problem, unsure = f"{status} {error}", True
            except Exception as exc:  # timeouts, resets: the post may or may not have landed
                problem, unsure = f"{type(exc).__name__}: {exc}", True
            log.info("post to %s failed (%s); trying again", channel, problem)
        raise SendFailed(f"Slack failed {self.attempts} times: {problem}")

    def _join(self, client: WebClient, channel: ChannelRef) -> bool:
        try:
            client.conversations_join(channel=channel.channel)
            return True
        except SlackApiError as exc:
            log.info("could not join %s: %s", channel, _error(exc))
            return False

    # --- reading our own marks back ------------------------------------------------------

    def _find_parts(self, channel: ChannelRef, mark: str) -> dict[int, tuple[str, int]]:
        """part index -> (ts, part count) of every message with this mark in the recent history."""
        client = self.client_for(channel.workspace)
        found: dict[int, tuple[str, int]] = {}
        try:
            cursor = None
            for _page in range(HISTORY_PAGES):
                page = client.conversations_history(channel=channel.channel, limit=200, include_all_metadata=True, cursor=cursor)
                for message in page.get("messages", []):
                    _collect(message, mark, found)
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if found or not cursor:
                    break
            parent = found.get(0)
            if parent and parent[1] > 1 and len(found) < parent[1]:
                replies = client.conversations_replies(channel=channel.channel, ts=parent[0], limit=200, include_all_metadata=True)
                for message in replies.get("messages", []):
                    _collect(message, mark, found)
        except SlackApiError as exc:
            error = _error(exc)
            if error in PERMANENT:
                raise SendFailed(error, permanent=True) from exc
            raise SendFailed(f"reading history: {exc.response.status_code} {error}", retry_after=_retry_after_of(exc)) from exc
        except Exception as exc:
            raise SendFailed(f"reading history: {type(exc).__name__}: {exc}") from exc
        return found


def _collect(message: dict[str, Any], mark: str, found: dict[int, tuple[str, int]]) -> None:
    meta = message.get("metadata") or {}
    payload = meta.get("event_payload") or {}
    if meta.get("event_type") == MARK_EVENT and payload.get("mark") == mark:
        found[int(payload.get("part", 0))] = (str(message["ts"]), int(payload.get("parts", 1)))


def _error(exc: SlackApiError) -> str:
    try:
        return str(exc.response.get("error") or "unknown_error")
    except Exception:
        return "unknown_error"


def _retry_after_of(exc: SlackApiError) -> float | None:
    if exc.response.status_code != 429:
        return None
    value = (exc.response.headers or {}).get("Retry-After") or (exc.response.headers or {}).get("retry-after")
    try:
        return float(value[0] if isinstance(value, list) else value)
    except (TypeError, ValueError):
        return 30.0
