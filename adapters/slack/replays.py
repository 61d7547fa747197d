"""Slack requests acted on once: an event retried (X-Slack-Retry-Num) or a signed command replayed is only acknowledged."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy import Engine

from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# Slack retries an event three times over about five minutes, and a signature is good for five
# minutes: an hour keeps every id that can still come back, and keeps the table small.
KEEP = timedelta(hours=1)
PRUNE_EVERY = 60.0  # seconds between two clean-ups by one process


def request_key(body: dict[str, Any]) -> str | None:
    """What identifies one request across retries: an event's event_id, a command's or interaction's trigger_id."""
    if body.get("type") == "event_callback" and isinstance(body.get("event_id"), str) and body["event_id"]:
        return f"slack:event:{body['event_id']}"
    trigger = body.get("trigger_id")
    if isinstance(trigger, str) and trigger:
        return f"slack:trigger:{trigger}"
    return None


def utcnow() -> datetime:
    return datetime.now(UTC)


class Replays:
    """A bolt middleware (after signature checks) that lets each request id through once, in every process."""

    def __init__(
        self, engine: Engine, clock: Callable[[], datetime] = utcnow, kept: Callable[[str], bool] | None = None
    ) -> None:
        """`kept(key)`: whether the request's work is in the inbox; an event retried whose work is not was
        recorded by a process that stopped before its acknowledgement (Slack retries it for that reason): it goes
        through again, and the inbox's own key keeps it from being carried out twice."""
        self.engine, self.clock, self.kept = engine, clock, kept
        self._pruned = 0.0
        self._guard = threading.Lock()

    def first_time(self, key: str) -> bool:
        now = self.clock()
        with UnitOfWork(self.engine) as uow:
            fresh = uow.seen_requests.first_time(key, now)
            uow.commit()
        self._prune(now)
        return fresh

    def _prune(self, now: datetime) -> None:
        with self._guard:
            if time.monotonic() - self._pruned < PRUNE_EVERY:
                return
            self._pruned = time.monotonic()
        with UnitOfWork(self.engine) as uow:
            gone = uow.seen_requests.forget_before(now - KEEP)
            uow.commit()
        if gone:
            log.debug("forgot %d request ids older than %s", gone, KEEP)

    def middleware(self, request: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:
        key = request_key(request.body)
        if key is None or self.first_time(key):
            return next()
        retry = (request.headers.get("x-slack-retry-num") or ["0"])[0]
        if retry != "0" and key.startswith("slack:event:") and self.kept is not None and not self.kept(key):
            log.info("%s retried (%s) and not in the inbox: its first delivery was never acknowledged", key, retry)
            return next()
        log.info("%s was handled already (retry %s); acknowledged, not acted on again", key, retry)
        return BoltResponse(status=200, body="")
