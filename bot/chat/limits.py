"""Abuse limits: how many commands one person may send a minute, how much a channel may follow or import."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Callable
from time import monotonic

MAX_SUBSCRIPTIONS = 25
MAX_IMPORT_LINES = 200  # a file /papers export wrote holds at most MAX_SUBSCRIPTIONS
MAX_IMPORT_BYTES = 256 * 1024  # an attached file larger than this is refused before it is read


class CommandRate:
    """A sliding window per person; one process's view, which is enough to stop a flood."""

    def __init__(self, per_minute: int = 20, clock: Callable[[], float] = monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.seen: dict[str, deque[float]] = defaultdict(deque)
        self.guard = threading.Lock()

    def allow(self, who: str) -> bool:
        now = self.clock()
        with self.guard:
            times = self.seen[who]
            while times and times[0] <= now - 60:
                times.popleft()
            if len(times) >= self.per_minute:
                return False
            times.append(now)
            if len(self.seen) > 10_000:  # forget idle people so a long-running process stays small
                for idle in [k for k, v in self.seen.items() if not v or v[-1] <= now - 60]:
                    del self.seen[idle]
            return True
