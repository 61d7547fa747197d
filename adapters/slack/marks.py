"""A job's channel posts, each marked with the job's inbox key, found again when the job is carried out once more.

A process killed after Slack accepted a post but before the inbox row was marked done leaves the
job to another process, which would post the same answer twice. So every chat.postMessage of a job
carries its mark in the message `metadata` (as the delivery outbox marks digests: adapters/slack/
sender.py), and a job claimed again after its lease ran out first reads the channel's recent history
(or the thread it answers in) and posts only the parts it does not find there.

What cannot be looked up stays at least once: ephemeral messages, response_url answers and file
uploads carry no metadata, and a channel the bot may not read confirms nothing (it is posted).
"""

from __future__ import annotations

import logging
from typing import Any, cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from adapters.slack.history import HISTORY_CALLS, PER_CALL, THREAD_CALLS, error_of

log = logging.getLogger(__name__)

REPLY_EVENT = "papers_reply"  # metadata event type of a job's posts (a digest's is bot.delivery.senders.MARK_EVENT)
Found = dict[int, str]  # part number -> the ts Slack gave it


class Marked:
    """A job's client: the workspace's own for everything, with each chat.postMessage marked `mark`, part by part.

    `again`: the job may have run before (its worker died); a part found in the channel is not posted
    again, and its earlier `ts` is answered instead."""

    def __init__(self, client: WebClient, mark: str, again: bool) -> None:
        self._client, self._mark, self.again = client, mark, again
        self._parts = 0
        self._found: dict[tuple[str, str | None], Found] = {}

    def __getattr__(self, name: str) -> Any:  # every other method is the workspace client's own
        return getattr(self._client, name)

    def as_client(self) -> WebClient:
        return cast(WebClient, self)

    def chat_postMessage(self, *, channel: str, thread_ts: str | None = None, **message: Any) -> SlackResponse:
        part, self._parts = self._parts, self._parts + 1
        if self.again:
            ts = self.earlier(channel, thread_ts).get(part)
            if ts is not None:
                log.info("%s part %d is in %s already (ts %s): not posted again", self._mark, part, channel, ts)
                data = {"ok": True, "channel": channel, "ts": ts}
                return SlackResponse(
                    client=self._client,
                    http_verb="POST",
                    api_url="chat.postMessage",
                    req_args={},
                    data=data,
                    headers={},
                    status_code=200,
                )
        metadata = {"event_type": REPLY_EVENT, "event_payload": {"mark": self._mark, "part": part}}
        return self._client.chat_postMessage(channel=channel, thread_ts=thread_ts, metadata=metadata, **message)

    def earlier(self, channel: str, thread: str | None) -> Found:
        """This job's parts already in the channel (or thread); read once a place, empty when it cannot be read."""
        place = (channel, thread)
        if place not in self._found:
            try:
                self._found[place] = _read(self._client, channel, thread, self._mark)
            except SlackApiError as error:
                if error_of(error) != "thread_not_found":  # no reply in a thread yet: nothing posted
                    log.warning("%s: cannot read %s (%s): posted, maybe twice", self._mark, channel, error_of(error))
                self._found[place] = {}
            except Exception as error:  # noqa: BLE001 Slack away: posting at least once beats never
                log.warning("%s: reading %s failed (%s): posted, maybe twice", self._mark, channel, error)
                self._found[place] = {}
        return self._found[place]


def _read(client: WebClient, channel: str, thread: str | None, mark: str) -> Found:
    """The parts marked `mark` among the last messages of `thread` (its replies) or of the channel."""
    found: Found = {}
    cursor = None
    for _call in range(THREAD_CALLS if thread else HISTORY_CALLS):
        if thread:
            page = client.conversations_replies(
                channel=channel, ts=thread, limit=PER_CALL, include_all_metadata=True, cursor=cursor
            )
        else:
            page = client.conversations_history(
                channel=channel, limit=PER_CALL, include_all_metadata=True, cursor=cursor
            )
        for message in page.get("messages") or []:
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == REPLY_EVENT and payload.get("mark") == mark:
                found[int(payload.get("part", 0))] = str(message["ts"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return found
