"""The delivery outbox: digests recorded before they are sent, each (channel, paper) once; delivery locks."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, Row, String, cast, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from bot.domain import ChannelRef, Delivery
from storage.tables import ChannelRow, DeliveredRow, DeliveryRow, table_of, utcnow

try:
    import fcntl
except ImportError:  # Windows: one process per SQLite database, locks within it only
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recorded:
    """One paper of a recorded delivery, in the order it was shown."""

    paper_key: str
    position: int
    score: float
    why: tuple[str, ...]


@dataclass(frozen=True)
class Posted:
    """A sent delivery as a message id finds it: its channel, its message ids (parent first), its papers in order."""

    channel: str
    message_ids: tuple[str, ...]
    paper_keys: tuple[str, ...]


class OutboxRepository:
    """Deliveries and the (channel, paper) pairs they hold."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def delivered_keys(self, channel: ChannelRef) -> set[str]:
        query = select(col(DeliveredRow.paper_key)).where(col(DeliveredRow.channel) == str(channel))
        return {row[0] for row in self.session.execute(query)}

    def recent_keys(self, channel: ChannelRef, limit: int, until: datetime | None = None) -> list[str]:
        """The last `limit` papers the channel was sent (in posts recorded at `until` or before), newest post
        first (what it may have ignored)."""
        query = (
            select(col(DeliveredRow.paper_key))
            .where(col(DeliveredRow.channel) == str(channel))
            .order_by(col(DeliveredRow.delivery_id).desc(), col(DeliveredRow.position))
            .limit(limit)
        )
        if until is not None:
            query = query.join(DeliveryRow, col(DeliveryRow.id) == col(DeliveredRow.delivery_id)).where(
                col(DeliveryRow.created_at) <= until
            )
        return [row[0] for row in self.session.execute(query)]

    def recently_delivered(self, refs: list[str], since: datetime) -> dict[str, set[str]]:
        """Each channel's papers in deliveries recorded since `since` (every channel of `refs` is in the answer).

        A paper can only be delivered after it was stored: for papers stored since `since`, this is all."""
        found: dict[str, set[str]] = {ref: set() for ref in refs}
        sent, deliveries = table_of(DeliveredRow), table_of(DeliveryRow)
        query = (
            select(sent.c.channel, sent.c.paper_key)
            .join(deliveries, deliveries.c.id == sent.c.delivery_id)
            .where(sent.c.channel.in_(refs), deliveries.c.created_at >= since)
        )
        for ref, key in self.session.execute(query):
            found[ref].add(key)
        return found

    def record(
        self,
        channel: ChannelRef,
        mark: str,
        title: str,
        papers: Iterable[tuple[str, float, tuple[str, ...]]],
        now: datetime | None = None,
    ) -> int:
        """Insert a pending delivery and its (channel, paper) rows; a paper already delivered raises IntegrityError.

        Core statements, not ORM objects: a pass records one of these per channel, at 100,000 channels."""
        created = (
            table_of(DeliveryRow)
            .insert()
            .values(
                channel=str(channel),
                mark=mark,
                title=title,
                status="pending",
                message_ids=[],
                attempts=0,
                created_at=now or utcnow(),
            )
            .returning(table_of(DeliveryRow).c.id)
        )
        delivery_id = int(self.session.execute(created).scalar_one())
        rows = [
            {
                "channel": str(channel),
                "paper_key": key,
                "delivery_id": delivery_id,
                "position": position,
                "score": score,
                "why": "\n".join(why),
            }
            for position, (key, score, why) in enumerate(papers)
        ]
        if rows:
            self.session.execute(table_of(DeliveredRow).insert(), rows)
        return delivery_id

    def pending(self, channel: ChannelRef, now: datetime | None = None) -> list[Row[Any]]:
        """Recorded but unconfirmed deliveries (rows of the delivery table), oldest first; `now` skips those still
        backing off."""
        table = table_of(DeliveryRow)
        query = select(table).where(table.c.channel == str(channel), table.c.status == "pending")
        if now is not None:
            query = query.where(or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now))
        return list(self.session.execute(query.order_by(table.c.id)).all())

    def channels_with_pending(self, refs: list[str] | None = None) -> dict[str, datetime | None]:
        """Channel ref -> the earliest next attempt of its pending deliveries (None: retry now)."""
        query = select(col(DeliveryRow.channel), col(DeliveryRow.next_attempt_at)).where(
            col(DeliveryRow.status) == "pending"
        )
        if refs is not None:
            query = query.where(col(DeliveryRow.channel).in_(refs))
        found: dict[str, datetime | None] = {}
        for ref, when in self.session.execute(query):
            if ref not in found or when is None or (found[ref] is not None and when < found[ref]):
                found[ref] = when
        return found

    def recorded_at(self, mark: str) -> datetime | None:
        """When the delivery with this mark was recorded: none of its messages can be older."""
        return self.session.execute(
            select(col(DeliveryRow.created_at)).where(col(DeliveryRow.mark) == mark)
        ).scalar_one_or_none()

    def posted_with(self, channels: list[str], message_id: str) -> Posted | None:
        """The sent delivery of one of these channels that has this message, newest first; None when none has.

        The JSON text holds each id quoted (digits and dots): a LIKE narrows the rows, the list decides."""
        table = table_of(DeliveryRow)
        query = (
            select(table.c.id, table.c.channel, table.c.message_ids)
            .where(
                table.c.channel.in_(channels),
                table.c.status == "sent",
                cast(table.c.message_ids, String).contains(f'"{message_id}"', autoescape=True),
            )
            .order_by(table.c.id.desc())
        )
        for delivery_id, channel, ids in self.session.execute(query):
            if message_id in (ids or []):
                keys = tuple(item.paper_key for item in self.papers_of(delivery_id))
                return Posted(channel, tuple(ids), keys)
        return None

    def personal_feeds(self, platform: str, user_id: str) -> list[str]:
        """The refs of this person's own feeds on the platform, in every workspace (`discord:G1:@U1`, ...)."""
        table = table_of(ChannelRow)
        query = select(table.c.ref).where(
            table.c.platform == platform, table.c.ref.endswith(f":@{user_id}", autoescape=True)
        )
        return sorted(row[0] for row in self.session.execute(query))

    def papers_of(self, delivery_id: int) -> list[Recorded]:
        query = (
            select(DeliveredRow)
            .where(col(DeliveredRow.delivery_id) == delivery_id)
            .order_by(col(DeliveredRow.position))
        )
        return [
            Recorded(r.paper_key, r.position, r.score, tuple(w for w in r.why.split("\n") if w))
            for r in self.session.execute(query).scalars()
        ]

    def sent(self, delivery_id: int, message_ids: list[str], now: datetime) -> None:
        deliveries, channels = table_of(DeliveryRow), table_of(ChannelRow)
        channel = self.session.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(
                status="sent",
                message_ids=list(message_ids),
                sent_at=now,
                last_error=None,
                attempts=deliveries.c.attempts + 1,
            )
            .returning(deliveries.c.channel)
        ).scalar_one()
        self.session.execute(update(channels).where(channels.c.ref == channel).values(last_post_at=now))

    def attempt_failed(self, delivery_id: int, error: str, next_attempt_at: datetime | None) -> int:
        """Count a failed attempt; the delivery stays pending. Returns the attempts so far."""
        row = self.session.get(DeliveryRow, delivery_id)
        assert row is not None
        row.attempts += 1
        row.last_error, row.next_attempt_at = error[:500], next_attempt_at
        return row.attempts

    def handled_slot(self, channel: ChannelRef, slot: datetime) -> None:
        """The scheduled slot is dealt with (posted or quiet): it is never due again."""
        channels = table_of(ChannelRow)
        self.session.execute(update(channels).where(channels.c.ref == str(channel)).values(last_slot_at=slot))

    def recent(self, channel: ChannelRef, limit: int = 5) -> list[Delivery]:
        """The channel's latest deliveries, newest first (for `/papers status`)."""
        query = (
            select(DeliveryRow)
            .where(col(DeliveryRow.channel) == str(channel))
            .order_by(col(DeliveryRow.id).desc())
            .limit(limit)
        )
        rows = list(self.session.execute(query).scalars())
        return [
            Delivery(
                id=row.id or 0,
                channel=channel,
                paper_keys=tuple(r.paper_key for r in self.papers_of(row.id or 0)),
                status=row.status,
                message_ids=tuple(row.message_ids or ()),
                mark=row.mark,
                attempts=row.attempts,
                last_error=row.last_error,
            )
            for row in rows
        ]


