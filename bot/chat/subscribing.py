"""What a new subscription is told before it is kept: a subscription it repeats, metadata no paper has."""

from __future__ import annotations

from bot.domain import Paper, Subscription
from bot.errors import PapersError, echo
from bot.relevance.query import AuthorTerm, CategoryTerm, Query, parse_query
from bot.relevance.topics import Taxonomy


def covered_by(query: Query, subs: list[Subscription], taxonomy: Taxonomy) -> str:
    """Why a new subscription adds nothing: one the channel has asks the same, or a broader topic covers it."""
    same = (query.groups, query.excluded, query.min_upvotes)
    asked = _single_topic(query)
    for sub in subs:
        try:
            old = parse_query(sub.query, taxonomy)
        except PapersError:
            continue  # a subscription whose topic was since removed covers nothing
        if (old.groups, old.excluded, old.min_upvotes) == same:
            return f"This channel already follows {echo(sub.query)}, which asks the same."
        broad = _single_topic(old) if not old.excluded and old.min_upvotes <= query.min_upvotes else None
        inside = asked and broad and asked != broad and any(t.slug == asked for t in taxonomy.subtree(broad))
        if inside and not query.excluded:
            return (
                f"This channel already follows {echo(sub.query)}, which covers {asked}; "
                f"unsubscribe {echo(sub.query)} first to follow only {asked}."
            )
    return ""


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


__all__ = ["covered_by", "missing_metadata"]
