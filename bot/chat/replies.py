"""What the core answers: one small dataclass per kind of reply; adapters render them by type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.chat.teaching_replies import (
    Explained,
    FeedbackNoted,
    KindsPicked,
    RankingSet,
    SavedList,
    TasteReset,
    TasteShown,
    WarmUpKinds,
    upvotes_line,
)
from bot.club.replies import ClubBallot, VoteNoted
from bot.domain import Digest, Found, Match, Paper, Schedule
from bot.wording import estimate, plural


@dataclass(frozen=True)
class Problem:
    """Bad input or a refusal: one sentence and, when it helps, the usage line."""

    message: str
    usage: str = ""
    ephemeral: bool = True


@dataclass(frozen=True)
class HelpText:
    commands: tuple[tuple[str, str], ...]  # (usage, what it does)
    examples: tuple[str, ...] = ()  # for one command: what people type
    ephemeral: bool = True


@dataclass(frozen=True)
class Subscribed:
    query: str
    understood: str
    actor: str
    per_day: float
    days: int
    top: tuple[Match, ...]
    warning: str = ""
    ephemeral: bool = False  # the channel should see who changed its subscriptions
    where: str = "this channel"  # or "your feed": whose subscriptions these are
    offers_warmup: bool = False  # the feed's first subscription: `/papers warmup` is offered, once

    def estimate(self) -> str:
        """How many papers it would have brought lately, in one sentence."""
        return estimate(self.per_day, self.days)


WARMUP_OFFER = (
    "Teach me what you like: /papers warmup shows the kinds of papers this channel gets, to pick from."  # once
)
WARMUP_BUTTON = "Pick the kinds you want"  # the offer's button where a platform has one (Slack)


@dataclass(frozen=True)
class DryRun:
    """What a query would have brought over the last days, before anyone subscribes (the subscribe modal's preview)."""

    query: str
    understood: str
    per_day: float
    days: int
    top: tuple[Match, ...]
    warning: str = ""

    def estimate(self) -> str:
        """How many papers it would have brought lately, in one sentence."""
        return estimate(self.per_day, self.days)


@dataclass(frozen=True)
class Unsubscribed:
    queries: tuple[str, ...]
    actor: str
    ephemeral: bool = False
    where: str = "this channel"  # or "your feed": whose subscriptions these are


@dataclass(frozen=True)
class SubscriptionList:
    subscriptions: tuple[tuple[str, str], ...]  # (query as typed, how it was understood)
    schedule: Schedule
    paused: str | None = None
    next_post: datetime | None = None
    ephemeral: bool = True
    where: str = "this channel"  # or "your feed": whose subscriptions these are
    weekly_best: Schedule | None = None  # when the week's most upvoted matches are posted, if they are
    upvotes: str = "normal"  # how much Hugging Face upvotes weigh in the post (`/papers ranking upvotes`)

    def upvotes_line(self) -> str | None:
        return upvotes_line(self.upvotes)


@dataclass(frozen=True)
class FindResults:
    text: str
    results: tuple[Found, ...]
    note: str = ""
    ephemeral: bool = True


@dataclass(frozen=True)
class DigestPreview:
    digest: Digest
    has_subscriptions: bool = True
    ephemeral: bool = True
    where: str = "this channel"  # or "your feed": whose subscriptions these are


@dataclass(frozen=True)
class ScheduleSet:
    schedule: Schedule  # cadence "off": that post was turned off
    actor: str
    next_post: datetime | None
    ephemeral: bool = False
    where: str = "this channel"  # or "your feed": whose subscriptions these are
    post: str = "post"  # or "weekly best-of post"
    no_post: bool = False  # neither the regular post nor the week's best is on now
    summary: bool | None = None  # `summary on|off` was said (forums: the day's list as a post of its own)

    def change(self) -> str:
        """What was done, after who did it: `scheduled this channel's post on weekdays at 09:00 UTC`."""
        said = f"turned {self.where}'s summary post {'on' if self.summary else 'off'} (in a forum channel)"
        if not self.post:  # only `summary on|off`
            return said
        done = f"scheduled {self.where}'s {self.post} {self.schedule.describe()}"
        if self.schedule.cadence == "off":
            done = f"turned {self.where}'s {self.post} off"
        return done if self.summary is None else f"{done} and {said}"

    def silence(self) -> str:
        """When the feed now gets nothing at all: one sentence saying so and how to get a post back."""
        if not self.no_post:
            return ""
        mine = " for me" if self.where == "your feed" else ""
        return (
            f"{self.where[:1].upper()}{self.where[1:]} now gets no post at all; "
            f"`/papers schedule 09:00 weekdays{mine}` brings the regular post back."
        )


@dataclass(frozen=True)
class TopicList:
    prefix: str
    topics: tuple[tuple[str, str, int], ...]  # (slug, display name, depth)
    total: int
    ephemeral: bool = True

    def count(self) -> str:
        """`28 topics`, `1 topic`, or `12 of 340 topics` when not all are listed."""
        if len(self.topics) == self.total:
            return plural(self.total, "topic")
        return f"{len(self.topics):,} of {plural(self.total, 'topic')}"


@dataclass(frozen=True)
class SourceState:
    source: str
    last_success: datetime | None
    added: int
    last_error: str | None
    next_run: datetime | None = None


@dataclass(frozen=True)
class StatusReport:
    sources: tuple[SourceState, ...]
    subscriptions: tuple[str, ...]
    schedule: Schedule
    paused: str | None
    last_post: datetime | None
    next_post: datetime | None
    papers: int
    changes: tuple[str, ...] = field(default=())
    ephemeral: bool = True
    where: str = "this channel"  # or "your feed": whose status this is
    upvotes: str = "normal"  # how much Hugging Face upvotes weigh in the post (`/papers ranking upvotes`)

    def upvotes_line(self) -> str | None:
        return upvotes_line(self.upvotes)


@dataclass(frozen=True)
class PaperCard:
    """One paper named by a link: the card an unfurl or "Look up paper" shows, with its topics' names."""

    paper: Paper
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class LookedUp:
    """The papers a message links to; `missing` holds the ids neither stored nor known to arXiv."""

    cards: tuple[PaperCard, ...]
    missing: tuple[str, ...] = ()
    ephemeral: bool = True


@dataclass(frozen=True)
class ExportFile:
    """A channel's subscriptions and schedule as the JSON Lines of `papers-bot subscriptions export`."""

    filename: str
    content: str
    count: int
    ephemeral: bool = True


@dataclass(frozen=True)
class Imported:
    """What `/papers import` did in this channel, and each refused line with its number."""

    added: int
    already: int
    schedule: Schedule | None  # the schedule the file set, when it changed this channel's
    refused: tuple[tuple[int, str], ...]
    actor: str
    weekly_best: Schedule | None = None  # the week's best's schedule, when the file set one that is on
    ephemeral: bool = False  # the channel should see who changed its subscriptions

    def describe(self) -> str:
        """The outcome in one plain sentence (after "who imported"), the same on every platform."""
        parts = [f"{plural(self.added, 'subscription')} added"]
        if self.already:
            parts.append(f"{self.already} already followed")
        if self.schedule:
            parts.append(f"posts {self.schedule.describe()}")
        if self.weekly_best:
            parts.append(f"the week's best {self.weekly_best.describe()}")
        if self.refused:
            parts.append(f"{plural(len(self.refused), 'line')} refused")
        return ", ".join(parts) + "."


@dataclass(frozen=True)
class FeedLink:
    """A private feed's URLs, to the asker alone (or, without PUBLIC_URL, why there are none)."""

    page: str
    atom: str
    json: str
    revoked: int = 0  # `/papers feed reset`: how many of the asker's older links stopped working
    ephemeral: bool = True
    where: str = "this channel"  # or "your feed"

    def lines(self) -> list[str]:
        """What every platform says, one plain line each; the URLs are the bot's own, nothing to escape."""
        posts = "your feed's" if self.where == "your feed" else "this channel's"
        if self.revoked:
            after = f"your older {'link no longer works' if self.revoked == 1 else 'links no longer work'}."
        else:
            after = "links you got before keep working; /papers feed reset revokes them all."
        return [
            f"Your private link to {posts} last 30 days of posts:",
            f"Web page: {self.page}",
            f"Atom: {self.atom}",
            f"JSON Feed: {self.json}",
            f"Anyone with the link can read these posts, so keep it to yourself; {after}",
        ]


Reply = (
    Problem
    | HelpText
    | Subscribed
    | Unsubscribed
    | SubscriptionList
    | FindResults
    | DigestPreview
    | ScheduleSet
    | TopicList
    | StatusReport
    | LookedUp
    | ExportFile
    | Imported
    | FeedbackNoted
    | SavedList
    | Explained
    | TasteShown
    | TasteReset
    | RankingSet
    | WarmUpKinds
    | KindsPicked
    | ClubBallot
    | VoteNoted
    | FeedLink
)
