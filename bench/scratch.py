"""A database of a benchmark's own: a new SQLite file, or a new schema on a PostgreSQL server, dropped after."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from storage.engine import make_engine  # noqa: E402

POSTGRES = os.environ.get("PAPERS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def server_of(database: str) -> str | None:
    """The PostgreSQL server a `--database` names: None for `sqlite`, this machine's for `postgresql`, else itself."""
    return None if database == "sqlite" else POSTGRES if database == "postgresql" else database


def fresh_database(server: str | None, folder: Path | str, name: str) -> tuple[str, str | None]:
    """Its URL, and on PostgreSQL the schema's name (for `drop_database`)."""
    if not server:
        return f"sqlite:///{Path(folder) / f'{name}-{uuid.uuid4().hex[:6]}.db'}", None
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    _execute(server, f"CREATE SCHEMA {schema}")
    return f"{server}{'&' if '?' in server else '?'}options=-csearch_path%3D{schema},public", schema


def drop_database(server: str | None, schema: str | None) -> None:
    if server and schema:
        _execute(server, f"DROP SCHEMA {schema} CASCADE")


def _execute(server: str, statement: str) -> None:
    admin = make_engine(server)
    try:
        with admin.begin() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()
