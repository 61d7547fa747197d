"""Schema versions with Alembic: create a fresh database, upgrade (or refuse) one that is behind."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from storage.engine import create_schema, make_engine

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

SCRIPTS = Path(__file__).parent / "alembic"
SCHEMA_LOCK = 0x70617065  # "pape": one process at a time changes the schema on PostgreSQL


# Made by search DDL or by slack_sdk's stores, not by SQLModel: autogenerate must not drop them.
FOREIGN = ("paper_fts", "slack_", "alembic_version")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """What Alembic compares: the models' tables, without the search index's columns and indexes."""
    from sqlmodel import SQLModel

    if type_ == "table" and name and (name.startswith(FOREIGN) or name not in SQLModel.metadata.tables):
        return False
    if type_ == "column" and name == "search":
        return False
    return not (type_ == "index" and name and name.startswith("ix_paper_search"))


class SchemaBehind(RuntimeError):
    """The database is older than this code and automatic upgrades are off."""


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def newest_revision() -> str | None:
    """The head by this project's naming: `versions/NNNN_what.py` holds revision "NNNN", each revising the one
    before (tests check that it is Alembic's head). Read without Alembic, whose import costs every command
    a quarter of a second."""
    numbers = [path.name[:4] for path in (SCRIPTS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")]
    return max(numbers, default=None)


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def at_newest(engine: Engine) -> bool:
    """Whether the database is stamped with the newest revision: then there is nothing to do (or lock)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        stamped = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return stamped == [newest_revision()]


@contextmanager
def schema_lock(engine: Engine) -> Iterator[Connection]:
    """A connection holding the schema lock, so that processes starting together don't race."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK})
        try:
            yield connection
        finally:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK})
            connection.commit()


def ensure_schema(engine: Engine, upgrade: bool = True) -> None:
    """A fresh database gets the whole schema at head; one behind is upgraded, or refused."""
    if at_newest(engine):  # every start but the first after an upgrade: no Alembic
        return
    from alembic import command

    head = head_revision()
    with schema_lock(engine) as connection:
        if not inspect(connection).has_table("paper"):
            connection.commit()
            create_schema(engine)
            _stamp(connection, head)
            return
        current = current_revision(connection)
        if current == head or head is None:
            return
        if current is None:  # made by create_all before migrations existed: it matches the first revision
            _stamp(connection, _base_revision())
            current = _base_revision()
        if current == head:
            return
        if not upgrade:
            raise SchemaBehind(
                f"The database schema is at {current}, this code needs {head}: run `papers-bot db upgrade`."
            )
        log.info("upgrading the database schema from %s to %s", current, head)
        command.upgrade(alembic_config(connection), "head")
        connection.commit()


def upgrade(url: str) -> None:
    """`papers-bot db upgrade`: create or upgrade, whatever state the database is in."""
    engine = make_engine(url)
    try:
        ensure_schema(engine, upgrade=True)
    finally:
        engine.dispose()


def _stamp(connection: Connection, revision: str | None) -> None:
    from alembic import command

    if revision:
        command.stamp(alembic_config(connection), revision)
        connection.commit()


def _base_revision() -> str | None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    bases = script.get_bases()
    return bases[0] if bases else None
