"""Request ids already acted on, shared by every web process through the database; old ones forgotten."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from storage.tables import SeenRequestRow


class SeenRequestRepository:
    """`first_time(key)` is true for exactly one caller per key, whichever process asks."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def first_time(self, key: str, now: datetime) -> bool:
        """Record `key`; true when no one had recorded it before (the primary key decides races)."""
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = (
            insert(SeenRequestRow)
            .values(key=key[:200], seen_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(col(SeenRequestRow.key))
        )
        return self.session.execute(statement).first() is not None  # a row comes back only when inserted

    def forget_before(self, moment: datetime) -> int:
        """Drop ids seen before `moment`; returns how many."""
        result = self.session.execute(delete(SeenRequestRow).where(col(SeenRequestRow.seen_at) < moment))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
