"""Fixtures shared by the suite: a database engine for SQLite and for PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
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
