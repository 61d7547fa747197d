"""Posting digests to Slack with slack_sdk: rate limits waited out, 5xx retried safely, marks in metadata."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlalchemy import Engine

from adapters.slack.app import installation_store
from adapters.slack.history import SKEW, Found, error_of, find_marked
from adapters.slack.limits import as_text, fitted, problems
from adapters.slack.render import render_part
from bot.config import Settings
from bot.delivery.senders import MARK_EVENT, Part, mark_payload, parts
from bot.domain import ChannelRef, Digest
from bot.errors import SendFailed
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# The channel is gone or the bot may not post there: pause, do not retry.
PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "account_inactive",
    "invalid_auth",
    "missing_scope",
    "token_revoked",
    "no_permission",
    "restricted_action",
    "team_not_found",
}
# Reading history: only a channel or token that is gone pauses; not being a member there does not.
GONE = {"channel_not_found", "is_archived", "account_inactive", "invalid_auth", "token_revoked", "team_not_found"}
# Slack's own trouble: the post may or may not have landed, so look before posting again.
UNSURE = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
REFUSED_BLOCKS = {"invalid_blocks", "msg_blocks_too_long", "invalid_blocks_format"}
LOOKUP_KEPT = 300.0  # seconds a find_sent lookup serves the resume that follows it (one history call a minute)


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

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            super()._can_retry(state=state, request=request, response=response, error=error)
            and _retry_after(response) <= self.max_wait
        )

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        time.sleep(_retry_after(response) + random.random() * 0.2)
        state.increment_current_attempt()


def make_client(token: str, api_url: str, timeout: int = 15) -> WebClient:
    """No connection-error retry handler on purpose: a post retried blindly can appear twice; we check first."""
    base_url = api_url if api_url.endswith("/") else api_url + "/"  # WebClient joins with urljoin
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[BoundedRateLimitHandler()])


class SlackSender:
    """The Sender for `slack:TEAM:CHANNEL`: one client per workspace token."""

    def __init__(
        self,
        client_for: Callable[[str], WebClient],
        attempts: int = 6,
        backoff: float = 0.5,
        recorded_at: Callable[[str], datetime | None] | None = None,
    ) -> None:
        self.client_for = client_for
        self.attempts = attempts
        self.backoff = backoff
        self.recorded_at = recorded_at or (lambda _mark: None)
        self._lookups: dict[tuple[str, str], tuple[float, Found]] = {}
        self._direct: dict[tuple[str, str], str] = {}  # (team, user) -> the id of the bot's direct message with them
        self._guard = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None = None) -> SlackSender:
        """Each workspace's installation when the Slack app runs OAuth, else the one SLACK_BOT_TOKEN.

        With a client id and secret, adapters.slack.app answers commands with installations even if
        SLACK_BOT_TOKEN is set; posts use them too, so that both speak as the same bot in each workspace.
        A client id alone (no secret, no token: a worker that only posts) also reads installations.
        """
        oauth = settings.slack_uses_oauth
        recorded_at = _recorded_at(engine) if engine is not None else None
        if settings.slack_bot_token is not None and not oauth:
            client = make_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
            return cls(lambda _team: client, recorded_at=recorded_at)
        if engine is None:
            raise ValueError("Slack installations live in the database: from_settings needs its engine")
        store = installation_store(settings, engine)

        def client_for(team: str) -> WebClient:
            bot = store.find_bot(enterprise_id=None, team_id=team)
            if bot is None or not bot.bot_token:
                raise SendFailed(f"no installation for workspace {team}", permanent=True)
            return make_client(bot.bot_token, settings.slack_api_url)

        return cls(client_for, recorded_at=recorded_at)

    # --- the Sender protocol ------------------------------------------------------------

    def send(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        return self._post_parts(channel, digest, mark, found={})

    def resume(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        with self._guard:  # the lookup find_sent just made: history may be read once a minute
            kept = self._lookups.pop((str(channel), mark), None)
        found = kept[1] if kept and time.monotonic() - kept[0] < LOOKUP_KEPT else self._lookup(channel, mark)
        return self._post_parts(channel, digest, mark, found=found)

    def find_sent(self, channel: ChannelRef, mark: str) -> list[str] | None:
        found = self._lookup(channel, mark)
        with self._guard:
            self._lookups[(str(channel), mark)] = (time.monotonic(), found)
        if not found:
            return None
        count = next(iter(found.values()))[1]
        if len(found) < count:
            return None
        return [found[i][0] for i in range(count)]

    def _lookup(self, channel: ChannelRef, mark: str) -> Found:
        recorded = self.recorded_at(mark)
        if recorded is not None and recorded.tzinfo is None:
            recorded = recorded.replace(tzinfo=UTC)  # stored in UTC
        return self._find_parts(channel, mark, recorded.timestamp() - SKEW if recorded else None)

    # --- posting ------------------------------------------------------------------------

    def _post_parts(self, channel: ChannelRef, digest: Digest, mark: str, found: Found) -> list[str]:
        client = self.client_for(channel.workspace)
        ids: list[str] = []
        parent: str | None = None
        for part in parts(digest):
            ts = (
                found[part.index][0] if part.index in found else self._post(client, channel, digest, mark, part, parent)
            )
            ids.append(ts)
            if part.is_parent:
                parent = ts
        return ids

    def _post(
        self, client: WebClient, channel: ChannelRef, digest: Digest, mark: str, part: Part, parent: str | None
    ) -> str:
        text, blocks = render_part(digest, part)
        message = fitted({"text": text, "blocks": blocks})  # the one limits check, before Slack sees it
        where = self._conversation(client, channel)  # a person's direct message, a channel's own id
        metadata = {"event_type": MARK_EVENT, "event_payload": mark_payload(mark, part)}
        joined, problem, unsure, began = False, "no attempt", False, time.time()
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(min(8.0, self.backoff * 2 ** (attempt - 1)) * (0.5 + random.random()))
            if unsure:  # a 5xx or a timeout does not prove that nothing was posted: look before posting again
                try:  # a reply is looked for in its thread: the parent may be older than this attempt
                    landed = self._find_parts(channel, mark, began - SKEW, parent).get(part.index)
                except SendFailed as exc:
                    if exc.permanent:
                        raise
                    problem = exc.message
                    continue
                if landed:
                    return landed[0]
                unsure = False
            try:
                began = min(began, time.time())
                answer = client.chat_postMessage(
                    channel=where,
                    text=message["text"],
                    blocks=message.get("blocks"),
                    metadata=metadata,
                    thread_ts=parent,
                    unfurl_links=False,
                    unfurl_media=False,
                )
                return str(answer["ts"])
            except SlackApiError as exc:
                status, error = exc.response.status_code, error_of(exc)
                if error == "not_in_channel" and not joined:
                    joined = self._join(client, channel)
                    if joined:
                        continue
                if error in REFUSED_BLOCKS and message.get("blocks"):
                    # Slack measured the blocks differently from us: the same words as plain text fit for sure.
                    log.warning(
                        "Slack refused the blocks of a post to %s (%s; ours: %s); posting it as text",
                        channel,
                        error,
                        problems(message) or "within limits",
                    )
                    message = {"text": as_text(message["blocks"])}
                    continue
                if error in PERMANENT:
                    raise SendFailed(error, permanent=True) from exc
                if status == 429:
                    raise SendFailed("ratelimited", retry_after=_retry_after_of(exc)) from exc
                if status < 500 and error not in UNSURE:
                    # The same request would be refused again: record why instead of retrying it for ever.
                    raise SendFailed(f"Slack refused the post: {error}", permanent=True) from exc
                problem, unsure = f"{status} {error}", True
            except Exception as exc:  # noqa: BLE001 timeouts, resets: the post may or may not have landed
                problem, unsure = f"{type(exc).__name__}: {exc}", True
            log.info("post to %s failed (%s); trying again", channel, problem)
        raise SendFailed(f"Slack failed {self.attempts} times: {problem}")

    def _conversation(self, client: WebClient, channel: ChannelRef) -> str:
        """Where a feed's posts go: its channel (a weekly best-of post too), or for a person's feed the bot's
        direct message with them, opened once with conversations.open (which answers the same one every time)."""
        feed = channel.base
        if feed.user_id is None:
            return feed.channel
        key = (feed.workspace, feed.user_id)
        with self._guard:
            known = self._direct.get(key)
        if known:
            return known
        try:
            opened = str(client.conversations_open(users=feed.user_id)["channel"]["id"])
        except SlackApiError as exc:
            error = error_of(exc)
            if error in PERMANENT or error in ("user_not_found", "user_disabled", "cannot_dm_bot"):
                raise SendFailed(error, permanent=True) from exc
            raise SendFailed(f"opening a direct message: {error}", retry_after=_retry_after_of(exc)) from exc
        except Exception as exc:  # timeouts, resets: nothing was posted yet, so the next pass retries
            raise SendFailed(f"opening a direct message: {type(exc).__name__}: {exc}") from exc
        with self._guard:
            self._direct[key] = opened
        return opened

    def _join(self, client: WebClient, channel: ChannelRef) -> bool:
        """Whether the bot joined, so that it may read; False when Slack refuses it. A passing failure raises:
        read as a refusal, it would leave the post unconfirmed and post it a second time."""
        if channel.is_personal:
            return False  # a direct message has no joining
        try:
            client.conversations_join(channel=channel.base.channel)
            return True
        except SlackApiError as exc:
            status = exc.response.status_code
            if status == 429 or status >= 500:
                raise SendFailed(
                    f"joining to read history: {status} {error_of(exc)}", retry_after=_retry_after_of(exc)
                ) from exc
            log.info("could not join %s: %s", channel, error_of(exc))
            return False
        except Exception as exc:  # timeouts, resets: Slack has not said no
            raise SendFailed(f"joining to read history: {type(exc).__name__}: {exc}") from exc

    # --- reading our own marks back ------------------------------------------------------

    def _find_parts(self, channel: ChannelRef, mark: str, oldest: float | None, parent: str | None = None) -> Found:
        """Part index -> (ts, part count) of this mark's messages since `oldest` (in `parent`'s thread when given);
        empty when the channel cannot be read."""
        client = self.client_for(channel.workspace)
        where = self._conversation(client, channel)
        try:
            found = find_marked(
                client,
                where,
                mark,
                oldest,
                join=lambda: self._join(client, channel),
                parent=parent,
            )
        except SlackApiError as exc:
            error = error_of(exc)
            if error in GONE:
                raise SendFailed(error, permanent=True) from exc
            raise SendFailed(
                f"reading history: {exc.response.status_code} {error}", retry_after=_retry_after_of(exc)
            ) from exc
        except SendFailed:
            raise
        except Exception as exc:
            raise SendFailed(f"reading history: {type(exc).__name__}: {exc}") from exc
        return found or {}  # unreadable: nothing to confirm, so the part is posted (at least once beats never)


def _recorded_at(engine: Engine) -> Callable[[str], datetime | None]:
    def recorded_at(mark: str) -> datetime | None:
        with UnitOfWork(engine) as uow:
            return uow.outbox.recorded_at(mark)

    return recorded_at


def _retry_after_of(exc: SlackApiError) -> float | None:
    if exc.response.status_code != 429:
        return None
    value = (exc.response.headers or {}).get("Retry-After") or (exc.response.headers or {}).get("retry-after")
    try:
        return float(value[0] if isinstance(value, list) else value)  # type: ignore[arg-type]  # None: TypeError below
    except (TypeError, ValueError):
        return 30.0
