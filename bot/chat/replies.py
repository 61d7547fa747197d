"""What the core answers: one small dataclass per kind of reply; adapters render them by type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain import Digest, Found, Match, Schedule


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
)
