"""The inbox: requests acknowledged to the platform, kept until carried out, each claimed by one process at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.tables import InboxRow, table_of

MAX_ATTEMPTS = 3  # a request started three times and never done is left alone (and logged), not retried forever


@dataclass(frozen=True)
class Work:
    """One claimed request: what to do it with (`kind`) and with what (`payload`)."""

    id: int
    key: str
    kind: str
    payload: dict[str, Any]
    attempts: int


class InboxRepository:
    """`add` writes a request already claimed by its writer; `claim` takes those whose lease ran out."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.table = table_of(InboxRow)

    def add(
        self, key: str, kind: str, payload: dict[str, Any], now: datetime, owner: str, until: datetime
    ) -> int | None:
        """The new row's id, held by `owner` until `until`; None when the key is there already (a retry)."""
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        values = {"key": key[:200], "kind": kind, "payload": payload, "received_at": now, "lease_until": until}
        statement = (
            insert(self.table)
            .values(**values, owner=owner, attempts=0)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(self.table.c.id)
        )
        return self.session.execute(statement).scalar()

    def claim(self, kinds: list[str], now: datetime, owner: str, until: datetime, limit: int) -> list[Work]:
        """Up to `limit` requests of these kinds not done whose lease ran out, now held by `owner` until `until`.

        On PostgreSQL two processes skip each other's rows (SKIP LOCKED); SQLite has one writer at a time."""
        t = self.table
        waiting = (
            select(t.c.id)
            .where(t.c.kind.in_(kinds), t.c.done_at.is_(None), t.c.lease_until <= now, t.c.attempts < MAX_ATTEMPTS)
            .order_by(t.c.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            waiting = waiting.with_for_update(skip_locked=True)
        statement = (
            update(t)
            .where(t.c.id.in_(waiting.scalar_subquery()), t.c.lease_until <= now, t.c.done_at.is_(None))
            .values(owner=owner, lease_until=until)
            .returning(t.c.id, t.c.key, t.c.kind, t.c.payload, t.c.attempts)
        )
        rows = self.session.execute(statement).all()
        return sorted((Work(*row) for row in rows), key=lambda work: work.id)

    def renew(self, work_ids: list[int], owner: str, until: datetime) -> int:
        """Extend `owner`'s lease on these requests (those another process took meanwhile are left to it)."""
        t = self.table
        held = (t.c.id.in_(work_ids)) & (t.c.owner == owner) & t.c.done_at.is_(None)
        return int(self.session.execute(update(t).where(held).values(lease_until=until)).rowcount or 0)  # type: ignore[attr-defined]

    def release(self, work_id: int, now: datetime) -> None:
        """Give a held request back at once (the process is stopping before it started it)."""
        t = self.table
        self.session.execute(update(t).where(t.c.id == work_id, t.c.done_at.is_(None)).values(lease_until=now))

    def start(self, work_id: int) -> int:
        """Count a start of the request (held, about to run); how many there have been, this one included.

        More than one: a process started it before and died, perhaps after part of it was done
        (adapters/slack/jobs.py then looks for its posts before it posts). Held but never started
        (queued when its process died, or given back) does not count."""
        t = self.table
        statement = update(t).where(t.c.id == work_id).values(attempts=t.c.attempts + 1).returning(t.c.attempts)
        return int(self.session.execute(statement).scalar() or 1)

    def done(self, work_id: int, now: datetime) -> None:
        t = self.table
        self.session.execute(update(t).where(t.c.id == work_id).values(done_at=now))

    def has(self, key: str) -> bool:
        return self.session.execute(select(self.table.c.id).where(self.table.c.key == key[:200])).first() is not None

    def waiting(self, kinds: list[str] | None = None) -> int:
        """How many requests are not done yet (held or not)."""
        t = self.table
        query = select(t.c.id).where(t.c.done_at.is_(None), t.c.attempts < MAX_ATTEMPTS)
        if kinds is not None:
            query = query.where(t.c.kind.in_(kinds))
        return len(self.session.execute(query).all())

    def forget_before(self, moment: datetime) -> int:
        """Drop requests done, or given up and last held, before `moment`; returns how many."""
        t = self.table
        done = delete(t).where(t.c.done_at < moment)  # each by an index: done_at, lease_until
        given_up = delete(t).where(t.c.lease_until < moment, t.c.done_at.is_(None), t.c.attempts >= MAX_ATTEMPTS)
        gone = 0
        for statement in (done, given_up):
            gone += int(self.session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
        return gone
