"""Platform rate limits shared by every delivery worker: a sender that waits its turn in a common budget.

Discord allows a bot about 50 requests a second in all, whatever number of processes post for
it: each process pacing itself would multiply that by the number of workers. Every post reserves
its requests in one budget in the database and waits until its reservation starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from bot.delivery.senders import ResumingSender, Sender, parts
from bot.domain import ChannelRef, Digest
from storage.uow import UnitOfWork


@dataclass
class SharedPace:
    """`per_second` requests a second for `key`, across every process on the same database."""

    engine: Engine
    key: str
    per_second: float
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

    def wait(self, requests: int) -> float:
        """Reserve `requests` and sleep until they may start; returns the seconds waited."""
        cost = max(requests, 0) / self.per_second
        with UnitOfWork(self.engine) as uow:
            start = uow.rates.reserve(self.key, cost, self.clock())
            uow.commit()
        delay = max(0.0, start - self.clock())
        if delay:
            self.sleep(delay)
        return delay


@dataclass
class PacedSender:
    """A sender whose every post first waits for its requests in a shared budget."""

    inner: Sender
    pace: SharedPace
    extra: int = 1  # requests beyond one a message (Discord: opening the thread)
    waited: list[float] = field(default_factory=list)

    def send(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        self.waited.append(self.pace.wait(len(parts(digest)) + self.extra))
        return self.inner.send(channel, digest, mark)

    def find_sent(self, channel: ChannelRef, mark: str) -> list[str] | None:
        self.waited.append(self.pace.wait(1))
        return self.inner.find_sent(channel, mark)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


@dataclass
class PacedResumingSender(PacedSender):
    """The same, for senders that can finish a post cut short."""

    inner: ResumingSender

    def resume(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        self.waited.append(self.pace.wait(len(parts(digest)) + self.extra))
        return self.inner.resume(channel, digest, mark)


def paced(sender: Sender, pace: SharedPace, extra: int = 1) -> PacedSender:
    if isinstance(sender, ResumingSender):
        return PacedResumingSender(sender, pace, extra)
    return PacedSender(sender, pace, extra)


__all__ = ["PacedResumingSender", "PacedSender", "SharedPace", "paced"]
