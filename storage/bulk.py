"""Subscriptions and schedules many channels at a time: what export reads and import writes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from bot.domain import PERSON, WEEKLY_BEST, ChannelRef, Schedule
from storage.channels import schedule_of
from storage.tables import AuditRow, ChannelRow, SubscriptionRow, table_of, utcnow

CHUNK = 500


@dataclass(frozen=True)
class Followed:
    """One subscription as moved between deployments: channel, query as typed, the channel's schedule and
    its week's best's (None when it has none, or it is off)."""

    channel: str
    query: str
    schedule: Schedule | None
    weekly_best: Schedule | None = None


class BulkRepository:
    """Reads and writes over many channels in few statements (100,000 subscriptions in seconds)."""

    def __init__(self, session: Session, default: Schedule) -> None:
        self.session = session
        self.default = default

    def followed(self, refs: Sequence[str] | None = None) -> list[Followed]:
        """Every subscription (of these channels), by channel then in the order made."""
        query = (
            select(col(SubscriptionRow.channel), col(SubscriptionRow.query), ChannelRow)
            .outerjoin(ChannelRow, col(ChannelRow.ref) == col(SubscriptionRow.channel))
            .order_by(col(SubscriptionRow.channel), col(SubscriptionRow.id))
        )
        if refs is not None:
            query = query.where(col(SubscriptionRow.channel).in_(list(refs)))
        # The week's best is a feed of its own (`.../top`) that follows its channel's subscriptions; few have one.
        best = select(ChannelRow).where(col(ChannelRow.ref).endswith(WEEKLY_BEST), col(ChannelRow.cadence) != "off")
        weekly = {row.ref.removesuffix(WEEKLY_BEST): schedule_of(row) for row in self.session.execute(best).scalars()}
        return [
            Followed(ref, text, schedule_of(row) if row is not None else None, weekly.get(ref))
            for ref, text, row in self.session.execute(query)
        ]

    def channels_in(self, prefix: str, limit: int) -> tuple[list[str], int]:
        """Up to `limit` channels whose ref starts with `prefix` (one workspace) that follow something, and how many
        in all; people's own feeds are theirs alone, not channels, and are left out."""
        channel = col(SubscriptionRow.channel)
        holds = channel.startswith(prefix, autoescape=True) & ~channel.startswith(prefix + PERSON, autoescape=True)
        found = list(self.session.execute(select(channel).where(holds).group_by(channel).order_by(channel)).scalars())
        return found[:limit], len(found)

    def lock(self, refs: Iterable[str]) -> None:
        """Make this transaction the only one changing these channels until it ends, as `ChannelRepository.lock`
        does for one (subscribe takes that lock): call it before reading them. Their rows are made first if new;
        every transaction locks in the order of the refs, so two imports of overlapping channels never deadlock."""
        refs = sorted(set(refs))
        for start in range(0, len(refs), CHUNK):
            chunk = refs[start : start + CHUNK]
            self._make_channels(chunk)  # on SQLite this insert, a no-op for rows that exist, takes the one write lock
            locked = select(col(ChannelRow.ref)).where(col(ChannelRow.ref).in_(chunk)).order_by(col(ChannelRow.ref))
            self.session.execute(locked.with_for_update())

    def queries_of(self, refs: Iterable[str]) -> dict[str, list[str]]:
        """Each channel's query texts (channels with none are absent)."""
        found: dict[str, list[str]] = {}
        refs = list(refs)
        for start in range(0, len(refs), CHUNK):
            query = (
                select(col(SubscriptionRow.channel), col(SubscriptionRow.query))
                .where(col(SubscriptionRow.channel).in_(refs[start : start + CHUNK]))
                .order_by(col(SubscriptionRow.id))
            )
            for ref, text in self.session.execute(query):
                found.setdefault(ref, []).append(text)
        return found

    def schedules_of(self, refs: Iterable[str]) -> dict[str, Schedule]:
        found: dict[str, Schedule] = {}
        refs = list(refs)
        for start in range(0, len(refs), CHUNK):
            rows = self.session.execute(select(ChannelRow).where(col(ChannelRow.ref).in_(refs[start : start + CHUNK])))
            found.update((row.ref, schedule_of(row)) for row in rows.scalars())
        return found

    def add(self, subscriptions: Sequence[tuple[str, str, int]], actor: str) -> None:
        """Insert (channel ref, query, min upvotes) rows, making channel rows with the default schedule
        first; a row another process inserted meanwhile is left as it is."""
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        now = utcnow()
        self._make_channels(list(dict.fromkeys(ref for ref, _, _ in subscriptions)))
        if subscriptions:
            rows = [
                {"channel": ref, "query": text, "min_upvotes": upvotes, "created_by": actor, "created_at": now}
                for ref, text, upvotes in subscriptions
            ]
            self.session.execute(
                insert(SubscriptionRow).on_conflict_do_nothing(index_elements=["channel", "query"]), rows
            )
            counts: dict[str, int] = {}
            for ref, _, _ in subscriptions:
                counts[ref] = counts.get(ref, 0) + 1
            audit = [
                {
                    "channel": ref,
                    "actor": actor[:200],
                    "action": f"imported {n} subscription{'s' * (n != 1)}",
                    "at": now,
                }
                for ref, n in counts.items()
            ]
            self.session.execute(table_of(AuditRow).insert(), audit)

    def _make_channels(self, refs: list[str]) -> None:
        """Rows with the default schedule for the channels that have none; a row made meanwhile is left as it is."""
        if not refs:
            return
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        default = {
            "at": f"{self.default.at:%H:%M}",
            "tz": self.default.tz,
            "cadence": self.default.cadence,
            "weekday": self.default.weekday,
            "created_at": utcnow(),
        }
        rows = [{"ref": ref, "platform": ChannelRef.parse(ref).platform, **default} for ref in refs]
        self.session.execute(insert(ChannelRow).on_conflict_do_nothing(index_elements=["ref"]), rows)

    def set_schedules(self, schedules: dict[str, Schedule]) -> None:
        """Each channel's schedule, its row made if it has none."""
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        rows = [
            {
                "ref": ref,
                "platform": ChannelRef.parse(ref).platform,
                "at": f"{s.at:%H:%M}",
                "tz": s.tz,
                "cadence": s.cadence,
                "weekday": s.weekday,
                "created_at": utcnow(),
            }
            for ref, s in schedules.items()
        ]
        if rows:
            statement = insert(ChannelRow)
            self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=["ref"],
                    set_={name: statement.excluded[name] for name in ("at", "tz", "cadence", "weekday")},
                ),
                rows,
            )
