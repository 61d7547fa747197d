"""Acknowledged work, carried out once: each request is written to the inbox table, then run by its kind's own pool.

A pool per kind (commands, unfurls, other events) with a bounded number of threads and of waiting
requests, so that a flood of one kind never delays another, and nothing ever delays an
acknowledgement. A process that stops before it carried a request out leaves it in the table;
every process sweeps the table now and then and claims, with a lease, what nobody holds.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage.inbox import Work
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[Work], None]  # the request, with its key and how many times it was started (this one included)
# A request runs in seconds; a lease this long is only ever waited out after a process died holding it.
LEASE = timedelta(minutes=2)
KEEP = timedelta(hours=1)  # done requests stay as long as the replay guard keeps their ids (adapters/slack/replays.py)
SWEEP_SECONDS = 15.0


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Pool:
    """One kind's share of the process: how many run at once, and how many may wait in memory behind them."""

    threads: int
    waiting: int


# Commands (and mentions, buttons) are what a person waits for; unfurls may be slow (arXiv is paced at one
# request every 3 s); other events (Home opened, reactions) are quick.
POOLS: Mapping[str, Pool] = {"command": Pool(8, 200), "unfurl": Pool(2, 50), "event": Pool(4, 200)}
SQLITE_THREADS = 2


class Inbox:
    """`accept(kind, key, payload)` after the signature and replay checks, before the acknowledgement."""

    def __init__(
        self,
        engine: Engine,
        pools: Mapping[str, Pool] = POOLS,
        executor: Executor | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """`executor`, when given, runs every kind's work (tests: at once, or never: a process that died)."""
        if engine.dialect.name == "sqlite":  # one writer at a time: more threads would only queue for its lock
            pools = {kind: Pool(min(pool.threads, SQLITE_THREADS), pool.waiting) for kind, pool in pools.items()}
        self.engine, self.pools, self.clock = engine, dict(pools), clock
        self.owner = uuid.uuid4().hex[:16]  # this process, as the table's `owner` column names it
        self.handlers: dict[str, Handler] = {}
        self._executors: dict[str, Executor] = {
            kind: executor or ThreadPoolExecutor(pool.threads, thread_name_prefix=f"inbox-{kind}")
            for kind, pool in self.pools.items()
        }
        self._held: dict[str, int] = dict.fromkeys(self.pools, 0)  # requests held in memory, running or waiting
        self._queued: dict[int, Work] = {}  # handed to a pool, not started
        self._running: set[int] = set()
        self._guard = threading.Lock()
        self._stopped = threading.Event()
        self._sweeper: threading.Thread | None = None

    def handle(self, kind: str, handler: Handler) -> None:
        if kind not in self.pools:
            raise ValueError(f"no pool for {kind!r}: {', '.join(self.pools)}")
        self.handlers[kind] = handler

    def accept(self, kind: str, key: str, payload: dict[str, Any]) -> bool:
        """Write the request (held by this process if its pool has room), then hand it to the pool.

        False when the key is in the inbox already: a retry of a request that is, or was, carried out."""
        now = self.clock()
        room = self._reserve(kind)
        with UnitOfWork(self.engine) as uow:
            work_id = uow.inbox.add(key, kind, payload, now, self.owner, now + LEASE if room else now)
            uow.commit()
        if work_id is None:
            if room:
                self._unreserve(kind)
            return False
        if room:
            self._submit(Work(work_id, key, kind, payload, 0))
        else:  # left for the next sweep, of this process or another one, when a pool has room
            log.warning("%s pool full: %s left in the inbox for the next sweep", kind, key)
        return True

    def sweep(self) -> int:
        """Claim what nobody holds (a dead process's requests, or those no pool had room for) and run it."""
        started = 0
        for kind in self.pools:
            room = self._room(kind)
            if room <= 0 or kind not in self.handlers:
                continue
            now = self.clock()
            with UnitOfWork(self.engine) as uow:
                claimed = uow.inbox.claim([kind], now, self.owner, now + LEASE, room)
                uow.commit()
            for work in claimed:
                log.info("carrying out %s (%s), started %d times before", work.key, kind, work.attempts)
                with self._guard:
                    self._held[kind] += 1
                self._submit(work)
                started += 1
        return started

    def start(self, every: float = SWEEP_SECONDS) -> None:
        """Sweep now and then in a thread of its own, until `stop()`; forget old done requests on the way."""

        def loop() -> None:
            while not self._stopped.is_set():
                try:
                    self.renew()
                    self.sweep()
                    self.forget_old()
                except SQLAlchemyError as error:  # the database away for a moment: the next sweep tries again
                    log.warning("inbox sweep failed: %s", type(error).__name__)
                self._stopped.wait(every)

        self._sweeper = threading.Thread(target=loop, name="inbox-sweep", daemon=True)
        self._sweeper.start()

    def renew(self) -> int:
        """Extend the lease of every request this process holds (a long one must not be taken by another)."""
        with self._guard:
            held = [*self._queued, *self._running]
        if not held:
            return 0
        with UnitOfWork(self.engine) as uow:
            renewed = uow.inbox.renew(held, self.owner, self.clock() + LEASE)
            uow.commit()
        return renewed

    def stop(self, wait: bool = False) -> None:
        """Stop taking work: what is not started yet is given back to the table at once, for another process;
        `wait` for what is running to end."""
        self._stopped.set()
        for executor in dict.fromkeys(self._executors.values()):
            executor.shutdown(wait=False, cancel_futures=True)
        with self._guard:
            left, self._queued = list(self._queued.values()), {}
        if left:
            try:
                with UnitOfWork(self.engine) as uow:
                    for work in left:
                        uow.inbox.release(work.id, self.clock())
                    uow.commit()
                log.info("stopping: %d requests given back to the inbox", len(left))
            except SQLAlchemyError as error:  # the database away: they wait out their lease instead
                log.warning("stopping: %d requests not given back (%s)", len(left), type(error).__name__)
        if wait:
            for executor in dict.fromkeys(self._executors.values()):
                executor.shutdown(wait=True)

    def forget_old(self) -> int:
        with UnitOfWork(self.engine) as uow:
            gone = uow.inbox.forget_before(self.clock() - KEEP)
            uow.commit()
        return gone

    def has(self, key: str) -> bool:
        """Whether a request with this key was written (carried out or not, within KEEP)."""
        with UnitOfWork(self.engine) as uow:
            return uow.inbox.has(key)

    def waiting(self) -> int:
        with UnitOfWork(self.engine) as uow:
            return uow.inbox.waiting()

    # --- running one request -----------------------------------------------------------------

    def _submit(self, work: Work) -> None:
        with self._guard:
            self._queued[work.id] = work
        try:
            self._executors[work.kind].submit(self._run, work)
        except RuntimeError:  # shut down: stopping; the lease runs out and another process takes it
            with self._guard:
                self._queued.pop(work.id, None)
            self._unreserve(work.kind)

    def _run(self, work: Work) -> None:
        with self._guard:
            started = self._queued.pop(work.id, None) is not None
            if started:
                self._running.add(work.id)
        if not started:
            return  # given back by stop() already
        try:
            if self._stopped.is_set():  # stopping before it started: give it back at once
                self._finish(work, done=False)
                return
            with UnitOfWork(self.engine) as uow:  # counted before it runs: a kill -9 in it leaves the count
                work = replace(work, attempts=uow.inbox.start(work.id))
                uow.commit()
            try:
                self.handlers[work.kind](work)
            except Exception:  # a bug in one request is logged; the request is not run again
                log.exception("carrying out %s (%s) failed", work.key, work.kind)
            self._finish(work, done=True)
        finally:
            with self._guard:
                self._running.discard(work.id)
            self._unreserve(work.kind)

    def _finish(self, work: Work, done: bool) -> None:
        with UnitOfWork(self.engine) as uow:
            if done:
                uow.inbox.done(work.id, self.clock())
            else:
                uow.inbox.release(work.id, self.clock())
            uow.commit()

    def _room(self, kind: str) -> int:
        pool = self.pools[kind]
        with self._guard:
            return pool.threads + pool.waiting - self._held[kind]

    def _reserve(self, kind: str) -> bool:
        pool = self.pools[kind]
        with self._guard:
            if self._held[kind] >= pool.threads + pool.waiting:
                return False
            self._held[kind] += 1
            return True

    def _unreserve(self, kind: str) -> None:
        with self._guard:
            self._held[kind] -= 1
