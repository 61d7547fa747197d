"""Which subscription a query names (subscribe and unsubscribe read it alike), and what a new one is told
before it is kept: a subscription it repeats, metadata no paper has; and after: the warm-up, once."""

from __future__ import annotations

from datetime import datetime

from bot.domain import ChannelRef, Paper, Subscription
from bot.errors import PapersError, echo
from bot.relevance.query import AuthorTerm, CategoryTerm, Query, parse_query
from bot.relevance.topics import Taxonomy
from storage.tables import ChannelRow
from storage.uow import UnitOfWork


def asking_the_same(query: Query, subs: list[Subscription], taxonomy: Taxonomy) -> Subscription | None:
    """The subscription that asks what `query` asks, however either is spelt (`rl`, `reinforcement-learning`)."""
    same = _reading(query)
    for sub in subs:
        old = _parsed(sub, taxonomy)
        if old is not None and _reading(old) == same:
            return sub
    return None


def named_by(text: str, subs: list[Subscription], taxonomy: Taxonomy) -> list[Subscription]:
    """The subscriptions `unsubscribe TEXT` means: the one typed so, else the one subscribe would call the same."""
    typed = " ".join(text.split()).lower()
    exact = [sub for sub in subs if sub.query.lower() == typed]
    if exact:
        return exact
    try:
        query = parse_query(text, taxonomy)
    except PapersError:
        return []  # not a query at all: nothing follows it
    same = asking_the_same(query, subs, taxonomy)
    return [same] if same is not None else []


def covered_by(query: Query, subs: list[Subscription], taxonomy: Taxonomy) -> str:
    """Why a new subscription adds nothing: one the channel has asks the same, or a broader topic covers it."""
    if (same := asking_the_same(query, subs, taxonomy)) is not None:
        return f"This channel already follows {echo(same.query)}, which asks the same."
    asked = _single_topic(query)
    for sub in subs:
        old = _parsed(sub, taxonomy)
        if old is None:
            continue
        broad = _single_topic(old) if not old.excluded and old.min_upvotes <= query.min_upvotes else None
        inside = asked and broad and asked != broad and any(t.slug == asked for t in taxonomy.subtree(broad))
        if inside and not query.excluded:
            return (
                f"This channel already follows {echo(sub.query)}, which covers {asked}; "
                f"unsubscribe {echo(sub.query)} first to follow only {asked}."
            )
    return ""


def _parsed(sub: Subscription, taxonomy: Taxonomy) -> Query | None:
    try:
        return parse_query(sub.query, taxonomy)
    except PapersError:
        return None  # a subscription whose topic was since removed asks nothing and covers nothing


def _reading(query: Query) -> tuple[object, ...]:
    """What a query asks, whatever its spelling: two with the same reading get the same papers."""
    return (query.groups, query.excluded, query.min_upvotes)


def _single_topic(query: Query) -> str | None:
    """The topic of a query that is one topic and nothing else."""
    topics = query.topics()
    return topics[0] if len(query.groups) == 1 and len(query.groups[0]) == 1 and topics else None


def missing_metadata(query: Query, papers: list[Paper], days: int) -> str:
    """When no stored paper carries what the query asks about (authors, categories, upvotes), say so:
    an empty dry run is then no fault of the query's words."""
    terms = [term for group in (*query.groups, query.excluded) for term in group]
    asks = (
        ("authors", any(isinstance(t, AuthorTerm) for t in terms), lambda p: bool(p.authors)),
        ("arXiv categories", any(isinstance(t, CategoryTerm) for t in terms), lambda p: bool(p.categories)),
        ("upvotes", query.min_upvotes > 0, lambda p: bool(p.upvotes)),
    )
    for what, asked, has in asks:
        if asked and not any(has(paper) for paper in papers):
            return (
                f"No paper of the last {days} days has {what} stored, so this cannot match yet; "
                "papers from Hugging Face and arXiv bring them."
            )
    return ""


def offer_warmup(uow: UnitOfWork, feed: ChannelRef, row: ChannelRow, now: datetime) -> bool:
    """Whether the subscription being added, the feed's first, offers `/papers warmup`: once, stored, so that
    unsubscribing from everything and subscribing again does not offer it again unasked."""
    if uow.subscriptions.count(feed) or row.warmup_offered_at is not None:
        return False
    row.warmup_offered_at = now
    return True


__all__ = ["asking_the_same", "covered_by", "missing_metadata", "named_by", "offer_warmup"]
