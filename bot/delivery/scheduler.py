"""The in-process clock: one APScheduler tick for delivery plus named cron jobs, run only by the leader."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from storage.outbox import Lock, try_lock

log = logging.getLogger(__name__)

LEADER = "papers-bot:scheduler-leader"


@dataclass(frozen=True)
class ScheduledJob:
    """A named job on a crontab line in UTC, e.g. ScheduledJob("ingest-hf", "30 6 * * *", ingest);
    `at_start` runs it once more as the clock starts (a job that catches up on what it missed)."""

    name: str
    cron: str
    func: Callable[[], object]
    at_start: bool = False


class Leader:
    """Only one scheduler process runs jobs; the others keep asking each tick and take over when it dies.

    PostgreSQL: a session advisory lock, released by the server when the holder's connection
    goes away. SQLite: a file lock next to the database, released by the OS when the holder dies.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock: Lock | None = None
        self.guard = threading.Lock()

    def holds(self) -> bool:
        with self.guard:
            if self.lock is not None and not self._alive():
                log.warning("lost the scheduler leader lock; trying to take it again")
                self.lock.release()
                self.lock = None
            if self.lock is None:
                self.lock = try_lock(self.engine, LEADER)
                if self.lock is not None:
                    log.info("this process is the scheduler leader")
            return self.lock is not None

    def _alive(self) -> bool:
        if self.lock is None or self.lock.conn is None:
            return True
        try:
            self.lock.conn.execute(text("SELECT 1"))
            self.lock.conn.commit()
            return True
        except (SQLAlchemyError, OSError):
            return False

    def release(self) -> None:
        with self.guard:
            if self.lock is not None:
                self.lock.release()
                self.lock = None


def _led(leader: Leader, name: str, func: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            if not leader.holds():
                log.debug("%s: another scheduler process leads; skipped", name)
                return
            func()
        except Exception:  # keep ticking: the next tick retries
            log.exception("scheduled job %s failed", name)

    return run


def add_job(
    scheduler: BackgroundScheduler,
    leader: Leader,
    name: str,
    cron: str,
    func: Callable[[], object],
    at_start: bool = False,
) -> None:
    """One more job on the same leader guard; `cron` is a crontab line in UTC; `at_start` also runs it now."""
    trigger = CronTrigger.from_crontab(cron, timezone=UTC)
    first = {"next_run_time": datetime.now(UTC)} if at_start else {}
    # coalesce + max_instances=1: after downtime or a slow run, one catch-up run, never a pile of them
    scheduler.add_job(
        _led(leader, name, func),
        trigger,
        id=name,
        name=name,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        replace_existing=True,
        **first,
    )


def start_scheduler(
    engine: Engine,
    deliver: Callable[[], object],
    tick_minutes: int,
    jobs: Sequence[ScheduledJob] = (),
) -> BackgroundScheduler:
    """Start ticking: `deliver` now and every `tick_minutes` (the pass itself decides which channels are due)."""
    scheduler = BackgroundScheduler(timezone=UTC)
    leader = Leader(engine)
    minutes = max(1, min(int(tick_minutes), 59))
    add_job(scheduler, leader, "deliver", f"*/{minutes} * * * *", deliver, at_start=True)
    for job in jobs:
        add_job(scheduler, leader, job.name, job.cron, job.func, job.at_start)
    scheduler.papers_leader = leader  # for shutdown and tests
    scheduler.start()
    log.info("scheduler started: delivery every %d minutes, %d more jobs", minutes, len(jobs))
    return scheduler


def start_delivery_worker(deliver: Callable[[], object], tick_minutes: int) -> BackgroundScheduler:
    """A delivery worker: the pass every `tick_minutes`, with no leader (workers share each pass safely)."""
    scheduler = BackgroundScheduler(timezone=UTC)
    minutes = max(1, min(int(tick_minutes), 59))

    def run() -> None:
        try:
            deliver()
        except Exception:  # keep ticking: the next tick retries
            log.exception("delivery pass failed")

    scheduler.add_job(
        run,
        CronTrigger.from_crontab(f"*/{minutes} * * * *", timezone=UTC),
        id="deliver",
        name="deliver",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
    scheduler.start()
    log.info("delivery worker started: a pass every %d minutes", minutes)
    return scheduler
