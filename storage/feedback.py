"""Feedback per channel: who liked, disliked or saved which paper; one row per person, paper and kind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.tables import FeedbackRow, table_of

KINDS = ("like", "dislike", "save")
OPPOSITE = {"like": "dislike", "dislike": "like"}
CHUNK = 500


class FeedbackRepository:
    """`give` records a person's word (a like replaces their dislike of the same paper, and back)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def give(self, channel: str, paper_key: str, actor: str, kind: str, now: datetime) -> bool:
        """Record it; false when this person had already said so (a repeated click counts once)."""
        if kind not in KINDS:
            raise ValueError(f"unknown feedback kind {kind!r}")
        if kind in OPPOSITE:
            self._remove(channel, paper_key, actor, (OPPOSITE[kind],))
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        table = table_of(FeedbackRow)
        statement = (
            insert(table)
            .values(channel=channel, paper_key=paper_key, actor=actor[:200], kind=kind, at=now)
            .on_conflict_do_nothing()
            .returning(table.c.kind)
        )
        return self.session.execute(statement).first() is not None

    def forget(self, channel: str, paper_key: str, actor: str) -> int:
        """Undo everything this person said about the paper here; returns how many rows went."""
        return self._remove(channel, paper_key, actor, KINDS)

    def withdraw(self, channel: str, paper_key: str, actor: str, kind: str) -> bool:
        """Take back one kind of word (a removed reaction); true when there was one."""
        return self._remove(channel, paper_key, actor, (kind,)) > 0

    def forget_votes(self, channel: str) -> int:
        """Every like and dislike of the channel, by anyone (`/papers taste reset`); saves stay. How many went."""
        table = table_of(FeedbackRow)
        statement = delete(table).where(table.c.channel == channel, table.c.kind.in_(["like", "dislike"]))
        return int(self.session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    def _remove(self, channel: str, paper_key: str, actor: str, kinds: Sequence[str]) -> int:
        table = table_of(FeedbackRow)
        result = self.session.execute(
            delete(table).where(
                table.c.channel == channel,
                table.c.paper_key == paper_key,
                table.c.actor == actor[:200],
                table.c.kind.in_(list(kinds)),
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def votes(self, channel: str, latest: int | None = None) -> dict[str, int]:
        """Each paper's likes minus dislikes in the channel (papers with only saves are not in it); with `latest`,
        of its most recent `latest` likes and dislikes only."""
        table = table_of(FeedbackRow)
        query = select(table.c.paper_key, table.c.kind).where(
            table.c.channel == channel, table.c.kind.in_(["like", "dislike"])
        )
        if latest is not None:
            query = query.order_by(table.c.at.desc(), table.c.paper_key, table.c.actor).limit(latest)
        net: Counter[str] = Counter()
        for key, kind in self.session.execute(query):
            net[key] += 1 if kind == "like" else -1
        return dict(net)

    def signals(self, channels: Sequence[str]) -> dict[str, int]:
        """How many likes and dislikes each of these channels gave (channels with none are left out)."""
        return {channel: count for channel, (count, _) in self.learned_from_each(channels).items()}

    def learned_from(self, channel: str) -> tuple[int, datetime] | None:
        """How many likes and dislikes the channel has and when the latest was given (None: none): what its model
        learns from, since a paper counts as ignored only when it was posted before that latest one."""
        return self.learned_from_each([channel]).get(channel)

    def learned_from_each(self, channels: Sequence[str]) -> dict[str, tuple[int, datetime]]:
        """`learned_from` of each of these channels, in a query a chunk (channels with none are left out)."""
        table = table_of(FeedbackRow)
        found: dict[str, tuple[int, datetime]] = {}
        for start in range(0, len(channels), CHUNK):
            chunk = list(channels[start : start + CHUNK])
            query = (
                select(table.c.channel, func.count(), func.max(table.c.at))
                .where(and_(table.c.channel.in_(chunk), table.c.kind.in_(["like", "dislike"])))
                .group_by(table.c.channel)
            )
            found.update({c: (int(n), at) for c, n, at in self.session.execute(query) if n and at is not None})
        return found

    def saved_by(self, actor: str, prefixes: Sequence[str], limit: int) -> list[str]:
        """Keys of the papers `actor` saved in feeds whose ref starts with one of `prefixes` (a workspace, the
        person's own feed), newest first."""
        table = table_of(FeedbackRow)
        where = or_(*(table.c.channel.startswith(prefix, autoescape=True) for prefix in prefixes))
        query = (
            select(table.c.paper_key, func.max(table.c.at))
            .where(table.c.actor == actor, table.c.kind == "save", where)
            .group_by(table.c.paper_key)
            .order_by(func.max(table.c.at).desc())
            .limit(limit)
        )
        return [key for key, _ in self.session.execute(query)]

    def saved(self, channel: str) -> list[tuple[str, datetime, str]]:
        """The channel's saved papers, most recently saved first: (paper key, when, who saved it first)."""
        table = table_of(FeedbackRow)
        query = (
            select(table.c.paper_key, table.c.at, table.c.actor)
            .where(table.c.channel == channel, table.c.kind == "save")
            .order_by(table.c.at.asc())
        )
        first: dict[str, tuple[datetime, str]] = {}
        for key, at, actor in self.session.execute(query):
            first.setdefault(key, (at, actor))
        return sorted(((k, at, actor) for k, (at, actor) in first.items()), key=lambda item: item[1], reverse=True)

    def mine(self, channel: str, paper_key: str, actor: str) -> set[str]:
        """What this person has said about the paper here."""
        table = table_of(FeedbackRow)
        query = select(table.c.kind).where(
            table.c.channel == channel, table.c.paper_key == paper_key, table.c.actor == actor[:200]
        )
        return {row[0] for row in self.session.execute(query)}
