"""The digest's order: strength of the match, community signal, agreement, freshness, as one score.

A paper's place in a channel's post is

    best over its matching subscriptions of (STRENGTH x strength + COMMUNITY x community + FRESH x freshness)
    + AGREE x agreement

- strength: the match's evidence points on a log scale, 1.0 point (an abstract aside) -> 0, 4 points -> 1;
  a title mention (2.0) is 0.5;
- community: upvotes per day of age, log scale, 50 a day or more -> 1 (yesterday's 42 is 21 a day,
  last week's 60 is 7.5 a day);
- freshness: halves every 3 days since publication (unknown date: 0);
- agreement: 0.5 for each further subscription of the channel that matches, 0.5 when one of them
  follows an author, at most 1.

Everything but agreement is a function of (paper, subscription), so each distinct query's results
are sorted once per pass; agreement adds at most AGREE, which bounds how far down the merged lists a
channel's top can hide (`FanOut._top`). Weights chosen with bench/digest_quality.py.

A channel that set how much upvotes weigh (`/papers ranking upvotes off|low|high`) has its post
scored again with COMMUNITY times that level's factor (`reweigh`); the shared lists stay as they are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.domain import Match, Paper

STRENGTH, COMMUNITY, FRESH, AGREE = 0.30, 0.45, 0.10, 0.15
_STRONG_POINTS = 4.0  # evidence points at which a match counts as fully strong
_BUSY_DAY = 50.0  # upvotes a day at which the community signal is full
_HALF_LIFE_DAYS = 3.0
_DAY = 86_400.0
UPVOTES = {"off": 0.0, "low": 0.5, "normal": 1.0, "high": 2.0}  # a channel's factor on COMMUNITY


def strength(score: float) -> float:
    """A match's score (points / (points + 1)) as a strength in [0, 1]: log of the points, 1 -> 0, 4 -> 1."""
    points = score / (1.0 - score) if score < 1.0 else _STRONG_POINTS
    return min(max(math.log(points) / math.log(_STRONG_POINTS), 0.0), 1.0)


def age_days(paper: Paper, now: datetime) -> float | None:
    """Days since the paper was published (never negative), None when its date is unknown."""
    published = paper.published_at
    if published is None:
        return None
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return max((now - published).total_seconds() / _DAY, 0.0)


def signal(paper: Paper, now: datetime, upvotes: float = 1.0) -> float:
    """The paper's own part of the score: community (upvotes by age, times `upvotes`) and freshness, weighted."""
    age = age_days(paper, now)
    fresh = 0.0 if age is None else 0.5 ** (age / _HALF_LIFE_DAYS)
    return upvotes * COMMUNITY * community(paper, age) + FRESH * fresh


def community(paper: Paper, age: float | None) -> float:
    """Upvotes per day of age on a log scale, 0 to 1 (unknown age: counted as 30 days)."""
    upvotes = paper.upvotes or 0
    if upvotes <= 0:
        return 0.0
    rate = upvotes / ((age if age is not None else 30.0) + 1.0)
    return min(math.log1p(rate) / math.log1p(_BUSY_DAY), 1.0)


def reweigh(matches: Sequence[Match], level: str, now: datetime) -> list[Match]:
    """A channel's matches in the order its upvotes level gives: each scored again as the fan-out scores it
    (its why lines count the subscriptions that agree), with COMMUNITY times the level's factor; ties keep
    the incoming order."""
    factor = UPVOTES[level]
    scores = [
        channel_score(query_score(m, signal(m.paper, now, factor)), len(m.why), follows_author=False) for m in matches
    ]
    order = sorted(range(len(matches)), key=lambda i: -scores[i])
    return [matches[i] for i in order]


def query_score(match: Match, paper_signal: float) -> float:
    """A paper's score for one subscription: how strongly it matched, plus its own signal."""
    return STRENGTH * strength(match.score) + paper_signal


def agreement(matching: int, follows_author: bool) -> float:
    """The bonus for a paper several of the channel's subscriptions agree on, or by an author it follows."""
    return AGREE * min(0.5 * (matching - 1) + (0.5 if follows_author else 0.0), 1.0)


def channel_score(best: float, matching: int, follows_author: bool) -> float:
    """The paper's score in a channel: its best subscription's score plus the agreement bonus."""
    return best + agreement(matching, follows_author)


__all__ = [
    "AGREE",
    "UPVOTES",
    "age_days",
    "agreement",
    "channel_score",
    "community",
    "query_score",
    "reweigh",
    "signal",
    "strength",
]
