"""Engine and schema setup for SQLite (default) and PostgreSQL (`DATABASE_URL`)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from platformdirs import user_cache_dir
from sqlalchemy import Engine, event
from sqlmodel import SQLModel, create_engine

from storage import search, tables  # noqa: F401  (registers tables and search DDL)

log = logging.getLogger(__name__)


def normalise_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` forms hosting platforms hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine with the pragmas and pool settings this project relies on."""
    url = normalise_url(url)
    if url.startswith("sqlite"):  # its folder must exist: the settings refuse one that does not
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MB: index building and search stay in memory
    cursor.close()


def file_beside(engine: Engine, name: str, ext: str = "") -> Path | None:
    """A file that belongs with this database: beside a SQLite file (`papers.db.NAME`), or for a server in
    the user cache folder under a hash of its URL without the password; None for an in-memory database."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return Path(f"{url.database}.{name}{ext}") if url.database and url.database != ":memory:" else None
    digest = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path(user_cache_dir("papers-bot", appauthor=False)) / f"{name}-{digest}{ext}"


def create_schema(engine: Engine) -> None:
    """Create every table (and the search index) that does not exist yet."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            search.install_postgres_extensions(conn)
    SQLModel.metadata.create_all(engine)


def drop_schema(engine: Engine) -> None:
    SQLModel.metadata.drop_all(engine)