# --- locks that die with their holder: PostgreSQL advisory locks, SQLite byte-range file locks --


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


_held: set[tuple[str, str]] = set()  # (database, name) held by a thread of this process
_schemas: dict[str, str] = {}  # database URL -> its current schema, asked once a process
_held_guard = threading.Lock()
_lock_files: dict[
    str, BinaryIO
] = {}  # one descriptor per file for the process's life (closing any drops every fcntl lock)


class Lock:
    """An exclusive named lock held until `release()`, or until the holding process dies.

    A lease (`claimed_until`) would block a channel for the lease after a SIGKILL and could
    let a hung-then-woken process send alongside its successor; these locks cannot.
    """

    def __init__(
        self, database: str, name: str, conn: Connection | None = None, file: BinaryIO | None = None, key: int = 0
    ) -> None:
        self.database, self.name, self.conn, self.file, self.key = database, name, conn, file, key

    def release(self) -> None:
        try:
            if self.conn is not None:
                try:
                    self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                    self.conn.commit()
                except (SQLAlchemyError, OSError):  # a broken connection has already dropped the lock
                    self.conn.invalidate()
                self.conn.close()
            if self.file is not None and fcntl is not None:
                fcntl.lockf(self.file, fcntl.LOCK_UN, 1, _offset(self.name))
        finally:
            with _held_guard:
                _held.discard((self.database, self.name))

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _offset(name: str) -> int:
    return abs(_lock_key(name)) % (1 << 62)


