"""Private feeds: their URL tokens (kept as hashes) and what a feed shows, the papers a channel was actually sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import Session

from bot.domain import Paper
from storage.papers import to_paper
from storage.tables import DeliveredRow, DeliveryRow, FeedTokenRow, PaperRow, PaperTopicRow, table_of

MAX_POSTED = 500  # papers a feed lists at most: 30 days of posts of 10 is 300


@dataclass(frozen=True)
class PostedPaper:
    """One paper as a channel was sent it: when, and the why lines its post showed."""

    paper: Paper
    sent_at: datetime
    why: tuple[str, ...]
    updated_at: datetime  # when the stored paper last changed (upvotes, links): the feed entry changes with it


class FeedTokenRepository:
    """Tokens by their hash: one primary-key read answers a request, whether the token is known or not."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, token_hash: str, feed: str, owner: str, now: datetime) -> None:
        self.session.add(FeedTokenRow(token_hash=token_hash, feed=feed, owner=owner, created_at=now))

    def feed_of(self, token_hash: str) -> str | None:
        """The feed a token shows; None for a token never issued or revoked."""
        row = self.session.get(FeedTokenRow, token_hash)
        return row.feed if row is not None and row.revoked_at is None else None

    def active(self, feed: str, owner: str) -> FeedTokenRow | None:
        """The owner's working token for this feed (there is at most one), if any."""
        query = select(FeedTokenRow).where(
            FeedTokenRow.feed == feed,  # type: ignore[arg-type]
            FeedTokenRow.owner == owner,  # type: ignore[arg-type]
            FeedTokenRow.revoked_at.is_(None),  # type: ignore[union-attr]
        )
        return self.session.execute(query).scalars().first()

    def revoke(self, feed: str, owner: str, now: datetime) -> int:
        """Revoke the owner's tokens for this feed; how many there were."""
        table = table_of(FeedTokenRow)
        done = self.session.execute(
            update(table)
            .where(table.c.feed == feed, table.c.owner == owner, table.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(done.rowcount)  # type: ignore[attr-defined]

    def stamp(self, refs: list[str], since: datetime) -> tuple[int, datetime | None, datetime | None, datetime | None]:
        """What changes whenever `posted` would answer differently, in one aggregate row: how many papers, the
        oldest and newest post, the newest change to a paper. A feed reader's poll costs this, not the papers."""
        sent, deliveries, papers = table_of(DeliveredRow), table_of(DeliveryRow), table_of(PaperRow)
        query = (
            select(
                func.count(),
                func.min(deliveries.c.sent_at),
                func.max(deliveries.c.sent_at),
                func.max(papers.c.updated_at),
            )
            .select_from(sent)
            .join(deliveries, deliveries.c.id == sent.c.delivery_id)
            .join(papers, papers.c.key == sent.c.paper_key)
            .where(sent.c.channel.in_(refs), deliveries.c.status == "sent", deliveries.c.sent_at >= since)
        )
        count, first, last, changed = self.session.execute(query).one()
        return int(count), first, last, changed

    def posted(self, refs: list[str], since: datetime) -> list[PostedPaper]:
        """The papers sent to these channels in deliveries sent since `since`, newest post first, each once."""
        sent, deliveries = table_of(DeliveredRow), table_of(DeliveryRow)
        query = (
            select(PaperRow, sent.c.why, deliveries.c.sent_at)
            .join(sent, sent.c.paper_key == PaperRow.key)
            .join(deliveries, deliveries.c.id == sent.c.delivery_id)
            .where(sent.c.channel.in_(refs), deliveries.c.status == "sent", deliveries.c.sent_at >= since)
            .order_by(deliveries.c.sent_at.desc(), sent.c.position)
            .limit(MAX_POSTED)
        )
        found: dict[str, PostedPaper] = {}
        for row, why, sent_at in self.session.execute(query):
            if row.key not in found:  # a paper in both the daily post and the week's best: its newest post
                lines = tuple(line for line in (why or "").split("\n") if line)
                found[row.key] = PostedPaper(to_paper(row), sent_at, lines, row.updated_at)
        return list(found.values())

    def topics(self, keys: list[str]) -> dict[str, list[str]]:
        """Each paper's topic slugs, strongest evidence first."""
        table = table_of(PaperTopicRow)
        query = (
            select(table.c.paper_key, table.c.topic)
            .where(table.c.paper_key.in_(keys))
            .order_by(table.c.paper_key, table.c.points.desc())
        )
        found: dict[str, list[str]] = {key: [] for key in keys}
        for key, topic in self.session.execute(query):
            found[key].append(topic)
        return found
