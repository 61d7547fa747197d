"""Fan-out: every distinct subscription evaluated once over a pass's new papers, shared by every channel.

A pass reads the papers that are new (stored within NEW_FOR, published within TOO_OLD) once,
with their stored topic evidence, and evaluates each distinct query once. A channel's digest is
then the union of its queries' results minus what it was sent: set operations and a merge of
sorted lists, never a paper read again. The cost of a pass grows with papers x distinct queries
plus channels.
"""

from __future__ import annotations

import heapq
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Engine

from bot.delivery import ranking
from bot.delivery.why import short_why
from bot.domain import ChannelRef, Digest, Match, Paper, Subscription
from bot.errors import PapersError
from bot.relevance.matching import Matcher
from bot.relevance.paper_text import PaperText
from bot.relevance.paper_topics import PaperTopics
from bot.relevance.query import AuthorTerm, Query, parse_query
from bot.wording import plural
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

NEW_FOR = timedelta(days=7)  # a paper stored within this window is "new" to a channel
# Published before this, it is an archive import or an old paper's replacement, not news.
TOO_OLD = timedelta(days=45)

Tie = tuple[int, float, str]  # (-upvotes, -published, key): one per paper, shared by every list it is in
Final = tuple[float, Tie]  # (-score, tie): smaller comes first
# Per combination of subscriptions, the best papers with an agreement bonus kept for the channels that share
# it (keys only: 100,000 channels make about 30,000 combinations); a channel already sent so many of them
# that fewer than its cap are left ranks its own in full.
BONUS_KEPT = 16


@dataclass(frozen=True)
class Result:
    """One distinct query's matches over the pass's papers: by paper key, and best first."""

    matches: dict[str, Match]
    ordered: tuple[Final, ...]  # (-score for this query (ranking.query_score), the paper's tie-breaks), best first
    follows_author: bool  # the query names an author: a paper it finds is by someone the channel follows


def news(uow: UnitOfWork, now: datetime) -> list[Paper]:
    """The papers that may go into a post now: stored lately, not published long ago."""
    papers = uow.papers.news(now - NEW_FOR, published_since=now - TOO_OLD)
    return [p for p in papers if p.published_at is not None or p.dated is None or p.dated >= now - TOO_OLD]


def assess_news(engine: Engine, paper_topics: PaperTopics, now: datetime) -> int:
    """Store the evidence and word counts of every paper a post may hold now (after a fetch), so no pass waits
    for them: matching reads the evidence, a channel's model the counts (bot/feedback/kept.py)."""
    from bot.feedback.kept import count_words

    with UnitOfWork(engine) as uow:
        papers = news(uow, now)
    assessed = len(paper_topics.texts(papers))
    with UnitOfWork(engine) as uow:
        count_words(uow, papers)
        uow.commit()
    return assessed


