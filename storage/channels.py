"""Repositories for channels, their subscriptions and their audit trail."""

from __future__ import annotations

from datetime import time
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from bot.domain import ChannelRef, Schedule, Subscription
from storage.tables import AuditRow, ChannelRow, SubscriptionRow, table_of, utcnow


class ChannelRepository:
    """Channel settings: schedule and pause state, created on first use with the defaults."""

    def __init__(self, session: Session, default: Schedule) -> None:
        self.session = session
        self.default = default

    def row(self, channel: ChannelRef) -> ChannelRow:
        """The channel's row, made with the defaults on first use; two processes may race to make it."""
        row = self.session.get(ChannelRow, str(channel))
        if row is not None:
            return row
        self._make(channel)
        return self.session.get(ChannelRow, str(channel), populate_existing=True)  # type: ignore[return-value]

    def lock(self, channel: ChannelRef) -> ChannelRow:
        """Make this transaction the only one changing the channel until it ends; call it before reading.

        Whoever comes next reads what this one committed, so a channel's limits hold and a
        change is made once, however many people (or processes) make it at the same moment.
        PostgreSQL locks the channel's row (`FOR UPDATE`, made first if new). On SQLite the
        insert (a no-op once the row exists) begins the transaction with the database's one
        write lock, which is the same thing for a database with one writer.
        """
        self._make(channel)
        query = select(ChannelRow).where(col(ChannelRow.ref) == str(channel)).with_for_update()
        return self.session.execute(query.execution_options(populate_existing=True)).scalar_one()

    def _make(self, channel: ChannelRef) -> None:
        values = {
            "ref": str(channel),
            "platform": channel.platform,
            "at": f"{self.default.at:%H:%M}",
            "tz": self.default.tz,
            "cadence": self.default.cadence,
            "weekday": self.default.weekday,
            "created_at": utcnow(),
        }
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        self.session.execute(insert(ChannelRow).values(**values).on_conflict_do_nothing(index_elements=["ref"]))

    def get(self, channel: ChannelRef) -> ChannelRow | None:
        return self.session.get(ChannelRow, str(channel))

    def state(self, channel: ChannelRef) -> Row[Any] | None:
        """The channel's stored row as plain values (schedule, pause, last slot), or None: a cheap read."""
        table = table_of(ChannelRow)
        return self.session.execute(select(table).where(table.c.ref == str(channel))).first()

    def schedule(self, channel: ChannelRef) -> Schedule:
        row = self.session.get(ChannelRow, str(channel))
        if row is None:
            return self.default
        return schedule_of(row)

    def set_schedule(self, channel: ChannelRef, schedule: Schedule) -> None:
        row = self.row(channel)
        row.at, row.tz, row.cadence, row.weekday = (
            f"{schedule.at:%H:%M}",
            schedule.tz,
            schedule.cadence,
            schedule.weekday,
        )
        self.session.add(row)

    def pause(self, channel: ChannelRef, reason: str | None) -> None:
        row = self.row(channel)
        row.paused_reason = reason
        self.session.add(row)

    def pause_workspace(self, platform: str, workspace: str, reason: str) -> int:
        """Pause every channel of one workspace that is not paused already (a channel paused for its own
        reason keeps it); subscribed channels without a row get one. Returns how many were paused."""
        prefix = f"{platform}:{workspace}:"
        subscribed = (
            select(col(SubscriptionRow.channel))
            .where(col(SubscriptionRow.channel).startswith(prefix, autoescape=True))
            .distinct()
        )
        for (ref,) in self.session.execute(subscribed).all():
            self.row(ChannelRef.parse(ref))
        paused = self.session.execute(
            update(ChannelRow)
            .where(col(ChannelRow.ref).startswith(prefix, autoescape=True), col(ChannelRow.paused_reason).is_(None))
            .values(paused_reason=reason)
        )
        return int(paused.rowcount or 0)  # type: ignore[attr-defined]

    def resume_workspace(self, platform: str, workspace: str, reasons: tuple[str, ...]) -> int:
        """Resume the workspace's channels paused for one of `reasons` (not those paused for their own)."""
        resumed = self.session.execute(
            update(ChannelRow)
            .where(
                col(ChannelRow.ref).startswith(f"{platform}:{workspace}:", autoescape=True),
                col(ChannelRow.paused_reason).in_(reasons),
            )
            .values(paused_reason=None)
        )
        return int(resumed.rowcount or 0)  # type: ignore[attr-defined]

    def all(self) -> list[ChannelRow]:
        return list(self.session.execute(select(ChannelRow).order_by(col(ChannelRow.ref))).scalars())

    def rows(self, refs: list[str]) -> dict[str, ChannelRow]:
        """The stored rows of these channels (none are made)."""
        query = select(ChannelRow).where(col(ChannelRow.ref).in_(refs))
        return {row.ref: row for row in self.session.execute(query).scalars()}


