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
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Engine

from bot.domain import ChannelRef, Digest, Match, Paper, Subscription
from bot.errors import PapersError
from bot.relevance.matching import Matcher, rank_key
from bot.relevance.paper_text import PaperText
from bot.relevance.paper_topics import PaperTopics
from bot.relevance.query import Query, parse_query
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

NEW_FOR = timedelta(days=7)  # a paper stored within this window is "new" to a channel
# Published before this, it is an archive import or an old paper's replacement, not news.
TOO_OLD = timedelta(days=45)

Rank = tuple[float, int, float]


@dataclass(frozen=True)
class Result:
    """One distinct query's matches over the pass's papers: by paper key, and best first."""

    matches: dict[str, Match]
    ordered: tuple[tuple[Rank, int, str], ...]  # (rank, position among the papers, key), best first


def news(uow: UnitOfWork, now: datetime) -> list[Paper]:
    """The papers that may go into a post now: stored lately, not published long ago."""
    papers = uow.papers.news(now - NEW_FOR, published_since=now - TOO_OLD)
    return [p for p in papers if p.published_at is not None or p.dated is None or p.dated >= now - TOO_OLD]


def assess_news(engine: Engine, paper_topics: PaperTopics, now: datetime) -> int:
    """Store the evidence of every paper a post may hold now (after a fetch), so no pass waits for it."""
    with UnitOfWork(engine) as uow:
        papers = news(uow, now)
    return len(paper_topics.texts(papers))


class FanOut:
    """The pass's papers and each distinct query's result over them, computed once and shared."""

    def __init__(self, matcher: Matcher, papers: Sequence[Paper], texts: dict[str, PaperText]) -> None:
        self.matcher = matcher
        self.papers = list(papers)
        self._texts = [(paper, texts[paper.key]) for paper in self.papers]
        self._position = {paper.key: i for i, paper in enumerate(self.papers)}
        self._parsed: dict[str, Query | None] = {}
        self._results: dict[tuple, Result] = {}
        self._guard = threading.Lock()

    @classmethod
    def load(cls, uow: UnitOfWork, paper_topics: PaperTopics, now: datetime) -> FanOut:
        papers = news(uow, now)
        return cls(paper_topics.matcher, papers, paper_topics.texts(papers))

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
                self._results[same] = self._result(sorted(matches, key=rank_key))
            return len(self._results)

    def query(self, text: str) -> tuple[Query, Result] | None:
        """A subscription's parsed query and its result; None when it no longer parses (a topic was removed)."""
        with self._guard:
            query = self._parse(text)
            if query is None:
                return None
            result = self._results.get(_same(query))
            if result is None:
                result = self._results[_same(query)] = self._result(self.matcher.evaluate(query, self._texts))
        return query, result

    def _parse(self, text: str) -> Query | None:
        if text not in self._parsed:
            try:
                self._parsed[text] = parse_query(text, self.matcher.taxonomy)
            except PapersError as error:
                log.warning("subscription %r no longer parses, skipped: %s", text, error.message)
                self._parsed[text] = None
        return self._parsed[text]

    def _result(self, found: list[Match]) -> Result:
        ordered = tuple((rank_key(m), self._position[m.paper.key], m.paper.key) for m in found)
        matches = {m.paper.key: m for m in found}
        return Result(matches, ordered)

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
        chosen = sorted(keys, key=lambda k: self._final(k, asked)) if cap is None else self._top(asked, delivered, cap)
        matches = tuple(self._merged(key, asked) for key in chosen)
        return Digest(channel, matches, len(keys) - len(matches), digest_title(len(keys), subscriptions, now), now)

    def _final(self, key: str, asked: list[tuple[str, Result]]) -> tuple[Rank, int, Rank, int]:
        """Where a paper stands in a channel's post: its best rank; among equals, as if each subscription
        were matched in turn: the first that found it, its rank there, its place among the papers."""
        found = [(i, rank_key(r.matches[key])) for i, (_, r) in enumerate(asked) if key in r.matches]
        best = min(rank for _, rank in found)  # the best score's rank: upvotes and date are the paper's
        first, rank = found[0]
        return best, first, rank, self._position[key]

    def _top(self, asked: list[tuple[str, Result]], delivered: set[str], cap: int) -> list[str]:
        """The first `cap` of the channel's order without sorting all its matches: merge the sorted
        results, and stop after the rank at which `cap` papers are in hand (ties settled by `_final`)."""
        taken: dict[str, None] = {}
        last: Rank | None = None
        for rank, _, key in heapq.merge(*(r.ordered for _, r in asked)):
            if rank != last and len(taken) >= cap:
                break
            last = rank
            if key not in delivered:
                taken.setdefault(key)
        return sorted(taken, key=lambda k: self._final(k, asked))[:cap]

    @staticmethod
    def _merged(key: str, asked: list[tuple[str, Result]]) -> Match:
        """One paper's match in the channel: the best subscription's score and every subscription's reasons."""
        seen: Match | None = None
        for text, result in asked:
            match = result.matches.get(key)
            if match is None:
                continue
            if seen is None or match.score > seen.score:
                why = match.why if seen is None else match.why + seen.why
                seen = Match(match.paper, match.score, why, text)
            else:
                seen = Match(seen.paper, seen.score, seen.why + match.why, seen.subscription)
        assert seen is not None
        return seen


def _same(query: Query) -> tuple:
    """Queries spelt differently that ask the same thing share one evaluation."""
    return (query.groups, query.excluded, query.min_upvotes)


def digest_title(count: int, subscriptions: Sequence[Subscription], now: datetime) -> str:
    """ "7 new papers for reinforcement-learning, Tue 25 Nov"."""
    noun = "paper" if count == 1 else "papers"
    about = subscriptions[0].query if len(subscriptions) == 1 else f"your {len(subscriptions)} subscriptions"
    return f"{count} new {noun} for {about}, {_day(now)}"


@lru_cache(maxsize=64)
def _day(now: datetime) -> str:
    return f"{now:%a} {now.day} {now:%b}"  # a pass titles every post with the same moment


__all__ = ["NEW_FOR", "TOO_OLD", "FanOut", "Result", "assess_news", "digest_title", "news"]
