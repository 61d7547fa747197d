"""What each paper source did last, for `/papers status` and for marking a source failing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import Session, col

from storage.tables import SourceRunRow, utcnow


class SourceRunRepository:
    """One row per source, updated after every fetch."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, source: str) -> SourceRunRow:
        return self.session.get(SourceRunRow, source) or SourceRunRow(source=source)

    def succeeded(self, source: str, added: int, updated: int) -> None:
        row = self._row(source)
        now = utcnow()
        row.last_attempt_at = row.last_success_at = now
        row.last_added, row.last_updated, row.failures = added, updated, 0
        self.session.add(row)

    def failed(self, source: str, error: str) -> None:
        row = self._row(source)
        row.last_attempt_at = utcnow()
        row.last_error = error[:500]
        row.failures += 1
        self.session.add(row)

    def last_success(self, source: str) -> datetime | None:
        """When `source` was last fetched without error (aware UTC), or None if it never was."""
        row = self.session.get(SourceRunRow, source)
        moment = row.last_success_at if row is not None else None
        return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment

    def all(self) -> list[SourceRunRow]:
        return list(self.session.execute(select(SourceRunRow).order_by(col(SourceRunRow.source))).scalars())