def try_lock(engine: Engine, name: str) -> Lock | None:
    """Take the named lock without waiting; None when another thread or process holds it."""
    database = str(engine.url)
    with _held_guard:
        if (database, name) in _held:
            return None
        _held.add((database, name))
    try:
        if engine.dialect.name == "postgresql":
            conn = engine.connect()
            # Advisory locks span the whole database: the schema keeps two deployments (or test runs) apart.
            if database not in _schemas:
                _schemas[database] = str(conn.execute(text("SELECT current_schema()")).scalar())
            key = _lock_key(f"{_schemas[database]}:{name}")
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            conn.commit()
            if got:
                return Lock(database, name, conn=conn, key=key)
            conn.close()
        else:
            file = _lock_file(engine)
            if file is None:  # an in-memory database lives in this process only
                return Lock(database, name)
            try:
                fcntl.lockf(file, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _offset(name))
                return Lock(database, name, file=file)
            except OSError:
                pass
    except BaseException:
        with _held_guard:
            _held.discard((database, name))
        raise
    with _held_guard:
        _held.discard((database, name))
    return None


def _lock_file(engine: Engine) -> BinaryIO | None:
    path = engine.url.database
    if fcntl is None or not path or path == ":memory:" or path.startswith("file:"):
        return None
    path = os.path.abspath(path) + ".locks"
    with _held_guard:
        if path not in _lock_files:
            _lock_files[path] = open(path, "a+b")  # noqa: SIM115 (kept open on purpose)
        return _lock_files[path]
