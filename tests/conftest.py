"""Fixtures shared by the suite: a database engine for SQLite and for PostgreSQL; the clock moved on request."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from storage.engine import create_schema, make_engine

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Settings
    from tests.chat import Chat

POSTGRES_URL = os.environ.get("PAPERS_TEST_POSTGRES_URL")
DATA = Path(__file__).parent / "data"
CLOCK_SHIFT_DAYS = os.environ.get("PAPERS_TEST_CLOCK_SHIFT_DAYS")
CHILD_CLOCK = Path(__file__).parent / "clock_shift"  # its sitecustomize.py moves a child process's clock too


# The modules whose tests' answers depend on the date or time (they read the clock, or pass a moment to code that
# compares it with stored times): marked `clock`, .ci/run runs them again a year ahead. The kill -9 crash tests
# are left out: exactly-once holds whatever the date, and they take minutes; the whole suite passed a year ahead.
CLOCK_MODULES = {
    "test_any_date",  # the move itself, in this process and the processes tests start
    "test_catch_up",  # which fetches were missed
    "test_fetching",
    "test_schedule",  # slots, time zones, weekdays
    "test_delivery",  # due slots, retries backing off
    "test_delivery_workers",
    "test_weekly_best",  # once a week, on its day
    "test_fanout",  # papers new for a week
    "test_first_run",
    "test_paper_topics",
    "test_learned_ranking",
    "test_like_subscription",
    "test_limits",  # publication dates checked against today
    "test_ingest",  # papers too old to count
    "test_process_lifecycle",  # heartbeats and the clock process's catch-up
    "test_slack_http",  # request timestamps within 5 minutes, in a process of its own
    "test_slack_slow_clients",  # the same, while slow clients hold the web process
    "test_web_process",  # the same, through SIGTERM and several workers
    "test_slack_history",  # finding posts from when they were recorded
    "test_slack_redelivery",  # replays remembered for a while
    "test_slack_oauth",  # install states expire
    "test_status_topics_help",  # last fetches and next posts
    "test_club",  # a journal club opens now and closes hours later
    "test_slack_club",
    "test_discord_club",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in CLOCK_MODULES:
            item.add_marker(pytest.mark.clock)


def pytest_configure(config: pytest.Config) -> None:
    """With PAPERS_TEST_CLOCK_SHIFT_DAYS=365 the whole run, from collection on, and every process it starts with
    its environment, lives that many days ahead (the clock keeps ticking): the suite must pass on any date."""
    if not CLOCK_SHIFT_DAYS or os.environ.get("PAPERS_TEST_CLOCK_MOVED") == str(os.getpid()):
        return  # not moved, or a pytest-xdist worker, which tests/clock_shift/sitecustomize.py moved as it started
    import time_machine

    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHILD_CLOCK), os.environ.get("PYTHONPATH")]))
    traveller = time_machine.travel(timedelta(days=float(CLOCK_SHIFT_DAYS)), tick=True)
    traveller.start()
    time.time()  # time-machine's clock starts ticking at its first reading: from now, as in the processes tests start
    config.add_cleanup(traveller.stop)


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A schema of its own for this test run on the shared server, dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL case: set PAPERS_TEST_POSTGRES_URL to run it (see .ci/run)")
    schema = f"papers_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema},public"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every storage and delivery test runs once per database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'papers.db'}"
        return
    url = request.getfixturevalue("postgres_schema_url")
    engine = make_engine(url)
    create_schema(engine)
    names = ", ".join(table.name for table in reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    from bot.config import Settings

    return Settings(_env_file=None, database_url=database_url, slack_bot_token=None, discord_token=None)


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    """The real wiring on a fresh database holding the bundled papers (bot/data/seed.jsonl)."""
    from bot.app import build_app

    built = build_app(settings)
    yield built
    built.engine.dispose()


@pytest.fixture
def chat(app: App) -> Chat:
    from tests.chat import Chat

    return Chat(app)
