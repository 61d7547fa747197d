"""Digest building: the new papers a channel has not been sent that match its subscriptions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.domain import ChannelRef, Digest, Match, Paper, Subscription
from bot.relevance.matching import Matcher
from bot.relevance.query import parse_query
from bot.relevance.topics import Taxonomy
from storage.uow import UnitOfWork

NEW_FOR = timedelta(days=7)  # a paper stored within this window is "new" to a channel
# Published before this, it is an archive import or an old paper's replacement, not news.
TOO_OLD = timedelta(days=45)


def rank_key(match: Match) -> tuple[float, int, float]:
    """Relevance first, then upvotes, then freshness."""
    published = match.paper.published_at.timestamp() if match.paper.published_at else 0.0
    return (-match.score, -(match.paper.upvotes or 0), -published)


def candidates(uow: UnitOfWork, channel: ChannelRef, now: datetime) -> list[Paper]:
    """Papers stored recently that this channel has not been sent."""
    sent = uow.outbox.delivered_keys(channel)
    return [
        paper for paper in uow.papers.added_since(now - NEW_FOR)
        if paper.key not in sent and (paper.dated is None or paper.dated >= now - TOO_OLD)
    ]


def matches_for(
    matcher: Matcher, taxonomy: Taxonomy, subscriptions: Sequence[Subscription], papers: Iterable[Paper]
) -> list[Match]:
    """Each paper once, with its best subscription's score and every subscription's reasons."""
    best: dict[str, Match] = {}
    papers = list(papers)
    for sub in subscriptions:
        for match in matcher.match_many(parse_query(sub.query, taxonomy), papers):  # min-upvotes applied there
            seen = best.get(match.paper.key)
            if seen is None or match.score > seen.score:
                why = match.why if seen is None else match.why + seen.why
                best[match.paper.key] = Match(match.paper, match.score, why, match.subscription)
            else:
                best[match.paper.key] = Match(seen.paper, seen.score, seen.why + match.why, seen.subscription)
    return sorted(best.values(), key=rank_key)


def build_digest(uow: UnitOfWork, matcher: Matcher, channel: ChannelRef, now: datetime, cap: int | None = 10) -> Digest:
    """What the channel's next post would hold; `more` counts matches beyond the cap (None: no cap)."""
    subscriptions = uow.subscriptions.for_channel(channel)
    if not subscriptions:
        return Digest(channel, (), 0, "", now)
    found = matches_for(matcher, matcher.taxonomy, subscriptions, candidates(uow, channel, now))
    shown = tuple(found[:cap] if cap is not None else found)
    return Digest(channel, shown, len(found) - len(shown), digest_title(len(found), subscriptions, now), now)


def digest_title(count: int, subscriptions: Sequence[Subscription], now: datetime) -> str:
    """"7 new papers for reinforcement-learning, Tue 25 Nov"."""
    noun = "paper" if count == 1 else "papers"
    about = subscriptions[0].query if len(subscriptions) == 1 else f"your {len(subscriptions)} subscriptions"
    return f"{count} new {noun} for {about}, {now:%a} {now.day} {now:%b}"
