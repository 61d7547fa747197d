"""The journal club's commands: choosing this week's papers and recording the vote, the vote shown, a vote cast."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.chat import commands as c
from bot.chat import replies as r
from bot.club import rules
from bot.club.replies import ClubBallot, VoteNoted
from bot.delivery.schedule import local
from bot.delivery.weekly import by_upvotes
from bot.domain import Actor, ChannelRef, Match, Paper, Subscription
from bot.errors import PapersError
from bot.relevance.query import parse_query
from storage.tables import ClubRow
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.chat.service import Service

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)


def open_club(service: Service, channel: ChannelRef, actor: Actor, command: c.Club) -> r.Reply:
    """Record a vote on this week's top matches; it opens when the adapter has shown it (`posted`)."""
    if command.direct or channel.is_personal:
        return r.Problem("A journal club needs a channel to vote in, not a direct message.")
    now = service.clock()
    with service.uow() as uow:
        subscriptions = uow.subscriptions.for_channel(channel)
        if not subscriptions:
            return r.Problem("This channel follows nothing yet, so there are no papers to vote on.")
        matches = this_weeks_top(service, subscriptions, uow, now)[: command.papers]
        if len(matches) < 2:
            found = "no paper" if not matches else "one paper"
            return r.Problem(f"This channel's subscriptions matched {found} this week: too few for a vote.")
        closes_at = now + timedelta(hours=command.hours)
        keys = [m.paper.key for m in matches]
        club_id = uow.clubs.add(str(channel), keys, actor.name, now, closes_at)
        tz = uow.channels.schedule(channel).tz
        uow.commit()
    log.info("journal club %d asked for in %s: %d papers, closes %s", club_id, channel, len(keys), closes_at)
    when = local(closes_at, tz)
    return ClubBallot(club_id, tuple(matches), when, command.hours, actor.name, (0,) * len(matches))


def this_weeks_top(service: Service, subscriptions: list[Subscription], uow: UnitOfWork, now: datetime) -> list[Match]:
    """What the channel's subscriptions matched among the past seven days' papers, most upvoted first (as the
    week's best post ranks), each paper once."""
    week = uow.papers.recent(now - WEEK)
    found: dict[str, Match] = {}
    for subscription in subscriptions:
        try:
            query = parse_query(subscription.query, service.taxonomy)
        except PapersError:  # kept before a check it now fails: /papers list says so
            continue
        for match in service.paper_topics.evaluate(query, week):
            seen = found.get(match.paper.key)
            if seen is None or match.score > seen.score:
                found[match.paper.key] = Match(match.paper, match.score, match.why, subscription.query)
    return sorted(found.values(), key=by_upvotes)


def posted(service: Service, club_id: int, message_ids: list[str]) -> bool:
    """The platform shows the vote (its message first): from now on it is open, and closed when its time is up."""
    with service.uow() as uow:
        opened = uow.clubs.posted(club_id, message_ids)
        uow.commit()
    return opened


def vote(service: Service, channel: ChannelRef, club_id: int, person: str, choice: int) -> VoteNoted:
    """One click in `channel` on paper `choice` (0-based) of an open club: a vote, a move, or taken back."""
    if flooding := service.flooding(channel, Actor(person)):
        return VoteNoted(flooding.message)  # clicks count as commands do: a flood of them is refused
    with service.uow() as uow:
        club = uow.clubs.lock(club_id)
        if club is None or club.status == "abandoned" or club.channel != str(channel):
            return VoteNoted("That vote is not known in this channel.")
        if club.status == "opening":  # asked for, not shown yet: nobody can have seen its buttons
            return VoteNoted("That vote is not open yet.")
        if club.status != "open" or club.closes_at <= service.clock():
            return VoteNoted("That vote has closed; the winner is announced in the channel.")
        if not 0 <= choice < len(club.paper_keys):
            return VoteNoted(f"That vote has {len(club.paper_keys)} papers; there is no paper {choice + 1}.")
        votes, said = rules.cast(club.votes, person, choice)
        uow.clubs.set_votes(club_id, votes)
        uow.commit()
        papers = [uow.papers.get(key) or Paper(key, "") for key in club.paper_keys]  # one removed keeps its number
        tz = uow.channels.schedule(channel).tz
    return VoteNoted(said, ballot_of(club, papers, rules.counts(votes, len(papers)), tz))


def ballot_of(club: ClubRow, papers: list[Paper], tally: tuple[int, ...], tz: str, closed: bool = False) -> ClubBallot:
    """The vote as it stands (or, `closed`, as it ended), its closing time on the channel's clock."""
    hours = round((club.closes_at - club.created_at).total_seconds() / 3600)
    matches = tuple(Match(paper, 0.0, ()) for paper in papers)
    return ClubBallot(club.id or 0, matches, local(club.closes_at, tz), hours, "", tally, closed)
