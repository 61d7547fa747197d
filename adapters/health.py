"""Health: each process's loop touches a heartbeat file; `papers-bot health` checks it and the database."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from adapters.modes import slack_mode
from bot.config import Settings
from storage.engine import make_engine, normalise_url

log = logging.getLogger(__name__)

BEAT_SECONDS = 30.0
STALE_SECONDS = 120.0  # four beats missed: the loop is stuck, not merely busy
DATABASE_TIMEOUT = 5  # seconds to connect: a health check must answer before its own time-out
# Procfile name -> the part of `papers-bot run --only PART` that it runs (either name is accepted).
PROCESSES = {"web": "slack", "worker": "discord", "clock": "scheduler", "delivery": "delivery"}


class Heartbeat:
    """A file whose modification time says when a loop last went round."""

    def __init__(self, folder: Path, part: str) -> None:
        self.part = part
        self.path = folder / f"{part}.heartbeat"

    def beat(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch()
            now = time.time()  # the clock `age` reads, which a test may have moved; the file system's may differ
            os.utime(self.path, (now, now))
        except OSError as error:  # a full or read-only disk must not stop the bot, only its health check
            log.warning("cannot touch the heartbeat %s: %s", self.path, error)

    def age(self, now: float | None = None) -> float | None:
        try:
            return (now or time.time()) - self.path.stat().st_mtime
        except FileNotFoundError:
            return None

    def clear(self) -> None:
        """At a clean exit: a process that has stopped is not healthy."""
        self.path.unlink(missing_ok=True)


def heartbeat(settings: Settings, part: str) -> Heartbeat:
    return Heartbeat(settings.runtime_dir, part)


def shown_url(url: str) -> str:
    """The database URL without its password, for a sentence someone may paste into a ticket."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "DATABASE_URL"


def database_problem(settings: Settings) -> str | None:
    """None when the database answers `SELECT 1`; else one sentence that names it (without its password)."""
    url = normalise_url(settings.database_url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not Path(path).is_file():
            return f"There is no database at {path} yet (DATABASE_URL); `papers-bot db upgrade` creates it."
        engine = make_engine(url)
    else:
        engine = make_engine(url, connect_args={"connect_timeout": DATABASE_TIMEOUT})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except (SQLAlchemyError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200]
        return f"The database at {shown_url(url)} does not answer: {reason}"
    finally:
        engine.dispose()


def loop_problem(settings: Settings, part: str, now: float | None = None) -> str | None:
    """None when `part`'s loop beat recently (the Slack HTTP server: when its /healthz answers)."""
    name = next((proc for proc, p in PROCESSES.items() if p == part), part)
    if part == "slack" and slack_mode(settings) == "http":
        host = settings.local_host
        url = f"http://{f'[{host}]' if ':' in host else host}:{settings.port or 3000}/healthz"
        import httpx  # only this check needs it

        try:
            status = httpx.get(url, timeout=DATABASE_TIMEOUT + 1).status_code
        except httpx.HTTPError as error:
            return f"The {name} process does not answer at {url}: {error.__class__.__name__}."
        return None if status == 200 else f"The {name} process answers {status} at {url}."
    age = heartbeat(settings, part).age(now)
    if age is None:
        return f"The {name} process has no heartbeat in {settings.runtime_dir} (starting, or not running)."
    if age > STALE_SECONDS:
        return f"The {name} process last beat {age:.0f} s ago (more than {STALE_SECONDS:.0f} s): its loop is stuck."
    return None


def part_of(process: str) -> str | None:
    """`clock` or `scheduler` -> `scheduler`; None for a name that is neither."""
    if process in PROCESSES:
        return PROCESSES[process]
    return process if process in PROCESSES.values() else None


def health_problem(settings: Settings, parts: list[str], now: float | None = None) -> str | None:
    """The first thing wrong: the database, then each part's loop (its heartbeat's age at `now`, by default the
    clock's); None when all is well."""
    problem = database_problem(settings)
    for part in parts:
        problem = problem or loop_problem(settings, part, now)
    return problem
