"""Closing journal clubs whose time is up, from the clock process: each claimed once, counted, its winner
announced with its card through the platform's sender (marked, so a closing cut short is not announced twice)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from bot.club import rules
from bot.club.chat import ballot_of
from bot.club.replies import ClubBallot
from bot.delivery.senders import Sender
from bot.domain import ChannelRef, Digest, Match, Paper
from bot.errors import SendFailed
from bot.wording import plural
from storage.clubs import DueClub
from storage.tables import ClubRow
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # a closing that holds a club longer than this died: another takes it
FINAL_WAIT = timedelta(hours=1)  # how long past closing a platform's count may stay unfinished before it is used


@dataclass(frozen=True)
class Counted:
    """A platform's own count of a vote (a Discord poll's), and whether the platform says it is final."""

    counts: tuple[int, ...]
    final: bool = True


class ClubPlatform(Protocol):
    """What a platform does at a club's closing besides announcing (that is its Sender's work)."""

    def results(self, channel: ChannelRef, message_ids: tuple[str, ...], papers: int) -> Counted | None:
        """The platform's own count (a poll), or None when the bot's stored votes are the count."""
        ...

    def show_closed(self, channel: ChannelRef, message_ids: tuple[str, ...], ballot: ClubBallot) -> None:
        """Show the vote's message as closed, with its final counts (where the bot drew the vote itself)."""
        ...


def mark_of(club_id: int) -> str:
    return f"club-{club_id}"


def close_due(
    engine: Engine,
    senders: Mapping[str, Sender],
    platforms: Mapping[str, ClubPlatform],
    now: datetime,
    lease: timedelta = LEASE,
) -> list[int]:
    """Close every club whose time is up at `now` and that this process claims; the ids of those closed."""
    with UnitOfWork(engine) as uow:
        abandoned = uow.clubs.abandon_unposted(now)
        due = uow.clubs.due(now, lease)
        uow.commit()
    if abandoned:
        log.info("%d journal club(s) were never shown (not posted): abandoned", abandoned)
    closed = []
    for club in due:
        with UnitOfWork(engine) as uow:
            claimed = uow.clubs.claim(club, now, lease)
            uow.commit()
        if not claimed:
            continue
        try:
            if _close(engine, club, senders, platforms, now):
                closed.append(club.id)
        except Exception:  # one club's bug must not stop the others: its claim lapses, and it is taken again
            log.exception("closing journal club %d failed", club.id)
    return closed


def _close(
    engine: Engine, due: DueClub, senders: Mapping[str, Sender], platforms: Mapping[str, ClubPlatform], now: datetime
) -> bool:
    """Count, announce (unless a closing that died did), show closed, record: True once the club is closed."""
    with UnitOfWork(engine) as uow:
        row = uow.clubs.get(due.id)
        assert row is not None
        papers = [uow.papers.get(key) or Paper(key, "") for key in row.paper_keys]
        tz = uow.channels.schedule(ChannelRef.parse(row.channel)).tz
    channel = ChannelRef.parse(row.channel)
    sender, platform = senders.get(channel.platform), platforms.get(channel.platform)
    if sender is None:
        return _release(engine, due.id, f"no sender for {channel.platform} in this process")
    try:
        tally = _tally(platform, channel, row, now)
    except SendFailed as error:
        if not error.permanent:
            return _release(engine, due.id, str(error))
        return _record(engine, due.id, now, f"not announced: the poll could not be read ({error})", [])
    if tally is None:
        return _release(engine, due.id, "the platform's count is not final yet")
    result = rules.outcome(tally)
    winners = tuple(
        Match(papers[i], float(tally[i]), (f"{plural(tally[i], 'vote')} in the journal club",)) for i in result.winners
    )
    try:
        announced = sender.find_sent(channel, mark_of(due.id)) if due.claimed_at is not None else None
        if announced is None:  # a closing that died may have announced it: looked for first, never twice
            announced = sender.send(channel, Digest(channel, winners, 0, result.headline, now), mark_of(due.id))
    except SendFailed as error:
        if not error.permanent:
            return _release(engine, due.id, str(error))
        return _record(engine, due.id, now, f"not announced: {error}", [])
    if platform is not None:
        _show_closed(platform, channel, tuple(row.message_ids), ballot_of(row, papers, tally, tz, closed=True))
    return _record(engine, due.id, now, result.headline, announced)


def _tally(platform: ClubPlatform | None, channel: ChannelRef, row: ClubRow, now: datetime) -> tuple[int, ...] | None:
    """Votes per paper: the bot's own (Slack's buttons) or the platform's (a poll); None while the platform's count
    is not final, for at most FINAL_WAIT past the close (then its count as it stands). Raises SendFailed."""
    papers = len(row.paper_keys)
    counted = platform.results(channel, tuple(row.message_ids), papers) if platform is not None else None
    if counted is None:
        return rules.counts(row.votes, papers)
    if not counted.final and now < row.closes_at + FINAL_WAIT:
        return None
    return counted.counts


def _record(engine: Engine, club_id: int, now: datetime, outcome: str, announced: list[str]) -> bool:
    with UnitOfWork(engine) as uow:
        uow.clubs.closed(club_id, now, outcome, announced)
        uow.commit()
    log.info("journal club %d closed: %s", club_id, outcome)
    return True


def _show_closed(platform: ClubPlatform, channel: ChannelRef, ids: tuple[str, ...], ballot: ClubBallot) -> None:
    try:
        platform.show_closed(channel, ids, ballot)
    except Exception:  # the announcement is out: a vote message left with its buttons is a nicety lost
        log.warning("could not show journal club %d as closed", ballot.club_id, exc_info=True)


def _release(engine: Engine, club_id: int, why: str) -> bool:
    """Not closed at this tick: the club goes back to be taken at a later one."""
    log.info("journal club %d not closed yet: %s", club_id, why)
    with UnitOfWork(engine) as uow:
        uow.clubs.release(club_id)
        uow.commit()
    return False
