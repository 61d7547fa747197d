"""Private feeds: a channel's (or person's) last 30 days of posts behind an unguessable URL token, kept as a hash."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.domain import ChannelRef, Paper
from bot.relevance.topics import Taxonomy
from storage.uow import UnitOfWork

FEED_DAYS = 30
TOKEN_BYTES = 32  # 256 random bits: 43 URL-safe characters
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
TOPICS_SHOWN = 5


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored of a token: a database leak shows no working URL. A plain hash is enough: the token is
    256 random bits, so there is nothing to guess from a hash, and one hash a request keeps a lookup cheap."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class FeedItem:
    """One paper as the feed shows it: the post it came in, the why line it had, its topics' names."""

    paper: Paper
    sent_at: datetime
    why: tuple[str, ...]
    topics: tuple[str, ...]
    updated_at: datetime

    @property
    def summary(self) -> str:
        return self.paper.ai_summary or self.paper.abstract


@dataclass(frozen=True)
class FeedState:
    """What a token shows and which version of it: enough to answer a feed reader's poll with 304."""

    feed: ChannelRef
    version: str  # changes whenever what the feed shows changes: the HTTP ETag
    updated: datetime  # the newest post or paper change; the time asked when the feed is empty


@dataclass(frozen=True)
class Feed:
    """What a feed URL shows. Its title names the kind of feed, never the channel: a private channel's name
    (or id) must not leak through a feed reader, a shared OPML file or a server log."""

    title: str
    items: tuple[FeedItem, ...]
    updated: datetime
    version: str

    def matching(self, text: str) -> tuple[FeedItem, ...]:
        """The items whose title, authors, summary or topics hold every word of `text` (the page's search)."""
        words = text.lower().split()
        return tuple(item for item in self.items if all(word in _haystack(item) for word in words))


def _haystack(item: FeedItem) -> str:
    paper = item.paper
    return " ".join((paper.title, " ".join(paper.authors), item.summary, " ".join(item.topics))).lower()


def feed_title(feed: ChannelRef) -> str:
    if feed.is_personal:
        return "papers-bot: your papers"
    return f"papers-bot: a {feed.platform.capitalize()} channel's papers"


def _shown(feed: ChannelRef) -> list[str]:
    """A feed shows its regular posts and its week's best (`/top`), each paper once."""
    return [str(feed), str(feed.weekly_best())]


def feed_state(engine: Engine, token: str, now: datetime) -> FeedState | None:
    """The feed a token shows and its version; None for a token of the wrong shape (no database read at all),
    unknown or revoked (one primary-key read)."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    with UnitOfWork(engine) as uow:
        ref = uow.feed_tokens.feed_of(token_hash(token))
        if ref is None:
            return None
        feed = ChannelRef.parse(ref)
        count, first, last, changed = uow.feed_tokens.stamp(_shown(feed), now - timedelta(days=FEED_DAYS))
    version = hashlib.sha256(f"{ref}|{count}|{first}|{last}|{changed}".encode()).hexdigest()[:32]
    updated = max(last, changed) if last is not None and changed is not None else now
    return FeedState(feed, version, updated)


def read_feed(engine: Engine, taxonomy: Taxonomy, state: FeedState, now: datetime) -> Feed:
    """The papers of a feed whose state was just read, newest post first."""
    with UnitOfWork(engine) as uow:
        posted = uow.feed_tokens.posted(_shown(state.feed), now - timedelta(days=FEED_DAYS))
        topics = uow.feed_tokens.topics([p.paper.key for p in posted])
    items = tuple(
        FeedItem(p.paper, p.sent_at, p.why, _names(taxonomy, topics[p.paper.key]), p.updated_at) for p in posted
    )
    return Feed(feed_title(state.feed), items, state.updated, state.version)


def _names(taxonomy: Taxonomy, slugs: list[str]) -> tuple[str, ...]:
    topics = [taxonomy.get(slug) for slug in slugs]
    return tuple(topic.name for topic in topics if topic is not None)[:TOPICS_SHOWN]
