"""The week's best: a feed's matches of the past seven days, most upvoted first, for its once-a-week post."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.delivery.fanout import FanOut
from bot.domain import ChannelRef, Digest, Match, Subscription
from bot.wording import plural


def by_upvotes(match: Match) -> tuple[int, float, str]:
    """Most upvoted first (a paper Hugging Face never listed counts as none), then the better match, then by key."""
    return -(match.paper.upvotes or 0), -match.score, match.paper.key


def weekly_best(
    fanout: FanOut,
    channel: ChannelRef,
    subscriptions: Sequence[Subscription],
    delivered: set[str],
    now: datetime,
    cap: int | None = 10,
) -> Digest:
    """The week's best post of a feed: what its subscriptions matched among the pass's papers (stored within
    the past seven days), minus what this post already carried, ranked by upvotes, `cap` shown."""
    found: dict[str, Match] = {}
    for subscription in subscriptions:
        asked = fanout.query(subscription.query)
        if asked is None:
            continue
        for key, match in asked[1].matches.items():
            if key not in delivered:
                found[key] = _merged(found.get(key), Match(match.paper, match.score, match.why, subscription.query))
    ranked = sorted(found.values(), key=by_upvotes)
    shown = tuple(ranked if cap is None else ranked[:cap])
    return Digest(channel, shown, len(ranked) - len(shown), weekly_title(len(ranked), subscriptions, now), now)


def _merged(seen: Match | None, match: Match) -> Match:
    """A paper several subscriptions found: the best score, and every subscription's reasons."""
    if seen is None:
        return match
    if match.score > seen.score:
        return Match(match.paper, match.score, match.why + seen.why, match.subscription)
    return Match(seen.paper, seen.score, seen.why + match.why, seen.subscription)


def weekly_title(count: int, subscriptions: Sequence[Subscription], now: datetime) -> str:
    """ "The week's best: 12 papers for reinforcement-learning, most upvoted first (week to Mon 30 Nov)"."""
    about = subscriptions[0].query if len(subscriptions) == 1 else f"your {len(subscriptions)} subscriptions"
    return f"The week's best: {plural(count, 'paper')} for {about}, most upvoted first (week to {now:%a} {now.day} {now:%b})"
