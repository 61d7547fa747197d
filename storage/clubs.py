"""Journal clubs' votes: recorded when asked for, opened once posted, voted on (Slack), claimed once to be closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, and_, or_, select, update
from sqlmodel import Session, col

from storage.tables import ClubRow, table_of


@dataclass(frozen=True)
class DueClub:
    """A club whose vote has closed and that no live closing holds; `claimed_at` is a dead closing's claim."""

    id: int
    claimed_at: datetime | None


class ClubRepository:
    """The `club` table. Its status goes opening -> open -> closing -> closed (or abandoned, never posted)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, channel: str, paper_keys: list[str], opened_by: str, now: datetime, closes_at: datetime) -> int:
        row = ClubRow(
            channel=channel, paper_keys=paper_keys, opened_by=opened_by[:200], created_at=now, closes_at=closes_at
        )
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def get(self, club_id: int) -> ClubRow | None:
        return self.session.get(ClubRow, club_id)

    def posted(self, club_id: int, message_ids: list[str]) -> bool:
        """The platform shows the vote: it is open, and these are its messages (the vote's first); again, once
        more of them are posted (Discord's links after the poll).

        A vote message that is another club's already is a retried request's (it found its earlier post by mark
        and posted nothing): this club is abandoned, never shown, so the channel has one club and one winner."""
        table = table_of(ClubRow)
        if message_ids and self._shown_by_another(club_id, message_ids[0]):
            self.session.execute(
                update(table).where(table.c.id == club_id, table.c.status == "opening").values(status="abandoned")
            )
            return False
        done = self.session.execute(
            update(table)
            .where(table.c.id == club_id, table.c.status.in_(("opening", "open")))
            .values(status="open", message_ids=list(message_ids))
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def _shown_by_another(self, club_id: int, message_id: str) -> bool:
        row = self.get(club_id)
        if row is None:
            return False
        others = select(ClubRow).where(
            col(ClubRow.channel) == row.channel, col(ClubRow.id) != club_id, col(ClubRow.status) != "abandoned"
        )
        return any(other.message_ids[:1] == [message_id] for other in self.session.execute(others).scalars())

    def lock(self, club_id: int) -> ClubRow | None:
        """This transaction alone changes the club's votes until it ends: a write first (SQLite's one write lock,
        PostgreSQL's row lock), then the row as the last commit left it."""
        table = table_of(ClubRow)
        self.session.execute(update(table).where(table.c.id == club_id).values(id=table.c.id))
        query = select(ClubRow).where(col(ClubRow.id) == club_id).with_for_update()
        return self.session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()

    def set_votes(self, club_id: int, votes: dict[str, int]) -> None:
        table = table_of(ClubRow)
        self.session.execute(update(table).where(table.c.id == club_id).values(votes=dict(votes)))

    def due(self, now: datetime, lease: timedelta) -> list[DueClub]:
        """Open clubs whose time is up, and closings that took a club longer ago than `lease` (their process died)."""
        table = table_of(ClubRow)
        query = select(table.c.id, table.c.claimed_at).where(table.c.closes_at <= now, _closable(table, now, lease))
        return [DueClub(club_id, at) for club_id, at in self.session.execute(query.order_by(table.c.id))]

    def claim(self, club: DueClub, now: datetime, lease: timedelta) -> bool:
        """Take the club to close it; True for exactly one of any number of processes asking at once."""
        table = table_of(ClubRow)
        same_claim = table.c.claimed_at.is_(None) if club.claimed_at is None else table.c.claimed_at == club.claimed_at
        done = self.session.execute(
            update(table)
            .where(table.c.id == club.id, _closable(table, now, lease), same_claim)
            .values(status="closing", claimed_at=now)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def release(self, club_id: int) -> None:
        """Give a claimed club back to be closed at a later tick (its count was not final, or sending failed).

        The claim's time stays: whoever closes it next first looks for an announcement that did go out."""
        table = table_of(ClubRow)
        self.session.execute(
            update(table).where(table.c.id == club_id, table.c.status == "closing").values(status="open")
        )

    def closed(self, club_id: int, now: datetime, outcome: str, announced: list[str]) -> None:
        table = table_of(ClubRow)
        row = self.session.get(ClubRow, club_id)
        ids = (list(row.message_ids) if row else []) + list(announced)
        self.session.execute(
            update(table)
            .where(table.c.id == club_id)
            .values(status="closed", closed_at=now, outcome=outcome, message_ids=ids)
        )

    def abandon_unposted(self, now: datetime) -> int:
        """Clubs asked for but never shown (the platform refused, or a terminal, which has no vote): never closed."""
        table = table_of(ClubRow)
        done = self.session.execute(
            update(table)
            .where(table.c.status == "opening", table.c.closes_at <= now)
            .values(status="abandoned", closed_at=now)
        )
        return int(done.rowcount)  # type: ignore[attr-defined]


def _closable(table: Table, now: datetime, lease: timedelta) -> ColumnElement[bool]:
    return or_(
        table.c.status == "open",
        and_(table.c.status == "closing", table.c.claimed_at <= now - lease),
    )