def schedule_of(row: ChannelRow | Row[Any]) -> Schedule:
    hours, minutes = (int(part) for part in row.at.split(":"))
    return Schedule(at=time(hours, minutes), tz=row.tz, cadence=row.cadence, weekday=row.weekday)


class SubscriptionRepository:
    """A channel's subscriptions, in the order they were made."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, sub: Subscription) -> Subscription:
        row = SubscriptionRow(
            channel=str(sub.channel), query=sub.query, min_upvotes=sub.min_upvotes, created_by=sub.created_by
        )
        self.session.add(row)
        self.session.flush()
        return _subscription(row)

    def find(self, channel: ChannelRef, query: str) -> Subscription | None:
        row = self.session.execute(
            select(SubscriptionRow).where(
                col(SubscriptionRow.channel) == str(channel), col(SubscriptionRow.query) == query
            )
        ).scalar_one_or_none()
        return _subscription(row) if row else None

    def for_channel(self, channel: ChannelRef) -> list[Subscription]:
        table = table_of(SubscriptionRow)  # Core: read once per channel per pass
        rows = self.session.execute(select(table).where(table.c.channel == str(channel)).order_by(table.c.id))
        return [
            Subscription(channel, row.query, row.min_upvotes, row.id, row.created_by, row.created_at) for row in rows
        ]

    def count(self, channel: ChannelRef) -> int:
        query = select(func.count()).select_from(SubscriptionRow).where(col(SubscriptionRow.channel) == str(channel))
        return int(self.session.execute(query).scalar_one())

    def remove(self, sub_id: int) -> bool:
        """Delete one subscription; False when it was already gone."""
        result = self.session.execute(delete(SubscriptionRow).where(col(SubscriptionRow.id) == sub_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def channels(self) -> list[ChannelRef]:
        rows = self.session.execute(
            select(col(SubscriptionRow.channel)).distinct().order_by(col(SubscriptionRow.channel))
        )
        return [ChannelRef.parse(row[0]) for row in rows]

    def queries(self) -> list[str]:
        """Every distinct query text any channel follows."""
        return [
            row[0]
            for row in self.session.execute(
                select(col(SubscriptionRow.query)).distinct().order_by(col(SubscriptionRow.query))
            )
        ]


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(
        channel=ChannelRef.parse(row.channel),
        query=row.query,
        min_upvotes=row.min_upvotes,
        id=row.id,
        created_by=row.created_by,
        created_at=row.created_at,
    )


class AuditRepository:
    """Who changed what in a channel: appended by every changing command."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, channel: ChannelRef, actor: str, action: str) -> None:
        self.session.add(AuditRow(channel=str(channel), actor=actor[:200], action=action[:400]))

    def recent(self, channel: ChannelRef, limit: int = 5) -> list[AuditRow]:
        query = (
            select(AuditRow).where(col(AuditRow.channel) == str(channel)).order_by(col(AuditRow.id).desc()).limit(limit)
        )
        return list(self.session.execute(query).scalars())
