"""Finding our own posts again by their mark, within Slack's history limits, also where the bot has not joined.

Apps distributed outside the Slack Marketplace may call conversations.history and
conversations.replies once a minute, for 15 messages a call. A lookup therefore starts at the
moment the digest was recorded (`oldest`), asks for 15 messages at a time, and stops after a
few calls: a papers channel rarely says 45 things between a digest and its check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.delivery.senders import MARK_EVENT

log = logging.getLogger(__name__)

PER_CALL = 15
HISTORY_CALLS = 3
THREAD_CALLS = 2
SKEW = 30.0  # seconds allowed between our clock and Slack's message timestamps
# Reading cannot work here, but posting may (chat:write.public without channels:join, no groups:history):
# the lookup says so instead of failing, and never pauses the channel for it.
UNREADABLE = {
    "not_in_channel",
    "missing_scope",
    "method_not_supported_for_channel_type",
    "restricted_action",
    "channel_not_joined",
}

Found = dict[int, tuple[str, int]]  # part index -> (message ts, part count)


def collect(message: dict[str, Any], mark: str, found: Found) -> None:
    meta = message.get("metadata") or {}
    payload = meta.get("event_payload") or {}
    if meta.get("event_type") == MARK_EVENT and payload.get("mark") == mark:
        found[int(payload.get("part", 0))] = (str(message["ts"]), int(payload.get("parts", 1)))


def error_of(exc: SlackApiError) -> str:
    try:
        return str(exc.response.get("error") or "unknown_error")
    except (AttributeError, TypeError):  # a response that is not a JSON object
        return "unknown_error"


def find_marked(
    client: WebClient,
    channel: str,
    mark: str,
    oldest: float | None,
    join: Callable[[], bool],
    parent: str | None = None,
) -> Found | None:
    """The parts of `mark` posted since `oldest` (epoch seconds); None when this bot may not read the channel.

    With `parent` (the ts of the post's first message, when known) only its thread is read: the
    parent may be older than `oldest`. `not_in_channel` is answered by joining (when `join` can)
    and reading again. Other errors are raised as SlackApiError for the sender to judge.
    """
    for attempt in (1, 2):
        try:
            return _read(client, channel, mark, oldest, parent)
        except SlackApiError as exc:
            error = error_of(exc)
            if error == "not_in_channel" and attempt == 1 and join():
                continue
            if error in UNREADABLE:
                log.warning("cannot read the history of %s (%s): a post there cannot be confirmed", channel, error)
                return None
            raise
    return None


def _read(client: WebClient, channel: str, mark: str, oldest: float | None, thread: str | None) -> Found:
    found: Found = {}
    window: dict[str, Any] = {"oldest": f"{max(oldest, 0):.6f}", "inclusive": True} if oldest is not None else {}
    cursor = None
    for _call in range(0 if thread else HISTORY_CALLS):
        page = client.conversations_history(
            channel=channel, limit=PER_CALL, include_all_metadata=True, cursor=cursor, **window
        )
        messages: list[dict[str, Any]] = page.get("messages") or []
        for message in messages:
            collect(message, mark, found)
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if found or not cursor:  # a post's first message is its only top-level one
            break
    parent = (thread, 2) if thread else found.get(0)  # the thread's replies list the parent too, with its count
    cursor = None
    for _call in range(THREAD_CALLS):
        if not parent or parent[1] <= 1 or len(found) >= parent[1]:
            break
        replies = client.conversations_replies(
            channel=channel, ts=parent[0], limit=PER_CALL, include_all_metadata=True, cursor=cursor
        )
        for message in replies.get("messages", []):
            collect(message, mark, found)
        parent = found.get(0, parent)
        cursor = (replies.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return found
