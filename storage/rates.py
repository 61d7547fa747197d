"""Request budgets shared by every process through the database: one row a platform, one statement a reservation."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

_ENSURE = {
    "postgresql": "INSERT INTO rate_budget (key, next_at) VALUES (:key, 0) ON CONFLICT (key) DO NOTHING",
    "sqlite": "INSERT OR IGNORE INTO rate_budget (key, next_at) VALUES (:key, 0)",
}
# One atomic statement: the row lock (PostgreSQL) or the write lock (SQLite) orders reservations.
_RESERVE = (
    "UPDATE rate_budget SET next_at = CASE WHEN next_at > :now THEN next_at ELSE :now END + :cost "
    "WHERE key = :key RETURNING next_at"
)


class RateRepository:
    """Reservations against a budget: `reserve` returns when the reserved requests may start."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def reserve(self, key: str, cost: float, now: float) -> float:
        """Reserve `cost` seconds of the budget `key` from `now` or after the last reservation; its start."""
        dialect = self.session.get_bind().dialect.name
        self.session.execute(text(_ENSURE["postgresql" if dialect == "postgresql" else "sqlite"]), {"key": key})
        end = self.session.execute(text(_RESERVE), {"key": key, "now": now, "cost": cost}).scalar_one()
        return float(end) - cost
