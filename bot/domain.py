"""The neutral vocabulary of papers-bot: papers, channels, subscriptions, digests."""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from functools import cached_property
from typing import Any

from bot.errors import BadChannel, BadCommand, echo
from bot.paper_links import strip_version

PLATFORMS = ("terminal", "slack", "discord")
BUNDLED = "bundled"  # the source of the papers shipped with the bot (bot/data/seed.jsonl)
SOURCES = ("hf", "arxiv")  # the sources fetched over the network: `ingest --source`, the clock, /papers status


def normalise_title(title: str) -> str:
    """A title key that ignores case, accents, punctuation and spacing."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def paper_key(arxiv_id: str | None, title: str) -> str:
    """The identity of a paper across sources: its arXiv id, else its normalised title."""
    if arxiv_id:
        return strip_version(arxiv_id)
    return "title:" + normalise_title(title)[:200]


@dataclass(frozen=True)
class Paper:
    """One research paper as every source and renderer sees it."""

    title: str
    abstract: str
    arxiv_id: str | None = None
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    categories: tuple[str, ...] = ()
    upvotes: int | None = None
    url: str | None = None
    code_url: str | None = None
    project_url: str | None = None
    thumbnail_url: str | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    on_hf: bool = False
    source: str = "file"

    @cached_property
    def key(self) -> str:
        return paper_key(self.arxiv_id, self.title)  # asked for often: once per paper object

    @property
    def abs_url(self) -> str | None:
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else self.url

    @property
    def pdf_url(self) -> str | None:
        return f"https://arxiv.org/pdf/{self.arxiv_id}" if self.arxiv_id else None

    @property
    def hf_url(self) -> str | None:
        return f"https://huggingface.co/papers/{self.arxiv_id}" if self.arxiv_id and self.on_hf else None

    @property
    def dated(self) -> datetime | None:
        """When it was published, or (lacking that) the month its arXiv id was issued."""
        if self.published_at or not self.arxiv_id:
            return self.published_at
        found = re.match(r"(\d{2})(\d{2})\.\d{4,5}$", self.arxiv_id)
        if not found or not 1 <= int(found[2]) <= 12:
            return None
        return datetime(2000 + int(found[1]), int(found[2]), 1, tzinfo=UTC)

    def with_changes(self, **changes: Any) -> Paper:
        return replace(self, **changes)


@dataclass(frozen=True, order=True)
class ChannelRef:
    """Where a conversation happens: `terminal:lab`, `slack:T1:C1`, `discord:G1:C1`."""

    platform: str
    workspace: str
    channel: str

    @classmethod
    def parse(cls, text: str) -> ChannelRef:
        parts = text.strip().split(":")
        if parts[0] == "terminal" and len(parts) == 2 and parts[1]:
            return cls("terminal", "local", parts[1])
        if parts[0] in ("slack", "discord") and len(parts) == 3 and all(parts):
            # A pass holds every due channel: their platform and workspace, shared, once each.
            return cls(sys.intern(parts[0]), sys.intern(parts[1]), parts[2])
        raise BadChannel(text)

    @classmethod
    def person(cls, platform: str, workspace: str, user_id: str) -> ChannelRef:
        """A person's own feed, delivered by direct message: `slack:T1:@U1`."""
        return cls(platform, workspace, PERSON + user_id)

    @property
    def is_personal(self) -> bool:
        return self.channel.startswith(PERSON)

    @property
    def user_id(self) -> str | None:
        """Whose feed this is (None for a channel)."""
        return self.base.channel[len(PERSON) :] if self.is_personal else None

    @property
    def is_weekly_best(self) -> bool:
        return self.channel.endswith(WEEKLY_BEST)

    @property
    def base(self) -> ChannelRef:
        """The feed whose subscriptions this follows: the channel or person itself, without `/top`."""
        return replace(self, channel=self.channel.removesuffix(WEEKLY_BEST)) if self.is_weekly_best else self

    def weekly_best(self) -> ChannelRef:
        """The once-a-week post of the most upvoted matches: its own schedule, outbox and lock (`slack:T1:C1/top`)."""
        return replace(self, channel=self.base.channel + WEEKLY_BEST)

    def __str__(self) -> str:
        if self.platform == "terminal":
            return f"terminal:{self.channel}"
        return f"{self.platform}:{self.workspace}:{self.channel}"


# A person's feed is `@USER` where a channel id would be; a feed's weekly best-of post adds `/top`.
PERSON = "@"
WEEKLY_BEST = "/top"
CADENCES = ("daily", "weekdays", "weekly", "off")  # off: no regular post (the weekly best-of post instead)


@dataclass(frozen=True)
class Schedule:
    """When a channel gets its digest, in its own time zone."""

    at: time = time(9, 0)
    tz: str = "UTC"
    cadence: str = "weekdays"
    weekday: int = 0  # Monday; used only when cadence is weekly

    def describe(self) -> str:
        if self.cadence == "off":
            return "never (off)"
        days = {"daily": "every day", "weekdays": "on weekdays"}.get(self.cadence)
        if days is None:
            days = "every " + WEEKDAYS[self.weekday].capitalize()
        return f"{days} at {self.at:%H:%M} {self.tz}"


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Subscription:
    """A channel's standing query: what it wants to hear about."""

    channel: ChannelRef
    query: str
    min_upvotes: int = 0
    id: int | None = None
    created_by: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """Why one paper belongs in one subscription's feed, and how strongly."""

    paper: Paper
    score: float
    why: tuple[str, ...]
    subscription: str = ""


@dataclass(frozen=True)
class Digest:
    """What one channel's next post holds: matches best first, and how many were left out."""

    channel: ChannelRef
    matches: tuple[Match, ...]
    more: int = 0
    title: str = ""
    created_at: datetime | None = None
    summary: bool = True  # in a forum, where each paper is a post: whether the day's list is a post too

    @property
    def papers(self) -> tuple[Paper, ...]:
        return tuple(m.paper for m in self.matches)


@dataclass(frozen=True)
class Delivery:
    """One digest as recorded in the outbox, and what the platform said about it."""

    id: int
    channel: ChannelRef
    paper_keys: tuple[str, ...]
    status: str = "pending"  # pending -> sent | failed
    message_ids: tuple[str, ...] = ()
    mark: str = ""
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class Actor:
    """Who typed a command: a platform user id and a display name, plus what they may do."""

    id: str = "local"
    name: str = "you"
    is_admin: bool = True
    tz: str | None = None  # the person's own time zone when the platform tells it (Slack's users.info)
    # Where the person's own feed lives: None, one per workspace (a Slack user id belongs to one workspace);
    # a name, one feed across all the platform's workspaces (a Discord user id is the same in every server).
    feeds_in: str | None = None

    def own_feed(self, platform: str, workspace: str) -> ChannelRef:
        """This person's own feed (`for me`), delivered by direct message."""
        return ChannelRef.person(platform, self.feeds_in or workspace, self.id)

    def owns(self, feed: ChannelRef) -> bool:
        """Whether `feed` is this person's own: said there, a command is about their feed (`for me` or not)."""
        return feed.is_personal and feed.user_id == self.id


@dataclass(frozen=True)
class Found:
    """One result of `find`: a paper and how well it matched the text."""

    paper: Paper
    score: float
    how: str = ""


def start_of_day(text: str | None) -> datetime | None:
    """`YYYY-MM-DD` as the start of that day in UTC, as `--since` and `--date` mean it; None for no text."""
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time(), UTC)
    except ValueError:
        raise BadCommand(f"{echo(text)} is not a date; use YYYY-MM-DD.") from None