class FanOut:
    """The pass's papers and each distinct query's result over them, computed once and shared."""

    def __init__(self, matcher: Matcher, papers: Sequence[Paper], texts: dict[str, PaperText], now: datetime) -> None:
        self.matcher = matcher
        self.papers = list(papers)
        self._texts = [(paper, texts[paper.key]) for paper in self.papers]
        self._by_key = {paper.key: text for paper, text in self._texts}
        self._signal = {paper.key: ranking.signal(paper, now) for paper in self.papers}
        self._tie = {paper.key: _tie(paper) for paper in self.papers}
        self._bonuses: dict[tuple[int, ...], tuple[tuple[str, ...], bool]] = {}  # (best keys, all of them?)
        self._numbers: dict[int, int] = {}  # a result's number: small ints, so a combination's key costs a tuple
        self._why: dict[tuple[str, str], str] = {}  # (subscription, paper) -> its why line: channels share it
        self._alone: dict[tuple[str, str], Match] = {}  # ... and its match, when no other subscription found it
        self._parsed: dict[str, Query | None] = {}
        self._results: dict[tuple, Result] = {}
        self._guard = threading.Lock()

    @classmethod
    def load(cls, uow: UnitOfWork, paper_topics: PaperTopics, now: datetime) -> FanOut:
        papers = news(uow, now)
        return cls(paper_topics.matcher, papers, paper_topics.texts(papers), now)

    def points(self, keys: Iterable[str]) -> dict[str, dict[str, tuple[float, tuple[str, ...]]]]:
        """The stored topic points (no reasons) of those of `keys` this pass holds: a channel's model scores its
        candidates by them (bot/feedback/kept.py), and reading them again per channel was most of its cost."""
        found: dict[str, dict[str, tuple[float, tuple[str, ...]]]] = {}
        for key in keys:
            text = self._by_key.get(key)
            if text is not None:
                found[key] = {topic: (points, ()) for topic, (points, _) in text.evidence.items()}
        return found

    def prepare(self, queries: Iterable[str]) -> int:
        """Evaluate these subscriptions ahead (before threads share the results); returns how many distinct.

        Paper by paper, every query at once: a paper's words are read once, for every phrase that asks,
        and let go before the next, so memory holds one paper's words, not the whole window's."""
        todo: dict[tuple, Query] = {}
        with self._guard:
            for text in queries:
                query = self._parse(text)
                if query is not None and _same(query) not in self._results:
                    todo.setdefault(_same(query), query)
            judges = [(same, self.matcher.judge(query)) for same, query in todo.items()]
            found: dict[tuple, list[Match]] = {same: [] for same in todo}
            for paper, paper_text in self._texts:
                for same, judge in judges:
                    match = judge(paper, paper_text)
                    if match is not None:
                        found[same].append(match)
                paper_text.forget_words()
            for same, matches in found.items():
                self._results[same] = self._result(matches, todo[same])
            return len(self._results)

    def query(self, text: str) -> tuple[Query, Result] | None:
        """A subscription's parsed query and its result; None when it no longer parses (a topic was removed)."""
        with self._guard:
            query = self._parse(text)
            if query is None:
                return None
            result = self._results.get(_same(query))
            if result is None:
                result = self._results[_same(query)] = self._result(self.matcher.evaluate(query, self._texts), query)
        return query, result

    def _parse(self, text: str) -> Query | None:
        if text not in self._parsed:
            try:
                self._parsed[text] = parse_query(text, self.matcher.taxonomy)
            except PapersError as error:
                log.warning("subscription %r no longer parses, skipped: %s", text, error.message)
                self._parsed[text] = None
        return self._parsed[text]

    def _result(self, found: list[Match], query: Query) -> Result:
        signal, tie = self._signal, self._tie
        ordered = tuple(sorted((-ranking.query_score(m, signal[m.paper.key]), tie[m.paper.key]) for m in found))
        follows = any(isinstance(term, AuthorTerm) for group in query.groups for term in group)
        return Result({m.paper.key: m for m in found}, ordered, follows)

    def digest(
        self,
        channel: ChannelRef,
        subscriptions: Sequence[Subscription],
        delivered: set[str],
        now: datetime,
        cap: int | None = 10,
    ) -> Digest:
        """The channel's next post: its subscriptions' matches not yet delivered, best first, `cap` shown."""
        if not subscriptions:
            return Digest(channel, (), 0, "", now)
        asked = [(q.text, r) for q, r in filter(None, map(self.query, (s.query for s in subscriptions)))]
        keys = set().union(*(r.matches.keys() for _, r in asked)) - delivered
        matches = tuple(
            self._merged(key, asked) for key in self._top(asked, delivered, len(keys) if cap is None else cap)
        )
        return Digest(channel, matches, len(keys) - len(matches), digest_title(len(keys), subscriptions, now), now)

    def _final(self, key: str, asked: list[tuple[str, Result]]) -> Final:
        """Where a paper stands in a channel's post (bot/delivery/ranking.py); ties by upvotes, date, key."""
        best, matching, follows = 0.0, 0, False
        for _, result in asked:
            match = result.matches.get(key)
            if match is not None:
                best = max(best, ranking.query_score(match, self._signal[key]))
                matching += 1
                follows = follows or result.follows_author
        return (-ranking.channel_score(best, matching, follows), self._tie[key])

    def _top(self, asked: list[tuple[str, Result]], delivered: set[str], cap: int) -> list[str]:
        """The first `cap` of the channel's order without scoring all its matches.

        Only a paper two subscriptions found, or one that names an author, gets an agreement bonus; any
        other paper scores exactly as its one list ranks it. So: the first `cap` papers of the lists merged
        (each scored in full), plus every paper with a bonus; no paper outside these can be in the top."""
        taken: list[Final] = []
        for entry in heapq.merge(*(r.ordered for _, r in asked)):
            if len(taken) >= cap:
                break
            key = entry[1][2]
            if key in delivered or _agrees(key, asked):
                continue  # a paper with a bonus is among the bonus papers, scored in full
            taken.append(entry)  # lists are disjoint outside the bonus papers: each key comes once
        bonus = [key for key in self._bonus(asked, delivered, cap) if key not in delivered]
        taken += (self._final(key, asked) for key in bonus[:cap])
        taken.sort()
        return [final[1][2] for final in taken[:cap]]

    def _bonus(self, asked: list[tuple[str, Result]], delivered: set[str], cap: int) -> Sequence[str]:
        """The papers with an agreement bonus for these subscriptions, best first: the first BONUS_KEPT of
        them once for every channel that follows the same ones (a paper's score does not depend on the
        channel otherwise); all of them, for this channel alone, when it was sent too many of those."""
        numbers = self._numbers  # results live as long as the fan-out
        same = tuple(sorted(numbers.setdefault(id(result), len(numbers)) for _, result in asked))
        kept = self._bonuses.get(same)
        if kept is None:
            if len(self._bonuses) >= 50_000:
                self._bonuses.clear()  # a bound, not a policy: combinations repeat across channels
            ordered = sorted(_agreeing(asked), key=lambda key: self._final(key, asked))
            kept = self._bonuses[same] = (tuple(ordered[:BONUS_KEPT]), len(ordered) <= BONUS_KEPT)
        best, complete = kept
        if complete or sum(key not in delivered for key in best) >= cap:
            return best
        return sorted(_agreeing(asked) - delivered, key=lambda key: self._final(key, asked))

    def _merged(self, key: str, asked: list[tuple[str, Result]]) -> Match:
        """One paper's match in the channel: the best subscription's score, and one short why line for each
        subscription that found it, the best one's first (the full reasons: `papers-bot match --json`)."""
        found = [(text, match) for text, result in asked if (match := result.matches.get(key)) is not None]
        if len(found) == 1:  # most papers: one subscription found it, and every channel that follows it shares this
            text, match = found[0]
            alone = self._alone.get((text, key))
            if alone is None:
                alone = self._alone[(text, key)] = Match(match.paper, match.score, (self._short(text, match),), text)
            return alone
        best_text, best = found[0]
        for text, match in found[1:]:
            if match.score > best.score:  # the first of equals
                best_text, best = text, match
        lines = [self._short(best_text, best)]
        lines += [self._short(text, match) for text, match in found if text != best_text]
        return Match(best.paper, best.score, tuple(dict.fromkeys(lines)), best_text)

    def _short(self, text: str, match: Match) -> str:
        found = self._why.get((text, match.paper.key))
        if found is None:
            found = self._why[(text, match.paper.key)] = short_why(text, match.why)
        return found


