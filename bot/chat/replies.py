"""What the core answers: one small dataclass per kind of reply; adapters render them by type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain import Digest, Found, Match, Paper, Schedule


@dataclass(frozen=True)
class Problem:
    """Bad input or a refusal: one sentence and, when it helps, the usage line."""

    message: str
    usage: str = ""
    ephemeral: bool = True


@dataclass(frozen=True)
class HelpText:
    commands: tuple[tuple[str, str], ...]  # (usage, what it does)
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


@dataclass(frozen=True)
class Unsubscribed:
    queries: tuple[str, ...]
    actor: str
    ephemeral: bool = False


@dataclass(frozen=True)
class SubscriptionList:
    subscriptions: tuple[tuple[str, str], ...]  # (query as typed, how it was understood)
    schedule: Schedule
    paused: str | None = None
    next_post: datetime | None = None
    ephemeral: bool = True


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


@dataclass(frozen=True)
class ScheduleSet:
    schedule: Schedule
    actor: str
    next_post: datetime | None
    ephemeral: bool = False


@dataclass(frozen=True)
class TopicList:
    prefix: str
    topics: tuple[tuple[str, str, int], ...]  # (slug, display name, depth)
    total: int
    ephemeral: bool = True


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


@dataclass(frozen=True)
class FeedbackNoted:
    """A like, dislike, save or forget taken; `changed` is false when it changed nothing (a repeated click)."""

    kind: str  # like | dislike | save | forget
    paper: Paper
    actor: str
    changed: bool
    signals: int = 0  # the channel's likes and dislikes so far
    learns_from: int = 5  # how many of them the channel's posts start following
    ephemeral: bool = True

    def sentence(self, title: str) -> str:
        """What to say, around `title` as the renderer wrote it (escaped for its platform)."""
        if self.kind == "forget":
            return f"Forgot what you said about {title}." if self.changed else f"You had said nothing about {title}."
        if not self.changed:
            return f"You had already {_PAST[self.kind]} {title}."
        if self.kind == "save":
            return f"Saved {title} for this channel; /papers saved lists them."
        more = "more" if self.kind == "like" else "fewer"
        if self.signals >= self.learns_from:
            return f"Noted: {more} papers like {title} in this channel's posts."
        return (
            f"Noted: {more} papers like {title}. This channel's posts follow its likes and dislikes "
            f"from {self.learns_from} on ({self.signals} so far)."
        )


_PAST = {"like": "liked", "dislike": "disliked", "save": "saved"}


@dataclass(frozen=True)
class SavedList:
    """The channel's saved papers, most recently saved first: (paper, when, who saved it)."""

    papers: tuple[tuple[Paper, datetime, str], ...]
    ephemeral: bool = True


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
    | FeedbackNoted
    | SavedList
)
