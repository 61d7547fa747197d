"""What the web process keeps of its own answers: the most recent few, each for a while or until pushed out."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """At most `size` values, the least recently used pushed out first, each one given for `fresh_for` seconds
    of `clock` after it was kept. Thread-safe: the site's endpoints hand work to threads."""

    def __init__(self, size: int, fresh_for: float = math.inf, clock: Callable[[], float] = time.monotonic) -> None:
        self.size, self.fresh_for, self.clock = size, fresh_for, clock
        self._kept: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._kept.get(key)
            if found is None:
                return None
            if found[0] <= self.clock():
                del self._kept[key]
                return None
            self._kept.move_to_end(key)
            return found[1]

    def put(self, key: K, value: V) -> V:
        if self.fresh_for <= 0:
            return value
        with self._lock:
            self._kept[key] = (self.clock() + self.fresh_for, value)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return value


class InFlight(Generic[K, V]):
    """One computation per key at a time, in a worker thread: whoever asks for a key being computed waits for
    that computation instead of starting another (fifty readers of a new version render it once). For the
    event loop's own use: the endpoints call it, never a thread."""

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, make: Callable[[], V]) -> V:
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(run_in_threadpool(make))
            self._running[key] = running
            running.add_done_callback(lambda _: self._running.pop(key, None))
        return await asyncio.shield(running)  # a reader that goes away does not cancel the others' answer