def _agrees(key: str, asked: list[tuple[str, Result]]) -> bool:
    """Whether one paper earns an agreement bonus in a channel (what `_agreeing` collects)."""
    found = 0
    for _, result in asked:
        if key in result.matches:
            if result.follows_author:
                return True
            found += 1
    return found > 1


def _agreeing(asked: list[tuple[str, Result]]) -> set[str]:
    """The papers of a channel that earn an agreement bonus: found by two of its subscriptions or more,
    or by one that names an author."""
    once: set[str] = set()
    bonus: set[str] = set()
    for _, result in asked:
        keys = result.matches.keys()
        if result.follows_author:
            bonus |= keys
        elif len(asked) > 1:
            bonus |= once & keys
        once |= keys
    return bonus


def _tie(paper: Paper) -> Tie:
    """Among equal scores: more upvotes first, then the newest (unknown dates last), then the key."""
    published = paper.published_at
    if published is None:
        return (-(paper.upvotes or 0), float("inf"), paper.key)
    when = (published if published.tzinfo else published.replace(tzinfo=UTC)).timestamp()
    return (-(paper.upvotes or 0), -when, paper.key)


def _same(query: Query) -> tuple:
    """Queries spelt differently that ask the same thing share one evaluation."""
    return (query.groups, query.excluded, query.min_upvotes)


def digest_title(count: int, subscriptions: Sequence[Subscription], now: datetime) -> str:
    """ "7 new papers for reinforcement-learning, Tue 25 Nov"."""
    about = subscriptions[0].query if len(subscriptions) == 1 else f"your {len(subscriptions)} subscriptions"
    return f"{plural(count, 'new paper')} for {about}, {_day(now)}"


@lru_cache(maxsize=64)
def _day(now: datetime) -> str:
    return f"{now:%a} {now.day} {now:%b}"  # a pass titles every post with the same moment


__all__ = ["NEW_FOR", "TOO_OLD", "FanOut", "Result", "assess_news", "digest_title", "news"]
