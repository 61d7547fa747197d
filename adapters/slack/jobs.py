"""The work behind Slack requests, as the inbox stores it: a named job and what it needs, carried out by any process.

A listener acknowledges at once and `defer`s its work; the job runs later from the stored payload
alone, with a client for the payload's workspace (an installation's token, or the one bot token):
nothing of bolt's request context is needed, so another process can carry it out after a restart.

Carried out again after a process died in it, a job posts into its channel only what is not there
yet (adapters/slack/marks.py): exactly once for chat.postMessage, at least once for the rest.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from adapters.slack.marks import Marked
from bot.inbox import Inbox
from storage.inbox import Work

log = logging.getLogger(__name__)

Payload = dict[str, Any]
Job = Callable[[Payload, WebClient], None]
# What a stored body keeps: not the legacy verification token (a secret), nor what no job reads.
DROPPED = ("token", "authorizations", "is_ext_shared_channel")


def team_of(body: dict[str, Any]) -> str:
    """The workspace a request came from, where each kind of body says it."""
    return str(body.get("team_id") or (body.get("team") or {}).get("id") or "")


def home_of(payload: Payload) -> tuple[str, str | None] | None:
    """Where a job's answer is posted (channel, thread), when it answers in a channel: a mention in its thread,
    a command's post (a club's vote) in its channel; None for what answers through a response_url only."""
    event = payload.get("event")
    if isinstance(event, dict) and event.get("type") == "app_mention" and event.get("channel"):
        return str(event["channel"]), str(event.get("thread_ts") or event.get("ts") or "") or None
    body = payload.get("body")
    if isinstance(body, dict) and body.get("channel_id"):
        return str(body["channel_id"]), None
    return None


def stored(body: dict[str, Any]) -> Payload:
    return {name: value for name, value in body.items() if name not in DROPPED}


def respond_to(payload: Payload) -> Respond:
    """A `respond` for the response_url the payload carries (good for 30 minutes after the request)."""
    return Respond(response_url=str(payload.get("response_url") or ""))


class Jobs:
    """Jobs by name, each run by its kind's pool of the inbox; `clients(team)` gives the workspace's client."""

    def __init__(self, inbox: Inbox, clients: Callable[[str], WebClient]) -> None:
        self.inbox, self.clients = inbox, clients
        self.jobs: dict[str, Job] = {}
        for kind in inbox.pools:
            inbox.handle(kind, self._run)

    def job(self, name: str) -> Callable[[Job], Job]:
        def register(job: Job) -> Job:
            self.jobs[name] = job
            return job

        return register

    def defer(self, kind: str, name: str, key: str | None, team: str, payload: Payload) -> bool:
        """Write the job to the inbox (before the acknowledgement), to run in `kind`'s pool; False for a retry."""
        return self.inbox.accept(kind, key or f"slack:job:{uuid.uuid4().hex}", {"job": name, "team": team, **payload})

    def _run(self, work: Work) -> None:
        payload = work.payload
        job = self.jobs.get(str(payload.get("job")))
        if job is None:
            log.error("no job %r (a request written by another version?); dropped", payload.get("job"))
            return
        # Started before (attempts > 1, this start included): a process may have died after Slack took a post, before the row
        # was marked done. The job's posts carry its key: found where the job answers, the job is not run
        # again (its command ran before the answer was posted); a part found elsewhere is not posted again.
        client = Marked(self.clients(str(payload.get("team") or "")), work.key, again=work.attempts > 1)
        home = home_of(payload)
        if client.again and home is not None and client.earlier(*home):
            log.info("%s was answered before its process stopped: not carried out again", work.key)
            return
        job(payload, client.as_client())
